"""Speed of our ``ms`` physical model against ``qsharp.estimator`` on the same logical counts.

Measures, in one run and interleaved (so both see the same machine load), for several count sets
(small, medium and LLM-scale: T ~ 1e6 .. 1e12, qubits ~ 1e2 .. 1e5, gate-based and Majorana presets):

* ``ms_cold_s``: one :func:`estimates.physical.ms_physical_estimate` call with every memo cleared
  first (quantiles, factories, factory searches), i.e. the first call for these counts in a process
  that has already imported scipy;
* ``ms_warm_s``: the same call again (the same counts, memos warm);
* ``qsharp_s``: ``qsharp.estimator.LogicalCounts(...).estimate()`` on the same counts and parameters
  (:func:`estimates.physical.run_microsoft_estimator`);
* the ratios ``cold_over_qsharp`` and ``warm_over_qsharp`` (below 1: ours is faster), and
  ``same_as_qsharp``: physical qubits, runtime, code distance and factory count are equal;

each the median over ``--repeat`` repeats. Then a crossover-style sweep (``n = 2^6 .. 2^40``: Q = 3
sqrt(n) + 50, T = 40 n, Toffoli = 8 n, R = n/64 + 1; distinct counts at every step, as the report's
crossover search asks for them), memos cleared once before it: time per call of ours and of qsharp.
Where the estimator's u64 arithmetic wraps (layout qubits x cycles >= 2^64, from n = 2^37 on) it
answers for other counts; those points are timed but not compared.

With ``--baseline REV`` the model as of git revision ``REV`` (e.g. the commit before the speed-up) is
timed on the same count sets in the same run (``before_s``, once per repeat; it takes seconds per
call) and its output dict compared with the current one (``same_as_before``).

``--timer cpu`` measures process CPU time instead of wall time (both models are single-threaded;
CPU time is steadier on shared cores).

Usage: ``python benchmarks/bench_ms_model.py [--repeat R] [--baseline REV] [--timer wall|cpu]
[--no-sweep] [--format table|json|csv]``. :func:`measure` returns the same numbers as a dict.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from estimates import physical  # noqa: E402
from estimates.counts import LogicalCounts  # noqa: E402
from estimates.physical import ms_physical_estimate, run_microsoft_estimator  # noqa: E402
from qattn_cirq.output import render  # noqa: E402

# (name, counts, preset, qec scheme, error budget)
COUNT_SETS = [
    ("small", LogicalCounts(qubits=100, t=10**6), "qubit_gate_ns_e3", None, 1e-3),
    ("medium", LogicalCounts(qubits=1000, t=10**9, toffoli=10**7, rotations=10**4, measurements=10**5),
     "qubit_gate_ns_e3", None, 1e-3),
    ("llm", LogicalCounts(qubits=10**5, t=10**12), "qubit_gate_ns_e3", None, 1e-3),
    ("llm-mixed", LogicalCounts(qubits=3 * 10**4, t=10**12, toffoli=10**11, rotations=10**6, rotation_depth=10**5),
     "qubit_gate_ns_e4", None, 1e-3),
    ("medium-majorana-floquet", LogicalCounts(qubits=1000, t=10**9), "qubit_maj_ns_e4", "floquet_code", 1e-3),
]

KEYS = ("physical_qubits", "runtime_ns", "code_distance", "factories")


def qsharp_wraps(ours: Dict[str, Any]) -> bool:
    """Whether the estimator's u64 arithmetic wraps at these counts (layout qubits x logical cycles, or
    the runtime in ns, at or past 2^64): there it answers for other counts, and ours is not compared."""
    return ours["logical_qubits_after_layout"] * ours["num_cycles"] >= 2**64 or ours["runtime_ns"] >= 2**64


def sweep_inputs() -> List[LogicalCounts]:
    """The crossover-style sweep: distinct counts for n = 2^6 .. 2^40."""
    return [LogicalCounts(qubits=3 * math.isqrt(n) + 50, t=40 * n, toffoli=8 * n, rotations=n // 64 + 1)
            for n in (2**e for e in range(6, 41))]


def _clock(timer: str) -> Callable[[], float]:
    return time.process_time if timer == "cpu" else time.perf_counter


def _timed(clock, fn):
    t0 = clock()
    out = fn()
    return clock() - t0, out


def load_baseline(rev: str):
    """``estimates/physical.py`` as of git revision ``rev``, imported from a temporary file."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = subprocess.run(["git", "-C", root, "show", f"{rev}:estimates/physical.py"], check=True,
                         capture_output=True, text=True).stdout
    fd, path = tempfile.mkstemp(prefix="physical_baseline_", suffix=".py")
    with os.fdopen(fd, "w") as f:
        f.write(src)
    spec = importlib.util.spec_from_file_location("physical_baseline", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    os.unlink(path)
    return mod


def measure(repeats: int = 5, baseline_rev: Optional[str] = None, timer: str = "wall",
            sweep: bool = True) -> Dict[str, Any]:
    """Per-call times (median over ``repeats``) of our ms model and qsharp.estimator; see module doc."""
    clock = _clock(timer)
    base = load_baseline(baseline_rev) if baseline_rev else None
    # imports and first-call set-up (scipy, the qsharp runtime) are not timed
    ms_physical_estimate(LogicalCounts(qubits=10, t=1000))
    run_microsoft_estimator(LogicalCounts(qubits=10, t=1000))
    rows = []
    for name, inp, preset, qec, budget in COUNT_SETS:
        cold, warm, qs, before = [], [], [], []
        same_q = same_b = True
        for _ in range(repeats):
            physical._clear_caches()
            dt, ours = _timed(clock, lambda: ms_physical_estimate(inp, budget, preset, qec))
            cold.append(dt)
            dt, again = _timed(clock, lambda: ms_physical_estimate(inp, budget, preset, qec))
            warm.append(dt)
            dt, theirs = _timed(clock, lambda: run_microsoft_estimator(inp, budget, preset, qec))
            qs.append(dt)
            same_q = same_q and again == ours and (qsharp_wraps(ours) or all(ours[k] == theirs[k] for k in KEYS))
            if base is not None:
                binp = base.LogicalCounts(**{f: getattr(inp, f) for f in
                                             ("qubits", "t", "toffoli", "rotations", "rotation_depth", "measurements")})
                dt, old = _timed(clock, lambda: base.ms_physical_estimate(binp, budget, preset, qec))
                before.append(dt)
                same_b = same_b and old == ours
        row = {
            "case": name,
            "qubits": inp.qubits,
            "t": inp.t,
            "toffoli": inp.toffoli,
            "rotations": inp.rotations,
            "preset": preset + (f"/{qec}" if qec else ""),
            "ms_cold_s": statistics.median(cold),
            "ms_warm_s": statistics.median(warm),
            "qsharp_s": statistics.median(qs),
        }
        row["cold_over_qsharp"] = row["ms_cold_s"] / row["qsharp_s"]
        row["warm_over_qsharp"] = row["ms_warm_s"] / row["qsharp_s"]
        row["same_as_qsharp"] = same_q
        if base is not None:
            row["before_s"] = statistics.median(before)
            row["before_over_qsharp"] = row["before_s"] / row["qsharp_s"]
            row["same_as_before"] = same_b
        rows.append(row)
        print(f"  done {name}", file=sys.stderr, flush=True)
    out: Dict[str, Any] = {"timer": timer, "repeats": repeats, "cases": rows}
    if sweep:
        inputs = sweep_inputs()
        ours_t, qs_t = [], []
        same = True
        for _ in range(repeats):
            physical._clear_caches()
            t0 = clock()
            ours = [ms_physical_estimate(i) for i in inputs]
            ours_t.append((clock() - t0) / len(inputs))
            t0 = clock()
            theirs = [run_microsoft_estimator(i) for i in inputs]
            qs_t.append((clock() - t0) / len(inputs))
            same = same and all(a[k] == b[k] for a, b in zip(ours, theirs) if not qsharp_wraps(a) for k in KEYS)
        s = {"calls": len(inputs), "ms_per_call_s": statistics.median(ours_t),
             "qsharp_per_call_s": statistics.median(qs_t)}
        s["ms_over_qsharp"] = s["ms_per_call_s"] / s["qsharp_per_call_s"]
        s["same_as_qsharp"] = same
        s["not_compared_qsharp_u64_wraps"] = sum(qsharp_wraps(a) for a in ours)
        out["sweep"] = s
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5, help="repeats per measurement; medians are printed (default 5)")
    p.add_argument("--baseline", metavar="REV", default=None,
                   help="also time estimates/physical.py as of this git revision (slow: seconds per call)")
    p.add_argument("--timer", choices=("wall", "cpu"), default="wall", help="wall-clock or process CPU time")
    p.add_argument("--no-sweep", action="store_true", help="skip the crossover-style sweep of distinct counts")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    args = p.parse_args(argv)
    res = measure(args.repeat, args.baseline, args.timer, sweep=not args.no_sweep)
    if args.format == "json":
        print(render(res, "json"))
        return 0
    print(f"per-call {res['timer']} time, median of {res['repeats']}:")
    print(render(res["cases"], args.format))
    if "sweep" in res:
        print()
        print(f"crossover-style sweep ({res['sweep']['calls']} distinct count sets, memos cleared once):")
        print(render(res["sweep"], args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
