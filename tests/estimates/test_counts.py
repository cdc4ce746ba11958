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
