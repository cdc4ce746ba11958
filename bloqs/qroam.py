r"""Clean select-swap QROAM and the measurement-based uncompute of a table lookup.

Berry, Gidney, Motta, McClean, Babbush, "Qubitization of arbitrary basis quantum chemistry
leveraging sparsity and low rank factorization", arXiv:1902.02134:

* :class:`QROAMRowLoader` -- App. B, the clean select-swap QROAM behind the row-loader interface
  of :mod:`bloqs.loaders` (``row ^= K[selection]``): a QROM over ``ceil(n/K)`` batches into K clean
  registers, a swap network of :class:`ExactCSwap` on the low k bits, a CNOT copy into ``row``, then
  the App. C uncompute. Toffoli-class count ``ceil(n/K) + b d (K - 1) + ceil(n/K') + K' - 6``
  (:func:`qroam_toffoli_count`), block sizes from :func:`optimal_qroam_log_block_sizes`.
* :class:`QROAMMeasurementUncompute` -- App. C: X-basis measurement of the looked-up registers and
  a phase fix-up lookup, ``ceil(n/K') + K' - 4`` And; :class:`QROAMDeferredMeasurementUncompute`
  is its deferred-measurement equivalent for qsim (not costed), :class:`QROAMCoherentUncompute`
  a narrower alternative (the compute run backwards).
* :class:`RowUnload` -- App. C with a compute block of one register: returns a row loaded by any
  gate-level loader to |0> for ``ceil(n/K') + K' - 4`` And instead of a second load
  (block size :func:`unload_log_block_size`).
"""

import hashlib
import math
from functools import cached_property
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import attrs
import cirq
import numpy as np
import sympy
from qualtran import (
    Bloq,
    BloqBuilder,
    BloqDocSpec,
    BQUInt,
    DecomposeTypeError,
    GateWithRegisters,
    QAny,
    QBit,
    QInt,
    QUInt,
    Register,
    Side,
    Signature,
    SoquetT,
    bloq_example,
)
from qualtran.bloqs.arithmetic import Xor
from qualtran.bloqs.basic_gates import CNOT, CZ, Hadamard, Toffoli, XGate
from qualtran.bloqs.bookkeeping import Cast
from qualtran.bloqs.data_loading.qrom import QROM
from qualtran.bloqs.mcmt import And
from qualtran.bloqs.multiplexers.unary_iteration_bloq import UnaryIterationGate
from qualtran.resource_counting import QECGatesCost, QubitCount, get_cost_value
from qualtran.resource_counting.generalizers import ignore_alloc_free, ignore_split_join
from qualtran.symbolics import ceil, is_symbolic, log2, smax

from bloqs.catalog import BOOKKEEPING
from bloqs.loaders import RowLoader, convert_data, selection_bitsize, validate_data, validate_sizes
from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]


# ----------------------------------------------------------------------------------------------
# Block sizes and the swap network (App. B)
# ----------------------------------------------------------------------------------------------
def qroam_toffoli_count(n, width, log_block_size, uncompute_log_block_size):
    r"""Toffoli-class count of ``QROAMRowLoader`` (And + Toffoli; And-dagger is free).

    With K = 2^k, K' = 2^k', M = ceil(n / K), W = b d:

        compute  (Berry et al. App. B):  (M - 2) And [QROM over M batches]  +  W (K - 1) Toffoli
                                          [exact controlled swaps]
        copy:                             0 (W CNOTs)
        uncompute (App. C, measurement):  (ceil(n / K') - 2) + (K' - 2) And

    i.e. ``ceil(n/K) + W (K - 1) + ceil(n/K') + K' - 6``. Valid for 2^k < n and 2 <= K' < n.
    """
    K = 2**log_block_size
    Ku = 2**uncompute_log_block_size
    return (ceil(n / K) - 2) + width * (K - 1) + (ceil(n / Ku) - 2) + (Ku - 2)


def optimal_qroam_log_block_sizes(n: int, width: int) -> Tuple[int, int]:
    """(k, k') minimising ``qroam_toffoli_count`` over all valid integer block sizes.

    The compute part ``ceil(n/K) + W (K - 1)`` and the uncompute part ``ceil(n/K') + K'`` are
    independent, so each is minimised by a scan over k (at most log2 n values). Ties go to the
    smaller block (fewer qubits).
    """
    ks = [k for k in range(0, max(1, (n - 1).bit_length())) if 2**k < n]
    kus = [k for k in ks if k >= 1]
    k = min(ks, key=lambda k: (math.ceil(n / 2**k) + width * (2**k - 1), k))
    ku = min(kus, key=lambda k: (math.ceil(n / 2**k) + 2**k, k))
    return k, ku


def _symbolic_log_block_sizes(n, width):
    # Continuous optimum of n/K + W(K-1): K = sqrt(n/W); of n/K' + K': K' = sqrt(n). Rounded up,
    # this is not always the integer optimum, so a symbolic QROAM cost is an upper bound at some
    # n; concrete estimates (estimates.formulas.grover_sparse_estimate) build the loader at
    # concrete n and so use optimal_qroam_log_block_sizes (a scan of <= log2 n values).
    return ceil(log2(n / width) / 2), ceil(log2(n) / 2)


def _swap_schedule(k: int):
    """Swap network moving register ``j`` (j = low k bits of the index) to register 0.

    For t = 0 .. k-1, controlled on bit t of j: swap registers r and r + 2^t for every r that is a
    multiple of 2^(t+1); after level t, register m 2^(t+1) holds the original register
    m 2^(t+1) + (j mod 2^(t+1)). K - 1 controlled swaps in all. Yields (t, r, r + 2^t).
    """
    K = 2**k
    for t in range(k):
        for r in range(0, K, 2 ** (t + 1)):
            yield t, r, r + 2**t


