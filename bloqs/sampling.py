r"""Importance sampling by amplitude amplification: leverage-score sampling and ridge-leverage QSample.

Goal: draw an index i in [0, n) with probability :math:`w_i / \sum_j w_j` from a weight oracle
:math:`|i\rangle|0\rangle \mapsto |i\rangle|w_i\rangle` (b-bit unsigned weights, loaded by a QROM
or computed), as used by the sublinear QAttention data structure (Song, Xue, Zhang, Zhang,
arXiv:2602.00874: leverage-score sampling of V's rows, and QSample of Nystrom landmarks).

Construction (coherent rejection sampling, the "uniform ancilla" / alias trick of Babbush et al.
arXiv:1805.03662 Sec. III.D used here as the acceptance test):

1. U = :class:`UniformIndexAndCoin`: :math:`n^{-1/2}\sum_i |i\rangle \otimes 2^{-b/2}\sum_c |c\rangle`.
2. F = :class:`WeightThresholdFlag`: load :math:`w_i` into a scratch register, flag ^= [c < w_i]
   (``LinearDepthGreaterThan``: b And), unload (by measurement for a table lookup). Hence
   :math:`\Pr[{\rm flag}=1, i] = \tfrac1n \cdot \tfrac{w_i}{2^b}` exactly and, conditioned on the
   flag, :math:`\Pr[i] = w_i/\sum_j w_j` exactly (for the b-bit weights).
3. Amplitude amplification on the flag (:mod:`bloqs.amplification`): the acceptance probability
   :math:`a = \sum_i w_i / (n 2^b)` (= :math:`\rho = \sum w / (n\,w_{max})` up to the
   quantisation :math:`w_{max} \mapsto 2^b - 1`) becomes :math:`\sin^2((2r+1)\theta)`,
   :math:`\sin^2\theta = a`, after r rounds; :math:`r = \lfloor\pi/(4\theta)\rfloor \le
   \tfrac{\pi}{4}\sqrt{n\,2^b/\sum w}` rounds give success :math:`\ge 1 - a` (BHMT Thm 2).
   The conditional distribution given flag = 1 is untouched by amplification.

Cost of one sample attempt: U + r (2 F + U + U-dagger + reflection over log n + b qubits) + F,
F = weight lookup + measurement-based unload (:class:`bloqs.qroam.RowUnload`, Berry et al.
arXiv:1902.02134 App. C) + b And for table weights, 2 weight-oracle calls + b And for computed ones.
With a QROM weight oracle (Babbush et al. Fig. 7 unary iteration, 4n - 8 T per call; unload
4(2 sqrt n - 4) T): about :math:`(4n + 8\sqrt n + 4b)\,(\tfrac{\pi}{4}\sqrt{1/a})` T.

Uses:

* (a) **Leverage-score sampling of V's rows** (:func:`row_norm_sampler`, Apers-Gribling
  arXiv:2311.03215): weights :math:`w_i = \|v_i\|^2` (the row norms, QROM-loaded after
  quantisation). Row distortion (:func:`row_distortion`, the definition of
  :func:`qattn_cirq.reference.row_distortion`, consistent with the paper's bound
  :math:`\alpha \le d/{\rm srank}(V)`): :math:`\alpha = \max_i \frac{\|v_i\|^2/\|V\|_F^2}{\ell_i/r}`
  with :math:`\ell_i` the leverage scores and :math:`r = {\rm rank}(V)` (:math:`r = d` for V of
  full column rank, the usual case n >= d). Since :math:`\|v_i\|^2 \le \sigma_{max}^2 \ell_i`,
  :math:`\alpha \le r\sigma_{max}^2/\|V\|_F^2 = r/{\rm srank}(V) \le d/{\rm srank}(V)`; since
  :math:`\ell_i \le 1`, the acceptance obeys :math:`a \ge r/(\alpha n)`, so
  :math:`r \le \tfrac{\pi}{4}\sqrt{\alpha n/{\rm rank}(V)}` rounds
  (:func:`leverage_sampler_symbolic` uses this bound with d = rank(V)).
* (b) **QSample of Nystrom landmarks** by ridge leverage scores
  :math:`\tau_i(\lambda) = (K(K+\lambda I)^{-1})_{ii}`, which sum to the statistical dimension
  :math:`s_\lambda` and are at most 1, so :math:`a \ge s_\lambda/n`. The recursive scheme is
  Musco and Musco, *Recursive Sampling for the Nystrom Method*, NeurIPS 2017 (classical original,
  arXiv:1605.07583): scores at one level are estimated from the landmarks of the previous level,
  :math:`\tilde\tau_i = \lambda^{-1}(K_{ii} - K_{iS}(K_{SS}+\lambda I)^{-1}K_{Si})`.
  For concrete instances the weights are computed classically and QROM-loaded
  (:func:`ridge_leverage_sampler`, gate level, simulated on qsim); for the symbolic costs the
  coherent computation of :math:`\tilde\tau_i` is :class:`RidgeLeverageOracleCostModel`
  (a cost model: s kernel evaluations of d-dimensional inner products with the classical
  landmarks and the quadratic form with the classical matrix M -- gate-level
  :class:`bloqs.arithmetic.ClassicalInnerProduct` for every product with a classical operand,
  Qualtran ``Product`` only for the s quantum x quantum products -- per query).

Symbolic call graphs take n, b (bits), d, s, alpha as sympy symbols and never enumerate n items.
"""


import math
from functools import cached_property, lru_cache
from typing import Dict, Optional, Sequence, Tuple, Union

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
    QBit,
    QInt,
    QUInt,
    Register,
    Signature,
    Soquet,
    SoquetT,
    bloq_example,
)
from qualtran.bloqs.arithmetic import Add
from qualtran.bloqs.arithmetic.bitwise import BitwiseNot
from qualtran.bloqs.arithmetic.comparison import LinearDepthGreaterThan
from qualtran.bloqs.arithmetic.multiplication import Product
from qualtran.bloqs.basic_gates import CNOT, Hadamard, XGate
from qualtran.bloqs.bookkeeping import Cast
from qualtran.bloqs.data_loading import QROM
from qualtran.bloqs.state_preparation.prepare_uniform_superposition import (
    PrepareUniformSuperposition,
)
from qualtran.resource_counting import QubitCount, get_cost_value
from qualtran.symbolics import ceil, is_symbolic, log2

from bloqs.amplification import (
    AmplifiedPrepare,
    _symbolic_width,
    lazy_max,
    optimal_rounds,
    rounds_upper_bound_expr,
    success_probability,
)
from bloqs.arithmetic import ClassicalInnerProduct, acc_bits_for
from bloqs.catalog import BOOKKEEPING
from bloqs.kernel import KernelExp, ShiftAddMultiplier
from bloqs.loader_factory import make_row_loader
from bloqs.qroam import RowUnload, unload_beats_reload
from qattn_cirq.errors import QattnInputError
from qattn_cirq.reference import row_distortion, stable_rank  # noqa: F401 (re-exported, see below)

