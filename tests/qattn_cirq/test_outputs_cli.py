"""Issue 14, outputs: every output lossless and chainable (one test per case; each failed on the
main of 2026-12-02, c66a6d3).

Estimates here are small (n = 64, d = 4) except the README example, which is run as written."""

import csv
import io
import json
import math
import os
import re
from pathlib import Path

import pytest

from qattn_cirq.cli import main

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

ROOT = Path(__file__).resolve().parents[2]
GS = ["estimate", "grover-sparse", "--n", "64", "--d", "4", "--k", "3", "--bits", "4"]
QA = ["estimate", "qattention", "--n", "4096", "--d", "8", "--s-lambda", "4", "--alpha", "2", "--eps", "0.25",
      "--bits", "6"]
LS = ["estimate", "leverage-sampling", "--n", "1024", "--d", "64", "--alpha", "4", "--bits", "8"]
ME = ["estimate", "mean-estimation", "--n", "64", "--d", "4", "--bits", "4", "--eps", "0.1"]
RAW = ("t", "toffoli", "rotations", "measurements", "qubits")


def _json(capsys, argv):
    rc = main(list(argv))
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    return json.loads(cap.out)


def _refused(capsys, argv) -> str:
    try:
        rc = main(list(argv))
    except SystemExit as exc:  # argparse's own refusals
        rc = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


@pytest.fixture(scope="module")
def estimates():
    """One JSON per algorithm (the CLI, in process), shared by the schema and chaining tests."""
    out = {}
    for argv in (GS, QA, LS, ME):
        buf = io.StringIO()
        from contextlib import redirect_stdout

        with redirect_stdout(buf):
            assert main(argv) == 0
        out[argv[1]] = json.loads(buf.getvalue())
    return out


# -- the T-count trap ---------------------------------------------------------------------------

def test_estimate_logical_carries_the_raw_fields_physical_takes(estimates):
    for name, data in estimates.items():
        lg = data["logical"]
        assert set(RAW) <= set(lg), name
        assert all(isinstance(lg[k], int) and lg[k] >= 0 for k in RAW), (name, lg)
        assert lg["t_count"] == lg["t"] + 4 * lg["toffoli"] + 11 * lg["rotations"], name


def _physical_by_hand(capsys, lg, *extra):
    argv = ["physical", "--qubits", str(lg["qubits"]), "--t-count", str(lg["t"]), "--toffoli", str(lg["toffoli"]),
            "--rotations", str(lg["rotations"]), "--measurements", str(lg["measurements"]), *extra]
    return _json(capsys, argv)


@pytest.mark.parametrize("algorithm", ["grover-sparse", "qattention"])
def test_physical_from_estimate_equals_the_raw_fields_by_hand(estimates, algorithm, tmp_path, capsys, monkeypatch):
    est = estimates[algorithm]
    path = tmp_path / "est.json"
    path.write_text(json.dumps(est))
    for model in ("ms", "gidney-fowler"):
        extra = ["--model", model, "--error-budget", "0.1"]
        chained = _json(capsys, ["physical", "--from", str(path), *extra])
        by_hand = _physical_by_hand(capsys, est["logical"], *extra)
        assert chained["input"]["source"] == str(path) and chained["input"]["algorithm"] == algorithm
        assert by_hand["input"]["source"] == "flags"
        strip = lambda d: {k: v for k, v in d.items() if k != "input"}  # noqa: E731
        assert strip(chained) == strip(by_hand)
        assert {k: chained["input"][k] for k in RAW} == {k: est["logical"][k] for k in RAW}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(est)))
    assert strip(_json(capsys, ["physical", "--from", "-", *extra])) == strip(by_hand)