@attrs.frozen
class ExactCSwap(Bloq):
    r"""Controlled swap of two ``bitsize``-bit registers, exactly (no relative phase).

    Per bit: CNOT(y -> x), Toffoli(ctrl, x -> y), CNOT(y -> x): one Toffoli per bit. Qualtran's
    ``SwapWithZero`` uses ``CSwapApprox`` (correct only up to a relative phase that its own adjoint
    removes); after a *measurement-based* uncompute that phase would stay on the selection state,
    so the clean QROAM here uses exact swaps. Cost: ``bitsize`` Toffoli, ``2 bitsize`` CNOT.

    Args:
        bitsize: width of each swapped register (int >= 1 or symbol).

    Registers:
        ctrl: QBit, THRU (the control).
        x: QAny(bitsize), THRU; swapped with ``y`` iff ``ctrl`` = 1.
        y: QAny(bitsize), THRU.
    """

    bitsize: SymbolicInt

    def __attrs_post_init__(self):
        if not is_symbolic(self.bitsize) and (not isinstance(self.bitsize, (int, np.integer)) or self.bitsize < 1):
            raise QattnInputError(f"bitsize must be an integer >= 1, got {self.bitsize!r}")

    @cached_property
    def signature(self) -> Signature:
        return Signature.build(ctrl=1, x=self.bitsize, y=self.bitsize)

    def build_composite_bloq(self, bb: BloqBuilder, ctrl, x, y) -> Dict[str, SoquetT]:
        if is_symbolic(self.bitsize):
            raise DecomposeTypeError(f"{self}: symbolic bitsize")
        xs, ys = bb.split(x), bb.split(y)
        for i in range(int(self.bitsize)):
            ys[i], xs[i] = bb.add(CNOT(), ctrl=ys[i], target=xs[i])
            (ctrl, xs[i]), ys[i] = bb.add(Toffoli(), ctrl=[ctrl, xs[i]], target=ys[i])
            ys[i], xs[i] = bb.add(CNOT(), ctrl=ys[i], target=xs[i])
        return {"ctrl": ctrl, "x": bb.join(xs), "y": bb.join(ys)}

    def build_call_graph(self, ssa):
        return {Toffoli(): self.bitsize, CNOT(): 2 * self.bitsize}

    def on_classical_vals(self, ctrl, x, y) -> Dict[str, Any]:
        return {"ctrl": ctrl, "x": y, "y": x} if ctrl else {"ctrl": ctrl, "x": x, "y": y}

    def adjoint(self) -> "ExactCSwap":
        return self


# ----------------------------------------------------------------------------------------------
# Measurement-based uncompute of a lookup (Berry et al. 2019, arXiv:1902.02134, App. C)
# ----------------------------------------------------------------------------------------------
@attrs.frozen
class _MeasureXAndReset(GateWithRegisters):
    """Leaf: measure each qubit of ``q`` in the X basis (H, measure into ``keys[i]``), then reset.

    A Qualtran leaf (its Cirq decomposition has measurements, which Qualtran bloqs cannot hold);
    the reset returns the freed qubits to |0> for the qubit manager. The ``anchor`` register (the
    selection, untouched) orders this op before the classically controlled fix-up in the Cirq
    circuit (Cirq cannot see measurement keys hidden inside undecomposed ops).
    """

    keys: Tuple[str, ...]
    anchor_bits: int = 1

    @cached_property
    def signature(self) -> Signature:
        return Signature(
            [
                Register("anchor", QAny(self.anchor_bits)),
                Register("q", QAny(len(self.keys)), side=Side.LEFT),
            ]
        )

    def decompose_bloq(self):
        raise DecomposeTypeError("measurement leaf: decomposes in Cirq only")

    def decompose_from_registers(self, *, context, anchor, q) -> Iterator[cirq.OP_TREE]:
        for qb, key in zip(q, self.keys):
            yield cirq.H(qb)
            yield cirq.measure(qb, key=key)
            yield cirq.reset(qb)

    def build_call_graph(self, ssa):
        return {Hadamard(): len(self.keys)}

    def on_classical_vals(self, anchor, q) -> Dict[str, Any]:
        return {"anchor": anchor}

    def __str__(self):
        return f"MeasureX+Reset({len(self.keys)})"


@attrs.frozen
class _ClassicallyControlledCZs(GateWithRegisters):
    """Leaf: ``CZ(control, onehot[j])`` classically controlled on measurement ``key`` per pair."""

    block: int
    pairs: Tuple[Tuple[int, str], ...]

    @cached_property
    def signature(self) -> Signature:
        return Signature([Register("control", QBit()), Register("onehot", QAny(self.block))])

    def decompose_bloq(self):
        raise DecomposeTypeError("classically controlled leaf: decomposes in Cirq only")

    def decompose_from_registers(self, *, context, control, onehot) -> Iterator[cirq.OP_TREE]:
        for j, key in self.pairs:
            yield cirq.CZ(control[0], onehot[j]).with_classical_controls(key)

    def build_call_graph(self, ssa):
        return {CZ(): len(self.pairs)} if self.pairs else {}

    def __str__(self):
        return f"ClassicallyControlledCZs({len(self.pairs)})"


