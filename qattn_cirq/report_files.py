"""The report's files: report.json, CSV tables, PNG plots and report.md.

:func:`write_report` takes the dict :func:`estimates.report.build_report` returns and writes it
losslessly as JSON, one CSV per table, the plots, and a markdown summary.
"""

from __future__ import annotations

import csv
import json
import math
import os
from typing import Any, Dict, List

import matplotlib

matplotlib.use("Agg")  # files only, never a window: the report runs headless
import matplotlib.pyplot as plt  # noqa: E402

from estimates.crossover import crossover_title_suffix  # noqa: E402
from estimates.report import PAPER_CLAIMS  # noqa: E402
from qattn_cirq.errors import QattnInputError  # noqa: E402
from qattn_cirq.output import format_number, to_jsonable  # noqa: E402

__all__ = ["check_out_dir", "write_report"]

#: what a report directory holds (report.json, report.md, one CSV per table, PNG plots): a directory
#: holding anything else is not replaced by a report, since replacing means removing it
_REPORT_FILES = ("report.json", "report.md")
_REPORT_SUFFIXES = (".csv", ".png")


def _write_csv(path: str, rows: List[Dict[str, Any]]) -> None:
    keys: List[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys and k != "scanned")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k) for k in keys})


def _save(fig, out: str, name: str) -> str:
    fig.tight_layout()
    path = os.path.join(out, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _against_n(ax, ylabel: str, legend_size: int) -> None:
    """A log-log axis against n (base-2 ticks), gridded, with its legend."""
    ax.set_xscale("log", base=2)
    ax.set_xlabel("sequence length n")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=legend_size)


def _logical_plot(report: Dict[str, Any], out: str) -> List[str]:
    series = {}
    for r in report["logical"]:
        series.setdefault((r["algorithm"], r["loader"]), []).append(r)
    if not series:
        return []
    fits = {(f["algorithm"], f["loader"], f["metric"]): f for f in report["fits"]}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for (alg, loader), rows in series.items():
        ns = [r["n"] for r in rows]
        for ax, metric in zip(axes, ("t_count", "qubits")):
            f = fits[(alg, loader, metric)]
            lab = f"{alg} / {loader}: fitted n^{f['fitted_exponent']:.2f}" if f["fitted_exponent"] is not None else f"{alg} / {loader}"
            ax.loglog(ns, [r[metric] for r in rows], "o-", label=lab)
    for ax, metric in zip(axes, ("T-count", "logical qubits")):
        _against_n(ax, metric, legend_size=8)
    claims = [f"{a}: paper time exponent {PAPER_CLAIMS[a]['t_count'][0]}" for a in sorted({k[0] for k in series})
              if a in PAPER_CLAIMS]
    fig.suptitle("Logical costs vs n (" + "; ".join(claims) + ")", fontsize=10)
    return [_save(fig, out, "logical_vs_n.png")]


def _physical_plot(report: Dict[str, Any], out: str) -> List[str]:
    phys = {}
    for r in report["physical"]:
        if r.get("feasible"):
            phys.setdefault((r["algorithm"], r["loader"], r["model"]), []).append(r)
    if not phys:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for (alg, loader, model), rows in phys.items():
        ns = [r["n"] for r in rows]
        style = "o-" if model == "ms" else "s--"
        axes[0].loglog(ns, [r["physical_qubits"] for r in rows], style, label=f"{alg} / {loader} / {model}")
        axes[1].loglog(ns, [r["runtime_s"] for r in rows], style, label=f"{alg} / {loader} / {model}")
    for ax, lab in zip(axes, ("physical qubits", "fault-tolerant runtime (s)")):
        _against_n(ax, lab, legend_size=7)
    fig.suptitle("Physical costs vs n (missing points: budget not reachable in that model)", fontsize=10)
    return [_save(fig, out, "physical_vs_n.png")]


