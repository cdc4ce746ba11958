r"""Fixed-point arithmetic for the threshold oracle: inner product with a classical vector, and a
signed comparison with a classical threshold.

* ``ClassicalInnerProduct(d, bits, query)``: ``acc += <q, row>`` with ``q`` a *classical* vector of
  b-bit signed ints and ``row`` a quantum register of d b-bit signed ints. Qualtran 0.7 has no
  multiplier by a classical constant, so each q_i is recoded in non-adjacent form (NAF, signed
  digits in {-1, 0, 1}, no two adjacent non-zeros; Reitwiesner 1960, see Knuth TAOCP vol. 2
  4.6.3) and every non-zero digit ``s 2^p`` becomes one shifted ripple-carry addition (Gidney,
  arXiv:1709.06648: a w-bit adder costs w - 1 And) of the sign-extended row entry into the top
  ``acc_bits - p`` bits of ``acc``.
* ``ThresholdCompare(bitsize, threshold)``: ``flag ^= (x >= threshold)`` for signed x, by flipping
  the sign bit (two's complement -> offset binary) and an unsigned comparison with a constant
  (Qualtran's ``LessThanConstant``, w And; Berry et al. arXiv:1902.02134 / Gidney's comparator).

Conventions: all registers are two's complement ``QInt``; ``acc`` is sized by ``acc_bits_for`` so the
full-range result cannot overflow. Internally the adders act on ``QUInt`` views of the bits, where
addition mod 2^w is exactly two's complement addition; this sidesteps the Qualtran 0.7 trap that a
mixed-width signed ``Add`` zero-extends, and we sign-extend explicitly with CNOTs onto fresh
ancillas (not ``SignExtend``, whose adjoint breaks composite adjoints, QUALTRAN_NOTES).
"""

from functools import cached_property
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import attrs
import numpy as np
import sympy
from qualtran import (
    Bloq,
    BloqBuilder,
    BloqDocSpec,
    DecomposeTypeError,
    QBit,
    QInt,
    QUInt,
    Register,
    Signature,
    SoquetT,
    bloq_example,
)
from qualtran.bloqs.arithmetic import Add, LessThanConstant
from qualtran.bloqs.arithmetic.bitwise import BitwiseNot
from qualtran.bloqs.basic_gates import CNOT, XGate
from qualtran.symbolics import bit_length, ceil, is_symbolic

from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------
def naf_digits(x: int) -> List[Tuple[int, int]]:
    """Non-adjacent form of the integer x as ``[(position, digit)]`` with digit in {-1, +1}.

    ``x == sum(digit * 2**position)``; no two positions are adjacent; the number of digits is the
    minimum over all signed-binary representations.
    """
    x = int(x)
    out, p = [], 0
    while x != 0:
        if x & 1:
            digit = 2 - (x & 3)  # x mod 4 == 1 -> +1, == 3 -> -1
            out.append((p, digit))
            x -= digit
        x >>= 1
        p += 1
    return out


def naf_max_weight(bits: SymbolicInt) -> SymbolicInt:
    """Largest NAF weight of a b-bit two's complement integer: ceil(b / 2).

    Why: |x| <= 2^(b-1) and the NAF of x has its top digit at position <= b - 1, so at most
    ceil(b/2) non-adjacent positions 0, 2, 4, ... are available; x = sum_{j<ceil(b/2)} +-4^j
    (signs chosen to fit) attains it. (The generic bound ceil((b+1)/2) for b-bit *unsigned*
    magnitudes is one larger for even b; tests enumerate all b-bit ints to confirm ceil(b/2).)
    """
    return ceil(bits / 2) if is_symbolic(bits) else (int(bits) + 1) // 2


def _signed_range(bits: int) -> Tuple[int, int]:
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _wrap_signed(x: int, bits: int) -> int:
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >> (bits - 1) else x


