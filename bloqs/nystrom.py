r"""Quantum Nystrom approximation of the exponential kernel (Song, Xue, Zhang, Zhang, arXiv:2602.00874).

The QAttention data structure approximates ``E = exp(c X X^T)``, ``X = [Q; K]`` (``2n x d``,
``c = 1/sqrt d``), by ``E~ = C W^+ C^T`` on landmarks ``S`` drawn from the ridge leverage scores
(QSample; classical original Musco & Musco, *Recursive Sampling for the Nystrom Method*, NeurIPS
2017, arXiv:1605.07583), and needs ``U2^T 1_n = W^{+1/2} E[S, keys] 1_n``, i.e. the mean over the
keys of the landmark kernel values, by quantum multivariate mean estimation (Cornelissen, Hamoudi,
Jerbi, arXiv:2111.09787). This module holds those two quantum steps and their oracles:

* :class:`LandmarkFeatures` (gate level, decomposes to Clifford + T): ``k_l += exp(c <x_l, q>)`` for
  s classical landmark rows ``x_l`` and a quantum b-bit row ``q``: per landmark a fresh
  accumulator, :class:`bloqs.arithmetic.ClassicalInnerProduct` (NAF shift-and-add),
  :class:`bloqs.kernel.KernelExp` (two tables + shift-add multiplier), and the inner product
  subtracted again (so the accumulator returns to 0 without needing an adjoint of ``KernelExp``).
  Cost: ``sum_l (IP_l + IP_l^dagger + KernelExp_l)``.
* :class:`KernelOracleCostModel` (COST MODEL): ``|j>|0> -> |j>|v_j>`` with ``v_j`` a kernel value
  (or a ridge score) computed coherently from a row loaded by a *named, switchable* loader
  (``qrom``: unary-iteration QROM, 4n - 8 T; ``assumed``: the papers' polylog QRAM as
  :class:`bloqs.loaders.AssumedQRAMRowLoader`). Per call: a row load and its measurement-based
  unload (:class:`bloqs.qroam.RowUnload`; a second access for the assumed QRAM), 2 s worst-case
  inner products with the classical landmarks (gate-level bloq, worst-case call graph), 2 s
  ``KernelExp`` (gate-level shape), and for ridge scores the quadratic form with the classical
  matrix M: 2 s classical-row inner products for ``y = M k`` and 2 s Qualtran ``Product`` for
  ``k . y`` (the only quantum x quantum products; ``Product`` has no decomposition in Qualtran 0.7,
  which is why this is a cost model). Gate-level alternative for concrete instances: QROM of the
  classically computed values (``weights=`` / ``values=``).
* :func:`table_lookup`: a b-bit table lookup with Qualtran ``QROM``'s interface by loader name:
  ``QROM`` or the assumed-QRAM cost model :class:`bloqs.loaders.QRAMLookup`.
* :class:`NystromLandmarkSampling`: ``draws`` runs of :class:`bloqs.sampling.ImportanceSampler` over
  the 2n rows of X, weights = ridge leverage scores (acceptance ``>= s / (2n)``,
  ``ceil(pi/4 sqrt(2n/s))`` rounds).
* :class:`LandmarkKernelMean`: the s-dimensional mean ``c_l = mean_j k(x_l, k_j)``: ``chj`` (cost
  model, :class:`bloqs.mean_estimation.CHJMeanEstimationCostModel`, ``chj_queries(s, s/4, eps,
  delta)`` queries) or ``coordinate`` (s x K amplitude estimations with phase estimation,
  :class:`bloqs.mean_estimation.UnivariateMeanEstimation`, gate level for concrete values).

Symbols: ``n, d, s, b`` (positive integers), ``alpha, eps`` (positive), exactly as in
:mod:`estimates.sampling_estimates`; call graphs never enumerate n items.
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
    Register,
    Signature,
    SoquetT,
    bloq_example,
)
from qualtran.bloqs.data_loading import QROM
from qualtran.resource_counting import QubitCount, get_cost_value
from qualtran.symbolics import is_symbolic

from bloqs.amplification import rounds_upper_bound_expr
from bloqs.arithmetic import ClassicalInnerProduct, acc_bits_for
from bloqs.catalog import BOOKKEEPING
from bloqs.kernel import KernelExp
from bloqs.loader_kinds import QATTENTION_LOADERS
from bloqs.loaders import QRAMLookup
from bloqs.mean_estimation import (
    CHJMeanEstimationCostModel,
    UnivariateMeanEstimation,
    chj_queries,
    median_repetitions,
    phase_bits_for_error,
)
from bloqs.sampling import (
    KERNEL_OUT_BITS,
    ImportanceSampler,
    UniformIndexAndCoin,
    WeightThresholdFlag,
    computed_kernel_oracle_counts,
    computed_kernel_oracle_qubits,
    index_bits,
)
from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]

#: loaders a cost model may name: unary-iteration QROM (gate level) or the papers' assumed QRAM
LOADERS = QATTENTION_LOADERS
#: failure probability in the symbolic landmark count and CHJ query count (a constant, not a symbol)
DELTA = sympy.Rational(1, 10)
#: output bits of the kernel tables in the cost models (fixed precision, documented): KERNEL_OUT_BITS,
#: defined in :mod:`bloqs.sampling` beside the shared construction and re-exported here


def symbols():
    """The symbols ``n, d, s, alpha, eps, b`` with the project's assumptions."""
    n, d, s, b = (sympy.Symbol(x, positive=True, integer=True) for x in ("n", "d", "s", "b"))
    alpha, eps = sympy.Symbol("alpha", positive=True), sympy.Symbol("eps", positive=True)
    return n, d, s, alpha, eps, b


