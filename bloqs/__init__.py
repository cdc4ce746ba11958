"""Qualtran bloqs for quantum attention algorithms (one concept per module).

Every public bloq is importable from the package, as Qualtran's own bloqs are
(``from bloqs import ThresholdOracle``, the ``import_line`` of its ``BloqDocSpec``). The exports
are lazy (PEP 562 module ``__getattr__``): ``import bloqs`` or ``import bloqs.loader_kinds`` loads
no Qualtran, so ``qattn --help`` stays fast; the first access of a name imports its module.
Examples and doc specs of every bloq: :mod:`bloqs.catalog`.
"""

from typing import Dict, Tuple

#: module -> the public bloq classes it defines (tests/bloqs/test_qualtran_checks.py checks that
#: this is every public Bloq subclass of the package)
_EXPORTS: Dict[str, Tuple[str, ...]] = {
    "bloqs.amplification": ("ReflectAboutZero", "PhaseFlip", "Diffusion", "AmplificationIterate",
                            "RepeatedIterate", "AmplifiedPrepare"),
    "bloqs.arithmetic": ("ClassicalInnerProduct", "ThresholdCompare", "CarrySaveInnerProduct",
                         "ConstantMultiply"),
    "bloqs.loaders": ("RowLoader", "QROMRowLoader", "AssumedQRAMRowLoader", "QRAMLookup"),
    "bloqs.qroam": ("ExactCSwap", "QROAMMeasurementUncompute", "QROAMCoherentUncompute",
                    "QROAMDeferredMeasurementUncompute", "RowUnload",
                    "QROAMRowLoader"),
    "bloqs.grover": ("UniformIndexPrepare", "IndexEquals", "IndexPhaseFlip", "GroverDiffusion",
                     "ThresholdOracle", "GroverIterate", "RepeatedGroverIterate", "GroverSearch",
                     "FindAllMarked"),
    "bloqs.sampling": ("UniformIndexAndCoin", "WeightThresholdFlag", "ImportanceSampler",
                       "RowNormSquaredOracle", "RidgeLeverageOracleCostModel"),
    "bloqs.kernel": ("ShiftAddMultiplier", "KernelExp"),
    "bloqs.mean_estimation": ("AmplitudeEstimation", "UnivariateMeanEstimation",
                              "MultivariateMeanEstimation", "CHJMeanEstimationCostModel"),
    "bloqs.nystrom": ("KernelOracleCostModel", "LandmarkFeatures", "NystromLandmarkSampling",
                      "LandmarkKernelMean"),
    "bloqs.qattention": ("VRowSampling", "QAttentionPreprocess", "QAttentionRowQuery"),
    "bloqs.attention": ("GroverSparseAttention",),
}
_MODULE_OF: Dict[str, str] = {name: mod for mod, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    mod = _MODULE_OF.get(name)
    if mod is None:
        raise AttributeError(f"module 'bloqs' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value  # later accesses skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
