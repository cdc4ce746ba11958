r"""Generic amplitude amplification on a flag qubit, as Qualtran bloqs (and its controlled form).

Brassard, Hoyer, Mosca, Tapp, *Quantum amplitude amplification and estimation* (quant-ph/0005055,
Sec. 2, Lemma 1 and Theorem 2). Given

* a state preparation U on system registers R (``prepare``: all registers THRU, no ancilla left
  dirty), and
* a *flag oracle* F on R + one ``flag`` qubit that XORs a Boolean predicate chi(R) into ``flag``
  (so F is self-inverse: F F = I, with every internal ancilla returned to zero),

the good-subspace probability of :math:`U|0\rangle` is :math:`a = \sin^2\theta` and the iterate

.. math::  G = D\,O,\qquad O = F\,(Z_{\rm flag})\,F = I - 2\Pi_{\rm good},\qquad
           D = U\,(2|0\rangle\langle 0| - I)\,U^\dagger

rotates by :math:`2\theta` in the plane spanned by the good and bad components: after r
iterates the good probability is :math:`\sin^2((2r+1)\theta)` (BHMT Lemma 1, Eq. (8)); the
eigenvalues of G on that plane are :math:`e^{\pm 2i\theta}` (BHMT Sec. 4), which amplitude
estimation reads out with phase estimation (:mod:`bloqs.mean_estimation`).

The flag qubit is allocated inside :class:`PhaseFlip` and returned to zero, so the reflection
about zero in D acts on R only: ancillas that F computes from R are clean outside F, so
:math:`U S_0^{R+{\rm anc}} U^\dagger` and :math:`U S_0^{R} U^\dagger` agree on every state G reaches.

Controlled versions are written by hand (``controlled=True``): only the Z on the flag and the
reflection about zero take the control (U, U-dagger and F cancel when the control is off), because
Qualtran 0.7 cannot cost ``.controlled()`` of composites that contain ``And``.

Costs (L = total bits of R; "And" = Gidney's temporary AND, 4 T; its adjoint 0 T):

* :class:`ReflectAboutZero`: max(L-2, 0) And uncontrolled, max(L-1, 0) And controlled.
* :class:`PhaseFlip`: 2 F (+ one CZ when controlled).
* :class:`AmplificationIterate`: 2 F + U + U-dagger + reflection.
* :class:`RepeatedIterate` G^r and :class:`AmplifiedPrepare` (U, G^r, F): r symbolic allowed.
"""


import math
from functools import cached_property
from typing import Any, Dict, List, Optional, Tuple, Union

import attrs
import numpy as np
import sympy
from qualtran import (
    Bloq,
    BloqBuilder,
    BloqDocSpec,
    DecomposeTypeError,
    QBit,
    QUInt,
    Register,
    Side,
    Signature,
    Soquet,
    SoquetT,
    bloq_example,
)
from qualtran.bloqs.basic_gates import CZ, GlobalPhase, XGate, ZGate
from qualtran.bloqs.mcmt import And, MultiAnd
from qualtran.resource_counting import QubitCount, get_cost_value
from qualtran.symbolics import HasLength, is_symbolic

from bloqs.catalog import BOOKKEEPING
from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]


# ----------------------------------------------------------------------------------------------
# Closed forms (BHMT quant-ph/0005055, Sec. 2)
# ----------------------------------------------------------------------------------------------


def amplification_angle(a: float) -> float:
    r""":math:`\theta = \arcsin\sqrt{a}` for a good-subspace probability a in (0, 1]."""
    if not (0 < a <= 1):
        raise QattnInputError(f"acceptance probability a={a} must be in (0, 1]")
    return math.asin(math.sqrt(a))


def success_probability(a: float, rounds: int) -> float:
    r"""Good probability after ``rounds`` iterates: :math:`\sin^2((2r+1)\theta)` (BHMT Lemma 1)."""
    return math.sin((2 * rounds + 1) * amplification_angle(a)) ** 2


