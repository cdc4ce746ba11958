"""QAttentionPreprocess / QAttentionRowQuery: call graphs vs components and decompositions, symbols,
cost-model switches, the classical row query (0 T, FLOPs), the ledger, the fitted n-exponent vs the
paper's 0.5, and the estimate's JSON shape."""

import math

import pytest
import sympy
from qualtran.bloqs.arithmetic import Add
from qualtran.bloqs.arithmetic.multiplication import Product
from qualtran import QUInt

from estimates.cost_checks import assert_costs_consistent
from bloqs.nystrom import LandmarkFeatures, symbols
from bloqs.qattention import QAttentionPreprocess, QAttentionRowQuery, VRowSampling, row_query_flops, v_samples_expr
from estimates.counts import logical_counts
from estimates.qattention_estimates import (
    fitted_exponent,
    t_count_expr,
    qattention_estimate,
    qattention_formula,
)
from qattn_cirq.errors import QattnInputError


@pytest.mark.parametrize(
    "v_weights",
    [(1, 3, 2, 1), (3, 1, 1, 2), (2, 2, 1, 3)],
)
def test_preprocess_concrete_equals_sum_of_decomposable_steps(v_weights):
    pre = QAttentionPreprocess.from_data(
        n=4, d=2, bits=2, eps=0.6,
        landmark_weights=(1, 3, 2, 1, 1, 1, 3, 2), landmark_draws=3,
        values=((1, 3), (2, 0), (3, 3), (0, 1)),
        v_weights=v_weights, v_samples=5,
    )
    # every quantum step with a decomposition: call graph == flattened == Cirq T count
    t_land = assert_costs_consistent(pre.landmarks.sampler)
    t_v = assert_costs_consistent(pre.v_rows.sampler)
    t_mean = logical_counts(pre.mean).t_count
    total = logical_counts(pre)
    assert total.t_count == 3 * t_land + t_mean + 5 * t_v
    assert total.qubits == max(logical_counts(b).qubits for b in (pre.landmarks, pre.mean, pre.v_rows))


def test_symbols_and_switches():
    T = lambda part: t_count_expr(part, "qrom")
    free = {x.name for x in sympy.sympify(T("preprocess")).free_symbols}
    assert free == {"n", "d", "s", "alpha", "eps", "b"}
    assert T("row_query") == 0  # the paper's row query is classical
    row = {x.name for x in sympy.sympify(t_count_expr("row_query", "qrom", row_query="reversible")).free_symbols}
    assert row == {"d", "s", "b"}  # the reversible option never touches n either
    n, d, s, alpha, eps, b = symbols()
    vals = {n: 2**16, d: 8, s: 4, alpha: 2, eps: sympy.Rational(1, 4), b: 6}
    parts = sum(T(k).subs(vals) for k in ("landmarks", "mean", "v_rows"))
    assert sympy.simplify(T("preprocess").subs(vals) - parts) == 0
    # hamoudi (sqrt(K N) rounds) is cheaper than K repeated samplers at the same point
    rep = logical_counts(VRowSampling(n, d, alpha, b, v_samples_expr(d, eps), multi_sample="repeat")).t_count
    ham = logical_counts(VRowSampling(n, d, alpha, b, v_samples_expr(d, eps), multi_sample="hamoudi")).t_count
    assert float(ham.subs(vals)) < float(rep.subs(vals))
    with pytest.raises(QattnInputError):
        VRowSampling(8, 2, 1.0, 3, 4, multi_sample="batch")


def _counted_row_query_flops(d, s, seed):
    """One classical row query in numpy, counting every add / multiply / exp / divide."""
    import numpy as np

    rng = np.random.default_rng(seed)
    X_S, W_half, M, z, q = (rng.normal(size=sh) for sh in ((s, d), (s, s), (s, d), (s,), (d,)))
    count = 0
    k = np.exp(X_S @ q)  # scale folded into the stored landmarks
    count += 2 * s * d + s
    u = k @ W_half
    count += 2 * s * s
    num = u @ M
    count += 2 * s * d
    den = u @ z
    count += 2 * s
    row = num / den
    count += d
    ref = (np.exp(X_S @ q) @ W_half @ M) / (np.exp(X_S @ q) @ W_half @ z)
    assert np.allclose(row, ref)
    return count


@pytest.mark.parametrize("d,s", [(2, 3), (8, 4), (128, 64)])
def test_classical_row_query_is_zero_t_and_its_flops_match_a_counted_query(d, s):
    rq = QAttentionRowQuery(d, s, 8)
    c = logical_counts(rq)
    assert (c.t_count, c.toffoli, c.rotations, c.clifford, c.qubits) == (0, 0, 0, 0, 0)
    assert rq.classical_flops() == row_query_flops(d, s) == 2 * s * s + 4 * s * d + 3 * s + d
    assert rq.classical_flops() == _counted_row_query_flops(d, s, seed=d * s)
    assert rq.structure_bytes(4) == (2 * s * d + s * s + s) * 4
    with pytest.raises(QattnInputError, match="mode"):
        QAttentionRowQuery(d, s, 8, mode="quantum")


