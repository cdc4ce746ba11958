"""qsim vs cirq.Simulator on our Grover oracle circuits, circuit width vs QubitCount, and the pipeline.

For each case ``n,d,bits,excl`` (a planted fraction-mode instance, row 0's ThresholdOracle excluding
``excl`` of its large entries, one ``GroverIterate``) it prints, from one run:

* ``width``: qubits of our circuit (:func:`qattn_cirq.simulate.bloq_to_cirq`, ancillas reused),
  ``qubit_count``: Qualtran's ``QubitCount`` of the bloq (they should be equal), and
  ``qualtran_default_width``: qubits of Qualtran's own export (``to_cirq_circuit`` then
  ``cirq.decompose`` with a fresh-qubit manager; it keeps the measurement-based And-dagger, which
  cirq simulates but qsim cannot);
* ``qsim_s`` and ``cirq_s``: wall time of one simulation of the same compiled circuit from
  ``uniform (x) |0...0>`` by ``qsimcirq.QSimSimulator`` (``max_fused_gate_size=3``, all cores) and by
  ``cirq.Simulator`` (complex64), their ratio ``cirq_over_qsim``, and the largest amplitude difference
  of the two final states;

then (unless ``--no-pipeline``) the wall time of the default-test pipeline run (planted n=8, d=2,
k=2, b=2, eta=6) with its error and bound.

Usage: ``python benchmarks/bench_qsim.py [--cases "8,2,2,1;16,2,2,1"] [--threads T]
[--repeat R] [--fused F] [--no-pipeline] [--format table|json]``. The default cases have 20 and 21 qubits.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from qattn_cirq.output import render


def _case(n, d, bits, excl, threads, repeat=3, fused=3):
    import cirq
    from qualtran._infra.gate_with_registers import get_named_qubits
    from qualtran.resource_counting import QubitCount, get_cost_value

    from bloqs.grover import GroverIterate, ThresholdOracle
    from qattn_cirq.instance import planted_instance, quantize
    from qattn_cirq.pipelines import integer_threshold
    from qattn_cirq.reference import default_tau, large_sets
    from qattn_cirq.simulate import bloq_to_cirq, default_threads, simulate_state

    tau = default_tau(n)
    k = max(1, excl + 1)
    inst = planted_instance(n, d, k, tau, 2 * tau, seed=0, bits=bits, fraction=True).instance
    fq, fk = quantize(inst.Q, bits), quantize(inst.K, bits)
    S = [int(j) for j in large_sets(inst, tau)[0]]
    oracle = ThresholdOracle(
        n=n, d=d, bits=bits, tau_int=integer_threshold(tau, inst.scale * fq.scale * fk.scale),
        loader="qrom", query=tuple(fq.ints[0]), key_data=fk.ints, excluded=tuple(S[:excl]),
    )
    it = GroverIterate(oracle, n)
    t0 = time.perf_counter()
    c = bloq_to_cirq(it)
    compile_s = time.perf_counter() - t0
    qc = int(get_cost_value(it, QubitCount()))

    cb = it.as_composite_bloq()
    default = cb.to_cirq_circuit(cirq_quregs=get_named_qubits(cb.signature.lefts()))
    flat = cirq.Circuit(cirq.decompose(default, context=cirq.DecompositionContext(cirq.SimpleQubitManager())))
    default_width = len(flat.all_qubits())

    L = (n - 1).bit_length()
    sel = np.zeros(2**L, dtype=np.complex64)
    sel[:n] = 1 / np.sqrt(n)
    init = np.kron(sel, np.eye(1, 2 ** (c.width - L), 0)[0]).astype(np.complex64)
    # Best of ``repeat`` alternating runs: the machine may be shared, the minimum is the least
    # disturbed measurement of each engine.
    qsim_s = cirq_s = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        a = simulate_state(c, initial_state=init, engine="qsim", threads=threads, max_fused_gate_size=fused)
        qsim_s = min(qsim_s, time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = simulate_state(c, initial_state=init, engine="cirq")
        cirq_s = min(cirq_s, time.perf_counter() - t0)
    return {
        "case": f"n={n} d={d} b={bits} excl={excl}",
        "width": c.width,
        "qubit_count": qc,
        "width_equals_qubit_count": c.width == qc,
        "qualtran_default_width": default_width,
        "gates": sum(1 for _ in c.circuit.all_operations()),
        "compile_s": round(compile_s, 3),
        "qsim_threads": threads or default_threads(),
        "qsim_fused": fused,
        "qsim_s": round(qsim_s, 3),
        "cirq_s": round(cirq_s, 3),
        "cirq_over_qsim": round(cirq_s / qsim_s, 2),
        "max_amp_diff": float(np.abs(a - b).max()),
    }


def _pipeline():
    from qattn_cirq.instance import planted_instance
    from qattn_cirq.pipelines import grover_sparse_attention
    from qattn_cirq.reference import default_tau

    n, d, k, bits = 8, 2, 2, 2
    planted = planted_instance(n, d, k, default_tau(n), 6.0, seed=0, bits=bits, fraction=True)
    t0 = time.perf_counter()
    res = grover_sparse_attention(planted.instance, k=k, bits=bits, seed=1)
    wall = time.perf_counter() - t0
    return {
        "case": f"pipeline n={n} d={d} k={k} b={bits} eta=6",
        "width": res.qubits,
        "qubit_count": res.qubit_count,
        "all_sets_found": res.all_sets_found,
        "oracle_calls": res.oracle_calls,
        "iterates_simulated": res.iterates_simulated,
        "max_abs_error": res.max_abs_error,
        "bound": res.bound,
        "within_bound": res.within_bound,
        "wall_s": round(wall, 2),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", default="8,2,2,1;16,2,2,1", help="n,d,bits,excl;... (default: 8,2,2,1;16,2,2,1)")
    p.add_argument("--threads", type=int, default=None, help="qsim threads (default: idle cores, see simulate.default_threads)")
    p.add_argument("--repeat", type=int, default=3, help="best of R alternating runs (default 3)")
    p.add_argument("--fused", type=int, default=3, help="qsim max_fused_gate_size (default 3)")
    p.add_argument("--no-pipeline", action="store_true", help="skip the n=8 pipeline run")
    p.add_argument("--format", choices=("table", "json"), default="table")
    args = p.parse_args(argv)
    rows = []
    for spec in args.cases.split(";"):
        n, d, bits, excl = (int(x) for x in spec.split(","))
        rows.append(_case(n, d, bits, excl, args.threads, args.repeat, args.fused))
    print(f"# cores: {os.cpu_count()}")
    print(render(rows, args.format))
    if not args.no_pipeline:
        print(render(_pipeline(), args.format))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