def optimal_rounds(a: float) -> int:
    r""":math:`\lfloor \pi/(4\theta) \rfloor` iterates: success :math:`\ge \max(a, 1-a)` (BHMT Thm 2),
    :math:`\le \tfrac{\pi}{4}\sqrt{1/a}` since :math:`\theta \ge \sqrt a`."""
    return int(math.floor(math.pi / (4 * amplification_angle(a))))


def rounds_upper_bound_expr(inv_acceptance) -> sympy.Expr:
    r"""Symbolic :math:`\lceil \tfrac{\pi}{4}\sqrt{1/a}\rceil \ge \lfloor\pi/(4\theta)\rfloor`
    given an expression for 1/a (used by symbolic cost formulas)."""
    return sympy.ceiling(sympy.pi / 4 * sympy.sqrt(inv_acceptance))


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def lazy_max(*args) -> SymbolicInt:
    """max of qubit counts that may be sympy expressions, *without* sympy's simplification.

    ``sympy.Max`` compares its arguments pairwise to drop dominated ones, which is exponential on
    the nested widths of our symbolic cost models (the QAttention preprocessing's count took
    ~100 s). An unevaluated Max is the same function: it evaluates exactly once numbers are
    substituted. Numbers are folded into one, nested Maxes flattened, duplicates dropped.
    """
    flat: List[Any] = []
    for a in args:
        if isinstance(a, sympy.Max):
            flat.extend(a.args)
        else:
            flat.append(a)
    nums = [a for a in flat if not is_symbolic(a)]
    syms = list(dict.fromkeys(a for a in flat if is_symbolic(a)))
    if not syms:
        return max(nums)
    if nums:
        syms.append(sympy.Integer(max(int(v) for v in nums)))
    return syms[0] if len(syms) == 1 else sympy.Max(*syms, evaluate=False)


def _symbolic_width(bloq: Bloq, phases) -> Optional[SymbolicInt]:
    """Peak width of a sequence of sub-bloqs acting on ``bloq``'s registers (symbolic sizes only).

    ``phases``: (sub-bloq, idle qubits of ``bloq`` it does not touch). None for concrete sizes, so
    Qualtran's greedy sweep of the decomposition (exact, and tested) is used there.
    """
    if not is_symbolic(bloq.signature.n_qubits()) and not any(
        is_symbolic(get_cost_value(b, QubitCount())) for b, _ in phases
    ):
        return None
    return lazy_max(bloq.signature.n_qubits(), *[get_cost_value(b, QubitCount()) + idle for b, idle in phases])


def _and_of(cvs) -> Bloq:
    if isinstance(cvs, HasLength):
        return MultiAnd(cvs)
    return And(*cvs) if len(cvs) == 2 else MultiAnd(tuple(cvs))


def _apply_and(bb: BloqBuilder, cvs, qs: List[Soquet]):
    if len(cvs) == 2:
        (c0, c1), t = bb.add(And(*cvs), ctrl=np.array(qs))
        return [c0, c1], None, t
    ctrl, junk, t = bb.add(MultiAnd(tuple(cvs)), ctrl=np.array(qs))
    return list(ctrl), junk, t


def _unapply_and(bb: BloqBuilder, cvs, qs, junk, t):
    if len(cvs) == 2:
        return list(bb.add(And(*cvs).adjoint(), ctrl=np.array(qs), target=t))
    return list(bb.add(MultiAnd(tuple(cvs)).adjoint(), ctrl=np.array(qs), junk=junk, target=t))


def _total_bits(registers) -> SymbolicInt:
    return sum(r.total_bits() for r in registers)


def _split_all(bb: BloqBuilder, registers, soqs: Dict[str, Soquet]) -> List[Soquet]:
    out: List[Soquet] = []
    for r in registers:
        if r.bitsize == 1 and r.dtype == QBit():
            out.append(soqs[r.name])
        else:
            out.extend(bb.split(soqs[r.name]))
    return out


