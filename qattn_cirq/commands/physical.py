"""``qattn physical``: physical surface-code costs of given logical counts.

Examples:
  qattn physical --qubits 100 --t-count 1000000 --toffoli 5000 --rotations 1000 --format table
  qattn estimate grover-sparse --n 4096 --d 128 --k 32 --bits 8 > est.json
  qattn physical --from est.json          (or: qattn estimate ... | qattn physical --from -)

Convention (the T-count trap): --t-count is RAW T gates. Toffoli-class gates (Toffoli, And, CSWAP)
go in --toffoli and arbitrary rotations in --rotations, each costed by the model's own factories and
synthesis. `qattn estimate` prints t_count = T + 4 x Toffoli + 11 x rotations (everything as T) AND
the raw fields t, toffoli, rotations, measurements, qubits under `logical`: pass logical.t as
--t-count, never logical.t_count beside --toffoli (that counts each Toffoli twice). --from FILE.json
does this for you and echoes what it used under `input`.

Models: ms (reproduces Microsoft's resource estimator, presets qubit_gate_ns_e3 ...) and
gidney-fowler (Qualtran's CCZ-factory model, presets gidney_fowler_e3 / _e4). Output keys (both
models): model, physical_qubits, runtime_s, code_distance, factories, physical_qubits_algorithm,
physical_qubits_factories, factory, parameters, input, details (the model's own extra quantities),
microsoft_estimator (null unless --compare-microsoft).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from qattn_cirq.commands._common import add_format_flag, emit, exact_int
from estimates.model_names import MODELS, PRESETS
from qattn_cirq.errors import QattnInputError

ORDER = 40


#: the count flags' parser (exact integers, ``1e30`` = 10^30, ``2^40``); bounds are checked by
#: :meth:`estimates.counts.LogicalCounts.concrete`, naming the flag
_count = exact_int


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "physical",
        help="physical qubits and runtime of logical counts on a surface-code machine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--from", dest="from_file", metavar="FILE.json", default=None,
                   help="take the counts from a `qattn estimate` JSON (any algorithm; '-' reads stdin): its "
                   "logical.t, toffoli, rotations, measurements, qubits (instead of the count flags)")
    p.add_argument("--qubits", type=_count, default=None, help="logical algorithm qubits Q (>= 1; required without --from)")
    p.add_argument("--t-count", type=_count, default=None,
                   help="RAW T gates, Toffolis and rotations NOT folded in (an estimate's logical.t, not its "
                   "t_count = T + 4 Toffoli + 11 rotations; required without --from)")
    p.add_argument("--toffoli", type=_count, default=None, help="Toffoli-class gates (CCZ / And / CSWAP; default 0)")
    p.add_argument("--rotations", type=_count, default=None, help="arbitrary-angle rotations (default 0)")
    p.add_argument("--rotation-depth", type=_count, default=None,
                   help="rotation layers (default: the estimate's, else = rotations); also allowed with --from")
    p.add_argument("--measurements", type=_count, default=None, help="single-qubit measurements (default 0)")
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
_COUNT_FLAGS = {"qubits": "--qubits", "t": "--t-count", "toffoli": "--toffoli", "rotations": "--rotations",
                "rotation_depth": "--rotation-depth", "measurements": "--measurements"}
_ARG_OF = {"qubits": "qubits", "t": "t_count", "toffoli": "toffoli", "rotations": "rotations",
           "rotation_depth": "rotation_depth", "measurements": "measurements"}


def _check_options(args) -> None:
    """What is not a count: the error budget's range and the ms-only flags (counts are checked by
    :meth:`estimates.counts.LogicalCounts.concrete`, the one range check, with the flags' names)."""
    eb = args.error_budget
    if eb is not None and not (math.isfinite(eb) and 0.0 < eb < 1.0):
        raise QattnInputError(f"--error-budget must be a number in (0, 1); got {eb!r}")
    if args.model != "ms" and args.qec_scheme:
        raise QattnInputError("--qec-scheme applies to --model ms only")
    if args.model != "ms" and args.compare_microsoft:
        raise QattnInputError("--compare-microsoft applies to --model ms only")


def _counts_from_flags(args):
    """The counts given as flags: --qubits and --t-count required, the rest default 0."""
    from estimates.counts import LogicalCounts

    for field in ("qubits", "t"):
        if getattr(args, _ARG_OF[field]) is None:
            raise QattnInputError(f"{_COUNT_FLAGS[field]} is required (or --from FILE.json, an estimate's output)")
    vals = {f: getattr(args, _ARG_OF[f]) for f in _COUNT_FLAGS}
    vals = {f: (0 if v is None and f != "rotation_depth" else v) for f, v in vals.items()}
    counts = LogicalCounts(**vals).concrete(labels=_COUNT_FLAGS)
    return counts, {"source": "flags"}


def _read_json(source: str):
    where = "stdin" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else open(source).read()
    except (OSError, UnicodeDecodeError) as e:
        raise QattnInputError(f"--from {where}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise QattnInputError(f"--from {where}: not JSON ({e.msg} at line {e.lineno}); expected the output of "
                              "`qattn estimate ... --format json`") from None


