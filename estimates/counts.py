"""Logical costs of any bloq: T, Toffoli, Clifford, rotations, measurements and qubits.

Counts come from Qualtran's cost protocol (``QECGatesCost`` over the bloq's call graph, and
``QubitCount``), so they are derived from our decompositions / call graphs, never declared. Works for
concrete and for sympy-symbolic bloqs.

Conventions (stated once, used everywhere):

* ``toffoli`` counts Toffoli-class gates: Toffoli + And (Gidney's temporary logical-AND) + CSWAP.
  And-dagger is a measurement plus Cliffords and costs nothing here.
* ``t_count`` is Qualtran's ``total_t_count``: T + 4 x Toffoli-class + ``ts_per_rotation`` x rotations
  (default 11, Qualtran's default for a rotation synthesised to ~1e-3; rotations are also reported
  separately so physical models can synthesise them with their own precision).
"""

from __future__ import annotations

import math
from typing import Any, Dict, Mapping, Optional, Union

import attrs
import sympy
from qualtran import Bloq
from qualtran.resource_counting import GateCounts, QECGatesCost, QubitCount, get_cost_value

from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]

TS_PER_TOFFOLI = 4
TS_PER_ROTATION = 11
_COUNT_FIELDS = ("qubits", "t", "toffoli", "clifford", "rotations", "measurements")


def tidy(x: Any, simplify: bool = False) -> Any:
    """Group a symbolic count cheaply (``factor_terms``, milliseconds) or fully (``simplify``).

    ``sympy.simplify`` on the Sum / floor / ceiling expressions our call graphs produce takes
    seconds, and it does not change the function, only its form: it is opt-in. A count that is a
    number comes back as a Python ``int``.
    """
    if isinstance(x, sympy.Basic):
        x = sympy.simplify(x) if simplify else sympy.factor_terms(x)
        if x.is_Integer:
            return int(x)
    return x


def to_number(x: Any, rel_tol: float = 1e-9) -> Any:
    """A count with no free symbols left, as a Python ``int`` (or ``float`` when it is not integral).

    Exact: sympy integers pass straight through, and anything else is evaluated to 60 digits and
    rounded there, never through a float (counts past 2^53, e.g. T-counts at n ~ 2^30, would lose
    their last digits and break t_count == T + 4 Toffoli + 11 rotations).
    """
    if not isinstance(x, sympy.Basic):
        return x
    if x.is_Integer:
        return int(x)
    v = sympy.N(x, 60)
    if not v.is_number:
        raise ValueError(f"unresolved symbols {sorted(map(str, x.free_symbols))} in {x}")
    r = int(v.round())
    return r if abs(v - r) <= rel_tol * max(1, abs(r)) else float(v)


#: the physical models take logs and ratios of counts in float64: products of two must stay finite
MAX_COUNT = 10**100


def _checked_count(v: Any, label: str) -> int:
    """``v`` as a plain int in [0, MAX_COUNT], or a one-line refusal naming ``label``."""
    if isinstance(v, sympy.Basic):
        if v.free_symbols:
            raise QattnInputError(f"{label} is symbolic ({v}); substitute values or use symbolic_physical_estimate")
        if not (v.is_Integer or (v.is_number and v == sympy.floor(v))):  # 5.0 is 5; 66579.4 is refused, not truncated
            raise QattnInputError(f"{label} must be a non-negative integer; got {v}")
        v = int(sympy.floor(v))
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise QattnInputError(f"{label} must be a non-negative integer; got {v!r}")
    if v > MAX_COUNT:
        raise QattnInputError(f"{label} must be <= 1e100 (float64 error-rate arithmetic); got ~10^{math.log10(v):.1f}")
    return v


