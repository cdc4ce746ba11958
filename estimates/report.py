"""The fault-tolerant report: logical counts, physical costs, GPU baseline, crossover, model spread.

:func:`build_report` sweeps ``n`` over powers of two for every available algorithm and loader,
turns the logical counts into physical costs with each physical model (:mod:`estimates.physical`),
compares with exact attention on a GPU (:mod:`estimates.classical`), finds the crossover
(:mod:`estimates.crossover`) and runs the same logical counts through our models and Microsoft's
estimator (the spread table). :func:`write_report` writes ``report.json``, ``report.md``, CSV tables
and PNG plots. Algorithms whose estimators are not in the code base yet are listed as not available;
no number is made up for them.

Default problem (LLM scale, per attention head): ``d = 128`` (the head dimension of GPT-3 / Llama
models), ``n = 2^10 ... 2^20``, ``k = 32`` large entries per row (a top-k sparse-attention budget:
the (tau, k)-goodness of arXiv 2307.08045 needs k = o(n)), ``bits = 8`` fixed-point bits per entry
(int8 inference); for the sublinear algorithm of arXiv 2602.00874, ``s_lambda = 64`` statistical
dimension, ``alpha = 2`` row distortion of V (OLMo2's d/srank(V) is 1.7-2.1) and ``eps = 0.1``.
The sublinear algorithm is charged what the paper's algorithm does to produce all n rows of Att (the
GPU baseline computes all n): its preprocessing, the only quantum part (logical counts, physical
models), plus its classical work - the post-processing and n row queries, ``2 s^2 + 4 s d + 3 s +
d`` FLOPs each on the classical data structure - timed on the same GPU model as the baseline
(:func:`estimates.classical.data_structure_queries`). Its crossover time is the fault-tolerant
runtime of the preprocessing plus that classical time (``classical_work_s``); its logical qubits are
the preprocessing's.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import os
from typing import Any, Callable, Dict, List, Optional

from bloqs.loader_kinds import LOADER_KINDS, QATTENTION_LOADERS
from qattn_cirq.errors import QattnInputError

DEFAULT_CONFIG: Dict[str, Any] = {
    "d": 128,
    "n_min_exp": 10,
    "n_max_exp": 20,
    "k": 32,
    "bits": 8,
    "s_lambda": 64,
    # Sublinear QAttention only: row distortion of V and the target accuracy (arXiv 2602.00874).
    "alpha": 2.0,
    "eps": 0.1,
    "loaders": list(LOADER_KINDS),
    "algorithms": ["grover-sparse", "sublinear-qattention"],
    "models": {
        "ms": {"preset": "qubit_gate_ns_e3", "error_budget": 1e-3},
        "gidney-fowler": {"preset": "gidney_fowler_e3", "error_budget": 1e-2},
    },
    "gpu": "h100-sxm",
    "crossover_n_max_exp": 40,
    "spread_n_exps": [10, 15, 20],
    "spread_loader": "qrom",
    # The "real model" section: parameters measured on a set of real attention heads (see
    # qattn_cirq.realdata). "shipped" = the MiniLM-L6 n = 256 set in qattn_cirq/data; a path takes
    # any directory / set archive; null leaves the section out.
    "real_model": {"set": "shipped", "statistic": "median", "mass": 0.9, "lam_frac": 0.1},
}

# The papers' claims, for the fitted-exponent table.
PAPER_CLAIMS = {
    "grover-sparse": {
        "t_count": (1.5, "O~(n (sqrt(n k) d + k d)) time (arXiv 2307.08045, main result; QRAM assumed): n^1.5"),
        "qubits": (None, "not stated in arXiv 2307.08045 (our circuit: O(d b + log n) registers plus the loader)"),
    },
    "sublinear-qattention": {
        # t_count is the quantum part only: the preprocessing (the row queries are classical).
        "t_count": (0.5, "O~(eps^-1 n^0.5 (s^2.5 + s^1.5 d + alpha^0.5 d)) quantum preprocessing "
                    "(arXiv 2602.00874; QRAM assumed): n^0.5"),
        "row_queries_flops": (1.0, "all n rows: n x O~(s^2 + s d) classical row queries (arXiv 2602.00874): n^1"),
        "qubits": (None, "not stated in arXiv 2602.00874"),
    },
}


def _merge_config(user: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    if not user:
        return cfg
    unknown = set(user) - set(cfg)
    if unknown:
        raise QattnInputError(f"unknown config keys {sorted(unknown)}; allowed: {', '.join(sorted(cfg))}")
    cfg.update(copy.deepcopy(user))
    for key in ("d", "k", "bits", "n_min_exp", "n_max_exp", "crossover_n_max_exp"):
        if not (isinstance(cfg[key], int) and cfg[key] >= 1):
            raise QattnInputError(f"config {key} must be an integer >= 1, got {cfg[key]!r}")
    for key in ("alpha", "eps", "s_lambda"):
        if not (isinstance(cfg[key], (int, float)) and not isinstance(cfg[key], bool) and cfg[key] > 0):
            raise QattnInputError(f"config {key} must be a number > 0, got {cfg[key]!r}")
    if cfg["n_min_exp"] > cfg["n_max_exp"]:
        raise QattnInputError(f"config n_min_exp ({cfg['n_min_exp']}) must be <= n_max_exp ({cfg['n_max_exp']})")
    if cfg["crossover_n_max_exp"] < cfg["n_min_exp"]:
        raise QattnInputError("config crossover_n_max_exp must be >= n_min_exp")
    rm = cfg["real_model"]
    if rm is not None and (not isinstance(rm, dict) or set(rm) - set(DEFAULT_CONFIG["real_model"])):
        raise QattnInputError(
            f"config real_model must be null or an object with keys {', '.join(DEFAULT_CONFIG['real_model'])}"
        )
    if rm is not None:
        cfg["real_model"] = {**DEFAULT_CONFIG["real_model"], **rm}
    if not set(cfg["models"]) <= {"ms", "gidney-fowler"} or not cfg["models"]:
        raise QattnInputError("config models must be a non-empty subset of {ms, gidney-fowler}")
    return cfg


def load_config(path: Optional[str]) -> Dict[str, Any]:
    """Default config, overridden by the JSON file at ``path`` (if given)."""
    if path is None:
        return _merge_config(None)
    try:
        with open(path) as f:
            user = json.load(f)
    except OSError as e:
        raise QattnInputError(f"cannot read config file {path!r}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise QattnInputError(f"config file {path!r} is not valid JSON: {e.msg} (line {e.lineno})") from None
    if not isinstance(user, dict):
        raise QattnInputError(f"config file {path!r} must hold a JSON object")
    return _merge_config(user)


# ----------------------------------------------------------------------------------------------
# Algorithms: look them up, never fake them
# ----------------------------------------------------------------------------------------------


#: loaders each algorithm's estimator supports (the sublinear algorithm has no QROAM variant)
SUPPORTED_LOADERS = {"grover-sparse": LOADER_KINDS, "sublinear-qattention": QATTENTION_LOADERS}


def _algorithm_estimator(name: str) -> Optional[Callable[..., Dict[str, Any]]]:
    """``est(n, cfg, loader) -> {"logical": {...}}`` for an algorithm, or None when it is not in the
    code base yet."""
    if name == "grover-sparse":
        try:
            from estimates.formulas import grover_sparse_estimate
        except ImportError:
            return None
        return lambda n, cfg, loader: grover_sparse_estimate(n, cfg["d"], cfg["k"], cfg["bits"], loader)
    if name == "sublinear-qattention":
        try:
            from estimates.qattention_estimates import qattention_estimate
        except ImportError:
            return None

        def est(n, cfg, loader):
            # The GPU computes all n rows of Att, so the sublinear algorithm is charged the same: the
            # quantum preprocessing (logical counts = the preprocessing's) plus its classical work,
            # the post-processing and n classical row queries, timed on the baseline's GPU model.
            r = qattention_estimate(n, cfg["d"], cfg["s_lambda"], cfg["alpha"], cfg["eps"], cfg["bits"], loader,
                                    gpu=cfg["gpu"])
            c = r["classical"]
            return {"logical": r["logical"]["total"],
                    "extra": {"row_queries_flops": c["row_queries_all_n"]["flops"], "classical_work_s": c["time_s"]}}

        return est
    return None


def _smallest_n(name: str, cfg: Dict[str, Any]) -> int:
    """The smallest n where the algorithm's parameters make sense: k <= n (Grover sparse),
    s_lambda <= 2n (the kernel of [Q; K] is 2n x 2n)."""
    if name == "grover-sparse":
        return max(2, cfg["k"])
    if name == "sublinear-qattention":
        return max(2, math.ceil(cfg["s_lambda"] / 2))
    return 2


def _loaders_for(name: str, cfg: Dict[str, Any]) -> List[str]:
    return [ld for ld in cfg["loaders"] if ld in SUPPORTED_LOADERS.get(name, ())]


def _logical(name: str, est: Callable, n: int, cfg: Dict[str, Any], loader: str) -> Dict[str, int]:
    r = est(n, cfg, loader)
    lg = r["logical"]
    t = int(lg["t_count"]) - 4 * int(lg["toffoli"]) - 11 * int(lg["rotations"])
    return {
        "t_count": int(lg["t_count"]),
        "t": t,
        "toffoli": int(lg["toffoli"]),
        "rotations": int(lg["rotations"]),
        "measurements": int(lg["measurements"]),
        "qubits": int(lg["qubits"]),
        **r.get("extra", {}),
    }


def _physical(logical: Dict[str, int], model: str, mcfg: Dict[str, Any]) -> Dict[str, Any]:
    from estimates.physical import PhysicalInput, physical_estimate

    inp = PhysicalInput(
        qubits=logical["qubits"], t=logical["t"], toffoli=logical["toffoli"], rotations=logical["rotations"],
        measurements=logical["measurements"],
    )
    try:
        r = physical_estimate(inp, model=model, error_budget=mcfg.get("error_budget"), preset=mcfg.get("preset"))
    except QattnInputError as e:
        return {"feasible": False, "reason": str(e)}
    return {
        "feasible": True,
        "physical_qubits": r["physical_qubits"],
        "runtime_s": r["runtime_s"],
        "code_distance": r["code_distance"],
        "factories": r["factories"],
    }


def _fit_exponent(ns: List[int], ys: List[float]) -> Optional[float]:
    """Least-squares slope of log y against log n."""
    pts = [(math.log(n), math.log(y)) for n, y in zip(ns, ys) if y and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx else None


def _real_model_section(cfg, available, gpu, progress) -> Dict[str, Any]:
    """Costs at parameters measured on real attention heads, beside the synthetic sweep.

    n, d, k (smallest per-row key count holding ``mass`` of the softmax, max over rows) and
    s_lambda (at lambda = ``lam_frac`` * min_i D_ii / sqrt(n)) are the ``statistic`` over the set's
    heads (arXiv 2307.08045's k; arXiv 2602.00874's s_lambda); bits and the physical models are the
    report's own.
    """
    from estimates.classical import attention_gpu_time
    from qattn_cirq.realdata import inspect_set, markdown_summary, measured_parameters, shipped_set_path

    rm = cfg["real_model"]
    path = shipped_set_path(256) if rm["set"] == "shipped" else rm["set"]
    progress(f"report: real model, measuring {path}")
    measured = inspect_set(path, masses=tuple(sorted({rm["mass"], 0.99})), lam_fracs=(rm["lam_frac"],))
    params = measured_parameters(measured, rm["statistic"], mass=rm["mass"], lam_frac=rm["lam_frac"])
    rcfg = {**cfg, "d": params["d"], "k": params["k"], "s_lambda": params["s_lambda_int"], "alpha": params["alpha"]}
    n = params["n"]
    gpu_time = attention_gpu_time(n, params["d"], gpu)["time_s"]
    rows = []
    for name, est in available.items():
        for loader in _loaders_for(name, cfg):
            lg = _logical(name, est, n, rcfg, loader)
            row = {"algorithm": name, "loader": loader, "n": n, "d": params["d"], "k": params["k"],
                   "s_lambda": params["s_lambda_int"], **lg, "gpu_time_s": gpu_time}
            for model, mcfg in cfg["models"].items():
                ph = _physical(lg, model, mcfg)
                row[f"{model}_runtime_s"] = ph.get("runtime_s")
                row[f"{model}_physical_qubits"] = ph.get("physical_qubits")
                if "classical_work_s" in lg and ph.get("runtime_s") is not None:
                    row[f"{model}_total_time_s"] = ph["runtime_s"] + lg["classical_work_s"]
            rows.append(row)
    return {
        "source": str(path),
        "parameters": params,
        "k_over_n": params["k"] / n,
        "s_lambda_over_2n": params["s_lambda"] / (2 * n),
        "estimates": rows,
        "summary": measured["summary"],
        "summary_markdown": markdown_summary({f"n = {n}": measured}),
    }


def build_report(cfg: Optional[Dict[str, Any]] = None, progress: Callable[[str], None] = lambda s: None) -> Dict[str, Any]:
    """All report sections as one JSON-ready dict (see module docstring)."""
    from estimates.classical import attention_gpu_time, classical_twin_costs, get_gpu
    from estimates.crossover import find_crossover, no_crossover_statement
    from estimates.physical import PhysicalInput, ms_physical_estimate, run_microsoft_estimator

    cfg = _merge_config(cfg) if cfg is None or set(cfg) != set(DEFAULT_CONFIG) else cfg
    ns = [2**e for e in range(cfg["n_min_exp"], cfg["n_max_exp"] + 1)]
    gpu = get_gpu(cfg["gpu"])
    report: Dict[str, Any] = {"config": cfg, "algorithms": {}, "logical": [], "fits": [], "physical": [],
                              "classical": [], "crossover": [], "spread": [], "symbolic": {}, "real_model": None}

    available = {}
    for name in cfg["algorithms"]:
        est = _algorithm_estimator(name)
        report["algorithms"][name] = "available" if est else "not available (no estimator in the code base yet)"
        if est:
            available[name] = est

    progress("report: classical GPU baseline")
    for n in ns:
        g = attention_gpu_time(n, cfg["d"], gpu)
        tw = classical_twin_costs(n, cfg["d"], cfg["k"], gpu)
        report["classical"].append({
            "n": n, "gpu_flops": g["flops"], "gpu_bytes": g["bytes"], "gpu_time_s": g["time_s"], "bound": g["bound"],
            "twin_flops": tw["flops"], "twin_time_s": tw["time_s"],
        })

    logical_cache: Dict[tuple, Dict[str, int]] = {}
    physical_cache: Dict[tuple, Dict[str, Any]] = {}

    def physical_at(name, loader, model, n):
        key = (name, loader, model, n)
        if key not in physical_cache:
            physical_cache[key] = _physical(logical_at(name, loader, n), model, cfg["models"][model])
        return physical_cache[key]

    def logical_at(name, loader, n):
        key = (name, loader, n)
        if key not in logical_cache:
            logical_cache[key] = _logical(name, available[name], n, cfg, loader)
        return logical_cache[key]

    sweep = {}
    for name in available:
        sweep[name] = [n for n in ns if n >= _smallest_n(name, cfg)]
        if len(sweep[name]) < len(ns):
            report["algorithms"][name] += f" (n < {_smallest_n(name, cfg)} left out: parameters need n that large)"
    for name in available:
        for loader in (_loaders_for(name, cfg) if sweep[name] else []):
            progress(f"report: logical counts, {name} / {loader}")
            rows = []
            for n in sweep[name]:
                lg = logical_at(name, loader, n)
                rows.append({"algorithm": name, "loader": loader, "n": n, **lg})
            report["logical"].extend(rows)
            for metric in [m for m in ("t_count", "row_queries_flops", "qubits") if m in rows[0]]:
                claim = PAPER_CLAIMS.get(name, {}).get(metric)
                report["fits"].append({
                    "algorithm": name, "loader": loader, "metric": metric,
                    "fitted_exponent": _fit_exponent([r["n"] for r in rows], [r[metric] for r in rows]),
                    "paper_exponent": claim[0] if claim else None,
                    "paper_claim": claim[1] if claim else None,
                })
            for model, mcfg in cfg["models"].items():
                progress(f"report: physical costs, {name} / {loader} / {model}")
                for n in sweep[name]:
                    ph = physical_at(name, loader, model, n)
                    row = {"algorithm": name, "loader": loader, "model": model, "n": n, **ph}
                    c_s = logical_at(name, loader, n).get("classical_work_s")
                    if c_s is not None:  # hybrid: quantum preprocessing + classical row queries
                        row["classical_work_s"] = c_s
                        row["total_time_s"] = ph["runtime_s"] + c_s if ph["feasible"] else None
                    report["physical"].append(row)
                progress(f"report: crossover search, {name} / {loader} / {model}")

                def q_time(n, name=name, loader=loader, model=model):
                    # fault-tolerant runtime of the quantum part + the algorithm's classical work
                    ph = physical_at(name, loader, model, n)
                    if not ph["feasible"]:
                        return math.inf
                    return ph["runtime_s"] + logical_at(name, loader, n).get("classical_work_s", 0.0)

                def c_time(n):
                    return attention_gpu_time(n, cfg["d"], gpu)["time_s"]

                n_max = 2 ** cfg["crossover_n_max_exp"]
                res = find_crossover(q_time, c_time, n_min=sweep[name][0], n_max=n_max)
                feasible = [s["n"] for s in res["scanned"] if math.isfinite(s["quantum_time_s"])]
                infeasible = [s["n"] for s in res["scanned"] if not math.isfinite(s["quantum_time_s"])]
                res["largest_feasible_n"] = max(feasible) if feasible else None
                if res["crossover_n"] is None:
                    why = physical_at(name, loader, model, min(infeasible)).get("reason", "") if infeasible else ""
                    res["statement"] = no_crossover_statement(res["scanned"], n_max, why)
                res["charged"] = ("fault-tolerant preprocessing + classical post-processing and n row queries on the GPU"
                                  if name == "sublinear-qattention" else "fault-tolerant runtime")
                report["crossover"].append({"algorithm": name, "loader": loader, "model": model, **res})

    spread_loader = cfg["spread_loader"] if cfg["spread_loader"] in cfg["loaders"] else cfg["loaders"][0]
    for name in available:
        loaders = _loaders_for(name, cfg)
        if not loaders:
            continue
        loader = spread_loader if spread_loader in loaders else loaders[0]
        for e in cfg["spread_n_exps"]:
            n = 2**e
            if n < _smallest_n(name, cfg):
                continue
            progress(f"report: model spread at n = 2^{e}")
            lg = logical_at(name, loader, n)
            inp = PhysicalInput(qubits=lg["qubits"], t=lg["t"], toffoli=lg["toffoli"], rotations=lg["rotations"],
                                measurements=lg["measurements"])
            ms_cfg = cfg["models"].get("ms", DEFAULT_CONFIG["models"]["ms"])
            row: Dict[str, Any] = {"algorithm": name, "loader": loader, "n": n}
            try:
                ours = ms_physical_estimate(inp, ms_cfg["error_budget"], ms_cfg["preset"])
                row.update(ms_physical_qubits=ours["physical_qubits"], ms_runtime_s=ours["runtime_s"])
            except QattnInputError as ex:
                row.update(ms_physical_qubits=None, ms_runtime_s=None, ms_note=str(ex))
            try:
                theirs = run_microsoft_estimator(inp, ms_cfg["error_budget"], ms_cfg["preset"])
                row.update(microsoft_physical_qubits=theirs["physical_qubits"], microsoft_runtime_s=theirs["runtime_s"])
                if row.get("ms_runtime_s") and row["ms_runtime_s"] * 1e9 >= 2**64:
                    # The estimator computes durations in u64 nanoseconds: past 2^64 ns (~585 years) they
                    # wrap, and so do its runtime and the factory choice that depends on it.
                    row["microsoft_note"] = "runtime >= 2^64 ns: the estimator's u64 arithmetic wraps; ms column is exact"
            except Exception as ex:  # the estimator's own limits (e.g. code distance > 50)
                row.update(microsoft_physical_qubits=None, microsoft_runtime_s=None, microsoft_note=str(ex).splitlines()[0][:200])
            gf = _physical(lg, "gidney-fowler", cfg["models"].get("gidney-fowler", DEFAULT_CONFIG["models"]["gidney-fowler"]))
            row.update(gf_physical_qubits=gf.get("physical_qubits"), gf_runtime_s=gf.get("runtime_s"))
            if row.get("ms_runtime_s") and row.get("gf_runtime_s"):
                row["runtime_ratio_gf_over_ms"] = row["gf_runtime_s"] / row["ms_runtime_s"]
                row["qubit_ratio_gf_over_ms"] = row["gf_physical_qubits"] / row["ms_physical_qubits"]
            report["spread"].append(row)

    if cfg["real_model"] is not None:
        report["real_model"] = _real_model_section(cfg, available, gpu, progress)

    if "grover-sparse" in available:
        progress("report: symbolic physical formulas")
        try:
            from estimates.formulas import grover_sparse_formula
            from estimates.physical import symbolic_physical_estimate

            ms_cfg = cfg["models"].get("ms", DEFAULT_CONFIG["models"]["ms"])
            counts = grover_sparse_formula(spread_loader)
            sym = symbolic_physical_estimate(counts, ms_cfg["error_budget"], ms_cfg["preset"])
            report["symbolic"] = {
                "algorithm": "grover-sparse", "loader": spread_loader, "model": "ms",
                **{k: str(sym[k]) for k in ("code_distance", "logical_qubits_after_layout", "physical_qubits_algorithm", "runtime_s")},
            }
        except Exception as ex:  # a formula the symbolic layer cannot take is reported, not hidden
            report["symbolic"] = {"error": f"{type(ex).__name__}: {ex}"}
    return report


# ----------------------------------------------------------------------------------------------
# Writing: JSON, CSV, PNG, Markdown
# ----------------------------------------------------------------------------------------------


def _write_csv(path: str, rows: List[Dict[str, Any]]) -> None:
    keys: List[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys and k != "scanned")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k) for k in keys})


def _plots(report: Dict[str, Any], out: str) -> List[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    series = {}
    for r in report["logical"]:
        series.setdefault((r["algorithm"], r["loader"]), []).append(r)
    fits = {(f["algorithm"], f["loader"], f["metric"]): f for f in report["fits"]}
    if series:
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
        for (alg, loader), rows in series.items():
            ns = [r["n"] for r in rows]
            for ax, metric in zip(axes, ("t_count", "qubits")):
                f = fits[(alg, loader, metric)]
                lab = f"{alg} / {loader}: fitted n^{f['fitted_exponent']:.2f}" if f["fitted_exponent"] is not None else f"{alg} / {loader}"
                ax.loglog(ns, [r[metric] for r in rows], "o-", label=lab)
        for ax, metric in zip(axes, ("T-count", "logical qubits")):
            ax.set_xscale("log", base=2)
            ax.set_xlabel("sequence length n")
            ax.set_ylabel(metric)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
        claims = [f"{a}: paper time exponent {PAPER_CLAIMS[a]['t_count'][0]}" for a in sorted({k[0] for k in series})
                  if a in PAPER_CLAIMS]
        fig.suptitle("Logical costs vs n (" + "; ".join(claims) + ")", fontsize=10)
        fig.tight_layout()
        p = os.path.join(out, "logical_vs_n.png")
        fig.savefig(p, dpi=110)
        plt.close(fig)
        files.append(p)
    phys = {}
    for r in report["physical"]:
        if r.get("feasible"):
            phys.setdefault((r["algorithm"], r["loader"], r["model"]), []).append(r)
    if phys:
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
        for (alg, loader, model), rows in phys.items():
            ns = [r["n"] for r in rows]
            style = "o-" if model == "ms" else "s--"
            axes[0].loglog(ns, [r["physical_qubits"] for r in rows], style, label=f"{alg} / {loader} / {model}")
            axes[1].loglog(ns, [r["runtime_s"] for r in rows], style, label=f"{alg} / {loader} / {model}")
        for ax, lab in zip(axes, ("physical qubits", "fault-tolerant runtime (s)")):
            ax.set_xscale("log", base=2)
            ax.set_xlabel("sequence length n")
            ax.set_ylabel(lab)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
        fig.suptitle("Physical costs vs n (missing points: budget not reachable in that model)", fontsize=10)
        fig.tight_layout()
        p = os.path.join(out, "physical_vs_n.png")
        fig.savefig(p, dpi=110)
        plt.close(fig)
        files.append(p)
    if report["crossover"]:
        fig, ax = plt.subplots(figsize=(8.5, 5.5))
        gpu_pts = {}
        for c in report["crossover"]:
            pts = [s for s in c["scanned"] if math.isfinite(s["quantum_time_s"])]
            lab = f"{c['algorithm']} / {c['loader']} / {c['model']}" + (
                " (+ classical row queries)" if c["algorithm"] == "sublinear-qattention" else "")
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
        from estimates.crossover import crossover_title_suffix

        ax.set_title("Quantum (fault-tolerant) vs GPU time" + crossover_title_suffix(
            report["crossover"], 2 ** report["config"]["crossover_n_max_exp"])
            + "\n(x: last n where the model meets the error budget)", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        p = os.path.join(out, "crossover.png")
        fig.savefig(p, dpi=110)
        plt.close(fig)
        files.append(p)
    return files


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, int) and abs(v) >= 10**6:
        return f"{v:.3e}"
    return str(v)


def _md_table(rows: List[Dict[str, Any]], keys: List[str]) -> str:
    def cell(r, k):
        v = r.get(k)
        if k in ("n", "crossover_n", "largest_feasible_n") and isinstance(v, int) and v > 0 and v & (v - 1) == 0:
            return f"2^{v.bit_length() - 1}"
        return _fmt(v)

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


def write_report(report: Dict[str, Any], out_dir: str) -> Dict[str, Any]:
    """Write report.json, report.md, CSV tables and PNG plots into ``out_dir``; return the paths."""
    from qattn_cirq.output import to_jsonable

    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise QattnInputError(f"cannot create output directory {out_dir!r}: {e.strerror}") from None
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
