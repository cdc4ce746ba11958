import math

import pytest

from estimates.crossover import find_crossover
from qattn_cirq.errors import QattnInputError


def test_crossover_of_linear_vs_quadratic_is_exact():
    # quantum 1000 n, classical n^2: classical slower once n > 1000 -> smallest n with q < c is 1001
    r = find_crossover(lambda n: 1000.0 * n, lambda n: float(n) ** 2, n_min=2, n_max=2**20)
    assert r["crossover_n"] == 1001
    assert r["quantum_time_s"] < r["classical_time_s"]
    assert [s["n"] for s in r["scanned"]][:3] == [2, 4, 8]


@pytest.mark.parametrize("c0", [3.0, 17.5, 12345.0])
def test_crossover_matches_closed_form(c0):
    # quantum c0 * n * log2(n) vs classical n^1.5: crossing where sqrt(n) = c0 log2 n
    q = lambda n: c0 * n * math.log2(n)
    c = lambda n: n**1.5
    r = find_crossover(q, c, n_min=2, n_max=2**60)
    n = r["crossover_n"]
    assert q(n) < c(n) and not q(n - 1) < c(n - 1)


def test_no_crossover_is_a_plain_statement():
    r = find_crossover(lambda n: 10.0 * n**2, lambda n: float(n) ** 2, n_min=1024, n_max=2**20)
    assert r["crossover_n"] is None
    assert r["statement"] == f"no crossover below n = {2**20}"


def test_quantum_faster_at_start():
    r = find_crossover(lambda n: 1.0, lambda n: 2.0, n_min=16, n_max=1024)
    assert r["crossover_n"] == 16 and "smallest" in r["statement"]


def test_bad_range():
    with pytest.raises(QattnInputError):
        find_crossover(lambda n: 1.0, lambda n: 2.0, n_min=100, n_max=10)


def _scan(times):
    return [{"n": 2**e, "quantum_time_s": q, "classical_time_s": 1.0} for e, q in times]


def test_no_crossover_statement_claims_only_what_was_costed():
    from estimates.crossover import crossover_title_suffix, no_crossover_statement

    inf = float("inf")
    all_ok = _scan([(e, 10.0) for e in range(4, 41)])
    assert no_crossover_statement(all_ok, 2**40) == f"no crossover below n = 2^40 = {2**40}"
    # costs exist up to 2^24 only: the claim stops there and the reason is given
    part = _scan([(e, 10.0 if e <= 24 else inf) for e in range(4, 41)])
    st = no_crossover_statement(part, 2**40, "error budget 0.001 cannot be met")
    assert st == ("no crossover up to n = 2^24 (the largest n this model can cost); "
                  "from n = 2^25 infeasible: error budget 0.001 cannot be met")
    assert "2^40" not in st
    none_ok = _scan([(e, inf) for e in range(4, 8)])
    assert no_crossover_statement(none_ok, 2**7).startswith("no crossover found: the model cannot cost any scanned n")
    holes = _scan([(4, 10.0), (5, inf), (6, 10.0), (7, inf)])
    assert no_crossover_statement(holes, 2**7) == (
        "no crossover up to n = 2^6 (the largest n this model can cost); infeasible at 2 scanned n from n = 2^5")
    # plot title: the 2^40 claim only when nothing was infeasible
    res = lambda sc: {"crossover_n": None, "scanned": sc}
    assert crossover_title_suffix([res(all_ok)], 2**40) == ": no crossover below n = 2^40"
    assert "2^40" not in crossover_title_suffix([res(all_ok), res(part)], 2**40)
    assert crossover_title_suffix([res(all_ok), {"crossover_n": 100, "scanned": all_ok}], 2**40) == ""


def test_hybrid_quantum_preprocessing_plus_classical_row_queries():
    # the sublinear algorithm's charge: a quantum preprocessing ~ sqrt(n) plus n classical row
    # queries ~ n, against the GPU's n^2: the first n where the sum beats n^2 (closed form below)
    pre = lambda n: 1e4 * math.sqrt(n)
    rows = lambda n: 50.0 * n
    r = find_crossover(lambda n: pre(n) + rows(n), lambda n: float(n) ** 2, n_min=2, n_max=2**30)
    n = r["crossover_n"]
    assert pre(n) + rows(n) < n**2 and not pre(n - 1) + rows(n - 1) < (n - 1) ** 2
    assert r["quantum_time_s"] == pytest.approx(pre(n) + rows(n))
    # charging the rows as well can only move the crossover up, never down
    assert find_crossover(pre, lambda n: float(n) ** 2, n_min=2, n_max=2**30)["crossover_n"] <= n
