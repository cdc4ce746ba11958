"""Classical reference computations for the two attention papers.

Notation (arXiv 2307.08045 Def. 1.1, arXiv 2602.00874 Sec. 1): scores ``S = scale * Q K^T``,
``A = exp(S)`` entrywise, ``D(A) = diag(A 1_n)``, attention output ``D(A)^{-1} A V``.

* :func:`exact_attention` - the output computed stably (row-max subtraction), ``O(n^2 d)``.
* :func:`large_sets`, :func:`goodness` - the large sets ``S_i = {j : S_ij >= tau}`` and the
  (tau, k)-goodness quantities of Gao, Song, Yang, Zhang (arXiv 2307.08045, Theorem 1.3): ``k``,
  ``eta`` and whether ``-eta <= S_ij <= 0`` holds for every ``j`` outside ``S_i``.
* :func:`sparse_rank_one_attention` - the output of the sparse + rank-one matrix ``B = B1 + B2``
  the quantum algorithm produces (arXiv 2307.08045 Def. 3.2, Alg. 4), in ``O(nkd + nd)`` without
  an ``n x n`` array; :func:`sparse_rank_one_error` - its error against exact attention and the
  bound that the goodness conditions give.
* :func:`statistical_dimension`, :func:`stable_rank`, :func:`row_distortion`,
  :func:`fro_over_spec` - the instance parameters in the running time of the sublinear quantum
  algorithm of Song, Xue, Zhang, Zhang (arXiv 2602.00874): ``s_lambda``, ``srank(V)``, ``alpha``,
  and ``||A||_F / ||A||_2``.
* :func:`theorem_bound` - the error bound of that algorithm's main theorem (arXiv 2602.00874,
  Thm 3.1 / 9.2) on an instance; :func:`check_qattention_inputs` - its parameter rules.

Bad input raises :class:`qattn_cirq.errors.QattnInputError` with a one-line message.
"""

from __future__ import annotations

import math
import warnings
from typing import Sequence

import attrs
import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.spatial.distance import cdist

from qattn_cirq.errors import QattnInputError
from qattn_cirq.instance import AttentionInstance, score_block

__all__ = [
    "GoodnessReport",
    "MAX_EXPONENT",
    "check_instance",
    "check_qattention_inputs",
    "default_tau",
    "exact_attention",
    "fro_over_spec",
    "goodness",
    "large_sets",
    "row_distortion",
    "sparse_rank_one_attention",
    "sparse_rank_one_error",
    "stable_rank",
    "statistical_dimension",
    "statistical_dimension_info",
    "theorem_bound",
]

#: exponents above this overflow float64 in ``exp`` (exp(709.8) ~ 1.8e308)
MAX_EXPONENT = 700.0


def default_tau(n: int) -> float:
    """``2 ln n``: the threshold condition ``tau >= 2 log n`` of arXiv 2307.08045 Theorem 1.3.

    With it every large entry ``exp(S_ij) >= n^2``, so the ``<= n`` small entries of a row (each at
    most 1) move its normalisation by at most a ``1/n`` fraction.
    """
    return 2.0 * math.log(n)


