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
from typing import Any, Callable, Dict, Iterable, Optional

import sympy
from qualtran import Adjoint, Bloq
from qualtran.resource_counting import QECGatesCost, QubitCount, get_bloq_callee_counts
from qualtran.symbolics import log2

from bloqs.amplification import optimal_rounds
from bloqs.arithmetic import CarrySaveInnerProduct, ClassicalInnerProduct, acc_bits_for
from bloqs.attention import GroverSparseAttention
from bloqs.grover import (
    DEFAULT_FAILURE_PROBABILITY,
    GroverDiffusion,
    IndexEquals,
    IndexPhaseFlip,
    UniformIndexPrepare,
    find_all_expected_oracle_calls,
    find_all_oracle_calls,
    find_all_oracle_calls_expr,
)
from bloqs.loader_kinds import LOADER_KINDS
from bloqs.qroam import RowUnload, optimal_qroam_log_block_sizes, qroam_toffoli_count
from estimates.counts import (
    TS_PER_ROTATION, TS_PER_TOFFOLI, LogicalCounts, cost_value, logical_counts, tidy, to_number,
)
from qattn_cirq.errors import QattnInputError

#: The four symbols every formula is written in.
n, d, k, b = (sympy.Symbol(s, positive=True, integer=True) for s in ("n", "d", "k", "b"))
SYMBOLS = {"n": n, "d": d, "k": k, "b": b}

LOADER_ASSUMPTION = (
    "assumed: the papers' QRAM with polylog(n) access, a cost-model bloq (not a circuit); its "
    "per-access cost is the documented parameter of bloqs.loaders.AssumedQRAMRowLoader"
)

FORMULA_EXACTNESS = (
    "known-count schedule: exact for n a power of two (qrom, assumed); an upper bound for other n, "
    "where the uniform preparation (Qualtran's symbolic PrepareUniformSuperposition) is costed for "
    "the full ceil(log2 n)-bit comparison and the row unload's block K' = 2^floor(log2(n)/2) is not "
    "the searched optimum. qroam: the block sizes are the closed forms k = ceil(log2(n/(b d))/2), "
    "not the searched integer optimum, so also an upper bound where they differ. `qattn estimate` "
    "uses the concrete prepare and block sizes and is exact at every n"
)

FORMULA_EXACTNESS_CERTIFIED = (
    "certified schedule: an UPPER BOUND at every n. The expected oracle calls are BBHT's proven "
    "9/sin(2 theta) per find and (3 + R/2) sqrt(n) for the certification (bloqs.grover."
    "certified_find_all_bound_exprs), 2-3x the exact expectations that `qattn estimate` evaluates "
    "(bloqs.grover.certified_find_all_costs); plus the known-count caveats: " + FORMULA_EXACTNESS
)

COMPONENTS = (
    "loader", "loader_uncompute", "inner_product", "inner_product_uncompute", "comparator", "diffusion",
    "exclusion", "preparation", "phase",
)

#: The switchable options of the Grover-sparse estimate and their defaults (first = default).
SCHEDULES = ("certified", "known-count")
ARITHMETICS = ("shift-add", "carry-save")
UNCOMPUTES = ("measurement", "reload")
QRAM_ACCOUNTING = ("counted", "external")


def check_loader(loader: str) -> str:
    if loader not in LOADER_KINDS:
        raise QattnInputError(f"loader must be one of {', '.join(LOADER_KINDS)}; got {loader!r}")
    return loader


# --------------------------------------------------------------------------------------------------
# Component breakdown by walking the call graph
# --------------------------------------------------------------------------------------------------


