r"""Run-time budget of a qsim simulation, checked before anything large is built.

A state-vector simulation costs about ``gates x 2^qubits`` amplitude updates per circuit run; this
module turns that into seconds with a *measured* rate (:func:`measured_rate`: a short qsim run of a
calibration circuit on this machine, cached per process) and refuses a run whose prediction is over
``max_seconds`` (``qattn simulate --max-seconds``) or whose state vector is over the memory limit
(:func:`qattn_cirq.simulate.check_memory`), with one line naming the flag to raise.

Grover sparse attention is checked twice:

1. :func:`grover_precheck`, from ``n, d, bits`` alone (no instance, no data): the width and gate
   count of one Grover iterate of the worst-case oracle cost model
   (``ThresholdOracle(query=None, key_data=None)``, a call graph only, ~1 s even at n = 10^6). If
   that single iterate is already over the memory limit or the time budget, the run is refused
   before the (tau, k)-planted instance is generated (which itself takes minutes at n = 10^6).
2. :func:`predicted_grover_seconds`, once the instance is known: the Qualtran QubitCount of the
   real iterates and ``groups x sum_{t=1..k} min(ceil(sqrt(n/t)), ceil(sqrt(n)))`` iterates, one
   term per search step: BBHT (quant-ph/9605034 Thm 3) reaches ``m ~ sqrt(n/t)`` before it succeeds
   with t marked items left, and the pipeline simulates each oracle's iterates once up to the
   largest j drawn (``qattn_cirq.pipelines``, "simulation cost"). It is a prediction, not a
   bound; the progress lines show the real ETA once the run has started.
"""

from __future__ import annotations

import functools
import math
import time
from typing import Optional

from qattn_cirq.errors import QattnInputError

#: Default ``--max-seconds``: predicted simulation time above which a run is refused.
DEFAULT_MAX_SECONDS = 3600.0
#: Calibration circuit: qubits and CCX + CNOT + T layers (about 0.1 s on one core).
_CAL_QUBITS = 18
_CAL_LAYERS = 40


@functools.lru_cache(maxsize=4)
def measured_rate(threads: Optional[int] = 1) -> float:
    """qsim amplitude-gate updates per second on this machine: ``gates x 2^q / seconds`` of a
    random-free calibration circuit (H on all, then layers of CCX, CNOT and T over neighbouring
    qubits: the gate mix of the compiled oracles), best of two runs (the first pays start-up)."""
    import cirq
    import qsimcirq

    from qattn_cirq.simulate import default_threads

    qs = cirq.LineQubit.range(_CAL_QUBITS)
    ops = [cirq.H(q) for q in qs]
    for layer in range(_CAL_LAYERS):
        for i in range(layer % 3, _CAL_QUBITS - 2, 3):
            ops += [cirq.CCX(qs[i], qs[i + 1], qs[i + 2]), cirq.CNOT(qs[i + 2], qs[i]), cirq.T(qs[i + 1])]
    circuit = cirq.Circuit(ops)
    sim = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(cpu_threads=threads or default_threads(), max_fused_gate_size=3))
    best = math.inf
    for _ in range(2):
        t0 = time.perf_counter()
        sim.simulate(circuit, qubit_order=qs)
        best = min(best, time.perf_counter() - t0)
    return len(ops) * 2.0**_CAL_QUBITS / max(best, 1e-9)


def _gates(bloq) -> int:
    """Gates of ``bloq`` as qsim runs them: every T, Clifford, rotation, measurement, And / Toffoli
    (one CCX each) and CSWAP counts as one gate (Qualtran's ``QECGatesCost``)."""
    from qualtran.resource_counting import QECGatesCost, get_cost_value

    g = get_cost_value(bloq, QECGatesCost())
    return int(g.t + g.toffoli + g.cswap + g.and_bloq + g.clifford + g.rotation + g.measurement)


def _fmt_seconds(s: float) -> str:
    if s < 120:
        return f"{s:.3g} s"
    if s < 7200:
        return f"{s / 60:.3g} min"
    if s < 86400 * 365:
        return f"{s / 3600:.3g} h"
    return f"{s / (86400 * 365):.3g} years"


