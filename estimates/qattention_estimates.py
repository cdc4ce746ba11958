r"""Costs of the sublinear QAttention data structure (arXiv:2602.00874, Thm 3.1 / 9.2).

The quantum part is the preprocessing only: its logical counts come from the *symbolic* call graph
of :class:`bloqs.qattention.QAttentionPreprocess` (computed once per cost-model choice and cached),
so n = 2^30 costs the same as n = 8. The row query is classical (the paper answers a row in
``O~(s^2 + s d)`` classical time on the classical data structure the preprocessing built):
:class:`bloqs.qattention.QAttentionRowQuery` gives its FLOPs (``2 s^2 + 4 s d + 3 s + d``) and
bytes, timed on the classical baseline's roofline (:func:`estimates.classical.data_structure_queries`).
``row_query='reversible'`` keeps the old reversible-circuit row query as an OPTION (not the paper's
algorithm). JSON: ``logical`` = ``{preprocess, row_query, total}`` each ``{t_count, toffoli,
clifford, rotations, measurements, qubits}`` (t_count = T + 4 x (Toffoli + And + CSWAP) + 11 x
rotations; And-dagger 0 T), ``total`` = preprocessing + n quantum row queries (= the preprocessing
with the default classical row query); ``classical`` (FLOPs, bytes, seconds of the post-processing
and of the row queries, the data structure's memory); ``ledger`` (one row per component).

Paper's claim: preprocessing :math:`\tilde O(\varepsilon^{-1} n^{0.5}(s^{2.5} + s^{1.5} d +
\alpha^{0.5} d))`, row query :math:`\tilde O(s^2 + s d)`. With the gate-level ``qrom`` loader every
lookup costs ~4n T, so the preprocessing T-count grows like ``n^{1.5}``; with the papers' ``assumed``
QRAM like ``n^{0.5}`` times logs (:func:`fitted_exponent`, ``benchmarks/bench_qattention_scaling.py``).

Public: :func:`qattention_estimate`, :func:`qattention_formula`, :func:`fitted_exponent`.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Dict, Sequence

import numpy as np
import sympy

from bloqs.amplification import rounds_upper_bound_expr
from bloqs.loader_kinds import QATTENTION_LOADERS
from bloqs.nystrom import landmark_draws_expr, median_reps_expr, phase_bits_expr, symbols
from bloqs.qattention import QAttentionPreprocess, QAttentionRowQuery, row_query_flops, v_samples_expr
from estimates.classical import classical_work_time, data_structure_queries, get_gpu
from estimates.counts import LogicalCounts, logical_counts, to_number
from estimates.crossover import fit_exponent
from estimates.formulas import leading_term
from qattn_cirq.errors import QattnInputError
from qattn_cirq.reference import check_qattention_inputs

PAPER_PREPROCESS = "O~(eps^-1 n^0.5 (s^2.5 + s^1.5 d + alpha^0.5 d))"
PAPER_ROW_QUERY = "O~(s^2 + s d) classical time"
CONVENTIONS = (
    "t_count = T + 4 x (Toffoli + And + CSWAP) + 11 x rotations; And-dagger 0 T; symbols n, d, s (= s_lambda), "
    "alpha, eps, b; classical work (post-processing, row queries) in FLOPs (multiply-add = 2) and bytes, "
    "timed on the classical roofline model, not in the quantum cost"
)
ROW_QUERY = ("classical", "reversible")
ROW_QUERY_TEXT = {
    "classical": "classical (the paper's algorithm): 2 s^2 + 4 s d + 3 s + d FLOPs per row on the classical "
    "data structure; 0 T, 0 qubits",
    "reversible": "reversible circuit: an OPTION, not the paper's algorithm (LandmarkFeatures + Qualtran "
    "Product/Add cost model on a query row held in a register), charged n times in logical.total",
}
MEAN_METHODS = ("chj", "coordinate")
MULTI_SAMPLE = ("hamoudi", "repeat")
LOADERS = QATTENTION_LOADERS


def _syms():
    return symbols()


@functools.lru_cache(maxsize=None)
def _bloqs(loader: str, mean_method: str, multi_sample: str, row_query: str = "classical"):
    n, d, s, alpha, eps, b = _syms()
    pre = QAttentionPreprocess.symbolic(loader=loader, mean_method=mean_method, multi_sample=multi_sample)
    return pre, QAttentionRowQuery(d, s, b, mode=row_query)


@functools.lru_cache(maxsize=None)
def qattention_counts(loader: str = "qrom", mean_method: str = "chj", multi_sample: str = "hamoudi",
                      row_query: str = "classical") -> Dict[str, "LogicalCounts"]:
    """Symbolic logical counts ``{preprocess, row_query, landmarks, mean, v_rows}`` (cached); the
    classical row query (default) has all-zero counts."""
    check_options(loader, mean_method, multi_sample, row_query)
    pre, row = _bloqs(loader, mean_method, multi_sample, row_query)
    return {
        "preprocess": logical_counts(pre),
        "row_query": logical_counts(row),
        "landmarks": logical_counts(pre.landmarks),
        "mean": logical_counts(pre.mean),
        "v_rows": logical_counts(pre.v_rows),
    }


@functools.lru_cache(maxsize=None)
def t_count_expr(part: str = "preprocess", loader: str = "qrom", mean_method: str = "chj", multi_sample: str = "hamoudi",
                 row_query: str = "classical"):
    """The symbolic T-count of one part (``preprocess``, ``row_query``, ``landmarks``, ``mean``,
    ``v_rows``), cached: ``LogicalCounts.t_count`` re-simplifies on every access (seconds here)."""
    return qattention_counts(loader, mean_method, multi_sample, row_query)[part].t_count


def check_options(loader: str, mean_method: str, multi_sample: str, row_query: str) -> None:
    """One-line :class:`QattnInputError` for an unknown cost-model option."""
    _check_choice("loader", loader, LOADERS)
    _check_choice("mean_method", mean_method, MEAN_METHODS)
    _check_choice("multi_sample", multi_sample, MULTI_SAMPLE)
    _check_choice("row_query", row_query, ROW_QUERY)


def _check_choice(name, v, choices):
    if v not in choices:
        raise QattnInputError(f"{name} must be one of {', '.join(choices)}; got {v!r}")


def _num(x):
    return to_number(x, rel_tol=1e-6)


def _values(n, d, s_lambda, alpha, eps, bits) -> Dict[sympy.Symbol, Any]:
    N, D, S, ALPHA, EPS, B = _syms()
    return {N: n, D: d, S: sympy.nsimplify(s_lambda), ALPHA: sympy.nsimplify(alpha), EPS: sympy.nsimplify(eps), B: bits}


def _logical(c: LogicalCounts, values) -> Dict[str, Any]:
    return c.evaluate(values, rel_tol=1e-6)


def validate(n, d, s_lambda, alpha, eps, bits) -> None:
    """One-line :class:`QattnInputError` for each bad parameter."""
    for name, v, lo in (("n", n, 2), ("d", d, 1), ("bits", bits, 2)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise QattnInputError(f"{name} must be an integer >= {lo}; got {v!r}")
    if bits > 32:
        raise QattnInputError(f"bits must be an integer in [2, 32]; got {bits}")
    check_qattention_inputs(n, eps=eps, s_lambda=s_lambda)
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise QattnInputError(f"alpha must be a number in [1, d]; got {alpha!r}") from None
    if not (1 <= a <= d):
        raise QattnInputError(f"alpha must be in [1, d = {d}] (row distortion, at most d / srank(V)); got {alpha!r}")


def qattention_estimate(
    n: int,
    d: int,
    s_lambda: float,
    alpha: float,
    eps: float,
    bits: int,
    loader: str = "qrom",
    mean_method: str = "chj",
    multi_sample: str = "hamoudi",
    row_query: str = "classical",
    gpu: str = "h100-sxm",
    word_bytes: int = 4,
) -> Dict[str, Any]:
    """Costs of the preprocessing (quantum; classical post-processing) and of the n row queries
    (classical by default) at the given sizes, with the per-component ``ledger``."""
    validate(n, d, s_lambda, alpha, eps, bits)
    _check_choice("row_query", row_query, ROW_QUERY)
    if isinstance(word_bytes, bool) or not isinstance(word_bytes, int) or word_bytes < 1:
        raise QattnInputError(f"word_bytes must be an integer >= 1; got {word_bytes!r}")
    g = get_gpu(gpu)
    counts = qattention_counts(loader, mean_method, multi_sample, row_query)
    vals = _values(n, d, s_lambda, alpha, eps, bits)
    pre, row = _bloqs(loader, mean_method, multi_sample, row_query)
    k_v = v_samples_expr(d, eps)
    at = lambda e: _num(sympy.sympify(e).subs(vals))  # noqa: E731

    logical = _logical_parts(counts, vals, n)
    components = {k: _logical(counts[k], vals) for k in ("landmarks", "mean", "v_rows")}
    classical = _classical_work(pre, row, at, n, d, word_bytes, g, row_query)
    post, all_n, structure = classical["post_processing"], classical["row_queries_all_n"], classical["data_structure_bytes"]
    f_row = classical["row_query"]["flops"]

    draws = at(landmark_draws_expr(_syms()[2]))
    reps = at(median_reps_expr(_syms()[2]))
    mean_calls = 1 if mean_method == "chj" else at(sympy.sympify(pre.mean.s) * reps)
    ledger = qattention_ledger(
        n, components, logical, post, all_n,
        calls={"landmarks": draws, "mean": mean_calls, "v_rows": int(k_v)},
        mean_method=mean_method, multi_sample=multi_sample, row_query=row_query,
    )
    return {
        "algorithm": "qattention",
        "params": {"n": n, "d": d, "s_lambda": s_lambda, "alpha": alpha, "eps": eps, "bits": bits},
        "loader": loader,
        "row_query_mode": row_query,
        "cost_models": _cost_models(loader, mean_method, multi_sample, row_query, g, word_bytes),
        "logical": logical,
        "components": components,
        "classical": classical,
        "classical_memory_bytes": structure,
        "ledger": ledger,
        "landmark_draws": draws,
        "v_samples": int(k_v),
        "sampling_rounds": {
            "landmarks": int(math.ceil(math.pi / 4 * math.sqrt(2 * n / s_lambda))),
            "v_rows_per_sample": int(math.ceil(math.pi / 4 * math.sqrt(alpha * n / d))),
        },
        "mean_phase_bits": at(phase_bits_expr(_syms()[4])),
        "mean_repetitions": reps,
        "classical_flops": {"preprocess": post["flops"], "row_query": f_row},
        "paper": {"preprocess": PAPER_PREPROCESS, "row_query": PAPER_ROW_QUERY},
        "conventions": CONVENTIONS,
    }


def _cost_models(loader, mean_method, multi_sample, row_query, g, word_bytes) -> Dict[str, str]:
    """What each part of the estimate is: gate level or a named cost model."""
    return {
        "loader": "qrom: unary-iteration QROM (gate level, 4n - 8 T per lookup)" if loader == "qrom"
        else "assumed: polylog QRAM cost model (bucket brigade, Giovannetti-Lloyd-Maccone arXiv:0708.1879: "
        "2 L b + L (L - 1) controlled swaps per b-bit lookup, L = ceil(log2 n))",
        "mean_method": mean_method,
        "multi_sample": multi_sample,
        "row_query": ROW_QUERY_TEXT[row_query],
        "computed_oracles": "ridge-score / kernel-row oracles: KernelOracleCostModel (row loads + gate-level "
        "inner products + KernelExp + Qualtran Product for the s x s quadratic form)",
        "classical": f"roofline max(FLOPs / (peak x f_c), bytes / (bandwidth x f_m)) on {g.name} "
        f"(estimates.classical, same model as the GPU baseline); {word_bytes}-byte words; n row queries batched "
        "(structure read once, each query streams its row in and its answer out)",
    
    }


def _logical_parts(counts, vals, n) -> Dict[str, Dict[str, Any]]:
    """Preprocessing, one row query, and the total: preprocessing + n row queries."""
    logical = {"preprocess": _logical(counts["preprocess"], vals), "row_query": _logical(counts["row_query"], vals)}
    logical["total"] = preprocess_plus_queries(logical["preprocess"], logical["row_query"], n)
    return logical


def preprocess_plus_queries(lp: Dict[str, Any], lr: Dict[str, Any], n) -> Dict[str, Any]:
    """The total: every count of the preprocessing plus n row queries'; qubits the larger."""
    total = {k: lp[k] + n * lr[k] for k in lp if k != "qubits"}
    total["qubits"] = max(lp["qubits"], lr["qubits"])
    return total