def _join_all(bb: BloqBuilder, registers, qs: List[Soquet]) -> Dict[str, Soquet]:
    out: Dict[str, Soquet] = {}
    i = 0
    for r in registers:
        if r.bitsize == 1 and r.dtype == QBit():
            out[r.name] = qs[i]
            i += 1
        else:
            out[r.name] = bb.join(np.array(qs[i : i + r.bitsize]), dtype=r.dtype)
            i += r.bitsize
    return out


def _system_registers(prepare: Bloq) -> Tuple[Register, ...]:
    regs = tuple(prepare.signature)
    for r in regs:
        if r.side != Side.THRU or r.shape:
            raise QattnInputError(f"prepare {prepare}: register {r.name} must be THRU and unshaped")
    return regs


def _check_flag_oracle(prepare: Bloq, flag_oracle: Bloq) -> None:
    names = {r.name: r for r in flag_oracle.signature}
    if "flag" not in names or names["flag"].bitsize != 1:
        raise QattnInputError(f"flag_oracle {flag_oracle} must have a 1-qubit register 'flag'")
    for r in prepare.signature:
        if r.name not in names or names[r.name].bitsize != r.bitsize:
            raise QattnInputError(f"flag_oracle {flag_oracle} lacks system register {r.name}")


# ----------------------------------------------------------------------------------------------
# bloqs
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class ReflectAboutZero(Bloq):
    r"""``2|0><0| - I`` on the system registers; with ``controlled``: applied iff ``ctrl`` = 1.

    Uncontrolled: AND of the first L-1 qubits (control value 0) into an ancilla t, CZ(t, last qubit)
    conjugated by X on the last qubit gives ``I - 2|0><0|``; a global phase -1 (free) gives the
    textbook sign. Controlled: the AND also takes ``ctrl`` (control value 1) and a Z on ``ctrl``
    turns the controlled ``I - 2|0><0|`` into the controlled ``2|0><0| - I`` (the global phase of
    the uncontrolled form becomes this relative phase). Gidney's And (arXiv:1709.06648):
    max(L-2, 0) And uncontrolled, max(L-1, 0) controlled; no T gates otherwise.

    Args:
        registers: the system registers R reflected about |0> (THRU, unshaped; sizes may be symbols).
        controlled: add a ``ctrl`` qubit; the reflection applies iff ``ctrl`` = 1.

    Registers:
        ctrl: QBit, THRU (only with ``controlled``).
        <each of registers>: THRU, as given (e.g. ``x`` in the example).
    """

    registers: Tuple[Register, ...]
    controlled: bool = False

    @cached_property
    def signature(self) -> Signature:
        regs = list(self.registers)
        if self.controlled:
            regs = [Register("ctrl", QBit())] + regs
        return Signature(regs)

    @cached_property
    def n_bits(self) -> SymbolicInt:
        return _total_bits(self.registers)

    def build_composite_bloq(self, bb: BloqBuilder, **soqs: Soquet) -> Dict[str, SoquetT]:
        L = self.n_bits
        if is_symbolic(L):
            raise DecomposeTypeError(f"cannot decompose symbolic {self}")
        qs = _split_all(bb, self.registers, soqs)
        head, last = qs[:-1], qs[-1]
        ctrl = soqs.get("ctrl")
        cvs = ((1,) if self.controlled else ()) + (0,) * (L - 1)
        ands = ([ctrl] if self.controlled else []) + head
        last = bb.add(XGate(), q=last)
        if len(cvs) == 0:  # L == 1, uncontrolled: Z on |1> after X = phase -1 on |0>
            last = bb.add(ZGate(), q=last)
        elif len(cvs) == 1:  # one control: either ctrl (L == 1) or the single zero-controlled qubit
            c = ands[0]
            if cvs[0] == 0:
                c = bb.add(XGate(), q=c)
            c, last = bb.add(CZ(), q1=c, q2=last)
            if cvs[0] == 0:
                c = bb.add(XGate(), q=c)
            ands = [c]
        else:
            ands, junk, t = _apply_and(bb, cvs, ands)
            t, last = bb.add(CZ(), q1=t, q2=last)
            ands = _unapply_and(bb, cvs, ands, junk, t)
        last = bb.add(XGate(), q=last)
        if self.controlled:
            ctrl, head = ands[0], ands[1:]
            ctrl = bb.add(ZGate(), q=ctrl)
        else:
            head = ands
            bb.add(GlobalPhase(exponent=1))
        out = _join_all(bb, self.registers, head + [last])
        if self.controlled:
            out["ctrl"] = ctrl
        return out

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        L = self.n_bits
        k = L - 1 + (1 if self.controlled else 0)  # number of AND controls
        counts: Dict[Bloq, SymbolicInt] = {XGate(): 2}
        counts[ZGate() if self.controlled else GlobalPhase(exponent=1)] = 1
        if is_symbolic(k):
            a = MultiAnd(HasLength(k))
            counts.update({a: 1, a.adjoint(): 1, CZ(): 1})
            return counts
        if k == 0:
            counts[ZGate()] = counts.get(ZGate(), 0) + 1
        elif k == 1:
            counts[CZ()] = 1
            if not self.controlled:
                counts[XGate()] += 2
        else:
            cvs = ((1,) if self.controlled else ()) + (0,) * (L - 1)
            a = _and_of(cvs)
            counts.update({a: 1, a.adjoint(): 1, CZ(): 1})
        return counts

    def __str__(self):
        return ("C-" if self.controlled else "") + f"R0({self.n_bits})"


