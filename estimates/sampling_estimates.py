"""Logical costs of quantum importance sampling and quantum mean estimation (symbolic formulas).

Both functions evaluate the *symbolic* call graphs of :mod:`bloqs.sampling` /
:mod:`bloqs.mean_estimation` (computed once, cached) at the given sizes, so nothing of size n is
enumerated and n = 2^30 costs the same as n = 8. The JSON shape follows ``qattn estimate
grover-sparse``: ``{algorithm, params, logical: {t_count, toffoli, clifford, rotations,
measurements, qubits}, ledger, ...}`` with t_count = T + 4 x (Toffoli + And + CSWAP) + 11 x rotations and
And-dagger measurement based (0 T) (:mod:`estimates.counts`). ``ledger``: one row per component
(:data:`LEDGER_KEYS`): quantum rows walk the same symbolic call graph down to named components
(lookups, measurement-based unloads, comparators, inner products, kernels, products, adders, ...)
with ``t_per_call`` from each component's own logical counts and ``calls`` from the evaluated
multiplicities, so they sum to ``logical.t_count``; classical rows (the weight / score tables and
the landmark matrix, computed once) carry FLOPs, bytes and seconds on the GPU model.

Proposed CLI (the lead wires it into ``qattn estimate``)::

    qattn estimate leverage-sampling --n N --d D --alpha A --bits B [--samples K]
                                     [--kind row-norm|ridge] [--s-lambda S]
    qattn estimate mean-estimation   --n N --d D --bits B --eps E [--delta P]
                                     [--method coordinate|chj] [--chj-constant C]
"""

import functools
import math
import numbers
from typing import Any, Dict, List, Optional, Tuple

import sympy
from qualtran import Adjoint
from qualtran.resource_counting import get_bloq_callee_counts

from bloqs.mean_estimation import (
    CHJMeanEstimationCostModel,
    chj_queries,
    median_repetitions,
    multivariate_symbolic,
    phase_bits_for_error,
)
from bloqs.qroam import QROAMRowLoader
from bloqs.sampling import (
    UniformIndexAndCoin,
    WeightThresholdFlag,
    leverage_sampler_symbolic,
    ridge_leverage_sampler_symbolic,
)
from estimates.classical import roofline_time_s
from estimates.counts import LogicalCounts, logical_counts, to_number
from qattn_cirq.errors import QattnInputError
from qattn_cirq.reference import check_qattention_inputs

_N, _D, _B, _S, _M, _K = (sympy.Symbol(x, positive=True, integer=True) for x in ("n", "d", "b", "s", "m", "K"))
_ALPHA = sympy.Symbol("alpha", positive=True)
_NQ = sympy.Symbol("N_q", positive=True, integer=True)

