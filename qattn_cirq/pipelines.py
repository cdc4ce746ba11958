r"""End-to-end simulated runs that turn measurements into attention output.

:func:`grover_sparse_attention` runs the quantum-classical loop of Gao, Song, Yang, Zhang
(arXiv 2307.08045, Alg. 1 / Lemma 3.3) gate by gate on qsim, then the classical post-processing of
Def. 3.2 / Alg. 4, and compares the output with exact attention and with the error bound.

The loop, for each query row i (``S_i = {j : score_ij >= tau}``, ``|S_i| <= k``):

1. **Quantize** Q and K to ``bits``-bit two's complement (one power-of-two scale per matrix,
   :func:`qattn_cirq.instance.quantize`); the threshold becomes the integer
   ``tau_int = min{t : scale * s_Q * s_K * t >= tau}`` on the inner product of the integer rows.
2. **Grover on qsim.** The oracle is the project's :class:`bloqs.grover.ThresholdOracle` for the
   integer query row ``q_i`` against the n integer key rows, excluding the indices E found so far
   (a new oracle bloq each time E grows). One Grover run is ``GroverSearch(GroverIterate(O_E), j)``
   simulated on qsim: the uniform preparation, then j iterates. The index register is measured.
3. **Verify** a measured index x with one classical oracle evaluation
   (``<q_i, k_x> >= tau_int`` and ``x not in E``); a verified x joins the found set.
4. **Stopping rule** (stated here, used everywhere):

   * **known bound** -- once ``k`` verified indices are found the row stops (a (tau, k)-good row
     has at most k large entries; ``k=None`` disables this rule);
   * **certification** -- each search step (fixed E) runs the rounds of Boyer, Brassard, Hoyer,
     Tapp (quant-ph/9605034 Sec. 4, :class:`bloqs.grover.BBHTSchedule`): m = 1; each round draws
     j uniformly from [0, ceil(m)), runs ``shots`` Grover runs with j iterates (j oracle calls
     each), checks each outcome, and on failure sets m <- min(6/5 m, sqrt(n)). A step that fails
     R rounds at the cap (R = :func:`bloqs.grover.certification_rounds`) declares "no large entry
     left": each such round succeeds with probability >= p ~ 3/8 when t >= 1 items are left
     (BBHT Lemma 2, :func:`bloqs.grover.capped_round_success_bound`), so by the union bound over
     the <= k steps with t >= 1 of each of the n rows, the whole run misses a large entry with
     probability <= ``failure_probability``. This is the algorithm the estimates charge
     (``FindAllMarked(schedule="certified")``). A row with no large entry stops after one step.

5. **Post-processing**: ``B = B1 + B2`` from the *measured* sets (:func:`qattn_cirq.reference.
   sparse_rank_one_attention` with ``sets=found``), output ``D(B)^{-1} B V`` compared with
   :func:`qattn_cirq.reference.exact_attention` (max abs entry) and with the bound of
   :func:`qattn_cirq.reference.sparse_rank_one_error` (the O(eta) bound of arXiv 2307.08045
   Lemma 3.6 / Theorem 5.2 with the constants derived there). The bound is proved only for
   (tau, k)-good instances: otherwise it is reported as ``None`` with a note.

Simulation cost. The Grover state after j iterates depends only on the oracle bloq and j, so for
each distinct oracle (query row, E) the pipeline simulates the iterates once, incrementally
(state_j = G state_{j-1}, each G a qsim run of the compiled iterate from the previous index-register
state with all ancillas in |0>), and draws every shot of every round from the cached state with a
seeded ``numpy`` generator. This changes nothing in the distribution of outcomes (a
measurement-free circuit measured at the end), only the wall time. Oracle calls are counted as the
algorithm would spend them (j per Grover run), not as the simulator spends them.

Cost of the algorithm per row (arXiv 2307.08045 Lemma 3.3): ``O(sqrt(n k))`` oracle calls for the
k items, each oracle ``2 x`` row load + inner product + comparator (see ``bloqs/grover.py``).
"""

from __future__ import annotations

import math
import time
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import attrs
import numpy as np

from bloqs.loader_kinds import SIMULABLE_LOADERS
from qattn_cirq.errors import QattnInputError
from qattn_cirq.instance import AttentionInstance, quantize
from qattn_cirq.reference import (
    default_tau,
    exact_attention,
    goodness,
    large_sets,
    sparse_rank_one_attention,
    sparse_rank_one_error,
)
from qattn_cirq.simulate import (
    CompiledCircuit,
    bloq_to_cirq,
    check_memory,
    simulate_state,
)

