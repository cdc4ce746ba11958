"""The papers' assumptions measured on real attention heads (sets extracted by :mod:`qattn_cirq.models`).

Two algorithms, two sets of assumptions:

* Grover sparse attention (Gao, Song, Yang, Zhang, arXiv 2307.08045, Theorem 1.3) needs every
  row ``i`` of the scores ``S = scale Q K^T`` to have at most ``k`` entries ``>= tau`` (the set
  ``S_i``), ``tau >= 2 ln n``, and every other entry in ``[-eta, 0]``; its output is that of the
  sparse + rank-one matrix ``B`` (``A`` on ``S_i``, the constant 1 elsewhere; Def. 3.2, Alg. 4).
* Sublinear QAttention (Song, Xue, Zhang, Zhang, arXiv 2602.00874) is fast when the
  ``lambda``-statistical dimension ``s_lambda`` of the exponential kernel on ``[Q; K]`` and the row
  distortion ``alpha`` of ``V`` are small; its error bound carries ``||D^{-1}||``, ``||A||_F`` and the
  amplification ``beta = 1 / (1 - (eps ||A|| + lambda sqrt(n)) ||D^{-1}||)`` (Theorem 3.1 / 9.2).

:func:`inspect_set` measures all of these on each head of a set and summarises them (min / median
/ max over heads); :func:`measured_parameters` turns a set into the ``k``, ``s_lambda`` and
``alpha`` an estimate needs, saying which statistic each one is. :func:`load_set` reads a
directory of instance ``.npz`` files or one set archive (:func:`qattn_cirq.models.write_archive`).
The package ships two sets (MiniLM-L6 on the US Declaration of Independence, n = 128 and 256):
:func:`shipped_set_path`.

Definitions that are ours (the papers do not fix them) are stated where they are computed:

* ``k`` for a target mass ``p``: per row, the smallest number of keys whose softmax weights sum
  to ``>= p`` (the top-``k_i`` entries; the per-row threshold is the ``k_i``-th largest score);
  a head's ``k`` is the largest ``k_i`` over its rows, since the algorithm's cost is set by
  ``k = max_i |S_i|``.
* ``lambda`` is given as a fraction ``f`` of ``lambda_max = min_i D_ii / sqrt(n)``: the largest
  ``lambda`` for which ``beta`` stays finite as ``eps -> 0`` (then ``beta = 1/(1 - eps/eps_max - f)``),
  so ``f`` is the share of that margin the Nystrom error may use. ``s_lambda`` falls as ``f`` grows.
* ``eps_max = 1 / (||D^{-1}|| ||A||) = min_i D_ii / ||A||_2``: the largest ``eps`` with
  ``||D^{-1}|| <= 1/(eps ||A||)`` (the quantity arXiv 2602.00874 reports as ~0.17 for OLMo2 at
  n = 4096, d = 128); it is invariant under rescaling ``A``.

All bad input raises :class:`qattn_cirq.errors.QattnInputError` with a one-line message.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import zipfile
from pathlib import Path
from typing import Sequence

import attrs
import numpy as np

from qattn_cirq.errors import QattnInputError
from qattn_cirq.instance import AttentionInstance, load_npz
from qattn_cirq.output import format_number
from qattn_cirq.reference import (
    _check_tau,
    default_tau,
    goodness,
    row_distortion,
    sparse_rank_one_error,
    stable_rank,
    statistical_dimension,
)

__all__ = [
    "DEFAULT_LAM_FRACS",
    "DEFAULT_MASSES",
    "FILLS",
    "HeadSet",
    "RealHead",
    "fill_error",
    "inspect_set",
    "k_for_mass",
    "load_set",
    "require_npz",
    "measured_parameters",
    "shipped_set_path",
]

DEFAULT_MASSES = (0.9, 0.99)
DEFAULT_LAM_FRACS = (0.001, 0.01, 0.1, 0.5)
#: per-row fills of the rank-one part outside S_i (see :func:`fill_error`)
FILLS = ("one", "mean", "geo")
STATISTICS = ("min", "median", "max")
DATA_DIR = Path(__file__).resolve().parent / "data"
_SHIPPED = {128: "minilm_declaration_n128.npz", 256: "minilm_declaration_n256.npz"}
_NAME_RE = re.compile(r"L(\d+)H(\d+)")


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------


@attrs.frozen(eq=False)
class RealHead:
    """One attention head of a real model: its instance and where it sits."""

    name: str
    instance: AttentionInstance
    layer: int | None = None
    head: int | None = None


@attrs.frozen(eq=False)
class HeadSet:
    """The heads of a set, in file order, with the extraction metadata when there is any."""

    heads: list
    source: str
    meta: dict = attrs.field(factory=dict)
    tokens: list | None = None

    def __len__(self) -> int:
        return len(self.heads)


def shipped_set_path(n: int = 256) -> Path:
    """Path of a shipped set: MiniLM-L6 layers 0-5, heads 0, 4, 8 on the Declaration, ``n`` tokens."""
    if n not in _SHIPPED:
        raise QattnInputError(f"n must be one of {sorted(_SHIPPED)} for a shipped set; got {n!r}")
    return DATA_DIR / _SHIPPED[n]


def _layer_head(name: str) -> tuple[int | None, int | None]:
    m = _NAME_RE.fullmatch(name) or _NAME_RE.search(name)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


_EXPECTED = "expected an .npz archive with arrays Q, K, V (an instance) or L0H0_Q, ... (a set archive)"


def require_npz(path: str | os.PathLike) -> None:
    """Refuse a file that is not a zip archive, before ``numpy.load`` sees it.

    ``np.load`` returns a bare ndarray for an ``.npy`` file (whatever its name), and for any other
    non-zip file falls through to its pickle branch, whose message suggests ``allow_pickle=True``:
    misleading for a text file, and unsafe advice. The first bytes decide instead: ``.npz`` files
    are zip archives (``PK\\x03\\x04``, or ``PK\\x05\\x06`` when empty; numpy.lib.format,
    ``np.savez``), ``.npy`` files start with ``\\x93NUMPY`` (the NPY format spec).
    A missing path or a directory is left to the caller's own message.
    """
    p = Path(path)
    if not p.is_file():
        return
    try:
        with open(p, "rb") as f:
            magic = f.read(6)
    except OSError as exc:
        raise QattnInputError(f"cannot read {p}: {exc.strerror or exc}") from None
    if magic.startswith(b"\x93NUMPY"):
        raise QattnInputError(f"{p} is not a readable .npz archive (it holds a single .npy array); {_EXPECTED}")
    if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise QattnInputError(f"{p} is not a readable .npz archive (not a zip file); {_EXPECTED}")


def _read_archive(path: Path) -> HeadSet | None:
    """A set archive (keys ``L{l}H{h}_Q`` ...) or None when ``path`` is a plain instance file."""
    require_npz(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            files = set(z.files)
            if {"Q", "K", "V"} <= files:
                return None
            names = sorted(
                {f[:-2] for f in files if f.endswith("_Q")},
                key=lambda s: tuple(x if x is not None else -1 for x in _layer_head(s)) + (s,),
            )
            if not names:
                raise QattnInputError(
                    f"{path} holds neither an instance (Q, K, V) nor a set archive (L0H0_Q, ...)"
                )
            meta = json.loads(str(z["meta"])) if "meta" in files else {}
            tokens = [str(t) for t in z["tokens"]] if "tokens" in files else None
            heads = []
            for nm in names:
                missing = [f"{nm}_{a}" for a in ("K", "V") if f"{nm}_{a}" not in files]
                if missing:
                    raise QattnInputError(f"{path}: set archive lacks {', '.join(missing)}")
                scale = float(np.asarray(z[f"{nm}_scale"]).reshape(())) if f"{nm}_scale" in files else 1.0
                try:
                    inst = AttentionInstance(z[f"{nm}_Q"], z[f"{nm}_K"], z[f"{nm}_V"], scale=scale)
                except QattnInputError as exc:
                    raise QattnInputError(f"{path}: head {nm}: {exc}") from None
                layer, head = _layer_head(nm)
                heads.append(RealHead(nm, inst, layer, head))
    except QattnInputError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, json.JSONDecodeError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise QattnInputError(f"{path} is not a readable .npz archive ({msg})") from None
    return HeadSet(heads=heads, source=str(path), meta=meta, tokens=tokens)


def load_set(path: str | os.PathLike) -> HeadSet:
    """Read a set of attention heads.

    ``path`` may be: a set archive (one ``.npz`` with ``L{l}H{h}_Q/_K/_V/_scale`` arrays, as the
    shipped data and ``qattn extract --archive`` write); a single instance ``.npz`` (a set of one);
    or a directory, whose ``*.npz`` files (instances or archives) are all read, with
    ``manifest.json`` (written by ``qattn extract``) as metadata when present.
    """
    p = Path(path)
    if not p.exists():
        raise QattnInputError(f"{p}: no such file or directory")
    if p.is_dir():
        files = sorted(p.glob("*.npz"))
        if not files:
            raise QattnInputError(f"{p} contains no .npz files")
        heads: list[RealHead] = []
        meta: dict = {}
        tokens = None
        manifest = p / "manifest.json"
        if manifest.is_file():
            try:
                meta = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise QattnInputError(f"{manifest} is not valid JSON ({type(exc).__name__})") from None
            tokens = meta.pop("tokens", None)
            meta.pop("files", None)
        for f in files:
            sub = _read_archive(f)
            if sub is None:
                layer, head = _layer_head(f.stem)
                heads.append(RealHead(f.stem, load_npz(f), layer, head))
            else:
                heads.extend(
                    RealHead(f"{f.stem}/{h.name}", h.instance, h.layer, h.head) for h in sub.heads
                )
        return HeadSet(heads=heads, source=str(p), meta=meta, tokens=tokens)
    sub = _read_archive(p)
    if sub is None:
        layer, head = _layer_head(p.stem)
        return HeadSet(heads=[RealHead(p.stem, load_npz(p), layer, head)], source=str(p))
    return sub


def is_head_set(path: str | os.PathLike) -> bool:
    """True when ``path`` is a set of heads (a directory or a set archive), not a single instance."""
    p = Path(path)
    if p.is_dir():
        return True
    if not p.is_file():
        return False
    # Only the array names are read; a malformed instance file is left to load_npz's own message
    # (a non-zip file, an .npy among them, is no set: np.load would return a bare array for it).
    try:
        require_npz(p)
    except QattnInputError:
        return False
    try:
        with np.load(p, allow_pickle=False) as z:
            files = set(z.files)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError):
        return False
    return not ({"Q", "K", "V"} & files) and any(f.endswith("_Q") for f in files)


def _as_headset(source) -> HeadSet:
    if isinstance(source, HeadSet):
        return source
    if isinstance(source, (str, os.PathLike)):
        return load_set(source)
    if isinstance(source, AttentionInstance):
        return HeadSet(heads=[RealHead("instance0", source)], source="<instances>")
    try:
        items = list(source)
    except TypeError:
        raise QattnInputError(
            f"expected a path, a HeadSet or a list of AttentionInstance; got {type(source).__name__}"
        ) from None
    heads = []
    for i, it in enumerate(items):
        if isinstance(it, RealHead):
            heads.append(it)
        elif isinstance(it, AttentionInstance):
            heads.append(RealHead(f"instance{i}", it))
        else:
            raise QattnInputError(f"item {i} is a {type(it).__name__}, not an AttentionInstance")
    if not heads:
        raise QattnInputError("the set of instances is empty")
    return HeadSet(heads=heads, source="<instances>")


# --------------------------------------------------------------------------------------------
# per-head measurements
# --------------------------------------------------------------------------------------------


def _check_masses(masses) -> tuple[float, ...]:
    out = []
    for p in masses:
        try:
            x = float(p)
        except (TypeError, ValueError):
            raise QattnInputError(f"masses must be numbers in (0, 1]; got {p!r}") from None
        if not (0.0 < x <= 1.0):
            raise QattnInputError(f"masses must be numbers in (0, 1]; got {x!r}")
        out.append(x)
    if not out:
        raise QattnInputError("masses must name at least one target mass in (0, 1]")
    return tuple(out)


def _check_fracs(fracs) -> tuple[float, ...]:
    out = []
    for f in fracs:
        try:
            x = float(f)
        except (TypeError, ValueError):
            raise QattnInputError(f"lam_fracs must be finite numbers > 0; got {f!r}") from None
        if not (math.isfinite(x) and x > 0.0):
            raise QattnInputError(
                f"lam_fracs must be finite numbers > 0 (fractions of lambda_max = min_i D_ii/sqrt(n)); got {x!r}"
            )
        out.append(x)
    if not out:
        raise QattnInputError("lam_fracs must name at least one fraction > 0")
    return tuple(out)


def _softmax(s: np.ndarray) -> np.ndarray:
    w = np.exp(s - s.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


def k_for_mass(inst: AttentionInstance, mass: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per row ``i``: the smallest ``k_i`` whose top-``k_i`` softmax weights sum to ``>= mass``.

    Returns ``(k, sets)`` with ``k[i] = k_i`` and ``sets[i]`` the indices of those ``k_i`` largest
    scores (sorted), i.e. ``S_i`` for the per-row threshold ``tau_i`` = the ``k_i``-th largest score.
    A relative slack of ``1e-12`` absorbs the rounding of the cumulative sum, so ``mass = 1`` gives
    ``k_i = n`` only when every weight matters at that precision. Cost ``O(n^2 log n)``.
    """
    (mass,) = _check_masses([mass])
    P = _softmax(inst.scores())
    order = np.argsort(-P, axis=1, kind="stable")
    csum = np.cumsum(np.take_along_axis(P, order, axis=1), axis=1)
    target = mass * (1.0 - 1e-12)
    k = np.minimum((csum < target).sum(axis=1) + 1, inst.n).astype(np.int64)
    sets = [np.sort(order[i, : k[i]]).astype(np.int64) for i in range(inst.n)]
    return k, sets