SymbolicInt = Union[int, sympy.Expr]


def index_bits(n: SymbolicInt) -> SymbolicInt:
    """Bits of an index register over n >= 2 items: ceil(log2 n)."""
    if is_symbolic(n):
        return ceil(log2(n))
    return max(1, int(n - 1).bit_length())


def int_vector(w) -> Optional[Tuple[int, ...]]:
    """attrs converter: None, or a tuple of Python ints (hashable, so bloqs stay frozen values)."""
    return None if w is None else tuple(int(x) for x in w)


def int_table(w) -> Optional[Tuple[Tuple[int, ...], ...]]:
    """attrs converter: None, or an n x d table as a tuple of tuples of Python ints."""
    return None if w is None else tuple(tuple(int(x) for x in row) for row in w)


def check_table_shape(name: str, table, n, d) -> np.ndarray:
    """``table`` as an array, after checking it is n x d (``QattnInputError`` naming ``name``)."""
    arr = np.asarray(table)
    if arr.shape != (int(n), int(d)):
        raise QattnInputError(f"{name} must be n x d = {n} x {d}, got {arr.shape}")
    return arr


def _check_n_bits(n, bits):
    if not is_symbolic(n) and int(n) < 2:
        raise QattnInputError(f"n={n} must be >= 2")
    if not is_symbolic(bits) and not (1 <= int(bits) <= 32):
        raise QattnInputError(f"weight bits={bits} must be in [1, 32]")


# ----------------------------------------------------------------------------------------------
# U and F
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class UniformIndexAndCoin(Bloq):
    r"""U: uniform superposition over n indices (``PrepareUniformSuperposition``, Babbush et al.
    arXiv:1805.03662 Fig. 12: Cliffords for powers of two, else O(log n) And + 2 rotations) and
    Hadamards on the b-bit coin.

    Args:
        n: number of indices (>= 2, int or symbol).
        coin_bits: width b of the coin register (in [1, 32]).

    Registers:
        index: BQUInt(ceil(log2 n), n), THRU (enters |0>, leaves uniform over n).
        coin: QUInt(coin_bits), THRU (enters |0>, leaves uniform over 2^b).
    """

    n: SymbolicInt
    coin_bits: SymbolicInt

    def __attrs_post_init__(self):
        _check_n_bits(self.n, self.coin_bits)

    @cached_property
    def signature(self) -> Signature:
        return Signature(
            [Register("index", BQUInt(index_bits(self.n), self.n)), Register("coin", QUInt(self.coin_bits))]
        )

    def build_composite_bloq(self, bb: BloqBuilder, index: Soquet, coin: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.n, self.coin_bits):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        index = bb.add(PrepareUniformSuperposition(self.n), target=index)
        cs = bb.split(coin)
        cs = np.array([bb.add(Hadamard(), q=c) for c in cs])
        return {"index": index, "coin": bb.join(cs, dtype=QUInt(self.coin_bits))}

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {PrepareUniformSuperposition(self.n): 1, Hadamard(): self.coin_bits}

    def __str__(self):
        return f"U({self.n}, {self.coin_bits})"


def _qrom_for(n, bits, weights) -> Bloq:
    if weights is None:
        return QROM.build_from_bitsize((n,), (bits,))
    return QROM.build_from_data(np.asarray(weights, dtype=int), target_bitsizes=(bits,))


def is_weight_table_lookup(oracle: Bloq, n: SymbolicInt, bits: SymbolicInt) -> bool:
    """True if ``oracle`` is a plain table lookup of classical weights: Qualtran's ``QROM`` over n
    entries with one unshaped b-bit target (the default oracle of :class:`WeightThresholdFlag`,
    concrete or symbolic-size). Its output is then a known classical function of the index, so it
    can be uncomputed by measurement (:class:`bloqs.qroam.RowUnload`)."""
    if not isinstance(oracle, QROM):
        return False
    if len(oracle.target_bitsizes) != 1 or tuple(oracle.target_shapes[0]) != ():
        return False
    if len(oracle.data_shape) != 1:
        return False
    same = lambda x, y: (x == y) is True or (is_symbolic(x) or is_symbolic(y)) and sympy.simplify(x - y) == 0  # noqa: E731
    return bool(same(oracle.data_shape[0], n) and same(oracle.target_bitsizes[0], bits))


def _to_signed(x: int, bits: int) -> int:
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >> (bits - 1) else x