def finite_real(name: str, value) -> float:
    """``value`` as a float, or a one-line error naming ``name`` when it is not a finite real."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise QattnInputError(f"{name} must be a finite real number; got {value!r}") from None
    if not math.isfinite(x):
        raise QattnInputError(f"{name} must be a finite real number; got {x!r}")
    return x


def _check_tau(tau) -> float:
    return finite_real("tau", tau)


def check_qattention_inputs(n: int, lam=None, eps=None, s_lambda=None) -> None:
    """The QAttention parameter rules (arXiv 2602.00874), one-line :class:`QattnInputError` each.

    ``lam > 0``; ``0 < eps < 1``; ``1 <= s_lambda <= 2n`` (the kernel on ``X = [Q; K]`` is
    ``2n x 2n``, so its statistical dimension is at most ``2n``)."""
    if lam is not None and not finite_real("lam", lam) > 0:
        raise QattnInputError(f"lam must be > 0 (ridge parameter lambda); got {lam!r}")
    if eps is not None:
        e = finite_real("eps", eps)
        if not 0 < e < 1:
            raise QattnInputError(f"eps must be in (0, 1) (target accuracy); got {eps!r}")
    if s_lambda is not None:
        s = finite_real("s_lambda", s_lambda)
        if s < 1 or s > 2 * n:
            raise QattnInputError(
                f"s_lambda must be in [1, 2n] = [1, {2 * n}] (statistical dimension of the 2n x 2n kernel); got {s_lambda!r}"
            )


def check_instance(inst) -> AttentionInstance:
    """``inst`` itself, or a one-line error when it is not an :class:`AttentionInstance`."""
    if not isinstance(inst, AttentionInstance):
        raise QattnInputError(f"expected an AttentionInstance; got {type(inst).__name__}")
    return inst


def exact_attention(inst: AttentionInstance) -> np.ndarray:
    """``D(A)^{-1} A V`` (arXiv 2307.08045 Def. 1.1), ``n x d``, in ``O(n^2 d)`` time.

    Each row of scores is shifted by its maximum before ``exp`` (softmax is invariant under a
    per-row shift), so scores of size ``1e3`` or more neither overflow nor lose the row.
    """
    inst = check_instance(inst)
    s = inst.scores()
    w = np.exp(s - s.max(axis=1, keepdims=True))
    return (w @ inst.V) / w.sum(axis=1, keepdims=True)


def large_sets(inst: AttentionInstance, tau: float) -> list[np.ndarray]:
    """``S_i = {j : scale * (Q K^T)_ij >= tau}`` as sorted int64 arrays (brute force, ``O(n^2 d)``).

    The comparison is ``>=`` on the values of :meth:`AttentionInstance.scores`, the same test the
    half-space structure and the quantum threshold oracle make.
    """
    inst = check_instance(inst)
    tau = _check_tau(tau)
    s = inst.scores()
    return [np.flatnonzero(row >= tau).astype(np.int64) for row in s]


@attrs.frozen(eq=False)
class GoodnessReport:
    """The (tau, k)-goodness quantities of an instance (arXiv 2307.08045, Theorem 1.3).

    Attributes:
        tau: the threshold used.
        sets: ``sets[i] = S_i``, sorted indices ``j`` with score ``>= tau``.
        k: ``max_i |S_i|``; ``k_min``: ``min_i |S_i|``.
        max_outside: the largest score ``S_ij`` with ``j`` not in ``S_i`` (``-inf`` when every
            ``S_i`` is all of ``[n]``, so nothing lies outside).
        min_outside: the smallest such score (``+inf`` when nothing lies outside).
        eta: the smallest ``eta >= 0`` with ``S_ij >= -eta`` outside ``S_i``, i.e.
            ``max(0, -min_outside)`` (0 when nothing lies outside).
        conditions_hold: True iff ``-eta <= S_ij <= 0`` for every ``j`` outside ``S_i``; with
            ``eta`` chosen as above this is ``max_outside <= 0``, vacuously True when nothing lies
            outside.
    """

    tau: float
    sets: list
    k: int
    k_min: int
    max_outside: float
    min_outside: float
    eta: float
    conditions_hold: bool

    def as_dict(self) -> dict:
        return {
            "tau": self.tau,
            "k": self.k,
            "k_min": self.k_min,
            "eta": self.eta,
            "max_outside": self.max_outside,
            "conditions_hold": self.conditions_hold,
        }


def _goodness_from_scores(s: np.ndarray, tau: float, sets=None) -> GoodnessReport:
    n = s.shape[0]
    if sets is None:
        sets = [np.flatnonzero(row >= tau).astype(np.int64) for row in s]
    outside = np.ones_like(s, dtype=bool)
    for i, S in enumerate(sets):
        outside[i, S] = False
    if outside.any():
        vals = s[outside]
        max_out, min_out = float(vals.max()), float(vals.min())
    else:
        max_out, min_out = -math.inf, math.inf
    sizes = [len(S) for S in sets]
    return GoodnessReport(
        tau=float(tau),
        sets=list(sets),
        k=int(max(sizes)) if n else 0,
        k_min=int(min(sizes)) if n else 0,
        max_outside=max_out,
        min_outside=min_out,
        eta=max(0.0, -min_out) if math.isfinite(min_out) else 0.0,
        conditions_hold=bool(max_out <= 0.0),
    )


def goodness(inst: AttentionInstance, tau: float) -> GoodnessReport:
    """``k``, ``eta``, ``max_outside`` and ``conditions_hold`` for threshold ``tau`` (``O(n^2 d)``).

    arXiv 2307.08045 (Theorem 1.3) asks that each row have at most ``k`` scores ``>= tau`` and
    that every other score lie in ``[-eta, 0]``; see :class:`GoodnessReport` for the exact
    definitions used here.
    """
    inst = check_instance(inst)
    tau = _check_tau(tau)
    return _goodness_from_scores(inst.scores(), tau)


def _resolve_sets(inst: AttentionInstance, tau, sets) -> list[np.ndarray]:
    n = inst.n
    if sets is None:
        return large_sets(inst, default_tau(n) if tau is None else tau)
    if len(sets) != n:
        raise QattnInputError(f"sets must hold one index set per row ({n}); got {len(sets)}")
    out = []
    for i, S in enumerate(sets):
        arr = np.asarray(S, dtype=np.int64).reshape(-1)
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise QattnInputError(f"sets[{i}] has indices outside [0, {n - 1}]")
        if np.unique(arr).size != arr.size:
            raise QattnInputError(f"sets[{i}] repeats an index")
        out.append(np.sort(arr))
    return out


def sparse_rank_one_attention(
    inst: AttentionInstance, tau: float | None = None, sets: Sequence | None = None
) -> np.ndarray:
    """``D(B)^{-1} B V`` for the sparse + rank-one ``B`` of arXiv 2307.08045 (Def. 3.2, Alg. 4).

    ``B = B1 + B2`` with ``B2 = 1_n 1_n^T`` (rank one) and ``B1`` the row-``k``-sparse matrix with
    ``(B1)_ij = A_ij - 1`` for ``j in S_i`` and 0 elsewhere; so ``B_ij = A_ij = exp(S_ij)`` on the
    large set and ``B_ij = 1`` (the value ``exp(0)`` the small scores are close to) outside it.

    Computed from the structure, never forming an ``n x n`` array:
    ``(B V)_i = sum_{j in S_i} (A_ij - 1) V_j + 1^T V`` and
    ``D(B)_ii = sum_{j in S_i} A_ij + (n - |S_i|)``, which costs ``O(|S_i| d)`` per row plus one
    ``O(nd)`` column sum: ``O(nkd + nd)`` in all. Each row is scaled by ``exp(-m_i)`` with
    ``m_i = max(0, max_{j in S_i} S_ij)`` so large scores cannot overflow.

    ``sets`` gives the ``S_i`` directly (as the quantum search would); otherwise they are found by
    brute force for ``tau`` (default ``2 ln n``), which alone costs ``O(n^2 d)``.
    """
    inst = check_instance(inst)
    sets = _resolve_sets(inst, tau, sets)
    n, d = inst.n, inst.d
    colsum = inst.V.sum(axis=0)
    out = np.empty((n, d))
    for i, S in enumerate(sets):
        if S.size:
            s = score_block(inst.Q[i : i + 1], inst.K[S], inst.scale)[0]  # O(|S_i| d)
            m = max(0.0, float(s.max()))
            w = np.exp(s - m)
            tail = math.exp(-m)  # the weight of each all-ones entry after the shift
            VS = inst.V[S]
            num = w @ VS + tail * (colsum - VS.sum(axis=0))
            den = w.sum() + tail * (n - S.size)
        else:
            num, den = colsum, float(n)
        out[i] = num / den
    return out


def _row_softmax(s: np.ndarray) -> np.ndarray:
    w = np.exp(s - s.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


def sparse_rank_one_error(
    inst: AttentionInstance, tau: float | None = None, sets: Sequence | None = None
) -> dict:
    """Errors of the sparse + rank-one approximation and the bound the goodness conditions give.

    Returns a dict of plain floats / bools:

    * ``matrix_error``: ``||D(A)^{-1} A - D(B)^{-1} B||_inf`` (largest row sum of absolute
      values; a diagnostic that forms ``n x n`` arrays, each row normalised stably);
    * ``output_error``: ``max |D(B)^{-1} B V - D(A)^{-1} A V|`` over entries;
    * ``eta``, ``max_outside``, ``conditions_hold``: :class:`GoodnessReport` quantities for the
      sets used (``tau`` is the smallest score inside any ``S_i``, or the given ``tau``);
    * ``bound_applies``: the bounds below are proved only when ``conditions_hold``;
    * ``matrix_bound_eta = 2 (1 - e^{-eta}) <= 2 eta``, and the sharper
      ``matrix_bound = max_i 2 (n - |S_i|)(1 - e^{-eta}) / (|S_i| e^{tau_i} + n - |S_i|)`` with
      ``tau_i = min_{j in S_i} S_ij``; with ``tau >= 2 ln n`` and ``|S_i| >= 1`` this is
      ``<= 2 eta / n`` (the regime of arXiv 2307.08045 Theorem 1.3);
    * ``output_bound = matrix_bound * max|V|`` (each output entry is a row of ``D^{-1}A`` minus
      one of ``D^{-1}B`` applied to a column of ``V``).

    Derivation (row ``i``; ``a = A_i``, ``b = B_i``, ``alpha = sum a``, ``beta = sum b``): under
    the conditions ``a_j = b_j`` on ``S_i`` and ``e^{-eta} <= a_j <= 1 = b_j`` outside, so
    ``a <= b``, ``beta - alpha = sum_{j not in S_i} (1 - a_j) <= (n - |S_i|)(1 - e^{-eta})`` and
    ``||a/alpha - b/beta||_1 <= ||a - b||_1 / beta + ||a||_1 |1/alpha - 1/beta|
    = 2 (beta - alpha) / beta``, while ``beta >= |S_i| e^{tau_i} + n - |S_i|``. This is the
    ``O(eta)`` error statement of arXiv 2307.08045 (Lemma 3.6 / Theorem 5.2); the constants here
    come from this derivation, which the tests check against the measured errors. Note: the
    paper's body was not reachable from this project's search tools, so the constant ``2`` is ours.
    """
    inst = check_instance(inst)
    used_tau = None if sets is not None else (default_tau(inst.n) if tau is None else _check_tau(tau))
    sets = _resolve_sets(inst, used_tau, sets)
    n = inst.n
    s = inst.scores()
    P = _row_softmax(s)
    # D(B)^{-1} B row by row with the same max-shift as in sparse_rank_one_attention
    PB = np.empty_like(P)
    tau_rows = np.full(n, math.inf)
    for i, S in enumerate(sets):
        m = max(0.0, float(s[i, S].max())) if S.size else 0.0
        row = np.full(n, math.exp(-m))
        row[S] = np.exp(s[i, S] - m)
        PB[i] = row / row.sum()
        if S.size:
            tau_rows[i] = float(s[i, S].min())
    matrix_error = float(np.abs(P - PB).sum(axis=1).max())
    exact = P @ inst.V
    approx = sparse_rank_one_attention(inst, sets=sets)
    output_error = float(np.abs(approx - exact).max())

    rep = _goodness_from_scores(s, used_tau if used_tau is not None else float(np.min(tau_rows)), sets)
    eta = rep.eta
    shrink = -math.expm1(-eta)  # 1 - e^{-eta}, accurate for small eta
    per_row = []
    for i, S in enumerate(sets):
        m = n - S.size
        if m == 0:
            per_row.append(0.0)
            continue
        big = S.size * math.exp(min(tau_rows[i], 700.0)) if S.size else 0.0
        per_row.append(2.0 * m * shrink / (big + m))
    matrix_bound = float(max(per_row))
    vmax = float(np.abs(inst.V).max())
    return {
        "matrix_error": matrix_error,
        "output_error": output_error,
        "eta": eta,
        "max_outside": rep.max_outside,
        "conditions_hold": rep.conditions_hold,
        "bound_applies": rep.conditions_hold,
        "matrix_bound_eta": 2.0 * shrink,
        "matrix_bound": matrix_bound,
        "output_bound": matrix_bound * vmax,
    }


def statistical_dimension(inst: AttentionInstance, lam: float) -> float:
    """``s_lambda`` (see :func:`statistical_dimension_info`); warns when only a lower bound."""
    value, exact = statistical_dimension_info(inst, lam)
    if not exact:
        warnings.warn(
            "statistical_dimension: near-duplicate points with huge norms make E too ill-"
            f"conditioned for float64; {value:.6g} is a lower bound (true value <= {2 * inst.n})",
            RuntimeWarning,
            stacklevel=2,
        )
    return value


def statistical_dimension_info(inst: AttentionInstance, lam: float) -> tuple[float, bool]:
    """``(s_lambda, exact)``: ``exact`` is False when the value is only a lower bound (below).

    ``s_lambda = tr(E (E + lambda I)^{-1}) = sum_i mu_i / (mu_i + lambda)`` (arXiv 2602.00874).

    ``E = exp(scale * X X^T)`` entrywise with ``X = [Q; K]`` (``2n x d``) is the exponential
    kernel on queries and keys (``2n x 2n``, positive semidefinite).

    Computing eigenvalues of ``E`` directly fails: its entries span ``e^{scale |x|^2}`` for long
    and short vectors, and a dense eigensolver loses every eigenvalue below ``eps * max mu`` (a
    planted instance with ``tau = 2 ln n`` already has ``max mu ~ 1e50`` while the eigenvalues that
    decide ``s_lambda`` are ``O(1)``). Instead write ``E = D A D`` with
    ``D = diag(exp(g_i / 2))``, ``g_i = scale |x_i|^2``, and ``A`` the Gaussian kernel
    ``A_ij = exp(-scale |x_i - x_j|^2 / 2)`` (entries in ``[0, 1]``, unit diagonal). Then, by
    similarity, ``s_lambda = tr(A (A + L)^{-1}) = 2n - sum_i L_ii ((A + L)^{-1})_ii`` with
    ``L = lambda D^{-2} = diag(lambda e^{-g_i})``, computed from a Cholesky factorisation of the
    well-scaled ``A + L``; ``A`` is formed from pairwise differences (no cancellation between
    large norms). Checked against 60-digit arithmetic in the tests.

    Limit of accuracy: the inverse is accurate to about ``eps / p_min`` (``p_min`` the smallest
    Cholesky pivot). When ``p_min < sqrt(eps)`` - near-duplicate points (``A`` nearly singular)
    whose ``L_ii`` is tiny or underflows (``g_i > ~745``) - ``L`` is floored at ``sqrt(eps)``
    (``~1.5e-8``) and refactored. Raising ``L`` can only lower ``tr(A (A + L)^{-1})``, so that
    value is a **lower bound** (``exact = False``): directions of ``A`` with eigenvalue below
    ``~1e-8`` are counted only partially, though each may truly count ~1 (``s_lambda <= 2n``).
    Resolving them needs extended precision. Cost ``O(n^2 d + n^3)``.
    """
    inst = check_instance(inst)
    try:
        lam = float(lam)
    except (TypeError, ValueError):
        raise QattnInputError(f"lam must be a finite real number > 0; got {lam!r}") from None
    if not math.isfinite(lam) or lam <= 0:
        raise QattnInputError(f"lam must be a finite real number > 0; got {lam!r}")
    X = np.vstack([inst.Q, inst.K])
    m = X.shape[0]
    g = inst.scale * np.einsum("ij,ij->i", X, X)
    A = np.exp(-0.5 * inst.scale * cdist(X, X, "sqeuclidean"))
    np.fill_diagonal(A, 1.0)
    L = lam * np.exp(-g)
    floor = math.sqrt(np.finfo(float).eps)
    for Ld in (L, np.maximum(L, floor)):
        try:
            factor = cho_factor(A + np.diag(Ld), lower=True, check_finite=False)
        except LinAlgError:
            continue
        if Ld is L and np.min(np.diag(factor[0])) ** 2 < floor:
            continue  # nearly singular: inverse unreliable, use the floored L
        inv_diag = np.diag(cho_solve(factor, np.eye(m), check_finite=False))
        terms = np.clip(Ld * inv_diag, 0.0, 1.0)  # each is in [0, 1] in exact arithmetic
        return float(m - np.sum(terms)), Ld is L or bool(np.all(L >= floor))
    raise QattnInputError("statistical_dimension: kernel matrix is numerically indefinite")  # pragma: no cover


def stable_rank(M) -> float:
    """``||M||_F^2 / ||M||_2^2`` (between 1 and ``rank(M)``); 0.0 for the zero matrix."""
    arr = np.asarray(M, dtype=np.float64)
    if arr.ndim != 2 or not np.isfinite(arr).all():
        raise QattnInputError("stable_rank needs a finite 2-D array")
    spec = float(np.linalg.norm(arr, 2)) if arr.size else 0.0
    if spec == 0.0:
        return 0.0
    return float(np.sum(arr * arr) / spec**2)


def row_distortion(V) -> float:
    """Row distortion ``alpha`` of ``V`` (arXiv 2602.00874): row-norm versus leverage-score sampling.

    ``alpha = max_i (||V_i||^2 / ||V||_F^2) / (ell_i / r)`` over rows with ``V_i != 0``, where
    ``ell_i = ||U_i||^2`` are the leverage scores of ``V = U Sigma W^T`` (thin SVD on the
    ``r = rank(V)`` nonzero singular values; ``sum_i ell_i = r``). It is how much the squared-row-
    norm distribution can exceed the leverage-score distribution the quantum sampler draws from.
    Since ``||V_i||^2 = sum_j U_ij^2 sigma_j^2 <= sigma_1^2 ell_i``, ``alpha <= r / srank(V) <= d /
    srank(V)``: exactly the bound the paper's abstract states; and ``alpha >= 1`` because both
    distributions sum to 1. The paper's body was not reachable from this project's search tools;
    this is the standard definition consistent with that bound. ``nan`` for ``V = 0``.
    """
    arr = np.asarray(V, dtype=np.float64)
    if arr.ndim != 2 or not np.isfinite(arr).all():
        raise QattnInputError("row_distortion needs a finite 2-D array")
    U, sig, _ = np.linalg.svd(arr, full_matrices=False)
    if sig.size == 0 or sig[0] == 0.0:
        return math.nan
    r = int(np.sum(sig > max(arr.shape) * np.finfo(float).eps * sig[0]))
    lev = np.sum(U[:, :r] ** 2, axis=1)
    rows = np.sum(arr * arr, axis=1)
    fro = rows.sum()
    mask = rows > 0
    return float(np.max((rows[mask] / fro) / (lev[mask] / r)))


def fro_over_spec(inst: AttentionInstance) -> float:
    """``||A||_F / ||A||_2`` for ``A = exp(scores)`` (``sqrt`` of the stable rank of ``A``).

    The ratio is invariant under scaling ``A``, so ``A`` is formed as ``exp(S - max S)`` and
    cannot overflow. Cost ``O(n^2 d + n^3)`` (dense SVD).
    """
    inst = check_instance(inst)
    s = inst.scores()
    A = np.exp(s - s.max())
    return float(np.linalg.norm(A, "fro") / np.linalg.norm(A, 2))


def theorem_bound(inst: AttentionInstance, lam: float, eps: float) -> dict:
    r"""The error bound of the QAttention data structure (arXiv 2602.00874, Thm 3.1 / 9.2) and its
    ingredients.

    Notation: ``A = exp(scale Q K^T)`` (entrywise), ``D = diag(A 1_n)``, ``Att = D^{-1} A V``. The
    statement quoted in the issue for Thm 3.1 / 9.2:
    ``||D~^{-1} A~ V~ - Att||_F <= eps beta ||D^{-1}|| (||A||_F + lambda sqrt n) ||V||_F``. The
    paper's body was not reachable from this project's search tools, so ``beta`` is *our reading*:
    the standard perturbation factor for the inverse of a diagonal matrix whose error is at most
    ``Delta = eps ||A||_2 + lambda sqrt n`` (``||D~ - D|| <= Delta`` gives
    ``||D~^{-1}|| <= ||D^{-1}|| / (1 - Delta ||D^{-1}||)``), i.e.
    ``beta = 1 / (1 - (eps ||A||_2 + lambda sqrt n) ||D^{-1}||)``, defined only when
    ``(eps ||A||_2 + lambda sqrt n) ||D^{-1}|| < 1``; otherwise the bound is reported as ``None``
    with the failed condition named. ``||D^{-1}|| = 1 / min_i D_ii`` (operator norm).

    Returns ``beta``, ``D_inv_norm``, ``A_fro``, ``A_spec``, ``V_fro``, ``precondition_value``
    ``= (eps ||A||_2 + lambda sqrt n) ||D^-1||``, ``precondition_holds`` (value < 1),
    ``bound`` (None when the precondition fails) and ``failed_condition`` (None or the text)."""
    inst = check_instance(inst)
    check_qattention_inputs(inst.n, lam=lam, eps=eps)
    s = inst.scores()
    if s.max() > MAX_EXPONENT:
        raise QattnInputError(f"scores reach {s.max():.3g} > {MAX_EXPONENT:g}: exp(scores) overflows")
    A = np.exp(s)
    n = inst.n
    Dd = A.sum(axis=1)
    d_inv = 1.0 / float(Dd.min())
    a_fro = float(np.linalg.norm(A, "fro"))
    a_spec = float(np.linalg.norm(A, 2))
    v_fro = float(np.linalg.norm(inst.V, "fro"))
    pre = (eps * a_spec + lam * math.sqrt(n)) * d_inv
    out = {
        "D_inv_norm": d_inv,
        "A_fro": a_fro,
        "A_spec": a_spec,
        "V_fro": v_fro,
        "lam": float(lam),
        "eps": float(eps),
        "precondition_value": pre,
        "precondition_holds": bool(pre < 1.0),
    }
    if pre < 1.0:
        beta = 1.0 / (1.0 - pre)
        out.update(beta=beta, bound=eps * beta * d_inv * (a_fro + lam * math.sqrt(n)) * v_fro, failed_condition=None)
    else:
        out.update(
            beta=None,
            bound=None,
            failed_condition=(
                f"(eps ||A||_2 + lambda sqrt(n)) ||D^-1|| = {pre:.4g} >= 1: beta is undefined, "
                f"the theorem gives no bound"
            ),
        )
    return out
