"""The deferred-measurement lowering of the qsim export, and the qroam loader end to end on qsim.

Issue 15 item 3: the select-swap QROAM's measurement-based uncompute (Berry et al.,
arXiv:1902.02134, App. C: X-basis measurements, resets, classically controlled CZ fix-ups) cannot
run on qsim. ``qattn_cirq.simulate.bloq_to_cirq`` compiles it as its coherent equivalent
(``bloqs.qroam.QROAMCoherentUncompute``). These tests check that the lowered circuit has the *same
action* as Qualtran's measured circuit (run with real measurements on cirq's simulator), column by
column on every computational-basis input and on a superposition, and that the Grover sparse
attention pipeline recovers a planted instance exactly with ``loader="qroam"``.
"""

from __future__ import annotations

import json

import cirq
import numpy as np
import pytest
from qualtran._infra.gate_with_registers import get_named_qubits
from qualtran.resource_counting import QubitCount, get_cost_value

from bloqs.loader_factory import make_row_loader
from bloqs.loader_kinds import LOADER_KINDS, SIMULABLE_LOADERS
from bloqs.qroam import QROAMDeferredMeasurementUncompute, QROAMMeasurementUncompute, QROAMRowLoader
from qattn_cirq.instance import planted_instance
from qattn_cirq.pipelines import grover_sparse_attention
from qattn_cirq.reference import default_tau
from qattn_cirq.simulate import ancilla_weight, basis_index, bloq_to_cirq, simulate_state


def _is_classical(op: cirq.Operation) -> bool:
    """A mid-circuit measurement, reset or classically controlled op: what qsim refuses."""
    return (
        cirq.is_measurement(op)
        or isinstance(op, cirq.ClassicallyControlledOperation)
        or isinstance(getattr(op, "gate", None), cirq.ResetChannel)
    )


def _qroam(n, d, b, k, ku, seed=0) -> QROAMRowLoader:
    data = np.random.default_rng(seed).integers(-(2 ** (b - 1)), 2 ** (b - 1), size=(n, d))
    return make_row_loader("qroam", data=data, bits=b, log_block_size=k, uncompute_log_block_size=ku)


def _measured(loader):
    """Qualtran's own Cirq circuit of ``loader`` (measurements and classical control kept) and
    its register qubits (selection, then the row, big-endian) and other qubits."""
    quregs = get_named_qubits(loader.signature.lefts())
    circuit = cirq.Circuit(cirq.decompose(loader.as_composite_bloq().to_cirq_circuit(cirq_quregs=quregs)))
    regs = list(quregs["selection"]) + list(np.asarray(quregs["row"]).reshape(-1))
    others = sorted(set(circuit.all_qubits()) - set(regs))
    return circuit, regs, others


def _lowered_positions(c):
    """Positions in ``c.qubit_order`` of the selection and row qubits (the same order as
    :func:`_measured`'s) and of the ancillas."""
    regs = [int(p) for p in c.positions("selection", "in").reshape(-1)]
    regs += [int(p) for p in c.positions("row", "in").reshape(-1)]
    assert [int(p) for p in c.positions("row", "out").reshape(-1)] == regs[len(regs) - c.bloq.d * c.bloq.bits:]
    return regs, [c.qubit_map[q] for q in c.ancillas]


def _lowered_column(c, regs, ancs, x: int) -> np.ndarray:
    """Register amplitudes (ancillas projected on |0>) after the lowered circuit on qsim, input
    basis state ``x`` of the selection + row qubits (ancillas |0>)."""
    w, r = c.width, len(regs)
    bits = [(x >> (r - 1 - i)) & 1 for i in range(r)]
    init = sum(bit << (w - 1 - p) for bit, p in zip(bits, regs))
    st = simulate_state(c, initial_state=init).reshape((2,) * w)
    idx = [slice(None)] * w
    for p in ancs:
        idx[p] = 0
    kept = sorted(regs)
    out = st[tuple(idx)]  # axes: the register qubits in increasing position
    return np.transpose(out, [kept.index(p) for p in regs]).reshape(-1)


def _measured_column(circuit, regs, others, state, seed: int) -> np.ndarray:
    """Register amplitudes (other qubits projected on |0>) after Qualtran's measured circuit on
    cirq's simulator, from ``state`` (a basis index or a vector over the register qubits)."""
    r, m = len(regs), len(others)
    if isinstance(state, np.ndarray):
        init = np.kron(state, np.eye(1, 2**m, 0)[0]).astype(np.complex64)
    else:
        init = int(state) << m
    res = cirq.Simulator(seed=seed).simulate(circuit, qubit_order=regs + others, initial_state=init)
    return res.final_state_vector.reshape(2**r, 2**m)[:, 0]


