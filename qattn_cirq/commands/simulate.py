"""``qattn simulate ALGORITHM ...``: gate-level qsim simulation of a small instance, end to end.

Each algorithm is a sub-command with its own flags. ``grover-sparse`` runs :func:`qattn_cirq.pipelines.grover_sparse_attention`: per row, Grover search
(arXiv 2307.08045 Lemma 3.3) on qsim with the project's ThresholdOracle, measurements verified
classically, found items excluded, BBHT stopping rule; then D(B)^-1 B V from the measured sets,
compared with exact attention and the Theorem 5.2 bound.
"""

from __future__ import annotations

import argparse

from bloqs.loader_kinds import SIMULABLE_LOADERS
from qattn_cirq.commands._common import SEED_MAX, add_format_flag, emit, progress, progress_bar, seed_type

ORDER = 30


_GROVER_DESCRIPTION = (
    "For each row i, Grover search for S_i = {j : scale q_i.k_j >= tau} on qsim "
    "(ThresholdOracle on b-bit fixed-point Q, K; circuit width == Qualtran QubitCount for qrom, ancillas "
    "reused), measured indices verified classically and excluded from a new oracle; a row stops "
    "once k items are found, or when a BBHT search step (quant-ph/9605034) spends shots x "
    "ceil(E_max/delta) Grover iterations without success (E_max: BBHT's largest expected "
    "iteration count; delta = --failure-probability). Then D(B)^-1 B V from the measured "
    "sets vs exact attention and the Theorem 5.2 bound. Output keys: qubits, qubit_count, rows "
    "[{i, found, exact, ...}], all_sets_found, oracle_calls, classical_checks, max_abs_error, "
    "bound, within_bound, note, goodness, params. An instance that is not (tau,k)-good is run "
    "anyway with bound = within_bound = null and a note. Too wide to simulate: exit 2."
)
_QATTENTION_DESCRIPTION = (
    "The sublinear QAttention data structure (arXiv 2602.00874) on qsim: ridge-leverage landmark "
    "sampling, amplitude estimation of D and row-norm sampling of V, each a measured circuit; the "
    "structure answers every row and is compared with exact attention and the theorem's bound."
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
        ("grover-sparse", _grover_sparse_args, _GROVER_DESCRIPTION, ("json", "table")),
        ("qattention", _qattention_args, _QATTENTION_DESCRIPTION, ("json", "table")),
    ):
        a = algorithms.add_parser(name, help=description.split(". ")[0], description=description)
        add_args(a)
        add_format_flag(a, choices=formats)
        a.set_defaults(func=run)


def _qattention_run(args: argparse.Namespace, progress=None):
    """``qattn simulate qattention (--input FILE.npz | --n N --d D) --lam L --eps E --seed S``."""
    from qattn_cirq.errors import QattnInputError
    from qattn_cirq.instance import random_instance
    from qattn_cirq.pipelines import simulate_qattention

    if args.lam is None or args.eps is None:
        raise QattnInputError("--lam and --eps are required for qattention")
    if args.input is not None:
        if args.n is not None or args.d is not None:
            raise QattnInputError("give either --input or --n/--d, not both")
        inst = _load_input(args.input)
    else:
        if args.n is None or args.d is None:
            raise QattnInputError("--n and --d are required without --input (or give --input FILE.npz)")
        inst = random_instance(args.n, args.d, seed=args.seed)
    res = simulate_qattention(
        inst, args.lam, args.eps, seed=args.seed, bits=args.value_bits, phase_bits=args.phase_bits,
        memory_limit=None if args.memory_limit is None else int(args.memory_limit),
        progress=progress,
    )
    res.pop("rows", None)
    return res


def _instance(args):
    from qattn_cirq.errors import QattnInputError
    from qattn_cirq.instance import planted_instance
    from qattn_cirq.reference import default_tau

    if args.input is not None:
        if args.n is not None or args.d is not None:
            raise QattnInputError("give either --input or --n/--d/--k, not both")
        return _load_input(args.input), args.k
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


def run(args: argparse.Namespace) -> int:
    if args.algorithm == "qattention":
        emit(_qattention_run(args, progress=lambda m: progress(f"qattn simulate: {m}")), args.format)
        return 0
    from qattn_cirq.pipelines import grover_sparse_attention

    inst, k = _instance(args)
    limit = None if args.memory_limit is None else int(args.memory_limit)
    progress(f"qattn simulate: n={inst.n}, d={inst.d}, bits={args.bits}: Grover search per row on qsim")
    res = grover_sparse_attention(
        inst,
        k=k,
        tau=args.tau,
        bits=args.bits,
        loader=args.loader,
        seed=args.seed,
        shots=args.shots,
        failure_probability=args.failure_probability,
        memory_limit=limit,
        progress=lambda rows: progress_bar(rows, desc="rows", total=len(rows)),
    )
    data = res.as_dict()
    progress(
        f"qattn simulate: {data['qubits']} qubits, {data['iterates_simulated']} Grover iterates simulated "
        f"in {data['simulation_seconds']:.1f} s"
    )
    if args.format == "table":
        rows = data.pop("rows")
        emit(data, "table")
        print()
        emit([{k: r[k] for k in ("i", "found", "exact", "match", "oracle_calls", "stopped_by")} for r in rows], "table")
    else:
        emit(data, args.format)
    return 0
