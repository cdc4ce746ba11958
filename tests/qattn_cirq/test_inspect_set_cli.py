"""`qattn inspect` over a set of heads (directory or set archive) delegates to realdata.inspect_set."""

import json

import numpy as np

from qattn_cirq.cli import main
from qattn_cirq.instance import AttentionInstance
from qattn_cirq.realdata import inspect_set, is_head_set


def _write_set(tmp_path):
    rng = np.random.default_rng(7)
    d = tmp_path / "heads"
    d.mkdir()
    for layer in range(2):
        Q, K, V = (rng.normal(size=(12, 3)) for _ in range(3))
        AttentionInstance(Q, K, V, scale=0.5).save_npz(d / f"L{layer}H0.npz")
    return d


def test_directory_is_a_set_and_a_single_file_is_not(tmp_path):
    d = _write_set(tmp_path)
    assert is_head_set(d)
    assert not is_head_set(d / "L0H0.npz")
    assert not is_head_set(tmp_path / "missing.npz")


def test_inspect_directory_json_matches_inspect_set(tmp_path, capsys):
    d = _write_set(tmp_path)
    assert main(["inspect", str(d), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    direct = inspect_set(d)
    assert out["heads_measured"] == 2
    assert [h["name"] for h in out["heads"]] == [h["name"] for h in direct["heads"]]
    assert out["summary"]["k90_max"] == direct["summary"]["k90_max"]
    # 99% of the softmax mass never needs fewer keys than 90%.
    for h in out["heads"]:
        assert h["k99_max"] >= h["k90_max"]


def test_inspect_directory_table_is_the_summary(tmp_path, capsys):
    d = _write_set(tmp_path)
    assert main(["inspect", str(d), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "quantity,min,median,max"
    assert any(line.startswith("k90_max,") for line in lines)


def test_inspect_set_rejects_sets_flag(tmp_path, capsys):
    d = _write_set(tmp_path)
    assert main(["inspect", str(d), "--sets"]) == 2
    assert "--sets applies to a single instance" in capsys.readouterr().err
