r"""Fixed-point arithmetic for the threshold oracle: inner product with a classical vector, and a
signed comparison with a classical threshold.

* ``ClassicalInnerProduct(d, bits, query)``: ``acc += <q, row>`` with ``q`` a *classical* vector of
  b-bit signed ints and ``row`` a quantum register of d b-bit signed ints. Qualtran 0.7 has no
  multiplier by a classical constant, so each q_i is recoded in non-adjacent form (NAF, signed
  digits in {-1, 0, 1}, no two adjacent non-zeros; Reitwiesner 1960, see Knuth TAOCP vol. 2
  4.6.3) and every non-zero digit ``s 2^p`` becomes one shifted ripple-carry addition (Gidney,
  arXiv:1709.06648: a w-bit adder costs w - 1 And) of the sign-extended row entry into the top
  ``acc_bits - p`` bits of ``acc``.
* ``CarrySaveInnerProduct(d, bits, query)``: ``acc ^= <q, row>`` by carry-save column compression
  (Wallace 1964 / Dadda 1965) of the NAF partial products, 1 And per full / half adder (Gidney,
  arXiv:1709.06648); all ancillas are kept as ``junk`` so the adjoint is free (And-dagger, 0 T).
  About 0.42x the And of ``ClassicalInnerProduct`` at d = 128, b = 8, and no And to uncompute.
* ``ConstantMultiply(x_bits, c)``: ``acc += c x`` for a classical constant c, the NAF
  shift-and-add of one ``ClassicalInnerProduct`` entry (shared code, ``_naf_add_entry``).
* ``ThresholdCompare(bitsize, threshold)``: ``flag ^= (x >= threshold)`` for signed x, by flipping
  the sign bit (two's complement -> offset binary) and an unsigned comparison with a constant
  (Qualtran's ``LessThanConstant``, w And; Berry et al. arXiv:1902.02134 / Gidney's comparator).

Conventions: all registers are two's complement ``QInt``; ``acc`` is sized by ``acc_bits_for`` so the
full-range result cannot overflow. Internally the adders act on ``QUInt`` views of the bits, where
addition mod 2^w is exactly two's complement addition; this sidesteps the Qualtran 0.7 trap that a
mixed-width signed ``Add`` zero-extends, and we sign-extend explicitly with CNOTs onto fresh
ancillas (not ``SignExtend``, whose adjoint breaks composite adjoints in qualtran 0.7).
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
from qualtran.bloqs.arithmetic import Add, LessThanConstant
from qualtran.bloqs.arithmetic.bitwise import BitwiseNot
from qualtran.bloqs.basic_gates import CNOT, XGate
from qualtran.bloqs.mcmt import And
from qualtran.resource_counting import QubitCount
from qualtran.symbolics import bit_length, ceil, is_symbolic

from bloqs.catalog import BOOKKEEPING
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
# NAF shift-and-add of one quantum entry times a classical constant (shared by
# ClassicalInnerProduct and ConstantMultiply)
# ----------------------------------------------------------------------------------------------
def _naf_add_entry(bb: BloqBuilder, r: SoquetT, dig: Sequence[Tuple[int, int]], acc_q, A: int, b: int) -> SoquetT:
    """``acc += sum_{(p, s) in dig} s 2^p r`` (mod 2^A) for one QInt(b) soquet ``r``.

    ``acc_q`` is the big-endian list of the A accumulator bits, updated in place; returns ``r``.
    Each digit is one (A - p)-bit Gidney adder of the sign-extended r into the top A - p bits of
    acc (a subtraction is ``~(~acc + r)``); r is sign-extended once to ``max(A - p_min, b)`` bits
    with CNOTs onto fresh ancillas, uncomputed the same way.
    """
    if not dig:
        return r
    p_min = min(p for p, _ in dig)
    # Widest addend needed for this entry; >= b + 1 with the default A (p <= b - 1, A >= 2b),
    # but a tight user-chosen accumulator may need fewer bits than b (then we truncate).
    E = max(A - p_min, b)
    rq = bb.split(r)
    # Sign-extend r to E bits: copy the sign bit onto E - b fresh ancillas.
    ext = []
    for _ in range(E - b):
        a = bb.allocate(1)
        rq[0], a = bb.add(CNOT(), ctrl=rq[0], target=a)
        ext.append(a)
    x = np.array(ext + list(rq))  # E bits, big-endian
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
    rq = list(x[E - b:])
    for a in reversed(list(x[: E - b])):  # the (re-split) extension qubits
        rq[0], a = bb.add(CNOT(), ctrl=rq[0], target=a)
        bb.free(a)
    return bb.join(np.array(rq), dtype=QInt(b))


def _naf_entry_calls(dig: Sequence[Tuple[int, int]], A: int, b: int, counts: Dict[Bloq, int]) -> None:
    """Add the callees of ``_naf_add_entry(dig, A, b)`` to ``counts``."""
    if not dig:
        return

    def inc(bloq, k=1):
        counts[bloq] = counts.get(bloq, 0) + k

    p_min = min(p for p, _ in dig)
    inc(CNOT(), 2 * max(A - p_min - b, 0))
    for p, s in dig:
        inc(Add(QUInt(A - p)))
        if s < 0:
            inc(BitwiseNot(QUInt(A - p)), 2)


def _naf_entry_extra_qubits(dig: Sequence[Tuple[int, int]], A: int, b: int) -> int:
    """Peak ancillas of ``_naf_add_entry``: sign extension (A - p_min - b) + widest adder's And
    ancillas (A - p_min - 1)."""
    if not dig:
        return 0
    p_min = min(p for p, _ in dig)
    return max(A - p_min - b, 0) + (A - p_min - 1)


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
            row[i] = _naf_add_entry(bb, row[i], dig, acc_q, A, b)
        acc = bb.join(acc_q, dtype=QInt(A))
        return {"row": row, "acc": acc}

    def build_call_graph(self, ssa):
        A = self.acc_bits
        if self.query is None:
            D = naf_max_weight(self.bits)
            # d*D adders of the mean width A - D + 1: same And count as widths A, A-2, ..., A-2(D-1).
            return {Add(QUInt(A - D + 1)): self.d * D, CNOT(): 2 * self.d * (A - self.bits)}
        counts: Dict[Bloq, int] = {}
        for dig in self.digits():
            _naf_entry_calls(dig, A, self.bits, counts)
        return counts

    def qubit_count(self) -> SymbolicInt:
        """Peak width: row (b d) + acc (A) + sign extension + the adder's w - 1 And ancillas.

        For an entry whose lowest NAF digit sits at p, the extension holds A - p - b qubits and the
        widest adder (w = A - p) A - p - 1 ancillas. Worst case (p = 0): b d + 3A - b - 1.
        """
        A, b, bd = self.acc_bits, self.bits, self.bits * self.d
        if self.query is None:
            return bd + 3 * A - b - 1
        return bd + A + max((_naf_entry_extra_qubits(dig, A, b) for dig in self.digits()), default=0)

    def my_static_costs(self, cost_key):
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
# Carry-save (column compression) inner product with a classical vector
# ----------------------------------------------------------------------------------------------
_QubitId = Tuple  # ("r", i, t): row i bit t (little-endian); ("a", k): acc bit k; ("j", n): ancilla n


@attrs.frozen
class _CSAPlan:
    """Gate list of ``CarrySaveInnerProduct`` (compute direction), shared by the decomposition,
    the call graph, the cost formulas and the classical action.

    ops: ``("new", j)`` fresh |0> ancilla j; ``("and", c1, c2, j)`` ancilla j = c1 AND c2 (And);
    ``("cnot", c, t)``; ``("x", q)``. Qubit ids as in ``_QubitId``.
    """

    ops: Tuple[tuple, ...]
    n_anc: int

    @cached_property
    def counts(self) -> Dict[str, int]:
        out = {"and": 0, "cnot": 0, "x": 0, "new": 0}
        for op in self.ops:
            out[op[0]] += 1
        return out


def _csa_plan(query: Sequence[int], b: int, A: int) -> _CSAPlan:
    """Partial products -> constant -> greedy LSB-first column compression -> CNOTs into acc."""
    # Column k: row literals (qubit id, complemented?) and ancillas we own (qubit ids), weight 2^k.
    rows: List[List[Tuple[_QubitId, bool]]] = [[] for _ in range(A)]
    ancs: List[List[_QubitId]] = [[] for _ in range(A)]
    const = 0
    for i, q in enumerate(query):
        for p, s in naf_digits(q):
            for t in range(b):
                if t + p >= A:
                    break
                # +x: bits x_t (t < b-1), ~x_{b-1};  -x: ~x_t (t < b-1), x_{b-1}.
                comp = (t == b - 1) if s > 0 else (t < b - 1)
                rows[t + p].append((("r", i, t), comp))
            const += (-(1 << (b - 1)) + (0 if s > 0 else 1)) << p
    const %= 1 << A
    ops: List[tuple] = []
    n_anc = 0

    def fresh() -> _QubitId:
        nonlocal n_anc
        n_anc += 1
        return ("j", n_anc - 1)

    for k in range(A - 1):
        if (const >> k) & 1:
            j = fresh()
            ops += [("new", j), ("x", j)]
            ancs[k].append(j)
    top = A - 1
    if (const >> top) & 1:
        ops.append(("x", ("a", top)))  # the top column is XORed into acc anyway

    for k in range(A - 1):
        R, J = rows[k], ancs[k]
        while len(R) + len(J) >= 2:
            n_in = 3 if len(R) + len(J) >= 3 else 2
            dest = J.pop() if J else None  # the sum goes in place into an ancilla we own
            n_other = n_in - 1 if dest is not None else n_in
            others: List[Tuple[_QubitId, bool]] = []
            while len(others) < n_other:  # retire row literals first
                others.append(R.pop() if R else (J.pop(), False))
            flips = [("x", q) for q, c in others if c]
            qs = [q for q, _ in others]
            carry = fresh()
            ops += flips
            if n_in == 3:  # full adder, 1 And: carry = c ^ And(a ^ c, b ^ c), sum = a ^ b ^ c
                a, bq = qs[0], qs[1]
                c = dest if dest is not None else qs[2]
                ops += [("cnot", c, a), ("cnot", c, bq), ("and", a, bq, carry), ("cnot", c, carry),
                        ("cnot", c, a), ("cnot", c, bq)]
                if dest is not None:
                    ops += [("cnot", a, c), ("cnot", bq, c)]
                    s = c
                else:
                    s = fresh()
                    ops += [("new", s), ("cnot", a, s), ("cnot", bq, s), ("cnot", c, s)]
            else:  # half adder, 1 And: carry = a AND b, sum = a ^ b
                a = qs[0]
                bq = dest if dest is not None else qs[1]
                ops.append(("and", a, bq, carry))
                if dest is not None:
                    ops.append(("cnot", a, bq))
                    s = bq
                else:
                    s = fresh()
                    ops += [("new", s), ("cnot", a, s), ("cnot", bq, s)]
            ops += flips
            J.append(s)
            ancs[k + 1].append(carry)
        for q, c in [(q, False) for q in J] + R:  # <= 1 bit left
            ops.append(("cnot", q, ("a", k)))
            if c:
                ops.append(("x", ("a", k)))
    for q, c in [(q, False) for q in ancs[top]] + rows[top]:  # carries out are dropped: parity
        ops.append(("cnot", q, ("a", top)))
        if c:
            ops.append(("x", ("a", top)))
    return _CSAPlan(tuple(ops), n_anc)


def _csa_simulate(plan: _CSAPlan, row_bits: Dict[_QubitId, int], acc_bits: int, A: int):
    """Run the plan on classical bits; returns (acc bits as int, ancilla bits list)."""
    st: Dict[_QubitId, int] = dict(row_bits)
    for k in range(A):
        st[("a", k)] = (acc_bits >> k) & 1
    for op in plan.ops:
        kind = op[0]
        if kind == "new":
            st[op[1]] = 0
        elif kind == "x":
            st[op[1]] ^= 1
        elif kind == "cnot":
            st[op[2]] ^= st[op[1]]
        else:
            st[op[3]] = st[op[1]] & st[op[2]]
    acc = sum(st[("a", k)] << k for k in range(A))
    return acc, [st[("j", n)] for n in range(plan.n_anc)]


@attrs.frozen
class CarrySaveInnerProduct(Bloq):
    r"""``acc ^= <query, row> mod 2^A`` by carry-save column compression; ancillas kept as junk.

    The second gate-level option (beside ``ClassicalInnerProduct``'s NAF shift-and-add) for the
    Grover threshold oracle's inner product. From ``acc = 0`` it computes ``acc = <q, row>``
    (two's complement, exact: A = ``acc_bits_for(d, bits)`` holds the full range).

    Construction (one planning routine, ``_csa_plan``, drives the decomposition, call graph,
    costs and classical action):

    1. Partial products. Each q_i is recoded in NAF (``naf_digits``); a digit ``s 2^p`` contributes
       row_i shifted by p, with two's complement tricks so that every bit is an unsigned literal:
       ``+x = sum_{t<b-1} x_t 2^t + (1 - x_{b-1}) 2^{b-1} - 2^{b-1}`` and
       ``-x = sum_{t<b-1} (1 - x_t) 2^t + x_{b-1} 2^{b-1} - 2^{b-1} + 1`` (times 2^p). The
       constants are summed classically into C mod 2^A; each 1-bit of C below the top column is a
       fresh qubit set by X (the top bit is an X on acc). Complemented literals are X-conjugated
       row qubits; row qubits are never left modified.
    2. Column compression (Wallace 1964, "A suggestion for a fast multiplier", IEEE Trans.
       Electron. Comput. EC-13; Dadda 1965, "Some schemes for parallel multipliers", Alta
       Frequenza 34), greedy LSB-first: while a column has >= 3 bits a full adder (sum stays,
       carry to the next column), with 2 bits a half adder. Each is exactly **1 And** (Gidney,
       arXiv:1709.06648: carry = c XOR And(a XOR c, b XOR c)); the sum goes in place into an
       ancilla input (a constant / earlier sum / carry) when the column has one, else into a fresh
       qubit (at most once per column). The top column (weight 2^(A-1)) drops its carries, so it
       is just XORed (CNOTs) into acc; every other column ends with <= 1 bit, CNOTed into acc.
    3. All ancillas (constants, carries, out-of-place sums) are kept in ``junk``, so the adjoint
       (``uncompute=True``: mirrored circuit, And -> And-dagger, measurement-based) costs **0 T**.

    And count (exact, concrete query): a column entered by n wires emits floor(n/2) carries, one
    And each, so And = sum_{k<A-1} floor(n_k/2), n_k = m_k + floor(n_{k-1}/2) (m_k = initial
    wires in column k). Equivalently ``And = M - popcount(N mod 2^(A-1)) - floor(N / 2^(A-1))``
    with M = sum_{k<A-1} m_k and N = sum_{k<A-1} m_k 2^k. Worst case (``query=None``): M <= b W +
    (A - 1) with W <= d D the NAF weight (D = ceil(b/2), ``naf_max_weight``) and at most one
    constant wire per column, and the subtracted terms are >= 1 whenever W >= 1, so

        And <= d b D + A - 2   (proven upper bound, used symbolically and for concrete d, b),

    checked against every query by enumeration at small d, b (not always attained: C cannot have
    all bits set together with maximal W). At d = 128, b = 8 (A = 23): 4,117 And versus
    ``ClassicalInnerProduct``'s d D (A - D) = 9,728 (ratio 0.42), and the uncompute is free
    instead of another 9,728 And; ratio ~ (b D) / (D (A - D)) ~ b / (A - D) for large d.

    Qubits: J = And + (#constant qubits) + (#out-of-place sums) <= And + A - 1 junk qubits
    (worst case ``d b D + 2A - 3``); peak width ``b d + A + J`` (everything is kept, nothing
    transient beyond it), which is the greedy sweep of the decomposition.

    Args:
        d: vector length (>= 1).
        bits: two's complement width b of q_i and row_i (>= 2).
        query: d classical ints in [-2^(b-1), 2^(b-1)-1], or None (cost only, worst case).
        uncompute: the adjoint (junk is consumed; And-dagger, 0 T).
        acc_bitsize: accumulator width A; default ``acc_bits_for(d, bits)``; at least the query's
            exact need.

    Registers:
        row: QInt(bits), shape (d,), THRU (unchanged).
        acc: QInt(A), THRU; acc ^= <q, row> mod 2^A (two's complement bits).
        junk: QAny(J), RIGHT (LEFT when uncompute); absent when J == 0. Bit j (big-endian, j = 0
            first) is ancilla j of the plan in creation order.
    """

    d: SymbolicInt
    bits: SymbolicInt
    query: Optional[Tuple[int, ...]] = attrs.field(default=None, converter=_convert_query)
    uncompute: bool = False
    acc_bitsize: Optional[SymbolicInt] = None

    def __attrs_post_init__(self):
        # Same parameter rules as ClassicalInnerProduct.
        ClassicalInnerProduct(self.d, self.bits, self.query, acc_bitsize=self.acc_bitsize)

    @cached_property
    def acc_bits(self) -> SymbolicInt:
        return acc_bits_for(self.d, self.bits) if self.acc_bitsize is None else self.acc_bitsize

    @cached_property
    def plan(self) -> _CSAPlan:
        if self.query is None:
            raise DecomposeTypeError(f"{self}: no query, nothing to decompose (cost only)")
        return _csa_plan(self.query, int(self.bits), int(self.acc_bits))

    def and_count(self) -> SymbolicInt:
        """And gates (And-dagger when uncomputing): exact with a query, upper bound without."""
        if self.query is None:
            return self.d * self.bits * naf_max_weight(self.bits) + self.acc_bits - 2
        return self.plan.counts["and"]

    def junk_bits(self) -> SymbolicInt:
        """J, the kept ancillas: exact with a query, upper bound ``And_max + A - 1`` without."""
        if self.query is None:
            return self.and_count() + self.acc_bits - 1
        return self.plan.n_anc

    def qubit_count(self) -> SymbolicInt:
        return self.bits * self.d + self.acc_bits + self.junk_bits()

    @cached_property
    def signature(self) -> Signature:
        regs = [Register("row", QInt(self.bits), shape=(self.d,)), Register("acc", QInt(self.acc_bits))]
        J = self.junk_bits()
        if is_symbolic(J) or J > 0:
            regs.append(Register("junk", QAny(J), side=Side.LEFT if self.uncompute else Side.RIGHT))
        return Signature(regs)

    def adjoint(self) -> "CarrySaveInnerProduct":
        return attrs.evolve(self, uncompute=not self.uncompute)

    # -- decomposition --------------------------------------------------------------------------
    def build_composite_bloq(self, bb: BloqBuilder, row, acc, junk=None) -> Dict[str, SoquetT]:
        plan = self.plan
        A, b = int(self.acc_bits), int(self.bits)
        row = np.array(row)
        soq: Dict[_QubitId, SoquetT] = {}
        for i in range(int(self.d)):
            rq = bb.split(row[i])  # big-endian
            for t in range(b):
                soq[("r", i, t)] = rq[b - 1 - t]
        accq = bb.split(acc)
        for k in range(A):
            soq[("a", k)] = accq[A - 1 - k]
        if self.uncompute and plan.n_anc:
            jq = bb.split(junk)
            for n in range(plan.n_anc):
                soq[("j", n)] = jq[n]
        ops = reversed(plan.ops) if self.uncompute else plan.ops
        for op in ops:
            kind = op[0]
            if kind == "x":
                soq[op[1]] = bb.add(XGate(), q=soq[op[1]])
            elif kind == "cnot":
                soq[op[1]], soq[op[2]] = bb.add(CNOT(), ctrl=soq[op[1]], target=soq[op[2]])
            elif kind == "new":
                if self.uncompute:
                    bb.free(soq.pop(op[1]))
                else:
                    soq[op[1]] = bb.allocate(1)
            else:  # and
                c1, c2, t = op[1:]
                if self.uncompute:
                    ctrl = bb.add(And().adjoint(), ctrl=np.array([soq[c1], soq[c2]]), target=soq.pop(t))
                else:
                    ctrl, soq[t] = bb.add(And(), ctrl=np.array([soq[c1], soq[c2]]))
                soq[c1], soq[c2] = ctrl
        for i in range(int(self.d)):
            row[i] = bb.join(np.array([soq[("r", i, t)] for t in reversed(range(b))]), dtype=QInt(b))
        out = {"row": row, "acc": bb.join(np.array([soq[("a", k)] for k in reversed(range(A))]), dtype=QInt(A))}
        if not self.uncompute and plan.n_anc:
            out["junk"] = bb.join(np.array([soq[("j", n)] for n in range(plan.n_anc)]), dtype=QAny(plan.n_anc))
        return out

    def build_call_graph(self, ssa):
        and_bloq = And().adjoint() if self.uncompute else And()
        if self.query is None:
            return {and_bloq: self.and_count()}
        counts = {and_bloq: self.plan.counts["and"], CNOT(): self.plan.counts["cnot"], XGate(): self.plan.counts["x"]}
        return {k: v for k, v in counts.items() if v}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            return self.qubit_count()
        return NotImplemented

    # -- classical action -----------------------------------------------------------------------
    def _run(self, row, acc):
        b, A = int(self.bits), int(self.acc_bits)
        row_bits = {}
        for i, r in enumerate(np.asarray(row).reshape(-1)):
            for t in range(b):
                row_bits[("r", i, t)] = (int(r) >> t) & 1
        acc_u, anc = _csa_simulate(self.plan, row_bits, int(acc) % (1 << A), A)
        junk = 0
        for bit in anc:
            junk = (junk << 1) | bit
        return _wrap_signed(acc_u, A), junk

    def on_classical_vals(self, row, acc, junk=None) -> Dict[str, Any]:
        if self.query is None:
            raise NotImplementedError(f"{self}: no query, no classical action")
        new_acc, new_junk = self._run(row, acc)
        out = {"row": row, "acc": new_acc}
        if self.uncompute:
            if self.plan.n_anc and int(junk) != new_junk:
                raise ValueError(f"{self}: junk {junk} is not the junk that the compute leaves ({new_junk})")
        elif self.plan.n_anc:
            out["junk"] = new_junk
        return out

    def __str__(self) -> str:
        tag = "CSA^-1" if self.uncompute else "CSA"
        return f"acc ^= <q,row> {tag}(d={self.d}, b={self.bits})"


# ----------------------------------------------------------------------------------------------
# Quantum register times a classical constant
# ----------------------------------------------------------------------------------------------
def _signed_width(x: int) -> int:
    """Smallest two's complement width (>= 2) holding x."""
    w = 2
    while not -(1 << (w - 1)) <= x <= (1 << (w - 1)) - 1:
        w += 1
    return w


@attrs.frozen
class ConstantMultiply(Bloq):
    r"""``acc += c * x`` (``-=`` with ``subtract=True``) for a classical signed constant c and a
    quantum two's complement x.

    Construction: NAF shift-and-add, the same code path as one entry of
    ``ClassicalInnerProduct`` (``_naf_add_entry``): each non-zero signed digit ``s 2^p`` of c
    (Reitwiesner 1960) is one (W - p)-bit Gidney adder (arXiv:1709.06648, W - p - 1 And) of the
    sign-extended x into the top W - p bits of acc; subtraction is ``~(~acc + x)``. This is the
    best known construction for a constant multiplier in this setting: one adder per non-zero
    signed digit, ~c_bits/3 adders on average, at most ceil(c_bits/2) (``naf_max_weight``).

    Cost: with a concrete c, ``sum_{digits} (W - p - 1)`` And; with ``c=None`` (cost only, any
    c of ``c_bits`` bits) the worst case ``D (W - D)`` with D = ceil(c_bits/2), attained by digits
    at positions 0, 2, ... (same argument as ``ClassicalInnerProduct``). Qubits: x + acc + sign
    extension + widest adder's ancillas, worst case ``x_bits + 3W - x_bits - 1 = 3W - 1``.

    Use it where a cost model would charge Qualtran's ``Product`` (quantum x quantum, no
    decomposition) for a product with a classical operand.

    Args:
        x_bits: width of x (>= 2).
        c: the constant (int), or None for the worst case over ``c_bits``-bit constants.
        c_bits: two's complement width of c; required when c is None, default the minimal width.
        out_bits: width W of acc; default ``x_bits + c_bits`` (holds every product); must be at
            least the exact need so the product cannot overflow.
        subtract: acc -= c x (this is the adjoint).

    Registers:
        x: QInt(x_bits), THRU (unchanged).
        acc: QInt(out_bits), THRU.
    """

    x_bits: SymbolicInt
    c: Optional[int] = attrs.field(default=None, converter=lambda v: None if v is None else int(v))
    c_bits: Optional[SymbolicInt] = None
    out_bits: Optional[SymbolicInt] = None
    subtract: bool = False

    def __attrs_post_init__(self):
        xb, cb = self.x_bits, self.c_bits
        if not is_symbolic(xb) and (not isinstance(xb, (int, np.integer)) or xb < 2):
            raise QattnInputError(f"x_bits must be an integer >= 2, got {xb!r}")
        if self.c is None and cb is None:
            raise QattnInputError("c_bits is required when c is None (worst case over c_bits-bit constants)")
        if cb is not None and not is_symbolic(cb):
            if not isinstance(cb, (int, np.integer)) or cb < 2:
                raise QattnInputError(f"c_bits must be an integer >= 2, got {cb!r}")
            if self.c is not None and not -(1 << (cb - 1)) <= self.c <= (1 << (cb - 1)) - 1:
                raise QattnInputError(f"c={self.c} does not fit in c_bits={cb} two's complement")
        if self.c is not None and is_symbolic(xb):
            raise QattnInputError("c given together with symbolic x_bits: pass a concrete x_bits")
        W = self.out_bits
        if W is not None and not is_symbolic(W):
            if self.c is not None:
                lo, hi = _signed_range(int(xb))
                need = _signed_width(min(self.c * lo, self.c * hi)) if self.c else 2
                need = max(need, _signed_width(max(self.c * lo, self.c * hi)))
            elif not is_symbolic(xb, cb):
                need = int(xb) + int(cb)
            else:
                need = 2
            if not isinstance(W, (int, np.integer)) or W < need:
                raise QattnInputError(f"out_bits must be an integer >= {need} so c * x cannot overflow, got {W!r}")

    @cached_property
    def const_bits(self) -> SymbolicInt:
        return _signed_width(self.c) if self.c_bits is None else self.c_bits

    @cached_property
    def acc_bits(self) -> SymbolicInt:
        return self.x_bits + self.const_bits if self.out_bits is None else self.out_bits

    @cached_property
    def signature(self) -> Signature:
        return Signature([Register("x", QInt(self.x_bits)), Register("acc", QInt(self.acc_bits))])

    def adjoint(self) -> "ConstantMultiply":
        return attrs.evolve(self, subtract=not self.subtract)

    def digits(self) -> List[Tuple[int, int]]:
        if self.c is None:
            raise DecomposeTypeError(f"{self}: no constant, nothing to decompose (cost only)")
        sgn = -1 if self.subtract else 1
        return [(p, sgn * s) for p, s in naf_digits(self.c)]

    def and_count(self) -> SymbolicInt:
        W = self.acc_bits
        if self.c is None:
            D = naf_max_weight(self.const_bits)
            return D * (W - D)
        return sum(W - p - 1 for p, _ in self.digits())

    def build_composite_bloq(self, bb: BloqBuilder, x, acc) -> Dict[str, SoquetT]:
        digits = self.digits()  # DecomposeTypeError first when c is None (sizes may be symbols)
        W = int(self.acc_bits)
        acc_q = bb.split(acc)
        x = _naf_add_entry(bb, x, digits, acc_q, W, int(self.x_bits))
        return {"x": x, "acc": bb.join(acc_q, dtype=QInt(W))}

    def build_call_graph(self, ssa):
        W = self.acc_bits
        if self.c is None:
            D = naf_max_weight(self.const_bits)
            return {Add(QUInt(W - D + 1)): D, CNOT(): 2 * (W - self.x_bits)}
        counts: Dict[Bloq, int] = {}
        _naf_entry_calls(self.digits(), int(W), int(self.x_bits), counts)
        return counts

    def qubit_count(self) -> SymbolicInt:
        W, xb = self.acc_bits, self.x_bits
        if self.c is None:
            return 3 * W - 1
        return xb + W + _naf_entry_extra_qubits(self.digits(), int(W), int(xb))

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            return self.qubit_count()
        return NotImplemented

    def on_classical_vals(self, x, acc) -> Dict[str, Any]:
        if self.c is None:
            raise NotImplementedError(f"{self}: no constant, no classical action")
        prod = self.c * int(x)
        new = int(acc) - prod if self.subtract else int(acc) + prod
        return {"x": x, "acc": _wrap_signed(new, int(self.acc_bits))}

    def __str__(self) -> str:
        op = "-=" if self.subtract else "+="
        return f"acc {op} {self.c if self.c is not None else 'c'}*x"


# ----------------------------------------------------------------------------------------------
# Examples and doc specs
# ----------------------------------------------------------------------------------------------
@bloq_example(generalizer=BOOKKEEPING)
def _classical_inner_product() -> ClassicalInnerProduct:
    classical_inner_product = ClassicalInnerProduct(d=2, bits=3, query=(3, -4))
    return classical_inner_product


@bloq_example
def _classical_inner_product_symb() -> ClassicalInnerProduct:
    d, b = sympy.symbols("d b", positive=True, integer=True)
    classical_inner_product_symb = ClassicalInnerProduct(d=d, bits=b)
    return classical_inner_product_symb


@bloq_example(generalizer=BOOKKEEPING)
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


@bloq_example(generalizer=BOOKKEEPING)
def _carry_save_inner_product() -> CarrySaveInnerProduct:
    carry_save_inner_product = CarrySaveInnerProduct(d=2, bits=3, query=(3, -4))
    return carry_save_inner_product


@bloq_example
def _carry_save_inner_product_symb() -> CarrySaveInnerProduct:
    d, b = sympy.symbols("d b", positive=True, integer=True)
    carry_save_inner_product_symb = CarrySaveInnerProduct(d=d, bits=b)
    return carry_save_inner_product_symb


@bloq_example(generalizer=BOOKKEEPING)
def _constant_multiply() -> ConstantMultiply:
    constant_multiply = ConstantMultiply(x_bits=4, c=-11)
    return constant_multiply


@bloq_example
def _constant_multiply_symb() -> ConstantMultiply:
    xb, cb = sympy.symbols("x_b c_b", positive=True, integer=True)
    constant_multiply_symb = ConstantMultiply(x_bits=xb, c_bits=cb)
    return constant_multiply_symb


_CARRY_SAVE_INNER_PRODUCT_DOC = BloqDocSpec(
    bloq_cls=CarrySaveInnerProduct,
    import_line="from bloqs.arithmetic import CarrySaveInnerProduct",
    examples=[_carry_save_inner_product, _carry_save_inner_product_symb],
)
_CONSTANT_MULTIPLY_DOC = BloqDocSpec(
    bloq_cls=ConstantMultiply,
    import_line="from bloqs.arithmetic import ConstantMultiply",
    examples=[_constant_multiply, _constant_multiply_symb],
)