def _classify(bloq: Bloq, oracle) -> Optional[str]:
    """Component name of a bloq met while walking down from the top, or None to walk further."""
    base = bloq.subbloq if isinstance(bloq, Adjoint) else bloq
    ip, ip_adj = oracle.inner_product, oracle._adj(oracle.inner_product)
    if oracle.unloads_by_measurement and bloq == oracle.row_unload:
        return "loader_uncompute"
    if base == oracle.row_loader:
        # with uncompute="reload" both loads are this bloq: split evenly by the ledger
        return "loader"
    # the uncompute may be Adjoint(part) or a bloq of its own (the subtracting / mirrored product)
    if bloq == ip_adj and ip_adj != ip:
        return "inner_product_uncompute"
    if base == ip:
        return "inner_product"
    if base == oracle.comparator or bloq == oracle._adj(oracle.comparator):
        return "comparator"
    if isinstance(base, GroverDiffusion):
        return "diffusion"
    if isinstance(base, (IndexEquals, IndexPhaseFlip)):
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
    gc = cost_value(bloq, QECGatesCost())
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
        qubits = sympy.Max(qubits, cost_value(bloq, QubitCount()))
        ncalls = ncalls + mult
    tot["qubits"] = qubits
    tot["calls"] = ncalls
    return tot


# --------------------------------------------------------------------------------------------------
# Symbolic formula (cached per loader)
# --------------------------------------------------------------------------------------------------


def _check_choice(name: str, value: str, choices) -> str:
    if value not in choices:
        raise QattnInputError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


@functools.lru_cache(maxsize=None)
def _symbolic(loader: str, schedule: str = "certified", arithmetic: str = "shift-add"):
    check_loader(loader)
    top = GroverSparseAttention(n=n, d=d, k=k, tau=0, bits=b, loader=loader, schedule=schedule, arithmetic=arithmetic)
    total = logical_counts(top)
    calls = component_calls(top, lambda x: _classify(x, top.oracle))
    comps = {name: _component_counts(calls.get(name, {})) for name in COMPONENTS}
    return top, total, comps


@functools.lru_cache(maxsize=64)
def _instance(loader: str, n_: int, d_: int, b_: int, tau_int: int, k_: int, schedule: str, arithmetic: str,
              uncompute: str, failure_probability: float):
    """:class:`GroverSparseAttention` at concrete n, d, b, k and its counts (cached).

    Why not the symbolic formula at n: several pieces of it are closed forms that are only upper
    bounds at some n (``FORMULA_EXACTNESS``): the uniform preparation at even n that is not a power
    of two, QROAM's and the unload's block sizes, and (certified schedule) the proven bounds on
    BBHT's expected calls. Concrete, the call graph uses Qualtran's concrete
    ``PrepareUniformSuperposition(n)``, the searched block sizes and the exact expectations of
    ``bloqs.grover.certified_find_all_costs``, all O(k + log n) to build (never n items).
    """
    # tau changes only Cliffords (the comparator's constant), but pass it so they are exact too
    top = GroverSparseAttention(
        n=n_, d=d_, k=k_, tau=tau_int, bits=b_, loader=loader, schedule=schedule, arithmetic=arithmetic,
        uncompute=uncompute, failure_probability=failure_probability,
    )
    total = logical_counts(top)
    calls = component_calls(top, lambda x: _classify(x, top.oracle))
    comps = {name: _component_counts(calls.get(name, {})) for name in COMPONENTS}
    return top, total, comps


def grover_sparse_bloq(loader: str = "qrom", schedule: str = "certified", arithmetic: str = "shift-add"):
    """The symbolic :class:`GroverSparseAttention` (cached)."""
    return _symbolic(loader, schedule, arithmetic)[0]


def grover_sparse_formula(loader: str = "qrom", schedule: str = "certified", arithmetic: str = "shift-add") -> LogicalCounts:
    """Logical counts of Grover sparse attention as sympy expressions in n, d, k, b (from the call graph).

    The default certified schedule charges the proven bounds of
    ``bloqs.grover.certified_find_all_bound_exprs`` (an upper bound); ``schedule="known-count"``
    is the optimistic option whose sums are the schedule's exactly."""
    return _symbolic(loader, schedule, arithmetic)[1]


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
        g = f.replace(sympy.floor, lambda x: r)
        # certified schedule's BBHT bound 9/(2 sqrt(m/n) sqrt(1 - m/n)): 1 - m/n -> 1 (m <= k fixed)
        g = sympy.simplify(g.subs(1 - m / n, 1))
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


