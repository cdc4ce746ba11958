"""The report's configuration: one typed, validated record (:class:`ReportConfig`).

Every key is documented in docs/physical_and_report.md with its default. A config is validated
whole, before any computation: a bad value is one :class:`~qattn_cirq.errors.QattnInputError`
line naming the key and its allowed range. A JSON config file overrides any subset of the keys;
a model entry (``models.ms``) overrides any subset of that model's defaults.
"""

from __future__ import annotations

import json
import math
from typing import Any, Dict, Mapping, Optional, Tuple

import attrs

from bloqs.loader_kinds import LOADER_KINDS, QATTENTION_LOADERS
from estimates.classical import GPU_PRESETS
from estimates.physical import GF_PRESETS, MS_QUBIT_PRESETS
from qattn_cirq.errors import QattnInputError

#: the algorithms the report costs, and the loaders each one's estimator supports
ALGORITHM_LOADERS: Dict[str, Tuple[str, ...]] = {
    "grover-sparse": LOADER_KINDS,
    "qattention": QATTENTION_LOADERS,
}
ALL_LOADERS = LOADER_KINDS
#: physical model -> (its presets, its default entry)
MODEL_PRESETS = {"ms": tuple(MS_QUBIT_PRESETS), "gidney-fowler": tuple(GF_PRESETS)}
DEFAULT_MODELS = {
    "ms": {"preset": "qubit_gate_ns_e3", "error_budget": 1e-3},
    "gidney-fowler": {"preset": "gidney_fowler_e3", "error_budget": 1e-2},
}
DEFAULT_REAL_MODEL = {"set": "shipped", "statistic": "median", "mass": 0.9, "lam_frac": 0.1}
#: sweeps and searches past these exponents are refused rather than left to run unbounded
MAX_N_EXP = 40
MAX_CROSSOVER_EXP = 64


def _fail(key: str, allowed: str, value: Any) -> None:
    raise QattnInputError(f"config {key} must be {allowed}, got {value!r}")


def _int(key: str, v: Any, lo: int, hi: Optional[int] = None) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < lo or (hi is not None and v > hi):
        _fail(key, f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi}]", v)
    return v


def _number(key: str, v: Any, allowed: str, ok) -> float:
    if not isinstance(v, (int, float)) or isinstance(v, bool) or math.isnan(v) or not ok(v):
        _fail(key, allowed, v)
    return v


def _choices(key: str, v: Any, allowed: Tuple[str, ...]) -> list:
    if not isinstance(v, list) or not v or any(x not in allowed for x in v) or len(set(v)) != len(v):
        _fail(key, f"a non-empty list of distinct names from {', '.join(allowed)}", v)
    return v


def _models(v: Any) -> Dict[str, Dict[str, Any]]:
    if not isinstance(v, dict) or not v or not set(v) <= set(MODEL_PRESETS):
        _fail("models", "a non-empty object with keys from ms, gidney-fowler", v)
    out = {}
    for name, entry in v.items():
        if not isinstance(entry, dict) or not set(entry) <= {"preset", "error_budget"}:
            _fail(f"models.{name}", "an object with keys from preset, error_budget", entry)
        merged = {**DEFAULT_MODELS[name], **entry}
        if merged["preset"] not in MODEL_PRESETS[name]:
            _fail(f"models.{name}.preset", f"one of {', '.join(MODEL_PRESETS[name])}", merged["preset"])
        _number(f"models.{name}.error_budget", merged["error_budget"], "a number in (0, 1)", lambda x: 0 < x < 1)
        out[name] = merged
    return out


def _real_model(v: Any) -> Optional[Dict[str, Any]]:
    if v is None:
        return None
    if not isinstance(v, dict) or set(v) - set(DEFAULT_REAL_MODEL):
        _fail("real_model", f"null or an object with keys {', '.join(DEFAULT_REAL_MODEL)}", v)
    rm = {**DEFAULT_REAL_MODEL, **v}
    if not isinstance(rm["set"], str) or not rm["set"]:
        _fail("real_model.set", '"shipped" or the path of a head directory / set archive', rm["set"])
    if rm["statistic"] not in ("min", "median", "max"):
        _fail("real_model.statistic", "one of min, median, max", rm["statistic"])
    _number("real_model.mass", rm["mass"], "a number in (0, 1]", lambda x: 0 < x <= 1)
    _number("real_model.lam_frac", rm["lam_frac"], "a number > 0", lambda x: x > 0)
    return rm


