"""CLI subcommands, one module each (see :mod:`qattn_cirq.cli` for the protocol)."""
