"""QREF export (issue 15 item 7): schema-valid documents, and bartiq compiles them to our T-count.

bartiq shares this environment: qualtran 0.7 itself pins ``bartiq==0.12.1`` and ``qref==0.11.0``
(``pip show qualtran``), so the cross-check needs no extra install.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import sympy
from qref import SchemaV1, generate_program_schema, verify_topology
from qualtran.bloqs.arithmetic import Add
from qualtran.bloqs.basic_gates import CNOT, TGate, Toffoli, ZPowGate
from qualtran.bloqs.mcmt import And
from qualtran import QUInt
from qualtran.resource_counting import GateCounts

from estimates.counts import logical_counts
from estimates.qref_export import algorithm_bloq, bartiq_compile, leaf_counts, qref_dict, to_bartiq_expr
from qattn_cirq.errors import QattnInputError

n, k = sympy.symbols("n k", positive=True, integer=True)
m = sympy.Symbol("m", positive=True, integer=True)


@pytest.mark.parametrize("expr", [
    sympy.Sum(9 * sympy.sqrt(n) / (2 * sympy.sqrt(m) * sympy.sqrt(1 - m / n)), (m, 1, k)),
    sympy.pi / 4 * sympy.sqrt(n / k),
    sympy.Max(n, 2 * k) + sympy.Min(n, k) + sympy.ceiling(sympy.log(n, 2)),
    sympy.floor(sympy.log(100 * k * n) / sympy.log(sympy.Rational(6, 5))) + sympy.Abs(k - n) + sympy.Mod(n, 3),
])
def test_bartiq_reads_our_expressions_back(expr):
    """The printer's output parsed by bartiq's own parser is the same function (at two points)."""
    from bartiq.symbolics.sympy_backend import parse_to_sympy

    back = parse_to_sympy(to_bartiq_expr(expr))
    for point in ({"n": 1000, "k": 7}, {"n": 64, "k": 3}):
        ours = expr.subs({n: point["n"], k: point["k"]}).doit()
        theirs = back.subs({sympy.Symbol(s): v for s, v in point.items()}).doit()
        assert sympy.N(ours - theirs, 30) == pytest.approx(0, abs=1e-20 * max(1, abs(float(ours))))


def test_leaf_counts_stop_where_qecgatescost_does():
    assert leaf_counts(TGate()) == GateCounts(t=1)
    assert leaf_counts(Toffoli()) == GateCounts(toffoli=1)
    assert leaf_counts(And()) == GateCounts(and_bloq=1)
    assert leaf_counts(And().adjoint()) == GateCounts(measurement=1, clifford=1)
    assert leaf_counts(CNOT()) == GateCounts(clifford=1)
    assert leaf_counts(ZPowGate(0.1)) == GateCounts(rotation=1)
    assert leaf_counts(Add(QUInt(4))) is None  # costed through its callees


def _check_document(doc):
    jsonschema.validate(json.loads(json.dumps(doc)), generate_program_schema())
    assert verify_topology(SchemaV1.model_validate(doc))


def _check_bartiq(bloq, doc, points):
    compiled = bartiq_compile(doc)
    ours = logical_counts(bloq)
    for key, mine in (("t_count", ours.t_count), ("toffoli", ours.toffoli), ("rotations", ours.rotations)):
        theirs = compiled[key]
        assert {str(s) for s in theirs.free_symbols} == {str(s) for s in mine.free_symbols}
        for point in points:
            a = mine.subs({s: point[str(s)] for s in mine.free_symbols}).doit()
            b = theirs.subs({s: point[str(s)] for s in theirs.free_symbols}).doit()
            a, b = sympy.N(a, 30), sympy.N(b, 30)
            assert abs(a - b) <= 1e-12 * max(1, abs(a)), (key, point, a, b)
    return compiled


def test_grover_sparse_qref_is_valid_and_bartiq_gets_our_t_count():
    bloq, name = algorithm_bloq("grover-sparse")
    doc = qref_dict(bloq, name)
    _check_document(doc)
    prog = doc["program"]
    assert prog["name"] == "grover_sparse_attention" and prog["input_params"] == ["b", "d", "k", "n"]
    assert "resources" not in prog and sympy.sympify(prog["meta"]["logical_qubits"]).free_symbols
    points = [dict(n=4096, d=128, k=32, b=8), dict(n=1000, d=64, k=7, b=4), dict(n=2**20, d=16, k=3, b=6)]
    compiled = _check_bartiq(bloq, doc, points)
    # the certified schedule's sums over the k finds survive the round trip as sums
    assert compiled["t_count"].has(sympy.Sum)


@pytest.mark.slow
def test_qattention_qref_is_valid_and_bartiq_gets_our_t_count():
    bloq, name = algorithm_bloq("qattention")
    doc = qref_dict(bloq, name, qubits=False)
    _check_document(doc)
    half, tenth = sympy.Rational(1, 2), sympy.Rational(1, 10)
    points = [dict(n=4096, d=64, s=32, alpha=2, eps=tenth, b=8), dict(n=1000, d=16, s=7, alpha=1, eps=half / 10, b=4),
              dict(n=2**20, d=128, s=100, alpha=3, eps=tenth / 10, b=6)]
    _check_bartiq(bloq, doc, points)


def test_unknown_algorithm_is_refused():
    with pytest.raises(QattnInputError, match="algorithm must be one of grover-sparse, qattention"):
        algorithm_bloq("nope")


def test_cli_format_qref(capsys):
    from qattn_cirq.cli import main

    assert main(["formula", "grover-sparse", "--format", "qref"]) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)
    _check_document(doc)
    assert doc["version"] == "v1" and doc["program"]["name"] == "grover_sparse_attention"
