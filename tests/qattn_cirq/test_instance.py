import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qattn_cirq.errors import QattnInputError
from qattn_cirq.instance import (
    AttentionInstance,
    FixedPoint,
    load_npz,
    planted_instance,
    quantize,
)


def _rand(n, d, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((n, d)), rng.standard_normal((n, d))


# ------------------------------------------------------------------ AttentionInstance


def test_instance_basic_properties_and_scores():
    Q, K, V = _rand(5, 3)
    inst = AttentionInstance(Q, K, V, scale=0.5)
    assert (inst.n, inst.d, inst.scale) == (5, 3, 0.5)
    np.testing.assert_allclose(inst.scores(), 0.5 * Q @ K.T, rtol=1e-12, atol=1e-12)
    # bit-exact against a plain left-to-right sum in Python floats (the documented order)
    for i in range(5):
        for j in range(5):
            acc = float(Q[i, 0]) * float(K[j, 0])
            for c in range(1, 3):
                acc = acc + float(Q[i, c]) * float(K[j, c])
            assert inst.scores()[i, j] == 0.5 * acc
    # stored arrays are read-only copies: mutating the input does not change the instance
    Q[0, 0] = 99.0
    assert inst.Q[0, 0] != 99.0
    with pytest.raises(ValueError):
        inst.Q[0, 0] = 1.0


def test_default_scale_is_one():
    assert AttentionInstance(*_rand(2, 1)).scale == 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(Q=np.ones(3)), r"Q must be a 2-D array of shape \(n, d\); got shape \(3,\)"),
        (dict(K=np.ones((4, 2))), r"K has shape \(4, 2\) but Q has shape \(3, 2\)"),
        (dict(V=np.ones((3, 5))), r"V has shape \(3, 5\) but Q has shape \(3, 2\)"),
        (dict(Q=np.ones((1, 2)), K=np.ones((1, 2)), V=np.ones((1, 2))), r"n .* must be >= 2; got 1"),
        (dict(Q=np.ones((3, 0)), K=np.ones((3, 0)), V=np.ones((3, 0))), r"d .* must be >= 1; got 0"),
        (dict(Q=np.array([[1.0, np.nan]] * 3)), r"Q contains NaN or infinite values .*row 0, column 1"),
        (dict(K=np.array([[1.0, 0.0], [0.0, np.inf], [0, 0]])), r"K contains NaN or infinite"),
        (dict(V=np.array([["a", "b"]] * 3)), r"V must be a real numeric array"),
        (dict(Q=np.ones((3, 2)) * 1j), r"Q must be real"),
        (dict(scale=0.0), r"scale must be a finite real number > 0; got 0.0"),
        (dict(scale=-1.0), r"scale must be a finite real number > 0"),
        (dict(scale=float("nan")), r"scale must be a finite real number > 0; got nan"),
    ],
)
def test_instance_validation_messages(kwargs, message):
    args = dict(Q=np.ones((3, 2)), K=np.ones((3, 2)), V=np.ones((3, 2)))
    args.update(kwargs)
    with pytest.raises(QattnInputError, match=message) as exc:
        AttentionInstance(**args)
    assert "\n" not in str(exc.value)


# ------------------------------------------------------------------ npz I/O


def test_npz_round_trip(tmp_path):
    inst = AttentionInstance(*_rand(6, 2, seed=3), scale=0.25)
    path = inst.save_npz(tmp_path / "x.npz")
    back = load_npz(path)
    for name in "QKV":
        np.testing.assert_array_equal(getattr(back, name), getattr(inst, name))
    assert back.scale == 0.25
    assert sorted(os.listdir(tmp_path)) == ["x.npz"]  # no temp files left behind


def test_npz_without_scale_defaults_to_one(tmp_path):
    Q, K, V = _rand(3, 2)
    np.savez(tmp_path / "a.npz", Q=Q, K=K, V=V)
    assert load_npz(tmp_path / "a.npz").scale == 1.0


