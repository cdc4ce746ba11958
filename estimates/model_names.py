"""The physical models' and presets' names, as plain Python.

The command line builds its ``--model`` / ``--preset`` choices from these at start-up, without
importing the models themselves (sympy, scipy). The models in :mod:`estimates.physical` are keyed by
the same names; ``tests/estimates/test_physical.py`` checks that the two agree.
"""

from typing import Tuple

#: physical models (first = default)
MODELS: Tuple[str, ...] = ("ms", "gidney-fowler")
#: hardware presets of the Microsoft-estimator model (``estimates.physical.MS_QUBIT_PRESETS``)
MS_PRESETS: Tuple[str, ...] = (
    "qubit_gate_ns_e3", "qubit_gate_ns_e4", "qubit_gate_us_e3", "qubit_gate_us_e4", "qubit_maj_ns_e4", "qubit_maj_ns_e6",
)
#: presets of the Gidney-Fowler model (``estimates.physical.GF_PRESETS``)
GF_PRESETS: Tuple[str, ...] = ("gidney_fowler_e3", "gidney_fowler_e4")
#: every preset, as ``qattn physical --preset`` lists them
PRESETS: Tuple[str, ...] = MS_PRESETS + GF_PRESETS
