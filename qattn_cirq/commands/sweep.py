"""``qattn sweep ALGORITHM``: logical (and physical) costs over a grid of parameters, fast.

Every numeric flag takes one value, a comma list (``--k 8,16,32``) or a range ``A:B:KIND[:N]``:

* ``A:B:pow2``       every power of two in [A, B] (the fast, exact grid for grover-sparse);
* ``A:B:lin:N``      N evenly spaced values from A to B (integers rounded, repeats dropped);
* ``A:B:geom:N``     N geometrically spaced values from A to B (the same).

The grid is the product of all flags' values. Points are evaluated with the compiled call-graph
formulas (``estimates.compiled``); for grover-sparse the points where the compiled formula is
not exact (n not a power of two; qroam block sizes off the closed form) are costed on the
concrete Qualtran call graph instead (slower), and each row's ``source`` column says which. The
numbers are those ``qattn estimate`` gives.

Counts convention (the same as ``qattn estimate``): ``t_count`` = T + 4 x Toffoli-class + 11 x
rotations (for reading); ``t``, ``toffoli``, ``rotations``, ``measurements``, ``qubits`` are the raw
fields ``qattn physical`` takes. ``--model`` adds the physical model's columns. Output: CSV
(lossless: integers exact, floats round-trip) or JSON (``{"algorithm", "options", "rows"}``) on
stdout; progress with an ETA on stderr.

The compiled formulas are cached on disk (``$QATTN_CACHE_DIR``, default ``~/.cache/qattn-cirq``;
``QATTN_CACHE_DIR=off`` disables it): derived data, keyed by the package's and Qualtran's versions
and the bloqs' source, rebuilt when stale. The first sweep of a configuration derives them
(seconds; QAttention ~10 s per loader).

Examples::

    qattn sweep grover-sparse --n 1024:1048576:pow2 --d 128 --k 1:100:lin:91 --bits 8 --format csv
    qattn sweep qattention --n 1024:1048576:geom:100 --d 128 --s-lambda 64 --alpha 8 --eps 0.1 \\
        --bits 8 --model ms
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Any, Callable, List

from bloqs.loader_kinds import LOADER_KINDS, QATTENTION_LOADERS
from estimates.model_names import MODELS, PRESETS
from qattn_cirq.errors import QattnInputError

ORDER = 25

_KINDS = ("pow2", "lin", "geom")


def _range_values(text: str, as_int: bool) -> List[Any]:
    """The values of one flag (see the module doc); raises ``ArgumentTypeError`` naming the syntax."""
    conv: Callable[[str], Any] = int if as_int else float
    try:
        if ":" not in text:
            vals = [conv(t) for t in text.split(",")]
        else:
            parts = text.split(":")
            a, b, kind = conv(parts[0]), conv(parts[1]), parts[2] if len(parts) > 2 else ""
            if kind not in _KINDS or (kind == "pow2") != (len(parts) == 3) or len(parts) > 4:
                raise ValueError
            vals = _expand(a, b, kind, int(parts[3]) if kind != "pow2" else 0, as_int)
    except (ValueError, IndexError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"expected {'an integer' if as_int else 'a number'}, a comma list, or A:B:pow2 / A:B:lin:N / A:B:geom:N; "
            f"got {text!r}"
        ) from None
    if not vals or not all(math.isfinite(v) for v in vals):
        raise argparse.ArgumentTypeError(f"expected finite values; got {text!r}")
    return vals


def _expand(a, b, kind: str, count: int, as_int: bool) -> List[Any]:
    if not a <= b:
        raise ValueError
    if kind == "pow2":
        p = 1
        while p < a:
            p *= 2
        out = []
        while p <= b:
            out.append(p)
            p *= 2
        return out
    if not 1 <= count <= 1_000_000 or (kind == "geom" and a <= 0):
        raise ValueError
    if count == 1:
        raw = [a]
    elif kind == "lin":
        raw = [a + (b - a) * i / (count - 1) for i in range(count)]
    else:
        raw = [a * (b / a) ** (i / (count - 1)) for i in range(count)]
    if count > 1:
        raw[-1] = b  # the end points exactly as given (0.1 + 0.2 is not 0.3 in doubles)
    if not as_int:
        return raw
    out: List[int] = []
    for v in raw:
        r = int(round(v))
        if not out or r != out[-1]:
            out.append(r)
    return out


def _ints(text):
    return _range_values(text, True)


def _reals(text):
    return _range_values(text, False)


def _words(choices):
    def parse(text):
        vals = text.split(",")
        bad = [v for v in vals if v not in choices]
        if bad:
            raise argparse.ArgumentTypeError(f"must be one or more of {', '.join(choices)} (comma separated); got {text!r}")
        return vals
    return parse


def _add_common(p) -> None:
    p.add_argument("--model", choices=MODELS, default=None, help="also cost each point on this physical model")
    p.add_argument("--preset", choices=PRESETS, default=None, help="the model's hardware preset (default: the model's)")
    p.add_argument("--error-budget", type=float, default=None, help="the model's total failure probability in (0, 1)")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default: csv)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")


def register(subparsers) -> None:
    p = subparsers.add_parser("sweep", help="costs over a grid of parameters (compiled formulas, CSV/JSON)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    algos = p.add_subparsers(dest="algorithm", metavar="ALGORITHM", required=True, parser_class=type(p))
    g = algos.add_parser("grover-sparse", help="Grover sparse attention (arXiv 2307.08045)",
                         description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("--n", type=_ints, required=True, help="sequence lengths (integers >= 2)")
    g.add_argument("--d", type=_ints, required=True, help="head dimensions (integers >= 1)")
    g.add_argument("--k", type=_ints, required=True, help="large entries per row (1 <= k <= n)")
    g.add_argument("--bits", type=_ints, required=True, help="fixed-point widths b (integers >= 2)")
    g.add_argument("--loader", type=_words(LOADER_KINDS), default=["qrom"], help="loaders, comma separated (default: qrom)")
    g.add_argument("--schedule", choices=("certified", "known-count"), default="certified",
                   help="find-all schedule (default: certified; known-count is the OPTIMISTIC option)")
    g.add_argument("--arithmetic", choices=("shift-add", "carry-save"), default="shift-add", help="inner product")
    g.add_argument("--uncompute", choices=("measurement", "reload"), default="measurement", help="loader uncompute")
    _add_common(g)
    q = algos.add_parser("qattention", help="sublinear QAttention preprocessing (arXiv 2602.00874)",
                         description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("--n", type=_ints, required=True, help="sequence lengths (integers >= 2)")
    q.add_argument("--d", type=_ints, required=True, help="head dimensions (integers >= 1)")
    q.add_argument("--s-lambda", type=_reals, required=True, help="statistical dimensions s_lambda (reals in [1, 2n])")
    q.add_argument("--alpha", type=_reals, required=True, help="row distortions of V (1 <= alpha <= d)")
    q.add_argument("--eps", type=_reals, required=True, help="target accuracies in (0, 1)")
    q.add_argument("--bits", type=_ints, required=True, help="fixed-point widths b (integers in [2, 32])")
    q.add_argument("--loader", type=_words(QATTENTION_LOADERS), default=["qrom"], help="loaders (default: qrom)")
    q.add_argument("--mean-method", choices=("chj", "coordinate"), default="chj", help="mean estimation")
    _add_common(q)
    p.set_defaults(func=run)
    for sp in (g, q):
        sp.set_defaults(func=run)


def _options(args) -> dict:
    if args.algorithm == "grover-sparse":
        return {"schedule": args.schedule, "arithmetic": args.arithmetic, "uncompute": args.uncompute}
    return {"mean_method": args.mean_method}


def _progress(quiet: bool):
    last = [0.0]

    def show(done: int, total: int, elapsed: float) -> None:
        if quiet or (elapsed - last[0] < 1.0 and done < total):
            return
        last[0] = elapsed
        eta = elapsed / done * (total - done)
        print(f"sweep: {done}/{total} points, {elapsed:.1f} s, ETA {eta:.1f} s", file=sys.stderr, flush=True)
    return show


def run(args) -> int:
    from estimates.sweep import PARAMETERS, n_points, sweep_rows

    if args.error_budget is not None and not (math.isfinite(args.error_budget) and 0 < args.error_budget < 1):
        raise QattnInputError(f"--error-budget must be a number in (0, 1); got {args.error_budget!r}")
    values = {key: getattr(args, key) for key in PARAMETERS[args.algorithm]}
    if not args.quiet:
        print(f"sweep: {args.algorithm}, {n_points(values)} points", file=sys.stderr, flush=True)
    start = time.perf_counter()
    rows = sweep_rows(args.algorithm, values, _options(args), model=args.model, error_budget=args.error_budget,
                      preset=args.preset, progress=_progress(args.quiet))
    if not args.quiet:
        print(f"sweep: done, {len(rows)} points in {time.perf_counter() - start:.2f} s", file=sys.stderr, flush=True)
    # no timing in the output: the same arguments give byte-identical output
    meta = {"algorithm": args.algorithm, "options": _options(args), "model": args.model, "preset": args.preset,
            "error_budget": args.error_budget, "points": len(rows)}
    if args.format == "json":
        import json

        json.dump({**meta, "rows": rows}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        write_csv(rows, sys.stdout)
    return 0


def _cell(v) -> str:
    """Lossless CSV cell: ints exact, floats by ``repr`` (round-trips), None empty."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v) if isinstance(v, float) else str(v)


def write_csv(rows, out) -> None:
    import csv

    columns: List[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([_cell(row.get(key)) for key in columns])
