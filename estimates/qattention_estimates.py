r"""Logical costs of the sublinear QAttention data structure (arXiv:2602.00874, Thm 3.1 / 9.2).

Both the preprocessing and the row query are evaluated from the *symbolic* call graphs of
:class:`bloqs.qattention.QAttentionPreprocess` / :class:`bloqs.qattention.QAttentionRowQuery`
(computed once per cost-model choice and cached), so n = 2^30 costs the same as n = 8. JSON shape as
``qattn estimate grover-sparse``, with ``logical`` split into ``preprocess`` and ``row_query``:
``{t_count, toffoli, clifford, rotations, measurements, qubits}`` (t_count = T + 4 x (Toffoli + And
+ CSWAP) + 11 x rotations; And-dagger 0 T).

Paper's claim: preprocessing :math:`\tilde O(\varepsilon^{-1} n^{0.5}(s^{2.5} + s^{1.5} d +
\alpha^{0.5} d))`, row query :math:`\tilde O(s^2 + s d)`. With the gate-level ``qrom`` loader every
lookup costs ~4n T, so the preprocessing T-count grows like ``n^{1.5}``; with the papers' ``assumed``
QRAM like ``n^{0.5}`` times logs (:func:`fitted_exponent`, ``benchmarks/bench_qattention_scaling.py``).

Public: :func:`qattention_estimate`, :func:`qattention_formula`, :func:`fitted_exponent`,
:func:`add_qattention_estimate_args`, :func:`run_qattention_estimate`.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any, Dict, Sequence

# numpy, sympy and Qualtran are imported inside the functions: the CLI registers
# ``add_qattention_estimate_args`` at start-up for every command, which must stay cheap.
from qattn_cirq.errors import QattnInputError

if TYPE_CHECKING:  # annotations only
    import sympy

    from estimates.counts import LogicalCounts

PAPER_PREPROCESS = "O~(eps^-1 n^0.5 (s^2.5 + s^1.5 d + alpha^0.5 d))"
PAPER_ROW_QUERY = "O~(s^2 + s d)"
CONVENTIONS = (
    "t_count = T + 4 x (Toffoli + And + CSWAP) + 11 x rotations; And-dagger 0 T; symbols n, d, s (= s_lambda), "
    "alpha, eps, b; classical post-processing reported as classical_flops, not in the quantum cost"
)
MEAN_METHODS = ("chj", "coordinate")
MULTI_SAMPLE = ("hamoudi", "repeat")
LOADERS = ("qrom", "assumed")


def _syms():
    from bloqs.nystrom import symbols

    return symbols()


@functools.lru_cache(maxsize=None)
def _bloqs(loader: str, mean_method: str, multi_sample: str):
    from bloqs.qattention import QAttentionPreprocess, QAttentionRowQuery

    n, d, s, alpha, eps, b = _syms()
    pre = QAttentionPreprocess.symbolic(loader=loader, mean_method=mean_method, multi_sample=multi_sample)
    return pre, QAttentionRowQuery(d, s, b)


@functools.lru_cache(maxsize=None)
def qattention_counts(loader: str = "qrom", mean_method: str = "chj", multi_sample: str = "hamoudi") -> Dict[str, "LogicalCounts"]:
    """Symbolic logical counts ``{preprocess, row_query, landmarks, mean, v_rows}`` (cached)."""
    from estimates.counts import logical_counts

    _check_choice("loader", loader, LOADERS)
    _check_choice("mean_method", mean_method, MEAN_METHODS)
    _check_choice("multi_sample", multi_sample, MULTI_SAMPLE)
    pre, row = _bloqs(loader, mean_method, multi_sample)
    return {
        "preprocess": logical_counts(pre),
        "row_query": logical_counts(row),
        "landmarks": logical_counts(pre.landmarks),
        "mean": logical_counts(pre.mean),
        "v_rows": logical_counts(pre.v_rows),
    }


@functools.lru_cache(maxsize=None)
def t_count_expr(part: str = "preprocess", loader: str = "qrom", mean_method: str = "chj", multi_sample: str = "hamoudi"):
    """The symbolic T-count of one part (``preprocess``, ``row_query``, ``landmarks``, ``mean``,
    ``v_rows``), cached: ``LogicalCounts.t_count`` re-simplifies on every access (seconds here)."""
    return qattention_counts(loader, mean_method, multi_sample)[part].t_count


def _check_choice(name, v, choices):
    if v not in choices:
        raise QattnInputError(f"{name} must be one of {', '.join(choices)}; got {v!r}")


def _num(x):
    from estimates.counts import to_number

    return to_number(x, rel_tol=1e-6)


def _values(n, d, s_lambda, alpha, eps, bits) -> Dict[sympy.Symbol, Any]:
    import sympy

    N, D, S, ALPHA, EPS, B = _syms()
    return {N: n, D: d, S: sympy.nsimplify(s_lambda), ALPHA: sympy.nsimplify(alpha), EPS: sympy.nsimplify(eps), B: bits}


def _logical(c: LogicalCounts, values) -> Dict[str, Any]:
    return c.evaluate(values, rel_tol=1e-6)


def validate(n, d, s_lambda, alpha, eps, bits) -> None:
    """One-line :class:`QattnInputError` for each bad parameter."""
    import numpy as np

    from qattn_cirq.qattention import check_qattention_inputs

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
) -> Dict[str, Any]:
    """Logical costs of the preprocessing and of one row query at the given sizes."""
    import sympy

    from bloqs.nystrom import landmark_draws_expr, median_reps_expr, phase_bits_expr
    from bloqs.qattention import v_samples_expr

    validate(n, d, s_lambda, alpha, eps, bits)
    counts = qattention_counts(loader, mean_method, multi_sample)
    vals = _values(n, d, s_lambda, alpha, eps, bits)
    pre, row = _bloqs(loader, mean_method, multi_sample)
    k_v = v_samples_expr(d, eps)
    return {
        "algorithm": "qattention",
        "params": {"n": n, "d": d, "s_lambda": s_lambda, "alpha": alpha, "eps": eps, "bits": bits},
        "loader": loader,
        "cost_models": {
            "loader": "qrom: unary-iteration QROM (gate level, 4n - 8 T per lookup)" if loader == "qrom"
            else "assumed: polylog QRAM cost model (bucket brigade, b ceil(log2 n) Toffoli per b-bit word)",
            "mean_method": mean_method,
            "multi_sample": multi_sample,
            "computed_oracles": "ridge-score / kernel-row oracles: KernelOracleCostModel (row loads + gate-level "
            "inner products + KernelExp + Qualtran Product for the s x s quadratic form)",
        },
        "logical": {"preprocess": _logical(counts["preprocess"], vals), "row_query": _logical(counts["row_query"], vals)},
        "components": {k: _logical(counts[k], vals) for k in ("landmarks", "mean", "v_rows")},
        "landmark_draws": _num(sympy.sympify(landmark_draws_expr(_syms()[2])).subs(vals)),
        "v_samples": int(k_v),
        "sampling_rounds": {
            "landmarks": int(math.ceil(math.pi / 4 * math.sqrt(2 * n / s_lambda))),
            "v_rows_per_sample": int(math.ceil(math.pi / 4 * math.sqrt(alpha * n / d))),
        },
        "mean_phase_bits": _num(sympy.sympify(phase_bits_expr(_syms()[4])).subs(vals)),
        "mean_repetitions": _num(sympy.sympify(median_reps_expr(_syms()[2])).subs(vals)),
        "classical_flops": {
            "preprocess": _num(sympy.sympify(pre.classical_flops()).subs(vals)),
            "row_query": _num(sympy.sympify(row.classical_flops()).subs(vals)),
        },
        "paper": {"preprocess": PAPER_PREPROCESS, "row_query": PAPER_ROW_QUERY},
        "conventions": CONVENTIONS,
    }


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
    import numpy as np
    import sympy

    validate(int(ns[0]), d, s_lambda, alpha, eps, bits)
    N, D, S, ALPHA, EPS, B = _syms()
    expr = t_count_expr("preprocess", loader, mean_method, multi_sample).subs({D: d, S: sympy.nsimplify(s_lambda), ALPHA: sympy.nsimplify(alpha), EPS: sympy.nsimplify(eps), B: bits})
    # mpmath keeps ceiling/log exact enough at n = 2^30 and is ~100x faster than repeated subs
    f = sympy.lambdify([N], expr, modules="mpmath")
    ts = np.array([float(f(int(x))) for x in ns])
    x = np.log(np.asarray(ns, dtype=float))
    y = np.log(ts)
    slope = float(np.polyfit(x, y, 1)[0])
    local = float((y[-1] - y[-2]) / (x[-1] - x[-2]))
    return {"loader": loader, "ns": [int(v) for v in ns], "t_counts": ts.tolist(), "fitted_exponent": slope,
            "local_exponent": local, "paper_exponent": 0.5}


@functools.lru_cache(maxsize=None)
def oracle_calls_expr(loader: str = "qrom", mean_method: str = "chj", multi_sample: str = "hamoudi"):
    """Flag-oracle (F: compute value, compare with the coin, uncompute) calls of the preprocessing.

    Landmarks: ``L (2 r_S + 1)``; mean: ``2 N_q`` (CHJ) or ``s K 2 (2^m - 1)`` (coordinate);
    V rows: ``2 R + K`` (Hamoudi) or ``K (2 r_V + 1)`` (repeat)."""
    import sympy

    pre, _ = _bloqs(loader, mean_method, multi_sample)
    land = pre.landmarks.n_draws * (2 * pre.landmarks.sampler.n_rounds + 1)
    m = pre.mean
    mean = 2 * m.chj.n_queries if mean_method == "chj" else m.s * m.repetitions * 2 * (2**m.phase_bits - 1)
    v = pre.v_rows
    if multi_sample == "hamoudi":
        from bloqs.amplification import rounds_upper_bound_expr

        vcalls = 2 * rounds_upper_bound_expr(v.samples * v.alpha * v.n / v.d) + v.samples
    else:
        vcalls = v.samples * (2 * v.sampler.n_rounds + 1)
    return sympy.sympify(land + mean + vcalls)


def qattention_formula(loader: str = "qrom", mean_method: str = "chj", multi_sample: str = "hamoudi") -> Dict[str, Any]:
    """The symbolic T-counts and qubits (sympy strings), leading terms in n and the fitted
    n-exponent. Top-level ``t_count``/``qubits``/... are the preprocessing's (the keys ``qattn
    formula``'s text and LaTeX renderers read); ``row_query`` holds the query's."""
    from bloqs.nystrom import symbols
    from estimates.formulas import leading_term

    n = symbols()[0]
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
        "row_query": {"t_count": str(t_count_expr("row_query", loader, mean_method, multi_sample)), "qubits": str(c["row_query"].qubits)},
        "components_t_count": {k: str(t_count_expr(k, loader, mean_method, multi_sample)) for k in ("landmarks", "mean", "v_rows")},
        "fitted_n_exponent": fit["fitted_exponent"],
        "local_n_exponent_at_2^30": fit["local_exponent"],
        "fit_point": {"d": 4, "s": 8, "alpha": 2.0, "eps": 0.1, "b": 8, "n": "2^10 .. 2^30"},
        "paper": {"preprocess": PAPER_PREPROCESS, "row_query": PAPER_ROW_QUERY, "n_exponent": 0.5},
    }
    if loader == "assumed":
        out["loader_assumption"] = "polylog QRAM (bucket brigade, b ceil(log2 n) Toffoli per b-bit word): a cost model"
    return out


# ----------------------------------------------------------------------------------------------
# CLI hooks (the command modules call these)
# ----------------------------------------------------------------------------------------------


def add_qattention_estimate_args(p) -> None:
    """Flags of ``qattn estimate qattention`` not already defined by the parser (--n, --d, --bits
    and --loader are shared with grover-sparse)."""
    have = set(getattr(p, "_option_string_actions", {}))
    g = p.add_argument_group("qattention (arXiv 2602.00874, Thm 3.1)")
    if "--n" not in have:
        g.add_argument("--n", type=int, help="sequence length (integer >= 2)")
    if "--d" not in have:
        g.add_argument("--d", type=int, help="head dimension (integer >= 1)")
    if "--bits" not in have:
        g.add_argument("--bits", type=int, help="fixed-point width b (integer >= 2)")
    if "--loader" not in have:
        g.add_argument("--loader", choices=LOADERS, default="qrom", help="qrom (gate level) or assumed (polylog QRAM cost model)")
    g.add_argument("--s-lambda", type=float, default=None, help="statistical dimension s_lambda of the kernel (1 <= s <= 2n)")
    g.add_argument("--alpha", type=float, default=None, help="row distortion of V (1 <= alpha <= d)")
    g.add_argument("--eps", type=float, default=None, help="target accuracy eps in (0, 1)")
    g.add_argument("--mean-method", choices=MEAN_METHODS, default="chj", help="D by CHJ cost model (default) or coordinate-wise amplitude estimation")
    g.add_argument("--multi-sample", choices=MULTI_SAMPLE, default="hamoudi", help="V samples: hamoudi sqrt(K N) cost model (default) or repeat")


def run_qattention_estimate(args) -> Dict[str, Any]:
    missing = [f"--{name.replace('_', '-')}" for name in ("n", "d", "s_lambda", "alpha", "eps", "bits") if getattr(args, name, None) is None]
    if missing:
        raise QattnInputError(f"{', '.join(missing)} required for qattention")
    loader = getattr(args, "loader", "qrom")
    if loader not in LOADERS:
        raise QattnInputError(f"--loader must be qrom or assumed for qattention; got {loader!r}")
    return qattention_estimate(args.n, args.d, args.s_lambda, args.alpha, args.eps, args.bits, loader=loader,
                               mean_method=args.mean_method, multi_sample=args.multi_sample)