def check_loader(loader: str) -> str:
    if loader not in LOADERS:
        raise QattnInputError(f"loader must be one of {', '.join(LOADERS)}; got {loader!r}")
    return loader


def landmark_draws_expr(s, delta=DELTA) -> SymbolicInt:
    """``ceil(s ln(s / delta))`` landmark draws (Musco-Musco Thm 3 shape, default delta = 1/10;
    a concrete s is floored at 1)."""
    if is_symbolic(s):
        return sympy.ceiling(s * sympy.log(s / delta))
    return max(1, math.ceil(max(1, s) * math.log(max(1, s) / float(delta))))


# ----------------------------------------------------------------------------------------------
# lookups and oracles
# ----------------------------------------------------------------------------------------------


def table_lookup(loader: str, n: SymbolicInt, bits: SymbolicInt) -> Bloq:
    """A b-bit lookup over n entries with QROM's interface: ``qrom`` (gate level) or ``assumed``."""
    check_loader(loader)
    if loader == "qrom":
        return QROM.build_from_bitsize((n,), (bits,))
    return QRAMLookup(n, bits)


@attrs.frozen
class KernelOracleCostModel(Bloq):
    r"""COST MODEL: ``|j>|0> -> |j>|v_j>`` with ``v_j`` computed from row j of an n x d table.

    ``quadratic=False``: the s landmark kernel values :math:`k(x_l, x_j) = e^{c\langle x_l, x_j\rangle}`
    (the CHJ query of :class:`LandmarkKernelMean`); ``quadratic=True``: the Musco-Musco ridge-score
    estimate :math:`\lambda^{-1}(k(x_j,x_j) - k_{jS}^T (K_{SS}+\lambda I)^{-1} k_{jS})`
    (:class:`NystromLandmarkSampling`). Construction, widths and call graph:
    :func:`bloqs.sampling.computed_kernel_oracle_counts` (the same one
    :class:`bloqs.sampling.RidgeLeverageOracleCostModel` uses). Per call (compute + uncompute):

    * row j: one load by the named ``loader``; the uncompute is a measurement-based
      :class:`bloqs.qroam.RowUnload` for ``qrom`` (``ceil(n/K') + K' - 4`` And, ratio 1 to Berry
      et al. arXiv:1902.02134 App. C) and a second access for ``assumed`` (polylog by assumption;
      a Theta(sqrt n) unload would dominate it);
    * 2 s :class:`ClassicalInnerProduct` (d, b) (the landmarks are classical: NAF shift-and-add,
      worst-case query, gate level; ratio 1 to the best-known constant multiplication) and 2 s
      :class:`KernelExp` (table shape, ``KERNEL_OUT_BITS`` output bits, tables unloaded by
      measurement);
    * with ``quadratic``: :math:`y = M k` as 2 s ``ClassicalInnerProduct(s, p)`` (M classical),
      then :math:`k \cdot y` with 2 s Qualtran ``Product(p, p)`` -- the only quantum x quantum
      products, with no decomposition in Qualtran 0.7, which is why this is a cost model -- and
      their adds; the diagonal :math:`\lambda^{-1}k(x_j,x_j)` rides in the row's table.

    Gate-level alternative for concrete instances: QROM of the classically computed values
    (``weights=`` / ``values=``). Interface: QROM's (``selection``, ``target0_``).

    Args:
        n: number of table rows (int or symbol).
        d: row length.
        s: number of landmarks (kernel values per call).
        bits: width b of the entries and of the output.
        loader: row loader, ``qrom`` or ``assumed`` (``bloqs.loader_kinds.QATTENTION_LOADERS``).
        quadratic: the ridge-score quadratic form (True) or the s kernel values (False).
        kernel_out_bits: width p of the kernel values.

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
        target0_: QAny(bits), THRU; receives the computed value.
    """

    n: SymbolicInt
    d: SymbolicInt
    s: SymbolicInt
    bits: SymbolicInt
    loader: str = "qrom"
    quadratic: bool = False
    kernel_out_bits: SymbolicInt = KERNEL_OUT_BITS

    def __attrs_post_init__(self):
        check_loader(self.loader)

    @cached_property
    def signature(self) -> Signature:
        return Signature([Register("selection", BQUInt(index_bits(self.n), self.n)), Register("target0_", QAny(self.bits))])

    @cached_property
    def row_loader(self) -> Bloq:
        """The row load (the table has extra columns for the diagonal term with ``quadratic``)."""
        for b in self.build_call_graph(None):
            if type(b).__name__ in ("QROMRowLoader", "AssumedQRAMRowLoader"):
                return b
        raise AssertionError("no row loader in the call graph")  # pragma: no cover

    @cached_property
    def inner_product(self) -> ClassicalInnerProduct:
        return ClassicalInnerProduct(self.d, self.bits)

    @cached_property
    def kernel(self) -> KernelExp:
        return KernelExp.symbolic_cost_model(acc_bits_for(self.d, self.bits), self.kernel_out_bits)

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            f"{self} is a cost model: Qualtran's Product (and the symbolic kernel tables) have no "
            "decomposition"
        )

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return computed_kernel_oracle_counts(
            self.n, self.d, self.s, self.bits, self.loader, self.quadratic, self.kernel_out_bits
        )

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            return computed_kernel_oracle_qubits(
                self.n, self.d, self.s, self.bits, self.loader, self.quadratic, self.kernel_out_bits
            )
        return NotImplemented

    def __str__(self):
        kind = "ridge score" if self.quadratic else "kernel row"
        return f"{kind} oracle(n={self.n}, s={self.s}, {self.loader})"


