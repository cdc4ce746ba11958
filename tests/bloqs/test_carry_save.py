"""CarrySaveInnerProduct (carry-save column compression, junk kept, free uncompute) and
ConstantMultiply (NAF shift-and-add): costs (call graph == flattened decomposition == Cirq ==
closed form), worst-case bounds by enumeration, QubitCount vs greedy sweep, classical actions."""

import itertools

import cirq
import numpy as np
import pytest
import sympy
import qualtran.testing as qlt
from hypothesis import given, settings
from hypothesis import strategies as st
from qualtran import BloqBuilder, QInt, Register
from qualtran._infra.gate_with_registers import get_named_qubits
from qualtran.resource_counting import QubitCount, get_cost_value

from bloqs.arithmetic import (
    CarrySaveInnerProduct,
    ClassicalInnerProduct,
    ConstantMultiply,
    _carry_save_inner_product,
    _carry_save_inner_product_symb,
    _constant_multiply,
    _constant_multiply_symb,
    _csa_plan,
    acc_bits_for,
    naf_digits,
    naf_max_weight,
)
from estimates.cost_checks import assert_costs_consistent, call_graph_t_count, cirq_t_count
from qattn_cirq.errors import QattnInputError

D, B, XB, CB = sympy.symbols("d b x_b c_b", positive=True, integer=True)


def _rng_signed(rng, b, size=None):
    return rng.integers(-(2 ** (b - 1)), 2 ** (b - 1), size=size)


def _wrap(x, bits):
    x = int(x) % 2**bits
    return x - 2**bits if x >= 2 ** (bits - 1) else x


def _compute_then_uncompute(bloq):
    """Composite: compute, then uncompute (junk consumed): should be the identity."""
    bb = BloqBuilder()
    row = bb.add_register(Register("row", QInt(bloq.bits), shape=(bloq.d,)))
    acc = bb.add_register(Register("acc", QInt(bloq.acc_bits)))
    outs = bb.add_d(bloq, row=row, acc=acc)
    outs = bb.add_d(bloq.adjoint(), **outs)
    return bb.finalize(**outs)


# ---------------------------------------------------------------------------------------------
# Carry-save inner product: cost honesty
# ---------------------------------------------------------------------------------------------
CSA_POINTS = [(1, 2, (1,)), (2, 2, (-2, 1)), (2, 3, (3, -4)), (1, 3, (-3,)), (3, 2, (1, -1, -2)), (2, 4, (7, -5))]


@pytest.mark.parametrize("d,b,q", CSA_POINTS)
def test_csa_costs_consistent(d, b, q):
    bloq = CarrySaveInnerProduct(d, b, q)
    t = assert_costs_consistent(bloq)  # call graph == flattened decomposition == Cirq
    assert t == 4 * bloq.and_count() > 0
    # Closed form of the greedy compression: sum over columns k < A-1 of floor(n_k / 2).
    A = bloq.acc_bits
    m = [0] * A
    for x in q:
        for p, _ in naf_digits(x):
            for tt in range(b):
                if tt + p < A:
                    m[tt + p] += 1
    const = sum((-(2 ** (b - 1)) + (s < 0)) * 2**p for x in q for p, s in naf_digits(x)) % 2**A
    carry, n_and = 0, 0
    for k in range(A - 1):
        n = m[k] + ((const >> k) & 1) + carry
        carry = n // 2
        n_and += carry
    assert bloq.and_count() == n_and
    # The uncompute: 0 T (And-dagger), same call graph otherwise.
    unc = bloq.adjoint()
    assert unc.uncompute and unc.adjoint() == bloq
    assert assert_costs_consistent(unc, check_cirq=False) == 0
    # Cirq: compute followed by uncompute has exactly the compute's T gates.
    assert cirq_t_count(_compute_then_uncompute(bloq)) == t
    # Qubits: formula b d + A + J == Qualtran's greedy sweep of the decomposition (both directions).
    J = bloq.junk_bits()
    assert J == unc.junk_bits() == bloq.signature.get_right("junk").dtype.num_qubits
    for bl in (bloq, unc):
        assert get_cost_value(bl, QubitCount()) == b * d + A + J == get_cost_value(bl.decompose_bloq(), QubitCount())