#: Where each ledger component comes from (paper / construction), for the ``source`` column.
_SOURCES = {
    "loader": "arXiv 2307.08045 Lemma 3.3 (oracle loads k_j); qrom: Babbush et al. 1805.03662 Sec. III.A; "
              "qroam: Berry et al. 1902.02134 App. B; assumed: GLM 0708.1879 bucket brigade (cost model)",
    "loader_uncompute": "Berry et al. 1902.02134 App. C (measurement-based unload, bloqs.qroam.RowUnload)",
    "inner_product": "arXiv 2307.08045 Lemma 3.3 (<q_i, k_j>); shift-add: NAF, Gidney 1709.06648 adders; "
                     "carry-save: Wallace 1964 / Dadda 1965 column compression",
    "inner_product_uncompute": "adjoint of the inner product (shift-add: subtracting copy; carry-save: "
                               "And-dagger only, Gidney 1709.06648)",
    "comparator": "threshold test [<q,k> >= tau] (arXiv 2307.08045 Def. 1.2); Gidney 1709.06648 comparator",
    "diffusion": "Grover diffusion, BBHT quant-ph/9605034 Sec. 2",
    "exclusion": "search-and-remove (arXiv 2307.08045 Lemma 3.3): one multi-controlled Z per found index",
    "preparation": "uniform superposition, Babbush et al. 1805.03662 Fig. 12",
    "phase": "phase flip (Clifford)",
}


def _best_known(name: str, top, per_call: float) -> Optional[Dict[str, Any]]:
    """The best-known construction for one component at this size and our ratio to it.

    Every number is computed from a construction in the code base (a formula that a test checks
    against a decomposition), never typed in: QROAM's searched count for a lookup, the App. C
    unload for an uncompute, the carry-save product for an inner product, Gidney's w-And
    comparator with a measurement-based uncompute.
    """
    o = top.oracle
    nn, W = int(o.n), int(o.d * o.bits)

    def row(construction, t):
        t = float(t)
        return {"construction": construction, "t_per_call": t, "ratio": (per_call / t) if t else None}

    if name == "loader" and o.loader != "assumed" and nn >= 3:
        # the cheaper of the two gate-level lookups at this size (QROM wins at small n)
        kk, ku = optimal_qroam_log_block_sizes(nn, W)
        qroam = TS_PER_TOFFOLI * qroam_toffoli_count(nn, W, kk, ku)
        qrom = TS_PER_TOFFOLI * (nn - 2)
        if qrom < qroam:
            return row("unary-iteration QROM, Babbush et al. 1805.03662 (cheaper than QROAM at this n)", qrom)
        return row("clean select-swap QROAM, Berry et al. 1902.02134 App. B+C", qroam)
    if name == "loader_uncompute":
        return row("measurement-based unload, Berry et al. 1902.02134 App. C", TS_PER_TOFFOLI * RowUnload(nn, o.d, o.bits).toffoli_count())
    if name in ("inner_product", "inner_product_uncompute"):
        if name == "inner_product":
            csa = TS_PER_TOFFOLI * CarrySaveInnerProduct(o.d, o.bits).and_count()
            naf = TS_PER_TOFFOLI * ClassicalInnerProduct(o.d, o.bits).and_count()
            if naf < csa:  # tiny d b: the shifted adders are narrower than the tree's bound
                return row("NAF shift-and-add (bloqs.arithmetic.ClassicalInnerProduct)", naf)
            return row("carry-save 3:2 compressor tree (bloqs.arithmetic.CarrySaveInnerProduct)", csa)
        return row("kept-ancilla uncompute, And-dagger only (0 T)", 0)
    if name == "comparator":
        w = int(o.acc_bits)
        # per call (compute or uncompute): w And computed once, its uncompute measurement based
        return row("Gidney 1709.06648 comparator, w And, uncompute by measurement", TS_PER_TOFFOLI * w / 2)
    if name in ("exclusion", "diffusion", "preparation"):
        return row("this construction (best known: multi-controlled Z with one clean ancilla, L-2 And)", per_call)
    return None


