r"""Row loaders: XOR row ``j`` of a classical matrix ``K`` (n x d, b-bit signed) into a register.

All three loaders have the same signature and semantics, so the oracle above them can swap one for
another by name (``make_row_loader(kind, ...)``, ``kind in LOADER_KINDS``)::

    selection : BQUInt(ceil(log2 n), n)   THRU   index j (n need not be a power of two)
    row       : QInt(bits), shape (d,)    THRU   row ^= K[j]   (bitwise XOR of two's complement)

Because the data is XOR-ed in, every loader is its own inverse: the uncompute of a load is the same
bloq applied again (``adjoint()`` returns ``self``).  Entries are b-bit two's complement integers in
``[-2^(b-1), 2^(b-1) - 1]``; they are stored as ``x mod 2^b`` because Qualtran's ``XorK`` refuses
negative constants (QUALTRAN_NOTES).

* ``QROMRowLoader`` -- unary-iteration QROM, Babbush et al. 2018 (arXiv:1805.03662, Sec. III.A and
  Fig. 1): ``n - 2`` And gates, i.e. ``4n - 8`` T, plus ``<= n b d`` CNOTs.
* ``QROAMRowLoader`` -- clean select-swap QROAM, Berry et al. 2019 (arXiv:1902.02134, App. B for the
  lookup, App. C for the measurement-based uncompute): compute into clean targets, CNOT-copy into
  ``row``, uncompute by X-basis measurement plus a phase fix-up lookup.
* ``AssumedQRAMRowLoader`` -- a *cost model*, not a circuit: the papers' QRAM with polylog(n) access
  (bucket brigade, Giovannetti, Lloyd, Maccone, PRL 100, 160501 (2008), arXiv:0708.1879).
"""



import itertools
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
from qualtran.bloqs.mcmt import And
from qualtran.bloqs.multiplexers.unary_iteration_bloq import UnaryIterationGate
from qualtran.bloqs.bookkeeping import Cast
from qualtran.bloqs.data_loading.qrom import QROM
from qualtran.symbolics import bit_length, ceil, is_symbolic, log2, smax

from bloqs.loader_kinds import LOADER_KINDS
from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]


# ----------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------
def selection_bitsize(n: SymbolicInt) -> SymbolicInt:
    """ceil(log2 n) qubits index n rows (the same expression Qualtran's QROM uses)."""
    return bit_length(n - 1)


def _to_signed(x: int, bits: int) -> int:
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >> (bits - 1) else x


def _validate_sizes(n, d, bits, *, n_min: int = 2) -> None:
    if not is_symbolic(n) and (not isinstance(n, (int, np.integer)) or n < n_min):
        raise QattnInputError(f"n must be an integer >= {n_min} (number of rows), got {n!r}")
    if not is_symbolic(d) and (not isinstance(d, (int, np.integer)) or d < 1):
        raise QattnInputError(f"d must be an integer >= 1 (row length), got {d!r}")
    if not is_symbolic(bits) and (not isinstance(bits, (int, np.integer)) or bits < 2):
        raise QattnInputError(f"bits must be an integer >= 2 (two's complement width), got {bits!r}")