def test_reversible_row_query_option_costs():
    lm = ((1, -1), (0, 1))
    feats = LandmarkFeatures(2, 2, 2, landmarks=lm, scale=0.7, frac_bits=3)
    rq = QAttentionRowQuery(2, 2, 2, features=feats, mode="reversible")
    t_feat = assert_costs_consistent(feats, check_cirq=False)
    p = rq.word_bits
    mult = 2 * 2 + 2 * 2 + 2
    per = logical_counts(Product(p, p)).t_count + logical_counts(Add(QUInt(2 * p))).t_count
    assert logical_counts(rq).t_count == t_feat + mult * per
    assert rq.multiply_adds == mult
    assert rq.classical_flops() == row_query_flops(2, 2)  # the same arithmetic, run classically
    with pytest.raises(QattnInputError, match="reversible"):
        QAttentionRowQuery(2, 2, 2, features=feats)  # gate-level features only in the reversible option
    d, s, b = sympy.symbols("d s b", positive=True, integer=True)
    t = logical_counts(QAttentionRowQuery(d, s, b, mode="reversible")).t_count
    # O(s^2 + s d): the s^2 coefficient is one product + one add
    assert sympy.Poly(sympy.expand(t), s).degree() == 2


@pytest.mark.parametrize("loader,lo,hi", [("qrom", 1.45, 1.55), ("assumed", 0.45, 0.55)])
def test_fitted_exponent_vs_paper(loader, lo, hi):
    fit = fitted_exponent(ns=(2**10, 2**15, 2**20, 2**25, 2**29, 2**30), loader=loader)
    assert fit["paper_exponent"] == 0.5
    # the local slope at n = 2^30 is the asymptotic exponent: n^1.5 with QROM lookups,
    # the paper's n^0.5 (times logs) with the assumed QRAM
    assert lo < fit["local_exponent"] < hi
    assert fit["fitted_exponent"] <= fit["local_exponent"] + 0.02


def test_estimate_shape_and_bad_input():
    r = qattention_estimate(2**12, 8, 4, 2.0, 0.25, 6)
    for part in ("preprocess", "row_query", "total"):
        assert set(r["logical"][part]) == {"t_count", "toffoli", "clifford", "rotations", "measurements", "qubits"}
    assert r["logical"]["preprocess"]["t_count"] > 0
    assert all(v == 0 for v in r["logical"]["row_query"].values())  # classical row query
    assert r["logical"]["total"] == r["logical"]["preprocess"]
    assert r["v_samples"] == math.ceil(8 / 0.25**2)
    assert r["sampling_rounds"]["landmarks"] == math.ceil(math.pi / 4 * math.sqrt(2 * 2**12 / 4))
    assert sum(r["components"][k]["t_count"] for k in ("landmarks", "mean", "v_rows")) == r["logical"]["preprocess"]["t_count"]
    for bad in (
        dict(eps=0.0), dict(eps=1.0), dict(s_lambda=2 * 2**12 + 1), dict(alpha=0.5), dict(n=1), dict(bits=1),
        dict(row_query="quantum"), dict(gpu="tpu"), dict(word_bytes=0),
    ):
        args = dict(n=2**12, d=8, s_lambda=4, alpha=2.0, eps=0.25, bits=6)
        args.update(bad)
        with pytest.raises(QattnInputError) as e:
            qattention_estimate(**args)
        assert "\n" not in str(e.value)
    f = qattention_formula()
    assert f["paper"]["n_exponent"] == 0.5 and "n" in f["preprocess"]["t_count"]