#: Loaders that compile to a qsim circuit: ``bloqs.loader_kinds.SIMULABLE_LOADERS``.
#: Floating-point slack when comparing the measured error with the bound (both are computed in
#: float64 from O(n d) sums; a zero bound must accept a 1e-16 roundoff error).
BOUND_TOLERANCE = 1e-9
#: Largest probability mass allowed outside |ancillas = 0> after an iterate (complex64 roundoff).
ANCILLA_TOLERANCE = 1e-5
#: The up-front memory guard costs one QubitCount per distinct query row; it looks at this many.
_GUARD_ROWS = 32


@attrs.frozen
class RowResult:
    """Outcome of the search for one row: measured (verified) set, true set, costs."""

    i: int
    found: Tuple[int, ...]
    exact: Tuple[int, ...]
    oracle_calls: int
    classical_checks: int
    grover_runs: int
    stopped_by: str  # "k_found" or "budget"

    def as_dict(self) -> dict:
        return {
            "i": self.i,
            "found": list(self.found),
            "exact": list(self.exact),
            "match": self.found == self.exact,
            "oracle_calls": self.oracle_calls,
            "classical_checks": self.classical_checks,
            "grover_runs": self.grover_runs,
            "stopped_by": self.stopped_by,
        }


@attrs.frozen(eq=False)
class GroverSparseRun:
    """Result of :func:`grover_sparse_attention`; :meth:`as_dict` is the CLI's JSON."""

    params: dict
    qubits: int
    qubit_count: int
    rows: Tuple[RowResult, ...]
    output: np.ndarray
    exact_output: np.ndarray
    max_abs_error: float
    bound: Optional[float]
    within_bound: Optional[bool]
    note: Optional[str]
    goodness: dict
    quantization_error: dict
    distinct_oracles: int
    iterates_simulated: int
    simulation_seconds: float
    wall_seconds: float

    @property
    def all_sets_found(self) -> bool:
        return all(r.found == r.exact for r in self.rows)

    @property
    def oracle_calls(self) -> int:
        return int(sum(r.oracle_calls for r in self.rows))

    @property
    def classical_checks(self) -> int:
        return int(sum(r.classical_checks for r in self.rows))

    def as_dict(self) -> dict:
        return {
            "algorithm": "grover-sparse",
            "params": self.params,
            "qubits": self.qubits,
            "qubit_count": self.qubit_count,
            "rows": [r.as_dict() for r in self.rows],
            "all_sets_found": self.all_sets_found,
            "oracle_calls": self.oracle_calls,
            "classical_checks": self.classical_checks,
            "max_abs_error": self.max_abs_error,
            "bound": self.bound,
            "within_bound": self.within_bound,
            "note": self.note,
            "goodness": self.goodness,
            "quantization_error": self.quantization_error,
            "distinct_oracles": self.distinct_oracles,
            "iterates_simulated": self.iterates_simulated,
            "simulation_seconds": round(self.simulation_seconds, 3),
            "wall_seconds": round(self.wall_seconds, 3),
        }


def integer_threshold(tau: float, score_scale: float) -> int:
    """Smallest integer t with ``score_scale * t >= tau`` in float64 (the reference's own test).

    ``score_scale = scale * s_Q * s_K`` maps an integer inner product to a score. Marked iff
    ``<q_int, k_int> >= t`` is then the same test as ``score >= tau`` on the quantized instance.
    """
    t = math.ceil(tau / score_scale)
    while score_scale * (t - 1) >= tau:
        t -= 1
    while score_scale * t < tau:
        t += 1
    return int(t)


