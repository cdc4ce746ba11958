r"""Closed-form costs of Grover sparse attention, derived from the bloq call graphs.

Nothing here is typed in: :func:`grover_sparse_formula` builds the symbolic
:class:`bloqs.attention.GroverSparseAttention` (sympy symbols ``n, d, k, b``) and reads its
logical counts off Qualtran's cost protocol. That formula is exact at powers of two and odd n and
an upper bound elsewhere (``FORMULA_EXACTNESS``). :func:`grover_sparse_estimate` instead builds the
bloq at concrete n, d, b with k symbolic (cached), so its numbers equal the concrete call graph at
every n; n = 2^20 never enumerates n items (the only sums left are the k-term sums R(n,k) and
E(n,k) of the find-all schedule, see ``bloqs.grover``).

Fixed-point convention for ``tau`` (estimate without data): Q and K entries are b-bit two's
complement fractions in [-1, 1) (b-1 fractional bits), so a score is an integer multiple of
:math:`2^{-2(b-1)}` and ``tau`` must be one, inside the accumulator's range.
"""

import functools
import math
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

import sympy
from qualtran import Adjoint, Bloq
from qualtran.resource_counting import QECGatesCost, QubitCount, get_bloq_callee_counts, get_cost_value

from estimates.counts import TS_PER_ROTATION, TS_PER_TOFFOLI, LogicalCounts, logical_counts, tidy, to_number
from qattn_cirq.errors import QattnInputError

#: The four symbols every formula is written in.
n, d, k, b = (sympy.Symbol(s, positive=True, integer=True) for s in ("n", "d", "k", "b"))
SYMBOLS = {"n": n, "d": d, "k": k, "b": b}

LOADER_ASSUMPTION = (
    "assumed: the papers' QRAM with polylog(n) access, a cost-model bloq (not a circuit); its "
    "per-access cost is the documented parameter of bloqs.loaders.AssumedQRAMRowLoader"
)

FORMULA_EXACTNESS = (
    "exact for n a power of two and for odd n (qrom, assumed); an upper bound for even n that is "
    "not a power of two, where the uniform preparation (Qualtran's symbolic "
    "PrepareUniformSuperposition) is costed for the full ceil(log2 n)-bit comparison instead of "
    "that of the odd part of n. qroam: the block sizes are the closed forms "
    "k = ceil(log2(n/(b d))/2), k' = ceil(log2(n)/2), not the searched integer optimum, so also an "
    "upper bound where they differ. `qattn estimate` uses the concrete prepare and block sizes and "
    "is exact at every n"
)

COMPONENTS = ("loader", "inner_product", "comparator", "diffusion", "exclusion", "preparation", "phase")


def _loader_kinds() -> Tuple[str, ...]:
    from bloqs.loaders import LOADER_KINDS

    return tuple(LOADER_KINDS)


def check_loader(loader: str) -> str:
    kinds = _loader_kinds()
    if loader not in kinds:
        raise QattnInputError(f"loader must be one of {', '.join(kinds)}; got {loader!r}")
    return loader


# --------------------------------------------------------------------------------------------------
# Component breakdown by walking the call graph
# --------------------------------------------------------------------------------------------------


def _classify(bloq: Bloq, oracle) -> Optional[str]:
    """Component name of a bloq met while walking down from the top, or None to walk further."""
    from bloqs.grover import GroverDiffusion, IndexEquals, UniformIndexPrepare

    base = bloq.subbloq if isinstance(bloq, Adjoint) else bloq
    for name, part in (
        ("loader", oracle.row_loader),
        ("inner_product", oracle.inner_product),
        ("comparator", oracle.comparator),
    ):
        # the uncompute may be Adjoint(part) or a bloq of its own (e.g. the subtracting inner product)
        if base == part or bloq == oracle._adj(part):
            return name
    if isinstance(base, GroverDiffusion):
        return "diffusion"
    if isinstance(base, IndexEquals):
        return "exclusion"
    if isinstance(base, UniformIndexPrepare):
        return "preparation"
    return None


