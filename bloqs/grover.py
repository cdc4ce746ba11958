r"""Grover search for the large entries of one attention row, as Qualtran bloqs.

Gao, Song, Yang, Zhang, *Fast Quantum Algorithm for Attention Computation* (arXiv 2307.08045,
Alg. 1 and Lemma 3.3): for each query row :math:`q_i`, Grover search over the n key rows finds the set
:math:`S_i = \{j : \langle q_i, k_j\rangle \ge \tau\}` of the at most k large entries with
:math:`\tilde O(\sqrt{nk}\,d)` gates. This module builds that search gate by gate:

* :class:`ThresholdOracle`: the phase oracle :math:`(-1)^{[\langle q, k_j\rangle \ge \tau,\ j \notin E]}`
  on the index register: load row j, inner product into an accumulator, compare into a flag, phase
  flip, uncompute. Every ancilla returns to :math:`|0\rangle`. The excluded set E (items already
  found by the search-and-remove loop) is checked at gate level with one ``IndexEquals`` per
  excluded index.
* :class:`UniformIndexPrepare`: :math:`|0\rangle \mapsto n^{-1/2}\sum_{j<n}|j\rangle` for any n (not only
  powers of two), Qualtran's ``PrepareUniformSuperposition`` (Babbush et al. arXiv:1805.03662 Fig. 12)
  wrapped as a ``PrepareOracle``.
* :class:`GroverIterate`: :math:`G = (2|s\rangle\langle s| - I)\,O`. With
  :math:`\sin^2\theta = |S|/n` and start state :math:`|s\rangle`, r iterates give marked-set probability
  :math:`\sin^2((2r+1)\theta)` (Boyer-Brassard-Hoyer-Tapp, quant-ph/9605034, Sec. 2, Lemma 1).
* :class:`RepeatedGroverIterate`: :math:`G^r` with a call graph that works for symbolic r (Qualtran's
  ``Power`` cannot give a qubit count for symbolic r); it is :mod:`bloqs.amplification`'s
  ``RepeatedIterate``, and :class:`GroverDiffusion` decomposes as that module's ``Diffusion``
  (this module specialises generic amplitude amplification to the uniform start state and a
  phase oracle).
* :class:`GroverSearch`: uniform preparation followed by :math:`G^r` (one Grover run, before the
  measurement).
* :class:`FindAllMarked`: the search-and-remove strategy for k known marked items: k Grover runs with
  :math:`r_m = \lfloor \pi / (4\theta_m) \rfloor` iterations, :math:`\sin^2\theta_m = m/n`, for
  m = k, k-1, ..., 1 marked items still unfound; each found index is verified classically and
  excluded from the next oracle. Oracle calls
  :math:`R(n,k) = \sum_{m=1}^{k} \lfloor \pi/(4\arcsin\sqrt{m/n}) \rfloor \le
  \tfrac{\pi}{4}\sqrt{n}\sum_{m=1}^k m^{-1/2} < \tfrac{\pi}{2}\sqrt{nk}` (leading term
  :math:`\tfrac{\pi}{2}\sqrt{nk}`). Each run succeeds with probability :math:`\ge 1 - m/n`
  (BBHT Sec. 3); a failed run is repeated, so the expected count is
  :math:`\sum_m r_m / \sin^2((2r_m+1)\theta_m)` (:func:`find_all_expected_oracle_calls`).
  The optimal :math:`O(\sqrt{nk})` with polylog gate overhead is van Apeldoorn, Gribling, Nieuwboer
  arXiv:2302.10244; search-and-remove is the simple strategy with the same leading order.
* :class:`BBHTSchedule`: BBHT's algorithm for an unknown number t of marked items (Sec. 4, Theorem 3):
  iteration counts drawn uniformly from [0, m) with m growing by :math:`\lambda = 6/5`; expected
  iterations :math:`O(\sqrt{n/t})`: at most :math:`9 m_0 = 9/\sin 2\theta \le 9\sqrt{n/t}`
  (:math:`\approx \tfrac92\sqrt{n/t}` for :math:`t \ll n`), exactly about
  :math:`1.42\sqrt{n/t}` at n = 2^20, t = 1 (:func:`bbht_expected_iterations`).

Cost convention (``estimates.counts``): And / Toffoli / CSWAP = 4 T, And-dagger = 0 T (measurement
based), rotations = 11 T and reported separately.
"""



import functools
import math
from functools import cached_property
from typing import Dict, Iterator, List, Optional, Tuple, Union

import attrs
import numpy as np
import sympy
from qualtran import (
    Bloq,
    BloqBuilder,
    BloqDocSpec,
    BQUInt,
    DecomposeTypeError,
    QBit,
    QInt,
    Register,
    Signature,
    Soquet,
    SoquetT,
)
from qualtran import QUInt
from qualtran.bloqs.basic_gates import CNOT, CZ, Hadamard, XGate, ZGate
from qualtran.bloqs.mcmt import And, MultiAnd
from qualtran.bloqs.state_preparation.prepare_base import PrepareOracle
from qualtran.bloqs.state_preparation.prepare_uniform_superposition import (
    PrepareUniformSuperposition,
)
from qualtran.resource_counting import QubitCount, get_cost_value
from qualtran.symbolics import HasLength, bit_length, is_symbolic, slen, smax

from bloqs.amplification import (
    Diffusion,
    RepeatedIterate,
    _and_of,
    _apply_and,
    _unapply_and,
    amplification_angle,
    optimal_rounds,
    success_probability,
)
from bloqs.arithmetic import CarrySaveInnerProduct, ClassicalInnerProduct, ThresholdCompare
from bloqs.catalog import BOOKKEEPING
from bloqs.loader_factory import make_row_loader
from bloqs.loader_kinds import LOADER_KINDS
from bloqs.qroam import RowUnload
from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]

#: BBHT's growth factor for the unknown-count search (any 1 < lambda < 4/3 works; 6/5 is theirs).
BBHT_LAMBDA = sympy.Rational(6, 5)


# --------------------------------------------------------------------------------------------------
# Plain-Python schedules (used by the simulation pipeline and by the cost model)
# --------------------------------------------------------------------------------------------------
# Grover search is amplitude amplification with acceptance a = marked/n: the angle, iteration count
# and success probability below are bloqs.amplification's closed forms at that a.


def _check_n_marked(n: int, marked: int) -> None:
    if int(n) != n or n < 2:
        raise QattnInputError(f"n must be an integer >= 2, got {n}")
    if int(marked) != marked or not 1 <= marked <= n:
        raise QattnInputError(f"marked must be an integer in [1, n={n}], got {marked}")


def grover_angle(n: int, marked: int) -> float:
    r""":math:`\theta` with :math:`\sin^2\theta = \text{marked}/n` (BBHT Sec. 2)."""
    _check_n_marked(n, marked)
    return amplification_angle(marked / n)


def grover_iterations(n: int, marked: int) -> int:
    r"""Iterations :math:`\lfloor \pi/(4\theta) \rfloor` for ``marked`` of ``n`` items (BBHT Sec. 3).

    With this count the failure probability is at most marked/n (BBHT Sec. 3). It is 0 when more
    than half the items are marked (then a plain measurement succeeds with probability >= 1/2).
    """
    _check_n_marked(n, marked)
    return optimal_rounds(marked / n)


def grover_success_probability(n: int, marked: int, r: int) -> float:
    r"""Marked-set probability :math:`\sin^2((2r+1)\theta)` after r iterates from the uniform state."""
    _check_n_marked(n, marked)
    return success_probability(marked / n, r)


def find_all_schedule(n: int, k: int) -> List[Dict[str, float]]:
    """The search-and-remove schedule: one entry per run, with m = k, k-1, ..., 1 items unfound.

    Each entry: ``remaining`` (m), ``excluded`` (k - m already found), ``iterations``
    (floor(pi/(4 theta_m))) and ``success_probability`` (sin^2((2r+1)theta_m)).
    """
    _check_n_marked(n, k)
    out = []
    for m in range(k, 0, -1):
        r = grover_iterations(n, m)
        out.append(
            {
                "remaining": m,
                "excluded": k - m,
                "iterations": r,
                "success_probability": grover_success_probability(n, m, r),
            }
        )
    return out