@attrs.frozen(kw_only=True)
class ReportConfig:
    """What the report costs and how (defaults: the LLM-scale problem of the module docstring of
    :mod:`estimates.report`). Field order is the order of ``report.json``'s ``config``."""

    d: int = 128
    n_min_exp: int = 10
    n_max_exp: int = 20
    k: int = 32
    bits: int = 8
    s_lambda: float = 64
    #: sublinear QAttention only: row distortion of V and the target accuracy (arXiv 2602.00874)
    alpha: float = 2.0
    eps: float = 0.1
    loaders: Tuple[str, ...] = ALL_LOADERS
    algorithms: Tuple[str, ...] = tuple(ALGORITHM_LOADERS)
    models: Mapping[str, Mapping[str, Any]] = attrs.field(factory=lambda: {m: dict(e) for m, e in DEFAULT_MODELS.items()})
    gpu: str = "h100-sxm"
    crossover_n_max_exp: int = 40
    spread_n_exps: Tuple[int, ...] = (10, 15, 20)
    spread_loader: str = "qrom"
    #: parameters measured on real heads (qattn_cirq.realdata): "shipped" = the MiniLM-L6 n = 256
    #: set in qattn_cirq/data; a path takes any directory / set archive; None leaves the section out
    real_model: Optional[Mapping[str, Any]] = attrs.field(factory=lambda: dict(DEFAULT_REAL_MODEL))

    @classmethod
    def from_dict(cls, user: Optional[Mapping[str, Any]] = None) -> "ReportConfig":
        """The defaults overridden by ``user``, validated whole (one error line per bad key)."""
        user = dict(user or {})
        allowed = [f.name for f in attrs.fields(cls)]
        unknown = set(user) - set(allowed)
        if unknown:
            raise QattnInputError(f"unknown config keys {sorted(unknown)}; allowed: {', '.join(sorted(allowed))}")
        v = {**attrs.asdict(cls(), recurse=False), **user}
        for key in ("d", "bits"):
            _int(key, v[key], 1)
        _int("n_min_exp", v["n_min_exp"], 1, MAX_N_EXP)
        _int("n_max_exp", v["n_max_exp"], v["n_min_exp"], MAX_N_EXP)
        _int("crossover_n_max_exp", v["crossover_n_max_exp"], v["n_min_exp"], MAX_CROSSOVER_EXP)
        n_max = 2 ** v["n_max_exp"]
        # a parameter no swept n can hold would drop the algorithm from every table: refuse it
        _int("k", v["k"], 1, n_max)
        _number("s_lambda", v["s_lambda"], f"a number in (0, 2 n_max] = (0, {2 * n_max}]", lambda x: 0 < x <= 2 * n_max)
        _number("alpha", v["alpha"], "a number >= 1 (row distortion of V)", lambda x: x >= 1)
        _number("eps", v["eps"], "a number in (0, 1)", lambda x: 0 < x < 1)
        loaders = _choices("loaders", list(v["loaders"]), ALL_LOADERS)
        algorithms = _choices("algorithms", list(v["algorithms"]), tuple(ALGORITHM_LOADERS))
        if v["gpu"] not in GPU_PRESETS:
            _fail("gpu", f"one of {', '.join(GPU_PRESETS)}", v["gpu"])
        spread = v["spread_n_exps"]
        if not isinstance(spread, (list, tuple)):
            _fail("spread_n_exps", f"a list of integers in [1, {MAX_N_EXP}]", spread)
        for e in spread:
            _int("spread_n_exps", e, 1, MAX_N_EXP)
        if v["spread_loader"] not in ALL_LOADERS:
            _fail("spread_loader", f"one of {', '.join(ALL_LOADERS)}", v["spread_loader"])
        return cls(**{**v, "loaders": tuple(loaders), "algorithms": tuple(algorithms), "spread_n_exps": tuple(spread),
                      "models": _models(v["models"]), "real_model": _real_model(v["real_model"])})

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form (lists for tuples), key order as declared."""
        out = attrs.asdict(self, recurse=False)
        for key in ("loaders", "algorithms", "spread_n_exps"):
            out[key] = list(out[key])
        out["models"] = {m: dict(e) for m, e in self.models.items()}
        out["real_model"] = None if self.real_model is None else dict(self.real_model)
        return out

    @property
    def ns(self) -> list:
        return [2**e for e in range(self.n_min_exp, self.n_max_exp + 1)]

    def loaders_for(self, algorithm: str) -> list:
        return [ld for ld in self.loaders if ld in ALGORITHM_LOADERS[algorithm]]

    def smallest_n(self, algorithm: str) -> int:
        """The smallest n where the algorithm's parameters make sense: k <= n (Grover sparse),
        s_lambda <= 2n (the kernel of [Q; K] is 2n x 2n)."""
        if algorithm == "grover-sparse":
            return max(2, self.k)
        return max(2, math.ceil(self.s_lambda / 2))


#: the default configuration in its JSON form (documented in docs/physical_and_report.md)
DEFAULT_CONFIG: Dict[str, Any] = ReportConfig().to_dict()


def load_config(path: Optional[str]) -> ReportConfig:
    """Default config, overridden by the JSON file at ``path`` (if given)."""
    if path is None:
        return ReportConfig.from_dict(None)
    try:
        with open(path) as f:
            user = json.load(f)
    except OSError as e:
        raise QattnInputError(f"cannot read config file {path!r}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise QattnInputError(f"config file {path!r} is not valid JSON: {e.msg} (line {e.lineno})") from None
    if not isinstance(user, dict):
        raise QattnInputError(f"config file {path!r} must hold a JSON object")
    return ReportConfig.from_dict(user)