def fill_error(inst: AttentionInstance, sets: Sequence, fill: str = "one") -> dict:
    """Error of the sparse + rank-one ``B`` with a per-row fill ``c_i`` outside ``S_i``.

    ``B_ij = A_ij`` for ``j in S_i`` and ``B_ij = c_i`` otherwise, i.e. ``B = B1 + c 1_n^T`` with
    ``B1`` row-sparse (``A_ij - c_i`` on ``S_i``) and ``c 1_n^T`` rank one: the structure of
    arXiv 2307.08045 Def. 3.2, which takes ``c_i = 1``. Fills:

    * ``"one"``: ``c_i = 1 = exp(0)`` (the paper's choice; exact when dropped scores are 0);
    * ``"mean"``: ``c_i`` = the mean of the dropped ``A_ij`` (then ``D(B) = D(A)`` exactly and only
      the numerator errs; computing it needs the dropped row sum, e.g. by mean estimation);
    * ``"geo"``: ``c_i = exp(mean of the dropped scores)`` (the fill at the centre of the dropped
      logits; below ``"mean"`` by Jensen).

    Returns plain floats: ``matrix_error = ||D(A)^{-1} A - D(B)^{-1} B||_inf`` (max row L1 distance,
    in [0, 2]); ``output_error = max |D(B)^{-1} B V - D(A)^{-1} A V|``; ``output_rel_error`` =
    Frobenius norm of that difference over that of the exact output. Dense diagnostic: ``O(n^2 d)``.
    With ``|S_i| = n`` for all rows, ``B = A`` and every error is 0.
    """
    if fill not in FILLS:
        raise QattnInputError(f"fill must be one of {', '.join(FILLS)}; got {fill!r}")
    n = inst.n
    if len(sets) != n:
        raise QattnInputError(f"sets must hold one index set per row ({n}); got {len(sets)}")
    s = inst.scores()
    m = s.max(axis=1, keepdims=True)  # row shift: exp(s - m) <= 1, softmax unchanged
    W = np.exp(s - m)
    inside = np.zeros((n, n), dtype=bool)
    for i, S in enumerate(sets):
        inside[i, np.asarray(S, dtype=np.int64)] = True
    dropped = (~inside).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if fill == "one":
            c = np.exp(-m[:, 0])
        elif fill == "mean":
            c = np.where(dropped > 0, np.where(inside, 0.0, W).sum(axis=1) / np.maximum(dropped, 1), 0.0)
        else:
            mean_logit = np.where(inside, 0.0, s - m).sum(axis=1) / np.maximum(dropped, 1)
            c = np.where(dropped > 0, np.exp(mean_logit), 0.0)
    WB = np.where(inside, W, c[:, None])
    P = W / W.sum(axis=1, keepdims=True)
    PB = WB / WB.sum(axis=1, keepdims=True)
    exact = P @ inst.V
    approx = PB @ inst.V
    diff = approx - exact
    denom = float(np.linalg.norm(exact))
    return {
        "matrix_error": float(np.abs(P - PB).sum(axis=1).max()),
        "output_error": float(np.abs(diff).max()),
        "output_rel_error": float(np.linalg.norm(diff) / denom) if denom > 0 else 0.0,
    }


