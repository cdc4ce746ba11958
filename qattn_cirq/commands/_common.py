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
    """A tqdm progress bar on stderr; silent when stderr is not a terminal unless forced."""
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, file=sys.stderr, disable=disable, leave=False)