def _classical_work(pre, row, at, n, d, word_bytes, g, row_query) -> Dict[str, Any]:
    """Classical work on the classical model (the baseline's roofline): the post-processing and,
    for the classical row query, the n row queries on the data structure."""
    f_row = at(row.classical_flops())
    structure = at(row.structure_bytes(word_bytes))
    io = 2 * d * word_bytes
    post = classical_work_time(at(pre.classical_flops()), at(pre.classical_bytes(word_bytes)), g)
    one = data_structure_queries(f_row, structure, io, 1, g)
    all_n = data_structure_queries(f_row, structure, io, n, g) if row_query == "classical" else None
    return {
        "model": g.as_dict(),
        "word_bytes": word_bytes,
        "data_structure_bytes": structure,
        "data_structure_words": "landmarks s x d + W^{+1/2} s x s + M~ s x d + z~ s = 2 s d + s^2 + s",
        "post_processing": post,
        "row_query": {**one, "flops_formula": "2 s^2 + 4 s d + 3 s + d",
                      "bytes_formula": "(2 s d + s^2 + s + 2 d) x word_bytes (structure + query row in + answer out)"},
        "row_queries_all_n": all_n,
        "time_s": post["time_s"] + (all_n["time_s"] if all_n else 0),
    }


LEDGER_KEYS = ("component", "kind", "calls", "t_per_call", "t_total", "share", "flops", "bytes", "seconds", "source", "best_known")
_PAPER = "arXiv:2602.00874 (Song, Xue, Zhang, Zhang), Thm 3.1 / 9.2"