@attrs.frozen
class PhaseFlip(Bloq):
    r"""``O = F Z_flag F = I - 2 Pi_good`` on the system registers (``ctrl``-controlled if asked).

    The flag qubit is allocated, computed by the flag oracle F, phase-flipped (Z, or CZ with
    ``ctrl``), uncomputed by F again (F is XOR-into-flag, hence self-inverse) and freed. Only the
    phase takes the control: with the control off, F F = I. Cost: 2 F (+ Z or CZ, Clifford).

    Args:
        flag_oracle: F, a bloq with a 1-qubit ``flag`` register that XORs chi(R) into it (self-inverse).
        controlled: add a ``ctrl`` qubit; the phase flip applies iff ``ctrl`` = 1.

    Registers:
        ctrl: QBit, THRU (only with ``controlled``).
        <system registers>: every register of ``flag_oracle`` except ``flag``, THRU.
    """

    flag_oracle: Bloq
    controlled: bool = False

    @cached_property
    def system_registers(self) -> Tuple[Register, ...]:
        return tuple(r for r in self.flag_oracle.signature if r.name != "flag")

    @cached_property
    def signature(self) -> Signature:
        regs = list(self.system_registers)
        if self.controlled:
            regs = [Register("ctrl", QBit())] + regs
        return Signature(regs)

    def build_composite_bloq(self, bb: BloqBuilder, **soqs: Soquet) -> Dict[str, SoquetT]:
        ctrl = soqs.pop("ctrl", None)
        flag = bb.allocate(1)
        out = bb.add_d(self.flag_oracle, flag=flag, **soqs)
        flag = out.pop("flag")
        if self.controlled:
            ctrl, flag = bb.add(CZ(), q1=ctrl, q2=flag)
        else:
            flag = bb.add(ZGate(), q=flag)
        out = bb.add_d(self.flag_oracle, flag=flag, **out)
        bb.free(out.pop("flag"))
        if self.controlled:
            out["ctrl"] = ctrl
        return out

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {self.flag_oracle: 2, (CZ() if self.controlled else ZGate()): 1}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            # the flag oracle acts on the system registers and the allocated flag; ctrl idles
            w = _symbolic_width(self, [(self.flag_oracle, 1 if self.controlled else 0)])
            return NotImplemented if w is None else w
        return NotImplemented

    def __str__(self):
        return ("C-" if self.controlled else "") + f"PhaseFlip[{self.flag_oracle}]"