@attrs.frozen
class WeightThresholdFlag(Bloq):
    r"""F: ``flag ^= [coin < w(index)]`` with w from a weight oracle (self-inverse).

    The weight oracle is any bloq with registers ``selection`` (the index) and ``target0_`` (b bits)
    that XORs :math:`w_i` into the target, i.e. Qualtran's ``QROM`` interface; by default a QROM
    over ``weights`` (or a symbolic-size QROM).

    Decomposition: allocate a b-bit scratch, oracle (compute :math:`w_i`), ``LinearDepthGreaterThan``
    (weight > coin, b And, Cuccaro-style ripple), uncompute :math:`w_i`, free. The uncompute:

    * **table lookup** (the oracle is a plain ``QROM`` over classical weights, see
      :func:`is_weight_table_lookup`, n >= 3): measurement-based unload
      :class:`bloqs.qroam.RowUnload` (n, d = 1, b) (Berry, Gidney, Motta, McClean, Babbush,
      arXiv:1902.02134, App. C): X-basis measurement of the b weight qubits and a phase fix-up
      lookup, ``ceil(n/K') + K' - 4`` And with K' ~ sqrt(n), instead of a second lookup (n - 2
      And). The scratch is re-typed QAny -> QUInt (comparator) -> QInt (RowUnload's row; the
      unsigned weights are passed to it as their b-bit two's complement reading, same bits). b = 1
      weights get one |0> padding qubit on top (RowUnload needs 2-bit entries; same And count).
      Per call: ``QROM + RowUnload + b And``; ratio 1 to Berry et al.'s unload bound. (With
      concrete weights so regular that Qualtran's QROM reloads them cheaper, the QROM is rerun.)
    * **computed weights** (any other oracle, e.g. :class:`RowNormSquaredOracle`,
      :class:`RidgeLeverageOracleCostModel`, :class:`bloqs.nystrom.KernelOracleCostModel`, or the
      assumed-QRAM :class:`bloqs.loaders.QRAMLookup`): the oracle again. A computed value is
      not a lookup of classical data: a measurement-based uncompute would need a fix-up table of
      :math:`w_i` for all n indices, i.e. computing every weight classically -- which is the
      table-lookup case (pass ``weights``). (For the assumed QRAM a second polylog access is cheaper
      than a Theta(sqrt n) unload.) Per call: ``2 oracle + b And``; the computed oracles unload
      their own row lookups by measurement.

    F is its own inverse (``adjoint()`` returns F): the measurement-based unload implements the same
    map as the reload on every basis state F is applied to. PhaseFlip / AmplificationIterate /
    amplitude estimation apply F twice and never control it (only the phase flip is controlled).
    For qsim, :mod:`qattn_cirq.simulate` lowers RowUnload to its coherent equivalent.

    Args:
        n: number of indices (>= 2, int or symbol).
        weight_bits: width b of each weight and of the coin (in [1, 32]).
        weights: n concrete weights in [0, 2^b - 1] (a QROM over them is the oracle), or None.
        weight_oracle: a computed oracle with QROM's interface (``selection``, ``target0_`` of b bits)
            instead of the table; None for the QROM.
        uncompute_log_block_size: k' of the measurement-based unload (table lookups only), None for
            :func:`bloqs.qroam.unload_log_block_size`.

    Registers:
        index: BQUInt(ceil(log2 n), n), THRU.
        coin: QUInt(weight_bits), THRU.
        flag: QBit, THRU; ``flag ^= [coin < w(index)]``.
    """

    n: SymbolicInt
    weight_bits: SymbolicInt
    weights: Optional[Tuple[int, ...]] = attrs.field(default=None, converter=int_vector)
    weight_oracle: Optional[Bloq] = None
    uncompute_log_block_size: Optional[SymbolicInt] = None

    def __attrs_post_init__(self):
        _check_n_bits(self.n, self.weight_bits)
        if self.weights is not None:
            if is_symbolic(self.n, self.weight_bits):
                raise QattnInputError("weights need concrete n and weight_bits")
            if len(self.weights) != int(self.n):
                raise QattnInputError(f"weights has {len(self.weights)} entries, expected n={self.n}")
            top = 2 ** int(self.weight_bits) - 1
            if min(self.weights) < 0 or max(self.weights) > top:
                raise QattnInputError(f"weights must be integers in [0, {top}] for weight_bits={self.weight_bits}")

    @cached_property
    def oracle(self) -> Bloq:
        return self.weight_oracle if self.weight_oracle is not None else _qrom_for(self.n, self.weight_bits, self.weights)

    @cached_property
    def measured_unload(self) -> bool:
        """Whether the weight is uncomputed by measurement (table lookup, n >= 3) or by the oracle."""
        if not is_symbolic(self.n) and int(self.n) < 3:
            return False
        return is_weight_table_lookup(self.oracle, self.n, self.weight_bits)

    @cached_property
    def unload(self) -> Optional[Bloq]:
        """:class:`bloqs.qroam.RowUnload` (d = 1) of the b-bit weight, or None (oracle rerun)."""
        if not self.measured_unload:
            return None
        data = np.asarray(self.oracle.data[0]).reshape(-1, 1) if self.oracle.has_data() else None
        u = row_unload_for(self.n, 1, self.weight_bits, data)
        if self.uncompute_log_block_size is not None:
            u = attrs.evolve(u, uncompute_log_block_size=self.uncompute_log_block_size)
        return u if unload_beats_reload(self.oracle, u) else None

    @cached_property
    def signature(self) -> Signature:
        return Signature(
            [
                Register("index", BQUInt(index_bits(self.n), self.n)),
                Register("coin", QUInt(self.weight_bits)),
                Register("flag", QBit()),
            ]
        )

    @cached_property
    def comparator(self) -> Bloq:
        return LinearDepthGreaterThan(self.weight_bits, signed=False)

    def adjoint(self) -> "WeightThresholdFlag":
        return self

    def build_composite_bloq(self, bb: BloqBuilder, index: Soquet, coin: Soquet, flag: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.n, self.weight_bits):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        b = int(self.weight_bits)
        w = bb.allocate(dtype=QAny(b))
        index, w = bb.add(self.oracle, selection=index, target0_=w)
        w = bb.add(bb_cast(QAny(b), QUInt(b)), reg=w)
        w, coin, flag = bb.add(self.comparator, a=w, b=coin, target=flag)
        if self.unload is None:
            w = bb.add(bb_cast(QUInt(b), QAny(b)), reg=w)
            index, w = bb.add(self.oracle, selection=index, target0_=w)
            bb.free(w)
            return {"index": index, "coin": coin, "flag": flag}
        index = add_row_unload(bb, self.unload, index, [w], b)
        return {"index": index, "coin": coin, "flag": flag}

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        if self.unload is None:
            return {self.oracle: 2, self.comparator: 1}
        return {self.oracle: 1, self.unload: 1, self.comparator: 1}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount) and is_symbolic(self.n, self.weight_bits):
            # oracle / unload on (index, w) while coin and flag idle; comparator on (w, coin,
            # flag) while index idles (w: the allocated b-bit weight register)
            L, b = index_bits(self.n), self.weight_bits
            phases = [(self.oracle, b + 1), (self.comparator, L)]
            if self.unload is not None:
                phases.append((self.unload, b + 1))
            return _symbolic_width(self, phases)
        return NotImplemented

    def on_classical_vals(self, index: int, coin: int, flag: int) -> Dict[str, int]:
        if self.weights is None:
            raise NotImplementedError("classical action needs concrete weights")
        return {"index": index, "coin": coin, "flag": flag ^ int(coin < self.weights[index])}

    def __str__(self):
        return f"F[c<w]({self.n})"


def bb_cast(a, b) -> Bloq:
    """A free re-typing of a register (Qualtran's Cast), e.g. QROM's QAny target to QUInt."""
    return Cast(a, b)


def row_unload_for(n: SymbolicInt, d: SymbolicInt, bits: SymbolicInt, table=None) -> Optional[Bloq]:
    """:class:`bloqs.qroam.RowUnload` for an n x d table of *unsigned* b-bit entries (or None
    when n < 3, where a measurement-based unload does not apply and the lookup is rerun).

    RowUnload takes two's complement entries of >= 2 bits: each entry is passed as the signed
    reading of its bits, on ``max(2, b)`` bits (b = 1: one |0> padding qubit on top, see
    :func:`add_row_unload`); the And count does not depend on the width."""
    if not is_symbolic(n) and int(n) < 3:
        return None
    bu = bits if is_symbolic(bits) else max(2, int(bits))
    data = None
    if table is not None:
        arr = np.asarray(table, dtype=np.int64).reshape(int(n), int(d))
        data = tuple(tuple(_to_signed(int(v), int(bu)) for v in row) for row in arr)
    return RowUnload(n, d, bu, data=data)


def add_row_unload(bb: BloqBuilder, unload: Bloq, selection: Soquet, entries, b: int) -> Soquet:
    """Add ``unload`` (a :func:`row_unload_for` RowUnload) consuming the QUInt(b) soquets ``entries``
    (which hold the looked-up row); returns the selection soquet."""
    bu = int(unload.bits)
    row = []
    for v in entries:
        if bu == b:
            row.append(bb.add(bb_cast(QUInt(b), QInt(b)), reg=v))
        else:  # b = 1: the entry is 0 or 1, a |0> sign qubit on top makes it a 2-bit QInt
            row.append(bb.join(np.array([bb.allocate(1), bb.split(v)[0]]), dtype=QInt(bu)))
    return bb.add(unload, selection=selection, row=np.array(row))


