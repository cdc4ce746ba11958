"""CLI hooks of ``qattn simulate qattention`` (argparse flags and the run), to move to ``qattn_cirq/commands/``."""

from __future__ import annotations

from typing import Any, Dict

from qattn_cirq.errors import QattnInputError

__all__ = ["add_qattention_simulate_args", "run_qattention_simulate"]


def add_qattention_simulate_args(p) -> None:
    """Flags of ``qattn simulate qattention`` (the simulate command module calls this)."""
    g = p.add_argument_group("qattention (arXiv 2602.00874)")
    g.add_argument("--lam", type=float, default=None, help="ridge parameter lambda > 0 of the Nystrom step (required)")
    g.add_argument("--eps", type=float, default=None, help="target accuracy eps in (0, 1) (required)")
    g.add_argument("--value-bits", type=int, default=3, help="bits of sampler weights and mean-estimation values (2..8, default 3)")
    g.add_argument("--phase-bits", type=int, default=None, help="amplitude-estimation phase bits (default from eps)")


def run_qattention_simulate(args, progress=None) -> Dict[str, Any]:
    """``qattn simulate qattention (--input FILE.npz | --n N --d D) --lam L --eps E --seed S``."""
    from qattn_cirq.instance import load_npz, random_instance
    from qattn_cirq.pipelines import simulate_qattention

    if args.lam is None or args.eps is None:
        raise QattnInputError("--lam and --eps are required for qattention")
    if getattr(args, "input", None) is not None:
        if args.n is not None or args.d is not None:
            raise QattnInputError("give either --input or --n/--d, not both")
        inst = load_npz(args.input)
    else:
        if args.n is None or args.d is None:
            raise QattnInputError("--n and --d are required without --input (or give --input FILE.npz)")
        inst = random_instance(args.n, args.d, seed=args.seed)
    res = simulate_qattention(
        inst, args.lam, args.eps, seed=args.seed, bits=args.value_bits, phase_bits=args.phase_bits,
        memory_limit=None if getattr(args, "memory_limit", None) is None else int(args.memory_limit),
        progress=progress,
    )
    res.pop("rows", None)
    return res
