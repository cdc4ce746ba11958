"""Amplitude / mean estimation: qsim outcome distributions, success rates, costs, closed forms."""

import math

import numpy as np
import pytest
import sympy

from bloqs.amplification import AmplificationIterate
from estimates.cost_checks import assert_costs_consistent
from bloqs.mean_estimation import (
    AE_SUCCESS_PROBABILITY,
    CHJMeanEstimationCostModel,
    MultivariateMeanEstimation,
    UnivariateMeanEstimation,
    ae_error_bound,
    ae_outcome_distribution,
    chj_queries,
    median_of_runs,
    median_repetitions,
    multivariate_symbolic,
    phase_bits_for_error,
)
from bloqs.sampling import UniformIndexAndCoin, WeightThresholdFlag
from estimates.counts import logical_counts
from qattn_cirq.errors import QattnInputError
from qattn_cirq.simulate import ancilla_weight, bloq_to_cirq, register_probabilities, simulate_state


def phase_distribution(bloq):
    c = bloq_to_cirq(bloq)
    st = simulate_state(c, threads=2)
    assert ancilla_weight(c, st) < 1e-5
    p = register_probabilities(c, st, "phase")
    return p / p.sum()


# ---------------------------------------------------------------------------------------------
# closed forms
# ---------------------------------------------------------------------------------------------


def test_phase_bits_and_repetitions():
    for eps in (0.3, 0.1, 0.01, 0.001):
        m = phase_bits_for_error(eps)
        assert ae_error_bound(0.5, m) <= eps < ae_error_bound(0.5, m - 1)
    K = median_repetitions(0.05)
    assert K % 2 == 1
    gap = AE_SUCCESS_PROBABILITY - 0.5
    assert math.exp(-2 * K * gap**2) <= 0.05 < math.exp(-2 * (K - 2) * gap**2)
    with pytest.raises(QattnInputError):
        phase_bits_for_error(0.0)
    with pytest.raises(QattnInputError):
        median_repetitions(1.5)


@pytest.mark.parametrize("a", [0.0, 0.1, 0.3, 0.5, 0.77, 1.0])
@pytest.mark.parametrize("m", [3, 5, 7])
def test_bhmt_theorem_on_exact_distribution(a, m):
    p = ae_outcome_distribution(a, m)
    assert np.isclose(p.sum(), 1.0)
    est = np.sin(np.pi * np.arange(2**m) / 2**m) ** 2
    within = p[np.abs(est - a) <= ae_error_bound(a, m) + 1e-12].sum()
    assert within >= AE_SUCCESS_PROBABILITY - 1e-9


def test_chj_queries():
    assert chj_queries(8, 2.0, 0.05, 0.05) == math.ceil(math.sqrt(16) * math.log(8 / 0.05) / 0.05)
    d, tr, eps, delta = sympy.symbols("d T epsilon delta", positive=True)
    assert chj_queries(d, tr, eps, delta).free_symbols == {d, tr, eps, delta}
    with pytest.raises(QattnInputError):
        chj_queries(4, 1.0, 1.5, 0.1)


# ---------------------------------------------------------------------------------------------
# costs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("m", [1, 2, 3])
def test_ae_costs_consistent(m):
    u = UnivariateMeanEstimation(4, 2, m, values=(1, 3, 0, 2))
    t = assert_costs_consistent(u)
    it = AmplificationIterate(u.ae.prepare, u.ae.flag_oracle, controlled=True)
    iqft = logical_counts(u.ae.iqft).t_count
    assert t == (2**m - 1) * logical_counts(it).t_count + iqft


def test_symbolic_costs():
    n, b, m = sympy.symbols("n b m", positive=True, integer=True)
    c = logical_counts(UnivariateMeanEstimation(n, b, m))
    assert {s.name for s in sympy.sympify(c.t_count).free_symbols} == {"n", "b", "m"}
    # doubling M doubles the cost to leading order (M - 1 controlled iterates)
    f = lambda mm: float(sympy.sympify(c.t_count).subs({n: 1024, b: 8, m: mm}))
    assert 1.9 < f(11) / f(10) < 2.05
    mv = logical_counts(multivariate_symbolic())
    assert {s.name for s in sympy.sympify(mv.t_count).free_symbols} == {"n", "d", "b", "m", "K"}
    chj = CHJMeanEstimationCostModel(UniformIndexAndCoin(n, b), WeightThresholdFlag(n, b), sympy.Symbol("N"))
    assert logical_counts(chj).is_symbolic


