"""Logical costs of quantum importance sampling and quantum mean estimation (symbolic formulas).

Both functions evaluate the *symbolic* call graphs of :mod:`bloqs.sampling` /
:mod:`bloqs.mean_estimation` (computed once, cached) at the given sizes, so nothing of size n is
enumerated and n = 2^30 costs the same as n = 8. The JSON shape follows ``qattn estimate
grover-sparse``: ``{algorithm, params, logical: {t_count, toffoli, clifford, rotations,
measurements, qubits}, ...}`` with t_count = T + 4 x (Toffoli + And + CSWAP) + 11 x rotations and
And-dagger measurement based (0 T) (:mod:`estimates.counts`).

Proposed CLI (the lead wires it into ``qattn estimate``)::

    qattn estimate leverage-sampling --n N --d D --alpha A --bits B [--samples K]
                                     [--kind row-norm|ridge] [--s-lambda S]
    qattn estimate mean-estimation   --n N --d D --bits B --eps E [--delta P]
                                     [--method coordinate|chj] [--chj-constant C]
"""

import functools
import math
from typing import Any, Dict, Optional

import sympy

from estimates.counts import LogicalCounts, logical_counts
from qattn_cirq.errors import QattnInputError

_N, _D, _B, _S, _M, _K = (sympy.Symbol(x, positive=True, integer=True) for x in ("n", "d", "b", "s", "m", "K"))
_ALPHA = sympy.Symbol("alpha", positive=True)
_NQ = sympy.Symbol("N_q", positive=True, integer=True)

CONVENTIONS = (
    "t_count = T + 4 x (Toffoli + And + CSWAP) + 11 x rotations; And-dagger 0 T; "
    "weights / values loaded by unary-iteration QROM (Babbush et al. 1805.03662)"
)


def _logical(c: LogicalCounts, values: Dict[Any, Any]) -> Dict[str, Any]:
    return c.evaluate(values, rel_tol=0.0)


def _scale(d: Dict[str, Any], k) -> Dict[str, Any]:
    return {key: (v * k if key != "qubits" else v) for key, v in d.items()}


def _check_int(name, v, lo, hi=None):
    if not isinstance(v, int) or isinstance(v, bool) or v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise QattnInputError(f"{name}={v!r} must be an integer {rng}")


# ----------------------------------------------------------------------------------------------
# leverage-score / ridge-leverage sampling
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def leverage_sampling_formula(kind: str = "row-norm") -> LogicalCounts:
    """Symbolic logical counts of one sampling attempt (symbols n, d, alpha, b; s for ridge)."""
    from bloqs.sampling import leverage_sampler_symbolic, ridge_leverage_sampler_symbolic

    if kind == "row-norm":
        return logical_counts(leverage_sampler_symbolic(_N, _D, _ALPHA, _B))
    if kind == "ridge":
        return logical_counts(ridge_leverage_sampler_symbolic(_N, _D, _S, _B))
    raise QattnInputError(f"kind must be 'row-norm' or 'ridge', got {kind!r}")