def component_calls(root: Bloq, classify: Callable[[Bloq], Optional[str]]) -> Dict[str, Dict[Bloq, Any]]:
    """Multiplicity of every classified sub-bloq under ``root`` (symbolic counts multiply along paths).

    Unclassified leaves (Cliffords of the phase flip) go to ``"phase"``.
    """
    out: Dict[str, Dict[Bloq, Any]] = {}

    def walk(bloq: Bloq, mult):
        name = classify(bloq)
        if name is None:
            callees = get_bloq_callee_counts(bloq)
            if not callees:
                name = "phase"
            else:
                for callee, c in callees:
                    walk(callee, mult * c)
                return
        out.setdefault(name, {})
        out[name][bloq] = out[name].get(bloq, 0) + mult

    walk(root, sympy.Integer(1))
    return out


def _counts_times(bloq: Bloq, mult) -> Dict[str, Any]:
    gc = get_cost_value(bloq, QECGatesCost())
    return {
        "t": gc.t * mult,
        "toffoli": (gc.toffoli + gc.and_bloq + gc.cswap) * mult,
        "clifford": gc.clifford * mult,
        "rotations": gc.rotation * mult,
        "measurements": gc.measurement * mult,
    }


def _component_counts(calls: Dict[Bloq, Any]) -> Dict[str, Any]:
    tot = {"t": 0, "toffoli": 0, "clifford": 0, "rotations": 0, "measurements": 0}
    qubits = 0
    ncalls = 0
    for bloq, mult in calls.items():
        for key, v in _counts_times(bloq, mult).items():
            tot[key] = tot[key] + v
        qubits = sympy.Max(qubits, get_cost_value(bloq, QubitCount()))
        ncalls = ncalls + mult
    tot["qubits"] = qubits
    tot["calls"] = ncalls
    return tot


# --------------------------------------------------------------------------------------------------
# Symbolic formula (cached per loader)
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _symbolic(loader: str):
    from bloqs.attention import GroverSparseAttention

    check_loader(loader)
    top = GroverSparseAttention(n=n, d=d, k=k, tau=0, bits=b, loader=loader)
    total = logical_counts(top)
    calls = component_calls(top, lambda x: _classify(x, top.oracle))
    comps = {name: _component_counts(calls.get(name, {})) for name in COMPONENTS}
    return top, total, comps


@functools.lru_cache(maxsize=32)
def _instance(loader: str, n_: int, d_: int, b_: int, tau_int: int = 0):
    """:class:`GroverSparseAttention` at concrete n, d, b with k still the symbol k, and its counts.

    Why not the symbolic formula at n: two pieces of it are closed forms that are only upper
    bounds at some n (see ``grover_sparse_formula_dict``'s ``exactness``): the uniform preparation
    at even n that is not a power of two, and QROAM's block sizes. With n, d, b concrete the call
    graph uses Qualtran's concrete ``PrepareUniformSuperposition(n)`` and the searched optimal
    block sizes (``bloqs.loaders.optimal_qroam_log_block_sizes``), both O(log n) to build, so the
    counts equal the concrete call graph; keeping k symbolic keeps the find-all schedule as the
    k-term sums R(n,k), E(n,k) (never n items, and one cached build serves every k).
    """
    from bloqs.attention import GroverSparseAttention

    # tau changes only Cliffords (the comparator's constant), but pass it so they are exact too
    top = GroverSparseAttention(n=n_, d=d_, k=k, tau=tau_int, bits=b_, loader=loader)
    total = logical_counts(top)
    calls = component_calls(top, lambda x: _classify(x, top.oracle))
    comps = {name: _component_counts(calls.get(name, {})) for name in COMPONENTS}
    return top, total, comps


def grover_sparse_bloq(loader: str = "qrom"):
    """The symbolic :class:`GroverSparseAttention` (cached)."""
    return _symbolic(loader)[0]


