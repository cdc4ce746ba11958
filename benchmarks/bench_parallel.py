"""Wall time of the Grover-sparse qsim simulation, serial vs a local Dask cluster (issue 17).

Runs :func:`qattn_cirq.pipelines.grover_sparse_attention` on the planted instance of
``qattn simulate grover-sparse --n N --d D --k K --seed S`` (bits 2, default tau and eta) once in
this process (:class:`qattn_cirq.parallel.SerialExecutor`) and once on ``--workers W``
single-threaded worker processes (:class:`qattn_cirq.parallel.DaskExecutor`), checks that the two
results are equal (timing aside), and prints, from that one run:

* ``serial_s``: the serial run's wall time;
* ``cluster_start_s``: starting the cluster (the fork server's imports, paid once per process);
* ``parallel_s``: the run on the cluster once it is up;
* ``ratio`` = serial_s / parallel_s, and ``ratio_with_start`` = serial_s / (cluster_start_s +
  parallel_s): what a one-off ``qattn simulate --workers W`` gains;
* ``serial_again_s``, ``parallel_again_s``, ``ratio_again``: a second run of each (warm caches
  in this process and in the workers);
* ``tasks``: independent tasks (one per distinct quantized query row): more workers than tasks
  cannot help.

With ``--report``, also the default ``qattn report`` (real-model section left out, formula cache
warm) built in this process, serially and with its per-(algorithm, loader) sweeps on the same
cluster: ``report_serial_s``, ``report_parallel_s``, ``report_ratio``, ``report_same``.

On a shared machine the numbers are noisy: quote one run and the machine's load with them.

Usage: ``python benchmarks/bench_parallel.py [--n 16] [--d 2] [--k 2] [--seed 1] [--workers 2]
[--format table|json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from qattn_cirq.output import render


def _instance(n, d, k, seed):
    from qattn_cirq.instance import planted_instance
    from qattn_cirq.reference import default_tau

    tau = default_tau(n)
    return planted_instance(n, d, k, tau, 2 * tau, seed=seed, bits=2, fraction=True).instance


def measure(n: int, d: int, k: int, seed: int, workers: int) -> dict:
    from qattn_cirq.parallel import make_executor
    from qattn_cirq.pipelines import grover_sparse_attention

    inst = _instance(n, d, k, seed)

    def timed(**kw):
        t0 = time.perf_counter()
        out = grover_sparse_attention(inst, k=k, bits=2, seed=seed, **kw).as_dict()
        return out, time.perf_counter() - t0

    serial, serial_s = timed()
    _, serial_again_s = timed()
    t0 = time.perf_counter()
    with make_executor(workers=workers) as ex:
        start_s = time.perf_counter() - t0
        par, par_s = timed(executor=ex)
        _, par_again_s = timed(executor=ex)
    tasks = par["timing"]["tasks"]
    serial.pop("timing")
    par.pop("timing")
    return {
        "n": n, "d": d, "k": k, "seed": seed, "workers": workers, "tasks": tasks,
        "serial_s": round(serial_s, 2), "cluster_start_s": round(start_s, 2), "parallel_s": round(par_s, 2),
        "ratio": round(serial_s / par_s, 2), "ratio_with_start": round(serial_s / (start_s + par_s), 2),
        "serial_again_s": round(serial_again_s, 2), "parallel_again_s": round(par_again_s, 2),
        "ratio_again": round(serial_again_s / par_again_s, 2),
        "same_result": json.dumps(serial) == json.dumps(par), "all_sets_found": par["all_sets_found"],
        "load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
    }


def measure_report(workers: int) -> dict:
    """The default report's sections serially and fanned out on ``workers`` (cluster start apart)."""
    from estimates.report import ReportConfig, build_report
    from qattn_cirq.parallel import make_executor

    cfg = ReportConfig.from_dict({"real_model": None})
    build_report(cfg)  # warms the formula cache and this process's memos, as a second run would be
    t0 = time.perf_counter()
    serial = build_report(cfg)
    serial_s = time.perf_counter() - t0
    with make_executor(workers=workers) as ex:
        ex.map(abs, [(1,)] * workers)  # the workers are up and have imported the task's modules
        t0 = time.perf_counter()
        par = build_report(cfg, executor=ex)
        par_s = time.perf_counter() - t0
    same = json.dumps(serial, sort_keys=True, default=str) == json.dumps(par, sort_keys=True, default=str)
    return {"report_serial_s": round(serial_s, 2), "report_parallel_s": round(par_s, 2),
            "report_ratio": round(serial_s / par_s, 2), "report_same": same}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--d", type=int, default=2)
    p.add_argument("--k", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--report", action="store_true", help="also time the default report's sweeps (minutes)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    args = p.parse_args(argv)
    out = measure(args.n, args.d, args.k, args.seed, args.workers)
    if args.report:
        out.update(measure_report(args.workers))
    print(render(out, args.format))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
