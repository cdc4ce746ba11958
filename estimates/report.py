"""The fault-tolerant report: logical counts, physical costs, GPU baseline, crossover, model spread.

:func:`build_report` sweeps ``n`` over powers of two for every available algorithm and loader,
turns the logical counts into physical costs with each physical model (:mod:`estimates.physical`),
compares with exact attention on a GPU (:mod:`estimates.classical`), finds the crossover
(:mod:`estimates.crossover`) and runs the same logical counts through our models and Microsoft's
estimator (the spread table), one small function per section. The configuration is a typed record
(:class:`estimates.report_config.ReportConfig`); parameters measured on real heads come in as numbers
(:class:`RealHeads`, measured by the ``qattn report`` command); the files are written by
:mod:`qattn_cirq.report_files`.

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

import math
from typing import Any, Callable, Dict, List, Mapping, Optional

import attrs

from estimates import compiled
from estimates.classical import attention_gpu_time, classical_twin_costs, get_gpu
from estimates.crossover import find_crossover, fit_exponent, no_crossover_statement
from estimates.formulas import grover_sparse_estimate, grover_sparse_formula
from estimates.physical import (
    ms_physical_estimate,
    feasible_physical,
    run_microsoft_estimator,
    symbolic_physical_estimate,
)
from estimates.counts import LogicalCounts
from estimates.report_config import DEFAULT_CONFIG, ReportConfig, load_config
from estimates.verdict import (
    Variants,
    best_case_rows,
    infeasibility_notes,
    ledger_rows,
    sensitivity_rows,
    verdict_section,
)
from qattn_cirq.errors import QattnInputError

__all__ = ["DEFAULT_CONFIG", "PAPER_CLAIMS", "RealHeads", "ReportConfig", "build_report", "load_config"]

# The papers' claims, for the fitted-exponent table.
PAPER_CLAIMS = {
    "grover-sparse": {
        "t_count": (1.5, "O~(n (sqrt(n k) d + k d)) time (arXiv 2307.08045, main result; QRAM assumed): n^1.5"),
        "qubits": (None, "not stated in arXiv 2307.08045 (our circuit: O(d b + log n) registers plus the loader)"),
    },
    "qattention": {
        # t_count is the quantum part only: the preprocessing (the row queries are classical).
        "t_count": (0.5, "O~(eps^-1 n^0.5 (s^2.5 + s^1.5 d + alpha^0.5 d)) quantum preprocessing "
                    "(arXiv 2602.00874; QRAM assumed): n^0.5"),
        "row_queries_flops": (1.0, "all n rows: n x O~(s^2 + s d) classical row queries (arXiv 2602.00874): n^1"),
        "qubits": (None, "not stated in arXiv 2602.00874"),
    },
}


@attrs.frozen
class RealHeads:
    """Parameters measured on a set of real attention heads (``qattn_cirq.realdata``), as numbers.

    ``parameters`` is :func:`qattn_cirq.realdata.measured_parameters`'s dict (n, d, k, s_lambda,
    s_lambda_int, alpha, heads, statistic, mass, lam_frac, labels); ``summary`` and
    ``summary_markdown`` the set's min / median / max table.
    """

    source: str
    parameters: Mapping[str, Any]
    summary: Any
    summary_markdown: str


def _estimate(name: str, n: int, cfg: ReportConfig, loader: str, **params) -> Dict[str, Any]:
    """``{"logical": {...}, "extra": {...}}`` of one algorithm at n; ``params`` override d, k,
    s_lambda, alpha (the real-model section)."""
    p = {"d": cfg.d, "k": cfg.k, "s_lambda": cfg.s_lambda, "alpha": cfg.alpha, **params}
    if name == "grover-sparse":
        # the compiled formula where it equals the concrete call graph (n a power of two, ...),
        # the call graph itself elsewhere (the crossover's bisection): the same numbers, faster
        if compiled.grover_is_exact(loader, n, p["d"], cfg.bits):
            return {"logical": compiled.grover_sparse_counts(n, p["d"], p["k"], cfg.bits, loader)}
        return {"logical": grover_sparse_estimate(n, p["d"], p["k"], cfg.bits, loader)["logical"]}
    # The GPU computes all n rows of Att, so the sublinear algorithm is charged the same: the
    # quantum preprocessing (logical counts = the preprocessing's) plus its classical work, the
    # post-processing and n classical row queries, timed on the baseline's GPU model. Compiled:
    # the same symbolic formula qattention_estimate evaluates (tests/estimates/test_compiled.py).
    r = compiled.qattention_counts_compiled(n, p["d"], p["s_lambda"], p["alpha"], cfg.eps, cfg.bits, loader,
                                            gpu=cfg.gpu)
    c = r["classical"]
    return {"logical": r["logical"]["total"],
            "extra": {"row_queries_flops": c["row_queries_all_n"]["flops"], "classical_work_s": c["time_s"]}}


def _logical(name: str, n: int, cfg: ReportConfig, loader: str, **params) -> Dict[str, int]:
    r = _estimate(name, n, cfg, loader, **params)
    lg = LogicalCounts.from_logical(r["logical"])
    return {"t_count": int(lg.t_count), "t": int(lg.t), "toffoli": int(lg.toffoli), "rotations": int(lg.rotations),
            "measurements": int(lg.measurements), "qubits": int(lg.qubits), **r.get("extra", {})}


def _physical_input(logical: Mapping[str, int]) -> LogicalCounts:
    return LogicalCounts.from_logical(logical)


def _physical(logical: Mapping[str, int], model: str, mcfg: Mapping[str, Any]) -> Dict[str, Any]:
    return feasible_physical(_physical_input(logical), model, mcfg["error_budget"], mcfg["preset"])


class _Costs:
    """Logical and physical costs per (algorithm, loader, n[, model]), each computed once."""

    def __init__(self, cfg: ReportConfig):
        self.cfg = cfg
        self._logical: Dict[tuple, Dict[str, int]] = {}
        self._physical: Dict[tuple, Dict[str, Any]] = {}

    def logical(self, name: str, loader: str, n: int) -> Dict[str, int]:
        key = (name, loader, n)
        if key not in self._logical:
            self._logical[key] = _logical(name, n, self.cfg, loader)
        return self._logical[key]

    def physical(self, name: str, loader: str, model: str, n: int) -> Dict[str, Any]:
        key = (name, loader, model, n)
        if key not in self._physical:
            self._physical[key] = _physical(self.logical(name, loader, n), model, self.cfg.models[model])
        return self._physical[key]

    def quantum_time(self, name: str, loader: str, model: str, n: int) -> float:
        """Fault-tolerant runtime of the quantum part + the algorithm's classical work (inf where
        the model cannot meet the budget)."""
        ph = self.physical(name, loader, model, n)
        if not ph["feasible"]:
            return math.inf
        return ph["runtime_s"] + self.logical(name, loader, n).get("classical_work_s", 0.0)


def _sweep(cfg: ReportConfig, name: str) -> List[int]:
    return [n for n in cfg.ns if n >= cfg.smallest_n(name)]


def algorithms_section(cfg: ReportConfig) -> Dict[str, str]:
    out = {}
    for name in cfg.algorithms:
        out[name] = "available"
        if len(_sweep(cfg, name)) < len(cfg.ns):
            out[name] += f" (n < {cfg.smallest_n(name)} left out: parameters need n that large)"
    return out


def classical_section(cfg: ReportConfig) -> List[Dict[str, Any]]:
    gpu = get_gpu(cfg.gpu)
    rows = []
    for n in cfg.ns:
        g = attention_gpu_time(n, cfg.d, gpu)
        tw = classical_twin_costs(n, cfg.d, cfg.k, gpu)
        rows.append({
            "n": n, "gpu_flops": g["flops"], "gpu_bytes": g["bytes"], "gpu_time_s": g["time_s"], "bound": g["bound"],
            "twin_flops": tw["flops"], "twin_time_s": tw["time_s"],
        })
    return rows


def logical_rows(costs: _Costs, name: str, loader: str) -> List[Dict[str, Any]]:
    return [{"algorithm": name, "loader": loader, "n": n, **costs.logical(name, loader, n)}
            for n in _sweep(costs.cfg, name)]


def fits_rows(name: str, loader: str, rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out = []
    for metric in [m for m in ("t_count", "row_queries_flops", "qubits") if m in rows[0]]:
        claim = PAPER_CLAIMS[name].get(metric)
        out.append({
            "algorithm": name, "loader": loader, "metric": metric,
            "fitted_exponent": fit_exponent([r["n"] for r in rows], [r[metric] for r in rows]),
            "paper_exponent": claim[0] if claim else None,
            "paper_claim": claim[1] if claim else None,
        })
    return out


def physical_rows(costs: _Costs, name: str, loader: str, model: str) -> List[Dict[str, Any]]:
    rows = []
    for n in _sweep(costs.cfg, name):
        ph = costs.physical(name, loader, model, n)
        row = {"algorithm": name, "loader": loader, "model": model, "n": n, **ph}
        c_s = costs.logical(name, loader, n).get("classical_work_s")
        if c_s is not None:  # hybrid: quantum preprocessing + classical row queries
            row["classical_work_s"] = c_s
            row["total_time_s"] = ph["runtime_s"] + c_s if ph["feasible"] else None
        rows.append(row)
    return rows


def crossover_row(costs: _Costs, name: str, loader: str, model: str) -> Dict[str, Any]:
    cfg = costs.cfg
    gpu = get_gpu(cfg.gpu)
    n_max = 2**cfg.crossover_n_max_exp
    res = find_crossover(lambda n: costs.quantum_time(name, loader, model, n),
                         lambda n: attention_gpu_time(n, cfg.d, gpu)["time_s"],
                         n_min=_sweep(cfg, name)[0], n_max=n_max)
    feasible = [s["n"] for s in res["scanned"] if math.isfinite(s["quantum_time_s"])]
    infeasible = [s["n"] for s in res["scanned"] if not math.isfinite(s["quantum_time_s"])]
    res["largest_feasible_n"] = max(feasible) if feasible else None
    if res["crossover_n"] is None:
        why = costs.physical(name, loader, model, min(infeasible)).get("reason", "") if infeasible else ""
        res["statement"] = no_crossover_statement(res["scanned"], n_max, why)
    res["charged"] = ("fault-tolerant preprocessing + classical post-processing and n row queries on the GPU"
                      if name == "qattention" else "fault-tolerant runtime")
    return {"algorithm": name, "loader": loader, "model": model, **res}


def _spread_loader(cfg: ReportConfig) -> str:
    return cfg.spread_loader if cfg.spread_loader in cfg.loaders else cfg.loaders[0]


def _microsoft_columns(inp: LogicalCounts, ms_cfg: Mapping[str, Any], ms_runtime_s) -> Dict[str, Any]:
    try:
        theirs = run_microsoft_estimator(inp, ms_cfg["error_budget"], ms_cfg["preset"])
    except Exception as ex:  # the estimator's own limits (e.g. code distance > 50)
        return {"microsoft_physical_qubits": None, "microsoft_runtime_s": None,
                "microsoft_note": str(ex).splitlines()[0][:200]}
    row = {"microsoft_physical_qubits": theirs["physical_qubits"], "microsoft_runtime_s": theirs["runtime_s"]}
    if ms_runtime_s and ms_runtime_s * 1e9 >= 2**64:
        # The estimator computes durations in u64 nanoseconds: past 2^64 ns (~585 years) they
        # wrap, and so do its runtime and the factory choice that depends on it.
        row["microsoft_note"] = "runtime >= 2^64 ns: the estimator's u64 arithmetic wraps; ms column is exact"
    return row


def spread_row(costs: _Costs, name: str, loader: str, n: int) -> Dict[str, Any]:
    """The same logical counts through our MS model, Microsoft's estimator and Gidney-Fowler."""
    cfg = costs.cfg
    lg = costs.logical(name, loader, n)
    inp = _physical_input(lg)
    ms_cfg = cfg.models.get("ms", DEFAULT_CONFIG["models"]["ms"])
    row: Dict[str, Any] = {"algorithm": name, "loader": loader, "n": n}
    try:
        ours = ms_physical_estimate(inp, ms_cfg["error_budget"], ms_cfg["preset"])
        row.update(ms_physical_qubits=ours["physical_qubits"], ms_runtime_s=ours["runtime_s"])
    except QattnInputError as ex:
        row.update(ms_physical_qubits=None, ms_runtime_s=None, ms_note=str(ex))
    row.update(_microsoft_columns(inp, ms_cfg, row.get("ms_runtime_s")))
    gf = _physical(lg, "gidney-fowler", cfg.models.get("gidney-fowler", DEFAULT_CONFIG["models"]["gidney-fowler"]))
    row.update(gf_physical_qubits=gf.get("physical_qubits"), gf_runtime_s=gf.get("runtime_s"))
    if row.get("ms_runtime_s") and row.get("gf_runtime_s"):
        row["runtime_ratio_gf_over_ms"] = row["gf_runtime_s"] / row["ms_runtime_s"]
        row["qubit_ratio_gf_over_ms"] = row["gf_physical_qubits"] / row["ms_physical_qubits"]
    return row


