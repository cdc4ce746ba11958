"""Three independent ways to count a bloq's T gates, and a check that they agree.

The project's rule: a bloq's cost comes from its decomposition or from a call graph
that a test checks against the decomposition. This module gives tests the three counts:

1. ``call_graph_t_count``: Qualtran's ``QECGatesCost`` over the bloq's ``build_call_graph``
   (what the estimators report, symbolic-capable);
2. ``flattened_gate_counts``: the bloq's ``build_composite_bloq`` flattened all the way down, and
   the costs of the leaves summed (independent of every ``build_call_graph`` above the leaves);
3. ``cirq_t_count``: the Cirq circuit of the bloq decomposed down to Clifford + T + Toffoli-class
   gates, T gates counted.

Convention for all three: T and T-dagger count 1; And, Toffoli (CCX / CCZ) and CSWAP count 4 (the
standard 4-T constructions); And-dagger counts 0 (measurement-based uncompute, Gidney
arXiv:1709.06648); a non-Clifford single-qubit rotation counts ``TS_PER_ROTATION``.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional

import cirq
from qualtran import Bloq, BloqInstance, CompositeBloq, DecomposeNotImplementedError, DecomposeTypeError
from qualtran.bloqs.basic_gates import TGate, Toffoli, TwoBitCSwap
from qualtran.bloqs.mcmt import And
from qualtran.cirq_interop import BloqAsCirqGate
from qualtran.resource_counting import GateCounts, QECGatesCost, get_cost_value

from estimates.counts import TS_PER_ROTATION, TS_PER_TOFFOLI


def _total_t(gc: GateCounts):
    return gc.total_t_count(
        ts_per_toffoli=TS_PER_TOFFOLI,
        ts_per_cswap=TS_PER_TOFFOLI,
        ts_per_and_bloq=TS_PER_TOFFOLI,
        ts_per_rotation=TS_PER_ROTATION,
    )


def call_graph_t_count(bloq: Bloq):
    """T-count from the bloq's call graph (``QECGatesCost``)."""
    return _total_t(get_cost_value(bloq, QECGatesCost()))


def _decomposes(binst: BloqInstance) -> bool:
    try:
        binst.bloq.decompose_bloq()
    except (DecomposeTypeError, DecomposeNotImplementedError):
        return False
    return True


def flatten_fully(bloq: Bloq, max_depth: int = 1000) -> CompositeBloq:
    """The bloq's decomposition, recursively flattened until no instance decomposes further."""
    return bloq.decompose_bloq().flatten(pred=_decomposes, max_depth=max_depth)


def flattened_gate_counts(bloq: Bloq) -> GateCounts:
    """Sum of the leaf costs of the fully flattened decomposition."""
    total = GateCounts()
    for binst in flatten_fully(bloq).bloq_instances:
        total = total + get_cost_value(binst.bloq, QECGatesCost())
    return total


def flattened_t_count(bloq: Bloq):
    return _total_t(flattened_gate_counts(bloq))


def _t_of_cirq_op(op: cirq.Operation) -> Optional[int]:
    """T-count of a primitive Cirq operation, or None if it should be decomposed further."""
    gate = op.gate
    if isinstance(op, cirq.ClassicallyControlledOperation):
        return _t_of_cirq_op(op.without_classical_controls())
    if cirq.is_measurement(op) or isinstance(gate, (cirq.ResetChannel,)):
        return 0
    if isinstance(gate, And):
        return 0 if gate.uncompute else TS_PER_TOFFOLI
    if isinstance(gate, BloqAsCirqGate) and isinstance(gate.bloq, (TwoBitCSwap, Toffoli)):
        # Qualtran's primitive CSWAP / Toffoli bloqs have no Cirq decomposition of their own.
        return TS_PER_TOFFOLI
    if gate in (cirq.CCX, cirq.CCZ, cirq.CSWAP) or isinstance(gate, (cirq.CCXPowGate, cirq.CCZPowGate)) and abs(gate.exponent) == 1:
        return TS_PER_TOFFOLI
    if gate in (cirq.T, cirq.T**-1):
        return 1
    if gate is not None and cirq.num_qubits(op) <= 2 and cirq.has_stabilizer_effect(op):
        return 0
    if isinstance(gate, cirq.GlobalPhaseGate):
        return 0
    if isinstance(gate, (cirq.ZPowGate, cirq.XPowGate, cirq.YPowGate, cirq.Rz, cirq.Rx, cirq.Ry)) and cirq.num_qubits(op) == 1:
        return TS_PER_ROTATION
    return None


def cirq_t_count(bloq: Bloq, context: Optional[cirq.DecompositionContext] = None) -> int:
    """T-count of the bloq's Cirq circuit decomposed to Clifford + T + Toffoli-class gates."""
    cbloq = bloq.as_composite_bloq()
    circuit = cbloq.to_cirq_circuit()
    counts: Dict[str, int] = {"t": 0}
    stuck = []

    def keep(op: cirq.Operation) -> bool:
        return _t_of_cirq_op(op) is not None

    for op in cirq.decompose(circuit, keep=keep, on_stuck_raise=None, context=context):
        t = _t_of_cirq_op(op)
        if t is None:
            stuck.append(op)
        else:
            counts["t"] += t
    if stuck:
        raise ValueError(
            f"{bloq}: {len(stuck)} Cirq operations could not be decomposed to Clifford+T, e.g. {stuck[0]!r}"
        )
    return counts["t"]


def assert_costs_consistent(bloq: Bloq, check_cirq: bool = True) -> int:
    """Assert call-graph T-count == flattened-decomposition T-count (== Cirq T-count).

    Returns the common T-count so tests can also compare it with a closed form.
    """
    from_graph = call_graph_t_count(bloq)
    from_flat = flattened_t_count(bloq)
    assert from_graph == from_flat, f"{bloq}: call graph T={from_graph} != flattened decomposition T={from_flat}"
    if check_cirq:
        from_cirq = cirq_t_count(bloq)
        assert from_graph == from_cirq, f"{bloq}: call graph T={from_graph} != Cirq circuit T={from_cirq}"
    return from_graph
