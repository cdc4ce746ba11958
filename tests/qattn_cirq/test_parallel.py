"""The executor seam (``qattn_cirq.parallel``) and ``qattn simulate --workers/--scheduler``.

The multi-worker tests start real ``distributed.LocalCluster``s of worker processes. The first one
in a process pays the fork server's imports (~10-15 s on a loaded 2-core machine); later ones fork
from it in about a second, so the cheap cluster tests come after the first.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

import pytest

from qattn_cirq.cli import main
from qattn_cirq.parallel import SerialExecutor, make_executor, task_seeds

pytest.importorskip("distributed")  # the optional extra: pip install -e '.[dask]' (make test does)

N8 = ["simulate", "grover-sparse", "--n", "8", "--d", "2", "--k", "2", "--seed", "1"]


def _stdout(capsys, argv) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def test_task_seeds_depend_only_on_seed_and_index():
    a = task_seeds(7, 3)
    assert a == task_seeds(7, 12)[:3]  # spawn(k)[i] does not depend on k
    assert len(set(task_seeds(7, 50))) == 50
    assert task_seeds(8, 3) != a
    assert all(0 <= s < 2**63 for s in a)


def test_serial_is_the_default_and_maps_in_order():
    ex = make_executor()
    assert isinstance(ex, SerialExecutor) and ex.task_threads is None
    seen = []
    assert ex.map(pow, [(2, 3), (3, 2), (5, 0)], progress=lambda d, t, e: seen.append((d, t))) == [8, 9, 1]
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_same_seed_byte_identical_serial_and_two_workers(capsys):
    """Issue 17's "done when": serial and --workers 2 print the same bytes at n = 8 (timing
    aside), and the result is the right one (every planted set found). --workers 1: the slow test
    below."""
    serial = _stdout(capsys, N8 + ["--no-timing"])
    timed = json.loads(_stdout(capsys, N8))
    assert timed["timing"]["executor"] == "serial" and timed["timing"]["wall_seconds"] > 0
    timed.pop("timing")
    assert json.dumps(timed, indent=2) == serial.strip()  # timing is the only difference
    two = _stdout(capsys, N8 + ["--no-timing", "--workers", "2"])
    assert two == serial
    data = json.loads(serial)
    assert "timing" not in data and data["all_sets_found"] is True


@pytest.mark.slow
def test_workers_1_and_an_existing_scheduler_same_bytes_as_serial(capsys, monkeypatch):
    serial = _stdout(capsys, N8 + ["--no-timing"])
    assert _stdout(capsys, N8 + ["--no-timing", "--workers", "1"]) == serial
    with make_executor(workers=1) as cluster:  # stands in for `dask scheduler` + `dask worker`
        assert _stdout(capsys, N8 + ["--no-timing", "--scheduler", cluster.address]) == serial
        monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.address)
        timed = json.loads(_stdout(capsys, N8))
        assert timed["timing"]["executor"] == "dask" and timed["timing"]["scheduler"] == cluster.address


def test_ctrl_c_cancels_the_futures_and_closes_the_cluster():
    ex = make_executor(workers=1)
    try:
        def interrupt(done, total, elapsed):
            raise KeyboardInterrupt

        t0 = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            ex.map(time.sleep, [(0.01,), (30,), (30,)], progress=interrupt)
        assert time.perf_counter() - t0 < 20  # did not wait for the 30 s tasks
        deadline = time.time() + 10
        while any(ex.client.processing().values()) and time.time() < deadline:
            time.sleep(0.1)
        assert not any(ex.client.processing().values())  # nothing left running on the worker
    finally:
        ex.close()
    assert ex.cluster.status.name == "closed"


def _refused(capsys, argv) -> str:
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse's own usage errors exit 2 through SystemExit
        rc = exc.code
    out = capsys.readouterr()
    assert rc == 2 and out.out == "", out.err
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.err, out.err
    return lines[0]


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--workers", "0"], "--workers: must be an integer >= 1"),
        (["--workers", "x"], "--workers: must be an integer >= 1"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "either --workers N"),
        (["--max-seconds", "-1"], "--max-seconds"),
        (["--max-seconds", "0.001"], "raise --max-seconds"),
    ],
)
def test_bad_executor_and_budget_flags_refused_in_one_line(capsys, extra, needle):
    assert needle in _refused(capsys, N8 + extra)


def test_too_wide_or_too_long_refused_before_the_instance_is_built(capsys):
    """Issue 14: --n 4096 is refused by width, --n 1000000 too (it used to hang in the planted
    generator), both in seconds: the check needs only n, d and bits."""
    for n, needle in (("4096", "too wide to simulate: 85 qubits"), ("1000000", "too wide to simulate: 1057 qubits")):
        t0 = time.perf_counter()
        line = _refused(capsys, ["simulate", "grover-sparse", "--n", n, "--d", "2", "--k", "2"])
        assert needle in line and time.perf_counter() - t0 < 60
    # inside memory but over the time budget: the message names the flag to raise
    line = _refused(capsys, ["simulate", "grover-sparse", "--n", "16", "--d", "2", "--k", "2", "--max-seconds", "1e-6"])
    assert "one Grover iterate (20 qubits" in line and "--max-seconds" in line


def test_unreachable_scheduler_refused_in_one_line(capsys, monkeypatch):
    import qattn_cirq.parallel as parallel

    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", "1s")
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:1")
    line = _refused(capsys, ["simulate", "grover-sparse", "--n", "4", "--d", "1", "--k", "1"])
    assert "cannot reach a Dask scheduler at 'tcp://127.0.0.1:1'" in line


def test_max_seconds_default_is_the_budget_modules():
    from qattn_cirq.budget import DEFAULT_MAX_SECONDS
    from qattn_cirq.commands import simulate

    assert simulate.DEFAULT_MAX_SECONDS == DEFAULT_MAX_SECONDS


def test_predicted_iterates_follow_the_bbht_steps():
    from qattn_cirq.budget import predicted_iterates

    # n = 16: steps with t = 2, 1 left reach ceil(sqrt(8)) = 3 and ceil(sqrt(16)) = 4 iterates
    assert predicted_iterates(16, 2, [2]) == 3 + 4
    # a row with fewer than k items ends with a certification step at the cap sqrt(n) = 4
    assert predicted_iterates(16, 2, [1, 0]) == (4 + 4) + 4
    assert predicted_iterates(16, None, [2, 2]) == 2 * (3 + 4 + 4)


def test_csv_and_latex_formats(capsys):
    base = ["simulate", "grover-sparse", "--n", "4", "--d", "1", "--k", "1", "--no-timing"]
    csv_out = _stdout(capsys, base + ["--format", "csv"]).strip().splitlines()
    assert len(csv_out) == 2 and "all_sets_found" in csv_out[0].split(",") and "rows" in csv_out[0]
    latex = _stdout(capsys, base + ["--format", "latex"])
    assert latex.count(r"\begin{tabular}") == 2 and "stopped\\_by" in latex


def test_serial_run_never_imports_dask(capsys, monkeypatch):
    """With ``dask`` and ``distributed`` made unimportable (``sys.modules[name] = None`` makes
    ``import name`` raise ImportError), the serial CLI run still works; --workers says what to
    install."""
    for name in ("dask", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)
    argv = ["simulate", "grover-sparse", "--n", "4", "--d", "1", "--k", "1", "--no-timing"]
    assert json.loads(_stdout(capsys, argv))["all_sets_found"] is True
    assert "pip install -e '.[dask]'" in _refused(capsys, argv + ["--workers", "2"])


@pytest.mark.slow
def test_killed_worker_task_is_retried_and_the_result_is_unchanged():
    """Kill (SIGKILL) the worker process that is running a task of a 2-worker cluster: its nanny
    starts a new one, the scheduler runs the task again, and the output equals the serial run's."""
    from qattn_cirq.instance import planted_instance
    from qattn_cirq.pipelines import grover_sparse_attention
    from qattn_cirq.reference import default_tau

    tau = default_tau(8)
    inst = planted_instance(8, 2, 2, tau, 2 * tau, seed=1, bits=2, fraction=True).instance
    want = grover_sparse_attention(inst, k=2, bits=2, seed=1).as_dict()
    want.pop("timing")
    with make_executor(workers=2) as ex:
        pids = ex.client.run(os.getpid)
        killed = {}

        def killer():
            deadline = time.time() + 120
            while time.time() < deadline and not killed:
                for addr, keys in ex.client.processing().items():
                    if keys and any(k.startswith("search_row_group") for k in keys):
                        os.kill(pids[addr], signal.SIGKILL)  # mid-task: it has just started
                        killed[addr] = pids[addr]
                        return
                time.sleep(0.02)

        def lost_with_a_worker(dask_scheduler):
            # Dask marks a task "suspicious" each time a worker dies while it runs it
            return max((ts.suspicious for k, ts in dask_scheduler.tasks.items() if str(k).startswith("search_row_group")), default=0)

        suspicious = []

        def progress(done, total, elapsed):
            if done == total:  # the futures are still held: read the scheduler's record of them
                suspicious.append(ex.client.run_on_scheduler(lost_with_a_worker))

        t = threading.Thread(target=killer)
        t.start()
        got = grover_sparse_attention(inst, k=2, bits=2, seed=1, executor=ex, progress=progress).as_dict()
        t.join()
        assert killed, "no task was seen running"
        assert suspicious == [1]  # the killed task was running on the dead worker and ran again
        assert next(iter(killed.values())) not in ex.client.run(os.getpid).values()  # a new process
    got.pop("timing")
    assert json.dumps(got) == json.dumps(want)


