"""Tests of qattn_cirq.simulate: bloq -> qsim circuit with ancilla reuse, exact And-dagger, memory guard."""

from __future__ import annotations

from functools import cached_property

import attrs
import cirq
import numpy as np
import pytest
from qualtran import Bloq, BQUInt, QBit, QInt, QUInt, Register, Signature
from qualtran.bloqs.arithmetic import Add, LessThanConstant
from qualtran.bloqs.basic_gates import ZGate
from qualtran.bloqs.data_loading import QROM
from qualtran.bloqs.mcmt import And, MultiAnd
from qualtran.resource_counting import QubitCount, get_cost_value

from bloqs.grover import GroverDiffusion, GroverIterate, GroverSearch, grover_success_probability
from qattn_cirq.errors import QattnInputError
from qattn_cirq.simulate import (
    ancilla_weight,
    basis_index,
    bloq_to_cirq,
    check_memory,
    register_probabilities,
    sample,
    simulate_state,
    state_vector_bytes,
)


@attrs.frozen
class IndicatorOracle(Bloq):
    """Phase oracle (-1)^[j in marked] from Qualtran primitives: QROM of the indicator, Z, QROM."""

    n: int
    marked: tuple

    @cached_property
    def signature(self):
        return Signature([Register("selection", BQUInt((self.n - 1).bit_length(), self.n))])

    def build_composite_bloq(self, bb, selection):
        data = np.array([1 if j in self.marked else 0 for j in range(self.n)])
        qrom = QROM.build_from_data(data, target_bitsizes=(1,))
        flag = bb.allocate(dtype=QBit())
        selection, flag = bb.add(qrom, selection=selection, target0_=flag)
        flag = bb.add(ZGate(), q=flag)
        selection, flag = bb.add(qrom, selection=selection, target0_=flag)
        bb.free(flag)
        return {"selection": selection}


@attrs.frozen
class AndPair(Bloq):
    """MultiAnd then its adjoint around a Z on the target: a phase on |ctrl == cvs>, ancillas reused."""

    cvs: tuple

    @cached_property
    def signature(self):
        return Signature([Register("ctrl", QBit(), shape=(len(self.cvs),))])

    def build_composite_bloq(self, bb, ctrl):
        if len(self.cvs) == 2:
            ctrl, t = bb.add(And(*self.cvs), ctrl=ctrl)
            t = bb.add(ZGate(), q=t)
            ctrl = bb.add(And(*self.cvs).adjoint(), ctrl=ctrl, target=t)
        else:
            ctrl, junk, t = bb.add(MultiAnd(self.cvs), ctrl=ctrl)
            t = bb.add(ZGate(), q=t)
            ctrl = bb.add(MultiAnd(self.cvs).adjoint(), ctrl=ctrl, junk=junk, target=t)
        return {"ctrl": ctrl}


def _qrom():
    return QROM.build_from_data(
        np.array([3, 1, 2, 0, 1, 3, 2, 1]), np.array([1, 2, 3, 0, 0, 1, 2, 3]), target_bitsizes=(2, 2)
    )


WIDTH_CASES = [
    _qrom(),
    LessThanConstant(4, 5),
    Add(QUInt(4)),
    Add(QInt(3)),
    AndPair((1, 0, 1, 1)),
    GroverDiffusion(6),
    GroverIterate(IndicatorOracle(6, (1, 4)), 6),
    GroverSearch(GroverIterate(IndicatorOracle(8, (5,)), 8), 2),
]


@pytest.mark.parametrize("bloq", WIDTH_CASES, ids=str)
def test_width_equals_qubit_count_and_gates_are_native(bloq):
    from qattn_cirq.simulate import _is_native

    c = bloq_to_cirq(bloq)
    assert c.width == get_cost_value(bloq, QubitCount())
    assert c.width == len(c.circuit.all_qubits() | set(c.qubit_order))
    assert all(_is_native(op) for op in c.circuit.all_operations())
    assert not any(cirq.is_measurement(op) for op in c.circuit.all_operations())


