"""``qattn formula``: every format, the readable leading order first, csv as lossless as json."""

import csv
import io
import json

import pytest

from qattn_cirq.cli import main
from qattn_cirq.commands.formula import FORMATS


def _out(capsys, *argv):
    assert main(["formula", *argv]) == 0
    return capsys.readouterr().out


def test_formats_tuple_is_what_the_parser_accepts(capsys):
    assert FORMATS == ("text", "json", "latex", "table", "csv")
    with pytest.raises(SystemExit) as exc:
        main(["formula", "grover-sparse", "--format", "yaml"])
    assert exc.value.code == 2 and "choose from" in capsys.readouterr().err


def test_text_prints_the_readable_leading_term_first(capsys):
    first = _out(capsys, "grover-sparse", "--format", "text").splitlines()[0]
    assert first.startswith("T ~ n^(5/2) (") and "Sum(" not in first and "asin" not in first
    assert "qubits ~ sqrt(n)" in first and "arXiv 2307.08045" in first  # beside the paper's claim
    first = _out(capsys, "grover-sparse", "--schedule", "known-count", "--format", "text").splitlines()[0]
    assert first.startswith("T ~ 2 pi sqrt(k) n^(5/2);")


def test_json_csv_table_latex_agree(capsys):
    data = json.loads(_out(capsys, "grover-sparse", "--loader", "assumed"))
    assert data["readable"]["t_count"].startswith("n^2 (") and data["readable"]["loader"] == "assumed"
    rows = {r["quantity"]: r["value"] for r in csv.DictReader(io.StringIO(_out(capsys, "grover-sparse", "--loader",
                                                                               "assumed", "--format", "csv")))}
    # lossless: every json leaf is a csv row with the same full string
    assert rows["t_count"] == data["t_count"] and rows["readable.t_count_latex"] == data["readable"]["t_count_latex"]
    assert rows["options.schedule"] == "certified" and len(rows) >= len(data) + len(data["readable"])
    table = _out(capsys, "grover-sparse", "--loader", "assumed", "--format", "table")
    assert "readable.t_count" in table and data["readable"]["t_count"] in table
    latex = _out(capsys, "grover-sparse", "--loader", "assumed", "--format", "latex").splitlines()
    assert latex[0] == r"\begin{align*}" and latex[1].startswith(r"T &\sim n^{2}")