def find_all_oracle_calls(n: int, k: int) -> int:
    """Oracle calls of the search-and-remove schedule when every run succeeds: sum_m r_m."""
    return sum(int(s["iterations"]) for s in find_all_schedule(n, k))


def find_all_expected_oracle_calls(n: int, k: int) -> float:
    """Expected oracle calls when each failed run (probability 1 - p_m) is repeated: sum r_m / p_m."""
    return float(sum(s["iterations"] / s["success_probability"] for s in find_all_schedule(n, k)))


def _r_expr(n, m):
    """floor(pi / (4 asin(sqrt(m/n)))) as a sympy expression (exact for concrete n, m)."""
    return sympy.floor(sympy.pi / (4 * sympy.asin(sympy.sqrt(sympy.Integer(1) * m / n))))


def find_all_oracle_calls_expr(n, k):
    r"""Closed form :math:`R(n,k)=\sum_{m=1}^{k}\lfloor\pi/(4\arcsin\sqrt{m/n})\rfloor` (a sympy Sum).

    A sum of k terms, never of n: evaluating it at n = 2^20, k = 32 costs 32 floor evaluations.
    """
    m = sympy.Symbol("m", positive=True, integer=True)
    if not is_symbolic(n, k):
        return sympy.Integer(find_all_oracle_calls(int(n), int(k)))
    return sympy.Sum(_r_expr(n, m), (m, 1, k))


def find_all_exclusion_checks_expr(n, k):
    r""":math:`E(n,k)=\sum_{m=1}^{k} r_m (k-m)`: oracle calls weighted by the number of excluded indices."""
    m = sympy.Symbol("m", positive=True, integer=True)
    if not is_symbolic(n, k):
        return sympy.Integer(sum(int(s["iterations"]) * int(s["excluded"]) for s in find_all_schedule(int(n), int(k))))
    return sympy.Sum(_r_expr(n, m) * (k - m), (m, 1, k))


def bbht_success_probability(n: int, t: int, M: int) -> float:
    r"""Success probability of one BBHT round, j uniform in [0, M): BBHT Lemma 2,
    :math:`\tfrac12 - \sin(4M\theta)/(4M\sin 2\theta)` (1 when t = n)."""
    th = grover_angle(n, t)
    s2 = math.sin(2 * th)
    if s2 < 1e-15:
        return 1.0
    return 0.5 - math.sin(4 * M * th) / (4 * M * s2)


def bbht_expected_iterations(n: int, t: int, lam: float = float(BBHT_LAMBDA)) -> float:
    """Exact expected Grover iterations of :class:`BBHTSchedule` (no budget) with t of n marked."""
    m, surv, total = 1.0, 1.0, 0.0
    cap = math.sqrt(n)
    while surv > 1e-15:
        M = max(1, math.ceil(m))
        total += surv * (M - 1) / 2
        surv *= 1 - bbht_success_probability(n, t, M)
        m = min(lam * m, cap)
    return total


def bbht_expected_iterations_bound(n, t):
    r"""Proven bound :math:`9 m_0 = 9/\sin 2\theta` on BBHT's expected iterations (lambda = 6/5).

    From BBHT Lemma 2 (a round with :math:`m \ge m_0` succeeds with probability >= 1/4), the proof
    of Theorem 3 gives at most :math:`\lambda m_0 / (2(\lambda-1)) = 3 m_0` iterations before
    m reaches :math:`m_0` and at most :math:`\sum_u (3/4)^u \lambda^{s_0+u}/2 <
    2\lambda m_0/(4-3\lambda) = 6 m_0` after. For :math:`1 \le t \le 3n/4`,
    :math:`m_0 \le \sqrt{n/t}`; for :math:`t \ll n`, :math:`m_0 \approx \tfrac12\sqrt{n/t}`, i.e.
    :math:`\approx \tfrac92\sqrt{n/t}`. The exact expectation (:func:`bbht_expected_iterations`)
    is far lower: 1.42 sqrt(n/t) at n = 2^20, t = 1.
    """
    th = sympy.asin(sympy.sqrt(sympy.Integer(1) * t / n))
    return 9 / sympy.sin(2 * th)


#: Default failure probability of a whole Grover-sparse run (all n rows): the probability that some
#: row declares "no large entry left" while one is left.
DEFAULT_FAILURE_PROBABILITY = 0.01


def capped_round_success_bound(n):
    r"""Lower bound on the success probability of a round at the cap, M = ceil(sqrt n), any 1 <= t <= 3n/4.

    BBHT Lemma 2 gives the exact success of a round with j uniform in [0, M):
    :math:`\tfrac12 - \sin(4M\theta)/(4M\sin 2\theta) \ge \tfrac12 - 1/(4M\sin 2\theta)`. Over
    1 <= t <= 3n/4 (n >= 4), :math:`\sin 2\theta = 2\sqrt{(t/n)(1-t/n)}` is smallest at t = 1,
    :math:`2\sqrt{n-1}/n`, so the success is at least
    :math:`\tfrac12 - n/(8M\sqrt{n-1}) \ge \tfrac12 - \sqrt n/(8\sqrt{n-1})` (0.375 at large n;
    BBHT's own statement, M >= 1/sin 2 theta, gives 1/4).
    """
    if is_symbolic(n):
        # the n >= 4 value of the bound, sqrt(n/(n-1)) <= sqrt(4/3): a constant, so symbolic
        # formulas stay readable (and are upper bounds: a smaller p means more rounds)
        return sympy.Rational(1, 2) - sympy.sqrt(sympy.Rational(4, 3)) / 8
    n = int(n)
    if n < 4:
        return 0.25  # BBHT Lemma 2 as stated (M >= 1/sin 2 theta holds for t <= 3n/4)
    M = math.ceil(math.sqrt(n))
    return 0.5 - n / (8 * M * math.sqrt(n - 1))


def certification_rounds(n, k, failure_probability=DEFAULT_FAILURE_PROBABILITY, n_rows=None):
    r"""Capped rounds R after which a search step declares "none left":
    :math:`R = \lceil \ln(n_\text{rows} k / \delta) / -\ln(1 - p) \rceil`, p =
    :func:`capped_round_success_bound` (n), n_rows = n by default (self-attention).

    Why: a step with t >= 1 items left fails R capped rounds with probability <= (1 - p)^R. A row
    runs at most k steps with t >= 1 and there are n_rows rows: by the union bound the whole run
    errs with probability <= n_rows k (1 - p)^R <= delta. The optimal small-error search needs
    Theta(sqrt(n log(1/delta))) queries (Buhrman, Cleve, de Wolf, Zalka, arXiv:cs/9904019); this
    rule spends about R sqrt(n)/2 = O(sqrt(n) log(n k/delta)) calls on the certification.
    """
    rows = n if n_rows is None else n_rows
    p = capped_round_success_bound(n)
    if is_symbolic(n, k, rows) or isinstance(failure_probability, sympy.Basic):
        delta = sympy.nsimplify(failure_probability)
        return sympy.ceiling(sympy.log(rows * k / delta) / -sympy.log(1 - sympy.nsimplify(p)))
    if not 0 < failure_probability < 1:
        raise QattnInputError(f"failure_probability must be in (0, 1), got {failure_probability}")
    return max(1, math.ceil(math.log(rows * k / failure_probability) / -math.log(1 - p)))