def _tag(p: float) -> str:
    return format(p * 100, "g").replace(".", "p")


def _head_row(h: RealHead, masses, lam_fracs, tau) -> dict:
    inst = h.instance
    s = inst.scores()
    row: dict = {"name": h.name, "layer": h.layer, "head": h.head, "n": inst.n, "d": inst.d, "scale": inst.scale}
    row.update(_threshold_columns(inst, s, tau))
    for p in masses:
        row.update(_mass_columns(h.name, inst, s, p))
    row.update(_sublinear_columns(inst, s, lam_fracs))
    return row


def _outside(n: int, sets) -> np.ndarray:
    """Mask of the entries outside the per-row sets."""
    outside = np.ones((n, n), dtype=bool)
    for i, S in enumerate(sets):
        outside[i, S] = False
    return outside


def _threshold_columns(inst, s, tau) -> dict:
    """Gao et al.: a fixed threshold tau (default 2 ln n)."""
    t = default_tau(inst.n) if tau is None else float(tau)
    g = goodness(inst, t)
    sizes = np.array([len(S) for S in g.sets])
    outside = _outside(inst.n, g.sets)
    n_out = int(outside.sum())
    e = sparse_rank_one_error(inst, tau=t)
    return {
        "tau": t,
        "k_tau": int(g.k),
        "k_tau_median_row": float(np.median(sizes)),
        "empty_rows_tau": float(np.mean(sizes == 0)),
        "eta_tau": g.eta,
        "max_outside_tau": g.max_outside,
        "frac_pos_outside_tau": float((s[outside] > 0).sum() / n_out) if n_out else 0.0,
        "conditions_hold_tau": bool(g.conditions_hold),
        "err_tau_one": e["matrix_error"],
        "bound_tau": e["matrix_bound"],
        "bound_applies_tau": bool(e["bound_applies"]),
        "err_tau_mean": fill_error(inst, g.sets, "mean")["matrix_error"],
    }


