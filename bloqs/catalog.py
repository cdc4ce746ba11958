"""Every bloq example and doc spec of the ``bloqs`` package, for Qualtran's tools.

Qualtran's own bloqs each carry ``@bloq_example`` factories and a ``BloqDocSpec`` that its
developer tools collect (``dev_tools/qualtran_dev_tools/bloq_finder.py``) and run through
``qualtran.testing`` (``check_bloq_example_make``, ``check_bloq_example_decompose``,
``check_equivalent_bloq_example_counts``). This module is the same finder for this package, so a
user (or ``tests/bloqs/test_qualtran_checks.py``) can do::

    from bloqs.catalog import bloq_examples
    from qualtran.testing import check_equivalent_bloq_example_counts
    for ex in bloq_examples():
        print(ex.name, check_equivalent_bloq_example_counts(ex)[0])

:data:`BOOKKEEPING` is the generalizer the concrete examples pass to ``@bloq_example``: a call
graph lists the gates a bloq calls, its decomposition also holds Split / Join / Cast /
Allocate / Free wiring, which costs nothing; Qualtran's examples use the same two generalizers
(``qualtran.resource_counting.generalizers``).
"""

import importlib
from typing import List, Tuple

from qualtran.resource_counting.generalizers import ignore_alloc_free, ignore_split_join

#: generalizers dropping the zero-cost wiring (split, join, cast, allocate, free) from bloq counts
BOOKKEEPING = (ignore_split_join, ignore_alloc_free)

#: the modules that define bloqs (plain-Python name lists and factories aside)
BLOQ_MODULES: Tuple[str, ...] = (
    "bloqs.amplification",
    "bloqs.arithmetic",
    "bloqs.loaders",
    "bloqs.qroam",
    "bloqs.grover",
    "bloqs.sampling",
    "bloqs.kernel",
    "bloqs.mean_estimation",
    "bloqs.nystrom",
    "bloqs.qattention",
    "bloqs.attention",
)


def bloq_doc_specs() -> List["BloqDocSpec"]:  # noqa: F821
    """Every module-level ``BloqDocSpec`` in :data:`BLOQ_MODULES`, in module order."""
    from qualtran import BloqDocSpec

    specs = []
    for name in BLOQ_MODULES:
        mod = importlib.import_module(name)
        specs += [v for v in vars(mod).values() if isinstance(v, BloqDocSpec)]
    return specs


def bloq_examples() -> List["BloqExample"]:  # noqa: F821
    """Every module-level ``BloqExample`` in :data:`BLOQ_MODULES` (each listed once)."""
    from qualtran import BloqExample

    seen, out = set(), []
    for name in BLOQ_MODULES:
        mod = importlib.import_module(name)
        for v in vars(mod).values():
            if isinstance(v, BloqExample) and id(v) not in seen:
                seen.add(id(v))
                out.append(v)
    return out


def public_bloq_classes(include_abstract: bool = False) -> List[type]:
    """Every public (no leading underscore) ``Bloq`` subclass defined in :data:`BLOQ_MODULES`.

    Abstract interfaces (``bloqs.loaders.RowLoader``) are left out unless ``include_abstract``:
    they cannot be instantiated, so they have no example (as Qualtran's ``QROMBase``)."""
    import inspect

    from qualtran import Bloq

    out = []
    for name in BLOQ_MODULES:
        mod = importlib.import_module(name)
        for attr, v in vars(mod).items():
            if (inspect.isclass(v) and issubclass(v, Bloq) and v.__module__ == name
                    and not attr.startswith("_") and (include_abstract or not inspect.isabstract(v))):
                out.append(v)
    return out
