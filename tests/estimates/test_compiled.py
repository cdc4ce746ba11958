"""Compiled formulas (estimates.compiled) against the concrete call graph, and their disk cache."""

import json
import math

import pytest
import sympy

from estimates import compiled
from estimates.formulas import grover_sparse_estimate
from estimates.qattention_estimates import qattention_estimate
from estimates.sweep import sweep_rows

FIELDS = ("t_count", "toffoli", "rotations", "measurements", "qubits")

# (n, d, k, bits): powers of two, where the compiled formula is exact for qrom / assumed
EXACT_POINTS = [(4, 1, 1, 2), (8, 2, 2, 4), (16, 2, 2, 4), (64, 4, 3, 4), (256, 16, 4, 8), (1024, 128, 8, 8),
                (4096, 128, 16, 8), (2**14, 64, 32, 8), (2**16, 128, 32, 8), (2**20, 128, 32, 8)]
# not powers of two: the compiled formula is an approximation there, so sweeps use the call graph
INEXACT_POINTS = [(3, 1, 1, 2), (6, 2, 2, 4), (1000, 7, 3, 5), (5000, 128, 16, 8), (12345, 128, 32, 8),
                  (100000, 64, 20, 8)]


def _concrete(n, d, k, bits, loader, schedule="certified"):
    return grover_sparse_estimate(n, d, k, bits, loader, schedule=schedule)["logical"]


@pytest.mark.parametrize("loader", ["qrom", "qroam", "assumed"])
def test_grover_compiled_equals_call_graph_where_exact(loader):
    checked = 0
    for n, d, k, bits in EXACT_POINTS:
        if not compiled.grover_is_exact(loader, n, d, bits):
            assert loader == "qroam"  # only qroam's block sizes can make a power of two inexact
            continue
        want, got = _concrete(n, d, k, bits, loader), compiled.grover_sparse_counts(n, d, k, bits, loader)
        assert {f: got[f] for f in FIELDS} == {f: want[f] for f in FIELDS}, (n, d, k, bits)
        assert got["t_count"] == got["t"] + 4 * got["toffoli"] + 11 * got["rotations"]
        if loader == "assumed":
            assert (got["qram_qubits"], got["circuit_qubits"]) == (want["qram_qubits"], want["circuit_qubits"])
        checked += 1
    assert checked >= (3 if loader == "qroam" else len(EXACT_POINTS))


def test_grover_known_count_compiled_equals_call_graph():
    for n, d, k, bits in EXACT_POINTS[:7]:
        want = _concrete(n, d, k, bits, "qrom", "known-count")
        got = compiled.grover_sparse_counts(n, d, k, bits, "qrom", schedule="known-count")
        assert {f: got[f] for f in FIELDS} == {f: want[f] for f in FIELDS}, (n, d, k, bits)


def test_grover_inexact_points_are_costed_on_the_call_graph():
    # the predicate is not decorative: at n = 5000 the closed-form QROAM block sizes cost 66% more qubits
    approx = compiled.grover_sparse_counts(5000, 128, 16, 8, "qroam")
    assert approx["qubits"] != _concrete(5000, 128, 16, 8, "qroam")["qubits"]
    for n, d, k, bits in INEXACT_POINTS:
        for loader in ("qrom", "qroam"):
            assert not compiled.grover_is_exact(loader, n, d, bits)
            (row,) = sweep_rows("grover-sparse", {"loader": [loader], "n": [n], "d": [d], "k": [k], "bits": [bits]})
            assert row["source"] == "call graph"
            want = _concrete(n, d, k, bits, loader)
            assert {f: row[f] for f in FIELDS} == {f: want[f] for f in FIELDS}


def test_qroam_exactness_predicate_matches_block_search():
    from bloqs.qroam import optimal_qroam_log_block_sizes

    # where the predicate holds the closed forms are the searched optimum (so the counts agree above)
    for n, d, bits in [(2**e, d, b) for e in range(2, 21) for d, b in ((1, 2), (16, 8), (128, 8))]:
        if compiled.grover_is_exact("qroam", n, d, bits):
            w = d * bits
            closed = (math.ceil(math.log2(n / w) / 2), math.ceil(math.log2(n) / 2))
            assert closed == optimal_qroam_log_block_sizes(n, w)