def _mass_columns(name: str, inst, s, p: float) -> dict:
    """A target softmax mass p: per-row top-k_i sets."""
    tg = _tag(p)
    k, sets = k_for_mass(inst, p)
    tau_rows = np.array([s[i, S].min() for i, S in enumerate(sets)])
    tau_glob = float(tau_rows.min())  # one threshold that gives every row >= p mass
    outside = _outside(inst.n, sets)
    n_out = int(outside.sum())
    out_vals = s[outside]
    e = sparse_rank_one_error(inst, sets=sets)
    fills = {f: fill_error(inst, sets, f) for f in FILLS}
    # the reference's O(nkd) route and this dense route must agree on the constant fill
    if not math.isclose(e["matrix_error"], fills["one"]["matrix_error"], rel_tol=1e-6, abs_tol=1e-9):
        raise RuntimeError(  # a bug, not bad input
            f"{name}: constant-fill error {fills['one']['matrix_error']} != reference {e['matrix_error']}"
        )
    return {
        f"k{tg}_max": int(k.max()),
        f"k{tg}_median_row": float(np.median(k)),
        f"k{tg}_mean_row": float(k.mean()),
        f"tau{tg}_min_row": tau_glob,
        f"k{tg}_at_tau_min_row": int(goodness(inst, tau_glob).k),
        f"eta{tg}": float(max(0.0, -out_vals.min())) if n_out else 0.0,
        f"frac_pos_outside{tg}": float((out_vals > 0).sum() / n_out) if n_out else 0.0,
        f"err{tg}_one": fills["one"]["matrix_error"],
        f"err{tg}_mean": fills["mean"]["matrix_error"],
        f"err{tg}_geo": fills["geo"]["matrix_error"],
        f"out_rel{tg}_one": fills["one"]["output_rel_error"],
        f"out_rel{tg}_mean": fills["mean"]["output_rel_error"],
        f"bound{tg}": e["matrix_bound"],
        f"bound_applies{tg}": bool(e["bound_applies"]),
    }


