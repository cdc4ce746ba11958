import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qattn_cirq.errors import QattnInputError
from qattn_cirq.halfspace import HalfspaceTree, halfspace_large_sets
from qattn_cirq.instance import AttentionInstance, planted_instance
from qattn_cirq.reference import default_tau, large_sets


def _brute(K, q, scale, tau):
    """Independent brute force in Python floats with the documented left-to-right sum."""
    out = []
    for j, k in enumerate(K):
        acc = float(q[0]) * float(k[0])
        for c in range(1, len(q)):
            acc = acc + float(q[c]) * float(k[c])
        if scale * acc >= tau:
            out.append(j)
    return out


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(1, 120),
    d=st.integers(1, 5),
    leaf=st.integers(1, 20),
    scale=st.floats(0.01, 10.0),
    seed=st.integers(0, 2**31),
    data=st.data(),
)
def test_query_matches_brute_force_random(n, d, leaf, scale, seed, data):
    rng = np.random.default_rng(seed)
    K = rng.standard_normal((n, d)) * rng.uniform(0.1, 100)
    tree = HalfspaceTree(K, scale, leaf_size=leaf)
    for _ in range(4):
        q = rng.standard_normal(d) * rng.uniform(0.01, 10)
        s = scale * (K @ q)
        # thresholds at quantiles of the scores, and exactly at a score value (a tie)
        tau = data.draw(st.sampled_from([float(np.quantile(s, 0.9)), float(s.max()), -1e9, 1e9]))
        got = tree.query(q, tau)
        assert list(got) == _brute(K, q, scale, tau)
        np.testing.assert_array_equal(got, tree.brute_force(q, tau))


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(1, 80),
    d=st.integers(1, 4),
    leaf=st.integers(1, 8),
    seed=st.integers(0, 2**31),
    data=st.data(),
)
def test_ties_on_integer_grid_are_reported(n, d, leaf, seed, data):
    # small integers: many keys share a score exactly equal to tau; >= must include all of them
    rng = np.random.default_rng(seed)
    K = rng.integers(-3, 4, size=(n, d)).astype(float)
    tree = HalfspaceTree(K, 1.0, leaf_size=leaf)
    q = rng.integers(-3, 4, size=d).astype(float)
    s = K @ q
    tau = float(data.draw(st.sampled_from(sorted(set(s.tolist())))))
    got = tree.query(q, tau)
    assert list(got) == [j for j in range(n) if s[j] >= tau]
    assert list(tree.query(q, np.nextafter(tau, np.inf))) == [j for j in range(n) if s[j] > tau]


def test_duplicate_keys_zero_query_and_single_key():
    K = np.ones((50, 3))
    tree = HalfspaceTree(K, leaf_size=4)
    assert tree.nodes_total == 1  # identical keys cannot be split
    np.testing.assert_array_equal(tree.query([1, 0, 0], 1.0), np.arange(50))
    assert tree.query([1, 0, 0], 1.0000001).size == 0
    # q = 0: every score is 0
    np.testing.assert_array_equal(tree.query([0, 0, 0], 0.0), np.arange(50))
    assert tree.query([0, 0, 0], 1e-300).size == 0
    one = HalfspaceTree(np.array([[2.0]]))
    assert list(one.query([3.0], 6.0)) == [0]


def test_pruning_skips_most_keys_in_low_dimension():
    rng = np.random.default_rng(0)
    n = 4096
    K = rng.standard_normal((n, 2))
    tree = HalfspaceTree(K, leaf_size=16)
    q = np.array([1.0, 0.5])
    tau = float(np.quantile(K @ q, 0.995))  # ~20 large scores
    got, stats = tree.query_with_stats(q, tau)
    np.testing.assert_array_equal(got, tree.brute_force(q, tau))
    assert stats.keys_scored + stats.keys_bulk < n / 10
    assert stats.visited_fraction < 0.25
    # build is balanced: depth about log2(n / leaf)
    assert tree.nodes_total < 2 * n / 16 * 2


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(2, 64),
    d=st.integers(1, 6),
    k=st.integers(0, 4),
    eta=st.floats(0.0, 2.0),
    seed=st.integers(0, 10**6),
)
def test_all_large_sets_equal_reference_on_planted(n, d, k, eta, seed):
    k = min(k, n)
    tau = default_tau(n) if n > 2 else 1.0
    p = planted_instance(n, d, k, tau, eta, seed=seed)
    sets = halfspace_large_sets(p.instance, tau, leaf_size=4)
    for got, ref, planted in zip(sets, large_sets(p.instance, tau), p.sets):
        np.testing.assert_array_equal(got, ref)
        np.testing.assert_array_equal(got, planted)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 60), d=st.integers(1, 6), seed=st.integers(0, 10**6), tau=st.floats(-3, 3))
def test_all_large_sets_equal_reference_on_random(n, d, seed, tau):
    rng = np.random.default_rng(seed)
    inst = AttentionInstance(rng.standard_normal((n, d)), rng.standard_normal((n, d)),
                             rng.standard_normal((n, d)), scale=1 / math.sqrt(d))
    for got, ref in zip(halfspace_large_sets(inst, tau, leaf_size=3), large_sets(inst, tau)):
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(K=np.ones(3)), r"K must be a non-empty 2-D array"),
        (dict(K=np.array([[np.nan]])), r"K contains NaN"),
        (dict(K=np.ones((2, 2)), scale=0.0), r"scale must be a finite real number > 0"),
        (dict(K=np.ones((2, 2)), leaf_size=0), r"leaf_size must be an integer >= 1"),
    ],
)
def test_build_validation(kwargs, message):
    with pytest.raises(QattnInputError, match=message):
        HalfspaceTree(**kwargs)


def test_query_validation():
    tree = HalfspaceTree(np.ones((4, 2)))
    with pytest.raises(QattnInputError, match=r"query must have length d = 2"):
        tree.query([1.0, 2.0, 3.0], 0.0)
    with pytest.raises(QattnInputError, match="tau must be a finite real number"):
        tree.query([1.0, 2.0], float("nan"))
    with pytest.raises(QattnInputError, match="query contains NaN"):
        tree.query([1.0, float("inf")], 0.0)


def test_classical_twin_end_to_end_never_forms_scores(monkeypatch):
    from qattn_cirq.halfspace import classical_twin_attention
    from qattn_cirq.reference import exact_attention, sparse_rank_one_attention

    p = planted_instance(256, 2, 3, default_tau(256), 0.3, seed=2)
    expected = sparse_rank_one_attention(p.instance, sets=p.sets)
    ref_exact = exact_attention(p.instance)
    # neither the tree nor the rank-one evaluation may build the n x n score matrix
    monkeypatch.setattr(AttentionInstance, "scores", lambda self: (_ for _ in ()).throw(AssertionError))
    out, sets = classical_twin_attention(p.instance)
    assert all(np.array_equal(a, b) for a, b in zip(sets, p.sets))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)
    # tau = 2 ln n regime: the twin is within the O(eta / n) bound of exact attention
    assert np.abs(out - ref_exact).max() <= 2 * 0.3 / 256 * np.abs(p.instance.V).max()