def test_reuse_beats_qualtran_default_width():
    # Qualtran's own export allocates a fresh qubit per And / Allocate; ours reuses them.
    b = GroverIterate(IndicatorOracle(6, (1, 4)), 6)
    c = bloq_to_cirq(b)
    cbloq = b.decompose_bloq().flatten()
    n_alloc = sum(
        1 for inst in cbloq.bloq_instances if type(inst.bloq).__name__ in ("And", "Allocate") and not getattr(inst.bloq, "uncompute", False)
    )
    assert c.width < b.signature.n_qubits() + n_alloc


def test_add_matches_classical_action_on_all_inputs():
    b = Add(QUInt(3))
    c = bloq_to_cirq(b)
    for a in range(8):
        for x in range(8):
            st = simulate_state(c, {"a": a, "b": x})
            idx = int(np.argmax(np.abs(st)))
            assert idx == basis_index(c, {"a": a, "b": (a + x) % 8})
            assert abs(abs(st[idx]) - 1) < 1e-5
            assert ancilla_weight(c, st) < 1e-10


def test_signed_register_values():
    b = Add(QInt(3))
    c = bloq_to_cirq(b)
    st = simulate_state(c, {"a": -3, "b": 2})
    assert int(np.argmax(np.abs(st))) == basis_index(c, {"a": -3, "b": -1})
    with pytest.raises(QattnInputError, match="does not fit"):
        basis_index(c, {"a": 9})
    with pytest.raises(QattnInputError, match="register must be one of"):
        basis_index(c, {"nope": 1})


@pytest.mark.parametrize("cvs", [(1, 1), (0, 1), (1, 0, 1), (0, 1, 1, 0)])
def test_and_dagger_as_ccx_is_exact(cvs):
    # Phase -1 exactly on |ctrl == cvs>, every ancilla back to |0>, for a random input state.
    b = AndPair(cvs)
    c = bloq_to_cirq(b)
    m = len(cvs)
    rng = np.random.default_rng(7)
    psi = rng.normal(size=2**m) + 1j * rng.normal(size=2**m)
    psi /= np.linalg.norm(psi)
    anc = c.width - m
    full = np.kron(psi, np.eye(1, 2**anc, 0)[0])
    st = simulate_state(c, initial_state=full).reshape(2**m, 2**anc)
    assert np.abs(st[:, 1:]).max() < 1e-6  # ancillas end in |0>
    expected = psi.copy()
    expected[int("".join(map(str, cvs)), 2)] *= -1
    np.testing.assert_allclose(st[:, 0], expected, atol=1e-6)


def test_qsim_agrees_with_cirq_and_with_tensor_contraction():
    b = GroverIterate(IndicatorOracle(6, (1, 4)), 6)
    c = bloq_to_cirq(b)
    L = 3
    rng = np.random.default_rng(3)
    psi = rng.normal(size=2**L) + 1j * rng.normal(size=2**L)
    psi /= np.linalg.norm(psi)
    full = np.kron(psi, np.eye(1, 2 ** (c.width - L), 0)[0])
    s_qsim = simulate_state(c, initial_state=full, engine="qsim")
    s_cirq = simulate_state(c, initial_state=full, engine="cirq")
    np.testing.assert_allclose(s_qsim, s_cirq, atol=1e-6)
    # Independent of any Cirq conversion: Qualtran's own tensor contraction of the bloq.
    U = b.tensor_contract()
    out = s_qsim.reshape(2**L, -1)
    assert np.abs(out[:, 1:]).max() < 1e-6
    np.testing.assert_allclose(out[:, 0], U @ psi, atol=1e-5)


@pytest.mark.parametrize("n,marked", [(8, (5,)), (6, (1, 4)), (16, (3, 9, 10))])
def test_grover_probability_is_sin_squared(n, marked):
    iterate = GroverIterate(IndicatorOracle(n, marked), n)
    for r in range(4):
        c = bloq_to_cirq(GroverSearch(iterate, r))
        st = simulate_state(c)
        p = register_probabilities(c, st, "selection")
        assert abs(p[list(marked)].sum() - grover_success_probability(n, len(marked), r)) < 1e-5
        assert p[n:].sum() < 1e-6  # no weight on indices >= n
        assert ancilla_weight(c, st) < 1e-6


