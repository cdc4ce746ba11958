import json
import math

import numpy as np
import pytest

from qattn_cirq.cli import main
from qattn_cirq.instance import AttentionInstance, planted_instance
from qattn_cirq.reference import row_distortion, stable_rank

FIELDS = (
    "n", "d", "scale", "tau", "k", "eta", "max_outside", "conditions_hold", "s_lambda", "lam",
    "srank_v", "alpha", "fro_over_spec_a",
)


def _run(capsys, argv):
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize("n, d, k", [(8, 1, 1), (16, 2, 2), (32, 4, 3)])
def test_inspect_reports_planted_k_and_sets(tmp_path, capsys, n, d, k):
    tau = 2 * math.log(n)
    p = planted_instance(n, d, k, tau, 0.4, seed=n + d)
    path = p.instance.save_npz(tmp_path / "planted.npz")
    rc, out, err = _run(capsys, ["inspect", str(path), "--sets"])  # tau defaults to 2 ln n
    assert rc == 0 and err == ""
    rep = json.loads(out)
    assert set(FIELDS) <= set(rep)
    assert rep["n"] == n and rep["d"] == d and rep["tau"] == tau
    assert rep["k"] == k and rep["k_min"] == k
    assert rep["sets"] == [list(map(int, S)) for S in p.sets]
    assert rep["conditions_hold"] is True
    assert 0 <= rep["eta"] <= 0.4 and rep["max_outside"] <= 0
    assert rep["lam"] == 1.0 and 0 < rep["s_lambda"] <= 2 * n
    assert rep["srank_v"] == pytest.approx(stable_rank(p.instance.V))
    assert rep["alpha"] == pytest.approx(row_distortion(p.instance.V))
    assert 1 <= rep["fro_over_spec_a"] <= math.sqrt(n)
    # plain JSON types
    assert isinstance(rep["n"], int) and isinstance(rep["eta"], float)
    assert isinstance(rep["conditions_hold"], bool)


def test_inspect_positive_score_outside_sets(tmp_path, capsys):
    p = planted_instance(16, 2, 2, 2 * math.log(16), 0.2, seed=3)
    K = p.instance.K.copy()
    g = int(p.group[0])
    j = next(j for j in range(16) if j not in p.sets[0])
    K[j, g] = 1.0 / p.instance.Q[0, g]  # score 1.0: positive, below tau, outside S_0
    path = AttentionInstance(p.instance.Q, K, p.instance.V).save_npz(tmp_path / "bad.npz")
    rc, out, _ = _run(capsys, ["inspect", str(path), "--format", "json"])
    rep = json.loads(out)
    assert rc == 0 and rep["conditions_hold"] is False
    rows = p.group == g  # key j is shared by every row of group g; scores scale with Q[i, g]
    assert rep["max_outside"] == pytest.approx(p.instance.Q[rows, g].max() / p.instance.Q[0, g])
    assert rep["k"] == 2


def test_inspect_tau_lam_and_table(tmp_path, capsys):
    p = planted_instance(8, 2, 1, 3.0, 0.1, seed=0)
    path = p.instance.save_npz(tmp_path / "x.npz")
    rc, out, _ = _run(capsys, ["inspect", str(path), "--tau", "-100", "--lam", "0.5"])
    rep = json.loads(out)
    # every score >= -100: S_i = [n], nothing outside -> max_outside null, conditions vacuous
    assert rc == 0 and rep["k"] == 8 and rep["max_outside"] is None and rep["conditions_hold"]
    assert rep["lam"] == 0.5
    rc, out, _ = _run(capsys, ["inspect", str(path), "--format", "table"])
    assert rc == 0
    for field in FIELDS:
        assert any(line.split()[0] == field for line in out.splitlines())


def test_inspect_help_explains_every_field(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["inspect", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for field in FIELDS + ("k_min", "sets"):
        assert any(line.startswith(f"  {field} ") for line in out.splitlines()), field
    assert "2 ln n" in out and "default 1.0" in out


def _save(tmp_path, name, **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


def test_inspect_bad_inputs(tmp_path, capsys):
    ok = dict(Q=np.ones((3, 2)), K=np.ones((3, 2)), V=np.ones((3, 2)))
    cases = [
        ([str(tmp_path / "missing.npz")], "missing.npz: no such file"),
        ([_save(tmp_path, "noV.npz", Q=ok["Q"], K=ok["K"])], r"lacks array(s) V"),
        ([_save(tmp_path, "nan.npz", **{**ok, "K": np.array([[1, np.nan]] * 3)})],
         "K contains NaN or infinite values"),
        ([_save(tmp_path, "inf.npz", **{**ok, "V": np.array([[np.inf, 1]] * 3)})],
         "V contains NaN or infinite values"),
        ([_save(tmp_path, "shape.npz", **{**ok, "V": np.ones((3, 3))})],
         "V has shape (3, 3) but Q has shape (3, 2)"),
        ([_save(tmp_path, "one.npz", Q=np.ones((1, 2)), K=np.ones((1, 2)), V=np.ones((1, 2)))],
         "n (number of rows of Q, K, V) must be >= 2; got 1"),
        ([_save(tmp_path, "zero.npz", Q=np.ones((0, 2)), K=np.ones((0, 2)), V=np.ones((0, 2)))],
         "must be >= 2; got 0"),
        ([_save(tmp_path, "flat.npz", Q=np.ones(3), K=np.ones(3), V=np.ones(3))],
         "Q must be a 2-D array of shape (n, d); got shape (3,)"),
        ([_save(tmp_path, "scale.npz", **ok, scale=-1.0)], "scale must be a finite real number > 0"),
        ([_save(tmp_path, "good.npz", **ok), "--tau", "nan"], "--tau must be a finite number; got nan"),
        ([_save(tmp_path, "good.npz", **ok), "--tau", "inf"], "--tau must be a finite number; got inf"),
        ([_save(tmp_path, "good.npz", **ok), "--lam", "0"], "--lam must be > 0; got 0.0"),
        ([_save(tmp_path, "good.npz", **ok), "--lam=-inf"], "--lam must be a finite number"),
    ]
    (tmp_path / "text.npz").write_text("hello")
    cases.append(([str(tmp_path / "text.npz")], "is not a readable .npz archive"))
    before = sorted(p.name for p in tmp_path.iterdir())
    for argv, message in cases:
        rc, out, err = _run(capsys, ["inspect", *argv])
        assert rc == 2, (argv, err)
        assert out == ""
        assert err.startswith("qattn inspect: error: ") and message in err, (argv, err)
        assert err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_inspect_argparse_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["inspect", "x.npz", "--tau", "abc"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid float value: 'abc'" in err and err.count("\n") == 1
