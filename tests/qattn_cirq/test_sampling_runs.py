"""Simulated runs of the importance sampler (qattn_cirq.sampling_runs): output distribution, draws,
the Musco-Musco recursion."""

import numpy as np
import pytest

from bloqs.sampling import ImportanceSampler
from qattn_cirq.errors import QattnInputError
from qattn_cirq.sampling_runs import draw_samples, recursive_rls_landmarks, sampler_output_distribution

W8 = (1, 7, 2, 0, 3, 5, 1, 4)


def test_exact_and_qsim_output_distributions_agree():
    s = ImportanceSampler(8, 3, W8, rounds=1)
    ex = sampler_output_distribution(s, engine="exact")
    qs = sampler_output_distribution(s, engine="qsim")
    assert np.allclose(ex, qs, atol=1e-5)
    idx, attempts = draw_samples(s, 50, seed=1, engine="exact")
    assert idx.size == 50 and attempts >= 50 and np.all(np.asarray(W8)[idx] > 0)


def test_recursive_rls_landmarks_qsim_matches_exact():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 2)) / 2
    K = np.exp(X @ X.T / np.sqrt(2))
    a = recursive_rls_landmarks(K, 0.3, 4, bits=3, seed=1, engine="exact")
    b = recursive_rls_landmarks(K, 0.3, 4, bits=3, seed=1, engine="qsim")
    assert np.array_equal(a, b)  # qsim's output distribution equals the closed form
    assert a.size >= 1 and np.all(np.diff(a) > 0) and a.min() >= 0 and a.max() < 16
    with pytest.raises(QattnInputError):
        recursive_rls_landmarks(K, -1.0, 4)
