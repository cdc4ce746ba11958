"""The docs run: every Python code block in README.md and docs/*.md is executed (issue 15 item 5).

What is collected. Every fenced block (```` ``` ```` or ``~~~``, any indentation) whose info string
starts with ``python``, ``py`` or ``python3`` in ``README.md`` and every ``docs/*.md`` (globbed, so a
new page or a new block is picked up with no change here). Each block is one test, run with
``exec`` in a fresh namespace with the repository root as the working directory: a block must be
self-contained (its own imports), as a reader pasting it into a fresh interpreter would need.
A block whose info string also says ``slow`` (```` ```python slow ````) runs only under the ``slow``
marker (``make test-slow``); every block, slow or not, is compiled in the default suite, so a
syntax error in a slow block fails there too.

What is not executed. Shell blocks (```` ```bash ````, ```` ```console ````), plain-text blocks
(```` ```text ````) and untagged blocks (```` ``` ````) are not run: they show commands and output
formats, and running the CLI is what ``tests/qattn_cirq/test_*_cli.py`` do. To have code run, tag it
``python``. Shell blocks are still checked cheaply: every ``qattn ...`` command line in a
``bash``/``sh``/``shell``/``console`` block is parsed by the real ``qattn`` argument parser (nothing
runs), so a renamed flag or sub-command in the docs fails here. Write synopses with placeholders
(``[--loader ...]``) in ``text`` blocks.

Also checked: every dotted name in inline code that starts with a package of this project
(``bloqs.``, ``estimates.``, ``qattn_cirq.``) imports and resolves, so a doc cannot name a function
that does not exist (``estimates.formulas.sublinear_qattention_estimate`` once did).
"""

from __future__ import annotations

import importlib
import re
import shlex
import textwrap
from pathlib import Path
from typing import List, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PY_LANGS = {"python", "py", "python3"}
SHELL_LANGS = {"bash", "sh", "shell", "console"}
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_INLINE = re.compile(r"`([^`\n]+)`")
_DOTTED = re.compile(r"\b(?:bloqs|estimates|qattn_cirq)(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


class Block(NamedTuple):
    path: Path
    line: int  # 1-based line of the first code line
    info: str
    code: str

    @property
    def lang(self) -> str:
        return self.info.split()[0].lower() if self.info.split() else ""

    @property
    def slow(self) -> bool:
        return "slow" in self.info.split()[1:]

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def doc_files() -> List[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def fenced_blocks(path: Path) -> List[Block]:
    """All fenced code blocks of a markdown file (CommonMark rule: a fence closes on a line of the
    same character, at least as long, with no info string)."""
    blocks, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start, body = m["fence"], i + 1, []
        i += 1
        while i < len(lines):
            c = _FENCE.match(lines[i])
            if c and c["fence"][0] == fence[0] and len(c["fence"]) >= len(fence) and not c["info"].strip():
                break
            body.append(lines[i])
            i += 1
        blocks.append(Block(path, start + 1, m["info"].strip(), textwrap.dedent("\n".join(body)) + "\n"))
        i += 1
    return blocks


def python_blocks() -> List[Block]:
    return [b for p in doc_files() for b in fenced_blocks(p) if b.lang in PY_LANGS]


def _params(blocks):
    return [pytest.param(b, id=b.id, marks=[pytest.mark.slow] if b.slow else []) for b in blocks]


def test_fence_parser_reads_languages_and_bodies(tmp_path):
    md = tmp_path / "x.md"
    md.write_text("text\n```python slow\nx = 1\n```\n  ~~~py\n  y = 2\n  ~~~\n```\nnot run\n```\n")
    got = fenced_blocks(md)
    assert [(b.lang, b.slow, b.code, b.line) for b in got] == [
        ("python", True, "x = 1\n", 3), ("py", False, "y = 2\n", 6), ("", False, "not run\n", 9)]


def test_docs_have_python_blocks():
    """The collector finds the blocks (a broken parser would make every doc test vanish)."""
    blocks = python_blocks()
    assert len(blocks) >= 3, [b.id for b in blocks]
    assert any(not b.slow for b in blocks)


@pytest.mark.parametrize("block", python_blocks(), ids=lambda b: b.id)
def test_python_block_compiles(block):
    compile(block.code, block.id, "exec")


@pytest.mark.parametrize("block", _params(python_blocks()))
def test_python_block_runs(block, monkeypatch):
    monkeypatch.chdir(ROOT)
    namespace = {"__name__": "__docs__"}
    exec(compile(block.code, block.id, "exec"), namespace)


def _inline_names() -> List[tuple]:
    out = set()
    for path in doc_files():
        for m in _INLINE.finditer(path.read_text(encoding="utf-8")):
            for name in _DOTTED.findall(m[1]):
                out.add((str(path.relative_to(ROOT)), name))
    return sorted(out)


def _resolve(name: str):
    """Import the longest module prefix of ``name``, then walk the rest as attributes."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            obj = importlib.import_module(module)
        except ModuleNotFoundError as e:
            # "no such module" names this prefix or a shorter one (a.b.C.m: "no module a.b.C");
            # anything else is a real import failure inside the module
            if e.name is None or not (module == e.name or module.startswith(e.name + ".")):
                raise
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(name)


def test_inline_api_names_exist():
    names = _inline_names()
    assert names, "no inline API names found: the pattern is broken"
    missing = []
    for where, name in names:
        try:
            _resolve(name)
        except (ImportError, AttributeError) as e:
            missing.append(f"{where}: `{name}` ({type(e).__name__}: {e})")
    assert not missing, "\n".join(missing)


def qattn_command_lines() -> List[tuple]:
    """``(block id, argv)`` for each ``qattn`` command in the shell blocks (backslash continuations
    joined, a leading ``$ `` prompt, comments, pipes and redirections dropped)."""
    out = []
    for path in doc_files():
        for block in fenced_blocks(path):
            if block.lang not in SHELL_LANGS:
                continue
            for line in block.code.replace("\\\n", " ").splitlines():
                words = shlex.split(line.removeprefix("$ "), comments=True)
                cut = next((i for i, w in enumerate(words) if w in ("|", ">", ">>", "<", "&&", ";")), len(words))
                words = words[:cut]
                if words and (words[0] == "qattn" or words[0].endswith("/qattn")):
                    out.append((block.id, words[1:]))
    return out


def test_shell_blocks_have_qattn_commands():
    assert len(qattn_command_lines()) >= 2, "no qattn commands found in shell blocks: the collector is broken"


@pytest.mark.parametrize("where,argv", qattn_command_lines(), ids=[f"{w}:{' '.join(a[:2])}" for w, a in qattn_command_lines()])
def test_shell_block_qattn_command_parses(where, argv, capsys):
    from qattn_cirq.cli import build_parser

    try:
        build_parser().parse_args(argv)
    except SystemExit as e:
        pytest.fail(f"{where}: `qattn {' '.join(argv)}` is refused by the parser: {capsys.readouterr().err.strip()} ({e})")
