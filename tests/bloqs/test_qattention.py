"""QAttentionPreprocess / QAttentionRowQuery: call graphs vs components and decompositions, symbols,
cost-model switches, the fitted n-exponent vs the paper's 0.5, and the estimate's JSON shape."""

import math

import pytest
import sympy
from qualtran.bloqs.arithmetic import Add
from qualtran.bloqs.arithmetic.multiplication import Product
from qualtran import QUInt

from bloqs.cost_checks import assert_costs_consistent
from bloqs.nystrom import LandmarkFeatures, symbols
from bloqs.qattention import QAttentionPreprocess, QAttentionRowQuery, VRowSampling, v_samples_expr
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
    row = {x.name for x in sympy.sympify(T("row_query")).free_symbols}
    assert row == {"d", "s", "b"}  # a row query never touches n
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


def test_row_query_costs():
    lm = ((1, -1), (0, 1))
    feats = LandmarkFeatures(2, 2, 2, landmarks=lm, scale=0.7, frac_bits=3)
    rq = QAttentionRowQuery(2, 2, 2, features=feats)
    t_feat = assert_costs_consistent(feats, check_cirq=False)
    p = rq.word_bits
    mult = 2 * 2 + 2 * 2 + 2
    per = logical_counts(Product(p, p)).t_count + logical_counts(Add(QUInt(2 * p))).t_count
    assert logical_counts(rq).t_count == t_feat + mult * per
    assert rq.classical_flops() == 2 * 2 + mult
    d, s, b = sympy.symbols("d s b", positive=True, integer=True)
    t = logical_counts(QAttentionRowQuery(d, s, b)).t_count
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
    for part in ("preprocess", "row_query"):
        assert set(r["logical"][part]) == {"t_count", "toffoli", "clifford", "rotations", "measurements", "qubits"}
        assert r["logical"][part]["t_count"] > 0
    assert r["v_samples"] == math.ceil(8 / 0.25**2)
    assert r["sampling_rounds"]["landmarks"] == math.ceil(math.pi / 4 * math.sqrt(2 * 2**12 / 4))
    assert sum(r["components"][k]["t_count"] for k in ("landmarks", "mean", "v_rows")) == r["logical"]["preprocess"]["t_count"]
    for bad in (
        dict(eps=0.0), dict(eps=1.0), dict(s_lambda=2 * 2**12 + 1), dict(alpha=0.5), dict(n=1), dict(bits=1),
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
    assert data["logical"]["preprocess"] == qattention_estimate(4096, 8, 4, 2.0, 0.25, 6)["logical"]["preprocess"]
    assert main(["estimate", "qattention", "--n", "16", "--d", "2", "--s-lambda", "40", "--alpha", "1",
                 "--eps", "0.5", "--bits", "4"]) == 2
    err = capsys.readouterr().err.strip()
    assert "s_lambda" in err and "\n" not in err