CONVENTIONS = (
    "t_count = T + 4 x (Toffoli + And + CSWAP) + 11 x rotations; And-dagger 0 T; "
    "weights / values loaded by unary-iteration QROM (Babbush et al. 1805.03662) and unloaded by "
    "measurement (RowUnload, Berry et al. 1902.02134 App. C)"
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
# ledger: per component, calls x cost per call, share, source, best known
# ----------------------------------------------------------------------------------------------

LEDGER_KEYS = ("component", "kind", "calls", "t_per_call", "t_total", "share", "flops", "bytes", "seconds",
               "source", "best_known")

_BERRY_C = "Berry, Gidney, Motta, McClean, Babbush arXiv:1902.02134 App. C (measurement-based uncompute)"
_BABBUSH = "Babbush et al. arXiv:1805.03662 Sec. III.A, Fig. 7 (unary-iteration QROM, 4n - 8 T)"


def _fmt(x, values) -> str:
    """A size in a label, evaluated at ``values`` when it is symbolic."""
    if values is None or not isinstance(x, sympy.Basic):
        return str(x)
    return str(to_number(sympy.sympify(x).subs(values), rel_tol=0.0))


def _component(bloq, values=None) -> Optional[Tuple[str, str]]:
    """(label, source) if ``bloq`` is a ledger component, else None (its callees are walked)."""
    if isinstance(bloq, Adjoint):
        return _component(bloq.subbloq, values)
    name = type(bloq).__name__
    if name == "QROM":
        return "table lookup (QROM)", _BABBUSH
    if name == "QROMRowLoader":
        return f"row lookup (QROM, {_fmt(bloq.d, values)} entries of {_fmt(bloq.bits, values)} bits)", _BABBUSH
    if name == "AssumedQRAMRowLoader":
        return "row lookup (assumed QRAM, cost model)", "bucket brigade, Giovannetti-Lloyd-Maccone 2008 (assumption)"
    if name == "RowUnload":
        return (f"measurement-based unload (RowUnload, {_fmt(bloq.d, values)} x {_fmt(bloq.bits, values)} bits)",
                _BERRY_C)
    if name == "LinearDepthGreaterThan":
        return "comparator coin < w (LinearDepthGreaterThan)", "Cuccaro et al. quant-ph/0410184 ripple compare (b And)"
    if name == "PrepareUniformSuperposition":
        return "uniform superposition U / U^dagger", "Babbush et al. arXiv:1805.03662 Fig. 12"
    if name == "ReflectAboutZero":
        return "reflection about zero", "BHMT quant-ph/0005055 amplitude amplification; Gidney And ladder arXiv:1709.06648"
    if name == "ClassicalInnerProduct":
        src = "this project: bloqs.arithmetic.ClassicalInnerProduct (Reitwiesner NAF shift-and-add, worst-case query)"
        size = f"d={_fmt(bloq.d, values)}, b={_fmt(bloq.bits, values)}"
        if bloq.d == _S:
            return f"y = M k: inner products with the classical rows of M ({size})", src
        return f"<x_l, x_j> with the classical landmarks ({size})", src
    if name == "KernelExp":
        return "exp kernel (KernelExp: 2 tables + multiplier)", "this project: bloqs.kernel.KernelExp (range reduction + 2 QROM + RowUnload)"
    if name == "Product":
        return "k . y: quantum x quantum Product (the only ones)", "Qualtran Product (schoolbook, 2ab - max(a,b) Toffoli; cost model)"
    if name == "Add":
        return f"adder Add({_fmt(bloq.a_dtype.bitsize, values)} bits)", "Gidney arXiv:1709.06648 (w - 1 And)"
    if name == "ShiftAddMultiplier":
        return "squares v_ij^2 (ShiftAddMultiplier)", "this project: bloqs.kernel.ShiftAddMultiplier (schoolbook, controlled adders)"
    if name == "QFTTextBook":
        return "inverse QFT (phase estimation)", "Qualtran QFTTextBook (Nielsen-Chuang 5.1)"
    return None


def _best_known(bloq, t_per_call, values) -> Optional[Dict[str, Any]]:
    """The best-known construction for a component, with our ratio to it (None where we make no claim)."""
    name = type(bloq).__name__
    if name == "RowUnload":
        return {"construction": "Berry et al. App. C measurement-based unload, ceil(n/K') + K' - 4 And",
                "t_per_call": t_per_call, "ratio": 1.0}
    if name == "ClassicalInnerProduct":
        return {"construction": "NAF shift-and-add, one adder per non-zero signed digit (constant multiplication)",
                "t_per_call": t_per_call, "ratio": 1.0}
    if name in ("QROM", "QROMRowLoader"):
        if name == "QROM":
            n, d, b = bloq.data_shape[0], 1, bloq.target_bitsizes[0]
        else:
            n, d, b = bloq.n, bloq.d, bloq.bits
        best = _evaluate(logical_counts(QROAMRowLoader(n, d, b)), values)["t_count"]
        if best and best < t_per_call:
            return {"construction": "clean select-swap QROAM, Berry et al. arXiv:1902.02134 App. B (+ b d K qubits)",
                    "t_per_call": best, "ratio": t_per_call / best}
    return None


def _evaluate(c: LogicalCounts, values) -> Dict[str, Any]:
    return c.evaluate(values, rel_tol=0.0)


def _walk(bloq, mult, out: Dict[Any, Any], other: Dict[Any, Any]):
    for callee, k in get_bloq_callee_counts(bloq):
        if _component(callee) is not None:
            out[callee] = out.get(callee, 0) + mult * k
            continue
        sub = get_bloq_callee_counts(callee)
        if sub:
            _walk(callee, mult * k, out, other)
        else:
            other[callee] = other.get(callee, 0) + mult * k


@functools.lru_cache(maxsize=None)
def _components_of(bloq) -> Tuple[Tuple[Any, Any], Tuple[Any, Any]]:
    out: Dict[Any, Any] = {}
    other: Dict[Any, Any] = {}
    _walk(bloq, sympy.Integer(1), out, other)
    return tuple(out.items()), tuple(other.items())


def ledger_rows(bloq, values: Dict[Any, Any], total_t: int, scale: int = 1) -> List[Dict[str, Any]]:
    """Quantum ledger rows of ``bloq`` (a symbolic formula bloq) at ``values``: its call graph is
    walked down to the components of :func:`_component`; each row's ``calls`` is the evaluated
    multiplicity (times ``scale``), ``t_per_call`` the component's own ``logical_counts`` evaluated
    at ``values``, ``t_total = calls x t_per_call``. Leaves that are no component (Cliffords, T
    gates) are summed into one "other gates" row, so the rows add up to ``total_t``."""
    comps, other = _components_of(bloq)
    rows: Dict[str, Dict[str, Any]] = {}
    for b, k in comps:
        label, source = _component(b, values)
        calls = to_number(sympy.sympify(k).subs(values), rel_tol=0.0) * scale
        t = _evaluate(logical_counts(b), values)["t_count"]
        key = f"{label} [t={t}]"
        if key not in rows:
            rows[key] = {"component": label, "kind": "quantum", "calls": 0, "t_per_call": t, "t_total": 0,
                         "share": None, "flops": None, "bytes": None, "seconds": None, "source": source,
                         "best_known": _best_known(b.subbloq if hasattr(b, "subbloq") else b, t, values)}
        rows[key]["calls"] += calls
        rows[key]["t_total"] += calls * t
    rest_calls, rest_t = 0, 0
    for b, k in other:
        calls = to_number(sympy.sympify(k).subs(values), rel_tol=0.0) * scale
        rest_calls += calls
        rest_t += calls * _evaluate(logical_counts(b), values)["t_count"]
    out = sorted(rows.values(), key=lambda r: -r["t_total"])
    out.append({"component": "other gates (Cliffords, single T / rotations)", "kind": "quantum", "calls": rest_calls,
                "t_per_call": (rest_t // rest_calls if rest_t % rest_calls == 0 else rest_t / rest_calls) if rest_calls else 0,
                "t_total": rest_t, "share": None,
                "flops": None, "bytes": None, "seconds": None, "source": "leaves of the call graph", "best_known": None})
    for r in out:
        r["share"] = r["t_total"] / total_t if total_t else None
    return out


def classical_row(component: str, flops, nbytes, source: str, calls: int = 1) -> Dict[str, Any]:
    """A classical ledger row: FLOPs and bytes, seconds on the GPU model (:func:`estimates.classical.roofline_time_s`)."""
    return {"component": component, "kind": "classical", "calls": calls, "t_per_call": None, "t_total": None,
            "share": None, "flops": flops, "bytes": nbytes, "seconds": float(roofline_time_s(flops, nbytes)["time_s"]),
            "source": source, "best_known": None}


# ----------------------------------------------------------------------------------------------
# leverage-score / ridge-leverage sampling
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def leverage_sampling_bloq(kind: str = "row-norm"):
    """The symbolic sampler of one attempt (symbols n, d, alpha, b; s for ridge)."""
    if kind == "row-norm":
        return leverage_sampler_symbolic(_N, _D, _ALPHA, _B)
    if kind == "ridge":
        return ridge_leverage_sampler_symbolic(_N, _D, _S, _B)
    raise QattnInputError(f"kind must be 'row-norm' or 'ridge', got {kind!r}")


@functools.lru_cache(maxsize=None)
def leverage_sampling_formula(kind: str = "row-norm") -> LogicalCounts:
    """Symbolic logical counts of one sampling attempt (symbols n, d, alpha, b; s for ridge)."""
    return logical_counts(leverage_sampling_bloq(kind))


def _ridge_landmarks(n: int, s_lambda) -> int:
    """The ridge oracle's landmark count for ``s_lambda``: a statistical dimension is a real
    number in [1, 2n] (as for QAttention, ``reference.check_qattention_inputs``); the count is
    ``ceil(s_lambda)`` (realdata's ``s_lambda_int`` rule)."""
    if s_lambda is None:
        raise QattnInputError("s_lambda is required for kind='ridge'")
    if isinstance(s_lambda, bool) or not isinstance(s_lambda, numbers.Real):
        raise QattnInputError(f"s_lambda must be a finite real number; got {s_lambda!r}")
    check_qattention_inputs(n, s_lambda=s_lambda)
    return int(math.ceil(float(s_lambda) - 1e-9))


def leverage_sampling_estimate(
    n: int,
    d: int,
    alpha: float = 1.0,
    bits: int = 8,
    samples: int = 1,
    kind: str = "row-norm",
    s_lambda: Optional[float] = None,
) -> Dict[str, Any]:
    r"""Logical cost of ``samples`` amplitude-amplified sampling attempts.

    kind='row-norm': rows of V by :math:`\|v_i\|^2` (QROM-loaded b-bit weights), rounds
    :math:`\lceil\tfrac{\pi}{4}\sqrt{\alpha n/r}\rceil` with :math:`r = \min(n, d) \ge
    \mathrm{rank}(V)` (acceptance >= min(1, r/(alpha n)), alpha = row distortion,
    1 <= alpha <= r/srank(V)); the symbolic formula's ``d`` is evaluated at ``r``. kind='ridge': QSample of Nystrom landmarks by ridge
    leverage scores computed coherently (cost model oracle: s kernel evaluations of d-dim inner
    products + s x s quadratic form per query), rounds :math:`\lceil\tfrac{\pi}{4}\sqrt{n/s}\rceil`,
    s = ceil(s_lambda) landmarks for a real s_lambda in [1, 2n].
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
        s_ = _ridge_landmarks(n, s_lambda)
        values = {_N: n, _D: d, _S: s_, _B: bits}
        rounds = math.ceil(math.pi / 4 * math.sqrt(n / s_))
        acceptance_lower = min(1.0, s_ / n)
    per = _logical(leverage_sampling_formula(kind), values)
    total_t = per["t_count"] * samples
    ledger = ledger_rows(leverage_sampling_bloq(kind), values, total_t, scale=samples)
    if kind == "row-norm":
        ledger.append(classical_row(
            "weight table w_i = ||v_i||^2, quantised (classical, once)", 2 * n * d,
            math.ceil(n * d * bits / 8) + math.ceil(n * bits / 8),
            "Apers-Gribling arXiv:2311.03215 row-norm sampling; the QROM's data, one pass over V"))
    else:
        ledger.append(classical_row(
            "M' = (K_SS + lambda I)^-1 / lambda on the s landmarks (classical, once)", s_ * s_ * (2 * d + 1) + s_**3,
            4 * (s_ * d + 2 * s_ * s_),
            "Musco & Musco arXiv:1605.07583 Alg. 2 (ridge score estimate); K_SS: s^2 (2d+1), inverse ~ s^3 (Cholesky)"))
        ledger.append(classical_row(
            "diagonal column lambda^-1 k(x_j, x_j) of the row table (classical, once)", n * (2 * d + 2),
            math.ceil(n * d * bits / 8) + 4 * n,
            "this project: computed_kernel_oracle_counts (one pass over the data, stored beside row j)"))
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
        "ledger": ledger,
        "conventions": CONVENTIONS,
    }


# ----------------------------------------------------------------------------------------------
# mean estimation
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def mean_estimation_bloq(method: str = "coordinate"):
    """The symbolic mean-estimation bloq: coordinate-wise (symbols n, d, b, m, K) or CHJ (n, b, N_q)."""
    if method == "coordinate":
        return multivariate_symbolic(_N, _D, _B, _M, _K)
    if method == "chj":
        return CHJMeanEstimationCostModel(UniformIndexAndCoin(_N, _B), WeightThresholdFlag(_N, _B), _NQ)
    raise QattnInputError(f"method must be 'coordinate' or 'chj', got {method!r}")


@functools.lru_cache(maxsize=None)
def mean_estimation_formula(method: str = "coordinate") -> LogicalCounts:
    """Symbolic logical counts: coordinate-wise (symbols n, d, b, m, K) or CHJ (n, b, N_q)."""
    return logical_counts(mean_estimation_bloq(method))


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
        values = {_N: n, _D: d, _B: bits, _M: m, _K: reps}
        logical = _logical(mean_estimation_formula("coordinate"), values)
        queries = d * reps * 2 * (2**m - 1)
        extra = {"phase_bits": m, "repetitions": reps, "eps_inf": eps_inf,
                 "error_model": "BHMT Thm 12 (k=1): |a~-a| <= 2 pi sqrt(a(1-a))/M + pi^2/M^2 w.p. >= 8/pi^2; "
                                "median of K runs, union bound over d coordinates"}
    elif method == "chj":
        if not (isinstance(chj_constant, (int, float)) and chj_constant > 0):
            raise QattnInputError(f"chj_constant={chj_constant!r} must be > 0")
        nq = chj_queries(d, d / 4, eps, delta, chj_constant)
        values = {_N: n, _B: bits, _NQ: nq}
        logical = _logical(mean_estimation_formula("chj"), values)
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
        "ledger": ledger_rows(mean_estimation_bloq(method), values, logical["t_count"]),
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
