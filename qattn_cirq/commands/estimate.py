"""``qattn estimate ALGORITHM ...``: logical fault-tolerant costs (T, Toffoli, Clifford, rotations, qubits).

Algorithms are registered in :data:`ESTIMATORS` (name -> :class:`Estimator`); adding one (e.g.
leverage-sampling, mean-estimation, qattention) is one entry with its own flags, no change here.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict

import attrs

from bloqs.loader_kinds import LOADER_KINDS, QATTENTION_LOADERS
from qattn_cirq.commands._common import add_format_flag, emit, real_type, size_type

ORDER = 20

S_LAMBDA_HELP = ("statistical dimension s_lambda, a real (`qattn inspect` prints e.g. 510.8); rounded UP to an "
                 "integer, since it sizes landmark counts and registers, and the output's notes say so")


@attrs.frozen
class Estimator:
    """One estimable algorithm: help text, a function adding its flags, and the estimate itself."""

    help: str
    #: adds the estimator's own flags to its sub-subparser (argparse rejects any other flag)
    add_arguments: Callable[[argparse.ArgumentParser], None]
    estimate: Callable[[argparse.Namespace], Dict[str, Any]]
    #: whether ``--from-data DIR`` can fill the algorithm's data parameters
    from_data: bool = True


def _grover_sparse_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("grover-sparse (arXiv 2307.08045, Alg. 1)")
    g.add_argument("--n", type=size_type, help="sequence length: rows of Q and K (integer >= 2; exact: 1e30 = 10^30, 2^40)")
    g.add_argument("--d", type=int, help="head dimension: entries per row (integer >= 1)")
    g.add_argument("--k", type=int, help="large entries per row, the k of (tau,k)-goodness (1 <= k <= n)")
    g.add_argument(
        "--bits", type=int, help="fixed-point width b of Q and K entries, two's complement (integer >= 2)"
    )
    g.add_argument(
        "--loader",
        choices=LOADER_KINDS,
        default="qrom",
        help=(
            "row loader: qrom = unary-iteration QROM (Babbush et al. 1805.03662), qroam = clean "
            "select-swap QROAM (Berry et al. 1902.02134), assumed = the papers' polylog-cost QRAM as a "
            "named cost model (default: qrom)"
        ),
    )
    g.add_argument(
        "--schedule", choices=("certified", "known-count"), default="certified",
        help=(
            "find-all schedule: certified = |S_i| <= k unknown (Theorem 1.3), BBHT steps plus a certification "
            "that no large entry is left, charged with exact expected calls (default); known-count = "
            "OPTIMISTIC option, |S_i| = k known, nothing certified"
        ),
    )
    g.add_argument(
        "--arithmetic", choices=("shift-add", "carry-save"), default="shift-add",
        help="inner product: shift-add = NAF shift-and-add (fewer qubits, default); carry-save = 3:2 compressor "
        "tree with a measurement-based uncompute (about 2.4x fewer T per inner product, ~4k more qubits at d=128)",
    )
    g.add_argument(
        "--uncompute", choices=("measurement", "reload"), default="measurement",
        help="how the oracle returns its loaded row to |0>: measurement = X-basis measurement + phase fix-up "
        "(Berry et al. 1902.02134 App. C, ~2 sqrt(n) And; default); reload = load it again (comparison option)",
    )
    g.add_argument(
        "--qram", choices=("counted", "external"), default="counted",
        help="assumed loader only: counted = the QRAM's routers and n b d memory cells are logical qubits "
        "(default); external = treat the QRAM as a separate device (the output says so)",
    )
    g.add_argument(
        "--failure-probability", type=float, default=None,
        help="certified schedule: probability that the whole run misses a large entry (default 0.01)",
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


def _measured(args: argparse.Namespace, keys) -> Dict[str, Any] | None:
    """With ``--from-data``, fill the flags in ``keys`` (``n``, ``d``, ``k``, ``s_lambda``,
    ``alpha``) that the user left out from the measured set; flags given explicitly win.

    Returns the ``measured`` section of the output (values, statistic and a label for each),
    or None without ``--from-data``.
    """
    if getattr(args, "from_data", None) is None:
        return None
    from qattn_cirq.commands._common import progress
    from qattn_cirq.realdata import load_set, measured_parameters

    heads = load_set(args.from_data)  # a bad file is refused in one line, before the progress line
    progress(f"qattn estimate: measuring {args.from_data} (O(n^3) per head)")
    m = measured_parameters(heads, args.statistic, mass=args.mass, lam_frac=args.lam_frac)
    source = {"n": m["n"], "d": m["d"], "k": m["k"], "s_lambda": m["s_lambda_int"], "alpha": m["alpha"]}
    used = {}
    for key in keys:
        if getattr(args, key, None) is None:
            setattr(args, key, source[key])
            used[key] = source[key]
    labels = {k: v for k, v in m["labels"].items() if k in used}
    return {"source": str(args.from_data), "statistic": m["statistic"], "heads": m["heads"],
            "values": used, "labels": labels}


def _require(args: argparse.Namespace, algorithm: str, names) -> None:
    from qattn_cirq.errors import QattnInputError

    for name in names:
        if getattr(args, name) is None:
            flag = "--" + name.replace("_", "-")
            raise QattnInputError(f"{flag} is required for {algorithm} (or --from-data DIR where it is measured)"
                                  if name in ("n", "d", "k", "s_lambda", "alpha") else
                                  f"{flag} is required for {algorithm}")


def _with_measured(result: Dict[str, Any], measured: Dict[str, Any] | None, notes=()) -> Dict[str, Any]:
    result = {**result, "measured": measured}
    if notes:
        result["notes"] = [*result.get("notes", ()), *notes]
    return result


def _round_up_s_lambda(args: argparse.Namespace) -> list:
    """``--s-lambda`` is a real (the statistical dimension sum_i l_i/(l_i + lambda) is, and
    ``qattn inspect`` prints it so); the estimates need an integer (it counts landmarks and sizes
    registers), so a non-integer one is rounded up, never down (an under-count of the landmarks
    would under-cost the algorithm), and the output's ``notes`` say so."""
    import math

    s_lambda = getattr(args, "s_lambda", None)
    if s_lambda is None or float(s_lambda).is_integer():
        if s_lambda is not None:
            args.s_lambda = int(s_lambda)
        return []
    args.s_lambda = math.ceil(s_lambda)
    return [f"--s-lambda {s_lambda!r} rounded up to {args.s_lambda}: it counts landmarks and sizes registers, "
            "so the estimate needs an integer (rounding up never under-counts)"]


