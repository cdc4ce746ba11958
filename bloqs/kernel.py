r"""Coherent fixed-point evaluation of the exponential kernel :math:`e^{c\,\langle x_i, x_j\rangle}`.

The sublinear QAttention data structure (Song, Xue, Zhang, Zhang, arXiv:2602.00874) works with the
exponential kernel :math:`k(x, y) = \exp(c \langle x, y\rangle)`, :math:`c = 1/\sqrt d`, of
:math:`X = [Q; K]`; its QSample step (ridge leverage scores, :mod:`bloqs.sampling`) and the
mean estimation of D (:mod:`bloqs.mean_estimation`) evaluate the kernel on a superposition of rows.
The inner product itself is fixed-point arithmetic (``bloqs.arithmetic``); this module maps the
B-bit inner-product register :math:`z` (two's complement, value :math:`z\,2^{-f}`) to
:math:`e^{c z 2^{-f}}`.

Method: multiplicative range reduction + two table lookups + one product. Split
:math:`z = h\,2^m + l` (h: the top B-m bits, signed; l: the low m bits, unsigned; this is only a
relabelling of wires, no gates). Then

.. math:: e^{c z 2^{-f}} = \underbrace{e^{c h 2^{m-f}}}_{E_h}\cdot\underbrace{e^{c l 2^{-f}}}_{E_l},

:math:`T_h[h] = \mathrm{round}(E_h 2^{F})` and :math:`T_l[l] = \mathrm{round}(E_l 2^{F})` are read by
two QROMs (Babbush et al. arXiv:1805.03662, unary iteration, 4(2^{B-m} + 2^m) - 16 T for both) into
scratch registers, multiplied into the output by a shift-and-add multiplier
(:class:`ShiftAddMultiplier`: one controlled adder per bit of :math:`T_l`, Gidney arXiv:1709.06648
adders), and the scratch registers are unloaded by measurement (:class:`bloqs.qroam.RowUnload`,
Berry, Gidney, Motta, McClean, Babbush arXiv:1902.02134 App. C: ``ceil(N/K') + K' - 4`` And for an
N-entry table, K' ~ sqrt N, instead of a second QROM's N - 2; a table of < 3 entries, or one so
regular that Qualtran's QROM reloads it cheaper, is reloaded).
The output :math:`y` is :math:`y\,2^{-2F}`.

Error bound (stated parameter, proved by the triangle inequality, :meth:`KernelExp.error_bound`):
with :math:`\delta = 2^{-F-1}` (table rounding),

.. math:: |y 2^{-2F} - e^{c z 2^{-f}}| \le \max_h E_h\,\delta + \max_l E_l\,\delta + \delta^2 .

Tables of size :math:`2^{B-m}` and :math:`2^m` instead of one of size :math:`2^B`: T-count
:math:`\approx 4(2^{B-m} + 2^m) + 8(2^{(B-m)/2} + 2^{m/2}) + 4\cdot` (multiplier) instead of
:math:`4\cdot 2^B`, minimised at m = B/2.
"""

import math
from functools import cached_property
from typing import Dict, Optional, Tuple, Union

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
    Signature,
    Soquet,
    SoquetT,
    bloq_example,
)
from qualtran.bloqs.arithmetic.controlled_addition import CAdd
from qualtran.bloqs.bookkeeping import Cast
from qualtran.bloqs.data_loading import QROM
from qualtran.symbolics import is_symbolic

from bloqs.catalog import BOOKKEEPING
from bloqs.qroam import RowUnload, unload_beats_reload
from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]


