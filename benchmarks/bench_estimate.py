"""Speed of ``qattn estimate grover-sparse`` at LLM scale, and the costs it reports.

Measures, in one run, the wall time of two fresh processes (best of ``--repeat``):

* ``qattn --help`` (the CLI start alone), and
* ``qattn estimate grover-sparse --n 1048576 --d 128 --k 32 --bits 8`` (import Qualtran, build the
  symbolic formula from the call graph, substitute numbers; nothing of size n is enumerated),

and prints their ratio. Then, in this process, the T-count and qubits at n = 4096 and n = 2^20
(d = 128, k = 32, b = 8) for every loader, and the per-call T-count of each oracle component next
to the best-known construction it is compared with:

* loader (QROM): 4n - 8 T (Babbush et al. arXiv:1805.03662);
* inner product: one Gidney adder per nonzero signed digit, 4(w - 1) T for a w-bit adder
  (arXiv:1709.06648) -- the reference is sum over digits of 4(w - 1) at the accumulator width;
* comparator against a constant: w And = 4w T (w = accumulator width);
* diffusion about the uniform state over n = 2^L indices: L - 2 And (reflection about |0> with
  an And ladder on L - 1 qubits).

Usage: ``python benchmarks/bench_estimate.py [--repeat R] [--format table|json|csv]``.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time

from bloqs.loader_kinds import LOADER_KINDS
from qattn_cirq.output import render

ESTIMATE = ["estimate", "grover-sparse", "--n", "1048576", "--d", "128", "--k", "32", "--bits", "8"]


def _qattn_cmd():
    exe = os.path.join(os.path.dirname(sys.executable), "qattn")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "qattn_cirq"]


def _time(argv, repeat):
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(_qattn_cmd() + argv, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
    return best


def _component_table(n, d, k, bits):
    """Per-call T-count of each oracle component vs its best-known construction."""
    from qualtran.resource_counting import get_cost_value, QubitCount

    from bloqs.arithmetic import naf_max_weight
    from estimates.cost_checks import call_graph_t_count
    from bloqs.grover import GroverDiffusion, ThresholdOracle

    o = ThresholdOracle(n=n, d=d, bits=bits, tau_int=0, loader="qrom")
    A = int(o.acc_bits)
    digits = d * int(naf_max_weight(bits))
    L = math.ceil(math.log2(n))
    rows = []
    for name, bloq, ref, ref_name in [
        ("loader (qrom)", o.row_loader, 4 * n - 8, "QROM 4n-8"),
        ("inner product", o.inner_product, 4 * digits * (A - 1), "Gidney adder 4(w-1) per digit, w=acc"),
        ("comparator", o.comparator, 4 * A, "w And, w=acc"),
        ("diffusion", GroverDiffusion(n), 4 * max(L - 2, 0), "L-2 And"),
    ]:
        t = int(call_graph_t_count(bloq))
        rows.append(
            {
                "component": name,
                "t_count": t,
                "best_known": ref,
                "ratio": (t / ref) if ref else None,
                "reference": ref_name,
                "qubits": int(get_cost_value(bloq, QubitCount())),
            }
        )
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    args = p.parse_args(argv)

    t_help = _time(["--help"], args.repeat)
    t_est = _time(ESTIMATE, args.repeat)
    timing = {
        "qattn_help_s": round(t_help, 3),
        "estimate_2^20_s": round(t_est, 3),
        "ratio": round(t_est / t_help, 2),
    }
    print(render(timing, args.format))
    print()

    from estimates.formulas import grover_sparse_estimate

    rows = []
    for n in (4096, 2**20):
        for loader in LOADER_KINDS:
            e = grover_sparse_estimate(n, 128, 32, 8, loader=loader)
            rows.append(
                {
                    "n": n,
                    "loader": loader,
                    "t_count": e["logical"]["t_count"],
                    "qubits": e["logical"]["qubits"],
                    "oracle_calls": e["oracle_calls"],
                    "t_per_oracle_call": round(e["logical"]["t_count"] / e["oracle_calls"]),
                }
            )
    print(render(rows, args.format))
    print()
    for n in (4096, 2**20):
        print(f"per-call component T-counts at n={n}, d=128, b=8:")
        print(render(_component_table(n, 128, 32, 8), args.format))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