def spread_section(costs: _Costs, progress: Callable[[str], None]) -> List[Dict[str, Any]]:
    cfg = costs.cfg
    rows = []
    for name in cfg.algorithms:
        loaders = cfg.loaders_for(name)
        if not loaders:
            continue
        preferred = _spread_loader(cfg)
        loader = preferred if preferred in loaders else loaders[0]
        for e in cfg.spread_n_exps:
            if 2**e >= cfg.smallest_n(name):
                progress(f"report: model spread at n = 2^{e}")
                rows.append(spread_row(costs, name, loader, 2**e))
    return rows


def real_model_section(cfg: ReportConfig, heads: RealHeads) -> Dict[str, Any]:
    """Costs at parameters measured on real attention heads, beside the synthetic sweep.

    n, d, k (smallest per-row key count holding ``mass`` of the softmax, max over rows) and
    s_lambda (at lambda = ``lam_frac`` * min_i D_ii / sqrt(n)) are the ``statistic`` over the set's
    heads (arXiv 2307.08045's k; arXiv 2602.00874's s_lambda); bits and the physical models are the
    report's own.
    """
    params = heads.parameters
    measured = {"d": params["d"], "k": params["k"], "s_lambda": params["s_lambda_int"], "alpha": params["alpha"]}
    n = params["n"]
    gpu_time = attention_gpu_time(n, params["d"], get_gpu(cfg.gpu))["time_s"]
    rows = []
    for name in cfg.algorithms:
        for loader in cfg.loaders_for(name):
            lg = _logical(name, n, cfg, loader, **measured)
            row = {"algorithm": name, "loader": loader, "n": n, "d": params["d"], "k": params["k"],
                   "s_lambda": params["s_lambda_int"], **lg, "gpu_time_s": gpu_time}
            for model, mcfg in cfg.models.items():
                ph = _physical(lg, model, mcfg)
                row[f"{model}_runtime_s"] = ph.get("runtime_s")
                row[f"{model}_physical_qubits"] = ph.get("physical_qubits")
                if "classical_work_s" in lg and ph.get("runtime_s") is not None:
                    row[f"{model}_total_time_s"] = ph["runtime_s"] + lg["classical_work_s"]
            rows.append(row)
    return {
        "source": heads.source,
        "parameters": dict(params),
        "k_over_n": params["k"] / n,
        "s_lambda_over_2n": params["s_lambda"] / (2 * n),
        "estimates": rows,
        "summary": heads.summary,
        "summary_markdown": heads.summary_markdown,
    }


