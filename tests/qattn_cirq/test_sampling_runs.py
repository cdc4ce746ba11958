"""Simulated runs of the importance sampler (qattn_cirq.sampling_runs): output distribution, draws,
the Musco-Musco recursion."""

import math

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


def tv_tolerance(k: int, shots: int, delta: float = 1e-3) -> float:
    """TV between an empirical law of ``shots`` draws and the true law on k points exceeds this
    with probability <= delta: E[TV] <= 0.5 sqrt(k / N) (Cauchy-Schwarz) plus McDiarmid (one draw
    moves TV by <= 1/N)."""
    return 0.5 * math.sqrt(k / shots) + math.sqrt(math.log(1 / delta) / (2 * shots))


@pytest.mark.parametrize("weights,bits,seed", [(W8, 3, 11), ((3, 0, 1, 2), 2, 3)])
def test_draws_from_the_simulated_state_follow_the_weights(weights, bits, seed):
    """Accepted draws of our sampler, taken from the qsim state of its circuit by our driver (flag
    decoding, rejection loop), against the exact target w / sum w: TV within the bound that a
    correct sampler violates with probability <= 1e-3; the attempts per accepted draw within 4
    standard deviations of 1 / P[flag = 1] (sin^2((2r+1) theta))."""
    s = ImportanceSampler(len(weights), bits, weights)
    k = 3000
    idx, attempts = draw_samples(s, k, seed=seed, engine="qsim")
    target = np.asarray(weights, dtype=float) / sum(weights)
    counts = np.bincount(idx, minlength=len(weights))
    assert np.all(counts[target == 0] == 0)
    tv = 0.5 * np.abs(counts / k - target).sum()
    assert tv <= tv_tolerance(int((target > 0).sum()), k), tv
    p = s.success_probability
    rejected = attempts - k  # negative binomial: mean k (1 - p) / p, variance k (1 - p) / p^2
    assert abs(rejected - k * (1 - p) / p) <= 4 * math.sqrt(k * (1 - p)) / p + 1
