"""The papers' assumptions measured on the shipped real-attention sets (qattn_cirq.realdata).

Runs without torch: the sets are MiniLM-L6 heads shipped under qattn_cirq/data/. The figures
are checked for internal consistency (errors vanish when nothing is dropped, masses nest,
s_lambda falls with lambda, the bounds that hold by construction hold).
"""

import math

import numpy as np
import pytest

from qattn_cirq import realdata as rd
from qattn_cirq.errors import QattnInputError
from qattn_cirq.instance import AttentionInstance
from qattn_cirq.reference import (
    default_tau,
    exact_attention,
    goodness,
    sparse_rank_one_attention,
    sparse_rank_one_error,
    statistical_dimension,
)


@pytest.fixture(scope="module")
def set128():
    return rd.load_set(rd.shipped_set_path(128))


@pytest.fixture(scope="module")
def set256():
    return rd.load_set(rd.shipped_set_path(256))


@pytest.fixture(scope="module")
def small_report(set128):
    # 6 heads (one per layer) keep the O(n^3) kernel work inside the test budget
    sub = rd.HeadSet(heads=set128.heads[::4], source="shipped n=128, every 4th head")
    return rd.inspect_set(sub, masses=(0.5, 0.9, 0.99), lam_fracs=(0.01, 1.0, 1e2, 1e4))


def test_shipped_sets_load(set128, set256):
    for hs, n in ((set128, 128), (set256, 256)):
        assert len(hs) == 18
        assert [h.name for h in hs.heads[:4]] == ["L0H0", "L0H4", "L0H8", "L1H0"]
        assert {(h.layer, h.head) for h in hs.heads} == {(l, h) for l in range(6) for h in (0, 4, 8)}
        for h in hs.heads:
            assert (h.instance.n, h.instance.d) == (n, 32)
            assert h.instance.scale == pytest.approx(1 / math.sqrt(32))
        assert len(hs.tokens) == n and hs.tokens[0] == "[CLS]" and hs.tokens[-1] == "[SEP]"
        assert hs.meta["n"] == n and hs.meta["max_hook_error"] < 1e-4
    # the n = 128 run is a separate forward pass, yet the first tokens agree
    assert set256.tokens[:127] == set128.tokens[:127]


def test_error_is_zero_when_nothing_is_dropped(set128):
    """k = n: B = A, so every fill and the reference's O(nkd) route reproduce attention exactly."""
    full = [np.arange(128)] * 128
    for h in set128.heads[::4]:
        inst = h.instance
        for fill in rd.FILLS:
            e = rd.fill_error(inst, full, fill)
            assert e["matrix_error"] == pytest.approx(0.0, abs=1e-12)
            assert e["output_rel_error"] == pytest.approx(0.0, abs=1e-12)
        ref = sparse_rank_one_error(inst, sets=full)
        assert ref["matrix_error"] == pytest.approx(0.0, abs=1e-12)
        np.testing.assert_allclose(sparse_rank_one_attention(inst, sets=full), exact_attention(inst),
                                   atol=1e-12)
        # and dropping something does cost something
        k, sets = rd.k_for_mass(inst, 0.9)
        assert rd.fill_error(inst, sets, "one")["matrix_error"] > 1e-3


def test_k_for_mass_is_minimal_and_nested(set128, set256):
    for hs in (set128, set256):
        for h in hs.heads[::5]:
            inst = h.instance
            s = inst.scores()
            P = np.exp(s - s.max(axis=1, keepdims=True))
            P /= P.sum(axis=1, keepdims=True)
            k90, sets90 = rd.k_for_mass(inst, 0.9)
            k99, sets99 = rd.k_for_mass(inst, 0.99)
            assert np.all(k99 >= k90) and np.all(k90 >= 1) and np.all(k99 <= inst.n)
            for i in range(0, inst.n, 17):
                assert len(sets90[i]) == k90[i]
                assert set(sets90[i]) <= set(sets99[i])  # top-k sets nest
                mass = P[i, sets90[i]].sum()
                assert mass >= 0.9 - 1e-9
                # minimal: without its smallest weight the set holds < 90%
                assert mass - P[i, sets90[i]].min() < 0.9


