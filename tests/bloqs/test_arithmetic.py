"""Inner product with a classical vector and signed threshold comparison: costs (call graph ==
flattened decomposition == Cirq == closed form), classical action vs numpy, circuits vs classical."""

import cirq
import numpy as np
import pytest
import sympy
import qualtran.testing as qlt
from hypothesis import given, settings
from hypothesis import strategies as st
from qualtran import QInt
from qualtran._infra.gate_with_registers import get_named_qubits
from qualtran.resource_counting import QubitCount, get_cost_value

from bloqs.arithmetic import (
    ClassicalInnerProduct,
    ThresholdCompare,
    _classical_inner_product,
    _classical_inner_product_symb,
    _threshold_compare,
    _threshold_compare_symb,
    acc_bits_for,
    naf_digits,
    naf_max_weight,
)
from estimates.cost_checks import assert_costs_consistent, call_graph_t_count
from qattn_cirq.errors import QattnInputError

D, B, W, TAU = sympy.symbols("d b w tau", positive=True, integer=True)


def _rng_signed(rng, b, size=None):
    return rng.integers(-(2 ** (b - 1)), 2 ** (b - 1), size=size)


def _wrap(x, bits):
    x = int(x) % 2**bits
    return x - 2**bits if x >= 2 ** (bits - 1) else x


def _worst_query_entry(b):
    """A b-bit int whose NAF has the maximal weight at positions 0, 2, 4, ... (the worst case)."""
    dmax = naf_max_weight(b)
    for x in range(-(2 ** (b - 1)), 2 ** (b - 1)):
        if [p for p, _ in naf_digits(x)] == list(range(0, 2 * dmax, 2)):
            return x
    raise AssertionError(f"no worst-case query entry for b={b}")