def _sublinear_columns(inst, s, lam_fracs) -> dict:
    """Song et al.: s_lambda, alpha, norms."""
    A = np.exp(s - s.max())  # all ratios below are invariant under rescaling A
    Dmin_scaled = float(A.sum(axis=1).min())
    spec = float(np.linalg.norm(A, 2))
    # ||A||_F / ||A||_2 from the A and spectral norm already here (reference.fro_over_spec computes
    # the same two norms of the same matrix; calling it would run the dense SVD a second time)
    row = {"eps_max": Dmin_scaled / spec, "fro_over_spec_a": float(np.linalg.norm(A, "fro")) / spec,
           "inf_over_spec_a": float(A.sum(axis=1).max()) / spec}
    # lambda_max = min_i D_ii / sqrt(n) with D from the unshifted A = exp(s): log D_min = log(Dmin') + max s
    log_lam_max = math.log(Dmin_scaled) + float(s.max()) - 0.5 * math.log(inst.n)
    row["log_lambda_max"] = log_lam_max
    for f in lam_fracs:
        row[f"s_lambda_{f:g}"] = statistical_dimension(inst, math.exp(log_lam_max + math.log(f)))
    srank = stable_rank(inst.V)
    row["alpha"] = row_distortion(inst.V)
    row["srank_v"] = srank
    row["d_over_srank_v"] = inst.d / srank if srank > 0 else math.inf
    return row


_NOT_SUMMARISED = {"name", "layer", "head", "scale"}


def _summary(rows: list[dict]) -> dict:
    out = {}
    for key in rows[0]:
        if key in _NOT_SUMMARISED:
            continue
        vals = [r[key] for r in rows]
        if all(isinstance(v, bool) for v in vals):
            out[key] = {"true": int(sum(vals)), "false": int(len(vals) - sum(vals))}
            continue
        arr = np.array([float(v) for v in vals])
        out[key] = {
            "min": float(arr.min()),
            "median": float(np.median(arr)),
            "max": float(arr.max()),
        }
    return out


DEFINITIONS = {
    "tau": "threshold 2 ln n (arXiv 2307.08045 Thm 1.3) unless given; S_i = {j : scale (QK^T)_ij >= tau}",
    "k_tau": "max_i |S_i| at tau; k_tau_median_row the median over rows; empty_rows_tau the share of rows with S_i empty",
    "eta_tau": "max(0, -min score outside S_i); the paper needs every outside score in [-eta, 0]",
    "frac_pos_outside_tau": "share of outside-S_i scores that are > 0 (each one breaks the condition)",
    "err_*_one": "||D(A)^-1 A - D(B)^-1 B||_inf of the sparse + rank-one B with fill 1 (Def. 3.2); _mean: fill = mean dropped exp-score of the row; _geo: fill = exp(mean dropped score)",
    "bound_*": "the reference's Theorem 5.2 / Lemma 3.6 bound on err_*_one; proved only when bound_applies_* (no positive outside score)",
    "kP_max": "per row the smallest k_i whose top-k_i softmax weights sum to >= P%; _max over rows (the algorithm's k), _median_row, _mean_row",
    "tauP_min_row": "one threshold giving every row >= P% mass (min over rows of the k_i-th largest score); kP_at_tau_min_row = max_i |S_i| at it",
    "out_relP_*": "||output(B) - output(A)||_F / ||output(A)||_F for that fill",
    "s_lambda_f": "statistical dimension tr(E (E + lambda I)^-1) of E = exp(scale [Q;K][Q;K]^T) at lambda = f * lambda_max, lambda_max = min_i D_ii / sqrt(n) (beta of arXiv 2602.00874 Thm 3.1 finite iff eps/eps_max + f < 1)",
    "alpha": "row distortion of V (arXiv 2602.00874): max_i (||v_i||^2/||V||_F^2) / (leverage_i / rank V) <= d/srank(V)",
    "eps_max": "min_i D_ii / ||A||_2 = largest eps with ||D^-1|| <= 1/(eps ||A||) (arXiv 2602.00874; OLMo2: ~0.17)",
    "fro_over_spec_a": "||A||_F / ||A||_2 (OLMo2: ~1.37); inf_over_spec_a = ||A||_inf / ||A||_2 (OLMo2: ~2.74)",
    "d_over_srank_v": "d / srank(V), the paper's upper bound on alpha (OLMo2: 1.7-2.1)",
}


def _blas_threads(limit: int | None):
    """A context limiting BLAS to ``limit`` threads (None: a no-op)."""
    import contextlib

    if limit is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=limit, user_api="blas")


