import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qattn_cirq.errors import QattnInputError
from qattn_cirq.instance import AttentionInstance, planted_instance
from qattn_cirq.reference import (
    default_tau,
    exact_attention,
    fro_over_spec,
    goodness,
    large_sets,
    row_distortion,
    sparse_rank_one_attention,
    sparse_rank_one_error,
    stable_rank,
    statistical_dimension,
    statistical_dimension_info,
)


def _random_instance(n, d, seed, mag=1.0, scale=1.0):
    rng = np.random.default_rng(seed)
    return AttentionInstance(
        mag * rng.standard_normal((n, d)), mag * rng.standard_normal((n, d)),
        rng.standard_normal((n, d)), scale=scale,
    )


def _naive_attention(inst):
    """Textbook formula with no shift, in extended precision (only for moderate scores)."""
    A = np.exp(np.longdouble(inst.scale) * (inst.Q.astype(np.longdouble) @ inst.K.T.astype(np.longdouble)))
    return np.asarray((A @ inst.V) / A.sum(axis=1, keepdims=True), dtype=np.float64)


def _loop_scores(inst):
    """Brute-force scores: Python floats, left-to-right sum over coordinates, then the scale."""
    n, d = inst.n, inst.d
    s = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            acc = float(inst.Q[i, 0]) * float(inst.K[j, 0])
            for c in range(1, d):
                acc = acc + float(inst.Q[i, c]) * float(inst.K[j, c])
            s[i, j] = inst.scale * acc
    return s


instances = st.builds(
    _random_instance,
    n=st.integers(2, 24),
    d=st.integers(1, 6),
    seed=st.integers(0, 2**31),
    mag=st.floats(0.1, 3.0),
    scale=st.floats(0.1, 2.0),
)


@settings(max_examples=50, deadline=None)
@given(inst=instances)
def test_exact_attention_matches_naive_formula(inst):
    np.testing.assert_allclose(exact_attention(inst), _naive_attention(inst), rtol=1e-9, atol=1e-12)


def test_exact_attention_stable_for_huge_scores():
    inst = _random_instance(16, 4, seed=1, mag=30.0)  # scores of order 1e3
    assert np.abs(inst.scores()).max() > 700  # exp would overflow without the shift
    out = exact_attention(inst)
    assert np.isfinite(out).all()
    # each output row is a convex combination of rows of V
    assert (out <= inst.V.max(axis=0) + 1e-12).all() and (out >= inst.V.min(axis=0) - 1e-12).all()
    # shifting all scores in a row does not change softmax: compare with the instance scaled down
    # is not possible, so check the argmax-dominated rows instead
    s = inst.scores()
    for i in range(inst.n):
        srt = np.sort(s[i])
        if srt[-1] - srt[-2] > 50:
            np.testing.assert_allclose(out[i], inst.V[np.argmax(s[i])], atol=1e-15)


@settings(max_examples=50, deadline=None)
@given(inst=instances, tau=st.floats(-5, 5))
def test_large_sets_and_goodness_match_brute_force(inst, tau):
    s = _loop_scores(inst)
    sets = large_sets(inst, tau)
    for i in range(inst.n):
        assert list(sets[i]) == [j for j in range(inst.n) if s[i, j] >= tau]
    rep = goodness(inst, tau)
    outside = [s[i, j] for i in range(inst.n) for j in range(inst.n) if s[i, j] < tau]
    assert rep.k == max(len(x) for x in sets) and rep.k_min == min(len(x) for x in sets)
    if outside:
        assert rep.max_outside == max(outside)
        assert rep.eta == max(0.0, -min(outside))
        assert rep.conditions_hold == all(-rep.eta <= x <= 0 for x in outside)
    else:
        assert rep.max_outside == -math.inf and rep.conditions_hold and rep.eta == 0.0


def test_goodness_on_planted_and_positive_outside_score():
    p = planted_instance(16, 3, 2, tau=default_tau(16), eta=0.3, seed=4)
    rep = goodness(p.instance, default_tau(16))
    assert rep.k == rep.k_min == 2 and rep.conditions_hold
    assert rep.eta <= 0.3 and rep.max_outside <= 0
    assert all(np.array_equal(a, b) for a, b in zip(rep.sets, p.sets))
    # push one outside score positive: condition fails, sets unchanged
    K = p.instance.K.copy()
    i = 0
    g = int(p.group[i])
    j = next(j for j in range(16) if j not in p.sets[i])
    K[j, g] = 0.5 / p.instance.Q[i, g]  # score 0.5 > 0, still < tau
    bad = AttentionInstance(p.instance.Q, K, p.instance.V)
    rep = goodness(bad, default_tau(16))
    assert not rep.conditions_hold and rep.max_outside == pytest.approx(0.5)