def _grover_sparse_estimate(args: argparse.Namespace) -> Dict[str, Any]:
    from estimates.formulas import grover_sparse_estimate

    measured = _measured(args, ("n", "d", "k"))
    _require(args, "grover-sparse", ("n", "d", "k", "bits"))
    return _with_measured(
        grover_sparse_estimate(
            args.n, args.d, args.k, args.bits, loader=args.loader, tau=args.tau, schedule=args.schedule,
            arithmetic=args.arithmetic, uncompute=args.uncompute, qram=args.qram,
            failure_probability=args.failure_probability,
        ),
        measured,
    )


def _from_data_args(p) -> None:
    g = p.add_argument_group("measured parameters (a real model's heads; see `qattn inspect DIR`)")
    g.add_argument(
        "--from-data", metavar="DIR", default=None,
        help="take n, d and the algorithm's data parameters (k; s_lambda; alpha) left unset from a set of "
        "heads (a directory of .npz instances or a set archive, e.g. qattn_cirq/data/"
        "minilm_declaration_n256.npz); the output's `measured` section says which statistic each is",
    )
    g.add_argument("--statistic", choices=("min", "median", "max"), default="median",
                   help="statistic over the heads (default: median)")
    g.add_argument("--mass", type=real_type(0.0, 1.0), default=0.9,
                   help="k = smallest per-row key count holding this share of the softmax mass (default 0.9)")
    g.add_argument("--lam-frac", type=real_type(0.0), default=0.1,
                   help="s_lambda at lambda = LAM_FRAC * min_i D_ii / sqrt(n) (default 0.1)")