@pytest.mark.parametrize("d,b", [(1, 2), (2, 2), (3, 2), (1, 3), (2, 3), (3, 3), (1, 4), (2, 4), (3, 4)])
def test_csa_worst_case_bound_exhaustive(d, b):
    """The query=None bound (And <= d b D + A - 2, J <= And_max + A - 1) >= every query's count."""
    A = acc_bits_for(d, b)
    worst = CarrySaveInnerProduct(d, b)
    bound_and, bound_j = worst.and_count(), worst.junk_bits()
    assert bound_and == d * b * naf_max_weight(b) + A - 2 and bound_j == bound_and + A - 1
    assert int(CarrySaveInnerProduct(D, B).and_count().subs({D: d, B: b})) == bound_and
    assert int(CarrySaveInnerProduct(D, B).junk_bits().subs({D: d, B: b})) == bound_j
    assert call_graph_t_count(worst) == 4 * bound_and
    assert int(call_graph_t_count(CarrySaveInnerProduct(D, B)).subs({D: d, B: b})) == 4 * bound_and
    assert get_cost_value(worst, QubitCount()) == b * d + A + bound_j
    assert int(get_cost_value(CarrySaveInnerProduct(D, B), QubitCount()).subs({D: d, B: b})) == b * d + A + bound_j
    lo, hi = -(2 ** (b - 1)), 2 ** (b - 1)
    max_and = max_j = 0
    for q in itertools.product(range(lo, hi), repeat=d):
        plan = _csa_plan(q, b, A)
        max_and, max_j = max(max_and, plan.counts["and"]), max(max_j, plan.n_anc)
    assert max_and <= bound_and and max_j <= bound_j
    assert max_and >= bound_and - 5  # the bound is close (slack from the constant's bits)


def test_csa_d128_b8_vs_shift_and_add():
    d, b = 128, 8
    csa, sa = CarrySaveInnerProduct(d, b), ClassicalInnerProduct(d, b)
    A, Dw = acc_bits_for(d, b), naf_max_weight(b)
    assert csa.and_count() == d * b * Dw + A - 2 == 4117
    assert csa.junk_bits() == 4117 + A - 1 == 4139
    assert sa.and_count() == 9728
    # A maximal-NAF-weight query (digits at 0, 2, 4, 6) is within 1% of the bound.
    got = _csa_plan([85] * d, b, A).counts["and"]
    assert 0.99 * 4117 <= got <= 4117
    print(f"\nd=128 b=8: CSA And <= {csa.and_count()} (q=85: {got}), J <= {csa.junk_bits()}; "
          f"shift-and-add {sa.and_count()} (+{sa.and_count()} to uncompute); ratio {csa.and_count() / sa.and_count():.3f}")


def test_csa_symbolic():
    bloq = CarrySaveInnerProduct(D, B)
    t = call_graph_t_count(bloq)
    assert t.free_symbols <= {D, B}
    assert call_graph_t_count(bloq.adjoint()) == 0
    assert sympy.simplify(bloq.and_count() - (D * B * sympy.ceiling(B / 2) + acc_bits_for(D, B) - 2)) == 0
    assert bloq.signature.get_right("junk").dtype.num_qubits == bloq.junk_bits()
    assert get_cost_value(bloq, QubitCount()).free_symbols <= {D, B}
    for d, b in [(4, 5), (16, 8), (128, 8)]:
        assert int(get_cost_value(bloq, QubitCount()).subs({D: d, B: b})) == get_cost_value(
            CarrySaveInnerProduct(d, b), QubitCount())


