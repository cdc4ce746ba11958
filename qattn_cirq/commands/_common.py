"""Helpers shared by the subcommand modules: output-format flag, printing, progress on stderr."""

from __future__ import annotations

import argparse
import decimal
import math
import re
import sys
from typing import Any

from qattn_cirq.output import FORMATS, render


def add_format_flag(parser: argparse.ArgumentParser, default: str = "json", choices=FORMATS) -> None:
    parser.add_argument(
        "--format", choices=choices, default=default, help=f"output format (default: {default})"
    )


#: seeds reach ``numpy.random.default_rng`` (any integer >= 0) and the simulators, whose
#: ``numpy.random.RandomState`` takes 0 <= seed <= 2**32 - 1 (qsimcirq 0.x refuses 2**32 with
#: "Seed must be between 0 and 2**32 - 1"), so the flag allows the narrower range.
SEED_MAX = 2**32 - 1


def seed_type(text: str) -> int:
    """argparse ``type=`` for ``--seed``: an integer in [0, 2**32 - 1].

    Refuses ``-1`` (numpy's "expected non-negative integer" otherwise surfaces without the flag
    name), ``1.5`` and ``x`` with one line naming ``--seed`` and the range (argparse prefixes
    ``argument --seed:`` to the ``ArgumentTypeError`` message and exits 2).
    """
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, {SEED_MAX}]; got {text!r}") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, {SEED_MAX}]; got {value}")
    return value


def exact_int(text: str) -> int:
    """argparse ``type=`` for a non-negative integer that stays exact however large.

    Accepts ``int`` syntax (``12345678901234567891`` stays that number, past 2^53), decimal
    exponent syntax read as an exact decimal (``1e30`` is 10^30, not the float nearest it; ``2.5e3``
    is 2500) and powers of two ``2^K`` / ``2**K``, and only when the value is a finite whole number
    >= 0. ``inf``, ``nan``, ``1.5``, ``-3`` give argparse's one-line error naming the flag (exit 2).
    Sizes past 1e400 are refused here: building such an int would take longer than any estimate.
    """
    t = text.strip().replace("_", "")
    power = re.fullmatch(r"2(?:\^|\*\*)(\d{1,4})", t)
    if power:
        return 2 ** int(power.group(1))
    try:
        v = int(t)
    except ValueError:
        try:
            x = decimal.Decimal(t)
        except decimal.InvalidOperation:
            raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
        # adjusted() bounds the digits before building the int (1e999999999 would take a gigabyte)
        if not x.is_finite() or x != x.to_integral_value():
            raise argparse.ArgumentTypeError(f"expected a finite non-negative integer, got {text!r}")
        if x.adjusted() > 400:
            raise argparse.ArgumentTypeError(f"expected a count below 1e400, got {text!r}")
        v = int(x)
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return v


#: the largest ``--n``: the schedules take float64 square roots of n (past ~1.8e308 they overflow) and
#: the physical models refuse counts past 1e100, which every algorithm passes long before n = 1e100
N_MAX = 10**100


def size_type(text: str) -> int:
    """argparse ``type=`` for ``--n``: :func:`exact_int` (``1e30`` = 10^30, ``2^40``), at most 1e100."""
    v = exact_int(text)
    if v > N_MAX:
        raise argparse.ArgumentTypeError(f"must be an integer <= 1e100 (float64 schedules); got {text!r}")
    return v


def workers_type(text: str) -> int:
    """argparse ``type=`` for ``--workers`` (simulate, report): an integer >= 1."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1; got {value}")
    return value


def real_type(lo: float, hi: float | None = None, lo_open: bool = True, hi_open: bool = False):
    """argparse ``type=`` for a finite real in an interval: ``(lo, hi]`` by default, ``hi=None``
    for no upper end.

    Checking at parse time makes the message name the flag (argparse prefixes ``argument
    --mass:``) instead of the library's parameter name (``masses must be ...``), and refuses before
    any data is loaded. ``nan`` and ``inf`` are refused: ``float()`` accepts them.
    """
    left, right = "(" if lo_open else "[", ")" if hi_open or hi is None else "]"
    allowed = f"{left}{lo:g}, {'inf' if hi is None else format(hi, 'g')}{right}"

    def parse(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number in {allowed}; got {text!r}") from None
        above = x > lo if lo_open else x >= lo
        below = hi is None or (x < hi if hi_open else x <= hi)
        if not (math.isfinite(x) and above and below):
            raise argparse.ArgumentTypeError(f"must be a number in {allowed}; got {text!r}")
        return x

    return parse


def emit(data: Any, fmt: str) -> None:
    print(render(data, fmt))


def progress(message: str) -> None:
    """One progress line on stderr (stdout stays machine-readable)."""
    print(message, file=sys.stderr, flush=True)


def progress_bar(iterable, desc: str, total: int | None = None, disable: bool | None = None):
    """Progress on stderr: a tqdm bar on a terminal, else one plain line per item (logs, CI).

    ``disable=True`` silences it.
    """
    if disable:
        return iterable
    if sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(iterable, desc=desc, total=total, file=sys.stderr, leave=False)
    return _progress_lines(iterable, desc, total)


def _progress_lines(iterable, desc: str, total: int | None):
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    for i, item in enumerate(iterable, 1):
        yield item
        progress(f"{desc}: {i}/{total}" if total is not None else f"{desc}: {i}")