@attrs.frozen
class BBHTSchedule:
    r"""One search step of the certified find-all: BBHT rounds (quant-ph/9605034 Sec. 4) with a stop rule.

    Round i draws its iteration count j uniformly from [0, M_i), M_i = ceil(m_i), with m_0 = 1 and
    m_{i+1} = min(lambda m_i, sqrt(n)) (BBHT's growth, lambda = 6/5); the caller measures, checks
    the outcome classically and stops the step on success. After ``capped_rounds`` rounds at the
    cap (m = sqrt n) without success the step declares "no marked item left": by
    :func:`certification_rounds` that errs with probability <= (1 - p)^R per step with t >= 1,
    p = :func:`capped_round_success_bound`.
    The rounds are finite, so a step costs at most :attr:`max_iterations` oracle calls (every
    j at its maximum); :meth:`expected` gives the exact expected iterations and rounds for t
    marked items left (BBHT Lemma 2 per round), t = 0 included (the certification).

    Use: ``for j in sched.rounds(rng): ... run j iterates; if found: break``.
    """

    n: int
    capped_rounds: int = 17
    lam: float = float(BBHT_LAMBDA)

    def __attrs_post_init__(self):
        if int(self.n) != self.n or self.n < 2:
            raise QattnInputError(f"n must be an integer >= 2, got {self.n}")
        if not 1 < self.lam < 4 / 3:
            raise QattnInputError(f"lam must be in (1, 4/3) (BBHT Lemma 2), got {self.lam}")
        if int(self.capped_rounds) != self.capped_rounds or self.capped_rounds < 1:
            raise QattnInputError(f"capped_rounds must be an integer >= 1, got {self.capped_rounds}")

    @cached_property
    def round_sizes(self) -> Tuple[int, ...]:
        """M_i of every round: the growth rounds (m < sqrt n), then ``capped_rounds`` at the cap."""
        cap = math.sqrt(self.n)
        sizes, m = [], 1.0
        while m < cap:
            sizes.append(max(1, math.ceil(m)))
            m = min(self.lam * m, cap)
        sizes += [max(1, math.ceil(cap))] * int(self.capped_rounds)
        return tuple(sizes)

    @property
    def max_iterations(self) -> int:
        """Most oracle calls one step can make (every round draws j = M_i - 1)."""
        return sum(M - 1 for M in self.round_sizes)

    @property
    def max_rounds(self) -> int:
        return len(self.round_sizes)

    def expected(self, t: int) -> Tuple[float, float]:
        """(expected oracle calls, expected rounds) of one step with t marked items left (exact)."""
        return _bbht_step_expected(self, int(t))

    def rounds(self, rng: np.random.Generator) -> Iterator[int]:
        """Iteration counts j of successive rounds (the caller stops on success)."""
        for M in self.round_sizes:
            yield int(rng.integers(0, M))


@functools.lru_cache(maxsize=1 << 16)
def _bbht_step_expected(sched: "BBHTSchedule", t: int) -> Tuple[float, float]:
    # Memoised: a sweep over k at one n asks for the same steps (n, R, t) again and again (R
    # changes with k only through a logarithm); the value is the same float either way.
    surv, calls, rounds = 1.0, 0.0, 0.0
    for M in sched.round_sizes:
        calls += surv * (M - 1) / 2
        rounds += surv
        if t > 0:
            surv *= 1.0 - bbht_success_probability(sched.n, t, M)
    return calls, rounds


def certified_find_all_costs(n: int, k: int, failure_probability: float = DEFAULT_FAILURE_PROBABILITY, n_rows: Optional[int] = None) -> Dict[str, float]:
    r"""Oracle calls of one row of the certified find-all (|S_i| <= k unknown), exactly.

    A row with t = |S_i| marked items runs steps with u = t, t-1, ..., 1 items left (each a
    :class:`BBHTSchedule` step that ends on success), then, if t < k, one certification step with
    nothing left (it runs all its rounds); with t = k it stops after the k-th find (the bound k is
    known). Per t: ``E(t) = sum_u E_step(u) + [t < k] E_step(0)``, an upper bound on the exact
    expectation (a step that wrongly declares "none left", probability <= (1 - p)^R, would only end
    the row sooner). Reported: ``expected`` = max over t in [0, k] of E(t) (the worst-case
    instance), with its ``t``, the expected ``rounds`` (Grover runs) and the expected
    ``exclusion_calls`` (oracle calls weighted by the number of excluded indices) at that t;
    ``worst_case`` = k x the step's :attr:`BBHTSchedule.max_iterations`, the most calls any run
    can make; ``capped_rounds`` R (:func:`certification_rounds` with n_rows = n by default).
    """
    _check_n_marked(n, k)
    R = certification_rounds(n if n_rows is None else n_rows, k, failure_probability)
    sched = BBHTSchedule(n, capped_rounds=R)
    steps = [sched.expected(u) for u in range(0, k + 1)]  # steps[u] = (calls, rounds)
    # E(t) for every t from running sums (O(k), the same floats as summing each prefix afresh:
    # both add left to right); rounds and exclusions only at the worst t.
    best_t, best_calls, prefix = None, None, 0
    for t in range(0, k + 1):
        if t > 0:
            prefix = prefix + steps[t][0]
        calls = prefix + steps[0][0] if t < k else prefix
        if best_calls is None or calls > best_calls:
            best_t, best_calls = t, calls
    t = best_t
    rounds = sum(steps[u][1] for u in range(1, t + 1))
    # in the step with u left, t - u indices are excluded
    excl = sum(steps[u][0] * (t - u) for u in range(1, t + 1))
    if t < k:
        rounds += steps[0][1]
        excl += steps[0][0] * t
    best = {"expected": best_calls, "t": t, "rounds": rounds, "exclusion_calls": excl}
    best.update({"worst_case": k * sched.max_iterations, "capped_rounds": R,
                 "certification_step": steps[0][0], "failure_probability": failure_probability})
    return best


def certified_find_all_bound_exprs(n, k, failure_probability=DEFAULT_FAILURE_PROBABILITY):
    r"""Symbolic upper bounds (calls, rounds, exclusion calls) of :func:`certified_find_all_costs`.

    A finding step with u left costs at most BBHT's proven :math:`9 m_0 = 9/\sin 2\theta_u =
    9/(2\sqrt{u/n}\sqrt{1-u/n})` expected calls (:func:`bbht_expected_iterations_bound`, valid
    for u <= 3n/4; about :math:`\tfrac92\sqrt{n/u}` for u << n, 3.2x the exact expectation at
    n = 2^20, u = 1); the certification step at most
    :math:`\sum_{growth}(M_i-1)/2 + R\sqrt n/2 \le 3\sqrt n + R\sqrt n/2` (growth: a geometric
    series, :math:`\lambda/(2(\lambda-1)) \sqrt n = 3 \sqrt n`). Rounds per step: at most the
    step's :math:`G + R` with :math:`G = \lceil \ln\sqrt n / \ln\lambda\rceil + 1`. So, with m the
    summation index: calls <= Sum(9 m_0(m), m=1..k) + (3 + R/2) sqrt(n); exclusion calls <=
    Sum(9 m_0(m) (k - m), m=1..k) + k (3 + R/2) sqrt(n); rounds <= (k + 1)(G + R). Concrete
    estimates never use these bounds: they evaluate :func:`certified_find_all_costs` exactly.
    """
    m = sympy.Symbol("m", positive=True, integer=True)
    R = certification_rounds(n, k, failure_probability)
    cert = (3 + R / 2) * sympy.sqrt(n)
    step = sympy.Rational(9, 2) / (sympy.sqrt(m / n) * sympy.sqrt(1 - m / n))
    G = sympy.ceiling(sympy.log(sympy.sqrt(n)) / sympy.log(BBHT_LAMBDA)) + 1
    calls = sympy.Sum(step, (m, 1, k)) + cert
    excl = sympy.Sum(step * (k - m), (m, 1, k)) + k * cert
    rounds = (k + 1) * (G + R)
    return calls, rounds, excl


# --------------------------------------------------------------------------------------------------
# Bloqs
# --------------------------------------------------------------------------------------------------


def _sel_bits(n) -> SymbolicInt:
    return bit_length(n - 1)


