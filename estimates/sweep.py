"""Parameter sweeps: logical (and optionally physical) costs over a grid, from the compiled formulas.

:func:`sweep_rows` evaluates every point of a grid (the Cartesian product of each parameter's
values) with :mod:`estimates.compiled`. Each row says where its numbers come from, in ``source``:

* ``compiled``: the compiled call-graph formula, where it is the concrete call graph's value
  (Grover sparse: n a power of two and, for qroam, closed-form block sizes equal to the searched
  ones, :func:`estimates.compiled.grover_is_exact`; QAttention: every point, as its estimate
  evaluates the same symbolic formula);
* ``call graph``: the concrete Qualtran call graph (:func:`estimates.formulas.grover_sparse_estimate`)
  at the points where the compiled formula is only an approximation. A sweep never reports a
  number that ``qattn estimate`` would not: it is only faster where it can be.

With ``model``, each row also gets the physical model's ``physical_qubits``, ``runtime_s``,
``code_distance`` (or ``feasible = False`` and the model's ``reason``), from
:func:`estimates.physical.physical_estimate` on the row's raw counts (T, Toffoli, rotations,
measurements and qubits separately; ``t_count`` = T + 4 Toffoli + 11 rotations is for reading).
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence

from estimates import compiled
from qattn_cirq.errors import QattnInputError

#: the most points one sweep evaluates (the product of the ranges' lengths)
MAX_POINTS = 1_000_000

#: each algorithm's swept parameters, in grid order (the last varies fastest)
PARAMETERS = {
    "grover-sparse": ("loader", "n", "d", "k", "bits"),
    "qattention": ("loader", "n", "d", "s_lambda", "alpha", "eps", "bits"),
}

COUNT_KEYS = ("t_count", "t", "toffoli", "rotations", "measurements", "qubits")


def grid(values: Mapping[str, Sequence[Any]], order: Sequence[str]) -> Iterator[Dict[str, Any]]:
    """The points of the Cartesian product of ``values`` in ``order`` (the last key fastest)."""
    yield from (dict(zip(order, combo)) for combo in itertools.product(*(values[key] for key in order)))


def n_points(values: Mapping[str, Sequence[Any]]) -> int:
    total = 1
    for v in values.values():
        total *= len(v)
    return total


def _grover_row(p: Dict[str, Any], options: Mapping[str, Any]) -> Dict[str, Any]:
    n, d, k, bits, loader = p["n"], p["d"], p["k"], p["bits"], p["loader"]
    if compiled.grover_is_exact(loader, n, d, bits):
        logical, source = compiled.grover_sparse_counts(n, d, k, bits, loader, **options), "compiled"
    else:
        from estimates.counts import LogicalCounts
        from estimates.formulas import grover_sparse_estimate

        logical = dict(grover_sparse_estimate(n, d, k, bits, loader, **options)["logical"])
        logical["t"] = LogicalCounts.from_logical(logical).t  # raw T, recovered from t_count
        source = "call graph"
    return {**p, **{key: logical[key] for key in COUNT_KEYS},
            **{key: logical[key] for key in ("qram_qubits", "qram_counted") if key in logical}, "source": source}


def _qattention_row(p: Dict[str, Any], options: Mapping[str, Any]) -> Dict[str, Any]:
    r = compiled.qattention_counts_compiled(p["n"], p["d"], p["s_lambda"], p["alpha"], p["eps"], p["bits"],
                                            p["loader"], **options)
    total = r["logical"]["total"]
    c = r["classical"]
    return {**p, **{key: total[key] for key in COUNT_KEYS}, "classical_work_s": c["time_s"],
            "row_queries_flops": c["row_queries_all_n"]["flops"] if c["row_queries_all_n"] else None,
            "source": "compiled"}


def _physical_columns(row: Dict[str, Any], model: str, error_budget: Optional[float], preset: Optional[str]):
    from estimates.counts import LogicalCounts
    from estimates.physical import feasible_physical

    inp = LogicalCounts(qubits=row["qubits"], t=row["t"], toffoli=row["toffoli"], rotations=row["rotations"],
                        measurements=row["measurements"])
    r = feasible_physical(inp, model, error_budget, preset)
    return {"model": model, "feasible": r["feasible"], "reason": r.get("reason"),
            **{key: r.get(key) for key in ("physical_qubits", "runtime_s", "code_distance")}}


def sweep_rows(algorithm: str, values: Mapping[str, Sequence[Any]], options: Optional[Mapping[str, Any]] = None, *,
               model: Optional[str] = None, error_budget: Optional[float] = None, preset: Optional[str] = None,
               progress: Optional[Callable[[int, int, float], None]] = None) -> List[Dict[str, Any]]:
    """One row per grid point of ``values`` (each parameter of ``PARAMETERS[algorithm]`` a list).

    ``options`` go to the estimate (e.g. ``schedule``, ``arithmetic`` for grover-sparse;
    ``mean_method``, ``gpu`` for qattention). ``progress(done, total, elapsed_s)`` is called
    after each point. Bad parameters raise the estimate's one-line :class:`QattnInputError`,
    naming the point.
    """
    if algorithm not in PARAMETERS:
        raise QattnInputError(f"algorithm must be one of {', '.join(PARAMETERS)}; got {algorithm!r}")
    order = PARAMETERS[algorithm]
    missing = [key for key in order if not values.get(key)]
    if missing:
        raise QattnInputError(f"sweep {algorithm} needs values for {', '.join(missing)}")
    total = n_points({key: values[key] for key in order})
    if total > MAX_POINTS:
        raise QattnInputError(f"a sweep may have at most {MAX_POINTS} points; this grid has {total}")
    row_of = _grover_row if algorithm == "grover-sparse" else _qattention_row
    rows, start = [], time.perf_counter()
    for i, p in enumerate(grid(values, order), 1):
        try:
            row = row_of(p, options or {})
        except QattnInputError as e:
            raise QattnInputError(f"at {', '.join(f'{k}={v}' for k, v in p.items())}: {e}") from None
        if model is not None:
            row.update(_physical_columns(row, model, error_budget, preset))
        rows.append(row)
        if progress:
            progress(i, total, time.perf_counter() - start)
    return rows
