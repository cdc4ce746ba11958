"""Physical-cost models: pinned to Microsoft's estimator, to Qualtran, and symbolic == numeric."""

import math
import os

import pytest
import sympy

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from estimates.counts import LogicalCounts
from estimates.physical import (
    evaluate_symbolic,
    gidney_fowler_estimate,
    gidney_fowler_symbolic,
    ms_physical_estimate,
    physical_estimate,
    run_microsoft_estimator,
    symbolic_physical_estimate,
)
from qattn_cirq.errors import QattnInputError

# (counts, preset, qec scheme, error budget): presets, schemes, rotations / no rotations, T-only,
# Toffoli-only, measurement-only, a runtime stretched by a slow factory, and factories with >= 1000
# units in a round (the estimator's normal-approximation binomial quantile).
MS_POINTS = [
    (LogicalCounts(qubits=100, t=10**6, rotations=1000, rotation_depth=500, measurements=1000), "qubit_gate_ns_e3", None, 1e-3),
    (LogicalCounts(qubits=10, t=1000), "qubit_gate_ns_e3", None, 1e-3),
    (LogicalCounts(qubits=10, measurements=1000), "qubit_gate_ns_e3", None, 1e-3),
    (LogicalCounts(qubits=10, toffoli=100, rotations=10), "qubit_gate_ns_e3", None, 1e-3),
    (LogicalCounts(qubits=10, t=1000), "qubit_maj_ns_e4", "floquet_code", 0.01),
    (LogicalCounts(qubits=1000, t=10**9, toffoli=10**8), "qubit_gate_ns_e4", None, 1e-3),
    (LogicalCounts(qubits=3000, t=10**12, toffoli=10**11, rotations=10**6), "qubit_gate_ns_e3", None, 1e-2),
    (LogicalCounts(qubits=50, t=50), "qubit_gate_us_e3", None, 1e-3),
    (LogicalCounts(qubits=7, t=3, rotations=2), "qubit_maj_ns_e4", None, 0.1),
    (LogicalCounts(qubits=920, t=76540099720), "qubit_maj_ns_e4", None, 0.0016518331337073927),
]


@pytest.mark.parametrize("inp,preset,qec,budget", MS_POINTS)
def test_ms_model_matches_microsoft_estimator_exactly(inp, preset, qec, budget):
    """Tolerance: none. Physical qubits, runtime (ns), code distance and factory count are equal."""
    ours = ms_physical_estimate(inp, budget, preset, qec)
    theirs = run_microsoft_estimator(inp, budget, preset, qec)
    for key in ("physical_qubits", "runtime_ns", "code_distance", "factories"):
        assert ours[key] == theirs[key], (key, ours[key], theirs[key])


def test_ms_model_layout_and_rotation_formulas():
    r = ms_physical_estimate(LogicalCounts(qubits=100, t=10**6, rotations=1000, rotation_depth=500, measurements=1000))
    assert r["logical_qubits_after_layout"] == 2 * 100 + math.ceil(math.sqrt(800)) + 1 == 230
    assert r["ts_per_rotation"] == math.ceil(0.53 * math.log2(1000 / (1e-3 / 3)) + 4.86)
    assert r["logical_depth"] == 1000 + 1000 + 10**6 + r["ts_per_rotation"] * 500
    assert r["physical_qubits"] == r["physical_qubits_algorithm"] + r["physical_qubits_factories"]
    assert r["physical_qubits_algorithm"] == 230 * 2 * r["code_distance"] ** 2


def test_gidney_fowler_model_is_qualtran_grid_search():
    from qualtran.resource_counting import GateCounts
    from qualtran.surface_code.gidney_fowler_model import get_ccz2t_costs_from_grid_search

    inp = LogicalCounts(qubits=200, t=10**5, toffoli=10**7)
    ours = gidney_fowler_estimate(inp, error_budget=1e-2)
    cost, factory, block = get_ccz2t_costs_from_grid_search(
        n_logical_gates=GateCounts(t=10**5, toffoli=10**7), n_algo_qubits=200, error_budget=1e-2
    )
    assert ours["physical_qubits"] == cost.footprint
    assert ours["runtime_s"] == pytest.approx(cost.duration_hr * 3600, rel=1e-12)
    assert ours["code_distance"] == block.data_d
    assert ours["failure_probability"] <= 1e-2
    # More work needs at least as much protection.
    bigger = gidney_fowler_estimate(LogicalCounts(qubits=200, t=10**5, toffoli=10**10), error_budget=1e-2)
    assert bigger["code_distance"] >= ours["code_distance"]
    assert bigger["runtime_s"] > ours["runtime_s"]