def _ledger(top, comps: Dict[str, Dict[str, Any]], total_t: float, cert: Optional[Dict[str, Any]],
            iterate_t: float) -> list:
    """One row per component: calls, T per call, total T, share, source, best known and ratio."""
    rows = []
    for name in COMPONENTS:
        c = comps[name]
        if not c["calls"]:
            continue
        calls = c["calls"]
        label = name
        if name == "loader" and top.oracle.uncompute == "reload":
            label = "loader (compute + reload uncompute)"
        per = c["t_count"] / calls
        rows.append({
            "component": label, "kind": "quantum", "calls": calls, "t_per_call": per, "t_total": c["t_count"],
            "share": c["t_count"] / total_t if total_t else None, "flops": None, "bytes": None, "seconds": None,
            "source": _SOURCES[name], "best_known": _best_known(name, top, per) if per else None,
        })
    if cert is not None:
        n_rows = int(top.n)
        t_cert = n_rows * cert["certification_step"] * iterate_t
        rows.append({
            "component": "certification (included above)", "kind": "quantum",
            "calls": n_rows * cert["certification_step"], "t_per_call": iterate_t, "t_total": t_cert,
            "share": t_cert / total_t if total_t else None, "flops": None, "bytes": None, "seconds": None,
            "source": "BBHT Lemma 2 stop rule: R capped rounds per row (bloqs.grover.certification_rounds); "
                      "its oracle calls are part of the components above",
            "best_known": None, "included_in": "loader .. diffusion",
        })
    return rows


def grover_sparse_estimate(
    n: int, d: int, k: int, bits: int, loader: str = "qrom", tau: Optional[float] = None, *,
    schedule: str = "certified", arithmetic: str = "shift-add", uncompute: str = "measurement",
    qram: str = "counted", failure_probability: Optional[float] = None,
) -> Dict[str, Any]:
    """Concrete logical costs of Grover sparse attention at (n, d, k, b), equal to the concrete call graph.

    Options (first = default; each non-default one is named in the output):

    * ``schedule``: ``certified`` (|S_i| <= k unknown, charged with the expected calls of the
      worst |S_i| and a certification, ``bloqs.grover.certified_find_all_costs``) or
      ``known-count`` (OPTIMISTIC: |S_i| = k known, nothing certified);
    * ``arithmetic``: ``shift-add`` (fewer qubits) or ``carry-save`` (fewer T);
    * ``uncompute``: ``measurement`` (row unload, Berry et al. App. C) or ``reload``;
    * ``qram`` (assumed loader): ``counted`` (the QRAM's routers and memory cells are logical
      qubits of the machine) or ``external`` (a separate device; the output says so).

    Output: ``logical`` (totals; ``qubits`` includes ``qram_qubits`` when counted), ``components``,
    ``ledger``, ``oracle`` (one oracle call without exclusions), ``oracle_calls`` (charged, all
    rows), ``expected_oracle_calls``, ``worst_case_oracle_calls``, ``known_count_oracle_calls``.
    Nothing enumerates n items (n = 2^20 builds in about a second).
    """
    n_, d_, k_, b_ = _validate(n, d, k, bits, loader)
    delta = _check_options(loader, schedule, arithmetic, uncompute, qram, failure_probability)
    tau_int = tau_to_int(tau, d_, b_) if tau is not None else None
    top, total, comps = _instance(loader, n_, d_, b_, tau_int or 0, k_, schedule, arithmetic, uncompute, delta)
    logical = total.evaluate({})
    components = _component_numbers(comps)
    fa = top.find_all
    if int(fa.oracle_calls) == 0:
        # No run iterates (n = 2: r_m = 0 for every m), so the oracle is never called, but the
        # qubit count is a Max that still includes the oracle's ancillas. The call graph is then
        # bare preparations: read the qubits off the preparation.
        logical["qubits"] = int(cost_value(_uniform_prepare(n_), QubitCount()))
    oracle_counts = logical_counts(top.oracle).evaluate({})
    iterate_t = logical_counts(top.find_all.oracle_with(0)).evaluate({})["t_count"] + \
        logical_counts(_diffusion(n_)).evaluate({})["t_count"]
    out = {
        "algorithm": "grover-sparse",
        "params": {"n": n_, "d": d_, "k": k_, "bits": b_, "tau": tau, "tau_int": tau_int},
        "loader": loader,
        "options": {"schedule": schedule, "arithmetic": arithmetic, "uncompute": uncompute, "qram": qram,
                    "failure_probability": delta if schedule == "certified" else None},
        "logical": logical,
        "components": components,
        "oracle": {key: oracle_counts[key] for key in ("t_count", "toffoli", "qubits")},
        "oracle_calls": n_ * int(fa.oracle_calls),
        "known_count_oracle_calls": n_ * find_all_oracle_calls(n_, k_),
        "oracle_calls_leading_term": float(n_ * sympy.pi / 2 * sympy.sqrt(n_ * k_)),
        "classical_flops": _num(top.classical_flops()["total"], {}),
        "conventions": (
            "t_count = T + 4 x (Toffoli + And + CSWAP) + 11 x rotations; And-dagger 0 T; "
            "worst case: all query digits nonzero, and the |S_i| <= k that costs most"
        ),
    }
    out.update(_schedule_fields(schedule, fa.certified_costs, n_, k_, out["known_count_oracle_calls"]))
    if loader == "assumed":
        _account_qram(out, top, qram)
    out["ledger"] = _ledger(top, components, logical["t_count"], fa.certified_costs, iterate_t)
    return out