def inspect_set(
    source,
    *,
    masses: Sequence[float] = DEFAULT_MASSES,
    lam_fracs: Sequence[float] = DEFAULT_LAM_FRACS,
    tau: float | None = None,
    progress=None,
    blas_threads: int | None = 1,
) -> dict:
    """Measure both papers' assumptions on every head of a set; summarise min / median / max.

    Args:
        source: a path (set archive, instance ``.npz`` or directory, see :func:`load_set`), a
            :class:`HeadSet`, or a list of :class:`AttentionInstance` / :class:`RealHead`.
        masses: target softmax masses ``p`` in (0, 1] for the per-row ``k`` (keys ``k90_max`` ...).
        lam_fracs: ``lambda`` as fractions ``f`` of ``lambda_max = min_i D_ii / sqrt(n)`` (keys
            ``s_lambda_0.1`` ...). Only ``f < 1`` keeps the error bound of arXiv 2602.00874
            finite (``beta = 1/(1 - eps/eps_max - f)``); larger ``f`` are accepted to show where
            ``s_lambda`` would become small.
        tau: fixed threshold for the (tau, k)-goodness columns; default ``2 ln n`` per head.
        progress: optional callable wrapping the iteration over heads (e.g. a tqdm bar).
        blas_threads: BLAS threads while measuring (``threadpoolctl``; None leaves them as they
            are). One by default: the per-head matrices are small (n = 256), so threads only
            contend, and on the 2 shared cores of our CI machine one thread measured 3-4x faster
            in wall and CPU time (``benchmarks/bench_main_job.py``); results agree to 1e-9.

    Returns a JSON-ready dict: ``source``, ``model``, ``n`` (sorted distinct), ``d``,
    ``heads`` (one flat dict per head; keys documented in ``definitions``), ``summary``
    (``{key: {"min", "median", "max"}}`` over heads; booleans as true/false counts),
    ``definitions``. Cost per head ``O(n^3)`` (an SVD of ``A`` and an eigendecomposition of the
    ``2n x 2n`` kernel) plus ``O(n^2 d)`` per mass; about 0.1 s per head at n = 256.
    """
    hs = _as_headset(source)
    masses = _check_masses(masses)
    lam_fracs = _check_fracs(lam_fracs)
    if tau is not None:
        tau = _check_tau(tau)
    it = hs.heads if progress is None else progress(hs.heads)
    with _blas_threads(blas_threads):
        rows = [_head_row(h, masses, lam_fracs, tau) for h in it]
    return {
        "source": hs.source,
        "model": hs.meta.get("model"),
        "text_file": hs.meta.get("text_file"),
        "heads_measured": len(rows),
        "n": sorted({r["n"] for r in rows}),
        "d": sorted({r["d"] for r in rows}),
        "masses": list(masses),
        "lam_fracs": list(lam_fracs),
        "heads": rows,
        "summary": _summary(rows),
        "definitions": DEFINITIONS,
    }


def measured_parameters(
    path,
    statistic: str = "median",
    *,
    mass: float = 0.9,
    lam_frac: float = 0.1,
) -> dict:
    """``k``, ``s_lambda`` and ``alpha`` measured on a set, for feeding resource estimates.

    ``path`` is anything :func:`inspect_set` takes, or a result of :func:`inspect_set` itself
    (then nothing is recomputed; it must contain ``mass`` and ``lam_frac``). Each value is
    ``statistic`` (``"min"``, ``"median"`` or ``"max"``) over the set's heads of:

    * ``k``: the head's ``max_i k_i`` with ``k_i`` the smallest number of keys holding ``mass`` of
      row ``i``'s softmax (the ``k`` of arXiv 2307.08045 for per-row thresholds), rounded up to an
      integer (a median of an even count can be a half);
    * ``s_lambda``: the statistical dimension at ``lambda = lam_frac * min_i D_ii / sqrt(n)``
      (arXiv 2602.00874), rounded up to an integer in ``s_lambda_int`` (a count of samples);
    * ``alpha``: the row distortion of ``V``.

    Also returned: ``n``, ``d`` (the set's sizes; several values raise, since one estimate has one
    ``n``), ``statistic``, ``heads`` (how many), and ``labels`` saying in words what each number is.
    """
    if statistic not in STATISTICS:
        raise QattnInputError(f"statistic must be one of {', '.join(STATISTICS)}; got {statistic!r}")
    (mass,) = _check_masses([mass])
    (lam_frac,) = _check_fracs([lam_frac])
    tg = _tag(mass)
    kkey, skey = f"k{tg}_max", f"s_lambda_{lam_frac:g}"
    if isinstance(path, dict) and "summary" in path:
        res = path
        if kkey not in res["summary"] or skey not in res["summary"]:
            raise QattnInputError(
                f"the inspect_set result lacks mass {mass:g} or lam_frac {lam_frac:g}; "
                f"it has masses {res.get('masses')} and lam_fracs {res.get('lam_fracs')}"
            )
    else:
        hs = _as_headset(path)
        ns = sorted({h.instance.n for h in hs.heads})
        ds = sorted({h.instance.d for h in hs.heads})
        if len(ns) != 1 or len(ds) != 1:  # checked before the O(n^3) work
            raise QattnInputError(
                f"the set mixes sizes (n in {ns}, d in {ds}); measure one n and d at a time"
            )
        res = inspect_set(hs, masses=(mass,), lam_fracs=(lam_frac,))
    if len(res["n"]) != 1 or len(res["d"]) != 1:
        raise QattnInputError(
            f"the set mixes sizes (n in {res['n']}, d in {res['d']}); measure one n and d at a time"
        )
    summ = res["summary"]
    k = int(math.ceil(summ[kkey][statistic] - 1e-9))
    s_val = summ[skey][statistic]
    alpha = summ["alpha"][statistic]
    nh = res["heads_measured"]
    where = f"{statistic} over {nh} heads of {res['source']}"
    return {
        "n": res["n"][0],
        "d": res["d"][0],
        "k": k,
        "s_lambda": s_val,
        "s_lambda_int": int(math.ceil(s_val - 1e-9)),
        "alpha": alpha,
        "mass": mass,
        "lam_frac": lam_frac,
        "statistic": statistic,
        "heads": nh,
        "labels": {
            "k": f"{where}: per-head max over rows of the smallest k covering {mass:g} of the softmax mass (rounded up)",
            "s_lambda": f"{where}: statistical dimension at lambda = {lam_frac:g} * min_i D_ii / sqrt(n)",
            "alpha": f"{where}: row distortion of V",
        },
    }