def _per_call(total, calls):
    if not calls:
        return None
    q, r = divmod(total, calls) if isinstance(total, int) and isinstance(calls, int) else (None, 1)
    return q if r == 0 else total / calls


def qattention_ledger(n, components, logical, post, all_n, calls, mean_method="chj", multi_sample="hamoudi",
                      row_query="classical"):
    """The estimate's ledger: one dict per component with exactly :data:`LEDGER_KEYS`.

    Quantum rows take ``t_total`` from the components' logical counts (the sub-bloqs' symbolic
    call graphs evaluated); ``t_per_call = t_total / calls`` (exact for the landmark draws and the
    repeated samplers; an average per sample under Hamoudi's joint amplification). ``share`` is the
    fraction of ``logical.total.t_count``. No component has a best-known construction to compare
    with here (``best_known`` None)."""
    total_t = logical["total"]["t_count"]

    def quantum(name, calls_, t_total, source):
        return {"component": name, "kind": "quantum", "calls": calls_, "t_per_call": _per_call(t_total, calls_),
                "t_total": t_total, "share": t_total / total_t if total_t else None, "flops": None, "bytes": None,
                "seconds": None, "source": source, "best_known": None}

    def classical(name, calls_, work, source):
        return {"component": name, "kind": "classical", "calls": calls_, "t_per_call": None, "t_total": None,
                "share": None, "flops": work["flops"], "bytes": work["bytes"], "seconds": work["time_s"],
                "source": source, "best_known": None}

    mean_src = ("Lemma 2.6 quantum multivariate mean estimation of U2^T 1 (Cornelissen-Hamoudi-Jerbi cost model, "
                "constant 1)" if mean_method == "chj" else
                "U2^T 1 by amplitude estimation per coordinate (BHMT), median of repetitions")
    v_src = ("leverage-score sampling of V's rows, K_V = ceil(d / eps^2) samples" +
             (" (Hamoudi arXiv:2207.11014 sqrt(K N) rounds, cost model)" if multi_sample == "hamoudi" else " (K repeated samplers)"))
    rows = [
        quantum("landmark sampling", calls["landmarks"], components["landmarks"]["t_count"],
                f"{_PAPER}: quantum Nystrom, QSample of ridge leverage scores, L = ceil(s ln(s/0.1)) draws (Musco-Musco 2017)"),
        quantum("mean estimation", calls["mean"], components["mean"]["t_count"], f"{_PAPER}: {mean_src}"),
        quantum("V-row sampling", calls["v_rows"], components["v_rows"]["t_count"], f"{_PAPER}: {v_src}"),
        classical("classical post-processing", 1, post,
                  f"{_PAPER}: W^{{+1/2}} (O(s^omega)), z~, M~; FLOPs derived in QAttentionPreprocess.classical_flops"),
    ]
    if row_query == "classical":
        rows.append(classical("row query x n", n, all_n,
                              f"{_PAPER}: row query O~(s^2 + s d), classical; 2 s^2 + 4 s d + 3 s + d FLOPs per row "
                              "(QAttentionRowQuery), n rows batched"))
    else:
        rows.append(quantum("row query x n (reversible option)", n, n * logical["row_query"]["t_count"],
                            "OPTION, not the paper's algorithm (the paper's row query is classical): reversible "
                            "LandmarkFeatures + Qualtran Product/Add cost model"))
    return rows


