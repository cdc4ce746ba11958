"""Tests for bloqs.grover: schedules, oracle action, Grover rotation law, cost consistency."""

import math

import cirq
import numpy as np
import pytest
import sympy
from qualtran._infra.gate_with_registers import get_named_qubits
from qualtran.bloqs.mcmt import And
from qualtran.cirq_interop import BloqAsCirqGate
from qualtran.resource_counting import QECGatesCost, QubitCount, get_cost_value
from qualtran.symbolics import HasLength

from bloqs.cost_checks import assert_costs_consistent, call_graph_t_count
from bloqs.grover import (
    BBHTSchedule,
    FindAllMarked,
    GroverDiffusion,
    GroverIterate,
    GroverSearch,
    IndexEquals,
    RepeatedGroverIterate,
    ThresholdOracle,
    UniformIndexPrepare,
    bbht_expected_iterations,
    bbht_expected_iterations_bound,
    bbht_success_probability,
    find_all_exclusion_checks_expr,
    find_all_expected_oracle_calls,
    find_all_oracle_calls,
    find_all_oracle_calls_expr,
    find_all_schedule,
    grover_iterations,
    grover_success_probability,
)
from estimates.counts import TS_PER_ROTATION, TS_PER_TOFFOLI
from qattn_cirq.errors import QattnInputError

N, D, K, B = (sympy.Symbol(s, positive=True, integer=True) for s in "ndkb")


def _t(gc):
    return gc.t + TS_PER_TOFFOLI * (gc.toffoli + gc.and_bloq + gc.cswap) + TS_PER_ROTATION * gc.rotation


def _costs(bloq, subs=None):
    """(T-count, Toffoli-class, rotations, qubits) of a bloq, optionally substituting symbols."""
    gc = get_cost_value(bloq, QECGatesCost())
    vals = [_t(gc), gc.toffoli + gc.and_bloq + gc.cswap, gc.rotation, get_cost_value(bloq, QubitCount())]
    if subs:
        vals = [sympy.sympify(v).subs(subs).doit() for v in vals]
    return tuple(int(v) for v in vals)


def _instance(n, d, bits, seed=0, tau=1):
    rng = np.random.default_rng(seed)
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1)
    K_ = rng.integers(lo, hi, size=(n, d))
    q = tuple(int(v) for v in rng.integers(lo, hi, size=d))
    if not any(q):
        q = (1,) + q[1:]
    return K_, q, tau


# ---------------------------------------------------------------------------- schedules
def test_grover_iterations_and_success_probability():
    # theta = asin(sqrt(1/8)) = 0.3614 -> floor(pi / (4 theta)) = 2; sin^2(5 theta) = 0.9453
    assert grover_iterations(8, 1) == 2
    assert grover_success_probability(8, 1, 2) == pytest.approx(0.9453125)
    assert grover_iterations(4, 1) == 1 and grover_success_probability(4, 1, 1) == pytest.approx(1.0)
    assert grover_iterations(10, 6) == 0  # more than half marked: measure directly
    for n in (16, 1000, 2**20):
        for m in (1, 3, 7):
            r = grover_iterations(n, m)
            # BBHT Sec. 3: floor(pi/(4 theta)) iterations fail with probability <= m/n
            assert 1 - grover_success_probability(n, m, r) <= m / n + 1e-12


def test_find_all_schedule_counts_and_bound():
    for n, k in [(8, 2), (64, 5), (4096, 32), (2**20, 32)]:
        sched = find_all_schedule(n, k)
        assert [s["remaining"] for s in sched] == list(range(k, 0, -1))
        R = find_all_oracle_calls(n, k)
        assert R == sum(s["iterations"] for s in sched)
        # R <= (pi/4) sqrt(n) sum m^-1/2 < (pi/2) sqrt(nk)
        assert R <= math.pi / 4 * math.sqrt(n) * sum(m**-0.5 for m in range(1, k + 1)) + 1e-9
        assert R < math.pi / 2 * math.sqrt(n * k)
        assert find_all_expected_oracle_calls(n, k) >= R
    # leading term: the ratio to (pi/2) sqrt(nk) tends to 1 as n grows with k fixed (up to the
    # 1 - zeta(1/2)/(2 sqrt k) correction of the k-term sum)
    ratio = find_all_oracle_calls(2**30, 32) / (math.pi / 2 * math.sqrt(2**30 * 32))
    assert 0.85 < ratio < 1.0