# ----------------------------------------------------------------------------------------------
# the sampler
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class ImportanceSampler(Bloq):
    r"""Sample i with probability :math:`w_i/\sum w` (given flag = 1) by amplitude amplification.

    ``F G^r U |0>`` on registers ``index`` (BQUInt), ``coin`` (QUInt(b)), ``flag`` (QBit), all in
    :math:`|0\rangle` on input. Measure all three; keep ``index`` when ``flag`` = 1 (probability
    :math:`\sin^2((2r+1)\theta)`, :math:`\sin^2\theta = a = \sum w/(n 2^b)`), else repeat.

    Args:
        n: number of items (>= 2; int or symbol).
        weight_bits: b, bits of each weight (weights are integers in [0, 2^b - 1]).
        weights: concrete integer weights (builds a QROM weight oracle), or None.
        rounds: amplification rounds r; default :func:`optimal_rounds` of the acceptance for
            concrete weights (required for symbolic ones).
        weight_oracle: optional custom oracle with QROM's interface (computed weights).

    Registers:
        index: BQUInt(ceil(log2 n), n), THRU (enters |0>; the sample).
        coin: QUInt(weight_bits), THRU (enters |0>).
        flag: QBit, THRU (enters |0>; 1 = accepted).
    """

    n: SymbolicInt
    weight_bits: SymbolicInt
    weights: Optional[Tuple[int, ...]] = attrs.field(default=None, converter=int_vector)
    rounds: Optional[SymbolicInt] = None
    weight_oracle: Optional[Bloq] = None

    def __attrs_post_init__(self):
        _check_n_bits(self.n, self.weight_bits)
        if self.weights is not None and sum(self.weights) == 0:
            raise QattnInputError("weights must not all be zero")
        if self.rounds is None and self.weights is None:
            raise QattnInputError("rounds is required when the weights are not given")

    @cached_property
    def flag_oracle(self) -> WeightThresholdFlag:
        return WeightThresholdFlag(self.n, self.weight_bits, self.weights, self.weight_oracle)

    @cached_property
    def prepare(self) -> UniformIndexAndCoin:
        return UniformIndexAndCoin(self.n, self.weight_bits)

    @cached_property
    def acceptance(self) -> float:
        """a = sum(w) / (n 2^b): the flag probability before amplification."""
        if self.weights is None:
            raise ValueError("acceptance needs concrete weights")
        return sum(self.weights) / (int(self.n) * 2 ** int(self.weight_bits))

    @cached_property
    def n_rounds(self) -> SymbolicInt:
        return self.rounds if self.rounds is not None else optimal_rounds(self.acceptance)

    @cached_property
    def success_probability(self) -> float:
        r""":math:`\sin^2((2r+1)\theta)` (BHMT Lemma 1)."""
        return success_probability(self.acceptance, int(self.n_rounds))

    @cached_property
    def target_distribution(self) -> np.ndarray:
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    @cached_property
    def amplified(self) -> AmplifiedPrepare:
        return AmplifiedPrepare(self.prepare, self.flag_oracle, self.n_rounds)

    @cached_property
    def signature(self) -> Signature:
        return self.amplified.signature

    def build_composite_bloq(self, bb: BloqBuilder, **soqs: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.n, self.weight_bits, self.n_rounds):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        return bb.add_d(self.amplified, **soqs)

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {self.amplified: 1}

    def __str__(self):
        return f"ImportanceSampler(n={self.n}, b={self.weight_bits}, r={self.n_rounds})"


# ----------------------------------------------------------------------------------------------
# weights: quantisation, leverage scores, row distortion, ridge leverage scores
# ----------------------------------------------------------------------------------------------


def unsigned_levels(x, bits: int, x_max: float) -> np.ndarray:
    r""":math:`\mathrm{round}(x_i / x_{max} \cdot (2^b - 1))` as int64: values in ``[0, x_max]`` on the
    ``2^b`` unsigned levels (round half to even). The one weight / value quantisation of the
    project; it checks nothing (its callers validate their inputs: :func:`quantize_weights`,
    :func:`quantize_rows`, the mean-estimation runs)."""
    return np.rint(np.asarray(x, dtype=float) / x_max * (2**bits - 1)).astype(np.int64)


def quantize_weights(
    w: Sequence[float], bits: int, w_max: Optional[float] = None, keep_support: bool = False
) -> np.ndarray:
    r"""Integer weights :math:`\mathrm{round}(w_i / w_{max} \cdot (2^b - 1))` in [0, 2^b - 1].

    ``w_max`` is the known upper bound (default max(w)); a weight > w_max is an input error.
    The sampler is exact for the returned integers; :func:`quantization_tv` bounds the change.
    ``keep_support``: a positive weight that rounds to 0 becomes 1, so every item with positive
    weight keeps a positive sampling probability (estimators that divide by the *actual*
    probability ``q_i / sum q`` stay unbiased)."""
    w = np.asarray(w, dtype=float)
    if w.ndim != 1 or len(w) < 2:
        raise QattnInputError("weights must be a 1-d array with at least 2 entries")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise QattnInputError("weights must be finite and >= 0")
    if not (1 <= bits <= 32):
        raise QattnInputError(f"bits={bits} must be in [1, 32]")
    w_max = float(w.max()) if w_max is None else float(w_max)
    if w_max <= 0:
        raise QattnInputError("w_max must be > 0 (weights must not all be zero)")
    if w.max() > w_max * (1 + 1e-12):
        raise QattnInputError(f"a weight exceeds w_max={w_max}")
    q = unsigned_levels(w, bits, w_max)
    if keep_support:
        q[(w > 0) & (q == 0)] = 1
    if q.sum() == 0:
        raise QattnInputError(f"all weights round to 0 with bits={bits}; use more bits")
    return q


def quantization_tv(w: Sequence[float], q: Sequence[int]) -> float:
    """Total-variation distance between w/sum(w) and q/sum(q)."""
    w = np.asarray(w, dtype=float)
    q = np.asarray(q, dtype=float)
    return 0.5 * float(np.abs(w / w.sum() - q / q.sum()).sum())


def leverage_scores(V: np.ndarray) -> np.ndarray:
    r"""Row leverage scores :math:`\ell_i = \|U_{i,:}\|^2` (U: left singular vectors of rank r)."""
    V = np.asarray(V, dtype=float)
    U, s, _ = np.linalg.svd(V, full_matrices=False)
    r = int(np.sum(s > s.max() * max(V.shape) * np.finfo(float).eps)) if s.size else 0
    return np.sum(U[:, :r] ** 2, axis=1)


# ``row_distortion`` and ``stable_rank`` are the reference definitions (one definition for the
# project: the one ``qattn inspect``, the real-data tables and docs/instances_and_reference.md use).
# alpha normalises the leverage scores by r = rank(V), so that both distributions sum to 1; for a
# V of full column rank (the usual n >= d case) r = d. The row-norm acceptance then obeys
# a >= r/(alpha n) (module docstring). Both are imported at the top of this module.


