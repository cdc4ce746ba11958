"""``qattn simulate ALGORITHM ...``: gate-level qsim simulation of a small instance, end to end.

Each algorithm is a sub-command with its own flags. ``grover-sparse`` runs :func:`qattn_cirq.pipelines.grover_sparse_attention`: per row, Grover search
(arXiv 2307.08045 Lemma 3.3) on qsim with the project's ThresholdOracle, measurements verified
classically, found items excluded, BBHT stopping rule; then D(B)^-1 B V from the measured sets,
compared with exact attention and the Theorem 5.2 bound.
"""

from __future__ import annotations

import argparse

from bloqs.loader_kinds import SIMULABLE_LOADERS
from qattn_cirq.errors import QattnInputError
from qattn_cirq.commands._common import SEED_MAX, add_format_flag, emit, progress, real_type, seed_type, workers_type

ORDER = 30
#: ``--max-seconds`` default (:data:`qattn_cirq.budget.DEFAULT_MAX_SECONDS`; kept here so that
#: building the parser imports nothing heavy; a test checks they agree).
DEFAULT_MAX_SECONDS = 3600.0
#: Output formats of both sub-commands: json (lossless), table (summary, then one line per row for
#: grover-sparse), csv (one flattened line; lists as JSON text), latex (the table's content).
FORMATS = ("json", "table", "csv", "latex")


_GROVER_DESCRIPTION = (
    "For each row i, Grover search for S_i = {j : scale q_i.k_j >= tau} on qsim "
    "(ThresholdOracle on b-bit fixed-point Q, K; circuit width == Qualtran QubitCount for qrom, ancillas "
    "reused), measured indices verified classically and excluded from a new oracle; a row stops "
    "once k items are found, or when a BBHT search step (quant-ph/9605034) spends shots x "
    "ceil(E_max/delta) Grover iterations without success (E_max: BBHT's largest expected "
    "iteration count; delta = --failure-probability). Then D(B)^-1 B V from the measured "
    "sets vs exact attention and the Theorem 5.2 bound. Output keys: qubits, qubit_count, rows "
    "[{i, found, exact, ...}], all_sets_found, oracle_calls, classical_checks, max_abs_error, "
    "bound, within_bound, note, goodness, params, timing. An instance that is not (tau,k)-good is run "
    "anyway with bound = within_bound = null and a note. Too wide to simulate, or predicted to take "
    "longer than --max-seconds: exit 2, before the instance is built. --workers N / --scheduler ADDR "
    "run the rows' searches on Dask with the same result (docs/simulation.md)."
)
_QATTENTION_DESCRIPTION = (
    "The sublinear QAttention data structure (arXiv 2602.00874) on qsim: ridge-leverage landmark "
    "sampling, amplitude estimation of D and row-norm sampling of V, each a measured circuit; the "
    "structure answers every row and is compared with exact attention and the theorem's bound. "
    "--workers N / --scheduler ADDR run the per-landmark amplitude-estimation circuits on Dask with "
    "the same result (docs/simulation.md)."
)


def _run_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("where and how long (docs/simulation.md)")
    g.add_argument(
        "--workers", type=workers_type, default=None, metavar="N",
        help="run the independent tasks on a local Dask cluster of N single-threaded worker processes "
        "(needs pip install -e '.[dask]'); default: serially in this process. Same output either way",
    )
    g.add_argument(
        "--scheduler", default=None, metavar="ADDRESS",
        help="run the tasks on an existing Dask scheduler, e.g. tcp://HOST:8786 (default: $DASK_SCHEDULER_ADDRESS if set)",
    )
    g.add_argument(
        "--max-seconds", type=real_type(0.0), default=DEFAULT_MAX_SECONDS, metavar="S",
        help=f"refuse a run whose predicted qsim time (gates x 2^qubits at a rate measured here) is over S seconds (default {DEFAULT_MAX_SECONDS:g})",
    )
    g.add_argument(
        "--no-timing", action="store_true",
        help="leave out the 'timing' block (wall times, executor): the same seed then gives byte-identical output",
    )



def _common_args(p: argparse.ArgumentParser, instance_help: str) -> argparse._ArgumentGroup:
    src = p.add_argument_group(instance_help)
    src.add_argument("--input", metavar="FILE.npz", help="arrays Q, K, V (n x d) and optional scale")
    src.add_argument("--n", type=int, help="random or planted instance: rows (integer >= 2)")
    src.add_argument("--d", type=int, help="random or planted instance: head dimension (integer >= 1)")
    p.add_argument(
        "--seed", type=seed_type, default=0,
        help=f"seed of the instance and of all sampling, an integer in [0, {SEED_MAX}] (default 0)",
    )
    p.add_argument(
        "--memory-limit", type=float, default=None, metavar="BYTES",
        help="state-vector memory limit (default: available memory, or $QATTN_SIM_MEMORY_LIMIT)",
    )
    return src


