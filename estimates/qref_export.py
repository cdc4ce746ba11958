"""QREF export of an algorithm's call graph, for bartiq and other QREF tools (issue 15 item 7).

QREF (https://github.com/PsiQ/qref, the ``qref`` package) is a JSON format for quantum programs
as a tree of routines with symbolic resources; bartiq (https://github.com/PsiQ/bartiq) compiles
such a tree into closed-form resource expressions. Both ship with qualtran 0.7 (it pins
``qref==0.11.0`` and ``bartiq==0.12.1``), so the export costs no new dependency.

Why not ``qualtran.qref_interop.bloq_to_qref(bloq, from_callgraph=True)`` as it is: it puts
``t_complexity()`` (legacy T / Clifford / rotation counts: a CSWAP is 7 T there, 4 T-equivalent
here) on *every* routine, parents included. bartiq keeps a parent's own resource rather than
summing its children, so compiling that tree only echoes the root's number. And its repetition
counts are sympy ``str`` output, which bartiq's parser reads differently (``Sum(f, (m, 1, k))``
becomes a plain sum of its arguments, ``pi`` a free symbol). Here:

* the tree is the bloq's call graph exactly as ``estimates.counts`` costs it: a routine per
  callee, ``repetition: {count, sequence: constant}`` where a callee is called more than once,
  down to the leaves at which Qualtran's ``QECGatesCost`` stops (T, Toffoli, And, CSWAP,
  rotations, Cliffords, measurements, and bloqs with a static cost);
* only leaves carry resources, in this project's convention (``LogicalCounts``): ``t``,
  ``toffoli`` (Toffoli + And + CSWAP), ``rotations``, ``clifford``, ``measurements`` and
  ``t_count = t + 4 toffoli + 11 rotations``, all ``additive``; bartiq sums them up the tree;
* expressions are written in bartiq's grammar (:func:`to_bartiq_expr`: ``sum_over``, ``PI``,
  ``max``/``min``), and every routine lists the free symbols it and its subtree use as
  ``input_params``.

Qubits are not a QREF additive resource (bartiq's qubit model needs ports and ancilla
bookkeeping this export does not build); the root's ``meta.logical_qubits`` holds
``QubitCount``'s formula instead. ``tests/estimates/test_qref_export.py`` validates the export
against QREF's JSON schema and checks that bartiq's compiled ``t_count`` equals
``logical_counts(bloq).t_count`` at three points per algorithm.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Dict, List, Optional, Tuple

import sympy
from qualtran import Bloq
from qualtran.resource_counting import GateCounts, QECGatesCost, QubitCount, get_bloq_callee_counts
from sympy.printing.str import StrPrinter

from estimates.counts import TS_PER_ROTATION, TS_PER_TOFFOLI, cost_value
from qattn_cirq.errors import QattnInputError

#: The additive resources on every leaf (``LogicalCounts`` field names, plus ``t_count``).
RESOURCES = ("t_count", "t", "toffoli", "rotations", "clifford", "measurements")
#: The algorithms ``qattn formula`` names, and what each one's top-level bloq is.
ALGORITHMS = ("grover-sparse", "qattention")


class _BartiqPrinter(StrPrinter):
    """sympy -> bartiq's expression grammar (``bartiq.symbolics.sympy_interpreter``)."""

    def _print_Sum(self, expr):
        out = self._print(expr.function)
        for var, lo, hi in reversed(expr.limits):
            out = f"sum_over({out}, {self._print(var)}, {self._print(lo)}, {self._print(hi)})"
        return out

    def _print_Pi(self, expr):
        return "PI"

    def _print_Exp1(self, expr):
        return "exp(1)"

    def _print_Max(self, expr):
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_Mod(self, expr):
        return f"mod({self._print(expr.args[0])}, {self._print(expr.args[1])})"


def to_bartiq_expr(value) -> Any:
    """An int stays an int; a sympy expression becomes a string bartiq's parser reads back to
    the same function (``sum_over(f, m, lo, hi)`` for ``Sum``, ``PI`` for pi)."""
    if isinstance(value, (int, sympy.Integer)) and not isinstance(value, bool):
        return int(value)
    expr = sympy.sympify(value)
    return int(expr) if expr.is_Integer else _BartiqPrinter().doprint(expr)


def _symbols(*values) -> set:
    out = set()
    for v in values:
        if isinstance(v, sympy.Basic):
            out |= {str(s) for s in v.free_symbols}
    return out


def leaf_counts(bloq: Bloq) -> Optional[GateCounts]:
    """The ``GateCounts`` of ``bloq`` when ``QECGatesCost`` stops there (a primitive gate or a
    static cost), else None (QECGatesCost would sum its callees)."""
    static = bloq.my_static_costs(QECGatesCost())
    if static is not NotImplemented:
        return static
    recursed: List[Bloq] = []

    def probe(callee: Bloq) -> GateCounts:
        recursed.append(callee)
        return GateCounts()

    counts = QECGatesCost().compute(bloq, probe)
    return None if recursed else counts


def _leaf_resources(gc: GateCounts) -> Dict[str, Any]:
    toffoli = gc.toffoli + gc.and_bloq + gc.cswap
    vals = {"t": gc.t, "toffoli": toffoli, "rotations": gc.rotation, "clifford": gc.clifford,
            "measurements": gc.measurement}
    vals["t_count"] = gc.t + TS_PER_TOFFOLI * toffoli + TS_PER_ROTATION * gc.rotation
    return vals