def row_norm_sampler(V: np.ndarray, bits: int, rounds: Optional[int] = None) -> ImportanceSampler:
    """Gate-level sampler of V's rows with probability ~ ||v_i||^2 (quantised to ``bits``)."""
    V = np.asarray(V, dtype=float)
    q = quantize_weights(np.sum(V**2, axis=1), bits)
    return ImportanceSampler(len(q), bits, tuple(q), rounds)


def leverage_score_sampler(V: np.ndarray, bits: int, rounds: Optional[int] = None) -> ImportanceSampler:
    """Gate-level sampler of V's rows by their (classically computed, QROM-loaded) leverage scores."""
    q = quantize_weights(leverage_scores(V), bits, w_max=1.0)
    return ImportanceSampler(len(q), bits, tuple(q), rounds)


def ridge_leverage_scores(K: np.ndarray, lam: float, landmarks: Optional[Sequence[int]] = None) -> np.ndarray:
    r"""Ridge leverage scores of a PSD kernel matrix K.

    Exact: :math:`\tau_i = (K(K+\lambda I)^{-1})_{ii}`. With ``landmarks`` S (Musco-Musco 2017,
    Eq. (3)): :math:`\tilde\tau_i = \lambda^{-1}(K_{ii} - K_{iS}(K_{SS}+\lambda I)^{-1}K_{Si})`,
    an over-estimate of :math:`\tau_i` (their Lemma 6). Each is in [0, 1] (exact case)."""
    K = np.asarray(K, dtype=float)
    if lam <= 0:
        raise QattnInputError(f"lam={lam} must be > 0")
    n = K.shape[0]
    if landmarks is None:
        return np.diag(K @ np.linalg.inv(K + lam * np.eye(n))).copy()
    S = np.asarray(landmarks, dtype=int)
    KS = K[:, S]
    M = np.linalg.inv(K[np.ix_(S, S)] + lam * np.eye(len(S)))
    return np.maximum((np.diag(K) - np.einsum("ij,jk,ik->i", KS, M, KS)) / lam, 0.0)


def ridge_leverage_sampler(
    K: np.ndarray, lam: float, bits: int, landmarks: Optional[Sequence[int]] = None, rounds: Optional[int] = None
) -> ImportanceSampler:
    """Gate-level QSample step: sample landmarks by (estimated) ridge leverage scores (QROM-loaded)."""
    tau = ridge_leverage_scores(K, lam, landmarks)
    w_max = max(1.0, float(tau.max())) if landmarks is not None else 1.0
    q = quantize_weights(tau, bits, w_max=w_max)
    return ImportanceSampler(len(q), bits, tuple(q), rounds)


# ----------------------------------------------------------------------------------------------
# symbolic samplers and the computed ridge-leverage oracle (cost model)
# ----------------------------------------------------------------------------------------------


def _acc_bits(bits, d) -> SymbolicInt:
    """Bits of a sum of d squares of b-bit magnitudes: 2b + ceil(log2 d) (no overflow)."""
    if is_symbolic(bits, d):
        return 2 * bits + ceil(log2(d))
    return 2 * int(bits) + (int(d) - 1).bit_length()


@attrs.frozen
class RowNormSquaredOracle(Bloq):
    r"""Computed weight oracle :math:`|i\rangle|t\rangle \mapsto |i\rangle|t \oplus \sum_j v_{ij}^2\rangle` (gate level).

    Row queries only (the paper's access model): a QROM loads the d b-bit magnitudes
    :math:`|v_{ij}|` of row i (one unary iteration for all d entries); for each j the entry is
    copied (CNOTs) and :class:`bloqs.kernel.ShiftAddMultiplier` adds :math:`v_{ij}^2` into an
    accumulator of 2b + ceil(log2 d) bits (no overflow); the accumulator is XORed into the target
    and everything is uncomputed (multiplier adjoints), the row by a measurement-based
    :class:`bloqs.qroam.RowUnload` (Berry et al. arXiv:1902.02134 App. C: ``ceil(n/K') + K' - 4``
    And instead of a second QROM's n - 2; n >= 3, else the QROM again; b = 1 magnitudes get a |0>
    padding qubit each, RowUnload needs 2-bit entries). Interface = QROM's (``selection``,
    ``target0_``), so it plugs into :class:`WeightThresholdFlag` (as a *computed* oracle: F runs it
    twice). Cost: QROM + RowUnload + 2 d multipliers (b x b into R bits), Cliffords otherwise.

    Args:
        n: number of rows (int or symbol).
        d: entries per row.
        bits: width b of each magnitude |v_ij| (unsigned).
        rows: the n x d magnitudes in [0, 2^b - 1], or None (cost only, symbolic sizes allowed).

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        target0_: QAny(2b + ceil(log2 d)), THRU; ``target0_ ^= sum_j v_ij^2``.
    """

    n: SymbolicInt
    d: SymbolicInt
    bits: SymbolicInt
    rows: Optional[Tuple[Tuple[int, ...], ...]] = attrs.field(default=None, converter=int_table)

    def __attrs_post_init__(self):
        if self.rows is not None:
            arr = check_table_shape("rows", self.rows, self.n, self.d)
            if arr.min() < 0 or arr.max() > 2 ** int(self.bits) - 1:
                raise QattnInputError(f"row magnitudes must be integers in [0, {2 ** int(self.bits) - 1}]")

    @cached_property
    def out_bits(self) -> SymbolicInt:
        return _acc_bits(self.bits, self.d)

    @cached_property
    def signature(self) -> Signature:
        return Signature(
            [Register("selection", BQUInt(index_bits(self.n), self.n)), Register("target0_", QAny(self.out_bits))]
        )

    @cached_property
    def qrom(self) -> QROM:
        if self.rows is None:
            return QROM.build_from_bitsize((self.n,), (self.bits,), target_shapes=((self.d,),))
        cols = [np.asarray(self.rows)[:, j] for j in range(int(self.d))]
        return QROM.build_from_data(*cols, target_bitsizes=(int(self.bits),) * int(self.d))

    @cached_property
    def multiplier(self) -> Bloq:
        return ShiftAddMultiplier(self.bits, self.bits, self.out_bits)

    @cached_property
    def unload(self) -> Optional[Bloq]:
        """Measurement-based unload of the row (None for n < 3: the QROM is run again)."""
        rows = None if self.rows is None else np.asarray(self.rows)
        u = row_unload_for(self.n, self.d, self.bits, rows)
        return u if unload_beats_reload(self.qrom, u) else None

    def build_composite_bloq(self, bb: BloqBuilder, selection: Soquet, target0_: Soquet) -> Dict[str, SoquetT]:
        if self.rows is None or is_symbolic(self.n, self.d, self.bits):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        d, b, R = int(self.d), int(self.bits), int(self.out_bits)
        regs = {f"target{j}_": bb.allocate(dtype=QAny(b)) for j in range(d)}
        out = bb.add_d(self.qrom, selection=selection, **regs)
        selection = out.pop("selection")
        vs = [bb.add(bb_cast(QAny(b), QUInt(b)), reg=out[f"target{j}_"]) for j in range(d)]
        acc = bb.allocate(dtype=QUInt(R))

        def copy(v):
            vb, cb = bb.split(v), bb.split(bb.allocate(dtype=QUInt(b)))
            for k in range(b):
                vb[k], cb[k] = bb.add(CNOT(), ctrl=vb[k], target=cb[k])
            return bb.join(vb, dtype=QUInt(b)), bb.join(cb, dtype=QUInt(b))

        def uncopy(v, c):
            vb, cb = bb.split(v), bb.split(c)
            for k in range(b):
                vb[k], cb[k] = bb.add(CNOT(), ctrl=vb[k], target=cb[k])
            bb.free(bb.join(cb, dtype=QUInt(b)))
            return bb.join(vb, dtype=QUInt(b))

        for j in range(d):
            vs[j], c = copy(vs[j])
            vs[j], c, acc = bb.add(self.multiplier, a=vs[j], b=c, result=acc)
            vs[j] = uncopy(vs[j], c)
        ab = bb.split(acc)
        tb = bb.split(bb.add(bb_cast(QAny(R), QUInt(R)), reg=target0_))
        for k in range(R):
            ab[k], tb[k] = bb.add(CNOT(), ctrl=ab[k], target=tb[k])
        acc = bb.join(ab, dtype=QUInt(R))
        target0_ = bb.add(bb_cast(QUInt(R), QAny(R)), reg=bb.join(tb, dtype=QUInt(R)))
        for j in reversed(range(d)):
            vs[j], c = copy(vs[j])
            vs[j], c, acc = bb.add(self.multiplier.adjoint(), a=vs[j], b=c, result=acc)
            vs[j] = uncopy(vs[j], c)
        bb.free(acc)
        if self.unload is not None:
            selection = add_row_unload(bb, self.unload, selection, vs, b)
            return {"selection": selection, "target0_": target0_}
        regs = {f"target{j}_": bb.add(bb_cast(QUInt(b), QAny(b)), reg=vs[j]) for j in range(d)}
        out = bb.add_d(self.qrom, selection=selection, **regs)
        for j in range(d):
            bb.free(out[f"target{j}_"])
        return {"selection": out["selection"], "target0_": target0_}

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        loads = {self.qrom: 2} if self.unload is None else {self.qrom: 1, self.unload: 1}
        return {
            **loads,
            self.multiplier: self.d,
            self.multiplier.adjoint(): self.d,
            CNOT(): 4 * self.bits * self.d + self.out_bits,
        }

    def on_classical_vals(self, selection: int, target0_: int) -> Dict[str, int]:
        w = sum(int(x) ** 2 for x in self.rows[int(selection)])
        return {"selection": selection, "target0_": int(target0_) ^ w}

    def __str__(self):
        return f"||v_i||^2(n={self.n}, d={self.d}, b={self.bits})"