def _grover_sparse_args(p: argparse.ArgumentParser) -> None:
    src = _common_args(p, "instance (either --input or --n/--d/--k for a planted instance)")
    src.add_argument(
        "--k", type=int,
        help="large entries per row (1 <= k <= n); with --input optional: a row stops once k are found",
    )
    src.add_argument(
        "--eta", type=float, default=None,
        help="planted instance: small scores lie in [-eta, 0] (default: 2 tau, so coarse grids keep some nonzero small scores)",
    )
    p.add_argument("--tau", type=float, default=None, help="score threshold (default 2 ln n, arXiv 2307.08045 Thm 1.3)")
    p.add_argument("--bits", type=int, default=2, help="fixed-point width of Q and K entries (>= 2, default 2)")
    p.add_argument(
        "--loader", choices=SIMULABLE_LOADERS, default=SIMULABLE_LOADERS[0],
        help="row loader of the oracle: qrom (unary iteration) or qroam (select-swap; its measurement-based "
        "uncompute runs as its deferred-measurement equivalent); default qrom",
    )
    p.add_argument("--shots", type=int, default=1, help="Grover runs (measurements) per BBHT round (>= 1, default 1)")
    p.add_argument(
        "--failure-probability", type=float, default=0.01,
        help="delta of the BBHT stopping rule per search step (0 < delta < 1, default 0.01)",
    )


def _qattention_args(p: argparse.ArgumentParser) -> None:
    _common_args(p, "instance (either --input or --n/--d for a random instance)")
    g = p.add_argument_group("qattention (arXiv 2602.00874)")
    g.add_argument("--lam", type=float, default=None, help="ridge parameter lambda > 0 of the Nystrom step (required)")
    g.add_argument("--eps", type=float, default=None, help="target accuracy eps in (0, 1) (required)")
    g.add_argument("--value-bits", type=int, default=3, help="bits of sampler weights and mean-estimation values (2..8, default 3)")
    g.add_argument("--phase-bits", type=int, default=None, help="amplitude-estimation phase bits (default from eps)")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="simulate a small instance gate by gate on qsim and check the attention output",
        description="Gate-level qsim simulation of a small instance, end to end. ALGORITHM --help for its flags.",
    )
    algorithms = p.add_subparsers(dest="algorithm", metavar="ALGORITHM", required=True, parser_class=type(p))
    for name, add_args, description, formats in (
        ("grover-sparse", _grover_sparse_args, _GROVER_DESCRIPTION, FORMATS),
        ("qattention", _qattention_args, _QATTENTION_DESCRIPTION, FORMATS),
    ):
        a = algorithms.add_parser(name, help=description.split(". ")[0], description=description)
        add_args(a)
        _run_args(a)
        add_format_flag(a, choices=formats)
        a.set_defaults(func=run)


def _qattention_instance(args: argparse.Namespace):
    """The instance of ``qattn simulate qattention (--input FILE.npz | --n N --d D) --lam L --eps E``."""
    from qattn_cirq.instance import random_instance

    if args.lam is None or args.eps is None:
        raise QattnInputError("--lam and --eps are required for qattention")
    if args.input is not None:
        if args.n is not None or args.d is not None:
            raise QattnInputError("give either --input or --n/--d, not both")
        inst = _load_input(args.input)
    else:
        if args.n is None or args.d is None:
            raise QattnInputError("--n and --d are required without --input (or give --input FILE.npz)")
        _qattention_precheck(args)
        inst = random_instance(args.n, args.d, seed=args.seed)
    return inst


def _qattention_run(args: argparse.Namespace, inst, executor, task_progress):
    from qattn_cirq.pipelines import simulate_qattention

    res = simulate_qattention(
        inst, args.lam, args.eps, seed=args.seed, bits=args.value_bits, phase_bits=args.phase_bits,
        memory_limit=_memory_limit(args), progress=lambda m: progress(f"qattn simulate: {m}"),
        executor=executor, task_progress=task_progress,
    )
    res.pop("rows", None)
    return res


def _qattention_precheck(args) -> None:
    """Width and one-circuit time of the widest circuit (the ridge-leverage sampler over 2n
    points, or the mean estimator over n values) before the random instance is drawn."""
    from qattn_cirq.budget import qattention_precheck
    from qattn_cirq.reference import check_qattention_inputs

    if args.n < 2:
        raise QattnInputError(f"--n must be an integer >= 2, got {args.n}")
    if args.d < 1:
        raise QattnInputError(f"--d must be an integer >= 1, got {args.d}")
    check_qattention_inputs(args.n, lam=args.lam, eps=args.eps)
    if not 2 <= args.value_bits <= 8:
        raise QattnInputError(f"--value-bits must be an integer in [2, 8], got {args.value_bits}")
    if args.phase_bits is not None and not 1 <= args.phase_bits <= 8:
        raise QattnInputError(f"--phase-bits must be an integer in [1, 8], got {args.phase_bits}")
    qattention_precheck(args.n, args.value_bits, args.phase_bits, args.eps, _memory_limit(args), args.max_seconds)


