"""`qattn estimate` for the sampling building blocks and with --from-data (measured parameters)."""

import json

import numpy as np
import pytest

from estimates.sampling_estimates import leverage_sampling_estimate, mean_estimation_estimate
from qattn_cirq.cli import main
from qattn_cirq.instance import AttentionInstance
from qattn_cirq.realdata import measured_parameters


def _run(capsys, *argv):
    rc = main(["estimate", *argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_leverage_sampling_cli_equals_python_api(capsys):
    rc, out, _ = _run(capsys, "leverage-sampling", "--n", "1024", "--d", "64", "--alpha", "4", "--bits", "8")
    assert rc == 0
    logical = json.loads(out)["logical"]
    assert logical.pop("t") == logical["t_count"] - 4 * logical["toffoli"] - 11 * logical["rotations"]
    assert logical == leverage_sampling_estimate(1024, 64, alpha=4.0, bits=8)["logical"]


def test_mean_estimation_cli_equals_python_api(capsys):
    rc, out, _ = _run(capsys, "mean-estimation", "--n", "64", "--d", "4", "--bits", "4", "--eps", "0.1")
    assert rc == 0
    logical = json.loads(out)["logical"]
    assert logical.pop("t") == logical["t_count"] - 4 * logical["toffoli"] - 11 * logical["rotations"]
    assert logical == mean_estimation_estimate(64, 4, 4, 0.1)["logical"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (("mean-estimation", "--n", "64", "--d", "4", "--bits", "4"), "--eps is required for mean-estimation"),
        (("mean-estimation", "--n", "64", "--d", "4", "--bits", "4", "--eps", "2"), "eps=2.0 must be in (0, 1)"),
        (("leverage-sampling", "--n", "64", "--bits", "4"), "--d is required for leverage-sampling"),
        (("leverage-sampling", "--n", "64", "--d", "4", "--bits", "4", "--kind", "ridge"),
         "s_lambda is required for kind='ridge'"),
        (("grover-sparse", "--from-data", "/nonexistent/heads", "--bits", "4"), "no such file or directory"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, argv, message):
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and out == ""
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in err


@pytest.fixture()
def head_dir(tmp_path):
    rng = np.random.default_rng(3)
    for layer in range(3):
        Q, K, V = (rng.normal(size=(16, 4)) for _ in range(3))
        AttentionInstance(Q, K, V, scale=0.5).save_npz(tmp_path / f"L{layer}H0.npz")
    return tmp_path


def test_from_data_fills_unset_parameters_with_the_measured_statistic(capsys, head_dir):
    m = measured_parameters(head_dir, "max")
    rc, out, _ = _run(capsys, "grover-sparse", "--from-data", str(head_dir), "--statistic", "max", "--bits", "4")
    assert rc == 0
    res = json.loads(out)
    assert (res["params"]["n"], res["params"]["d"], res["params"]["k"]) == (m["n"], m["d"], m["k"])
    assert res["measured"]["values"] == {"n": 16, "d": 4, "k": m["k"]}
    assert res["measured"]["labels"]["k"].startswith("max over 3 heads")


def test_from_data_explicit_flag_wins(capsys, head_dir):
    rc, out, _ = _run(capsys, "grover-sparse", "--from-data", str(head_dir), "--k", "2", "--bits", "4")
    assert rc == 0
    res = json.loads(out)
    assert res["params"]["k"] == 2
    assert "k" not in res["measured"]["values"]


def test_from_data_row_norm_sampling_takes_alpha(capsys, head_dir):
    m = measured_parameters(head_dir)
    rc, out, _ = _run(capsys, "leverage-sampling", "--from-data", str(head_dir), "--bits", "4")
    assert rc == 0
    res = json.loads(out)
    assert res["params"]["alpha"] == pytest.approx(m["alpha"])


def test_from_data_qattention_takes_s_lambda_and_alpha(capsys, head_dir):
    m = measured_parameters(head_dir)
    rc, out, _ = _run(capsys, "qattention", "--from-data", str(head_dir), "--eps", "0.1", "--bits", "4")
    assert rc == 0
    res = json.loads(out)
    assert res["params"]["n"] == 16 and res["params"]["d"] == 4
    assert res["params"]["s_lambda"] == m["s_lambda_int"]
    assert res["params"]["alpha"] == pytest.approx(m["alpha"])
    assert set(res["measured"]["values"]) == {"n", "d", "s_lambda", "alpha"}


@pytest.mark.parametrize(
    "argv, flag",
    [
        (("grover-sparse", "--n", "8", "--d", "2", "--k", "1", "--bits", "4", "--alpha", "2"), "--alpha"),
        (("mean-estimation", "--n", "8", "--d", "2", "--bits", "4", "--eps", "0.1", "--k", "2"), "--k"),
        (("leverage-sampling", "--n", "8", "--d", "2", "--bits", "4", "--loader", "assumed"), "--loader"),
        (("mean-estimation", "--n", "8", "--d", "2", "--bits", "4", "--eps", "0.1", "--from-data", "x"),
         "--from-data"),
    ],
)
def test_flags_of_other_algorithms_are_rejected(capsys, argv, flag):
    """Each algorithm is its own sub-subparser, so a flag of another one is a usage error (exit 2,
    one line naming it), never silently ignored."""
    with pytest.raises(SystemExit) as exc:
        main(["estimate", *argv])
    cap = capsys.readouterr()
    assert exc.value.code == 2 and cap.out == ""
    assert cap.err.splitlines()[-1] == f"qattn estimate {argv[0]}: error: unrecognized arguments: {' '.join(argv[argv.index(flag):])}"


def test_flags_go_after_the_algorithm(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["estimate", "--n", "8", "grover-sparse"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("qattn estimate: error: argument ALGORITHM: invalid choice: '8'")


def test_progress_lines_when_stderr_is_not_a_terminal(capsys):
    from qattn_cirq.commands._common import progress_bar

    assert list(progress_bar(range(3), desc="rows")) == [0, 1, 2]
    assert capsys.readouterr().err.splitlines() == ["rows: 1/3", "rows: 2/3", "rows: 3/3"]
    assert list(progress_bar([5], desc="rows", disable=True)) == [5]
    assert capsys.readouterr().err == ""