def acc_bits_for(d: SymbolicInt, bits: SymbolicInt, query: Optional[Sequence[int]] = None) -> SymbolicInt:
    """Width of a two's complement accumulator that holds ``<q, row>`` without overflow.

    Without a query (any b-bit q_i): the extreme products are q_i r_i = (-2^(b-1))^2 = 2^(2b-2) and
    -2^(b-1)(2^(b-1) - 1), so ``|<q, row>| <= d 2^(2b-2)`` and ``2b - 1 + bit_length(d)`` bits
    suffice (tight: d = 1, q = r = -2^(b-1) needs 2b bits). With a concrete query the exact range
    ``[sum_i min(q_i lo, q_i hi), sum_i max(q_i lo, q_i hi)]`` is used (at least 2 bits).
    """
    if query is None:
        return 2 * bits - 1 + bit_length(d)
    lo, hi = _signed_range(int(bits))
    low = sum(min(q * lo, q * hi) for q in query)
    high = sum(max(q * lo, q * hi) for q in query)
    w = 2
    while not (-(1 << (w - 1)) <= low and high <= (1 << (w - 1)) - 1):
        w += 1
    return w


def _validate_d_bits(d, bits) -> None:
    if not is_symbolic(d) and (not isinstance(d, (int, np.integer)) or d < 1):
        raise QattnInputError(f"d must be an integer >= 1 (vector length), got {d!r}")
    if not is_symbolic(bits) and (not isinstance(bits, (int, np.integer)) or bits < 2):
        raise QattnInputError(f"bits must be an integer >= 2 (two's complement width), got {bits!r}")


def _convert_query(q: Any) -> Optional[Tuple[int, ...]]:
    if q is None:
        return None
    arr = np.asarray(q).reshape(-1)
    return tuple(int(v) for v in arr.tolist())