@attrs.frozen
class UniformIndexPrepare(PrepareOracle):
    r"""PREPARE :math:`|0\rangle \mapsto n^{-1/2}\sum_{j<n}|j\rangle` on a ``selection`` register.

    Wraps Qualtran's ``PrepareUniformSuperposition(n)`` (Babbush et al. arXiv:1805.03662 Fig. 12;
    exact for every n) in the ``PrepareOracle`` interface (usable with ``ReflectionUsingPrepare``).
    Cost: Clifford only for n a power of two; otherwise one ``LessThanConstant`` pair, a
    ``MultiAnd`` pair and 2 Rz rotations.

    Registers:
        selection: BQUInt(ceil(log2 n), n) index register.

    Args:
        n: number of indices (int >= 1 or symbol).
    """

    n: SymbolicInt

    @cached_property
    def selection_registers(self) -> Tuple[Register, ...]:
        return (Register("selection", BQUInt(_sel_bits(self.n), self.n)),)

    @cached_property
    def junk_registers(self) -> Tuple[Register, ...]:
        return ()

    @cached_property
    def l1_norm_of_coeffs(self):
        return 1

    def build_composite_bloq(self, bb: BloqBuilder, selection: Soquet) -> Dict[str, SoquetT]:
        selection = bb.add(PrepareUniformSuperposition(self.n), target=selection)
        return {"selection": selection}

    def build_call_graph(self, ssa):
        if not is_symbolic(self.n):
            return {PrepareUniformSuperposition(self.n): 1}
        # Symbolic n: Qualtran's symbolic PrepareUniformSuperposition costs the general case
        # (LessThanConstant pair, MultiAnd pair, 2 Rz) even where n is a power of two and the
        # preparation is L Hadamards. The factor ceil(log2 n) - floor(log2 n) is 0 exactly for
        # powers of two, so the formula is exact there (n = 2^20) and for odd n, and an upper
        # bound for other even n (whose odd part needs fewer qubits in the comparison). Concrete
        # numbers therefore never come from this branch: estimates.formulas.grover_sparse_estimate
        # builds the bloq at concrete n (k symbolic), which takes the exact branch above.
        not_pow2 = sympy.ceiling(sympy.log(self.n, 2)) - sympy.floor(sympy.log(self.n, 2))
        return {
            PrepareUniformSuperposition(self.n): not_pow2,
            Hadamard(): _sel_bits(self.n) * (1 - not_pow2),
        }

    def __str__(self):
        return f"Uniform({self.n})"


@attrs.frozen
class IndexEquals(Bloq):
    r"""``target`` ^= [x == value] for an L-bit index register (Gidney AND ladder, arXiv:1709.06648).

    Same cost as Qualtran's ``EqualsAConstant`` (L - 1 And, And-dagger measurement based), but its
    decomposition reaches And / MultiAnd directly, so the Cirq circuit has the same T count as the
    call graph (``EqualsAConstant``'s ``MultiControlX`` does not in Cirq). ``value`` may be a
    symbol (the cost does not depend on it).

    Registers:
        x: BQUInt(L, n) index (THRU); target: the qubit XORed with the result (THRU).

    Args:
        n: size of the index range (L = ceil(log2 n) bits).
        value: the index compared with (int in [0, n) or symbol).
    """

    n: SymbolicInt
    value: SymbolicInt

    @cached_property
    def bitsize(self) -> SymbolicInt:
        return _sel_bits(self.n)

    @cached_property
    def signature(self) -> Signature:
        return Signature([Register("x", BQUInt(self.bitsize, self.n)), Register("target", QBit())])

    def build_composite_bloq(self, bb: BloqBuilder, x: Soquet, target: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.n, self.value):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        L = int(self.bitsize)
        cvs = [int(c) for c in QUInt(L).to_bits(int(self.value))]
        qs = list(bb.split(x))
        if L == 1:
            if cvs[0] == 0:
                qs[0] = bb.add(XGate(), q=qs[0])
            qs[0], target = bb.add(CNOT(), ctrl=qs[0], target=target)
            if cvs[0] == 0:
                qs[0] = bb.add(XGate(), q=qs[0])
        else:
            qs, junk, t = _apply_and(bb, cvs, qs)
            t, target = bb.add(CNOT(), ctrl=t, target=target)
            qs = _unapply_and(bb, cvs, qs, junk, t)
        return {"x": bb.join(np.array(qs), dtype=BQUInt(L, self.n)), "target": target}

    def build_call_graph(self, ssa):
        L = self.bitsize
        if is_symbolic(L):
            a = MultiAnd(HasLength(L))
            return {a: 1, a.adjoint(): 1, CNOT(): 1}
        if L == 1:
            return {CNOT(): 1} if (is_symbolic(self.value) or self.value == 1) else {CNOT(): 1, XGate(): 2}
        if is_symbolic(self.value):
            a = _and_of(HasLength(L)) if L > 2 else And()
        else:
            a = _and_of([int(c) for c in QUInt(int(L)).to_bits(int(self.value))])
        return {a: 1, a.adjoint(): 1, CNOT(): 1}

    def __str__(self):
        return f"[x=={self.value}]"


@attrs.frozen
class IndexPhaseFlip(Bloq):
    r"""Phase :math:`(-1)^{[x = \text{value}]}` on an L-bit index register (a multi-controlled Z).

    AND of the first L - 1 index bits (control values = value's bits) into an ancilla, CZ with the
    last bit (X-conjugated when value's last bit is 0), AND uncomputed (And-dagger: measurement
    based, 0 T). Cost: **max(L - 2, 0) And** (Gidney arXiv:1709.06648), the best known for a
    multi-controlled Z on L qubits with one clean ancilla. :class:`ThresholdOracle` uses one per
    excluded index, instead of computing ``[j in E]`` into a flag and back
    (:class:`IndexEquals` twice, 2 (L - 1) And): see its docstring for why that is enough.

    Registers:
        x: BQUInt(L, n) index (THRU).

    Args:
        n: size of the index range (L = ceil(log2 n) bits).
        value: the index whose phase is flipped (int in [0, n) or symbol).
    """

    n: SymbolicInt
    value: SymbolicInt

    @cached_property
    def bitsize(self) -> SymbolicInt:
        return _sel_bits(self.n)

    @cached_property
    def signature(self) -> Signature:
        return Signature([Register("x", BQUInt(self.bitsize, self.n))])

    def build_composite_bloq(self, bb: BloqBuilder, x: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.n, self.value):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        L = int(self.bitsize)
        cvs = [int(c) for c in QUInt(L).to_bits(int(self.value))]
        qs = list(bb.split(x))
        head, last = qs[:-1], qs[-1]
        if cvs[-1] == 0:
            last = bb.add(XGate(), q=last)
        if L == 1:
            last = bb.add(ZGate(), q=last)
        elif L == 2:
            c = head[0]
            if cvs[0] == 0:
                c = bb.add(XGate(), q=c)
            c, last = bb.add(CZ(), q1=c, q2=last)
            if cvs[0] == 0:
                c = bb.add(XGate(), q=c)
            head = [c]
        else:
            head, junk, t = _apply_and(bb, cvs[:-1], head)
            t, last = bb.add(CZ(), q1=t, q2=last)
            head = _unapply_and(bb, cvs[:-1], head, junk, t)
        if cvs[-1] == 0:
            last = bb.add(XGate(), q=last)
        return {"x": bb.join(np.array(list(head) + [last]), dtype=BQUInt(L, self.n))}

    def build_call_graph(self, ssa):
        L = self.bitsize
        if is_symbolic(L):
            a = MultiAnd(HasLength(L - 1))
            return {a: 1, a.adjoint(): 1, CZ(): 1, XGate(): 2}
        if is_symbolic(self.value):
            # cost-only (any value): the worst-case Cliffords, the same And count
            cvs = [1] * int(L)
            counts = {XGate(): 2 * (int(L) - 1) + 2}
        else:
            cvs = [int(c) for c in QUInt(int(L)).to_bits(int(self.value))]
            # X pairs exactly where the decomposition puts them: on the last bit if its control
            # value is 0, and for L = 2 on the head bit too (for L >= 3 the And takes the head's
            # control values itself, no X).
            x_conj = cvs if int(L) <= 2 else cvs[-1:]
            zeros = sum(1 for c in x_conj if c == 0)
            counts = {XGate(): 2 * zeros} if zeros else {}
        if L == 1:
            counts[ZGate()] = 1
        elif L == 2:
            counts[CZ()] = 1
        else:
            a = _and_of(cvs[:-1]) if not is_symbolic(self.value) else (_and_of(HasLength(int(L) - 1)) if L > 3 else And())
            counts.update({a: 1, a.adjoint(): 1, CZ(): 1})
        return counts

    def __str__(self):
        return f"Z[x=={self.value}]"


