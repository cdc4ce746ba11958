"""Fixed-point exp kernel: error bound vs numpy over all inputs, decomposition, costs, Cirq circuit."""

import numpy as np
import pytest
import sympy
from qualtran import QUInt
from qualtran.bloqs.arithmetic.controlled_addition import CAdd
from hypothesis import given, settings
from hypothesis import strategies as st

from estimates.cost_checks import assert_costs_consistent
from bloqs.kernel import KernelExp, ShiftAddMultiplier
from estimates.counts import logical_counts
from qattn_cirq.errors import QattnInputError
from qattn_cirq.simulate import bloq_to_cirq, register_probabilities, simulate_state


@pytest.mark.parametrize(
    "scale,B,f,F",
    [
        (0.5, 10, 6, 8),  # z in [-8, 8): e^{0.5 z}
        (1 / np.sqrt(2), 12, 8, 10),  # attention-like scale 1/sqrt(d), 4096 inputs
        (-1.0, 10, 7, 12),  # decaying kernel
    ],
)
def test_error_within_bound_all_inputs(scale, B, f, F):
    k = KernelExp.build(scale=scale, in_bits=B, in_frac=f, frac_bits=F)
    xs = np.arange(-(2 ** (B - 1)), 2 ** (B - 1))
    assert xs.size >= 1000
    got = np.array([k.value(int(x)) for x in xs])
    err = np.abs(got - k.exact(xs))
    bound = k.error_bound()
    assert err.max() <= bound
    # the bound is not vacuous: it is within a small factor of the worst observed error
    assert bound <= 4 * err.max()
    # the classical action computes the same values (out starts at 0)
    for x in xs[:: max(1, xs.size // 200)]:
        _, out = k.call_classically(x=int(x), out=0)
        assert out == k.kernel_int(int(x))


def test_decomposition_matches_classical_action():
    k = KernelExp.build(scale=0.5, in_bits=8, in_frac=4, frac_bits=5)
    cb = k.decompose_bloq()
    rng = np.random.default_rng(0)
    for _ in range(60):
        x = int(rng.integers(-128, 128))
        out = int(rng.integers(0, 2 ** int(k.out_bits)))
        assert cb.call_classically(x=x, out=out) == k.call_classically(x=x, out=out)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_multiplier_classical(a_bits, b_bits, data):
    m = ShiftAddMultiplier(a_bits, b_bits)
    a = data.draw(st.integers(0, 2**a_bits - 1))
    b = data.draw(st.integers(0, 2**b_bits - 1))
    r = data.draw(st.integers(0, 2 ** (a_bits + b_bits) - 1))
    want = (r + a * b) % 2 ** (a_bits + b_bits)
    assert m.call_classically(a=a, b=b, result=r) == (a, b, want)
    assert m.decompose_bloq().call_classically(a=a, b=b, result=r) == (a, b, want)


@pytest.mark.parametrize("a,b", [(1, 2), (2, 2), (3, 2)])
def test_multiplier_circuit_on_qsim(a, b):
    """The compiled Cirq circuit (not only the classical action) multiplies."""
    m = ShiftAddMultiplier(a, b)
    c = bloq_to_cirq(m)
    for av in range(2**a):
        for bv in range(2**b):
            st_ = simulate_state(c, {"a": av, "b": bv, "result": 1}, threads=1)
            p = register_probabilities(c, st_, "result")
            assert np.argmax(p) == (1 + av * bv) % 2 ** (a + b) and p.max() > 1 - 1e-5


@pytest.mark.parametrize("a,b", [(2, 3), (3, 3), (4, 2)])
def test_multiplier_costs(a, b):
    t = assert_costs_consistent(ShiftAddMultiplier(a, b))
    R = a + b
    assert t == 4 * sum(a + R - j - 1 for j in range(b))


def test_kernel_costs_consistent():
    for B, F in [(4, 2), (6, 3), (6, 4)]:
        k = KernelExp.build(scale=0.5, in_bits=B, in_frac=3, frac_bits=F)
        t = assert_costs_consistent(k)
        q = lambda qr: logical_counts(qr).t_count
        # each table: QROM load + measurement-based RowUnload (ceil(N/K') + K' - 4 And), or a
        # second QROM when that is cheaper for this data (Qualtran skips repeated entries)
        unload = lambda qr, u: q(qr) if u is None else q(u)
        for qr, u in ((k.hi_qrom, k.hi_unload), (k.lo_qrom, k.lo_unload)):
            if u is not None:
                kp = 2**u.ku
                assert q(u) == 4 * (-(-int(u.n) // kp) + kp - 4) <= q(qr)
        assert t == (q(k.hi_qrom) + unload(k.hi_qrom, k.hi_unload) + q(k.lo_qrom) + unload(k.lo_qrom, k.lo_unload)
                     + logical_counts(k.multiplier).t_count)


def test_kernel_unload_classical_and_small_tables():
    # B = 3: the low table has 2 entries (no measurement-based unload: K' needs 2 <= K' < N)
    k = KernelExp.build(scale=0.5, in_bits=3, in_frac=2, frac_bits=2)
    assert k.lo_unload is None and k.hi_unload is not None
    assert assert_costs_consistent(k) == logical_counts(k).t_count
    cb = k.decompose_bloq()
    for x in range(-4, 4):
        assert cb.call_classically(x=x, out=1) == k.call_classically(x=x, out=1)


def test_symbolic_cost_model():
    B, p = sympy.symbols("B p", positive=True, integer=True)
    c = logical_counts(KernelExp.symbolic_cost_model(B, p))
    assert c.is_symbolic
    # at B = 8 both tables have 16 entries: 2 QROM loads of (4*16 - 8) T, 2 RowUnloads of
    # 4 (16/4 + 4 - 4) T (K' = 4), plus the symbolic multiplier's bound: p controlled adders of p
    # into 2p bits
    t8 = sympy.sympify(c.t_count).subs({B: 8, p: 6})
    assert int(t8) == 2 * (4 * 16 - 8) + 2 * 4 * 4 + 6 * logical_counts(CAdd(QUInt(6), QUInt(12))).t_count
    # the symbolic call graph at points == the concrete-size cost model, up to the multiplier (its
    # symbolic call graph is the full-width bound, the concrete one exact)
    mult_sym = logical_counts(ShiftAddMultiplier(p, p)).t_count
    for b_ in (8, 12, 23):
        tables_sym = sympy.sympify(c.t_count - mult_sym).subs({B: b_, p: 16})
        conc = KernelExp.symbolic_cost_model(b_, 16)
        assert int(tables_sym) == logical_counts(conc).t_count - logical_counts(conc.multiplier).t_count
    # and the bound is >= the exact multiplier
    assert 6 * logical_counts(CAdd(QUInt(6), QUInt(12))).t_count >= logical_counts(ShiftAddMultiplier(6, 6)).t_count


def test_bad_input():
    with pytest.raises(QattnInputError):
        KernelExp.build(scale=0.5, in_bits=1, in_frac=0, frac_bits=4)
    with pytest.raises(QattnInputError):
        KernelExp.build(scale=0.5, in_bits=8, in_frac=0, frac_bits=4, lo_bits=8)
    with pytest.raises(QattnInputError):
        KernelExp.build(scale=50.0, in_bits=16, in_frac=0, frac_bits=20)
    with pytest.raises(QattnInputError):
        ShiftAddMultiplier(0, 2)


def test_bloq_examples():
    from qualtran.testing import assert_bloq_example_decompose, assert_bloq_example_make

    from bloqs.kernel import _kernel_exp_small, _kernel_exp_symb

    assert_bloq_example_make(_kernel_exp_small)
    assert_bloq_example_make(_kernel_exp_symb)
    assert_bloq_example_decompose(_kernel_exp_small)
