r"""The sublinear QAttention data structure (Song, Xue, Zhang, Zhang, arXiv:2602.00874) with
classical sampling: the classical Nystrom twin of the qsim run
(:func:`qattn_cirq.pipelines.simulate_qattention`), and the structure both of them assemble.

Notation (arXiv:2602.00874 Sec. 1): ``A = exp(scale Q K^T)`` (entrywise), ``D = diag(A 1_n)``,
``Att = D^{-1} A V``. The paper's route (main theorem, Thm 3.1 / 9.2):

1. **Kernel.** ``X = [Q; K]`` (``2n x d``) and the exponential kernel ``E = exp(scale X X^T)``
   (``2n x 2n``, PSD): its top-right block is ``A``.
2. **Nystrom via ridge-leverage sampling** (QSample; classical original Musco & Musco, NeurIPS 2017,
   arXiv:1605.07583): draw landmarks ``S`` from the ridge leverage scores
   ``tau_i(lambda) = (E (E + lambda I)^{-1})_{ii}`` (they sum to ``s_lambda``); with
   ``W = E_SS`` and ``C = E_{:,S}``, ``E~ = C W^+ C^T = U U^T`` with ``U = C W^{+1/2}``;
   ``U = [U1; U2]`` (queries; keys) gives ``A~ = U1 U2^T``.
3. **D by mean estimation.** ``D~ = diag(U1 (U2^T 1_n))`` and ``U2^T 1_n = W^{+1/2} (n c)`` with
   ``c_l = mean_j k(x_{S_l}, k_j)`` (positive kernel values, one mean per landmark: quantum
   multivariate mean estimation in the paper; here one amplitude estimation per coordinate).
4. **V by leverage-score sampling** (approximate matrix multiplication): rows ``j_1..j_K`` of V are
   drawn with probability ``p_j`` (quantised leverage scores of V, row distortion ``alpha``) and
   ``M~ = sum_t U2[j_t]^T V[j_t] / (K p_{j_t})`` estimates ``U2^T V`` (``s x d``).
5. **Row query** in ``O(s^2 + s d)``: ``u = k(q_i, X_S) W^{+1/2}`` (``s d`` + ``s^2``), then
   ``row_i = (u M~) / (u . z~)`` (``s d + s``), ``z~ = U2^T 1`` estimated.

The error bound the runs are checked against is :func:`qattn_cirq.reference.theorem_bound`.

Parameter choices (ours, documented; the theorem states them only up to O~):
landmark draws ``L = ceil(s_lambda ln(s_lambda / delta))`` (Musco-Musco Thm 3 shape, ``delta``
= 0.1; :func:`bloqs.nystrom.landmark_draws_expr`); V-row samples ``K_V = ceil(d / eps^2)``
(:func:`bloqs.qattention.v_samples_expr`; approximate matrix multiplication:
``E||M - M~||_F^2 <= ||U2||_F^2 ||V||_F^2 / K`` for norm-proportional sampling, up to the
distortion factor); mean estimation to precision ``eps`` (phase bits
:func:`bloqs.mean_estimation.phase_bits_for_error`), median of ``median_repetitions(delta / s)``
runs. Weights are quantised to ``bits`` bits by :func:`bloqs.sampling.quantize_weights` with
``keep_support=True``.

Bad input raises :class:`qattn_cirq.errors.QattnInputError` (one line): ``lam <= 0``,
``eps`` outside ``(0, 1)`` (:func:`qattn_cirq.reference.check_qattention_inputs`).
"""

from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence

import attrs
import numpy as np

from bloqs.nystrom import DELTA, landmark_draws_expr
from bloqs.qattention import v_samples_expr
from bloqs.sampling import leverage_scores, quantize_weights, ridge_leverage_scores
from qattn_cirq.errors import QattnInputError
from qattn_cirq.instance import AttentionInstance, score_block
from qattn_cirq.reference import (
    MAX_EXPONENT,
    check_instance,
    check_qattention_inputs,
    exact_attention,
    statistical_dimension,
    theorem_bound,
)

__all__ = [
    "DEFAULT_DELTA",
    "QAttentionStructure",
    "assemble_structure",
    "kernel_matrix",
    "nystrom_from_landmarks",
    "qattention_classical",
    "qattention_report",
]