def test_report_consistency(small_report):
    rows = small_report["heads"]
    assert len(rows) == 5 and small_report["n"] == [128] and small_report["d"] == [32]
    for r in rows:
        # masses nest: more mass needs at least as many keys, and errors shrink
        assert r["k50_max"] <= r["k90_max"] <= r["k99_max"] <= r["n"]
        assert r["k50_median_row"] <= r["k90_median_row"] <= r["k99_median_row"]
        # one threshold for all rows keeps at least the per-row sets
        assert r["k90_at_tau_min_row"] >= r["k90_max"]
        # mean fill keeps D(B) = D(A): the row error is at most twice the dropped mass
        for p, tg in ((0.5, "50"), (0.9, "90"), (0.99, "99")):
            assert r[f"err{tg}_mean"] <= 2 * (1 - p) + 1e-12
            assert 0.0 <= r[f"err{tg}_one"] <= 2.0
        assert r["err99_mean"] <= r["err90_mean"] <= r["err50_mean"]
        # s_lambda falls as lambda grows and stays within [0, 2n]
        s = [r[f"s_lambda_{f:g}"] for f in (0.01, 1.0, 1e2, 1e4)]
        assert all(a >= b for a, b in zip(s, s[1:])) and s[0] > s[-1]
        assert 0 < s[-1] and s[0] <= 2 * r["n"]
        # the paper's bound alpha <= d / srank(V), and alpha >= 1
        assert 1.0 - 1e-9 <= r["alpha"] <= r["d_over_srank_v"] + 1e-9
        assert 1.0 - 1e-12 <= r["fro_over_spec_a"] <= math.sqrt(r["n"])
        assert 1 / math.sqrt(r["n"]) - 1e-12 <= r["inf_over_spec_a"] <= math.sqrt(r["n"]) + 1e-12
        assert 0 < r["eps_max"] <= math.sqrt(r["n"])
        # tau = 2 ln n columns agree with the reference
        assert r["tau"] == pytest.approx(default_tau(128))
    summ = small_report["summary"]
    assert summ["k90_max"]["min"] <= summ["k90_max"]["median"] <= summ["k90_max"]["max"]
    assert summ["conditions_hold_tau"]["true"] + summ["conditions_hold_tau"]["false"] == 5


def test_columns_match_reference(set128):
    inst = set128.heads[7].instance
    r = rd.inspect_set([inst], masses=(0.9,), lam_fracs=(0.1,))["heads"][0]
    g = goodness(inst, default_tau(inst.n))
    assert r["k_tau"] == g.k and r["eta_tau"] == pytest.approx(g.eta)
    assert r["conditions_hold_tau"] == g.conditions_hold
    s = inst.scores()
    lam_max = np.exp(s).sum(axis=1).min() / math.sqrt(inst.n)
    assert r["s_lambda_0.1"] == pytest.approx(statistical_dimension(inst, 0.1 * lam_max), rel=1e-9)
    A = np.exp(s)
    assert r["eps_max"] == pytest.approx(A.sum(axis=1).min() / np.linalg.norm(A, 2), rel=1e-9)
    k, sets = rd.k_for_mass(inst, 0.9)
    assert r["k90_max"] == k.max()
    assert r["err90_one"] == pytest.approx(sparse_rank_one_error(inst, sets=sets)["matrix_error"], rel=1e-9)


def test_fill_on_a_biased_instance():
    """Dropped logits centred at -3: the constant-1 fill is biased, the mean fill is not."""
    rng = np.random.default_rng(1)
    n, d = 64, 4
    Q = np.zeros((n, d))
    Q[:, 0] = 1.0
    K = np.zeros((n, d))
    K[:, 0] = -3.0 + 0.1 * rng.standard_normal(n)
    K[:4, 0] = 8.0
    inst = AttentionInstance(Q, K, rng.standard_normal((n, d)), scale=1.0)
    sets = [np.arange(4)] * n
    one = rd.fill_error(inst, sets, "one")["matrix_error"]
    mean = rd.fill_error(inst, sets, "mean")["matrix_error"]
    geo = rd.fill_error(inst, sets, "geo")["matrix_error"]
    assert mean < geo < one and mean < 1e-2 * one


def test_measured_parameters(set128, small_report):
    sub = rd.HeadSet(heads=set128.heads[::4], source="every 4th head")
    med = rd.measured_parameters(sub, "median", mass=0.9, lam_frac=1.0)
    # from an inspect_set result nothing is recomputed, and the figures are the same
    assert rd.measured_parameters(small_report, "median", mass=0.9, lam_frac=1.0)["k"] == med["k"]
    lo = rd.measured_parameters(small_report, "min", mass=0.9, lam_frac=1.0)
    hi = rd.measured_parameters(small_report, "max", mass=0.9, lam_frac=1.0)
    assert (med["n"], med["d"], med["heads"], med["statistic"]) == (128, 32, 5, "median")
    for key in ("k", "s_lambda", "alpha"):
        assert lo[key] <= med[key] <= hi[key]
        assert "median over 5 heads" in med["labels"][key]
    assert med["s_lambda"] == pytest.approx(small_report["summary"]["s_lambda_1"]["median"])
    with pytest.raises(QattnInputError, match="lacks mass"):
        rd.measured_parameters(small_report, mass=0.8)
    assert isinstance(med["k"], int) and 1 <= med["k"] <= 128
    assert med["s_lambda_int"] == math.ceil(med["s_lambda"] - 1e-9)
    assert "0.9 of the softmax mass" in med["labels"]["k"]
    with pytest.raises(QattnInputError, match="statistic"):
        rd.measured_parameters(sub, "mean")