def test_formula_leading_terms_and_cli(capsys):
    import json

    from qattn_cirq.cli import main

    f = qattention_formula("assumed")
    lead = sympy.sympify(f["leading_terms"]["t_count"])
    n = sympy.Symbol("n")
    # the assumed QRAM leaves sqrt(n) log n; QROM lookups give n^(3/2)
    ratio = sympy.limit(lead / (sympy.sqrt(n) * sympy.log(n)), n, sympy.oo)
    assert n not in ratio.free_symbols and ratio != 0 and ratio.is_finite is not False
    assert "n**(3/2)" in qattention_formula("qrom")["leading_terms"]["t_count"]
    assert main(["estimate", "qattention", "--n", "4096", "--d", "8", "--s-lambda", "4", "--alpha", "2",
                 "--eps", "0.25", "--bits", "6", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    cli = {k: v for k, v in data["logical_parts"]["preprocess"].items() if k != "t"}  # the CLI adds raw t
    assert cli == qattention_estimate(4096, 8, 4, 2.0, 0.25, 6)["logical"]["preprocess"]
    assert main(["estimate", "qattention", "--n", "16", "--d", "2", "--s-lambda", "40", "--alpha", "1",
                 "--eps", "0.5", "--bits", "4"]) == 2
    err = capsys.readouterr().err.strip()
    assert "s_lambda" in err and "\n" not in err


LEDGER_KEYS = {"component", "kind", "calls", "t_per_call", "t_total", "share", "flops", "bytes", "seconds", "source", "best_known"}


@pytest.mark.parametrize("n,d,s", [(2**12, 8, 4), (2**16, 8, 4), (2**20, 8, 6)])
def test_estimate_charges_the_row_query_classically(n, d, s):
    from estimates.classical import roofline_time_s

    r = qattention_estimate(n, d, s, 2.0, 0.25, 6)
    lg = r["logical"]
    assert lg["row_query"]["t_count"] == 0 and lg["row_query"]["qubits"] == 0
    assert lg["total"]["qubits"] == lg["preprocess"]["qubits"]  # the quantum machine: preprocessing only
    assert lg["total"]["t_count"] == lg["preprocess"]["t_count"]
    f = 2 * s * s + 4 * s * d + 3 * s + d
    c = r["classical"]
    assert r["classical_flops"]["row_query"] == c["row_query"]["flops"] == f
    assert c["row_queries_all_n"]["flops"] == n * f
    w = r["classical"]["word_bytes"]
    assert r["classical_memory_bytes"] == c["data_structure_bytes"] == (2 * s * d + s * s + s) * w
    # batched: the structure once + each query's row in and answer out, on the baseline's roofline
    assert c["row_queries_all_n"]["bytes"] == (2 * s * d + s * s + s) * w + n * 2 * d * w
    assert c["row_queries_all_n"]["time_s"] == pytest.approx(roofline_time_s(n * f, c["row_queries_all_n"]["bytes"])["time_s"])
    led = r["ledger"]
    assert [row["component"] for row in led] == ["landmark sampling", "mean estimation", "V-row sampling",
                                                   "classical post-processing", "row query x n"]
    assert all(set(row) == LEDGER_KEYS for row in led)
    quantum = [row for row in led if row["kind"] == "quantum"]
    assert sum(row["t_total"] for row in quantum) == lg["total"]["t_count"]
    assert sum(row["share"] for row in quantum) == pytest.approx(1.0)
    # quantum rows: T from the sub-bloqs' symbolic counts
    for row, comp in zip(quantum, ("landmarks", "mean", "v_rows")):
        assert row["t_total"] == r["components"][comp]["t_count"]
        assert row["t_per_call"] * row["calls"] == pytest.approx(row["t_total"])
        assert row["flops"] is None and row["seconds"] is None
    assert quantum[0]["calls"] == r["landmark_draws"] and quantum[2]["calls"] == r["v_samples"]
    rowq = led[-1]
    assert rowq["kind"] == "classical" and rowq["calls"] == n and rowq["t_total"] is None and rowq["share"] is None
    assert rowq["flops"] == n * f and rowq["seconds"] == c["row_queries_all_n"]["time_s"]
    assert "2602.00874" in rowq["source"]


def test_reversible_row_query_option_in_the_estimate():
    r = qattention_estimate(2**12, 8, 4, 2.0, 0.25, 6, row_query="reversible")
    lg = r["logical"]
    assert "not the paper" in r["cost_models"]["row_query"]
    assert lg["row_query"]["t_count"] > 0
    assert lg["total"]["t_count"] == lg["preprocess"]["t_count"] + 2**12 * lg["row_query"]["t_count"]
    assert lg["total"]["qubits"] == max(lg["preprocess"]["qubits"], lg["row_query"]["qubits"])
    assert sum(row["t_total"] for row in r["ledger"] if row["kind"] == "quantum") == lg["total"]["t_count"]
    assert "OPTION" in r["ledger"][-1]["source"] and r["ledger"][-1]["kind"] == "quantum"


def test_row_query_bloq_examples_work_with_qualtran_tools():
    from bloqs.qattention import _qattention_row_query_reversible_symb, _qattention_row_query_symb

    classical = _qattention_row_query_symb.make()
    assert classical.mode == "classical" and classical.signature.n_qubits() == 0
    graph, sigma = classical.call_graph()
    assert sigma == {classical: 1}  # a leaf: nothing quantum below it
    rev = _qattention_row_query_reversible_symb.make()
    graph, sigma = rev.call_graph(max_depth=1)
    assert any(isinstance(b, Product) for b in sigma)
