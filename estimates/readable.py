r"""Leading-order costs written as a paper would print them (``T ~ 2 pi sqrt(k) n^(5/2)``).

The exact T-counts and qubit counts (:func:`estimates.formulas.grover_sparse_formula`,
:func:`estimates.qattention_estimates.qattention_counts`) are sympy expressions with Qualtran's
rounding (``ceiling(log(n)/log(2))``, ``2**floor(log(n)/(2*log(2)))``) and the find-all schedule's
k-term sums ``Sum(floor(pi/(4*asin(sqrt(m/n)))), (m, 1, k))``. :func:`paper_form` reduces one to its
leading order in n:

1. **n a power of two, rounding dropped**: ``ceiling(x) -> x``, ``floor(x) -> x`` (exact at powers
   of two for ``log2 n``; so ``ceiling(log2 n) - floor(log2 n) -> 0`` and ``2^floor(log2(n)/2) ->
   sqrt(n)``);
2. **sums by their integrals** (Euler-Maclaurin leading term): the Grover round count
   ``floor(pi / (4 asin(sqrt(m/n))))`` is ``(pi/4) sqrt(n/m)`` to leading order, ``1 - m/n -> 1``
   for ``m <= k`` fixed, and ``sum_{m <= k} f(m) -> integral_0^k f`` (so ``sum_m m^{-1/2} -> 2
   sqrt(k)``, ``sum_m (k-m) m^{-1/2} -> (4/3) k^{3/2}``);
3. **leading polynomial order in n**: the terms with the largest power of n are kept, *with* their
   logarithmic factors and every other term of that power (a factor ``log n`` does not raise the
   order: at the sizes the report costs, ``sqrt(k)`` beside ``log n`` is the larger, so dropping
   either would misstate the cost); a ``Max`` keeps the argument that is largest at n = 2^64 and
   the report's default d, k, b, s, alpha, eps (:data:`DEFAULT_POINT`); where only logarithms of n
   are left (qubits), the highest power of log n;
4. **printing**: numeric logarithms evaluated to 3 significant digits, ``pi`` kept, natural
   logarithms of n as ``log2(n)`` (``ln n = ln 2 log2 n``).

:func:`readable_formulas` returns the text, markdown and LaTeX forms for one algorithm and loader,
next to the paper's O~ claim (arXiv 2307.08045 main result; arXiv 2602.00874 Thm 3.1 / 9.2).
This is a reading aid: the exact expressions stay in ``qattn formula --format json``.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Dict, Optional

import sympy

__all__ = ["paper_form", "readable_formulas", "PAPER_O_TILDE"]

#: the papers' stated costs (time), for the "next to the claim" column
PAPER_O_TILDE = {
    "grover-sparse": "O~(n (sqrt(n k) d + k d)) time, QRAM assumed (arXiv 2307.08045, main result)",
    "qattention": "O~(eps^-1 n^0.5 (s^2.5 + s^1.5 d + alpha^0.5 d)) preprocessing, QRAM assumed (arXiv 2602.00874)",
}
_LG = sympy.Symbol("lgn", positive=True)  # stands for log2(n) while printing
#: the report's default problem (estimates.report_config.ReportConfig), where a Max picks its
#: argument and the short form picks its dominant terms
DEFAULT_POINT = {"d": 128, "k": 32, "b": 8, "s": 64, "alpha": 2.0, "eps": 0.1}


def _log2_func():
    from qualtran.symbolics import log2

    return log2(sympy.Symbol("x_", positive=True)).func


def _sums_to_integrals(e, var):
    """Step 2 of the module docstring, for every ``Sum`` over m in ``e``."""
    def repl(s):
        (m, _lo, hi) = s.limits[0]
        r = sympy.pi / 4 * sympy.sqrt(var / m)
        g = s.function.replace(sympy.floor, lambda x: r)
        g = sympy.expand(sympy.powsimp(g.subs(1 - m / var, 1), force=True))
        return sympy.integrate(g, (m, 0, hi))

    return e.replace(lambda x: isinstance(x, sympy.Sum), repl)


def _no_rounding(e):
    f = _log2_func()
    if f is not sympy.log:
        e = e.replace(lambda x: getattr(x, "func", None) == f, lambda x: sympy.log(x.args[0]) / sympy.log(2))
    return e.replace(sympy.ceiling, lambda x: x).replace(sympy.floor, lambda x: x)


def _logs_apart(e):
    """``log(x y) -> log x + log y``, ``2**(log(n)/2) -> sqrt(n)`` (after the Max are resolved:
    on a nested Max this takes minutes)."""
    return sympy.powsimp(sympy.expand_log(e, force=True), force=True)


def _order(term, var):
    """Polynomial order in ``var`` of a product term (log factors order 0; a Max its largest)."""
    o = sympy.Integer(0)
    for f, p in term.as_powers_dict().items():
        if f == var:
            o += p
        elif isinstance(f, sympy.Max):
            o += p * max(_order_of(a, var) for a in f.args)
        elif isinstance(f, sympy.Pow) and f.base == var:
            o += f.exp * p
    return o


def _order_of(e, var):
    return max(_order(t, var) for t in sympy.Add.make_args(sympy.expand(e)))


def _at_point(e, var, n_value) -> float:
    """``e`` at the report's default problem (:data:`DEFAULT_POINT`) and ``var = n_value``."""
    vals = {sym: sympy.Float(DEFAULT_POINT[sym.name]) for sym in e.free_symbols if sym.name in DEFAULT_POINT}
    vals.update({var: sympy.Integer(n_value), _LG: sympy.Integer(int(math.log2(n_value)))})
    try:  # xreplace: all symbols at once (subs goes one by one, and a half-numeric Max is slow)
        return float(e.xreplace(vals).evalf(15))
    except TypeError:  # a symbol without a default value: compare by order alone
        return float("nan")


