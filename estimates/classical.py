"""Classical baseline: exact attention on a GPU, and the classical twins of the quantum algorithms.

Counting conventions (one FLOP = one add, multiply, compare, exp or divide; a multiply-add is 2):

Exact attention, one head, ``n`` queries, ``n`` keys, head dimension ``d`` (value dimension ``d``):

* ``S = scale * Q K^T``: ``2 n^2 d`` (matmul) + ``n^2`` (scaling);
* row softmax, numerically stable: row max ``n^2``, subtract ``n^2``, exp ``n^2``, row sum ``n^2``,
  normalise ``n^2`` (FlashAttention folds the normalisation into the output, same count);
* ``P V``: ``2 n^2 d``.

Total ``4 n^2 d + 6 n^2`` per head. Bytes moved: an IO-aware kernel (FlashAttention, Dao et al.
arXiv:2205.14135; FlashAttention-3, Shah et al. arXiv:2407.08608) reads ``Q, K, V`` and writes ``O``
once: ``4 n d`` elements; a naive kernel also writes and reads ``S`` and ``P``: ``+ 4 n^2``.
GPU time is the roofline ``max(FLOPs / (peak * f_c), bytes / (bandwidth * f_m))``.

Presets (dense, no sparsity):

* ``h100-sxm``: 989.4 TFLOP/s BF16/FP16 Tensor Core, 3.35 TB/s HBM3 (NVIDIA H100 Tensor Core GPU
  datasheet, SXM5 column: "BF16 Tensor Core 1,979 teraFLOPS*" with "*with sparsity", i.e. 989.4
  dense; "GPU memory bandwidth 3.35TB/s"). Achieved fraction 0.75: FlashAttention-3 reaches about
  740 TFLOP/s in FP16 on H100 (arXiv:2407.08608, abstract).
* ``h200-sxm``: same compute, 4.8 TB/s HBM3e (NVIDIA H200 datasheet).
* ``a100-sxm``: 312 TFLOP/s BF16 dense, 2.039 TB/s (NVIDIA A100 80GB SXM datasheet); fraction
  0.7 (FlashAttention-2 reports up to 73% of peak on A100, arXiv:2307.08691).

Classical twins (arXiv 2307.08045 Sec. 4-5):

* sparse + rank-one output given the large sets ``S_i`` (``|S_i| <= k``), as
  :func:`qattn_cirq.reference.sparse_rank_one_attention` computes it: scores on ``S_i`` ``2nkd``,
  weights (exp + sum) ``2nk``, weighted sum of ``V_S`` ``2nkd``, column sums of ``V_S`` ``nkd``,
  combine with the all-ones tail ``2nd``, normalise ``nd``, one global column sum ``nd``:
  ``5nkd + 2nk + 4nd``;
* finding the ``S_i`` by half-space range reporting: worst-case optimal structures answer a query in
  ``O(n^{1 - 1/floor(d/2)} + k)`` (Matousek 1992, partition trees); we charge ``2d`` FLOPs per key
  touched, ``n (n^{1 - 1/floor(d/2)} + k) 2d`` in all (constant 1, stated as an optimistic model;
  for ``d = 128`` the exponent is ``63/64`` and this is barely below the brute-force ``2 n^2 d``).

Classical work of a quantum algorithm (QAttention's post-processing and row queries, arXiv
2602.00874): :func:`classical_work_time` times given FLOPs and bytes on the same roofline as the
baseline (:func:`roofline_time_s`); :func:`data_structure_queries` charges ``q`` queries to a
classical data structure of ``structure_bytes``: batched (the default, as the baseline's IO-aware
kernel: the structure is read once and stays on chip, each query streams its own ``io_bytes``) or
one query at a time (each re-reads the structure).
"""

from __future__ import annotations

from typing import Any, Dict, Union

import attrs
import sympy

from qattn_cirq.errors import QattnInputError

Num = Union[int, float, sympy.Expr]