@attrs.frozen
class GroverDiffusion(Bloq):
    r"""Grover diffusion :math:`2|s\rangle\langle s| - I`, :math:`|s\rangle` uniform over n indices.

    :math:`U (2|0\rangle\langle 0| - I) U^\dagger` with U = :class:`UniformIndexPrepare` (any n, not
    only powers of two); its gates are :class:`bloqs.amplification.Diffusion`'s with that U. The
    reflection about :math:`|0\rangle` (:class:`bloqs.amplification.ReflectAboutZero`): an AND of the first L-1 index
    qubits (control value 0) into an ancilla t, CZ(t, last qubit) conjugated by X on the last
    qubit (phase -1 on :math:`|0\rangle` only), AND uncomputed, and a global phase -1 (free) so
    that the sign is the textbook one: :math:`G = (2|s\rangle\langle s|-I)(I-2\Pi_{marked})`
    rotates towards the marked set by :math:`2\theta` (BBHT Sec. 2). Cost: 2 x Uniform(n) +
    max(L-2, 0) And, L = ceil(log2 n). (Qualtran's ``ReflectionUsingPrepare`` costs one And more
    and its ``MultiControlZ`` Cirq decomposition is not Clifford+T.)

    Registers:
        selection: BQUInt(L, n) (THRU).

    Args:
        n: number of indices (int >= 2 or symbol).
    """

    n: SymbolicInt

    @cached_property
    def bitsize(self) -> SymbolicInt:
        return _sel_bits(self.n)

    @cached_property
    def signature(self) -> Signature:
        return Signature([Register("selection", BQUInt(self.bitsize, self.n))])

    @cached_property
    def prepare(self) -> Bloq:
        return UniformIndexPrepare(self.n)

    @cached_property
    def generic(self) -> Diffusion:
        """The same reflection as :class:`bloqs.amplification.Diffusion` with U = Uniform(n)."""
        return Diffusion(self.prepare)

    # The gates are those of the generic amplitude-amplification diffusion (U^dagger,
    # ReflectAboutZero, U): one construction serves both modules. This class keeps the Grover
    # interface (``GroverDiffusion(n)``, symbolic n, refusing to decompose symbolic n) that the
    # cost breakdown in ``estimates.formulas`` recognises as the "diffusion" component.
    def build_composite_bloq(self, bb: BloqBuilder, selection: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.n):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        return self.generic.build_composite_bloq(bb, selection=selection)

    def build_call_graph(self, ssa):
        return self.generic.build_call_graph(ssa)

    def __str__(self):
        return f"Diffusion({self.n})"


def diffusion(n: SymbolicInt) -> GroverDiffusion:
    """The Grover diffusion about the uniform superposition over n indices."""
    return GroverDiffusion(n)


Excluded = Union[Tuple[int, ...], HasLength]


def _to_excluded(x) -> Excluded:
    if isinstance(x, HasLength):
        return x
    return tuple(int(v) for v in x)


#: How the oracle returns its loaded key row to |0>: ``measurement`` (default; Berry et al.
#: arXiv:1902.02134 App. C, :class:`bloqs.qroam.RowUnload`, ceil(n/K') + K' - 4 And) or
#: ``reload`` (a second call of the row loader: the textbook Bennett uncompute, kept as a labelled
#: option for comparison; also used automatically for n < 3, where no K' fits).
UNCOMPUTE_KINDS: Tuple[str, ...] = ("measurement", "reload")
#: Inner-product arithmetic: ``shift-add`` (NAF shift-and-add, :class:`bloqs.arithmetic.
#: ClassicalInnerProduct`, the default, fewer qubits) or ``carry-save`` (3:2 compressor tree that
#: keeps its ancillas so the uncompute is measurement based, :class:`bloqs.arithmetic.
#: CarrySaveInnerProduct`: fewer T, more qubits).
ARITHMETIC_KINDS: Tuple[str, ...] = ("shift-add", "carry-save")


