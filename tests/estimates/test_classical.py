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


class _Counted:
    """A scalar that counts every arithmetic operation, comparison and exp done on it."""

    ops = 0

    def __init__(self, v):
        self.v = float(v)

    def _op(self, other, f):
        _Counted.ops += 1
        return _Counted(f(self.v, other.v if isinstance(other, _Counted) else float(other)))

    def __add__(self, o):
        return self._op(o, lambda a, b: a + b)

    def __sub__(self, o):
        return self._op(o, lambda a, b: a - b)

    def __mul__(self, o):
        return self._op(o, lambda a, b: a * b)

    def __truediv__(self, o):
        return self._op(o, lambda a, b: a / b)

    def max(self, o):
        return self._op(o, max)

    def exp(self):
        _Counted.ops += 1
        return _Counted(np.exp(self.v))


def _counted_attention(Q, K, V):
    """Softmax attention written out scalar by scalar (accumulators start at 0, as a matmul's
    FLOP convention counts d multiplies and d adds per dot product)."""
    n, d = Q.shape
    Q, K, V = ([[_Counted(x) for x in row] for row in M] for M in (Q, K, V))
    out = []
    for i in range(n):
        s = []
        for j in range(n):
            acc = _Counted(0.0)
            for t in range(d):
                acc = acc + Q[i][t] * K[j][t]
            s.append(acc / np.sqrt(d))
        m = _Counted(-np.inf)
        for x in s:
            m = m.max(x)
        e = [(x - m).exp() for x in s]
        z = _Counted(0.0)
        for x in e:
            z = z + x
        p = [x / z for x in e]
        row = []
        for t in range(d):
            acc = _Counted(0.0)
            for j in range(n):
                acc = acc + p[j] * V[j][t]
            row.append(acc.v)
        out.append(row)
    return np.array(out)


@pytest.mark.parametrize("n,d", [(4, 2), (7, 3), (16, 5)])
def test_attention_flops_match_a_counted_scalar_computation(n, d):
    """The formula against the operations a scalar implementation actually performs (counted by
    the scalar type, not tallied by hand), and that implementation against numpy's attention."""
    rng = np.random.default_rng(n * d)
    Q, K, V = (rng.normal(size=(n, d)) for _ in range(3))
    _Counted.ops = 0
    O = _counted_attention(Q, K, V)
    ref = np.exp(Q @ K.T / np.sqrt(d))
    ref = ref / ref.sum(axis=1, keepdims=True) @ V
    assert np.allclose(O, ref)
    assert attention_flops(n, d)["total"] == _Counted.ops


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