@attrs.frozen
class GPU:
    """A GPU for the roofline model."""

    name: str
    peak_tflops: float
    memory_bandwidth_tb_s: float
    compute_fraction: float
    memory_fraction: float
    source: str

    def __attrs_post_init__(self):
        for f in ("peak_tflops", "memory_bandwidth_tb_s"):
            if not getattr(self, f) > 0:
                raise QattnInputError(f"{f} must be > 0, got {getattr(self, f)}")
        for f in ("compute_fraction", "memory_fraction"):
            if not 0 < getattr(self, f) <= 1:
                raise QattnInputError(f"{f} must be in (0, 1], got {getattr(self, f)}")

    def as_dict(self) -> Dict[str, Any]:
        return attrs.asdict(self)


GPU_PRESETS: Dict[str, GPU] = {
    "h100-sxm": GPU("NVIDIA H100 SXM5 (BF16 dense)", 989.4, 3.35, 0.75, 0.8,
                    "NVIDIA H100 Tensor Core GPU datasheet; fraction from FlashAttention-3 arXiv:2407.08608"),
    "h200-sxm": GPU("NVIDIA H200 SXM (BF16 dense)", 989.4, 4.8, 0.75, 0.8,
                    "NVIDIA H200 Tensor Core GPU datasheet; fraction from FlashAttention-3 arXiv:2407.08608"),
    "a100-sxm": GPU("NVIDIA A100 80GB SXM (BF16 dense)", 312.0, 2.039, 0.7, 0.8,
                    "NVIDIA A100 datasheet; fraction from FlashAttention-2 arXiv:2307.08691"),
}


def get_gpu(gpu: Union[str, GPU] = "h100-sxm") -> GPU:
    if isinstance(gpu, GPU):
        return gpu
    if gpu not in GPU_PRESETS:
        raise QattnInputError(f"gpu must be one of {', '.join(GPU_PRESETS)}, got {gpu!r}")
    return GPU_PRESETS[gpu]


def _check_nd(n, d):
    for name, v in (("n", n), ("d", d)):
        if isinstance(v, sympy.Basic):
            continue
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise QattnInputError(f"{name} must be an integer >= 1, got {v!r}")


def attention_flops(n: Num, d: Num) -> Dict[str, Num]:
    """FLOPs of exact softmax attention for one head (terms and total ``4 n^2 d + 6 n^2``)."""
    _check_nd(n, d)
    terms = {
        "qk_matmul": 2 * n**2 * d,
        "scale": n**2,
        "softmax": 5 * n**2,
        "pv_matmul": 2 * n**2 * d,
    }
    terms["total"] = sum(terms.values())
    return terms


def attention_bytes(n: Num, d: Num, bytes_per_element: int = 2, kernel: str = "flash") -> Num:
    """Bytes moved to and from GPU memory by one head of attention."""
    _check_nd(n, d)
    if kernel == "flash":
        return 4 * n * d * bytes_per_element
    if kernel == "naive":
        return (4 * n * d + 4 * n**2) * bytes_per_element
    raise QattnInputError(f"kernel must be flash or naive, got {kernel!r}")


def roofline_time_s(flops: Num, nbytes: Num, gpu: Union[str, GPU] = "h100-sxm") -> Dict[str, Any]:
    """``max(compute, memory)`` time on ``gpu`` (sympy ``Max`` for symbolic inputs)."""
    g = get_gpu(gpu)
    t_c = flops / (g.peak_tflops * 1e12 * g.compute_fraction)
    t_m = nbytes / (g.memory_bandwidth_tb_s * 1e12 * g.memory_fraction)
    if isinstance(t_c, sympy.Basic) or isinstance(t_m, sympy.Basic):
        t = sympy.Max(t_c, t_m)
    else:
        t = max(t_c, t_m)
    return {"time_s": t, "compute_time_s": t_c, "memory_time_s": t_m}