@pytest.mark.parametrize("model", ["ms", "gidney-fowler"])
@pytest.mark.parametrize("budget", [0.0, -1e-3, 1.0, float("nan")])
def test_impossible_budget_is_a_one_line_input_error(model, budget):
    with pytest.raises(QattnInputError) as e:
        physical_estimate(LogicalCounts(qubits=10, t=100), model=model, error_budget=budget)
    assert "budget" in str(e.value) and "\n" not in str(e.value)


def test_unreachable_budget_is_an_input_error():
    with pytest.raises(QattnInputError, match="budget"):
        physical_estimate(LogicalCounts(qubits=10**4, t=10**15), model="ms", error_budget=1e-300)
    with pytest.raises(QattnInputError, match="budget"):
        physical_estimate(LogicalCounts(qubits=10**4, toffoli=10**15), model="gidney-fowler", error_budget=1e-200)


def test_gidney_fowler_infeasible_names_the_factory_floor():
    # 5e12 CCZ states x (best grid factory, ~ floor 28 (35 p^3)^2 = 3.43e-14) = 0.17 > 0.01: the
    # per-state distillation error is the cause, and a budget of 0.17 (not "any larger budget") is needed
    with pytest.raises(QattnInputError) as e:
        gidney_fowler_estimate(LogicalCounts(qubits=10, t=10**13), error_budget=1e-2)
    msg = str(e.value)
    assert "needs 5e+12 CCZ states" in msg and "floor" in msg and "3.43e-14" in msg
    need = float(msg.split("error budget >= ")[1].split()[0])
    assert need == pytest.approx(5e12 * 3.4365e-14, rel=5e-3)
    assert gidney_fowler_estimate(LogicalCounts(qubits=10, t=10**13), error_budget=need * 1.01)["physical_qubits"] > 0
    # when even budget 1 is not enough, the message says so instead of "increase --error-budget"
    with pytest.raises(QattnInputError, match="no error budget < 1 suffices: reduce the T/Toffoli count"):
        gidney_fowler_estimate(LogicalCounts(qubits=10, t=10**16), error_budget=0.5)
    # the data block (not the factory) limits a huge register
    with pytest.raises(QattnInputError, match="factories meet the budget but the data block does not"):
        gidney_fowler_estimate(LogicalCounts(qubits=10**30, t=10**11), error_budget=0.5)


def test_ms_unreachable_distance_names_budget_or_circuit():
    # a tiny budget: the budget is the cause, and the budget that would do is stated
    with pytest.raises(QattnInputError) as e:
        ms_physical_estimate(LogicalCounts(qubits=10, t=1000), error_budget=1e-300)
    msg = str(e.value)
    assert msg.startswith("the error budget 1e-300 is below what any code distance <= 50 reaches") and "inf" not in msg
    need = float(msg.split("error budget >= ")[1].split()[0])
    assert ms_physical_estimate(LogicalCounts(qubits=10, t=1000), error_budget=need * 2)["code_distance"] <= 50
    # a T-count too large for any budget: say it is the T-count
    with pytest.raises(QattnInputError, match="dominated by the T-count .*reduce the T-count"):
        ms_physical_estimate(LogicalCounts(qubits=10, t=10**40), error_budget=1e-3)
    with pytest.raises(QattnInputError, match="t must be <= 1e100"):
        LogicalCounts(qubits=10, t=10**101).concrete()


def test_bad_counts_and_presets():
    # the record holds symbolic counts too: concrete ones are checked where a physical model takes them
    with pytest.raises(QattnInputError, match="qubits must be >= 1"):
        physical_estimate(LogicalCounts(qubits=0, t=1))
    with pytest.raises(QattnInputError, match="t must be a non-negative integer"):
        physical_estimate(LogicalCounts(qubits=3, t=-1), model="gidney-fowler")
    with pytest.raises(QattnInputError, match="qubits is symbolic"):
        physical_estimate(SYM)
    with pytest.raises(QattnInputError, match="preset"):
        physical_estimate(LogicalCounts(qubits=3, t=5), model="ms", preset="nope")
    with pytest.raises(QattnInputError, match="model"):
        physical_estimate(LogicalCounts(qubits=3, t=5), model="nope")


