"""Tests of the Grover sparse attention pipeline on qsim (arXiv 2307.08045 Lemma 3.3, Thm 5.2)."""

from __future__ import annotations


import numpy as np
import pytest
from qualtran.resource_counting import QubitCount, get_cost_value

from bloqs.grover import BBHTSchedule, GroverIterate, GroverSearch, ThresholdOracle, certification_rounds, grover_success_probability
from qattn_cirq.errors import QattnInputError
from qattn_cirq.instance import AttentionInstance, planted_instance, quantize
from qattn_cirq.pipelines import grover_sparse_attention, integer_threshold
from qattn_cirq.reference import default_tau, large_sets
from qattn_cirq.simulate import ancilla_weight, bloq_to_cirq, register_probabilities, simulate_state


def _oracle_for(inst, i, bits, tau, excluded=()):
    fq, fk = quantize(inst.Q, bits), quantize(inst.K, bits)
    t = integer_threshold(tau, inst.scale * fq.scale * fk.scale)
    return ThresholdOracle(
        n=inst.n, d=inst.d, bits=bits, tau_int=t, loader="qrom", query=tuple(fq.ints[i]),
        key_data=fk.ints, excluded=excluded,
    )


def test_integer_threshold_is_the_float_test():
    for tau, s in [(4.0, 0.25), (4.0 + 1e-12, 0.25), (1.0, 0.3), (-2.0, 0.5), (0.0, 0.125)]:
        t = integer_threshold(tau, s)
        assert s * t >= tau and not s * (t - 1) >= tau


@pytest.mark.parametrize("n,exclude_first", [(6, False), (8, True)])
def test_threshold_oracle_grover_law_on_qsim(n, exclude_first):
    # A planted instance with 2 large entries per row; the probability of the (remaining) marked
    # set after r iterates is sin^2((2r+1) theta), sin^2 theta = m/n, to 1e-5. With an excluded
    # (already found) index the oracle marks only the other one.
    tau = default_tau(n)
    inst = planted_instance(n, 1, 2, tau, 2 * tau, seed=3, bits=2, fraction=True).instance
    i = 0
    S = [int(j) for j in large_sets(inst, tau)[i]]
    assert len(S) == 2
    excluded = (S[0],) if exclude_first else ()
    marked = [j for j in S if j not in excluded]
    oracle = _oracle_for(inst, i, 2, tau, excluded)
    it = GroverIterate(oracle, n)
    for r in range(3):
        c = bloq_to_cirq(GroverSearch(it, r))
        assert c.width == get_cost_value(GroverSearch(it, r), QubitCount())
        st = simulate_state(c, seed=1)
        p = register_probabilities(c, st, "selection")
        assert abs(p[marked].sum() - grover_success_probability(n, len(marked), r)) < 1e-5
        assert ancilla_weight(c, st) < 1e-5


def test_oracle_circuit_qsim_equals_cirq_and_phases():
    tau = default_tau(4)
    inst = planted_instance(4, 1, 1, tau, 2 * tau, seed=0, bits=2, fraction=True).instance
    oracle = _oracle_for(inst, 1, 2, tau)
    c = bloq_to_cirq(oracle)
    L = 2
    rng = np.random.default_rng(5)
    psi = rng.normal(size=4) + 1j * rng.normal(size=4)
    psi /= np.linalg.norm(psi)
    init = np.kron(psi, np.eye(1, 2 ** (c.width - L), 0)[0])
    a = simulate_state(c, initial_state=init, engine="qsim")
    b = simulate_state(c, initial_state=init, engine="cirq")
    np.testing.assert_allclose(a, b, atol=1e-6)
    out = a.reshape(4, -1)
    assert np.abs(out[:, 1:]).max() < 1e-6  # every ancilla back in |0>
    sign = np.ones(4)
    sign[large_sets(inst, tau)[1]] = -1
    np.testing.assert_allclose(out[:, 0], sign * psi, atol=1e-6)


def test_planted_n8_d2_recovered_exactly_within_bound():
    n, d, k, bits = 8, 2, 2, 2
    tau = default_tau(n)
    planted = planted_instance(n, d, k, tau, 6.0, seed=0, bits=bits, fraction=True)
    res = grover_sparse_attention(planted.instance, k=k, bits=bits, seed=1)
    assert res.all_sets_found
    for row, S in zip(res.rows, planted.sets):
        assert row.found == tuple(int(j) for j in S) == row.exact
        assert row.stopped_by == "k_found"
    assert res.bound is not None and res.bound > 0  # a non-trivial bound (eta > 0)
    assert res.goodness["eta"] > 0
    assert 0 < res.max_abs_error <= res.bound and res.within_bound is True
    assert res.qubits == res.qubit_count  # circuit width == Qualtran QubitCount
    assert res.oracle_calls > 0 and res.classical_checks >= n * k
    d_out = res.as_dict()
    assert d_out["rows"][0]["found"] == sorted(d_out["rows"][0]["found"])
    assert d_out["note"] is None


def test_unknown_k_stops_by_certification_also_for_empty_rows():
    # Rows with one large entry and rows with none (planted k=0): with k unknown every row ends
    # with a search step that runs all its rounds without success (the certification).
    tau = default_tau(4)
    inst = planted_instance(4, 1, 1, tau, 2 * tau, seed=2, bits=2, fraction=True).instance
    empty = planted_instance(4, 1, 0, tau, 2 * tau, seed=2, bits=2, fraction=True).instance
    R = certification_rounds(4, 4, 0.2)
    sched = BBHTSchedule(4, capped_rounds=R)
    assert R >= 1 and sched.max_rounds >= R
    for case, n_large in ((inst, 1), (empty, 0)):
        res = grover_sparse_attention(case, k=None, bits=2, seed=3, failure_probability=0.2)
        assert res.all_sets_found
        assert res.params["capped_rounds"] == R
        for row in res.rows:
            assert len(row.found) == n_large
            assert row.stopped_by == "certified_none_left"
            # the last step ran every round of the schedule: at least max_rounds Grover runs
            assert row.grover_runs >= sched.max_rounds
            assert row.oracle_calls <= (n_large + 1) * sched.max_iterations