QATTENTION_POINTS = [(2**e, d, s, a, eps, b) for e, d, s, a, eps, b in [
    (4, 2, 3, 1.0, 0.3, 4), (6, 4, 8, 2.0, 0.2, 4), (10, 128, 20, 4.0, 0.1, 8), (12, 128, 32, 8.0, 0.05, 8),
    (16, 128, 64, 16.0, 0.1, 8), (20, 128, 64, 16.0, 0.01, 8), (24, 64, 100, 2.0, 0.1, 8), (30, 128, 64, 2.0, 0.1, 8),
]] + [(1000, 16, 7, 1.0, 0.2, 6), (5000, 64, 20, 2.5, 0.1, 8), (12345, 32, 3, 1.5, 0.3, 4), (99999, 128, 40, 3.0, 0.1, 8)]


@pytest.mark.parametrize("loader", ["qrom", "assumed"])
def test_qattention_compiled_equals_estimate(loader):
    for point in QATTENTION_POINTS:  # 12 points x 2 loaders
        want, got = qattention_estimate(*point, loader=loader), compiled.qattention_counts_compiled(*point, loader=loader)
        wt, gt = want["logical"]["total"], got["logical"]["total"]
        assert {f: gt[f] for f in FIELDS} == {f: wt[f] for f in FIELDS}, point
        for key in ("time_s",):
            assert got["classical"][key] == pytest.approx(want["classical"][key], rel=1e-9)
        assert got["classical"]["row_queries_all_n"]["flops"] == want["classical"]["row_queries_all_n"]["flops"]


def test_real_s_lambda_agrees_to_float_precision():
    # s_lambda = 510.8 (a real, as `qattn inspect` prints it): exact rationals vs doubles
    want = qattention_estimate(2**16, 128, 510.8, 30, 0.1, 8)["logical"]["total"]
    got = compiled.qattention_counts_compiled(2**16, 128, 510.8, 30, 0.1, 8)["logical"]["total"]
    for f in FIELDS:
        assert got[f] == pytest.approx(want[f], rel=1e-12)


def test_log2_is_exact_at_powers_of_two():
    x = sympy.Symbol("x", positive=True, integer=True)
    expr = sympy.ceiling(sympy.log(x) / sympy.log(2))
    assert math.ceil(math.log(2**29) / math.log(2)) == 30  # the trap a plain printer falls into
    f = compiled.Formula(("x",), {"v": compiled.to_source(expr)})
    assert [f(2**e)["v"] for e in (1, 29, 50, 60)] == [1, 29, 50, 60]
    assert f(2**29 + 1)["v"] == 30


def test_disk_cache_written_read_and_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("QATTN_CACHE_DIR", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return {"f": compiled.Formula.from_exprs(("n",), {"v": sympy.Symbol("n") * 2})}

    assert compiled.cached("test/key", build)["f"](21) == {"v": 42}
    files = list(tmp_path.rglob("*.json"))
    assert len(files) == 1 and calls == [1]
    assert compiled.cached("test/key", build)["f"](21) == {"v": 42}
    assert calls == [1]  # read back, not rebuilt
    data = json.loads(files[0].read_text())
    data["fingerprint"] = "stale"
    files[0].write_text(json.dumps(data))
    assert compiled.cached("test/key", build)["f"](1) == {"v": 2}
    assert calls == [1, 1]  # another fingerprint: rebuilt
    files[0].write_text("{not json")
    assert compiled.cached("test/key", build)["f"](1) == {"v": 2}
    assert calls == [1, 1, 1]  # corrupt: rebuilt
    assert json.loads(files[0].read_text())["fingerprint"] == compiled.fingerprint()


def test_disk_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("QATTN_CACHE_DIR", "off")
    assert compiled.cache_dir() is None
    out = compiled.cached("test/off", lambda: {"f": compiled.Formula(("n",), {"v": "n + 1"})})
    assert out["f"](1) == {"v": 2}


def test_cached_json_round_trips_and_is_keyed(tmp_path, monkeypatch):
    monkeypatch.setenv("QATTN_CACHE_DIR", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return {"a": (1, 2.5), "b": None}

    assert compiled.cached_json("t/1", build) == {"a": [1, 2.5], "b": None}  # what a cache reader gets
    assert compiled.cached_json("t/1", build) == {"a": [1, 2.5], "b": None} and calls == [1]
    assert compiled.cached_json("t/2", build) and calls == [1, 1]  # another key: built
