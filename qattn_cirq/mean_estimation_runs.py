r"""Simulated runs of amplitude / mean estimation (:mod:`bloqs.mean_estimation`): the measured
phase distribution of :class:`bloqs.mean_estimation.UnivariateMeanEstimation` (from the qsim state
vector, or BHMT's closed form) and seeded estimates of the mean of data in [0, 1] (univariate and
coordinate-wise multivariate) as the median of simulated runs.

Drivers, not bloqs: they compile and simulate the bloqs (:mod:`qattn_cirq.simulate`) and
post-process the measured phases classically.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np

from bloqs.mean_estimation import UnivariateMeanEstimation, ae_outcome_distribution, median_of_runs
from bloqs.sampling import unsigned_levels
from qattn_cirq.errors import QattnInputError
from qattn_cirq.simulate import bloq_to_cirq, register_probabilities, simulate_state

__all__ = ["estimate_mean", "estimate_mean_vector", "phase_outcome_distribution"]


def phase_outcome_distribution(bloq: UnivariateMeanEstimation, engine: str = "qsim", threads: Optional[int] = None) -> np.ndarray:
    """Distribution of the measured phase register: from the simulated circuit (``qsim`` /
    ``cirq``) or BHMT's closed form (``exact``, :func:`bloqs.mean_estimation.ae_outcome_distribution`)."""
    m = int(bloq.phase_bits)
    if engine == "exact":
        return ae_outcome_distribution(bloq.amplitude, m)
    if engine not in ("qsim", "cirq"):
        raise QattnInputError(f"engine must be 'qsim', 'cirq' or 'exact', got {engine!r}")
    c = bloq_to_cirq(bloq)
    st = simulate_state(c, engine=engine, threads=threads)
    p = register_probabilities(c, st, "phase")
    return p / p.sum()


def _quantize_unit(x, bits: int) -> np.ndarray:
    """Values in [0, 1] on ``bits``-bit levels (:func:`bloqs.sampling.unsigned_levels`), checked."""
    x = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
        raise QattnInputError("values must lie in [0, 1] (rescale them first)")
    if not (1 <= bits <= 16):
        raise QattnInputError(f"bits={bits} must be in [1, 16]")
    return unsigned_levels(x, bits, 1.0)


def estimate_mean(
    x: Sequence[float], bits: int, phase_bits: int, repetitions: int = 1, seed: Optional[int] = None, engine: str = "qsim"
) -> Dict[str, float]:
    r"""Quantum estimate of the mean of x in [0, 1]^n (n >= 2), from simulated AE runs.

    x is quantised to b bits (``round(x (2^b - 1))``), one :class:`bloqs.mean_estimation.UnivariateMeanEstimation`
    circuit is simulated, ``repetitions`` seeded runs are drawn from its phase distribution and their
    median is returned in x's units. ``bound`` is the BHMT Thm 12 bound (per run, probability >=
    8/pi^2) for the quantised mean; ``quantized_mean`` is what the circuit estimates."""
    q = _quantize_unit(x, bits)
    if q.ndim != 1 or q.size < 2:
        raise QattnInputError("x must be a 1-d sequence of at least 2 values")
    u = UnivariateMeanEstimation(q.size, bits, phase_bits, tuple(q))
    p = phase_outcome_distribution(u, engine)
    rng = np.random.default_rng(seed)
    ys = rng.choice(p.size, size=int(repetitions), p=p)
    unit = 2**bits - 1
    return {
        "estimate": median_of_runs(u.estimate(ys)) / unit,
        "quantized_mean": u.true_mean / unit,
        "true_mean": float(np.mean(x)),
        "bound": u.error_bound() / unit,
        "runs": [float(v) / unit for v in u.estimate(ys)],
    }


def estimate_mean_vector(
    X: np.ndarray, bits: int, phase_bits: int, repetitions: int = 1, seed: Optional[int] = None, engine: str = "qsim"
) -> Dict[str, object]:
    """Coordinate-wise quantum estimate of the mean row of X (n x d, entries in [0, 1])."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise QattnInputError("X must be an n x d matrix")
    rng = np.random.default_rng(seed)
    res = [estimate_mean(X[:, j], bits, phase_bits, repetitions, int(rng.integers(2**31)), engine) for j in range(X.shape[1])]
    return {
        "estimate": np.array([r["estimate"] for r in res]),
        "quantized_mean": np.array([r["quantized_mean"] for r in res]),
        "true_mean": X.mean(axis=0),
        "bound_inf": max(r["bound"] for r in res),
        "bound_l2": float(np.sqrt(sum(r["bound"] ** 2 for r in res))),
    }
