"""Importance sampling by amplitude amplification: costs, classical action, the simulated output law vs the exact one."""

import math

import numpy as np
import pytest
import sympy
from qualtran import QUInt, Register
from qualtran.resource_counting import QubitCount, get_cost_value

from bloqs.amplification import (
    AmplificationIterate,
    ReflectAboutZero,
    RepeatedIterate,
    optimal_rounds,
    success_probability,
)
from estimates.cost_checks import assert_costs_consistent
from bloqs.sampling import (
    ImportanceSampler,
    UniformIndexAndCoin,
    WeightThresholdFlag,
    leverage_sampler_symbolic,
    leverage_score_sampler,
    leverage_scores,
    quantization_tv,
    quantize_weights,
    ridge_leverage_sampler,
    ridge_leverage_scores,
    ridge_leverage_sampler_symbolic,
    row_distortion,
    row_norm_sampler,
    stable_rank,
    unsigned_levels,
)
from estimates.counts import logical_counts
from qattn_cirq.errors import QattnInputError
from qattn_cirq.simulate import ancilla_weight, bloq_to_cirq, register_probabilities, simulate_state

W8 = (1, 7, 2, 0, 3, 5, 1, 4)


def joint_index_flag(bloq, **sim_kw):
    """Exact joint distribution P[index, flag] of the sampler's output, from a qsim state vector."""
    c = bloq_to_cirq(bloq)
    st = simulate_state(c, **sim_kw)
    assert ancilla_weight(c, st) < 1e-6
    return register_probabilities(c, st, "index", "flag").reshape(-1, 2)[: int(bloq.n)]


# ---------------------------------------------------------------------------------------------
# costs: call graph == flattened decomposition == Cirq T count
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("L", [1, 2, 3, 5])
@pytest.mark.parametrize("controlled", [False, True])
def test_reflection_costs(L, controlled):
    r = ReflectAboutZero((Register("x", QUInt(L)),), controlled=controlled)
    t = assert_costs_consistent(r)
    ands = max(L - 2, 0) if not controlled else max(L - 1, 0)
    assert t == 4 * (ands if ands >= 2 else (1 if ands == 1 else 0))