# ---------------------------------------------------------------------------------------------
# Carry-save inner product: semantics
# ---------------------------------------------------------------------------------------------
def test_csa_classical_vs_numpy_and_identity():
    rng = np.random.default_rng(0)
    n = 0
    for d, b in [(1, 2), (2, 2), (2, 3), (3, 4), (4, 8), (16, 8)]:
        lo, hi = -(2 ** (b - 1)), 2 ** (b - 1) - 1
        specials = [np.full(d, lo), np.full(d, hi), np.full(d, -1), np.zeros(d, int)]
        for q in specials + [_rng_signed(rng, b, d) for _ in range(6)]:
            bloq = CarrySaveInnerProduct(d, b, q)
            A = bloq.acc_bits
            unc = bloq.adjoint()
            for row in specials + [_rng_signed(rng, b, d) for _ in range(4)]:
                ip = int(np.dot(np.asarray(q, dtype=np.int64), np.asarray(row, dtype=np.int64)))
                out = bloq.call_classically(row=row, acc=0)
                assert out[1] == ip  # from acc = 0: acc = <q, row> exactly
                acc0 = int(rng.integers(-(2 ** (A - 1)), 2 ** (A - 1)))
                out = bloq.call_classically(row=row, acc=acc0)
                assert out[1] == _wrap((acc0 % 2**A) ^ (ip % 2**A), A)  # acc ^= <q, row> mod 2^A
                back = unc.call_classically(row=out[0], acc=out[1], **({"junk": out[2]} if len(out) > 2 else {}))
                assert list(back[0]) == list(row) and back[1] == acc0
                n += 1
    assert n >= 400


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_csa_hypothesis(data):
    d = data.draw(st.integers(1, 4))
    b = data.draw(st.integers(2, 7))
    ints = st.integers(-(2 ** (b - 1)), 2 ** (b - 1) - 1)
    q = data.draw(st.lists(ints, min_size=d, max_size=d))
    row = data.draw(st.lists(ints, min_size=d, max_size=d))
    bloq = CarrySaveInnerProduct(d, b, q)
    assert bloq.call_classically(row=np.array(row), acc=0)[1] == int(np.dot(q, row))


@pytest.mark.parametrize("d,b,q", CSA_POINTS + [(2, 3, (-4, -4)), (3, 4, (-7, 5, -8)), (2, 3, (0, 0))])
def test_csa_decomposition_classical(d, b, q):
    bloq = CarrySaveInnerProduct(d, b, q)
    qlt.assert_valid_bloq_decomposition(bloq)
    cbloq = bloq.decompose_bloq()
    A = bloq.acc_bits
    rng = np.random.default_rng(1)
    lo = -(2 ** (b - 1))
    cases = [(np.full(d, lo), 0), (np.full(d, 2 ** (b - 1) - 1), -(2 ** (A - 1)))]
    cases += [(_rng_signed(rng, b, d), int(rng.integers(-(2 ** (A - 1)), 2 ** (A - 1)))) for _ in range(20)]
    ident = _compute_then_uncompute(bloq)
    if bloq.junk_bits():
        qlt.assert_valid_bloq_decomposition(bloq.adjoint())
        ucbloq = bloq.adjoint().decompose_bloq()
    for row, acc in cases:
        out = bloq.call_classically(row=row, acc=acc)
        dout = cbloq.call_classically(row=row, acc=acc)
        assert [np.asarray(o).tolist() for o in out] == [np.asarray(o).tolist() for o in dout]
        if bloq.junk_bits():
            back = ucbloq.call_classically(row=out[0], acc=out[1], junk=out[2])
            assert list(back[0]) == list(row) and back[1] == acc
        r2, a2 = ident.call_classically(row=row, acc=acc)
        assert list(r2) == list(row) and a2 == acc


