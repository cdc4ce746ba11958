r"""Simulated runs of the importance sampler (:class:`bloqs.sampling.ImportanceSampler`): its output
distribution (from the qsim state vector, or BHMT's closed form), seeded draws of accepted samples,
and the Musco-Musco recursive ridge-leverage landmark sampling built on them.

Drivers, not bloqs: they compile and simulate the bloqs of :mod:`bloqs.sampling`
(:mod:`qattn_cirq.simulate`) and post-process the measured outcomes classically.
"""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from bloqs.sampling import ImportanceSampler, quantize_weights, ridge_leverage_scores
from qattn_cirq.errors import QattnInputError
from qattn_cirq.simulate import bloq_to_cirq, register_probabilities, simulate_state

__all__ = ["draw_samples", "recursive_rls_landmarks", "sampler_output_distribution"]




def sampler_output_distribution(sampler: ImportanceSampler, engine: str = "qsim", threads: Optional[int] = None) -> np.ndarray:
    """Joint output distribution P[index, flag] (shape n x 2) of the sampler's circuit.

    engine='qsim' simulates the compiled circuit (:func:`qattn_cirq.simulate.bloq_to_cirq`) and takes
    the joint marginal of ``index`` and ``flag`` (:func:`qattn_cirq.simulate.register_probabilities`);
    engine='exact' uses the closed form (success sin^2((2r+1)theta), conditional w / sum w)."""
    n = int(sampler.n)
    if engine == "exact":
        ps = sampler.success_probability
        joint = np.zeros((n, 2))
        joint[:, 1] = ps * sampler.target_distribution
        w = np.asarray(sampler.weights, dtype=float)
        rej = 1.0 - w / 2 ** int(sampler.weight_bits)  # rejected mass is spread like (1 - w_i/2^b)
        joint[:, 0] = (1 - ps) * rej / rej.sum() if rej.sum() > 0 else 0.0
        return joint
    if engine not in ("qsim", "cirq"):
        raise QattnInputError(f"engine must be 'qsim', 'cirq' or 'exact', got {engine!r}")
    c = bloq_to_cirq(sampler)
    st = simulate_state(c, engine=engine, threads=threads)
    return register_probabilities(c, st, "index", "flag").reshape(-1, 2)[:n]


def draw_samples(
    sampler: ImportanceSampler, k: int, seed: Optional[int] = None, engine: str = "qsim", max_attempts: Optional[int] = None
) -> Tuple[np.ndarray, int]:
    """k accepted indices, repeating rejected attempts (measurement: flag = 0 -> run again).

    The circuit is simulated once; each attempt is one seeded draw of (index, flag) from its output
    distribution (measuring at the end of a measurement-free circuit). Returns (indices, attempts)."""
    if k < 1:
        raise QattnInputError(f"k={k} must be >= 1")
    joint = sampler_output_distribution(sampler, engine=engine)
    flat = joint.reshape(-1) / joint.sum()
    rng = np.random.default_rng(seed)
    out, attempts = [], 0
    cap = max_attempts or 1000 * k
    while len(out) < k:
        if attempts >= cap:
            raise RuntimeError(f"only {len(out)} of {k} samples accepted in {attempts} attempts")
        batch = rng.choice(flat.size, size=max(k - len(out), 1), p=flat)
        for v in batch:
            attempts += 1
            if v % 2 == 1:
                out.append(int(v // 2))
                if len(out) == k:
                    break
    return np.asarray(out, dtype=int), attempts


def recursive_rls_landmarks(
    K: np.ndarray, lam: float, s: int, bits: int = 4, seed: Optional[int] = None, engine: str = "exact"
) -> np.ndarray:
    r"""Nystrom landmarks by recursive ridge-leverage-score sampling (Musco & Musco, NeurIPS 2017,
    Alg. 2 "RecursiveRLS-Nystrom", simplified: i.i.d. draws instead of independent Bernoulli
    inclusion, unweighted Nystrom for the score estimates).

    Recursion: keep each point with probability 1/2, recurse on the kept half to get landmarks S,
    estimate every point's score from S (:func:`bloqs.sampling.ridge_leverage_scores`), then draw s indices with
    probability proportional to the (b-bit quantised) estimates with :class:`bloqs.sampling.ImportanceSampler`
    (``engine='qsim'`` draws them from the simulated circuit; keep n <= 16 there). Returns the
    sorted distinct landmark indices."""
    K = np.asarray(K, dtype=float)
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        raise QattnInputError("K must be a square matrix")
    if lam <= 0:
        raise QattnInputError(f"lam={lam} must be > 0")
    if s < 1:
        raise QattnInputError(f"s={s} must be >= 1")
    rng = np.random.default_rng(seed)

    def rec(idx: np.ndarray) -> np.ndarray:
        if len(idx) <= max(s, 2):
            return idx
        half = idx[rng.random(len(idx)) < 0.5]
        if len(half) < 2:
            half = idx[:2]
        S_local = rec(half)
        sub = K[np.ix_(idx, idx)]
        pos = np.searchsorted(idx, S_local)
        tau = ridge_leverage_scores(sub, lam, landmarks=pos)
        q = quantize_weights(tau, bits, w_max=max(1.0, float(tau.max())))
        sampler = ImportanceSampler(len(idx), bits, tuple(q))
        draws, _ = draw_samples(sampler, s, seed=int(rng.integers(2**31)), engine=engine)
        return np.unique(idx[draws])

    return rec(np.arange(K.shape[0]))