# ----------------------------------------------------------------------------------------------
# gate-level landmark features (the row-query kernel step)
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class LandmarkFeatures(Bloq):
    r"""``k_l += round(e^{c <x_l, q>} 2^{2F})`` for s classical landmark rows ``x_l`` (gate level).

    ``q`` is a quantum row of d b-bit two's complement fractions (value ``q_int 2^{-(b-1)}``), the
    landmarks ``x_l`` classical b-bit ints. Per landmark: allocate an accumulator of
    ``acc_bits_for(d, b)`` bits, ``acc += <x_l, q>`` (:class:`ClassicalInnerProduct`), ``k_l +=``
    :class:`KernelExp` (``acc``) with input fraction bits ``2(b-1)``, ``acc -= <x_l, q>`` (the same
    bloq with ``subtract=True``), free. Cost: ``sum_l (2 IP(x_l) + KernelExp)``; exact with
    concrete landmarks, worst case (``landmarks=None``, cost only) otherwise.

    Args:
        d: entries per row.
        s: number of landmarks.
        bits: width b of the query entries and the landmark entries.
        landmarks: the s x d classical landmark rows, or None (worst-case cost only).
        scale: the kernel constant c.
        frac_bits: F, the fractional bits of the kernel tables (``KernelExp.build``).
        kernel_out_bits: width p of the cost model's kernel values (``landmarks=None``).

    Registers:
        q: QInt(bits) of shape (d,), THRU (unchanged).
        k: QUInt(P) of shape (s,), THRU with ``P = KernelExp.out_bits``; ``k_l +=`` the kernel value.
    """

    d: SymbolicInt
    s: SymbolicInt
    bits: SymbolicInt
    landmarks: Optional[Tuple[Tuple[int, ...], ...]] = attrs.field(
        default=None, converter=lambda x: None if x is None else tuple(tuple(int(v) for v in r) for r in x)
    )
    scale: float = 1.0
    frac_bits: int = 4
    kernel_out_bits: SymbolicInt = KERNEL_OUT_BITS

    def __attrs_post_init__(self):
        if self.landmarks is not None:
            if is_symbolic(self.d, self.s, self.bits):
                raise QattnInputError("landmarks need concrete d, s and bits")
            if len(self.landmarks) != self.s or any(len(r) != self.d for r in self.landmarks):
                raise QattnInputError(f"landmarks must be s x d = {self.s} x {self.d}")

    @cached_property
    def acc_bits(self) -> SymbolicInt:
        return acc_bits_for(self.d, self.bits)

    @cached_property
    def kernel(self) -> KernelExp:
        if self.landmarks is None:
            return KernelExp.symbolic_cost_model(self.acc_bits, self.kernel_out_bits)
        return KernelExp.build(self.scale, int(self.acc_bits), 2 * (int(self.bits) - 1), self.frac_bits)

    @cached_property
    def out_bits(self) -> SymbolicInt:
        return self.kernel.out_bits

    def inner_product(self, l: Optional[int], subtract: bool = False) -> ClassicalInnerProduct:
        q = None if l is None else self.landmarks[l]
        return ClassicalInnerProduct(self.d, self.bits, q, subtract=subtract, acc_bitsize=self.acc_bits)

    @cached_property
    def signature(self) -> Signature:
        return Signature([Register("q", QInt(self.bits), shape=(self.d,)), Register("k", QUInt(self.out_bits), shape=(self.s,))])

    def build_composite_bloq(self, bb: BloqBuilder, q, k) -> Dict[str, SoquetT]:
        if self.landmarks is None:
            raise DecomposeTypeError(f"{self}: no landmarks (cost only)")
        k = np.array(k)
        for l in range(int(self.s)):
            acc = bb.allocate(dtype=QInt(self.acc_bits))
            q, acc = bb.add(self.inner_product(l), row=q, acc=acc)
            acc, k[l] = bb.add(self.kernel, x=acc, out=k[l])
            q, acc = bb.add(self.inner_product(l, subtract=True), row=q, acc=acc)
            bb.free(acc)
        return {"q": q, "k": k}

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        if self.landmarks is None:
            ip = self.inner_product(None)
            return {ip: self.s, ip.adjoint(): self.s, self.kernel: self.s}
        counts: Dict[Bloq, SymbolicInt] = {}
        for l in range(int(self.s)):
            for b in (self.inner_product(l), self.inner_product(l, subtract=True), self.kernel):
                counts[b] = counts.get(b, 0) + 1
        return counts

    def on_classical_vals(self, q, k) -> Dict[str, object]:
        if self.landmarks is None:
            raise NotImplementedError("no landmarks: no classical action")
        qv = np.asarray(q).reshape(-1)
        out = np.array(k, dtype=object).reshape(-1).copy()
        for l, x in enumerate(self.landmarks):
            ip = sum(int(a) * int(b) for a, b in zip(x, qv))
            out[l] = (int(out[l]) + self.kernel.kernel_int(ip)) % (2 ** int(self.out_bits))
        return {"q": q, "k": np.array(out, dtype=np.int64)}

    def __str__(self):
        return f"LandmarkFeatures(d={self.d}, s={self.s}, b={self.bits})"