@attrs.frozen
class Diffusion(Bloq):
    r"""``D = U (2|0><0| - I) U^dagger`` (``ctrl``-controlled if asked: only the reflection is).

    Cost: U + U-dagger + :class:`ReflectAboutZero`.

    Args:
        prepare: U, the state preparation (all registers THRU, unshaped).
        controlled: add a ``ctrl`` qubit that controls the reflection only.

    Registers:
        ctrl: QBit, THRU (only with ``controlled``).
        <system registers>: the registers of ``prepare``, THRU.
    """

    prepare: Bloq
    controlled: bool = False

    @cached_property
    def system_registers(self) -> Tuple[Register, ...]:
        return _system_registers(self.prepare)

    @cached_property
    def reflection(self) -> ReflectAboutZero:
        return ReflectAboutZero(self.system_registers, controlled=self.controlled)

    @cached_property
    def signature(self) -> Signature:
        return self.reflection.signature

    def build_composite_bloq(self, bb: BloqBuilder, **soqs: Soquet) -> Dict[str, SoquetT]:
        ctrl = soqs.pop("ctrl", None)
        soqs = bb.add_d(self.prepare.adjoint(), **soqs)
        if self.controlled:
            soqs["ctrl"] = ctrl
        soqs = bb.add_d(self.reflection, **soqs)
        ctrl = soqs.pop("ctrl", None)
        soqs = bb.add_d(self.prepare, **soqs)
        if self.controlled:
            soqs["ctrl"] = ctrl
        return soqs

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {self.prepare: 1, self.prepare.adjoint(): 1, self.reflection: 1}

    def __str__(self):
        return ("C-" if self.controlled else "") + f"Diffusion[{self.prepare}]"


@attrs.frozen
class AmplificationIterate(Bloq):
    r"""One amplitude-amplification iterate ``G = D O`` (BHMT Eq. (5), with the sign that makes
    G rotate towards the good subspace by 2 theta); ``controlled=True`` gives controlled-G with only
    the phase flip and the reflection controlled. Cost: 2 F + U + U-dagger + reflection.

    Args:
        prepare: U (all registers THRU, unshaped).
        flag_oracle: F, with ``prepare``'s registers and a 1-qubit ``flag`` (checked on construction).
        controlled: add a ``ctrl`` qubit; only the phase flip and the reflection take it.

    Registers:
        ctrl: QBit, THRU (only with ``controlled``).
        <system registers>: the registers of ``prepare``, THRU.
    """

    prepare: Bloq
    flag_oracle: Bloq
    controlled: bool = False

    def __attrs_post_init__(self):
        _check_flag_oracle(self.prepare, self.flag_oracle)

    @cached_property
    def phase_flip(self) -> PhaseFlip:
        return PhaseFlip(self.flag_oracle, controlled=self.controlled)

    @cached_property
    def diffusion(self) -> Diffusion:
        return Diffusion(self.prepare, controlled=self.controlled)

    @cached_property
    def signature(self) -> Signature:
        return self.diffusion.signature

    def build_composite_bloq(self, bb: BloqBuilder, **soqs: Soquet) -> Dict[str, SoquetT]:
        soqs = bb.add_d(self.phase_flip, **soqs)
        return bb.add_d(self.diffusion, **soqs)

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {self.phase_flip: 1, self.diffusion: 1}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            w = _symbolic_width(self, [(self.phase_flip, 0), (self.diffusion, 0)])
            return NotImplemented if w is None else w
        return NotImplemented

    def __str__(self):
        return ("C-" if self.controlled else "") + "G"


