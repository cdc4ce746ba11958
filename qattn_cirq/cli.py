"""The ``qattn`` command line: a thin layer over the Python API.

Each subcommand lives in its own module under :mod:`qattn_cirq.commands` and exposes

* ``ORDER`` (int): where it appears in ``qattn --help``;
* ``register(subparsers)``: adds its parser and sets ``func=run`` on it;
* ``run(args) -> int``: does the work and prints the result.

Modules are discovered, so adding a command never edits this file. Bad input raises
:class:`qattn_cirq.errors.QattnInputError`; ``main`` prints its one line to stderr and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from typing import Sequence

from qattn_cirq.errors import QattnInputError


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message to one line with the prog name."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message}\n")

    def parse_known_args(self, args=None, namespace=None):
        # A leaf (sub)command refuses what it does not know itself, so the message names the
        # command the flag was given to ("qattn estimate grover-sparse: error: unrecognized
        # arguments: --alpha 2") instead of argparse's top-level "qattn: error".
        namespace, extras = super().parse_known_args(args, namespace)
        if extras and self._subparsers is None:
            self.error("unrecognized arguments: " + " ".join(extras))
        return namespace, extras


def _command_modules():
    import qattn_cirq.commands as pkg

    mods = [importlib.import_module(f"{pkg.__name__}.{m.name}") for m in pkgutil.iter_modules(pkg.__path__)]
    return sorted((m for m in mods if hasattr(m, "register")), key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="qattn",
        description=(
            "Fault-tolerant resource estimates and qsim simulations of quantum attention algorithms: "
            "Grover sparse attention (Gao, Song, Yang, Zhang, arXiv 2307.08045) and sublinear "
            "QAttention (Song, Xue, Zhang, Zhang, arXiv 2602.00874). Every subcommand has --help."
        ),
    )
    from qattn_cirq import __version__

    parser.add_argument("--version", action="version", version=f"qattn-cirq {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _command_modules():
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except QattnInputError as exc:
        print(f"qattn {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qattn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        sys.stderr.close()
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