def _max_arg(args, var):
    """The argument of a Max that is largest at n = 2^64 (the fastest-growing at the default point)."""
    vals = [_at_point(a, var, 2**64) for a in args]
    return args[max(range(len(args)), key=lambda i: (vals[i] if vals[i] == vals[i] else -1.0))]


def _resolve_max(e, var):
    """Each Max replaced by its argument that is largest at n = 2^64, top down (rebuilding a Max
    from replaced arguments makes sympy compare them symbolically: minutes on the qubit counts)."""
    if isinstance(e, sympy.Max):
        return _resolve_max(_max_arg(e.args, var), var)
    if not e.args or not e.has(sympy.Max):
        return e
    return e.func(*[_resolve_max(a, var) for a in e.args])


def _top(e, var):
    """Step 3: the terms of the largest polynomial order in ``var``."""
    terms = sympy.Add.make_args(sympy.expand(_logs_apart(e)))
    orders = [_order(t, var) for t in terms]
    top = [t for t, o in zip(terms, orders) if o == max(orders)]
    if max(orders) == 0:  # only logarithms of n left (e.g. qubits): keep the highest power of log n
        logs = [sympy.Poly(t, sympy.log(var)).degree() if t.has(var) else 0 for t in top]
        top = [t for t, g in zip(top, logs) if g == max(logs)]
    return sympy.Add(*top)


def dominant(e, var, share: float = 0.9):
    """The terms of ``e`` (one power of n times a sum) that make up ``share`` of its value at the
    default point and n = 4096, largest first, and how many were left out."""
    p_c = [t.as_independent(var, as_Add=False) for t in sympy.Add.make_args(e)]
    if len(p_c) != 1:
        return e, 0
    c, p = p_c[0]
    parts = sympy.Add.make_args(sympy.expand(c))
    vals = [abs(_at_point(t, var, 4096)) for t in parts]
    if any(v != v for v in vals) or not sum(vals):
        return e, 0
    order = sorted(range(len(parts)), key=lambda i: -vals[i])
    kept, acc = [], 0.0
    for i in order:
        kept.append(parts[i])
        acc += vals[i]
        if acc >= share * sum(vals):
            break
    return sympy.factor_terms(sympy.Add(*kept)) * p, len(parts) - len(kept)


def _tidy(e, var):
    """Step 4: numeric logs to 3 digits, ln(var) as ln 2 * log2(var), grouped by the power of var."""
    e = e.replace(lambda x: isinstance(x, sympy.log) and x.args[0].is_number and x.args[0] != 2,
                  lambda x: sympy.Float(x.evalf(3), 3))
    e = sympy.expand(e.subs(sympy.log(var), sympy.log(2) * _LG))
    e = e.replace(lambda x: isinstance(x, sympy.log) and x.args[0] == 2, lambda x: sympy.Float(x.evalf(3), 3))
    e = sympy.expand(e)
    if isinstance(e, sympy.Max):
        return sympy.Max(*[sympy.collect(a, var, evaluate=True) for a in e.args])
    powers: Dict[Any, Any] = {}
    for t in sympy.Add.make_args(e):
        c, p = t.as_independent(var, as_Add=False)
        powers[p] = powers.get(p, 0) + c
    return sympy.Add(*[sympy.factor_terms(c) * p for p, c in powers.items()])