# ----------------------------------------------------------------------------------------------
# Inner product with a classical vector
# ----------------------------------------------------------------------------------------------
@attrs.frozen
class ClassicalInnerProduct(Bloq):
    r"""``acc += <query, row>`` (or ``-=`` with ``subtract=True``) for a classical b-bit query.

    Construction: each query entry q_i is recoded in NAF (``naf_digits``); a digit ``s 2^p`` adds
    (s = +1) or subtracts (s = -1) ``row_i`` into the top ``A - p`` bits of ``acc`` (A =
    ``acc_bits``): the low p bits of ``row_i 2^p`` are zero, so no carry enters there. ``row_i`` is
    sign-extended once per entry to ``A - p_min`` bits with CNOTs onto fresh ancillas (uncomputed
    the same way afterwards). An addition is Qualtran's ``Add(QUInt(w))`` (Gidney's adder,
    arXiv:1709.06648: w - 1 And, 4(w - 1) T); a subtraction is ``~(~acc + row)``, i.e. the same
    adder between two ``BitwiseNot`` (Cliffords).

    Cost with a concrete query: ``sum over non-zero NAF digits (i, p) of (A - p - 1)`` And gates
    (T = 4 x that), plus Cliffords. Worst case (``query=None``, used for symbolic / cost-only
    estimates): every entry has the maximal NAF weight D = ceil(b/2) (``naf_max_weight``) at the
    lowest admissible positions 0, 2, ..., 2(D-1) (non-adjacent), so

        And = d * sum_{j<D} (A - 2j - 1) = d * D * (A - D),

    an exact upper bound that some b-bit query attains. The worst-case call graph lists it as
    d*D adders of the mean width A - D + 1 (same And count).

    Args:
        d: vector length (>= 1).
        bits: two's complement width b of q_i and row_i (>= 2).
        query: d classical ints in [-2^(b-1), 2^(b-1)-1], or None (cost only, worst case).
        subtract: if True compute ``acc -= <query, row>`` (this is the adjoint).
        acc_bitsize: accumulator width; default ``acc_bits_for(d, bits)`` (query independent, so the
            comparator after it does not depend on the data). Must be at least the query's exact
            need ``acc_bits_for(d, bits, query)``.

    Registers:
        row: QInt(bits), shape (d,), THRU (unchanged).
        acc: QInt(acc_bits), THRU.
    """

    d: SymbolicInt
    bits: SymbolicInt
    query: Optional[Tuple[int, ...]] = attrs.field(default=None, converter=_convert_query)
    subtract: bool = False
    acc_bitsize: Optional[SymbolicInt] = None

    def __attrs_post_init__(self):
        _validate_d_bits(self.d, self.bits)
        if self.query is not None:
            if is_symbolic(self.d, self.bits):
                raise QattnInputError("query given together with symbolic d or bits: pass concrete sizes")
            if len(self.query) != self.d:
                raise QattnInputError(f"query must have d={self.d} entries, got {len(self.query)}")
            lo, hi = _signed_range(self.bits)
            for q in self.query:
                if not lo <= q <= hi:
                    raise QattnInputError(
                        f"query entry {q} does not fit in bits={self.bits} two's complement [{lo}, {hi}]"
                    )
        if self.acc_bitsize is not None and not is_symbolic(self.acc_bitsize):
            need = acc_bits_for(self.d, self.bits, self.query) if not is_symbolic(self.d, self.bits) else 2
            if not isinstance(self.acc_bitsize, (int, np.integer)) or self.acc_bitsize < need:
                raise QattnInputError(
                    f"acc_bitsize must be an integer >= {need} so <q, row> cannot overflow, got {self.acc_bitsize!r}"
                )

    @cached_property
    def acc_bits(self) -> SymbolicInt:
        """Accumulator width A (no overflow for any row; see ``acc_bits_for``)."""
        return acc_bits_for(self.d, self.bits) if self.acc_bitsize is None else self.acc_bitsize

    @cached_property
    def signature(self) -> Signature:
        return Signature(
            [Register("row", QInt(self.bits), shape=(self.d,)), Register("acc", QInt(self.acc_bits))]
        )

    def adjoint(self) -> "ClassicalInnerProduct":
        return attrs.evolve(self, subtract=not self.subtract)

    # -- digits ---------------------------------------------------------------------------------
    def digits(self) -> List[List[Tuple[int, int]]]:
        """NAF digits per entry, signs flipped when subtracting."""
        if self.query is None:
            raise DecomposeTypeError(f"{self}: no query, nothing to decompose (cost only)")
        sgn = -1 if self.subtract else 1
        return [[(p, sgn * s) for p, s in naf_digits(q)] for q in self.query]

    def and_count(self) -> SymbolicInt:
        """And gates (Toffoli-class) of this bloq: exact with a query, worst case without."""
        A = self.acc_bits
        if self.query is None:
            D = naf_max_weight(self.bits)
            return self.d * D * (A - D)
        return sum(A - p - 1 for dig in self.digits() for p, _ in dig)

    # -- decomposition --------------------------------------------------------------------------
    def build_composite_bloq(self, bb: BloqBuilder, row, acc) -> Dict[str, SoquetT]:
        if self.query is None:
            raise DecomposeTypeError(f"{self}: no query, nothing to decompose (cost only)")
        A, b = int(self.acc_bits), int(self.bits)
        row = np.array(row)
        acc_q = bb.split(acc)  # big-endian: acc_q[0] is the sign (most significant) bit
        for i, dig in enumerate(self.digits()):
            if not dig:
                continue
            p_min = min(p for p, _ in dig)
            # Widest addend needed for this entry; >= b + 1 with the default A (p <= b - 1, A >= 2b),
            # but a tight user-chosen acc_bitsize may need fewer bits than b (then we truncate).
            E = max(A - p_min, b)
            r = bb.split(row[i])
            # Sign-extend row_i to E bits: copy the sign bit onto E - b fresh ancillas.
            ext = []
            for _ in range(E - b):
                a = bb.allocate(1)
                r[0], a = bb.add(CNOT(), ctrl=r[0], target=a)
                ext.append(a)
            x = np.array(ext + list(r))  # E bits, big-endian
            for p, s in dig:
                w = A - p
                addend = bb.join(x[E - w:], dtype=QUInt(w))
                target = bb.join(np.array(acc_q[:w]), dtype=QUInt(w))
                if s < 0:  # acc - a = ~(~acc + a)
                    target = bb.add(BitwiseNot(QUInt(w)), x=target)
                addend, target = bb.add(Add(QUInt(w)), a=addend, b=target)
                if s < 0:
                    target = bb.add(BitwiseNot(QUInt(w)), x=target)
                x[E - w:] = bb.split(addend)
                acc_q[:w] = bb.split(target)
            r = list(x[E - b:])
            for a in reversed(list(x[: E - b])):  # the (re-split) extension qubits
                r[0], a = bb.add(CNOT(), ctrl=r[0], target=a)
                bb.free(a)
            row[i] = bb.join(np.array(r), dtype=QInt(b))
        acc = bb.join(acc_q, dtype=QInt(A))
        return {"row": row, "acc": acc}

    def build_call_graph(self, ssa):
        A = self.acc_bits
        if self.query is None:
            D = naf_max_weight(self.bits)
            # d*D adders of the mean width A - D + 1: same And count as widths A, A-2, ..., A-2(D-1).
            return {Add(QUInt(A - D + 1)): self.d * D, CNOT(): 2 * self.d * (A - self.bits)}
        counts: Dict[Bloq, int] = {}

        def inc(bloq, k=1):
            counts[bloq] = counts.get(bloq, 0) + k

        for dig in self.digits():
            if not dig:
                continue
            p_min = min(p for p, _ in dig)
            inc(CNOT(), 2 * max(A - p_min - self.bits, 0))
            for p, s in dig:
                inc(Add(QUInt(A - p)))
                if s < 0:
                    inc(BitwiseNot(QUInt(A - p)), 2)
        return counts

    def qubit_count(self) -> SymbolicInt:
        """Peak width: row (b d) + acc (A) + sign extension + the adder's w - 1 And ancillas.

        For an entry whose lowest NAF digit sits at p, the extension holds A - p - b qubits and the
        widest adder (w = A - p) A - p - 1 ancillas. Worst case (p = 0): b d + 3A - b - 1.
        """
        A, b, bd = self.acc_bits, self.bits, self.bits * self.d
        if self.query is None:
            return bd + 3 * A - b - 1
        peaks = [
            bd + A + max(A - p - b, 0) + (A - p - 1)
            for dig in self.digits() if dig for p in [min(p for p, _ in dig)]
        ]
        return max(peaks, default=bd + A)

    def my_static_costs(self, cost_key):
        from qualtran.resource_counting import QubitCount

        if isinstance(cost_key, QubitCount):
            return self.qubit_count()
        return NotImplemented

    def on_classical_vals(self, row, acc) -> Dict[str, Any]:
        if self.query is None:
            raise NotImplementedError(f"{self}: no query, no classical action")
        ip = sum(int(q) * int(r) for q, r in zip(self.query, np.asarray(row).reshape(-1)))
        new = int(acc) - ip if self.subtract else int(acc) + ip
        return {"row": row, "acc": _wrap_signed(new, int(self.acc_bits))}

    def __str__(self) -> str:
        op = "-=" if self.subtract else "+="
        return f"acc {op} <q,row>(d={self.d}, b={self.bits})"


