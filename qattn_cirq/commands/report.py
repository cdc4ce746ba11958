"""``qattn report``: the fault-tolerant report (the README's main-job command).

With no arguments it runs the embedded LLM-scale default (d = 128, n = 2^10 ... 2^20, k = 32,
8-bit entries; see ``estimates.report_config.ReportConfig``) and writes report.md, report.json, CSV
tables and PNG plots into ``--out`` (default ``report``). ``--config FILE`` takes a JSON object
overriding any default key. Progress goes to stderr; stdout gets the list of written files.

``--out`` is checked before anything is computed (a file, a directory holding files a report does
not write, an unwritable parent: one line, exit 2). The report is written into a temporary folder
beside ``--out`` and renamed into place, so a failed or interrupted run leaves the old report (or
none), never a mix of old and new files.

``--workers N`` (a local Dask cluster of N single-threaded processes) or ``--scheduler ADDRESS`` run
the per-(algorithm, loader) sweeps and crossover searches as parallel tasks, with the same report.
On the default config each sweep point is a compiled formula (microseconds), so starting a cluster
costs more than it saves on one machine (``benchmarks/bench_parallel.py`` measures it); it pays on
a real cluster or a config with many loaders, models and bisections.
"""

from __future__ import annotations

import argparse

from qattn_cirq.commands._common import add_format_flag, emit, progress, workers_type
from qattn_cirq.errors import QattnInputError

ORDER = 50


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="fault-tolerant costs, GPU crossover, sweeps and plots (report.md / .json / .csv / .png)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", default=None, help="JSON file overriding the default configuration")
    p.add_argument("--out", default="report", help="output directory (default: report)")
    add_format_flag(p, default="json", choices=("json", "table"))
    p.add_argument("--workers", type=workers_type, default=None, metavar="N",
                   help="run the sweeps on a local Dask cluster of N worker processes (pip install -e '.[dask]'); "
                   "default: in this process. Same report either way")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the sweeps on an existing Dask scheduler, e.g. tcp://HOST:8786")
    p.set_defaults(func=run)


def _real_heads(rm, progress):
    """Measure the configured set of real heads (``real_model`` in the config) for the report."""
    from estimates.report import RealHeads
    from qattn_cirq.realdata import inspect_set, markdown_summary, measured_parameters, shipped_set_path

    path = shipped_set_path(256) if rm["set"] == "shipped" else rm["set"]
    progress(f"report: real model, measuring {path}")
    measured = inspect_set(path, masses=tuple(sorted({rm["mass"], 0.99})), lam_fracs=(rm["lam_frac"],))
    params = measured_parameters(measured, rm["statistic"], mass=rm["mass"], lam_frac=rm["lam_frac"])
    return RealHeads(source=str(path), parameters=params, summary=measured["summary"],
                     summary_markdown=markdown_summary({f"n = {params['n']}": measured}))


def run(args) -> int:
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
    from estimates.report import build_report, load_config
    from qattn_cirq.report_files import check_out_dir, write_report

    check_out_dir(args.out)  # first: an unusable --out is refused before minutes of computation
    if args.workers is not None and args.scheduler is not None:
        raise QattnInputError("give either --workers N (a local cluster) or --scheduler ADDRESS, not both")
    cfg = load_config(args.config)
    heads = None if cfg.real_model is None else _real_heads(cfg.real_model, progress)
    from qattn_cirq.parallel import make_executor

    with make_executor(workers=args.workers, scheduler=args.scheduler) as ex:
        # serial: no executor, so every section shares one in-process cost cache
        report = build_report(cfg, real_heads=heads, progress=progress, executor=None if ex.name == "serial" else ex)
    files = write_report(report, args.out)
    progress(f"report: written to {args.out}")
    # the reader's question first: does either algorithm beat the GPU, where, at what cost
    verdict_keys = ("algorithm", "loader", "model", "break_even_kind", "break_even_n", "quantum_exponent",
                    "classical_exponent", "clock_speedup_needed_at_4096", "clock_speedup_needed_at_1048576")
    summary = {
        "verdict": [{k: v.get(k) for k in verdict_keys} for v in report.get("verdict") or []],
        "out": args.out,
        "files": files,
        "algorithms": report["algorithms"],
        "crossover": [
            {k: c[k] for k in ("algorithm", "loader", "model", "statement")} for c in report["crossover"]
        ],
    }
    emit(summary, args.format)
    return 0
