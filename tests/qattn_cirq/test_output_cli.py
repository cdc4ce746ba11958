import json

import pytest

from qattn_cirq.cli import build_parser, main
from qattn_cirq.output import render


def test_render_formats_agree_on_flattened_keys():
    data = {"algorithm": "x", "logical": {"t_count": 12, "qubits": 5}, "rows": [1, 2]}
    assert json.loads(render(data, "json")) == data
    csv_text = render(data, "csv").splitlines()
    assert csv_text[0] == "algorithm,logical.t_count,logical.qubits,rows"
    assert csv_text[1].startswith("x,12,5,")
    table = render(data, "table")
    assert "logical.t_count" in table and "12" in table
    latex = render(data, "latex")
    assert r"logical.t\_count & 12 \\" in latex


def test_render_rejects_unknown_format():
    with pytest.raises(ValueError, match="unknown format 'yaml'"):
        render({}, "yaml")


def test_cli_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    parser = build_parser()
    for action in parser._subparsers._group_actions:
        for name in action.choices:
            assert name in out


def test_cli_without_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: qattn" in capsys.readouterr().out
