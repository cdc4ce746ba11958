"""``qattn physical``: physical surface-code costs of given logical counts.

Example: ``qattn physical --qubits 100 --t-count 1000000 --rotations 1000 --format table``.
Models: ``ms`` (reproduces Microsoft's resource estimator, presets ``qubit_gate_ns_e3`` ...) and
``gidney-fowler`` (Qualtran's CCZ-factory model, presets ``gidney_fowler_e3`` / ``_e4``).
"""

from __future__ import annotations

import argparse
import decimal
import math

from qattn_cirq.commands._common import add_format_flag, emit
from estimates.model_names import MODELS, PRESETS
from qattn_cirq.errors import QattnInputError

ORDER = 40


def _count(text: str) -> int:
    """A non-negative integer count from ``text``: exact ``int`` syntax first, then decimal exponent syntax.

    ``int(text)`` keeps counts past 2^53 exact (``12345678901234567891`` stays that number);
    ``1e9`` / ``2.5e3`` are read as exact decimals (``1e30`` is 10^30, not the float nearest it) and
    accepted only when the value is a finite non-negative whole number. ``inf`` / ``nan`` / ``1.5`` /
    ``-3`` give argparse's one-line error (exit 2) naming the flag, not a traceback
    (``int(float('inf'))`` raises ``OverflowError``). Counts past 1e100 are refused by
    :func:`_check_flags` (naming the flag), with the bound of :class:`estimates.counts.LogicalCounts`.
    """
    try:
        v = int(text)
    except ValueError:
        try:
            x = decimal.Decimal(text.strip())
        except decimal.InvalidOperation:
            raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
        # adjusted() bounds the digits before building the int (1e999999999 would take a gigabyte)
        if not x.is_finite() or x != x.to_integral_value():
            raise argparse.ArgumentTypeError(f"expected a finite non-negative integer, got {text!r}")
        if x.adjusted() > 400:
            raise argparse.ArgumentTypeError(f"expected a count below 1e400, got {text!r}")
        v = int(x)
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return v


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "physical",
        help="physical qubits and runtime of logical counts on a surface-code machine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--qubits", type=_count, required=True, help="logical algorithm qubits Q (>= 1)")
    p.add_argument("--t-count", type=_count, required=True, help="T gates (Toffolis and rotations go separately)")
    p.add_argument("--toffoli", type=_count, default=0, help="Toffoli-class gates (CCZ / And / CSWAP)")
    p.add_argument("--rotations", type=_count, default=0, help="arbitrary-angle rotations")
    p.add_argument("--rotation-depth", type=_count, default=None, help="rotation layers (default: = rotations)")
    p.add_argument("--measurements", type=_count, default=0, help="single-qubit measurements")
    p.add_argument("--model", choices=MODELS, default="ms", help="physical model (default: ms)")
    p.add_argument("--error-budget", type=float, default=None,
                   help="total failure probability in (0, 1) (default: 1e-3 for ms, 1e-2 for gidney-fowler)")
    p.add_argument("--preset", choices=PRESETS, default=None,
                   help="hardware preset (ms: qubit_gate_ns_e3 default; gidney-fowler: gidney_fowler_e3 default)")
    p.add_argument("--qec-scheme", choices=("surface_code", "floquet_code"), default=None,
                   help="ms model only: QEC scheme (floquet_code needs a qubit_maj_* preset)")
    p.add_argument("--compare-microsoft", action="store_true",
                   help="ms model only: also run Microsoft's estimator on the same counts")
    add_format_flag(p, default="json")
    p.set_defaults(func=run)


#: LogicalCounts field of each count flag, so that refusals name the flag (issue 14), not the field
_COUNT_FLAGS = (("qubits", "--qubits"), ("t_count", "--t-count"), ("toffoli", "--toffoli"),
                ("rotations", "--rotations"), ("rotation_depth", "--rotation-depth"),
                ("measurements", "--measurements"))


def _check_flags(args) -> None:
    """The checks :class:`estimates.counts.LogicalCounts` and :func:`estimates.physical.physical_estimate`
    make, done first here so the one-line error names ``--t-count`` rather than ``t``,
    ``--error-budget`` rather than ``error budget`` (same bounds: ``MAX_COUNT`` = 1e100, past which
    the float64 error-rate arithmetic overflows; budget in (0, 1))."""
    from estimates.counts import MAX_COUNT

    for attr, flag in _COUNT_FLAGS:
        v = getattr(args, attr)
        if v is not None and v > MAX_COUNT:
            raise QattnInputError(
                f"{flag} must be <= 1e100 (float64 error-rate arithmetic); got ~10^{math.log10(v):.1f}"
            )
    if args.qubits < 1:
        raise QattnInputError(f"--qubits must be an integer >= 1; got {args.qubits}")
    if args.rotation_depth is not None and args.rotation_depth > args.rotations:
        raise QattnInputError(
            f"--rotation-depth must be an integer in [0, --rotations = {args.rotations}]; got {args.rotation_depth}"
        )
    eb = args.error_budget
    if eb is not None and not (math.isfinite(eb) and 0.0 < eb < 1.0):
        raise QattnInputError(f"--error-budget must be a number in (0, 1); got {eb!r}")


def run(args) -> int:
    from estimates.counts import LogicalCounts
    from estimates.physical import physical_estimate, run_microsoft_estimator

    _check_flags(args)
    inp = LogicalCounts(
        qubits=args.qubits, t=args.t_count, toffoli=args.toffoli, rotations=args.rotations,
        rotation_depth=args.rotation_depth, measurements=args.measurements,
    )
    if args.model != "ms" and args.qec_scheme:
        raise QattnInputError("--qec-scheme applies to --model ms only")
    result = physical_estimate(inp, model=args.model, error_budget=args.error_budget, preset=args.preset,
                               qec_scheme=args.qec_scheme)
    out = {k: result[k] for k in ("model", "physical_qubits", "runtime_s", "code_distance", "factories")}
    out.update({k: v for k, v in result.items() if k not in out})
    if args.compare_microsoft:
        if args.model != "ms":
            raise QattnInputError("--compare-microsoft applies to --model ms only")
        p = result["parameters"]
        out["microsoft_estimator"] = run_microsoft_estimator(inp, p["error_budget"], p["preset"], args.qec_scheme)
    if args.format != "json":
        # keep tables readable: drop the nested factory round list
        out = {k: v for k, v in out.items() if k != "factory"}
    emit(out, args.format)
    return 0