@attrs.frozen
class _PhaseFixupIteration(UnaryIterationGate):  # type: ignore[misc]
    """Unary iteration over the high part h of l = h K' + j applying (-1)^{m . D[l]} via the
    one-hot register of j (Berry et al. App. C): for every j and every measured bit q with
    D[hK'+j]_q = 1, a CZ(flag_h, onehot_j) classically controlled on m_q."""

    n: int
    sel_bits: int
    block: int
    table: Tuple[Tuple[int, ...], ...]  # table[l] = indices q with D[l]_q = 1
    keys: Tuple[str, ...]

    @cached_property
    def control_registers(self) -> Tuple[Register, ...]:
        return ()

    @cached_property
    def selection_registers(self) -> Tuple[Register, ...]:
        return (Register("selection", BQUInt(self.sel_bits, -(-self.n // self.block))),)

    @cached_property
    def target_registers(self) -> Tuple[Register, ...]:
        return (Register("onehot", QAny(self.block)),)

    def _czs(self, h: int) -> _ClassicallyControlledCZs:
        pairs = []
        for j in range(self.block):
            l = h * self.block + j
            if l < self.n:
                pairs += [(j, self.keys[q]) for q in self.table[l]]
        return _ClassicallyControlledCZs(self.block, tuple(pairs))

    def nth_operation(self, context, control, selection, onehot) -> cirq.OP_TREE:
        return self._czs(selection).on_registers(control=control, onehot=onehot)

    def nth_operation_callgraph(self, selection):
        return {(self._czs(selection), 1)}


def _one_hot_encode(bb: BloqBuilder, low: List[Any], ku: int) -> List[Any]:
    """One-hot encode the k' bits ``low`` (big-endian: ``low[ku-1-t]`` has weight 2^t) into K' = 2^k'
    fresh qubits (K' - 2 And), step 2 of :meth:`QROAMMeasurementUncompute.build_composite_bloq` and of
    its deferred-measurement lowering; ``low`` is updated in place. Returns the K' one-hot qubits."""
    Ku = 2**ku
    oh: List[Any] = [bb.allocate(1), bb.allocate(1)] + [None] * (Ku - 2)
    oh[0] = bb.add(XGate(), q=oh[0])
    low[ku - 1], oh[1] = bb.add(CNOT(), ctrl=low[ku - 1], target=oh[1])
    oh[1], oh[0] = bb.add(CNOT(), ctrl=oh[1], target=oh[0])
    for t in range(1, ku):
        bit = ku - 1 - t
        for j in range(2**t):
            (oh[j], low[bit]), oh[j + 2**t] = bb.add(And(), ctrl=np.array([oh[j], low[bit]]))
            oh[j + 2**t], oh[j] = bb.add(CNOT(), ctrl=oh[j + 2**t], target=oh[j])
    return oh


def _one_hot_decode(bb: BloqBuilder, low: List[Any], oh: List[Any], ku: int) -> None:
    """Inverse of :func:`_one_hot_encode` (And-dagger), freeing the one-hot qubits."""
    for t in reversed(range(1, ku)):
        bit = ku - 1 - t
        for j in reversed(range(2**t)):
            oh[j + 2**t], oh[j] = bb.add(CNOT(), ctrl=oh[j + 2**t], target=oh[j])
            oh[j], low[bit] = bb.add(And().adjoint(), ctrl=np.array([oh[j], low[bit]]), target=oh[j + 2**t])
    oh[1], oh[0] = bb.add(CNOT(), ctrl=oh[1], target=oh[0])
    low[ku - 1], oh[1] = bb.add(CNOT(), ctrl=low[ku - 1], target=oh[1])
    oh[0] = bb.add(XGate(), q=oh[0])
    bb.free(oh[0])
    bb.free(oh[1])


@attrs.frozen
class QROAMMeasurementUncompute(Bloq):
    r"""Uncompute the K x d registers of a clean QROAM by measurement (Berry et al. App. C).

    The registers hold D[l] (K b d bits, a known function of the selection l). Measuring them in
    the X basis gives outcomes m and leaves the phase (-1)^{m . D[l]} on |l>; we undo it with a
    phase lookup over l = h K' + j (K' = 2^k'): a one-hot encoding of j into K' qubits (K' - 2
    And; its uncompute is And-dagger, free), a unary iteration over the ceil(n/K') values of h
    (ceil(n/K') - 2 And; Babbush et al. 2018) whose flag applies CZ(flag, onehot_j) classically
    controlled on each m_q with D[l]_q = 1 (Cliffords). Toffoli-class count:
    ``ceil(n/K') + K' - 4`` (the formula of Qualtran's ``QROAMCleanAdjoint``, which has no
    decomposition; this one decomposes to Clifford + And + measurement in Cirq). 2 <= K' < n.

    Measurement keys (:attr:`measurement_keys`) are a function of the bloq's fields, so the
    decomposition is the same every time it is built.

    Args:
        n: number of table rows (>= 3).
        d: entries per row.
        bits: entry width b.
        log_block_size: k of the compute (the uncomputed registers are K = 2^k rows of d entries).
        uncompute_log_block_size: k' of the phase fix-up lookup (2 <= 2^k' < n).
        data: the signed n x d table (concrete), or None for cost only (sizes may be symbols).

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        regs: QAny(bits) of shape (K, d), LEFT: must hold the looked-up block; consumed, returned |0>.
    """

    n: SymbolicInt
    d: SymbolicInt
    bits: SymbolicInt
    log_block_size: SymbolicInt  # k of the compute (K = 2^k registers)
    uncompute_log_block_size: SymbolicInt  # k' of this phase lookup
    data: Optional[Tuple[Tuple[int, ...], ...]] = None  # signed n x d, None for cost only

    @cached_property
    def measurement_keys(self) -> Tuple[str, ...]:
        """One Cirq measurement key per register qubit (registers row-major, bits big-endian).

        ``qroam_mbu_<tag>_<i>``, i the qubit's position in ``regs`` and ``<tag>`` a digest of
        (n, d, bits, k, k', data): a function of this bloq alone, so decomposing it twice gives
        equal composite bloqs, and two uncomputes that differ in any field never share a key. The
        same bloq at two places of one circuit measures into the same keys; that is sound in Cirq,
        which places a re-measurement of a key after every classically controlled operation that
        reads the earlier outcome, and here each fix-up follows its own measurement in the
        sequential order (both act through the selection register).
        """
        if self.data is None or is_symbolic(self.n, self.d, self.bits, self.log_block_size):
            raise DecomposeTypeError(f"{self}: no data (cost only), no measurements")
        fields = (int(self.n), int(self.d), int(self.bits), int(self.log_block_size),
                  int(self.uncompute_log_block_size), tuple(tuple(int(v) for v in r) for r in self.data))
        tag = hashlib.sha256(repr(fields).encode()).hexdigest()[:12]
        width = 2 ** int(self.log_block_size) * int(self.d) * int(self.bits)
        return tuple(f"qroam_mbu_{tag}_{i}" for i in range(width))

    @cached_property
    def phase_fixup(self) -> "_PhaseFixupIteration":
        """The unary iteration over the high selection bits that applies the phase fix-up."""
        n, s, ku = int(self.n), int(self.sel_bits), int(self.uncompute_log_block_size)
        return _PhaseFixupIteration(n, s - ku, 2**ku, self.table, self.measurement_keys)

    @cached_property
    def sel_bits(self) -> SymbolicInt:
        return selection_bitsize(self.n)

    @cached_property
    def signature(self) -> Signature:
        return Signature(
            [
                Register("selection", BQUInt(self.sel_bits, self.n)),
                Register("regs", QAny(self.bits), shape=(2**self.log_block_size, self.d), side=Side.LEFT),
            ]
        )

    def register_contents(self, l: int) -> np.ndarray:
        """Unsigned contents (K, d) of the QROAM registers after the compute, selection l."""
        k, n, b = int(self.log_block_size), int(self.n), int(self.bits)
        K = 2**k
        data = np.array(self.data, dtype=np.int64) % (1 << b)
        h, j = divmod(l, K)
        regs = np.zeros((K, int(self.d)), dtype=np.int64)
        for r in range(K):
            if h * K + r < n:
                regs[r] = data[h * K + r]
        for t, r0, r1 in _swap_schedule(k):
            if (j >> t) & 1:
                regs[[r0, r1]] = regs[[r1, r0]]
        return regs

    @cached_property
    def table(self) -> Tuple[Tuple[int, ...], ...]:
        """table[l] = positions of the 1-bits of D[l] (registers row-major, bits big-endian)."""
        dt = QUInt(int(self.bits))
        rows = []
        for l in range(int(self.n)):
            bits = [bit for v in self.register_contents(l).reshape(-1) for bit in dt.to_bits(int(v))]
            rows.append(tuple(i for i, bit in enumerate(bits) if bit))
        return tuple(rows)

    def toffoli_count(self) -> SymbolicInt:
        Ku = 2**self.uncompute_log_block_size
        return (ceil(self.n / Ku) - 2) + (Ku - 2)

    def build_composite_bloq(self, bb: BloqBuilder, selection, regs) -> Dict[str, SoquetT]:
        if self.data is None:
            raise DecomposeTypeError(f"{self}: no data (cost only)")
        s, ku = int(self.sel_bits), int(self.uncompute_log_block_size)
        # 1. X-basis measurement of every register qubit (one key per qubit, in register order).
        qs = [q for soq in np.asarray(regs).reshape(-1) for q in bb.split(soq)]
        selection = bb.add(Cast(self.signature.get_left("selection").dtype, QAny(s)), reg=selection)
        selection = bb.add(
            _MeasureXAndReset(self.measurement_keys, s), anchor=selection, q=bb.join(np.array(qs))
        )
        # 2. One-hot encode the low k' selection bits into K' qubits. Level t = 0 needs no And:
        #    oh[1] = bit0, oh[0] = NOT bit0; level t >= 1 splits each of the 2^t live one-hot
        #    qubits with an And on bit t (K' - 2 And in total; _one_hot_encode).
        sel = bb.split(selection)  # big-endian
        low = list(sel[s - ku:])  # low[ku-1-t] has weight 2^t
        oh = _one_hot_encode(bb, low, ku)
        # 3. Phase fix-up by unary iteration over the high bits.
        it = self.phase_fixup
        high = bb.join(np.array(sel[: s - ku]), dtype=it.selection_registers[0].dtype)
        high, ohr = bb.add(it, selection=high, onehot=bb.join(np.array(oh)))
        sel[: s - ku] = bb.split(high)
        # 4. Uncompute the one-hot register (And-dagger: measurement based, no T).
        _one_hot_decode(bb, low, list(bb.split(ohr)), ku)
        sel[s - ku:] = low
        return {"selection": bb.join(np.array(sel), dtype=self.signature.get_left("selection").dtype)}

    def build_call_graph(self, ssa):
        Ku = 2**self.uncompute_log_block_size
        M = ceil(self.n / Ku)
        W = 2**self.log_block_size * self.d * self.bits
        if self.data is not None:
            # Exactly the decomposition's leaves (qualtran.testing's count check compares them):
            # the keyed X-basis measurement (its own call graph: W Hadamards), the one-hot
            # encoding and its And-dagger uncompute (K' - 2 of each, none for K' = 2), and the
            # keyed phase fix-up iteration. Same gate totals as listing W Hadamards here.
            counts = {_MeasureXAndReset(self.measurement_keys, int(self.sel_bits)): 1, XGate(): 2,
                      CNOT(): 2 * (Ku - 1) + 2, self.phase_fixup: 1}
            if Ku > 2:
                counts.update({And(): Ku - 2, And().adjoint(): Ku - 2})
            return counts
        # Cost only: the unary iteration's M - 2 And (Babbush et al. 2018); the classically
        # controlled fix-up CZs (Clifford, data and outcome dependent) are not listed.
        return {Hadamard(): W, XGate(): 2, CNOT(): 2 * (Ku - 1) + 2 + 2 * (M - 2),
                And(): (Ku - 2) + (M - 2), And().adjoint(): (Ku - 2) + (M - 2)}

    def on_classical_vals(self, selection, regs) -> Dict[str, Any]:
        if not np.array_equal(np.asarray(regs), self.register_contents(int(selection))):
            raise ValueError(f"{self}: registers do not hold the looked-up data; cannot uncompute")
        return {"selection": selection}

    def coherent_equivalent(self) -> "QROAMDeferredMeasurementUncompute":
        """The deferred-measurement lowering used by the qsim export (same signature and basis action)."""
        if self.data is None:
            raise DecomposeTypeError(f"{self}: no data (cost only)")
        return QROAMDeferredMeasurementUncompute(
            int(self.n), int(self.d), int(self.bits), int(self.log_block_size),
            int(self.uncompute_log_block_size), self.data,
        )

    def __str__(self):
        return f"QROAMMeasurementUncompute(k'={self.uncompute_log_block_size})"


def unload_log_block_size(n: SymbolicInt) -> SymbolicInt:
    r"""k' minimising the measurement-based unload ``ceil(n/K') + K' - 4`` And (K' = 2^k').

    Concrete n (>= 3): a scan of the <= log2 n admissible values (2 <= K' < n), ties to the smaller
    block; symbolic n: ``floor(log2(n)/2)`` (K' ~ sqrt(n)), the argmin at every power of two
    (at n = 2^(2j+1) both j and j + 1 tie, and the scan's tie rule takes j), an upper bound on
    the searched optimum's cost at other n.
    """
    if is_symbolic(n):
        return sympy.floor(log2(n) / 2)
    n = int(n)
    if n < 3:
        raise QattnInputError(f"a measurement-based unload needs n >= 3 rows (2 <= K' < n), got n={n}")
    kus = [k for k in range(1, (n - 1).bit_length()) if 2**k < n]
    return min(kus, key=lambda k: (math.ceil(n / 2**k) + 2**k, k))


@attrs.frozen
class QROAMCoherentUncompute(Bloq):
    r"""The coherent (measurement-free) equivalent of :class:`QROAMMeasurementUncompute`, for simulation.

    Same signature and the same action on every computational basis state the uncompute is defined
    on (registers holding the looked-up data): the compute run backwards -- the swap network in
    reverse order (``ExactCSwap`` is self-inverse), then the XOR-in QROM over the batches, which
    returns every register to |0>. An alternative to the export's deferred-measurement lowering
    (:class:`QROAMDeferredMeasurementUncompute`, which keeps the costed circuit's fix-ups): never
    wider than the compute, but it does not run the App. C construction at all. It is
    *not* the costed construction (it costs a second lookup: ``ceil(n/K) - 2`` And plus
    ``b d (K - 1)`` Toffoli instead of ``ceil(n/K') + K' - 4`` And). ``estimates`` never call it.

    Args:
        n, d, bits: the table's shape and entry width (concrete ints).
        log_block_size: k of the compute whose K = 2^k registers are uncomputed.
        data: the signed n x d table.

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        regs: QAny(bits) of shape (K, d), LEFT: must hold the looked-up block; returned |0> and freed.
    """

    n: int
    d: int
    bits: int
    log_block_size: int
    data: Tuple[Tuple[int, ...], ...]

    @cached_property
    def sel_bits(self) -> int:
        return int(selection_bitsize(self.n))

    @cached_property
    def signature(self) -> Signature:
        return Signature(
            [
                Register("selection", BQUInt(self.sel_bits, self.n)),
                Register("regs", QAny(self.bits), shape=(2**self.log_block_size, self.d), side=Side.LEFT),
            ]
        )

    @cached_property
    def batch_qrom(self) -> QROM:
        K = 2 ** int(self.log_block_size)
        M = -(-int(self.n) // K)
        padded = np.zeros((M * K, self.d), dtype=np.int64)
        padded[: self.n] = np.array(self.data, dtype=np.int64) % (1 << self.bits)
        return QROM.build_from_data(
            padded.reshape(M, K, self.d), target_bitsizes=(self.bits,), target_shapes=((K, self.d),)
        )

    def build_composite_bloq(self, bb: BloqBuilder, selection, regs) -> Dict[str, SoquetT]:
        k, s, b, d = int(self.log_block_size), self.sel_bits, int(self.bits), int(self.d)
        sel_dtype = self.signature.get_left("selection").dtype
        regs = np.array(regs)
        sel = bb.split(bb.add(Cast(sel_dtype, QAny(s)), reg=selection))
        for t, r0, r1 in reversed(list(_swap_schedule(k))):
            for i in range(d):
                sel[s - 1 - t], regs[r0, i], regs[r1, i] = bb.add(
                    ExactCSwap(b), ctrl=sel[s - 1 - t], x=regs[r0, i], y=regs[r1, i]
                )
        if s - k > 0:
            qrom_sel_dtype = self.batch_qrom.selection_registers[0].dtype
            high = bb.join(np.array(sel[: s - k]), dtype=qrom_sel_dtype)
            high, regs = bb.add(self.batch_qrom, selection=high, target0_=regs)
            sel[: s - k] = bb.split(high)
        else:  # one batch: the registers hold the whole table, XOR it out with X gates
            for idx in np.ndindex(regs.shape):
                v = int(self.batch_qrom.data[0][(0,) + idx])
                qs = bb.split(regs[idx])
                for j, bit in enumerate(QUInt(b).to_bits(v)):
                    if bit:
                        qs[j] = bb.add(XGate(), q=qs[j])
                regs[idx] = bb.join(qs)
        for r in np.asarray(regs).reshape(-1):
            bb.free(r)
        return {"selection": bb.add(Cast(QAny(s), sel_dtype), reg=bb.join(sel))}

    def build_call_graph(self, ssa):
        k, s, b, d = int(self.log_block_size), self.sel_bits, int(self.bits), int(self.d)
        counts: Dict[Bloq, int] = {}
        if k > 0:
            counts[ExactCSwap(b)] = d * (2**k - 1)
        if s - k > 0:
            counts[self.batch_qrom] = 1
        else:  # one X per 1-bit of the table (the decomposition's branch for a single batch)
            ones = sum(bin(int(v)).count("1") for v in np.asarray(self.batch_qrom.data[0]).reshape(-1))
            if ones:
                counts[XGate()] = ones
        return counts

    def __str__(self):
        return f"QROAMCoherentUncompute(k={self.log_block_size})"


# ----------------------------------------------------------------------------------------------
# Deferred-measurement lowering of the App. C uncompute (for qsim; not costed)
# ----------------------------------------------------------------------------------------------
@attrs.frozen
class _DeferredPhaseFixupIteration(UnaryIterationGate):  # type: ignore[misc]
    """:class:`_PhaseFixupIteration` with the measurement outcomes kept as qubits ``m``: each
    ``CZ(flag_h, onehot_j)`` classically controlled on outcome m_q becomes ``CCZ(m_q, flag_h,
    onehot_j)`` (deferred measurement: a classically controlled gate after a measurement equals the
    quantum-controlled gate before it; Nielsen and Chuang, Sec. 4.4)."""

    n: int
    sel_bits: int
    block: int
    table: Tuple[Tuple[int, ...], ...]  # table[l] = indices q with D[l]_q = 1
    width: int  # qubits of m (= K b d)

    @cached_property
    def control_registers(self) -> Tuple[Register, ...]:
        return ()

    @cached_property
    def selection_registers(self) -> Tuple[Register, ...]:
        return (Register("selection", BQUInt(self.sel_bits, -(-self.n // self.block))),)

    @cached_property
    def target_registers(self) -> Tuple[Register, ...]:
        return (Register("onehot", QAny(self.block)), Register("m", QAny(self.width)))

    def _pairs(self, h: int) -> List[Tuple[int, int]]:
        return [(j, q) for j in range(self.block) if h * self.block + j < self.n
                for q in self.table[h * self.block + j]]

    def nth_operation(self, context, control, selection, onehot, m) -> cirq.OP_TREE:
        return [cirq.CCZ(control, onehot[j], m[q]) for j, q in self._pairs(selection)]

    def nth_operation_callgraph(self, selection):
        from qualtran.cirq_interop import CirqGateAsBloq

        count = len(self._pairs(selection))
        return {(CirqGateAsBloq(cirq.CCZ), count)} if count else set()


@attrs.frozen
class QROAMDeferredMeasurementUncompute(Bloq):
    r"""The deferred-measurement lowering of :class:`QROAMMeasurementUncompute`, for simulation.

    qsim has no mid-circuit measurement followed by classically controlled gates, so each
    measure-and-fix-up step of Berry et al. (arXiv:1902.02134, App. C) is replaced by its coherent
    equivalent (the principle of deferred measurement, Nielsen and Chuang, Sec. 4.4):

    1. ``H`` on every register qubit, no measurement: the would-be outcomes m stay in the register,
       the state is :math:`\sum_m (-1)^{m \cdot D[l]} |m\rangle |l\rangle / 2^{W/2}`;
    2. the same one-hot encoding of the low k' selection bits (K' - 2 And);
    3. the same unary iteration over the high bits, its classically controlled
       ``CZ(flag_h, onehot_j)`` on m_q now ``CCZ(m_q, flag_h, onehot_j)``
       (:class:`_DeferredPhaseFixupIteration`): the phase becomes :math:`(-1)^{2 m \cdot D[l]} = 1`
       and the register holds :math:`|+\rangle^{\otimes W}`;
    4. the one-hot decode (And-dagger);
    5. ``H`` again instead of the reset: the register is back in |0> and freed.

    On every basis state the uncompute is defined on (registers holding ``D[selection]``) this is
    the measured circuit's action with the outcomes summed over coherently: the same unitary on
    that subspace, and it exercises the costed circuit's fix-up table, one-hot encoding and unary
    iteration gate for gate (tests compare it with the measured circuit on cirq's simulator). It is
    not costed (``estimates`` never call it): the fix-ups become CCZs and the W register qubits
    stay live through steps 2-4 (the measured version frees them after step 1), so a circuit using
    it can be up to ``K' + k - k'`` qubits wider than the ``QubitCount`` of the costed bloq.
    :class:`QROAMCoherentUncompute` (the compute run backwards) is the narrower alternative.

    Args:
        n, d, bits: the table's shape and entry width.
        log_block_size: k of the compute (K = 2^k registers to uncompute).
        uncompute_log_block_size: k' of the phase lookup (K' = 2^k', 2 <= K' < n).
        data: the signed n x d table (concrete).

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        regs: QAny(bits) of shape (K, d), LEFT: must hold the looked-up data; returned |0>.
    """

    n: int
    d: int
    bits: int
    log_block_size: int
    uncompute_log_block_size: int
    data: Tuple[Tuple[int, ...], ...]

    @cached_property
    def measured(self) -> QROAMMeasurementUncompute:
        """The costed construction this lowers (its fix-up ``table`` and signature are reused)."""
        return QROAMMeasurementUncompute(
            self.n, self.d, self.bits, self.log_block_size, self.uncompute_log_block_size, self.data
        )

    @cached_property
    def signature(self) -> Signature:
        return self.measured.signature

    @cached_property
    def phase_fixup(self) -> _DeferredPhaseFixupIteration:
        s, ku = int(self.measured.sel_bits), int(self.uncompute_log_block_size)
        width = 2 ** int(self.log_block_size) * int(self.d) * int(self.bits)
        return _DeferredPhaseFixupIteration(int(self.n), s - ku, 2**ku, self.measured.table, width)

    def build_composite_bloq(self, bb: BloqBuilder, selection, regs) -> Dict[str, SoquetT]:
        s, ku = int(self.measured.sel_bits), int(self.uncompute_log_block_size)
        sel_dtype = self.signature.get_left("selection").dtype
        qs = [bb.add(Hadamard(), q=q) for soq in np.asarray(regs).reshape(-1) for q in bb.split(soq)]
        sel = bb.split(bb.add(Cast(sel_dtype, QAny(s)), reg=selection))
        low = list(sel[s - ku:])
        oh = _one_hot_encode(bb, low, ku)
        it = self.phase_fixup
        high = bb.join(np.array(sel[: s - ku]), dtype=it.selection_registers[0].dtype)
        high, ohr, m = bb.add(it, selection=high, onehot=bb.join(np.array(oh)), m=bb.join(np.array(qs)))
        sel[: s - ku] = bb.split(high)
        _one_hot_decode(bb, low, list(bb.split(ohr)), ku)
        for q in bb.split(m):
            bb.free(bb.add(Hadamard(), q=q))
        sel[s - ku:] = low
        return {"selection": bb.join(np.array(sel), dtype=sel_dtype)}

    def build_call_graph(self, ssa):
        # What build_composite_bloq adds (bookkeeping aside): 2 W Hadamards, the one-hot encode /
        # decode (2 X, 2 (K' - 1) + 2 CNOT, K' - 2 And and as many And-dagger) and the fix-up.
        Ku = 2 ** int(self.uncompute_log_block_size)
        W = 2 ** int(self.log_block_size) * int(self.d) * int(self.bits)
        counts = {Hadamard(): 2 * W, XGate(): 2, CNOT(): 2 * (Ku - 1) + 2,
                  And(): Ku - 2, And().adjoint(): Ku - 2, self.phase_fixup: 1}
        return {b: c for b, c in counts.items() if c}

    def on_classical_vals(self, selection, regs) -> Dict[str, Any]:
        return self.measured.on_classical_vals(selection, regs)

    def __str__(self):
        return f"QROAMDeferredMeasurementUncompute(k={self.log_block_size}, k'={self.uncompute_log_block_size})"


@attrs.frozen
class RowUnload(Bloq):
    r"""Uncompute a loaded row by measurement: ``row`` (holding ``K[selection]``) is returned to |0>.

    The uncompute of a table lookup need not be a second lookup (Berry, Gidney, Motta, McClean,
    Babbush, arXiv:1902.02134, App. C; Qualtran's ``QROAMCleanAdjoint``): measure the b d row
    qubits in the X basis (outcomes m), which leaves the phase :math:`(-1)^{m\cdot K[j]}` on
    :math:`|j\rangle`, and undo it with a *phase* lookup over j = h K' + l: a one-hot encoding of
    the low k' bits into K' = 2^k' qubits (K' - 2 And) and a unary iteration over the
    ceil(n/K') values of h (ceil(n/K') - 2 And) whose flags fire CZs classically controlled on m.
    It is :class:`QROAMMeasurementUncompute` with a compute block of K = 1 register.

    Cost: **ceil(n/K') + K' - 4 And** (T = 4 x that), minimised at K' ~ sqrt(n)
    (:func:`unload_log_block_size`): 2 sqrt(n) - 4 And for n = 4^j, against n - 2 And for
    reloading by QROM (``4 n - 8`` T). This is the best-known construction (ratio 1 to Berry et
    al.'s ``ceil(n/K') + K'`` bound). Requires n >= 3. For qsim, ``qattn_cirq.simulate`` lowers it
    to :class:`QROAMDeferredMeasurementUncompute` (deferred measurement, same action on the
    computational basis); the costed circuit is this one.

    Args:
        n, d, bits: the table's shape and entry width (as the row loaders).
        data: the n x d signed table (concrete) or None (cost only, possibly symbolic).
        uncompute_log_block_size: k', or None for :func:`unload_log_block_size`.

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        row: QInt(bits) of shape (d,), LEFT: must hold ``K[selection]``; consumed (returned |0>).
    """

    n: SymbolicInt
    d: SymbolicInt
    bits: SymbolicInt
    data: Optional[Tuple[Tuple[int, ...], ...]] = attrs.field(default=None, converter=convert_data)
    uncompute_log_block_size: Optional[SymbolicInt] = None

    def __attrs_post_init__(self):
        validate_sizes(self.n, self.d, self.bits, n_min=3)
        validate_data(self.data, self.n, self.d, self.bits)

    @cached_property
    def ku(self) -> SymbolicInt:
        if self.uncompute_log_block_size is not None:
            return self.uncompute_log_block_size
        return unload_log_block_size(self.n)

    @cached_property
    def measurement_uncompute(self) -> QROAMMeasurementUncompute:
        return QROAMMeasurementUncompute(self.n, self.d, self.bits, 0, self.ku, self.data)

    @cached_property
    def signature(self) -> Signature:
        return Signature(
            [
                Register("selection", BQUInt(selection_bitsize(self.n), self.n)),
                Register("row", QInt(self.bits), shape=(self.d,), side=Side.LEFT),
            ]
        )

    def toffoli_count(self) -> SymbolicInt:
        return self.measurement_uncompute.toffoli_count()

    def build_composite_bloq(self, bb: BloqBuilder, selection, row) -> Dict[str, SoquetT]:
        if self.data is None:
            raise DecomposeTypeError(f"{self}: no data, nothing to decompose (cost-only)")
        d, b = int(self.d), int(self.bits)
        regs = np.empty((1, d), dtype=object)
        for i in range(d):
            regs[0, i] = bb.add(Cast(QInt(b), QAny(b)), reg=np.asarray(row)[i])
        selection = bb.add(self.measurement_uncompute, selection=selection, regs=regs)
        return {"selection": selection}

    def build_call_graph(self, ssa):
        return {self.measurement_uncompute: 1}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            # selection + row (measured first) + K' one-hot qubits + the unary iteration's
            # (s - k') - 1 ancillas; the row is freed before the one-hot register exists, but a
            # greedy sweep may not reuse it, so count both (an upper bound by b d at most).
            s = selection_bitsize(self.n)
            return s + self.bits * self.d + 2**self.ku + (s - self.ku) - 1
        return NotImplemented

    def on_classical_vals(self, selection, row) -> Dict[str, Any]:
        if self.data is None:
            raise NotImplementedError(f"{self} has no data: no classical action")
        want = np.array(self.data[int(selection)], dtype=np.int64)
        if not np.array_equal(np.asarray(row).reshape(-1), want):
            raise ValueError(f"{self}: row does not hold K[{int(selection)}]; cannot unload")
        return {"selection": selection}

    def __str__(self):
        return f"RowUnload(n={self.n}, k'={self.ku})"


def unload_beats_reload(lookup: Bloq, unload: Optional[Bloq]) -> bool:
    """Use the measurement-based ``unload`` instead of running ``lookup`` again? Always for symbolic
    sizes (``ceil(n/K') + K' - 4 <= n - 2`` And); with concrete data only if it is not dearer than
    the reload (Qualtran's QROM skips repeated entries, so a very regular table can reload cheaper)."""
    if unload is None:
        return False
    t = lambda b: get_cost_value(b, QECGatesCost()).total_t_count()  # noqa: E731
    tu, tl = t(unload), t(lookup)
    if is_symbolic(tu, tl):
        return True
    return int(tu) <= int(tl)


# ----------------------------------------------------------------------------------------------
# The clean select-swap QROAM row loader (App. B + C)
# ----------------------------------------------------------------------------------------------
@attrs.frozen
class QROAMRowLoader(RowLoader):
    r"""Load row ``K[j]`` by clean select-swap QROAM: ``row ^= K[selection]``.

    Construction (Berry, Gidney, Motta, McClean, Babbush, "Qubitization of arbitrary basis quantum
    chemistry leveraging sparsity and low rank factorization", arXiv:1902.02134):

    1. App. B, clean QROAM: split ``j = h K + l`` with K = 2^k; a QROM (unary iteration) over the
       M = ceil(n/K) values of h writes the K rows of block h into K clean registers of
       ``W = b d`` bits ((M - 2) And), then a swap network controlled by the k low bits moves row
       j into register 0 (``W (K - 1)`` exact controlled swaps, one Toffoli per bit: see
       ``ExactCSwap`` for why not Qualtran's phase-approximate swaps).
    2. ``W`` CNOTs copy register 0 into ``row`` (this keeps the XOR-in interface).
    3. App. C, measurement-based uncompute of the K registers with its own block size K' = 2^k'
       (``QROAMMeasurementUncompute``): ``ceil(n/K') + K' - 4`` And.

    Total Toffoli-class count (``qroam_toffoli_count``)::

        ceil(n/K) + b d (K - 1) + ceil(n/K') + K' - 6,     T = 4 x that.

    The block sizes are explicit parameters; by default ``optimal_qroam_log_block_sizes`` picks the
    integers minimising this count for the given n and b d (for symbolic n: ``k = ceil(log2(n/(bd))
    / 2)``, ``k' = ceil(log2(n) / 2)``, the continuous optima rounded up). Requires n >= 3,
    2^k < n and 2 <= 2^k' < n. Concrete data may make the QROM part cheaper (variable spacing).
    The uncompute measures, so Qualtran's Cirq circuit has mid-circuit measurements and classically
    controlled CZs, which qsim rejects: ``qattn_cirq.simulate.bloq_to_cirq`` compiles it with the
    deferred-measurement lowering (:class:`QROAMDeferredMeasurementUncompute`) for qsim.

    Args:
        n, d, bits, data: as ``QROMRowLoader``.
        log_block_size: k (compute block size K = 2^k), or None for the optimum.
        uncompute_log_block_size: k' (uncompute block size), or None for the optimum.

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        row: QInt(bits) of shape (d,), THRU; ``row ^= K[selection]``.
    """

    log_block_size: Optional[SymbolicInt] = None
    uncompute_log_block_size: Optional[SymbolicInt] = None

    _n_min = 3

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        k, ku = self.block_sizes_log
        if not is_symbolic(self.n, k):
            if not isinstance(k, (int, np.integer)) or k < 0 or 2**k >= self.n:
                raise QattnInputError(
                    f"log_block_size must be an integer k >= 0 with 2^k < n={self.n}, got {k!r}"
                )
        if not is_symbolic(self.n, ku):
            if not isinstance(ku, (int, np.integer)) or ku < 1 or 2**ku >= self.n:
                raise QattnInputError(
                    f"uncompute_log_block_size must be an integer k' >= 1 with 2^k' < n={self.n}, got {ku!r}"
                )

    @cached_property
    def block_sizes_log(self) -> Tuple[SymbolicInt, SymbolicInt]:
        """(k, k'): the compute and uncompute log block sizes actually used."""
        if is_symbolic(self.n, self.d, self.bits):
            dk, dku = _symbolic_log_block_sizes(self.n, self.bits * self.d)
        else:
            dk, dku = optimal_qroam_log_block_sizes(int(self.n), int(self.bits * self.d))
        k = dk if self.log_block_size is None else self.log_block_size
        ku = dku if self.uncompute_log_block_size is None else self.uncompute_log_block_size
        return k, ku

    @cached_property
    def n_batches(self) -> SymbolicInt:
        return ceil(self.n / 2 ** self.block_sizes_log[0])

    @cached_property
    def qrom(self) -> QROM:
        """QROM over the M = ceil(n/K) batches; target K x d registers of b bits."""
        k, _ = self.block_sizes_log
        K, M = 2**k, self.n_batches
        if self.data is not None:
            K, M = int(K), int(M)
            padded = np.zeros((M * K, self.d), dtype=np.int64)
            padded[: self.n] = self.unsigned_data
            return QROM.build_from_data(
                padded.reshape(M, K, self.d), target_bitsizes=(self.bits,), target_shapes=((K, self.d),)
            )
        return QROM.build_from_bitsize(
            (M,), (self.bits,), target_shapes=((K, self.d),),
            selection_bitsizes=(self.selection_bitsize - k,),
        )

    @cached_property
    def uncompute(self) -> QROAMMeasurementUncompute:
        k, ku = self.block_sizes_log
        return QROAMMeasurementUncompute(self.n, self.d, self.bits, k, ku, self.data)

    def toffoli_count(self) -> SymbolicInt:
        k, ku = self.block_sizes_log
        return qroam_toffoli_count(self.n, self.bits * self.d, k, ku)

    def build_composite_bloq(self, bb: BloqBuilder, selection, row) -> Dict[str, SoquetT]:
        if self.data is None:
            raise DecomposeTypeError(f"{self}: no data, nothing to decompose (cost-only)")
        k = int(self.block_sizes_log[0])
        K, s, b, d = 2**k, int(self.selection_bitsize), int(self.bits), int(self.d)
        sel_dtype = self.signature.get_left("selection").dtype
        regs = np.empty((K, d), dtype=object)
        for idx in np.ndindex(K, d):
            regs[idx] = bb.allocate(dtype=QAny(b))
        # 1a. QROM over the high selection bits writes block h into the K registers.
        sel = bb.split(bb.add(Cast(sel_dtype, QAny(s)), reg=selection))
        qrom_sel_dtype = self.qrom.selection_registers[0].dtype
        high = bb.join(np.array(sel[: s - k]), dtype=qrom_sel_dtype)
        high, regs = bb.add(self.qrom, selection=high, target0_=regs)
        sel[: s - k] = bb.split(high)
        # 1b. Swap network on the low k bits (bit t of j is sel[s-1-t]).
        for t, r0, r1 in _swap_schedule(k):
            for i in range(d):
                sel[s - 1 - t], regs[r0, i], regs[r1, i] = bb.add(
                    ExactCSwap(b), ctrl=sel[s - 1 - t], x=regs[r0, i], y=regs[r1, i]
                )
        selection = bb.add(Cast(QAny(s), sel_dtype), reg=bb.join(sel))
        # 2. Copy register 0 into row (XOR).
        row = self._cast_row(bb, row, to_unsigned=True)
        for i in range(d):
            regs[0, i], row[i] = bb.add(Xor(QAny(b)), x=regs[0, i], y=row[i])
        # 3. Measurement-based uncompute of all K x d registers.
        selection = bb.add(self.uncompute, selection=selection, regs=regs)
        return {"selection": selection, "row": self._cast_row(bb, row, to_unsigned=False)}

    def build_call_graph(self, ssa):
        K = 2 ** self.block_sizes_log[0]
        counts = {self.qrom: 1, Xor(QAny(self.bits)): self.d, self.uncompute: 1}
        if is_symbolic(K) or K > 1:
            counts[ExactCSwap(self.bits)] = self.d * (K - 1)
        return counts

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            k, ku = self.block_sizes_log
            s, W = self.selection_bitsize, self.bits * self.d
            # Peak of the compute: selection + row + K registers of W bits + the QROM's (s - k) - 1
            # unary-iteration ancillas. Peak of the uncompute (registers already measured):
            # selection + row + K' one-hot qubits + (s - k') - 1 unary-iteration ancillas.
            compute = s + W + 2**k * W + (s - k) - 1
            uncompute = s + W + 2**ku + (s - ku) - 1
            return smax(compute, uncompute)
        return NotImplemented



# ----------------------------------------------------------------------------------------------
# Examples and doc specs
# ----------------------------------------------------------------------------------------------
@bloq_example(generalizer=BOOKKEEPING)
def _qroam_row_loader() -> QROAMRowLoader:
    qroam_row_loader = QROAMRowLoader.from_data(
        [[1, -2], [0, 1], [-1, -1], [1, 0], [-2, 1], [0, 0], [1, 1], [-2, -2]], bits=2
    )
    return qroam_row_loader


@bloq_example
def _qroam_row_loader_symb() -> QROAMRowLoader:
    n, d, b = sympy.symbols("n d b", positive=True, integer=True)
    qroam_row_loader_symb = QROAMRowLoader(n=n, d=d, bits=b)
    return qroam_row_loader_symb


@bloq_example(generalizer=BOOKKEEPING)
def _exact_cswap() -> ExactCSwap:
    exact_cswap = ExactCSwap(3)
    return exact_cswap


@bloq_example(generalizer=BOOKKEEPING)
def _qroam_deferred_measurement_uncompute() -> QROAMDeferredMeasurementUncompute:
    qroam_deferred_measurement_uncompute = QROAMDeferredMeasurementUncompute(
        n=5, d=1, bits=2, log_block_size=1, uncompute_log_block_size=1,
        data=((1,), (-2,), (0,), (-1,), (1,)),
    )
    return qroam_deferred_measurement_uncompute


@bloq_example(generalizer=BOOKKEEPING)
def _qroam_measurement_uncompute() -> QROAMMeasurementUncompute:
    qroam_measurement_uncompute = QROAMMeasurementUncompute(
        n=5, d=1, bits=2, log_block_size=1, uncompute_log_block_size=1,
        data=((1,), (-2,), (0,), (-1,), (1,)),
    )
    return qroam_measurement_uncompute


@bloq_example(generalizer=BOOKKEEPING)
def _qroam_coherent_uncompute() -> QROAMCoherentUncompute:
    qroam_coherent_uncompute = QROAMCoherentUncompute(
        n=5, d=1, bits=2, log_block_size=1, data=((1,), (-2,), (0,), (-1,), (1,))
    )
    return qroam_coherent_uncompute


@bloq_example(generalizer=BOOKKEEPING)
def _row_unload() -> RowUnload:
    row_unload = RowUnload(n=5, d=2, bits=2, data=((1, -2), (0, 1), (-1, -1), (1, 0), (-2, 1)))
    return row_unload


@bloq_example
def _row_unload_symb() -> RowUnload:
    n, d, b = sympy.symbols("n d b", positive=True, integer=True)
    row_unload_symb = RowUnload(n=n, d=d, bits=b)
    return row_unload_symb


_QROAM_COHERENT_UNCOMPUTE_DOC = BloqDocSpec(bloq_cls=QROAMCoherentUncompute, examples=[_qroam_coherent_uncompute])
_ROW_UNLOAD_DOC = BloqDocSpec(bloq_cls=RowUnload, examples=[_row_unload, _row_unload_symb])
_EXACT_CSWAP_DOC = BloqDocSpec(
    bloq_cls=ExactCSwap,
    import_line="from bloqs.qroam import ExactCSwap",
    examples=[_exact_cswap],
)
_QROAM_MEASUREMENT_UNCOMPUTE_DOC = BloqDocSpec(
    bloq_cls=QROAMMeasurementUncompute,
    import_line="from bloqs.qroam import QROAMMeasurementUncompute",
    examples=[_qroam_measurement_uncompute],
)
_QROAM_DEFERRED_MEASUREMENT_UNCOMPUTE_DOC = BloqDocSpec(
    bloq_cls=QROAMDeferredMeasurementUncompute,
    import_line="from bloqs.qroam import QROAMDeferredMeasurementUncompute",
    examples=[_qroam_deferred_measurement_uncompute],
)
_QROAM_ROW_LOADER_DOC = BloqDocSpec(
    bloq_cls=QROAMRowLoader,
    import_line="from bloqs.qroam import QROAMRowLoader",
    examples=[_qroam_row_loader, _qroam_row_loader_symb],
)