def _memory_limit(args):
    return None if args.memory_limit is None else int(args.memory_limit)


def _instance(args):
    from qattn_cirq.budget import grover_precheck
    from qattn_cirq.instance import planted_instance
    from qattn_cirq.reference import default_tau

    if args.input is not None:
        if args.n is not None or args.d is not None:
            raise QattnInputError("give either --input or --n/--d/--k, not both")
        inst = _load_input(args.input)
        grover_precheck(inst.n, inst.d, args.bits, _memory_limit(args), args.max_seconds)
        return inst, args.k
    missing = [f"--{name}" for name in ("n", "d", "k") if getattr(args, name) is None]
    if missing:
        raise QattnInputError(f"{', '.join(missing)} required without --input (or give --input FILE.npz)")
    if args.n < 2:
        raise QattnInputError(f"--n must be an integer >= 2, got {args.n}")
    if args.d < 1:
        raise QattnInputError(f"--d must be an integer >= 1, got {args.d}")
    if not 1 <= args.k <= args.n:
        raise QattnInputError(f"--k must be an integer in [1, n={args.n}], got {args.k}")
    if args.bits < 2:
        raise QattnInputError(f"--bits must be an integer >= 2, got {args.bits}")
    tau = default_tau(args.n) if args.tau is None else args.tau
    if not tau > 0:
        raise QattnInputError(f"--tau must be > 0 for a planted instance, got {tau}")
    # Width, memory and the time of one worst-case iterate first: at n = 10^6 the planted
    # generator alone runs for minutes.
    grover_precheck(args.n, args.d, args.bits, _memory_limit(args), args.max_seconds)
    eta = 2 * tau if args.eta is None else args.eta
    planted = planted_instance(args.n, args.d, args.k, tau, eta, seed=args.seed, bits=args.bits, fraction=True)
    return planted.instance, args.k


def _load_input(path):
    """``--input``'s instance; a file that is not a zip archive is refused by its first bytes
    (see :func:`qattn_cirq.realdata.require_npz`) before numpy's misleading pickle hint."""
    from qattn_cirq.instance import load_npz
    from qattn_cirq.realdata import require_npz

    require_npz(path)
    return load_npz(path)


def _eta(desc: str):
    """``progress(done, total, elapsed)`` printing ``desc: done/total, elapsed, ETA`` on stderr
    (the ETA extrapolates the mean time per finished task)."""

    def report(done: int, total: int, elapsed: float) -> None:
        eta = elapsed / done * (total - done)
        progress(f"qattn simulate: {desc} {done}/{total} done, {elapsed:.1f} s elapsed, ETA {eta:.1f} s")

    return report


def _executor(args):
    from qattn_cirq.parallel import make_executor

    ex = make_executor(workers=args.workers, scheduler=args.scheduler)
    if ex.name != "serial":
        progress(f"qattn simulate: Dask executor {ex.describe()}")
    return ex


def _emit(data: dict, args, rows_key: str = "rows", row_keys=()) -> None:
    if args.no_timing:
        data.pop("timing", None)
    if args.format in ("table", "latex") and row_keys:
        rows = data.pop(rows_key)
        emit(data, args.format)
        print()
        emit([{k: r[k] for k in row_keys} for r in rows], args.format)
    else:
        emit(data, args.format)


def _grover_run(args, inst, k, executor) -> dict:
    from qattn_cirq.pipelines import grover_sparse_attention

    progress(f"qattn simulate: n={inst.n}, d={inst.d}, bits={args.bits}: Grover search per row on qsim")
    res = grover_sparse_attention(
        inst, k=k, tau=args.tau, bits=args.bits, loader=args.loader, seed=args.seed, shots=args.shots,
        failure_probability=args.failure_probability, memory_limit=_memory_limit(args),
        progress=_eta("query-row tasks"), executor=executor, max_seconds=args.max_seconds,
    )
    data = res.as_dict()
    t = data["timing"]
    progress(
        f"qattn simulate: {data['qubits']} qubits, {data['iterates_simulated']} Grover iterates simulated "
        f"in {t['simulation_seconds']:.1f} s (predicted: {t['predicted_iterates']} in {t['predicted_simulation_seconds']:.1f} s)"
    )
    return data


def run(args: argparse.Namespace) -> int:
    """Validate and build the instance (refusing too wide or too long runs), then start the
    executor (a Dask cluster only now, so bad input never waits for one) and simulate."""
    if args.workers is not None and args.scheduler is not None:
        raise QattnInputError("give either --workers N (a local cluster) or --scheduler ADDRESS, not both")
    if args.algorithm == "qattention":
        inst = _qattention_instance(args)
        with _executor(args) as executor:
            data = _qattention_run(args, inst, executor, _eta("mean-estimation tasks"))
        _emit(data, args)
    else:
        inst, k = _instance(args)
        with _executor(args) as executor:
            data = _grover_run(args, inst, k, executor)
        _emit(data, args, "rows", ("i", "found", "exact", "match", "oracle_calls", "stopped_by"))
    return 0
