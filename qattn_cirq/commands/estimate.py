"""``qattn estimate ALGORITHM ...``: logical fault-tolerant costs (T, Toffoli, Clifford, rotations, qubits).

Algorithms are registered in :data:`ESTIMATORS` (name -> :class:`Estimator`); adding one (e.g.
leverage-sampling, mean-estimation, qattention) is one entry with its own flags, no change here.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict

import attrs

from qattn_cirq.commands._common import add_format_flag, emit

ORDER = 20


@attrs.frozen
class Estimator:
    """One estimable algorithm: help text, a function adding its flags, and the estimate itself."""

    help: str
    #: adds the estimator's flags; a flag another estimator already declared is shared
    add_arguments: Callable[[argparse.ArgumentParser], None]
    estimate: Callable[[argparse.Namespace], Dict[str, Any]]


def _grover_sparse_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("grover-sparse (arXiv 2307.08045, Alg. 1)")
    g.add_argument("--n", type=int, help="sequence length: rows of Q and K (integer >= 2)")
    g.add_argument("--d", type=int, help="head dimension: entries per row (integer >= 1)")
    g.add_argument("--k", type=int, help="large entries per row, the k of (tau,k)-goodness (1 <= k <= n)")
    g.add_argument(
        "--bits", type=int, help="fixed-point width b of Q and K entries, two's complement (integer >= 2)"
    )
    g.add_argument(
        "--loader",
        choices=("qrom", "qroam", "assumed"),
        default="qrom",
        help=(
            "row loader: qrom = unary-iteration QROM (Babbush et al. 1805.03662), qroam = clean "
            "select-swap QROAM (Berry et al. 1902.02134), assumed = the papers' polylog-cost QRAM as a "
            "named cost model (default: qrom)"
        ),
    )
    g.add_argument(
        "--tau",
        type=float,
        default=None,
        help=(
            "score threshold; entries are b-bit fractions in [-1, 1), so tau must be a multiple of "
            "2^-2(b-1) inside the accumulator's range (checked; the worst-case cost does not depend on it)"
        ),
    )


def _grover_sparse_estimate(args: argparse.Namespace) -> Dict[str, Any]:
    from estimates.formulas import grover_sparse_estimate
    from qattn_cirq.errors import QattnInputError

    for name in ("n", "d", "k", "bits"):
        if getattr(args, name) is None:
            raise QattnInputError(f"--{name} is required for grover-sparse")
    return grover_sparse_estimate(args.n, args.d, args.k, args.bits, loader=args.loader, tau=args.tau)


#: name -> Estimator. Register further algorithms here.
ESTIMATORS: Dict[str, Estimator] = {
    "grover-sparse": Estimator(
        help="Grover sparse attention: n rows x find-all-marked Grover search (arXiv 2307.08045)",
        add_arguments=_grover_sparse_args,
        estimate=_grover_sparse_estimate,
    ),
}


class _SharedFlags:
    """Parser proxy for estimators: a flag another estimator already added (e.g. ``--n``) is
    shared rather than re-added, so estimators can declare the flags they use independently."""

    def __init__(self, parser: argparse.ArgumentParser, target=None):
        self._parser = parser
        self._target = target if target is not None else parser

    def add_argument_group(self, *args, **kwargs) -> "_SharedFlags":
        return _SharedFlags(self._parser, self._parser.add_argument_group(*args, **kwargs))

    def add_argument(self, *names, **kwargs):
        if any(name in self._parser._option_string_actions for name in names):
            return None
        return self._target.add_argument(*names, **kwargs)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "estimate",
        help="logical fault-tolerant costs of an attention algorithm",
        description=(
            "Logical resource estimate from the algorithm's Qualtran call graph (symbolic formula, "
            "evaluated at the given sizes; nothing of size n is enumerated). Output keys: algorithm, "
            "params, loader, logical {t_count, toffoli, clifford, rotations, measurements, qubits}, "
            "components {loader, inner_product, comparator, diffusion, exclusion, preparation, phase: "
            "the same keys + calls}, oracle_calls (all rows, every Grover run succeeding), "
            "expected_oracle_calls (failed runs repeated), classical_flops (post-processing, not in the "
            "quantum cost). t_count = T + 4 x (Toffoli + And + CSWAP) + 11 x rotations; And-dagger is "
            "measurement based (0 T). Worst case: every row has k large entries. "
            "Algorithms: " + "; ".join(f"{k}: {v.help}" for k, v in ESTIMATORS.items())
        ),
    )
    p.add_argument("algorithm", choices=sorted(ESTIMATORS), help="which algorithm to estimate")
    for est in ESTIMATORS.values():
        est.add_arguments(_SharedFlags(p))
    add_format_flag(p, choices=("json", "table", "csv"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    emit(ESTIMATORS[args.algorithm].estimate(args), args.format)
    return 0