def test_npz_errors(tmp_path):
    Q, K, V = _rand(3, 2)
    with pytest.raises(QattnInputError, match="nope.npz: no such file"):
        load_npz(tmp_path / "nope.npz")
    np.savez(tmp_path / "missing.npz", Q=Q, K=K)
    with pytest.raises(QattnInputError, match=r"lacks array\(s\) V .*found Q, K"):
        load_npz(tmp_path / "missing.npz")
    np.savez(tmp_path / "shape.npz", Q=Q, K=K, V=V[:, :1])
    with pytest.raises(QattnInputError, match=r"shape.npz: V has shape \(3, 1\) but Q has shape"):
        load_npz(tmp_path / "shape.npz")
    (tmp_path / "junk.npz").write_bytes(b"this is not a zip archive at all")
    with pytest.raises(QattnInputError, match="is not a readable .npz archive"):
        load_npz(tmp_path / "junk.npz")
    np.savez(tmp_path / "badscale.npz", Q=Q, K=K, V=V, scale=np.array([1.0, 2.0]))
    with pytest.raises(QattnInputError, match="scale must be a single number"):
        load_npz(tmp_path / "badscale.npz")
    np.savez(tmp_path / "negscale.npz", Q=Q, K=K, V=V, scale=-2.0)
    with pytest.raises(QattnInputError, match="scale must be a finite real number > 0"):
        load_npz(tmp_path / "negscale.npz")
    np.save(tmp_path / "single.npy", Q)
    with pytest.raises(QattnInputError, match="single array"):
        load_npz(tmp_path / "single.npy")


def test_save_failure_writes_nothing(tmp_path, monkeypatch):
    inst = AttentionInstance(*_rand(3, 2))
    with pytest.raises(QattnInputError, match="directory .* does not exist"):
        inst.save_npz(tmp_path / "no_dir" / "x.npz")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(QattnInputError, match="No space left on device"):
        inst.save_npz(tmp_path / "y.npz")
    assert os.listdir(tmp_path) == []


def test_saved_file_has_plain_open_permissions(tmp_path):
    # the temp file comes from mkstemp (0600); the saved file must not keep that mode
    path = AttentionInstance(*_rand(3, 2)).save_npz(tmp_path / "mode.npz")
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


def test_failed_save_keeps_previous_file(tmp_path, monkeypatch):
    first = AttentionInstance(*_rand(3, 2, seed=1))
    path = first.save_npz(tmp_path / "keep.npz")
    monkeypatch.setattr(np, "savez", lambda *a, **k: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(QattnInputError):
        AttentionInstance(*_rand(3, 2, seed=2)).save_npz(path)
    monkeypatch.undo()
    np.testing.assert_array_equal(load_npz(path).Q, first.Q)


# ------------------------------------------------------------------ planted instances


def _check_good(inst, sets, k, tau, eta):
    """Brute force: each row has exactly the planted set >= tau, the rest in [-eta, 0]."""
    s = inst.scale * (inst.Q @ inst.K.T)
    for i in range(inst.n):
        big = [j for j in range(inst.n) if s[i, j] >= tau]
        assert big == list(sets[i])
        assert len(big) == k
        rest = [s[i, j] for j in range(inst.n) if j not in big]
        assert all(-eta <= x <= 0 for x in rest)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 40),
    d=st.integers(1, 12),
    data=st.data(),
    tau=st.floats(0.0, 1e3, exclude_min=True),
    eta=st.one_of(st.just(0.0), st.floats(0.0, 50.0)),
    scale=st.floats(1e-2, 10.0),
    seed=st.integers(0, 2**31),
)
def test_planted_is_exactly_good(n, d, data, tau, eta, scale, seed):
    k = data.draw(st.integers(0, n))
    p = planted_instance(n, d, k, tau, eta, seed=seed, scale=scale)
    _check_good(p.instance, p.sets, k, tau, eta)
    # number of distinct sets is what d allows
    assert len(set(map(tuple, p.sets))) <= min(d, n)


@settings(max_examples=40, deadline=None)
@given(
    n=st.sampled_from([4, 8, 16, 32]),
    d=st.integers(1, 4),
    k=st.integers(1, 3),
    bits=st.integers(2, 10),
    seed=st.integers(0, 1000),
)
def test_planted_on_fixed_point_grid_is_exactly_quantizable(n, d, k, bits, seed):
    tau = 2 * math.log(n)
    p = planted_instance(n, d, k, tau, 0.5, seed=seed, bits=bits)
    _check_good(p.instance, p.sets, k, tau, 0.5)
    q = p.instance.quantized(bits, strict=True)  # strict: would raise if anything were rounded
    assert q.exact and q.max_abs_error == {"Q": 0.0, "K": 0.0, "V": 0.0}


def test_planted_small_quantum_sizes_and_distinct_sets():
    # d = 1: one set for all rows (forced, see docstring); d = 2: two sets; d >= n: one per group
    for n in (8, 16):
        for k in (1, 2):
            p1 = planted_instance(n, 1, k, 2 * math.log(n), 0.1, seed=5)
            assert len({tuple(S) for S in p1.sets}) == 1
            p2 = planted_instance(n, 2, k, 2 * math.log(n), 0.1, seed=5)
            assert len(set(p2.group)) == 2
    p = planted_instance(8, 8, 2, 3.0, 0.1, seed=1)
    assert sorted(set(p.group)) == list(range(8))