@attrs.frozen
class ThresholdOracle(Bloq):
    r"""Phase oracle :math:`|j\rangle \mapsto (-1)^{[\langle q, k_j\rangle \ge \tau \wedge j\notin E]}|j\rangle`.

    The Grover oracle of arXiv 2307.08045 Lemma 3.3 for one query row q (b-bit two's complement
    integers) against the n key rows :math:`k_j` (d entries, b bits), threshold :math:`\tau`
    (``tau_int``, in the integer units of :math:`\langle q, k\rangle`). Sequence:

    1. ``row`` ^= :math:`k_j` (the row loader: QROM / QROAM / assumed QRAM) into a clean register;
    2. ``acc`` += :math:`\langle q, \text{row}\rangle` (``arithmetic``: NAF shift-and-add or
       carry-save; the accumulator is sized so it cannot overflow);
    3. ``flag`` ^= [acc >= tau] (``ThresholdCompare``);
    4. Z on ``flag``;
    5. uncompute 3 and 2 (adjoints; the carry-save adjoint is And-dagger only, 0 T);
    6. unload the row: by measurement (``uncompute="measurement"``, :class:`bloqs.loaders.
       RowUnload`, ceil(n/K') + K' - 4 And) or by loading it again (``"reload"``);
    7. exclusions: one :class:`IndexPhaseFlip` per excluded index e (max(L - 2, 0) And each).

    Why 7 is correct: the search-and-remove loop excludes only indices it has *verified* to be
    marked, so E is a subset of the marked set and :math:`(-1)^{[m_j \wedge j \notin E]} =
    (-1)^{m_j} \prod_{e \in E} (-1)^{[j = e]}`: a second phase flip on each excluded (marked)
    index cancels the first. The bloq refuses, when it has the data, an excluded index that is not
    marked (the identity would not hold). This halves the old exclusion cost (an ``IndexEquals``
    into a flag and back, 2 (L - 1) And per index) and needs no flag qubit.

    Cost per call (``docs/grover_sparse_costs.md``): loader + unload + IP + IP^dagger + 2 x compare
    + |E| x IndexPhaseFlip.

    Args:
        n: number of key rows (search space); d: row length; bits: entry width b.
        tau_int: threshold in integer units of the score (ignored by the cost, which does not depend
            on it for the comparator used).
        loader: row-loader kind, one of ``bloqs.loader_kinds.LOADER_KINDS``.
        query: the classical query row (tuple of ints) or None for the worst-case cost model.
        key_data: the n x d key matrix (tuple of tuples of ints) or None (symbolic / cost only).
        excluded: indices already found (tuple; each must be marked) or ``HasLength(m)`` for a cost
            model with m of them.
        loader_kwargs: extra keyword arguments of the row loader, as (name, value) pairs (e.g.
            ``(("log_block_size", 2),)`` for ``qroam``), passed to ``make_row_loader``.
        uncompute: ``measurement`` (default) or ``reload`` (see ``UNCOMPUTE_KINDS``).
        arithmetic: ``shift-add`` (default) or ``carry-save`` (see ``ARITHMETIC_KINDS``).

    Registers:
        selection: BQUInt(ceil(log2 n), n) index register (THRU).
    """

    n: SymbolicInt
    d: SymbolicInt
    bits: SymbolicInt
    tau_int: SymbolicInt
    loader: str = "qrom"
    query: Optional[Tuple[int, ...]] = attrs.field(
        default=None, converter=lambda q: None if q is None else tuple(int(v) for v in q)
    )
    key_data: Optional[Tuple[Tuple[int, ...], ...]] = attrs.field(
        default=None,
        converter=lambda a: None if a is None else tuple(tuple(int(v) for v in row) for row in a),
    )
    excluded: Excluded = attrs.field(default=(), converter=_to_excluded)
    loader_kwargs: Tuple[Tuple[str, object], ...] = ()
    uncompute: str = "measurement"
    arithmetic: str = "shift-add"

    def __attrs_post_init__(self):
        if self.loader not in LOADER_KINDS:
            raise QattnInputError(f"loader must be one of {', '.join(LOADER_KINDS)}, got {self.loader!r}")
        if self.uncompute not in UNCOMPUTE_KINDS:
            raise QattnInputError(f"uncompute must be one of {', '.join(UNCOMPUTE_KINDS)}, got {self.uncompute!r}")
        if self.arithmetic not in ARITHMETIC_KINDS:
            raise QattnInputError(f"arithmetic must be one of {', '.join(ARITHMETIC_KINDS)}, got {self.arithmetic!r}")
        if not is_symbolic(self.n) and self.n < 2:
            raise QattnInputError(f"n must be >= 2, got {self.n}")
        if not is_symbolic(self.d) and self.d < 1:
            raise QattnInputError(f"d must be >= 1, got {self.d}")
        if not is_symbolic(self.bits) and self.bits < 2:
            raise QattnInputError(f"bits must be >= 2, got {self.bits}")
        if self.query is not None and not is_symbolic(self.d) and len(self.query) != self.d:
            raise QattnInputError(f"query must have d={self.d} entries, got {len(self.query)}")
        if self.key_data is not None:
            if is_symbolic(self.n, self.d) or len(self.key_data) != self.n or any(len(r) != self.d for r in self.key_data):
                raise QattnInputError(f"key_data must be an n x d = {self.n} x {self.d} integer matrix")
        if isinstance(self.excluded, tuple) and not is_symbolic(self.n):
            bad = [e for e in self.excluded if not 0 <= e < self.n]
            if bad or len(set(self.excluded)) != len(self.excluded):
                raise QattnInputError(f"excluded must be distinct indices in [0, n={self.n}), got {self.excluded}")
            if self.excluded and self.query is not None and self.key_data is not None and not is_symbolic(self.tau_int):
                unmarked = [e for e in self.excluded if self.score(e) < self.tau_int]
                if unmarked:
                    raise QattnInputError(
                        f"excluded indices must be marked (score >= tau_int={self.tau_int}): {unmarked} are not; "
                        "the oracle cancels the phase of excluded indices, which is only right for marked ones"
                    )

    def score(self, j: int) -> int:
        """The integer score <q, k_j> (needs query and key_data)."""
        return int(sum(int(a) * int(b) for a, b in zip(self.query, self.key_data[int(j)])))

    # ---- parts ----------------------------------------------------------------------------------
    @cached_property
    def signature(self) -> Signature:
        return Signature([Register("selection", BQUInt(_sel_bits(self.n), self.n))])

    @cached_property
    def selection_bitsize(self) -> SymbolicInt:
        return _sel_bits(self.n)

    @cached_property
    def has_exclusion(self) -> bool:
        return isinstance(self.excluded, HasLength) or len(self.excluded) > 0

    @cached_property
    def n_excluded(self) -> SymbolicInt:
        return slen(self.excluded)

    @cached_property
    def row_loader(self) -> Bloq:
        return make_row_loader(self.loader, n=self.n, d=self.d, bits=self.bits, data=self._data, **dict(self.loader_kwargs))

    @cached_property
    def _data(self):
        return None if self.key_data is None else np.array(self.key_data, dtype=np.int64)

    @cached_property
    def unloads_by_measurement(self) -> bool:
        """True when the row is unloaded by measurement (``uncompute="measurement"`` and n >= 3)."""
        return self.uncompute == "measurement" and (is_symbolic(self.n) or self.n >= 3)

    @cached_property
    def row_unload(self) -> Bloq:
        """The bloq that returns the loaded row to |0>: ``RowUnload`` or the loader again."""
        if not self.unloads_by_measurement:
            return self.row_loader

        return RowUnload(self.n, self.d, self.bits, data=self._data)

    @cached_property
    def inner_product(self) -> Bloq:
        if self.arithmetic == "carry-save":
            return CarrySaveInnerProduct(self.d, self.bits, query=self.query)

        return ClassicalInnerProduct(self.d, self.bits, query=self.query)

    @cached_property
    def acc_bits(self) -> SymbolicInt:
        return self.inner_product.acc_bits

    @cached_property
    def junk_bits(self) -> SymbolicInt:
        """Ancillas the inner product keeps until its uncompute (carry-save only; 0 otherwise)."""
        junk = getattr(self.inner_product, "junk_bits", None)
        return junk() if callable(junk) else 0

    @cached_property
    def comparator(self) -> Bloq:
        return ThresholdCompare(self.acc_bits, self.tau_int)

    def _exclusion_check(self, value) -> Bloq:
        return IndexPhaseFlip(self.n, value)

    @cached_property
    def _symbolic_check(self) -> Bloq:
        return self._exclusion_check(sympy.Symbol("e", nonnegative=True, integer=True))

    def _adj(self, bloq: Bloq) -> Bloq:
        return bloq.adjoint()

    def is_symbolic(self) -> bool:
        return is_symbolic(self.n, self.d, self.bits) or isinstance(self.excluded, HasLength)

    # ---- decomposition --------------------------------------------------------------------------
    def build_composite_bloq(self, bb: BloqBuilder, selection: Soquet) -> Dict[str, SoquetT]:
        if self.is_symbolic():
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        row = np.array([bb.allocate(dtype=QInt(self.bits)) for _ in range(self.d)])
        selection, row = bb.add(self.row_loader, selection=selection, row=row)
        acc = bb.allocate(dtype=QInt(self.acc_bits))
        out = bb.add_d(self.inner_product, row=row, acc=acc)
        row, acc, junk = out["row"], out["acc"], out.get("junk")
        flag = bb.allocate(dtype=QBit())
        acc, flag = bb.add(self.comparator, x=acc, flag=flag)
        flag = bb.add(ZGate(), q=flag)
        acc, flag = bb.add(self._adj(self.comparator), x=acc, flag=flag)
        bb.free(flag)
        ip_in = {"row": row, "acc": acc} if junk is None else {"row": row, "acc": acc, "junk": junk}
        out = bb.add_d(self._adj(self.inner_product), **ip_in)
        row, acc = out["row"], out["acc"]
        bb.free(acc)
        if self.unloads_by_measurement:
            selection = bb.add(self.row_unload, selection=selection, row=row)
        else:
            selection, row = bb.add(self.row_loader, selection=selection, row=row)
            for r in row:
                bb.free(r)
        if isinstance(self.excluded, tuple):
            for e in self.excluded:
                selection = bb.add(self._exclusion_check(e), x=selection)
        return {"selection": selection}

    # ---- costs ----------------------------------------------------------------------------------
    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        counts: Dict[Bloq, SymbolicInt] = {}

        def add(b, c):
            counts[b] = counts.get(b, 0) + c

        add(self.row_loader, 1)
        add(self.row_unload, 1)
        add(self.inner_product, 1)
        add(self._adj(self.inner_product), 1)
        add(self.comparator, 1)
        add(self._adj(self.comparator), 1)
        add(ZGate(), 1)
        if isinstance(self.excluded, HasLength):
            if is_symbolic(self.n_excluded) or self.n_excluded > 0:
                add(self._symbolic_check, self.n_excluded)
        else:
            for e in self.excluded:
                add(self._exclusion_check(e), 1)
        return counts

    def qubits_formula(self) -> SymbolicInt:
        """Peak width from the sub-bloqs' qubit counts, following the decomposition's order.

        max(loader, L + inner product, L + d b + J + comparator, unload, exclusion check), where
        each sub-bloq's count includes its own registers and ancillas and J is the carry-save
        junk (0 for shift-add). Tests check it equals Qualtran's greedy sweep of the concrete
        decomposition.
        """
        q = lambda b: get_cost_value(b, QubitCount())  # noqa: E731
        L = self.selection_bitsize
        row_bits = self.d * self.bits
        phases = [
            q(self.row_loader),
            L + q(self.inner_product),
            L + row_bits + self.junk_bits + q(self.comparator),
            q(self.row_unload),
        ]
        if self.has_exclusion and (is_symbolic(self.n_excluded) or self.n_excluded > 0):
            phases.append(q(self._symbolic_check))
        return smax(*phases)

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount) and self.is_symbolic():
            return self.qubits_formula()
        return NotImplemented

    def __str__(self):
        ex = f", excl={self.n_excluded}" if self.has_exclusion else ""
        opts = "" if (self.uncompute, self.arithmetic) == ("measurement", "shift-add") else f", {self.uncompute}, {self.arithmetic}"
        return f"ThresholdOracle(n={self.n}, d={self.d}, b={self.bits}, {self.loader}{ex}{opts})"