def grover_sparse_formula(loader: str = "qrom") -> LogicalCounts:
    """Logical counts of Grover sparse attention as sympy expressions in n, d, k, b (from the call graph)."""
    return _symbolic(loader)[1]


def grover_sparse_component_formulas(loader: str = "qrom") -> Dict[str, Dict[str, Any]]:
    """Per-component symbolic totals (t, toffoli, clifford, rotations, measurements, qubits, calls)."""
    return _symbolic(loader)[2]


def t_count_expr(c: Dict[str, Any]):
    return tidy(c["t"] + TS_PER_TOFFOLI * c["toffoli"] + TS_PER_ROTATION * c["rotations"])


def _sum_leading(expr):
    """Replace the find-all sums by their leading terms.

    :math:`R(n,k)=\\sum_m r_m \\to \\tfrac{\\pi}{2}\\sqrt{nk}` and
    :math:`E(n,k)=\\sum_m r_m (k-m) \\to \\tfrac{\\pi}{3}\\sqrt{n}\\,k^{3/2}`, from
    :math:`r_m \\approx \\tfrac{\\pi}{4}\\sqrt{n/m}` and :math:`\\sum_{m\\le k} m^{-1/2}\\approx 2\\sqrt k`,
    :math:`\\sum_{m\\le k}(k-m)m^{-1/2}\\approx \\tfrac43 k^{3/2}`.
    """
    def repl(s: sympy.Sum):
        (m, lo, hi) = s.limits[0]
        f = s.function
        r = sympy.pi / 4 * sympy.sqrt(n / m)
        g = sympy.simplify(f.replace(sympy.floor, lambda x: r))
        g = sympy.expand(g)
        # integrate over m (Euler-Maclaurin leading term of the k-term sum)
        return sympy.integrate(g, (m, 0, hi))

    return expr.replace(lambda e: isinstance(e, sympy.Sum), repl)


def _order(t, var):
    """Exponent of ``var`` in a product term; a factor like log(var) counts as +1/1000."""
    expo = sympy.Integer(0)
    for f, p in t.as_powers_dict().items():
        if f == var:
            expo += p
        elif isinstance(f, sympy.Max):
            expo += p * max(_expr_order(a, var) for a in f.args)
        elif f.has(var):
            expo += sympy.Rational(1, 1000) * p
    return expo


def _expr_order(x, var):
    return max(_order(t, var) for t in sympy.Add.make_args(sympy.expand(x)))


def _ratio_le_one(x, y) -> bool:
    r = sympy.simplify(x / y)
    return bool(r.is_number and r <= 1)


def _log2_to_log(e):
    """Qualtran's ``log2(x)`` -> log(x)/log(2), so that 2**(log2(x)/2) becomes sqrt(x)."""
    from qualtran.symbolics import log2

    f = log2(sympy.Symbol("x_", positive=True)).func
    if f is sympy.log:
        return e
    e = e.replace(lambda x: getattr(x, "func", None) == f, lambda x: sympy.log(x.args[0]) / sympy.log(2))
    return sympy.powsimp(sympy.expand_log(e, force=True), force=True)


def _lead(e, var):
    if isinstance(e, sympy.Max):
        leads = [_lead(a, var) for a in e.args]
        orders = [_expr_order(x, var) for x in leads]
        top = max(orders)
        keep = [x for x, o in zip(leads, orders) if o == top]
        # same order: drop an argument that is a constant multiple (<= 1) of another
        kept = []
        for x in keep:
            if any(x != y and _ratio_le_one(x, y) for y in keep):
                continue
            if x not in kept:
                kept.append(x)
        return kept[0] if len(kept) == 1 else sympy.Max(*kept)
    e = e.replace(sympy.Max, lambda *a: _lead(sympy.Max(*a, evaluate=False), var)) if e.has(sympy.Max) else e
    terms = sympy.Add.make_args(sympy.expand(e))
    orders = [_order(t, var) for t in terms]
    top = max(orders)
    return sympy.factor_terms(sympy.Add(*[t for t, o in zip(terms, orders) if o == top]))