def symbolic_section(cfg: ReportConfig) -> Dict[str, str]:
    """The MS model's code distance, qubits and runtime as formulas in n, d, k, b (grover-sparse)."""
    ms_cfg = cfg.models.get("ms", DEFAULT_CONFIG["models"]["ms"])
    loader = _spread_loader(cfg)
    try:
        sym = symbolic_physical_estimate(grover_sparse_formula(loader), ms_cfg["error_budget"], ms_cfg["preset"])
    except Exception as ex:  # a formula the symbolic layer cannot take is reported, not hidden
        return {"error": f"{type(ex).__name__}: {ex}"}
    keys = ("code_distance", "logical_qubits_after_layout", "physical_qubits_algorithm", "runtime_s")
    return {"algorithm": "grover-sparse", "loader": loader, "model": "ms", **{k: str(sym[k]) for k in keys}}


def _loader_sections(costs: _Costs, name: str, loader: str, progress: Callable[[str], None]) -> Dict[str, Any]:
    """Logical rows, fits, physical rows and crossover rows of one algorithm and loader."""
    progress(f"report: logical counts, {name} / {loader}")
    rows = logical_rows(costs, name, loader)
    out: Dict[str, Any] = {"logical": rows, "fits": fits_rows(name, loader, rows), "physical": [], "crossover": []}
    for model in costs.cfg.models:
        progress(f"report: physical costs, {name} / {loader} / {model}")
        out["physical"].extend(physical_rows(costs, name, loader, model))
        progress(f"report: crossover search, {name} / {loader} / {model}")
        out["crossover"].append(crossover_row(costs, name, loader, model))
    return out