def test_tau_validation():
    inst = _random_instance(4, 2, 0)
    for bad in (float("nan"), float("inf"), "x"):
        with pytest.raises(QattnInputError, match="tau must be a finite real number"):
            goodness(inst, bad)


# ------------------------------------------------------------------ sparse + rank one


def _dense_B_output(inst, sets):
    """The dense formula D(B)^{-1} B V with B = B1 + 1 1^T built explicitly (float64, small scores)."""
    A = np.exp(inst.scores())
    n = inst.n
    B1 = np.zeros((n, n))
    for i, S in enumerate(sets):
        B1[i, S] = A[i, S] - 1.0
    B2 = np.ones((n, 1)) @ np.ones((1, n))  # rank one
    B = B1 + B2
    assert max(np.count_nonzero(B1[i]) for i in range(n)) <= max(len(S) for S in sets)
    return (B @ inst.V) / B.sum(axis=1, keepdims=True)


@settings(max_examples=50, deadline=None)
@given(inst=instances, tau=st.floats(-2, 6))
def test_sparse_rank_one_matches_dense_formula(inst, tau):
    sets = large_sets(inst, tau)
    fast = sparse_rank_one_attention(inst, tau=tau)
    np.testing.assert_allclose(fast, _dense_B_output(inst, sets), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sparse_rank_one_attention(inst, sets=sets), fast)


def test_sparse_rank_one_with_all_or_no_large_entries():
    inst = _random_instance(6, 2, seed=2)
    # no large entries: B is all ones, output is the column mean of V
    out = sparse_rank_one_attention(inst, sets=[[]] * 6)
    np.testing.assert_allclose(out, np.tile(inst.V.mean(axis=0), (6, 1)))
    # every entry large: B = A, output is exact attention
    out = sparse_rank_one_attention(inst, sets=[range(6)] * 6)
    np.testing.assert_allclose(out, exact_attention(inst), rtol=1e-12)


def test_sparse_rank_one_huge_scores_do_not_overflow():
    p = planted_instance(32, 4, 2, tau=800.0, eta=0.5, seed=3)
    out = sparse_rank_one_attention(p.instance, sets=p.sets)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, exact_attention(p.instance), atol=1e-12)


def test_sparse_rank_one_never_forms_n_by_n(monkeypatch):
    # the structured path must not call scores() (which is n x n)
    p = planted_instance(64, 3, 2, tau=default_tau(64), eta=0.2, seed=0)
    monkeypatch.setattr(AttentionInstance, "scores", lambda self: (_ for _ in ()).throw(AssertionError))
    sparse_rank_one_attention(p.instance, sets=p.sets)