def _estimate_logical(data, where: str) -> dict:
    """The ``logical`` totals of a ``qattn estimate`` JSON (this version's flat block, or the
    ``total`` of an older qattention one), or a one-line refusal saying what the file is not."""
    if not isinstance(data, dict) or not isinstance(data.get("algorithm"), str) or "logical" not in data:
        what = "qattn physical output" if isinstance(data, dict) and "physical_qubits" in data else (
            "a JSON " + type(data).__name__)
        raise QattnInputError(f"--from {where}: not a `qattn estimate` JSON (needs top-level algorithm and "
                              f"logical; this is {what})")
    logical = data["logical"]
    if isinstance(logical, dict) and isinstance(logical.get("total"), dict):
        logical = logical["total"]
    if not isinstance(logical, dict) or "qubits" not in logical or not ("t" in logical or "t_count" in logical):
        raise QattnInputError(f"--from {where}: its logical block has no qubits and t (or t_count): not a "
                              "`qattn estimate` JSON")
    return logical


def _counts_from_estimate(args):
    """The counts of an estimate JSON (file or stdin), with ``rotation_depth`` from the flag if given."""
    import attrs

    from estimates.counts import LogicalCounts

    given = [_COUNT_FLAGS[f] for f in _COUNT_FLAGS if f != "rotation_depth" and getattr(args, _ARG_OF[f]) is not None]
    if given:
        raise QattnInputError(f"{given[0]} cannot be combined with --from (the counts come from the estimate; "
                              "only --rotation-depth may be added)")
    data = _read_json(args.from_file)
    where = "stdin" if args.from_file == "-" else args.from_file
    logical = _estimate_logical(data, where)
    # integral floats (an estimate's honest float for a count past 2^53) are whole numbers; 66579.4 is refused
    approximate = sorted(k for k, v in logical.items() if isinstance(v, float) and v.is_integer())
    logical = {k: int(v) if k in approximate else v for k, v in logical.items()}
    counts = LogicalCounts.from_logical(logical)
    if args.rotation_depth is not None:
        counts = attrs.evolve(counts, rotation_depth=args.rotation_depth)
    labels = {f: f"logical.{f} in {where}" for f in _COUNT_FLAGS}
    labels["rotation_depth"] = "--rotation-depth" if args.rotation_depth is not None else labels["rotation_depth"]
    counts = counts.concrete(labels=labels)
    info = {"source": where, "algorithm": data["algorithm"], "loader": data.get("loader")}
    if "t" not in logical:
        info["t_recovered"] = "t = t_count - 4 toffoli - 11 rotations (the estimate had no raw t)"
    if approximate:
        info["approximate"] = (f"the estimate gave {', '.join(approximate)} as floats (float arithmetic past "
                               "2^53): integers past 2^53 below are printed as floats too")
    return counts, info


def _shaped(result: dict, counts, info: dict) -> dict:
    """One schema for both models: the shared headline keys, ``factory``, ``parameters``, ``input``
    (the counts used, raw T with Toffolis separate, and where they came from), ``details`` (the
    model's own extra quantities) and ``microsoft_estimator``."""
    head = ("model", "physical_qubits", "runtime_s", "code_distance", "factories", "physical_qubits_algorithm",
            "physical_qubits_factories", "factory", "parameters")
    out = {k: result.get(k) for k in head}
    out["input"] = {**info, **counts.raw(), "rotation_depth": counts.r_depth, "t_count": counts.t_count}
    out["details"] = {k: v for k, v in result.items() if k not in head}
    out["microsoft_estimator"] = None
    return out


def run(args) -> int:
    from estimates.physical import physical_estimate, run_microsoft_estimator

    _check_options(args)
    counts, info = _counts_from_estimate(args) if args.from_file is not None else _counts_from_flags(args)
    result = physical_estimate(counts, model=args.model, error_budget=args.error_budget, preset=args.preset,
                               qec_scheme=args.qec_scheme)
    out = _shaped(result, counts, info)
    if "approximate" in info:
        from qattn_cirq.output import floats_past_2_53

        out = floats_past_2_53(out)[0]
    if args.compare_microsoft:
        p = result["parameters"]
        out["microsoft_estimator"] = run_microsoft_estimator(counts, p["error_budget"], p["preset"], args.qec_scheme)
    if args.format in ("table", "latex"):
        print(_table_with_rounds(out, args.format))
        return 0
    emit(out, args.format)
    return 0


def _table_with_rounds(out: dict, fmt: str = "table") -> str:
    """``--format table|latex``: the key/value table, then the factory's distillation rounds (ms
    model) as a table of their own, so nothing of the JSON is dropped."""
    from qattn_cirq.output import render

    rounds = (out.get("factory") or {}).get("rounds")
    if not isinstance(rounds, list) or not rounds:
        return render(out, fmt)
    factory = {k: v for k, v in out["factory"].items() if k != "rounds"}
    text = render({**out, "factory": factory}, fmt)
    title = "factory.rounds (one row per distillation round)"
    return text + ("\n\n% " if fmt == "latex" else "\n\n") + title + "\n" + render(rounds, fmt)