def loader_sections_task(cfg_dict: Dict[str, Any], name: str, loader: str) -> Dict[str, Any]:
    """:func:`_loader_sections` as a pure task (for ``qattn report --workers``): rebuilt from the
    config's dict on the worker; returns the rows and the costs it computed, so the client's later
    sections (verdict, spread) reuse them instead of recomputing."""
    costs = _Costs(ReportConfig.from_dict(cfg_dict))
    out = _loader_sections(costs, name, loader, lambda s: None)
    out["costs"] = {"logical": list(costs._logical.items()), "physical": list(costs._physical.items())}
    return out


def _algorithm_sections(costs: _Costs, report: Dict[str, Any], progress: Callable[[str], None],
                        executor=None) -> None:
    """Every (algorithm, loader)'s sections, in order: here, or one task each on ``executor``
    (anything with ``map(fn, tasks, progress=...)`` returning results in task order, e.g.
    ``qattn_cirq.parallel``'s executors; this layer does not import them). The results are the
    same either way: each task is a pure function of the config."""
    cfg = costs.cfg
    pairs = [(name, loader) for name in cfg.algorithms for loader in (cfg.loaders_for(name) if _sweep(cfg, name) else [])]
    if executor is None:
        results = [_loader_sections(costs, name, loader, progress) for name, loader in pairs]
    else:
        progress(f"report: {len(pairs)} algorithm x loader tasks on {executor.name}")
        results = executor.map(loader_sections_task, [(cfg.to_dict(), name, loader) for name, loader in pairs],
                               progress=lambda done, total, t: progress(f"report: {done}/{total} tasks, {t:.1f} s"))
        for r in results:
            costs._logical.update(r["costs"]["logical"])
            costs._physical.update(r["costs"]["physical"])
    for r in results:
        for key in ("logical", "fits", "physical", "crossover"):
            report[key].extend(r[key])


