"""The package layers point one way, and functions stay short enough to read.

Layers, bottom to top (docs/architecture in README "Layout"):

0. core: ``qattn_cirq.errors``, ``.instance``, ``.reference``, ``.simulate`` (and the package's
   ``__init__``);
1. ``bloqs``: Qualtran bloqs;
2. ``estimates``: costs of the bloqs, physical and classical models, the report's sections;
3. ``qattn_cirq``: pipelines, classical twins, real-model data, outputs and the report's files;
4. ``qattn_cirq.commands`` and ``qattn_cirq.cli``: the command line.

A module may import its own layer and the layers below, never above. The test reads the source
with ``ast`` (imports inside functions included), so it fails on an upward import however it is
written.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("qattn_cirq", "bloqs", "estimates")
CORE = {"qattn_cirq", "qattn_cirq.errors", "qattn_cirq.instance", "qattn_cirq.reference", "qattn_cirq.simulate"}
LAYER_NAMES = ("core", "bloqs", "estimates", "qattn_cirq", "commands")
#: the longest function body (docstring excluded) in the library layers
MAX_FUNCTION_LINES = 60


def layer(module: str) -> int:
    if module in CORE:
        return 0
    if module.startswith("bloqs"):
        return 1
    if module.startswith("estimates"):
        return 2
    if module.startswith("qattn_cirq.commands") or module in ("qattn_cirq.cli", "qattn_cirq.__main__"):
        return 4
    return 3


def _modules():
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def imports(name: str, path: Path):
    """(imported module, line) for every project import in the file."""
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [target]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for t in targets:
            if t.split(".")[0] in PACKAGES:
                yield t, node.lineno


def test_layer_rules_classify_known_modules():
    assert [layer(m) for m in ("qattn_cirq.errors", "bloqs.grover", "estimates.report", "qattn_cirq.pipelines",
                               "qattn_cirq.commands.estimate", "qattn_cirq.cli")] == [0, 1, 2, 3, 4, 4]


def test_the_walker_sees_upward_imports(tmp_path):
    """The checker itself: a lazy import inside a function and a relative import are both seen."""
    f = tmp_path / "mod.py"
    f.write_text("def f():\n    from estimates.report import build_report\nfrom .errors import X\n")
    found = sorted(imports("qattn_cirq.simulate", f))
    assert found == [("estimates.report", 2), ("qattn_cirq.errors", 3)]


def test_dependencies_point_one_way():
    upward = []
    for name, path in _modules():
        for target, line in imports(name, path):
            if layer(target) > layer(name):
                upward.append(f"{path.relative_to(ROOT)}:{line}: {LAYER_NAMES[layer(name)]} module {name} "
                              f"imports {LAYER_NAMES[layer(target)]} module {target}")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def _body_lines(fn: ast.FunctionDef) -> int:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


@pytest.mark.parametrize("pkg", ["estimates", "qattn_cirq"])
def test_no_long_functions(pkg):
    long = []
    for path in sorted((ROOT / pkg).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _body_lines(node) > MAX_FUNCTION_LINES:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {_body_lines(node)} lines")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines (docstring aside):\n" + "\n".join(long)


def test_cli_help_imports_no_library():
    """``qattn --help`` stays fast: the command modules import the libraries only when they run
    (plain-Python name lists such as ``bloqs.loader_kinds`` and ``estimates.model_names`` aside)."""
    import subprocess
    import sys

    code = ("import sys; from qattn_cirq.cli import build_parser; build_parser().format_help(); "
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
            "{'qualtran', 'cirq', 'qsimcirq', 'sympy', 'numpy', 'scipy', 'matplotlib', 'pandas'}); "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]", out