def leverage_sampling_estimate(
    n: int,
    d: int,
    alpha: float = 1.0,
    bits: int = 8,
    samples: int = 1,
    kind: str = "row-norm",
    s_lambda: Optional[int] = None,
) -> Dict[str, Any]:
    r"""Logical cost of ``samples`` amplitude-amplified sampling attempts.

    kind='row-norm': rows of V by :math:`\|v_i\|^2` (QROM-loaded b-bit weights), rounds
    :math:`\lceil\tfrac{\pi}{4}\sqrt{\alpha n/r}\rceil` with :math:`r = \min(n, d) \ge
    \mathrm{rank}(V)` (acceptance >= min(1, r/(alpha n)), alpha = row distortion,
    1 <= alpha <= r/srank(V)); the symbolic formula's ``d`` is evaluated at ``r``. kind='ridge': QSample of Nystrom landmarks by ridge
    leverage scores computed coherently (cost model oracle: s kernel evaluations of d-dim inner
    products + s x s quadratic form per query), rounds :math:`\lceil\tfrac{\pi}{4}\sqrt{n/s}\rceil`.
    With the optimal round count each attempt succeeds with probability >= 1 - acceptance
    (BHMT Thm 2); the cost is per attempt, times ``samples``.
    """
    _check_int("n", n, 2)
    _check_int("d", d, 1)
    _check_int("bits", bits, 1, 32)
    _check_int("samples", samples, 1)
    if kind not in ("row-norm", "ridge"):
        raise QattnInputError(f"kind must be 'row-norm' or 'ridge', got {kind!r}")
    rank = min(n, d)  # rank(V) <= min(n, d): the acceptance bound below needs the rank, not d
    if kind == "row-norm":
        if not (isinstance(alpha, (int, float)) and 1 <= alpha <= rank):
            raise QattnInputError(
                f"alpha={alpha!r} must be a number in [1, min(n, d)={rank}] (row distortion <= rank(V)/srank)"
            )
        # leverage_sampler_symbolic's ``d`` is rank(V) (its docstring: pass the rank for a
        # rank-deficient V); with n < d the n x d matrix V has rank <= n, and d/(alpha n) > 1 would
        # be no bound at all. So the formula is evaluated at d -> min(n, d), rounds and bound alike.
        values = {_N: n, _D: rank, _ALPHA: alpha, _B: bits}
        rounds = math.ceil(math.pi / 4 * math.sqrt(alpha * n / rank))
        acceptance_lower = min(1.0, rank / (alpha * n))
    else:
        if s_lambda is None:
            raise QattnInputError("s_lambda is required for kind='ridge'")
        _check_int("s_lambda", s_lambda, 1, 2 * n)
        values = {_N: n, _D: d, _S: s_lambda, _B: bits}
        rounds = math.ceil(math.pi / 4 * math.sqrt(n / s_lambda))
        acceptance_lower = min(1.0, s_lambda / n)
    per = _logical(leverage_sampling_formula(kind), values)
    return {
        "algorithm": "leverage-sampling" if kind == "row-norm" else "ridge-leverage-qsample",
        "params": {"n": n, "d": d, "alpha": alpha if kind == "row-norm" else None, "bits": bits,
                   "samples": samples, "kind": kind, "s_lambda": s_lambda,
                   "rank_bound": rank if kind == "row-norm" else None},
        "logical": _scale(per, samples),
        "per_sample": per,
        "rounds": rounds,
        "acceptance_lower_bound": acceptance_lower,
        "weight_oracle_calls_per_sample": 2 * rounds + 1,
        "formula_t_count": str(leverage_sampling_formula(kind).t_count),
        "conventions": CONVENTIONS,
    }


# ----------------------------------------------------------------------------------------------
# mean estimation
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def mean_estimation_formula(method: str = "coordinate") -> LogicalCounts:
    """Symbolic logical counts: coordinate-wise (symbols n, d, b, m, K) or CHJ (n, b, N_q)."""
    from bloqs.mean_estimation import CHJMeanEstimationCostModel, multivariate_symbolic
    from bloqs.sampling import UniformIndexAndCoin, WeightThresholdFlag

    if method == "coordinate":
        return logical_counts(multivariate_symbolic(_N, _D, _B, _M, _K))
    if method == "chj":
        bloq = CHJMeanEstimationCostModel(UniformIndexAndCoin(_N, _B), WeightThresholdFlag(_N, _B), _NQ)
        return logical_counts(bloq)
    raise QattnInputError(f"method must be 'coordinate' or 'chj', got {method!r}")