@attrs.frozen
class RepeatedIterate(Bloq):
    r"""``iterate`` applied ``reps`` times (``reps`` may be a symbol).

    Qualtran's ``Power`` cannot report a qubit count for a symbolic exponent; this bloq's call graph
    is ``{iterate: reps}`` and its peak width is the iterate's (applications are sequential, on the
    same registers, so the iterate's ancillas are reused). With ``reps = 0`` there are no gates:
    empty call graph and the width of the registers alone, as the (empty) decomposition gives.
    Also serves Grover (:class:`bloqs.grover.RepeatedGroverIterate`).

    Args:
        iterate: the bloq to repeat (any signature; its registers are this bloq's).
        reps: the number of applications (>= 0, int or sympy expression).

    Registers:
        <iterate's registers>: as in ``iterate.signature``.
    """

    iterate: Bloq
    reps: SymbolicInt

    def __attrs_post_init__(self):
        if not is_symbolic(self.reps) and int(self.reps) < 0:
            raise QattnInputError(f"reps={self.reps} must be >= 0")

    @cached_property
    def signature(self) -> Signature:
        return self.iterate.signature

    def build_composite_bloq(self, bb: BloqBuilder, **soqs: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.reps):
            raise DecomposeTypeError(f"cannot decompose {self} with symbolic reps")
        for _ in range(int(self.reps)):
            soqs = bb.add_d(self.iterate, **soqs)
        return soqs

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        if not is_symbolic(self.reps) and self.reps == 0:
            return {}
        return {self.iterate: self.reps}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            if not is_symbolic(self.reps) and self.reps == 0:
                return self.signature.n_qubits()
            return get_cost_value(self.iterate, QubitCount())
        return NotImplemented

    def __str__(self):
        return f"({self.iterate})^{self.reps}"


@attrs.frozen
class AmplifiedPrepare(Bloq):
    r"""``F G^r U |0>``: prepare, r amplification rounds, then the flag computed into ``flag``.

    Measuring the system registers and ``flag`` gives a good outcome (flag = 1) with probability
    :math:`\sin^2((2r+1)\theta)`; conditioned on flag = 1 the system registers are distributed as
    in the good component of :math:`U|0\rangle` (amplification rescales the good component as a
    whole, BHMT Lemma 1). Cost: U + r (2 F + U + U-dagger + reflection) + F.

    Args:
        prepare: U (all registers THRU, unshaped).
        flag_oracle: F, with ``prepare``'s registers and a 1-qubit ``flag``.
        rounds: r, the number of amplification iterates (>= 0, int or sympy expression).

    Registers:
        <system registers>: the registers of ``prepare``, THRU (enter in |0>).
        flag: QBit, THRU (enters in |0>; holds chi on output).
    """

    prepare: Bloq
    flag_oracle: Bloq
    rounds: SymbolicInt

    def __attrs_post_init__(self):
        _check_flag_oracle(self.prepare, self.flag_oracle)
        if not is_symbolic(self.rounds) and int(self.rounds) < 0:
            raise QattnInputError(f"rounds={self.rounds} must be >= 0")

    @cached_property
    def iterate(self) -> AmplificationIterate:
        return AmplificationIterate(self.prepare, self.flag_oracle)

    @cached_property
    def signature(self) -> Signature:
        return Signature(list(_system_registers(self.prepare)) + [Register("flag", QBit())])

    def build_composite_bloq(self, bb: BloqBuilder, flag: Soquet, **soqs: Soquet) -> Dict[str, SoquetT]:
        if is_symbolic(self.rounds):
            raise DecomposeTypeError(f"cannot decompose {self} with symbolic rounds")
        soqs = bb.add_d(self.prepare, **soqs)
        soqs = bb.add_d(RepeatedIterate(self.iterate, self.rounds), **soqs)
        return bb.add_d(self.flag_oracle, flag=flag, **soqs)

    def build_call_graph(self, ssa) -> Dict[Bloq, SymbolicInt]:
        return {self.prepare: 1, RepeatedIterate(self.iterate, self.rounds): 1, self.flag_oracle: 1}

    def my_static_costs(self, cost_key):
        if isinstance(cost_key, QubitCount):
            # U and G^r act on the system registers while flag idles; F on both
            rep = RepeatedIterate(self.iterate, self.rounds)
            w = _symbolic_width(self, [(self.prepare, 1), (rep, 1), (self.flag_oracle, 0)])
            return NotImplemented if w is None else w
        return NotImplemented

    def __str__(self):
        return f"Amplified[{self.prepare}, r={self.rounds}]"