#: failure probability used in the landmark count and the median of mean-estimation runs (the
#: bloqs' constant :data:`bloqs.nystrom.DELTA` as a float)
DEFAULT_DELTA = float(DELTA)


def kernel_matrix(inst: AttentionInstance) -> np.ndarray:
    """``E = exp(scale X X^T)`` for ``X = [Q; K]`` (``2n x 2n``); ``E[:n, n:] == A``. ``O(n^2 d)``."""
    inst = check_instance(inst)
    X = np.vstack([inst.Q, inst.K])
    G = score_block(X, X, inst.scale)
    G = 0.5 * (G + G.T)
    if G.max() > MAX_EXPONENT:
        raise QattnInputError(
            f"kernel exponents scale <x_i, x_j> reach {G.max():.3g} > {MAX_EXPONENT:g}: exp overflows; "
            f"rescale Q, K or lower scale"
        )
    return np.exp(G)


def nystrom_from_landmarks(E: np.ndarray, landmarks: Sequence[int], rcond: float = 1e-10) -> np.ndarray:
    r"""``U = C W^{+1/2}`` with ``C = E[:, S]``, ``W = E[S, S]`` so that ``U U^T = C W^+ C^T``.

    ``W^{+1/2}`` from an eigendecomposition, eigenvalues below ``rcond * max`` dropped
    (pseudo-inverse). Returns the ``s x s`` matrix ``W^{+1/2}`` (the structure stores it; a row
    query multiplies by it)."""
    S = np.asarray(landmarks, dtype=int)
    W = E[np.ix_(S, S)]
    lam, Qm = np.linalg.eigh(0.5 * (W + W.T))
    keep = lam > rcond * max(lam.max(), 0.0)
    inv_half = np.zeros_like(lam)
    inv_half[keep] = lam[keep] ** -0.5
    return (Qm * inv_half) @ Qm.T


@attrs.frozen(eq=False)
class QAttentionStructure:
    """The preprocessed data structure: everything a row query needs, ``O(s^2 + s d)`` words.

    Attributes:
        landmarks: indices into ``X = [Q; K]`` (sorted, unique).
        X_S: the landmark rows (``s x d``).
        W_inv_half: ``W^{+1/2}`` (``s x s``).
        M: the estimate of ``U2^T V`` (``s x d``).
        z: the estimate of ``U2^T 1_n`` (``s``).
        scale: the kernel scale.
    """

    landmarks: np.ndarray
    X_S: np.ndarray
    W_inv_half: np.ndarray
    M: np.ndarray
    z: np.ndarray
    scale: float

    @property
    def s(self) -> int:
        return int(self.landmarks.size)

    def features(self, q: np.ndarray) -> np.ndarray:
        """``u = k(q, X_S) W^{+1/2}``: ``s d`` multiply-adds, ``s`` exps, ``s^2`` multiply-adds."""
        k = np.exp(self.scale * (self.X_S @ np.asarray(q, dtype=float)))
        return k @ self.W_inv_half

    def query(self, q: np.ndarray) -> np.ndarray:
        """One attention row from the query vector ``q`` in ``O(s^2 + s d)``."""
        u = self.features(q)
        den = float(u @ self.z)
        if den == 0.0:
            return np.zeros(self.M.shape[1])
        return (u @ self.M) / den

    def query_flops(self, d: int) -> int:
        """Multiply-adds of one query: ``s d`` (kernel) + ``s^2`` + ``s d`` (``u M``) + ``s``."""
        s = self.s
        return s * d + s * s + s * d + s

    def answer_all(self, Q: np.ndarray) -> np.ndarray:
        return np.vstack([self.query(q) for q in np.asarray(Q)])


# ----------------------------------------------------------------------------------------------
# assembling the structure from samples (shared by the classical twin and the qsim run)
# ----------------------------------------------------------------------------------------------


