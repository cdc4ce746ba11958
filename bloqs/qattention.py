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

  Classical post-processing (``O(s^3)`` for ``W^{+1/2}``, ``O(K_V (s d + s^2))`` for ``M~``) is
  reported separately, not in the quantum cost.

* :class:`QAttentionRowQuery`: the row query as reversible arithmetic on a query row held in a
  register: :class:`bloqs.nystrom.LandmarkFeatures` (s inner products + s exp kernels, gate level)
  followed by the ``s^2 + s d + s`` multiply-adds of ``u = k W^{+1/2}``, ``u M~`` and ``u . z~``
  (Qualtran ``Product`` + ``Add``: a COST MODEL, ``Product`` has no decomposition in Qualtran 0.7).
  No row of Q, K or V is loaded, so the cost does not depend on n. The final division of the d
  numerators by the denominator is left to the reader of the registers (classical).

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
from qualtran import Bloq, BloqDocSpec, QUInt, Signature, bloq_example
from qualtran.bloqs.arithmetic import Add
from qualtran.bloqs.arithmetic.multiplication import Product
from qualtran.resource_counting import QubitCount, get_cost_value
from qualtran.symbolics import is_symbolic, smax

from bloqs.amplification import AmplificationIterate, rounds_upper_bound_expr
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
    alpha n/d))`` amplification iterates + ``samples`` (U, F) pairs."""

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
    ``n^{0.5}`` (see ``benchmarks/bench_qattention_scaling.py``)."""

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

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {self.landmarks: 1, self.mean: 1, self.v_rows: 1}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            q = [get_cost_value(b, QubitCount()) for b in (self.landmarks, self.mean, self.v_rows)]
            return smax(*q) if any(is_symbolic(x) for x in q) else max(q)
        return NotImplemented

    def classical_flops(self) -> SymbolicInt:
        """Classical post-processing: ``s^3`` (eigendecomposition of W) + ``K_V (s d + s^2)``."""
        s, d = self.mean.s, self.mean.d
        return s**3 + self.v_rows.samples * (s * d + s * s)

    def __str__(self):
        return "QAttentionPreprocess"


@attrs.frozen
class QAttentionRowQuery(Bloq):
    r"""One row query, reversible: features (gate level) + ``s^2 + s d + s`` multiply-adds (cost model).

    Registers: ``q`` QInt(b) shape (d,) (the query row, THRU) and ``k`` (the s features) as in
    :class:`LandmarkFeatures`; the products' outputs are internal (cost only). Call graph:
    ``{LandmarkFeatures: 1, Product(p, p): s^2 + s d + s, Add(QUInt(2p)): s^2 + s d + s}`` with
    ``p = KERNEL_OUT_BITS``. Independent of n."""

    d: SymbolicInt
    s: SymbolicInt
    bits: SymbolicInt
    features: Optional[LandmarkFeatures] = None
    word_bits: SymbolicInt = KERNEL_OUT_BITS

    @cached_property
    def feature_bloq(self) -> LandmarkFeatures:
        return self.features if self.features is not None else LandmarkFeatures(self.d, self.s, self.bits)

    @cached_property
    def signature(self) -> Signature:
        return self.feature_bloq.signature

    @cached_property
    def multiply_adds(self) -> SymbolicInt:
        return self.s * self.s + self.s * self.d + self.s

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        p = self.word_bits
        return {self.feature_bloq: 1, Product(p, p): self.multiply_adds, Add(QUInt(2 * p)): self.multiply_adds}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            # features' width + the s-word u, the (d + 1) accumulators, one product's output
            p = self.word_bits
            return get_cost_value(self.feature_bloq, QubitCount()) + (self.s + self.d + 1) * 2 * p + 2 * p
        return NotImplemented

    def classical_flops(self) -> SymbolicInt:
        """The classical row query's multiply-adds: ``s d`` (kernel) + ``s^2 + s d + s``."""
        return self.s * self.d + self.multiply_adds

    def __str__(self):
        return f"QAttentionRowQuery(d={self.d}, s={self.s})"


@bloq_example
def _qattention_preprocess_symb() -> QAttentionPreprocess:
    qattention_preprocess_symb = QAttentionPreprocess.symbolic()
    return qattention_preprocess_symb


@bloq_example
def _qattention_row_query_symb() -> QAttentionRowQuery:
    n, d, s, alpha, eps, b = symbols()
    qattention_row_query_symb = QAttentionRowQuery(d, s, b)
    return qattention_row_query_symb


_QATTENTION_PREPROCESS_DOC = BloqDocSpec(bloq_cls=QAttentionPreprocess, examples=[_qattention_preprocess_symb])
_QATTENTION_ROW_QUERY_DOC = BloqDocSpec(bloq_cls=QAttentionRowQuery, examples=[_qattention_row_query_symb])
