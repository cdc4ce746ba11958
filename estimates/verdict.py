r"""The report's answer first: does either algorithm beat a GPU, where, at what cost, and what would it take.

Framing (Babbush, McClean, Newman, Gidney, Boixo, Neven, *Focus beyond quadratic speedups for
error-corrected quantum advantage*, PRX Quantum 2, 010103 (2021), arXiv:2011.04149): a quantum
algorithm with runtime :math:`A_q n^{a}` beats a classical one with :math:`A_c n^{c}` only past the
break-even :math:`n^* = (A_q / A_c)^{1/(c - a)}`, and only if :math:`a < c`; the error-corrected
constant :math:`A_q / A_c` (logical clock, T-state distillation) decides whether :math:`n^*` and the
runtime there, :math:`A_q (n^*)^a`, are practical. This module answers that per algorithm x loader:

* :func:`verdict_row`: the break-even ``n`` -- *measured* (``estimates.crossover.find_crossover`` on
  the model's costs found one), else *extrapolated* from the two power laws fitted to the scanned
  quantum and GPU times (:func:`power_law`; the fits are in the row, so anyone can redo the
  arithmetic), else *never* (the fitted quantum exponent is not below the classical one); the costs
  at ``n = 4096`` and ``2^20`` and the factor by which the logical clock (equivalently the logical
  depth, ~ the T-count) must improve to break even there;
* :func:`best_case_rows`: the same under the most optimistic settings the models offer;
* :func:`sensitivity_rows`: break-even and runtime at 4096 against physical error rate and cycle time;
* :func:`ledger_rows`: where the T gates go at ``n = 4096`` (the estimators' ledgers);
* :func:`infeasibility_notes`: each distinct reason a model cannot cost some ``n``, once.

Everything is read through the report's cost object (``estimates.report._Costs``: ``cfg``,
``logical``, ``physical``, ``quantum_time``) so the numbers are the report's own.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import attrs
import numpy as np

from estimates import compiled
from estimates.classical import attention_gpu_time, get_gpu
from estimates.crossover import find_crossover, fit_exponent
from estimates.physical import GF_PRESETS, MS_QUBIT_PRESETS, ms_qec_scheme

#: the problem sizes the verdict quotes (a long context today, and a million tokens)
VERDICT_NS = (2**12, 2**20)
#: the power laws are fitted to the last this many costed powers of two (the asymptotic regime)
FIT_POINTS = 5
#: optimistic presets of the Microsoft model (Beverland et al. arXiv:2211.07629 Table II)
BEST_CASE_PRESETS = ("qubit_gate_ns_e4", "qubit_maj_ns_e6")
#: (label, model, preset) of the sensitivity table
SENSITIVITY_VARIANTS = (
    ("gate ns, p=1e-3", "ms", "qubit_gate_ns_e3"),
    ("gate ns, p=1e-4", "ms", "qubit_gate_ns_e4"),
    ("gate us, p=1e-3", "ms", "qubit_gate_us_e3"),
    ("gate us, p=1e-4", "ms", "qubit_gate_us_e4"),
    ("Gidney-Fowler 1 us, p=1e-3", "gidney-fowler", "gidney_fowler_e3"),
    ("Gidney-Fowler 1 us, p=1e-4", "gidney-fowler", "gidney_fowler_e4"),
)


def at_key(name: str, n: int) -> str:
    """The flat column name of a quantity at one verdict n (``t_count_at_4096``)."""
    return f"{name}_at_{n}"


def power_law(ns: Sequence[float], ts: Sequence[float]) -> Optional[Tuple[float, float]]:
    """``(prefactor, exponent)`` of the least-squares fit ``log t = log A + p log n``; None with
    fewer than two distinct points. The slope is :func:`estimates.crossover.fit_exponent`'s; the
    intercept is the least-squares one, ``mean(log t) - p mean(log n)``."""
    p = fit_exponent(ns, ts)
    if p is None:
        return None
    pts = [(float(n), float(t)) for n, t in zip(ns, ts) if t and t > 0]
    x, y = np.log([q[0] for q in pts]), np.log([q[1] for q in pts])
    return float(math.exp(float(np.mean(y)) - p * float(np.mean(x)))), p


def crossing_n(quantum: Tuple[float, float], classical: Tuple[float, float]) -> Optional[float]:
    """Where ``A_q n^a = A_c n^c`` (None unless ``a < c``): ``(A_q / A_c)^(1 / (c - a))``."""
    (aq, pq), (ac, pc) = quantum, classical
    if not pq < pc:
        return None
    log_n = (math.log(aq) - math.log(ac)) / (pc - pq)
    return math.exp(log_n) if log_n < 700 else math.inf


def _as_n(x: float):
    """An extrapolated n: an integer while it fits in 63 bits, else a float (JSON keeps both)."""
    return int(math.ceil(x)) if x < 2**63 else float(x)


def gpu_time(cfg, n: int) -> float:
    return attention_gpu_time(n, cfg.d, get_gpu(cfg.gpu))["time_s"]


def scan(costs, name: str, loader: str, model: str, n_min: int) -> Dict[str, Any]:
    """:func:`find_crossover` of the quantum time (incl. classical work) against the GPU."""
    cfg = costs.cfg
    return find_crossover(lambda n: costs.quantum_time(name, loader, model, n), lambda n: gpu_time(cfg, n),
                          n_min=n_min, n_max=2**cfg.crossover_n_max_exp)


def break_even(res: Dict[str, Any]) -> Dict[str, Any]:
    """Break-even from a crossover scan: measured, else extrapolated from the fitted power laws of
    the last :data:`FIT_POINTS` costed powers of two, else never (or ``not_costed`` with < 2 points)."""
    pts = [s for s in res["scanned"] if math.isfinite(s["quantum_time_s"]) and s["n"] & (s["n"] - 1) == 0]
    pts = pts[-FIT_POINTS:]
    ns = [s["n"] for s in pts]
    q = power_law(ns, [s["quantum_time_s"] for s in pts]) if len(pts) >= 2 else None
    c = power_law(ns, [s["classical_time_s"] for s in pts]) if len(pts) >= 2 else None
    out: Dict[str, Any] = {
        "quantum_exponent": q[1] if q else None, "quantum_prefactor_s": q[0] if q else None,
        "classical_exponent": c[1] if c else None, "classical_prefactor_s": c[0] if c else None,
        "fit_n_min": ns[0] if q else None, "fit_n_max": ns[-1] if q else None,
        "largest_costed_n": max(ns) if ns else None,
    }
    if res["crossover_n"] is not None:
        return {**out, "break_even_n": res["crossover_n"], "break_even_kind": "measured",
                "break_even_runtime_s": res["quantum_time_s"]}
    if q is None or c is None:
        return {**out, "break_even_n": None, "break_even_kind": "not_costed", "break_even_runtime_s": None}
    x = crossing_n(q, c)
    if x is None:
        return {**out, "break_even_n": None, "break_even_kind": "never", "break_even_runtime_s": None}
    log10_n = (math.log(q[0]) - math.log(c[0])) / (c[1] - q[1]) / math.log(10)
    runtime_log10 = math.log10(q[0]) + q[1] * log10_n
    return {**out, "break_even_n": _as_n(x) if math.isfinite(x) else None, "break_even_kind": "extrapolated",
            "break_even_log10_n": log10_n, "break_even_runtime_s": 10**runtime_log10 if runtime_log10 < 300 else None,
            "break_even_log10_runtime_s": runtime_log10}


def speedup_needed(quantum_s: float, classical_work_s: float, gpu_s: float) -> Optional[float]:
    """Factor by which the fault-tolerant part must get faster to tie with the GPU at this n:
    ``quantum / (gpu - classical work)`` (the classical work is not sped up by a faster logical
    clock); None when the model cannot cost n or the classical work alone is slower than the GPU."""
    if not math.isfinite(quantum_s) or gpu_s <= classical_work_s:
        return None
    return quantum_s / (gpu_s - classical_work_s)


def point(costs, name: str, loader: str, model: str, n: int) -> Dict[str, Any]:
    """Costs at one verdict n, flat (``*_at_<n>`` keys)."""
    lg = costs.logical(name, loader, n)
    ph = costs.physical(name, loader, model, n)
    total = costs.quantum_time(name, loader, model, n)
    work = lg.get("classical_work_s", 0.0)
    g = gpu_time(costs.cfg, n)
    vals = {
        "logical_qubits": lg["qubits"], "t_count": lg["t_count"], "physical_qubits": ph.get("physical_qubits"),
        "runtime_s": total if math.isfinite(total) else None, "gpu_time_s": g,
        "time_ratio": total / g if math.isfinite(total) else None,
        "clock_speedup_needed": speedup_needed(total - work if math.isfinite(total) else total, work, g),
    }
    return {at_key(k, n): v for k, v in vals.items()}


def verdict_row(costs, name: str, loader: str, model: str, n_min: int, res=None) -> Dict[str, Any]:
    """One algorithm x loader x model: break-even (:func:`break_even`) and the verdict points."""
    res = scan(costs, name, loader, model, n_min) if res is None else res
    row: Dict[str, Any] = {"algorithm": name, "loader": loader, "model": model,
                           "preset": costs.cfg.models[model]["preset"], **break_even(res)}
    if row["break_even_kind"] == "extrapolated" and row["largest_costed_n"] < 2**costs.cfg.crossover_n_max_exp:
        row["break_even_note"] = (f"the model cannot cost n > {row['largest_costed_n']}: extrapolated as if the "
                                  "machine kept scaling")
    for n in VERDICT_NS:
        if n >= n_min:
            row.update(point(costs, name, loader, model, n))
    return row


def _rank(row: Dict[str, Any]) -> tuple:
    """Best first: a measured break-even (smaller n first); then rows whose model costs every
    verdict n (their fits rest on a longer costed range) before those that cannot; within each,
    extrapolated (smaller n first) before never. Ties by the runtime at the first verdict n."""
    kind = {"measured": 0, "extrapolated": 1}.get(row["break_even_kind"], 2)
    if kind == 0:
        log_n = math.log10(row["break_even_n"])
    else:
        log_n = row.get("break_even_log10_n", math.inf)
    short = any(row.get(at_key("runtime_s", n)) is None for n in VERDICT_NS if at_key("t_count", n) in row)
    t = row.get(at_key("runtime_s", VERDICT_NS[0])) or math.inf
    return kind > 0, short, kind, log_n, t


def best(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    return min(rows, key=_rank)


def shared_costs(costs, models: Dict[str, Dict[str, Any]]):
    """A cost object like ``costs`` with other physical models, sharing its logical counts: a new
    instance of the same class on ``cfg`` with ``models`` replaced, whose ``logical`` is the
    original's bound method (so each logical count is still computed once)."""
    variant = type(costs)(attrs.evolve(costs.cfg, models=models))
    variant.logical = costs.logical
    return variant