def test_joint_register_probabilities():
    """Several registers: the joint law on the concatenated bit patterns (first register high);
    summing out one register gives the other's marginal; register order transposes the table."""
    c = bloq_to_cirq(Add(QUInt(2), QUInt(3)))
    rng = np.random.default_rng(4)
    psi = rng.normal(size=2**c.width) + 1j * rng.normal(size=2**c.width)
    psi = (psi / np.linalg.norm(psi)).astype(np.complex64)
    joint = register_probabilities(c, psi, "a", "b").reshape(4, 8)
    np.testing.assert_allclose(joint.sum(axis=1), register_probabilities(c, psi, "a"), atol=1e-12)
    np.testing.assert_allclose(joint.sum(axis=0), register_probabilities(c, psi, "b"), atol=1e-12)
    np.testing.assert_allclose(register_probabilities(c, psi, "b", "a").reshape(8, 4), joint.T, atol=1e-12)
    assert abs(joint.sum() - 1) < 1e-6


def test_sample_is_seeded_and_follows_the_marginal():
    iterate = GroverIterate(IndicatorOracle(8, (5,)), 8)
    c = bloq_to_cirq(GroverSearch(iterate, 1))
    st = simulate_state(c)
    a = sample(c, "selection", 4000, seed=11, state=st)
    b = sample(c, "selection", 4000, seed=11, state=st)
    d = sample(c, "selection", 4000, seed=12, state=st)
    assert np.array_equal(a, b) and not np.array_equal(a, d)
    freq = np.mean(a == 5)
    p = grover_success_probability(8, 1, 1)
    # 5 standard deviations of a binomial proportion with 4000 shots
    assert abs(freq - p) < 5 * np.sqrt(p * (1 - p) / 4000)
    # simulating inside sample gives the same shots
    assert np.array_equal(sample(c, "selection", 4000, seed=11), a)
    with pytest.raises(QattnInputError, match="shots"):
        sample(c, "selection", 0, seed=1, state=st)


def test_memory_guard():
    assert state_vector_bytes(20) == 8 * 2**20
    assert check_memory(20, limit_bytes=8 * 2**20) == 8 * 2**20
    with pytest.raises(QattnInputError, match=r"40 qubits need 8\.0 TiB") as exc:
        check_memory(40, limit_bytes=2**30)
    assert "\n" not in str(exc.value) and "1.0 GiB" in str(exc.value)
    c = bloq_to_cirq(_qrom())
    with pytest.raises(QattnInputError, match=f"{c.width} qubits"):
        simulate_state(c, memory_limit=1000)


def test_memory_guard_env(monkeypatch):
    monkeypatch.setenv("QATTN_SIM_MEMORY_LIMIT", "4096")
    with pytest.raises(QattnInputError, match="10 qubits"):
        check_memory(10)
    monkeypatch.setenv("QATTN_SIM_MEMORY_LIMIT", "lots")
    with pytest.raises(QattnInputError, match="QATTN_SIM_MEMORY_LIMIT"):
        check_memory(10)


def test_default_limit_is_available_memory():
    from qattn_cirq.simulate import available_memory_bytes, memory_limit_bytes

    avail = available_memory_bytes()
    assert avail > 0
    assert memory_limit_bytes() > 0
    with pytest.raises(QattnInputError, match="too wide"):
        check_memory(int(np.log2(avail)) + 8)


def test_bad_engine():
    c = bloq_to_cirq(LessThanConstant(3, 2))
    with pytest.raises(QattnInputError, match="engine"):
        simulate_state(c, engine="gpu-magic")


def test_threads_setting(monkeypatch):
    from qattn_cirq.simulate import default_threads

    monkeypatch.setenv("QATTN_SIM_THREADS", "3")
    assert default_threads() == 3
    monkeypatch.setenv("QATTN_SIM_THREADS", "0")
    with pytest.raises(QattnInputError, match="QATTN_SIM_THREADS"):
        default_threads()
    monkeypatch.delenv("QATTN_SIM_THREADS")
    assert default_threads() >= 1
    # the result does not depend on the thread count
    c = bloq_to_cirq(GroverIterate(IndicatorOracle(6, (1, 4)), 6))
    np.testing.assert_allclose(simulate_state(c, threads=1), simulate_state(c, threads=2), atol=1e-7)


def test_symbolic_bloq_is_refused():
    import sympy

    with pytest.raises(QattnInputError, match="concrete sizes"):
        bloq_to_cirq(Add(QUInt(sympy.Symbol("b"))))
