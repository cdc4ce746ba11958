import numpy as np
import pytest
import sympy

from estimates.classical import (
    GPU,
    attention_flops,
    attention_gpu_time,
    classical_twin_costs,
    classical_work_time,
    data_structure_queries,
    halfspace_reporting_flops,
    sparse_rank_one_flops,
)
from qattn_cirq.errors import QattnInputError
from estimates.classical import roofline_time_s


@pytest.mark.parametrize("n,d", [(4, 2), (7, 3), (16, 5)])
def test_attention_flops_match_an_instrumented_numpy_computation(n, d):
    rng = np.random.default_rng(n * d)
    Q, K, V = (rng.normal(size=(n, d)) for _ in range(3))
    count = 0
    S = Q @ K.T
    count += 2 * n * n * d  # each of n^2 entries: d mults + d adds (matmul convention)
    S = S / np.sqrt(d)
    count += S.size
    m = S.max(axis=1, keepdims=True)
    count += S.size  # compares (n per row)
    E = np.exp(S - m)
    count += 2 * S.size  # subtract + exp
    z = E.sum(axis=1, keepdims=True)
    count += S.size  # adds (n per row)
    P = E / z
    count += P.size
    O = P @ V
    count += 2 * n * n * d
    ref = np.exp(Q @ K.T / np.sqrt(d))
    ref = ref / ref.sum(axis=1, keepdims=True) @ V
    assert np.allclose(O, ref)
    assert attention_flops(n, d)["total"] == count == 4 * n * n * d + 6 * n * n


def test_h100_roofline_is_compute_bound_at_llm_scale_and_scales_as_n_squared():
    a = attention_gpu_time(2**14, 128)
    b = attention_gpu_time(2**15, 128)
    assert a["bound"] == "compute"
    assert b["time_s"] / a["time_s"] == pytest.approx(4.0, rel=1e-3)
    # 4 n^2 d + 6 n^2 FLOPs at 989.4 TFLOP/s x 0.75
    n, d = 2**14, 128
    assert a["time_s"] == pytest.approx((4 * n * n * d + 6 * n * n) / (989.4e12 * 0.75))
    # tiny problems are memory-bound under the naive kernel
    assert attention_gpu_time(64, 128, kernel="naive")["bound"] == "memory"


def test_symbolic_flops_and_time():
    n = sympy.Symbol("n", positive=True, integer=True)
    t = attention_gpu_time(n, 128)["time_s"]
    assert float(t.subs(n, 2**14)) == pytest.approx(attention_gpu_time(2**14, 128)["time_s"])


def test_twin_costs():
    n, d, k = 2**12, 64, 32
    assert sparse_rank_one_flops(n, d, k) == 5 * n * k * d + 2 * n * k + 4 * n * d
    hs = halfspace_reporting_flops(n, d, k)
    assert hs == pytest.approx(n * (n ** (1 - 1 / 32) + k) * 2 * d)
    assert hs < 2 * n * n * d  # below brute force, but barely for large d
    c = classical_twin_costs(n, d, k)
    assert c["flops"] == pytest.approx(hs + sparse_rank_one_flops(n, d, k))


def test_bad_input():
    with pytest.raises(QattnInputError, match="gpu"):
        attention_gpu_time(16, 8, gpu="tpu")
    with pytest.raises(QattnInputError, match="n must"):
        attention_flops(0, 8)
    with pytest.raises(QattnInputError, match="compute_fraction"):
        GPU("x", 1.0, 1.0, 1.5, 0.5, "")


def test_classical_work_and_data_structure_queries_use_the_baseline_roofline():
    w = classical_work_time(1e12, 1e6)
    assert w["time_s"] == roofline_time_s(1e12, 1e6)["time_s"] == pytest.approx(1e12 / (989.4e12 * 0.75))
    assert w["bound"] == "compute"
    # QAttention at s = 64, d = 128, fp32: 41280 FLOPs and a 82176-byte structure per row query
    one = data_structure_queries(41280, 82176, 1024, 1)
    assert one["bytes"] == 82176 + 1024 and one["bound"] == "memory"
    n = 2**20
    batched = data_structure_queries(41280, 82176, 1024, n)
    assert batched["flops"] == n * 41280 and batched["bytes"] == 82176 + n * 1024
    assert batched["time_s"] == pytest.approx(max(n * 41280 / (989.4e12 * 0.75), (82176 + n * 1024) / (3.35e12 * 0.8)))
    unbatched = data_structure_queries(41280, 82176, 1024, n, batched=False)
    assert unbatched["bytes"] == n * (82176 + 1024) and unbatched["time_s"] > batched["time_s"]
    assert data_structure_queries(41280, 82176, 1024, n, gpu="h200-sxm")["time_s"] < batched["time_s"]
    with pytest.raises(QattnInputError, match="queries"):
        data_structure_queries(1, 1, 1, -1)