# ----------------------------------------------------------------------------------------------
# examples
# ----------------------------------------------------------------------------------------------


@bloq_example(generalizer=BOOKKEEPING)
def _reflect_about_zero() -> ReflectAboutZero:
    reflect_about_zero = ReflectAboutZero((Register("x", QUInt(4)),), controlled=True)
    return reflect_about_zero


def _small_prepare_and_flag():
    # The row-norm sampler's U and F on 4 items with 2-bit weights (bloqs.sampling builds on this
    # module, so the import is deferred to when an example is made).
    from bloqs.sampling import UniformIndexAndCoin, WeightThresholdFlag

    return UniformIndexAndCoin(4, 2), WeightThresholdFlag(4, 2, (1, 3, 0, 2))


@bloq_example(generalizer=BOOKKEEPING)
def _phase_flip() -> PhaseFlip:
    _, flag_oracle = _small_prepare_and_flag()
    phase_flip = PhaseFlip(flag_oracle, controlled=True)
    return phase_flip


@bloq_example(generalizer=BOOKKEEPING)
def _diffusion() -> Diffusion:
    prepare, _ = _small_prepare_and_flag()
    diffusion = Diffusion(prepare)
    return diffusion


@bloq_example(generalizer=BOOKKEEPING)
def _amplification_iterate() -> AmplificationIterate:
    prepare, flag_oracle = _small_prepare_and_flag()
    amplification_iterate = AmplificationIterate(prepare, flag_oracle)
    return amplification_iterate


@bloq_example(generalizer=BOOKKEEPING)
def _repeated_iterate() -> RepeatedIterate:
    prepare, flag_oracle = _small_prepare_and_flag()
    repeated_iterate = RepeatedIterate(AmplificationIterate(prepare, flag_oracle), 2)
    return repeated_iterate


@bloq_example
def _repeated_iterate_symb() -> RepeatedIterate:
    prepare, flag_oracle = _small_prepare_and_flag()
    repeated_iterate_symb = RepeatedIterate(
        AmplificationIterate(prepare, flag_oracle), sympy.Symbol("r", positive=True, integer=True)
    )
    return repeated_iterate_symb


@bloq_example(generalizer=BOOKKEEPING)
def _amplified_prepare() -> AmplifiedPrepare:
    prepare, flag_oracle = _small_prepare_and_flag()
    amplified_prepare = AmplifiedPrepare(prepare, flag_oracle, 1)
    return amplified_prepare


_REFLECT_ABOUT_ZERO_DOC = BloqDocSpec(bloq_cls=ReflectAboutZero, examples=[_reflect_about_zero])
_PHASE_FLIP_DOC = BloqDocSpec(bloq_cls=PhaseFlip, examples=[_phase_flip])
_DIFFUSION_DOC = BloqDocSpec(bloq_cls=Diffusion, examples=[_diffusion])
_AMPLIFICATION_ITERATE_DOC = BloqDocSpec(bloq_cls=AmplificationIterate, examples=[_amplification_iterate])
_REPEATED_ITERATE_DOC = BloqDocSpec(bloq_cls=RepeatedIterate, examples=[_repeated_iterate, _repeated_iterate_symb])
_AMPLIFIED_PREPARE_DOC = BloqDocSpec(bloq_cls=AmplifiedPrepare, examples=[_amplified_prepare])