n = sympy.Symbol("n", positive=True, integer=True)
SYM = LogicalCounts(t=40 * n**2, toffoli=8 * n * sympy.log(n, 2), clifford=0, rotations=n, measurements=n,
                    qubits=3 * n + 20)


@pytest.mark.parametrize("budget,preset,qec", [(1e-3, "qubit_gate_ns_e3", None), (1e-2, "qubit_maj_ns_e4", "floquet_code")])
def test_symbolic_ms_model_equals_numeric_at_points(budget, preset, qec):
    exprs = symbolic_physical_estimate(SYM, budget, preset, qec)
    assert exprs["code_distance"].free_symbols == {n}
    checked = 0
    for nv in (2**4, 2**7, 2**10, 2**13):
        num = ms_physical_estimate(LogicalCounts(**{
            k: int(v) for k, v in SYM.subs({n: nv}).as_dict().items() if k in ("qubits", "t", "toffoli", "rotations", "measurements")
        }), budget, preset, qec)
        fac = None
        from estimates.physical import Factory
        f = num["factory"]
        fac = Factory(rounds=(), physical_qubits=f["physical_qubits"], duration_ns=f["duration_ns"],
                      num_output_states=f["output_states_per_run"], output_error_rate=f["output_error_rate"])
        vals = evaluate_symbolic(symbolic_physical_estimate(SYM, budget, preset, qec, factory=fac), {n: nv})
        assert num["num_cycles"] == num["logical_depth"]  # no runtime stretch at these points
        for key in ("code_distance", "logical_depth", "num_t_states", "ts_per_rotation", "physical_qubits_algorithm",
                    "factories", "physical_qubits", "logical_qubits_after_layout"):
            assert vals[key] == num[key], (nv, key, vals[key], num[key])
        assert vals["runtime_s"] == pytest.approx(num["runtime_s"], rel=1e-12)
        checked += 1
    assert checked == 4


def test_symbolic_gidney_fowler_equals_numeric_at_points():
    from qualtran.surface_code import QECScheme

    for nv in (2**5, 2**8, 2**11):
        c = SYM.subs({n: nv})
        inp = LogicalCounts(qubits=int(c.qubits), t=int(c.t), toffoli=int(c.toffoli), rotations=int(c.rotations),
                            measurements=int(c.measurements))
        num = gidney_fowler_estimate(inp, error_budget=1e-2)
        f = num["factory"]
        exprs = gidney_fowler_symbolic(SYM, data_d=num["code_distance"], l1_d=f["distillation_l1_d"], l2_d=f["distillation_l2_d"])
        vals = evaluate_symbolic(exprs, {n: nv})
        assert vals["num_cycles"] == num["num_cycles"]
        assert vals["physical_qubits"] == num["physical_qubits"]
        assert vals["runtime_s"] == pytest.approx(num["runtime_s"], rel=1e-12)
        # the budget-closing distance formula is Qualtran's code_distance_from_budget
        sym_d = evaluate_symbolic(gidney_fowler_symbolic(SYM, l1_d=f["distillation_l1_d"], l2_d=f["distillation_l2_d"]), {n: nv})
        eps_data = 1e-2 - vals["factory_failure_probability"]
        tiles = math.ceil(1.5 * inp.qubits)
        want = QECScheme.make_gidney_fowler().code_distance_from_budget(1e-3, eps_data / (tiles * vals["num_cycles"]))
        assert sym_d["code_distance"] == want