def test_sets_validation():
    inst = _random_instance(4, 2, 0)
    with pytest.raises(QattnInputError, match=r"one index set per row \(4\); got 2"):
        sparse_rank_one_attention(inst, sets=[[0], [1]])
    with pytest.raises(QattnInputError, match=r"sets\[1\] has indices outside \[0, 3\]"):
        sparse_rank_one_attention(inst, sets=[[0], [4], [], []])
    with pytest.raises(QattnInputError, match=r"sets\[0\] repeats an index"):
        sparse_rank_one_attention(inst, sets=[[1, 1], [], [], []])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 32),
    d=st.integers(1, 5),
    k=st.integers(0, 3),
    tau=st.floats(0.05, 12.0),
    eta=st.floats(0.0, 5.0),
    seed=st.integers(0, 10**6),
)
def test_error_bounds_hold_on_planted(n, d, k, tau, eta, seed):
    k = min(k, n)
    p = planted_instance(n, d, k, tau, eta, seed=seed)
    err = sparse_rank_one_error(p.instance, tau=tau)
    # brute-force matrix error
    s = p.instance.scores()
    P = np.exp(s - s.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    B = np.ones_like(s)
    for i, S in enumerate(p.sets):
        B[i, S] = np.exp(s[i, S])
    PB = B / B.sum(1, keepdims=True)
    assert err["matrix_error"] == pytest.approx(np.abs(P - PB).sum(1).max(), abs=1e-12)
    assert err["conditions_hold"] and err["bound_applies"] and err["eta"] <= eta
    assert err["matrix_error"] <= err["matrix_bound"] * (1 + 1e-9) + 1e-14
    assert err["matrix_bound"] <= err["matrix_bound_eta"] * (1 + 1e-12) <= 2 * eta + 1e-15
    assert err["output_error"] <= err["output_bound"] * (1 + 1e-9) + 1e-14


def test_error_bound_is_small_in_theorem_regime():
    n = 64
    p = planted_instance(n, 4, 2, tau=default_tau(n), eta=1.0, seed=8)
    err = sparse_rank_one_error(p.instance)  # tau defaults to 2 ln n
    assert err["matrix_bound"] <= 2 * 1.0 / n
    assert 0 < err["matrix_error"] <= err["matrix_bound"]


def test_error_reports_failed_conditions():
    inst = _random_instance(8, 3, seed=5, mag=2.0)
    err = sparse_rank_one_error(inst, tau=1.0)
    assert not err["conditions_hold"] and not err["bound_applies"]


# ------------------------------------------------------------------ 2602.00874 parameters


@settings(max_examples=30, deadline=None)
@given(inst=instances, lam=st.floats(1e-3, 1e3))
def test_statistical_dimension_matches_trace_formula(inst, lam):
    X = np.vstack([inst.Q, inst.K])
    E = np.exp(inst.scale * X @ X.T)
    if not np.isfinite(E).all() or E.max() > 1e12:
        return  # the textbook formula needs moderate entries
    expected = np.trace(E @ np.linalg.inv(E + lam * np.eye(2 * inst.n)))
    got = statistical_dimension(inst, lam)
    # eigenvalues below the round-off level 2n eps ||E|| are unknowable; each moves s by <= mu/lam
    noise = (2 * inst.n) ** 2 * np.finfo(float).eps * np.linalg.norm(E, 2) / lam
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-6 + noise)
    assert 0 < got <= 2 * inst.n


def _s_lambda_high_precision(inst, lam, dps=60):
    import mpmath

    with mpmath.workdps(dps):
        X = np.vstack([inst.Q, inst.K])
        m = X.shape[0]
        E = mpmath.matrix(m, m)
        for i in range(m):
            for j in range(m):
                dot = mpmath.fsum(mpmath.mpf(float(a)) * mpmath.mpf(float(b)) for a, b in zip(X[i], X[j]))
                E[i, j] = mpmath.exp(mpmath.mpf(inst.scale) * dot)
        ev = mpmath.eigsy(E, eigvals_only=True)
        return float(mpmath.fsum(e / (e + lam) for e in ev if e > 0))


@pytest.mark.parametrize("n, d, k, seed", [(8, 1, 1, 2), (8, 2, 2, 1)])
def test_statistical_dimension_wide_dynamic_range_planted(n, d, k, seed):
    # E spans ~1e50: a direct eigensolver returns ~d; the scaled Cholesky form stays exact
    inst = planted_instance(n, d, k, default_tau(n), 0.3, seed=seed).instance
    assert statistical_dimension(inst, 1.0) == pytest.approx(_s_lambda_high_precision(inst, 1.0), rel=1e-9)


def test_statistical_dimension_large_scores_and_monotone():
    inst = _random_instance(10, 3, seed=1, mag=20.0)
    vals = [statistical_dimension(inst, lam) for lam in (1e-3, 1.0, 1e3, 1e6)]
    assert all(np.isfinite(vals)) and all(a >= b for a, b in zip(vals, vals[1:]))
    with pytest.raises(QattnInputError, match="lam must be a finite real number > 0"):
        statistical_dimension(inst, 0.0)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 20), d=st.integers(1, 6), seed=st.integers(0, 10**6))
def test_stable_rank_and_row_distortion_brute_force(n, d, seed):
    V = np.random.default_rng(seed).standard_normal((n, d))
    sv = np.linalg.svd(V, compute_uv=False)
    sr = stable_rank(V)
    assert sr == pytest.approx(np.sum(sv**2) / sv[0] ** 2)
    assert 1 - 1e-12 <= sr <= np.linalg.matrix_rank(V) + 1e-9
    # leverage scores via the hat matrix V (V^T V)^+ V^T
    H = V @ np.linalg.pinv(V.T @ V) @ V.T
    lev = np.diag(H)
    r = np.linalg.matrix_rank(V)
    rows = np.sum(V**2, axis=1)
    expected = np.max((rows / rows.sum()) / (lev / r))
    alpha = row_distortion(V)
    assert alpha == pytest.approx(expected, rel=1e-6)
    assert 1 - 1e-9 <= alpha <= r / sr + 1e-9