def _cirq_basis_run(cbloq, inputs):
    """Basis-state Cirq simulation of a composite; returns output register ints and the
    ancilla bits that are not in any output register."""
    quregs = get_named_qubits(cbloq.signature.lefts())
    circuit, out_quregs = cbloq.to_cirq_circuit_and_quregs(**quregs)
    circuit = cirq.Circuit(cirq.decompose(circuit))
    prep = []
    for reg in cbloq.signature.lefts():
        vals = np.asarray(inputs[reg.name]).reshape(-1)
        qubits = np.asarray(quregs[reg.name]).reshape(len(vals), -1)
        for v, qs in zip(vals, qubits):
            prep += [cirq.X(q) for q, bit in zip(qs, reg.dtype.to_bits(int(v))) if bit]
    reg_qubits = {q for v in out_quregs.values() for q in np.asarray(v).ravel()}
    order = sorted(circuit.all_qubits() | reg_qubits | {q for v in quregs.values() for q in np.asarray(v).ravel()})
    res = cirq.Simulator().simulate(cirq.Circuit(prep) + circuit, qubit_order=order)
    idx = int(np.argmax(np.abs(res.final_state_vector)))
    assert abs(res.final_state_vector[idx]) == pytest.approx(1.0, abs=1e-5)
    bits = dict(zip(order, format(idx, f"0{len(order)}b")))
    out = {}
    for reg in cbloq.signature.rights():
        qubits = np.asarray(out_quregs[reg.name]).reshape(-1, reg.dtype.num_qubits)
        vals = [reg.dtype.from_bits([int(bits[q]) for q in qs]) for qs in qubits]
        out[reg.name] = vals if reg.shape else vals[0]
    others = [int(bits[q]) for q in order if q not in reg_qubits]
    return out, others


def test_csa_cirq_circuit_matches_classical():
    bloq = CarrySaveInnerProduct(1, 2, (-1,))
    for row, acc in [((-2,), 0), ((1,), -8), ((-1,), 7), ((-2,), 5)]:
        out, _ = _cirq_basis_run(bloq.as_composite_bloq(), {"row": row, "acc": acc})
        want = bloq.call_classically(row=np.array(row), acc=acc)
        assert (list(out["row"]), out["acc"], out["junk"]) == (list(row), want[1], want[2])
        # Compute then uncompute (measurement-based And-dagger): identity, every ancilla |0>.
        out, others = _cirq_basis_run(_compute_then_uncompute(bloq), {"row": row, "acc": acc})
        assert (list(out["row"]), out["acc"]) == (list(row), acc) and not any(others)


# ---------------------------------------------------------------------------------------------
# Constant multiplier
# ---------------------------------------------------------------------------------------------
CM_POINTS = [(2, 1), (3, 3), (3, -4), (4, -11), (3, 13), (5, -6)]


@pytest.mark.parametrize("xb,c", CM_POINTS)
@pytest.mark.parametrize("subtract", [False, True])
def test_constant_multiply_costs_consistent(xb, c, subtract):
    bloq = ConstantMultiply(xb, c, subtract=subtract)
    t = assert_costs_consistent(bloq)
    W = bloq.acc_bits
    assert W == xb + bloq.const_bits
    assert t == 4 * sum(W - p - 1 for p, _ in naf_digits(c)) == 4 * bloq.and_count()
    assert get_cost_value(bloq, QubitCount()) == get_cost_value(bloq.decompose_bloq(), QubitCount())


@pytest.mark.parametrize("xb,cb", [(2, 2), (3, 3), (4, 3), (3, 5), (5, 4)])
def test_constant_multiply_worst_case(xb, cb):
    sym = call_graph_t_count(ConstantMultiply(XB, c_bits=CB))
    cost_only = ConstantMultiply(xb, c_bits=cb)
    W, Dw = xb + cb, naf_max_weight(cb)
    assert int(sym.subs({XB: xb, CB: cb})) == call_graph_t_count(cost_only) == 4 * Dw * (W - Dw)
    costs = {}
    for c in range(-(2 ** (cb - 1)), 2 ** (cb - 1)):
        costs[c] = ConstantMultiply(xb, c, c_bits=cb).and_count()
    assert max(costs.values()) == cost_only.and_count()  # attained, never exceeded
    worst = max(costs, key=costs.get)
    wb = ConstantMultiply(xb, worst, c_bits=cb)
    assert assert_costs_consistent(wb) == 4 * cost_only.and_count()
    sym_q = get_cost_value(ConstantMultiply(XB, c_bits=CB), QubitCount())
    assert int(sym_q.subs({XB: xb, CB: cb})) == get_cost_value(cost_only, QubitCount()) == get_cost_value(
        wb.decompose_bloq(), QubitCount())