# --------------------------------------------------------------------------------------------
# tables and plots (docs/real_attention.md, and the "real model" part of a report)
# --------------------------------------------------------------------------------------------

#: the columns of :func:`markdown_summary` in order, with a short label
SUMMARY_COLUMNS = (
    ("k_tau", "k at tau = 2 ln n (max_i |S_i|)"),
    ("empty_rows_tau", "share of rows with S_i empty at 2 ln n"),
    ("frac_pos_outside_tau", "share of positive scores outside S_i (2 ln n)"),
    ("eta_tau", "eta (2 ln n)"),
    ("err_tau_one", "error of B at 2 ln n (fill 1)"),
    ("bound_tau", "Thm 5.2 bound at 2 ln n (not applicable)"),
    ("k90_max", "k for 90% mass (max over rows)"),
    ("k90_median_row", "k for 90% mass (median row)"),
    ("k99_max", "k for 99% mass (max over rows)"),
    ("k99_median_row", "k for 99% mass (median row)"),
    ("frac_pos_outside90", "share of positive scores outside S_i (90%)"),
    ("err90_one", "error of B, 90% sets, fill 1"),
    ("err90_geo", "error of B, 90% sets, fill exp(mean dropped score)"),
    ("err90_mean", "error of B, 90% sets, fill mean dropped exp-score"),
    ("err99_one", "error of B, 99% sets, fill 1"),
    ("err99_mean", "error of B, 99% sets, fill mean dropped exp-score"),
    ("out_rel90_one", "relative output error, 90% sets, fill 1"),
    ("out_rel90_mean", "relative output error, 90% sets, mean fill"),
    ("s_lambda_0.001", "s_lambda at lambda = 0.001 lambda_max"),
    ("s_lambda_0.1", "s_lambda at lambda = 0.1 lambda_max"),
    ("s_lambda_0.5", "s_lambda at lambda = 0.5 lambda_max"),
    ("alpha", "alpha (row distortion of V)"),
    ("d_over_srank_v", "d / srank(V)"),
    ("fro_over_spec_a", "||A||_F / ||A||"),
    ("inf_over_spec_a", "||A||_inf / ||A||"),
    ("eps_max", "eps_max = min_i D_ii / ||A||"),
)