# ----------------------------------------------------------------------------------------------
# landmark sampling (QSample) and the kernel mean for D
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class NystromLandmarkSampling(Bloq):
    r"""QSample: ``draws`` ridge-leverage-score samples over the ``2n`` rows of ``X = [Q; K]``.

    Symbolic (``weights=None``): the computed ridge-score oracle (:class:`KernelOracleCostModel`,
    ``quadratic=True``, named ``loader``) and ``ceil(pi/4 sqrt(2n/s))`` rounds (ridge scores are
    <= 1 and sum to ``s``, so the acceptance is ``>= s / 2n``). Concrete: ``weights`` (2n ints,
    QROM-loaded, gate level) and the optimal round count. ``draws`` defaults to
    :func:`landmark_draws_expr` (s). Each draw is one measured run of the sampler (a failed run,
    flag = 0, is repeated; with the chosen rounds it succeeds with probability ``>= 1 - s/2n``).
    No decomposition (separate measured runs); call graph ``{sampler: draws}``.

    Args:
        n: rows of Q (and of K): X = [Q; K] has 2n rows.
        d: row length.
        s: number of landmarks s_lambda (the ridge scores sum to it).
        bits: width b of the weights / entries.
        loader: row loader of the computed oracle, ``qrom`` or ``assumed``.
        weights: the 2n concrete ridge weights (QROM-loaded, gate level), or None.
        draws: landmark draws, or None for :func:`landmark_draws_expr` (s).

    Registers:
        index: BQUInt(ceil(log2 2n), 2n), THRU (one draw's sample).
        coin: QUInt(bits), THRU.
        flag: QBit, THRU (1 = accepted draw).
    """

    n: SymbolicInt
    d: SymbolicInt
    s: SymbolicInt
    bits: SymbolicInt
    loader: str = "qrom"
    weights: Optional[Tuple[int, ...]] = attrs.field(default=None, converter=lambda w: None if w is None else tuple(int(x) for x in w))
    draws: Optional[SymbolicInt] = None

    def __attrs_post_init__(self):
        check_loader(self.loader)
        if self.weights is not None and (is_symbolic(self.n) or len(self.weights) != 2 * int(self.n)):
            raise QattnInputError(f"weights must have 2n = {2 * self.n} entries (one per row of X = [Q; K])")

    @cached_property
    def n_draws(self) -> SymbolicInt:
        return landmark_draws_expr(self.s) if self.draws is None else self.draws

    @cached_property
    def sampler(self) -> ImportanceSampler:
        if self.weights is not None:
            return ImportanceSampler(2 * self.n, self.bits, self.weights)

        oracle = KernelOracleCostModel(2 * self.n, self.d, self.s, self.bits, self.loader, quadratic=True)
        return ImportanceSampler(2 * self.n, self.bits, rounds=rounds_upper_bound_expr(2 * self.n / self.s), weight_oracle=oracle)

    @cached_property
    def signature(self) -> Signature:
        return self.sampler.signature

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            f"{self} is not one circuit: each landmark is a separate measured sampler run (a "
            "failed run, flag = 0, is repeated); its cost is the call graph"
        )

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {self.sampler: self.n_draws}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            return get_cost_value(self.sampler, QubitCount())
        return NotImplemented

    def __str__(self):
        return f"QSample landmarks(2n={2 * self.n}, draws={self.n_draws})"