class Variants:
    """Cost objects for single-model variants (``(model, preset)``), each built once."""

    def __init__(self, costs):
        self.costs = costs
        self._made: Dict[tuple, Any] = {}

    def get(self, model: str, preset: str):
        key = (model, preset)
        if key not in self._made:
            budget = (self.costs.cfg.models.get(model) or {}).get("error_budget", 1e-3 if model == "ms" else 1e-2)
            self._made[key] = shared_costs(self.costs, {model: {"preset": preset, "error_budget": budget}})
        return self._made[key]


def verdict_section(costs, sweep: Callable[[str], List[int]], scans: Dict[tuple, Dict[str, Any]],
                    progress: Callable[[str], None] = lambda s: None) -> List[Dict[str, Any]]:
    """Per algorithm x loader, the verdict at the best configured model (:func:`_rank`), with the
    other models' break-evens beside it. ``scans`` holds the
    report's crossover scans by (algorithm, loader, model), reused rather than recomputed."""
    cfg = costs.cfg
    out = []
    for name in cfg.algorithms:
        for loader in (cfg.loaders_for(name) if sweep(name) else []):
            progress(f"report: verdict, {name} / {loader}")
            rows = [verdict_row(costs, name, loader, m, sweep(name)[0], scans.get((name, loader, m)))
                    for m in cfg.models]
            top = dict(best(rows))
            top["other_models"] = {r["model"]: {k: r.get(k) for k in ("break_even_n", "break_even_kind", "break_even_log10_n")}
                                   for r in rows if r is not best(rows)}
            out.append(top)
    return out