def test_pipeline_and_estimate_run_the_same_certified_algorithm():
    """The simulation's stopping rule is the schedule the estimate charges: with |S_i| = t the
    mean oracle calls over seeds match certified_find_all_costs' E(t) (exact expectation)."""
    from bloqs.grover import certified_find_all_costs

    tau = default_tau(8)
    inst = planted_instance(8, 1, 1, tau, 2 * tau, seed=2, bits=2, fraction=True).instance
    k = 2
    c = certified_find_all_costs(8, k, 0.5)
    calls = [r.oracle_calls for seed in range(12) for r in grover_sparse_attention(inst, k=k, bits=2, seed=seed, failure_probability=0.5).rows]
    # every row has t = 1 < k: one finding step and one certification step; E(1) <= the worst t's
    assert c["t"] in (0, 1, 2)
    sched = BBHTSchedule(8, capped_rounds=c["capped_rounds"])
    e1 = sched.expected(1)[0] + sched.expected(0)[0]
    assert abs(np.mean(calls) - e1) < 0.25 * e1
    assert e1 <= c["expected"] + 1e-9


def test_seeded_runs_repeat():
    tau = default_tau(4)
    inst = planted_instance(4, 1, 1, tau, 2 * tau, seed=2, bits=2, fraction=True).instance
    a = grover_sparse_attention(inst, k=1, bits=2, seed=9).as_dict()
    b = grover_sparse_attention(inst, k=1, bits=2, seed=9).as_dict()
    for key in ("rows", "oracle_calls", "classical_checks", "max_abs_error"):
        assert a[key] == b[key]
    assert a["qubits"] == a["qubit_count"]


def test_not_good_runs_anyway_and_says_the_bound_does_not_apply():
    tau = default_tau(4)
    planted = planted_instance(4, 1, 2, tau, 2 * tau, seed=2, bits=2, fraction=True)
    # k = 1 < |S_i| = 2: the search stops after one item per row, the bound is not claimed.
    res = grover_sparse_attention(planted.instance, k=1, bits=2, seed=0)
    assert res.bound is None and res.within_bound is None
    assert "not (tau, k)-good" in res.note and "2 > k=1" in res.note
    assert not res.all_sets_found and all(len(r.found) == 1 for r in res.rows)
    # positive small scores: conditions fail
    rng = np.random.default_rng(0)
    inst = AttentionInstance(rng.uniform(-1, 1, (4, 1)), rng.uniform(-1, 1, (4, 1)), rng.normal(size=(4, 1)))
    res = grover_sparse_attention(inst, k=None, tau=0.5, bits=2, seed=0, failure_probability=0.5)
    assert res.bound is None and "outside [-eta, 0]" in res.note


def test_too_wide_and_bad_input():
    tau = default_tau(8)
    inst = planted_instance(8, 2, 1, tau, 2 * tau, seed=0, bits=2, fraction=True).instance
    with pytest.raises(QattnInputError, match=r"too wide to simulate: 19 qubits need 4\.0 MiB"):
        grover_sparse_attention(inst, k=1, bits=2, memory_limit=2**20)
    with pytest.raises(QattnInputError, match="loader"):
        grover_sparse_attention(inst, k=1, bits=2, loader="assumed")
    with pytest.raises(QattnInputError, match="shots"):
        grover_sparse_attention(inst, k=1, bits=2, shots=0)
    with pytest.raises(QattnInputError, match="k must be"):
        grover_sparse_attention(inst, k=9, bits=2)


@pytest.mark.slow
def test_planted_n16_d2_recovered_exactly_within_bound():
    n, d, k, bits = 16, 2, 2, 2
    tau = default_tau(n)
    planted = planted_instance(n, d, k, tau, 2 * tau, seed=4, bits=bits, fraction=True)
    res = grover_sparse_attention(planted.instance, k=k, bits=bits, seed=2)
    assert res.all_sets_found
    assert res.within_bound is True
    assert res.qubits == res.qubit_count


def test_iterate_that_leaves_an_ancilla_dirty_is_caught():
    # A "phase oracle" that copies a selection bit into an ancilla and frees it without
    # uncomputing: the pipeline's per-iterate check must refuse its state.
    from functools import cached_property

    import attrs
    from qualtran import Bloq, BQUInt, QBit, Register, Signature
    from qualtran.bloqs.basic_gates import CNOT

    from qattn_cirq.pipelines import _Runner

    @attrs.frozen
    class Leaky(Bloq):
        n: int = 4

        @cached_property
        def signature(self):
            return Signature([Register("selection", BQUInt(2, 4))])

        def build_composite_bloq(self, bb, selection):
            a = bb.allocate(dtype=QBit())
            qs = bb.split(selection)
            qs[1], a = bb.add(CNOT(), ctrl=qs[1], target=a)
            bb.free(a)
            return {"selection": bb.join(qs, dtype=BQUInt(2, 4))}

    runner = _Runner(4, seed=0, memory_limit=None, engine="qsim")
    with pytest.raises(RuntimeError, match="not returned to"):
        runner.states(Leaky()).probabilities(1)