def markdown_summary(reports: dict) -> str:
    """A markdown table: one row per quantity, min / median / max over heads for each report.

    ``reports`` maps a column label (e.g. ``"n = 256"``) to an :func:`inspect_set` result.
    Quantities missing from a report are left blank; quantities no report measured are left out.
    """
    labels = list(reports)
    head = "| quantity | " + " | ".join(f"{lb} (min / median / max)" for lb in labels) + " |"
    lines = [head, "| --- |" + " --- |" * len(labels)]
    for key, text in SUMMARY_COLUMNS:
        cells = []
        for lb in labels:
            s = reports[lb]["summary"].get(key)
            cells.append("" if s is None else " / ".join(format_number(s[q]) for q in STATISTICS))
        if not any(cells):
            continue
        # A literal '|' (norms, |S_i|) would split the markdown cell.
        text = text.replace("|", "\\|")
        lines.append(f"| {text} (`{key}`) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_rows(report: dict) -> list[dict]:
    """``report["summary"]`` as rows ``{"quantity", "min", "median", "max"}`` for table / csv output.

    Boolean columns (e.g. ``conditions_hold_tau``) give the number of heads where they hold as
    ``max`` and leave ``min``/``median`` empty.
    """
    rows = []
    for key, val in report["summary"].items():
        if "true" in val:
            rows.append({"quantity": f"{key} (heads true of {val['true'] + val['false']})",
                         "min": None, "median": None, "max": val["true"]})
        else:
            rows.append({"quantity": key, **{q: val[q] for q in STATISTICS}})
    return rows


def markdown_heads(report: dict, keys: Sequence[str] = ("k90_max", "k90_median_row", "k99_max",
                   "err90_one", "err90_mean", "s_lambda_0.1", "alpha", "eps_max")) -> str:
    """A markdown table with one row per head of ``report`` and the given columns."""
    lines = ["| head | " + " | ".join(f"`{k}`" for k in keys) + " |",
             "| --- |" + " --- |" * len(keys)]
    for r in report["heads"]:
        lines.append(f"| {r['name']} | " + " | ".join(format_number(r[k]) for k in keys) + " |")
    return "\n".join(lines)


def plot_k_distribution(sets: dict, path, masses: Sequence[float] = (0.9, 0.99)) -> Path:
    """Histogram of the per-row ``k_i`` needed for each mass, pooled over all heads, one panel per set.

    ``sets`` maps ``n`` (or any label) to a :class:`HeadSet` / path. The x axis is ``k_i / n``, so
    sets of different length share a scale; ticks under the axis mark each head's ``max_i k_i``.
    Writes a PNG (matplotlib, Agg backend) and returns its path.
    """
    import matplotlib  # optional dependency (the ``plots`` extra)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    masses = _check_masses(masses)
    fig, axes = plt.subplots(1, len(sets), figsize=(5.2 * len(sets), 3.8), squeeze=False)
    bins = np.linspace(0, 1, 41)
    for ax, (label, src) in zip(axes[0], sets.items()):
        hs = _as_headset(src)
        n = hs.heads[0].instance.n
        for j, p in enumerate(masses):
            ks, kmax = [], []
            for h in hs.heads:
                k, _ = k_for_mass(h.instance, p)
                ks.append(k / h.instance.n)
                kmax.append(k.max() / h.instance.n)
            allk = np.concatenate(ks)
            ax.hist(allk, bins=bins, alpha=0.55, label=f"{p:.0%} mass (median row k = {np.median(allk) * n:.0f})")
            ax.plot(kmax, np.full(len(kmax), -0.02 * (j + 1)), "|", ms=10, color=f"C{j}",
                    transform=ax.get_xaxis_transform(), clip_on=False)
        ax.set_title(f"{label}: {len(hs)} heads x {n} rows")
        ax.set_xlabel("k_i / n  (smallest share of keys holding the mass; ticks: per-head max)")
        ax.set_ylabel("rows")
        ax.legend(fontsize=8)
    fig.suptitle("MiniLM-L6 on the Declaration of Independence: keys needed per query row")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def s_lambda_curve(inst: AttentionInstance, fracs: Sequence[float]) -> np.ndarray:
    """``s_lambda`` at ``lambda = f * lambda_max`` for each ``f`` (``lambda_max = min_i D_ii / sqrt(n)``)."""
    fracs = _check_fracs(fracs)
    s = inst.scores()
    log_lam_max = float(np.log(np.exp(s - s.max()).sum(axis=1).min()) + s.max() - 0.5 * math.log(inst.n))
    return np.array([statistical_dimension(inst, math.exp(log_lam_max + math.log(f))) for f in fracs])


def plot_s_lambda(sets: dict, path, fracs: Sequence[float] = tuple(10.0 ** np.arange(-3, 9))) -> Path:
    """``s_lambda / 2n`` against ``lambda / lambda_max`` (log x), one line per head, one panel per set.

    The vertical line at 1 is where the error bound of arXiv 2602.00874 stops (``beta`` infinite);
    only the part to its left is usable by the algorithm.
    """
    import matplotlib  # optional dependency (the ``plots`` extra)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fracs = np.array(_check_fracs(fracs))
    fig, axes = plt.subplots(1, len(sets), figsize=(5.2 * len(sets), 3.8), squeeze=False, sharey=True)
    for ax, (label, src) in zip(axes[0], sets.items()):
        hs = _as_headset(src)
        for h in hs.heads:
            curve = s_lambda_curve(h.instance, fracs) / (2 * h.instance.n)
            color = plt.cm.viridis((h.layer or 0) / 5.0)
            ax.semilogx(fracs, curve, "-", color=color, lw=1, alpha=0.8,
                        label=f"layer {h.layer}" if h.head == hs.heads[0].head else None)
        ax.axvline(1.0, color="k", ls="--", lw=1)
        ax.text(1.2, 0.05, "lambda_max:\nbound ends", fontsize=8)
        n = hs.heads[0].instance.n
        ax.set_title(f"{label}: 2n = {2 * n}")
        ax.set_xlabel("lambda / lambda_max   (lambda_max = min_i D_ii / sqrt(n))")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7, loc="lower left")
    axes[0][0].set_ylabel("s_lambda / 2n")
    fig.suptitle("Statistical dimension of exp(scale [Q;K][Q;K]^T), MiniLM-L6 heads")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _main(argv=None) -> int:  # pragma: no cover - regenerates the docs' figures and tables

    ap = argparse.ArgumentParser(description="Tables and plots of docs/real_attention.md")
    ap.add_argument("--img-dir", default="docs/img")
    args = ap.parse_args(argv)
    img = Path(args.img_dir)
    img.mkdir(parents=True, exist_ok=True)
    sets = {f"n = {n}": load_set(shipped_set_path(n)) for n in (128, 256)}
    reports = {lb: inspect_set(hs) for lb, hs in sets.items()}
    print(markdown_summary(reports))
    print()
    print(markdown_heads(reports["n = 256"]))
    print()
    for lb, rep in reports.items():
        for st in STATISTICS:
            mp = measured_parameters(rep, st)
            print(lb, st, {k: mp[k] for k in ("k", "s_lambda", "alpha")})
    print(plot_k_distribution(sets, img / "real_attention_k_mass.png"))
    print(plot_s_lambda(sets, img / "real_attention_s_lambda.png"))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