@attrs.frozen
class GroverIterate(Bloq):
    r"""One Grover iterate :math:`G = (2|s\rangle\langle s| - I)\,O` on the n-index ``selection`` register.

    ``oracle`` is any phase oracle with a ``selection`` register (e.g. :class:`ThresholdOracle`);
    the diffusion is :func:`diffusion` (n need not be a power of two). Cost: oracle + diffusion
    (diffusion = Uniform + Uniform^dagger + a (ceil(log2 n))-controlled Z).

    Not :class:`bloqs.amplification.AmplificationIterate`: that one takes an XOR *flag* oracle F
    and phase-flips with F Z F (two full F calls, each computing and uncomputing), while
    :class:`ThresholdOracle` is a *phase* oracle that puts the Z between its own compute and
    uncompute, i.e. one loader/inner-product/compare pair per iterate instead of two.

    Args:
        oracle: the phase oracle (``selection`` register only), e.g. :class:`ThresholdOracle`.
        n: size of the search space (the diffusion's uniform superposition).

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU.
    """

    oracle: Bloq
    n: SymbolicInt

    @cached_property
    def signature(self) -> Signature:
        return Signature([Register("selection", BQUInt(_sel_bits(self.n), self.n))])

    @cached_property
    def diffusion(self) -> Bloq:
        return diffusion(self.n)

    def build_composite_bloq(self, bb: BloqBuilder, selection: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.n) or (hasattr(self.oracle, "is_symbolic") and self.oracle.is_symbolic()):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        selection = bb.add(self.oracle, selection=selection)
        selection = bb.add(self.diffusion, selection=selection)
        return {"selection": selection}

    def build_call_graph(self, ssa):
        return {self.oracle: 1, self.diffusion: 1}

    def __str__(self):
        return f"G[{self.oracle}]"


@attrs.frozen
class RepeatedGroverIterate(RepeatedIterate):
    r""":math:`G^r` for an iterate G with a ``selection`` register; r may be a sympy expression.

    The generic :class:`bloqs.amplification.RepeatedIterate` (``reps`` = r): concrete r decomposes
    into r copies of G; the call graph is {G: r} for any r (empty for r = 0). Unlike ``Power``, the
    qubit count works for symbolic r (= G's qubit count, G's ancillas are reused). Kept as a name of
    its own for the Grover interface (``.r``, ``G^r`` in listings).

    Args:
        iterate: the Grover iterate G (a :class:`GroverIterate`).
        reps: r, the number of iterates (>= 0, int or sympy expression; also ``.r``).

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU (the iterate's).
    """

    @property
    def r(self) -> SymbolicInt:
        return self.reps

    def __str__(self):
        return f"{self.iterate}^{self.reps}"


@attrs.frozen
class GroverSearch(Bloq):
    r"""One Grover run before its measurement: :math:`G^r\,U|0\rangle` with U the uniform preparation.

    The ``selection`` register must enter in :math:`|0\rangle`; afterwards the marked-set
    probability is :math:`\sin^2((2r+1)\theta)`. Cost: Uniform(n) + r x G.

    Args:
        iterate: the Grover iterate G.
        r: the number of iterates (>= 0, int or sympy expression).

    Registers:
        selection: BQUInt(ceil(log2 n), n), THRU; enters in |0>, measured afterwards.
    """

    iterate: GroverIterate
    r: SymbolicInt

    @cached_property
    def signature(self) -> Signature:
        return self.iterate.signature

    @cached_property
    def prepare(self) -> Bloq:
        return UniformIndexPrepare(self.iterate.n)

    @cached_property
    def repeated(self) -> Bloq:
        return RepeatedGroverIterate(self.iterate, self.r)

    def build_composite_bloq(self, bb: BloqBuilder, selection: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.r, self.iterate.n):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        selection = bb.add(self.prepare, selection=selection)
        selection = bb.add(self.repeated, selection=selection)
        return {"selection": selection}

    def build_call_graph(self, ssa):
        return {self.prepare: 1, self.repeated: 1}

    def __str__(self):
        return f"GroverSearch({self.iterate}, r={self.r})"


#: Find-all schedules: ``certified`` (default; |S_i| <= k unknown, BBHT steps and a certification
#: that nothing is left, :func:`certified_find_all_costs`) or ``known-count`` (OPTIMISTIC option:
#: assumes |S_i| = k exactly and known, r_m = floor(pi/(4 theta_m)) for m = k..1, nothing certified).
SCHEDULE_KINDS: Tuple[str, ...] = ("certified", "known-count")