@attrs.frozen
class ShiftAddMultiplier(Bloq):
    r"""``result += a * b (mod 2^R)`` for unsigned a (A bits), b (Bb bits), R = A + Bb by default.

    Schoolbook: for each bit :math:`b_j` of b, a controlled addition of a into the bits of weight
    :math:`2^j .. 2^{R-1}` of result (``CAdd(QUInt(A), QUInt(R-j))``: A And + an (R-j)-bit adder
    with R-j-1 And). Exact modular arithmetic for every input. Toffoli-class count
    :math:`\sum_{j<Bb} (A + R - j - 1)`; with symbolic sizes the call graph charges every adder at
    full width R (an upper bound; the concrete call graph is exact).

    Args:
        a_bits: width A of the multiplicand a (>= 1).
        b_bits: width Bb of the multiplier b (>= 1); one controlled adder per bit of b.
        result_bits: width R of the accumulator, >= A + Bb; None for A + Bb.

    Registers:
        a: QUInt(a_bits), THRU (unchanged).
        b: QUInt(b_bits), THRU (unchanged).
        result: QUInt(R), THRU; ``result += a * b`` mod 2^R.
    """

    a_bits: SymbolicInt
    b_bits: SymbolicInt
    result_bits: Optional[SymbolicInt] = None

    def __attrs_post_init__(self):
        if not is_symbolic(self.a_bits, self.b_bits):
            if int(self.a_bits) < 1 or int(self.b_bits) < 1:
                raise QattnInputError("multiplier bit sizes must be >= 1")
            if not is_symbolic(self.r_bits) and int(self.r_bits) < int(self.a_bits) + int(self.b_bits):
                raise QattnInputError(f"result_bits={self.r_bits} must be >= a_bits + b_bits")

    @cached_property
    def r_bits(self) -> SymbolicInt:
        return self.a_bits + self.b_bits if self.result_bits is None else self.result_bits

    @cached_property
    def signature(self) -> Signature:
        return Signature.build_from_dtypes(a=QUInt(self.a_bits), b=QUInt(self.b_bits), result=QUInt(self.r_bits))

    def build_composite_bloq(self, bb: BloqBuilder, a: Soquet, b: Soquet, result: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.a_bits, self.b_bits, self.r_bits):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        A, Bb, R = int(self.a_bits), int(self.b_bits), int(self.r_bits)
        bs = list(bb.split(b))
        rs = list(bb.split(result))
        for j in range(Bb):
            # big-endian arrays: weight 2^k sits at index (size - 1 - k)
            ctrl = bs[Bb - 1 - j]
            window = bb.join(np.array(rs[0 : R - j]), dtype=QUInt(R - j))
            ctrl, a, window = bb.add(CAdd(QUInt(A), QUInt(R - j)), ctrl=ctrl, a=a, b=window)
            bs[Bb - 1 - j] = ctrl
            rs[0 : R - j] = list(bb.split(window))
        return {"a": a, "b": bb.join(np.array(bs), dtype=QUInt(Bb)), "result": bb.join(np.array(rs), dtype=QUInt(R))}

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        if is_symbolic(self.a_bits, self.b_bits, self.r_bits):
            return {CAdd(QUInt(self.a_bits), QUInt(self.r_bits)): self.b_bits}
        counts: Dict[Bloq, int] = {}
        for j in range(int(self.b_bits)):
            c = CAdd(QUInt(int(self.a_bits)), QUInt(int(self.r_bits) - j))
            counts[c] = counts.get(c, 0) + 1
        return counts

    def on_classical_vals(self, a: int, b: int, result: int) -> Dict[str, int]:
        return {"a": a, "b": b, "result": (int(result) + int(a) * int(b)) % (2 ** int(self.r_bits))}

    def __str__(self):
        return f"MulAdd({self.a_bits}x{self.b_bits})"


def _table_bits(table) -> int:
    return max(1, int(max(table)).bit_length())


