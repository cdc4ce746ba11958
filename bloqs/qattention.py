r"""The sublinear QAttention data structure as bloqs (Song, Xue, Zhang, Zhang, arXiv:2602.00874,
main theorem, Thm 3.1 / 9.2): preprocessing in
:math:`\tilde O(\varepsilon^{-1} n^{0.5} (s^{2.5} + s^{1.5} d + \alpha^{0.5} d))` and a row query in
:math:`\tilde O(s^2 + s d)`, ``s = s_lambda``.

* :class:`QAttentionPreprocess` = three measured quantum steps (no composite decomposition: the
  classical computer reads each step's samples before the next; the call graph is the sum):

  1. :class:`bloqs.nystrom.NystromLandmarkSampling` - QSample of the Nystrom landmarks;
  2. :class:`bloqs.nystrom.LandmarkKernelMean` - the mean for ``D~`` (CHJ cost model or
     coordinate-wise amplitude estimation);
  3. :class:`VRowSampling` - ``K_V = ceil(d / eps^2)`` leverage-score samples of V's rows
     (``ceil(pi/4 sqrt(alpha n / d))`` rounds each: acceptance ``>= d / (alpha n)``).

  Classical post-processing (``O(s^3 + K_V (s d + s^2))`` FLOPs: ``W^{+1/2}``, ``z~``, ``M~``;
  :meth:`QAttentionPreprocess.classical_flops`) is classical work, reported in FLOPs and bytes,
  not in the quantum cost.

* :class:`QAttentionRowQuery`: the row query. Default ``mode='classical'`` (the paper's algorithm):
  classical work on the classical data structure (landmarks ``X_S``, ``W^{+1/2}``, ``M~``, ``z~``):
  ``2 s^2 + 4 s d + 3 s + d`` FLOPs (:func:`row_query_flops`), ``(2 s d + s^2 + s)`` words of memory
  (:func:`structure_words`); as a bloq it has 0 gates and 0 qubits. ``mode='reversible'`` is an
  OPTION that is not the paper's algorithm: the same arithmetic as a reversible circuit on a query
  row held in a register (:class:`bloqs.nystrom.LandmarkFeatures` + Qualtran ``Product`` / ``Add``,
  a cost model). Neither loads a row of Q, K or V: the cost does not depend on n.

Switchable cost-model pieces (named in every estimate):

* ``loader``: ``qrom`` (unary-iteration QROM, gate level, 4n - 8 T per lookup) or ``assumed``
  (the papers' polylog QRAM, :class:`bloqs.loaders.AssumedQRAMRowLoader`);
* ``mean_method``: ``chj`` (Cornelissen-Hamoudi-Jerbi cost model) or ``coordinate`` (amplitude
  estimation with phase estimation per coordinate, gate level with QROM values);
* ``multi_sample``: ``repeat`` (K_V independent sampler runs, gate level) or ``hamoudi`` (COST MODEL:
  K samples of an oracle-defined distribution in ``Theta(sqrt(K N))`` amplification rounds,
  Hamoudi arXiv:2207.11014: ``ceil(pi/4 sqrt(K alpha n / d))`` iterates + K final flag calls).
"""

from functools import cached_property
from typing import Dict, Optional, Tuple, Union

import attrs
import sympy
from qualtran import Bloq, BloqDocSpec, DecomposeTypeError, QUInt, Signature, bloq_example
from qualtran.bloqs.arithmetic import Add
from qualtran.bloqs.arithmetic.multiplication import Product
from qualtran.resource_counting import GateCounts, QECGatesCost, QubitCount, get_cost_value
from qualtran.symbolics import is_symbolic, smax

from bloqs.amplification import AmplificationIterate, lazy_max, rounds_upper_bound_expr
from bloqs.nystrom import (
    KERNEL_OUT_BITS,
    LandmarkFeatures,
    LandmarkKernelMean,
    NystromLandmarkSampling,
    check_loader,
    symbols,
    table_lookup,
)
from bloqs.sampling import ImportanceSampler, UniformIndexAndCoin, WeightThresholdFlag
from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]

MULTI_SAMPLE_MODELS = ("hamoudi", "repeat")
ROW_QUERY_MODES = ("classical", "reversible")

#: bytes per word of the classical data structure (IEEE fp32: ``W^{+1/2}`` needs more than bf16)
WORD_BYTES = 4


def row_query_flops(d, s) -> SymbolicInt:
    """FLOPs of one classical row query: ``2 s^2 + 4 s d + 3 s + d`` (derivation:
    :class:`QAttentionRowQuery`)."""
    return 2 * s * s + 4 * s * d + 3 * s + d


