"""The verdict's break-even arithmetic, the infeasibility footnotes and the readable formulas."""

import math

import pytest
import sympy

from estimates.verdict import (
    break_even,
    crossing_n,
    infeasibility_notes,
    power_law,
    speedup_needed,
)


def _scan(q, c, ns, cross=None):
    return {"scanned": [{"n": n, "quantum_time_s": q(n), "classical_time_s": c(n)} for n in ns],
            "crossover_n": cross, "quantum_time_s": q(cross) if cross else None}


def test_power_law_recovers_prefactor_and_exponent():
    ns = [2**e for e in range(10, 20)]
    a, p = power_law(ns, [3e-4 * n**1.5 for n in ns])
    assert p == pytest.approx(1.5, rel=1e-12) and a == pytest.approx(3e-4, rel=1e-9)
    assert power_law([16], [1.0]) is None


def test_crossing_of_two_power_laws():
    # 1e-3 n^1 = 1e-9 n^2 at n = 1e6
    assert crossing_n((1e-3, 1.0), (1e-9, 2.0)) == pytest.approx(1e6, rel=1e-9)
    assert crossing_n((1e-3, 2.0), (1e-9, 2.0)) is None  # same exponent: never
    assert crossing_n((1e-3, 2.5), (1e-9, 2.0)) is None


def test_break_even_kinds():
    ns = [2**e for e in range(4, 12)]
    q, c = (lambda n: 1e-3 * n), (lambda n: 1e-9 * n * n)
    ext = break_even(_scan(q, c, ns))
    assert ext["break_even_kind"] == "extrapolated"
    assert abs(ext["break_even_n"] / 1e6 - 1) < 1e-6
    # the fitted laws themselves say so: quantum slower at n*/2, faster at 2 n*
    n_star = ext["break_even_n"]
    ql = lambda n: ext["quantum_prefactor_s"] * n ** ext["quantum_exponent"]  # noqa: E731
    cl = lambda n: ext["classical_prefactor_s"] * n ** ext["classical_exponent"]  # noqa: E731
    assert ql(n_star / 2) > cl(n_star / 2) and ql(2 * n_star) < cl(2 * n_star)
    assert ext["break_even_runtime_s"] == pytest.approx(1e3, rel=1e-6)
    assert (ext["fit_n_min"], ext["fit_n_max"]) == (2**7, 2**11)  # the last 5 powers of two
    never = break_even(_scan(lambda n: 1e-3 * n**3, c, ns))
    assert never["break_even_kind"] == "never" and never["break_even_n"] is None
    assert never["quantum_exponent"] == pytest.approx(3.0)
    measured = break_even(_scan(q, c, ns, cross=777))
    assert measured["break_even_kind"] == "measured" and measured["break_even_n"] == 777
    assert break_even(_scan(lambda n: math.inf, c, ns))["break_even_kind"] == "not_costed"
    # past float range: no number, but its decimal logarithm (1e9 n^1.99 = 1e-9 n^2 at n = 10^1800)
    far = break_even(_scan(lambda n: 1e9 * n**1.99, c, ns))
    assert far["break_even_kind"] == "extrapolated" and far["break_even_n"] is None
    assert far["break_even_log10_n"] == pytest.approx(1800, rel=1e-6) and far["break_even_runtime_s"] is None


def test_break_even_fits_only_costed_points():
    ns = [2**e for e in range(4, 12)]
    res = _scan(lambda n: 1e-3 * n if n <= 256 else math.inf, lambda n: 1e-9 * n * n, ns)
    out = break_even(res)
    assert out["largest_costed_n"] == 256 and out["fit_n_max"] == 256
    assert out["break_even_kind"] == "extrapolated" and out["quantum_exponent"] == pytest.approx(1.0)


def test_speedup_needed():
    assert speedup_needed(10.0, 0.0, 2.0) == 5.0
    assert speedup_needed(10.0, 1.0, 2.0) == 10.0  # the classical work is not sped up
    assert speedup_needed(10.0, 3.0, 2.0) is None  # classical work alone is slower than the GPU
    assert speedup_needed(math.inf, 0.0, 2.0) is None


def test_infeasibility_reasons_once_per_model_and_kind():
    rows = [{"algorithm": "a", "loader": "qrom", "model": "gf", "n": n, "feasible": False,
             "reason": f"needs {n * 1.5:.4g} states; an error budget >= {n / 1e3:.3g} would be needed"}
            for n in (8, 16, 32)]
    rows += [{"algorithm": "b", "loader": "assumed", "model": "gf", "n": 64, "feasible": False,
              "reason": "needs 1e9 states; no error budget < 1 suffices"},
             {"algorithm": "b", "loader": "assumed", "model": "gf", "n": 4, "feasible": True}]
    notes = infeasibility_notes(rows)
    assert [n["id"] for n in notes] == [1, 2]
    assert notes[0]["applies_to"] == ["a / qrom: n = 2^3..2^5"] and "12 states" in notes[0]["reason"]
    assert notes[1]["applies_to"] == ["b / assumed: n = 2^6..2^6"]


def test_paper_form_rounding_sums_and_orders():
    from estimates.readable import as_text, paper_form

    n, k, m = sympy.symbols("n k m", positive=True, integer=True)
    # power of two: ceiling(log2 n) - floor(log2 n) vanishes; 2^floor(log2(n)/2) is sqrt(n)
    e = 4 * n * (sympy.ceiling(sympy.log(n) / sympy.log(2)) - sympy.floor(sympy.log(n) / sympy.log(2))) \
        + 3 * n * 2 ** sympy.floor(sympy.log(n) / (2 * sympy.log(2))) + 7 * n
    assert sympy.simplify(paper_form(e, n) - 3 * n**sympy.Rational(3, 2)) == 0
    # a find-all round count sum -> its integral: sum_m floor(pi/(4 asin(sqrt(m/n)))) ~ (pi/2) sqrt(n k)
    s = sympy.Sum(sympy.floor(sympy.pi / (4 * sympy.asin(sympy.sqrt(m / n)))), (m, 1, k))
    out = paper_form(n * s, n)
    assert "asin" not in str(out) and "Sum" not in str(out)
    assert sympy.simplify(out - sympy.pi / 2 * sympy.sqrt(k) * n**sympy.Rational(3, 2)) == 0
    # log factors ride along with their power of n; lower powers drop out; a Max keeps its faster argument
    e = n**2 * (5 + sympy.log(n)) + 100 * n + sympy.Max(n, sympy.sqrt(n))
    assert as_text(paper_form(e, n)) in ("n^2 (0.693 log2(n) + 5)", "n^2 (0.693 log2(n) + 5.0)")


def test_grover_sparse_readable_formula_is_paper_shaped():
    from estimates.readable import one_line, readable_formulas

    r = readable_formulas("grover-sparse", "qrom", "known-count")
    assert r["t_count"] == "2 pi sqrt(k) n^(5/2)"  # R(n,k) ~ (pi/2) sqrt(nk) calls x ~4n T per QROM read
    assert r["t_count_latex"] == r"2 \pi \sqrt{k} n^{\frac{5}{2}}"
    cert = readable_formulas("grover-sparse", "qrom")
    # every exact term is positive, so the leading order is a part of the exact count at n = 4096
    assert 0.01 < cert["t_leading_over_exact_at_4096"] < 1 and 0 < cert["qubits_leading_over_exact_at_4096"] < 1
    line = one_line(cert)
    assert line.startswith("T ~ n^(5/2)") and "Sum(" not in line and "asin" not in line