@pytest.mark.parametrize("n,d,b,k,ku", [(5, 1, 2, 1, 1), (8, 1, 2, 2, 1), (8, 2, 2, 1, 2)])
def test_deferred_uncompute_runs_the_costed_fixups_and_clears_the_registers(n, d, b, k, ku):
    """The lowering is the App. C construction with its measurements deferred: one CCZ per
    classically controlled fix-up CZ of the measured circuit, no measurement; on every input it is
    defined on (registers holding D[l]) the registers return to |0> and |l> keeps its amplitude and
    phase (checked on a superposition of all l). With a wrong fix-up table (another table's
    uncompute) the registers are left dirty: the check can fail, and the fix-ups are what it
    checks."""
    rng = np.random.default_rng(10 * n + k)
    data = tuple(map(tuple, rng.integers(-(2 ** (b - 1)), 2 ** (b - 1), size=(n, d)).tolist()))
    mbu = QROAMMeasurementUncompute(n, d, b, k, ku, data)
    low = mbu.coherent_equivalent()
    assert isinstance(low, QROAMDeferredMeasurementUncompute) and low.signature == mbu.signature
    c = bloq_to_cirq(low)
    ops = list(c.circuit.all_operations())
    assert not any(_is_classical(op) for op in ops)
    assert sum(op.gate == cirq.CCZ for op in ops) == sum(len(t) for t in mbu.table) > 0
    L = c.positions("selection", "in").size
    assert [c.qubit_map[q] for q in c.in_quregs["selection"]] == list(range(L))
    psi = rng.normal(size=n) + 1j * rng.normal(size=n)
    psi /= np.linalg.norm(psi)
    init = np.zeros(2**c.width, dtype=np.complex64)
    for l in range(n):
        init[basis_index(c, {"selection": l, "regs": mbu.register_contents(l)})] = psi[l]
    st = simulate_state(c, initial_state=init)
    assert ancilla_weight(c, st) < 1e-5
    np.testing.assert_allclose(st.reshape(2**L, -1)[:n, 0], psi, atol=1e-5)
    other = tuple(tuple((v + 1) % 2 ** (b - 1) for v in row) for row in data)  # a different table
    wrong = bloq_to_cirq(QROAMMeasurementUncompute(n, d, b, k, ku, other).coherent_equivalent())
    assert max(
        ancilla_weight(wrong, simulate_state(wrong, {"selection": l, "regs": mbu.register_contents(l)}))
        for l in range(n)
    ) > 0.5


def test_deferred_uncompute_passes_qualtrans_checks():
    """The lowering is a bloq like the others: its example makes, decomposes and has a call graph
    equal to its decomposition's counts (Qualtran's checks, bookkeeping ignored), its doc spec's
    import line works, and the counts agree at other block sizes too."""
    import qualtran.testing as qlt
    from qualtran.resource_counting.generalizers import ignore_alloc_free, ignore_split_join

    from bloqs.qroam import _QROAM_DEFERRED_MEASUREMENT_UNCOMPUTE_DOC as doc
    from bloqs.qroam import _qroam_deferred_measurement_uncompute as ex

    for check in (qlt.check_bloq_example_make, qlt.check_bloq_example_decompose, qlt.check_equivalent_bloq_example_counts):
        result, msg = check(ex)
        assert result is qlt.BloqCheckResult.PASS, msg
    exec(doc.import_line, {})
    for n, d, b, k, ku in [(8, 1, 2, 2, 2), (8, 2, 2, 1, 1), (16, 1, 2, 1, 2)]:
        data = tuple(map(tuple, np.random.default_rng(n).integers(-(2 ** (b - 1)), 2 ** (b - 1), size=(n, d)).tolist()))
        qlt.assert_equivalent_bloq_counts(
            QROAMDeferredMeasurementUncompute(n, d, b, k, ku, data), generalizer=[ignore_split_join, ignore_alloc_free]
        )