# ---------------------------------------------------------------------------------------------
# NAF and accumulator width
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("b", range(2, 12))
def test_naf_exact_nonadjacent_and_max_weight(b):
    weights = []
    for x in range(-(2 ** (b - 1)), 2 ** (b - 1)):
        dig = naf_digits(x)
        assert sum(s * 2**p for p, s in dig) == x
        ps = [p for p, _ in dig]
        assert all(q - p >= 2 for p, q in zip(ps, ps[1:]))
        assert all(p <= b - 1 for p in ps)
        weights.append(len(dig))
    assert max(weights) == naf_max_weight(b) == -(-b // 2)
    _worst_query_entry(b)  # the worst case is attained


@pytest.mark.parametrize("d", [1, 2, 3, 4, 7, 8])
@pytest.mark.parametrize("b", [2, 3, 4, 8])
def test_acc_bits_holds_the_extremes_and_is_tight(d, b):
    lo, hi = -(2 ** (b - 1)), 2 ** (b - 1) - 1
    A = acc_bits_for(d, b)
    extremes = [d * lo * lo, d * lo * hi, d * hi * hi]
    assert all(-(2 ** (A - 1)) <= v <= 2 ** (A - 1) - 1 for v in extremes)
    assert not d * lo * lo <= 2 ** (A - 2) - 1 or d == 0  # one bit fewer overflows (tight)
    assert int(acc_bits_for(D, B).subs({D: d, B: b})) == A
    # With a concrete query the exact range is used, never wider than the generic bound.
    q = [lo] * d
    Aq = acc_bits_for(d, b, q)
    assert Aq <= A and -(2 ** (Aq - 1)) <= d * lo * hi and d * lo * lo <= 2 ** (Aq - 1) - 1


# ---------------------------------------------------------------------------------------------
# Inner product: cost honesty
# ---------------------------------------------------------------------------------------------
IP_POINTS = [(1, 2, (1,)), (2, 2, (-2, 1)), (2, 3, (3, -4)), (1, 3, (-3,)), (2, 3, (2, 0))]


@pytest.mark.parametrize("d,b,q", IP_POINTS)
@pytest.mark.parametrize("subtract", [False, True])
def test_inner_product_costs_consistent(d, b, q, subtract):
    bloq = ClassicalInnerProduct(d, b, q, subtract=subtract)
    t = assert_costs_consistent(bloq)
    A = bloq.acc_bits
    # Closed form: one (A - p)-bit Gidney adder (A - p - 1 And) per non-zero NAF digit.
    assert t == 4 * sum(A - p - 1 for x in q for p, _ in naf_digits(x)) == 4 * bloq.and_count()
    assert get_cost_value(bloq, QubitCount()) == get_cost_value(bloq.decompose_bloq(), QubitCount())


@pytest.mark.parametrize("d,b", [(1, 2), (2, 2), (1, 3), (2, 3), (3, 4)])
def test_inner_product_worst_case_formula(d, b):
    """Symbolic formula == cost-only call graph == decomposition of a query attaining the worst case."""
    sym = call_graph_t_count(ClassicalInnerProduct(D, B))
    cost_only = call_graph_t_count(ClassicalInnerProduct(d, b))
    worst = ClassicalInnerProduct(d, b, [_worst_query_entry(b)] * d)
    assert int(sym.subs({D: d, B: b})) == cost_only == assert_costs_consistent(worst)
    A, Dw = acc_bits_for(d, b), naf_max_weight(b)
    assert cost_only == 4 * d * Dw * (A - Dw)
    # Every concrete query costs at most the worst case.
    rng = np.random.default_rng(d * 10 + b)
    for _ in range(30):
        assert call_graph_t_count(ClassicalInnerProduct(d, b, _rng_signed(rng, b, d))) <= cost_only
    # Qubits: worst-case closed form == decomposition of the worst query.
    sym_q = get_cost_value(ClassicalInnerProduct(D, B), QubitCount())
    assert int(sym_q.subs({D: d, B: b})) == get_cost_value(worst.decompose_bloq(), QubitCount())


def test_inner_product_vs_best_known_adder():
    # Each shifted addition is one Gidney adder: 4(w - 1) T for w bits (ratio 1 per adder).
    bloq = ClassicalInnerProduct(1, 3, (1,))
    A = bloq.acc_bits
    assert call_graph_t_count(bloq) == 4 * (A - 1)


# ---------------------------------------------------------------------------------------------
# Inner product: semantics
# ---------------------------------------------------------------------------------------------
def test_inner_product_classical_vs_numpy_many_inputs():
    """>= 1000 random inputs plus the extremes, for several (d, b), against numpy."""
    rng = np.random.default_rng(0)
    n_checked = 0
    for d, b in [(1, 2), (2, 2), (2, 3), (3, 4), (4, 8), (16, 8)]:
        lo, hi = -(2 ** (b - 1)), 2 ** (b - 1) - 1
        specials = [np.full(d, lo), np.full(d, hi), np.full(d, -1), np.zeros(d, int), np.full(d, 1)]
        queries = specials + [_rng_signed(rng, b, d) for _ in range(15)]
        rows = specials + [_rng_signed(rng, b, d) for _ in range(6)]
        for q in queries:
            bloq = ClassicalInnerProduct(d, b, q)
            A = bloq.acc_bits
            for row in rows:
                ip = int(np.dot(np.asarray(q, dtype=np.int64), np.asarray(row, dtype=np.int64)))
                # From acc = 0 the exact value fits (no overflow at the extremes).
                assert bloq.call_classically(row=row, acc=0)[1] == ip
                acc0 = int(rng.integers(-(2 ** (A - 1)), 2 ** (A - 1)))
                assert bloq.call_classically(row=row, acc=acc0)[1] == _wrap(acc0 + ip, A)
                assert bloq.adjoint().call_classically(row=row, acc=acc0)[1] == _wrap(acc0 - ip, A)
                n_checked += 1
    assert n_checked >= 1000


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_inner_product_hypothesis(data):
    d = data.draw(st.integers(1, 4))
    b = data.draw(st.integers(2, 9))
    ints = st.integers(-(2 ** (b - 1)), 2 ** (b - 1) - 1)
    q = data.draw(st.lists(ints, min_size=d, max_size=d))
    row = data.draw(st.lists(ints, min_size=d, max_size=d))
    bloq = ClassicalInnerProduct(d, b, q)
    assert bloq.call_classically(row=np.array(row), acc=0)[1] == sum(x * y for x, y in zip(q, row))


@pytest.mark.parametrize("d,b,q", IP_POINTS + [(2, 3, (-4, -4)), (3, 4, (-7, 5, -8))])
def test_inner_product_decomposition_classical(d, b, q):
    bloq = ClassicalInnerProduct(d, b, q)
    qlt.assert_valid_bloq_decomposition(bloq)
    cbloq = bloq.decompose_bloq()
    rng = np.random.default_rng(1)
    lo = -(2 ** (b - 1))
    A = bloq.acc_bits
    cases = [(np.full(d, lo), 0), (np.full(d, 2 ** (b - 1) - 1), -(2 ** (A - 1)))]
    cases += [(_rng_signed(rng, b, d), int(rng.integers(-(2 ** (A - 1)), 2 ** (A - 1)))) for _ in range(25)]
    for row, acc in cases:
        assert cbloq.call_classically(row=row, acc=acc)[1] == bloq.call_classically(row=row, acc=acc)[1]
    # The adjoint (subtract) composes to the identity.
    for row, acc in cases[:5]:
        r2, a2 = bloq.call_classically(row=row, acc=acc)
        assert bloq.adjoint().call_classically(row=r2, acc=a2)[1] == acc


def _cirq_basis_run(bloq, inputs):
    """Run the bloq's Cirq circuit on a computational basis state; return output register ints."""
    quregs = get_named_qubits(bloq.signature.lefts())
    circuit = cirq.Circuit(cirq.decompose(bloq.as_composite_bloq().to_cirq_circuit(cirq_quregs=quregs)))
    prep = []
    for reg in bloq.signature.lefts():
        vals = np.asarray(inputs[reg.name]).reshape(-1)
        qubits = np.asarray(quregs[reg.name]).reshape(len(vals), -1)
        for v, qs in zip(vals, qubits):
            bits = reg.dtype.to_bits(int(v))
            prep += [cirq.X(q) for q, bit in zip(qs, bits) if bit]
    reg_qubits = {q for v in quregs.values() for q in np.asarray(v).ravel()}
    order = sorted(circuit.all_qubits() | reg_qubits)
    res = cirq.Simulator().simulate(cirq.Circuit(prep) + circuit, qubit_order=order)
    idx = int(np.argmax(np.abs(res.final_state_vector)))
    assert abs(res.final_state_vector[idx]) == pytest.approx(1.0, abs=1e-5)
    bits = dict(zip(order, format(idx, f"0{len(order)}b")))
    out = {}
    for reg in bloq.signature.rights():
        qubits = np.asarray(quregs[reg.name]).reshape(-1, reg.dtype.num_qubits)
        vals = [reg.dtype.from_bits([int(bits[q]) for q in qs]) for qs in qubits]
        out[reg.name] = vals if reg.shape else vals[0]
    # Ancillas are back to |0>.
    assert all(bits[q] == "0" for q in order if q not in reg_qubits)
    return out


def test_inner_product_cirq_circuit_matches_classical():
    """The Cirq circuit (not only Qualtran's classical actions) computes the product: this is
    where mixed-width signed Add's zero-extension would show up."""
    bloq = ClassicalInnerProduct(1, 2, (-1,))
    for row, acc in [((-2,), 0), ((1,), -8), ((-1,), 7), ((-2,), 5)]:
        out = _cirq_basis_run(bloq, {"row": row, "acc": acc})
        assert out["acc"] == bloq.call_classically(row=np.array(row), acc=acc)[1]
        assert list(out["row"]) == list(row)
    bloq = ClassicalInnerProduct(1, 2, (-2,), acc_bitsize=4)
    for row, acc in [((-2,), 0), ((1,), 3)]:
        assert _cirq_basis_run(bloq, {"row": row, "acc": acc})["acc"] == bloq.call_classically(row=np.array(row), acc=acc)[1]


# ---------------------------------------------------------------------------------------------
# Threshold comparison
# ---------------------------------------------------------------------------------------------
CMP_POINTS = [(2, -2), (3, 0), (4, 5), (5, -3), (6, 31), (6, -32)]


@pytest.mark.parametrize("w,t", CMP_POINTS)
def test_threshold_costs_consistent(w, t):
    bloq = ThresholdCompare(w, t)
    cost = assert_costs_consistent(bloq)
    sym = call_graph_t_count(ThresholdCompare(W, TAU))
    assert int(sym.subs({W: w, TAU: t})) == cost == 4 * w  # best known: w And, ratio 1
    assert get_cost_value(bloq, QubitCount()) == get_cost_value(bloq.decompose_bloq(), QubitCount())
    assert int(get_cost_value(ThresholdCompare(W, TAU), QubitCount()).subs({W: w})) == get_cost_value(
        bloq.decompose_bloq(), QubitCount()
    )


@pytest.mark.parametrize("w", [2, 3, 4, 5])
def test_threshold_classical_and_decomposition_exhaustive(w):
    lo, hi = -(2 ** (w - 1)), 2 ** (w - 1) - 1
    for t in sorted({lo, lo + 1, -1, 0, 1, hi - 1, hi}):
        bloq = ThresholdCompare(w, t)
        qlt.assert_valid_bloq_decomposition(bloq)
        cbloq = bloq.decompose_bloq()
        for x in range(lo, hi + 1):
            for f in (0, 1):
                expect = (x, f ^ int(x >= t))
                assert bloq.call_classically(x=x, flag=f) == expect
                assert cbloq.call_classically(x=x, flag=f) == expect


def test_threshold_many_random_vs_numpy():
    rng = np.random.default_rng(5)
    n = 0
    for w in [2, 3, 8, 12, 20]:
        lo, hi = -(2 ** (w - 1)), 2 ** (w - 1) - 1
        for t in [lo, hi, 0, -1] + list(rng.integers(lo, hi + 1, size=10)):
            bloq = ThresholdCompare(w, int(t))
            xs = np.concatenate([[lo, hi, -1, 0, 1], rng.integers(lo, hi + 1, size=20)])
            got = np.array([bloq.call_classically(x=int(x), flag=0)[1] for x in xs])
            np.testing.assert_array_equal(got, (xs >= t).astype(int))
            n += len(xs)
    assert n >= 1000


def test_threshold_cirq_circuit_matches_classical():
    bloq = ThresholdCompare(3, -1)
    for x in range(-4, 4):
        for f in (0, 1):
            out = _cirq_basis_run(bloq, {"x": x, "flag": f})
            assert (out["x"], out["flag"]) == (x, f ^ int(x >= -1))


# ---------------------------------------------------------------------------------------------
# Examples, symbolic, bad input
# ---------------------------------------------------------------------------------------------
def test_bloq_examples_and_symbolic():
    for ex in [_classical_inner_product, _classical_inner_product_symb, _threshold_compare, _threshold_compare_symb]:
        qlt.assert_bloq_example_make(ex)
    for ex in [_classical_inner_product, _threshold_compare]:
        qlt.assert_bloq_example_decompose(ex)
    t = call_graph_t_count(ClassicalInnerProduct(D, B))
    assert t.free_symbols <= {D, B}
    assert ClassicalInnerProduct(D, B).signature.get_left("acc").dtype == QInt(acc_bits_for(D, B))


@pytest.mark.parametrize("make,match", [
    (lambda: ClassicalInnerProduct(0, 2), "d must be"),
    (lambda: ClassicalInnerProduct(1, 1), "bits must be"),
    (lambda: ClassicalInnerProduct(2, 2, (1,)), "query must have"),
    (lambda: ClassicalInnerProduct(1, 2, (2,)), "does not fit"),
    (lambda: ClassicalInnerProduct(1, 2, (-3,)), "does not fit"),
    (lambda: ClassicalInnerProduct(1, 3, (-4,), acc_bitsize=4), "acc_bitsize"),
    (lambda: ThresholdCompare(4, 8), "not representable"),
    (lambda: ThresholdCompare(4, -9), "not representable"),
    (lambda: ThresholdCompare(1, 0), "bitsize must be"),
    (lambda: ThresholdCompare(4, 0.5), "threshold"),
])
def test_bad_input(make, match):
    with pytest.raises(QattnInputError, match=match):
        make()