def _leverage_sampling_args(p) -> None:
    g = p.add_argument_group("leverage-sampling (amplitude-amplified importance sampling of V's rows / QSample)")
    g.add_argument("--n", type=size_type, help="number of rows (integer >= 2; exact: 1e30 = 10^30, 2^40)")
    g.add_argument("--d", type=int, help="row dimension (integer >= 1)")
    g.add_argument("--bits", type=int, help="fixed-point width of the weights (integer >= 1)")
    g.add_argument("--alpha", type=float, default=None,
                   help="row distortion of V, in [1, d] (row-norm kind; default 1.0)")
    g.add_argument("--samples", type=int, default=1, help="number of samples drawn (default 1)")
    g.add_argument("--kind", choices=("row-norm", "ridge"), default="row-norm",
                   help="row-norm: rows of V by squared norm; ridge: Nystrom landmarks by ridge leverage "
                   "scores (needs --s-lambda) (default: row-norm)")
    g.add_argument("--s-lambda", type=real_type(1.0, lo_open=False), default=None, help=S_LAMBDA_HELP + " (ridge kind)")


def _leverage_sampling_estimate(args: argparse.Namespace) -> Dict[str, Any]:
    from estimates.sampling_estimates import leverage_sampling_estimate

    keys = ("n", "d", "alpha") if args.kind == "row-norm" else ("n", "d", "s_lambda")
    measured = _measured(args, keys)
    _require(args, "leverage-sampling", ("n", "d", "bits"))
    notes = _round_up_s_lambda(args)
    alpha = 1.0 if args.alpha is None else args.alpha
    return _with_measured(
        leverage_sampling_estimate(args.n, args.d, alpha=alpha, bits=args.bits, samples=args.samples,
                                   kind=args.kind, s_lambda=args.s_lambda),
        measured, notes,
    )


def _mean_estimation_args(p) -> None:
    g = p.add_argument_group("mean-estimation (amplitude estimation per coordinate, or the CHJ cost model)")
    g.add_argument("--n", type=size_type, help="number of vectors averaged (integer >= 2; exact: 1e30 = 10^30, 2^40)")
    g.add_argument("--d", type=int, help="vector dimension (integer >= 1)")
    g.add_argument("--bits", type=int, help="fixed-point width of the entries (integer >= 1)")
    g.add_argument("--eps", type=float, default=None, help="target l2 error, in (0, 1)")
    g.add_argument("--delta", type=float, default=0.05, help="failure probability, in (0, 1) (default 0.05)")
    g.add_argument("--method", choices=("coordinate", "chj"), default="coordinate",
                   help="coordinate: BHMT amplitude estimation per coordinate (gate level); chj: "
                   "Cornelissen-Hamoudi-Jerbi query count as a cost model (default: coordinate)")
    g.add_argument("--chj-constant", type=float, default=1.0,
                   help="the constant C of the CHJ query count, a modelling choice (default 1.0)")


def _mean_estimation_estimate(args: argparse.Namespace) -> Dict[str, Any]:
    from estimates.sampling_estimates import mean_estimation_estimate

    _require(args, "mean-estimation", ("n", "d", "bits", "eps"))
    return mean_estimation_estimate(args.n, args.d, args.bits, args.eps, delta=args.delta,
                                    method=args.method, chj_constant=args.chj_constant)