def _optimistic_logical_row(costs, preset: str, qram: str, n_min: int) -> Dict[str, Any]:
    """Grover sparse with the assumed QRAM, carry-save arithmetic (fewer T) and the QRAM device
    ``counted`` or ``external``, at the verdict n only (two concrete estimates), on the MS model with
    ``preset``; its break-even is extrapolated from the two-point power laws."""
    from estimates.counts import LogicalCounts
    from estimates.formulas import grover_sparse_estimate
    from estimates.physical import feasible_physical

    cfg = costs.cfg
    budget = (cfg.models.get("ms") or {}).get("error_budget", 1e-3)
    row: Dict[str, Any] = {"algorithm": "grover-sparse", "loader": "assumed", "model": "ms", "preset": preset,
                           "settings": f"carry-save arithmetic, QRAM memory {'counted' if qram == 'counted' else 'NOT counted'}"}
    scanned = []
    for n in [m for m in VERDICT_NS if m >= n_min]:
        lg = grover_sparse_estimate(n, cfg.d, cfg.k, cfg.bits, "assumed", arithmetic="carry-save", qram=qram)["logical"]
        ph = feasible_physical(LogicalCounts.from_logical(lg), "ms", budget, preset)
        q, pq = (ph["runtime_s"], ph["physical_qubits"]) if ph["feasible"] else (math.inf, None)
        g = gpu_time(cfg, n)
        scanned.append({"n": n, "quantum_time_s": q, "classical_time_s": g})
        row.update({at_key("logical_qubits", n): lg["qubits"], at_key("t_count", n): lg["t_count"],
                    at_key("physical_qubits", n): pq, at_key("runtime_s", n): q if math.isfinite(q) else None,
                    at_key("gpu_time_s", n): g, at_key("time_ratio", n): q / g if math.isfinite(q) else None,
                    at_key("clock_speedup_needed", n): speedup_needed(q, 0.0, g)})
    wins = [s for s in scanned if s["quantum_time_s"] < s["classical_time_s"]]
    res = {"scanned": scanned, "crossover_n": wins[0]["n"] if wins else None,
           "quantum_time_s": wins[0]["quantum_time_s"] if wins else None}
    row.update(break_even(res))
    if wins:
        row["break_even_note"] = f"quantum already faster at n = {wins[0]['n']} (an upper bound on the break-even)"
    return row


