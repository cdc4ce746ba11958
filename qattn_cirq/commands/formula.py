"""``qattn formula ALGORITHM``: the symbolic T-count and qubits in n, d, k, b (from the call graph)."""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict

from bloqs.loader_kinds import LOADER_KINDS, QATTENTION_LOADERS
from qattn_cirq.commands._common import emit

ORDER = 21
#: the output formats of ``qattn formula`` (text, json, LaTeX: readable leading order first; table
#: and csv: one row per quantity, every value a full string, so csv is lossless like json)
FORMATS = ("text", "json", "latex", "table", "csv")


def _grover_sparse_formula(args: argparse.Namespace) -> Dict[str, Any]:
    from estimates.formulas import grover_sparse_formula_dict
    from estimates.readable import readable_formulas

    out = grover_sparse_formula_dict(args.loader, schedule=args.schedule, arithmetic=args.arithmetic)
    return {**out, "readable": readable_formulas("grover-sparse", args.loader, args.schedule, args.arithmetic)}


def _qattention_formula(args: argparse.Namespace) -> Dict[str, Any]:
    from estimates.qattention_estimates import qattention_formula
    from estimates.readable import readable_formulas

    return {**qattention_formula(args.loader), "readable": readable_formulas("qattention", args.loader)}


#: name -> function(args) -> dict of sympy strings. Register further algorithms here.
FORMULAS: Dict[str, Callable[[argparse.Namespace], Dict[str, Any]]] = {
    "grover-sparse": _grover_sparse_formula,
    "qattention": _qattention_formula,
}


def _latex(data: Dict[str, Any]) -> str:
    import sympy

    loc = _locals()

    def tex(s: str) -> str:
        return sympy.latex(sympy.sympify(s, locals=loc))

    from estimates.readable import latex_block

    lines = [r"\begin{align*}", latex_block(data["readable"])]
    lines.append(r"T &= " + tex(data["t_count"]) + r" \\")
    lines.append(r"Q &= " + tex(data["qubits"]) + r" \\")
    lines.append(r"T &\sim " + tex(data["leading_terms"]["t_count"]) + r" \quad (n \to \infty) \\")
    lines.append(r"\text{oracle calls} &= " + tex(data["oracle_calls"]) + r" \sim " + tex(data["oracle_calls_leading_term"]))
    lines.append(r"\end{align*}")
    lines.append("% first two lines: leading order (n a power of two, rounding dropped); paper: "
                 + data["readable"]["paper_claim"])
    if "exactness" in data:
        # LaTeX comment: the formula's exactness caveat travels with the equations.
        lines.append("% exactness: " + data["exactness"])
    return "\n".join(lines)


def _text(data: Dict[str, Any]) -> str:
    from estimates.readable import one_line

    r = data["readable"]
    out = [one_line(r), f"{data['algorithm']} (loader: {data['loader']}); full leading order: T ~ {r['t_count']}",
           "exact (sympy, rounding and k-term sums kept):"]
    for key in ("t_count", "qubits", "toffoli", "rotations", "oracle_calls"):
        out.append(f"{key} = {data[key]}")
    for key, val in data["leading_terms"].items():
        out.append(f"{key} ~ {val}   (leading term, n -> infinity)")
    if "loader_assumption" in data:
        out.append(f"loader assumption: {data['loader_assumption']}")
    if "exactness" in data:
        out.append(f"exactness: {data['exactness']}")
    return "\n".join(out)


def _rows(data: Dict[str, Any], prefix: str = "") -> list:
    """One ``{quantity, value}`` row per leaf, nested keys dotted, values as full strings."""
    rows = []
    for key, val in data.items():
        if isinstance(val, dict):
            rows += _rows(val, f"{prefix}{key}.")
        else:
            rows.append({"quantity": f"{prefix}{key}", "value": val if isinstance(val, str) else repr(val)})
    return rows


def _locals():
    import sympy
    from qualtran.symbolics import log2

    return {"log2": log2, **{s: sympy.Symbol(s, positive=True, integer=True) for s in ("n", "d", "k", "b")}}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "formula",
        help="symbolic T-count and qubits in n, d, k, b",
        description=(
            "Closed-form logical costs read off the algorithm's symbolic Qualtran call graph, with "
            "symbols n (sequence length), d (head dimension), k (large entries per row), b (bits per "
            "entry). Sums over the k runs of the find-all schedule stay as sympy Sums (k terms). JSON "
            "values are sympy strings; leading terms are for n -> infinity with d, k, b fixed."
        ),
    )
    algorithms = p.add_subparsers(dest="algorithm", metavar="ALGORITHM", required=True, parser_class=type(p))
    g = algorithms.add_parser("grover-sparse", help="Grover sparse attention (arXiv 2307.08045)",
                              description="Grover sparse attention (arXiv 2307.08045): T-count and qubits in n, d, k, b.")
    g.add_argument(
        "--loader", choices=LOADER_KINDS, default="qrom",
        help="row loader: qrom, qroam (select-swap) or assumed (the papers' polylog QRAM cost model)",
    )
    g.add_argument(
        "--schedule", choices=("certified", "known-count"), default="certified",
        help="find-all schedule: certified (|S_i| <= k unknown; proven upper bounds, the default) "
        "or known-count (OPTIMISTIC: |S_i| = k known, nothing certified)",
    )
    g.add_argument(
        "--arithmetic", choices=("shift-add", "carry-save"), default="shift-add",
        help="inner product: shift-add (NAF, fewer qubits; default) or carry-save (fewer T)",
    )
    q = algorithms.add_parser("qattention", help="sublinear QAttention preprocessing (arXiv 2602.00874)",
                              description="Sublinear QAttention (arXiv 2602.00874): preprocessing T-count and "
                              "qubits in n, d, s, alpha, eps, b.")
    q.add_argument("--loader", choices=QATTENTION_LOADERS, default="qrom",
                   help="row loader: qrom (gate level) or assumed (the papers' polylog QRAM cost model)")
    for a in (g, q):
        a.add_argument("--format", choices=FORMATS + ("qref",), default="json",
                       help="output format (default: json); text and latex print the readable leading order "
                       "first; qref: the call graph as a QREF document for bartiq")
        a.set_defaults(func=run)


def _qref(args: argparse.Namespace) -> int:
    """``--format qref``: the algorithm's call graph as QREF JSON (``estimates.qref_export``)."""
    from estimates.qref_export import algorithm_qref_json

    options = {"loader": args.loader}
    if args.algorithm == "grover-sparse":
        options.update(schedule=args.schedule, arithmetic=args.arithmetic)
    print(algorithm_qref_json(args.algorithm, **options))
    return 0


def run(args: argparse.Namespace) -> int:
    if args.format == "qref":
        return _qref(args)
    data = FORMULAS[args.algorithm](args)
    if args.format in ("json", "table", "csv"):
        emit(data if args.format == "json" else _rows(data), args.format)
    elif args.format == "latex":
        print(_latex(data))
    else:
        print(_text(data))
    return 0