def mean_estimation_estimate(
    n: int,
    d: int,
    bits: int,
    eps: float,
    delta: float = 0.05,
    method: str = "coordinate",
    chj_constant: float = 1.0,
) -> Dict[str, Any]:
    r"""Logical cost of estimating the mean of n vectors in :math:`[0,1)^d` (b-bit) to l2 error eps.

    coordinate: per coordinate, amplitude estimation with m = phase_bits_for_error(eps/sqrt d)
    phase qubits (BHMT Thm 12, constants explicit), median of K = median_repetitions(delta/d)
    runs; success >= 1 - delta. chj: Cornelissen-Hamoudi-Jerbi cost model with
    :math:`N_q = \lceil C\sqrt{d\,{\rm Tr}\Sigma}\ln(d/\delta)/\varepsilon\rceil`, Tr Sigma <= d/4,
    C = ``chj_constant`` (not given by the theorem).
    """
    from bloqs.mean_estimation import chj_queries, median_repetitions, phase_bits_for_error

    _check_int("n", n, 2)
    _check_int("d", d, 1)
    _check_int("bits", bits, 1, 32)
    if not (isinstance(eps, (int, float)) and 0 < eps < 1):
        raise QattnInputError(f"eps={eps!r} must be in (0, 1)")
    if not (isinstance(delta, (int, float)) and 0 < delta < 1):
        raise QattnInputError(f"delta={delta!r} must be in (0, 1)")
    if method == "coordinate":
        eps_inf = eps / math.sqrt(d)
        m = phase_bits_for_error(eps_inf)
        reps = median_repetitions(delta / d)
        logical = _logical(mean_estimation_formula("coordinate"), {_N: n, _D: d, _B: bits, _M: m, _K: reps})
        queries = d * reps * 2 * (2**m - 1)
        extra = {"phase_bits": m, "repetitions": reps, "eps_inf": eps_inf,
                 "error_model": "BHMT Thm 12 (k=1): |a~-a| <= 2 pi sqrt(a(1-a))/M + pi^2/M^2 w.p. >= 8/pi^2; "
                                "median of K runs, union bound over d coordinates"}
    elif method == "chj":
        if not (isinstance(chj_constant, (int, float)) and chj_constant > 0):
            raise QattnInputError(f"chj_constant={chj_constant!r} must be > 0")
        nq = chj_queries(d, d / 4, eps, delta, chj_constant)
        logical = _logical(mean_estimation_formula("chj"), {_N: n, _B: bits, _NQ: nq})
        queries = 2 * nq
        extra = {"chj_queries": nq, "chj_constant": chj_constant,
                 "error_model": "Cornelissen-Hamoudi-Jerbi 2111.09787: O~(sqrt(d Tr Sigma)/eps) queries; "
                                "constant C is a modelling choice, Tr Sigma <= d/4 for [0,1]^d"}
    else:
        raise QattnInputError(f"method must be 'coordinate' or 'chj', got {method!r}")
    return {
        "algorithm": "mean-estimation",
        "params": {"n": n, "d": d, "bits": bits, "eps": eps, "delta": delta, "method": method},
        "logical": logical,
        "flag_oracle_calls": queries,
        "formula_t_count": str(mean_estimation_formula(method).t_count),
        **extra,
        "conventions": CONVENTIONS,
    }


@functools.lru_cache(maxsize=None)
def mean_estimation_formula_eps() -> Dict[str, Any]:
    r"""Coordinate-wise mean estimation as a formula in n, d, b, eps (l2) and delta.

    Upper bounds on the concrete choices: :math:`M = 2^m` with :math:`m = \lceil\log_2(2\pi
    \sqrt d/\varepsilon)\rceil` satisfies :math:`\pi/M + \pi^2/M^2 \le \varepsilon/\sqrt d`
    (each term <= eps_inf / 2), and :math:`K = \lceil \ln(d/\delta)/(2(8/\pi^2-1/2)^2)\rceil + 1`
    covers the odd-rounded median count. Returns ``{"t_count", "qubits", "flag_oracle_calls"}``
    as sympy expressions."""
    eps, delta = sympy.symbols("epsilon delta", positive=True)
    c = mean_estimation_formula("coordinate")
    m_expr = sympy.ceiling(sympy.log(2 * sympy.pi * sympy.sqrt(_D) / eps, 2))
    gap = 8 / sympy.pi**2 - sympy.Rational(1, 2)
    k_expr = sympy.ceiling(sympy.log(_D / delta) / (2 * gap**2)) + 1
    sub = {_M: m_expr, _K: k_expr}
    return {
        "t_count": sympy.sympify(c.t_count).subs(sub),
        "qubits": sympy.sympify(c.qubits).subs(sub),
        "flag_oracle_calls": (_D * k_expr * 2 * (2**m_expr - 1)),
        "symbols": (_N, _D, _B, eps, delta),
    }