def check_seconds(predicted: float, max_seconds: float, what: str) -> None:
    """Refuse (one line, naming ``--max-seconds``) a run predicted to take over ``max_seconds``."""
    if predicted > max_seconds:
        raise QattnInputError(
            f"{what} is predicted to take {_fmt_seconds(predicted)} on qsim here, over --max-seconds "
            f"{max_seconds:g}; raise --max-seconds to run it anyway"
        )


def grover_precheck(n: int, d: int, bits: int, memory_limit: Optional[int], max_seconds: float) -> dict:
    """Step 1 of the module docstring: one worst-case Grover iterate must fit memory and time.

    Returns ``{"qubits", "gates_per_iterate", "seconds_per_iterate"}`` of that iterate."""
    from qualtran.resource_counting import QubitCount, get_cost_value

    from bloqs.grover import GroverIterate, ThresholdOracle
    from qattn_cirq.simulate import check_memory

    iterate = GroverIterate(ThresholdOracle(n=n, d=d, bits=bits, tau_int=0), n)
    qubits = int(get_cost_value(iterate, QubitCount()))
    check_memory(qubits, memory_limit)
    gates = _gates(iterate)
    per_iterate = gates * 2.0**qubits / measured_rate()
    check_seconds(per_iterate, max_seconds, f"one Grover iterate ({qubits} qubits, {gates} gates)")
    return {"qubits": qubits, "gates_per_iterate": gates, "seconds_per_iterate": per_iterate}


def qattention_precheck(n: int, bits: int, phase_bits: Optional[int], eps: float, memory_limit: Optional[int],
                        max_seconds: float) -> dict:
    """QAttention's check before the instance is drawn: the ridge-leverage sampler over 2n points
    (one amplification round, the fewest it can have) and the mean estimator over n values
    (``phase_bits``, default from ``eps``) as cost models must fit memory, and one run of each the
    time budget (each is simulated at least once)."""
    from qualtran.resource_counting import QubitCount, get_cost_value

    from bloqs.mean_estimation import UnivariateMeanEstimation, phase_bits_for_error
    from bloqs.sampling import ImportanceSampler
    from qattn_cirq.simulate import check_memory

    m = phase_bits if phase_bits is not None else phase_bits_for_error(eps)
    circuits = (ImportanceSampler(2 * n, bits, rounds=1), UnivariateMeanEstimation(n, bits, m))
    widths = [int(get_cost_value(c, QubitCount())) for c in circuits]
    check_memory(max(widths), memory_limit)
    seconds = sum(_gates(c) * 2.0**w for c, w in zip(circuits, widths)) / measured_rate()
    check_seconds(seconds, max_seconds, f"one landmark-sampler and one mean-estimation circuit ({max(widths)} qubits)")
    return {"qubits": max(widths), "seconds": seconds}


def predicted_iterates(n: int, k: Optional[int], set_sizes) -> int:
    """Iterates the pipeline is predicted to simulate (module docstring, step 2): per task (one
    distinct query row, whose marked set has ``size`` items) one term per search step, plus a
    certification step at the cap when the row can stop only by certification (``k`` unknown or
    more than the row's items)."""
    cap = math.ceil(math.sqrt(n))
    total = 0
    for size in set_sizes:
        total += sum(min(math.ceil(math.sqrt(n / t)), cap) for t in range(1, int(size) + 1))
        if k is None or size < k:
            total += cap
    return int(total)


def predicted_grover_seconds(n: int, d: int, bits: int, k: Optional[int], qubits: int, set_sizes) -> dict:
    """Predicted qsim seconds of the whole Grover-sparse run in one process (step 2): the real
    width ``qubits``, the worst-case model's gates per iterate, :func:`predicted_iterates`."""
    from bloqs.grover import GroverIterate, ThresholdOracle

    gates = _gates(GroverIterate(ThresholdOracle(n=n, d=d, bits=bits, tau_int=0), n))
    iterates = predicted_iterates(n, k, set_sizes)
    return {"iterates": iterates, "gates_per_iterate": gates, "qubits": qubits,
            "seconds": iterates * gates * 2.0**qubits / measured_rate()}


__all__ = [
    "DEFAULT_MAX_SECONDS",
    "check_seconds",
    "grover_precheck",
    "measured_rate",
    "predicted_grover_seconds",
    "predicted_iterates",
    "qattention_precheck",
]