def best_case_rows(costs, variants: Variants, sweep: Callable[[str], List[int]],
                   progress: Callable[[str], None] = lambda s: None) -> List[Dict[str, Any]]:
    """Per algorithm, the verdict under the most optimistic settings the models offer: the best of
    every configured loader x {configured models, MS presets :data:`BEST_CASE_PRESETS`} (the
    assumed loader counts its QRAM memory); for Grover sparse with the assumed loader also the
    cheapest arithmetic (carry-save) with the QRAM memory counted and not counted."""
    cfg = costs.cfg
    out = []
    for name in cfg.algorithms:
        if not sweep(name):
            continue
        progress(f"report: best case, {name}")
        n_min = sweep(name)[0]
        rows = [verdict_row(costs, name, ld, m, n_min) for ld in cfg.loaders_for(name) for m in cfg.models]
        rows += [verdict_row(variants.get("ms", p), name, ld, "ms", n_min)
                 for ld in cfg.loaders_for(name) for p in BEST_CASE_PRESETS]
        top = dict(best(rows))
        top["settings"] = (f"the best of {len(rows)} loader x model/preset combinations (assumed loader: QRAM "
                           "memory counted; default shift-add arithmetic)")
        top["case"] = "best loader x preset"
        out.append(top)
        if name == "grover-sparse" and "assumed" in cfg.loaders_for(name):
            preset = top["preset"] if top["model"] == "ms" else BEST_CASE_PRESETS[-1]
            for qram in ("counted", "external"):
                r = _optimistic_logical_row(costs, preset, qram, n_min)
                r["case"] = "cheapest arithmetic, assumed QRAM"
                out.append(r)
    return out


def _cycle_times(model: str, preset: str, code_distance: Optional[int]) -> Dict[str, Any]:
    """Physical error rate, syndrome-cycle time and (MS model) logical cycle time at a code distance."""
    if model == "gidney-fowler":
        cycle = GF_PRESETS[preset]["cycle_time_us"] * 1e-6
        return {"physical_error_rate": GF_PRESETS[preset]["physical_error"], "syndrome_cycle_s": cycle,
                "logical_cycle_s": cycle * code_distance if code_distance else None}
    qubit = MS_QUBIT_PRESETS[preset]
    scheme = ms_qec_scheme(None, qubit)
    return {"physical_error_rate": qubit.physical_error_rate,
            "syndrome_cycle_s": scheme.logical_cycle_time(qubit, 1) * 1e-9,
            "logical_cycle_s": scheme.logical_cycle_time(qubit, code_distance) * 1e-9 if code_distance else None}


