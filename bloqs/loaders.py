r"""Row loaders: XOR row ``j`` of a classical matrix ``K`` (n x d, b-bit signed) into a register.

The loader interface (:class:`RowLoader`), the unary-iteration QROM loader and the papers' assumed
QRAM. Every row loader has the same signature and semantics, so the oracle above it can swap one
for another by name (:func:`bloqs.loader_factory.make_row_loader`, ``kind in``
:data:`bloqs.loader_kinds.LOADER_KINDS`)::

    selection : BQUInt(ceil(log2 n), n)   THRU   index j (n need not be a power of two)
    row       : QInt(bits), shape (d,)    THRU   row ^= K[j]   (bitwise XOR of two's complement)

Because the data is XOR-ed in, every loader is its own inverse: the uncompute of a load is the same
bloq applied again (``adjoint()`` returns ``self``).  Entries are b-bit two's complement integers in
``[-2^(b-1), 2^(b-1) - 1]``; they are stored as ``x mod 2^b`` because Qualtran's ``XorK`` refuses
negative constants (``Negative classical value encountered in XorK``).

* :class:`QROMRowLoader` -- unary-iteration QROM, Babbush et al. 2018 (arXiv:1805.03662, Sec. III.A
  and Fig. 1): ``n - 2`` And gates, i.e. ``4n - 8`` T, plus ``<= n b d`` CNOTs.
* :class:`AssumedQRAMRowLoader` -- a *cost model*, not a circuit: the papers' QRAM with polylog(n)
  access (bucket brigade, Giovannetti, Lloyd, Maccone, PRL 100, 160501 (2008), arXiv:0708.1879):
  ``2 L b d + L (L - 1)`` controlled swaps per access, L = ceil(log2 n).
* :class:`QRAMLookup` -- the same assumed QRAM behind Qualtran ``QROM``'s interface (one unshaped
  b-bit target ``target0_``), for the table lookups of the Nystrom / QAttention cost models.

The clean select-swap QROAM loader (Berry et al. 2019, arXiv:1902.02134, App. B) and the
measurement-based uncompute of a lookup (App. C, :class:`bloqs.qroam.RowUnload`) are in
:mod:`bloqs.qroam`, which builds on this interface.
"""

import abc
from functools import cached_property
from typing import Any, Dict, Optional, Tuple, Union

import attrs
import numpy as np
import sympy
from qualtran import (
    Bloq,
    BloqBuilder,
    BloqDocSpec,
    BQUInt,
    DecomposeTypeError,
    QAny,
    QInt,
    QUInt,
    Register,
    Signature,
    SoquetT,
    bloq_example,
)
from qualtran.bloqs.basic_gates import TwoBitCSwap
from qualtran.bloqs.bookkeeping import Cast
from qualtran.bloqs.data_loading.qrom import QROM
from qualtran.resource_counting import QubitCount
from qualtran.symbolics import bit_length, is_symbolic

from bloqs.catalog import BOOKKEEPING
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


def validate_sizes(n, d, bits, *, n_min: int = 2) -> None:
    """Refuse a non-integer or out-of-range table shape (symbolic sizes pass unchecked)."""
    if not is_symbolic(n) and (not isinstance(n, (int, np.integer)) or n < n_min):
        raise QattnInputError(f"n must be an integer >= {n_min} (number of rows), got {n!r}")
    if not is_symbolic(d) and (not isinstance(d, (int, np.integer)) or d < 1):
        raise QattnInputError(f"d must be an integer >= 1 (row length), got {d!r}")
    if not is_symbolic(bits) and (not isinstance(bits, (int, np.integer)) or bits < 2):
        raise QattnInputError(f"bits must be an integer >= 2 (two's complement width), got {bits!r}")