@pytest.mark.parametrize(
    "n,b,weights,rounds",
    [(4, 2, (1, 3, 0, 2), None), (8, 3, W8, None), (8, 2, (1, 0, 2, 3, 1, 1, 0, 2), 2)],
)
def test_sampler_costs_consistent(n, b, weights, rounds):
    s = ImportanceSampler(n, b, weights, rounds)
    t = assert_costs_consistent(s)
    r = int(s.n_rounds)
    # closed form: F = 2 QROM (<= 4n - 8 T each; Qualtran's QROM skips some work for some data) + b And;
    # per round 2 F + reflection over log n + b qubits; plus one final F.
    L = int(math.log2(n)) + b
    qrom_t = logical_counts(s.flag_oracle.oracle).t_count
    assert qrom_t <= 4 * n - 8
    # the weight is unloaded by measurement (RowUnload, Berry et al. App. C): ceil(n/K') + K' - 4 And
    u = s.flag_oracle.unload
    kp = 2**u.ku
    assert logical_counts(u).t_count == 4 * (-(-n // kp) + kp - 4)
    f_t = qrom_t + logical_counts(u).t_count + 4 * b
    refl_t = 4 * max(L - 2, 0)
    assert t == (2 * r + 1) * f_t + r * refl_t


def test_controlled_iterate_costs():
    it = AmplificationIterate(UniformIndexAndCoin(4, 2), WeightThresholdFlag(4, 2, (1, 3, 0, 2)), controlled=True)
    t = assert_costs_consistent(it)
    # 2 F + controlled reflection (L=4: 3 And); F = QROM (4n - 8) + RowUnload (n=4, K'=2: 0 And) + b And
    assert t == 2 * ((4 * 4 - 8) + 0 + 4 * 2) + 4 * (4 - 1)
    assert assert_costs_consistent(RepeatedIterate(it, 3)) == 3 * t


def test_zero_rounds_width_is_the_circuit_width():
    # r = 0: no iterate is applied, so neither its gates nor its ancillas count (same rule as
    # bloqs.grover.RepeatedGroverIterate, which is this class)
    it = AmplificationIterate(UniformIndexAndCoin(4, 2), WeightThresholdFlag(4, 2, (3, 3, 2, 3)))
    assert RepeatedIterate(it, 0).build_call_graph(None) == {}
    assert get_cost_value(RepeatedIterate(it, 0), QubitCount()) == RepeatedIterate(it, 0).signature.n_qubits()
    for r in (0, 1):
        s = ImportanceSampler(4, 2, (3, 3, 2, 3), r)
        assert get_cost_value(s, QubitCount()) == bloq_to_cirq(s).width


def test_flag_oracle_classical_action_matches_decomposition():
    f = WeightThresholdFlag(8, 3, W8)
    cb = f.decompose_bloq()
    for i in range(8):
        for c in range(8):
            for fl in (0, 1):
                want = f.call_classically(index=i, coin=c, flag=fl)
                assert cb.call_classically(index=i, coin=c, flag=fl) == want
                assert want[2] == fl ^ int(c < W8[i])


def test_symbolic_sampler_call_graph_and_scaling():
    s = leverage_sampler_symbolic()
    c = logical_counts(s)
    assert c.is_symbolic
    n, d, alpha, b = sympy.symbols("n d alpha b", positive=True)
    free = {x.name for x in sympy.sympify(c.t_count).free_symbols}
    assert free == {"n", "d", "alpha", "b"}
    # rounds ~ sqrt(n), each round 2 QROMs of cost ~n: T ~ n^1.5 (QROM loader, no QRAM)
    f = sympy.lambdify([sympy.Symbol(x) for x in ("n", "d", "alpha", "b")],
                       c.t_count.subs({s_: sympy.Symbol(s_.name) for s_ in c.t_count.free_symbols}))
    ns = np.array([2.0**k for k in range(14, 26, 2)])
    ts = np.array([float(f(x, 16, 2.0, 8)) for x in ns])
    slope = np.polyfit(np.log(ns), np.log(ts), 1)[0]
    assert abs(slope - 1.5) < 0.03


@pytest.mark.slow
def test_ridge_symbolic_sampler_has_all_symbols():
    c = logical_counts(ridge_leverage_sampler_symbolic())
    free = {x.name for x in sympy.sympify(c.t_count).free_symbols}
    assert free == {"n", "d", "s", "b"}


# ---------------------------------------------------------------------------------------------
# weights
# ---------------------------------------------------------------------------------------------


def test_quantize_and_tv():
    w = np.array([0.1, 0.7, 0.2, 0.0, 0.3])
    q = quantize_weights(w, 4)
    assert q.max() == 15 and q[3] == 0
    assert 0 <= quantization_tv(w, q) < 0.02
    with pytest.raises(QattnInputError):
        quantize_weights([-1.0, 2.0], 3)
    with pytest.raises(QattnInputError):
        quantize_weights([1.0, 3.0], 3, w_max=2.0)
    with pytest.raises(QattnInputError):
        quantize_weights([1.0, 3.0], 0)


def test_unsigned_levels():
    q = unsigned_levels([0.0, 0.5, 1.0], 3, 1.0)
    assert q.dtype == np.int64 and q.tolist() == [0, 4, 7]  # 3.5 -> 4
    assert unsigned_levels([0.5, 1.0], 1, 1.0).tolist() == [0, 1]  # 0.5 -> 0: half to even
    assert unsigned_levels([1.0, 2.0], 2, 2.0).tolist() == [2, 3]
    w = np.array([0.1, 0.7, 0.2, 0.0, 0.3])
    assert quantize_weights(w, 4).tolist() == unsigned_levels(w, 4, w.max()).tolist()


def test_quantize_weights_keep_support():
    q = quantize_weights([0.0, 1e-6, 0.5, 1.0], 3, keep_support=True)
    assert q.tolist() == [0, 1, 4, 7]
    assert quantize_weights([0.0, 1e-6, 0.5, 1.0], 3).tolist() == [0, 0, 4, 7]
    with pytest.raises(QattnInputError):
        quantize_weights([0.0, 0.0], 3, keep_support=True)


def test_leverage_scores_and_row_distortion():
    rng = np.random.default_rng(1)
    V = rng.normal(size=(32, 4)) * np.array([5.0, 1.0, 1.0, 0.2])
    lev = leverage_scores(V)
    assert np.isclose(lev.sum(), 4) and np.all(lev <= 1 + 1e-12)
    a = row_distortion(V)
    assert 1 - 1e-9 <= a <= 4 / stable_rank(V) + 1e-9
    # acceptance of the row-norm sampler >= d / (alpha n) (module doc), before quantisation
    p = np.sum(V**2, axis=1)
    assert p.sum() / (len(p) * p.max()) >= 4 / (a * 32) - 1e-12


def test_row_distortion_rank_deficient_uses_rank():
    # one definition (qattn_cirq.reference's): leverage scores normalised by r = rank(V) < d
    rng = np.random.default_rng(3)
    V = rng.normal(size=(24, 2)) @ rng.normal(size=(2, 5))  # d = 5, rank 2
    r = np.linalg.matrix_rank(V)
    assert r == 2
    a = row_distortion(V)
    assert 1 - 1e-9 <= a <= r / stable_rank(V) + 1e-9
    p = np.sum(V**2, axis=1)
    assert p.sum() / (len(p) * p.max()) >= r / (a * 24) - 1e-12


def test_ridge_scores_overestimate_with_landmarks():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(12, 2)) / 2
    K = np.exp(X @ X.T / np.sqrt(2))
    lam = 0.5
    tau = ridge_leverage_scores(K, lam)
    assert np.isclose(tau.sum(), np.trace(K @ np.linalg.inv(K + lam * np.eye(12))))
    assert np.all((tau >= 0) & (tau <= 1))
    est = ridge_leverage_scores(K, lam, landmarks=[0, 3, 7])
    assert np.all(est >= tau - 1e-9)  # Musco-Musco: subset-based scores over-estimate


def test_bad_input():
    with pytest.raises(QattnInputError):
        ImportanceSampler(1, 3, (1,))
    with pytest.raises(QattnInputError):
        WeightThresholdFlag(4, 2, (1, 2, 3, 4))  # 4 > 2^2 - 1
    with pytest.raises(QattnInputError):
        ImportanceSampler(4, 2, (0, 0, 0, 0))
    with pytest.raises(QattnInputError):
        ImportanceSampler(sympy.Symbol("n"), 3)  # rounds needed
    with pytest.raises(QattnInputError):
        ridge_leverage_scores(np.eye(3), 0.0)


# ---------------------------------------------------------------------------------------------
# qsim
# ---------------------------------------------------------------------------------------------


#: Bound on the total-variation distance between the law of our compiled, simulated sampler and
#: the exact law. qsim keeps complex64 amplitudes (relative roundoff ~6e-8 per gate); the samplers
#: below come out within ~2e-7 of the exact law, so 1e-5 leaves margin. A bug moves the law by
#: far more: at n = 8, b = 3 (W8), any one weight off by one moves it by >= 0.05, one extra
#: amplification round by 0.87.
TV_BOUND = 1e-5


def exact_joint_law(sampler) -> np.ndarray:
    """P[index = i, flag] of ``F G^r U |0>`` (module docstring of bloqs.sampling): with
    ``p = sin^2((2r+1) theta)``, ``sin^2 theta = sum w / (n 2^b)``, flag = 1 with probability p and
    then ``i ~ w_i / sum w``; flag = 0 otherwise and then ``i ~ (2^b - w_i)``, the coins left."""
    w = np.asarray(sampler.weights, dtype=float)
    p = success_probability(sampler.acceptance, int(sampler.n_rounds))
    rejected = 2.0 ** int(sampler.weight_bits) - w
    law = np.zeros((len(w), 2))
    law[:, 1] = p * w / w.sum()
    law[:, 0] = (1 - p) * rejected / rejected.sum() if rejected.sum() > 0 else 0.0
    return law


def _check_output_distribution(sampler):
    """Our sampler's circuit (compiled by bloq_to_cirq, simulated on qsim) against the exact law, in
    total variation (mass outside ``index < n`` counts as error), and its accepted-index law
    against ``w / sum w``."""
    joint = joint_index_flag(sampler, threads=2)
    exact = exact_joint_law(sampler)
    tv = 0.5 * (np.abs(joint - exact).sum() + abs(1.0 - joint.sum()))
    assert tv <= TV_BOUND, tv
    p_succ = joint[:, 1].sum()
    assert abs(p_succ - sampler.success_probability) <= TV_BOUND
    tv_accepted = 0.5 * np.abs(joint[:, 1] / p_succ - sampler.target_distribution).sum()
    assert tv_accepted <= TV_BOUND / p_succ, tv_accepted  # conditioning divides the error by p
    return {"tv": tv, "tv_accepted": tv_accepted, "success": p_succ}


def test_sampler_distribution_qsim_n8():
    s = ImportanceSampler(8, 3, W8)
    assert s.n_rounds == optimal_rounds(s.acceptance) == 1
    res = _check_output_distribution(s)
    print("n=8 sampler", res)


@pytest.mark.parametrize("rounds", [0, 1, 2])
def test_success_probability_vs_rounds_n16(rounds):
    w = (3, 0, 1, 1, 2, 0, 0, 1, 3, 1, 0, 0, 1, 2, 0, 1)
    s = ImportanceSampler(16, 2, w, rounds=rounds)
    joint = joint_index_flag(s, threads=2)
    assert abs(joint[:, 1].sum() - success_probability(s.acceptance, rounds)) < 1e-5


def test_row_norm_and_ridge_samplers_qsim():
    rng = np.random.default_rng(5)
    V = rng.normal(size=(8, 2))
    s = row_norm_sampler(V, 3)
    res = _check_output_distribution(s)
    print("row-norm sampler", res, "quantisation TV", quantization_tv(np.sum(V**2, 1), s.weights))
    X = rng.normal(size=(8, 2)) / 2
    K = np.exp(X @ X.T / np.sqrt(2))
    r = ridge_leverage_sampler(K, 0.3, 3)
    res = _check_output_distribution(r)
    print("ridge sampler", res)


@pytest.mark.slow
def test_leverage_sampler_qsim_n16():
    rng = np.random.default_rng(9)
    V = rng.normal(size=(16, 3)) * np.array([3.0, 1.0, 0.3])
    s = leverage_score_sampler(V, 3)
    res = _check_output_distribution(s)
    print("leverage sampler n=16", res)


def test_bloq_examples():
    from qualtran.testing import assert_bloq_example_decompose, assert_bloq_example_make

    from bloqs.amplification import _reflect_about_zero
    from bloqs.sampling import _importance_sampler_small, _importance_sampler_symb

    for ex in (_reflect_about_zero, _importance_sampler_small, _importance_sampler_symb):
        assert_bloq_example_make(ex)
    for ex in (_reflect_about_zero, _importance_sampler_small):
        assert_bloq_example_decompose(ex)


def test_computed_row_norm_oracle_and_sampler_qsim():
    from bloqs.sampling import RowNormSquaredOracle, row_norm_sampler_computed

    rng = np.random.default_rng(5)
    V = rng.normal(size=(8, 2))
    s = row_norm_sampler_computed(V, 1)
    o = s.flag_oracle.oracle
    assert isinstance(o, RowNormSquaredOracle)
    cb = o.decompose_bloq()
    for i in range(8):
        for t in range(2 ** int(o.out_bits)):
            want = o.call_classically(selection=i, target0_=t)
            assert cb.call_classically(selection=i, target0_=t) == want
            assert want[1] == t ^ s.weights[i]
    t = assert_costs_consistent(o)
    assert o.unload is not None  # the row is unloaded by measurement (b = 1: padded entries)
    assert t == logical_counts(o.qrom).t_count + logical_counts(o.unload).t_count + 4 * logical_counts(o.multiplier).t_count
    assert logical_counts(o.unload).t_count < logical_counts(o.qrom).t_count
    assert s.flag_oracle.unload is None  # a computed oracle is run again by F
    res = _check_output_distribution(s)
    print("computed row-norm sampler", res)
    c = logical_counts(leverage_sampler_symbolic(computed=True))
    assert {x.name for x in sympy.sympify(c.t_count).free_symbols} == {"n", "d", "alpha", "b"}


# ---------------------------------------------------------------------------------------------
# measurement-based unload of the weight (Berry et al. App. C) in F, and the ridge-score oracle
# ---------------------------------------------------------------------------------------------

F_POINTS = [
    (4, 2, (1, 3, 0, 2)),
    (5, 2, (3, 0, 1, 2, 1)),
    (8, 3, W8),
    (16, 2, (3, 0, 1, 1, 2, 0, 0, 1, 3, 1, 0, 0, 1, 2, 0, 1)),
]


@pytest.mark.parametrize("n,b,w", F_POINTS)
def test_flag_unload_costs_consistent_and_classical(n, b, w):
    from bloqs.qroam import RowUnload

    f = WeightThresholdFlag(n, b, w)
    assert isinstance(f.unload, RowUnload)
    assert f.build_call_graph(None) == {f.oracle: 1, f.unload: 1, f.comparator: 1}
    t = assert_costs_consistent(f)  # call graph == flattened decomposition == Cirq T count
    assert t == logical_counts(f.oracle).t_count + logical_counts(f.unload).t_count + 4 * b
    cb = f.decompose_bloq()
    for i in range(n):
        for c in range(2**b):
            assert cb.call_classically(index=i, coin=c, flag=1) == f.call_classically(index=i, coin=c, flag=1)
    assert f.adjoint() == f  # self-inverse: used twice by PhaseFlip, never controlled


def test_flag_unload_one_bit_weights_are_padded():
    f = WeightThresholdFlag(5, 1, (1, 0, 1, 1, 0))
    assert f.unload.bits == 2
    # Qualtran's LinearDepthGreaterThan(1) has a wrong Cirq decomposition (124 T for 1 And), so
    # only the call graph and the flattened decomposition are compared here
    assert assert_costs_consistent(f, check_cirq=False) == 8 + 4 * (3 + 2 - 4) + 4
    cb = f.decompose_bloq()
    for i in range(5):
        for c in range(2):
            assert cb.call_classically(index=i, coin=c, flag=0) == f.call_classically(index=i, coin=c, flag=0)


@pytest.mark.parametrize("n", [8, 64, 1024, 2**20])
def test_flag_symbolic_call_graph_at_points_equals_concrete(n):
    nn, bb = sympy.symbols("n b", positive=True, integer=True)
    sym = logical_counts(WeightThresholdFlag(nn, bb)).t_count
    conc = logical_counts(WeightThresholdFlag(n, 8)).t_count
    assert int(sympy.sympify(sym).subs({nn: n, bb: 8})) == conc
    # and below the old F (two QROM lookups + b And)
    assert conc < 2 * (4 * n - 8) + 4 * 8


def test_flag_keeps_two_oracle_calls_for_computed_weights():
    from bloqs.loaders import QRAMLookup
    from bloqs.sampling import RidgeLeverageOracleCostModel, RowNormSquaredOracle

    for oracle in (RowNormSquaredOracle(8, 2, 2), RidgeLeverageOracleCostModel(64, 4, 4, 3), QRAMLookup(64, 3)):
        f = WeightThresholdFlag(oracle.signature.get_left("selection").dtype.iteration_length, oracle.signature.get_left("target0_").dtype.num_qubits, weight_oracle=oracle)
        assert f.unload is None and f.build_call_graph(None) == {oracle: 2, f.comparator: 1}
    # n = 2: no measurement-based unload (K' needs 2 <= K' < n); the QROM costs 0 T anyway
    assert WeightThresholdFlag(2, 2, (1, 2)).unload is None


def _old_kernel_exp(A, p):
    """The pre-RowUnload KernelExp cost shape: tables loaded and unloaded by QROM."""
    from bloqs.kernel import KernelExp, ShiftAddMultiplier
    from qualtran.bloqs.data_loading import QROM

    k = KernelExp.symbolic_cost_model(A, p)
    return {QROM.build_from_bitsize((2**k.hi_bits,), (p,)): 2, QROM.build_from_bitsize((2**k.lo_bits,), (p,)): 2,
            ShiftAddMultiplier(p, p): 1}


def _t_of(counts):
    return sum(k * logical_counts(b).t_count for b, k in counts.items())


def test_ridge_oracle_below_the_old_one_at_llm_scale():
    """(n, d, s, b) = (4096, 128, 64, 8): the old model (2 row QROMs, Product(b, b) for the
    landmark inner products, QROM-unloaded kernel tables, Product(p, p) x 2 s^2 for the quadratic
    form) vs the new one (RowUnload, ClassicalInnerProduct for every product with classical data,
    s quantum x quantum Products)."""
    from qualtran.bloqs.arithmetic import Add
    from qualtran.bloqs.arithmetic.multiplication import Product
    from qualtran.bloqs.data_loading import QROM

    from bloqs.arithmetic import ClassicalInnerProduct
    from bloqs.nystrom import KernelOracleCostModel
    from bloqs.sampling import RidgeLeverageOracleCostModel

    n, d, s, b, p = 4096, 128, 64, 8, 16
    A = 2 * b + 7
    t_ke = _t_of(_old_kernel_exp(A, p))
    old = (_t_of({QROM.build_from_bitsize((n,), (b,), target_shapes=((d,),)): 2, Product(b, b): 2 * s * d,
                  Add(QUInt(A)): 2 * s * d, Product(p, p): 2 * s * s, Add(QUInt(2 * p)): 2 * s * s}) + 2 * s * t_ke)
    new = logical_counts(RidgeLeverageOracleCostModel(n, d, s, b)).t_count
    assert old == 33_218_544
    assert new == logical_counts(KernelOracleCostModel(n, d, s, b, "qrom", quadratic=True)).t_count
    assert new < 0.51 * old  # 16,724,240 T: 1.99x cheaper
    old_kom = (_t_of({KernelOracleCostModel(n, d, s, b).row_loader: 2, ClassicalInnerProduct(d, b): 2 * s,
                      Product(p, p): 2 * s * s, Add(QUInt(2 * p)): 2 * s * s}) + 2 * s * t_ke)
    assert old_kom == 28_893_168
    assert new < 0.58 * old_kom  # 1.73x cheaper
    # the quantum x quantum products are now 2 s instead of 2 s^2 (and none for the landmark rows)
    counts = RidgeLeverageOracleCostModel(n, d, s, b).build_call_graph(None)
    assert {bl: k for bl, k in counts.items() if isinstance(bl, Product)} == {Product(p, p): 2 * s}


@pytest.mark.parametrize("n,d,s,b", [(64, 4, 4, 3), (1024, 16, 8, 8), (4096, 128, 64, 8)])
def test_ridge_oracle_symbolic_at_points_equals_concrete(n, d, s, b):
    from bloqs.sampling import RidgeLeverageOracleCostModel

    N, D, S, B = sympy.symbols("n d s b", positive=True, integer=True)
    sym = logical_counts(RidgeLeverageOracleCostModel(N, D, S, B)).t_count
    conc = logical_counts(RidgeLeverageOracleCostModel(n, d, s, b))
    assert int(sympy.sympify(sym).subs({N: n, D: d, S: s, B: b})) == conc.t_count
    assert conc.qubits > 0