def _name(bloq: Bloq, taken: Dict[str, int]) -> str:
    base = re.sub(r"\W", "_", type(bloq).__name__) or "bloq"
    taken[base] = taken.get(base, 0) + 1
    return base if taken[base] == 1 else f"{base}_{taken[base]}"


def _routine(bloq: Bloq, name: str) -> Dict[str, Any]:
    """The QREF routine (a dict in the schema's shape) of ``bloq``'s call-graph subtree."""
    return {"name": name, **_body(bloq)}


@functools.lru_cache(maxsize=4096)
def _body(bloq: Bloq) -> Dict[str, Any]:
    """Everything of the routine but its name (which its parent chooses), once per bloq: a callee
    met again (the same adder under many parents) is not walked again. The dict is shared; callers
    copy it and never mutate it."""
    gc = leaf_counts(bloq)
    out: Dict[str, Any] = {"type": str(bloq)}
    if gc is not None:
        vals = _leaf_resources(gc)
        out["resources"] = [{"name": k, "type": "additive", "value": to_bartiq_expr(vals[k])} for k in RESOURCES]
        out["input_params"] = sorted(_symbols(*vals.values()))
        return out
    children, params, taken = [], set(), {}
    for callee, count in sorted(get_bloq_callee_counts(bloq, ignore_decomp_failure=False), key=lambda c: str(c[0])):
        child = _routine(callee, _name(callee, taken))
        if count != 1:
            child = {"name": f"{child['name']}_rep", "type": f"{count} x {callee}", "children": [child],
                     "repetition": {"count": to_bartiq_expr(count), "sequence": {"type": "constant"}},
                     "input_params": sorted(set(child["input_params"]) | _symbols(count)),
                     "linked_params": _links([child])}
        children.append(child)
        params |= set(child["input_params"])
    out["children"] = children
    out["input_params"] = sorted(params)
    out["linked_params"] = _links(children)
    return out


def _links(children: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Each symbol passed down by name (``n`` -> ``child.n``), so the compiled root's inputs are
    the algorithm's own symbols, not one copy per routine."""
    params = sorted({p for c in children for p in c["input_params"]})
    return [{"source": p, "targets": [f"{c['name']}.{p}" for c in children if p in c["input_params"]]} for p in params]


def qref_dict(bloq: Bloq, name: Optional[str] = None, qubits: bool = True) -> Dict[str, Any]:
    """The QREF v1 document (a JSON-ready dict) of ``bloq``'s call graph; see the module docstring.

    ``qubits=False`` leaves ``meta.logical_qubits`` out: Qualtran's symbolic ``QubitCount`` of the
    QAttention preprocessing takes most of a minute (nested symbolic maxima), the tree a few seconds.
    """
    program = _routine(bloq, name or re.sub(r"\W", "_", type(bloq).__name__))
    meta = {
        "source": "qattn-cirq estimates.qref_export (call graph of the Qualtran bloq)",
        "bloq": str(bloq),
        "t_count_convention": "t_count = t + 4 x toffoli + 11 x rotations; toffoli = Toffoli + And + CSWAP; "
                              "And-dagger is a measurement + Clifford (0 T)",
    }
    if qubits:
        meta["logical_qubits"] = to_bartiq_expr(cost_value(bloq, QubitCount()))
    program["meta"] = meta
    return {"version": "v1", "program": program}


def qref_schema(bloq: Bloq, name: Optional[str] = None, qubits: bool = True):
    """:func:`qref_dict` validated into ``qref.SchemaV1`` (pydantic; raises on a schema violation)."""
    from qref import SchemaV1

    return SchemaV1.model_validate(qref_dict(bloq, name, qubits))


def algorithm_bloq(algorithm: str, loader: str = "qrom", schedule: str = "certified",
                   arithmetic: str = "shift-add") -> Tuple[Bloq, str]:
    """The symbolic top-level bloq of ``algorithm`` (as ``qattn formula`` costs it) and a routine name."""
    if algorithm == "grover-sparse":
        from estimates.formulas import grover_sparse_bloq

        return grover_sparse_bloq(loader, schedule, arithmetic), "grover_sparse_attention"
    if algorithm == "qattention":
        from bloqs.qattention import QAttentionPreprocess

        return QAttentionPreprocess.symbolic(loader=loader), "qattention_preprocess"
    raise QattnInputError(f"algorithm must be one of {', '.join(ALGORITHMS)}; got {algorithm!r}")


def algorithm_qref_json(algorithm: str, **options) -> str:
    """``qattn formula ALGORITHM --format qref``: the QREF JSON text of the algorithm's call graph."""
    bloq, name = algorithm_bloq(algorithm, **options)
    doc = qref_schema(bloq, name).model_dump(mode="json", exclude_none=True)
    return json.dumps(doc, separators=(",", ":"))  # compact: the tree is deep (indenting triples it)


def bartiq_compile(doc) -> Dict[str, sympy.Expr]:
    """Compile a QREF document with bartiq; the root's resources as sympy expressions."""
    from bartiq import compile_routine
    from qref import SchemaV1

    schema = doc if isinstance(doc, SchemaV1) else SchemaV1.model_validate(doc)
    root = compile_routine(schema).routine
    return {name: sympy.sympify(res.value) for name, res in root.resources.items()}
