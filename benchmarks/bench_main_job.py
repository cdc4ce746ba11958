"""The main job's speed in one run: ``qattn report`` against a bare ``import qualtran``.

Issue 13's yardsticks, measured interleaved in one run so every figure sees the same machine load
(the machine is shared; quote the ratios, not the seconds):

* ``report_s / import_qualtran_s``: wall time of the default ``qattn report --out TMP`` (a fresh
  process, as a user runs it) over ``python -c "import qualtran"`` (median of ``--repeat``);
* ``estimate_s / import_qualtran_s``: one ``qattn estimate grover-sparse --n 4096 --d 128 --k 32 --bits 8`` call (a fresh
  process: start-up included);
* ``ms_warm_over_qsharp`` and ``ms_cold_over_qsharp``: our ``ms`` physical model per call over
  ``qsharp.estimator`` per call on the same counts (from ``benchmarks/bench_ms_model.py``'s
  :func:`measure`, no sweep), when qsharp is installed.

* ``sweep_over_estimate``: a 1001-point ``qattn sweep grover-sparse`` (n = 2^10 ... 2^20 x k = 1 ... 91,
  the compiled formulas) over one ``qattn estimate`` call, both fresh processes;
* ``real_heads_default_threads_over_one``: the report's real-head measurement
  (``qattn_cirq.realdata.inspect_set`` on the shipped n = 256 set) with BLAS's default threads over
  one thread (the default since issue 13), in-process, interleaved;
* the report twice: ``report_cold_s`` with an empty compiled-formula cache (``QATTN_CACHE_DIR``, a
  fresh temporary folder: what a first run on a clean machine pays) and ``report_s`` with it warm.

Usage: ``python benchmarks/bench_main_job.py [--repeat R] [--no-report] [--format table|json]``.
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[1]


SWEEP = ("sweep", "grover-sparse", "--n", "1024:1048576:pow2", "--d", "128", "--k", "1:91:lin:91", "--bits", "8",
         "--quiet")
_CACHE = tempfile.mkdtemp(prefix="qattn-bench-cache-")
atexit.register(shutil.rmtree, _CACHE, True)


def _wall(cmd: List[str]) -> float:
    env = {**os.environ, "QDK_PYTHON_TELEMETRY": "none", "QATTN_CACHE_DIR": _CACHE}
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _qattn(*args: str) -> List[str]:
    return [sys.executable, "-m", "qattn_cirq.cli", *args]


def blas_threads_ratio(repeats: int) -> Dict[str, float]:
    """Wall time of the real-head measurement with BLAS's default threads and with one."""
    sys.path.insert(0, str(ROOT))
    from qattn_cirq.realdata import inspect_set, shipped_set_path

    path, times = shipped_set_path(256), {1: [], None: []}
    for _ in range(repeats):
        for limit in (1, None):
            t0 = time.perf_counter()
            inspect_set(path, masses=(0.9, 0.99), lam_fracs=(0.1,), blas_threads=limit)
            times[limit].append(time.perf_counter() - t0)
    one, default = statistics.median(times[1]), statistics.median(times[None])
    return {"real_heads_one_thread_s": one, "real_heads_default_threads_s": default,
            "real_heads_default_threads_over_one": default / one}


def measure(repeats: int = 3, report: bool = True) -> Dict[str, Any]:
    """Median wall times (seconds) and their ratios; see the module docstring."""
    imports, estimates, reports, sweeps = [], [], [], []
    out: Dict[str, Any] = {"repeats": repeats}

    def report_s() -> float:
        with tempfile.TemporaryDirectory() as tmp:
            return _wall(_qattn("report", "--out", str(Path(tmp) / "report")))

    if report:
        out["report_cold_s"] = report_s()  # the compiled-formula cache is empty on this first run
    _wall(_qattn(*SWEEP))  # fills the cache for the sweep's configuration (as any first use does)
    for _ in range(repeats):
        imports.append(_wall([sys.executable, "-c", "import qualtran"]))
        estimates.append(_wall(_qattn("estimate", "grover-sparse", "--n", "4096", "--d", "128", "--k", "32", "--bits", "8")))
        sweeps.append(_wall(_qattn(*SWEEP)))
        if report:
            reports.append(report_s())
    out.update(import_qualtran_s=statistics.median(imports), estimate_s=statistics.median(estimates),
               sweep_1001_points_s=statistics.median(sweeps))
    out["estimate_over_import"] = out["estimate_s"] / out["import_qualtran_s"]
    out["sweep_over_estimate"] = out["sweep_1001_points_s"] / out["estimate_s"]
    if reports:
        out["report_cold_over_import"] = out["report_cold_s"] / out["import_qualtran_s"]
        out["report_s"] = statistics.median(reports)
        out["report_over_import"] = out["report_s"] / out["import_qualtran_s"]
    out.update(blas_threads_ratio(repeats))
    if importlib.util.find_spec("qsharp") is not None:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_ms_model import measure as ms_measure

        ms = ms_measure(repeats=repeats, sweep=False)
        out["ms_model"] = [{key: row[key] for key in ("case", "cold_over_qsharp", "warm_over_qsharp", "same_as_qsharp")}
                           for row in ms["cases"]]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="repeats per figure (median; default 3)")
    ap.add_argument("--no-report", action="store_true", help="leave out the full report run (~45 s each)")
    ap.add_argument("--format", choices=("table", "json"), default="table")
    a = ap.parse_args(argv)
    if a.repeat < 1:
        ap.error(f"--repeat must be >= 1; got {a.repeat}")
    r = measure(a.repeat, report=not a.no_report)
    if a.format == "json":
        print(json.dumps(r, indent=2, default=str))
        return 0
    for key in ("import_qualtran_s", "estimate_s", "estimate_over_import", "sweep_1001_points_s", "sweep_over_estimate",
                "report_cold_s", "report_cold_over_import", "report_s", "report_over_import",
                "real_heads_one_thread_s", "real_heads_default_threads_s", "real_heads_default_threads_over_one"):
        if key in r:
            print(f"{key:24s} {r[key]:.3g}")
    if "ms_model" in r:
        print("ms model / qsharp.estimator per call (cold = memos cleared first):")
        for row in r["ms_model"]:
            print(f"  {row['case']:28s} cold {row['cold_over_qsharp']:.3g}  warm {row['warm_over_qsharp']:.3g}  "
                  f"same outputs: {row['same_as_qsharp']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