@pytest.mark.parametrize(
    "n,d,b,k,ku",
    [
        (5, 1, 2, 1, 1),
        pytest.param(8, 1, 2, 2, 1, marks=pytest.mark.slow),
        pytest.param(8, 1, 2, 1, 2, marks=pytest.mark.slow),
    ],
)
def test_lowered_qroam_has_the_measured_circuits_action_on_every_basis_input(n, d, b, k, ku):
    """Column by column: for every selection l < n and every row value r, qsim on the lowered
    circuit gives exactly (amplitude and phase) what cirq's simulator gives on Qualtran's measured
    circuit (a different seed per input, so the X-basis outcomes vary), namely |l, r XOR K[l]>
    with every ancilla back in |0>. Then a random superposition of all those inputs, three seeds:
    the measured circuit's fix-ups make its action linear, and it equals the lowered one."""
    loader = _qroam(n, d, b, k, ku, seed=n + d + k)
    circuit, regs, others = _measured(loader)
    assert any(_is_classical(op) for op in circuit.all_operations())  # the lowering has work to do
    c = bloq_to_cirq(loader)
    assert not any(_is_classical(op) for op in c.circuit.all_operations())
    # The deferred lowering keeps the measured qubits live through the fix-up: at most K' + k - k'
    # qubits over the costed QubitCount (docs/simulation.md), never wider than Qualtran's export.
    qc = int(get_cost_value(loader, QubitCount()))
    assert qc <= c.width <= min(qc + 2**ku + k - ku, len(regs) + len(others))
    lregs, ancs = _lowered_positions(c)
    L, W = len(regs) - d * b, d * b
    data = np.asarray(loader.unsigned_data, dtype=np.int64)
    inputs = [(l << W) | r for l in range(n) for r in range(2**W)]
    for seed, x in enumerate(inputs):
        got = _lowered_column(c, lregs, ancs, x)
        want = _measured_column(circuit, regs, others, x, seed)
        np.testing.assert_allclose(got, want, atol=2e-6)
        l, r = divmod(x, 2**W)
        word = int("".join(format(int(v), f"0{b}b") for v in data[l]), 2)
        assert abs(got[(l << W) | (r ^ word)]) == pytest.approx(1.0, abs=2e-6)
    rng = np.random.default_rng(k)
    psi = np.zeros(2 ** (L + W), dtype=complex)
    psi[inputs] = rng.normal(size=len(inputs)) + 1j * rng.normal(size=len(inputs))
    psi /= np.linalg.norm(psi)
    lowered = sum(psi[x] * _lowered_column(c, lregs, ancs, x) for x in inputs)
    for seed in range(3):
        np.testing.assert_allclose(_measured_column(circuit, regs, others, psi, 100 + seed), lowered, atol=2e-6)


