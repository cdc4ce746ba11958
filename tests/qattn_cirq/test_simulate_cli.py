"""Tests of ``qattn simulate grover-sparse`` (in-process through ``qattn_cirq.cli.main``)."""

from __future__ import annotations

import json

import numpy as np

from qattn_cirq.cli import main
from qattn_cirq.instance import AttentionInstance, planted_instance
from qattn_cirq.reference import default_tau, large_sets


def test_planted_run_prints_the_documented_json(capsys):
    rc = main(["simulate", "grover-sparse", "--n", "8", "--d", "2", "--k", "1", "--seed", "0", "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 0
    data = json.loads(out)
    for key in ("qubits", "rows", "all_sets_found", "oracle_calls", "max_abs_error", "bound", "within_bound"):
        assert key in data
    # the same planted instance the CLI builds (default tau = 2 ln n, eta = 2 tau)
    tau = default_tau(8)
    inst = planted_instance(8, 2, 1, tau, 2 * tau, seed=0, bits=2, fraction=True).instance
    exact = large_sets(inst, tau)
    assert [r["exact"] for r in data["rows"]] == [list(map(int, S)) for S in exact]
    assert data["all_sets_found"] is True
    assert [r["found"] for r in data["rows"]] == [r["exact"] for r in data["rows"]]
    assert data["within_bound"] is True and data["bound"] >= data["max_abs_error"]
    assert data["qubits"] == data["qubit_count"] == 19
    assert "qubits" in err  # progress on stderr, stdout stays JSON


def test_table_format(capsys):
    rc = main(["simulate", "grover-sparse", "--n", "4", "--d", "1", "--k", "1", "--format", "table"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "within_bound" in out and "stopped_by" in out


def test_input_file_not_good_says_bound_does_not_apply(tmp_path, capsys):
    rng = np.random.default_rng(1)
    inst = AttentionInstance(rng.uniform(-1, 1, (4, 1)), rng.uniform(-1, 1, (4, 1)), rng.normal(size=(4, 1)))
    path = inst.save_npz(tmp_path / "x.npz")
    rc = main(
        ["simulate", "grover-sparse", "--input", str(path), "--tau", "0.5", "--failure-probability", "0.5"]
    )
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert data["bound"] is None and data["within_bound"] is None
    assert "does not apply" in data["note"]
    assert [r["exact"] for r in data["rows"]] == [list(map(int, S)) for S in large_sets(inst, 0.5)]


def test_too_wide_is_one_line_exit_2(capsys):
    rc = main(["simulate", "grover-sparse", "--n", "64", "--d", "4", "--k", "2", "--bits", "4"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    # 47 = the oracle's peak with the measurement-based unload (no exclusion flag qubit any more)
    assert err[-1].startswith("qattn simulate: error: too wide to simulate: 47 qubits need 1.0 PiB")


def test_bad_input_exit_2(capsys):
    assert main(["simulate", "grover-sparse", "--n", "8", "--d", "2"]) == 2
    assert "--k required" in capsys.readouterr().err
    assert main(["simulate", "grover-sparse", "--n", "8", "--d", "2", "--k", "9"]) == 2
    assert "--k must be" in capsys.readouterr().err
    assert main(["simulate", "grover-sparse", "--n", "8", "--d", "2", "--k", "1", "--shots", "0"]) == 2
    assert "shots" in capsys.readouterr().err
    assert main(["simulate", "grover-sparse", "--n", "8", "--d", "2", "--k", "1", "--memory-limit", "1e6"]) == 2
    assert "19 qubits" in capsys.readouterr().err
