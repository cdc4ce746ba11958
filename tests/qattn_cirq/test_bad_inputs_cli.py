"""Bad inputs of issue 14 refused as the CLI promises: one line on stderr naming the file or flag
and what is expected, exit 2, no traceback, nothing on stdout."""

import shutil

import numpy as np
import pytest

from qattn_cirq.cli import main
from qattn_cirq.realdata import shipped_set_path


def _refused(capsys, argv) -> str:
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse's own usage errors exit 2 through SystemExit
        rc = exc.code
    out = capsys.readouterr()
    assert rc == 2, out.err
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.err, out.err
    return lines[0]


def _bad_files(tmp_path):
    npy = tmp_path / "x.npy"
    np.save(npy, np.zeros((4, 2)))
    renamed = tmp_path / "renamed.npz"
    shutil.copy(npy, renamed)
    text = tmp_path / "text.npz"
    text.write_text("Q,K,V\n1,2,3\n", encoding="utf-8")
    return {"npy": npy, "renamed": renamed, "text": text}


COMMANDS = {
    "inspect": lambda f: ["inspect", str(f)],
    "estimate": lambda f: ["estimate", "grover-sparse", "--from-data", str(f)],
    "simulate": lambda f: ["simulate", "qattention", "--input", str(f), "--lam", "1", "--eps", "0.5"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", ["npy", "renamed", "text"])
def test_non_npz_file_refused_in_one_line(tmp_path, capsys, command, kind):
    f = _bad_files(tmp_path)[kind]
    line = _refused(capsys, COMMANDS[command](f))
    assert str(f) in line and "Q, K, V" in line
    assert "pickle" not in line  # numpy's allow_pickle hint is wrong (and unsafe) advice here
    assert ("single .npy array" in line) == (kind != "text")


@pytest.mark.parametrize("seed", ["-1", "1.5", "x", "4294967296", ""])
@pytest.mark.parametrize("algorithm", ["qattention", "grover-sparse"])
def test_bad_seed_refused_naming_flag_and_range(capsys, algorithm, seed):
    line = _refused(capsys, ["simulate", algorithm, "--n", "8", "--d", "2", f"--seed={seed}"])
    assert "--seed" in line and "[0, 4294967295]" in line


def test_largest_seed_reaches_qsim(capsys):
    # The bound is the simulators' (RandomState: 0 <= seed < 2**32): the top value must run.
    rc = main(["simulate", "grover-sparse", "--n", "8", "--d", "2", "--k", "1", "--seed", "4294967295"])
    assert rc == 0 and '"grover-sparse"' in capsys.readouterr().out


SHIPPED = str(shipped_set_path(128))
PHYSICAL = ["physical", "--qubits", "10", "--t-count", "1000"]


@pytest.mark.parametrize(
    "argv, flag, allowed",
    [
        (["estimate", "grover-sparse", "--from-data", SHIPPED, "--bits", "3", "--mass", "1.5"], "--mass", "(0, 1]"),
        (["estimate", "grover-sparse", "--from-data", SHIPPED, "--bits", "3", "--mass", "nan"], "--mass", "(0, 1]"),
        (["estimate", "grover-sparse", "--from-data", SHIPPED, "--bits", "3", "--mass", "0"], "--mass", "(0, 1]"),
        (["estimate", "qattention", "--from-data", SHIPPED, "--lam-frac", "0"], "--lam-frac", "(0, inf)"),
        (["estimate", "qattention", "--from-data", SHIPPED, "--lam-frac", "inf"], "--lam-frac", "(0, inf)"),
        (PHYSICAL + ["--error-budget", "2"], "--error-budget", "(0, 1)"),
        (PHYSICAL + ["--error-budget", "nan"], "--error-budget", "(0, 1)"),
        (PHYSICAL + ["--rotations", "3", "--rotation-depth", "5"], "--rotation-depth", "[0, --rotations = 3]"),
        (PHYSICAL + ["--rotation-depth", "1"], "--rotation-depth", "[0, --rotations = 0]"),
        (["physical", "--qubits", "10", "--t-count", "1e300"], "--t-count", "<= 1e100"),
        (PHYSICAL + ["--toffoli", "1e101"], "--toffoli", "<= 1e100"),
        (PHYSICAL + ["--measurements", str(10**100 + 1)], "--measurements", "<= 1e100"),
        (["physical", "--qubits", "0", "--t-count", "10"], "--qubits", ">= 1"),
    ],
)
def test_messages_name_the_flag_not_the_parameter(capsys, argv, flag, allowed):
    line = _refused(capsys, argv)
    assert flag in line and allowed in line
    for internal in ("masses", "lam_fracs", "error budget", "rotation_depth", ": t must", ": qubits must"):
        assert internal not in line


def test_valid_values_at_the_edges_still_run(capsys):
    assert main(PHYSICAL + ["--rotations", "3", "--rotation-depth", "3", "--error-budget", "0.5"]) == 0
    assert '"physical_qubits"' in capsys.readouterr().out
    # 1e100 itself passes the flag check and reaches the model (which finds no code distance for it)
    assert main(["physical", "--qubits", "1", "--t-count", "1", "--measurements", "1e100"]) == 2
    assert "code distance" in capsys.readouterr().err
