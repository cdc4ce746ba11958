r"""Compiled cost formulas: the symbolic call-graph counts as plain Python functions, for sweeps.

Why: a concrete estimate builds the bloqs and walks Qualtran's call graph at every point (tens of
milliseconds for Grover sparse attention, and QAttention's symbolic build takes seconds per loader
before sympy evaluates it at ~0.1 s a point); a sweep over 1000 points, and the report's crossover
search, only need the same numbers many times. Here each formula is derived once from the bloqs
(the same :func:`estimates.counts.logical_counts` every estimate uses), printed to Python source
with sympy's code printer, and evaluated with plain ``math`` (microseconds a point). Nothing is
typed in: the source is generated from the call graph, and ``tests/estimates/test_compiled.py``
checks it against the concrete call graph at more than 20 points.

What is compiled, and how exact it is:

* **Grover sparse, certified schedule (the default).** ``FindAllMarked``'s call graph is linear in
  three schedule numbers (Grover runs, oracle calls, exclusion-weighted calls; see
  ``bloqs.grover.FindAllMarked.build_call_graph``), so the totals are
  ``n x (runs x Prep(n) + calls x Iterate(n, d, b) + excl x Check(n))`` and the qubits the largest
  part called. The three per-part counts are compiled from the symbolic bloqs; the schedule numbers
  come from ``bloqs.grover.certified_find_all_costs`` at the concrete (n, k) (O(k) arithmetic), so
  the certified schedule is charged exactly as ``qattn estimate`` charges it, not with the symbolic
  BBHT bounds (2-3x). **Equal to the concrete call graph for n a power of two**; for other n the
  per-part formulas are the symbolic upper bounds of ``estimates.formulas.FORMULA_EXACTNESS``
  (uniform preparation, the unload's and QROAM's closed-form block sizes): measured in the test,
  T-count at most ~4% and (qroam) qubits up to ~70% above the concrete value.
* **Grover sparse, known-count schedule** (the optimistic option): the symbolic total with its
  k-term sums, each round count evaluated with the schedule's own ``optimal_rounds(m / n)`` (the
  float the concrete call graph uses, never ``asin`` of a float). Same exactness as above.
* **QAttention**: the preprocessing's and the row query's symbolic counts and the classical FLOPs /
  bytes, which are what ``estimates.qattention_estimates.qattention_estimate`` evaluates at every n
  (so the same formula, evaluated in floating point: equal to 1e-9 relative, integers rounded).

Exactness of the printed code: Qualtran writes ``log2(x)`` as ``log(x)/log(2)``, which in floating
point is 29.000000000000004 at x = 2^29 (and its ceiling 30). Every ``log(x)`` is therefore
rewritten as ``LOG2(x) * log(2)`` before printing, so the ``log(2)`` cancel symbolically and
``LOG2`` is evaluated exactly (bit length) at powers of two.

**Disk cache.** Deriving the formulas costs seconds (QAttention ~10 s per loader), so their source is
cached in ``$QATTN_CACHE_DIR`` (default ``~/.cache/qattn-cirq``), one JSON file per formula, keyed
by a fingerprint of this package's version, the qualtran and sympy versions and the source of every
module under ``bloqs/`` and ``estimates/``. The cache is derived data: it is never edited, a file
that does not parse or was written for another fingerprint is rebuilt, and ``QATTN_CACHE_DIR=off``
disables it.
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import json
import math
import os
import pathlib
import tempfile
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

#: logical fields of every compiled count. Cliffords are left out: no physical model here charges
#: them, and the symbolic bloqs count them differently from the concrete ones (by < 0.1%: a
#: symbolic comparator constant), so a compiled Clifford count would not be exact.
FIELDS = ("t", "toffoli", "rotations", "measurements", "qubits")
GROVER_PARTS = ("prep", "iterate", "check")


def _exact_log2(x):
    """log2 that is exact at powers of two (an int), math.log2 elsewhere."""
    if isinstance(x, int) and x > 0 and x & (x - 1) == 0:
        return x.bit_length() - 1
    return math.log2(x)


def _namespace() -> Dict[str, Any]:
    from bloqs.amplification import optimal_rounds

    return {"math": math, "builtins": builtins, "LOG2": _exact_log2, "ROUNDS": optimal_rounds}


# ------------------------------------------------------------------------------------------------
# sympy -> Python source
# ------------------------------------------------------------------------------------------------


def _printer():
    import sympy
    from sympy.printing.pycode import PythonCodePrinter

    class _Printer(PythonCodePrinter):
        def _print_LOG2(self, e):
            return f"LOG2({self._print(e.args[0])})"

        def _print_ROUNDS(self, e):
            return f"ROUNDS({self._print(e.args[0])})"

        def _print_Rational(self, e):
            # an exact ratio of Python ints where both are ints: p/q is true division (a float,
            # exact to 1 ulp), as in the concrete bloqs
            return f"({e.p}/{e.q})"

    return _Printer({"fully_qualified_modules": True}), sympy


@functools.lru_cache(maxsize=None)
def _markers():
    """sympy Function classes (not ``Function("LOG2")``: the printer dispatches on class names,
    and skips undefined functions') printed as the namespace's ``LOG2`` / ``ROUNDS``."""
    import sympy

    return type("LOG2", (sympy.Function,), {}), type("ROUNDS", (sympy.Function,), {})


def to_source(expr) -> str:
    """Python source of ``expr`` (math only, plus ``LOG2`` and ``ROUNDS``, see module doc)."""
    printer, sympy = _printer()
    if not isinstance(expr, sympy.Basic):
        return repr(expr)
    from estimates.formulas import _grover_rounds_atom

    LOG2, ROUNDS = _markers()
    # find-all round counts first (they hold asin), then every log(x) -> LOG2(x) log(2)
    e = expr.replace(lambda a: _grover_rounds_atom(a) is not None, lambda a: ROUNDS(_grover_rounds_atom(a) ** 2))
    e = e.replace(lambda a: isinstance(a, sympy.log) and not a.args[0].is_number,
                  lambda a: LOG2(a.args[0]) * sympy.log(2))
    return printer.doprint(e)


@functools.lru_cache(maxsize=None)
def _compile(args: Tuple[str, ...], source: str) -> Callable:
    return eval(f"lambda {', '.join(args)}: {source}", _namespace())  # noqa: S307 (generated here)


def count(v) -> Any:
    """A compiled count as a plain number: an int when it is integral (floats rounded)."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    v = float(v)
    r = round(v)
    return int(r) if abs(v - r) <= 1e-9 * max(1.0, abs(r)) else v


class Formula:
    """Named Python expressions in ``args`` (the generated source of each), evaluated with :meth:`__call__`."""

    def __init__(self, args: Sequence[str], sources: Mapping[str, str]):
        self.args = tuple(args)
        self.sources = dict(sources)
        self._fns = {key: _compile(self.args, src) for key, src in self.sources.items()}

    def __call__(self, *values) -> Dict[str, Any]:
        return {key: count(fn(*values)) for key, fn in self._fns.items()}

    def to_json(self) -> Dict[str, Any]:
        return {"args": list(self.args), "sources": self.sources}

    @classmethod
    def from_exprs(cls, args: Sequence[str], exprs: Mapping[str, Any]) -> "Formula":
        return cls(args, {key: to_source(e) for key, e in exprs.items()})


# ------------------------------------------------------------------------------------------------
# disk cache
# ------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def fingerprint() -> str:
    """Hash of what the formulas are derived from (package, qualtran, sympy versions; bloqs/ and
    estimates/ sources): a cache entry written under another fingerprint is never read."""
    from importlib import metadata

    h = hashlib.sha256()
    for dist in ("qattn-cirq", "qualtran", "sympy"):
        try:
            h.update(f"{dist}={metadata.version(dist)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=none;".encode())
    root = pathlib.Path(__file__).resolve().parent.parent
    for pkg in ("bloqs", "estimates"):
        for path in sorted((root / pkg).glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:20]


def cache_dir() -> Optional[pathlib.Path]:
    """``$QATTN_CACHE_DIR`` (``off`` disables the cache), default ``~/.cache/qattn-cirq``."""
    env = os.environ.get("QATTN_CACHE_DIR")
    if env is not None and env.strip().lower() in ("off", "0", "none", ""):
        return None
    base = pathlib.Path(env) if env else pathlib.Path.home() / ".cache" / "qattn-cirq"
    return base / f"compiled-{fingerprint()}"


def _cache_path(key: str) -> Optional[pathlib.Path]:
    d = cache_dir()
    return None if d is None else d / (hashlib.sha256(key.encode()).hexdigest()[:24] + ".json")


def _read(path: Optional[pathlib.Path], key: str) -> Optional[Dict[str, Any]]:
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        if data.get("key") != key or data.get("fingerprint") != fingerprint():
            return None
        return data["formulas"]
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return None  # unreadable or foreign: rebuilt (derived data)


def _write(path: Optional[pathlib.Path], key: str, formulas: Dict[str, Any]) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump({"key": key, "fingerprint": fingerprint(), "formulas": formulas}, f)
        os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
    except OSError:
        pass  # a read-only home is not an error: the formulas are simply derived again next time


def cached(key: str, build: Callable[[], Dict[str, Formula]]) -> Dict[str, Formula]:
    """``build()``'s formulas, from the disk cache when it holds them for this fingerprint."""
    path = _cache_path(key)
    data = _read(path, key)
    if data is not None:
        try:
            return {name: Formula(f["args"], f["sources"]) for name, f in data.items()}
        except (SyntaxError, KeyError, TypeError, NameError):
            pass
    out = build()
    _write(path, key, {name: f.to_json() for name, f in out.items()})
    return out


def cached_json(key: str, build: Callable[[], Any]) -> Any:
    """``build()``'s JSON-able value, from the same disk cache as the formulas (same fingerprint,
    same rules): for derived values whose derivation needs the symbolic bloqs, e.g. the report's
    readable formulas, so that a warm report never builds QAttention's symbolic counts."""
    path = _cache_path("json/" + key)
    data = _read(path, "json/" + key)
    if isinstance(data, dict) and "value" in data:
        return data["value"]
    value = json.loads(json.dumps(build()))  # what a reader of the cache gets back, exactly
    _write(path, "json/" + key, {"value": value})
    return value


def _counts_exprs(bloq) -> Dict[str, Any]:
    """The raw symbolic counts of ``bloq`` (``estimates.counts.logical_counts`` without its
    ``factor_terms`` tidying: the same values, and tidying QAttention's trees costs ~10 s a loader)."""
    from qualtran.resource_counting import QubitCount

    from estimates.counts import cost_value, gate_counts

    gc = gate_counts(bloq)
    return {"t": gc.t, "toffoli": gc.toffoli + gc.and_bloq + gc.cswap, "rotations": gc.rotation,
            "measurements": gc.measurement, "qubits": cost_value(bloq, QubitCount())}


# ------------------------------------------------------------------------------------------------
# Grover sparse attention
# ------------------------------------------------------------------------------------------------


def _grover_top(loader: str, schedule: str, arithmetic: str, uncompute: str):
    from bloqs.attention import GroverSparseAttention
    from estimates.formulas import b, d, k, n

    return GroverSparseAttention(n=n, d=d, k=k, tau=0, bits=b, loader=loader, schedule=schedule,
                                 arithmetic=arithmetic, uncompute=uncompute)


def _build_grover(loader: str, schedule: str, arithmetic: str, uncompute: str) -> Dict[str, Formula]:
    """Per-part formulas (certified) or the whole symbolic total (known-count), plus the QRAM."""
    from bloqs.grover import GroverIterate, UniformIndexPrepare
    from estimates.formulas import n

    top = _grover_top(loader, schedule, arithmetic, uncompute)
    out: Dict[str, Formula] = {}
    if schedule == "certified":
        fa = top.find_all
        parts = {"prep": UniformIndexPrepare(n), "iterate": GroverIterate(fa.oracle_with(0), n),
                 "check": fa.oracle._symbolic_check}
        for name, bloq in parts.items():
            out[name] = Formula.from_exprs(("n", "d", "k", "b"), _counts_exprs(bloq))
    else:
        out["total"] = Formula.from_exprs(("n", "d", "k", "b"), _counts_exprs(top))
    if loader == "assumed":
        out["qram"] = Formula.from_exprs(("n", "d", "k", "b"), {"qram_qubits": top.oracle.row_loader.qram_qubits()})
    return out


@functools.lru_cache(maxsize=None)
def grover_formulas(loader: str = "qrom", schedule: str = "certified", arithmetic: str = "shift-add",
                    uncompute: str = "measurement") -> Dict[str, Formula]:
    """The compiled formulas of one Grover-sparse configuration (disk-cached, see module doc)."""
    key = f"grover-sparse/{loader}/{schedule}/{arithmetic}/{uncompute}"
    return cached(key, lambda: _build_grover(loader, schedule, arithmetic, uncompute))


def _combine_parts(parts: Dict[str, Dict[str, Any]], mult: Dict[str, int], n_rows: int) -> Dict[str, Any]:
    """``n_rows x sum(mult x part)`` per count; qubits = the largest part actually called."""
    out = {f: n_rows * sum(mult[p] * parts[p][f] for p in GROVER_PARTS) for f in FIELDS if f != "qubits"}
    out["qubits"] = max(parts[p]["qubits"] for p in GROVER_PARTS if mult[p] > 0)
    return out


def _ceil_half_log2_ratio(n: int, w: int) -> int:
    """ceil(log2(n / w) / 2) in exact arithmetic: the least integer j with 4^j w >= n."""
    from fractions import Fraction

    j = 0
    while Fraction(4) ** j * w < n:
        j += 1
    while Fraction(4) ** (j - 1) * w >= n:
        j -= 1
    return j


def grover_is_exact(loader: str, n: int, d: int, bits: int) -> bool:
    """Whether the compiled Grover-sparse counts equal the concrete call graph at this point.

    True when every closed form the symbolic bloqs use is the concrete bloq's choice: n a power of
    two >= 4 (the uniform preparation, the unload's K' = 2^floor(log2(n)/2)) and, for qroam, the
    closed-form block sizes ``(ceil(log2(n/W)/2), ceil(log2(n)/2))`` equal to the searched optimum
    ``bloqs.qroam.optimal_qroam_log_block_sizes(n, W)``, W = b d. Tested at 20+ points.
    """
    if n < 4 or n & (n - 1):
        return False
    if loader != "qroam":
        return True
    from bloqs.qroam import optimal_qroam_log_block_sizes

    w = bits * d
    closed = (_ceil_half_log2_ratio(n, w), _ceil_half_log2_ratio(n, 1))
    return closed == tuple(optimal_qroam_log_block_sizes(n, w))


def grover_sparse_counts(n: int, d: int, k: int, bits: int, loader: str = "qrom", *, schedule: str = "certified",
                         arithmetic: str = "shift-add", uncompute: str = "measurement", qram: str = "counted",
                         failure_probability: Optional[float] = None) -> Dict[str, Any]:
    """Logical counts of Grover sparse attention from the compiled formulas, in the shape of
    ``grover_sparse_estimate(...)["logical"]`` (``t_count`` first, raw ``t`` included).

    Equal to the concrete call graph at n a power of two (tested at 20+ points); an upper bound
    at other n (module doc). Options as in :func:`estimates.formulas.grover_sparse_estimate`.
    """
    from bloqs.grover import certified_find_all_costs
    from estimates.counts import LogicalCounts
    from estimates.formulas import _check_options, _validate

    n, d, k, bits = _validate(n, d, k, bits, loader)
    delta = _check_options(loader, schedule, arithmetic, uncompute, qram, failure_probability)
    fs = grover_formulas(loader, schedule, arithmetic, uncompute)
    if schedule == "certified":
        c = certified_find_all_costs(n, k, delta)
        mult = {"prep": math.ceil(c["rounds"]), "iterate": math.ceil(c["expected"]), "check": math.ceil(c["exclusion_calls"])}
        parts = {p: fs[p](n, d, k, bits) for p in GROVER_PARTS}
        logical = _combine_parts(parts, mult, n)
    else:
        logical = fs["total"](n, d, k, bits)
    logical = {"t_count": LogicalCounts(**logical).t_count, **logical}
    if loader == "assumed":
        q = fs["qram"](n, d, k, bits)["qram_qubits"]
        logical.update(circuit_qubits=logical["qubits"], qram_qubits=q, qram_counted=qram == "counted")
        if qram == "counted":
            logical["qubits"] += q
    return logical


# ------------------------------------------------------------------------------------------------
# QAttention (arXiv:2602.00874)
# ------------------------------------------------------------------------------------------------

QATTENTION_ARGS = ("n", "d", "s", "alpha", "eps", "b", "w")


def _build_qattention(loader: str, mean_method: str, multi_sample: str, row_query: str) -> Dict[str, Formula]:
    import sympy

    from estimates.qattention_estimates import _bloqs, check_options

    check_options(loader, mean_method, multi_sample, row_query)
    pre, row = _bloqs(loader, mean_method, multi_sample, row_query)
    w = sympy.Symbol("w", positive=True, integer=True)
    classical = {"post_flops": pre.classical_flops(), "post_bytes": pre.classical_bytes(w),
                 "row_flops": row.classical_flops(), "structure_bytes": row.structure_bytes(w)}
    out = {"preprocess": Formula.from_exprs(QATTENTION_ARGS, _counts_exprs(pre)),
           "row_query": Formula.from_exprs(QATTENTION_ARGS, _counts_exprs(row))}
    out["classical"] = Formula.from_exprs(QATTENTION_ARGS, classical)
    return out


@functools.lru_cache(maxsize=None)
def qattention_formulas(loader: str = "qrom", mean_method: str = "chj", multi_sample: str = "hamoudi",
                        row_query: str = "classical") -> Dict[str, Formula]:
    """The compiled formulas of one QAttention configuration (disk-cached, see module doc)."""
    key = f"qattention/{loader}/{mean_method}/{multi_sample}/{row_query}"
    return cached(key, lambda: _build_qattention(loader, mean_method, multi_sample, row_query))


def qattention_counts_compiled(n: int, d: int, s_lambda: float, alpha: float, eps: float, bits: int,
                               loader: str = "qrom", *, mean_method: str = "chj", multi_sample: str = "hamoudi",
                               row_query: str = "classical", gpu: str = "h100-sxm", word_bytes: int = 4) -> Dict[str, Any]:
    """``{"logical": {preprocess, row_query, total}, "classical": {...}}`` of
    :func:`estimates.qattention_estimates.qattention_estimate` from the compiled formulas (the same
    symbolic formula in floating point; classical work on the same roofline)."""
    from estimates.classical import classical_work_time, data_structure_queries, get_gpu
    from estimates.counts import LogicalCounts
    from estimates.qattention_estimates import preprocess_plus_queries, validate

    validate(n, d, s_lambda, alpha, eps, bits)
    fs = qattention_formulas(loader, mean_method, multi_sample, row_query)
    vals = (n, d, float(s_lambda), float(alpha), float(eps), bits, word_bytes)
    logical = {}
    for part in ("preprocess", "row_query"):
        c = fs[part](*vals)
        logical[part] = {"t_count": count(LogicalCounts(**c).t_count), **c}
    logical["total"] = preprocess_plus_queries(logical["preprocess"], logical["row_query"], n)
    g = get_gpu(gpu)
    cl = fs["classical"](*vals)
    post = classical_work_time(cl["post_flops"], cl["post_bytes"], g)
    all_n = (data_structure_queries(cl["row_flops"], cl["structure_bytes"], 2 * d * word_bytes, n, g)
             if row_query == "classical" else None)
    classical = {"post_processing": post, "row_queries_all_n": all_n,
                 "time_s": post["time_s"] + (all_n["time_s"] if all_n else 0)}
    return {"logical": logical, "classical": classical}