def test_readme_example_has_one_right_answer(tmp_path, capsys, monkeypatch):
    """The README's two commands, as written, give the physical cost of the raw fields; the trap (the
    t_count beside --toffoli) gives another runtime, and the README says which is right."""
    readme = (ROOT / "README.md").read_text()
    est_line = next(ln for ln in readme.splitlines() if ln.startswith(".venv/bin/qattn estimate") and "> est.json" in ln)
    phys_line = next(ln for ln in readme.splitlines() if ln.startswith(".venv/bin/qattn physical --from est.json"))
    est_argv = est_line.split()[1:est_line.split().index(">")]
    monkeypatch.chdir(tmp_path)
    assert main(est_argv) == 0
    Path("est.json").write_text(capsys.readouterr().out)
    lg = json.loads(Path("est.json").read_text())["logical"]
    chained = _json(capsys, [a for a in phys_line.split()[1:] if a not in ("--format", "table")])
    right = _physical_by_hand(capsys, lg)
    assert chained["runtime_s"] == right["runtime_s"] and chained["physical_qubits"] == right["physical_qubits"]
    trap = _json(capsys, ["physical", "--qubits", str(lg["qubits"]), "--t-count", str(lg["t_count"]),
                          "--toffoli", str(lg["toffoli"]), "--measurements", str(lg["measurements"])])
    assert trap["runtime_s"] > 1.5 * right["runtime_s"]  # every Toffoli counted twice
    assert "--t-count <logical.t>" in readme and "count every Toffoli twice" in readme