def structure_words(d, s) -> SymbolicInt:
    """Words of the classical QAttention data structure: landmarks ``X_S`` (s x d, pre-scaled),
    ``W^{+1/2}`` (s x s), ``M~`` (s x d), ``z~`` (s): ``2 s d + s^2 + s``."""
    return 2 * s * d + s * s + s


def v_samples_expr(d, eps) -> SymbolicInt:
    """``K_V = ceil(d / eps^2)`` (sympy for symbols, int otherwise)."""
    if is_symbolic(d, eps):
        return sympy.ceiling(d / eps**2)
    return max(1, int(sympy.ceiling(sympy.Rational(int(d)) / sympy.nsimplify(eps) ** 2)))


@attrs.frozen
class VRowSampling(Bloq):
    r"""``samples`` draws of V's rows by leverage scores (weights through the named ``loader``).

    Symbolic: ``ceil(pi/4 sqrt(alpha n / d))`` rounds per sample. Concrete ``weights`` (n ints, QROM):
    the gate-level :class:`ImportanceSampler` with its optimal rounds. ``multi_sample='repeat'``:
    ``{sampler: samples}``; ``'hamoudi'`` (COST MODEL, symbolic only): ``ceil(pi/4 sqrt(samples
    alpha n/d))`` amplification iterates + ``samples`` (U, F) pairs.

    Args:
        n: rows of V.
        d: columns of V.
        alpha: row distortion (acceptance >= d / (alpha n)).
        bits: width b of the weights.
        samples: number of rows to draw, e.g. :func:`v_samples_expr`.
        loader: weight loader, ``qrom`` or ``assumed``.
        multi_sample: ``hamoudi`` (cost model, symbolic) or ``repeat`` (``samples`` sampler runs).
        weights: the n concrete weights (``repeat`` only), or None.

    Registers:
        index: BQUInt(ceil(log2 n), n), THRU (one sampler run's sample).
        coin: QUInt(bits), THRU.
        flag: QBit, THRU (1 = accepted).
    """

    n: SymbolicInt
    d: SymbolicInt
    alpha: Union[float, sympy.Expr]
    bits: SymbolicInt
    samples: SymbolicInt
    loader: str = "qrom"
    multi_sample: str = "hamoudi"
    weights: Optional[Tuple[int, ...]] = attrs.field(default=None, converter=lambda w: None if w is None else tuple(int(x) for x in w))

    def __attrs_post_init__(self):
        check_loader(self.loader)
        if self.multi_sample not in MULTI_SAMPLE_MODELS:
            raise QattnInputError(f"multi_sample must be one of {', '.join(MULTI_SAMPLE_MODELS)}; got {self.multi_sample!r}")
        if self.weights is not None and self.multi_sample != "repeat":
            raise QattnInputError("concrete weights are sampled gate level: use multi_sample='repeat'")

    @cached_property
    def oracle(self) -> Bloq:
        return table_lookup(self.loader, self.n, self.bits)

    @cached_property
    def sampler(self) -> ImportanceSampler:
        if self.weights is not None:
            return ImportanceSampler(self.n, self.bits, self.weights)
        rounds = rounds_upper_bound_expr(self.alpha * self.n / self.d)
        return ImportanceSampler(self.n, self.bits, rounds=rounds, weight_oracle=self.oracle)

    @cached_property
    def signature(self) -> Signature:
        return self.sampler.signature

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            (f"{self} is not one circuit: samples separate measured sampler runs" if self.multi_sample == "repeat"
             else f"{self} is a cost model (Hamoudi multi-sample amplification)") + "; its cost is the call graph"
        )

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        if self.multi_sample == "repeat":
            return {self.sampler: self.samples}
        prep = UniformIndexAndCoin(self.n, self.bits)
        flag = WeightThresholdFlag(self.n, self.bits, weight_oracle=self.oracle)
        rounds = rounds_upper_bound_expr(self.samples * self.alpha * self.n / self.d)
        return {AmplificationIterate(prep, flag): rounds, prep: self.samples, flag: self.samples}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            return get_cost_value(self.sampler, QubitCount())
        return NotImplemented

    def __str__(self):
        return f"V rows x{self.samples} ({self.multi_sample})"