def leading_term(expr, var=n):
    """Leading term of ``expr`` as ``var`` -> infinity, other symbols fixed.

    The find-all sums are replaced by their leading terms (:func:`_sum_leading`), ceilings and
    floors by their arguments; a Max keeps its fastest-growing argument(s).
    """
    e = _sum_leading(sympy.sympify(expr))
    e = e.replace(sympy.ceiling, lambda x: x).replace(sympy.floor, lambda x: x)
    return _lead(_log2_to_log(e), var)


# --------------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------------


def _grover_rounds_atom(atom) -> Optional[sympy.Basic]:
    """The argument ``a`` when ``atom`` is ``floor(pi / (4 asin(a)))`` (a find-all round count r_m)."""
    if not isinstance(atom, sympy.floor):
        return None
    asins = atom.atoms(sympy.asin)
    if len(asins) != 1:
        return None
    (a,) = asins
    return a.args[0] if atom == sympy.floor(sympy.pi / (4 * a)) else None


def _eval_term(term, m, i: int):
    r"""One term of a find-all sum at m = i, exactly, with the round counts of the bloq's schedule.

    The rounds :math:`r_m = \lfloor\pi/(4\arcsin\sqrt{m/n})\rfloor` are taken from
    :func:`bloqs.amplification.optimal_rounds` at the exact rational m/n, i.e. the very number
    ``bloqs.grover.grover_iterations(n, m)`` gives the concrete call graph (floating point
    ``asin(sqrt(m)/sqrt(n))`` overflows the domain of asin at m = n: sqrt(8)/sqrt(8) > 1 in
    doubles). Everything else in the term is a polynomial, evaluated in exact integers.
    """
    from bloqs.amplification import optimal_rounds

    rep = {}
    for atom in term.atoms(sympy.floor):
        arg = _grover_rounds_atom(atom)
        if arg is None:
            continue
        a2 = arg.xreplace({m: i}) ** 2  # sqrt(m/n)^2: a Rational
        if isinstance(a2, sympy.Rational) and 0 < a2 <= 1:
            # p/q and m/n are the same real, so the correctly rounded double p/q is that of m/n
            rep[atom] = sympy.Integer(optimal_rounds(int(a2.p) / int(a2.q)))
    v = term.xreplace(rep).xreplace({m: sympy.Integer(i)})
    # anything left that is not a schedule round (none today) is evaluated exactly by sympy
    return v.doit() if v.free_symbols == set() else v


def _eval_sums(exprs: Iterable[Any], values: Dict[sympy.Symbol, int]) -> Dict[sympy.Basic, sympy.Basic]:
    """Each find-all Sum in ``exprs`` evaluated once at ``values`` (k terms each, never n).

    Term by term with :func:`_eval_term`: the same integers as the concrete schedule
    (``bloqs.grover.find_all_schedule``), never a float ``asin`` outside [-1, 1].
    """
    sums = set()
    for e in exprs:
        if isinstance(e, sympy.Basic):
            sums |= e.atoms(sympy.Sum)
    out = {}
    for s in sums:
        (m, lo, hi) = s.limits[0]
        f = s.function.subs(values)
        lo_, hi_ = int(sympy.sympify(lo).subs(values)), int(sympy.sympify(hi).subs(values))
        out[s] = sympy.Add(*(_eval_term(f, m, i) for i in range(lo_, hi_ + 1)))
    return out


def _num(expr, values: Dict[sympy.Symbol, int], sums: Optional[Dict] = None):
    if not isinstance(expr, sympy.Basic):
        return expr
    if sums is None:
        sums = _eval_sums([expr], values)
    v = expr.xreplace(sums).subs(values).doit()
    try:
        return to_number(v)
    except ValueError:
        raise ValueError(f"cannot evaluate {expr} at {values}") from None


