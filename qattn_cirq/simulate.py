"""Bloq -> ``cirq.Circuit`` -> qsim, with ancilla reuse, exact And-dagger and a memory guard.

Why not Qualtran's ``Bloq.to_cirq_circuit``? Two facts of qualtran 0.7 / qsimcirq 0.22, measured
before this module was written:

* it does not reuse ancillas: every ``Allocate`` / ``And`` gets a fresh qubit, so a 9-qubit oracle
  comes out 17 qubits wide, and a state vector doubles in size per wasted qubit;
* qsim rejects the measurement-based And-dagger (an X-basis measurement followed by a classically
  controlled CZ, Gidney arXiv:1709.06648 Fig. 3).

:func:`bloq_to_cirq` therefore compiles a bloq itself. It decomposes *eagerly*: each composite is
walked in the same ``greedy_topological_sort`` order that Qualtran's ``QubitCount`` uses, sub-bloqs
are expanded recursively down to gates that qsim runs natively, and one LIFO pool of ancilla qubits
serves every ``Allocate`` / ``Free`` / ``And`` / ``And-dagger`` in the whole tree. The number of
distinct qubits in the circuit is then the peak number of live wires along that order, which is what
``QubitCount`` computes (tests check width == ``QubitCount``).

``And(cv1, cv2)`` and its adjoint both become one (control-value conjugated) CCX. This is exact, not an
approximation: ``And`` acts on a target in |0>, where CCX writes c1 AND c2; ``And-dagger`` acts on a
target that holds c1 AND c2 (a precondition of the bloq), where CCX writes |0> back. Both are the same
permutation on the states the bloq may legally see. The cost (T-count) conventions are unaffected:
this module only simulates, costs come from :mod:`estimates.counts`.

A bloq with a ``coherent_equivalent()`` method is compiled as that equivalent instead. The
measurement-based uncomputes of :mod:`bloqs.qroam` (Berry et al., arXiv:1902.02134, App. C:
X-basis measurements, resets and classically controlled CZs, which qsim rejects) offer their
deferred-measurement lowering (``QROAMDeferredMeasurementUncompute``: H for the measurement, each
fix-up CZ controlled by the unmeasured qubit instead of by its outcome, H for the reset), with the
same signature and the same action on the computational basis states the uncompute is defined on.
So every gate-level loader (``qrom``, ``qroam``), and the measurement-based row unloads of the
oracle, samplers and mean estimation, run on qsim. The hook is a method looked up by name, not a
type check, because this core module must not import :mod:`bloqs` (the layer rule of
``tests/test_architecture.py``: core <- bloqs).

Memory: a complex64 state vector needs ``8 * 2**qubits`` bytes. :func:`check_memory` refuses (with
:class:`~qattn_cirq.errors.QattnInputError`, one line naming the qubits and the bytes) any circuit whose
state vector would not fit the limit, by default the machine's available memory (``MemAvailable`` in
``/proc/meminfo``).

Seeds: simulation of a circuit without measurements is deterministic; every sampling function takes a
``seed`` and draws from ``numpy.random.default_rng(seed)``, so the same seed gives the same shots.
"""

from __future__ import annotations

import functools
import os
from typing import Dict, Iterable, List, Mapping, Optional, Tuple, Union

import attrs
import cirq
import numpy as np
import qsimcirq
from qsimcirq.qsim_circuit import _has_cirq_gate_kind
from qualtran import (
    Bloq,
    CompositeBloq,
    DecomposeNotImplementedError,
    DecomposeTypeError,
    LeftDangle,
    Register,
    RightDangle,
    Side,
    Signature,
    Soquet,
)
from qualtran._infra.binst_graph_iterators import greedy_topological_sort
from qualtran._infra.composite_bloq import _binst_to_cxns
from qualtran.bloqs.basic_gates import TwoBitCSwap
from qualtran.bloqs.bookkeeping import Allocate, Free
from qualtran.bloqs.bookkeeping._bookkeeping_bloq import _BookkeepingBloq
from qualtran.bloqs.mcmt import And

from qattn_cirq.errors import QattnInputError