@attrs.frozen
class QAttentionPreprocess(Bloq):
    r"""Preprocessing of the QAttention data structure (arXiv:2602.00874 Thm 3.1 / 9.2).

    Build with :meth:`symbolic` (sizes ints or sympy symbols, computed oracles, named cost models)
    or :meth:`from_data` (concrete QROM weights / values: every step is a gate-level circuit).
    Call graph: ``{landmarks: 1, mean: 1, v_rows: 1}``; QubitCount: the widest step (the steps
    run one after the other). T-count scaling (symbolic, ``qrom`` loader): ``~ n^{1.5}`` (sqrt(n)
    rounds x an n-entry lookup); with the ``assumed`` QRAM ``~ n^{0.5} log n``: the paper's
    ``n^{0.5}`` (see ``benchmarks/bench_qattention_scaling.py``).

    Args:
        landmarks: the landmark sampling step (:class:`NystromLandmarkSampling`).
        mean: the kernel-mean step (:class:`LandmarkKernelMean`).
        v_rows: the V-row sampling step (:class:`VRowSampling`).

    Registers:
        None: the signature is empty (three measured stages).
    """

    landmarks: NystromLandmarkSampling
    mean: LandmarkKernelMean
    v_rows: VRowSampling

    @classmethod
    def symbolic(
        cls,
        n=None,
        d=None,
        s=None,
        alpha=None,
        eps=None,
        bits=None,
        *,
        loader: str = "qrom",
        mean_method: str = "chj",
        multi_sample: str = "hamoudi",
    ) -> "QAttentionPreprocess":
        """Any argument left None becomes its symbol (``n, d, s, alpha, eps, b``)."""
        N, D, S, ALPHA, EPS, B = symbols()
        n = N if n is None else n
        d = D if d is None else d
        s = S if s is None else s
        alpha = ALPHA if alpha is None else alpha
        eps = EPS if eps is None else eps
        bits = B if bits is None else bits
        return cls(
            NystromLandmarkSampling(n, d, s, bits, loader),
            LandmarkKernelMean(n, d, s, bits, eps, loader, mean_method),
            VRowSampling(n, d, alpha, bits, v_samples_expr(d, eps), loader, multi_sample),
        )

    @classmethod
    def from_data(cls, n: int, d: int, bits: int, eps: float, landmark_weights, landmark_draws: int, values, v_weights, v_samples: int) -> "QAttentionPreprocess":
        """Concrete, gate-level: ridge weights (2n ints), kernel values (n x s ints), V weights (n ints)."""
        s = len(values[0])
        return cls(
            NystromLandmarkSampling(n, d, s, bits, weights=landmark_weights, draws=landmark_draws),
            LandmarkKernelMean(n, d, s, bits, eps, method="coordinate", values=values),
            VRowSampling(n, d, 1.0, bits, v_samples, multi_sample="repeat", weights=v_weights),
        )

    @cached_property
    def signature(self) -> Signature:
        return Signature([])

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            f"{self} is not one circuit: three measured stages (landmark sampling, kernel mean, "
            "V-row sampling) with classical post-processing between them; its cost is the call graph"
        )

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {self.landmarks: 1, self.mean: 1, self.v_rows: 1}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            q = [get_cost_value(b, QubitCount()) for b in (self.landmarks, self.mean, self.v_rows)]
            return lazy_max(*q)
        return NotImplemented

    def classical_flops(self) -> SymbolicInt:
        r"""FLOPs of the classical post-processing between and after the quantum steps (multiply-add
        = 2, as in :mod:`estimates.classical`):

        * ``W = E[S, S]`` on the s landmarks: ``s^2`` inner products + exps = ``2 s^2 d + s^2``;
        * ``W^{+1/2}``: symmetric eigendecomposition with eigenvectors ``~9 s^3`` (Golub & Van Loan,
          *Matrix Computations*, symmetric QR algorithm), ``2 s`` for ``lambda^{+1/2}``, ``s^2`` to
          scale the eigenvectors and ``2 s^3`` to reassemble: ``11 s^3 + s^2 + 2 s``;
        * ``z~ = W^{+1/2} (n c~)``: ``2 s^2 + s``;
        * ``M~ = sum_t U2[j_t]^T V[j_t] / (K p_j)``, per sample: kernel row ``2 s d + s``, times
          ``W^{+1/2}`` ``2 s^2``, the ``1/(K p_j)`` scale ``s + 1``, outer-product accumulate
          ``2 s d``: ``4 s d + 2 s^2 + 2 s + 1``.

        Total ``11 s^3 + 2 s^2 d + 4 s^2 + 3 s + K_V (4 s d + 2 s^2 + 2 s + 1)``."""
        s, d, k = self.mean.s, self.mean.d, self.v_rows.samples
        return 11 * s**3 + 2 * s * s * d + 4 * s * s + 3 * s + k * (4 * s * d + 2 * s * s + 2 * s + 1)

    def classical_bytes(self, word_bytes: int = WORD_BYTES) -> SymbolicInt:
        """Bytes the post-processing moves: read the s landmark rows (``s d``), the ``K_V`` sampled rows
        of K and V (``2 K_V d``) and ``c~`` (``s``); write and re-read ``W`` (``2 s^2``); write the
        structure (``2 s d + s^2 + s``): ``(3 s d + 3 s^2 + 2 s + 2 K_V d)`` words."""
        s, d, k = self.mean.s, self.mean.d, self.v_rows.samples
        return (3 * s * d + 3 * s * s + 2 * s + 2 * k * d) * word_bytes

    def __str__(self):
        return "QAttentionPreprocess"


