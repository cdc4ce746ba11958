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



import math
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
from qualtran.bloqs.arithmetic import Xor
from qualtran.bloqs.basic_gates import Toffoli
from qualtran.bloqs.bookkeeping import Cast
from qualtran.bloqs.data_loading.qroam_clean import QROAMClean
from qualtran.bloqs.data_loading.qrom import QROM
from qualtran.symbolics import bit_length, ceil, is_symbolic, log2

from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]

LOADER_KINDS: Tuple[str, ...] = ("qrom", "qroam", "assumed")


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
    r"""Toffoli-class count of ``QROAMRowLoader`` (And + CSWAP; And-dagger is free).

    With K = 2^k, K' = 2^k', M = ceil(n / K), W = b d:

        compute  (Berry et al. App. B):  (M - 2) And [QROM over M batches]  +  W (K - 1) CSWAP
        copy:                             0 (W CNOTs)
        uncompute (App. C, measurement):  ceil(n / K') + K' - 4   [Qualtran's QROAMCleanAdjoint]

    Valid for K < n and 2 <= K' < n.
    """
    K = 2**log_block_size
    Ku = 2**uncompute_log_block_size
    return (ceil(n / K) - 2) + width * (K - 1) + (ceil(n / Ku) + Ku - 4)


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
    # Continuous optimum of ceil(n/K) + W(K-1): K = sqrt(n/W); of ceil(n/K') + K': K' = sqrt(n).
    return ceil(log2(n / width) / 2), ceil(log2(n) / 2)


@attrs.frozen
class QROAMRowLoader(_RowLoaderBase):
    r"""Load row ``K[j]`` by clean select-swap QROAM: ``row ^= K[selection]``.

    Construction (Berry, Gidney, Motta, McClean, Babbush, "Qubitization of arbitrary basis quantum
    chemistry leveraging sparsity and low rank factorization", arXiv:1902.02134):

    1. App. B, clean QROAM (Qualtran's ``QROAMClean``): split ``j = h K + l`` with K = 2^k; a QROM
       over the M = ceil(n/K) values of h writes all K rows of block h into K clean registers of
       ``W = b d`` bits, then a swap network controlled by l moves row j into register 0:
       ``(M - 2)`` And + ``W (K - 1)`` CSWAP.
    2. ``W`` CNOTs copy register 0 into ``row`` (this keeps the XOR-in interface).
    3. App. C, measurement-based uncompute of the K registers (Qualtran's ``QROAMCleanAdjoint``,
       with its own block size K' = 2^k'): ``ceil(n/K') + K' - 4`` Toffoli.

    Total Toffoli-class count (``qroam_toffoli_count``)::

        ceil(n/K) - 2 + b d (K - 1) + ceil(n/K') + K' - 4,     T = 4 x that.

    The block sizes are explicit parameters; by default ``optimal_qroam_log_block_sizes`` picks the
    integers minimising this count for the given n and b d (for symbolic n: ``k = ceil(log2(n/(bd))
    / 2)``, ``k' = ceil(log2(n) / 2)``, the continuous optima rounded up). Requires n >= 3,
    2^k < n and 2 <= 2^k' < n. Concrete data may make the QROM part cheaper (variable spacing).

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
    def qroam(self) -> QROAMClean:
        k, _ = self.block_sizes_log
        if self.data is not None:
            return QROAMClean.build_from_data(
                *self._data_columns(), target_bitsizes=(self.bits,) * self.d, log_block_sizes=(k,)
            )
        # Cost-only: one target of b*d bits has the same costs as d targets of b bits
        # (QROM And count does not depend on the width; swaps are W (K - 1) CSWAPs).
        return QROAMClean.build_from_bitsize(
            (self.n,), (self.bits * self.d,), selection_bitsizes=(self.selection_bitsize,),
            log_block_sizes=(k,),
        )

    @cached_property
    def uncompute(self) -> Bloq:
        _, ku = self.block_sizes_log
        return self.qroam.adjoint().with_log_block_sizes((ku,))

    def toffoli_count(self) -> SymbolicInt:
        k, ku = self.block_sizes_log
        return qroam_toffoli_count(self.n, self.bits * self.d, k, ku)

    def build_composite_bloq(self, bb: BloqBuilder, selection, row) -> Dict[str, SoquetT]:
        if self.data is None:
            raise DecomposeTypeError(f"{self}: no data, nothing to decompose (cost-only)")
        out = bb.add_d(self.qroam, selection=selection)
        selection = out.pop("selection")
        row = self._cast_row(bb, row, to_unsigned=True)
        for i in range(self.d):
            out[f"target{i}_"], row[i] = bb.add(
                Xor(QAny(self.bits)), x=out[f"target{i}_"], y=row[i]
            )
        out = bb.add_d(self.uncompute, selection=selection, **out)
        return {"selection": out["selection"], "row": self._cast_row(bb, row, to_unsigned=False)}

    def build_call_graph(self, ssa):
        return {self.qroam: 1, Xor(QAny(self.bits)): self.d, self.uncompute: 1}

    def my_static_costs(self, cost_key):
        from qualtran.resource_counting import QubitCount

        if isinstance(cost_key, QubitCount):
            k, ku = self.block_sizes_log
            s, W = self.selection_bitsize, self.bits * self.d
            # compute: selection + row + K registers of W bits + (s - k - 1) unary-iteration ancillas
            return s + W + 2**k * W + sympy.Max(s - k - 1, 0) if is_symbolic(s, k) else (
                s + W + 2**k * W + max(s - k - 1, 0)
            )
        return NotImplemented


# ----------------------------------------------------------------------------------------------
# Assumed QRAM (cost model)
# ----------------------------------------------------------------------------------------------
@attrs.frozen
class AssumedQRAMRowLoader(_RowLoaderBase):
    r"""COST MODEL, not a circuit: the papers' QRAM with polylog(n) access, ``row ^= K[selection]``.

    The quantum attention papers (e.g. arXiv:2307.08045) assume a QRAM that loads a row in
    polylog(n) time. We model one access as a bucket-brigade QRAM (Giovannetti, Lloyd, Maccone,
    "Quantum random access memory", PRL 100, 160501 (2008), arXiv:0708.1879): the address passes
    through ceil(log2 n) levels of routers and each of the b d data bits is routed through them, so

        Toffoli per access = c * b * d * ceil(log2 n),     T = 4 x that,

    with ``c = toffolis_per_routed_bit`` a documented, explicit parameter (default 1). This bloq
    has **no decomposition** (``decompose_bloq`` raises ``DecomposeTypeError``): the router tree
    (~n routers plus n b d memory cells) is hardware outside the logical circuit, so its
    QubitCount is only the circuit-side registers ``ceil(log2 n) + b d``. Use ``qrom`` / ``qroam``
    for a gate-level loader; this one exists so estimates can reproduce the papers' assumption.
    """

    toffolis_per_routed_bit: SymbolicInt = 1

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        c = self.toffolis_per_routed_bit
        if not is_symbolic(c) and (not isinstance(c, (int, float, np.integer)) or c < 0):
            raise QattnInputError(f"toffolis_per_routed_bit must be a number >= 0, got {c!r}")

    def toffoli_count(self) -> SymbolicInt:
        return self.toffolis_per_routed_bit * self.bits * self.d * self.selection_bitsize

    def decompose_bloq(self):
        raise DecomposeTypeError(f"{self} is a cost model (assumed QRAM), it has no decomposition")

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(f"{self} is a cost model (assumed QRAM), it has no decomposition")

    def build_call_graph(self, ssa):
        return {Toffoli(): self.toffoli_count()}

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