def phase_bits_expr(eps) -> SymbolicInt:
    r"""Phase bits m with :math:`\pi/M + \pi^2/M^2 \le \varepsilon`: for a symbol,
    :math:`m = \lceil\log_2(2\pi/\varepsilon)\rceil` (then :math:`\pi/M \le \varepsilon/2` and
    :math:`\pi^2/M^2 \le \varepsilon^2/4`); concrete: the smallest such m."""
    if is_symbolic(eps):
        return sympy.ceiling(sympy.log(2 * sympy.pi / eps, 2))

    return phase_bits_for_error(float(eps))


def median_reps_expr(s) -> SymbolicInt:
    r""":math:`K = \lceil \ln(s/\delta) / (2 (8/\pi^2 - 1/2)^2)\rceil` runs per coordinate (union bound over s)."""
    gap = 8 / sympy.pi**2 - sympy.Rational(1, 2)
    if is_symbolic(s):
        return sympy.ceiling(sympy.log(s / DELTA) / (2 * gap**2))

    return median_repetitions(float(DELTA) / max(1, int(s)))


@attrs.frozen
class LandmarkKernelMean(Bloq):
    r"""The s-vector ``c_l = mean_j k(x_l, k_j)`` over the n keys (D~ = diag(U1 W^{+1/2} n c)).

    ``method='chj'`` (COST MODEL, default for symbolic sizes): Cornelissen-Hamoudi-Jerbi with
    ``chj_queries(s, s/4, eps, delta)`` controlled iterates of the sampler built on the computed
    kernel-row oracle (values in [0, 1]^s after scaling, Tr Sigma <= s/4; C = 1, delta = 1/10).
    ``method='coordinate'``: per coordinate, amplitude estimation with phase estimation
    (:class:`UnivariateMeanEstimation`, ``m = phase_bits_expr(eps)``), median of
    ``median_reps_expr(s)`` runs: ``s K`` runs. With concrete ``values`` (n x s ints) the
    coordinates are QROM-loaded, gate-level circuits (simulated on qsim by
    :func:`qattn_cirq.pipelines.simulate_qattention`).

    Args:
        n: number of keys averaged over.
        d: row length.
        s: number of landmarks (coordinates of c).
        bits: width b of the entries / values.
        eps: target error of each coordinate (float or symbol).
        loader: row loader of the computed oracle, ``qrom`` or ``assumed``.
        method: ``chj`` (cost model) or ``coordinate`` (amplitude estimation per coordinate).
        values: concrete n x s kernel values (``coordinate`` only, QROM-loaded), or None.

    Registers:
        None: the signature is empty (separate measured runs or a cost model).
    """

    n: SymbolicInt
    d: SymbolicInt
    s: SymbolicInt
    bits: SymbolicInt
    eps: Union[float, sympy.Expr]
    loader: str = "qrom"
    method: str = "chj"
    values: Optional[Tuple[Tuple[int, ...], ...]] = attrs.field(
        default=None, converter=lambda x: None if x is None else tuple(tuple(int(v) for v in r) for r in x)
    )

    def __attrs_post_init__(self):
        check_loader(self.loader)
        if self.method not in ("chj", "coordinate"):
            raise QattnInputError(f"method must be 'chj' or 'coordinate'; got {self.method!r}")
        if self.values is not None and self.method != "coordinate":
            raise QattnInputError("concrete values are simulated coordinate-wise: use method='coordinate'")

    @cached_property
    def phase_bits(self) -> SymbolicInt:
        return phase_bits_expr(self.eps)

    @cached_property
    def repetitions(self) -> SymbolicInt:
        return median_reps_expr(self.s)

    @cached_property
    def oracle(self) -> KernelOracleCostModel:
        return KernelOracleCostModel(self.n, self.d, self.s, self.bits, self.loader)

    @cached_property
    def chj(self) -> Bloq:
        queries = chj_queries(self.s, self.s / 4, self.eps, DELTA if is_symbolic(self.s, self.eps) else float(DELTA))
        return CHJMeanEstimationCostModel(
            UniformIndexAndCoin(self.n, self.bits), WeightThresholdFlag(self.n, self.bits, weight_oracle=self.oracle), queries
        )

    def coordinate(self, l: Optional[int]) -> Bloq:
        if self.values is not None:
            col = tuple(np.asarray(self.values)[:, l])
            return UnivariateMeanEstimation(self.n, self.bits, self.phase_bits, values=col)
        # the computed oracle of one coordinate: s = 1 kernel value per call
        one = KernelOracleCostModel(self.n, self.d, 1, self.bits, self.loader)
        return UnivariateMeanEstimation(self.n, self.bits, self.phase_bits, value_oracle=one)

    @cached_property
    def signature(self) -> Signature:
        return Signature([])

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            (f"{self} is a cost model (CHJ mean estimation)" if self.method == "chj" else
             f"{self} is not one circuit: s K separate measured amplitude-estimation runs, medians "
             "taken classically") + "; its cost is the call graph"
        )

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        if self.method == "chj":
            return {self.chj: 1}
        if self.values is None:
            return {self.coordinate(None): self.s * self.repetitions}
        counts: Dict[Bloq, SymbolicInt] = {}
        for l in range(int(self.s)):
            c = self.coordinate(l)
            counts[c] = counts.get(c, 0) + self.repetitions
        return counts

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            if self.method == "chj":
                return get_cost_value(self.chj, QubitCount())
            return get_cost_value(self.coordinate(0 if self.values is not None else None), QubitCount())
        return NotImplemented

    def __str__(self):
        return f"KernelMean(s={self.s}, {self.method})"