def test_planted_seeded_and_unpackable():
    a = planted_instance(16, 3, 2, 4.0, 0.2, seed=11)
    b = planted_instance(16, 3, 2, 4.0, 0.2, seed=11)
    c = planted_instance(16, 3, 2, 4.0, 0.2, seed=12)
    inst, sets = a
    np.testing.assert_array_equal(inst.K, b.instance.K)
    assert not np.array_equal(inst.K, c.instance.K)
    assert all(np.array_equal(x, y) for x, y in zip(sets, b.sets))


@pytest.mark.parametrize(
    "args, message",
    [
        ((1, 2, 1, 1.0, 0.1), r"n must be >= 2; got 1"),
        ((4, 0, 1, 1.0, 0.1), r"d must be >= 1; got 0"),
        ((4, 2, 5, 1.0, 0.1), r"k must be in \[0, 4\]; got 5"),
        ((4, 2, 1, 0.0, 0.1), r"tau must be > 0; got 0.0"),
        ((4, 2, 1, float("inf"), 0.1), r"tau must be finite"),
        ((4, 2, 1, 1.0, -0.5), r"eta must be >= 0; got -0.5"),
        ((4, 2, 1.5, 1.0, 0.1), r"k must be an integer; got 1.5"),
    ],
)
def test_planted_validation(args, message):
    with pytest.raises(QattnInputError, match=message):
        planted_instance(*args, seed=0)


def test_planted_groups_validation():
    with pytest.raises(QattnInputError, match=r"groups must be in \[1, 2\]; got 3"):
        planted_instance(8, 2, 1, 1.0, 0.1, seed=0, groups=3)


# ------------------------------------------------------------------ quantization


@settings(max_examples=80, deadline=None)
@given(
    bits=st.integers(2, 24),
    mode=st.sampled_from(["pow2", "real"]),
    shape=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    mag=st.floats(1e-6, 1e6),
    seed=st.integers(0, 2**31),
)
def test_quantize_error_and_range(bits, mode, shape, mag, seed):
    M = np.random.default_rng(seed).uniform(-mag, mag, size=shape)
    fp = quantize(M, bits, mode=mode)
    top = 2 ** (bits - 1) - 1
    assert fp.ints.min() >= -(top + 1) and fp.ints.max() <= top
    # reported error is the true worst error, and rounding to nearest keeps it <= scale / 2
    true_err = float(np.max(np.abs(M - fp.ints * fp.scale)))
    assert fp.max_abs_error == true_err
    assert true_err <= fp.scale / 2 * (1 + 1e-12)
    # the scale is the finest that fits: half of it would overflow the largest entry
    assert np.max(np.abs(M)) / (fp.scale / 2) > top
    if mode == "pow2":
        assert fp.scale == 2.0 ** (-fp.frac_bits)
    twos = fp.twos_complement()
    assert twos.min() >= 0 and twos.max() < 2**bits
    back = np.where(twos >= 2 ** (bits - 1), twos - 2**bits, twos)
    np.testing.assert_array_equal(back, fp.ints)


def test_quantize_exact_values_and_strict_mode():
    M = np.array([[0.5, -1.25], [3.0, -4.0]])
    fp = quantize(M, 6, strict=True)
    assert fp.exact and fp.frac_bits == 2 and fp.scale == 0.25
    np.testing.assert_array_equal(fp.values, M)
    lossy = np.array([[0.3, -1.7], [2.0, 0.1]])
    fp = quantize(lossy, 4)
    assert fp.scale == 0.5 and fp.max_abs_error == pytest.approx(0.2)
    with pytest.raises(QattnInputError, match=r"quantizing to 4 bits .* loses up to 0.2 > tol 0"):
        quantize(lossy, 4, strict=True)
    assert quantize(lossy, 4, strict=True, tol=0.25).max_abs_error == pytest.approx(0.2)


def test_quantize_zero_matrix_and_explicit_scale():
    fp = quantize(np.zeros((2, 2)), 3)
    assert fp.scale == 1.0 and fp.exact and not fp.ints.any()
    fp = quantize(np.array([[1.0, -2.0]]), 4, scale=0.5)
    np.testing.assert_array_equal(fp.ints, [[2, -4]])
    with pytest.raises(QattnInputError, match=r"do not fit in 4-bit two's complement"):
        quantize(np.array([[5.0]]), 4, scale=0.5)


@pytest.mark.parametrize(
    "M, bits, message",
    [
        (np.ones((2, 2)), 1, r"bits must be in \[2, 62\]; got 1"),
        (np.array([[np.nan]]), 4, r"M contains NaN or infinite values"),
        (np.ones((2, 2)) * 1j, 4, r"M must be a real numeric array"),
    ],
)
def test_quantize_bad_input(M, bits, message):
    with pytest.raises(QattnInputError, match=message):
        quantize(M, bits)


