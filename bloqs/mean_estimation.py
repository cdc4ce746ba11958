r"""Quantum mean estimation: amplitude estimation with phase estimation, univariate and multivariate.

**Amplitude estimation** (Brassard, Hoyer, Mosca, Tapp, quant-ph/0005055, Sec. 4, Algorithm
Est_Amp and Theorem 12). With U, F and the iterate :math:`G = D\,O` of :mod:`bloqs.amplification`
(eigenvalues :math:`e^{\pm 2i\theta}` on the plane of :math:`U|0\rangle`,
:math:`a = \sin^2\theta`), :class:`AmplitudeEstimation` is textbook phase estimation of G with an
m-qubit phase register (M = 2^m): Hadamards, controlled :math:`G^{2^k}` controlled by the phase bit
of weight :math:`2^k` (M - 1 controlled iterates in all), inverse QFT (Qualtran's ``QFTTextBook``).
Measuring y gives :math:`\tilde a = \sin^2(\pi y / M)` and (BHMT Theorem 12, k = 1)

.. math:: |\tilde a - a| \le \frac{2\pi\sqrt{a(1-a)}}{M} + \frac{\pi^2}{M^2}
          \quad\text{with probability at least } 8/\pi^2 \approx 0.81 .

The controlled iterate is written by hand: only the flag phase and the reflection about zero are
controlled (:class:`bloqs.amplification.AmplificationIterate` with ``controlled=True``).

**Univariate mean** (:class:`UnivariateMeanEstimation`): for values :math:`v_i \in [0, 2^b)` on a
uniform index i, U = uniform index and b-bit coin, F = [coin < v_i] (the sampler's flag,
:mod:`bloqs.sampling`), so :math:`a = \mathbb E[v]/2^b` exactly and the estimate of the mean is
:math:`2^b \tilde a`. (Kothari-O'Donnell arXiv:2208.07544 refine this to the sub-Gaussian rate;
Qualtran's ``MeanEstimationOperator`` is their walk operator only, without phase estimation.)
Precision: :func:`phase_bits_for_error` picks the smallest m with :math:`\pi/M + \pi^2/M^2 \le
\varepsilon` (worst case a = 1/2); the median of K independent runs fails with probability at most
:math:`e^{-2K(8/\pi^2 - 1/2)^2}` (Hoeffding), so :func:`median_repetitions`
:math:`K = \lceil \ln(1/\delta) / (2 (8/\pi^2 - 1/2)^2) \rceil \approx 5.2 \ln(1/\delta)`.
Queries (F calls, each = a value lookup + its measurement-based unload + b And for QROM values, or
2 computed-oracle calls + b And; see :class:`bloqs.sampling.WeightThresholdFlag`): 2 (M - 1) per run, plus one U and the
(controlled) reflections per iterate.

**Multivariate mean** of :math:`X \in [0,1)^d`:

* gate level, :class:`MultivariateMeanEstimation`: one univariate estimator per coordinate, each to
  :math:`\ell_\infty` error :math:`\varepsilon_\infty` with failure :math:`\delta/d` (union bound),
  :math:`d \cdot K(\delta/d) \cdot 2(M-1)` F calls, :math:`\ell_2` error :math:`\le \sqrt d\,
  \varepsilon_\infty`. Simulated on qsim.
* Cornelissen, Hamoudi, Jerbi (arXiv:2111.09787, STOC 2022), cost model
  (:func:`chj_queries`, :class:`CHJMeanEstimationCostModel`): :math:`\ell_2` error
  :math:`\varepsilon` with :math:`\tilde O(\sqrt{d\,\mathrm{Tr}\,\Sigma}/\varepsilon)` queries (their
  main theorem hides constants and polylog factors; Tang arXiv:2504.06940 shows
  :math:`O(n\log(d/\delta))` queries for :math:`\ell_2` error :math:`\sqrt{d\,\mathrm{Tr}\Sigma}/n`).
  We charge :math:`N = \lceil C\,\sqrt{d\,\mathrm{Tr}\Sigma}\,\log(d/\delta)/\varepsilon\rceil`
  controlled iterates with the constant C an explicit parameter (default 1: *not* a proven constant).
  For :math:`X \in [0,1]^d`, :math:`\mathrm{Tr}\,\Sigma \le d/4`.
"""

import math
from functools import cached_property
from typing import Dict, Optional, Sequence, Tuple, Union

