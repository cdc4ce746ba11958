r"""The sublinear QAttention data structure (Song, Xue, Zhang, Zhang, arXiv:2602.00874): classical
twin and end-to-end qsim pipeline.

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

**Error bound** (the statement quoted in the issue for Thm 3.1 / 9.2):
``||D~^{-1} A~ V~ - Att||_F <= eps beta ||D^{-1}|| (||A||_F + lambda sqrt n) ||V||_F``. The paper's
body was not reachable from this project's search tools, so ``beta`` is *our reading*: the
standard perturbation factor for the inverse of a diagonal matrix whose error is at most
``Delta = eps ||A||_2 + lambda sqrt n`` (``||D~ - D|| <= Delta`` gives
``||D~^{-1}|| <= ||D^{-1}|| / (1 - Delta ||D^{-1}||)``), i.e.
``beta = 1 / (1 - (eps ||A||_2 + lambda sqrt n) ||D^{-1}||)``, defined only when
``(eps ||A||_2 + lambda sqrt n) ||D^{-1}|| < 1``; otherwise the bound is reported as ``None`` with the
failed condition named. ``||D^{-1}|| = 1 / min_i D_ii`` (operator norm).

Parameter choices (ours, documented; the theorem states them only up to O~):
landmark draws ``L = ceil(s_lambda ln(s_lambda / delta))`` (Musco-Musco Thm 3 shape, ``delta``
= 0.1); V-row samples ``K_V = ceil(d / eps^2)`` (approximate matrix multiplication:
``E||M - M~||_F^2 <= ||U2||_F^2 ||V||_F^2 / K`` for norm-proportional sampling, up to the
distortion factor); mean estimation to precision ``eps`` (phase bits
:func:`bloqs.mean_estimation.phase_bits_for_error`), median of ``median_repetitions(delta / s)``
runs.

Bad input raises :class:`qattn_cirq.errors.QattnInputError` (one line): ``lam <= 0``,
``eps`` outside ``(0, 1)``, ``s_lambda > 2n``.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

import attrs

# numpy is imported inside the functions: the CLI registers ``add_qattention_simulate_args`` at
# start-up for every command, and importing numpy there would slow every ``qattn`` call.
from qattn_cirq.errors import QattnInputError

if TYPE_CHECKING:  # annotations only
    import numpy as np

    from qattn_cirq.instance import AttentionInstance

__all__ = [
    "DEFAULT_DELTA",
    "QAttentionStructure",
    "check_qattention_inputs",
    "integer_weights",
    "kernel_matrix",
    "landmark_draws",
    "nystrom_from_landmarks",
    "qattention_classical",
    "random_instance",
    "simulate_qattention",
    "theorem_bound",
    "v_samples",
]

#: failure probability used in the landmark count and the median of mean-estimation runs
DEFAULT_DELTA = 0.1
#: kernel exponents above this overflow float64 (exp(709.8) ~ 1.8e308)
_MAX_EXPONENT = 700.0


# ----------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------


def check_qattention_inputs(n: int, lam=None, eps=None, s_lambda=None) -> None:
    """The issue's bad-input rules, one-line :class:`QattnInputError` each.

    ``lam > 0``; ``0 < eps < 1``; ``1 <= s_lambda <= 2n`` (the kernel on ``X = [Q; K]`` is
    ``2n x 2n``, so its statistical dimension is at most ``2n``)."""
    from qattn_cirq.reference import finite_real  # lazy: keeps numpy out of CLI start-up

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


def _check_instance(inst) -> "AttentionInstance":
    from qattn_cirq.instance import AttentionInstance

    if not isinstance(inst, AttentionInstance):
        raise QattnInputError(f"expected an AttentionInstance; got {type(inst).__name__}")
    return inst


# ----------------------------------------------------------------------------------------------
# kernel, Nystrom, counts
# ----------------------------------------------------------------------------------------------


def kernel_matrix(inst: AttentionInstance) -> np.ndarray:
    """``E = exp(scale X X^T)`` for ``X = [Q; K]`` (``2n x 2n``); ``E[:n, n:] == A``. ``O(n^2 d)``."""
    import numpy as np
    from qattn_cirq.instance import score_block

    inst = _check_instance(inst)
    X = np.vstack([inst.Q, inst.K])
    G = score_block(X, X, inst.scale)
    G = 0.5 * (G + G.T)
    if G.max() > _MAX_EXPONENT:
        raise QattnInputError(
            f"kernel exponents scale <x_i, x_j> reach {G.max():.3g} > {_MAX_EXPONENT:g}: exp overflows; "
            f"rescale Q, K or lower scale"
        )
    return np.exp(G)


def landmark_draws(s_lambda: float, delta: float = DEFAULT_DELTA) -> int:
    """``L = ceil(s ln(s / delta))`` landmark draws (Musco-Musco 2017 Thm 3 shape, ``s >= 1``)."""
    s = max(1.0, float(s_lambda))
    return max(1, math.ceil(s * math.log(s / delta)))


def v_samples(d: int, eps: float) -> int:
    """``K_V = ceil(d / eps^2)`` V-row samples for the approximate product ``U2^T V``."""
    return max(1, math.ceil(d / eps**2))


def integer_weights(w: Sequence[float], bits: int) -> np.ndarray:
    """Weights as integers in ``[1, 2^b - 1]`` for every ``w_i > 0`` (0 stays 0).

    ``round(w_i / max w * (2^b - 1))`` floored at 1 for positive weights, so every item with
    positive weight keeps a positive sampling probability (the estimators divide by the *actual*
    probability ``q_i / sum q``, so the flooring biases nothing)."""
    import numpy as np
    w = np.asarray(w, dtype=float)
    if w.ndim != 1 or w.size < 2 or not np.isfinite(w).all() or (w < 0).any() or w.max() <= 0:
        raise QattnInputError("weights must be a finite non-negative 1-d array (>= 2 entries, not all 0)")
    q = np.rint(w / w.max() * (2**bits - 1)).astype(np.int64)
    q[(w > 0) & (q == 0)] = 1
    return q


def nystrom_from_landmarks(E: np.ndarray, landmarks: Sequence[int], rcond: float = 1e-10) -> np.ndarray:
    r"""``U = C W^{+1/2}`` with ``C = E[:, S]``, ``W = E[S, S]`` so that ``U U^T = C W^+ C^T``.

    ``W^{+1/2}`` from an eigendecomposition, eigenvalues below ``rcond * max`` dropped
    (pseudo-inverse). Returns the ``s x s`` matrix ``W^{+1/2}`` (the structure stores it; a row
    query multiplies by it)."""
    import numpy as np
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
        import numpy as np
        k = np.exp(self.scale * (self.X_S @ np.asarray(q, dtype=float)))
        return k @ self.W_inv_half

    def query(self, q: np.ndarray) -> np.ndarray:
        """One attention row from the query vector ``q`` in ``O(s^2 + s d)``."""
        import numpy as np
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
        import numpy as np
        return np.vstack([self.query(q) for q in np.asarray(Q)])


# ----------------------------------------------------------------------------------------------
# the theorem's bound
# ----------------------------------------------------------------------------------------------


def theorem_bound(inst: AttentionInstance, lam: float, eps: float) -> Dict[str, Any]:
    r"""``eps beta ||D^-1|| (||A||_F + lambda sqrt n) ||V||_F`` and its ingredients (module doc).

    Returns ``beta``, ``D_inv_norm``, ``A_fro``, ``A_spec``, ``V_fro``, ``precondition_value``
    ``= (eps ||A||_2 + lambda sqrt n) ||D^-1||``, ``precondition_holds`` (value < 1),
    ``bound`` (None when the precondition fails) and ``failed_condition`` (None or the text)."""
    import numpy as np
    inst = _check_instance(inst)
    check_qattention_inputs(inst.n, lam=lam, eps=eps)
    s = inst.scores()
    if s.max() > _MAX_EXPONENT:
        raise QattnInputError(f"scores reach {s.max():.3g} > {_MAX_EXPONENT:g}: exp(scores) overflows")
    A = np.exp(s)
    n = inst.n
    Dd = A.sum(axis=1)
    d_inv = 1.0 / float(Dd.min())
    a_fro = float(np.linalg.norm(A, "fro"))
    a_spec = float(np.linalg.norm(A, 2))
    v_fro = float(np.linalg.norm(inst.V, "fro"))
    pre = (eps * a_spec + lam * math.sqrt(n)) * d_inv
    out: Dict[str, Any] = {
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


# ----------------------------------------------------------------------------------------------
# assembling the structure from samples (shared by the classical twin and the qsim pipeline)
# ----------------------------------------------------------------------------------------------


def _assemble(inst, E, landmarks, c_est, v_rows, v_probs) -> QAttentionStructure:
    import numpy as np
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


def _report(inst, lam, eps, struct: QAttentionStructure, extra: Dict[str, Any]) -> Dict[str, Any]:
    import numpy as np
    from qattn_cirq.reference import exact_attention, statistical_dimension

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
    import numpy as np
    from bloqs.sampling import leverage_scores, ridge_leverage_scores
    from qattn_cirq.reference import statistical_dimension

    inst = _check_instance(inst)
    check_qattention_inputs(inst.n, lam=lam, eps=eps)
    rng = np.random.default_rng(seed)
    n, d = inst.n, inst.d
    E = kernel_matrix(inst)
    s_lam = statistical_dimension(inst, lam)
    L = landmark_draws(s_lam, delta)
    q_land = integer_weights(ridge_leverage_scores(E, lam), bits)
    draws = rng.choice(2 * n, size=L, p=q_land / q_land.sum())
    S = np.unique(draws)
    T = max(1, math.ceil(1.0 / eps**2))
    keys = rng.integers(0, n, size=T)
    c_est = E[np.ix_(S, n + keys)].mean(axis=1)
    q_v = integer_weights(leverage_scores(inst.V), bits)
    p_v = q_v / q_v.sum()
    K = v_samples(d, eps)
    rows = rng.choice(n, size=K, p=p_v)
    struct = _assemble(inst, E, S, c_est, rows, p_v)
    return _report(inst, lam, eps, struct, {"mode": "classical", "landmark_draws": L, "mean_samples": T, "v_rows": rows.tolist()})


# ----------------------------------------------------------------------------------------------
# qsim pipeline
# ----------------------------------------------------------------------------------------------


def _joint_samples(compiled, state, regs: Sequence[str], shots: int, rng) -> np.ndarray:
    """Draw ``shots`` joint outcomes of several registers from a state vector (exact marginal)."""
    import numpy as np
    from qattn_cirq.simulate import ancilla_weight

    if ancilla_weight(compiled, state) > 1e-4:
        raise RuntimeError(f"{compiled.bloq}: ancillas not returned to |0>")
    w = compiled.width
    probs = (np.abs(state.astype(np.complex128)) ** 2).reshape((2,) * w)
    pos = [list(compiled.positions(r).reshape(-1)) for r in regs]
    keep = [p for ps in pos for p in ps]
    others = tuple(i for i in range(w) if i not in keep)
    marg = probs.sum(axis=others) if others else probs
    order = sorted(keep)
    marg = np.transpose(marg, [order.index(p) for p in keep]).reshape(-1)
    marg = marg / marg.sum()
    flat = rng.choice(marg.size, size=shots, p=marg)
    sizes = [len(ps) for ps in pos]
    out = np.zeros((shots, len(regs)), dtype=np.int64)
    rem = flat
    for k in range(len(regs) - 1, -1, -1):
        out[:, k] = rem % (1 << sizes[k])
        rem = rem >> sizes[k]
    return out


def _sample_accepted(sampler, count: int, rng, sim_kw, log) -> Tuple[np.ndarray, Dict[str, Any]]:
    """Run ``sampler`` on qsim; draw shots until ``count`` have flag = 1; return the indices."""
    import numpy as np
    from qattn_cirq.simulate import bloq_to_cirq, simulate_state

    c = bloq_to_cirq(sampler)
    t0 = time.time()
    st = simulate_state(c, **sim_kw)
    got: List[int] = []
    shots = 0
    while len(got) < count:
        batch = max(8, 2 * (count - len(got)))
        res = _joint_samples(c, st, ["index", "flag"], batch, rng)
        shots += batch
        for idx, flag in res:
            if flag == 1 and len(got) < count:
                got.append(int(idx))
    log.append((str(sampler), c.width, time.time() - t0))
    return np.asarray(got), {"qubits": c.width, "shots": shots, "accepted": count, "rounds": int(sampler.n_rounds),
                             "success_probability": float(sampler.success_probability)}


def simulate_qattention(
    inst: AttentionInstance,
    lam: float,
    eps: float,
    seed: Optional[int] = 0,
    *,
    bits: int = 3,
    phase_bits: Optional[int] = None,
    delta: float = DEFAULT_DELTA,
    memory_limit: Optional[int] = None,
    progress=None,
) -> Dict[str, Any]:
    """End to end on qsim: landmarks, V rows and the D mean estimate are all measured outcomes.

    1. Landmarks: :class:`bloqs.sampling.ImportanceSampler` over the ``2n`` rows of ``X`` with the
       ridge leverage scores of ``E`` as ``bits``-bit QROM weights (:func:`integer_weights`);
       ``L`` accepted (flag = 1) shots.
    2. ``c_l = mean_j k(x_{S_l}, k_j)``: per landmark, :class:`bloqs.mean_estimation.
       UnivariateMeanEstimation` over the n key values quantised to ``bits`` bits (scale
       ``max_j / (2^b - 1)``), ``phase_bits`` = :func:`phase_bits_for_error` (eps) unless given,
       the median of ``median_repetitions(delta / s)`` measured phases.
    3. V rows: the sampler over n rows with V's leverage scores as weights, ``K_V`` accepted shots.
    4. Assemble, answer every row, compare with exact attention and the theorem's bound.

    Each circuit is simulated once (qsim, one thread: fastest on a shared machine) and its shots
    drawn from the exact final state with a seeded generator (the circuits end in measurement
    only). Output keys: ``qubits`` (widest circuit), ``landmarks``, ``fro_error``, ``bound``,
    ``within_bound``, ``failed_condition``, ``per_row_errors``, ... (see :func:`_report`)."""
    import numpy as np
    from bloqs.mean_estimation import (
        UnivariateMeanEstimation,
        median_repetitions,
        phase_bits_for_error,
    )
    from bloqs.sampling import ImportanceSampler, leverage_scores, ridge_leverage_scores
    from qattn_cirq.reference import statistical_dimension
    from qattn_cirq.simulate import bloq_to_cirq, register_probabilities, simulate_state

    inst = _check_instance(inst)
    check_qattention_inputs(inst.n, lam=lam, eps=eps)
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 2 <= bits <= 8:
        raise QattnInputError(f"bits must be an integer in [2, 8] (weight / value width); got {bits!r}")
    if phase_bits is not None and (not isinstance(phase_bits, (int, np.integer)) or not 1 <= phase_bits <= 8):
        raise QattnInputError(f"phase_bits must be an integer in [1, 8]; got {phase_bits!r}")
    t_start = time.time()
    rng = np.random.default_rng(seed)
    n, d = inst.n, inst.d
    sim_kw = {"threads": 1, "memory_limit": memory_limit}
    log: List[Tuple[str, int, float]] = []
    say = progress or (lambda msg: None)

    E = kernel_matrix(inst)
    s_lam = statistical_dimension(inst, lam)
    L = landmark_draws(s_lam, delta)
    q_land = integer_weights(ridge_leverage_scores(E, lam), bits)
    land_sampler = ImportanceSampler(2 * n, bits, tuple(int(x) for x in q_land))
    say(f"landmarks: {L} draws from the ridge-leverage sampler over 2n = {2 * n} points")
    draws, land_info = _sample_accepted(land_sampler, L, rng, sim_kw, log)
    S = np.unique(draws)

    m = phase_bits if phase_bits is not None else phase_bits_for_error(eps)
    reps = median_repetitions(delta / max(1, S.size))
    c_est = np.empty(S.size)
    c_true = E[np.ix_(S, np.arange(n, 2 * n))].mean(axis=1)
    mean_qubits = 0
    cache: Dict[Tuple[int, ...], np.ndarray] = {}
    say(f"mean estimation: {S.size} landmark coordinates, {m} phase bits, median of {reps}")
    for li, l in enumerate(S):
        vals = E[l, n:]
        vmax = float(vals.max())
        q = np.rint(vals / vmax * (2**bits - 1)).astype(np.int64)
        key = tuple(int(x) for x in q)
        u = UnivariateMeanEstimation(n, bits, m, values=key)
        if key not in cache:
            c = bloq_to_cirq(u)
            t0 = time.time()
            st = simulate_state(c, **sim_kw)
            cache[key] = register_probabilities(c, st, "phase")
            mean_qubits = max(mean_qubits, c.width)
            log.append((str(u), c.width, time.time() - t0))
        p = cache[key] / cache[key].sum()
        ys = rng.choice(p.size, size=reps, p=p)
        c_est[li] = float(np.median(u.estimate(ys))) * vmax / (2**bits - 1)

    q_v = integer_weights(leverage_scores(inst.V), bits)
    p_v = q_v / q_v.sum()
    K = v_samples(d, eps)
    v_sampler = ImportanceSampler(n, bits, tuple(int(x) for x in q_v))
    say(f"V rows: {K} draws from the leverage-score sampler over n = {n} rows")
    rows, v_info = _sample_accepted(v_sampler, K, rng, sim_kw, log)

    struct = _assemble(inst, E, S, c_est, rows, p_v)
    qubits = max(land_info["qubits"], mean_qubits, v_info["qubits"])  # simulate_state checked each circuit's memory
    extra = {
        "mode": "qsim",
        "qubits": qubits,
        "landmark_draws": L,
        "landmark_sampler": land_info,
        "mean_estimation": {
            "phase_bits": m,
            "repetitions": reps,
            "qubits": mean_qubits,
            "estimate": c_est.tolist(),
            "true_mean": c_true.tolist(),
            "max_relative_error": float(np.max(np.abs(c_est - c_true) / c_true)),
        },
        "v_sampler": v_info,
        "v_rows": rows.tolist(),
        "bits": bits,
        "seed": seed,
        "circuits": [{"bloq": b, "qubits": w, "seconds": round(t, 3)} for b, w, t in log],
        "simulation_seconds": round(time.time() - t_start, 3),
    }
    return _report(inst, lam, eps, struct, extra)


# ----------------------------------------------------------------------------------------------
# instances and the CLI hooks (wired by the command modules)
# ----------------------------------------------------------------------------------------------


def random_instance(n: int, d: int, seed: Optional[int] = 0, spread: float = 0.5) -> AttentionInstance:
    """A seeded random instance for the pipeline: ``Q, K ~ spread N(0, 1)``, ``V ~ N(0, 1)``,
    ``scale = 1/sqrt(d)`` (arXiv:2602.00874 eq. (1)). Small ``spread`` keeps ``E`` well scaled."""
    import numpy as np
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise QattnInputError(f"n must be an integer >= 2; got {n!r}")
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise QattnInputError(f"d must be an integer >= 1; got {d!r}")
    from qattn_cirq.instance import AttentionInstance

    rng = np.random.default_rng(seed)
    Q = spread * rng.standard_normal((n, d))
    K = spread * rng.standard_normal((n, d))
    V = rng.standard_normal((n, d))
    return AttentionInstance(Q, K, V, scale=1.0 / math.sqrt(d))