def quantize_rows(V: np.ndarray, bits: int) -> np.ndarray:
    """b-bit magnitudes round(|v_ij| / max|V| (2^b - 1)) (signs do not matter for squares)."""
    V = np.abs(np.asarray(V, dtype=float))
    if V.ndim != 2 or V.shape[0] < 2 or V.max() <= 0:
        raise QattnInputError("V must be an n x d matrix with n >= 2 and a nonzero entry")
    if not (1 <= bits <= 16):
        raise QattnInputError(f"bits={bits} must be in [1, 16]")
    return unsigned_levels(V, bits, V.max())


def row_norm_sampler_computed(V: np.ndarray, bits: int, rounds: Optional[int] = None) -> ImportanceSampler:
    """Row-norm sampler whose weights are computed coherently from row queries
    (:class:`RowNormSquaredOracle`); the weights tuple is kept for the classical reference."""
    q = quantize_rows(V, bits)
    n, d = q.shape
    oracle = RowNormSquaredOracle(n, d, bits, tuple(map(tuple, q)))
    w = tuple(int(x) for x in np.sum(q**2, axis=1))
    if sum(w) == 0:
        raise QattnInputError("all rows quantise to zero; use more bits")
    return ImportanceSampler(n, oracle.out_bits, w, rounds, weight_oracle=oracle)


def leverage_sampler_symbolic(n=None, d=None, alpha=None, bits=None, computed: bool = False) -> ImportanceSampler:
    r"""Row-norm / leverage sampler with symbolic n, d, alpha, b: QROM weights (or, ``computed``,
    :class:`RowNormSquaredOracle` from row queries, weights 2b + log d bits) and
    :math:`r = \lceil \tfrac{\pi}{4}\sqrt{\alpha n/d}\rceil` rounds (acceptance :math:`\ge d/(\alpha n)`).
    The bound needs d = rank(V) (``row_distortion`` normalises by the rank): for a rank-deficient
    V pass its rank as ``d``."""
    n = sympy.Symbol("n", positive=True, integer=True) if n is None else n
    d = sympy.Symbol("d", positive=True, integer=True) if d is None else d
    alpha = sympy.Symbol("alpha", positive=True) if alpha is None else alpha
    bits = sympy.Symbol("b", positive=True, integer=True) if bits is None else bits
    rounds = rounds_upper_bound_expr(alpha * n / d)
    if computed:
        oracle = RowNormSquaredOracle(n, d, bits)
        return ImportanceSampler(n, oracle.out_bits, rounds=rounds, weight_oracle=oracle)
    return ImportanceSampler(n, bits, rounds=rounds)


#: output bits p of the kernel tables and of the kernel values in the quadratic form (cost models)
KERNEL_OUT_BITS = 16


def row_load_and_unload(loader: str, n: SymbolicInt, d: SymbolicInt, bits: SymbolicInt) -> Dict[Bloq, SymbolicInt]:
    r"""Load + uncompute of one row of an n x d table of b-bit classical entries.

    ``qrom`` (or ``qroam``): the loader once and a measurement-based :class:`bloqs.qroam.RowUnload`
    (``ceil(n/K') + K' - 4`` And, K' ~ sqrt n; Berry et al. arXiv:1902.02134 App. C, ratio 1) instead
    of a second load (n - 2 And for the QROM). ``assumed`` (the papers' polylog QRAM) and n < 3:
    the loader twice -- with the assumed QRAM a second access (``O(b d log n)``) is the cheaper
    uncompute asymptotically, a Theta(sqrt n) unload would break the assumption's scaling."""
    load = make_row_loader(loader, n=n, d=d, bits=bits)
    if loader == "assumed" or (not is_symbolic(n) and int(n) < 3):
        return {load: 2}
    return {load: 1, RowUnload(n, d, bits): 1}


def quadratic_form_widths(s: SymbolicInt, p: SymbolicInt) -> Tuple[SymbolicInt, SymbolicInt]:
    r"""(A2, W_off): accumulator width of :math:`y = M k` and of :math:`q = k^\top \tilde y`
    (both ``acc_bits_for(s, p) = 2p - 1 + bit_length(s)``: s products of p-bit two's complement
    numbers, no overflow), and the width ``A2 - p + 1`` of the offset correction's adders."""
    A2 = acc_bits_for(s, p)
    return A2, A2 - p + 1