def test_load_set_directory_and_errors(tmp_path, set128):
    d = tmp_path / "heads"
    d.mkdir()
    for h in set128.heads[:2]:
        h.instance.save_npz(d / f"{h.name}.npz")
    hs = rd.load_set(d)
    assert [(h.name, h.layer, h.head) for h in hs.heads] == [("L0H0", 0, 0), ("L0H4", 0, 4)]
    np.testing.assert_array_equal(hs.heads[1].instance.K, set128.heads[1].instance.K)
    one = rd.load_set(d / "L0H4.npz")
    assert len(one) == 1 and one.heads[0].head == 4
    # a directory holding both shipped archives mixes n: measured_parameters refuses it
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for n in (128, 256):
        (mixed / rd.shipped_set_path(n).name).write_bytes(rd.shipped_set_path(n).read_bytes())
    both = rd.load_set(mixed)
    assert len(both) == 36 and both.heads[0].name.endswith("/L0H0")
    sub = rd.HeadSet(heads=[both.heads[0], both.heads[18]], source="mixed")
    with pytest.raises(QattnInputError, match="mixes sizes"):
        rd.measured_parameters(sub)
    with pytest.raises(QattnInputError, match="no such file"):
        rd.load_set(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(QattnInputError, match="no .npz"):
        rd.load_set(tmp_path / "empty")
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(QattnInputError, match="not a readable"):
        rd.load_set(bad)
    other = tmp_path / "other.npz"
    np.savez(other, X=np.ones(3))
    with pytest.raises(QattnInputError, match="neither an instance"):
        rd.load_set(other)
    with pytest.raises(QattnInputError, match="shipped"):
        rd.shipped_set_path(512)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"masses": (0.0,)}, "masses"), ({"masses": (1.5,)}, "masses"), ({"masses": ()}, "masses"),
     ({"lam_fracs": (-1,)}, "lam_fracs"), ({"lam_fracs": (math.inf,)}, "lam_fracs"),
     ({"tau": math.nan}, "tau")],
)
def test_inspect_set_bad_input(set128, kwargs, match):
    with pytest.raises(QattnInputError, match=match):
        rd.inspect_set([set128.heads[0].instance], **kwargs)


def test_inspect_set_bad_source():
    with pytest.raises(QattnInputError, match="expected a path"):
        rd.inspect_set(3.5)
    with pytest.raises(QattnInputError, match="not an AttentionInstance"):
        rd.inspect_set([np.ones((2, 2))])
    with pytest.raises(QattnInputError, match="fill"):
        rd.fill_error(AttentionInstance(np.ones((2, 1)), np.ones((2, 1)), np.ones((2, 1))), [[0], [1]], "two")


def test_tables_and_plots(tmp_path, set128, small_report):
    pytest.importorskip("matplotlib")
    table = rd.markdown_summary({"n = 128": small_report})
    lines = table.splitlines()
    measured = [key for key, _ in rd.SUMMARY_COLUMNS if key in small_report["summary"]]
    assert len(lines) == 2 + len(measured)  # quantities the report did not measure are left out
    assert all(line.count(" | ") == 1 for line in lines[2:])  # no stray '|' splits a cell
    k90 = small_report["summary"]["k90_max"]
    assert any(l.startswith("| k for 90% mass (max over rows)") and
               f"{int(k90['min'])} / " in l for l in lines)
    assert rd.markdown_heads(small_report, keys=("k90_max",)).count("\n") == 2 + 4
    rows = {r["quantity"]: r for r in rd.summary_rows(small_report)}
    assert rows["k90_max"]["max"] == k90["max"]
    assert rows["conditions_hold_tau (heads true of 5)"]["max"] == small_report["summary"]["conditions_hold_tau"]["true"]
    sub = rd.HeadSet(heads=set128.heads[:2], source="two heads")
    p1 = rd.plot_k_distribution({"n = 128": sub}, tmp_path / "k.png")
    p2 = rd.plot_s_lambda({"n = 128": sub}, tmp_path / "s.png", fracs=(0.1, 10.0, 1e4))
    for p in (p1, p2):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    curve = rd.s_lambda_curve(sub.heads[0].instance, (0.1, 10.0, 1e4))
    assert np.all(np.diff(curve) < 0)


def test_sublinear_columns_reuse_the_spectral_norm_exactly():
    """The real-model columns compute ||A||_F / ||A||_2 from the one dense SVD they already run:
    bit-identical to the reference's fro_over_spec (which runs its own)."""
    from qattn_cirq.instance import random_instance
    from qattn_cirq.reference import fro_over_spec

    inst = random_instance(48, 6, seed=3)
    cols = rd._sublinear_columns(inst, inst.scores(), [1.0])
    assert cols["fro_over_spec_a"] == fro_over_spec(inst)