def test_instance_quantized_and_dequantized():
    inst = AttentionInstance(*_rand(4, 2, seed=9), scale=0.7)
    q = inst.quantized(8)
    assert isinstance(q.Q, FixedPoint) and q.scale == 0.7 and not q.exact
    back = q.dequantized()
    for name in "QKV":
        err = np.max(np.abs(getattr(back, name) - getattr(inst, name)))
        assert err == q.max_abs_error[name] <= getattr(q, name).scale / 2
    with pytest.raises(QattnInputError, match="loses up to"):
        inst.quantized(8, strict=True)


@settings(max_examples=40, deadline=None)
@given(
    n=st.sampled_from([4, 8, 16]),
    d=st.integers(1, 3),
    k=st.integers(0, 2),
    bits=st.integers(2, 8),
    tau=st.floats(0.01, 50.0),
    eta=st.floats(0.0, 10.0),
    seed=st.integers(0, 1000),
)
def test_planted_fraction_format(n, d, k, bits, tau, eta, seed):
    p = planted_instance(n, d, k, tau, eta, seed=seed, bits=bits, fraction=True)
    inst = p.instance
    _check_good(inst, p.sets, k, tau, eta)
    assert inst.scale == 4 * tau and p.product_threshold == 0.25
    unit = 2.0 ** -(bits - 1)
    for M in (inst.Q, inst.K, inst.V):
        assert M.min() >= -1 and M.max() <= 1 - unit
        fp = quantize(M, bits, scale=unit, strict=True)  # exact on the fraction grid
        np.testing.assert_array_equal(fp.values, M)
    # the integer threshold test <q_int, k_int> >= 2^(2(b-1)-2) selects exactly S_i
    qi = quantize(inst.Q, bits, scale=unit).ints
    ki = quantize(inst.K, bits, scale=unit).ints
    prod = qi @ ki.T
    for i, S in enumerate(p.sets):
        assert list(np.flatnonzero(prod[i] >= 2 ** (2 * (bits - 1) - 2))) == list(S)


def test_planted_fraction_validation():
    with pytest.raises(QattnInputError, match="fraction=True needs bits"):
        planted_instance(8, 2, 1, 1.0, 0.1, fraction=True)
    with pytest.raises(QattnInputError, match="scale must be left unset with fraction=True"):
        planted_instance(8, 2, 1, 1.0, 0.1, scale=2.0, bits=4, fraction=True)


def test_quantize_extreme_magnitudes():
    with pytest.raises(QattnInputError, match="need a scale beyond float64"):
        quantize(np.array([[1.7e308]]), 2)
    fp = quantize(np.array([[1e308]]), 3)
    assert fp.ints[0, 0] in (2, 3) and fp.max_abs_error <= fp.scale / 2
    tiny = quantize(np.array([[5e-324, -1e-320]]), 8)
    assert tiny.max_abs_error <= tiny.scale / 2


@pytest.mark.parametrize("value, scale", [(1e200, 1.0), (1e200, 1e-300), (1e154, 1.0), (-1e160, 2.0)])
def test_scores_that_overflow_float64_are_refused(value, scale):
    # finite entries whose products overflow: score_block sums q*k before scaling, so a small
    # scale does not rescue the accumulation
    Q = np.full((3, 128), value)
    with pytest.raises(QattnInputError, match="scores overflow float64"):
        AttentionInstance(Q=Q, K=Q, V=np.ones((3, 128)), scale=scale)


def test_large_finite_scores_are_accepted():
    # 128 * (1e150)^2 = 1.28e302 < 1.8e308: finite, so allowed; exact attention is row-max stable
    Q = np.full((3, 128), 1e150)
    Q[1] = -1e150
    inst = AttentionInstance(Q=Q, K=Q, V=np.ones((3, 128)))
    assert np.isfinite(inst.scores()).all()
    # the bound is per column: huge entries in different columns of Q and K never multiply
    Q2 = np.zeros((2, 2)); Q2[:, 0] = 1e300
    K2 = np.zeros((2, 2)); K2[:, 1] = 1e300
    assert np.isfinite(AttentionInstance(Q=Q2, K=K2, V=np.ones((2, 2))).scores()).all()


def test_inspect_of_overflowing_npz_is_one_line_exit_2(tmp_path, capsys):
    from qattn_cirq.cli import main

    path = tmp_path / "big.npz"
    big = np.full((8, 4), 1e200)
    np.savez(path, Q=big, K=big, V=np.ones((8, 4)))
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scores overflow float64" in err[0]