@pytest.mark.slow
def test_n32_on_two_workers_recovers_every_planted_set():
    from qattn_cirq.instance import planted_instance
    from qattn_cirq.pipelines import grover_sparse_attention
    from qattn_cirq.reference import default_tau, large_sets

    tau = default_tau(32)
    planted = planted_instance(32, 2, 2, tau, 2 * tau, seed=3, bits=2, fraction=True)
    with make_executor(workers=2) as ex:
        res = grover_sparse_attention(planted.instance, k=2, bits=2, seed=3, executor=ex, max_seconds=3600)
    exact = large_sets(planted.instance, tau)
    assert [r.found for r in res.rows] == [tuple(int(v) for v in S) for S in exact]
    assert res.all_sets_found and res.within_bound is True
    assert res.executor["executor"] == "dask" and res.executor["workers"] == 2 and res.executor["tasks"] >= 2


@pytest.mark.slow
def test_qattention_serial_equals_two_workers(capsys):
    argv = ["simulate", "qattention", "--n", "4", "--d", "2", "--lam", "0.2", "--eps", "0.5", "--seed", "0", "--no-timing"]
    serial = _stdout(capsys, argv)
    assert _stdout(capsys, argv + ["--workers", "2"]) == serial
    assert json.loads(serial)["within_bound"] is True