def fitted_exponent(
    ns: Sequence[int] = tuple(2**k for k in range(10, 31)),
    d: int = 4,
    s_lambda: float = 8,
    alpha: float = 2.0,
    eps: float = 0.1,
    bits: int = 8,
    loader: str = "qrom",
    mean_method: str = "chj",
    multi_sample: str = "hamoudi",
) -> Dict[str, Any]:
    """Least-squares slope of log T(n) vs log n for the preprocessing T-count, plus the local
    slope over the last two points (the asymptotic exponent the global fit approaches)."""
    validate(int(ns[0]), d, s_lambda, alpha, eps, bits)
    N, D, S, ALPHA, EPS, B = _syms()
    expr = t_count_expr("preprocess", loader, mean_method, multi_sample).subs({D: d, S: sympy.nsimplify(s_lambda), ALPHA: sympy.nsimplify(alpha), EPS: sympy.nsimplify(eps), B: bits})
    # mpmath keeps ceiling/log exact enough at n = 2^30 and is ~100x faster than repeated subs
    f = sympy.lambdify([N], expr, modules="mpmath")
    ts = np.array([float(f(int(x))) for x in ns])
    slope = fit_exponent(ns, ts)
    x, y = np.log(np.asarray(ns[-2:], dtype=float)), np.log(ts[-2:])
    local = float((y[1] - y[0]) / (x[1] - x[0]))
    return {"loader": loader, "ns": [int(v) for v in ns], "t_counts": ts.tolist(), "fitted_exponent": slope,
            "local_exponent": local, "paper_exponent": 0.5}