def attention_gpu_time(
    n: Num, d: Num, gpu: Union[str, GPU] = "h100-sxm", heads: int = 1, kernel: str = "flash",
    bytes_per_element: int = 2,
) -> Dict[str, Any]:
    """GPU time of exact attention (``heads`` independent heads, roofline per the module docstring)."""
    if not (isinstance(heads, int) and heads >= 1):
        raise QattnInputError(f"heads must be an integer >= 1, got {heads!r}")
    fl = attention_flops(n, d)
    nb = attention_bytes(n, d, bytes_per_element, kernel)
    rt = roofline_time_s(heads * fl["total"], heads * nb, gpu)
    g = get_gpu(gpu)
    return {
        "flops": heads * fl["total"],
        "flops_terms": fl,
        "bytes": heads * nb,
        **rt,
        "bound": None if isinstance(rt["time_s"], sympy.Basic) else ("compute" if rt["compute_time_s"] >= rt["memory_time_s"] else "memory"),
        "gpu": g.as_dict(),
        "kernel": kernel,
        "heads": heads,
    }


def sparse_rank_one_flops(n: Num, d: Num, k: Num) -> Num:
    """FLOPs of the sparse + rank-one output given the large sets: ``5nkd + 2nk + 4nd``."""
    _check_nd(n, d)
    return 5 * n * k * d + 2 * n * k + 4 * n * d


def halfspace_reporting_flops(n: Num, d: Num, k: Num) -> Num:
    """Optimistic half-space reporting model: ``n (n^{1 - 1/floor(d/2)} + k) 2d`` FLOPs."""
    _check_nd(n, d)
    if isinstance(d, sympy.Basic):
        exponent = 1 - sympy.Integer(1) / sympy.Max(1, sympy.floor(d / 2))
    else:
        exponent = 1 - 1 / max(1, d // 2)
    return n * (n**exponent + k) * 2 * d


def classical_twin_costs(n: Num, d: Num, k: Num, gpu: Union[str, GPU] = "h100-sxm", bytes_per_element: int = 2) -> Dict[str, Any]:
    """FLOPs and roofline GPU time of the classical twin (half-space reporting + sparse/rank-one)."""
    f_sparse = sparse_rank_one_flops(n, d, k)
    f_hs = halfspace_reporting_flops(n, d, k)
    # bytes: read Q, K, V and write O once, plus the k selected key/value rows per query
    nb = (4 * n * d + 2 * n * k * d) * bytes_per_element
    total = f_sparse + f_hs
    rt = roofline_time_s(total, nb, gpu)
    return {
        "sparse_rank_one_flops": f_sparse,
        "halfspace_reporting_flops": f_hs,
        "flops": total,
        "bytes": nb,
        **rt,
    }


def classical_work_time(flops: Num, nbytes: Num, gpu: Union[str, GPU] = "h100-sxm") -> Dict[str, Any]:
    """``flops`` FLOPs moving ``nbytes`` bytes on the classical model: the baseline's roofline
    (:func:`roofline_time_s`) plus the inputs, the bound and the GPU, as :func:`attention_gpu_time`."""
    rt = roofline_time_s(flops, nbytes, gpu)
    symbolic = isinstance(rt["time_s"], sympy.Basic)
    return {
        "flops": flops,
        "bytes": nbytes,
        **rt,
        "bound": None if symbolic else ("compute" if rt["compute_time_s"] >= rt["memory_time_s"] else "memory"),
        "gpu": get_gpu(gpu).name,
    }


def data_structure_queries(
    flops_per_query: Num, structure_bytes: Num, io_bytes_per_query: Num, queries: Num = 1,
    gpu: Union[str, GPU] = "h100-sxm", batched: bool = True,
) -> Dict[str, Any]:
    """Time of ``queries`` queries to a classical data structure on the classical model.

    FLOPs ``queries x flops_per_query``; bytes ``structure_bytes + queries x io_bytes_per_query``
    when ``batched`` (the structure is read once, as the IO-aware baseline reads Q, K, V once), else
    ``queries x (structure_bytes + io_bytes_per_query)``."""
    for name, v in (("flops_per_query", flops_per_query), ("structure_bytes", structure_bytes),
                    ("io_bytes_per_query", io_bytes_per_query), ("queries", queries)):
        if not isinstance(v, sympy.Basic) and (isinstance(v, bool) or not v >= 0):
            raise QattnInputError(f"{name} must be a number >= 0, got {v!r}")
    nbytes = structure_bytes + queries * io_bytes_per_query if batched else queries * (structure_bytes + io_bytes_per_query)
    return {**classical_work_time(queries * flops_per_query, nbytes, gpu), "queries": queries, "batched": batched}