# ----------------------------------------------------------------------------------------------
# Signed comparison with a classical threshold
# ----------------------------------------------------------------------------------------------
@attrs.frozen
class ThresholdCompare(Bloq):
    r"""``flag ^= (x >= threshold)`` for a signed (two's complement) x and a classical threshold.

    Construction: x >= t  <=>  x + 2^(w-1) >= t + 2^(w-1), and ``x + 2^(w-1) mod 2^w`` is x with its
    sign bit flipped (offset binary). So: X on the sign bit, Qualtran's unsigned
    ``LessThanConstant(w, t + 2^(w-1))`` (flag ^= x' < t'), X on the flag (turns < into >=), X on
    the sign bit again. Cost: that of ``LessThanConstant``, **w And** (4w T) plus 3 X -- the best
    known comparator against a constant uses w And (Gidney's comparator, arXiv:1709.06648; Berry
    et al. arXiv:1902.02134). The construction is uniform in t (also at t = -2^(w-1), where the
    flag is always flipped) so the symbolic formula holds at every threshold.

    Args:
        bitsize: width w of x (>= 2).
        threshold: integer in [-2^(w-1), 2^(w-1) - 1] (may be a sympy symbol for costs).

    Registers:
        x: QInt(bitsize), THRU (unchanged).
        flag: QBit, THRU; flag ^= (x >= threshold).
    """

    bitsize: SymbolicInt
    threshold: SymbolicInt

    def __attrs_post_init__(self):
        w, t = self.bitsize, self.threshold
        if not is_symbolic(w) and (not isinstance(w, (int, np.integer)) or w < 2):
            raise QattnInputError(f"bitsize must be an integer >= 2, got {w!r}")
        if not is_symbolic(t) and not isinstance(t, (int, np.integer)):
            raise QattnInputError(f"threshold (tau) must be an integer in the fixed-point scale, got {t!r}")
        if not is_symbolic(w, t):
            lo, hi = _signed_range(int(w))
            if not lo <= t <= hi:
                raise QattnInputError(
                    f"threshold (tau) {t} is not representable in {w}-bit two's complement [{lo}, {hi}]"
                )

    @cached_property
    def signature(self) -> Signature:
        return Signature([Register("x", QInt(self.bitsize)), Register("flag", QBit())])

    @cached_property
    def comparator(self) -> LessThanConstant:
        return LessThanConstant(self.bitsize, self.threshold + 2 ** (self.bitsize - 1))

    def adjoint(self) -> "ThresholdCompare":
        return self

    def build_composite_bloq(self, bb: BloqBuilder, x, flag) -> Dict[str, SoquetT]:
        if is_symbolic(self.bitsize, self.threshold):
            raise DecomposeTypeError(f"{self}: symbolic, cannot decompose")
        w = int(self.bitsize)
        xs = bb.split(x)
        xs[0] = bb.add(XGate(), q=xs[0])  # two's complement -> offset binary
        xu = bb.join(xs, dtype=QUInt(w))
        xu, flag = bb.add(self.comparator, x=xu, target=flag)
        flag = bb.add(XGate(), q=flag)  # (x' < t') -> (x' >= t')
        xs = bb.split(xu)
        xs[0] = bb.add(XGate(), q=xs[0])
        return {"x": bb.join(xs, dtype=QInt(w)), "flag": flag}

    def build_call_graph(self, ssa):
        return {self.comparator: 1, XGate(): 3}

    def my_static_costs(self, cost_key):
        from qualtran.resource_counting import QubitCount

        if isinstance(cost_key, QubitCount):
            # x (w) + flag (1) + the w + 1 ancillas of LessThanConstant's And ladder, as measured on
            # its decomposition (tests compare with the greedy sweep of our decomposition).
            return 2 * self.bitsize + 2
        return NotImplemented

    def on_classical_vals(self, x, flag) -> Dict[str, Any]:
        return {"x": x, "flag": int(flag) ^ int(int(x) >= int(self.threshold))}

    def __str__(self) -> str:
        return f"x >= {self.threshold}"