def _check_options(loader, schedule, arithmetic, uncompute, qram, failure_probability) -> float:
    """Check the options of :func:`grover_sparse_estimate`; return the failure probability."""
    _check_choice("schedule", schedule, SCHEDULES)
    _check_choice("arithmetic", arithmetic, ARITHMETICS)
    _check_choice("uncompute", uncompute, UNCOMPUTES)
    _check_choice("qram", qram, QRAM_ACCOUNTING)
    if qram != "counted" and loader != "assumed":
        raise QattnInputError(f"qram={qram!r} applies to the assumed loader only (loader={loader!r} has no QRAM device)")
    delta = DEFAULT_FAILURE_PROBABILITY if failure_probability is None else float(failure_probability)
    if not 0 < delta < 1:
        raise QattnInputError(f"failure_probability must be in (0, 1); got {failure_probability!r}")
    return delta


def _component_numbers(comps) -> Dict[str, Dict[str, Any]]:
    out = {}
    for name, c in comps.items():
        calls = _num(c["calls"], {})
        out[name] = {
            "t_count": _num(t_count_expr(c), {}),
            "toffoli": _num(c["toffoli"], {}),
            "clifford": _num(c["clifford"], {}),
            "rotations": _num(c["rotations"], {}),
            # a component that is never called holds no qubits
            "qubits": _num(c["qubits"], {}) if calls else 0,
            "calls": calls,
        }
    return out


def _schedule_fields(schedule: str, cert, n_: int, k_: int, known: int) -> Dict[str, Any]:
    """Expected / worst-case calls and what the schedule certifies (or that it is optimistic)."""
    if schedule == "certified":
        return {
            "expected_oracle_calls": n_ * cert["expected"],
            "worst_case_oracle_calls": n_ * cert["worst_case"],
            "certification": {
                "capped_rounds": cert["capped_rounds"], "costliest_set_size": cert["t"],
                "certification_calls_per_row": cert["certification_step"],
                "rule": "a step that fails R rounds at the BBHT cap declares 'none left' "
                        "(bloqs.grover.certification_rounds: whole run errs with probability <= failure_probability)",
            },
        }
    return {
        "expected_oracle_calls": n_ * find_all_expected_oracle_calls(n_, k_),
        "worst_case_oracle_calls": known,
        "schedule_note": ("OPTIMISTIC option: |S_i| = k exactly and known, nothing certifies that no large "
                          "entry is left (Theorem 1.3 knows only |S_i| <= k)"),
    }


