"""Render command results as json, table, csv or latex.

Every CLI command builds a plain ``dict`` (JSON-serialisable: ints, floats, strings, lists, dicts,
None) and hands it to :func:`render`. Tables and CSV flatten nested dicts into dotted keys so that a
``logical.t_count`` column means the same thing in every format; lists become JSON text.

JSON and CSV are lossless (every int exact, every float its shortest round-trip repr): they are for
programs and for chaining. Table and latex are for people and round floats to 6 significant digits.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
from typing import Any, Iterable, Mapping

FORMATS = ("json", "table", "csv", "latex")


def to_jsonable(obj: Any) -> Any:
    """Turn numpy / sympy scalars and tuples into plain Python values for ``json.dumps``."""
    # numpy and sympy stay lazy: the CLI imports this module at start-up (qattn_cirq.commands._common)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a hard dependency
        np = None
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if np is not None:
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.floating):
            return to_jsonable(float(obj))
        if isinstance(obj, np.ndarray):
            return to_jsonable(obj.tolist())
    try:
        import sympy

        if isinstance(obj, sympy.Basic):
            if obj.is_Integer:
                return int(obj)
            if obj.is_number:
                return to_jsonable(float(obj))
            return str(obj)
    except ImportError:  # pragma: no cover
        pass
    return str(obj)


#: float64 holds every integer up to 2^53 exactly; past it, a count computed through floats has
#: digits that are rounding noise
EXACT_FLOAT_INT = 2**53


def floats_past_2_53(obj: Any) -> tuple[Any, bool]:
    """``obj`` (JSON-shaped) with every int past 2^53 as a float, and whether any was: for counts
    that went through float arithmetic, so that no digit printed is float noise shown as exact."""
    if isinstance(obj, bool):
        return obj, False
    if isinstance(obj, int):
        return (float(obj), True) if abs(obj) > EXACT_FLOAT_INT else (obj, False)
    if isinstance(obj, Mapping):
        pairs = {k: floats_past_2_53(v) for k, v in obj.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(c for _, c in pairs.values())
    if isinstance(obj, list):
        pairs = [floats_past_2_53(v) for v in obj]
        return [v for v, _ in pairs], any(c for _, c in pairs)
    return obj, False


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts into ``{"a.b": value}``; lists are kept as JSON text."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, prefix=name + "."))
        elif isinstance(value, (list, tuple)):
            out[name] = json.dumps(to_jsonable(value))
        else:
            out[name] = value
    return out


def _rows(data: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(data, Mapping):
        return [flatten(to_jsonable(data))]
    return [flatten(to_jsonable(row)) for row in data]


def format_number(value: Any, digits: int = 3, none: str = "-", exact_ints: bool = False) -> str:
    """A number for a human-read table: ``digits`` significant digits; integers (and integral
    floats) below 10^6 in full; larger integers in full only with ``exact_ints`` (gate counts in
    ``--format table``), else in ``e`` notation; ``None`` as ``none``."""
    if value is None:
        return none
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value)) if exact_ints or abs(value) < 10**6 else f"{value:.{digits}e}"
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.{digits}g}"


def _cell(value: Any) -> str:
    """A cell of ``--format table|latex`` (read by people): integers exact, floats to 6 digits, None empty."""
    return format_number(value, digits=6, none="", exact_ints=True)


def _csv_cell(value: Any) -> str:
    """A cell of ``--format csv`` (read by programs), lossless: integers exact, floats as Python's
    shortest round-trip ``repr`` (``float(cell) == value`` bit for bit; 6 digits lost information,
    issue 14), None empty, booleans ``true`` / ``false`` as in the JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "%": r"\%", "&": r"\&",
                  "#": r"\#", "$": r"\$", "^": r"\^{}", "~": r"\~{}"}


def _latex_escape(text: str) -> str:
    """``text`` as LaTeX source that prints it: every special character escaped (a JSON list in a
    cell has braces; a formula string has ``^``), in one pass so no escape is escaped again."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def render(data: Any, fmt: str) -> str:
    """Render ``data`` (a dict, or a list of dicts for multi-row tables) in ``fmt``."""
    if fmt == "json":
        return json.dumps(to_jsonable(data), indent=2)
    rows = _rows(data)
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_cell(row.get(k)) for k in keys})
        return buf.getvalue().rstrip("\n")
    if fmt == "table":
        if len(rows) == 1:
            width = max(len(k) for k in keys) if keys else 0
            return "\n".join(f"{k:<{width}}  {_cell(rows[0][k])}" for k in keys)
        widths = [max(len(k), *(len(_cell(r.get(k))) for r in rows)) for k in keys]
        lines = ["  ".join(k.ljust(w) for k, w in zip(keys, widths))]
        lines.append("  ".join("-" * w for w in widths))
        for r in rows:
            lines.append("  ".join(_cell(r.get(k)).ljust(w) for k, w in zip(keys, widths)))
        return "\n".join(lines)
    if fmt == "latex":
        esc = _latex_escape

        if len(rows) == 1:
            body = [f"{esc(k)} & {esc(_cell(rows[0][k]))} \\\\" for k in keys]
            head = r"\begin{tabular}{ll}" + "\n" + r"\hline quantity & value \\ \hline"
        else:
            body = [" & ".join(esc(_cell(r.get(k))) for k in keys) + r" \\" for r in rows]
            head = (
                r"\begin{tabular}{" + "l" * len(keys) + "}\n\\hline "
                + " & ".join(esc(k) for k in keys) + r" \\ \hline"
            )
        return "\n".join([head, *body, r"\hline", r"\end{tabular}"])
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