def assemble_structure(inst, E, landmarks, c_est, v_rows, v_probs) -> QAttentionStructure:
    """The structure from the measured (or drawn) landmarks, landmark means ``c_est`` and V rows
    (``v_probs``: the probabilities the rows were drawn with)."""
    n = inst.n
    S = np.unique(np.asarray(landmarks, dtype=int))
    Wih = nystrom_from_landmarks(E, S)
    z = Wih @ (n * np.asarray(c_est, dtype=float))  # U2^T 1 = W^{+1/2} E[S, keys] 1
    # M~ = sum_t U2[j_t]^T V[j_t] / (K p_{j_t}); U2[j] = E[n + j, S] W^{+1/2}
    rows = np.asarray(v_rows, dtype=int)
    U2_rows = E[np.ix_(n + rows, S)] @ Wih
    w = 1.0 / (len(rows) * np.asarray(v_probs, dtype=float)[rows])
    M = (U2_rows * w[:, None]).T @ inst.V[rows]
    X = np.vstack([inst.Q, inst.K])
    return QAttentionStructure(landmarks=S, X_S=X[S], W_inv_half=Wih, M=M, z=z, scale=inst.scale)


def qattention_report(inst, lam, eps, struct: QAttentionStructure, extra: Dict[str, Any]) -> Dict[str, Any]:
    """Every row answered by ``struct``, compared with exact attention and the theorem's bound;
    ``extra`` (the run's own keys) is merged in last."""
    exact = exact_attention(inst)
    approx = struct.answer_all(inst.Q)
    per_row = np.linalg.norm(approx - exact, axis=1)
    fro = float(np.linalg.norm(approx - exact, "fro"))
    tb = theorem_bound(inst, lam, eps)
    out = {
        "n": inst.n,
        "d": inst.d,
        "lam": float(lam),
        "eps": float(eps),
        "s_lambda": statistical_dimension(inst, lam),
        "landmarks": [int(x) for x in struct.landmarks],
        "s": struct.s,
        "fro_error": fro,
        "bound": tb["bound"],
        "within_bound": None if tb["bound"] is None else bool(fro <= tb["bound"]),
        "failed_condition": tb["failed_condition"],
        "theorem": {k: tb[k] for k in ("beta", "D_inv_norm", "A_fro", "A_spec", "V_fro", "precondition_value", "precondition_holds")},
        "per_row_errors": [float(x) for x in per_row],
        "max_row_error": float(per_row.max()),
        "query_flops": struct.query_flops(inst.d),
        "rows": approx.tolist(),
    }
    out.update(extra)
    return out


def qattention_classical(
    inst: AttentionInstance, lam: float, eps: float, seed: Optional[int] = 0, delta: float = DEFAULT_DELTA, bits: int = 3
) -> Dict[str, Any]:
    """The classical twin: the same pipeline with classical (numpy) sampling.

    Landmarks: ``L`` draws from the quantised ridge leverage scores of ``E`` (the distribution the
    quantum sampler draws from); ``c``: the mean of ``ceil(1/eps^2)`` uniformly drawn key columns
    (classical Monte-Carlo mean); V rows: ``K_V`` draws from the quantised leverage scores of V."""
    inst = check_instance(inst)
    check_qattention_inputs(inst.n, lam=lam, eps=eps)
    rng = np.random.default_rng(seed)
    n, d = inst.n, inst.d
    E = kernel_matrix(inst)
    s_lam = statistical_dimension(inst, lam)
    L = landmark_draws_expr(s_lam, delta)
    q_land = quantize_weights(ridge_leverage_scores(E, lam), bits, keep_support=True)
    draws = rng.choice(2 * n, size=L, p=q_land / q_land.sum())
    S = np.unique(draws)
    T = max(1, math.ceil(1.0 / eps**2))
    keys = rng.integers(0, n, size=T)
    c_est = E[np.ix_(S, n + keys)].mean(axis=1)
    q_v = quantize_weights(leverage_scores(inst.V), bits, keep_support=True)
    p_v = q_v / q_v.sum()
    K = v_samples_expr(d, eps)
    rows = rng.choice(n, size=K, p=p_v)
    struct = assemble_structure(inst, E, S, c_est, rows, p_v)
    return qattention_report(inst, lam, eps, struct, {"mode": "classical", "landmark_draws": L, "mean_samples": T, "v_rows": rows.tolist()})