class _GroverStates:
    """Index-register states after j Grover iterates of one oracle, simulated lazily on qsim."""

    def __init__(self, runner: "_Runner", oracle):
        from bloqs.grover import GroverIterate

        self.runner = runner
        self.iterate = GroverIterate(oracle, oracle.n)
        self.states: List[np.ndarray] = []
        self._compiled: Optional[CompiledCircuit] = None

    def _iterate_circuit(self) -> CompiledCircuit:
        if self._compiled is None:
            from qualtran.resource_counting import QubitCount, get_cost_value

            self._compiled = bloq_to_cirq(self.iterate)
            self.runner.widths.append(self._compiled.width)
            self.runner.widths_of_iterates.append(self._compiled.width)
            self.runner.qubit_counts.append(int(get_cost_value(self.iterate, QubitCount())))
        return self._compiled

    def probabilities(self, j: int) -> np.ndarray:
        while len(self.states) <= j:
            if not self.states:
                self.states.append(self.runner.uniform_state())
                continue
            c = self._iterate_circuit()
            sel = c.positions("selection", "in")
            assert list(sel) == list(range(len(sel))), "selection qubits lead the qubit order"
            anc = c.width - len(sel)
            # |state_{j-1}> (x) |0...0>: index = sel * 2^anc + 0 (selection qubits lead the order).
            init = np.zeros(2 ** c.width, dtype=np.complex64)
            init[:: 2**anc] = self.states[-1]
            t0 = time.perf_counter()
            st = simulate_state(
                c, initial_state=init, seed=self.runner.seed, memory_limit=self.runner.memory_limit,
                engine=self.runner.engine,
            )
            self.runner.sim_seconds += time.perf_counter() - t0
            self.runner.iterates += 1
            sel_state = st.reshape(2 ** len(sel), 2**anc)[:, 0].copy()
            # Weight outside |ancillas = 0> (same as simulate.ancilla_weight, without a 2^W
            # float64 temporary): the iterate must uncompute every ancilla.
            w = 1.0 - float(np.vdot(sel_state, sel_state).real)
            if w > ANCILLA_TOLERANCE:
                raise RuntimeError(f"ancillas of {self.iterate} not returned to |0> (weight {w:.2e})")
            self.states.append(sel_state)
        p = np.abs(self.states[j].astype(np.complex128)) ** 2
        return p / p.sum()


class _Runner:
    def __init__(self, n, seed, memory_limit, engine):
        from bloqs.grover import UniformIndexPrepare

        self.n = n
        self.seed = seed
        self.memory_limit = memory_limit
        self.engine = engine
        self.cache: Dict[object, _GroverStates] = {}
        self.widths: List[int] = []
        self.qubit_counts: List[int] = []
        self.widths_of_iterates: List[int] = []
        self.sim_seconds = 0.0
        self.iterates = 0
        self._uniform: Optional[np.ndarray] = None
        self._prepare = UniformIndexPrepare(n)

    def uniform_state(self) -> np.ndarray:
        if self._uniform is None:
            c = bloq_to_cirq(self._prepare)
            self.widths.append(c.width)
            t0 = time.perf_counter()
            st = simulate_state(c, seed=self.seed, memory_limit=self.memory_limit, engine=self.engine)
            self.sim_seconds += time.perf_counter() - t0
            L = len(c.positions("selection", "out"))
            self._uniform = st.reshape(2**L, -1)[:, 0].copy()
        return self._uniform

    def states(self, oracle) -> _GroverStates:
        if oracle not in self.cache:
            self.cache[oracle] = _GroverStates(self, oracle)
        return self.cache[oracle]


def _search_row(
    runner: _Runner,
    make_oracle: Callable[[Tuple[int, ...]], object],
    is_marked: Callable[[int], bool],
    sched,
    k: Optional[int],
    shots: int,
    rng: np.random.Generator,
):
    """The certified search-and-remove loop of one row (module docstring, steps 2-4).

    The same algorithm the estimates charge (``bloqs.grover.FindAllMarked``, schedule
    ``certified``): each step runs the rounds of ``sched`` (a ``bloqs.grover.BBHTSchedule``)
    until a new marked index is found; a step that exhausts its rounds declares the row done.
    """
    n = sched.n
    found: List[int] = []
    calls = checks = runs = 0
    stopped_by = "certified_none_left"
    while True:
        if k is not None and len(found) >= k:
            stopped_by = "k_found"
            break
        states = runner.states(make_oracle(tuple(found)))
        success = False
        for j in sched.rounds(rng):
            p = states.probabilities(j)
            outcomes = rng.choice(len(p), size=shots, p=p)
            for x in outcomes:
                calls += j
                checks += 1
                runs += 1
                x = int(x)
                if x < n and x not in found and is_marked(x):
                    found.append(x)
                    success = True
                    break
            if success:
                break
        if not success:
            break
    return tuple(sorted(found)), calls, checks, runs, stopped_by


