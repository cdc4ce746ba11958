import sympy
from qualtran.bloqs.data_loading import QROM

from estimates.counts import logical_counts


def test_qrom_counts_symbolic_and_concrete_agree():
    n = sympy.Symbol("n", positive=True, integer=True)
    sym = logical_counts(QROM.build_from_bitsize((n,), (8,)))
    assert sympy.simplify(sym.t_count - (4 * n - 8)) == 0
    for nv in (4, 8, 16):
        conc = logical_counts(QROM.build_from_bitsize((nv,), (8,)))
        assert sym.subs({n: nv}).t_count == conc.t_count == 4 * nv - 8
        assert sym.subs({n: nv}).qubits == conc.qubits


def test_to_number_is_exact_past_float_precision():
    from estimates.counts import to_number

    big = sympy.Integer(2) ** 70 + 3
    assert to_number(big) == 2**70 + 3
    # A ceiling of an irrational: evaluated at 60 digits, not through a float.
    n = sympy.Symbol("n", positive=True)
    expr = 4 * sympy.ceiling(sympy.sqrt(n) * 10**15) + 1
    v = to_number(expr.subs(n, 2))
    assert v == 4 * 1414213562373096 + 1 and isinstance(v, int)
    assert to_number(sympy.Rational(1, 3)) == float(sympy.Rational(1, 3))
    assert to_number(7) == 7
    import pytest

    with pytest.raises(ValueError, match="unresolved symbols"):
        to_number(n + 1)


def test_evaluate_gives_the_logical_shape_as_numbers():
    n = sympy.Symbol("n", positive=True, integer=True)
    sym = logical_counts(QROM.build_from_bitsize((n,), (8,)))
    conc = logical_counts(QROM.build_from_bitsize((16,), (8,)))
    ev = sym.evaluate({n: 16})
    assert list(ev) == ["t_count", "toffoli", "clifford", "rotations", "measurements", "qubits"]
    assert ev["t_count"] == conc.t_count == 56
    assert ev["qubits"] == conc.qubits
    assert all(isinstance(v, int) for v in ev.values())


def test_shared_costs_cache_changes_no_count():
    """The process-wide Qualtran costs cache (estimates.counts.cost_value) only removes repetition:
    estimates computed cold (cache emptied) and warm (cache filled by other sizes first) are equal,
    and equal to Qualtran's uncached get_cost_value."""
    from qualtran.resource_counting import QECGatesCost, QubitCount, get_cost_value

    from estimates import counts, formulas
    from estimates.formulas import grover_sparse_estimate
    from bloqs.attention import GroverSparseAttention

    points = [(96, 4, 3, 4, "qrom"), (1000, 8, 5, 6, "qroam"), (4096, 16, 8, 8, "assumed")]
    counts._COSTS_CACHES.clear()
    cold = []
    for p in points:
        counts._COSTS_CACHES.clear()
        formulas._instance.cache_clear()
        cold.append(grover_sparse_estimate(*p)["logical"])
    for p in reversed(points):  # warm: each estimate now finds the others' sub-bloqs cached
        grover_sparse_estimate(p[0] + 1, *p[1:])
    assert counts._COSTS_CACHES, "the estimates filled the shared cache"
    formulas._instance.cache_clear()  # the estimate's own memo must not answer: re-cost on the shared cache
    warm = [grover_sparse_estimate(*p)["logical"] for p in points]
    assert warm == cold
    top = GroverSparseAttention(n=96, d=4, k=3, tau=0, bits=4, loader="qrom")
    assert counts.cost_value(top, QECGatesCost()) == get_cost_value(top, QECGatesCost())
    assert counts.cost_value(top, QubitCount()) == get_cost_value(top, QubitCount())