def _qattention_args(p) -> None:
    g = p.add_argument_group("qattention (arXiv 2602.00874, Thm 3.1)")
    g.add_argument("--n", type=size_type, help="sequence length (integer >= 2; exact: 1e30 = 10^30, 2^40)")
    g.add_argument("--d", type=int, help="head dimension (integer >= 1)")
    g.add_argument("--bits", type=int, help="fixed-point width b (integer >= 2)")
    g.add_argument("--loader", choices=QATTENTION_LOADERS, default="qrom",
                   help="qrom (gate level) or assumed (polylog QRAM cost model)")
    g.add_argument("--s-lambda", type=real_type(1.0, lo_open=False), default=None,
                   help=S_LAMBDA_HELP + " (1 <= s <= 2n)")
    g.add_argument("--alpha", type=float, default=None, help="row distortion of V (1 <= alpha <= d)")
    g.add_argument("--eps", type=float, default=None, help="target accuracy eps in (0, 1)")
    g.add_argument("--mean-method", choices=("chj", "coordinate"), default="chj",
                   help="D by CHJ cost model (default) or coordinate-wise amplitude estimation")
    g.add_argument("--multi-sample", choices=("hamoudi", "repeat"), default="hamoudi",
                   help="V samples: hamoudi sqrt(K N) cost model (default) or repeat")
    g.add_argument("--row-query", choices=("classical", "reversible"), default="classical",
                   help="classical (default, the paper's algorithm: FLOPs on the classical model) or reversible "
                   "(an option, not the paper's algorithm: a reversible circuit charged n times)")
    g.add_argument("--gpu", default="h100-sxm",
                   help="classical model for the post-processing and row queries (h100-sxm, h200-sxm, a100-sxm; "
                   "default h100-sxm)")


def _qattention_estimate(args: argparse.Namespace) -> Dict[str, Any]:
    from estimates.qattention_estimates import qattention_estimate
    from qattn_cirq.errors import QattnInputError

    measured = _measured(args, ("n", "d", "s_lambda", "alpha"))
    missing = [f"--{name.replace('_', '-')}" for name in ("n", "d", "s_lambda", "alpha", "eps", "bits")
               if getattr(args, name) is None]
    if missing:
        raise QattnInputError(f"{', '.join(missing)} required for qattention")
    notes = _round_up_s_lambda(args)
    return _with_measured(
        qattention_estimate(args.n, args.d, args.s_lambda, args.alpha, args.eps, args.bits, loader=args.loader,
                            mean_method=args.mean_method, multi_sample=args.multi_sample,
                            row_query=args.row_query, gpu=args.gpu),
        measured, notes,
    )


#: name -> Estimator. Register further algorithms here.
ESTIMATORS: Dict[str, Estimator] = {
    "grover-sparse": Estimator(
        help="Grover sparse attention: n rows x find-all-marked Grover search (arXiv 2307.08045)",
        add_arguments=_grover_sparse_args,
        estimate=_grover_sparse_estimate,
    ),
    "leverage-sampling": Estimator(
        help="one or more samples of V's rows by squared norm (or Nystrom landmarks by ridge leverage "
        "scores) by amplitude amplification (arXiv 2602.00874 building block)",
        add_arguments=_leverage_sampling_args,
        estimate=_leverage_sampling_estimate,
    ),
    "mean-estimation": Estimator(
        help="multivariate mean of n b-bit vectors to l2 error eps (arXiv 2602.00874 building block)",
        add_arguments=_mean_estimation_args,
        estimate=_mean_estimation_estimate,
        from_data=False,
    ),
    "qattention": Estimator(
        help="sublinear QAttention data structure: quantum preprocessing + n classical row queries, with a "
        "per-component ledger (arXiv 2602.00874 Thm 3.1)",
        add_arguments=_qattention_args,
        estimate=_qattention_estimate,
    ),
}


