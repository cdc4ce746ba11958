"""Nystrom bloqs of the QAttention data structure: gate-level features, oracles, landmark sampling, kernel mean."""

import math

import numpy as np
import pytest
import sympy

from estimates.cost_checks import assert_costs_consistent
from bloqs.nystrom import (
    KernelOracleCostModel,
    LandmarkFeatures,
    LandmarkKernelMean,
    NystromLandmarkSampling,
    landmark_draws_expr,
    median_reps_expr,
    phase_bits_expr,
    symbols,
    table_lookup,
)
from bloqs.loaders import AssumedQRAMRowLoader, QRAMLookup, QROMRowLoader
from bloqs.qroam import RowUnload
from bloqs.sampling import ImportanceSampler
from estimates.counts import logical_counts
from qattn_cirq.errors import QattnInputError

FEATURE_POINTS = [
    (1, 1, 2, ((1,),)),
    (2, 2, 2, ((1, -1), (0, 1))),
    (2, 1, 3, ((3, -2),)),
]


@pytest.mark.parametrize("d,s,b,landmarks", FEATURE_POINTS)
def test_landmark_features_costs_consistent(d, s, b, landmarks):
    f = LandmarkFeatures(d, s, b, landmarks=landmarks, scale=0.7, frac_bits=3)
    t = assert_costs_consistent(f, check_cirq=(d * b <= 4))
    # closed form: per landmark two inner products (the second one subtracts) and one kernel
    expect = sum(
        logical_counts(f.inner_product(l)).t_count
        + logical_counts(f.inner_product(l, subtract=True)).t_count
        + logical_counts(f.kernel).t_count
        for l in range(s)
    )
    assert t == expect


def test_landmark_features_classical_action_vs_numpy():
    d, s, b = 2, 2, 3
    lm = ((3, -2), (-1, 2))
    f = LandmarkFeatures(d, s, b, landmarks=lm, scale=0.6, frac_bits=6)
    cb = f.decompose_bloq()
    rng = np.random.default_rng(0)
    unit = 2.0 ** -(b - 1)
    bound = f.kernel.error_bound()
    for _ in range(12):
        q = rng.integers(-(2 ** (b - 1)), 2 ** (b - 1), size=d)
        out = f.call_classically(q=q, k=np.zeros(s, dtype=np.int64))
        assert np.array_equal(np.asarray(cb.call_classically(q=q, k=np.zeros(s, dtype=np.int64))[1]), np.asarray(out[1]))
        for l in range(s):
            exact = math.exp(0.6 * sum(x * y for x, y in zip(lm[l], q)) * unit * unit)
            got = int(out[1][l]) * 2.0 ** (-2 * f.frac_bits)
            assert abs(got - exact) <= bound + 1e-12


def test_features_symbolic_linear_in_s_and_free_of_n():
    n, d, s, alpha, eps, b = symbols()
    t = logical_counts(LandmarkFeatures(d, s, b)).t_count
    assert {x.name for x in sympy.sympify(t).free_symbols} == {"d", "s", "b"}
    assert sympy.simplify(t.subs(s, 2 * s) - 2 * t) == 0


def test_kernel_oracle_loader_switch():
    n, d, s, alpha, eps, b = symbols()
    at = lambda loader, nn, quad=False: float(
        logical_counts(KernelOracleCostModel(n, d, s, b, loader, quadratic=quad)).t_count.subs({n: nn, d: 4, s: 3, b: 6})
    )
    t = lambda bloq: logical_counts(bloq).t_count  # noqa: E731
    # QROM row load (4n - 8 T) + measurement-based RowUnload (ceil(n/K') + K' - 4 And)
    du = t(RowUnload(2048, 4, 6)) - t(RowUnload(1024, 4, 6))
    assert du == 4 * ((64 + 32 - 4) - (32 + 32 - 4))
    assert at("qrom", 2048) - at("qrom", 1024) == 4 * 1024 + du
    # assumed QRAM: the uncompute is a second access (polylog, cheaper than Theta(sqrt n) at scale)
    da = t(AssumedQRAMRowLoader(2048, 4, 6)) - t(AssumedQRAMRowLoader(1024, 4, 6))
    assert at("assumed", 2048) - at("assumed", 1024) == 2 * da
    # the ridge-score quadratic form adds s inner products with M's rows and s Products (x2)
    assert at("qrom", 1024, True) > at("qrom", 1024)
    with pytest.raises(QattnInputError):
        KernelOracleCostModel(8, 2, 2, 3, loader="ram")
    assert logical_counts(QRAMLookup(1024, 8)).toffoli == AssumedQRAMRowLoader(1024, 1, 8).toffoli_count()
    assert isinstance(table_lookup("assumed", 16, 4), QRAMLookup)