def computed_kernel_oracle_counts(
    n: SymbolicInt,
    d: SymbolicInt,
    s: SymbolicInt,
    bits: SymbolicInt,
    loader: str = "qrom",
    quadratic: bool = False,
    kernel_out_bits: SymbolicInt = KERNEL_OUT_BITS,
) -> Dict[Bloq, SymbolicInt]:
    r"""Call graph of one call of a computed kernel oracle (compute, copy out, uncompute).

    Shared by :class:`RidgeLeverageOracleCostModel` and :class:`bloqs.nystrom.KernelOracleCostModel`.
    b = ``bits``, p = ``kernel_out_bits``, A = ``acc_bits_for(d, b)``, A2 = ``acc_bits_for(s, p)``.

    * row: :func:`row_load_and_unload` (load once, measurement-based unload). With ``quadratic``
      the table carries ``ceil(A2 / b)`` extra b-bit columns holding the classical per-row constant
      :math:`a_j = \lambda^{-1} k(x_j, x_j)` (computed classically in one pass over the data: it is a
      function of j alone), so the diagonal kernel value costs no arithmetic.
    * s landmark inner products :math:`\langle x_l, x_j\rangle` with *classical* landmark rows:
      :class:`bloqs.arithmetic.ClassicalInnerProduct` (d, b) (NAF shift-and-add, worst-case query),
      and its adjoint for the uncompute; s :class:`bloqs.kernel.KernelExp` (A -> 2p bits) and s
      more for the uncompute (same cost: the same tables and multiplier, run backwards).
    * ``quadratic`` (Musco-Musco ridge score :math:`\tilde\tau_j = a_j - k^\top M' k`,
      :math:`M' = \lambda^{-1}(K_{SS} + \lambda I)^{-1}`, a *classical* s x s matrix):

      1. k_l enters as a p-bit QInt: a |0> sign qubit and the top p - 1 bits of KernelExp's output
         (relabelling, no gates; kernel values are positive).
      2. :math:`y_l = \langle M'_l, k\rangle` for l < s: s :class:`ClassicalInnerProduct` (s, p)
         with the classical row :math:`M'_l` (p-bit two's complement, shared scale) as the query,
         into A2 bits (``acc_bits_for``: no overflow for any p-bit M' and k). Only the top p bits
         :math:`\tilde y_l` are used next (truncation: a relabelling, error < 1 unit of
         :math:`2^{A2-p}`; the low bits stay until the uncompute).
      3. :math:`q = \sum_l k_l \tilde y_l`: the only quantum x quantum products. The sign bit of
         :math:`\tilde y_l` is flipped (X: two's complement -> offset binary
         :math:`u_l = \tilde y_l + 2^{p-1}`, unsigned), Qualtran ``Product(p, p)`` forms
         :math:`k_l u_l` (2p bits), an ``Add(QUInt(A2))`` accumulates it, and
         ``Add(QUInt(A2 - p + 1))`` between two ``BitwiseNot`` subtracts :math:`2^{p-1} k_l` from
         the top bits (the offset). Intermediate sums may wrap mod :math:`2^{A2}`; the final
         :math:`|q| < s\,2^{2p-2} \le 2^{A2-1}` does not.
      4. :math:`\tilde\tau_j = a_j - q` = ``~(~a_j + q)``: one ``Add(QUInt(A2))`` + 3 ``BitwiseNot``;
         its top b bits are copied to the output (b CNOT).

      Everything but the copy is computed then uncomputed (x2, Bennett).

    Best known: the table unload is Berry et al.'s (ratio 1); a product with a classical constant
    is NAF shift-and-add, one adder per non-zero signed digit (ratio 1); the s products
    :math:`k_l \tilde y_l` are genuinely quantum x quantum (Qualtran ``Product``: 2 p^2 - p
    Toffoli, schoolbook; no decomposition in Qualtran 0.7, hence a cost model).
    """
    p = kernel_out_bits
    A = acc_bits_for(d, bits)
    ip = ClassicalInnerProduct(d, bits)
    counts: Dict[Bloq, SymbolicInt] = {}
    if quadratic:
        A2, W_off = quadratic_form_widths(s, p)
        extra_cols = ceil(A2 / bits) if is_symbolic(A2, bits) else -(-int(A2) // int(bits))
        counts.update(row_load_and_unload(loader, n, d + extra_cols, bits))
    else:
        counts.update(row_load_and_unload(loader, n, d, bits))
    counts[ip] = s
    counts[ip.adjoint()] = s
    counts[KernelExp.symbolic_cost_model(A, p)] = 2 * s
    if quadratic:
        my = ClassicalInnerProduct(s, p)
        add_q, add_off = Add(QUInt(A2)), Add(QUInt(W_off))
        counts[my] = s
        counts[my.adjoint()] = s
        counts[XGate()] = 2 * s
        counts[Product(p, p)] = 2 * s
        counts[add_q] = 2 * s + 2
        counts[add_off] = 2 * s
        counts[BitwiseNot(QUInt(W_off))] = 4 * s
        counts[BitwiseNot(QUInt(A2))] = 6
        counts[CNOT()] = bits
    return counts


@lru_cache(maxsize=64)  # pure in its (hashable) sizes; the symbolic sweep takes seconds
def computed_kernel_oracle_qubits(
    n, d, s, bits, loader: str = "qrom", quadratic: bool = False, kernel_out_bits=KERNEL_OUT_BITS
) -> SymbolicInt:
    """Width of :func:`computed_kernel_oracle_counts` (a greedy-sweep style count, upper bound):
    selection + the loaded row (with its extra columns) + the registers held until the uncompute
    (s accumulators of A bits and s kernel values of 2p bits; with ``quadratic`` also s sign qubits
    of the p-bit k_l, s y's of A2 bits, s products of 2p bits and q of A2 bits) + the largest
    ancilla need of one step (row load / unload, an inner product, a KernelExp)."""
    p = kernel_out_bits
    A = acc_bits_for(d, bits)
    counts = computed_kernel_oracle_counts(n, d, s, bits, loader, quadratic, p)
    rows = [b for b in counts if type(b).__name__ in ("QROMRowLoader", "AssumedQRAMRowLoader", "QROAMRowLoader", "RowUnload")]
    base = index_bits(n) + rows[0].bits * rows[0].d  # selection + row (all columns)
    held = s * (A + 2 * p)
    extra = [get_cost_value(r, QubitCount()) - base for r in rows]
    extra.append(get_cost_value(ClassicalInnerProduct(d, bits), QubitCount()) - bits * d - A)
    extra.append(get_cost_value(KernelExp.symbolic_cost_model(A, p), QubitCount()) - A - 2 * p)
    if quadratic:
        A2, _ = quadratic_form_widths(s, p)
        held += s + s * (A2 + 2 * p) + A2
        extra.append(get_cost_value(ClassicalInnerProduct(s, p), QubitCount()) - s * p - A2)

    return base + held + lazy_max(*extra)


@attrs.frozen
class RidgeLeverageOracleCostModel(Bloq):
    r"""COST MODEL (not a circuit): coherent :math:`|i\rangle|0\rangle \mapsto |i\rangle|\tilde\tau_i\rangle`.

    Musco-Musco's estimate :math:`\tilde\tau_i = \lambda^{-1}(k(x_i,x_i) - k_{iS}^\top M k_{iS})`,
    :math:`M = (K_{SS}+\lambda I)^{-1}` a classical s x s matrix, for the exponential kernel
    :math:`k(x, y) = e^{c\langle x, y\rangle}` on the s classical landmark rows. Construction and
    fixed-point widths: :func:`computed_kernel_oracle_counts` (``quadratic=True``, QROM loader).
    Per call: one QROM load of row :math:`x_i` (with :math:`\lambda^{-1}k(x_i,x_i)` as extra
    columns) and its measurement-based unload (:class:`bloqs.qroam.RowUnload`, ratio 1 to Berry
    et al. App. C); 2 s :class:`bloqs.arithmetic.ClassicalInnerProduct` (d, b) (NAF shift-and-add
    with the classical landmark rows: the best known constant multiplication, ratio 1); 2 s
    :class:`bloqs.kernel.KernelExp`; 2 s ``ClassicalInnerProduct(s, p)`` for :math:`y = M k` (M
    classical: ratio 1); 2 s Qualtran ``Product(p, p)`` for :math:`k \cdot y` -- the only quantum x
    quantum products (schoolbook, 2p^2 - p Toffoli; no decomposition in Qualtran 0.7: that is why
    this is a cost model) -- and their adds. Its cost equals
    ``KernelOracleCostModel(n, d, s, b, 'qrom', quadratic=True)`` (one construction, two names).
    The gate-level alternative for concrete instances is the QROM of classically computed scores
    (:func:`ridge_leverage_sampler`). Interface: QROM's (``selection``, ``target0_``).

    Args:
        n: number of rows (int or symbol).
        d: row length.
        s: number of landmarks.
        bits: width b of the data entries and of the output score.
        kernel_out_bits: width p of the kernel values in the quadratic form.

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        target0_: QAny(bits), THRU; ``target0_ ^= tau~_selection`` (top b bits).
    """

    n: SymbolicInt
    d: SymbolicInt
    s: SymbolicInt
    bits: SymbolicInt
    kernel_out_bits: SymbolicInt = KERNEL_OUT_BITS

    @cached_property
    def signature(self) -> Signature:
        return Signature(
            [Register("selection", BQUInt(index_bits(self.n), self.n)), Register("target0_", QAny(self.bits))]
        )

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            f"{self} is a cost model: Qualtran's Product has no decomposition; the gate-level "
            "alternative is a QROM of classically computed scores"
        )

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return computed_kernel_oracle_counts(self.n, self.d, self.s, self.bits, "qrom", True, self.kernel_out_bits)

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            return computed_kernel_oracle_qubits(self.n, self.d, self.s, self.bits, "qrom", True, self.kernel_out_bits)
        return NotImplemented

    def __str__(self):
        return f"RLSOracle(n={self.n}, d={self.d}, s={self.s})"