@functools.lru_cache(maxsize=None)
def oracle_calls_expr(loader: str = "qrom", mean_method: str = "chj", multi_sample: str = "hamoudi"):
    """Flag-oracle (F: compute value, compare with the coin, uncompute) calls of the preprocessing.

    Landmarks: ``L (2 r_S + 1)``; mean: ``2 N_q`` (CHJ) or ``s K 2 (2^m - 1)`` (coordinate);
    V rows: ``2 R + K`` (Hamoudi) or ``K (2 r_V + 1)`` (repeat)."""
    pre, _ = _bloqs(loader, mean_method, multi_sample)
    land = pre.landmarks.n_draws * (2 * pre.landmarks.sampler.n_rounds + 1)
    m = pre.mean
    mean = 2 * m.chj.n_queries if mean_method == "chj" else m.s * m.repetitions * 2 * (2**m.phase_bits - 1)
    v = pre.v_rows
    if multi_sample == "hamoudi":
        vcalls = 2 * rounds_upper_bound_expr(v.samples * v.alpha * v.n / v.d) + v.samples
    else:
        vcalls = v.samples * (2 * v.sampler.n_rounds + 1)
    return sympy.sympify(land + mean + vcalls)


def qattention_formula(loader: str = "qrom", mean_method: str = "chj", multi_sample: str = "hamoudi") -> Dict[str, Any]:
    """The symbolic T-counts and qubits (sympy strings), leading terms in n and the fitted
    n-exponent. Top-level ``t_count``/``qubits``/... are the preprocessing's (the keys ``qattn
    formula``'s text and LaTeX renderers read); ``row_query`` holds the query's: classical, 0 T, its
    FLOPs, and the T-count of the reversible option for comparison."""
    n, d, s = symbols()[:3]
    c = qattention_counts(loader, mean_method, multi_sample)
    t_pre = t_count_expr("preprocess", loader, mean_method, multi_sample)
    calls = oracle_calls_expr(loader, mean_method, multi_sample)
    fit = fitted_exponent(loader=loader, mean_method=mean_method, multi_sample=multi_sample)
    out = {
        "algorithm": "qattention",
        "t_count": str(t_pre),
        "qubits": str(c["preprocess"].qubits),
        "toffoli": str(c["preprocess"].toffoli),
        "rotations": str(c["preprocess"].rotations),
        "oracle_calls": str(calls),
        "leading_terms": {"t_count": str(leading_term(t_pre, n))},
        "oracle_calls_leading_term": str(leading_term(calls, n)),
        "loader": loader,
        "mean_method": mean_method,
        "multi_sample": multi_sample,
        "symbols": "n (sequence length), d (head dim), s (= s_lambda), alpha (row distortion), eps (accuracy), b (bits)",
        "preprocess": {"t_count": str(t_count_expr("preprocess", loader, mean_method, multi_sample)), "qubits": str(c["preprocess"].qubits)},
        "row_query": {"kind": "classical", "t_count": "0", "qubits": "0", "flops": str(row_query_flops(d, s)),
                      "reversible_option_t_count": str(t_count_expr("row_query", loader, mean_method, multi_sample, "reversible"))},
        "components_t_count": {k: str(t_count_expr(k, loader, mean_method, multi_sample)) for k in ("landmarks", "mean", "v_rows")},
        "fitted_n_exponent": fit["fitted_exponent"],
        "local_n_exponent_at_2^30": fit["local_exponent"],
        "fit_point": {"d": 4, "s": 8, "alpha": 2.0, "eps": 0.1, "b": 8, "n": "2^10 .. 2^30"},
        "paper": {"preprocess": PAPER_PREPROCESS, "row_query": PAPER_ROW_QUERY, "n_exponent": 0.5},
    }
    if loader == "assumed":
        out["loader_assumption"] = "polylog QRAM (bucket brigade: 2 L b + L (L - 1) controlled swaps per b-bit lookup, L = ceil(log2 n)): a cost model"
    return out