@bloq_example(generalizer=BOOKKEEPING)
def _landmark_features_small() -> LandmarkFeatures:
    landmark_features_small = LandmarkFeatures(2, 2, 2, landmarks=((1, -1), (0, 1)), scale=0.7, frac_bits=3)
    return landmark_features_small


@bloq_example
def _landmark_sampling_symb() -> NystromLandmarkSampling:
    n, d, s, alpha, eps, b = symbols()
    landmark_sampling_symb = NystromLandmarkSampling(n, d, s, b)
    return landmark_sampling_symb


_LANDMARK_FEATURES_DOC = BloqDocSpec(bloq_cls=LandmarkFeatures, examples=[_landmark_features_small])


@bloq_example
def _kernel_oracle_symb() -> KernelOracleCostModel:
    n, d, s, alpha, eps, b = symbols()
    kernel_oracle_symb = KernelOracleCostModel(n, d, s, b)
    return kernel_oracle_symb


@bloq_example
def _landmark_kernel_mean_symb() -> LandmarkKernelMean:
    n, d, s, alpha, eps, b = symbols()
    landmark_kernel_mean_symb = LandmarkKernelMean(n, d, s, b, eps)
    return landmark_kernel_mean_symb


@bloq_example
def _landmark_kernel_mean_small() -> LandmarkKernelMean:
    landmark_kernel_mean_small = LandmarkKernelMean(
        4, 2, 2, 2, 0.3, method="coordinate", values=((1, 2), (3, 0), (0, 1), (2, 2))
    )
    return landmark_kernel_mean_small


@bloq_example
def _landmark_sampling_small() -> NystromLandmarkSampling:
    landmark_sampling_small = NystromLandmarkSampling(
        4, 2, 2, 2, weights=(1, 3, 0, 2, 2, 1, 3, 1), draws=3
    )
    return landmark_sampling_small


_KERNEL_ORACLE_DOC = BloqDocSpec(bloq_cls=KernelOracleCostModel, examples=[_kernel_oracle_symb])
_LANDMARK_KERNEL_MEAN_DOC = BloqDocSpec(
    bloq_cls=LandmarkKernelMean, examples=[_landmark_kernel_mean_symb, _landmark_kernel_mean_small]
)
_LANDMARK_SAMPLING_DOC = BloqDocSpec(
    bloq_cls=NystromLandmarkSampling, examples=[_landmark_sampling_symb, _landmark_sampling_small]
)
