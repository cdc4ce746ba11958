"""Scaling of the QAttention preprocessing T-count in n (arXiv 2602.00874, Thm 3.1: n^0.5).

Evaluates the symbolic T-count of ``QAttentionPreprocess`` (call graph of the project's bloqs) at
n = 2^10 .. 2^30 with s, d, alpha, eps, b fixed, fits the exponent of n (least squares on log-log)
and the local slope at the top of the range, and prints them next to the paper's 0.5, for the
gate-level QROM loader and for the papers' assumed polylog QRAM. Also prints the row-query T-count
(independent of n) and the timing of the symbolic evaluation.

    python benchmarks/bench_qattention_scaling.py [--d 4 --s 8 --alpha 2 --eps 0.1 --bits 8]
"""

import argparse
import time

from estimates.qattention_estimates import LOADERS, fitted_exponent, qattention_estimate


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--d", type=int, default=4)
    p.add_argument("--s", type=float, default=8)
    p.add_argument("--alpha", type=float, default=2.0)
    p.add_argument("--eps", type=float, default=0.1)
    p.add_argument("--bits", type=int, default=8)
    p.add_argument("--mean-method", default="chj", choices=("chj", "coordinate"))
    p.add_argument("--multi-sample", default="hamoudi", choices=("hamoudi", "repeat"))
    a = p.parse_args(argv)
    ns = tuple(2**k for k in range(10, 31))
    print(f"QAttention preprocessing T-count vs n (d={a.d}, s={a.s:g}, alpha={a.alpha:g}, eps={a.eps:g}, b={a.bits}, "
          f"mean={a.mean_method}, samples={a.multi_sample})")
    print(f"{'loader':<9} {'fitted exp':>10} {'local exp @2^30':>16} {'paper':>6} {'T(2^10)':>12} {'T(2^20)':>12} {'T(2^30)':>12} {'secs':>6}")
    for loader in LOADERS:
        t0 = time.time()
        fit = fitted_exponent(ns, a.d, a.s, a.alpha, a.eps, a.bits, loader, a.mean_method, a.multi_sample)
        ts = fit["t_counts"]
        print(f"{loader:<9} {fit['fitted_exponent']:>10.3f} {fit['local_exponent']:>16.3f} {0.5:>6.1f} "
              f"{ts[0]:>12.3e} {ts[10]:>12.3e} {ts[20]:>12.3e} {time.time() - t0:>6.1f}")
    for loader in LOADERS:
        r = qattention_estimate(2**20, a.d, a.s, a.alpha, a.eps, a.bits, loader, a.mean_method, a.multi_sample)
        print(f"row query ({loader}, any n): classical work, T = {r['logical']['row_query']['t_count']}, "
              f"qubits = {r['logical']['row_query']['qubits']}; FLOPs per row = {r['classical_flops']['row_query']}")
    print("QROM lookups cost ~4n T each, so sqrt(n) amplification rounds give n^1.5; with the assumed QRAM "
          "(b ceil(log2 n) Toffoli per lookup) the exponent is the paper's 0.5 up to logs.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
