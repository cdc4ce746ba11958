r"""End-to-end simulated runs that turn measurements into attention output.

:func:`simulate_qattention` runs the sublinear QAttention data structure of Song, Xue, Zhang,
Zhang (arXiv 2602.00874, Thm 3.1 / 9.2) on qsim: its landmark samples, landmark kernel means and V
rows are measured outcomes; the structure they build (:mod:`qattn_cirq.classical_nystrom`) answers
every row, compared with exact attention and :func:`qattn_cirq.reference.theorem_bound`.

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
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import attrs
import numpy as np
from qualtran.resource_counting import QubitCount, get_cost_value

from bloqs.grover import BBHTSchedule, GroverIterate, ThresholdOracle, UniformIndexPrepare, certification_rounds
from bloqs.loader_kinds import SIMULABLE_LOADERS
from bloqs.mean_estimation import UnivariateMeanEstimation, median_repetitions, phase_bits_for_error
from bloqs.nystrom import landmark_draws_expr
from bloqs.qattention import v_samples_expr
from bloqs.sampling import (
    ImportanceSampler,
    leverage_scores,
    quantize_weights,
    ridge_leverage_scores,
    unsigned_levels,
)
from qattn_cirq.classical_nystrom import DEFAULT_DELTA, assemble_structure, kernel_matrix, qattention_report
from qattn_cirq.errors import QattnInputError
from qattn_cirq.instance import AttentionInstance, quantize
from qattn_cirq.parallel import Executor, Progress, SerialExecutor
from qattn_cirq.reference import (
    check_instance,
    check_qattention_inputs,
    default_tau,
    exact_attention,
    goodness,
    large_sets,
    sparse_rank_one_attention,
    sparse_rank_one_error,
    statistical_dimension,
)
from qattn_cirq.simulate import (
    CompiledCircuit,
    ancilla_weight,
    bloq_to_cirq,
    check_memory,
    register_probabilities,
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
    simulation_seconds: float  # summed over tasks (on Dask: over workers)
    wall_seconds: float
    executor: dict = attrs.field(factory=lambda: {"executor": "serial"})

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
            # The only fields that differ between runs with the same inputs (qattn simulate
            # --no-timing leaves this key out, so same seed -> byte-identical output).
            "timing": {
                "simulation_seconds": round(self.simulation_seconds, 3),
                "wall_seconds": round(self.wall_seconds, 3),
                **self.executor,
            },
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
        self.runner = runner
        self.iterate = GroverIterate(oracle, oracle.n)
        self.states: List[np.ndarray] = []
        self._compiled: Optional[CompiledCircuit] = None

    def _iterate_circuit(self) -> CompiledCircuit:
        if self._compiled is None:
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
                engine=self.runner.engine, threads=self.runner.threads,
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
    def __init__(self, n, seed, memory_limit, engine, threads=None):
        self.n = n
        self.seed = seed
        self.memory_limit = memory_limit
        self.engine = engine
        self.threads = threads
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
            st = simulate_state(c, seed=self.seed, memory_limit=self.memory_limit, engine=self.engine, threads=self.threads)
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


def _check_grover_inputs(inst, k, shots, bits, loader, failure_probability, tau, rows) -> Tuple[float, List[int]]:
    """One-line :class:`QattnInputError` for each bad argument of :func:`grover_sparse_attention`;
    returns the threshold (default ``2 ln n``) and the rows to search."""
    if not isinstance(inst, AttentionInstance):
        raise QattnInputError(f"expected an AttentionInstance; got {type(inst).__name__}")
    n = inst.n
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
    return tau, row_list


def _quantized_problem(inst: AttentionInstance, bits: int, tau: float):
    """Step 1 of the module docstring: ``bits``-bit Q and K and the threshold ``t_int`` on
    ``<q_int, k_int>``; returns ``(fq, fk, t_int)``."""
    fq, fk = quantize(inst.Q, bits), quantize(inst.K, bits)
    t_int = integer_threshold(tau, inst.scale * fq.scale * fk.scale)
    # Clamp into the achievable range of <q, k> (same marked set) so the comparator constant is
    # representable: the accumulator has at least one spare bit beyond that range.
    ip_max = inst.d * 2 ** (2 * bits - 2)
    return fq, fk, max(min(t_int, ip_max + 1), -ip_max)


def _oracle_factory(n: int, d: int, bits: int, t_int: int, loader: str, Qi, Ki):
    """``make_oracle_for(i)(excluded)``: the ThresholdOracle of query row i excluding ``excluded``."""
    key_data = tuple(tuple(int(v) for v in row) for row in Ki)

    def make_oracle_for(i: int):
        q = tuple(int(v) for v in Qi[i])

        def make(excluded: Tuple[int, ...]):
            return ThresholdOracle(
                n=n, d=d, bits=bits, tau_int=t_int, loader=loader, query=q, key_data=key_data,
                excluded=excluded,
            )

        return make

    return make_oracle_for


def _guard_memory(make_oracle_for, Qi, row_list: List[int], n: int, memory_limit: Optional[int]) -> int:
    """Memory guard before compiling anything; returns the iterate's Qualtran QubitCount.

    QubitCount of the iterate (== the width of our circuits) for the distinct query rows (the
    inner product's ancillas depend on the query's signed digits). Exclusions add no qubit (one
    IndexPhaseFlip per excluded index, whose L + L - 2 wires never exceed the row load's), so the
    guard builds the oracle without any. Every circuit is checked again right before it is
    simulated."""
    excl = ()
    distinct_rows = sorted({tuple(int(v) for v in Qi[i]) for i in row_list})[:_GUARD_ROWS]
    first = {tuple(int(v) for v in Qi[i]): i for i in reversed(row_list)}
    qubit_count = max(
        int(get_cost_value(GroverIterate(make_oracle_for(first[q])(excl), n), QubitCount()))
        for q in distinct_rows
    )
    check_memory(qubit_count, memory_limit)
    return qubit_count


@attrs.frozen
class RowGroupTask:
    """The inputs of one parallel task: the rows of one distinct quantized query (small ints only).

    Rows with the same quantized query row share every oracle (query, excluded set), so one task
    searches them all and reuses the cached Grover states (the module docstring's "simulation
    cost"); row ``i`` draws from its own generator ``default_rng(seeds[i])``. The oracle bloqs
    and circuits are built from these integers where the task runs (:func:`search_row_group`)."""

    n: int
    d: int
    bits: int
    t_int: int
    loader: str
    query: Tuple[int, ...]
    key_data: Tuple[Tuple[int, ...], ...]
    rows: Tuple[Tuple[int, int], ...]  # (row index i, its seed)
    k: Optional[int]
    shots: int
    capped_rounds: int
    seed: int
    memory_limit: Optional[int]
    engine: str
    threads: Optional[int]


def search_row_group(task: RowGroupTask) -> dict:
    """Steps 2-4 of the module docstring for the rows of ``task``, in row order; a pure function of
    ``task`` (the parallel task of :func:`grover_sparse_attention`, see :mod:`qattn_cirq.parallel`)."""
    n = task.n
    runner = _Runner(n, task.seed, task.memory_limit, task.engine, threads=task.threads)
    q = np.asarray(task.query, dtype=np.int64)
    keys = np.asarray(task.key_data, dtype=np.int64).reshape(n, task.d)

    def make(excluded: Tuple[int, ...]):
        return ThresholdOracle(
            n=n, d=task.d, bits=task.bits, tau_int=task.t_int, loader=task.loader, query=task.query,
            key_data=task.key_data, excluded=excluded,
        )

    def is_marked(x: int) -> bool:  # one classical oracle evaluation
        return int(np.dot(q, keys[x])) >= task.t_int

    sched = BBHTSchedule(n, capped_rounds=task.capped_rounds)
    rows = []
    for i, row_seed in task.rows:
        rng = np.random.default_rng(row_seed)
        rows.append((i, *_search_row(runner, make, is_marked, sched, task.k, task.shots, rng)))
    return {
        "rows": rows, "distinct_oracles": len(runner.cache), "iterates": runner.iterates,
        "widths_of_iterates": runner.widths_of_iterates, "qubit_counts": runner.qubit_counts,
        "sim_seconds": runner.sim_seconds,
    }


def _row_group_tasks(fq, fk, t_int, row_list, n, d, bits, loader, k, shots, sched, seed, memory_limit, engine, threads):
    """One :class:`RowGroupTask` per distinct quantized query row of ``row_list`` (in order of first
    appearance); row i's seed is ``task_seeds(seed, n)[i]`` whatever the grouping or executor."""
    from qattn_cirq.parallel import task_seeds

    seeds = task_seeds(seed, n)
    key_data = tuple(tuple(int(v) for v in row) for row in fk.ints)
    groups: Dict[Tuple[int, ...], List[Tuple[int, int]]] = {}
    for i in row_list:
        groups.setdefault(tuple(int(v) for v in fq.ints[i]), []).append((i, seeds[i]))
    return [
        RowGroupTask(
            n=n, d=d, bits=bits, t_int=t_int, loader=loader, query=query, key_data=key_data, rows=tuple(rows),
            k=k, shots=shots, capped_rounds=sched.capped_rounds, seed=seed, memory_limit=memory_limit,
            engine=engine, threads=threads,
        )
        for query, rows in groups.items()
    ]


def _row_results(outs, exact_sets) -> List[RowResult]:
    """The tasks' rows as :class:`RowResult`, sorted by row index."""
    rows = sorted(r for out in outs for r in out["rows"])
    return [
        RowResult(
            i=i, found=found, exact=tuple(int(v) for v in exact_sets[i]), oracle_calls=calls,
            classical_checks=checks, grover_runs=runs, stopped_by=stop,
        )
        for i, found, calls, checks, runs, stop in rows
    ]


def _output_and_bound(inst, results, exact_sets, tau, k, bits, fq, fk) -> dict:
    """Step 5 of the module docstring: the output from the measured sets, its error, the bound
    (or the note saying why it does not apply)."""
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
    return {"output": out, "exact_output": exact, "max_abs_error": err, "bound": bound, "within_bound": within,
            "note": note, "goodness": good.as_dict()}


def _check_budget(tasks, exact_sets, n, d, bits, k, qubits, max_seconds) -> dict:
    """Refuse a run predicted to take over ``max_seconds`` (:mod:`qattn_cirq.budget`); returns the
    prediction for the output's ``timing`` block (empty without a budget)."""
    if max_seconds is None:
        return {}
    from qattn_cirq.budget import check_seconds, predicted_grover_seconds

    sizes = [len(exact_sets[t.rows[0][0]]) for t in tasks]
    pred = predicted_grover_seconds(n, d, bits, k, qubits, sizes)
    check_seconds(pred["seconds"], max_seconds, f"the simulation ({pred['iterates']} Grover iterates of {qubits} qubits)")
    return {"predicted_simulation_seconds": round(pred["seconds"], 3), "predicted_iterates": pred["iterates"]}


def _widths(outs, make_oracle_for, row_list, qubit_count: int) -> Tuple[int, int]:
    """(widest simulated iterate, its Qualtran QubitCount); compiles one iterate if none was."""
    widths = [w for out in outs for w in out["widths_of_iterates"]]
    counts = [c for out in outs for c in out["qubit_counts"]]
    if not counts and row_list:
        # Every row succeeded with 0 iterates (or had nothing to search): still report the width
        # of the Grover iterate the schedule would have run.
        oracle = make_oracle_for(row_list[0])(())
        iterate = GroverIterate(oracle, oracle.n)
        widths.append(bloq_to_cirq(iterate).width)
        counts.append(int(get_cost_value(iterate, QubitCount())))
    return int(max(widths or [qubit_count])), int(max(counts or [qubit_count]))


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
    progress: Optional[Progress] = None,
    executor: Optional[Executor] = None,
    max_seconds: Optional[float] = None,
) -> GroverSparseRun:
    """Simulate Grover sparse attention on ``inst`` (see the module docstring for the method).

    Args:
        inst: the instance (Q, K, V, scale).
        k: the bound on the large entries per row (stop a row once k are found); None = unknown.
        tau: threshold on ``scale * q_i . k_j`` (default ``2 ln n``, arXiv 2307.08045 Thm. 1.3).
        bits: fixed-point width of Q and K entries (>= 2).
        seed: seeds the whole run (sampling and BBHT's random iteration counts).
        shots: Grover runs per BBHT round (each an independent run, each checked).
        loader: row loader of the oracle, one of ``SIMULABLE_LOADERS`` (``qrom``, ``qroam``).
        failure_probability: delta of the certification rule (the whole n-row run).
        memory_limit: state-vector memory limit in bytes (default: available memory).
        engine: ``qsim`` (default) or ``cirq`` (cross-checks).
        rows: rows to search (default all); other rows use their exact sets (for partial runs).
        progress: ``progress(done, total, elapsed_s)`` after each task (one task per distinct
            quantized query row, :class:`RowGroupTask`).
        executor: where the tasks run (:mod:`qattn_cirq.parallel`; default serial, in this
            process). Row i's random draws come from ``task_seeds(seed, n)[i]``, so the result is
            the same with any executor.
        max_seconds: refuse (:class:`QattnInputError`) a run whose predicted qsim time
            (:func:`qattn_cirq.budget.predicted_grover_seconds`) is over this; None: no check.
    """
    t_start = time.perf_counter()
    tau, row_list = _check_grover_inputs(inst, k, shots, bits, loader, failure_probability, tau, rows)
    n, d = inst.n, inst.d
    fq, fk, t_int = _quantized_problem(inst, bits, tau)
    make_oracle_for = _oracle_factory(n, d, bits, t_int, loader, fq.ints, fk.ints)
    qubit_count = _guard_memory(make_oracle_for, fq.ints, row_list, n, memory_limit)
    exact_sets = large_sets(inst, tau)
    # The stopping rule of the certified find-all (bloqs.grover.certification_rounds): R capped
    # rounds make the whole n-row run miss a large entry with probability <= failure_probability.
    sched = BBHTSchedule(n, capped_rounds=certification_rounds(n, n if k is None else k, failure_probability))
    executor = executor or SerialExecutor()
    tasks = _row_group_tasks(fq, fk, t_int, row_list, n, d, bits, loader, k, shots, sched, seed, memory_limit,
                             engine, executor.task_threads)
    predicted = _check_budget(tasks, exact_sets, n, d, bits, k, qubit_count, max_seconds)
    outs = executor.map(search_row_group, [(t,) for t in tasks], progress=progress)
    results = _row_results(outs, exact_sets)
    post = _output_and_bound(inst, results, exact_sets, tau, k, bits, fq, fk)
    qubits, qubit_count = _widths(outs, make_oracle_for, row_list, qubit_count)
    params = {
        "n": n, "d": d, "k": k, "tau": tau, "tau_int": t_int, "bits": bits, "seed": seed, "shots": shots,
        "loader": loader, "failure_probability": failure_probability, "engine": engine,
        "stopping_rule": "k found, else a step that fails R capped BBHT rounds declares the row done (certified find-all)",
        "capped_rounds": sched.capped_rounds,
        "max_oracle_calls_per_step": sched.max_iterations,
    }
    return GroverSparseRun(
        params=params, qubits=qubits, qubit_count=qubit_count, rows=tuple(results), **post,
        quantization_error={"Q": fq.max_abs_error, "K": fk.max_abs_error},
        distinct_oracles=sum(o["distinct_oracles"] for o in outs), iterates_simulated=sum(o["iterates"] for o in outs),
        simulation_seconds=sum(o["sim_seconds"] for o in outs), wall_seconds=time.perf_counter() - t_start,
        executor={**executor.describe(), "tasks": len(tasks), **predicted},
    )


# ----------------------------------------------------------------------------------------------
# QAttention (arXiv 2602.00874) on qsim
# ----------------------------------------------------------------------------------------------


def _joint_samples(compiled, state, regs: Sequence[str], shots: int, rng) -> np.ndarray:
    """Draw ``shots`` joint outcomes of several registers from a state vector (exact marginal)."""
    if ancilla_weight(compiled, state) > 1e-4:
        raise RuntimeError(f"{compiled.bloq}: ancillas not returned to |0>")
    marg = register_probabilities(compiled, state, *regs)
    marg = marg / marg.sum()
    flat = rng.choice(marg.size, size=shots, p=marg)
    sizes = [compiled.positions(r).size for r in regs]
    out = np.zeros((shots, len(regs)), dtype=np.int64)
    rem = flat
    for k in range(len(regs) - 1, -1, -1):
        out[:, k] = rem % (1 << sizes[k])
        rem = rem >> sizes[k]
    return out


def _sample_accepted(sampler, count: int, rng, sim_kw, log) -> Tuple[np.ndarray, Dict[str, object]]:
    """Run ``sampler`` on qsim; draw shots until ``count`` have flag = 1; return the indices."""
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


def _check_qattention_run_inputs(inst, lam, eps, bits, phase_bits) -> AttentionInstance:
    inst = check_instance(inst)
    check_qattention_inputs(inst.n, lam=lam, eps=eps)
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 2 <= bits <= 8:
        raise QattnInputError(f"bits must be an integer in [2, 8] (weight / value width); got {bits!r}")
    if phase_bits is not None and (not isinstance(phase_bits, (int, np.integer)) or not 1 <= phase_bits <= 8):
        raise QattnInputError(f"phase_bits must be an integer in [1, 8]; got {phase_bits!r}")
    return inst


def _qsim_landmarks(E, lam, L: int, bits: int, rng, sim_kw, log, say):
    """Step 1 of :func:`simulate_qattention`: ``L`` accepted shots of the ridge-leverage sampler
    over the ``2n`` rows of ``X``; returns the sorted distinct landmarks and the sampler's info."""
    q_land = quantize_weights(ridge_leverage_scores(E, lam), bits, keep_support=True)
    land_sampler = ImportanceSampler(E.shape[0], bits, tuple(int(x) for x in q_land))
    say(f"landmarks: {L} draws from the ridge-leverage sampler over 2n = {E.shape[0]} points")
    draws, land_info = _sample_accepted(land_sampler, L, rng, sim_kw, log)
    return np.unique(draws), land_info


def landmark_means_task(n: int, bits: int, phase_bits: int, values: Tuple[int, ...], reps: int,
                        landmarks: Tuple[Tuple[int, int], ...], memory_limit: Optional[int]) -> dict:
    """The parallel task of step 2 of :func:`simulate_qattention`: one amplitude-estimation
    circuit (the landmarks in ``landmarks`` share its quantised key values), built and simulated
    here (qsim, one thread), then ``reps`` measured phases per landmark ``li`` drawn from
    ``default_rng(seed_li)``; returns ``{li: median estimate in value levels}``. A pure function
    of its inputs (:mod:`qattn_cirq.parallel`)."""
    u = UnivariateMeanEstimation(n, bits, phase_bits, values=values)
    c = bloq_to_cirq(u)
    t0 = time.perf_counter()
    st = simulate_state(c, threads=1, memory_limit=memory_limit)
    seconds = time.perf_counter() - t0
    p = register_probabilities(c, st, "phase")
    p = p / p.sum()
    est = {li: float(np.median(u.estimate(np.random.default_rng(seed_l).choice(p.size, size=reps, p=p))))
           for li, seed_l in landmarks}
    return {"estimates": est, "bloq": str(u), "qubits": c.width, "seconds": seconds}


def _qsim_landmark_means(E, S, n: int, eps, bits: int, phase_bits, delta, seed, run, log, say):
    """Step 2 of :func:`simulate_qattention`: ``c_l = mean_j k(x_{S_l}, k_j)`` per landmark by
    amplitude estimation on qsim (median of the measured phases), one task per distinct
    quantised circuit, landmark ``li`` seeded by ``task_seeds(seed, s)[li]``; returns the
    estimates and the report's ``mean_estimation`` section."""
    from qattn_cirq.parallel import task_seeds

    m = phase_bits if phase_bits is not None else phase_bits_for_error(eps)
    reps = median_repetitions(delta / max(1, S.size))
    c_true = E[np.ix_(S, np.arange(n, 2 * n))].mean(axis=1)
    seeds = task_seeds(seed, S.size)
    vmax = [float(E[l, n:].max()) for l in S]
    groups: Dict[Tuple[int, ...], List[Tuple[int, int]]] = {}
    for li, l in enumerate(S):
        key = tuple(int(x) for x in unsigned_levels(E[l, n:], bits, vmax[li]))
        groups.setdefault(key, []).append((li, seeds[li]))
    say(f"mean estimation: {S.size} landmark coordinates ({len(groups)} distinct circuits), {m} phase bits, median of {reps}")
    outs = run(landmark_means_task, [(n, bits, m, key, reps, tuple(g), None) for key, g in groups.items()])
    c_est = np.empty(S.size)
    for out in outs:
        log.append((out["bloq"], out["qubits"], out["seconds"]))
        for li, e in out["estimates"].items():
            c_est[li] = e * vmax[li] / (2**bits - 1)
    info = {
        "phase_bits": m,
        "repetitions": reps,
        "qubits": max(out["qubits"] for out in outs),
        "estimate": c_est.tolist(),
        "true_mean": c_true.tolist(),
        "max_relative_error": float(np.max(np.abs(c_est - c_true) / c_true)),
    }
    return c_est, info


def _qsim_v_rows(inst: AttentionInstance, eps, bits: int, rng, sim_kw, log, say):
    """Step 3 of :func:`simulate_qattention`: ``K_V`` accepted shots of the leverage-score sampler
    over V's rows; returns the rows, their probabilities and the sampler's info."""
    q_v = quantize_weights(leverage_scores(inst.V), bits, keep_support=True)
    p_v = q_v / q_v.sum()
    K = v_samples_expr(inst.d, eps)
    v_sampler = ImportanceSampler(inst.n, bits, tuple(int(x) for x in q_v))
    say(f"V rows: {K} draws from the leverage-score sampler over n = {inst.n} rows")
    rows, v_info = _sample_accepted(v_sampler, K, rng, sim_kw, log)
    return rows, p_v, v_info


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
    executor: Optional[Executor] = None,
    task_progress: Optional[Progress] = None,
) -> Dict[str, object]:
    """End to end on qsim: landmarks, V rows and the D mean estimate are all measured outcomes
    (the QAttention data structure of arXiv 2602.00874, :mod:`qattn_cirq.classical_nystrom`).

    1. Landmarks: :class:`bloqs.sampling.ImportanceSampler` over the ``2n`` rows of ``X`` with the
       ridge leverage scores of ``E`` as ``bits``-bit QROM weights
       (:func:`bloqs.sampling.quantize_weights`, ``keep_support=True``); ``L`` accepted (flag = 1) shots.
    2. ``c_l = mean_j k(x_{S_l}, k_j)``: per landmark, :class:`bloqs.mean_estimation.
       UnivariateMeanEstimation` over the n key values quantised to ``bits`` bits (scale
       ``max_j / (2^b - 1)``), ``phase_bits`` = :func:`phase_bits_for_error` (eps) unless given,
       the median of ``median_repetitions(delta / s)`` measured phases.
    3. V rows: the sampler over n rows with V's leverage scores as weights, ``K_V`` accepted shots.
    4. Assemble, answer every row, compare with exact attention and the theorem's bound.

    Each circuit is simulated once (qsim, one thread: fastest on a shared machine) and its shots
    drawn from the exact final state with a seeded generator (the circuits end in measurement
    only). Step 2 runs as one task per distinct circuit on ``executor`` (:mod:`qattn_cirq.parallel`,
    default serial; ``task_progress(done, total, elapsed_s)`` after each); every random draw is
    seeded from ``SeedSequence(seed).spawn`` by step and landmark, so any executor gives the same
    result. Output keys: ``qubits`` (widest circuit), ``landmarks``, ``fro_error``, ``bound``,
    ``within_bound``, ``failed_condition``, ``per_row_errors``, ... (see
    :func:`qattn_cirq.classical_nystrom.qattention_report`)."""
    inst = _check_qattention_run_inputs(inst, lam, eps, bits, phase_bits)
    t_start = time.perf_counter()
    from qattn_cirq.parallel import task_seeds

    seeds = task_seeds(0 if seed is None else seed, 3)  # landmarks, V rows, landmark means
    sim_kw = {"threads": 1, "memory_limit": memory_limit}
    log: List[Tuple[str, int, float]] = []
    say = progress or (lambda msg: None)
    executor = executor or SerialExecutor()

    def run(fn, tasks):
        return executor.map(fn, tasks, progress=task_progress)

    E = kernel_matrix(inst)
    L = landmark_draws_expr(statistical_dimension(inst, lam), delta)
    S, land_info = _qsim_landmarks(E, lam, L, bits, np.random.default_rng(seeds[0]), sim_kw, log, say)
    c_est, mean_info = _qsim_landmark_means(E, S, inst.n, eps, bits, phase_bits, delta, seeds[2], run, log, say)
    rows, p_v, v_info = _qsim_v_rows(inst, eps, bits, np.random.default_rng(seeds[1]), sim_kw, log, say)

    struct = assemble_structure(inst, E, S, c_est, rows, p_v)
    qubits = max(land_info["qubits"], mean_info["qubits"], v_info["qubits"])  # simulate_state checked each circuit's memory
    extra = {
        "algorithm": "qattention",
        "params": {
            "n": inst.n, "d": inst.d, "lam": lam, "eps": eps, "bits": bits, "phase_bits": mean_info["phase_bits"],
            "delta": delta, "seed": seed, "engine": "qsim",
        },
        "mode": "qsim",
        "qubits": qubits,
        "landmark_draws": L,
        "landmark_sampler": land_info,
        "mean_estimation": mean_info,
        "v_sampler": v_info,
        "v_rows": rows.tolist(),
        "bits": bits,
        "seed": seed,
        "circuits": [{"bloq": b, "qubits": w} for b, w, _ in log],
        # The only fields that change between runs with the same inputs (--no-timing drops them).
        "timing": {
            "simulation_seconds": round(time.perf_counter() - t_start, 3),
            "circuit_seconds": [round(t, 3) for _, _, t in log],
            **executor.describe(),
        },
    }
    return qattention_report(inst, lam, eps, struct, extra)


__all__ = [
    "GroverSparseRun",
    "RowResult",
    "SIMULABLE_LOADERS",
    "grover_sparse_attention",
    "integer_threshold",
    "simulate_qattention",
]
