"""Tests for bloqs.attention.GroverSparseAttention: symbolic == concrete costs, classical FLOPs, input checks."""

import pytest
import sympy
from qualtran.resource_counting import QECGatesCost, QubitCount, get_cost_value

from bloqs.attention import GroverSparseAttention
from bloqs.grover import FindAllMarked, find_all_oracle_calls
from estimates.counts import TS_PER_ROTATION, TS_PER_TOFFOLI
from qattn_cirq.errors import QattnInputError

N, D, K, B = (sympy.Symbol(s, positive=True, integer=True) for s in "ndkb")


def _costs(bloq, subs=None):
    gc = get_cost_value(bloq, QECGatesCost())
    tof = gc.toffoli + gc.and_bloq + gc.cswap
    vals = [gc.t + TS_PER_TOFFOLI * tof + TS_PER_ROTATION * gc.rotation, tof, gc.rotation]
    vals.append(get_cost_value(bloq, QubitCount()))
    if subs:
        vals = [sympy.sympify(v).subs(subs).doit() for v in vals]
    return tuple(int(v) for v in vals)


@pytest.mark.parametrize("n,d,k,bits", [(8, 2, 2, 2), (16, 1, 3, 2), (5, 2, 2, 3), (64, 4, 5, 4)])
def test_symbolic_formula_equals_concrete_call_graph(n, d, k, bits):
    """Known-count schedule: the symbolic formula is exact at every point (its sums are the
    schedule's). The certified default: concrete costs are exact, the symbolic formula a bound."""
    sym = GroverSparseAttention(n=N, d=D, k=K, tau=0, bits=B, loader="qrom", schedule="known-count")
    conc = GroverSparseAttention(n=n, d=d, k=k, tau=0, bits=bits, loader="qrom", schedule="known-count")
    assert _costs(sym, {N: n, D: d, K: k, B: bits}) == _costs(conc)
    # n rows, each one FindAllMarked: the total is n times one row
    row = _costs(FindAllMarked(conc.oracle, k, schedule="known-count"))
    assert _costs(conc)[:3] == tuple(n * v for v in row[:3])
    assert _costs(conc)[3] == row[3]  # rows run one after another on the same qubits
    assert int(conc.oracle_calls) == n * find_all_oracle_calls(n, k)
    cert = GroverSparseAttention(n=n, d=d, k=k, tau=0, bits=bits, loader="qrom")
    assert cert.schedule == "certified"
    assert int(cert.oracle_calls) == n * FindAllMarked(cert.oracle, k).oracle_calls > int(conc.oracle_calls)
    sym_cert = GroverSparseAttention(n=N, d=D, k=K, tau=0, bits=B, loader="qrom")
    gc = get_cost_value(sym_cert, QECGatesCost())
    t_sym = gc.t + TS_PER_TOFFOLI * (gc.toffoli + gc.and_bloq + gc.cswap) + TS_PER_ROTATION * gc.rotation
    assert float(sympy.sympify(t_sym).subs({N: n, D: d, K: k, B: bits}).doit()) >= _costs(cert)[0]


def test_classical_flops_are_o_nkd_and_separate():
    base = GroverSparseAttention(n=64, d=8, k=4, tau=0, bits=4)
    f = base.classical_flops()
    assert f["total"] == sum(v for key, v in f.items() if key != "total")
    # linear in n; grows like k d: doubling k and d roughly quadruples the k d terms
    f2n = GroverSparseAttention(n=128, d=8, k=4, tau=0, bits=4).classical_flops()
    assert f2n["total"] == 2 * f["total"]
    big = GroverSparseAttention(n=64, d=16, k=8, tau=0, bits=4).classical_flops()
    assert 3.5 < big["total"] / f["total"] < 4.0
    sym = GroverSparseAttention(n=N, d=D, k=K, tau=0, bits=B).classical_flops()["total"]
    assert sympy.degree(sympy.expand(sym), N) == 1 and sym.free_symbols <= {N, D, K}
    # classical FLOPs are not in the quantum cost: the call graph holds only the Grover loops
    from qualtran.resource_counting import get_bloq_callee_counts

    assert [type(c).__name__ for c, _ in get_bloq_callee_counts(base)] == ["FindAllMarked"]


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(n=4, d=1, k=5, bits=2), "k must be <= n"),
        (dict(n=1, d=1, k=1, bits=2), "n must"),
        (dict(n=4, d=0, k=1, bits=2), "d must"),
        (dict(n=4, d=1, k=1, bits=1), "bits must"),
        (dict(n=4, d=1, k=0, bits=2), "k must"),
    ],
)
def test_bad_input(kw, match):
    with pytest.raises(QattnInputError, match=match):
        GroverSparseAttention(tau=0, **kw)