import attrs
import numpy as np
import sympy
from qualtran import (
    Bloq,
    BloqBuilder,
    BloqDocSpec,
    DecomposeTypeError,
    QUInt,
    Register,
    Signature,
    Soquet,
    SoquetT,
    bloq_example,
)
from qualtran.bloqs.basic_gates import Hadamard
from qualtran.bloqs.qft import QFTTextBook
from qualtran.resource_counting import QubitCount, get_cost_value
from qualtran.symbolics import is_symbolic

from bloqs.amplification import AmplificationIterate, RepeatedIterate
from bloqs.catalog import BOOKKEEPING
from bloqs.sampling import UniformIndexAndCoin, WeightThresholdFlag, check_table_shape, int_table, int_vector
from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]

#: BHMT Theorem 12 (k = 1): success probability of one amplitude-estimation run.
AE_SUCCESS_PROBABILITY = 8 / math.pi**2


# ----------------------------------------------------------------------------------------------
# closed forms
# ----------------------------------------------------------------------------------------------


def ae_error_bound(a: float, phase_bits: int) -> float:
    r"""BHMT Thm 12 (k=1): :math:`2\pi\sqrt{a(1-a)}/M + \pi^2/M^2`, M = 2^m."""
    M = 2**phase_bits
    return 2 * math.pi * math.sqrt(max(0.0, a * (1 - a))) / M + math.pi**2 / M**2


def ae_estimate(y: Union[int, np.ndarray], phase_bits: int):
    r""":math:`\tilde a = \sin^2(\pi y / M)` for a measured phase-register value y."""
    return np.sin(np.pi * np.asarray(y, dtype=float) / 2**phase_bits) ** 2


def ae_outcome_distribution(a: float, phase_bits: int) -> np.ndarray:
    r"""Exact distribution of the measured y (BHMT Thm 11): for :math:`\omega = \theta/\pi` the
    outcome probabilities of phase estimation at phases :math:`\pm\omega`, averaged (the state
    :math:`U|0\rangle` is an equal-weight superposition of the two eigenvectors)."""
    M = 2**phase_bits
    omega = math.asin(math.sqrt(a)) / math.pi
    y = np.arange(M)

    def pe(phi):
        delta = phi - y / M
        num = np.sin(M * np.pi * delta) ** 2
        den = M**2 * np.sin(np.pi * delta) ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(np.abs(den) < 1e-300, 1.0, num / np.where(den == 0, 1, den))
        return p

    return 0.5 * (pe(omega) + pe(-omega % 1.0))


def phase_bits_for_error(eps: float) -> int:
    r"""Smallest m with :math:`\pi/M + \pi^2/M^2 \le \varepsilon` (Thm 12 with a(1-a) <= 1/4)."""
    if not (0 < eps < 1):
        raise QattnInputError(f"eps={eps} must be in (0, 1)")
    m = 1
    while math.pi / 2**m + math.pi**2 / 4**m > eps:
        m += 1
    return m


def median_repetitions(delta: float) -> int:
    r""":math:`K = \lceil \ln(1/\delta)/(2(8/\pi^2-1/2)^2)\rceil` runs; median fails w.p. <= delta."""
    if not (0 < delta < 1):
        raise QattnInputError(f"delta={delta} must be in (0, 1)")
    gap = AE_SUCCESS_PROBABILITY - 0.5
    k = math.ceil(math.log(1 / delta) / (2 * gap**2))
    return k + (1 - k % 2)  # odd, so the median is one run's value


def chj_queries(d, trace_sigma, eps, delta, C: float = 1.0):
    r"""Cornelissen-Hamoudi-Jerbi query count, :math:`\lceil C\sqrt{d\,\mathrm{Tr}\Sigma}\,\ln(d/\delta)/\varepsilon\rceil`.

    C is NOT given by the theorem (which is stated with O~); it is an explicit modelling constant.
    Works with sympy symbols."""
    if all(not isinstance(v, sympy.Basic) for v in (d, trace_sigma, eps, delta)):
        if not (0 < eps < 1) or not (0 < delta < 1) or d < 1 or trace_sigma < 0:
            raise QattnInputError("need d >= 1, Tr Sigma >= 0, eps and delta in (0, 1)")
        return max(1, math.ceil(C * math.sqrt(d * trace_sigma) * math.log(d / delta) / eps))
    return sympy.ceiling(C * sympy.sqrt(d * trace_sigma) * sympy.log(d / delta) / eps)