@attrs.frozen(kw_only=True)
class LogicalCounts:
    """Logical resource counts (symbolic or concrete): the one record of the code base.

    ``t`` is raw T (Toffoli-class gates and rotations separate); ``t_count`` folds them in.
    ``rotation_depth`` (optional) is the layers of rotations a physical model may parallelise.
    Estimates' JSON ``logical`` dicts are its edge form (:meth:`evaluate`, :meth:`from_logical`);
    the physical models take a concrete one (:meth:`concrete`).
    """

    qubits: SymbolicInt
    t: SymbolicInt = 0
    toffoli: SymbolicInt = 0
    clifford: SymbolicInt = 0
    rotations: SymbolicInt = 0
    measurements: SymbolicInt = 0
    rotation_depth: Optional[int] = None

    @classmethod
    def from_logical(cls, logical: Mapping[str, Any]) -> "LogicalCounts":
        """From an estimate's ``logical`` dict (raw ``t`` if present, else recovered from
        ``t_count = t + 4 toffoli + 11 rotations``)."""
        toffoli, rotations = logical.get("toffoli", 0), logical.get("rotations", 0)
        t = logical["t"] if "t" in logical else logical["t_count"] - TS_PER_TOFFOLI * toffoli - TS_PER_ROTATION * rotations
        return cls(qubits=logical["qubits"], t=t, toffoli=toffoli, clifford=logical.get("clifford", 0),
                   rotations=rotations, measurements=logical.get("measurements", 0),
                   rotation_depth=logical.get("rotation_depth"))

    def concrete(self, labels: Optional[Mapping[str, str]] = None) -> "LogicalCounts":
        """The same counts as plain non-negative integers, checked: the one range check of the code
        base (``qattn physical``, ``physical --from`` and the physical models all come here).

        A refusal is one line naming the field as the caller calls it: ``labels`` maps a field
        (``qubits``, ``t``, ``toffoli``, ``clifford``, ``rotations``, ``measurements``,
        ``rotation_depth``) to that name (``{"t": "--t-count"}`` on the command line,
        ``{"t": "logical.t in est.json"}`` for a chained estimate); unnamed fields keep their own
        name. Bounds: counts in [0, MAX_COUNT = 1e100] (the physical models take logs and ratios in
        float64), qubits >= 1, rotation_depth in [0, rotations].
        """
        def label(name: str) -> str:
            return (labels or {}).get(name, name)

        vals = {}
        for name in ("qubits", "t", "toffoli", "clifford", "rotations", "measurements"):
            vals[name] = _checked_count(getattr(self, name), label(name))
        if vals["qubits"] < 1:
            raise QattnInputError(f"{label('qubits')} must be >= 1 (an integer); got {vals['qubits']}")
        d = self.rotation_depth
        if d is not None and (not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= vals["rotations"]):
            raise QattnInputError(f"{label('rotation_depth')} must be an integer in [0, {label('rotations')} = "
                                  f"{vals['rotations']}]; got {d!r}")
        return LogicalCounts(**vals, rotation_depth=d)

    def raw(self) -> Dict[str, Any]:
        """The fields ``qattn physical`` takes, under its flags' field names: raw ``t`` (Toffoli-class
        gates and rotations *not* folded in), ``toffoli``, ``rotations``, ``measurements``,
        ``qubits``, and ``rotation_depth`` where known. This is what chains: ``t_count`` would count
        every Toffoli twice if passed as ``--t-count`` beside ``--toffoli`` (issue 14's T-count trap)."""
        out = {"t": self.t, "toffoli": self.toffoli, "rotations": self.rotations,
               "measurements": self.measurements, "qubits": self.qubits}
        if self.rotation_depth is not None:
            out["rotation_depth"] = self.rotation_depth
        return out

    @property
    def r_depth(self) -> int:
        """Rotation depth: the given one, else every rotation in its own layer."""
        return self.rotations if self.rotation_depth is None else self.rotation_depth

    def as_ms_dict(self) -> Dict[str, int]:
        """The dict ``qsharp.estimator.LogicalCounts`` takes."""
        return {
            "numQubits": self.qubits,
            "tCount": self.t,
            "rotationCount": self.rotations,
            "rotationDepth": self.r_depth,
            "cczCount": self.toffoli,
            "ccixCount": 0,
            "measurementCount": self.measurements,
        }

    @property
    def t_count(self) -> SymbolicInt:
        """T-count with Toffoli-class gates as 4 T and rotations as ``TS_PER_ROTATION`` T."""
        return tidy(self.t + TS_PER_TOFFOLI * self.toffoli + TS_PER_ROTATION * self.rotations)

    @property
    def is_symbolic(self) -> bool:
        return any(isinstance(v, sympy.Basic) and v.free_symbols for v in attrs.astuple(self))

    def subs(self, values: Dict[Any, Any]) -> "LogicalCounts":
        """Substitute symbols (``{sympy.Symbol or name: value}``) into every count."""
        def sub(v):
            if isinstance(v, sympy.Basic):
                # xreplace rebuilds the tree bottom-up with numbers (each Max / floor evaluates on
                # the spot); subs() on the nested qubit-count Maxes of the cost models took
                # minutes. Names are matched to the expression's symbols. doit() evaluates Sums
                # whose bounds became numbers.
                by_name = {sym.name: sym for sym in v.free_symbols}
                rep = {}
                for key, val in values.items():
                    sym = by_name.get(key) if isinstance(key, str) else key
                    if sym is not None:
                        rep[sym] = sympy.sympify(val)
                return tidy(v.xreplace(rep).doit())
            return v

        return attrs.evolve(self, **{name: sub(getattr(self, name)) for name in _COUNT_FIELDS})

    def evaluate(self, values: Dict[Any, Any], rel_tol: float = 1e-9) -> Dict[str, Any]:
        """The counts at ``values`` as plain numbers, in the ``logical`` shape of every estimate:
        ``t_count, toffoli, clifford, rotations, measurements, qubits`` (see :func:`to_number`)."""
        at = self.subs(values)
        return {
            key: to_number(getattr(at, key), rel_tol)
            for key in ("t_count", "toffoli", "clifford", "rotations", "measurements", "qubits")
        }

    def as_dict(self) -> Dict[str, SymbolicInt]:
        """The JSON edge form with ``t_count`` first and raw ``t`` last."""
        return {
            "t_count": self.t_count,
            "toffoli": self.toffoli,
            "clifford": self.clifford,
            "rotations": self.rotations,
            "measurements": self.measurements,
            "qubits": self.qubits,
            "t": self.t,
        }


