"""CLI tests for ``qattn sweep`` (issue 13): ranges, lossless CSV / JSON, physical columns, refusals."""

import csv
import io
import json

import pytest

from qattn_cirq.cli import main
from qattn_cirq.commands.sweep import _range_values


def _run(capsys, *argv):
    try:
        rc = main(list(argv))
    except SystemExit as e:  # argparse's own refusals
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("text,as_int,want", [
    ("8", True, [8]),
    ("8,16,32", True, [8, 16, 32]),
    ("1000:5000:pow2", True, [1024, 2048, 4096]),
    ("8:64:lin:8", True, [8, 16, 24, 32, 40, 48, 56, 64]),
    ("1:3:lin:10", True, [1, 2, 3]),  # rounded, repeats dropped
    ("1024:1048576:geom:3", True, [1024, 32768, 1048576]),
    ("0.1:0.3:lin:3", False, [0.1, 0.2, 0.3]),
])
def test_range_syntax(text, as_int, want):
    assert _range_values(text, as_int) == want


@pytest.mark.parametrize("bad", ["8:4:lin:3", "1:8:cubic:3", "1:8:lin", "1:8:pow2:3", "x", "0:8:geom:3", "1:8:lin:0"])
def test_bad_ranges_refused_naming_the_flag(capsys, bad):
    rc, out, err = _run(capsys, "sweep", "grover-sparse", "--n", bad, "--d", "2", "--k", "1", "--bits", "4")
    assert rc == 2 and out == ""
    assert "argument --n" in err and "A:B:lin:N" in err and "Traceback" not in err


def test_csv_rows_equal_estimate_and_are_lossless(capsys):
    rc, out, err = _run(capsys, "sweep", "grover-sparse", "--n", "64,100", "--d", "4", "--k", "2,3", "--bits", "4",
                        "--loader", "qrom,assumed")
    assert rc == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 8 and "8 points" in err
    by = {(r["loader"], int(r["n"]), int(r["k"])): r for r in rows}
    assert by[("qrom", 64, 2)]["source"] == "compiled" and by[("qrom", 100, 2)]["source"] == "call graph"
    for (loader, n, k), row in by.items():
        rc, est, _ = _run(capsys, "estimate", "grover-sparse", "--n", str(n), "--d", "4", "--k", str(k), "--bits", "4",
                          "--loader", loader)
        logical = json.loads(est)["logical"]
        for key in ("t_count", "toffoli", "rotations", "measurements", "qubits"):
            assert int(row[key]) == logical[key], (loader, n, k, key)
        assert int(row["t"]) == logical["t_count"] - 4 * logical["toffoli"] - 11 * logical["rotations"]


def test_json_and_physical_columns(capsys):
    rc, out, err = _run(capsys, "sweep", "qattention", "--n", "1024:4096:pow2", "--d", "128", "--s-lambda", "64",
                        "--alpha", "8", "--eps", "0.1", "--bits", "8", "--model", "gidney-fowler", "--format", "json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["algorithm"] == "qattention" and data["points"] == 3 and data["model"] == "gidney-fowler"
    for row in data["rows"]:
        assert row["source"] == "compiled" and row["model"] == "gidney-fowler"
        assert row["feasible"] is False or (row["physical_qubits"] > row["qubits"] and row["runtime_s"] > 0)
    # CSV floats round-trip exactly
    rc, out, _ = _run(capsys, "sweep", "qattention", "--n", "1024", "--d", "128", "--s-lambda", "64",
                      "--alpha", "8", "--eps", "0.1", "--bits", "8", "--quiet")
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert float(row["classical_work_s"]) == data["rows"][0]["classical_work_s"]


def test_same_arguments_same_bytes(capsys):
    argv = ["sweep", "grover-sparse", "--n", "16,32", "--d", "2", "--k", "1", "--bits", "4", "--format", "json", "--quiet"]
    assert _run(capsys, *argv)[1] == _run(capsys, *argv)[1]


def test_bad_point_names_the_point(capsys):
    rc, out, err = _run(capsys, "sweep", "grover-sparse", "--n", "16", "--d", "2", "--k", "17", "--bits", "4")
    assert rc == 2 and out == ""
    assert "n=16" in err and "k=17" in err and "k must be <= n" in err


def test_too_many_points_refused_before_work(capsys):
    rc, _, err = _run(capsys, "sweep", "grover-sparse", "--n", "16:1048576:lin:1000", "--d", "1:1000:lin:1000",
                      "--k", "1,2", "--bits", "4")
    assert rc == 2 and "at most 1000000 points" in err


def test_bad_loader_list_refused(capsys):
    rc, _, err = _run(capsys, "sweep", "grover-sparse", "--n", "16", "--d", "2", "--k", "1", "--bits", "4",
                      "--loader", "qrom,bogus")
    assert rc == 2 and "argument --loader" in err and "qroam" in err