def test_find_all_symbolic_sums_match_python():
    for n, k in [(16, 3), (100, 7), (2**20, 32)]:
        R = find_all_oracle_calls_expr(N, K).subs({N: n, K: k}).doit()
        assert int(R) == find_all_oracle_calls(n, k)
        E = find_all_exclusion_checks_expr(N, K).subs({N: n, K: k}).doit()
        assert int(E) == sum(s["iterations"] * s["excluded"] for s in find_all_schedule(n, k))


def test_bbht_schedule():
    # exact round success probability (BBHT Lemma 2) == average of sin^2((2j+1) theta), j < M
    for n, t, M in [(64, 3, 5), (1000, 1, 17), (16, 12, 2)]:
        th = math.asin(math.sqrt(t / n))
        avg = sum(math.sin((2 * j + 1) * th) ** 2 for j in range(M)) / M
        assert bbht_success_probability(n, t, M) == pytest.approx(avg)
    # expected iterations: O(sqrt(n/t)), below the proven 9 m0 and below (9/2) sqrt(n/t)
    for n in (64, 4096, 2**20):
        for t in (1, 2, 7, n // 4, 3 * n // 4):
            e = bbht_expected_iterations(n, t)
            assert e <= float(bbht_expected_iterations_bound(n, t))
            assert e <= 4.5 * math.sqrt(n / t)
            assert float(bbht_expected_iterations_bound(n, t)) <= 9 * math.sqrt(n / t) + 1e-9
    assert 1.3 < bbht_expected_iterations(2**20, 1) / 2**10 < 1.5
    sched = BBHTSchedule(64)
    js = list(sched.rounds(np.random.default_rng(3)))
    # every round draws j uniformly from [0, ceil(m)) with m <= sqrt(n) = 8
    assert all(0 <= j < 8 for j in js)
    assert sum(js) >= sched.stop_budget and sum(js[:-1]) < sched.stop_budget
    assert sched.stop_budget == math.ceil(
        max(bbht_expected_iterations(64, t) for t in range(1, 65)) / 0.01
    )
    assert BBHTSchedule(2**20).stop_budget == math.ceil(9 * 2**10 / 0.01)
    with pytest.raises(QattnInputError, match="lam"):
        BBHTSchedule(64, lam=1.5)


def test_bad_inputs():
    with pytest.raises(QattnInputError, match="marked"):
        grover_iterations(8, 0)
    with pytest.raises(QattnInputError, match="n must"):
        grover_iterations(1, 1)
    with pytest.raises(QattnInputError, match="k must"):
        FindAllMarked(ThresholdOracle(n=4, d=1, bits=2, tau_int=0), 5)
    with pytest.raises(QattnInputError, match="loader"):
        ThresholdOracle(n=4, d=1, bits=2, tau_int=0, loader="ram")
    with pytest.raises(QattnInputError, match="excluded"):
        ThresholdOracle(n=4, d=1, bits=2, tau_int=0, excluded=(4,))


# ---------------------------------------------------------------------------- gate-level action
_MAP = {"XGate": cirq.X, "ZGate": cirq.Z, "CNOT": cirq.CNOT, "CZ": cirq.CZ, "Toffoli": cirq.CCX}


def _gate(op):
    g = op.gate
    if isinstance(g, BloqAsCirqGate) and type(g.bloq).__name__ in _MAP:
        return _MAP[type(g.bloq).__name__]
    return g


def _keep(op):
    g = _gate(op)
    if isinstance(g, (And, cirq.GlobalPhaseGate)):
        return True
    pows = (cirq.XPowGate, cirq.ZPowGate, cirq.CXPowGate, cirq.CZPowGate, cirq.CCXPowGate, cirq.CCZPowGate)
    return isinstance(g, pows) and g.exponent == 1 and getattr(g, "global_shift", 0) == 0


def _classical_run(ops, bits):
    """Run a circuit of X/CX/CCX/And (+ Z/CZ phases) on a basis state: (bits, phase).

    An And (and its measurement-based inverse) acts as a Toffoli on its target, which is exact
    here because the target is |0> (compute) or |c1 AND c2> (uncompute).
    """
    phase = 1
    for op in ops:
        g, qs = _gate(op), op.qubits
        v = [bits.get(q, 0) for q in qs]
        if isinstance(g, cirq.GlobalPhaseGate):
            phase *= g.coefficient
        elif isinstance(g, And):
            if v[0] == g.cv1 and v[1] == g.cv2:
                bits[qs[2]] = v[2] ^ 1
        elif isinstance(g, cirq.XPowGate):
            bits[qs[0]] = v[0] ^ 1
        elif isinstance(g, cirq.ZPowGate):
            phase *= (-1) ** v[0]
        elif isinstance(g, cirq.CXPowGate):
            bits[qs[1]] = v[1] ^ v[0]
        elif isinstance(g, cirq.CZPowGate):
            phase *= (-1) ** (v[0] & v[1])
        elif isinstance(g, cirq.CCXPowGate):
            bits[qs[2]] = v[2] ^ (v[0] & v[1])
        else:  # CCZ
            phase *= (-1) ** (v[0] & v[1] & v[2])
    return bits, phase


def _check_oracle_on_basis(oracle, scores, tau, excluded=()):
    quregs = get_named_qubits(oracle.signature.lefts())
    qm = cirq.SimpleQubitManager()
    circ, _ = oracle.as_composite_bloq().to_cirq_circuit_and_quregs(qubit_manager=qm, **quregs)
    ops = list(cirq.decompose(circ, keep=_keep, context=cirq.DecompositionContext(qm)))
    sel = list(quregs["selection"].flatten())
    L = len(sel)
    for j in range(oracle.n):
        start = {q: int(c) for q, c in zip(sel, format(j, f"0{L}b"))}
        out, phase = _classical_run(ops, dict(start))
        marked = scores[j] >= tau and j not in excluded
        assert phase == pytest.approx(-1 if marked else 1), (j, scores[j])
        assert [out[q] for q in sel] == [start[q] for q in sel]
        ancillas = {q: v for q, v in out.items() if q not in sel}
        assert ancillas and all(v == 0 for v in ancillas.values()), f"ancilla left set for j={j}"


@pytest.mark.parametrize("n,d,bits,excluded", [(8, 2, 2, ()), (6, 2, 3, (1, 4)), (5, 1, 3, (0,))])
def test_threshold_oracle_phases_and_clean_ancillas(n, d, bits, excluded):
    K_, q, _ = _instance(n, d, bits, seed=n + d)
    scores = K_ @ np.array(q)
    tau = int(np.median(scores))  # some marked, some not
    oracle = ThresholdOracle(n=n, d=d, bits=bits, tau_int=tau, query=q, key_data=K_, excluded=excluded)
    _check_oracle_on_basis(oracle, scores, tau, excluded)


def test_diffusion_is_reflection_about_uniform():
    for n in (5, 8):
        U = GroverDiffusion(n).tensor_contract()
        s = np.zeros(2 ** math.ceil(math.log2(n)))
        s[:n] = 1 / math.sqrt(n)
        ref = 2 * np.outer(s, s) - np.eye(len(s))
        np.testing.assert_allclose(U[:n, :n], ref[:n, :n], atol=1e-8)


def _marked_probability(search: GroverSearch, marked):
    quregs = get_named_qubits(search.signature.lefts())
    circ, out = search.as_composite_bloq().to_cirq_circuit_and_quregs(**quregs)
    sel = list(out["selection"].flatten())
    others = sorted(set(circ.all_qubits()) - set(sel))
    psi = cirq.Simulator(dtype=np.complex128).simulate(circ, qubit_order=sel + others).final_state_vector
    p = np.abs(psi.reshape(2 ** len(sel), -1)) ** 2
    return float(p[list(marked)].sum()), float(p[: search.iterate.n].sum())


@pytest.mark.parametrize("n", [8, pytest.param(6, marks=pytest.mark.slow)])
def test_grover_rotation_law(n):
    """After r iterates the marked-set probability is sin^2((2r+1) theta), sin^2 theta = |S|/n."""
    K_, q, _ = _instance(n, 1, 2, seed=11)
    scores = K_ @ np.array(q)
    tau = int(np.max(scores))
    marked = [j for j in range(n) if scores[j] >= tau]
    G = GroverIterate(ThresholdOracle(n=n, d=1, bits=2, tau_int=tau, query=q, key_data=K_), n)
    theta = math.asin(math.sqrt(len(marked) / n))
    for r in range(4 if n == 8 else 3):
        p, in_range = _marked_probability(GroverSearch(G, r), marked)
        assert p == pytest.approx(math.sin((2 * r + 1) * theta) ** 2, abs=1e-6)
        assert in_range == pytest.approx(1.0, abs=1e-9)  # never leaves the n valid indices


# ---------------------------------------------------------------------------- cost consistency
@pytest.mark.parametrize("n", [2, 5, 8, 16])
def test_diffusion_and_index_equals_costs(n):
    assert_costs_consistent(GroverDiffusion(n))
    for e in {0, n // 2, n - 1}:
        t = assert_costs_consistent(IndexEquals(n, e))
        L = max(1, math.ceil(math.log2(n)))
        assert t == 4 * (L - 1)


@pytest.mark.parametrize(
    "n,d,bits,loader",
    [
        (4, 1, 2, "qrom"),
        (8, 2, 2, "qrom"),
        (16, 1, 3, "qrom"),
        pytest.param(8, 2, 2, "qroam", marks=pytest.mark.slow),
        pytest.param(16, 1, 2, "qroam", marks=pytest.mark.slow),
        pytest.param(5, 2, 3, "qrom", marks=pytest.mark.slow),
    ],
)
def test_oracle_and_iterate_costs_consistent(n, d, bits, loader):
    K_, q, _ = _instance(n, d, bits, seed=n * d + bits)
    tau = int(np.median(K_ @ np.array(q)))
    oracle = ThresholdOracle(n=n, d=d, bits=bits, tau_int=tau, loader=loader, query=q, key_data=K_)
    assert_costs_consistent(oracle)
    assert_costs_consistent(GroverIterate(oracle, n))
    # qubits: our formula from the parts == Qualtran's greedy sweep of the decomposition
    assert oracle.qubits_formula() == get_cost_value(oracle, QubitCount())
    ex = ThresholdOracle(n=n, d=d, bits=bits, tau_int=tau, loader=loader, query=q, key_data=K_, excluded=(1, 2))
    assert_costs_consistent(ex)
    assert ex.qubits_formula() == get_cost_value(ex, QubitCount())
    # the cost model with HasLength(2) exclusions costs the same as two concrete exclusions
    model = ThresholdOracle(
        n=n, d=d, bits=bits, tau_int=tau, loader=loader, query=q, key_data=K_, excluded=HasLength(2)
    )
    assert _costs(model) == _costs(ex)


@pytest.mark.parametrize("n,d,bits", [(4, 1, 2), (8, 2, 2), (16, 2, 3), (5, 1, 3)])
def test_symbolic_oracle_formula_at_points(n, d, bits):
    """Symbolic (n, d, b) formula == the concrete worst-case (query=None) call graph."""
    subs = {N: n, D: d, B: bits}
    for loader in ("qrom", "qroam", "assumed"):
        for excl in ((), HasLength(K)):
            sym = ThresholdOracle(n=N, d=D, bits=B, tau_int=0, loader=loader, excluded=excl)
            conc_excl = excl if excl == () else HasLength(3)
            conc = ThresholdOracle(n=n, d=d, bits=bits, tau_int=0, loader=loader, excluded=conc_excl)
            # T-count, rotations, qubits; Toffoli-class too except for qroam, whose symbolic
            # call graph books part of the same T-count as plain T (bloqs.loaders)
            idx = (0, 1, 2, 3) if loader != "qroam" else (0, 2, 3)
            it_sym, it_conc = GroverIterate(sym, N), GroverIterate(conc, n)
            for s_, c_ in ((sym, conc), (it_sym, it_conc)):
                got, want = _costs(s_, {**subs, K: 3}), _costs(c_)
                if loader == "qroam" and n & (n - 1):
                    # the QROAM loader's symbolic block size (a closed form, bloqs.loaders) is not
                    # the searched concrete optimum at every n: the formula is an upper bound
                    assert got[0] >= want[0]
                    continue
                assert [got[i] for i in idx] == [want[i] for i in idx], (loader, excl)


def test_symbolic_uniform_prep_exact_for_pow2_and_odd_bound_otherwise():
    sym = UniformIndexPrepare(N)
    for n in (2, 4, 5, 7, 16, 1024):
        assert _costs(sym, {N: n})[:3] == _costs(UniformIndexPrepare(n))[:3]
    for n in (6, 12, 20):
        assert _costs(sym, {N: n})[0] >= _costs(UniformIndexPrepare(n))[0]


@pytest.mark.parametrize("n,d,bits", [(4, 1, 2), (8, 2, 2), (16, 1, 3)])
def test_decomposed_worst_case_query_equals_symbolic_formula(n, d, bits):
    """Closes the chain: Cirq T == flattened == call graph == symbolic formula at the point.

    (For other data the decomposition can be cheaper: ``test_worst_case_bounds_data_specific_cost``.)

    q_i = 1 (b = 2) or 3 = 4 - 1 (b = 3) has the largest NAF weight ceil(b/2) at the lowest
    positions, and the accumulator width does not depend on q, so this query attains the
    worst-case cost the symbolic formula (query=None) counts.
    """
    q = (1 if bits == 2 else 3,) * d
    # keys with no two rows of an aligned pair equal: Qualtran's QROM prunes unary-iteration
    # branches whose data is constant (cheaper than 4n - 8 T), which this data never allows
    j = np.arange(n)
    K_ = np.stack([(j % 2) - 2 * ((j // 2) % 2)] * d, axis=1)
    tau = int(np.median(K_ @ np.array(q)))
    oracle = ThresholdOracle(n=n, d=d, bits=bits, tau_int=tau, query=q, key_data=K_)
    t = assert_costs_consistent(GroverIterate(oracle, n))
    sym = GroverIterate(ThresholdOracle(n=N, d=D, bits=B, tau_int=0), N)
    got = _costs(sym, {N: n, D: d, B: bits})
    assert got[0] == t
    assert got == _costs(GroverIterate(oracle, n))


def test_worst_case_bounds_data_specific_cost():
    for n, d, bits in [(8, 2, 2), (16, 2, 3)]:
        K_, q, _ = _instance(n, d, bits, seed=5)
        data = ThresholdOracle(n=n, d=d, bits=bits, tau_int=0, query=q, key_data=K_)
        worst = ThresholdOracle(n=n, d=d, bits=bits, tau_int=0)
        assert call_graph_t_count(data) <= call_graph_t_count(worst)


def test_repeated_iterate_symbolic_r_and_search_costs():
    K_, q, _ = _instance(8, 1, 2, seed=2)
    G = GroverIterate(ThresholdOracle(n=8, d=1, bits=2, tau_int=0, query=q, key_data=K_), 8)
    r = sympy.Symbol("r", positive=True, integer=True)
    rep = RepeatedGroverIterate(G, r)
    assert get_cost_value(rep, QubitCount()) == get_cost_value(G, QubitCount())
    assert sympy.simplify(call_graph_t_count(rep) - r * call_graph_t_count(G)) == 0
    for rr in (0, 1, 3):
        search = GroverSearch(G, rr)
        t = assert_costs_consistent(search)
        assert t == rr * call_graph_t_count(G) + call_graph_t_count(UniformIndexPrepare(8))


@pytest.mark.parametrize("n,k", [(8, 1), (16, 3), (5, 2)])
def test_find_all_marked_symbolic_matches_concrete(n, k):
    d, bits = 2, 2
    conc = FindAllMarked(ThresholdOracle(n=n, d=d, bits=bits, tau_int=0), k)
    sym = FindAllMarked(ThresholdOracle(n=N, d=D, bits=B, tau_int=0), K)
    assert _costs(sym, {N: n, D: d, B: bits, K: k}) == _costs(conc)
    # the concrete call graph is the k Grover runs of the schedule
    runs = [
        GroverSearch(GroverIterate(conc.oracle_with(s["excluded"]), n), s["iterations"])
        for s in find_all_schedule(n, k)
    ]
    assert call_graph_t_count(conc) == sum(call_graph_t_count(run) for run in runs)
    assert int(conc.oracle_calls) == find_all_oracle_calls(n, k)


def test_bloq_examples_and_doc_specs():
    import bloqs.attention as attn
    import bloqs.grover as gr

    specs = [gr._THRESHOLD_ORACLE_DOC, gr._GROVER_ITERATE_DOC, gr._FIND_ALL_MARKED_DOC, attn._GROVER_SPARSE_ATTENTION_DOC]
    for spec in specs:
        for ex in spec.examples:
            bloq = ex.make()
            assert isinstance(bloq, spec.bloq_cls)
            t = call_graph_t_count(bloq)
            assert sympy.sympify(t).free_symbols or int(t) > 0