def grover_sparse_attention(
    inst: AttentionInstance,
    *,
    k: Optional[int] = None,
    tau: Optional[float] = None,
    bits: int = 4,
    seed: int = 0,
    shots: int = 1,
    loader: str = "qrom",
    failure_probability: float = 0.01,
    memory_limit: Optional[int] = None,
    engine: str = "qsim",
    rows: Optional[Sequence[int]] = None,
    progress: Optional[Callable[[Iterable], Iterable]] = None,
) -> GroverSparseRun:
    """Simulate Grover sparse attention on ``inst`` (see the module docstring for the method).

    Args:
        inst: the instance (Q, K, V, scale).
        k: the bound on the large entries per row (stop a row once k are found); None = unknown.
        tau: threshold on ``scale * q_i . k_j`` (default ``2 ln n``, arXiv 2307.08045 Thm. 1.3).
        bits: fixed-point width of Q and K entries (>= 2).
        seed: seeds the whole run (sampling and BBHT's random iteration counts).
        shots: Grover runs per BBHT round (each an independent run, each checked).
        loader: row loader of the oracle; only ``qrom`` compiles to gates qsim can run.
        failure_probability: delta of the certification rule (the whole n-row run).
        memory_limit: state-vector memory limit in bytes (default: available memory).
        engine: ``qsim`` (default) or ``cirq`` (cross-checks).
        rows: rows to search (default all); other rows use their exact sets (for partial runs).
        progress: wraps the row iterable (e.g. a progress bar).
    """
    from bloqs.grover import BBHTSchedule, GroverIterate, ThresholdOracle, certification_rounds
    from qualtran.resource_counting import QubitCount, get_cost_value

    t_start = time.perf_counter()
    if not isinstance(inst, AttentionInstance):
        raise QattnInputError(f"expected an AttentionInstance; got {type(inst).__name__}")
    n, d = inst.n, inst.d
    if k is not None and (int(k) != k or not 1 <= k <= n):
        raise QattnInputError(f"k must be an integer in [1, n={n}], got {k}")
    if int(shots) != shots or shots < 1:
        raise QattnInputError(f"shots must be an integer >= 1, got {shots}")
    if int(bits) != bits or bits < 2:
        raise QattnInputError(f"bits must be an integer >= 2, got {bits}")
    if loader not in SIMULABLE_LOADERS:
        raise QattnInputError(
            f"loader must be one of {', '.join(SIMULABLE_LOADERS)} for simulation, got {loader!r}"
        )
    if not 0 < failure_probability < 1:
        raise QattnInputError(f"failure_probability must be in (0, 1), got {failure_probability}")
    tau = default_tau(n) if tau is None else float(tau)
    if not math.isfinite(tau):
        raise QattnInputError(f"tau must be a finite real number, got {tau}")
    row_list = list(range(n)) if rows is None else [int(i) for i in rows]
    if any(not 0 <= i < n for i in row_list):
        raise QattnInputError(f"rows must be indices in [0, {n - 1}]")

    fq, fk = quantize(inst.Q, bits), quantize(inst.K, bits)
    score_scale = inst.scale * fq.scale * fk.scale
    Qi, Ki = fq.ints, fk.ints
    key_data = tuple(tuple(int(v) for v in row) for row in Ki)
    t_int = integer_threshold(tau, score_scale)
    # Clamp into the achievable range of <q, k> (same marked set) so the comparator constant is
    # representable: the accumulator has at least one spare bit beyond that range.
    ip_max = d * 2 ** (2 * bits - 2)
    t_int = max(min(t_int, ip_max + 1), -ip_max)

    def make_oracle_for(i: int):
        q = tuple(int(v) for v in Qi[i])

        def make(excluded: Tuple[int, ...]):
            return ThresholdOracle(
                n=n, d=d, bits=bits, tau_int=t_int, loader=loader, query=q, key_data=key_data,
                excluded=excluded,
            )

        return make

    # Memory guard before compiling anything: Qualtran's QubitCount of the iterate (== the width
    # of our circuits) for the distinct query rows (the inner product's ancillas depend on the
    # query's signed digits). Exclusions add no qubit (one IndexPhaseFlip per excluded index, whose
    # L + L - 2 wires never exceed the row load's), so the guard builds the oracle without any.
    # Every circuit is checked again right before it is simulated.
    excl = ()
    distinct_rows = sorted({tuple(int(v) for v in Qi[i]) for i in row_list})[:_GUARD_ROWS]
    first = {tuple(int(v) for v in Qi[i]): i for i in reversed(row_list)}
    qubit_count = max(
        int(get_cost_value(GroverIterate(make_oracle_for(first[q])(excl), n), QubitCount()))
        for q in distinct_rows
    )
    check_memory(qubit_count, memory_limit)

    exact_sets = large_sets(inst, tau)
    # The stopping rule of the certified find-all (bloqs.grover.certification_rounds): R capped
    # rounds make the whole n-row run miss a large entry with probability <= failure_probability.
    sched = BBHTSchedule(n, capped_rounds=certification_rounds(n, n if k is None else k, failure_probability))
    rng = np.random.default_rng(seed)
    runner = _Runner(n, seed, memory_limit, engine)
    results: List[RowResult] = []
    it: Iterable[int] = row_list if progress is None else progress(row_list)
    for i in it:
        ints_i = Qi[i]

        def is_marked(x: int, ints_i=ints_i) -> bool:  # one classical oracle evaluation
            return int(np.dot(ints_i.astype(np.int64), Ki[x].astype(np.int64))) >= t_int

        found, calls, checks, runs, stop = _search_row(runner, make_oracle_for(i), is_marked, sched, k, shots, rng)
        results.append(
            RowResult(
                i=i, found=found, exact=tuple(int(v) for v in exact_sets[i]), oracle_calls=calls,
                classical_checks=checks, grover_runs=runs, stopped_by=stop,
            )
        )

    sets = [np.array(s, dtype=np.int64) for s in exact_sets]
    for r in results:
        sets[r.i] = np.array(r.found, dtype=np.int64)
    out = sparse_rank_one_attention(inst, sets=sets)
    exact = exact_attention(inst)
    err = float(np.abs(out - exact).max())

    good = goodness(inst, tau)
    note = None
    bound = within = None
    k_ok = k is None or good.k <= k
    if good.conditions_hold and k_ok:
        bound = float(sparse_rank_one_error(inst, tau=tau)["output_bound"])
        within = bool(err <= bound + BOUND_TOLERANCE)
    else:
        why = []
        if not good.conditions_hold:
            why.append(f"some score outside S_i lies outside [-eta, 0] (max outside {good.max_outside:.3g})")
        if not k_ok:
            why.append(f"a row has {good.k} > k={k} large entries")
        note = "instance is not (tau, k)-good: " + "; ".join(why) + "; the Theorem 5.2 bound does not apply"
    if fq.max_abs_error or fk.max_abs_error:
        extra = (
            f"Q, K quantized to {bits} bits lose up to {max(fq.max_abs_error, fk.max_abs_error):.3g}: "
            "the oracle searches the quantized scores"
        )
        note = extra if note is None else note + "; " + extra

    if not runner.qubit_counts and row_list:
        # Every row succeeded with 0 iterates (or had nothing to search): still report the width
        # of the Grover iterate the schedule would have run.
        runner.states(make_oracle_for(row_list[0])(()))._iterate_circuit()
    iterate_widths = runner.widths_of_iterates or [qubit_count]
    if runner.qubit_counts:
        qubit_count = max(runner.qubit_counts)
    return GroverSparseRun(
        params={
            "n": n, "d": d, "k": k, "tau": tau, "tau_int": t_int, "bits": bits, "seed": seed,
            "shots": shots, "loader": loader, "failure_probability": failure_probability,
            "engine": engine,
            "stopping_rule": "k found, else a step that fails R capped BBHT rounds declares the row done (certified find-all)",
            "capped_rounds": sched.capped_rounds,
            "max_oracle_calls_per_step": sched.max_iterations,
        },
        qubits=int(max(iterate_widths)),
        qubit_count=qubit_count,
        rows=tuple(results),
        output=out,
        exact_output=exact,
        max_abs_error=err,
        bound=bound,
        within_bound=within,
        note=note,
        goodness=good.as_dict(),
        quantization_error={"Q": fq.max_abs_error, "K": fk.max_abs_error},
        distinct_oracles=len(runner.cache),
        iterates_simulated=runner.iterates,
        simulation_seconds=runner.sim_seconds,
        wall_seconds=time.perf_counter() - t_start,
    )


__all__ = [
    "GroverSparseRun",
    "RowResult",
    "SIMULABLE_LOADERS",
    "grover_sparse_attention",
    "integer_threshold",
]
