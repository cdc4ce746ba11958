"""Attention problem instances: Q, K, V, the score scale, .npz I/O, planted instances, fixed point.

An :class:`AttentionInstance` holds the query, key and value matrices ``Q, K, V`` (each ``n x d``)
and a positive ``scale``; the attention matrix is ``A = exp(scale * Q K^T)`` (entrywise) and the
attention output is ``D^{-1} A V`` with ``D = diag(A 1_n)`` (arXiv 2307.08045 Def. 1.1 uses
``scale = 1``; transformers use ``1/sqrt(d)``, arXiv 2602.00874 eq. (1)).

Three further tools live here:

* :func:`planted_instance` builds instances whose scores satisfy the Gao-Song-Yang-Zhang
  (tau, k)-goodness conditions *exactly* (arXiv 2307.08045 Sec. 1, Theorem 1.3): every row ``i``
  of ``scale * Q K^T`` has exactly ``k`` entries ``>= tau`` (the set ``S_i``) and every other entry
  lies in ``[-eta, 0]``. The construction is explained on the function. :func:`random_instance`
  is the seeded Gaussian instance of the QAttention pipeline.
* :func:`quantize` turns a real matrix into ``b``-bit two's complement integers with one scale per
  matrix (a power of two by default, so the integers are a binary fixed-point format), and always
  reports the worst rounding error; ``strict=True`` refuses lossy input instead of rounding it.
* :func:`load_npz` / :meth:`AttentionInstance.save_npz` read and write ``.npz`` archives with
  arrays ``Q``, ``K``, ``V`` and an optional scalar ``scale``.

All bad user input raises :class:`qattn_cirq.errors.QattnInputError` with a one-line message.
"""

from __future__ import annotations

import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Iterator

import attrs
import numpy as np

from qattn_cirq.errors import QattnInputError

