"""Helpers shared by the subcommand modules: output-format flag, printing, progress on stderr."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from qattn_cirq.output import FORMATS, render


def add_format_flag(parser: argparse.ArgumentParser, default: str = "json", choices=FORMATS) -> None:
    parser.add_argument(
        "--format", choices=choices, default=default, help=f"output format (default: {default})"
    )


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