@attrs.frozen
class QAttentionRowQuery(Bloq):
    r"""One row query of the QAttention data structure (arXiv:2602.00874 Thm 3.1 / 9.2: ``O~(s^2 + s d)``).

    ``mode='classical'`` (default, **the paper's algorithm**): the row query is classical work on the
    classical data structure the quantum preprocessing built; as a bloq it has no registers, an
    empty call graph, 0 gates and 0 qubits. Its cost is :meth:`classical_flops` FLOPs reading
    :meth:`classical_bytes` bytes, timed on the classical model
    (:func:`estimates.classical.roofline_time_s`).

    FLOP count (one FLOP = one add, multiply, exp or divide; a multiply-add is 2, as in
    :mod:`estimates.classical`), for a query row ``q`` (d numbers):

    * kernel features ``k_l = exp(<x_l, q>)``, ``l = 1..s`` (the softmax scale is folded into the
      stored landmarks at preprocessing): ``s d`` multiply-adds + ``s`` exps = ``2 s d + s``;
    * ``u = k W^{+1/2}`` (s x s matvec): ``s^2`` multiply-adds = ``2 s^2``;
    * numerators ``u M~`` (s x d): ``s d`` multiply-adds = ``2 s d``;
    * denominator ``u . z~``: ``s`` multiply-adds = ``2 s``;
    * division of the d numerators by the denominator: ``d``.

    Total ``F = 2 s^2 + 4 s d + 3 s + d`` (:func:`row_query_flops`). Bytes: the structure
    ``2 s d + s^2 + s`` words (:func:`structure_words`) plus the query row in and the answer out,
    ``2 d`` words, ``word_bytes`` each (default 4, fp32).

    ``mode='reversible'``: an OPTION, **not the paper's algorithm** - the same arithmetic as a
    reversible circuit on a query row held in a register: :class:`bloqs.nystrom.LandmarkFeatures`
    (s inner products + s exp kernels, gate level) followed by the ``s^2 + s d + s`` multiply-adds of
    ``u = k W^{+1/2}``, ``u M~`` and ``u . z~`` (Qualtran ``Product`` + ``Add``: a COST MODEL,
    ``Product`` has no decomposition in Qualtran 0.7); the division is left to the reader of the
    registers. Registers: ``q`` QInt(b) shape (d,) (THRU) and ``k`` (the s features) as in
    :class:`LandmarkFeatures`. Call graph ``{LandmarkFeatures: 1, Product(p, p): s^2 + s d + s,
    Add(QUInt(2p)): s^2 + s d + s}``, ``p = KERNEL_OUT_BITS``. Useful only if a quantum caller needs
    the row in superposition. Both modes are independent of n.

    Args:
        d: the head dimension (query row length).
        s: number of landmarks.
        bits: width b of the query entries.
        features: gate-level :class:`LandmarkFeatures` (``reversible`` only), or None for the worst case.
        word_bits: width p of the multiply-add words (``reversible``), default ``KERNEL_OUT_BITS``.
        mode: ``classical`` (the paper's algorithm) or ``reversible`` (an option).

    Registers:
        q: QInt(bits) of shape (d,), THRU (``reversible`` only; ``classical`` has no registers).
        k: QUInt(P) of shape (s,), THRU, the features as in :class:`LandmarkFeatures` (``reversible``).
    """

    d: SymbolicInt
    s: SymbolicInt
    bits: SymbolicInt
    features: Optional[LandmarkFeatures] = None
    word_bits: SymbolicInt = KERNEL_OUT_BITS
    mode: str = "classical"

    def __attrs_post_init__(self):
        if self.mode not in ROW_QUERY_MODES:
            raise QattnInputError(f"row query mode must be one of {', '.join(ROW_QUERY_MODES)}; got {self.mode!r}")
        if self.features is not None and self.mode != "reversible":
            raise QattnInputError("gate-level features belong to the reversible row query: use mode='reversible'")

    @property
    def is_classical(self) -> bool:
        return self.mode == "classical"

    @cached_property
    def feature_bloq(self) -> LandmarkFeatures:
        return self.features if self.features is not None else LandmarkFeatures(self.d, self.s, self.bits)

    @cached_property
    def signature(self) -> Signature:
        return Signature([]) if self.is_classical else self.feature_bloq.signature

    @cached_property
    def multiply_adds(self) -> SymbolicInt:
        """Multiply-adds after the features: ``s^2 + s d + s`` (``u``, ``u M~``, ``u . z~``)."""
        return self.s * self.s + self.s * self.d + self.s

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            (f"{self} is classical work (FLOPs on the classical model), not a quantum circuit"
             if self.is_classical else f"{self} is a cost model: Qualtran's Product has no decomposition")
        )

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        if self.is_classical:
            return {}
        p = self.word_bits
        return {self.feature_bloq: 1, Product(p, p): self.multiply_adds, Add(QUInt(2 * p)): self.multiply_adds}

    def my_static_costs(self, cost_key):
        if self.is_classical:
            if isinstance(cost_key, QubitCount):
                return 0
            if isinstance(cost_key, QECGatesCost):
                return GateCounts()
            return NotImplemented
        if isinstance(cost_key, QubitCount):
            # features' width + the s-word u, the (d + 1) accumulators, one product's output
            p = self.word_bits
            return get_cost_value(self.feature_bloq, QubitCount()) + (self.s + self.d + 1) * 2 * p + 2 * p
        return NotImplemented

    def classical_flops(self) -> SymbolicInt:
        """FLOPs of the row query run classically (the paper's algorithm): ``2 s^2 + 4 s d + 3 s + d``."""
        return row_query_flops(self.d, self.s)

    def structure_bytes(self, word_bytes: int = WORD_BYTES) -> SymbolicInt:
        """Classical memory of the data structure: ``(2 s d + s^2 + s)`` words."""
        return structure_words(self.d, self.s) * word_bytes

    def classical_bytes(self, word_bytes: int = WORD_BYTES) -> SymbolicInt:
        """Bytes one query moves on its own: the structure + the query row in + the answer out."""
        return (structure_words(self.d, self.s) + 2 * self.d) * word_bytes

    def __str__(self):
        return f"QAttentionRowQuery(d={self.d}, s={self.s}, {self.mode})"