BYTES_PER_AMPLITUDE = 8  # complex64, qsim's state-vector precision
# A few more qubits than this and a dense unitary for a leaf gate would be larger than the leaf itself
# is worth; wider leaves must decompose.
_MAX_MATRIX_GATE_QUBITS = 4

QuregT = np.ndarray  # object array of cirq.Qid with shape reg.shape + (reg.bitsize,)


# --------------------------------------------------------------------------------------------------
# Memory guard
# --------------------------------------------------------------------------------------------------
def available_memory_bytes() -> int:
    """Memory the OS says a new process can use: ``MemAvailable`` of /proc/meminfo (else psutil)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:  # pragma: no cover - non-Linux fallback; psutil is optional (not a dependency)
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover
        # Without a way to ask, assume a modest laptop rather than refusing everything.
        return 4 * 2**30


def state_vector_bytes(n_qubits: int) -> int:
    """Bytes of a complex64 state vector on ``n_qubits`` qubits: ``8 * 2**n_qubits``."""
    return BYTES_PER_AMPLITUDE * 2 ** int(n_qubits)


def _fmt_bytes(n: float) -> str:
    if n >= 2.0**1000:  # past float range (1000+ qubits at n = 10^6): a power of two, not an overflow
        return f"2^{int(n).bit_length() - 1} B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"  # pragma: no cover


def memory_limit_bytes(limit_bytes: Optional[int] = None) -> int:
    """The state-vector memory limit: ``limit_bytes``, else ``$QATTN_SIM_MEMORY_LIMIT``, else free RAM."""
    if limit_bytes is not None:
        return int(limit_bytes)
    env = os.environ.get("QATTN_SIM_MEMORY_LIMIT")
    if env:
        try:
            return int(float(env))
        except ValueError:
            raise QattnInputError(
                f"QATTN_SIM_MEMORY_LIMIT must be a number of bytes, got {env!r}"
            ) from None
    return available_memory_bytes()


def check_memory(n_qubits: int, limit_bytes: Optional[int] = None) -> int:
    """Refuse to simulate ``n_qubits`` if its state vector would exceed the memory limit.

    Returns the bytes the state vector needs. Raises :class:`QattnInputError` with a one-line
    message naming the qubits, the memory needed and the limit.
    """
    n_qubits = int(n_qubits)
    if n_qubits < 0:
        raise QattnInputError(f"qubits must be >= 0, got {n_qubits}")
    need = state_vector_bytes(n_qubits)
    limit = memory_limit_bytes(limit_bytes)
    if need > limit:
        raise QattnInputError(
            f"too wide to simulate: {n_qubits} qubits need {_fmt_bytes(need)} for the complex64 state "
            f"vector (8 x 2^{n_qubits} bytes), over the limit of {_fmt_bytes(limit)}"
        )
    return need


# --------------------------------------------------------------------------------------------------
# Compilation
# --------------------------------------------------------------------------------------------------
class _AncillaPool:
    """One LIFO pool of clean ancillas for a whole compilation (the most recently freed is reused).

    A qubit returned by a *dirty* ``Free`` is not known to be |0>, so it is retired, never reused.
    """

    def __init__(self, prefix: str = "anc"):
        self.prefix = prefix
        self.free: List[cirq.Qid] = []
        self.all: List[cirq.Qid] = []
        self.live = 0
        self.peak = 0

    def qalloc(self, n: int) -> List[cirq.Qid]:
        out: List[cirq.Qid] = []
        for _ in range(n):
            if self.free:
                out.append(self.free.pop())
            else:
                q = cirq.NamedQubit(f"{self.prefix}_{len(self.all):03d}")
                self.all.append(q)
                out.append(q)
        self.live += n
        self.peak = max(self.peak, self.live)
        return out

    def qfree(self, qubits: Iterable[cirq.Qid], dirty: bool = False) -> None:
        qs = list(qubits)
        self.live -= len(qs)
        if not dirty:
            # Reverse so that a register freed as a block is re-allocated in the same order.
            self.free.extend(reversed(qs))


def _is_native(op: cirq.Operation) -> bool:
    """True when qsim runs ``op`` itself (no decomposition on qsim's side)."""
    if isinstance(op, cirq.GlobalPhaseGate) or isinstance(getattr(op, "gate", None), cirq.GlobalPhaseGate):
        return True
    if op.gate is None and not isinstance(op, cirq.ControlledOperation):
        return False
    if cirq.is_measurement(op) or cirq.is_parameterized(op):
        return False
    return _has_cirq_gate_kind(op)


@functools.lru_cache(maxsize=4096)
def _decompose_cached(bloq: Bloq) -> Optional[CompositeBloq]:
    """``bloq.decompose_bloq()`` or None when the bloq is atomic (memoised: Grover repeats bloqs)."""
    try:
        return bloq.decompose_bloq()
    except (DecomposeNotImplementedError, DecomposeTypeError):
        return None


def _empty_quregs(regs: Iterable[Register]) -> Dict[str, QuregT]:
    return {reg.name: np.empty(reg.shape + (reg.bitsize,), dtype=object) for reg in regs}


class _Compiler:
    def __init__(self, pool: _AncillaPool):
        self.pool = pool
        self.ops: List[cirq.Operation] = []

    # -- leaves -------------------------------------------------------------------------------------
    def _and(self, bloq: And, quregs: Mapping[str, QuregT]) -> Dict[str, QuregT]:
        c1, c2 = quregs["ctrl"][0][0], quregs["ctrl"][1][0]
        if bloq.uncompute:
            t = quregs["target"][0]
        else:
            (t,) = self.pool.qalloc(1)
        flips = [q for q, cv in ((c1, bloq.cv1), (c2, bloq.cv2)) if not cv]
        self.ops.extend(cirq.X(q) for q in flips)
        self.ops.append(cirq.CCX(c1, c2, t))
        self.ops.extend(cirq.X(q) for q in flips)
        out = {"ctrl": quregs["ctrl"]}
        if bloq.uncompute:
            # Exact: the target held c1 AND c2, so CCX has returned it to |0>.
            self.pool.qfree([t])
        else:
            out["target"] = np.array([t], dtype=object)
        return out

    def emit(self, bloq: Bloq, quregs: Mapping[str, QuregT]) -> Dict[str, QuregT]:
        """Append the gates of ``bloq`` acting on ``quregs`` (its LEFT registers); return RIGHT quregs."""
        if isinstance(bloq, And):
            return self._and(bloq, quregs)
        if isinstance(bloq, Allocate):
            qs = self.pool.qalloc(bloq.dtype.num_qubits)
            return {"reg": np.array(qs, dtype=object)}
        if isinstance(bloq, Free):
            self.pool.qfree(list(np.asarray(quregs["reg"]).flatten()), dirty=bloq.dirty)
            return {}
        if isinstance(bloq, _BookkeepingBloq):
            # Split / Join / Partition / Cast / ...: rewiring only, no gate.
            op, out = bloq.as_cirq_op(self.pool, **quregs)
            if op is not None:
                self.ops.append(op)
            return out
        if isinstance(bloq, TwoBitCSwap):
            self.ops.append(cirq.CSWAP(quregs["ctrl"][0], quregs["x"][0], quregs["y"][0]))
            return dict(quregs)
        lowering = getattr(bloq, "coherent_equivalent", None)
        if callable(lowering):
            # Deferred measurement: a measurement-based uncompute (X-basis measurements and
            # classically controlled CZs, which qsim cannot run) is replaced by its coherent
            # equivalent, a bloq with the same signature and the same action on the computational
            # basis states it is defined on (bloqs.qroam.QROAMDeferredMeasurementUncompute).
            # Costs never come from this export, so the lowering's extra gates are not charged.
            return self.emit(lowering(), quregs)

        all_thru = all(reg.side == Side.THRU for reg in bloq.signature)
        if all_thru:
            op, out = bloq.as_cirq_op(self.pool, **quregs)
            if op is None:
                return out
            if _is_native(op):
                self.ops.append(op)
                return out

        cbloq = _decompose_cached(bloq)
        if cbloq is not None:
            return self.emit_cbloq(cbloq, quregs)

        if all_thru and cirq.num_qubits(op) <= _MAX_MATRIX_GATE_QUBITS and cirq.has_unitary(op):
            # An atomic few-qubit gate qsim does not know: its exact unitary as a MatrixGate.
            self.ops.append(cirq.MatrixGate(cirq.unitary(op)).on(*op.qubits))
            return out
        raise NotImplementedError(
            f"cannot compile {bloq} for qsim: no decomposition and no qsim-native gate"
        )

    def emit_cbloq(self, cbloq: CompositeBloq, quregs: Mapping[str, QuregT]) -> Dict[str, QuregT]:
        """Walk ``cbloq`` in the greedy topological order that Qualtran's ``QubitCount`` uses."""
        graph = cbloq._binst_graph
        qvar: Dict[Soquet, np.ndarray] = {}
        for reg in cbloq.signature.lefts():
            for idx in reg.all_idxs():
                qvar[Soquet(LeftDangle, reg, idx=idx)] = np.asarray(quregs[reg.name])[idx]
        out: Dict[str, QuregT] = _empty_quregs(cbloq.signature.rights())
        for binst in greedy_topological_sort(graph):
            if binst is LeftDangle:
                continue
            pred, succ = _binst_to_cxns(binst, binst_graph=graph)
            if binst is RightDangle:
                for cxn in pred:
                    out[cxn.right.reg.name][cxn.right.idx] = qvar.pop(cxn.left)
                continue
            in_q = _empty_quregs(binst.bloq.signature.lefts())
            for cxn in pred:
                in_q[cxn.right.reg.name][cxn.right.idx] = qvar.pop(cxn.left)
            res = self.emit(binst.bloq, in_q)
            for cxn in succ:
                qvar[cxn.left] = np.asarray(res[cxn.left.reg.name])[cxn.left.idx]
        return out


@attrs.frozen(eq=False)
class CompiledCircuit:
    """A bloq compiled for qsim.

    Attributes:
        bloq: the source bloq.
        circuit: the ``cirq.Circuit`` of qsim-native gates.
        qubit_order: every qubit of the circuit, register qubits first (signature order, big-endian
            within a register as in Qualtran), then ancillas. Basis-state index ``i`` of a state
            vector has qubit ``qubit_order[0]`` as its most significant bit (Cirq's convention).
        in_quregs / out_quregs: LEFT / RIGHT register name -> object array of qubits, shape
            ``reg.shape + (reg.bitsize,)``.
        ancillas: qubits of ``qubit_order`` that are in no RIGHT register: they must end in |0>.
    """

    bloq: Bloq
    circuit: cirq.Circuit
    qubit_order: Tuple[cirq.Qid, ...]
    in_quregs: Dict[str, QuregT]
    out_quregs: Dict[str, QuregT]
    ancillas: Tuple[cirq.Qid, ...]

    @property
    def width(self) -> int:
        """Number of qubits the simulator holds (== Qualtran ``QubitCount`` of the bloq)."""
        return len(self.qubit_order)

    @property
    def qubit_map(self) -> Dict[cirq.Qid, int]:
        """Qubit -> its position in :attr:`qubit_order`."""
        return {q: i for i, q in enumerate(self.qubit_order)}

    def positions(self, register: str, side: str = "out") -> np.ndarray:
        """Positions in :attr:`qubit_order` of a register's qubits (shape + (bitsize,))."""
        quregs = self.out_quregs if side == "out" else self.in_quregs
        if register not in quregs:
            raise QattnInputError(
                f"register must be one of {sorted(quregs)} ({side}), got {register!r}"
            )
        qmap = self.qubit_map
        arr = np.asarray(quregs[register])
        return np.vectorize(qmap.__getitem__, otypes=[int])(arr) if arr.size else arr.astype(int)

    def __iter__(self):
        # Allows ``circuit, qubit_map = bloq_to_cirq(bloq)``.
        return iter((self.circuit, self.qubit_map))


def _named_quregs(regs: Iterable[Register]) -> Dict[str, QuregT]:
    out: Dict[str, QuregT] = {}
    for reg in regs:
        arr = np.empty(reg.shape + (reg.bitsize,), dtype=object)
        for idx in reg.all_idxs():
            suffix = "".join(f"[{i}]" for i in idx)
            for b in range(reg.bitsize):
                arr[idx + (b,)] = cirq.NamedQubit(f"{reg.name}{suffix}_{b:03d}")
        out[reg.name] = arr
    return out


def bloq_to_cirq(bloq: Bloq, *, ancilla_prefix: str = "anc") -> CompiledCircuit:
    """Compile ``bloq`` (concrete sizes) into a qsim-runnable circuit with ancilla reuse.

    The project's bloq -> Cirq export, and the path to use for simulation: Qualtran's own
    ``to_cirq_circuit`` keeps the measurement-based And-dagger (a classically controlled CZ, which
    qsim rejects) and gives every ancilla a fresh qubit (docs/simulation.md, "Which path", has the
    measured widths). Here the circuit has only qsim-native gates, no measurement, and as many
    qubits as Qualtran's ``QubitCount`` of the bloq. See the module docstring for the method. A
    measurement-based construction is compiled as its ``coherent_equivalent()`` where the bloq
    offers one (the select-swap QROAM's uncompute, ``bloqs.qroam``); one without (Qualtran's
    ``QROAMClean`` adjoint, which has no decomposition) raises ``NotImplementedError``.

    Example: two in-place adders in a row (``b <- b + 2a mod 8``), run on qsim.

    >>> import cirq
    >>> from qualtran import BloqBuilder, QUInt, Register
    >>> from qualtran.bloqs.arithmetic import Add
    >>> from qualtran.resource_counting import QubitCount, get_cost_value
    >>> bb = BloqBuilder()
    >>> a, b = bb.add_register(Register("a", QUInt(3))), bb.add_register(Register("b", QUInt(3)))
    >>> for _ in range(2):
    ...     a, b = bb.add(Add(QUInt(3)), a=a, b=b)
    >>> twice = bb.finalize(a=a, b=b)
    >>> compiled = bloq_to_cirq(twice)
    >>> compiled.width, int(get_cost_value(twice, QubitCount()))
    (8, 8)
    >>> state = simulate_state(compiled, {"a": 3, "b": 1})  # qsimcirq.QSimSimulator
    >>> int(register_probabilities(compiled, state, "b").argmax()), ancilla_weight(compiled, state) < 1e-6
    (7, True)

    Qualtran's export of the same bloq, flattened to gates: two more qubits (the second adder's
    And ancillas are fresh ones) and classically controlled CZs that qsim refuses to parse.

    >>> theirs = cirq.Circuit(cirq.decompose(twice.to_cirq_circuit()))
    >>> len(theirs.all_qubits()), any(isinstance(op, cirq.ClassicallyControlledOperation) for op in theirs.all_operations())
    (10, True)
    """
    if any(reg.is_symbolic() for reg in bloq.signature):
        raise QattnInputError(f"bloq to simulate must have concrete sizes, got {bloq}")
    pool = _AncillaPool(ancilla_prefix)
    comp = _Compiler(pool)
    in_quregs = _named_quregs(bloq.signature.lefts())
    if isinstance(bloq, CompositeBloq):
        out_quregs = comp.emit_cbloq(bloq, in_quregs)
    else:
        out_quregs = comp.emit(bloq, in_quregs)
    circuit = cirq.Circuit(comp.ops)

    reg_qubits: List[cirq.Qid] = []
    for quregs in (in_quregs, out_quregs):
        for arr in quregs.values():
            for q in np.asarray(arr).flatten():
                if q not in reg_qubits:
                    reg_qubits.append(q)
    seen = set(reg_qubits)
    used_anc = [q for q in pool.all if q not in seen]
    # Qubits that appear in the circuit but were never in a register or the pool cannot exist,
    # unless a leaf allocated on its own: keep them visible rather than dropping them silently.
    extra = sorted(set(circuit.all_qubits()) - seen - set(pool.all))
    order = tuple(reg_qubits + used_anc + extra)
    out_set = {q for arr in out_quregs.values() for q in np.asarray(arr).flatten()}
    ancillas = tuple(q for q in order if q not in out_set)
    return CompiledCircuit(
        bloq=bloq,
        circuit=circuit,
        qubit_order=order,
        in_quregs=in_quregs,
        out_quregs=out_quregs,
        ancillas=ancillas,
    )


# --------------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------------
def _reg_of(signature: Signature, name: str, side: str) -> Register:
    regs = list(signature.lefts() if side == "in" else signature.rights())
    for reg in regs:
        if reg.name == name:
            return reg
    raise QattnInputError(f"register must be one of {[r.name for r in regs]}, got {name!r}")


def basis_index(compiled: CompiledCircuit, register_values: Optional[Mapping[str, object]] = None) -> int:
    """Computational-basis index (in :attr:`CompiledCircuit.qubit_order`) of LEFT register values.

    Registers not given start at 0; ancillas start at |0>. Values follow each register's Qualtran
    dtype (two's complement for ``QInt``), big-endian within the register.
    """
    register_values = dict(register_values or {})
    n = compiled.width
    bits = np.zeros(n, dtype=np.uint8)
    qmap = compiled.qubit_map
    for name, val in register_values.items():
        reg = _reg_of(compiled.bloq.signature, name, "in")
        vals = np.asarray(val, dtype=object).reshape(reg.shape) if reg.shape else None
        for idx in reg.all_idxs():
            v = vals[idx] if reg.shape else val
            try:
                b = reg.dtype.to_bits(int(v))
            except Exception as exc:  # qualtran raises plain ValueError/AssertionError
                raise QattnInputError(
                    f"value {v!r} does not fit register {name!r} of dtype {reg.dtype}"
                ) from exc
            for q, bit in zip(np.asarray(compiled.in_quregs[name])[idx], b):
                bits[qmap[q]] = bit
    return int("".join(map(str, bits)) or "0", 2)


def default_threads() -> int:
    """qsim threads: ``$QATTN_SIM_THREADS``, else the cores not already busy (1-min load), >= 1.

    Results do not depend on the thread count, only speed does. On a shared machine extra threads
    only contend: measured on 2 busy cores (load ~9) at 20-21 qubits, 1 thread ran our oracle
    circuits 3-4x faster than cirq.Simulator while 2 threads ran them slower than it.
    """
    env = os.environ.get("QATTN_SIM_THREADS")
    if env:
        try:
            t = int(env)
        except ValueError:
            raise QattnInputError(f"QATTN_SIM_THREADS must be an integer >= 1, got {env!r}") from None
        if t < 1:
            raise QattnInputError(f"QATTN_SIM_THREADS must be an integer >= 1, got {env!r}")
        return t
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        busy = os.getloadavg()[0]
    except OSError:  # pragma: no cover - platforms without a load average
        busy = 0.0
    return max(1, int(cores - busy + 0.5))


def _make_simulator(engine: str, threads: Optional[int], max_fused_gate_size: int, seed: Optional[int]):
    if engine == "qsim":
        opts = qsimcirq.QSimOptions(
            max_fused_gate_size=max_fused_gate_size,
            cpu_threads=threads or default_threads(),
        )
        return qsimcirq.QSimSimulator(qsim_options=opts, seed=seed)
    if engine == "cirq":
        return cirq.Simulator(dtype=np.complex64, seed=seed)
    raise QattnInputError(f"engine must be 'qsim' or 'cirq', got {engine!r}")


def simulate_state(
    compiled: CompiledCircuit,
    register_values: Optional[Mapping[str, object]] = None,
    *,
    initial_state: Union[int, np.ndarray, None] = None,
    engine: str = "qsim",
    seed: Optional[int] = None,
    memory_limit: Optional[int] = None,
    threads: Optional[int] = None,
    max_fused_gate_size: int = 3,
) -> np.ndarray:
    """Final state vector (complex64, order :attr:`CompiledCircuit.qubit_order`).

    Start from the basis state of ``register_values`` (or an explicit ``initial_state`` index /
    vector). ``engine='qsim'`` (default) runs qsimcirq; ``'cirq'`` is cirq's own simulator, for
    cross-checks. The memory guard runs first. ``seed`` is passed to the simulator (the circuits have
    no measurement, so results do not depend on it, but it is kept for reproducibility of any
    future noisy run).
    """
    check_memory(compiled.width, memory_limit)
    if initial_state is not None and register_values:
        raise QattnInputError("give either register_values or initial_state, not both")
    init = basis_index(compiled, register_values) if initial_state is None else initial_state
    if isinstance(init, np.ndarray):
        init = init.astype(np.complex64)
    sim = _make_simulator(engine, threads, max_fused_gate_size, seed)
    res = sim.simulate(compiled.circuit, qubit_order=list(compiled.qubit_order), initial_state=init)
    return np.asarray(res.final_state_vector, dtype=np.complex64)


def register_probabilities(compiled: CompiledCircuit, state: np.ndarray, register: str, *more: str) -> np.ndarray:
    """Marginal probabilities of the values of one (unshaped) RIGHT register, indexed by raw value;
    with ``more`` registers, the joint marginal of all of them.

    Index ``v`` is the unsigned big-endian bit pattern of the register (for ``QInt`` apply the
    dtype's ``from_bits`` to interpret it). For several registers the bit patterns are
    concatenated in the order given (the first register in the most significant bits), so
    ``reshape(2**b1, 2**b2, ...)`` gives one axis per register.
    """
    pos: List[int] = []
    for name in (register, *more):
        p = compiled.positions(name, "out")
        if p.ndim != 1:
            raise QattnInputError(f"register {name!r} is shaped; marginals need an unshaped register")
        pos.extend(p.tolist())
    n = compiled.width
    probs = np.abs(np.asarray(state, dtype=np.complex128)) ** 2
    probs = probs.reshape((2,) * n)
    keep = set(pos)
    others = tuple(i for i in range(n) if i not in keep)
    marg = probs.sum(axis=others) if others else probs
    # ``marg`` axes are the registers' positions in increasing order; put them in register order.
    sorted_pos = sorted(pos)
    marg = np.transpose(marg, [sorted_pos.index(p) for p in pos])
    return marg.reshape(-1)


def ancilla_weight(compiled: CompiledCircuit, state: np.ndarray) -> float:
    """Probability that some ancilla is *not* |0> (0 for a correctly uncomputed circuit)."""
    if not compiled.ancillas:
        return 0.0
    qmap = compiled.qubit_map
    n = compiled.width
    probs = (np.abs(np.asarray(state, dtype=np.complex128)) ** 2).reshape((2,) * n)
    idx = [slice(None)] * n
    for q in compiled.ancillas:
        idx[qmap[q]] = 0
    return float(max(0.0, 1.0 - probs[tuple(idx)].sum()))


def sample(
    compiled: CompiledCircuit,
    register: str,
    shots: int,
    seed: Optional[int] = None,
    *,
    state: Optional[np.ndarray] = None,
    register_values: Optional[Mapping[str, object]] = None,
    **simulate_kwargs,
) -> np.ndarray:
    """Measure ``register`` ``shots`` times in the computational basis; returns raw register values.

    The state is simulated once (or taken from ``state``) and all shots are drawn from its exact
    marginal with ``numpy.random.default_rng(seed)``: measuring only at the end of a
    measurement-free circuit, this is the same distribution as re-running the circuit per shot.
    """
    if int(shots) < 1:
        raise QattnInputError(f"shots must be >= 1, got {shots}")
    if state is None:
        state = simulate_state(compiled, register_values, seed=seed, **simulate_kwargs)
    p = register_probabilities(compiled, state, register)
    p = p / p.sum()
    rng = np.random.default_rng(seed)
    return rng.choice(len(p), size=int(shots), p=p)


def circuit_width(compiled_or_circuit: Union[CompiledCircuit, cirq.AbstractCircuit]) -> int:
    """Distinct qubits a simulator must hold."""
    if isinstance(compiled_or_circuit, CompiledCircuit):
        return compiled_or_circuit.width
    return len(compiled_or_circuit.all_qubits())


__all__ = [
    "BYTES_PER_AMPLITUDE",
    "CompiledCircuit",
    "ancilla_weight",
    "available_memory_bytes",
    "basis_index",
    "bloq_to_cirq",
    "check_memory",
    "circuit_width",
    "default_threads",
    "memory_limit_bytes",
    "register_probabilities",
    "sample",
    "simulate_state",
    "state_vector_bytes",
]