#: the T-count convention and how to chain into ``qattn physical`` (both --help texts state it)
CONVENTION_HELP = (
    "Convention: logical.t_count = T + 4 x (Toffoli + And + CSWAP) + 11 x rotations (everything as T; "
    "And-dagger is measurement based, 0 T); logical.t is the RAW T count, with toffoli and rotations "
    "separate. `qattn physical` wants the raw fields: pass logical.t as --t-count (never t_count beside "
    "--toffoli), or chain directly: qattn estimate ... > est.json && qattn physical --from est.json "
    "(or `| qattn physical --from -`)."
)
OUTPUT_HELP = (
    "JSON output, the same top-level keys for every algorithm: schema, algorithm, params, loader (null "
    "where the algorithm has no loader choice), options, logical {t_count, t, toffoli, clifford, rotations, "
    "measurements, qubits; assumed loader also circuit_qubits, qram_qubits, qram_counted}, logical_parts "
    "(qattention: preprocess, row_query; else empty), components (per component: the same keys + calls), "
    "ledger (one row per component: calls, T per call, total, share, source, best-known construction and "
    "our ratio to it), measured (--from-data; else null), notes (roundings and other caveats), conventions, "
    "details (what only this algorithm has: grover-sparse's oracle, oracle_calls, expected_oracle_calls, "
    "worst_case_oracle_calls, known_count_oracle_calls, certification and classical_flops (post-processing, "
    "not in the quantum cost); qattention's classical row-query model and cost_models; ...). Worst case over queries and over |S_i| <= k. Integers are exact; a "
    "count that went through float arithmetic past 2^53 is printed as a float (and notes say so). "
    "--format csv is the same flattened (dotted keys, lists as JSON text), lossless; table and latex "
    "round floats to 6 digits and print the ledger as a second table."
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "estimate",
        help="logical fault-tolerant costs of an attention algorithm",
        description=(
            "Logical resource estimate from the algorithm's Qualtran call graph (symbolic formula, "
            "evaluated at the given sizes; nothing of size n is enumerated). " + OUTPUT_HELP + " " + CONVENTION_HELP
            + " Algorithms: " + "; ".join(f"{k}: {v.help}" for k, v in ESTIMATORS.items())
        ),
    )
    algorithms = p.add_subparsers(dest="algorithm", metavar="ALGORITHM", required=True, parser_class=type(p))
    for name, est in ESTIMATORS.items():
        a = algorithms.add_parser(name, help=est.help, description=est.help, epilog=CONVENTION_HELP)
        est.add_arguments(a)
        if est.from_data:
            _from_data_args(a)
        add_format_flag(a)
        a.set_defaults(func=run)


#: The one schema of ``qattn estimate --format json``, every algorithm: these top-level keys, always, in
#: this order. What only one algorithm has (grover-sparse's oracle calls, qattention's classical
#: row-query model, ...) is under ``details``. ``logical`` is always the flat totals with raw ``t``;
#: ``logical_parts`` splits them where the algorithm has parts (qattention: preprocess, row_query).
SCHEMA = "qattn-estimate/1"
ENVELOPE = ("schema", "algorithm", "params", "loader", "options", "logical", "logical_parts", "components",
            "ledger", "measured", "notes", "conventions", "details")
_LOGICAL_ORDER = ("t_count", "t", "toffoli", "clifford", "rotations", "measurements", "qubits")



def _with_raw_t(logical: Dict[str, Any]) -> Dict[str, Any]:
    """The ``logical`` block with the raw fields ``qattn physical`` takes (``t`` beside ``t_count``;
    see :meth:`estimates.counts.LogicalCounts.raw`), in a fixed order, other keys after."""
    from estimates.counts import LogicalCounts

    if "qubits" not in logical or not ("t" in logical or "t_count" in logical):
        return logical
    raw = LogicalCounts.from_logical(logical).raw()
    merged = {**logical, **raw}
    return {**{k: merged[k] for k in _LOGICAL_ORDER if k in merged}, **merged}