def _account_qram(out: Dict[str, Any], top, qram: str) -> None:
    """The assumed loader's QRAM device: its qubits reported, and counted unless external."""
    qram_q = int(top.oracle.row_loader.qram_qubits())
    circuit = out["logical"]["qubits"]
    out["logical"]["circuit_qubits"] = circuit
    out["logical"]["qram_qubits"] = qram_q
    out["logical"]["qram_counted"] = qram == "counted"
    if qram == "counted":
        out["logical"]["qubits"] = circuit + qram_q
    out["loader_assumption"] = LOADER_ASSUMPTION + (
        "; its routers and memory cells (qram_qubits) are counted in the logical qubits" if qram == "counted"
        else "; the QRAM is treated as an EXTERNAL device: its qram_qubits are NOT in the logical qubits"
    )


def _diffusion(n_):
    return GroverDiffusion(n_)


def _uniform_prepare(n_):
    return UniformIndexPrepare(n_)


def _std(expr) -> str:
    """sympy string with Qualtran's ``log2(x)`` written as ``log(x, 2)``: plain ``sympy.sympify``
    parses it back and ``.subs(...).doit()`` evaluates it (tested)."""
    f = log2(sympy.Symbol("x_", positive=True)).func
    e = sympy.sympify(expr)
    if f is not sympy.log:
        e = e.replace(lambda x: getattr(x, "func", None) == f, lambda x: sympy.log(x.args[0], 2))
    return str(e)


def grover_sparse_leading_terms(loader: str = "qrom", schedule: str = "certified", arithmetic: str = "shift-add") -> Dict[str, Any]:
    """Leading terms (n -> infinity) of the T-count, qubits and oracle calls, as sympy expressions."""
    total = grover_sparse_formula(loader, schedule, arithmetic)
    return {
        "t_count": leading_term(total.t_count),
        "qubits": leading_term(total.qubits),
        "oracle_calls": leading_term(_oracle_calls_expr(loader, schedule, arithmetic)),
    }


def _oracle_calls_expr(loader: str, schedule: str, arithmetic: str):
    """All rows' charged oracle calls (known-count: n R(n,k); certified: n x the proven bound)."""
    return n * grover_sparse_bloq(loader, schedule, arithmetic).find_all.oracle_calls


def grover_sparse_formula_dict(loader: str = "qrom", schedule: str = "certified", arithmetic: str = "shift-add") -> Dict[str, Any]:
    """The symbolic t_count and qubits (and the rest) as sympy strings, with leading terms in n."""
    _check_choice("schedule", schedule, SCHEDULES)
    _check_choice("arithmetic", arithmetic, ARITHMETICS)
    total = grover_sparse_formula(loader, schedule, arithmetic)
    calls = _oracle_calls_expr(loader, schedule, arithmetic)
    out = {
        "algorithm": "grover-sparse",
        "loader": loader,
        "options": {"schedule": schedule, "arithmetic": arithmetic},
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
        "leading_terms": {key: _std(v) for key, v in grover_sparse_leading_terms(loader, schedule, arithmetic).items()},
        "oracle_calls": _std(calls),
        "oracle_calls_leading_term": _std(leading_term(calls)),
        "exactness": FORMULA_EXACTNESS if schedule == "known-count" else FORMULA_EXACTNESS_CERTIFIED,
    }
    if loader == "assumed":
        out["loader_assumption"] = LOADER_ASSUMPTION
    return out


def _sum_form_oracle_calls():
    return find_all_oracle_calls_expr(n, k)