@attrs.frozen
class KernelExp(Bloq):
    r"""``out += round(e^{c z 2^{-f}})`` in fixed point (2F fractional bits), z a B-bit QInt.

    Build concrete instances with :meth:`KernelExp.build`; :meth:`KernelExp.symbolic_cost_model`
    gives the same call-graph shape for symbolic B and table widths (tables not materialised).

    Cost per call: 2 QROM loads (4 N - 8 T each, N = 2^(B-m) and 2^m entries) + 2 measurement-based
    :class:`bloqs.qroam.RowUnload` (``4 (ceil(N/K') + K' - 4)`` T each, ratio 1 to Berry et al.
    App. C; the QROM again for a table of < 3 entries) + :class:`ShiftAddMultiplier` (hi, lo).
    No ``adjoint()`` of the concrete decomposition (RowUnload consumes its register); cost models
    that uncompute a kernel value charge KernelExp again (``out -= T_h T_l``: same tables and
    multiplier adjoint, same cost).

    Args:
        in_bits: width B of the input z (two's complement).
        lo_bits: m, the low bits of z read by the second table (1 <= m < B); z = h 2^m + l with h the
            signed high B - m bits and l the unsigned low m bits.
        hi_width: width of the high table's entries.
        lo_width: width of the low table's entries.
        hi_table: ``round(e^{c h 2^(m-f)} 2^F)`` for the 2^(B-m) values of h, or None (cost model).
        lo_table: ``round(e^{c l 2^-f} 2^F)`` for the 2^m values of l, or None (cost model).
        scale: the kernel constant c (None for the cost model).
        in_frac: f, the fractional bits of the input z (None for the cost model).
        frac_bits: F, the fractional bits of each table entry (None for the cost model).

    Registers:
        x: QInt(in_bits), THRU (unchanged).
        out: QUInt(hi_width + lo_width), THRU; ``out += T_h[h] T_l[l]`` mod 2^P (start at 0).
    """

    in_bits: SymbolicInt
    lo_bits: SymbolicInt
    hi_width: SymbolicInt
    lo_width: SymbolicInt
    hi_table: Optional[Tuple[int, ...]] = None
    lo_table: Optional[Tuple[int, ...]] = None
    scale: Optional[float] = None
    in_frac: Optional[int] = None
    frac_bits: Optional[int] = None

    def __attrs_post_init__(self):
        if not is_symbolic(self.in_bits, self.lo_bits):
            if not (1 <= int(self.lo_bits) < int(self.in_bits)):
                raise QattnInputError(f"lo_bits={self.lo_bits} must be in [1, in_bits-1={int(self.in_bits) - 1}]")

    @classmethod
    def build(cls, scale: float, in_bits: int, in_frac: int, frac_bits: int, lo_bits: Optional[int] = None) -> "KernelExp":
        r"""Tables for :math:`e^{c\,z 2^{-f}}` on B-bit signed z with F fractional output bits."""
        if not (2 <= in_bits <= 24):
            raise QattnInputError(f"in_bits={in_bits} must be in [2, 24]")
        if not (0 <= in_frac <= 64):
            raise QattnInputError(f"in_frac={in_frac} must be in [0, 64]")
        if not (1 <= frac_bits <= 30):
            raise QattnInputError(f"frac_bits={frac_bits} must be in [1, 30]")
        if not np.isfinite(scale):
            raise QattnInputError("scale must be finite")
        m = in_bits // 2 if lo_bits is None else int(lo_bits)
        if not (1 <= m < in_bits):
            raise QattnInputError(f"lo_bits={m} must be in [1, {in_bits - 1}]")
        hb = in_bits - m
        hs = np.array([u - 2**hb if u >= 2 ** (hb - 1) else u for u in range(2**hb)], dtype=float)
        ls = np.arange(2**m, dtype=float)
        with np.errstate(over="ignore"):  # an overflow is reported just below as a range error
            e_h = np.exp(scale * hs * 2.0 ** (m - in_frac))
            e_l = np.exp(scale * ls * 2.0 ** (-in_frac))
        if not np.isfinite(max(e_h.max(), e_l.max())) or max(e_h.max(), e_l.max()) * 2.0**frac_bits >= 2.0**62:
            raise QattnInputError("kernel range too large for the fixed-point tables: reduce scale or frac_bits")
        t_h = tuple(int(v) for v in np.rint(e_h * 2.0**frac_bits))
        t_l = tuple(int(v) for v in np.rint(e_l * 2.0**frac_bits))
        return cls(
            in_bits=in_bits,
            lo_bits=m,
            hi_width=_table_bits(t_h),
            lo_width=_table_bits(t_l),
            hi_table=t_h,
            lo_table=t_l,
            scale=float(scale),
            in_frac=int(in_frac),
            frac_bits=int(frac_bits),
        )

    @classmethod
    def symbolic_cost_model(cls, in_bits: SymbolicInt, out_bits: SymbolicInt) -> "KernelExp":
        """Cost-shape instance: both tables out_bits wide, split at in_bits / 2 (no data)."""
        lo = in_bits // 2 if not is_symbolic(in_bits) else sympy.floor(in_bits / 2)
        return cls(in_bits=in_bits, lo_bits=lo, hi_width=out_bits, lo_width=out_bits)

    # -- derived ---------------------------------------------------------------------------------
    @cached_property
    def hi_bits(self) -> SymbolicInt:
        return self.in_bits - self.lo_bits

    @cached_property
    def out_bits(self) -> SymbolicInt:
        return self.hi_width + self.lo_width

    @cached_property
    def signature(self) -> Signature:
        return Signature.build_from_dtypes(x=QInt(self.in_bits), out=QUInt(self.out_bits))

    def _qrom(self, table, sel_bits, width) -> QROM:
        if table is None:
            return QROM.build_from_bitsize((2**sel_bits,), (width,))
        return QROM.build_from_data(np.asarray(table, dtype=int), target_bitsizes=(width,))

    @cached_property
    def hi_qrom(self) -> QROM:
        return self._qrom(self.hi_table, self.hi_bits, self.hi_width)

    @cached_property
    def lo_qrom(self) -> QROM:
        return self._qrom(self.lo_table, self.lo_bits, self.lo_width)

    def _unload(self, table, sel_bits, width):
        """RowUnload of a 2^sel_bits-entry table of unsigned ``width``-bit ints (None: < 3 entries
        or 1-bit entries, reload by QROM)."""
        if not is_symbolic(sel_bits) and 2 ** int(sel_bits) < 3:
            return None
        if not is_symbolic(width) and int(width) < 2:
            return None
        data = None
        if table is not None:
            w = int(width)
            data = tuple(((int(v) - (1 << w) if int(v) >> (w - 1) else int(v)),) for v in table)
        return RowUnload(2**sel_bits, 1, width, data=data)

    @cached_property
    def hi_unload(self):
        u = self._unload(self.hi_table, self.hi_bits, self.hi_width)
        return u if unload_beats_reload(self.hi_qrom, u) else None

    @cached_property
    def lo_unload(self):
        u = self._unload(self.lo_table, self.lo_bits, self.lo_width)
        return u if unload_beats_reload(self.lo_qrom, u) else None

    @cached_property
    def multiplier(self) -> ShiftAddMultiplier:
        return ShiftAddMultiplier(self.hi_width, self.lo_width)

    def error_bound(self) -> float:
        r""":math:`\max E_h \delta + \max E_l \delta + \delta^2`, :math:`\delta = 2^{-F-1}` (module doc)."""
        self._need_tables()
        delta = 2.0 ** (-self.frac_bits - 1)
        m, hb, f = int(self.lo_bits), int(self.hi_bits), self.in_frac
        e_h_max = math.exp(max(self.scale * (-(2 ** (hb - 1))) * 2.0 ** (m - f), self.scale * (2 ** (hb - 1) - 1) * 2.0 ** (m - f)))
        e_l_max = math.exp(max(0.0, self.scale * (2**m - 1) * 2.0 ** (-f)))
        return e_h_max * delta + e_l_max * delta + delta**2

    def _need_tables(self):
        if self.hi_table is None:
            raise ValueError(f"{self} has no tables (symbolic cost model); use KernelExp.build")

    def value(self, x: int) -> float:
        """The real number the bloq writes for input x (two's complement int): out * 2^-2F."""
        return self.kernel_int(x) * 2.0 ** (-2 * self.frac_bits)

    def kernel_int(self, x: int) -> int:
        self._need_tables()
        m, hb = int(self.lo_bits), int(self.hi_bits)
        u = (int(x) >> m) % (2**hb)  # top bits as an unsigned table index
        l = int(x) % (2**m)
        return self.hi_table[u] * self.lo_table[l]

    def exact(self, x) -> np.ndarray:
        """numpy reference e^{c x 2^-f}."""
        return np.exp(self.scale * np.asarray(x, dtype=float) * 2.0 ** (-self.in_frac))

    # -- bloq protocol ---------------------------------------------------------------------------
    def build_composite_bloq(self, bb: BloqBuilder, x: Soquet, out: Soquet) -> Dict[str, SoquetT]:
        if self.hi_table is None or is_symbolic(self.in_bits):
            raise DecomposeTypeError(f"cannot decompose the cost model {self}")
        B, m, hb = int(self.in_bits), int(self.lo_bits), int(self.hi_bits)
        ph, pl = int(self.hi_width), int(self.lo_width)
        xs = list(bb.split(x))
        hi = bb.join(np.array(xs[:hb]), dtype=BQUInt(hb, 2**hb))
        lo = bb.join(np.array(xs[hb:]), dtype=BQUInt(m, 2**m))
        th = bb.allocate(dtype=QAny(ph))
        tl = bb.allocate(dtype=QAny(pl))
        hi, th = bb.add(self.hi_qrom, selection=hi, target0_=th)
        lo, tl = bb.add(self.lo_qrom, selection=lo, target0_=tl)
        th = bb.add(Cast(QAny(ph), QUInt(ph)), reg=th)
        tl = bb.add(Cast(QAny(pl), QUInt(pl)), reg=tl)
        th, tl, out = bb.add(self.multiplier, a=th, b=tl, result=out)
        hi = self._add_unload(bb, self.hi_qrom, self.hi_unload, hi, th, ph)
        lo = self._add_unload(bb, self.lo_qrom, self.lo_unload, lo, tl, pl)
        xs = list(bb.split(hi)) + list(bb.split(lo))
        return {"x": bb.join(np.array(xs), dtype=QInt(B)), "out": out}

    @staticmethod
    def _add_unload(bb: BloqBuilder, qrom, unload, sel, t, width: int):
        if unload is None:
            t = bb.add(Cast(QUInt(width), QAny(width)), reg=t)
            sel, t = bb.add(qrom, selection=sel, target0_=t)
            bb.free(t)
            return sel
        t = bb.add(Cast(QUInt(width), QInt(width)), reg=t)
        return bb.add(unload, selection=sel, row=np.array([t]))

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        counts: Dict[Bloq, SymbolicInt] = {self.multiplier: 1}
        for qrom, unload in ((self.hi_qrom, self.hi_unload), (self.lo_qrom, self.lo_unload)):
            for b, k in ({qrom: 2} if unload is None else {qrom: 1, unload: 1}).items():
                counts[b] = counts.get(b, 0) + k
        return counts

    def on_classical_vals(self, x: int, out: int) -> Dict[str, int]:
        return {"x": x, "out": (int(out) + self.kernel_int(int(x))) % (2 ** int(self.out_bits))}

    def __str__(self):
        return f"exp(c*x)[B={self.in_bits}]"