def convert_data(data: Any) -> Optional[Tuple[Tuple[int, ...], ...]]:
    """An n x d integer array as a hashable tuple of tuples of Python ints (None stays None)."""
    if data is None:
        return None
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise QattnInputError(f"data must be an n x d integer array, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.asarray(arr, dtype=float) == np.round(np.asarray(arr, dtype=float))):
            raise QattnInputError("data must hold integers (quantized fixed-point entries)")
    return tuple(tuple(int(v) for v in row) for row in arr.tolist())


def validate_data(data, n, d, bits) -> None:
    """Refuse data of the wrong shape or with an entry outside b-bit two's complement."""
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
class RowLoader(Bloq):
    """The row-loader interface: ``row ^= K[selection]`` for an n x d table of b-bit signed ints.

    Common fields, signature (module docstring), validation and classical action of every row
    loader; a subclass adds the construction (decomposition) and its costs. ``data`` is the signed
    table, or None for a cost-only loader whose sizes may be sympy symbols. The load is an XOR, so
    ``adjoint()`` is the loader itself.

    Args:
        n: number of rows (int or symbol; each loader sets its minimum).
        d: entries per row (>= 1).
        bits: two's complement width b of each entry (>= 2).
        data: n x d signed ints, or None for a cost-only loader.

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        row: QInt(bits) of shape (d,), THRU; ``row ^= K[selection]``.
    """

    n: SymbolicInt
    d: SymbolicInt
    bits: SymbolicInt
    data: Optional[Tuple[Tuple[int, ...], ...]] = attrs.field(default=None, converter=convert_data)

    _n_min = 2

    def __attrs_post_init__(self):
        validate_sizes(self.n, self.d, self.bits, n_min=self._n_min)
        validate_data(self.data, self.n, self.d, self.bits)

    @classmethod
    def from_data(cls, data, bits: int, **kwargs) -> "RowLoader":
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

    @abc.abstractmethod
    def build_call_graph(self, ssa):
        """The construction's costs: every concrete loader defines them (this is an interface,
        as Qualtran's ``QROMBase``, so it has no example of its own)."""

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
class QROMRowLoader(RowLoader):
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
        if isinstance(cost_key, QubitCount):
            return self.bits * self.d + 2 * self.selection_bitsize - 1
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
class AssumedQRAMRowLoader(RowLoader):
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

    Args:
        n, d, bits, data: as :class:`QROMRowLoader` (``data`` does not change the cost).
        toffolis_per_routed_bit: Toffoli-class gates per routed controlled swap (number >= 0).

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        row: QInt(bits) of shape (d,), THRU; ``row ^= K[selection]``.
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
        return {TwoBitCSwap(): self.toffoli_count()}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            return self.selection_bitsize + self.bits * self.d
        return NotImplemented


@attrs.frozen
class QRAMLookup(Bloq):
    """COST MODEL: a b-bit table lookup ``target0_ ^= T[selection]`` through the papers' assumed
    QRAM, with Qualtran ``QROM``'s register names (for the lookups of the Nystrom / QAttention cost
    models, where the gate-level alternative is a plain ``QROM``).

    Costed as one access of :class:`AssumedQRAMRowLoader` with n rows of one b-bit entry:
    ``2 L b + L (L - 1)`` controlled swaps, L = ceil(log2 n) (Giovannetti, Lloyd,
    Maccone bucket brigade, arXiv:0708.1879). Qubits: ``ceil(log2 n) + b`` (the circuit-side
    registers; the QRAM device is what :meth:`AssumedQRAMRowLoader.qram_qubits` reports). No
    decomposition.

    Args:
        n: number of table entries (int or symbol).
        bits: width b of each entry.

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        target0_: QAny(bits), THRU; ``target0_ ^= T[selection]``.
    """

    n: SymbolicInt
    bits: SymbolicInt

    @cached_property
    def signature(self) -> Signature:
        return Signature(
            [
                Register("selection", BQUInt(selection_bitsize(self.n), self.n)),
                Register("target0_", QAny(self.bits)),
            ]
        )

    @cached_property
    def loader(self) -> AssumedQRAMRowLoader:
        return AssumedQRAMRowLoader(n=self.n, d=1, bits=self.bits)

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            f"{self} is a cost model (assumed QRAM), it has no decomposition"
        )

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {self.loader: 1}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            return selection_bitsize(self.n) + self.bits
        return NotImplemented

    def __str__(self):
        return f"QRAM[{self.n}]"


# ----------------------------------------------------------------------------------------------
# Examples and doc specs
# ----------------------------------------------------------------------------------------------
@bloq_example(generalizer=BOOKKEEPING)
def _qrom_row_loader() -> QROMRowLoader:
    qrom_row_loader = QROMRowLoader.from_data([[1, -2], [0, 1], [-1, -1], [1, 0], [-2, 1]], bits=2)
    return qrom_row_loader


@bloq_example
def _qrom_row_loader_symb() -> QROMRowLoader:
    n, d, b = sympy.symbols("n d b", positive=True, integer=True)
    qrom_row_loader_symb = QROMRowLoader(n=n, d=d, bits=b)
    return qrom_row_loader_symb


@bloq_example
def _assumed_qram_row_loader() -> AssumedQRAMRowLoader:
    n, d, b = sympy.symbols("n d b", positive=True, integer=True)
    assumed_qram_row_loader = AssumedQRAMRowLoader(n=n, d=d, bits=b)
    return assumed_qram_row_loader


@bloq_example
def _qram_lookup_symb() -> QRAMLookup:
    n, b = sympy.symbols("n b", positive=True, integer=True)
    qram_lookup_symb = QRAMLookup(n=n, bits=b)
    return qram_lookup_symb


_QROM_ROW_LOADER_DOC = BloqDocSpec(
    bloq_cls=QROMRowLoader,
    import_line="from bloqs.loaders import QROMRowLoader",
    examples=[_qrom_row_loader, _qrom_row_loader_symb],
)
_ASSUMED_QRAM_ROW_LOADER_DOC = BloqDocSpec(
    bloq_cls=AssumedQRAMRowLoader,
    import_line="from bloqs.loaders import AssumedQRAMRowLoader",
    examples=[_assumed_qram_row_loader],
)
_QRAM_LOOKUP_DOC = BloqDocSpec(
    bloq_cls=QRAMLookup,
    import_line="from bloqs.loaders import QRAMLookup",
    examples=[_qram_lookup_symb],
)
