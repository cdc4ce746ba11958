"""qattn-cirq: gate-level resource estimates and small-instance simulations of quantum attention.

Import packages: ``qattn_cirq`` (instances, classical reference, simulation, CLI), ``bloqs``
(Qualtran bloqs) and ``estimates`` (logical / physical / classical cost models and reports).
"""

from qattn_cirq.errors import QattnInputError

__version__ = "0.1.0"

__all__ = ["QattnInputError", "__version__"]
