import json
from pathlib import Path

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


#: what a user of the README can run: every command and, where it has them, its algorithms
EXPECTED_COMMANDS = {
    "inspect": None, "extract": None, "physical": None, "report": None,
    "estimate": {"grover-sparse", "leverage-sampling", "mean-estimation", "qattention"},
    "formula": {"grover-sparse", "qattention"},
    "simulate": {"grover-sparse", "qattention"},
    "sweep": {"grover-sparse", "qattention"},
}


def test_cli_help_lists_every_command(capsys):
    """The names come from the README's command table, not from the parser that prints the help."""
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command, algorithms in EXPECTED_COMMANDS.items():
        assert f"    {command}" in out, command
        if algorithms is None:
            continue
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        sub = capsys.readouterr().out
        for algorithm in algorithms:
            assert f"    {algorithm}" in sub, (command, algorithm)
            with pytest.raises(SystemExit) as exc:
                main([command, algorithm, "--help"])
            assert exc.value.code == 0
            assert capsys.readouterr().out.startswith(f"usage: qattn {command} {algorithm}")


def test_readme_command_table_matches_the_cli():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = [line for line in readme.splitlines() if line.startswith("| `qattn ")]
    assert {line.split()[2].rstrip("`") for line in table} == set(EXPECTED_COMMANDS)


def test_cli_without_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: qattn" in capsys.readouterr().out