# ----------------------------------------------------------------------------------------------
# bloqs
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class AmplitudeEstimation(Bloq):
    r"""Phase estimation of the amplification iterate G (BHMT Est_Amp), m phase qubits.

    Measure ``phase`` = y: :math:`\tilde a = \sin^2(\pi y/2^m)`. Cost: U + m H + (2^m - 1)
    controlled iterates (2 F + U + U-dagger + controlled reflection each) + inverse QFT(m).

    Args:
        prepare: U (all registers THRU, unshaped).
        flag_oracle: F, with ``prepare``'s registers and a 1-qubit ``flag``.
        phase_bits: m, the phase register width (in [1, 30], or a symbol).

    Registers:
        phase: QUInt(phase_bits), THRU (enters |0>; measured).
        <system registers>: the registers of ``prepare``, THRU (enter |0>).
    """

    prepare: Bloq
    flag_oracle: Bloq
    phase_bits: SymbolicInt

    def __attrs_post_init__(self):
        if not is_symbolic(self.phase_bits) and not (1 <= int(self.phase_bits) <= 30):
            raise QattnInputError(f"phase_bits={self.phase_bits} must be in [1, 30]")

    @cached_property
    def controlled_iterate(self) -> AmplificationIterate:
        return AmplificationIterate(self.prepare, self.flag_oracle, controlled=True)

    @cached_property
    def system_registers(self) -> Tuple[Register, ...]:
        return tuple(self.prepare.signature)

    @cached_property
    def signature(self) -> Signature:
        return Signature([Register("phase", QUInt(self.phase_bits))] + list(self.system_registers))

    @cached_property
    def iqft(self) -> Bloq:
        return QFTTextBook(self.phase_bits).adjoint()

    def build_composite_bloq(self, bb: BloqBuilder, phase: Soquet, **soqs: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.phase_bits):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        m = int(self.phase_bits)
        soqs = bb.add_d(self.prepare, **soqs)
        ps = [bb.add(Hadamard(), q=p) for p in bb.split(phase)]
        for k in range(m):
            # big-endian: the qubit of weight 2^k is ps[m - 1 - k]
            out = bb.add_d(RepeatedIterate(self.controlled_iterate, 2**k), ctrl=ps[m - 1 - k], **soqs)
            ps[m - 1 - k] = out.pop("ctrl")
            soqs = out
        phase = bb.join(np.array(ps), dtype=QUInt(m))
        phase = bb.add(self.iqft, q=phase)
        return {"phase": phase, **soqs}

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        counts = {self.prepare: 1, Hadamard(): self.phase_bits, self.iqft: 1}
        if is_symbolic(self.phase_bits):
            counts[self.controlled_iterate] = 2**self.phase_bits - 1
            return counts
        # concrete m: the decomposition's blocks, controlled-G^(2^k) for k < m (2^m - 1 in all)
        for k in range(int(self.phase_bits)):
            counts[RepeatedIterate(self.controlled_iterate, 2**k)] = 1
        return counts

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount) and is_symbolic(self.phase_bits):
            return self.phase_bits + get_cost_value(self.controlled_iterate, QubitCount()) - 1
        return NotImplemented

    def flag_queries(self) -> SymbolicInt:
        """Flag-oracle (F) calls: 2 per controlled iterate."""
        return 2 * (2**self.phase_bits - 1)

    def __str__(self):
        return f"AE[{self.prepare}, m={self.phase_bits}]"