@bloq_example(generalizer=BOOKKEEPING)
def _kernel_exp_small() -> KernelExp:
    kernel_exp_small = KernelExp.build(scale=0.5, in_bits=6, in_frac=3, frac_bits=4)
    return kernel_exp_small


@bloq_example
def _kernel_exp_symb() -> KernelExp:
    B, p = sympy.symbols("B p", positive=True, integer=True)
    kernel_exp_symb = KernelExp.symbolic_cost_model(B, p)
    return kernel_exp_symb


@bloq_example(generalizer=BOOKKEEPING)
def _shift_add_multiplier() -> ShiftAddMultiplier:
    shift_add_multiplier = ShiftAddMultiplier(3, 2)
    return shift_add_multiplier


@bloq_example
def _shift_add_multiplier_symb() -> ShiftAddMultiplier:
    a, b = sympy.symbols("a b", positive=True, integer=True)
    shift_add_multiplier_symb = ShiftAddMultiplier(a, b)
    return shift_add_multiplier_symb


_SHIFT_ADD_MULTIPLIER_DOC = BloqDocSpec(
    bloq_cls=ShiftAddMultiplier, examples=[_shift_add_multiplier, _shift_add_multiplier_symb]
)
_KERNEL_EXP_DOC = BloqDocSpec(bloq_cls=KernelExp, examples=[_kernel_exp_small, _kernel_exp_symb])