def test_row_distortion_extremes():
    # orthonormal columns with equal row norms: both distributions uniform, alpha = 1
    H = np.array([[1, 1], [1, -1], [1, 1], [1, -1]], dtype=float) / 2
    assert row_distortion(H) == pytest.approx(1.0)
    assert math.isnan(row_distortion(np.zeros((3, 2))))
    assert stable_rank(np.zeros((3, 2))) == 0.0
    # zero rows are skipped, not divided by
    assert np.isfinite(row_distortion(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]])))


@settings(max_examples=30, deadline=None)
@given(inst=instances)
def test_fro_over_spec_brute_force(inst):
    A = np.exp(inst.scores())
    if not np.isfinite(A).all():
        return
    expected = np.linalg.norm(A, "fro") / np.linalg.norm(A, 2)
    assert fro_over_spec(inst) == pytest.approx(expected, rel=1e-9)
    assert 1 - 1e-12 <= fro_over_spec(inst) <= math.sqrt(inst.n) + 1e-9


def test_statistical_dimension_duplicate_points_with_underflowing_lambda():
    # all 2n points equal with scale |x|^2 = 800: E = e^800 J (rank one), s_lambda = 1 - O(e^-800);
    # lambda e^-800 underflows and A = J is singular, so the floored Cholesky path is taken
    v = np.array([[20.0, 20.0]])
    inst = AttentionInstance(np.repeat(v, 4, 0), np.repeat(v, 4, 0), np.ones((4, 2)))
    value, exact = statistical_dimension_info(inst, 1.0)
    assert value == pytest.approx(1.0, abs=1e-6) and not exact
    with pytest.warns(RuntimeWarning, match="lower bound"):
        statistical_dimension(inst, 1.0)
    # and with moderate norms the same structure gives 8 e^g / (8 e^g + lam) exactly
    w = np.array([[0.5, 0.5]])
    inst = AttentionInstance(np.repeat(w, 4, 0), np.repeat(w, 4, 0), np.ones((4, 2)))
    mu = 8 * math.exp(0.5)
    assert statistical_dimension(inst, 2.0) == pytest.approx(mu / (mu + 2.0), rel=1e-9)


def test_statistical_dimension_tight_cluster_is_reported_as_lower_bound():
    # 12 points within 1e-5 of each other at norm ~15: every eigenvalue of E is >> lambda, so
    # s_lambda = 12 (60-digit arithmetic), which float64 cannot resolve; the function must say so
    rng = np.random.default_rng(4)
    c = np.array([11.0, 10.0])
    Q = c + 1e-5 * rng.standard_normal((6, 2))
    K = c + 1e-5 * rng.standard_normal((6, 2))
    inst = AttentionInstance(Q, K, np.ones((6, 2)))
    truth = _s_lambda_high_precision(inst, 1.0, dps=120)
    value, exact = statistical_dimension_info(inst, 1.0)
    assert not exact and value <= truth + 1e-9 and truth == pytest.approx(12.0, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_statistical_dimension_exact_flag_is_honest(seed):
    # clustered points at random norms: when the value is flagged exact it matches 80-digit
    # arithmetic; otherwise it is a lower bound
    rng = np.random.default_rng(100 + seed)
    n, d = 4, int(rng.integers(1, 4))
    centre = rng.standard_normal(d) * rng.uniform(0, 12)
    Q = centre + rng.standard_normal((n, d)) * 10 ** rng.uniform(-6, 0.5)
    K = centre + rng.standard_normal((n, d)) * 10 ** rng.uniform(-6, 0.5)
    inst = AttentionInstance(Q, K, np.ones((n, d)), scale=10 ** rng.uniform(-1, 0.5))
    lam = 10 ** rng.uniform(-3, 3)
    value, exact = statistical_dimension_info(inst, lam)
    truth = _s_lambda_high_precision(inst, lam, dps=80)
    if exact:
        assert value == pytest.approx(truth, rel=1e-8)
    else:
        assert value <= truth + 1e-9