def ridge_leverage_sampler_symbolic(n=None, d=None, s=None, bits=None) -> ImportanceSampler:
    r"""QSample step with symbolic n, d, s = s_lambda, b: the computed oracle, acceptance
    :math:`\ge s/n` (scores sum to ~s_lambda, each <= 1), :math:`r = \lceil\tfrac{\pi}{4}\sqrt{n/s}\rceil`."""
    n = sympy.Symbol("n", positive=True, integer=True) if n is None else n
    d = sympy.Symbol("d", positive=True, integer=True) if d is None else d
    s = sympy.Symbol("s", positive=True, integer=True) if s is None else s
    bits = sympy.Symbol("b", positive=True, integer=True) if bits is None else bits
    oracle = RidgeLeverageOracleCostModel(n, d, s, bits)
    return ImportanceSampler(n, bits, rounds=rounds_upper_bound_expr(n / s), weight_oracle=oracle)


# ----------------------------------------------------------------------------------------------
# examples
# ----------------------------------------------------------------------------------------------


@bloq_example
def _importance_sampler_small() -> ImportanceSampler:
    importance_sampler_small = ImportanceSampler(8, 3, weights=(1, 7, 2, 0, 3, 5, 1, 4))
    return importance_sampler_small


@bloq_example
def _importance_sampler_symb() -> ImportanceSampler:
    importance_sampler_symb = leverage_sampler_symbolic()
    return importance_sampler_symb


_IMPORTANCE_SAMPLER_DOC = BloqDocSpec(
    bloq_cls=ImportanceSampler, examples=[_importance_sampler_small, _importance_sampler_symb]
)


@bloq_example(generalizer=BOOKKEEPING)
def _uniform_index_and_coin() -> UniformIndexAndCoin:
    uniform_index_and_coin = UniformIndexAndCoin(5, 2)
    return uniform_index_and_coin


@bloq_example(generalizer=BOOKKEEPING)
def _weight_threshold_flag() -> WeightThresholdFlag:
    weight_threshold_flag = WeightThresholdFlag(5, 2, (1, 3, 0, 2, 1))
    return weight_threshold_flag


@bloq_example
def _weight_threshold_flag_symb() -> WeightThresholdFlag:
    n, b = sympy.symbols("n b", positive=True, integer=True)
    weight_threshold_flag_symb = WeightThresholdFlag(n, b)
    return weight_threshold_flag_symb


@bloq_example(generalizer=BOOKKEEPING)
def _row_norm_squared_oracle() -> RowNormSquaredOracle:
    row_norm_squared_oracle = RowNormSquaredOracle(4, 2, 2, rows=((1, 2), (3, 0), (0, 1), (2, 2)))
    return row_norm_squared_oracle


@bloq_example
def _ridge_leverage_oracle_symb() -> RidgeLeverageOracleCostModel:
    n, d, s, b = sympy.symbols("n d s b", positive=True, integer=True)
    ridge_leverage_oracle_symb = RidgeLeverageOracleCostModel(n, d, s, b)
    return ridge_leverage_oracle_symb


_UNIFORM_INDEX_AND_COIN_DOC = BloqDocSpec(bloq_cls=UniformIndexAndCoin, examples=[_uniform_index_and_coin])
_WEIGHT_THRESHOLD_FLAG_DOC = BloqDocSpec(
    bloq_cls=WeightThresholdFlag, examples=[_weight_threshold_flag, _weight_threshold_flag_symb]
)
_ROW_NORM_SQUARED_ORACLE_DOC = BloqDocSpec(bloq_cls=RowNormSquaredOracle, examples=[_row_norm_squared_oracle])
_RIDGE_LEVERAGE_ORACLE_DOC = BloqDocSpec(bloq_cls=RidgeLeverageOracleCostModel, examples=[_ridge_leverage_oracle_symb])
