r"""The executor seam: run independent simulation tasks serially or on Dask.

The long simulations are embarrassingly parallel: the per-query-row Grover searches of
:func:`qattn_cirq.pipelines.grover_sparse_attention` and the per-landmark amplitude-estimation
circuits of :func:`qattn_cirq.pipelines.simulate_qattention`. Both hand a list of tasks to
:meth:`Executor.map`, which returns their results *in task order*:

* :class:`SerialExecutor` (the default) runs them in this process, one after the other, and never
  imports Dask;
* :class:`DaskExecutor` submits them to ``dask.distributed`` (Rocklin, "Dask: Parallel Computation
  with Blocked algorithms and Task Scheduling", SciPy 2015; https://distributed.dask.org): either a
  ``LocalCluster`` of ``workers`` single-threaded worker processes started here, or an existing
  scheduler (``scheduler="tcp://HOST:8786"``, or ``$DASK_SCHEDULER_ADDRESS``).

Contract with the callers, which is what makes the outputs byte-identical between executors:

* a task is a module-level function of picklable inputs (small tuples of integers); bloqs and
  circuits are built on the worker, never pickled from the client;
* every random choice of task ``i`` comes from ``numpy.random.SeedSequence(seed).spawn(...)[i]``
  (:func:`task_seeds`), never from the order in which tasks complete;
* :attr:`Executor.task_threads` is the qsim thread count a task must use: ``None`` (qsim's default)
  serially, 1 on Dask (one thread per worker process, so N workers use N cores and no more).

A worker that dies mid-task is replaced by its nanny and the task is run again (Dask's
``retries=``; a task lost with its worker is also rescheduled by the scheduler itself); as the task
is a pure function of its inputs the result is the same. Ctrl-C (``KeyboardInterrupt``) cancels
every outstanding future and closes the client and the cluster before it propagates.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, List, Optional, Sequence

from qattn_cirq.errors import QattnInputError

#: Environment variable naming an existing Dask scheduler (Dask's own convention).
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
#: How long to wait for an existing scheduler before refusing the address.
CONNECT_TIMEOUT = "10s"
#: Times Dask runs a task again after a failure (a worker that died mid-task counts as one).
DEFAULT_RETRIES = 3

#: ``progress(done, total, elapsed_seconds)`` after each completed task.
Progress = Callable[[int, int, float], None]


def task_seeds(seed: int, count: int) -> List[int]:
    """``count`` independent 63-bit seeds, the i-th for task i, from ``SeedSequence(seed).spawn``.

    Spawned children are statistically independent streams (numpy's recommended way to seed
    parallel work, NEP 19); a plain int per child keeps task inputs small and printable. Task i's
    seed depends only on (seed, i), never on which worker runs it or when it finishes."""
    import numpy as np

    children = np.random.SeedSequence(int(seed)).spawn(int(count))
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


class Executor:
    """Runs ``fn(*args)`` for each ``args`` in a list; results in task order."""

    #: qsim threads per task (None = qsim's default).
    task_threads: Optional[int] = None
    name = "serial"

    def map(self, fn: Callable[..., Any], tasks: Sequence[tuple], progress: Optional[Progress] = None) -> list:
        raise NotImplementedError

    def describe(self) -> dict:
        return {"executor": self.name}

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SerialExecutor(Executor):
    """The default: every task in this process, in order (no Dask import)."""

    def map(self, fn, tasks, progress=None):
        out, t0 = [], time.perf_counter()
        for args in tasks:
            out.append(fn(*args))
            if progress is not None:
                progress(len(out), len(tasks), time.perf_counter() - t0)
        return out


#: Modules the fork server imports once, so each local worker starts as a fork with them loaded.
_PRELOAD = ("distributed", "qattn_cirq.pipelines")


def _use_forkserver() -> None:
    """Start local workers from a fork server that has already imported qualtran, cirq and qsim.

    Dask's default ``spawn`` makes every worker (and every restart after a crash) import them
    again: measured here, 22 s to start 2 workers on a loaded 2-core machine, against ~2 s to fork
    them once the server is up (it is started once per process and reused by later clusters).
    Plain ``fork`` is not used: the client's threads and a parent that already ran OpenMP (qsim)
    make forked children unsafe; the fork server is a fresh interpreter that has run nothing."""
    import dask
    from distributed.utils import get_mp_context

    dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})
    get_mp_context().set_forkserver_preload(list(_PRELOAD))


class DaskExecutor(Executor):
    """Tasks on ``dask.distributed``: a LocalCluster of ``workers`` processes, or ``scheduler``.

    ``workers`` worker processes with one thread each (``threads_per_worker=1``); qsim runs with
    one thread inside each (``task_threads = 1``, also ``$QATTN_SIM_THREADS=1`` in the workers'
    environment). ``scheduler`` connects to a running scheduler instead (its workers must have
    this package importable at the same version)."""

    task_threads = 1
    name = "dask"

    def __init__(self, workers: Optional[int] = None, scheduler: Optional[str] = None, retries: int = DEFAULT_RETRIES):
        from distributed import Client, LocalCluster  # optional extra: pip install -e '.[dask]'

        self.retries = int(retries)
        self.cluster = None
        if scheduler is not None:
            self.address = scheduler
            try:
                self.client = Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
                raise QattnInputError(
                    f"--scheduler / ${SCHEDULER_ENV}: cannot reach a Dask scheduler at {scheduler!r} "
                    f"within {CONNECT_TIMEOUT} ({type(exc).__name__})"
                ) from None
        else:
            _use_forkserver()
            env = {"QATTN_SIM_THREADS": "1", "OMP_NUM_THREADS": "1"}
            self.cluster = LocalCluster(
                n_workers=int(workers), threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=50, env=env,
            )
            self.address = self.cluster.scheduler_address
            self.client = Client(self.cluster)
        self.workers = workers

    def describe(self) -> dict:
        return {"executor": self.name, "workers": self.workers, "scheduler": None if self.cluster else self.address}

    def map(self, fn, tasks, progress=None):
        from distributed import as_completed

        if not tasks:
            return []
        keys = [f"{fn.__name__}-{os.getpid()}-{time.time_ns()}-{i}" for i in range(len(tasks))]
        t0 = time.perf_counter()
        futures = [
            self.client.submit(fn, *args, key=key, pure=False, retries=self.retries) for key, args in zip(keys, tasks)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        out: List[Any] = [None] * len(tasks)
        try:
            for done, fut in enumerate(as_completed(futures), 1):
                out[index[fut.key]] = fut.result()
                if progress is not None:
                    progress(done, len(tasks), time.perf_counter() - t0)
        except BaseException:
            self.client.cancel(futures)
            raise
        return out

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def make_executor(workers: Optional[int] = None, scheduler: Optional[str] = None, retries: int = DEFAULT_RETRIES) -> Executor:
    """``serial`` unless ``workers`` or ``scheduler`` (or ``$DASK_SCHEDULER_ADDRESS``) is given.

    ``workers=None`` and no scheduler: :class:`SerialExecutor` (Dask is not imported). An explicit
    ``workers`` wins over ``$DASK_SCHEDULER_ADDRESS`` (the CLI refuses ``--workers`` with
    ``--scheduler``)."""
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if workers is not None and (isinstance(workers, bool) or int(workers) != workers or workers < 1):
        raise QattnInputError(f"--workers must be an integer >= 1, got {workers!r}")
    if workers is None and scheduler is None:
        return SerialExecutor()
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise QattnInputError(
            "--workers/--scheduler need Dask: pip install -e '.[dask]' (dask[distributed])"
        ) from None
    return DaskExecutor(workers=workers, scheduler=None if workers is not None else scheduler, retries=retries)


__all__ = ["DEFAULT_RETRIES", "DaskExecutor", "Executor", "SCHEDULER_ENV", "SerialExecutor", "make_executor", "task_seeds"]