@attrs.frozen
class UnivariateMeanEstimation(Bloq):
    r"""Mean of b-bit values :math:`v_i`, i uniform over n, by amplitude estimation.

    :math:`a = \mathbb E[v]/2^b`; estimate :math:`2^b \sin^2(\pi y/2^m)`; error
    :math:`2^b(2\pi\sqrt{a(1-a)}/M + \pi^2/M^2)` w.p. >= 8/pi^2 (BHMT Thm 12).
    ``values`` None gives a symbolic-size QROM (for costs); ``value_oracle`` a computed one with
    QROM's interface.

    Args:
        n: number of values (int or symbol).
        bits: width b of each value (values in [0, 2^b - 1]).
        phase_bits: m, the phase register width.
        values: the n concrete values, or None (symbolic-size QROM, cost only).
        value_oracle: a computed value oracle with QROM's interface, instead of the table.

    Registers:
        phase: QUInt(phase_bits), THRU (measured: the estimate is 2^b sin^2(pi y / 2^m)).
        index: BQUInt(ceil(log2 n), n), THRU.
        coin: QUInt(bits), THRU.
    """

    n: SymbolicInt
    bits: SymbolicInt
    phase_bits: SymbolicInt
    values: Optional[Tuple[int, ...]] = attrs.field(default=None, converter=int_vector)
    value_oracle: Optional[Bloq] = None

    @cached_property
    def ae(self) -> AmplitudeEstimation:
        return AmplitudeEstimation(
            UniformIndexAndCoin(self.n, self.bits),
            WeightThresholdFlag(self.n, self.bits, self.values, self.value_oracle),
            self.phase_bits,
        )

    @cached_property
    def signature(self) -> Signature:
        return self.ae.signature

    @cached_property
    def true_mean(self) -> float:
        return float(np.mean(self.values))

    @cached_property
    def amplitude(self) -> float:
        return self.true_mean / 2 ** int(self.bits)

    def estimate(self, y):
        """Mean estimate(s) 2^b sin^2(pi y / M) for measured phase value(s) y."""
        return 2 ** int(self.bits) * ae_estimate(y, int(self.phase_bits))

    def error_bound(self) -> float:
        """BHMT Thm 12 bound on |estimate - mean| (in value units), holds w.p. >= 8/pi^2."""
        return 2 ** int(self.bits) * ae_error_bound(self.amplitude, int(self.phase_bits))

    def build_composite_bloq(self, bb: BloqBuilder, **soqs: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.n, self.bits, self.phase_bits):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        return bb.add_d(self.ae, **soqs)

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {self.ae: 1}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount) and is_symbolic(self.phase_bits):
            return get_cost_value(self.ae, QubitCount())
        return NotImplemented

    def __str__(self):
        return f"MeanEst(n={self.n}, b={self.bits}, m={self.phase_bits})"


@attrs.frozen
class MultivariateMeanEstimation(Bloq):
    r"""Coordinate-wise multivariate mean of :math:`X \in [0, 2^b)^d` (gate level).

    ``repetitions`` K runs of :class:`UnivariateMeanEstimation` per coordinate (medians taken
    classically), run one after the other on the same qubits (peak width = one run).
    ``data`` is an n x d integer table (or None for symbolic sizes). No composite decomposition:
    the runs are separate circuits, each measured; the call graph is
    ``{UnivariateMeanEstimation(column j): K}`` for each j.

    Args:
        n: number of samples (rows of ``data``).
        d: number of coordinates.
        bits: width b of each entry.
        phase_bits: m, the phase register width of each run.
        repetitions: K, runs per coordinate (the median is taken classically).
        data: the n x d table, or None (symbolic sizes, cost only).

    Registers:
        phase: QUInt(phase_bits), THRU (one coordinate's run; the runs reuse the same qubits).
        index: BQUInt(ceil(log2 n), n), THRU.
        coin: QUInt(bits), THRU.
    """

    n: SymbolicInt
    d: SymbolicInt
    bits: SymbolicInt
    phase_bits: SymbolicInt
    repetitions: SymbolicInt = 1
    data: Optional[Tuple[Tuple[int, ...], ...]] = attrs.field(
        default=None, converter=int_table
    )

    def __attrs_post_init__(self):
        if self.data is not None:
            check_table_shape("data", self.data, self.n, self.d)

    def coordinate(self, j: int) -> UnivariateMeanEstimation:
        col = None if self.data is None else tuple(np.asarray(self.data)[:, j])
        return UnivariateMeanEstimation(self.n, self.bits, self.phase_bits, col)

    @cached_property
    def signature(self) -> Signature:
        return self.coordinate(0).signature

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            f"{self} is not one circuit: d K separate measured runs of UnivariateMeanEstimation, "
            "medians taken classically; its cost is the call graph"
        )

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        if self.data is None or is_symbolic(self.d):
            return {self.coordinate(0): self.d * self.repetitions}
        counts: Dict[Bloq, SymbolicInt] = {}
        for j in range(int(self.d)):
            c = self.coordinate(j)
            counts[c] = counts.get(c, 0) + self.repetitions
        return counts

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            return get_cost_value(self.coordinate(0), QubitCount())
        return NotImplemented

    def flag_queries(self) -> SymbolicInt:
        return self.d * self.repetitions * 2 * (2**self.phase_bits - 1)

    def __str__(self):
        return f"MultiMeanEst(d={self.d}, m={self.phase_bits}, K={self.repetitions})"


