"""The default ``qattn report`` JSON equals the committed golden file (issue 13: speed-ups change no
output). Integers and strings must be equal; floats to 1e-9 relative (least-squares fits and BLAS
reductions may differ in the last bits between machines). Regenerate the file with
``python tests/estimates/test_report_golden.py`` (from the repository root) only in a commit that means
to change the report's numbers, and say which and why in its message; a speed-up must leave it as it is."""

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

GOLDEN = Path(__file__).parent / "data" / "report_default.json"


def normalised(report: dict) -> dict:
    """The report with the machine-dependent data path (the source, and the labels that quote it)
    reduced to its file name everywhere."""
    src = (report.get("real_model") or {}).get("source")
    if not isinstance(src, str):
        return report
    return json.loads(json.dumps(report).replace(json.dumps(src)[1:-1], json.dumps(Path(src).name)[1:-1]))


def default_report() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "qattn_cirq.cli", "report", "--out", f"{tmp}/r"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return normalised(json.loads(Path(f"{tmp}/r/report.json").read_text()))


def _diffs(a, b, path="", out=None):
    out = [] if out is None else out
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{path}/{key}: only in {'golden' if key in a else 'new'}")
            else:
                _diffs(a[key], b[key], f"{path}/{key}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items vs {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            _diffs(x, y, f"{path}[{i}]", out)
    elif isinstance(a, float) and isinstance(b, float):
        if not (a == b or math.isclose(a, b, rel_tol=1e-9) or (math.isnan(a) and math.isnan(b))):
            out.append(f"{path}: {a!r} vs {b!r}")
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: {a!r} vs {b!r}")
    return out


def test_diffs_finds_a_changed_count():
    gold = {"logical": [{"t_count": 10, "runtime_s": 1.0}]}
    assert _diffs(gold, gold) == []
    assert _diffs(gold, {"logical": [{"t_count": 11, "runtime_s": 1.0}]}) == ["/logical[0]/t_count: 10 vs 11"]
    assert _diffs(gold, {"logical": [{"t_count": 10, "runtime_s": 1.0 + 1e-6}]})


@pytest.mark.slow
def test_default_report_json_equals_the_golden_file():
    golden = json.loads(GOLDEN.read_text())
    new = json.loads(json.dumps(default_report(), sort_keys=True))
    diffs = _diffs(golden, new)
    assert not diffs, f"{len(diffs)} differences, first: " + "; ".join(diffs[:10])


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(default_report(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