@attrs.frozen
class FindAllMarked(Bloq):
    r"""Find all (at most k) marked items of one row by search-and-remove (cost model of an adaptive procedure).

    Measurement-adaptive (measure, verify classically, exclude), so this is a cost-model bloq (no
    unitary decomposition, empty signature) whose call graph charges the Grover runs:

    * ``schedule="certified"`` (default): arXiv 2307.08045 Theorem 1.3 knows only the bound
      |S_i| <= k. Each search step runs BBHT rounds (:class:`BBHTSchedule`) until a new marked
      index is found; a row stops after k finds, or when a step fails R = ``certification_rounds``
      capped rounds (then "none left", wrong with probability <= (1 - p)^R per step; R makes the
      whole n-row run fail with probability <= ``failure_probability``). This is exactly the
      stopping rule of the qsim pipeline (``qattn_cirq.pipelines``). Charged: the expected calls
      of the worst t = |S_i| in [0, k] (:func:`certified_find_all_costs`, exact for concrete n, k;
      for symbolic sizes the proven bounds of :func:`certified_find_all_bound_exprs`), rounded up;
      ``worst_case_oracle_calls`` gives the hard cap.
    * ``schedule="known-count"`` (OPTIMISTIC option, not the theorem's setting): |S_i| = k known;
      m = k, k-1, ..., 1 with :math:`r_m=\lfloor\pi/(4\theta_m)\rfloor` iterates, R(n,k) <
      (pi/2) sqrt(nk) calls, no certification.

    Call graph (both): ``Uniform(n)``: Grover runs, ``G(O with 0 exclusions)``: oracle calls,
    ``IndexPhaseFlip``: oracle calls weighted by the number of excluded indices (each call of an
    oracle with e exclusions costs e phase flips more; equal by linearity). For the known-count
    schedule with concrete k the call graph lists the k Grover runs themselves.

    Cites: BBHT quant-ph/9605034 Sec. 3-4 (iteration counts, Lemma 2, Theorem 3); arXiv
    2307.08045 Lemma 3.3; optimal O(sqrt(nk)) find-all: van Apeldoorn, Gribling, Nieuwboer
    arXiv:2302.10244; small-error search Theta(sqrt(n log 1/delta)): Buhrman et al. cs/9904019.

    Args:
        oracle: the base :class:`ThresholdOracle` (its ``excluded`` is replaced per run).
        k: the bound on the marked items per row.
        schedule: ``certified`` (default) or ``known-count`` (see ``SCHEDULE_KINDS``).
        failure_probability: delta of the whole run (certified schedule only).

    Registers:
        None: the signature is empty (a cost model of separate measured runs).
    """

    oracle: ThresholdOracle
    k: SymbolicInt
    schedule: str = "certified"
    failure_probability: float = DEFAULT_FAILURE_PROBABILITY

    def __attrs_post_init__(self):
        n = self.oracle.n
        if not is_symbolic(self.k) and self.k < 1:
            raise QattnInputError(f"k must be >= 1, got {self.k}")
        if not is_symbolic(self.k, n) and self.k > n:
            raise QattnInputError(f"k must be <= n={n}, got {self.k}")
        if self.schedule not in SCHEDULE_KINDS:
            raise QattnInputError(f"schedule must be one of {', '.join(SCHEDULE_KINDS)}, got {self.schedule!r}")
        if not 0 < float(self.failure_probability) < 1:
            raise QattnInputError(f"failure_probability must be in (0, 1), got {self.failure_probability}")

    @cached_property
    def signature(self) -> Signature:
        return Signature([])

    @property
    def n(self):
        return self.oracle.n

    def oracle_with(self, n_excluded) -> ThresholdOracle:
        return attrs.evolve(self.oracle, excluded=HasLength(n_excluded))

    def iterations(self, m) -> SymbolicInt:
        if is_symbolic(self.n, m):
            return _r_expr(self.n, m)
        return grover_iterations(int(self.n), int(m))

    @cached_property
    def certified_costs(self) -> Optional[Dict[str, float]]:
        """:func:`certified_find_all_costs` at concrete n, k (None for symbolic or known-count)."""
        if self.schedule != "certified" or is_symbolic(self.n, self.k):
            return None
        return certified_find_all_costs(int(self.n), int(self.k), self.failure_probability)

    @cached_property
    def _charged(self) -> Tuple[SymbolicInt, SymbolicInt, SymbolicInt]:
        """(Grover runs, oracle calls, exclusion-weighted calls) that the call graph charges."""
        n, k = self.n, self.k
        if self.schedule == "known-count":
            return k, find_all_oracle_calls_expr(n, k), find_all_exclusion_checks_expr(n, k)
        c = self.certified_costs
        if c is None:
            calls, rounds, excl = certified_find_all_bound_exprs(n, k, self.failure_probability)
            return rounds, calls, excl
        return math.ceil(c["rounds"]), math.ceil(c["expected"]), math.ceil(c["exclusion_calls"])

    @property
    def oracle_calls(self) -> SymbolicInt:
        """Charged oracle calls: expected (certified, rounded up) or R(n, k) (known-count)."""
        return self._charged[1]

    @property
    def worst_case_oracle_calls(self) -> SymbolicInt:
        """The most oracle calls any run can make (certified); R(n, k) for known-count."""
        if self.schedule == "known-count":
            return self.oracle_calls
        if self.certified_costs is None:
            raise QattnInputError("worst_case_oracle_calls needs concrete n and k")
        return self.certified_costs["worst_case"]

    @property
    def expected_oracle_calls(self) -> float:
        if self.schedule == "known-count":
            return find_all_expected_oracle_calls(int(self.n), int(self.k))
        return self.certified_costs["expected"]

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            f"{self} is not one circuit: search-and-remove measures each Grover run, verifies the "
            "outcome classically and excludes it before the next run (measurement-adaptive); its cost is "
            "the call graph"
        )

    def build_call_graph(self, ssa):
        n, k = self.n, self.k
        if self.schedule == "known-count" and not is_symbolic(k):
            counts: Dict[Bloq, SymbolicInt] = {}
            for m in range(int(k), 0, -1):
                run = GroverSearch(GroverIterate(self.oracle_with(int(k) - m), n), self.iterations(m))
                counts[run] = counts.get(run, 0) + 1
            return counts
        runs, calls, excl = self._charged
        counts = {UniformIndexPrepare(n): runs, GroverIterate(self.oracle_with(0), n): calls}
        if is_symbolic(excl) or excl > 0:
            counts[self.oracle._symbolic_check] = excl
        return counts

    def __str__(self):
        return f"FindAllMarked(n={self.n}, k={self.k}, {self.schedule})"


# --------------------------------------------------------------------------------------------------
# Examples and doc specs
# --------------------------------------------------------------------------------------------------
from qualtran import bloq_example  # noqa: E402


@bloq_example(generalizer=BOOKKEEPING)
def _threshold_oracle() -> ThresholdOracle:
    threshold_oracle = ThresholdOracle(
        n=4, d=1, bits=2, tau_int=1, loader="qrom", query=(1,), key_data=((1,), (-1,), (0,), (1,))
    )
    return threshold_oracle


@bloq_example
def _threshold_oracle_symb() -> ThresholdOracle:
    n, d, b = sympy.symbols("n d b", positive=True, integer=True)
    threshold_oracle_symb = ThresholdOracle(n=n, d=d, bits=b, tau_int=0, loader="qrom")
    return threshold_oracle_symb


@bloq_example
def _grover_iterate() -> GroverIterate:
    oracle = ThresholdOracle(
        n=4, d=1, bits=2, tau_int=1, loader="qrom", query=(1,), key_data=((1,), (-1,), (0,), (1,))
    )
    grover_iterate = GroverIterate(oracle, 4)
    return grover_iterate


@bloq_example
def _find_all_marked_symb() -> FindAllMarked:
    n, d, b, k = sympy.symbols("n d b k", positive=True, integer=True)
    find_all_marked_symb = FindAllMarked(ThresholdOracle(n=n, d=d, bits=b, tau_int=0, loader="qrom"), k)
    return find_all_marked_symb


def _small_oracle() -> ThresholdOracle:
    return ThresholdOracle(
        n=4, d=1, bits=2, tau_int=1, loader="qrom", query=(1,), key_data=((1,), (-1,), (0,), (1,))
    )


@bloq_example
def _uniform_index_prepare() -> UniformIndexPrepare:
    uniform_index_prepare = UniformIndexPrepare(5)
    return uniform_index_prepare


@bloq_example(generalizer=BOOKKEEPING)
def _index_equals() -> IndexEquals:
    index_equals = IndexEquals(n=8, value=5)
    return index_equals


@bloq_example(generalizer=BOOKKEEPING)
def _index_phase_flip() -> IndexPhaseFlip:
    index_phase_flip = IndexPhaseFlip(n=8, value=2)
    return index_phase_flip


@bloq_example
def _grover_diffusion() -> GroverDiffusion:
    grover_diffusion = GroverDiffusion(5)
    return grover_diffusion


@bloq_example
def _repeated_grover_iterate() -> RepeatedGroverIterate:
    repeated_grover_iterate = RepeatedGroverIterate(GroverIterate(_small_oracle(), 4), 2)
    return repeated_grover_iterate


@bloq_example
def _grover_search() -> GroverSearch:
    grover_search = GroverSearch(GroverIterate(_small_oracle(), 4), 1)
    return grover_search


@bloq_example
def _grover_search_symb() -> GroverSearch:
    n, d, b, r = sympy.symbols("n d b r", positive=True, integer=True)
    oracle = ThresholdOracle(n=n, d=d, bits=b, tau_int=0, loader="qrom")
    grover_search_symb = GroverSearch(GroverIterate(oracle, n), r)
    return grover_search_symb


_UNIFORM_INDEX_PREPARE_DOC = BloqDocSpec(bloq_cls=UniformIndexPrepare, examples=(_uniform_index_prepare,))
_INDEX_EQUALS_DOC = BloqDocSpec(bloq_cls=IndexEquals, examples=(_index_equals,))
_INDEX_PHASE_FLIP_DOC = BloqDocSpec(bloq_cls=IndexPhaseFlip, examples=(_index_phase_flip,))
_GROVER_DIFFUSION_DOC = BloqDocSpec(bloq_cls=GroverDiffusion, examples=(_grover_diffusion,))
_REPEATED_GROVER_ITERATE_DOC = BloqDocSpec(bloq_cls=RepeatedGroverIterate, examples=(_repeated_grover_iterate,))
_GROVER_SEARCH_DOC = BloqDocSpec(bloq_cls=GroverSearch, examples=(_grover_search, _grover_search_symb))
@bloq_example
def _find_all_marked_small() -> FindAllMarked:
    find_all_marked_small = FindAllMarked(_small_oracle(), 2)
    return find_all_marked_small


_THRESHOLD_ORACLE_DOC = BloqDocSpec(
    bloq_cls=ThresholdOracle, examples=(_threshold_oracle, _threshold_oracle_symb)
)
_GROVER_ITERATE_DOC = BloqDocSpec(bloq_cls=GroverIterate, examples=(_grover_iterate,))
_FIND_ALL_MARKED_DOC = BloqDocSpec(bloq_cls=FindAllMarked, examples=(_find_all_marked_symb, _find_all_marked_small))