def sensitivity_rows(costs, variants: Variants, verdict: List[Dict[str, Any]], sweep: Callable[[str], List[int]],
                     progress: Callable[[str], None] = lambda s: None) -> List[Dict[str, Any]]:
    """Per algorithm (at the loader of its best verdict row): break-even n and runtime at
    n = 4096 for each of :data:`SENSITIVITY_VARIANTS` (physical error rate 1e-3 / 1e-4; ns vs us
    gates, a 1500x slower syndrome cycle; the Gidney-Fowler single-factory model)."""
    out = []
    n0 = VERDICT_NS[0]
    for name in costs.cfg.algorithms:
        mine = [r for r in verdict if r["algorithm"] == name]
        if not mine:
            continue
        loader = best(mine)["loader"]
        progress(f"report: sensitivity, {name} / {loader}")
        for label, model, preset in SENSITIVITY_VARIANTS:
            v = variants.get(model, preset)
            r = verdict_row(v, name, loader, model, sweep(name)[0])
            d = v.physical(name, loader, model, n0).get("code_distance") if n0 >= sweep(name)[0] else None
            out.append({"algorithm": name, "loader": loader, "variant": label, "model": model, "preset": preset,
                        **_cycle_times(model, preset, d), at_key("code_distance", n0): d,
                        "break_even_n": r["break_even_n"], "break_even_kind": r["break_even_kind"],
                        "break_even_log10_n": r.get("break_even_log10_n"), "quantum_exponent": r["quantum_exponent"],
                        at_key("runtime_s", n0): r.get(at_key("runtime_s", n0)),
                        at_key("clock_speedup_needed", n0): r.get(at_key("clock_speedup_needed", n0))})
    return out


def ledger_n(cfg, name: str) -> int:
    return max(VERDICT_NS[0], cfg.smallest_n(name))


def ledger_rows(cfg, progress: Callable[[str], None] = lambda s: None) -> List[Dict[str, Any]]:
    """The estimators' ledgers at n = 4096 (per algorithm x loader): one row per component with
    calls, T per call, total T and share (quantum rows) or FLOPs and seconds (classical rows)."""
    from estimates.formulas import grover_sparse_estimate
    from estimates.qattention_estimates import qattention_estimate

    keep = ("component", "kind", "calls", "t_per_call", "t_total", "share", "flops", "seconds", "source", "included_in")
    out = []
    for name in cfg.algorithms:
        n = ledger_n(cfg, name)
        for loader in cfg.loaders_for(name):
            progress(f"report: ledger at n = {n}, {name} / {loader}")
            if name == "grover-sparse":
                led = grover_sparse_estimate(n, cfg.d, cfg.k, cfg.bits, loader)["ledger"]
            else:
                # QAttention's estimate needs its symbolic counts (seconds per loader to derive):
                # the ledger is disk-cached with the compiled formulas, keyed by every input
                args = (n, cfg.d, cfg.s_lambda, cfg.alpha, cfg.eps, cfg.bits, loader, cfg.gpu)
                led = compiled.cached_json("ledger/qattention/" + json.dumps(args), lambda: qattention_estimate(
                    *args[:7], gpu=cfg.gpu)["ledger"])
            out += [{"algorithm": name, "loader": loader, "n": n, **{k: r.get(k) for k in keep}} for r in led]
    return out


def _pow2(n: int) -> str:
    return f"2^{n.bit_length() - 1}" if n > 0 and n & (n - 1) == 0 else str(n)


def _reason_template(reason: str) -> str:
    """A reason with its numbers blanked, so reasons that differ only in numbers group together."""
    import re

    return re.sub(r"[-+]?\d[\d.]*(e[-+]?\d+)?", "#", reason)


def infeasibility_notes(physical: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Each distinct reason (numbers aside) a model gave for an n it cannot cost, once: the model,
    the first instance's full text, and where it applies (algorithm / loader and the n range)."""
    notes: Dict[tuple, Dict[str, Any]] = {}
    for r in physical:
        if r.get("feasible", True):
            continue
        key = (r["model"], _reason_template(r["reason"]))
        note = notes.setdefault(key, {"model": r["model"], "reason": r["reason"], "where": {}})
        lo, hi = note["where"].get((r["algorithm"], r["loader"]), (r["n"], r["n"]))
        note["where"][(r["algorithm"], r["loader"])] = (min(lo, r["n"]), max(hi, r["n"]))
    out = []
    for i, note in enumerate(notes.values(), 1):
        where = [f"{a} / {ld}: n = {_pow2(lo)}..{_pow2(hi)}" for (a, ld), (lo, hi) in note["where"].items()]
        out.append({"id": i, "model": note["model"], "reason": note["reason"], "applies_to": where})
    return out