def paper_form(expr, var):
    """The leading order of ``expr`` in ``var`` as a paper would print it (module docstring)."""
    e = _resolve_max(sympy.sympify(expr), var)  # first: any replace() on a nested Max takes minutes
    if e.has(sympy.Sum):
        e = _sums_to_integrals(e, var)
    return _tidy(_top(_no_rounding(e), var), var)


def as_text(e) -> str:
    s = sympy.sstr(e).replace("log(", "ln(").replace("lgn", "log2(n)").replace("**", "^").replace("*", " ")
    return s


def as_latex(e) -> str:
    import re

    s = sympy.latex(e).replace("lgn", r"\log_2 n").replace(r"\log", r"\ln").replace(r"\ln_2", r"\log_2")
    return re.sub(r"\beps\b", r"\\varepsilon", s)


def _share(leading, exact, var) -> Optional[float]:
    """Leading order / exact count at n = 4096 and :data:`DEFAULT_POINT`: how much of the real cost
    the leading order describes at a realistic size (None where a value cannot be evaluated)."""
    try:
        e = sympy.sympify(exact)
        vals = {sym: sympy.Float(DEFAULT_POINT[sym.name]) for sym in e.free_symbols if sym.name in DEFAULT_POINT}
        if "k" in {x.name for x in e.free_symbols}:
            vals = {sym: (sympy.Integer(32) if sym.name == "k" else v) for sym, v in vals.items()}
        vals[var] = sympy.Integer(4096)
        num = float(e.xreplace(vals).doit().evalf(15))
        lead = _at_point(leading, var, 4096)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return lead / num if num and lead == lead else None


def _exprs(algorithm: str, loader: str, schedule: str, arithmetic: str):
    if algorithm == "grover-sparse":
        from estimates.formulas import grover_sparse_formula, n

        c = grover_sparse_formula(loader, schedule, arithmetic)
        return n, c.t_count, c.qubits
    from bloqs.nystrom import symbols
    from estimates.qattention_estimates import qattention_counts, t_count_expr

    return symbols()[0], t_count_expr("preprocess", loader), qattention_counts(loader)["preprocess"].qubits


@functools.lru_cache(maxsize=None)
def readable_formulas(algorithm: str, loader: str = "qrom", schedule: str = "certified",
                      arithmetic: str = "shift-add") -> Dict[str, Any]:
    """Leading-order T-count and logical qubits of one algorithm and loader, in text, markdown and
    LaTeX, with the paper's O~ claim (Grover sparse: the whole algorithm; QAttention: the quantum
    preprocessing, the only quantum part)."""
    var, t, q = _exprs(algorithm, loader, schedule, arithmetic)
    lt, lq = paper_form(t, var), paper_form(q, var)
    short, dropped = dominant(lt, var)
    out = {"algorithm": algorithm, "loader": loader,
           "t_count": as_text(lt), "qubits": as_text(lq),
           "t_count_latex": as_latex(lt), "qubits_latex": as_latex(lq),
           "t_count_dominant": as_text(short) + (f" + ... ({dropped} smaller term{'s' if dropped > 1 else ''})" if dropped else ""),
           "dominant_at": "the terms making up 90% of the leading order at n = 4096, " + ", ".join(
               f"{key} = {v:g}" for key, v in DEFAULT_POINT.items()),
           "paper_claim": PAPER_O_TILDE[algorithm],
           "reading": "leading order in n, n a power of two, rounding dropped, k-term sums by their integrals "
                      "(estimates.readable); exact expressions: qattn formula --format json"}
    if algorithm == "grover-sparse":
        out["schedule"], out["arithmetic"] = schedule, arithmetic
    out["t_leading_over_exact_at_4096"] = _share(lt, t, var)
    out["qubits_leading_over_exact_at_4096"] = _share(lq, q, var)
    out["markdown"] = f"T ~ `{out['t_count_dominant']}`, qubits ~ `{out['qubits']}`"
    return out


def one_line(r: Dict[str, Any]) -> str:
    """The first line ``qattn formula --format text`` prints."""
    return (f"T ~ {r['t_count_dominant']};  qubits ~ {r['qubits']}   (leading order in n, n a power of two; "
            f"paper: {r['paper_claim']})")


def latex_block(r: Optional[Dict[str, Any]]) -> str:
    if not r:
        return ""
    return r"T &\sim " + r["t_count_latex"] + r" \\" + "\n" + r"Q &\sim " + r["qubits_latex"] + r" \\"
