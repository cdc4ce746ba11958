"""The report command runs on a small config; its JSON has every section; bad configs fail cleanly."""

import json
import os

import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from qattn_cirq.cli import main

SMALL = {"d": 8, "n_min_exp": 4, "n_max_exp": 5, "k": 2, "bits": 4, "loaders": ["qrom"],
         "crossover_n_max_exp": 7, "spread_n_exps": [4], "models": {"ms": {"preset": "qubit_gate_ns_e3", "error_budget": 1e-3}}}


def _tiny_head_set(path):
    import numpy as np

    from qattn_cirq.instance import AttentionInstance

    rng = np.random.default_rng(11)
    path.mkdir()
    for layer in range(2):
        Q, K, V = (rng.normal(size=(16, 4)) for _ in range(3))
        AttentionInstance(Q, K, V, scale=0.5).save_npz(path / f"L{layer}H0.npz")
    return path


def test_report_small_config_writes_every_section(tmp_path, capsys):
    from qattn_cirq.realdata import measured_parameters

    heads = _tiny_head_set(tmp_path / "heads")
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({**SMALL, "real_model": {"set": str(heads)}}))
    out = tmp_path / "rep"
    assert main(["report", "--config", str(cfg), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "report:" in captured.err  # progress on stderr
    summary = json.loads(captured.out)
    rep = json.loads((out / "report.json").read_text())
    for section in ("config", "algorithms", "logical", "fits", "physical", "classical", "crossover", "spread", "symbolic"):
        assert section in rep, section
    assert rep["algorithms"]["grover-sparse"] == "available"
    # s_lambda = 64 (default) needs 2n >= 64: the n = 16 point is left out for the sublinear algorithm, and said so.
    assert rep["algorithms"]["qattention"] == "available (n < 32 left out: parameters need n that large)"
    assert [r["n"] for r in rep["logical"] if r["algorithm"] == "grover-sparse"] == [16, 32]
    assert [r["n"] for r in rep["logical"] if r["algorithm"] == "qattention"] == [32]
    from estimates.qattention_estimates import qattention_estimate

    q = next(r for r in rep["logical"] if r["algorithm"] == "qattention")
    full = qattention_estimate(32, 8, 64, 2.0, 0.1, 4, "qrom", gpu="h100-sxm")
    est = full["logical"]
    # all n rows: the quantum preprocessing only (the n row queries are classical) ...
    assert q["t_count"] == est["preprocess"]["t_count"]
    assert q["qubits"] == est["preprocess"]["qubits"]
    assert "preprocess_t_count" not in q
    # ... plus the post-processing and n classical row queries on the baseline's GPU model
    assert q["row_queries_flops"] == 32 * (2 * 64**2 + 4 * 64 * 8 + 3 * 64 + 8)
    assert q["classical_work_s"] == full["classical"]["time_s"] > 0
    fitted = {(f["algorithm"], f["metric"]): f for f in rep["fits"]}
    assert fitted[("qattention", "t_count")]["paper_exponent"] == 0.5
    assert fitted[("qattention", "row_queries_flops")]["paper_exponent"] == 1.0
    assert ("qattention", "preprocess_t_count") not in fitted
    assert all(r["feasible"] for r in rep["physical"])
    for r in rep["physical"]:
        if r["algorithm"] == "qattention":
            assert r["classical_work_s"] == q["classical_work_s"]
            assert r["total_time_s"] == r["runtime_s"] + r["classical_work_s"]
        else:
            assert "total_time_s" not in r
    # the crossover charges the sublinear algorithm the fault-tolerant preprocessing + the classical work
    phys = {(r["model"], r["n"]): r for r in rep["physical"] if r["algorithm"] == "qattention"}
    for c in rep["crossover"]:
        if c["algorithm"] == "qattention":
            assert "classical" in c["charged"] and "row queries" in c["charged"]
            p32 = next(s for s in c["scanned"] if s["n"] == 32)
            assert p32["quantum_time_s"] == phys[(c["model"], 32)]["total_time_s"]
    assert [r["n"] for r in rep["classical"]] == [16, 32]
    for c in rep["crossover"]:
        if c["crossover_n"] is None:
            costed = [p["n"] for p in c["scanned"] if p["quantum_time_s"] is not None and p["quantum_time_s"] < float("inf")]
            if len(costed) == len(c["scanned"]):  # "below 2^7" only when every scanned n was costed
                assert c["statement"] == "no crossover below n = 2^7 = 128"
            else:
                top = c["largest_feasible_n"]
                assert c["statement"].startswith(f"no crossover up to n = 2^{top.bit_length() - 1} (the largest n")
                assert "below n = 2^7" not in c["statement"]
            assert all(p["quantum_time_s"] is None or p["quantum_time_s"] >= p["classical_time_s"] for p in c["scanned"])
        else:
            assert c["quantum_time_s"] < c["classical_time_s"]
    s = rep["spread"][0]
    assert s["ms_physical_qubits"] == s["microsoft_physical_qubits"]  # our MS model == the estimator
    assert "code_distance" in rep["symbolic"]
    # The real-model section evaluates the same estimators at the measured parameters.
    rm = rep["real_model"]
    m = measured_parameters(heads)
    assert (rm["parameters"]["n"], rm["parameters"]["k"], rm["parameters"]["d"]) == (16, m["k"], 4)
    assert rm["parameters"]["statistic"] == "median"
    row = next(r for r in rm["estimates"] if r["algorithm"] == "grover-sparse")
    from estimates.formulas import grover_sparse_estimate

    assert row["t_count"] == grover_sparse_estimate(16, 4, m["k"], 4, "qrom")["logical"]["t_count"]
    assert row["ms_runtime_s"] > 0 and row["gpu_time_s"] > 0
    assert "## Real model" in (out / "report.md").read_text()
    for name in ("report.md", "real_model.csv", "logical.csv", "physical.csv", "classical.csv", "crossover.csv", "spread.csv",
                 "logical_vs_n.png", "physical_vs_n.png", "crossover.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "report.md").read_text().startswith("# Fault-tolerant cost report")
    assert summary["out"] == str(out)
    # stdout's summary leads with the verdict too (one row per verdict row, same break-even)
    assert list(summary)[0] == "verdict"
    assert [(v["algorithm"], v["loader"], v["break_even_kind"]) for v in summary["verdict"]] == \
        [(v["algorithm"], v["loader"], v["break_even_kind"]) for v in rep["verdict"]]
    _check_verdict(rep, out)


def _check_verdict(rep, out):
    """Issue 12: the verdict comes first, its break-even agrees with the fitted power laws in
    verdict.csv, the moved tables are in the CSVs, and report.md stays short."""
    import csv
    import math

    md = (out / "report.md").read_text()
    assert md.index("## Verdict") < md.index("|") and len(md.splitlines()) < 200
    # the per-n tables left report.md for the CSVs (and report.json), which keep every row
    assert "## Physical costs" not in md and "| gpu_flops" not in md
    assert len(list(csv.DictReader(open(out / "physical.csv")))) == len(rep["physical"])
    assert sum(1 for p in out.iterdir() if p.suffix == ".png") >= 5
    for name in ("verdict.csv", "best_case.csv", "sensitivity.csv", "ledger.csv", "formulas.csv", "formulas.tex",
                 "verdict_speedup_needed.png", "t_gates_ledger.png", "sensitivity.png"):
        assert (out / name).stat().st_size > 0, name
    assert {(r["algorithm"], r["loader"]) for r in rep["verdict"]} == {("grover-sparse", "qrom"), ("qattention", "qrom")}
    from estimates.formulas import grover_sparse_estimate

    g = next(r for r in rep["verdict"] if r["algorithm"] == "grover-sparse")
    assert g["t_count_at_4096"] == grover_sparse_estimate(4096, 8, 2, 4, "qrom")["logical"]["t_count"]
    assert g["clock_speedup_needed_at_4096"] == pytest.approx(g["runtime_s_at_4096"] / g["gpu_time_s_at_4096"])
    scans = {(c["algorithm"], c["loader"], c["model"]): c["scanned"] for c in rep["crossover"]}
    for r in csv.DictReader(open(out / "verdict.csv")):
        assert r["break_even_kind"] in ("measured", "extrapolated", "never"), r
        for key in ("quantum_exponent", "classical_exponent", "clock_speedup_needed_at_4096",
                    "clock_speedup_needed_at_1048576"):
            assert key in r
        aq, pq, ac, pc = (float(r[k]) for k in ("quantum_prefactor_s", "quantum_exponent", "classical_prefactor_s",
                                                "classical_exponent"))
        # the fitted laws reproduce the scanned times they were fitted to (within 2x) ...
        for s in scans[(r["algorithm"], r["loader"], r["model"])]:
            if int(r["fit_n_min"]) <= s["n"] <= int(r["fit_n_max"]):
                assert 0.5 < aq * s["n"] ** pq / s["quantum_time_s"] < 2
                assert 0.5 < ac * s["n"] ** pc / s["classical_time_s"] < 2
        if r["break_even_kind"] == "extrapolated":
            # ... and the extrapolated break-even is where they cross, within a factor 2 in n
            n_star = (aq / ac) ** (1 / (pc - pq))
            assert 0.5 < float(r["break_even_n"]) / n_star < 2, r
        elif r["break_even_kind"] == "never":
            assert pq >= pc and r["break_even_n"] == ""
    assert any(r["break_even_kind"] == "extrapolated" for r in rep["verdict"])  # the sublinear algorithm here
    assert not math.isnan(rep["sensitivity"][0]["physical_error_rate"])


@pytest.mark.parametrize("bad, key", [
    ('{"nope": 1}', "nope"), ('{"d": 0}', "d"), ('{"real_model": {"sett": 1}}', "real_model"),
    ('{"n_min_exp": 9, "n_max_exp": 3}', "n_max_exp"), ("[1, 2]", "JSON object"), ("{not json", "valid JSON"),
    ('{"algorithms": ["foo"]}', "algorithms"), ('{"loaders": ["bogus"]}', "loaders"), ('{"loaders": []}', "loaders"),
    ('{"models": {"ms": {"preset": "nope"}}}', "models.ms.preset"),
    ('{"models": {"ms": {"error_budget": 2}}}', "models.ms.error_budget"),
    ('{"models": {"quantum": {}}}', "models"),
    ('{"k": 500, "n_min_exp": 4, "n_max_exp": 6}', "k"), ('{"s_lambda": 1e9}', "s_lambda"),
    ('{"n_max_exp": 400}', "n_max_exp"), ('{"spread_n_exps": ["x"]}', "spread_n_exps"),
    ('{"gpu": "tpu"}', "gpu"), ('{"eps": 1.5}', "eps"), ('{"alpha": 0.5}', "alpha"),
    ('{"real_model": {"statistic": "mode"}}', "real_model.statistic"),
])
def test_report_bad_config_is_one_line_exit_2(tmp_path, capsys, bad, key):
    """Refused before any computation: one line naming the key, no file written."""
    cfg = tmp_path / "cfg.json"
    cfg.write_text(bad)
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "config" in err[0] and key in err[0], err
    assert not (tmp_path / "r").exists()


def test_partial_model_entries_merge_with_the_defaults():
    from estimates.report_config import DEFAULT_MODELS, ReportConfig

    cfg = ReportConfig.from_dict({"models": {"ms": {"preset": "qubit_maj_ns_e6"}}})
    assert cfg.models == {"ms": {"preset": "qubit_maj_ns_e6", "error_budget": DEFAULT_MODELS["ms"]["error_budget"]}}
    assert ReportConfig.from_dict(cfg.to_dict()) == cfg  # the JSON form round-trips
    assert ReportConfig.from_dict({"real_model": None}).real_model is None


def test_report_missing_config_file(tmp_path, capsys):
    assert main(["report", "--config", str(tmp_path / "missing.json")]) == 2
    assert "cannot read config" in capsys.readouterr().err


class _TaskExecutor:
    """Runs each task through the picklable task function, as a Dask worker would (fresh costs)."""

    name = "in-process tasks"

    def map(self, fn, tasks, progress=None):
        import pickle

        out = [pickle.loads(pickle.dumps(fn(*pickle.loads(pickle.dumps(t))))) for t in tasks]
        if progress:
            progress(len(out), len(out), 0.0)
        return out


def test_report_fanned_out_equals_serial():
    """issue 17: the per-(algorithm, loader) tasks give the serial report exactly (the Dask path
    runs the same task function; `qattn report --workers 2` is checked in the slow suite)."""
    from estimates.report import ReportConfig, build_report

    cfg = ReportConfig.from_dict({**SMALL, "real_model": None})
    serial = build_report(cfg)
    fanned = build_report(cfg, executor=_TaskExecutor())
    assert json.dumps(fanned, sort_keys=True, default=str) == json.dumps(serial, sort_keys=True, default=str)


@pytest.mark.slow
def test_report_on_two_dask_workers_equals_serial(tmp_path, capsys):
    pytest.importorskip("distributed")
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({**SMALL, "real_model": None}))
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "a")]) == 0
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "b"), "--workers", "2"]) == 0
    assert "tasks on dask" in capsys.readouterr().err.lower()
    assert (tmp_path / "a" / "report.json").read_bytes() == (tmp_path / "b" / "report.json").read_bytes()


def test_report_workers_and_scheduler_refused_together(tmp_path, capsys):
    rc = main(["report", "--out", str(tmp_path / "r"), "--workers", "2", "--scheduler", "tcp://x:1"])
    assert rc == 2 and "either --workers" in capsys.readouterr().err