@bloq_example
def _qattention_preprocess_symb() -> QAttentionPreprocess:
    qattention_preprocess_symb = QAttentionPreprocess.symbolic()
    return qattention_preprocess_symb


@bloq_example
def _qattention_row_query_symb() -> QAttentionRowQuery:
    n, d, s, alpha, eps, b = symbols()
    qattention_row_query_symb = QAttentionRowQuery(d, s, b)
    return qattention_row_query_symb


@bloq_example
def _qattention_row_query_reversible_symb() -> QAttentionRowQuery:
    n, d, s, alpha, eps, b = symbols()
    qattention_row_query_reversible_symb = QAttentionRowQuery(d, s, b, mode="reversible")
    return qattention_row_query_reversible_symb


@bloq_example
def _v_row_sampling_symb() -> VRowSampling:
    n, d, s, alpha, eps, b = symbols()
    v_row_sampling_symb = VRowSampling(n, d, alpha, b, v_samples_expr(d, eps))
    return v_row_sampling_symb


@bloq_example
def _v_row_sampling_small() -> VRowSampling:
    v_row_sampling_small = VRowSampling(8, 2, 1.0, 3, 4, multi_sample="repeat", weights=(1, 7, 2, 0, 3, 5, 1, 4))
    return v_row_sampling_small


_V_ROW_SAMPLING_DOC = BloqDocSpec(bloq_cls=VRowSampling, examples=[_v_row_sampling_symb, _v_row_sampling_small])
_QATTENTION_PREPROCESS_DOC = BloqDocSpec(bloq_cls=QAttentionPreprocess, examples=[_qattention_preprocess_symb])
_QATTENTION_ROW_QUERY_DOC = BloqDocSpec(bloq_cls=QAttentionRowQuery, examples=[_qattention_row_query_symb, _qattention_row_query_reversible_symb])
