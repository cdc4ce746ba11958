"""Build a row loader by its kind name (one of :data:`bloqs.loader_kinds.LOADER_KINDS`).

The factory needs every loader class, so it sits above both loader modules: :mod:`bloqs.loaders`
(the interface, the QROM loader, the assumed QRAM) and :mod:`bloqs.qroam` (the select-swap QROAM,
which builds on the interface and so cannot be imported back by :mod:`bloqs.loaders`). The
constructions and their costs are documented in those modules.
"""

from typing import Dict, Type

import numpy as np

from bloqs.loader_kinds import LOADER_KINDS
from bloqs.loaders import AssumedQRAMRowLoader, QROMRowLoader, RowLoader
from bloqs.qroam import QROAMRowLoader
from qattn_cirq.errors import QattnInputError

#: kind name -> loader class, in LOADER_KINDS order (a test checks the two agree)
_KIND_TO_CLS: Dict[str, Type[RowLoader]] = {
    "qrom": QROMRowLoader,
    "qroam": QROAMRowLoader,
    "assumed": AssumedQRAMRowLoader,
}


def make_row_loader(kind: str, *, n=None, d=None, bits=None, data=None, **kw) -> RowLoader:
    """Build a row loader by name (``kind`` in ``LOADER_KINDS``).

    Either pass concrete ``data`` (n x d ints; n and d are taken from it and, if also given, must
    agree) or sizes only (ints or sympy symbols) for a cost-only loader. Extra keyword arguments go
    to the loader (``log_block_size``, ``uncompute_log_block_size`` for qroam;
    ``toffolis_per_routed_bit`` for assumed).
    """
    if kind not in _KIND_TO_CLS:
        raise QattnInputError(f"loader must be one of {', '.join(LOADER_KINDS)}, got {kind!r}")
    if bits is None:
        raise QattnInputError("bits must be given (two's complement width >= 2)")
    if data is not None:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise QattnInputError(f"data must be an n x d integer array, got shape {arr.shape}")
        if n is not None and n != arr.shape[0]:
            raise QattnInputError(f"n={n} does not match data with {arr.shape[0]} rows")
        if d is not None and d != arr.shape[1]:
            raise QattnInputError(f"d={d} does not match data with {arr.shape[1]} columns")
        n, d = int(arr.shape[0]), int(arr.shape[1])
    if n is None or d is None:
        raise QattnInputError("n and d must be given when data is not")
    return _KIND_TO_CLS[kind](n=n, d=d, bits=bits, data=data, **kw)