def _float_derived(result: Dict[str, Any]) -> str | None:
    """Why the counts' integers past 2^53 are float noise, or None when they are exact.

    * grover-sparse, certified schedule: the BBHT / certification schedule is float64 arithmetic
      (``bloqs.grover.certified_find_all_costs``: ``math.sqrt(n)``, ``math.ceil``); past n = 2^53 it
      works on float(n) != n. The known-count schedule is exact integer arithmetic.
    * leverage-sampling: the rounds ``ceil(pi/4 sqrt(alpha n / d))`` are evaluated with ``alpha`` a
      float (15 digits): at n = 1e30 the T-count differed from the exact one from the 15th digit.
    * qattention: its cost models are evaluated from float parameters (alpha, eps, the CHJ
      constant) to 1e-6 relative (``estimates.qattention_estimates``).

    mean-estimation's counts are exact at any n (checked at n = 1e100 against its formula)."""
    name, n = result.get("algorithm"), result.get("params", {}).get("n")
    why = ": counts past 2^53 are printed as floats (about 16 significant digits), not as exact-looking integers"
    if name == "grover-sparse" and result.get("options", {}).get("schedule") == "certified":
        if isinstance(n, int) and n > 2**53:
            return "n > 2^53 and the certified schedule's BBHT rounds are float64 arithmetic" + why
    if name == "leverage-sampling":
        return "the sampling rounds are evaluated with a float alpha" + why
    if name == "qattention":
        return "qattention's cost models are evaluated from float parameters" + why
    return None


def shaped(result: Dict[str, Any]) -> Dict[str, Any]:
    """An estimator's result in the one schema (:data:`ENVELOPE`), with raw ``t`` in ``logical``,
    and integers past 2^53 that are float noise printed as floats (with a note)."""
    result = dict(result)
    logical = result.pop("logical", {})
    parts = {}
    if isinstance(logical.get("total"), dict):  # qattention: preprocess + row_query = total
        parts = {k: _with_raw_t(v) for k, v in logical.items() if k != "total"}
        logical = logical["total"]
    out = {"schema": SCHEMA, "algorithm": result.pop("algorithm"), "params": result.pop("params", {}),
           "loader": result.pop("loader", None), "options": result.pop("options", {}),
           "logical": _with_raw_t(logical), "logical_parts": parts, "components": result.pop("components", {}),
           "ledger": result.pop("ledger", []), "measured": result.pop("measured", None),
           "notes": list(result.pop("notes", [])), "conventions": result.pop("conventions", None)}
    out["details"] = result
    why = _float_derived({**out, **result})
    if why is not None:
        from qattn_cirq.output import floats_past_2_53

        rest, changed = floats_past_2_53({k: v for k, v in out.items() if k != "params"})
        if changed:
            out = {**out, **rest}
            out["notes"].append(why)
    return {k: out[k] for k in ENVELOPE}


def _with_ledger(result: Dict[str, Any], fmt: str) -> str:
    """``--format table|latex``: the key/value table of the rest, then the ledger as a table of its
    own, one row per component (quantum: T; classical: FLOPs, bytes, seconds on the classical model)."""
    from qattn_cirq.output import render

    rest = {k: v for k, v in result.items() if k != "ledger"}
    keys = ("component", "kind", "calls", "t_per_call", "t_total", "share", "flops", "bytes", "seconds",
            "best_known", "source")
    rows = [{k: row.get(k) for k in keys} for row in result["ledger"]]
    if not rows:
        return render(rest, fmt)
    sep = "\n\n% ledger (one row per component)\n" if fmt == "latex" else "\n\nledger (one row per component)\n"
    return render(rest, fmt) + sep + render(rows, fmt)


def run(args: argparse.Namespace) -> int:
    result = shaped(ESTIMATORS[args.algorithm].estimate(args))
    if args.format in ("table", "latex"):
        print(_with_ledger(result, args.format))
        return 0
    emit(result, args.format)
    return 0
