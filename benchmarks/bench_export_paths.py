"""Which bloq -> Cirq path for qsim: Qualtran's ``to_cirq_circuit`` or ``qattn_cirq.simulate.bloq_to_cirq``.

For every concrete ``@bloq_example`` of the project's ``bloqs`` package (and a few Qualtran bloqs),
from one run, it prints:

* ``qubit_count``: Qualtran's ``QubitCount`` (the greedy-sweep peak width);
* ``ours``: qubits of :func:`qattn_cirq.simulate.bloq_to_cirq` (ancillas reused; And-dagger as
  CCX; measurement-based uncomputes as their ``coherent_equivalent``), its gate count, compile time,
  and ``ours_on_qsim``: ``ok`` when ``qsimcirq`` translates the circuit (and, at <= 20 qubits, runs
  it from |0...0> with every ancilla back in |0>);
* ``qualtran``: qubits of ``bloq.as_composite_bloq().to_cirq_circuit()`` as returned, and
  ``qualtran_flat`` after ``cirq.decompose`` to gates (fresh qubits from a ``SimpleQubitManager``,
  as ``bench_qsim.py``), with its ``classical_controls`` (classically controlled ops: Qualtran's
  And-dagger, the QROAM fix-ups) and ``measurements``;
* ``qualtran_on_qsim``: ``ok`` or the first words of qsimcirq's error on the flattened circuit
  (translation only: a 164-qubit state vector is never allocated).

Usage: ``python benchmarks/bench_export_paths.py [--only NAME,...] [--format table|json]``.
Measured figures are quoted in docs/simulation.md ("Which path").
"""

from __future__ import annotations

import argparse
import importlib
import time

from qattn_cirq.output import render

#: the modules of ``bloqs`` that hold ``@bloq_example``s
MODULES = ("loaders", "qroam", "arithmetic", "grover", "amplification", "kernel", "mean_estimation",
           "nystrom", "sampling", "attention", "qattention")


def _examples(only):
    """(name, bloq) for every concrete example of ``bloqs`` (symbolic registers skipped), then a
    few Qualtran bloqs with And / And-dagger."""
    import attrs
    from qualtran import BloqExample, QUInt
    from qualtran.bloqs.arithmetic import Add, LessThanEqual

    from bloqs.grover import GroverIterate, _threshold_oracle

    out = []
    for m in MODULES:
        for ex in vars(importlib.import_module(f"bloqs.{m}")).values():
            if isinstance(ex, BloqExample):
                bloq = ex.make()
                if not any(reg.is_symbolic() for reg in bloq.signature) and _decomposes(bloq):
                    out.append((ex.name, bloq))
    # The example oracle with the select-swap QROAM loader (measurement-based uncompute inside).
    oracle = attrs.evolve(_threshold_oracle.make(), loader="qroam")
    out += [("threshold_oracle, loader=qroam", oracle), ("grover_iterate, loader=qroam", GroverIterate(oracle, oracle.n))]
    out += [("qualtran Add(QUInt(6))", Add(QUInt(6))), ("qualtran LessThanEqual(3, 3)", LessThanEqual(3, 3))]
    return [(n, b) for n, b in out if not only or n in only]


def _decomposes(bloq) -> bool:
    """False for a cost-only example or a top-level bloq that is not one circuit (classical
    feedback between runs): neither path has a circuit to export."""
    from qualtran import DecomposeNotImplementedError, DecomposeTypeError

    try:
        bloq.decompose_bloq()
    except (DecomposeNotImplementedError, DecomposeTypeError, NotImplementedError):
        return False
    return True


def _legal_input(bloq):
    """Register values the bloq is defined on: |0...0> except for a measurement-based uncompute,
    whose registers must hold the looked-up data (``register_contents(selection)``)."""
    if hasattr(bloq, "register_contents"):
        return {"selection": 0, "regs": bloq.register_contents(0)}
    return None


def _qsim_verdict(circuit, run: bool) -> str:
    import qsimcirq

    try:
        qsimcirq.QSimCircuit(circuit).translate_cirq_to_qsim()
        if run:
            qsimcirq.QSimSimulator().simulate(circuit, initial_state=0)
    except Exception as exc:  # qsimcirq raises ValueError / TypeError with free text
        if "ClassicallyControlled" in str(exc) or "with_classical_controls" in str(exc):
            return "refused: classically controlled op"
        return f"refused: {str(exc)[:60]}"
    return "ok"


def _ours(bloq):
    from qattn_cirq.simulate import ancilla_weight, bloq_to_cirq, simulate_state

    t0 = time.perf_counter()
    try:
        c = bloq_to_cirq(bloq)
    except Exception as exc:  # the top-level bloqs that are not one circuit
        return {"ours": f"{type(exc).__name__}"}
    row = {"ours": c.width, "ours_gates": sum(1 for _ in c.circuit.all_operations()),
           "ours_compile_s": round(time.perf_counter() - t0, 2)}
    verdict = _qsim_verdict(c.circuit, run=False)
    if verdict == "ok" and c.width <= 20:
        st = simulate_state(c, _legal_input(bloq))
        verdict = "ok (ran, ancillas clean)" if ancilla_weight(c, st) < 1e-5 else "ran, ANCILLA LEFT DIRTY"
    row["ours_on_qsim"] = verdict
    return row


def _qualtran(bloq):
    import cirq

    try:
        raw = bloq.as_composite_bloq().to_cirq_circuit()
        flat = cirq.Circuit(cirq.decompose(raw, context=cirq.DecompositionContext(cirq.SimpleQubitManager())))
    except Exception as exc:
        return {"qualtran": f"{type(exc).__name__}: {str(exc)[:40]}"}
    ops = list(flat.all_operations())
    return {
        "qualtran": len(raw.all_qubits()),
        "qualtran_flat": len(flat.all_qubits()),
        "classical_controls": sum(isinstance(op, cirq.ClassicallyControlledOperation) for op in ops),
        "measurements": sum(cirq.is_measurement(op) for op in ops),
        "qualtran_on_qsim": _qsim_verdict(flat, run=False),
    }


def _row(name, bloq):
    from qualtran.resource_counting import QubitCount, get_cost_value

    try:
        qc = int(get_cost_value(bloq, QubitCount()))
    except Exception as exc:
        qc = type(exc).__name__
    return {"bloq": name, "qubit_count": qc, **_ours(bloq), **_qualtran(bloq)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="", help="comma-separated example names (default: all)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    args = p.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    rows = [_row(name, bloq) for name, bloq in _examples(only)]
    print(render(rows, args.format))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