def _validate(n_: int, d_: int, k_: int, bits_: int, loader: str):
    def as_int(name, v, lo):
        try:
            iv = int(v)
        except (TypeError, ValueError):
            raise QattnInputError(f"{name} must be an integer >= {lo}; got {v!r}") from None
        if iv != v or iv < lo:
            raise QattnInputError(f"{name} must be an integer >= {lo}; got {v!r}")
        return iv

    n_ = as_int("n", n_, 2)
    d_ = as_int("d", d_, 1)
    k_ = as_int("k", k_, 1)
    bits_ = as_int("bits", bits_, 2)
    if k_ > n_:
        raise QattnInputError(f"k must be <= n (got k={k_}, n={n_})")
    check_loader(loader)
    return n_, d_, k_, bits_


def tau_to_int(tau: float, d_: int, bits_: int) -> int:
    """tau in score units -> integer threshold; raise unless exactly representable (see module doc)."""
    from bloqs.arithmetic import acc_bits_for

    unit = 2.0 ** (-2 * (bits_ - 1))
    try:
        t = float(tau)
    except (TypeError, ValueError):
        raise QattnInputError(f"tau must be a real number; got {tau!r}") from None
    if not math.isfinite(t):
        raise QattnInputError(f"tau must be finite; got {tau!r}")
    q = t / unit
    if abs(q - round(q)) > 1e-9 * max(1.0, abs(q)):
        raise QattnInputError(
            f"tau={tau} is not representable in the fixed point: with bits={bits_} a score is a "
            f"multiple of 2^-{2 * (bits_ - 1)} = {unit:g}"
        )
    q = int(round(q))
    acc = int(acc_bits_for(d_, bits_))
    lo, hi = -(2 ** (acc - 1)), 2 ** (acc - 1) - 1
    if not lo <= q <= hi:
        raise QattnInputError(
            f"tau={tau} is outside the score range [{lo * unit:g}, {hi * unit:g}] of the "
            f"{acc}-bit accumulator (d={d_}, bits={bits_})"
        )
    return q


def grover_sparse_estimate(
    n: int, d: int, k: int, bits: int, loader: str = "qrom", tau: Optional[float] = None
) -> Dict[str, Any]:
    """Concrete logical costs of Grover sparse attention at (n, d, k, b), equal to the concrete call graph.

    Built from :func:`_instance` (n, d, b concrete, k symbolic): the k-term find-all sums are
    evaluated exactly (:func:`_eval_sums`), nothing enumerates n items (n = 2^20, d = 128, k = 32
    takes well under a second). Unlike :func:`grover_sparse_formula` at n, this is exact at every
    n, including even n that are not powers of two and QROAM's searched block sizes.
    """
    from bloqs.attention import GroverSparseAttention

    n_, d_, k_, b_ = _validate(n, d, k, bits, loader)
    tau_int = tau_to_int(tau, d_, b_) if tau is not None else None
    values = {SYMBOLS["n"]: n_, SYMBOLS["d"]: d_, SYMBOLS["k"]: k_, SYMBOLS["b"]: b_}
    top, total, comps = _instance(loader, n_, d_, b_, tau_int or 0)
    exprs = [total.t, total.toffoli, total.clifford, total.rotations, total.measurements]
    for c in comps.values():
        exprs.extend(c.values())
    sums = _eval_sums(exprs, values)
    logical = {
        "t_count": _num(total.t_count, values, sums),
        "toffoli": _num(total.toffoli, values, sums),
        "clifford": _num(total.clifford, values, sums),
        "rotations": _num(total.rotations, values, sums),
        "measurements": _num(total.measurements, values, sums),
        "qubits": _num(total.qubits, values, sums),
    }
    components = {}
    for name, c in comps.items():
        calls = _num(c["calls"], values, sums)
        components[name] = {
            "t_count": _num(t_count_expr(c), values, sums),
            "toffoli": _num(c["toffoli"], values, sums),
            "clifford": _num(c["clifford"], values, sums),
            "rotations": _num(c["rotations"], values, sums),
            # a component that is never called holds no qubits
            "qubits": _num(c["qubits"], values, sums) if calls else 0,
            "calls": calls,
        }
    concrete = GroverSparseAttention(n=n_, d=d_, k=k_, tau=tau_int or 0, bits=b_, loader=loader)
    from bloqs.grover import find_all_expected_oracle_calls, find_all_oracle_calls

    if find_all_oracle_calls(n_, k_) == 0:
        # No run iterates (only n = 2: r_m = 0 for every m), so the oracle is never called, but
        # the formula's qubit count is a Max that still includes the oracle's ancillas. The
        # concrete call graph is then k bare preparations: read the qubits off it (cheap).
        logical["qubits"] = int(get_cost_value(concrete, QubitCount()))

    out = {
        "algorithm": "grover-sparse",
        "params": {"n": n_, "d": d_, "k": k_, "bits": b_, "tau": tau, "tau_int": tau_int},
        "loader": loader,
        "logical": logical,
        "components": components,
        "oracle_calls": n_ * find_all_oracle_calls(n_, k_),
        "expected_oracle_calls": n_ * find_all_expected_oracle_calls(n_, k_),
        "oracle_calls_leading_term": float(n_ * sympy.pi / 2 * sympy.sqrt(n_ * k_)),
        "classical_flops": _num(concrete.classical_flops()["total"], {}),
        "conventions": (
            "t_count = T + 4 x (Toffoli + And + CSWAP) + 11 x rotations; And-dagger 0 T; "
            "worst case: every row has k marked entries, all query digits nonzero"
        ),
    }
    if loader == "assumed":
        out["loader_assumption"] = LOADER_ASSUMPTION
    return out


