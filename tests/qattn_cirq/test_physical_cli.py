"""``qattn physical`` argument parsing: counts are exact integers; bad counts give one line, exit 2."""

import json

import pytest

from qattn_cirq.cli import main
from qattn_cirq.commands.physical import _count


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "1e999999999", "1.5", "-3", "-1e3", "abc", ""])
def test_bad_count_is_one_line_exit_2(text, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["physical", "--qubits", "10", "--t-count", text])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--t-count" in err[0] and "Traceback" not in err[0]


@pytest.mark.parametrize(
    "text, value",
    [("1e9", 10**9), ("12345678901234567891", 12345678901234567891), ("1_000", 1000), ("0", 0), ("2.0", 2),
     ("1e30", 10**30), ("2.5e3", 2500)],
)
def test_count_parses_exactly(text, value):
    got = _count(text)
    assert type(got) is int and got == value


def test_exact_large_count_reaches_the_model(capsys):
    # 2^53 + 1 is not a float: the model must see the exact integer (T states = T-count here).
    t = 2**53 + 1
    assert main(["physical", "--qubits", "10", "--t-count", str(t), "--error-budget", "0.5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["details"]["num_t_states"] == t and out["details"]["logical_depth"] == t


@pytest.mark.parametrize("t", [str(10**400), "1e101", "1e400"])
def test_absurd_count_is_one_line_exit_2(t, capsys):
    # past 1e100 the float64 error-rate arithmetic would overflow (OverflowError before)
    assert main(["physical", "--qubits", "10", "--t-count", t]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "t must be <= 1e100" in err[0]


def test_t_count_too_long_for_any_distance_says_so(capsys):
    assert main(["physical", "--qubits", "10", "--t-count", "1e40"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "T-count" in err[0] and "increase --error-budget" not in err[0]
