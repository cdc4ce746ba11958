"""Crossover search: the smallest problem size ``n`` where a fault-tolerant runtime beats a GPU.

:func:`find_crossover` takes two functions ``n -> seconds`` (quantum and classical), scans powers of
two from ``n_min`` to ``n_max`` for the first ``n`` with ``quantum(n) < classical(n)``, then bisects
between that power of two and the previous one for the smallest such integer ``n`` (assuming one
crossing inside that octave, which holds for the polynomial / polylog cost models here). If no power
of two up to ``n_max`` has the quantum machine faster, the answer is the plain statement
``no crossover below n = n_max``.

The quantum side's function is whatever the algorithm actually costs: for the sublinear QAttention
algorithm (arXiv 2602.00874) the report passes the fault-tolerant runtime of its preprocessing (the
only quantum part) plus its classical work, the post-processing and the n classical row queries on
the GPU model (:mod:`estimates.report`); nothing here assumes a quantum row query.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from qattn_cirq.errors import QattnInputError


def fit_exponent(ns: Sequence[float], ys: Sequence[float]) -> Optional[float]:
    """The exponent p of ``y ~ n^p``: least-squares slope of log y against log n (points with
    y <= 0 left out; None with fewer than two distinct n)."""
    pts = [(n, y) for n, y in zip(ns, ys) if y and y > 0]
    if len(pts) < 2 or len({n for n, _ in pts}) < 2:
        return None
    x, y = np.log([float(p[0]) for p in pts]), np.log([float(p[1]) for p in pts])
    return float(np.polyfit(x, y, 1)[0])


def find_crossover(
    quantum_time: Callable[[int], float],
    classical_time: Callable[[int], float],
    n_min: int = 2,
    n_max: int = 2**40,
    progress: Optional[Callable[[str], None]] = None,
) -> Dict[str, Any]:
    """Smallest ``n`` in ``[n_min, n_max]`` with ``quantum_time(n) < classical_time(n)``.

    Returns ``{"crossover_n", "quantum_time_s", "classical_time_s", "statement", "scanned"}``;
    ``crossover_n`` is None when there is none up to ``n_max``. ``scanned`` lists the powers of two
    examined with both times (useful for plots).
    """
    if not (isinstance(n_min, int) and isinstance(n_max, int) and 1 <= n_min <= n_max):
        raise QattnInputError(f"need integers 1 <= n_min <= n_max, got n_min={n_min!r}, n_max={n_max!r}")
    cache: Dict[int, tuple] = {}

    def times(n: int) -> tuple:
        if n not in cache:
            cache[n] = (float(quantum_time(n)), float(classical_time(n)))
            if progress:
                progress(f"crossover: n = {n}: quantum {cache[n][0]:.3g} s, classical {cache[n][1]:.3g} s")
        return cache[n]

    points: List[int] = []
    p = 1
    while p < n_min:
        p *= 2
    if p != n_min:
        points.append(n_min)
    while p <= n_max:
        points.append(p)
        p *= 2
    if not points or points[-1] != n_max:
        points.append(n_max)
    scanned = []
    hit = None
    prev = None
    for n in points:
        q, c = times(n)
        scanned.append({"n": n, "quantum_time_s": q, "classical_time_s": c})
        if q < c:
            hit = n
            break
        prev = n
    if hit is None:
        return {
            "crossover_n": None,
            "quantum_time_s": None,
            "classical_time_s": None,
            "statement": f"no crossover below n = {n_max}",
            "scanned": scanned,
        }
    lo, hi = (prev, hit) if prev is not None else (None, hit)
    if lo is not None:
        while hi - lo > 1:  # invariant: quantum >= classical at lo, quantum < classical at hi
            mid = (lo + hi) // 2
            q, c = times(mid)
            if q < c:
                hi = mid
            else:
                lo = mid
    q, c = times(hi)
    statement = (
        f"fault-tolerant runtime beats the GPU from n = {hi}"
        if lo is not None
        else f"fault-tolerant runtime already beats the GPU at the smallest n = {hi}"
    )
    return {"crossover_n": hi, "quantum_time_s": q, "classical_time_s": c, "statement": statement, "scanned": scanned}


def _pow2_text(n: int) -> str:
    return f"2^{n.bit_length() - 1}" if n > 0 and n & (n - 1) == 0 else str(n)


def no_crossover_statement(scanned: List[Dict[str, Any]], n_max: int, infeasible_reason: str = "") -> str:
    """What a scan without a crossover actually shows, given which ``n`` the model could cost.

    ``scanned`` is :func:`find_crossover`'s list; an infinite ``quantum_time_s`` marks an ``n`` where
    the physical model has no answer (e.g. the error budget cannot be met). Only when every scanned
    ``n`` was costed does the scan support "no crossover below n = n_max"; otherwise the claim stops
    at the largest costed ``n`` and the rest is reported as infeasible with ``infeasible_reason``.
    """
    feasible = [s["n"] for s in scanned if math.isfinite(s["quantum_time_s"])]
    infeasible = [s["n"] for s in scanned if not math.isfinite(s["quantum_time_s"])]
    if not infeasible:
        return f"no crossover below n = {_pow2_text(n_max)} = {n_max}"
    why = f": {infeasible_reason}" if infeasible_reason else ""
    first_bad = min(infeasible)
    if not feasible:
        return f"no crossover found: the model cannot cost any scanned n (from n = {_pow2_text(first_bad)} infeasible{why})"
    top = max(feasible)
    tail = (f"from n = {_pow2_text(first_bad)} infeasible" if first_bad > top
            else f"infeasible at {len(infeasible)} scanned n from n = {_pow2_text(first_bad)}")
    return f"no crossover up to n = {_pow2_text(top)} (the largest n this model can cost); {tail}{why}"


def crossover_title_suffix(crossovers: List[Dict[str, Any]], n_max: int) -> str:
    """Plot-title clause for a set of :func:`find_crossover` results (``""`` if any has a crossover)."""
    if not crossovers or any(c["crossover_n"] is not None for c in crossovers):
        return ""
    if all(math.isfinite(s["quantum_time_s"]) for c in crossovers for s in c["scanned"]):
        return f": no crossover below n = {_pow2_text(n_max)}"
    return ": no crossover up to the largest n each model can cost"
