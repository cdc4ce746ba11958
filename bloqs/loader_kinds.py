"""The row-loader names: the one place a loader kind is spelled.

A loader kind names how row ``j`` of a classical table reaches a quantum register (the bloqs are in
:mod:`bloqs.loaders` and :mod:`bloqs.qroam`; :func:`bloqs.loader_factory.make_row_loader` builds
one by name):

* ``qrom``: unary-iteration QROM, Babbush et al. 2018 (arXiv:1805.03662, Sec. III.A), gate level;
* ``qroam``: clean select-swap QROAM, Berry et al. 2019 (arXiv:1902.02134, App. B and C), gate level;
* ``assumed``: the papers' polylog-cost QRAM, a cost model (bucket brigade, Giovannetti, Lloyd,
  Maccone, arXiv:0708.1879).

Every list of loader names in the code base (CLI choices, estimators, the report's sweep) is
:data:`LOADER_KINDS` or one of the subsets below. This module is plain Python on purpose: the CLI
builds its argument parsers from these names at start-up, before (and without) importing Qualtran.
"""

from typing import Tuple

#: every row-loader kind, in the order the CLI and reports list them (first = default)
LOADER_KINDS: Tuple[str, ...] = ("qrom", "qroam", "assumed")

# Subsets of LOADER_KINDS (tests/bloqs/test_loaders.py checks that they are).
#: kinds the sublinear QAttention / Nystrom cost models support (they have no select-swap variant)
QATTENTION_LOADERS: Tuple[str, ...] = ("qrom", "assumed")
#: kinds whose circuits the qsim pipelines simulate end to end: both gate-level loaders. QROAM's
#: uncompute measures and applies classically controlled fix-ups, which qsim rejects; the export
#: (qattn_cirq.simulate.bloq_to_cirq) runs its deferred-measurement equivalent instead
#: (bloqs.qroam.QROAMDeferredMeasurementUncompute). The assumed QRAM is a cost model with no gates.
SIMULABLE_LOADERS: Tuple[str, ...] = ("qrom", "qroam")