def test_cli_physical_json_and_bad_budget(capsys):
    import json

    from qattn_cirq.cli import main

    assert main(["physical", "--qubits", "10", "--t-count", "1000", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    theirs = run_microsoft_estimator(LogicalCounts(qubits=10, t=1000))
    assert out["physical_qubits"] == theirs["physical_qubits"]
    assert out["runtime_s"] == pytest.approx(theirs["runtime_s"])
    assert {"code_distance", "factories"} <= set(out)
    assert main(["physical", "--qubits", "10", "--t-count", "1000", "--toffoli", "50", "--model", "gidney-fowler",
                 "--format", "table"]) == 0
    assert "physical_qubits" in capsys.readouterr().out
    assert main(["physical", "--qubits", "10", "--t-count", "1000", "--error-budget", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "budget" in err[0]
    assert main(["physical", "--qubits", "10", "--t-count", "1000", "--error-budget", "1e-300"]) == 2
    assert "budget" in capsys.readouterr().err


@pytest.mark.parametrize("loader", ["qrom"])
def test_symbolic_physical_of_grover_formula_equals_numeric(loader):
    """The MS model's code distance / qubits / runtime as sympy expressions in (n, d, k, b)."""
    from estimates import formulas
    S = formulas.SYMBOLS
    # the known-count schedule: its formula is exact at powers of two (the certified default's is
    # a proven upper bound, tests/estimates/test_formulas.py)
    exprs = symbolic_physical_estimate(formulas.grover_sparse_formula(loader, schedule="known-count"))
    assert exprs["code_distance"].free_symbols <= set(S.values()) and S["n"] in exprs["code_distance"].free_symbols
    for nv, dv, kv in ((2**6, 16, 4), (2**10, 128, 32), (2**20, 128, 32)):
        lg = formulas.grover_sparse_estimate(nv, dv, kv, 8, loader, schedule="known-count")["logical"]
        num = ms_physical_estimate(LogicalCounts(
            qubits=lg["qubits"], t=lg["t_count"] - 4 * lg["toffoli"] - 11 * lg["rotations"], toffoli=lg["toffoli"],
            rotations=lg["rotations"], measurements=lg["measurements"]))
        ev = evaluate_symbolic(exprs, {S["n"]: nv, S["d"]: dv, S["k"]: kv, S["b"]: 8})
        assert num["num_cycles"] == num["logical_depth"]
        for key in ("code_distance", "logical_depth", "num_t_states", "physical_qubits_algorithm",
                    "logical_qubits_after_layout"):
            assert ev[key] == num[key], (nv, key)
        assert ev["runtime_s"] == pytest.approx(num["runtime_s"], rel=1e-12)


# ----------------------------------------------------------------------------------------------
# The memoised / vectorless fast path: same results as Microsoft's estimator field by field, and
# the same results whatever the memo holds.
# ----------------------------------------------------------------------------------------------

# small, medium and LLM-scale counts (T ~ 1e2 .. 1e12, qubits ~ 1e1 .. 1e5), every preset and scheme
DETAIL_COUNTS = [
    LogicalCounts(qubits=12, t=100),
    LogicalCounts(qubits=100, t=10**6),
    LogicalCounts(qubits=500, toffoli=10**9),
    LogicalCounts(qubits=1000, t=10**9, toffoli=10**7, rotations=10**4, measurements=10**5),
    LogicalCounts(qubits=10**5, t=10**12),
    LogicalCounts(qubits=3 * 10**4, t=10**12, toffoli=10**11, rotations=10**6, rotation_depth=10**5),
]
DETAIL_PRESETS = [
    ("qubit_gate_ns_e3", None), ("qubit_gate_ns_e4", None), ("qubit_gate_us_e3", None), ("qubit_gate_us_e4", None),
    ("qubit_maj_ns_e4", None), ("qubit_maj_ns_e6", None), ("qubit_maj_ns_e4", "floquet_code"),
    ("qubit_maj_ns_e6", "floquet_code"),
]


def _qsharp_result(inp, budget, preset, qec):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import qsharp.estimator as qe
    params = {"qubitParams": {"name": preset}, "errorBudget": budget}
    if qec:
        params["qecScheme"] = {"name": qec}
    return qe.LogicalCounts(inp.as_ms_dict()).estimate(params=params)


@pytest.mark.parametrize("preset,qec", DETAIL_PRESETS)
@pytest.mark.parametrize("inp", DETAIL_COUNTS, ids=lambda i: f"Q{i.qubits}-T{i.t}-C{i.toffoli}-R{i.rotations}")
def test_ms_model_matches_microsoft_estimator_field_by_field(inp, preset, qec):
    """Tolerance: none, on every count the estimator reports, the T factory's rounds included."""
    ours = ms_physical_estimate(inp, 1e-3, preset, qec)
    r = _qsharp_result(inp, 1e-3, preset, qec)
    pc, bd, lq = r["physicalCounts"], r["physicalCounts"]["breakdown"], r["logicalQubit"]
    theirs = {
        "physical_qubits": pc["physicalQubits"],
        "code_distance": lq["codeDistance"],
        "factories": bd["numTfactories"],
        "physical_qubits_algorithm": bd["physicalQubitsForAlgorithm"],
        "physical_qubits_factories": bd["physicalQubitsForTfactories"],
        "logical_qubits_after_layout": bd["algorithmicLogicalQubits"],
        "logical_depth": bd["algorithmicLogicalDepth"],
        "num_cycles": bd["logicalDepth"],
        "logical_cycle_time_ns": lq["logicalCycleTime"],
        "num_t_states": bd["numTstates"],
        "ts_per_rotation": bd["numTsPerRotation"] or 0,  # the estimator reports None without rotations
        "required_logical_error_rate": bd["requiredLogicalQubitErrorRate"],
        "required_t_state_error_rate": bd["requiredLogicalTstateErrorRate"],
    }
    for key, want in theirs.items():
        assert ours[key] == want, (key, ours[key], want)
    # The estimator's runtime is a u64 in ns: past 2^64 (1e12 T gates on microsecond qubits) it wraps.
    assert ours["runtime_ns"] % 2**64 == pc["runtime"]
    assert (ours["runtime_ns"] == pc["runtime"]) == (ours["runtime_ns"] < 2**64)
    tf, f = r["tfactory"], ours["factory"]
    assert (f["physical_qubits"], f["duration_ns"], f["output_states_per_run"]) == (
        tf["physicalQubits"], tf["runtime"], tf["numTstates"])
    assert [(x["unit"], x["units"], x["code_distance"], x["physical_qubits"], x["duration_ns"]) for x in f["rounds"]] == list(
        zip(tf["unitNamePerRound"], tf["numUnitsPerRound"], tf["codeDistancePerRound"], tf["physicalQubitsPerRound"],
            tf["runtimePerRound"]))
    if f["rounds"][0]["unit"] != "trivial 1-to-1":
        # the same formula, summed in a different order: equal to the last few bits
        assert f["output_error_rate"] == pytest.approx(tf["logicalErrorRate"], rel=1e-12)


def _sweep_inputs():
    """Counts along a crossover-style sweep (n = 2^6 .. 2^40), as the report's search asks for them."""
    return [LogicalCounts(qubits=3 * math.isqrt(n) + 50, t=40 * n, toffoli=8 * n, rotations=n // 64 + 1)
            for n in (2**e for e in range(6, 41, 2))]


@pytest.mark.parametrize("preset,qec", [("qubit_gate_ns_e3", None), ("qubit_maj_ns_e4", "floquet_code")])
def test_ms_model_memo_does_not_change_results(preset, qec):
    """Memoised quantiles, factories and factory searches: each result equals a from-scratch one."""
    from estimates import physical

    inputs = _sweep_inputs()
    fresh = []
    for inp in inputs:
        physical._clear_caches()
        fresh.append(ms_physical_estimate(inp, 1e-3, preset, qec))
    physical._clear_caches()
    assert [ms_physical_estimate(inp, 1e-3, preset, qec) for inp in inputs] == fresh
    assert [ms_physical_estimate(inp, 1e-3, preset, qec) for inp in reversed(inputs)] == fresh[::-1]
    assert [ms_physical_estimate(inp, 1e-3, preset, qec) for inp in inputs] == fresh  # all from the memo now
    # the estimator agrees along the sweep (the memo hands back what the search found), up to where
    # its u64 qubit-cycle product wraps (test_microsoft_estimator_wraps_qubit_cycles_at_2_64)
    for inp, ours in zip(inputs[::3], fresh[::3]):
        if ours["logical_qubits_after_layout"] * ours["num_cycles"] >= 2**64:
            continue
        theirs = run_microsoft_estimator(inp, 1e-3, preset, qec)
        for key in ("physical_qubits", "code_distance", "factories"):
            assert ours[key] == theirs[key], (inp, key)


def test_factory_search_memo_returns_what_the_search_finds():
    """find_t_factories at the (T-state error rate, code distance) pairs that estimates ask for, and at
    rates next to them (memo hits), equals a fresh search; callers get a list of their own."""
    from estimates import physical
    from estimates.physical import MS_QUBIT_PRESETS, find_t_factories, ms_qec_scheme

    qubit = MS_QUBIT_PRESETS["qubit_gate_ns_e3"]
    scheme = ms_qec_scheme(None, qubit)
    asked = {(r["required_t_state_error_rate"], r["code_distance"])
             for r in (ms_physical_estimate(inp) for inp in _sweep_inputs() + DETAIL_COUNTS)}
    physical._clear_caches()
    for rate, d in sorted(asked):
        for x in (rate, rate * (1 + 1e-9), rate * (1 - 1e-9)):
            found, lo, hi = physical._search_t_factories(qubit, scheme, x, d)
            assert lo <= x < hi
            assert find_t_factories(qubit, scheme, x, d) == list(found)
    rate, d = min(asked)
    got = find_t_factories(qubit, scheme, rate, d)
    got.clear()
    assert find_t_factories(qubit, scheme, rate, d) == list(physical._search_t_factories(qubit, scheme, rate, d)[0])


def test_binomial_helpers_are_scipy_binom_exactly():
    """_binom_cdf / _binom_pmf return scipy.stats.binom.cdf / pmf bit for bit, off the support too."""
    from scipy.stats import binom

    from estimates.physical import _binom_cdf, _binom_pmf

    for n in (1, 2, 7, 15, 999, 1000, 4321, 10**6, 10**12):
        for p in (1e-9, 0.01, 0.5, 0.985, 1 - 1e-7):
            for k in {-1, 0, 1, n // 3, n // 2, n - 1, n, n + 1}:
                assert _binom_cdf(k, n, p) == binom.cdf(k, n, p), (k, n, p)
                assert _binom_pmf(k, n, p) == binom.pmf(k, n, p), (k, n, p)


def test_microsoft_estimator_wraps_qubit_cycles_at_2_64():
    """Past Q_L x D = 2^64 the estimator's u64 product wraps and it asks for a looser logical error
    rate (so a smaller code distance); ours keeps the exact product, so the two differ there only."""
    inp = LogicalCounts(qubits=1112231, t=5497558138880, toffoli=1099511627776, rotations=2147483649)
    ours = ms_physical_estimate(inp)
    qubit_cycles = ours["logical_qubits_after_layout"] * ours["num_cycles"]
    assert qubit_cycles > 2**64
    assert ours["required_logical_error_rate"] == (1e-3 / 3) / qubit_cycles
    bd = _qsharp_result(inp, 1e-3, "qubit_gate_ns_e3", None)["physicalCounts"]["breakdown"]
    assert bd["requiredLogicalQubitErrorRate"] == (1e-3 / 3) / (qubit_cycles % 2**64)
    assert (bd["algorithmicLogicalQubits"], bd["logicalDepth"]) == (ours["logical_qubits_after_layout"], ours["num_cycles"])


def test_cli_model_names_are_the_models_keys():
    """The plain-Python name lists the CLI uses agree with the models' own tables."""
    import estimates.model_names as names
    import estimates.physical as phys

    assert names.MODELS == phys.MODELS
    assert names.MS_PRESETS == tuple(phys.MS_QUBIT_PRESETS)
    assert names.GF_PRESETS == tuple(phys.GF_PRESETS)
    assert names.PRESETS == phys.PRESETS


def test_binomial_quantile_where_the_crates_newton_iteration_cycles():
    """Microsoft's `probability` crate's Newton step alternates 3716 <-> 3717 here forever (so would
    the estimator); ours returns the exact quantile: the smallest m with CDF(m) >= u."""
    import signal

    from estimates.physical import _binom_cdf, _binomial_inverse

    n, fail, u = 3796, 0.0150001068, 0.0025
    signal.alarm(20)  # the old code never returned
    try:
        m = _binomial_inverse(n, fail, u)
    finally:
        signal.alarm(0)
    assert _binom_cdf(m, n, 1 - fail) >= u > _binom_cdf(m - 1, n, 1 - fail)