def _convert_data(data: Any) -> Optional[Tuple[Tuple[int, ...], ...]]:
    if data is None:
        return None
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise QattnInputError(f"data must be an n x d integer array, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.asarray(arr, dtype=float) == np.round(np.asarray(arr, dtype=float))):
            raise QattnInputError("data must hold integers (quantized fixed-point entries)")
    return tuple(tuple(int(v) for v in row) for row in arr.tolist())


def _validate_data(data, n, d, bits) -> None:
    if data is None:
        return
    if is_symbolic(n, d, bits):
        raise QattnInputError("data given together with symbolic n, d or bits: pass concrete sizes")
    if len(data) != n or any(len(r) != d for r in data):
        raise QattnInputError(f"data must have shape (n, d) = ({n}, {d})")
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    for row in data:
        for v in row:
            if not lo <= v <= hi:
                raise QattnInputError(
                    f"data entry {v} does not fit in bits={bits} two's complement [{lo}, {hi}]"
                )


@attrs.frozen
class _RowLoaderBase(Bloq):
    """Common fields, signature, validation and classical action of the row loaders."""

    n: SymbolicInt
    d: SymbolicInt
    bits: SymbolicInt
    data: Optional[Tuple[Tuple[int, ...], ...]] = attrs.field(default=None, converter=_convert_data)

    _n_min = 2

    def __attrs_post_init__(self):
        _validate_sizes(self.n, self.d, self.bits, n_min=self._n_min)
        _validate_data(self.data, self.n, self.d, self.bits)

    @classmethod
    def from_data(cls, data, bits: int, **kwargs) -> "_RowLoaderBase":
        """Build from an n x d array of b-bit signed ints."""
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise QattnInputError(f"data must be an n x d integer array, got shape {arr.shape}")
        return cls(n=int(arr.shape[0]), d=int(arr.shape[1]), bits=bits, data=arr, **kwargs)

    @cached_property
    def selection_bitsize(self) -> SymbolicInt:
        return selection_bitsize(self.n)

    @cached_property
    def signature(self) -> Signature:
        return Signature(
            [
                Register("selection", BQUInt(self.selection_bitsize, self.n)),
                Register("row", QInt(self.bits), shape=(self.d,)),
            ]
        )

    def has_data(self) -> bool:
        return self.data is not None

    @cached_property
    def unsigned_data(self) -> np.ndarray:
        """The data as ``x mod 2^b`` (the bit patterns that are XOR-ed in), shape (n, d)."""
        if self.data is None:
            raise DecomposeTypeError(f"{self} has no data (cost-only loader)")
        return np.array(self.data, dtype=np.int64) % (1 << self.bits)

    def on_classical_vals(self, selection, row) -> Dict[str, Any]:
        if self.data is None:
            raise NotImplementedError(f"{self} has no data: no classical action")
        sel = int(selection)
        new = [
            _to_signed(int(r) ^ int(u), self.bits)
            for r, u in zip(np.asarray(row).reshape(-1), self.unsigned_data[sel])
        ]
        return {"selection": selection, "row": np.array(new, dtype=np.int64)}

    def adjoint(self) -> "Bloq":
        # XOR-in: applying the load twice is the identity.
        return self

    def _cast_row(self, bb: BloqBuilder, row, to_unsigned: bool):
        """Reinterpret each QInt(b) entry as QUInt(b) (or back): free, keeps classical sim exact.

        Qualtran's QROM / Xor act on raw bit patterns; without the cast the classical simulator
        would put an unsigned pattern (e.g. 254) into a signed register.
        """
        signed, unsigned = QInt(self.bits), QUInt(self.bits)
        cast = Cast(signed, unsigned) if to_unsigned else Cast(unsigned, signed)
        row = np.array(row)
        for i in range(self.d):
            row[i] = bb.add(cast, reg=row[i])
        return row

    def _data_columns(self):
        return [self.unsigned_data[:, i] for i in range(self.d)]

    def __str__(self) -> str:
        return f"{type(self).__name__}(n={self.n}, d={self.d}, b={self.bits})"


# ----------------------------------------------------------------------------------------------
# QROM
# ----------------------------------------------------------------------------------------------
@attrs.frozen
class QROMRowLoader(_RowLoaderBase):
    r"""Load row ``K[j]`` by unary-iteration QROM: ``row ^= K[selection]``.

    Construction: Babbush et al., "Encoding electronic spectra in quantum circuits with linear T
    complexity", arXiv:1805.03662, Sec. III.A and Fig. 1 (unary iteration), wrapped around
    Qualtran's ``QROM`` with one shaped target ``(d,)`` of b bits.

    Cost (uncontrolled, n >= 2): ``n - 2`` And gates and ``n - 2`` And-dagger (measurement based,
    0 T), i.e. **T = 4n - 8**, plus at most ``n b d`` CNOTs (one per 1-bit of the stored data).
    With concrete data Qualtran applies the variable-spaced optimisation (Babbush et al. 2020,
    arXiv:2007.07391 Fig. 3): an aligned block of identical consecutive rows is loaded once, so the
    concrete count can be *lower* than 4n - 8; the symbolic / cost-only count is 4n - 8.
    Qubits: ``b d + 2 ceil(log2 n) - 1`` (selection, row, unary-iteration ancillas).

    Args:
        n: number of rows (>= 2; need not be a power of two).
        d: entries per row (>= 1).
        bits: two's complement width b of each entry (>= 2).
        data: n x d signed ints in [-2^(b-1), 2^(b-1)-1], or None for a cost-only (possibly
            symbolic) loader.

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        row: QInt(bits) of shape (d,), THRU; ``row ^= K[selection]``.
    """

    @cached_property
    def qrom(self) -> QROM:
        if self.data is not None:
            return QROM.build_from_data(
                self.unsigned_data, target_bitsizes=(self.bits,), target_shapes=((self.d,),)
            )
        return QROM.build_from_bitsize(
            (self.n,), (self.bits,), target_shapes=((self.d,),),
            selection_bitsizes=(self.selection_bitsize,),
        )

    def build_composite_bloq(self, bb: BloqBuilder, selection, row) -> Dict[str, SoquetT]:
        if self.data is None:
            raise DecomposeTypeError(f"{self}: no data, nothing to decompose (cost-only)")
        row = self._cast_row(bb, row, to_unsigned=True)
        selection, row = bb.add(self.qrom, selection=selection, target0_=row)
        return {"selection": selection, "row": self._cast_row(bb, row, to_unsigned=False)}

    def build_call_graph(self, ssa):
        return {self.qrom: 1}

    def my_static_costs(self, cost_key):
        from qualtran.resource_counting import QubitCount

        if isinstance(cost_key, QubitCount):
            return self.bits * self.d + 2 * self.selection_bitsize - 1
        return NotImplemented


# ----------------------------------------------------------------------------------------------
# Clean QROAM (select-swap) with measurement-based uncompute
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


# Measurement-based uncompute of a clean QROAM (Berry et al. 2019, arXiv:1902.02134, App. C)
_KEY_COUNTER = itertools.count()


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

    Registers: ``selection`` THRU; ``regs`` (QAny(b), shape (K, d)) LEFT: consumed, returned |0>.
    """

    n: SymbolicInt
    d: SymbolicInt
    bits: SymbolicInt
    log_block_size: SymbolicInt  # k of the compute (K = 2^k registers)
    uncompute_log_block_size: SymbolicInt  # k' of this phase lookup
    data: Optional[Tuple[Tuple[int, ...], ...]] = None  # signed n x d, None for cost only

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
        n, s, ku = int(self.n), int(self.sel_bits), int(self.uncompute_log_block_size)
        Ku = 2**ku
        # 1. X-basis measurement of every register qubit.
        qs = [q for soq in np.asarray(regs).reshape(-1) for q in bb.split(soq)]
        prefix = f"qroam_mbu{next(_KEY_COUNTER)}"
        keys = tuple(f"{prefix}_{i}" for i in range(len(qs)))
        selection = bb.add(Cast(self.signature.get_left("selection").dtype, QAny(s)), reg=selection)
        selection = bb.add(_MeasureXAndReset(keys, s), anchor=selection, q=bb.join(np.array(qs)))
        # 2. One-hot encode the low k' selection bits into K' qubits. Level t = 0 needs no And:
        #    oh[1] = bit0, oh[0] = NOT bit0; level t >= 1 splits each of the 2^t live one-hot
        #    qubits with an And on bit t (K' - 2 And in total).
        sel = bb.split(selection)  # big-endian
        low = list(sel[s - ku:])  # low[ku-1-t] has weight 2^t
        oh: List[Any] = [bb.allocate(1), bb.allocate(1)] + [None] * (Ku - 2)
        oh[0] = bb.add(XGate(), q=oh[0])
        low[ku - 1], oh[1] = bb.add(CNOT(), ctrl=low[ku - 1], target=oh[1])
        oh[1], oh[0] = bb.add(CNOT(), ctrl=oh[1], target=oh[0])
        for t in range(1, ku):
            bit = ku - 1 - t
            for j in range(2**t):
                (oh[j], low[bit]), oh[j + 2**t] = bb.add(And(), ctrl=np.array([oh[j], low[bit]]))
                oh[j + 2**t], oh[j] = bb.add(CNOT(), ctrl=oh[j + 2**t], target=oh[j])
        # 3. Phase fix-up by unary iteration over the high bits.
        it = _PhaseFixupIteration(n, s - ku, Ku, self.table, keys)
        high = bb.join(np.array(sel[: s - ku]), dtype=it.selection_registers[0].dtype)
        high, ohr = bb.add(it, selection=high, onehot=bb.join(np.array(oh)))
        oh = list(bb.split(ohr))
        sel[: s - ku] = bb.split(high)
        # 4. Uncompute the one-hot register (And-dagger: measurement based, no T).
        for t in reversed(range(1, ku)):
            bit = ku - 1 - t
            for j in reversed(range(2**t)):
                oh[j + 2**t], oh[j] = bb.add(CNOT(), ctrl=oh[j + 2**t], target=oh[j])
                oh[j], low[bit] = bb.add(
                    And().adjoint(), ctrl=np.array([oh[j], low[bit]]), target=oh[j + 2**t]
                )
        oh[1], oh[0] = bb.add(CNOT(), ctrl=oh[1], target=oh[0])
        low[ku - 1], oh[1] = bb.add(CNOT(), ctrl=low[ku - 1], target=oh[1])
        oh[0] = bb.add(XGate(), q=oh[0])
        bb.free(oh[0])
        bb.free(oh[1])
        sel[s - ku:] = low
        return {"selection": bb.join(np.array(sel), dtype=self.signature.get_left("selection").dtype)}

    def build_call_graph(self, ssa):
        Ku = 2**self.uncompute_log_block_size
        M = ceil(self.n / Ku)
        W = 2**self.log_block_size * self.d * self.bits
        if self.data is not None:
            n, s, ku = int(self.n), int(self.sel_bits), int(self.uncompute_log_block_size)
            it = _PhaseFixupIteration(n, s - ku, Ku, self.table, ("",) * W)
            return {Hadamard(): W, XGate(): 2, CNOT(): 2 * (Ku - 1) + 2,
                    And(): Ku - 2, And().adjoint(): Ku - 2, it: 1}
        # Cost only: the unary iteration's M - 2 And (Babbush et al. 2018); the classically
        # controlled fix-up CZs (Clifford, data and outcome dependent) are not listed.
        return {Hadamard(): W, XGate(): 2, CNOT(): 2 * (Ku - 1) + 2 + 2 * (M - 2),
                And(): (Ku - 2) + (M - 2), And().adjoint(): (Ku - 2) + (M - 2)}

    def on_classical_vals(self, selection, regs) -> Dict[str, Any]:
        if not np.array_equal(np.asarray(regs), self.register_contents(int(selection))):
            raise ValueError(f"{self}: registers do not hold the looked-up data; cannot uncompute")
        return {"selection": selection}

    def coherent_equivalent(self) -> "QROAMCoherentUncompute":
        """The deferred-measurement lowering used by the qsim export (same signature and basis action)."""
        if self.data is None:
            raise DecomposeTypeError(f"{self}: no data (cost only)")
        return QROAMCoherentUncompute(int(self.n), int(self.d), int(self.bits), int(self.log_block_size), self.data)

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
    returns every register to |0>. This is the deferred-measurement lowering that lets qsim (which
    has no classically controlled gates) run circuits holding a measurement-based uncompute; it is
    *not* the costed construction (it costs a second lookup: ``ceil(n/K) - 2`` And plus
    ``b d (K - 1)`` Toffoli instead of ``ceil(n/K') + K' - 4`` And). ``estimates`` never call it.
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

    def __str__(self):
        return f"QROAMCoherentUncompute(k={self.log_block_size})"


@attrs.frozen
class RowUnload(Bloq):
    r"""Uncompute a loaded row by measurement: ``row`` (holding ``K[selection]``) is returned to |0>.

    The uncompute of a table lookup need not be a second lookup (Berry, Gidney, Motta, McClean,
    Babbush, arXiv:1902.02134, App. C; Qualtran's ``QROAMCleanAdjoint``): measure the b d row
    qubits in the X basis (outcomes m), which leaves the phase :math:`(-1)^{m\cdot K[j]}` on
    :math:`|j
angle`, and undo it with a *phase* lookup over j = h K' + l: a one-hot encoding of
    the low k' bits into K' = 2^k' qubits (K' - 2 And) and a unary iteration over the
    ceil(n/K') values of h (ceil(n/K') - 2 And) whose flags fire CZs classically controlled on m.
    It is :class:`QROAMMeasurementUncompute` with a compute block of K = 1 register.

    Cost: **ceil(n/K') + K' - 4 And** (T = 4 x that), minimised at K' ~ sqrt(n)
    (:func:`unload_log_block_size`): 2 sqrt(n) - 4 And for n = 4^j, against n - 2 And for
    reloading by QROM (``4 n - 8`` T). This is the best-known construction (ratio 1 to Berry et
    al.'s ``ceil(n/K') + K'`` bound). Requires n >= 3. For qsim, ``qattn_cirq.simulate`` lowers it
    to :class:`QROAMCoherentUncompute` (deferred measurement, same action on the computational
    basis); the costed circuit is this one.

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
    data: Optional[Tuple[Tuple[int, ...], ...]] = attrs.field(default=None, converter=_convert_data)
    uncompute_log_block_size: Optional[SymbolicInt] = None

    def __attrs_post_init__(self):
        _validate_sizes(self.n, self.d, self.bits, n_min=3)
        _validate_data(self.data, self.n, self.d, self.bits)

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
        from qualtran.resource_counting import QubitCount

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


@attrs.frozen
class QROAMRowLoader(_RowLoaderBase):
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
    The uncompute measures, so the Cirq circuit has mid-circuit measurements and classically
    controlled CZs: simulate it with ``cirq.Simulator`` (qsim rejects classical control).

    Args:
        n, d, bits, data: as ``QROMRowLoader``.
        log_block_size: k (compute block size K = 2^k), or None for the optimum.
        uncompute_log_block_size: k' (uncompute block size), or None for the optimum.
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
        from qualtran.resource_counting import QubitCount

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
# Assumed QRAM (cost model)
# ----------------------------------------------------------------------------------------------
#: Qubits per router of a qubit-based bucket-brigade tree: the router qubit that stores its
#: address bit, and the wire qubit that carries address / bus qubits through it (Hann, Lee,
#: Girvin, Jiang, PRX Quantum 2, 020311 (2021), arXiv:2012.05340, Sec. II and Fig. 1(b):
#: "each router ... a router qubit" with its incident input; GLM's qutrit router counted as 2).
QUBITS_PER_ROUTER = 2


def bucket_brigade_cswaps(n: SymbolicInt, width: SymbolicInt) -> SymbolicInt:
    r"""Controlled swaps on the *active path* of one bucket-brigade access to an n-leaf tree.

    Protocol of Giovannetti, Lloyd, Maccone (PRL 100, 160501 (2008), arXiv:0708.1879, Fig. 2),
    with L = ceil(log2 n) levels and a bus of W = ``width`` qubits:

    * address in: the l-th address qubit (l = 0 .. L-1) hops through the l routers already set
      above its level, one router-controlled swap per hop, then is swapped into its router:
      :math:`\sum_{l<L} l = L(L-1)/2` controlled swaps;
    * bus down and up: each of the W bus qubits hops through L routers down to the leaf (the
      memory cell is copied by a CNOT) and L back up: 2 L W;
    * address out: the mirror of address in, L(L-1)/2.

    Total :math:`2LW + L(L-1)`. Counting only the active path is the QRAM *assumption* (passive
    routers off the path cost no gates); in a gate model every router is touched and an access
    costs Theta(n) (Di Matteo, Gheorghiu, Mosca, IEEE TQE 1 (2020), arXiv:1902.01329;
    Jaques, Rattew, arXiv:2305.10310), i.e. no better than QROM.
    """
    L = selection_bitsize(n)
    return 2 * L * width + L * (L - 1)


@attrs.frozen
class AssumedQRAMRowLoader(_RowLoaderBase):
    r"""COST MODEL, not a circuit: the papers' QRAM with polylog(n) access, ``row ^= K[selection]``.

    The quantum attention papers (e.g. arXiv:2307.08045) assume a QRAM that loads a row in
    polylog(n) time. We cost one access as a bucket-brigade QRAM (Giovannetti, Lloyd, Maccone,
    arXiv:0708.1879) whose router-controlled swaps on the active path are the logical gates
    (:func:`bucket_brigade_cswaps`; each a controlled swap = one Toffoli-class gate, 4 T):

        CSWAP per access = 2 L b d + L (L - 1),     L = ceil(log2 n).

    What the assumption hides, reported by :meth:`qram_qubits` and by every estimate as
    ``qram_qubits``: the tree of n - 1 routers (``QUBITS_PER_ROUTER`` qubits each) and the n b d
    memory cells at its leaves (held as qubits in the bucket-brigade model), about 1.07e9 qubits
    at n = 2^20, d = 128, b = 8. Estimates count them in the physical qubits by default; an
    explicit option treats the QRAM as an external device and says so. QubitCount (this bloq's)
    is only the circuit-side registers ``ceil(log2 n) + b d``.

    ``toffolis_per_routed_bit`` (default 1) scales the per-swap cost (e.g. 0 for a QRAM whose
    routing is free, 2 for a CSWAP synthesised from two Toffolis); it is an explicit parameter.
    This bloq has **no decomposition**: use ``qrom`` / ``qroam`` for a gate-level loader.
    """

    toffolis_per_routed_bit: SymbolicInt = 1

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        c = self.toffolis_per_routed_bit
        if not is_symbolic(c) and (not isinstance(c, (int, float, np.integer)) or c < 0):
            raise QattnInputError(f"toffolis_per_routed_bit must be a number >= 0, got {c!r}")

    def toffoli_count(self) -> SymbolicInt:
        return self.toffolis_per_routed_bit * bucket_brigade_cswaps(self.n, self.bits * self.d)

    def qram_qubits(self) -> SymbolicInt:
        """Qubits of the QRAM device itself: (n - 1) routers x ``QUBITS_PER_ROUTER`` + n b d cells."""
        return QUBITS_PER_ROUTER * (self.n - 1) + self.n * self.bits * self.d

    def decompose_bloq(self):
        raise DecomposeTypeError(f"{self} is a cost model (assumed QRAM), it has no decomposition")

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(f"{self} is a cost model (assumed QRAM), it has no decomposition")

    def build_call_graph(self, ssa):
        from qualtran.bloqs.basic_gates import TwoBitCSwap

        return {TwoBitCSwap(): self.toffoli_count()}

    def my_static_costs(self, cost_key):
        from qualtran.resource_counting import QubitCount

        if isinstance(cost_key, QubitCount):
            return self.selection_bitsize + self.bits * self.d
        return NotImplemented


# ----------------------------------------------------------------------------------------------
# Factory
# ----------------------------------------------------------------------------------------------
_KIND_TO_CLS = {"qrom": QROMRowLoader, "qroam": QROAMRowLoader, "assumed": AssumedQRAMRowLoader}


def make_row_loader(kind: str, *, n=None, d=None, bits=None, data=None, **kw) -> _RowLoaderBase:
    """Build a row loader by name (``kind`` in ``LOADER_KINDS``).

    Either pass concrete ``data`` (n x d ints; n and d are taken from it and, if also given, must
    agree) or sizes only (ints or sympy symbols) for a cost-only loader. Extra keyword arguments go
    to the loader (``log_block_size``, ``uncompute_log_block_size`` for qroam;
    ``toffolis_per_routed_bit`` for assumed).
    """
    if kind not in _KIND_TO_CLS:
        raise QattnInputError(f"loader must be one of {', '.join(LOADER_KINDS)}, got {kind!r}")
    if bits is None:
        raise QattnInputError("bits must be given (two's complement width >= 2)")
    if data is not None:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise QattnInputError(f"data must be an n x d integer array, got shape {arr.shape}")
        if n is not None and n != arr.shape[0]:
            raise QattnInputError(f"n={n} does not match data with {arr.shape[0]} rows")
        if d is not None and d != arr.shape[1]:
            raise QattnInputError(f"d={d} does not match data with {arr.shape[1]} columns")
        n, d = int(arr.shape[0]), int(arr.shape[1])
    if n is None or d is None:
        raise QattnInputError("n and d must be given when data is not")
    return _KIND_TO_CLS[kind](n=n, d=d, bits=bits, data=data, **kw)


# ----------------------------------------------------------------------------------------------
# Examples and doc specs
# ----------------------------------------------------------------------------------------------
@bloq_example
def _qrom_row_loader() -> QROMRowLoader:
    qrom_row_loader = QROMRowLoader.from_data([[1, -2], [0, 1], [-1, -1], [1, 0], [-2, 1]], bits=2)
    return qrom_row_loader


@bloq_example
def _qrom_row_loader_symb() -> QROMRowLoader:
    n, d, b = sympy.symbols("n d b", positive=True, integer=True)
    qrom_row_loader_symb = QROMRowLoader(n=n, d=d, bits=b)
    return qrom_row_loader_symb


@bloq_example
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


@bloq_example
def _assumed_qram_row_loader() -> AssumedQRAMRowLoader:
    n, d, b = sympy.symbols("n d b", positive=True, integer=True)
    assumed_qram_row_loader = AssumedQRAMRowLoader(n=n, d=d, bits=b)
    return assumed_qram_row_loader


@bloq_example
def _exact_cswap() -> ExactCSwap:
    exact_cswap = ExactCSwap(3)
    return exact_cswap


@bloq_example
def _qroam_measurement_uncompute() -> QROAMMeasurementUncompute:
    qroam_measurement_uncompute = QROAMMeasurementUncompute(
        n=5, d=1, bits=2, log_block_size=1, uncompute_log_block_size=1,
        data=((1,), (-2,), (0,), (-1,), (1,)),
    )
    return qroam_measurement_uncompute


_EXACT_CSWAP_DOC = BloqDocSpec(
    bloq_cls=ExactCSwap,
    import_line="from bloqs.loaders import ExactCSwap",
    examples=[_exact_cswap],
)
_QROAM_MEASUREMENT_UNCOMPUTE_DOC = BloqDocSpec(
    bloq_cls=QROAMMeasurementUncompute,
    import_line="from bloqs.loaders import QROAMMeasurementUncompute",
    examples=[_qroam_measurement_uncompute],
)
_QROM_ROW_LOADER_DOC = BloqDocSpec(
    bloq_cls=QROMRowLoader,
    import_line="from bloqs.loaders import QROMRowLoader",
    examples=[_qrom_row_loader, _qrom_row_loader_symb],
)
_QROAM_ROW_LOADER_DOC = BloqDocSpec(
    bloq_cls=QROAMRowLoader,
    import_line="from bloqs.loaders import QROAMRowLoader",
    examples=[_qroam_row_loader, _qroam_row_loader_symb],
)
_ASSUMED_QRAM_ROW_LOADER_DOC = BloqDocSpec(
    bloq_cls=AssumedQRAMRowLoader,
    import_line="from bloqs.loaders import AssumedQRAMRowLoader",
    examples=[_assumed_qram_row_loader],
)
