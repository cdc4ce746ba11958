"""CLI tests for ``qattn estimate`` and ``qattn formula`` (grover-sparse)."""

import csv
import io
import json

import pytest
import sympy

from bloqs.loader_kinds import LOADER_KINDS
from qattn_cirq.cli import main


def _run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_estimate_json_shape(capsys):
    rc, out, err = _run(capsys, "estimate", "grover-sparse", "--n", "64", "--d", "4", "--k", "3", "--bits", "4")
    assert rc == 0, err
    data = json.loads(out)
    assert data["algorithm"] == "grover-sparse" and data["loader"] == "qrom"
    assert data["params"] == {"n": 64, "d": 4, "k": 3, "bits": 4, "tau": None, "tau_int": None}
    keys = {"t_count", "toffoli", "clifford", "rotations", "qubits"}
    assert keys <= set(data["logical"])
    assert all(isinstance(data["logical"][key], int) for key in keys)
    for comp in ("loader", "inner_product", "comparator", "diffusion"):
        assert keys <= set(data["components"][comp])
    assert data["details"]["oracle_calls"] > 0 and data["details"]["classical_flops"] > 0


def test_estimate_loaders_tau_and_formats(capsys):
    rc, out, _ = _run(
        capsys, "estimate", "grover-sparse", "--n", "64", "--d", "4", "--k", "3", "--bits", "4",
        "--loader", "assumed", "--tau", "0.25",
    )
    data = json.loads(out)
    assert rc == 0 and data["loader"] == "assumed" and "QRAM" in data["details"]["loader_assumption"]
    assert data["params"]["tau_int"] == 16  # 0.25 * 4^(b-1)
    rc, out, _ = _run(capsys, "estimate", "grover-sparse", "--n", "64", "--d", "4", "--k", "3", "--bits", "4", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rc == 0 and int(rows[0]["logical.t_count"]) > 0
    rc, out, _ = _run(capsys, "estimate", "grover-sparse", "--n", "64", "--d", "4", "--k", "3", "--bits", "4", "--format", "table")
    assert rc == 0 and "components.loader.t_count" in out


@pytest.mark.parametrize(
    "argv,param",
    [
        (["--n", "4", "--d", "1", "--k", "5", "--bits", "2"], "k"),
        (["--n", "1", "--d", "1", "--k", "1", "--bits", "2"], "n"),
        (["--n", "4", "--d", "0", "--k", "1", "--bits", "2"], "d"),
        (["--n", "4", "--d", "1", "--k", "1", "--bits", "1"], "bits"),
        (["--n", "16", "--d", "1", "--k", "1", "--bits", "3", "--tau", "0.1"], "tau"),
        (["--n", "16", "--d", "1", "--k", "1", "--bits", "3", "--tau", "1000"], "tau"),
        (["--d", "1", "--k", "1", "--bits", "3"], "n"),
    ],
)
def test_estimate_bad_input_one_line_exit_2(capsys, argv, param):
    rc, out, err = _run(capsys, "estimate", "grover-sparse", *argv)
    assert rc == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qattn estimate: error:")
    assert param in lines[0]


def test_unknown_algorithm_and_loader_exit_2(capsys):
    for argv in (["estimate", "nope", "--n", "4"], ["estimate", "grover-sparse", "--loader", "ram"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_formula_json_sympy_strings(capsys):
    allowed = {"n", "d", "k", "b"}
    for loader in LOADER_KINDS:
        rc, out, err = _run(capsys, "formula", "grover-sparse", "--loader", loader)
        assert rc == 0, err
        data = json.loads(out)
        for key in ("t_count", "qubits"):
            expr = sympy.sympify(data[key])
            assert expr.free_symbols and {s.name for s in expr.free_symbols} <= allowed
            assert {s.name for s in sympy.sympify(data["leading_terms"][key]).free_symbols} <= allowed


def test_formula_latex_and_text(capsys):
    rc, out, _ = _run(capsys, "formula", "grover-sparse", "--format", "latex")
    assert rc == 0 and out.startswith(r"\begin{align*}") and r"\sum_{m=1}^{k}" in out
    rc, out, _ = _run(capsys, "formula", "grover-sparse", "--format", "text", "--loader", "qroam")
    assert rc == 0 and "t_count = " in out and "leading term" in out
    # The formula's caveat (upper bound at even non-powers of two) is in every format, not only JSON.
    assert "exactness: " in out and "upper bound" in out
    rc, out, _ = _run(capsys, "formula", "grover-sparse", "--format", "latex")
    assert out.rstrip().splitlines()[-1].startswith("% exactness: ")


def test_help_explains(capsys):
    with pytest.raises(SystemExit):
        main(["estimate", "--help"])
    out = capsys.readouterr().out
    for word in ("grover-sparse", "qattention", "t_count", "components", "classical_flops"):
        assert word in out
    with pytest.raises(SystemExit):
        main(["estimate", "grover-sparse", "--help"])
    out = capsys.readouterr().out
    for word in ("--loader", "qroam", "assumed", "--tau", "--schedule", "--from-data"):
        assert word in out
    with pytest.raises(SystemExit):
        main(["formula", "--help"])
    assert "symbols" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["formula", "grover-sparse", "--help"])
    assert "latex" in capsys.readouterr().out


def test_formula_strings_evaluate_to_the_estimate(capsys):
    """The JSON sympy strings parse with plain sympify and give the estimate's numbers."""
    point = {"n": 64, "d": 4, "k": 3, "b": 4}
    # known count: the formula is exact at a power of two
    rc, out, _ = _run(capsys, "estimate", "grover-sparse", "--n", "64", "--d", "4", "--k", "3", "--bits", "4",
                      "--schedule", "known-count")
    est = json.loads(out)["logical"]
    rc, out, _ = _run(capsys, "formula", "grover-sparse", "--schedule", "known-count")
    data = json.loads(out)
    subs = {sympy.Symbol(name): v for name, v in point.items()}
    for key in ("t_count", "qubits", "toffoli", "rotations"):
        assert int(sympy.sympify(data[key]).subs(subs).doit()) == est[key], key
    # certified (the default): the formula is the proven upper bound of the estimate
    rc, out, _ = _run(capsys, "estimate", "grover-sparse", "--n", "64", "--d", "4", "--k", "3", "--bits", "4")
    est = json.loads(out)["logical"]
    rc, out, _ = _run(capsys, "formula", "grover-sparse")
    data = json.loads(out)
    assert "UPPER BOUND" in data["exactness"]
    assert float(sympy.sympify(data["t_count"]).subs(subs).doit()) >= est["t_count"]


def test_estimators_registry_accepts_another_algorithm(monkeypatch, capsys):
    """A new algorithm is one ESTIMATORS entry; shared flags such as --n are not re-declared."""
    from qattn_cirq.commands import estimate as est_cmd

    def add(p):
        g = p.add_argument_group("toy")
        g.add_argument("--n", type=int, help="shared with grover-sparse")
        g.add_argument("--eps", type=float, default=0.1, help="toy precision")

    toy = est_cmd.Estimator(help="toy", add_arguments=add, estimate=lambda a: {"algorithm": "toy", "n": a.n, "eps": a.eps})
    monkeypatch.setitem(est_cmd.ESTIMATORS, "toy", toy)
    rc, out, _ = _run(capsys, "estimate", "toy", "--n", "7", "--eps", "0.5")
    data = json.loads(out)  # in the one schema of every estimate, its own keys under details
    assert rc == 0 and tuple(data) == est_cmd.ENVELOPE and data["algorithm"] == "toy"
    assert data["details"] == {"n": 7, "eps": 0.5}


QATT = ("estimate", "qattention", "--n", "4096", "--d", "8", "--s-lambda", "4", "--alpha", "2", "--eps", "0.25",
        "--bits", "6")


def test_qattention_json_shows_the_row_query_as_classical(capsys):
    rc, out, err = _run(capsys, *QATT, "--format", "json")
    assert rc == 0, err
    data = json.loads(out)
    lg = {**data["logical_parts"], "total": data["logical"]}
    assert lg["row_query"]["t_count"] == 0 and lg["row_query"]["qubits"] == 0
    assert lg["total"]["qubits"] == lg["preprocess"]["qubits"]
    assert data["details"]["row_query_mode"] == "classical"
    f = 2 * 4 * 4 + 4 * 4 * 8 + 3 * 4 + 8
    classical = data["details"]["classical"]
    assert classical["row_query"]["flops"] == f and classical["row_query"]["time_s"] > 0
    row = data["ledger"][-1]
    assert (row["component"], row["kind"], row["calls"], row["flops"]) == ("row query x n", "classical", 4096, 4096 * f)
    assert row["t_total"] is None and row["seconds"] > 0
    assert sum(r["t_total"] for r in data["ledger"] if r["kind"] == "quantum") == lg["total"]["t_count"]
    # the reversible circuit is only an option, labelled as such
    rc, out, _ = _run(capsys, *QATT, "--row-query", "reversible", "--format", "json")
    rev = json.loads(out)
    assert rc == 0 and rev["logical_parts"]["row_query"]["t_count"] > 0
    assert "not the paper" in rev["details"]["cost_models"]["row_query"]
    # qattention flags are rejected for other algorithms (argparse: each algorithm has its own flags)
    with pytest.raises(SystemExit) as exc:
        main(["estimate", "grover-sparse", "--n", "64", "--d", "4", "--k", "3", "--bits", "4", "--row-query", "reversible"])
    assert exc.value.code == 2 and "--row-query" in capsys.readouterr().err
    rc, _, err = _run(capsys, *QATT, "--gpu", "tpu")
    assert rc == 2 and "gpu" in err and len(err.strip().splitlines()) == 1


def test_qattention_table_has_the_ledger_with_a_classical_row_query(capsys):
    rc, out, err = _run(capsys, *QATT, "--format", "table")
    assert rc == 0, err
    head, ledger = out.split("ledger (one row per component)")
    assert "logical_parts.row_query.t_count" in head and "details.classical.row_query.flops" in head
    lines = ledger.strip().splitlines()
    assert lines[0].split()[:3] == ["component", "kind", "calls"]
    row = next(line for line in lines if line.startswith("row query x n"))
    assert row.split()[4:6] == ["classical", "4096"]
    for comp in ("landmark sampling", "mean estimation", "V-row sampling"):
        assert next(line for line in lines if line.startswith(comp)).split()[len(comp.split())] == "quantum"