# ----------------------------------------------------------------------------------------------
# Examples and doc specs
# ----------------------------------------------------------------------------------------------
@bloq_example
def _classical_inner_product() -> ClassicalInnerProduct:
    classical_inner_product = ClassicalInnerProduct(d=2, bits=3, query=(3, -4))
    return classical_inner_product


@bloq_example
def _classical_inner_product_symb() -> ClassicalInnerProduct:
    d, b = sympy.symbols("d b", positive=True, integer=True)
    classical_inner_product_symb = ClassicalInnerProduct(d=d, bits=b)
    return classical_inner_product_symb


@bloq_example
def _threshold_compare() -> ThresholdCompare:
    threshold_compare = ThresholdCompare(bitsize=5, threshold=-3)
    return threshold_compare


@bloq_example
def _threshold_compare_symb() -> ThresholdCompare:
    w, tau = sympy.symbols("w tau", integer=True)
    threshold_compare_symb = ThresholdCompare(bitsize=w, threshold=tau)
    return threshold_compare_symb


_CLASSICAL_INNER_PRODUCT_DOC = BloqDocSpec(
    bloq_cls=ClassicalInnerProduct,
    import_line="from bloqs.arithmetic import ClassicalInnerProduct",
    examples=[_classical_inner_product, _classical_inner_product_symb],
)
_THRESHOLD_COMPARE_DOC = BloqDocSpec(
    bloq_cls=ThresholdCompare,
    import_line="from bloqs.arithmetic import ThresholdCompare",
    examples=[_threshold_compare, _threshold_compare_symb],
)