def test_both_helps_state_the_convention(capsys):
    for argv in (["physical", "--help"], ["estimate", "grover-sparse", "--help"], ["estimate", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        text = " ".join(capsys.readouterr().out.split())
        assert "T + 4 x" in text and "--from" in text and re.search(r"raw t", text, re.I), argv


@pytest.mark.parametrize(
    "content, says",
    [
        ('{"model": "ms", "physical_qubits": 5}', "qattn physical output"),
        ("[1, 2]", "a JSON list"),
        ("{not json", "not JSON"),
        ('{"algorithms": ["grover-sparse"], "logical": []}', "not a `qattn estimate` JSON"),
        ('{"algorithm": "x", "logical": {"toffoli": 3}}', "no qubits and t"),
        ('{"algorithm": "x", "logical": {"t": 1, "qubits": 66579.4}}', "logical.qubits in"),
        ('{"algorithm": "x", "logical": {"t": -1, "qubits": 5}}', "logical.t in"),
    ],
)
def test_physical_from_refuses_what_is_not_an_estimate(content, says, tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text(content)
    line = _refused(capsys, ["physical", "--from", str(path)])
    assert says in line and str(path) in line


def test_physical_from_refuses_a_missing_file_and_mixed_flags(tmp_path, capsys):
    assert "cannot read" in _refused(capsys, ["physical", "--from", str(tmp_path / "none.json")])
    (tmp_path / "e.json").write_text('{"algorithm": "x", "logical": {"t": 1, "qubits": 5}}')
    line = _refused(capsys, ["physical", "--from", str(tmp_path / "e.json"), "--t-count", "5"])
    assert "--t-count cannot be combined with --from" in line
    assert "--qubits is required" in _refused(capsys, ["physical", "--t-count", "5"])


# -- one check of the counts ---------------------------------------------------------------------

def test_logical_counts_concrete_names_the_callers_labels():
    from estimates.counts import LogicalCounts
    from qattn_cirq.errors import QattnInputError

    cases = [(dict(qubits=0), {"qubits": "--qubits"}, "--qubits must be >= 1 (an integer)"),
             (dict(qubits=1, t=10**101), {"t": "logical.t in e.json"}, "logical.t in e.json must be <= 1e100"),
             (dict(qubits=1, rotations=2, rotation_depth=3), {"rotation_depth": "--rotation-depth",
                                                              "rotations": "--rotations"},
              "--rotation-depth must be an integer in [0, --rotations = 2]"),
             (dict(qubits=1, toffoli=-1), None, "toffoli must be a non-negative integer")]
    for fields, labels, message in cases:
        with pytest.raises(QattnInputError, match=re.escape(message)):
            LogicalCounts(**fields).concrete(labels=labels)
    import qattn_cirq.commands.physical as physical

    assert not hasattr(physical, "_check_flags")  # the command no longer repeats the ranges


# -- formats and schemas ------------------------------------------------------------------------

def test_csv_is_lossless_and_table_may_round(capsys):
    from qattn_cirq.output import flatten, render

    data = {"a": 0.123456789012345, "b": {"c": 2**70 + 1, "d": None, "e": True}, "f": [1.0000001, 2]}
    row = next(csv.DictReader(io.StringIO(render(data, "csv"))))
    assert float(row["a"]) == data["a"] and int(row["b.c"]) == data["b"]["c"]
    assert json.loads(row["f"]) == data["f"] and row["b.d"] == "" and row["b.e"] == "true"
    assert "0.123457" in render(data, "table")  # tables are for reading
    # a real command: every flattened JSON float comes back bit for bit from the CSV
    phys = ["physical", "--qubits", "100", "--t-count", "1000000", "--toffoli", "1000", "--rotations", "100"]
    flat = flatten(_json(capsys, phys))
    assert main(phys + ["--format", "csv"]) == 0
    row = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    floats = {k: v for k, v in flat.items() if isinstance(v, float)}
    assert floats and all(float(row[k]) == v for k, v in floats.items())


def test_physical_table_and_csv_keep_the_factory_block(capsys):
    phys = ["physical", "--qubits", "100", "--t-count", "1000000", "--rotations", "100"]
    factory = _json(capsys, phys)["factory"]
    assert main(phys + ["--format", "csv"]) == 0
    row = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert json.loads(row["factory.rounds"]) == factory["rounds"]
    assert main(phys + ["--format", "table"]) == 0
    table = capsys.readouterr().out
    assert "factory.physical_qubits" in table and "factory.rounds (one row per distillation round)" in table
    assert all(r["unit"] in table for r in factory["rounds"])


def test_estimate_has_latex(capsys):
    assert main(GS + ["--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert out.count(r"\begin{tabular}") == 2 and r"logical.t\_count" in out and "ledger" in out


def test_one_estimate_schema_across_algorithms(estimates):
    from qattn_cirq.commands.estimate import ENVELOPE

    for name, data in estimates.items():
        assert tuple(data) == ENVELOPE, name
        assert data["schema"] == "qattn-estimate/1" and data["algorithm"] == name
        assert isinstance(data["logical"], dict) and all(not isinstance(v, dict) for v in data["logical"].values())
        assert isinstance(data["logical_parts"], dict) and isinstance(data["details"], dict)
        assert isinstance(data["ledger"], list) and isinstance(data["notes"], list)
    assert set(estimates["qattention"]["logical_parts"]) == {"preprocess", "row_query"}
    assert all("/log(2)" not in json.dumps(data) for data in estimates.values())  # log2(n) everywhere


def test_one_physical_schema_across_models(capsys):
    base = ["physical", "--qubits", "100", "--t-count", "1000000", "--toffoli", "1000"]
    ms, gf = (_json(capsys, base + ["--model", m]) for m in ("ms", "gidney-fowler"))
    assert list(ms) == list(gf)
    assert all(type(ms[k]) is type(gf[k]) for k in ms if ms[k] is not None)


def test_readme_states_each_commands_formats_exactly(capsys):
    readme = (ROOT / "README.md").read_text()
    claims = {}
    for line in readme.splitlines():
        m = re.match(r"- (`\w+`(?:, `\w+`)*)(?: \([^)]*\))?: `([a-z|]+)`", line)
        if m:
            for cmd in re.findall(r"`(\w+)`", m.group(1)):
                claims[cmd] = set(m.group(2).split("|"))
    argv = {"estimate": ["estimate", "grover-sparse"], "physical": ["physical"], "extract": ["extract"],
            "inspect": ["inspect"], "report": ["report"], "simulate": ["simulate", "grover-sparse"],
            "sweep": ["sweep", "grover-sparse"]}
    for cmd, args in argv.items():
        with pytest.raises(SystemExit):
            main(args + ["--help"])
        help_text = capsys.readouterr().out
        choices = set(re.search(r"--format \{([a-z,]+)\}", help_text).group(1).split(","))
        assert claims[cmd] == choices, cmd


# -- inputs that are reals or huge ---------------------------------------------------------------

def test_s_lambda_accepts_reals_rounded_up_and_says_so(capsys):
    import argparse

    from qattn_cirq.commands.estimate import _round_up_s_lambda

    qa = _json(capsys, QA[:6] + ["--s-lambda", "3.2"] + QA[8:])
    assert qa["params"]["s_lambda"] == 4 and isinstance(qa["logical"]["qubits"], int)
    assert any("--s-lambda 3.2 rounded up to 4" in note for note in qa["notes"])
    assert qa["logical"] == _json(capsys, QA)["logical"]  # the same estimate as --s-lambda 4
    args = argparse.Namespace(s_lambda=510.8)
    assert _round_up_s_lambda(args) and args.s_lambda == 511
    args = argparse.Namespace(s_lambda=511.0)
    assert _round_up_s_lambda(args) == [] and args.s_lambda == 511 and type(args.s_lambda) is int
    for algorithm in ("leverage-sampling", "qattention"):
        with pytest.raises(SystemExit):
            main(["estimate", algorithm, "--help"])
        assert "rounded UP" in capsys.readouterr().out
    assert "--s-lambda" in _refused(capsys, QA[:6] + ["--s-lambda", "0.5"] + QA[8:])


@pytest.mark.slow
def test_ridge_sampling_s_lambda_real_equals_its_round_up(capsys):
    """The ridge sampler's symbolic formula takes ~30 s to build under load: slow."""
    ridge = ["estimate", "leverage-sampling", "--n", "4096", "--d", "8", "--bits", "4", "--kind", "ridge"]
    real = _json(capsys, ridge + ["--s-lambda", "510.8"])
    whole = _json(capsys, ridge + ["--s-lambda", "511"])
    assert real["params"]["s_lambda"] == 511 and real["logical"] == whole["logical"]
    assert any("510.8 rounded up to 511" in note for note in real["notes"]) and whole["notes"] == []


def test_n_1e30_is_exact_or_an_honest_float(capsys):
    """--n 1e30 is 10^30 exactly; the certified schedule's float64 BBHT rounds make its counts floats
    past 2^53 (printed as floats with a note, not as 78 exact-looking digits)."""
    data = _json(capsys, ["estimate", "grover-sparse", "--n", "1e30", "--d", "4", "--k", "3", "--bits", "4"])
    assert data["params"]["n"] == 10**30

    def big_ints(obj):
        if isinstance(obj, bool):
            return []
        if isinstance(obj, int):
            return [obj] if obj > 2**53 else []
        items = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else []
        return [x for v in items for x in big_ints(v)]

    assert big_ints({k: v for k, v in data.items() if k != "params"}) == []
    assert isinstance(data["logical"]["t_count"], float) and data["logical"]["t_count"] > 1e40
    assert any("2^53" in note for note in data["notes"])


@pytest.mark.parametrize("n", ["1" + "0" * 309, "1e101", "1e309", "2^400", "1.5", "-4", "inf"])
def test_n_past_1e100_or_not_whole_is_one_line(n, capsys):
    # 1e309 reached math.sqrt(n) in the BBHT schedule: OverflowError and a traceback
    line = _refused(capsys, ["estimate", "grover-sparse", "--n", n, "--d", "4", "--k", "3", "--bits", "4"])
    assert "--n" in line


def test_leverage_sampling_at_1e30_prints_the_float_it_computes(capsys):
    """Its rounds use a float alpha: the digits past ~15 were noise printed as exact; now a float,
    equal to the exact evaluation of its own formula (alpha = 1 exactly) to float precision."""
    import sympy

    data = _json(capsys, ["estimate", "leverage-sampling", "--n", "1e30", "--d", "4", "--bits", "4"])
    t = data["logical"]["t_count"]
    assert isinstance(t, float) and any("2^53" in note for note in data["notes"])
    expr = sympy.sympify(data["details"]["formula_t_count"], locals={"log2": lambda x: sympy.log(x, 2)})
    syms = {s.name: s for s in expr.free_symbols}
    exact = expr.subs({syms["n"]: sympy.Integer(10) ** 30, syms["d"]: 4, syms["b"]: 4, syms["alpha"]: 1})
    assert exact.is_Integer and math.isclose(t, int(exact), rel_tol=1e-13)


def test_huge_n_known_count_digits_equal_exact_sympy():
    """Where the arithmetic is exact (known count, QROM, a power of two) every printed digit is right:
    the CLI's 46-digit T-count at n = 2^60 equals the symbolic formula evaluated exactly by sympy."""
    import estimates.formulas as F

    buf = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(buf):
        assert main(["estimate", "grover-sparse", "--n", "2^60", "--d", "4", "--k", "2", "--bits", "4",
                     "--schedule", "known-count"]) == 0
    data = json.loads(buf.getvalue())
    exact = F._num(F.grover_sparse_formula("qrom", schedule="known-count").t_count, {F.n: 2**60, F.d: 4, F.k: 2, F.b: 4})
    assert data["params"]["n"] == 2**60 and data["logical"]["t_count"] == exact and exact > 10**45
    assert not any("2^53" in note for note in data["notes"])


# -- qattn report --out ---------------------------------------------------------------------------

@pytest.fixture
def no_build(monkeypatch):
    """build_report must not run: --out is refused before any computation."""
    def boom(*a, **k):
        raise AssertionError("build_report ran before --out was checked")

    monkeypatch.setattr("estimates.report.build_report", boom)


def test_report_out_is_checked_before_any_computation(tmp_path, capsys, no_build):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "d1").mkdir()
    (tmp_path / "d1" / "report.md").mkdir()
    (tmp_path / "d2").mkdir()
    (tmp_path / "d2" / "notes.txt").write_text("mine")
    (tmp_path / "link").symlink_to(tmp_path / "d1")
    cases = [(tmp_path / "afile", "is a file"), (tmp_path / "afile" / "sub", "is a file"),
             (tmp_path / "d1", "report.md in it is a directory"), (tmp_path / "d2", "holds files a report does not write"),
             (tmp_path / "link", "is a symbolic link"), (Path("/proc/qattn/none"), "cannot write into")]
    for out, says in cases:
        line = _refused(capsys, ["report", "--out", str(out)])
        assert "--out" in line and says in line, line
    assert (tmp_path / "d2" / "notes.txt").read_text() == "mine"


def _old_report(path: Path) -> dict:
    path.mkdir()
    files = {"report.json": '{"old": true}', "report.md": "# old", "stale.csv": "a\n1\n", "logical.csv": "old\n"}
    for name, text in files.items():
        (path / name).write_text(text)
    return files


def _golden_report() -> dict:
    """A real report's dict (the committed default report), to write without recomputing it."""
    return json.loads((ROOT / "tests" / "estimates" / "data" / "report_default.json").read_text())


def test_report_write_failing_midway_leaves_the_old_report(tmp_path, monkeypatch):
    import qattn_cirq.report_files as rf

    out = tmp_path / "rep"
    old = _old_report(out)

    def fail(report, where):
        assert (Path(where) / "report.json").exists()  # JSON and CSVs are written by now
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rf, "_plots", fail)
    with pytest.raises(OSError):
        rf.write_report(_golden_report(), str(out))
    assert {p.name: p.read_text() for p in out.iterdir()} == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]  # no temporary folder left


def test_report_write_replaces_the_old_report_whole(tmp_path, monkeypatch):
    import qattn_cirq.report_files as rf

    out = tmp_path / "rep"
    _old_report(out)
    monkeypatch.setattr(rf, "_plots", lambda report, where: [])
    files = rf.write_report(_golden_report(), str(out))
    names = sorted(p.name for p in out.iterdir())
    assert "stale.csv" not in names and "report.md" in names
    assert json.loads((out / "report.json").read_text()) == _golden_report()
    assert files["json"] == str(out / "report.json") and all(Path(p).parent == out for p in files["csv"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # as os.makedirs made it, not mkdtemp's 0700


def test_physical_from_a_float_count_prints_no_exact_looking_digits(tmp_path, capsys):
    """An estimate past 2^53 gives float counts; physical keeps them floats (and says so) instead of
    printing int(1e16 + noise) as if every digit were known."""
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"algorithm": "x", "logical": {"t": 0, "toffoli": 1e16, "rotations": 0,
                                                              "measurements": 0, "qubits": 100}}))
    out = _json(capsys, ["physical", "--from", str(path), "--error-budget", "0.5"])
    assert "toffoli" in out["input"]["approximate"] and out["input"]["toffoli"] == 1e16
    assert isinstance(out["input"]["toffoli"], float) and isinstance(out["details"]["num_t_states"], float)