__all__ = [
    "AttentionInstance",
    "score_block",
    "FixedPoint",
    "PlantedInstance",
    "QuantizedInstance",
    "atomic_savez",
    "load_npz",
    "planted_instance",
    "quantize",
    "random_instance",
]


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _check_scale(scale) -> float:
    try:
        value = float(scale)
    except (TypeError, ValueError):
        raise QattnInputError(f"scale must be a finite real number > 0; got {scale!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise QattnInputError(f"scale must be a finite real number > 0; got {value!r}")
    return value


def _as_matrix(name: str, value) -> np.ndarray:
    """A read-only float64 copy of ``value``; raises on non-numeric, complex or non-2-D input."""
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise QattnInputError(f"{name} must be a real numeric array; got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise QattnInputError(f"{name} must be real; got complex dtype {arr.dtype}")
    if arr.ndim != 2:
        raise QattnInputError(f"{name} must be a 2-D array of shape (n, d); got shape {arr.shape}")
    out = np.array(arr, dtype=np.float64, copy=True)
    bad = ~np.isfinite(out)
    if bad.any():
        r, c = (int(x) for x in np.argwhere(bad)[0])
        raise QattnInputError(
            f"{name} contains NaN or infinite values ({int(bad.sum())} of them, first at row {r}, "
            f"column {c}); all entries must be finite"
        )
    out.setflags(write=False)
    return out


def _check_int(name: str, value, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise QattnInputError(f"{name} must be an integer; got {value!r}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise QattnInputError(f"{name} must be {rng}; got {value}")
    return value


def _check_real(name: str, value, *, positive: bool = False, nonneg: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise QattnInputError(f"{name} must be a finite real number; got {value!r}") from None
    if not math.isfinite(x):
        raise QattnInputError(f"{name} must be finite; got {x!r}")
    if positive and x <= 0:
        raise QattnInputError(f"{name} must be > 0; got {x!r}")
    if nonneg and x < 0:
        raise QattnInputError(f"{name} must be >= 0; got {x!r}")
    return x


def _check_scores_finite(Q: np.ndarray, K: np.ndarray, scale: float) -> None:
    """Refuse ``Q, K, scale`` whose scores ``scale * Q K^T`` may overflow float64.

    :func:`score_block` accumulates ``sum_k q_ik k_jk`` left to right and multiplies by ``scale``
    last; every partial sum and the scaled result are bounded by
    ``B = max(1, scale) * sum_k max_i |Q_ik| max_j |K_jk|`` (<= ``max(1, scale) * max|Q| * max|K| * d``).
    If ``B`` is finite no score can be inf/nan (large finite scores are fine: exact attention
    subtracts the row maximum before ``exp``). ``B`` is computed in logs, so the check itself cannot
    overflow; without it finite entries such as 1e200 give inf scores and end in an unrelated
    ``LinAlgError`` downstream.
    """
    cq = np.max(np.abs(Q), axis=0)
    ck = np.max(np.abs(K), axis=0)
    nz = (cq > 0) & (ck > 0)
    if not np.any(nz):
        return
    logs = np.log(cq[nz]) + np.log(ck[nz])
    top = float(np.max(logs))
    log_bound = top + math.log(float(np.sum(np.exp(logs - top)))) + max(0.0, math.log(scale))
    # a small margin for rounding in the accumulation (each step is within 1 ulp)
    if log_bound >= math.log(np.finfo(np.float64).max) - 1e-6:
        raise QattnInputError(
            "scores overflow float64: max(1, scale) * sum_k max|Q[:, k]| * max|K[:, k]| = "
            f"10^{log_bound / math.log(10):.1f} > {np.finfo(np.float64).max:.3g}; rescale Q, K or scale"
        )


def score_block(Q_rows: np.ndarray, K_rows: np.ndarray, scale: float) -> np.ndarray:
    """``scale * Q_rows K_rows^T`` with a fixed, data-independent order of floating-point operations.

    Entry ``(i, j)`` is ``scale * (((q_i0 k_j0 + q_i1 k_j1) + q_i2 k_j2) + ...)``, each product and
    sum rounded once, left to right over the ``d`` coordinates. BLAS matrix products may block the
    sum differently for different shapes, so the same score could differ in its last bit between a
    full ``Q K^T`` and a query against a subset of keys; with this order every caller (brute
    force, the half-space tree, planted-instance checks) gets bit-identical scores, and ties at
    ``score == tau`` are decided the same way everywhere. Cost ``O(|Q_rows| |K_rows| d)``.
    """
    Q_rows = np.asarray(Q_rows, dtype=np.float64)
    K_rows = np.asarray(K_rows, dtype=np.float64)
    acc = np.multiply.outer(Q_rows[:, 0], K_rows[:, 0])
    for col in range(1, Q_rows.shape[1]):
        acc += np.multiply.outer(Q_rows[:, col], K_rows[:, col])
    return scale * acc


# --------------------------------------------------------------------------------------------
# fixed point
# --------------------------------------------------------------------------------------------


@attrs.frozen(eq=False)
class FixedPoint:
    """A matrix stored as ``b``-bit two's complement integers times one real scale.

    ``values ~= ints * scale`` with every entry of ``ints`` in ``[-2^(b-1), 2^(b-1) - 1]``.

    Attributes:
        ints: int64 array of the signed integers (the two's complement *values*, not bit patterns).
        scale: the per-matrix scale (a power of two when ``frac_bits`` is not None).
        bits: the word size ``b`` (sign bit included).
        max_abs_error: ``max |M - ints * scale|`` over the entries of the original matrix ``M``.
        frac_bits: ``f`` with ``scale == 2**-f`` when the scale is a power of two, else None; ``f``
            may be negative (the integers then count multiples of ``2**|f|``).
    """

    ints: np.ndarray
    scale: float
    bits: int
    max_abs_error: float
    frac_bits: int | None = None

    @property
    def values(self) -> np.ndarray:
        """The represented real matrix ``ints * scale``."""
        return self.ints.astype(np.float64) * self.scale

    @property
    def exact(self) -> bool:
        """True when quantization lost nothing."""
        return self.max_abs_error == 0.0

    def twos_complement(self) -> np.ndarray:
        """Unsigned bit patterns ``ints mod 2^b`` (what a QROM stores for negative data)."""
        return np.mod(self.ints, 1 << self.bits).astype(np.int64)


def _pow2(e: int) -> float:
    """``2^e`` as a float, ``inf`` past the float64 range (so comparisons still work)."""
    return math.inf if e > 1023 else math.ldexp(1.0, e)


def quantize(
    M,
    bits: int,
    *,
    mode: str = "pow2",
    scale: float | None = None,
    strict: bool = False,
    tol: float = 0.0,
) -> FixedPoint:
    """Quantize ``M`` to ``bits``-bit two's complement with one scale for the whole matrix.

    The scale is chosen so the largest ``|M_ij|`` fits in ``2^(b-1) - 1`` units:

    * ``mode="pow2"`` (default): ``scale = 2^ceil(log2(max|M| / (2^(b-1) - 1)))``, a binary fixed
      point with ``frac_bits = -log2(scale)`` fractional bits, the format the arithmetic bloqs use;
    * ``mode="real"``: ``scale = max|M| / (2^(b-1) - 1)`` (the finest uniform grid that fits);
    * ``scale=s`` given explicitly: that scale; entries that do not fit in ``b`` bits raise.

    Entries are rounded to the nearest integer (ties to even), so the error per entry is at most
    ``scale / 2``; the actual worst error is always returned in ``max_abs_error``. With
    ``strict=True`` the call refuses (raises :class:`QattnInputError`) when that error exceeds
    ``tol`` instead of rounding silently. An all-zero matrix gets ``scale = 1`` and error 0.

    Cost: ``O(size of M)``.
    """
    bits = _check_int("bits", bits, 2, 62)
    if mode not in ("pow2", "real"):
        raise QattnInputError(f"mode must be 'pow2' or 'real'; got {mode!r}")
    tol = _check_real("tol", tol, nonneg=True)
    arr = np.asarray(M)
    if arr.dtype == object or np.iscomplexobj(arr) or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        raise QattnInputError(f"M must be a real numeric array; got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise QattnInputError("M contains NaN or infinite values; cannot quantize")
    top = (1 << (bits - 1)) - 1
    amax = float(np.max(np.abs(arr))) if arr.size else 0.0
    frac_bits: int | None
    if scale is not None:
        s = _check_real("scale", scale, positive=True)
        e = math.log2(s)
        frac_bits = -int(e) if float(e).is_integer() else None
    elif amax == 0.0:
        s, frac_bits = 1.0, 0
    elif mode == "pow2":
        # smallest power of two s with amax / s <= top (the loops correct log2 rounding)
        e = math.ceil(math.log2(amax / top))
        while amax / _pow2(e) > top:
            e += 1
        while e > -1074 and amax / _pow2(e - 1) <= top:
            e -= 1
        if e > 1023:
            raise QattnInputError(
                f"values up to {amax:.6g} need a scale beyond float64 with {bits} bits; use more bits"
            )
        s, frac_bits = math.ldexp(1.0, e), -e
    else:
        s, frac_bits = amax / top, None
    q = np.rint(arr / s)
    lo = -(1 << (bits - 1))
    if q.size and (q.max() > top or q.min() < lo):
        raise QattnInputError(
            f"values up to {amax:.6g} do not fit in {bits}-bit two's complement with scale {s:.6g} "
            f"(integers must lie in [{lo}, {top}])"
        )
    ints = q.astype(np.int64)
    err = float(np.max(np.abs(arr - ints.astype(np.float64) * s))) if arr.size else 0.0
    if strict and err > tol:
        raise QattnInputError(
            f"quantizing to {bits} bits (scale {s:.6g}) loses up to {err:.3g} > tol {tol:.3g}; "
            f"use more bits or strict=False to accept the rounding"
        )
    ints.setflags(write=False)
    return FixedPoint(ints=ints, scale=float(s), bits=bits, max_abs_error=err, frac_bits=frac_bits)


# --------------------------------------------------------------------------------------------
# the instance
# --------------------------------------------------------------------------------------------


@attrs.frozen(eq=False)
class QuantizedInstance:
    """Q, K, V in fixed point (one scale each) plus the score scale of the original instance."""

    Q: FixedPoint
    K: FixedPoint
    V: FixedPoint
    scale: float

    @property
    def max_abs_error(self) -> dict[str, float]:
        """Worst entrywise rounding error of each matrix."""
        return {"Q": self.Q.max_abs_error, "K": self.K.max_abs_error, "V": self.V.max_abs_error}

    @property
    def exact(self) -> bool:
        return self.Q.exact and self.K.exact and self.V.exact

    def dequantized(self) -> "AttentionInstance":
        """The instance the integers represent (``ints * scale`` for each matrix)."""
        return AttentionInstance(self.Q.values, self.K.values, self.V.values, scale=self.scale)


@attrs.frozen(eq=False)
class AttentionInstance:
    """One attention problem: ``Q, K, V`` (``n x d`` floats) and the score ``scale`` (> 0).

    Scores are ``scale * Q K^T``; ``A = exp(scores)``. Validation (raising
    :class:`QattnInputError`): each matrix 2-D with the same shape ``(n, d)``, ``n >= 2``,
    ``d >= 1``, all entries finite, ``scale`` finite and > 0, scores that cannot overflow float64
    (:func:`_check_scores_finite`). Arrays are stored as read-only float64
    copies, so an instance never changes after construction.
    """

    Q: np.ndarray = attrs.field(converter=lambda x: _as_matrix("Q", x))
    K: np.ndarray = attrs.field(converter=lambda x: _as_matrix("K", x))
    V: np.ndarray = attrs.field(converter=lambda x: _as_matrix("V", x))
    scale: float = attrs.field(default=1.0, converter=_check_scale)

    def __attrs_post_init__(self):
        n, d = self.Q.shape
        for name in ("K", "V"):
            shape = getattr(self, name).shape
            if shape != (n, d):
                raise QattnInputError(
                    f"{name} has shape {shape} but Q has shape {(n, d)}; Q, K, V must all be n x d"
                )
        if n < 2:
            raise QattnInputError(f"n (number of rows of Q, K, V) must be >= 2; got {n}")
        if d < 1:
            raise QattnInputError(f"d (number of columns of Q, K, V) must be >= 1; got {d}")
        _check_scores_finite(self.Q, self.K, self.scale)

    @property
    def n(self) -> int:
        return int(self.Q.shape[0])

    @property
    def d(self) -> int:
        return int(self.Q.shape[1])

    def scores(self) -> np.ndarray:
        """``scale * Q K^T`` (``n x n``), computed by :func:`score_block` (fixed summation order).

        Every threshold test in the project (large sets, the half-space tree, planted checks) uses
        these exact floating-point values, so ``score >= tau`` means the same thing everywhere.
        """
        return score_block(self.Q, self.K, self.scale)

    def quantized(
        self, bits: int, *, mode: str = "pow2", strict: bool = False, tol: float = 0.0
    ) -> QuantizedInstance:
        """Quantize Q, K and V separately (one scale per matrix); see :func:`quantize`."""
        return QuantizedInstance(
            Q=quantize(self.Q, bits, mode=mode, strict=strict, tol=tol),
            K=quantize(self.K, bits, mode=mode, strict=strict, tol=tol),
            V=quantize(self.V, bits, mode=mode, strict=strict, tol=tol),
            scale=self.scale,
        )

    def save_npz(self, path) -> Path:
        """Write arrays ``Q, K, V, scale`` to ``path`` atomically (temp file, then rename).

        Nothing is left at ``path`` if writing fails. Returns the path written.
        """
        path = Path(path)
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise QattnInputError(f"cannot write {path}: directory {parent} does not exist")
        atomic_savez(path, {"Q": self.Q, "K": self.K, "V": self.V, "scale": np.float64(self.scale)})
        return path


def atomic_savez(path, arrays: dict, *, compressed: bool = False) -> None:
    """Write ``arrays`` to the ``.npz`` file ``path`` atomically: a temp file beside it, then a rename.

    Nothing is left at ``path`` (and an existing file there is kept) if writing fails; an
    ``OSError`` becomes a one-line :class:`QattnInputError`. The file gets the permissions a plain
    ``open()`` would give (``mkstemp`` creates 0600). Used by :meth:`AttentionInstance.save_npz`
    and by :mod:`qattn_cirq.models` (``compressed=True``).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            (np.savez_compressed if compressed else np.savez)(fh, **arrays)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except OSError as exc:
        raise QattnInputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_npz(path) -> AttentionInstance:
    """Read an instance from a ``.npz`` archive with arrays ``Q``, ``K``, ``V`` and optional ``scale``.

    ``scale`` must be a single finite positive number (any array with one element); without it the
    scale is 1.0 (arXiv 2307.08045 Def. 1.1). Every problem raises a one-line
    :class:`QattnInputError`: missing file, not an .npz archive, missing arrays, wrong shapes,
    non-finite values.
    """
    path = Path(path)
    if not path.exists():
        raise QattnInputError(f"{path}: no such file")
    if path.is_dir():
        raise QattnInputError(f"{path} is a directory, not an .npz file")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise QattnInputError(
                f"{path} holds a single array, not an .npz archive with arrays Q, K, V"
            )
        with data:
            missing = [name for name in ("Q", "K", "V") if name not in data.files]
            if missing:
                raise QattnInputError(
                    f"{path} lacks array(s) {', '.join(missing)} (needs Q, K, V and optionally "
                    f"scale; found {', '.join(data.files) or 'none'})"
                )
            arrays = {name: data[name] for name in ("Q", "K", "V")}
            raw_scale = data["scale"] if "scale" in data.files else None
    except QattnInputError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise QattnInputError(f"{path} is not a readable .npz archive ({msg})") from None
    scale = 1.0
    if raw_scale is not None:
        arr = np.asarray(raw_scale)
        if arr.size != 1:
            raise QattnInputError(f"{path}: scale must be a single number; got shape {arr.shape}")
        if not (np.issubdtype(arr.dtype, np.number)) or np.iscomplexobj(arr):
            raise QattnInputError(f"{path}: scale must be a real number; got dtype {arr.dtype}")
        scale = float(arr.reshape(()))
    try:
        return AttentionInstance(arrays["Q"], arrays["K"], arrays["V"], scale=scale)
    except QattnInputError as exc:
        raise QattnInputError(f"{path}: {exc}") from None


# --------------------------------------------------------------------------------------------
# planted (tau, k)-good instances
# --------------------------------------------------------------------------------------------


@attrs.frozen(eq=False)
class PlantedInstance:
    """A planted instance and its ground truth; unpacks as ``inst, sets = planted_instance(...)``.

    Attributes:
        instance: the :class:`AttentionInstance`.
        sets: ``sets[i]`` is the sorted int array ``S_i`` of the ``k`` columns with score ``>= tau``.
        group: ``group[i]`` is the coordinate (group) row ``i`` queries; rows of a group share S_i.
        k, tau, eta: the parameters the instance satisfies exactly.
    """

    instance: AttentionInstance
    sets: list
    group: np.ndarray
    k: int
    tau: float
    eta: float

    def __iter__(self) -> Iterator:
        return iter((self.instance, self.sets))

    @property
    def product_threshold(self) -> float:
        """``tau / scale``: the threshold on the raw inner product ``<q_i, k_j>``."""
        return self.tau / self.instance.scale


def _pow2_grid(max_abs: float, bits: int) -> float:
    """Smallest power of two s with max_abs <= (2^(b-1) - 1) s (1.0 for max_abs == 0)."""
    if max_abs == 0:
        return 1.0
    top = (1 << (bits - 1)) - 1
    e = math.ceil(math.log2(max_abs / top))
    while max_abs / 2.0**e > top:
        e += 1
    return 2.0**e


def _real_layout(rng, n, d, m, group, group_sets, tau, eta, scale, bits):
    """Q, K, V of the real-valued construction (see :func:`planted_instance`)."""
    c = rng.uniform(1.0, 2.0, size=n)
    if bits is not None:
        # c in [1, 2] and 1 is on every grid of step <= 1, so rounding keeps c in [1, 2]
        c = np.rint(c / _pow2_grid(2.0, bits)) * _pow2_grid(2.0, bits)
    Q = np.zeros((n, d))
    Q[np.arange(n), group] = c
    K = np.zeros((n, d))
    t = np.empty(m)
    for g in range(m):
        rows = group == g
        t[g] = tau / (scale * c[rows].min())
        e_out = eta / (scale * c[rows].max())
        inside = np.zeros(n, dtype=bool)
        inside[group_sets[g]] = True
        K[inside, g] = t[g] * rng.uniform(1.0 + 1e-6, 2.0, size=inside.sum())
        K[~inside, g] = -rng.uniform(0.0, 1.0 - 1e-9, size=n - inside.sum()) * e_out
    if d > m:
        K[:, m:] = rng.uniform(-1.0, 1.0, size=(n, d - m)) * float(t.min())
    V = rng.standard_normal((n, d))
    if bits is not None:
        s_k = _pow2_grid(float(np.max(np.abs(K))), bits)
        # ceil keeps large entries >= their threshold; outside entries (<= 0) round towards 0
        # (np.ceil as well), so they stay in [-eta, 0]; noise columns round to nearest. A value
        # <= (2^(b-1) - 1) s_k never rounds past that grid point, so quantize stays exact.
        snapped = np.ceil(K / s_k) * s_k
        snapped[:, m:] = np.rint(K[:, m:] / s_k) * s_k
        K = snapped
        s_v = _pow2_grid(float(np.max(np.abs(V))), bits)
        V = np.rint(V / s_v) * s_v
    return Q, K, V


def _fraction_layout(rng, n, d, m, group, group_sets, tau, eta, bits):
    """Q, K, V as ``bits``-bit fractions in ``[-1, 1)`` (grid ``2^-(b-1)``), and the scale.

    Queries ``c_i`` and large key entries are grid values in ``[1/2, 1)``, so every large product
    ``c_i K[j, g] >= 1/4``; with ``scale = 4 tau`` (a power-of-two multiple of tau, exact in
    floating point) every large score is ``>= tau`` exactly, and the product threshold is
    ``tau / scale = 1/4 = 2^(2(b-1)-2)`` units of ``2^-2(b-1)``. Outside entries are grid values
    in ``[-eta / (scale c_max), 0]``, rounded towards 0 (often 0 on coarse grids).
    """
    unit = 2.0 ** -(bits - 1)
    top = 1.0 - unit
    half_steps = np.arange(0.5, top + unit / 2, unit)  # grid values in [1/2, 1)
    scale = 4.0 * tau
    c = rng.choice(half_steps, size=n)
    Q = np.zeros((n, d))
    Q[np.arange(n), group] = c
    K = np.zeros((n, d))
    for g in range(m):
        rows = group == g
        e_out = eta / (scale * c[rows].max())
        inside = np.zeros(n, dtype=bool)
        inside[group_sets[g]] = True
        K[inside, g] = rng.choice(half_steps, size=inside.sum())
        raw = -rng.uniform(0.0, 1.0, size=n - inside.sum()) * min(e_out, 1.0)
        K[~inside, g] = np.ceil(raw / unit) * unit
    if d > m:
        K[:, m:] = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), size=(n, d - m)) * unit
    V = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), size=(n, d)) * unit
    return Q, K + 0.0, V.astype(np.float64), scale


def planted_instance(
    n: int,
    d: int,
    k: int,
    tau: float,
    eta: float,
    seed: int | None = 0,
    scale: float | None = None,
    *,
    groups: int | None = None,
    bits: int | None = None,
    fraction: bool = False,
) -> PlantedInstance:
    """An instance that is exactly (tau, k)-good in the sense of arXiv 2307.08045 (Theorem 1.3).

    Guarantee (checked before returning): for every row ``i`` of ``scale * Q K^T`` exactly ``k``
    entries are ``>= tau`` (the set ``S_i``) and every other entry lies in ``[-eta, 0]``.

    Construction (why it is exact in any dimension ``d >= 1``). Rows are split into
    ``m = groups`` groups (default ``min(d, n)``; each group gets at least one row) and group ``g``
    draws a random ``k``-subset ``T_g`` of the keys. Query ``i`` in group ``g`` is
    ``q_i = c_i e_g`` with ``c_i`` uniform in ``[1, 2]``, so its scores are
    ``scale * c_i * K[j, g]``: only coordinate ``g`` of the keys matters. Coordinate ``g`` of key
    ``j`` is ``K[j, g] = t_g * f_j`` with ``t_g = tau / (scale * min_{i in g} c_i)`` and
    ``f_j`` uniform in ``[1 + 1e-6, 2]`` when ``j in T_g`` (score ``>= tau``), and
    ``K[j, g] = -u_j * eta / (scale * max_{i in g} c_i)`` with ``u_j`` uniform in
    ``[0, 1 - 1e-9]`` otherwise (score in ``[-eta, 0]``). The margins absorb floating-point
    rounding of ``scale * (Q @ K.T)``; a key may lie in several ``T_g``. Coordinates ``>= m`` of
    the keys (present when ``d > m``) are random noise: queries are zero there, so scores ignore
    them. ``V`` is standard normal.

    What ``d`` buys: the number of *distinct* sets is ``m <= min(d, n)``. With ``d = 1`` every row
    has the same ``S_i``, which is forced: a rank-one score matrix with entries ``<= 0`` outside
    ``S_i`` and ``>= tau > 0`` inside admits only one set (all queries share a sign). With
    ``d = 2`` there are two sets, with ``d >= n`` every row can have its own.

    Args:
        n, d: sizes (``n >= 2``, ``d >= 1``).
        k: planted set size, ``0 <= k <= n``.
        tau: threshold, finite and ``> 0`` (entries outside ``S_i`` are ``<= 0 < tau``).
        eta: outside entries lie in ``[-eta, 0]``; finite, ``>= 0``.
        seed: seed for ``numpy.random.default_rng``; same seed, same instance.
        scale: the instance's score scale (default 1.0).
        groups: number of distinct sets ``m``, ``1 <= m <= min(d, n)``.
        bits: if given, Q, K and V are snapped to power-of-two grids so that
            ``quantize(M, bits)`` is exact for each of them (large key entries round up, outside
            entries round towards zero, so the guarantee survives).
        fraction: with ``bits``, put Q, K and V on the ``bits``-bit fraction grid in ``[-1, 1)``
            (``quantize(M, bits, scale=2**-(bits-1))`` is exact) and set ``scale = 4 tau`` so that
            the product threshold ``tau / scale`` is exactly ``1/4``; see ``_fraction_layout``.
            This is the input format of the fixed-point bloqs.
    """
    n = _check_int("n", n, 2)
    d = _check_int("d", d, 1)
    k = _check_int("k", k, 0, n)
    tau = _check_real("tau", tau, positive=True)
    eta = _check_real("eta", eta, nonneg=True)
    if fraction:
        if bits is None:
            raise QattnInputError("fraction=True needs bits (the fraction width, >= 2)")
        if scale is not None:
            raise QattnInputError("scale must be left unset with fraction=True (it is 4 * tau)")
    scale = 1.0 if scale is None else _check_scale(scale)
    m = min(d, n) if groups is None else _check_int("groups", groups, 1, min(d, n))
    if bits is not None:
        bits = _check_int("bits", bits, 2, 26)
    rng = np.random.default_rng(seed)

    # group assignment: every group gets at least one row, the rest at random
    group = np.empty(n, dtype=np.int64)
    order = rng.permutation(n)
    group[order[:m]] = np.arange(m)
    group[order[m:]] = rng.integers(0, m, size=n - m)
    group_sets = [np.sort(rng.choice(n, size=k, replace=False)).astype(np.int64) for _ in range(m)]

    if fraction:
        Q, K, V, scale = _fraction_layout(rng, n, d, m, group, group_sets, tau, eta, bits)
    else:
        Q, K, V = _real_layout(rng, n, d, m, group, group_sets, tau, eta, scale, bits)

    if not np.isfinite(K).all():
        raise QattnInputError(
            f"tau / scale = {tau / scale:.3g} is too large: planted keys overflow float64"
        )
    sets = [group_sets[g] for g in group]
    K = _repair(Q, K, scale, group, group_sets, tau, eta)
    inst = AttentionInstance(Q, K, V, scale=scale)
    _verify_planted(inst, sets, tau, eta)
    return PlantedInstance(instance=inst, sets=sets, group=group, k=k, tau=tau, eta=eta)


def random_instance(n: int, d: int, seed: int | None = 0, spread: float = 0.5) -> AttentionInstance:
    """A seeded random instance for the QAttention pipeline: ``Q, K ~ spread N(0, 1)``,
    ``V ~ N(0, 1)``, ``scale = 1/sqrt(d)`` (arXiv:2602.00874 eq. (1)). Small ``spread`` keeps the
    kernel ``E = exp(scale X X^T)`` well scaled."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise QattnInputError(f"n must be an integer >= 2; got {n!r}")
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise QattnInputError(f"d must be an integer >= 1; got {d!r}")
    rng = np.random.default_rng(seed)
    Q = spread * rng.standard_normal((n, d))
    K = spread * rng.standard_normal((n, d))
    V = rng.standard_normal((n, d))
    return AttentionInstance(Q, K, V, scale=1.0 / math.sqrt(d))


def _row_chunks(n_rows: int, n_cols: int):
    """Row ranges whose score blocks hold about 4M floats (32 MB), so checks scale to large n."""
    step = max(1, (1 << 22) // max(n_cols, 1))
    for lo in range(0, n_rows, step):
        yield lo, min(n_rows, lo + step)


def _group_min_scores(Q, K, scale, group, m) -> np.ndarray:
    """``mins[g, j] = min over rows i of group g of score_ij`` (row chunks, O(n^2 d) time)."""
    mins = np.full((m, K.shape[0]), np.inf)
    for lo, hi in _row_chunks(Q.shape[0], K.shape[0]):
        s = score_block(Q[lo:hi], K, scale)
        gs = group[lo:hi]
        for g in np.unique(gs):
            np.minimum(mins[g], s[gs == g].min(axis=0), out=mins[g])
    return mins


def _repair(Q, K, scale, group, group_sets, tau, eta, rounds: int = 64) -> np.ndarray:
    """Fix the rare entries the relative margins miss (subnormal tau or eta, extreme scale).

    An outside entry below ``-eta`` is set to 0 (score 0 is always allowed); an inside entry
    below ``tau`` is doubled. Columns are shared by a group, so fixes apply to all its rows.
    """
    K = K.copy()
    m = len(group_sets)
    for _ in range(rounds):
        mins = _group_min_scores(Q, K, scale, group, m)
        changed = False
        for g, T in enumerate(group_sets):
            inside = np.zeros(K.shape[0], dtype=bool)
            inside[T] = True
            low_in = inside & (mins[g] < tau)
            low_out = ~inside & (mins[g] < -eta)
            if low_in.any():
                K[low_in, g] = np.maximum(2.0 * K[low_in, g], np.finfo(float).tiny)
                changed = True
            if low_out.any():
                K[low_out, g] = 0.0
                changed = True
        if not changed:
            break
    return K


def _verify_planted(inst: AttentionInstance, sets, tau: float, eta: float) -> None:
    """Check the guarantee on the exact scores, in row chunks (never an n x n array at once)."""
    n = inst.n
    for lo, hi in _row_chunks(n, n):
        s = score_block(inst.Q[lo:hi], inst.K, inst.scale)
        expected = np.zeros(s.shape, dtype=bool)
        for r, S in enumerate(sets[lo:hi]):
            expected[r, S] = True
        outside = np.where(expected, 0.0, s)
        if not np.array_equal(s >= tau, expected) or outside.min() < -eta or outside.max() > 0:
            raise RuntimeError(f"planted construction failed its own check in rows {lo}..{hi - 1}")