def _crossover_plot(report: Dict[str, Any], out: str) -> List[str]:
    if not report["crossover"]:
        return []
    fig, ax = plt.subplots(figsize=(8.5, 5.5))
    gpu_pts = {}
    for c in report["crossover"]:
        pts = [s for s in c["scanned"] if math.isfinite(s["quantum_time_s"])]
        lab = f"{c['algorithm']} / {c['loader']} / {c['model']}" + (
            " (+ classical row queries)" if c["algorithm"] == "qattention" else "")
        line = ax.loglog([s["n"] for s in pts], [s["quantum_time_s"] for s in pts], "o-", ms=3, label=lab)[0]
        if pts and len(pts) < len(c["scanned"]):  # the model stops meeting the budget here
            ax.plot(pts[-1]["n"], pts[-1]["quantum_time_s"], "x", ms=10, mew=2, color=line.get_color())
        for s in c["scanned"]:
            gpu_pts[s["n"]] = s["classical_time_s"]
        if c["crossover_n"] is not None:
            ax.axvline(c["crossover_n"], ls=":", color="k")
            ax.annotate(f"crossover n={c['crossover_n']}", (c["crossover_n"], c["classical_time_s"]), fontsize=8)
    xs = sorted(gpu_pts)
    ax.loglog(xs, [gpu_pts[x] for x in xs], "k-", lw=2.5, label=f"GPU: {report['config']['gpu']} (exact attention, 1 head)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("sequence length n")
    ax.set_ylabel("time (s)")
    ax.set_title("Quantum (fault-tolerant) vs GPU time" + crossover_title_suffix(
        report["crossover"], 2 ** report["config"]["crossover_n_max_exp"])
        + "\n(x: last n where the model meets the error budget)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    return [_save(fig, out, "crossover.png")]


def _plots(report: Dict[str, Any], out: str) -> List[str]:
    return _logical_plot(report, out) + _physical_plot(report, out) + _crossover_plot(report, out)


def _md_table(rows: List[Dict[str, Any]], keys: List[str]) -> str:
    def cell(r, k):
        v = r.get(k)
        if k in ("n", "crossover_n", "largest_feasible_n") and isinstance(v, int) and v > 0 and v & (v - 1) == 0:
            return f"2^{v.bit_length() - 1}"
        return format_number(v)

    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        lines.append("| " + " | ".join(cell(r, k) for k in keys) + " |")
    return "\n".join(lines)


def _markdown(report: Dict[str, Any], pngs: List[str]) -> str:
    cfg = report["config"]
    out = ["# Fault-tolerant cost report: quantum attention vs a GPU", ""]
    out.append(
        f"Problem: one attention head, d = {cfg['d']}, n = 2^{cfg['n_min_exp']} ... 2^{cfg['n_max_exp']}, "
        f"k = {cfg['k']} large entries per row, {cfg['bits']}-bit fixed point, s_lambda = {cfg['s_lambda']}. "
        f"Physical models: {', '.join(f'{m} ({c})' for m, c in cfg['models'].items())}. GPU: {cfg['gpu']}. "
        "See docs/physical_and_report.md for every model's assumptions and how to read this report."
    )
    out += ["", "## Algorithms", ""]
    out += [f"- **{a}**: {s}" for a, s in report["algorithms"].items()]
    out += ["", "## Logical costs and fitted exponents", ""]
    out.append(_md_table(report["fits"], ["algorithm", "loader", "metric", "fitted_exponent", "paper_exponent", "paper_claim"]))
    out += ["", "The sublinear algorithm's logical counts are its quantum preprocessing; its row queries are classical "
            "(row_queries_flops for all n rows; classical_work_s = post-processing + n row queries on the GPU model; "
            "total_time_s = fault-tolerant runtime + classical_work_s)."]
    out += ["", _md_table(report["logical"], ["algorithm", "loader", "n", "t_count", "toffoli", "rotations", "measurements", "qubits",
                                              "row_queries_flops", "classical_work_s"])]
    out += ["", "## Physical costs", ""]
    out.append(_md_table(report["physical"], ["algorithm", "loader", "model", "n", "physical_qubits", "runtime_s", "classical_work_s",
                                              "total_time_s", "code_distance", "factories", "reason"]))
    out += ["", "## GPU baseline (exact attention) and classical twin", ""]
    out.append(_md_table(report["classical"], ["n", "gpu_flops", "gpu_time_s", "bound", "twin_flops", "twin_time_s"]))
    out += ["", "## Crossover", ""]
    out.append(_md_table(report["crossover"], ["algorithm", "loader", "model", "statement", "crossover_n",
                                                "largest_feasible_n", "quantum_time_s", "classical_time_s", "charged"]))
    out += ["", "## Model spread (same logical counts)", ""]
    out.append(_md_table(report["spread"], ["algorithm", "loader", "n", "ms_physical_qubits", "microsoft_physical_qubits",
                                             "gf_physical_qubits", "ms_runtime_s", "microsoft_runtime_s", "gf_runtime_s",
                                             "runtime_ratio_gf_over_ms", "microsoft_note"]))
    rm = report.get("real_model")
    if rm:
        p = rm["parameters"]
        out += ["", "## Real model: parameters measured on MiniLM-L6 attention heads", ""]
        out.append(
            f"Source: `{rm['source']}` ({p['heads']} heads, n = {p['n']}, d = {p['d']}). Measured "
            f"({p['statistic']} over heads): k = {p['k']} ({rm['k_over_n']:.0%} of n) for {p['mass']:g} of the "
            f"softmax mass; s_lambda = {p['s_lambda']:.1f} ({rm['s_lambda_over_2n']:.0%} of its maximum 2n) at "
            f"lambda = {p['lam_frac']:g} lambda_max; alpha = {p['alpha']:.3g}. Both papers assume k and s_lambda "
            "much smaller than n; see docs/real_attention.md."
        )
        out += ["", _md_table(rm["estimates"], [k for k in rm["estimates"][0]] if rm["estimates"] else ["algorithm"])]
        out += ["", "Measured on the heads (min / median / max):", "", rm["summary_markdown"]]
    if report["symbolic"]:
        out += ["", "## Symbolic physical estimate (MS model)", ""]
        out.append("Full expressions in report.json (`symbolic`); shown here up to 400 characters.")
        out.append("")
        out += [f"- `{k}` = `{v if len(v) <= 400 else v[:400] + ' ...'}`" for k, v in report["symbolic"].items()]
    out += ["", "## Plots", ""]
    out += [f"![{os.path.basename(p)}]({os.path.basename(p)})" for p in pngs]
    return "\n".join(out) + "\n"


def _write_into(report: Dict[str, Any], out_dir: str) -> Dict[str, Any]:
    """Write report.json, report.md, CSV tables and PNG plots into the (new, empty) ``out_dir``."""
    files = {}
    p = os.path.join(out_dir, "report.json")
    with open(p, "w") as f:
        json.dump(to_jsonable(report), f, indent=2)
    files["json"] = p
    files["csv"] = []
    sections = {sec: report[sec] for sec in ("logical", "fits", "physical", "classical", "crossover", "spread")}
    if report.get("real_model"):
        sections["real_model"] = report["real_model"]["estimates"]
    for sec, rows in sections.items():
        if rows:
            cp = os.path.join(out_dir, f"{sec}.csv")
            _write_csv(cp, to_jsonable(rows))
            files["csv"].append(cp)
    files["png"] = _plots(report, out_dir)
    mp = os.path.join(out_dir, "report.md")
    with open(mp, "w") as f:
        f.write(_markdown(report, files["png"]))
    files["markdown"] = mp
    return files


def check_out_dir(out_dir: str) -> None:
    """Refuse an ``--out`` the report cannot be written into, in one line, before any computation.

    Refused: a path that is a file; a directory whose ``report.md`` / ``report.json`` (or any entry)
    is a directory; a directory holding files a report does not write (it would be replaced, so
    they would be deleted; ``--out .`` in a checkout is the case that matters); a parent directory
    that cannot be created or written (the report is written into a temporary folder beside
    ``out_dir`` and renamed into place, see :func:`write_report`).
    """
    out = os.path.abspath(out_dir)
    if os.path.islink(out):  # replacing it would replace the link, not the directory it points to
        raise QattnInputError(f"--out {out_dir}: is a symbolic link; give the directory it points to")
    if os.path.lexists(out) and not os.path.isdir(out):
        raise QattnInputError(f"--out {out_dir}: is a file, not a directory")
    if os.path.isdir(out):
        _check_report_dir(out_dir, out)
    parent = os.path.dirname(out)
    existing = parent
    while not os.path.isdir(existing):
        if os.path.lexists(existing):
            raise QattnInputError(f"--out {out_dir}: {existing} is a file, not a directory")
        existing = os.path.dirname(existing)
    import shutil
    import tempfile

    try:  # a real write (os.access says yes to root, even on /proc): a probe folder, removed at once
        shutil.rmtree(tempfile.mkdtemp(prefix=".qattn-probe-", dir=existing))
    except OSError as e:
        raise QattnInputError(f"--out {out_dir}: cannot write into {existing} ({e.strerror})") from None


def _check_report_dir(out_dir: str, out: str) -> None:
    try:
        names = sorted(os.listdir(out))
    except OSError as e:
        raise QattnInputError(f"--out {out_dir}: cannot read it ({e.strerror})") from None
    for name in names:
        if os.path.isdir(os.path.join(out, name)):
            raise QattnInputError(f"--out {out_dir}: {name} in it is a directory; a report writes plain files only")
    foreign = [n for n in names if n not in _REPORT_FILES and not n.endswith(_REPORT_SUFFIXES)]
    if foreign:
        raise QattnInputError(
            f"--out {out_dir}: holds files a report does not write ({', '.join(foreign[:3])}"
            f"{', ...' if len(foreign) > 3 else ''}); the report replaces the whole directory, so give a new or "
            "empty one, or an earlier report's"
        )


def write_report(report: Dict[str, Any], out_dir: str) -> Dict[str, Any]:
    """Write report.json, report.md, CSV tables and PNG plots into ``out_dir``; return their paths.

    All or nothing (issue 14): the files are written into a temporary folder beside ``out_dir``,
    which then replaces ``out_dir`` by two renames (the old report is moved aside, the new one
    moved in, the old one removed). A run that fails or is interrupted while writing leaves the old
    report, or none between the two renames, never a mix of old and new files, and no stale file
    of an earlier report survives a successful one. ``out_dir`` is checked first
    (:func:`check_out_dir`).
    """
    import shutil
    import tempfile

    check_out_dir(out_dir)
    out = os.path.abspath(out_dir)
    parent, base = os.path.split(out)
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{base}.new-", dir=parent)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's 0700 would make the report private
    except OSError as e:
        raise QattnInputError(f"--out {out_dir}: cannot create a folder beside it ({e.strerror})") from None
    try:
        files = _write_into(report, tmp)
        old = _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return _moved(files, tmp, out_dir)


def _swap_in(tmp: str, out: str):
    """Rename ``tmp`` to ``out``, moving an existing ``out`` aside first; return where it went."""
    import tempfile

    old = None
    if os.path.isdir(out):
        old = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.old-", dir=os.path.dirname(out))
        os.rmdir(old)  # a free name beside out; os.replace cannot rename onto a non-empty directory
        os.replace(out, old)
    os.replace(tmp, out)
    return old


def _moved(files: Any, tmp: str, out_dir: str) -> Any:
    """``files`` (paths under ``tmp``) as paths under ``out_dir``."""
    if isinstance(files, dict):
        return {k: _moved(v, tmp, out_dir) for k, v in files.items()}
    if isinstance(files, list):
        return [_moved(v, tmp, out_dir) for v in files]
    return os.path.join(out_dir, os.path.relpath(files, tmp))