def test_multivariate_call_graph_concrete():
    data = [[1, 2], [3, 0], [0, 3], [2, 2]]
    mv = MultivariateMeanEstimation(4, 2, 2, 2, repetitions=3, data=data)
    c = logical_counts(mv)
    t0 = logical_counts(mv.coordinate(0)).t_count
    t1 = logical_counts(mv.coordinate(1)).t_count
    assert c.t_count == 3 * (t0 + t1)
    assert c.qubits == logical_counts(mv.coordinate(0)).qubits
    with pytest.raises(QattnInputError):
        MultivariateMeanEstimation(4, 3, 2, 2, data=data)


# ---------------------------------------------------------------------------------------------
# qsim
# ---------------------------------------------------------------------------------------------


def _success_rate(u, p, runs, seed, K=1):
    """Fraction of seeded repeated runs (median of K shots each) within the BHMT bound of the mean."""
    rng = np.random.default_rng(seed)
    ys = rng.choice(p.size, size=(runs, K), p=p)
    ests = np.median(u.estimate(ys), axis=1)
    return float(np.mean(np.abs(ests - u.true_mean) <= u.error_bound() + 1e-12))


def test_univariate_mean_qsim_n8():
    vals = (1, 0, 0, 1, 1, 1, 0, 1)  # Bernoulli values, mean 5/8; M = 32
    u = UnivariateMeanEstimation(8, 1, 5, values=vals)
    assert u.error_bound() < 0.25  # a meaningful bound, not the whole range [0, 1]
    p = phase_distribution(u)
    # the simulated circuit reproduces BHMT's outcome distribution exactly
    assert np.allclose(p, ae_outcome_distribution(u.amplitude, 5), atol=1e-5)
    # 2000 seeded runs: within the Thm 12 bound at least 8/pi^2 of the time (4-sigma slack)
    rate = _success_rate(u, p, 2000, seed=7)
    sd = math.sqrt(AE_SUCCESS_PROBABILITY * (1 - AE_SUCCESS_PROBABILITY) / 2000)
    print("univariate n=8 b=1 m=5: mean", u.true_mean, "bound", u.error_bound(), "success rate", rate)
    assert rate >= AE_SUCCESS_PROBABILITY - 4 * sd
    # medians of K runs: within the bound with probability >= 1 - delta (Hoeffding)
    delta = 0.1
    K = median_repetitions(delta)
    rate_med = _success_rate(u, p, 400, seed=8, K=K)
    print("median of", K, "runs: success rate", rate_med)
    assert rate_med >= 1 - delta - 4 * math.sqrt(delta * (1 - delta) / 400)


def test_multivariate_mean_qsim_d2():
    rng = np.random.default_rng(3)
    data = rng.integers(0, 2, size=(8, 2))
    mv = MultivariateMeanEstimation(8, 2, 1, 5, repetitions=median_repetitions(0.05 / 2), data=data)
    ests = []
    for j in range(2):
        u = mv.coordinate(j)
        p = phase_distribution(u)
        assert np.allclose(p, ae_outcome_distribution(u.amplitude, 5), atol=1e-5)
        ys = np.random.default_rng(100 + j).choice(p.size, size=int(mv.repetitions), p=p)
        ests.append(median_of_runs(u.estimate(ys)))
        assert abs(ests[-1] - u.true_mean) <= u.error_bound()
    err = np.linalg.norm(np.array(ests) - data.mean(axis=0))
    bound = math.sqrt(sum(mv.coordinate(j).error_bound() ** 2 for j in range(2)))
    print("multivariate d=2: estimate", ests, "true", data.mean(axis=0), "l2 err", err, "bound", bound)
    assert err <= bound


@pytest.mark.slow
def test_univariate_mean_qsim_n8_m4_b3():
    vals = (1, 7, 2, 0, 3, 5, 1, 4)
    u = UnivariateMeanEstimation(8, 3, 4, values=vals)
    p = phase_distribution(u)
    assert np.allclose(p, ae_outcome_distribution(u.amplitude, 4), atol=1e-5)
    rate = _success_rate(u, p, 4000, seed=17)
    print("univariate n=8 b=3 m=4: success rate", rate)
    assert rate >= AE_SUCCESS_PROBABILITY - 4 * math.sqrt(0.81 * 0.19 / 4000)


def test_bloq_examples():
    from qualtran.testing import assert_bloq_example_decompose, assert_bloq_example_make

    from bloqs.mean_estimation import _univariate_mean_small, _univariate_mean_symb

    assert_bloq_example_make(_univariate_mean_small)
    assert_bloq_example_make(_univariate_mean_symb)
    assert_bloq_example_decompose(_univariate_mean_small)