def test_every_gate_level_loader_is_simulable_and_the_cli_offers_them():
    """SIMULABLE_LOADERS is every loader kind but the assumed QRAM (a cost model with no gates), and
    ``qattn simulate grover-sparse --loader`` offers exactly SIMULABLE_LOADERS."""
    import argparse

    from qattn_cirq.cli import build_parser

    def sub(parser, name):
        (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return action.choices[name]

    assert set(SIMULABLE_LOADERS) == set(LOADER_KINDS) - {"assumed"}
    grover = sub(sub(build_parser(), "simulate"), "grover-sparse")
    (loader_flag,) = [a for a in grover._actions if "--loader" in a.option_strings]
    assert tuple(loader_flag.choices) == SIMULABLE_LOADERS and loader_flag.default == "qrom"


@pytest.mark.parametrize("d,block_sizes", [(2, (0, 1)), (1, (1, 1))])
def test_qroam_planted_n8_recovered_exactly_on_qsim(d, block_sizes):
    """The planted n = 8 instance (k = 2 large entries per row) through the whole pipeline with the
    select-swap QROAM loader: every set found exactly, within the Theorem 5.2 bound, circuit width
    == Qualtran QubitCount. At d = 1 the optimal compute block is K = 2, so the swap network and a
    two-register measurement-based uncompute are in the circuit; at d = 2 (b d = 4) K = 1 is optimal.
    The qrom run of the same instance finds the same sets."""
    n, k, bits = 8, 2, 2
    tau = default_tau(n)
    planted = planted_instance(n, d, k, tau, 6.0 if d == 2 else 2 * tau, seed=0, bits=bits, fraction=True)
    res = grover_sparse_attention(planted.instance, k=k, bits=bits, seed=1, loader="qroam")
    assert res.params["loader"] == "qroam"
    assert res.all_sets_found
    for row, S in zip(res.rows, planted.sets):
        assert row.found == tuple(int(j) for j in S) == row.exact
        assert row.stopped_by == "k_found"
    assert res.bound is not None and 0 < res.max_abs_error <= res.bound and res.within_bound is True
    assert res.qubits == res.qubit_count
    assert res.iterates_simulated > 0
    qrom = grover_sparse_attention(planted.instance, k=k, bits=bits, seed=1, loader="qrom")
    assert [r.found for r in qrom.rows] == [r.found for r in res.rows]
    # The oracle really holds the QROAM (and, at d = 1, its swap network).
    from qattn_cirq.pipelines import _oracle_factory, _quantized_problem

    fq, fk, t_int = _quantized_problem(planted.instance, bits, tau)
    oracle = _oracle_factory(n, d, bits, t_int, "qroam", fq.ints, fk.ints)(0)(())
    assert isinstance(oracle.row_loader, QROAMRowLoader)
    assert oracle.row_loader.block_sizes_log == block_sizes


def test_cli_simulate_grover_sparse_with_qroam(capsys):
    from qattn_cirq.cli import main

    rc = main(["simulate", "grover-sparse", "--n", "8", "--d", "1", "--k", "2", "--seed", "1", "--loader", "qroam"])
    out, _ = capsys.readouterr()
    assert rc == 0
    data = json.loads(out)
    assert data["params"]["loader"] == "qroam"
    assert data["all_sets_found"] is True and data["within_bound"] is True
    with pytest.raises(SystemExit) as exc:  # argparse's choices check: exit 2, one line naming the flag
        main(["simulate", "grover-sparse", "--n", "8", "--d", "1", "--k", "2", "--loader", "assumed"])
    assert exc.value.code == 2
    assert "argument --loader: invalid choice: 'assumed'" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Issue 15 item 4: which export path, and the public function's docstring example
# ---------------------------------------------------------------------------------------------
def test_bloq_to_cirq_docstring_example_runs():
    """The example in ``bloq_to_cirq``'s docstring is executed (doctest), so it stays true."""
    import doctest

    from qattn_cirq import simulate

    tests = doctest.DocTestFinder().find(simulate.bloq_to_cirq, "bloq_to_cirq", globs=vars(simulate).copy())
    runner = doctest.DocTestRunner()
    for t in tests:
        runner.run(t)
    res = runner.summarize(verbose=False)
    assert res.attempted >= 10 and res.failed == 0


def test_qsim_refuses_qualtrans_export_and_runs_ours():
    """Why docs/simulation.md sends simulation through ``bloq_to_cirq``: Qualtran's own export of a
    bloq holding And-dagger has a classically controlled CZ that qsimcirq cannot parse, and
    (flattened) more qubits than QubitCount; ours runs on qsim at QubitCount width."""
    import qsimcirq
    from qualtran import QUInt
    from qualtran.bloqs.arithmetic import Add
    from qualtran.resource_counting import QubitCount, get_cost_value

    from qattn_cirq.simulate import register_probabilities

    bloq = Add(QUInt(6))
    theirs = cirq.Circuit(cirq.decompose(bloq.as_composite_bloq().to_cirq_circuit()))
    assert any(isinstance(op, cirq.ClassicallyControlledOperation) for op in theirs.all_operations())
    with pytest.raises(ValueError, match="unparseable op"):
        qsimcirq.QSimSimulator().simulate(theirs)
    c = bloq_to_cirq(bloq)
    assert c.width == get_cost_value(bloq, QubitCount()) == 17
    st = simulate_state(c, {"a": 45, "b": 30})
    assert int(register_probabilities(c, st, "b").argmax()) == (45 + 30) % 64


def test_wider_qroam_iterate_is_bounded_and_the_memory_guard_sees_the_real_width():
    """At n = 32 the deferred measurement keeps the QROAM's measured qubits live through the
    fix-up: the Grover iterate is wider than Qualtran's QubitCount (21 vs 17, measured), by at most
    K' + k - k'; the qrom iterate is not. The pipeline's memory guard refuses on the real width
    (17 qubits fit 8 MiB, 21 do not), before simulating anything."""
    from bloqs.grover import GroverIterate
    from qattn_cirq.errors import QattnInputError
    from qattn_cirq.pipelines import _oracle_factory, _quantized_problem

    n, d, bits = 32, 1, 2
    tau = default_tau(n)
    inst = planted_instance(n, d, 1, tau, 2 * tau, seed=0, bits=bits, fraction=True).instance
    fq, fk, t_int = _quantized_problem(inst, bits, tau)
    widths = {}
    for loader in ("qrom", "qroam"):
        oracle = _oracle_factory(n, d, bits, t_int, loader, fq.ints, fk.ints)(0)(())
        it = GroverIterate(oracle, n)
        widths[loader] = (bloq_to_cirq(it).width, int(get_cost_value(it, QubitCount())))
    assert widths["qrom"][0] == widths["qrom"][1]
    k, ku = oracle.row_loader.block_sizes_log
    w, qc = widths["qroam"]
    assert qc < w <= qc + 2**ku + k - ku
    with pytest.raises(QattnInputError, match=f"too wide to simulate: {w} qubits"):
        grover_sparse_attention(inst, k=1, bits=bits, loader="qroam", memory_limit=8 * 2**qc)
