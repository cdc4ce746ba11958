"""Query time of the half-space ball tree versus a brute-force scan, as n grows.

The classical twin of the Grover search (arXiv 2307.08045 Sec. 4) answers each large-set query
``S_i = {j : scale <q_i, k_j> >= tau}`` with a half-space range reporting structure. This script
measures, in one run and on the same data, the median time per query of

* brute force: the faster of ``np.flatnonzero(scale * (K @ q) >= tau)`` (one BLAS
  matrix-vector product) and the same scan with the fixed-order ``score_block``, both O(nd);
* the tree: :meth:`qattn_cirq.halfspace.HalfspaceTree.query` (exact, same answer - checked).

Data ("planted-like", few large entries): keys are standard normal in R^d; for each query
``q ~ N(0, I)`` the threshold is set to its ``k``-th largest score, so every query reports exactly
``k`` keys (ties aside), as in a (tau, k)-good instance. A second data set, ``planted``, uses the
exact planted instances of :func:`qattn_cirq.instance.planted_instance` (tau = 2 ln n; n <= 2^14
because building one verifies all n^2 scores).

Columns: ``ratio = brute / tree`` (> 1: the tree is faster), ``visited`` = fraction of tree
nodes visited, ``scored`` = fraction of keys whose score the tree computed.

Usage: ``python benchmarks/bench_halfspace.py [--quick] [--max-log2n 16] [--queries Q]
[--format table|json|csv]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from qattn_cirq.halfspace import HalfspaceTree
from qattn_cirq.instance import planted_instance, score_block
from qattn_cirq.output import render


def _time_per_query(fn, queries, taus, repeat: int = 5) -> float:
    """Median over ``repeat`` passes x queries of the time of one query (robust to the load
    spikes of a shared machine, which a mean would absorb)."""
    times = []
    for _ in range(repeat):
        for q, tau in zip(queries, taus):
            t0 = time.perf_counter()
            fn(q, tau)
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def bench_point(data: str, n: int, d: int, k: int, n_queries: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    if data == "gaussian":
        K = rng.standard_normal((n, d))
        scale = 1.0
        queries = rng.standard_normal((n_queries, d))
        scores = queries @ K.T
        taus = np.sort(scores, axis=1)[:, -k]  # k-th largest: k large entries per query
    else:
        p = planted_instance(n, d, k, 2 * math.log(n), 0.5, seed=seed)
        K, scale = p.instance.K, p.instance.scale
        rows = rng.choice(n, size=min(n_queries, n), replace=False)
        queries = p.instance.Q[rows]
        taus = np.full(len(rows), p.tau)

    t0 = time.perf_counter()
    tree = HalfspaceTree(K, scale, leaf_size=16)
    build_s = time.perf_counter() - t0

    def brute_blas(q, tau):
        return np.flatnonzero(scale * (K @ q) >= tau)

    def brute_ordered(q, tau):
        return np.flatnonzero(score_block(q[None, :], K, scale)[0] >= tau)

    visited = scored = 0.0
    for q, tau in zip(queries, taus):
        got, st = tree.query_with_stats(q, tau)
        np.testing.assert_array_equal(got, tree.brute_force(q, tau))  # exactness, every query
        visited += st.visited_fraction
        scored += st.scored_fraction
    # two scans: BLAS gemv (fastest usually, but multithreaded OpenBLAS is pathologically slow on
    # some skinny shapes on a loaded machine) and the fixed-order score_block; the faster counts
    t_blas = _time_per_query(brute_blas, queries, taus)
    t_ordered = _time_per_query(brute_ordered, queries, taus)
    t_brute = min(t_blas, t_ordered)
    t_tree = _time_per_query(tree.query, queries, taus)
    m = len(queries)
    return {
        "data": data,
        "n": n,
        "d": d,
        "k": k,
        "build_ms": build_s * 1e3,
        "blas_us": t_blas * 1e6,
        "ordered_us": t_ordered * 1e6,
        "brute_us": t_brute * 1e6,
        "tree_us": t_tree * 1e6,
        "ratio": t_brute / t_tree,
        "visited": visited / m,
        "scored": scored / m,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n up to 2^13 only (a few seconds)")
    parser.add_argument(
        "--max-log2n", type=int, default=16, help="largest n = 2^this for the gaussian data (default 16)"
    )
    parser.add_argument("--queries", type=int, default=50, help="queries per point (default 50)")
    parser.add_argument("--k", type=int, default=4, help="large entries per query (default 4)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    args = parser.parse_args(argv)
    sizes = [2**e for e in (range(10, 14) if args.quick else range(10, args.max_log2n + 1, 2))]
    points = [("gaussian", n, d) for d in (2, 3) for n in sizes]
    # planted instances check their guarantee on all n^2 scores when built: keep n <= 2^14
    n_planted = min(sizes[-1], 2**14)
    points += [("gaussian", sizes[-1], 16), ("planted", n_planted, 2), ("planted", n_planted, 16)]
    rows = []
    for data, n, d in points:
        rows.append(bench_point(data, n, d, args.k, args.queries))
        print(f"  done {data} n={n} d={d}", file=sys.stderr, flush=True)
    print(render(rows, args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