#: One Qualtran ``costs_cache`` per cost key, shared by every estimate in the process. Bloqs are
#: frozen attrs values, so a sub-bloq met again (the same comparator, inner product or loader at
#: another n, another component of the same estimate) is costed once instead of once per call:
#: the report's sweep re-costs the same components hundreds of times otherwise. The cached values
#: are the ones Qualtran computes; only the repetition goes.
_COSTS_CACHES: Dict[Any, Dict[Bloq, Any]] = {}


def cost_value(bloq: Bloq, key) -> Any:
    """``qualtran.resource_counting.get_cost_value`` with the process-wide shared cache."""
    return get_cost_value(bloq, key, costs_cache=_COSTS_CACHES.setdefault(key, {}))


def gate_counts(bloq: Bloq) -> GateCounts:
    """Qualtran's ``GateCounts`` of ``bloq`` (from its call graph)."""
    return cost_value(bloq, QECGatesCost())


def logical_counts(bloq: Bloq, simplify: bool = False) -> LogicalCounts:
    """T / Toffoli / Clifford / rotation / measurement counts and peak logical qubits of ``bloq``.

    ``simplify=True`` runs ``sympy.simplify`` on symbolic counts (slow: seconds for the attention
    formulas); the default only groups terms.
    """
    gc = gate_counts(bloq)
    return LogicalCounts(
        t=tidy(gc.t, simplify),
        toffoli=tidy(gc.toffoli + gc.and_bloq + gc.cswap, simplify),
        clifford=tidy(gc.clifford, simplify),
        rotations=tidy(gc.rotation, simplify),
        measurements=tidy(gc.measurement, simplify),
        qubits=tidy(cost_value(bloq, QubitCount()), simplify),
    )