@attrs.frozen
class CHJMeanEstimationCostModel(Bloq):
    r"""COST MODEL: Cornelissen-Hamoudi-Jerbi multivariate mean estimation (arXiv:2111.09787).

    ``n_queries`` controlled applications of the amplification iterate built from the given
    ``prepare`` / ``flag_oracle`` (one CHJ query = one controlled use of the sampling oracle and its
    inverse, which is what the iterate contains), with ``n_queries`` from :func:`chj_queries`.
    The QSVT / Bernstein-Vazirani post-processing of CHJ is not costed (lower-order in their
    analysis). Not a circuit: the gate-level alternative is :class:`MultivariateMeanEstimation`.

    Args:
        prepare: U of the sampling oracle.
        flag_oracle: F of the sampling oracle.
        n_queries: CHJ queries (controlled iterates), e.g. :func:`chj_queries`.

    Registers:
        <system registers>: the registers of ``prepare``, THRU.
    """

    prepare: Bloq
    flag_oracle: Bloq
    n_queries: SymbolicInt

    @cached_property
    def signature(self) -> Signature:
        return Signature(list(self.prepare.signature))

    @cached_property
    def controlled_iterate(self) -> AmplificationIterate:
        return AmplificationIterate(self.prepare, self.flag_oracle, controlled=True)

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            f"{self} is a cost model (Cornelissen-Hamoudi-Jerbi, arXiv:2111.09787), not a circuit; "
            "the gate-level alternative is MultivariateMeanEstimation"
        )

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {self.controlled_iterate: self.n_queries}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            return get_cost_value(self.controlled_iterate, QubitCount())
        return NotImplemented

    def __str__(self):
        return f"CHJ[{self.n_queries} queries]"


# ----------------------------------------------------------------------------------------------
# classical post-processing of simulated runs
# ----------------------------------------------------------------------------------------------


def median_of_runs(estimates: Sequence[float]) -> float:
    """The median of K run estimates (K odd: one run's value)."""
    return float(np.median(np.asarray(estimates, dtype=float)))


def multivariate_symbolic(n=None, d=None, bits=None, phase_bits=None, repetitions=None) -> MultivariateMeanEstimation:
    """Coordinate-wise multivariate estimator with symbolic n, d, b, m, K."""
    sym = lambda name, v: sympy.Symbol(name, positive=True, integer=True) if v is None else v
    return MultivariateMeanEstimation(
        sym("n", n), sym("d", d), sym("b", bits), sym("m", phase_bits), sym("K", repetitions)
    )


@bloq_example
def _univariate_mean_small() -> UnivariateMeanEstimation:
    univariate_mean_small = UnivariateMeanEstimation(4, 2, 3, values=(1, 3, 0, 2))
    return univariate_mean_small


@bloq_example
def _univariate_mean_symb() -> UnivariateMeanEstimation:
    n, b, m = sympy.symbols("n b m", positive=True, integer=True)
    univariate_mean_symb = UnivariateMeanEstimation(n, b, m)
    return univariate_mean_symb


_UNIVARIATE_MEAN_DOC = BloqDocSpec(
    bloq_cls=UnivariateMeanEstimation, examples=[_univariate_mean_small, _univariate_mean_symb]
)


@bloq_example(generalizer=BOOKKEEPING)
def _amplitude_estimation() -> AmplitudeEstimation:
    amplitude_estimation = AmplitudeEstimation(
        UniformIndexAndCoin(4, 2), WeightThresholdFlag(4, 2, (1, 3, 0, 2)), phase_bits=2
    )
    return amplitude_estimation


@bloq_example
def _multivariate_mean() -> MultivariateMeanEstimation:
    multivariate_mean = MultivariateMeanEstimation(
        n=4, d=2, bits=2, phase_bits=3, repetitions=3, data=((1, 2), (3, 0), (0, 1), (2, 2))
    )
    return multivariate_mean


@bloq_example
def _multivariate_mean_symb() -> MultivariateMeanEstimation:
    multivariate_mean_symb = multivariate_symbolic()
    return multivariate_mean_symb


@bloq_example
def _chj_mean_estimation_symb() -> CHJMeanEstimationCostModel:
    n, b, q = sympy.symbols("n b q", positive=True, integer=True)
    chj_mean_estimation_symb = CHJMeanEstimationCostModel(UniformIndexAndCoin(n, b), WeightThresholdFlag(n, b), q)
    return chj_mean_estimation_symb


_AMPLITUDE_ESTIMATION_DOC = BloqDocSpec(bloq_cls=AmplitudeEstimation, examples=[_amplitude_estimation])
_MULTIVARIATE_MEAN_DOC = BloqDocSpec(
    bloq_cls=MultivariateMeanEstimation, examples=[_multivariate_mean, _multivariate_mean_symb]
)
_CHJ_MEAN_ESTIMATION_DOC = BloqDocSpec(bloq_cls=CHJMeanEstimationCostModel, examples=[_chj_mean_estimation_symb])
