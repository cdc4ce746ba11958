"""``qattn report``: the fault-tolerant report (the README's main-job command).

With no arguments it runs the embedded LLM-scale default (d = 128, n = 2^10 ... 2^20, k = 32,
8-bit entries; see ``estimates.report.DEFAULT_CONFIG``) and writes report.md, report.json, CSV
tables and PNG plots into ``--out`` (default ``report``). ``--config FILE`` takes a JSON object
overriding any default key. Progress goes to stderr; stdout gets the list of written files.
"""

from __future__ import annotations

import argparse

from qattn_cirq.commands._common import add_format_flag, emit, progress

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
    p.set_defaults(func=run)


def run(args) -> int:
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
    from estimates.report import build_report, load_config, write_report

    cfg = load_config(args.config)
    report = build_report(cfg, progress=progress)
    files = write_report(report, args.out)
    progress(f"report: written to {args.out}")
    summary = {
        "out": args.out,
        "files": files,
        "algorithms": report["algorithms"],
        "crossover": [
            {k: c[k] for k in ("algorithm", "loader", "model", "statement")} for c in report["crossover"]
        ],
    }
    emit(summary, args.format)
    return 0
