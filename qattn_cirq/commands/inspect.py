"""``qattn inspect FILE.npz``: the parameters of an attention instance that the papers' costs use.

A thin layer over :mod:`qattn_cirq.instance` and :mod:`qattn_cirq.reference`.
"""

from __future__ import annotations

import argparse
import math

from qattn_cirq.commands._common import add_format_flag, emit, progress
from qattn_cirq.errors import QattnInputError

ORDER = 10

_FIELDS = """\
fields:
  n                rows of Q, K and V (sequence length)
  d                columns of Q, K and V (head dimension)
  scale            the score scale: scores are scale * Q K^T, A = exp(scores)
  tau              threshold of the large sets S_i = {j : score_ij >= tau}
                   (default 2 ln n, the tau >= 2 log n condition of arXiv 2307.08045 Thm 1.3)
  k                largest |S_i| over the rows (the k of (tau, k)-goodness)
  k_min            smallest |S_i| over the rows
  eta              smallest eta >= 0 with score_ij >= -eta for every j outside S_i
  max_outside      largest score outside the S_i (null when every S_i is all of [n])
  conditions_hold  true iff -eta <= score_ij <= 0 outside S_i, i.e. max_outside <= 0
                   ((tau, k)-goodness, arXiv 2307.08045)
  s_lambda         statistical dimension tr(E (E + lam I)^-1) of the exponential kernel
                   E = exp(scale [Q;K][Q;K]^T) (2n x 2n), arXiv 2602.00874
  s_lambda_exact   false when float64 can only give a lower bound on s_lambda (near-duplicate
                   points with huge norms; see reference.statistical_dimension_info)
  lam              the lambda used for s_lambda (default 1.0)
  srank_v          stable rank ||V||_F^2 / ||V||_2^2
  alpha            row distortion of V: max_i (||V_i||^2/||V||_F^2) / (leverage_i / rank V),
                   at most d / srank_v (arXiv 2602.00874)
  fro_over_spec_a  ||A||_F / ||A||_2 of A = exp(scores)
  sets             (with --sets) the large sets S_i, one sorted list per row

A set of heads (a directory of .npz files, or a set archive such as the shipped
qattn_cirq/data/minilm_declaration_n256.npz written by `qattn extract --archive`) is measured head
by head and summarised (min / median / max over heads): k at tau = 2 ln n and for 90% / 99% of
the softmax mass, eta, the share of positive scores outside S_i, the Theorem 5.2 bound vs the
measured sparse + rank-one error (constant fill 1 and the per-row mean fill), s_lambda at several
lambda (as fractions of lambda_max = min_i D_ii / sqrt(n)), alpha, srank(V), ||A||_F/||A||,
eps_max. JSON carries every head, the summary and the definitions; table/csv the summary.

Cost: O(n^2 d) for the scores and O(n^3) for s_lambda and the spectral norms (dense
eigen/singular value decompositions): seconds up to n ~ 1000.
"""


def _finite(name: str, value: float) -> float:
    if not math.isfinite(value):
        raise QattnInputError(f"{name} must be a finite number; got {value!r}")
    return value


def inspect_instance(path, tau: float | None = None, lam: float = 1.0, with_sets: bool = False) -> dict:
    """The report ``qattn inspect`` prints, as a dict of plain Python values."""
    from qattn_cirq.instance import load_npz
    from qattn_cirq.reference import (
        default_tau,
        fro_over_spec,
        goodness,
        row_distortion,
        stable_rank,
        statistical_dimension_info,
    )

    if tau is not None:
        _finite("--tau", tau)
    _finite("--lam", lam)
    if lam <= 0:
        raise QattnInputError(f"--lam must be > 0; got {lam!r}")
    inst = load_npz(path)
    if inst.n > 1024:
        progress(f"qattn inspect: n = {inst.n}; dense O(n^3) decompositions may take a while")
    tau = default_tau(inst.n) if tau is None else float(tau)
    rep = goodness(inst, tau)
    alpha = row_distortion(inst.V)
    s_lambda, s_exact = statistical_dimension_info(inst, lam)
    out = {
        "n": inst.n,
        "d": inst.d,
        "scale": float(inst.scale),
        "tau": float(tau),
        "k": int(rep.k),
        "k_min": int(rep.k_min),
        "eta": float(rep.eta),
        "max_outside": float(rep.max_outside) if math.isfinite(rep.max_outside) else None,
        "conditions_hold": bool(rep.conditions_hold),
        "s_lambda": s_lambda,
        "s_lambda_exact": bool(s_exact),
        "lam": float(lam),
        "srank_v": float(stable_rank(inst.V)),
        "alpha": float(alpha) if math.isfinite(alpha) else None,
        "fro_over_spec_a": float(fro_over_spec(inst)),
    }
    if with_sets:
        out["sets"] = [[int(j) for j in S] for S in rep.sets]
    return out


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "inspect",
        help="instance parameters: (tau,k)-goodness, eta, s_lambda, srank(V), alpha, ||A||_F/||A||_2",
        description=(
            "Load Q, K, V (and optional scalar scale) from an .npz file and report the quantities "
            "the quantum attention algorithms' costs depend on."
        ),
        epilog=_FIELDS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "file", metavar="FILE.npz|DIR",
        help=".npz archive with arrays Q, K, V (n x d) and optional scale; or a set of heads "
        "(a directory of such files, or a set archive written by `qattn extract --archive`)",
    )
    p.add_argument(
        "--tau", type=float, default=None,
        help="threshold of the large sets (finite; default 2 ln n, arXiv 2307.08045 Thm 1.3)",
    )
    p.add_argument(
        "--lam", type=float, default=1.0,
        help="lambda of the statistical dimension s_lambda (finite, > 0; default 1.0)",
    )
    p.add_argument("--sets", action="store_true", help="also print the large sets S_i")
    add_format_flag(p, default="json", choices=("json", "table", "csv"))
    p.set_defaults(func=run)


def inspect_head_set(path, tau: float | None = None) -> dict:
    """``qattn inspect`` over a set of heads: :func:`qattn_cirq.realdata.inspect_set` with progress."""
    from qattn_cirq.commands._common import progress_bar
    from qattn_cirq.realdata import inspect_set

    if tau is not None:
        _finite("--tau", tau)
    return inspect_set(path, tau=tau, progress=lambda heads: progress_bar(heads, desc="heads"))


def run(args: argparse.Namespace) -> int:
    from qattn_cirq.realdata import is_head_set, require_npz, summary_rows

    require_npz(args.file)  # an .npy or a text file: one line, not numpy's TypeError or pickle hint
    if is_head_set(args.file):
        if args.sets:
            raise QattnInputError("--sets applies to a single instance, not to a set of heads")
        report = inspect_head_set(args.file, tau=args.tau)
        emit(report if args.format == "json" else summary_rows(report), args.format)
        return 0
    emit(inspect_instance(args.file, tau=args.tau, lam=args.lam, with_sets=args.sets), args.format)
    return 0