def test_constant_multiply_classical():
    rng = np.random.default_rng(3)
    n = 0
    for xb in [2, 3, 5, 8]:
        for c in [0, 1, -1, 3, -4, 13, -77, 127, -128] + list(rng.integers(-200, 200, size=5)):
            bloq = ConstantMultiply(xb, int(c))
            W = bloq.acc_bits
            xs = list(range(-(2 ** (xb - 1)), 2 ** (xb - 1))) if xb <= 5 else list(_rng_signed(rng, xb, 20))
            for x in xs:
                acc0 = int(rng.integers(-(2 ** (W - 1)), 2 ** (W - 1)))
                assert bloq.call_classically(x=x, acc=0)[1] == int(c) * int(x)
                out = bloq.call_classically(x=x, acc=acc0)
                assert out[1] == _wrap(acc0 + int(c) * int(x), W)
                assert bloq.adjoint().call_classically(x=out[0], acc=out[1])[1] == acc0
                n += 1
    assert n >= 500


@pytest.mark.parametrize("xb,c", CM_POINTS + [(3, -1), (4, 64), (3, 0)])
def test_constant_multiply_decomposition_classical(xb, c):
    bloq = ConstantMultiply(xb, c)
    qlt.assert_valid_bloq_decomposition(bloq)
    cbloq = bloq.decompose_bloq()
    W = bloq.acc_bits
    rng = np.random.default_rng(2)
    for x in range(-(2 ** (xb - 1)), 2 ** (xb - 1)):
        acc = int(rng.integers(-(2 ** (W - 1)), 2 ** (W - 1)))
        assert cbloq.call_classically(x=x, acc=acc) == bloq.call_classically(x=x, acc=acc)
    # A tight accumulator (the exact need) also works.
    lo, hi = -(2 ** (xb - 1)), 2 ** (xb - 1) - 1
    need = min(w for w in range(2, 40) if all(-(2 ** (w - 1)) <= c * v <= 2 ** (w - 1) - 1 for v in (lo, hi)))
    with pytest.raises(QattnInputError, match="out_bits"):
        ConstantMultiply(xb, c, out_bits=need - 1) if need > 2 else ConstantMultiply(xb, c, out_bits=1)
    tight = ConstantMultiply(xb, c, out_bits=need)
    assert assert_costs_consistent(tight, check_cirq=False) == 4 * tight.and_count()
    tc = tight.decompose_bloq()
    for x in range(lo, hi + 1):
        assert tc.call_classically(x=x, acc=0)[1] == c * x


# ---------------------------------------------------------------------------------------------
# Examples, bad input
# ---------------------------------------------------------------------------------------------
def test_bloq_examples():
    for ex in [_carry_save_inner_product, _carry_save_inner_product_symb, _constant_multiply, _constant_multiply_symb]:
        qlt.assert_bloq_example_make(ex)
    for ex in [_carry_save_inner_product, _constant_multiply]:
        qlt.assert_bloq_example_decompose(ex)


@pytest.mark.parametrize("make,match", [
    (lambda: CarrySaveInnerProduct(0, 2), "d must be"),
    (lambda: CarrySaveInnerProduct(1, 1), "bits must be"),
    (lambda: CarrySaveInnerProduct(2, 2, (1,)), "query must have"),
    (lambda: CarrySaveInnerProduct(1, 2, (2,)), "does not fit"),
    (lambda: CarrySaveInnerProduct(1, 3, (-4,), acc_bitsize=4), "acc_bitsize"),
    (lambda: ConstantMultiply(1, 3), "x_bits must be"),
    (lambda: ConstantMultiply(3), "c_bits is required"),
    (lambda: ConstantMultiply(3, 5, c_bits=3), "does not fit"),
    (lambda: ConstantMultiply(3, 5, out_bits=5), "out_bits"),
    (lambda: ConstantMultiply(3, c_bits=1), "c_bits must be"),
])
def test_bad_input(make, match):
    with pytest.raises(QattnInputError, match=match):
        make()
