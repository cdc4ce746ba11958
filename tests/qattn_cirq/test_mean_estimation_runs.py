"""Simulated mean-estimation runs (qattn_cirq.mean_estimation_runs): qsim's phase law vs BHMT's."""

import numpy as np
import pytest

from qattn_cirq.errors import QattnInputError
from qattn_cirq.mean_estimation_runs import estimate_mean, estimate_mean_vector


def test_estimate_mean_helpers_qsim_equals_exact():
    rng = np.random.default_rng(0)
    X = rng.random((8, 2))
    a = estimate_mean_vector(X, 1, 4, repetitions=7, seed=1, engine="qsim")
    b = estimate_mean_vector(X, 1, 4, repetitions=7, seed=1, engine="exact")
    assert np.allclose(a["estimate"], b["estimate"])  # the circuit's law is BHMT's law
    assert np.all(np.abs(a["estimate"] - a["quantized_mean"]) <= a["bound_inf"])
    with pytest.raises(QattnInputError):
        estimate_mean([0.5, 1.5], 2, 3)