def _std(expr) -> str:
    """sympy string with Qualtran's ``log2(x)`` written as ``log(x, 2)``: plain ``sympy.sympify``
    parses it back and ``.subs(...).doit()`` evaluates it (tested)."""
    from qualtran.symbolics import log2

    f = log2(sympy.Symbol("x_", positive=True)).func
    e = sympy.sympify(expr)
    if f is not sympy.log:
        e = e.replace(lambda x: getattr(x, "func", None) == f, lambda x: sympy.log(x.args[0], 2))
    return str(e)


def grover_sparse_leading_terms(loader: str = "qrom") -> Dict[str, Any]:
    """Leading terms (n -> infinity) of the T-count, qubits and oracle calls, as sympy expressions."""
    total = grover_sparse_formula(loader)
    return {
        "t_count": leading_term(total.t_count),
        "qubits": leading_term(total.qubits),
        "oracle_calls": n * find_all_leading(),
    }


def find_all_leading():
    return sympy.pi / 2 * sympy.sqrt(n * k)


def grover_sparse_formula_dict(loader: str = "qrom") -> Dict[str, Any]:
    """The symbolic t_count and qubits (and the rest) as sympy strings, with leading terms in n."""
    total = grover_sparse_formula(loader)
    out = {
        "algorithm": "grover-sparse",
        "loader": loader,
        "symbols": {
            "n": "sequence length",
            "d": "head dimension",
            "k": "large entries per row",
            "b": "bits per fixed-point entry",
        },
        "t_count": _std(total.t_count),
        "qubits": _std(total.qubits),
        "toffoli": _std(total.toffoli),
        "rotations": _std(total.rotations),
        "leading_terms": {key: _std(v) for key, v in grover_sparse_leading_terms(loader).items()},
        "oracle_calls": _std(n * _sum_form_oracle_calls()),
        "oracle_calls_leading_term": _std(n * find_all_leading()),
        "exactness": FORMULA_EXACTNESS,
    }
    if loader == "assumed":
        out["loader_assumption"] = LOADER_ASSUMPTION
    return out


def _sum_form_oracle_calls():
    from bloqs.grover import find_all_oracle_calls_expr

    return find_all_oracle_calls_expr(n, k)