def formulas_section(cfg: ReportConfig, progress: Callable[[str], None]) -> List[Dict[str, Any]]:
    """Leading-order T-count and qubits of every algorithm x loader as a paper would print them
    (:func:`estimates.readable.readable_formulas`), beside the paper's O~ claim."""
    from estimates.readable import readable_formulas

    out = []
    for name in cfg.algorithms:
        for loader in cfg.loaders_for(name):
            progress(f"report: readable formulas, {name} / {loader}")
            # derived from the symbolic counts (seconds per loader): disk-cached with the compiled formulas
            out.append(compiled.cached_json(f"readable/{name}/{loader}", lambda: readable_formulas(name, loader)))
    return out


def decision_sections(costs: _Costs, report: Dict[str, Any], progress: Callable[[str], None]) -> None:
    """The reader's questions first (estimates.verdict): verdict, best case, sensitivity, where the
    T gates go, infeasibility footnotes, readable formulas."""
    cfg = costs.cfg
    scans = {(c["algorithm"], c["loader"], c["model"]): c for c in report["crossover"]}

    def sweep(name):
        return _sweep(cfg, name)

    report["verdict"] = verdict_section(costs, sweep, scans, progress)
    variants = Variants(costs)
    report["best_case"] = best_case_rows(costs, variants, sweep, progress)
    report["sensitivity"] = sensitivity_rows(costs, variants, report["verdict"], sweep, progress)
    report["ledger"] = ledger_rows(cfg, progress)
    # the sweep's rows and the crossover scans' n beyond it that a model cannot cost
    scanned = [{"algorithm": c["algorithm"], "loader": c["loader"], "model": c["model"], "n": s["n"], "feasible": False,
                "reason": costs.physical(c["algorithm"], c["loader"], c["model"], s["n"]).get("reason", "")}
               for c in report["crossover"] for s in c["scanned"] if not math.isfinite(s["quantum_time_s"])]
    report["infeasibility_notes"] = infeasibility_notes(report["physical"] + scanned)
    report["formulas"] = formulas_section(cfg, progress)


def build_report(cfg: Optional[ReportConfig] = None, real_heads: Optional[RealHeads] = None,
                 progress: Callable[[str], None] = lambda s: None, executor=None) -> Dict[str, Any]:
    """All report sections as one JSON-ready dict (see module docstring). ``real_heads`` is the
    real-model section's input (None leaves it out); ``executor`` fans the per-(algorithm, loader)
    sweeps out (``qattn report --workers``), the same report either way."""
    cfg = ReportConfig() if cfg is None else cfg
    costs = _Costs(cfg)
    report: Dict[str, Any] = {"config": cfg.to_dict(), "verdict": [], "best_case": [], "sensitivity": [], "ledger": [],
                              "infeasibility_notes": [], "formulas": [],
                              "algorithms": algorithms_section(cfg), "logical": [], "fits": [],
                              "physical": [], "classical": [], "crossover": [], "spread": [], "symbolic": {},
                              "real_model": None}
    progress("report: classical GPU baseline")
    report["classical"] = classical_section(cfg)
    _algorithm_sections(costs, report, progress, executor)
    decision_sections(costs, report, progress)
    report["spread"] = spread_section(costs, progress)
    if real_heads is not None:
        report["real_model"] = real_model_section(cfg, real_heads)
    if "grover-sparse" in cfg.algorithms:
        progress("report: symbolic physical formulas")
        report["symbolic"] = symbolic_section(cfg)
    return report