@pytest.mark.parametrize(
    "weights", [(1, 3, 2, 0, 1, 1, 3, 2), (3, 1, 1, 1, 2, 2, 1, 1), (1, 1, 1, 1, 1, 1, 1, 3)]
)
def test_landmark_sampling_concrete_is_draws_times_sampler(weights):
    ls = NystromLandmarkSampling(4, 2, 2, 2, weights=weights, draws=5)
    t_sampler = assert_costs_consistent(ls.sampler)
    assert ls.sampler == ImportanceSampler(8, 2, weights)
    assert logical_counts(ls).t_count == 5 * t_sampler
    assert logical_counts(ls).qubits == logical_counts(ls.sampler).qubits


def test_landmark_sampling_symbolic():
    n, d, s, alpha, eps, b = symbols()
    ls = NystromLandmarkSampling(n, d, s, b)
    c = logical_counts(ls)
    assert {x.name for x in sympy.sympify(c.t_count).free_symbols} == {"n", "d", "s", "b"}
    assert ls.n_draws == landmark_draws_expr(s)
    assert landmark_draws_expr(4) == math.ceil(4 * math.log(40))
    with pytest.raises(QattnInputError):
        NystromLandmarkSampling(4, 2, 2, 2, weights=(1, 2, 3))


def test_kernel_mean_concrete_and_symbolic():
    values = ((1, 3), (2, 0), (3, 3), (0, 1))
    km = LandmarkKernelMean(4, 2, 2, 2, 0.6, method="coordinate", values=values)
    assert km.phase_bits == phase_bits_expr(0.6) == 3
    K = km.repetitions
    assert K == median_reps_expr(2)
    t0 = assert_costs_consistent(km.coordinate(0), check_cirq=False)
    t1 = logical_counts(km.coordinate(1)).t_count
    assert logical_counts(km).t_count == K * (t0 + t1)
    n, d, s, alpha, eps, b = symbols()
    chj = logical_counts(LandmarkKernelMean(n, d, s, b, eps)).t_count
    assert {x.name for x in sympy.sympify(chj).free_symbols} == {"n", "d", "s", "b", "eps"}
    # CHJ: halving eps doubles the queries (to leading order)
    f = lambda e: float(chj.subs({n: 2**20, d: 8, s: 8, b: 8, eps: e}))
    assert 1.9 < f(sympy.Rational(1, 200)) / f(sympy.Rational(1, 100)) < 2.1
    with pytest.raises(QattnInputError):
        LandmarkKernelMean(4, 2, 2, 2, 0.5, method="median")
    with pytest.raises(QattnInputError):
        LandmarkKernelMean(4, 2, 2, 2, 0.5, method="chj", values=values)


@pytest.mark.parametrize("n,d,s,b", [(64, 4, 4, 3), (1024, 16, 8, 8), (4096, 128, 64, 8)])
@pytest.mark.parametrize("quadratic", [False, True])
def test_kernel_oracle_symbolic_at_points_equals_concrete(n, d, s, b, quadratic):
    N, D, S, alpha, eps, B = symbols()
    sym = logical_counts(KernelOracleCostModel(N, D, S, B, quadratic=quadratic)).t_count
    conc = KernelOracleCostModel(n, d, s, b, quadratic=quadratic)
    assert int(sympy.sympify(sym).subs({N: n, D: d, S: s, B: b})) == logical_counts(conc).t_count
    # one load + one measurement-based unload of row j
    counts = conc.build_call_graph(None)
    loads = {bl: k for bl, k in counts.items() if isinstance(bl, (QROMRowLoader, RowUnload))}
    assert sorted(loads.values()) == [1, 1] and conc.row_loader in loads


def test_kernel_oracle_costs_below_the_old_ones():
    """(4096, 128, 64, 8): kernel-row oracle 11,624,432 -> 8,575,464 T (RowUnload for the row
    and inside KernelExp); ridge-score oracle: see tests/bloqs/test_sampling.py."""
    new = logical_counts(KernelOracleCostModel(4096, 128, 64, 8)).t_count
    assert new == 8_575_464 and new < 0.74 * 11_624_432
