"""The classical twin of the Grover search: half-space range reporting over the keys.

arXiv 2307.08045 (Sec. 4) compares its quantum algorithm with a classical one that finds each large
set ``S_i = {j : scale <q_i, k_j> >= tau}`` with a half-space range reporting structure over the
keys instead of scanning all ``n`` of them. Worst-case optimal structures (partition trees,
``O(n^{1 - 1/floor(d/2)} + |S_i|)`` per query) are intricate; this module implements the practical
member of the family: a **ball tree** with exact pruning.

Each node stores the centre ``c`` (mean) and radius ``r`` (largest distance) of its keys. For a
query ``q`` the scores of all keys in the node lie in
``scale * (<q, c> +- r ||q||)``. If the upper end is below ``tau`` the node is skipped; if the
lower end is at least ``tau`` all its keys are reported without being scored; otherwise the search
descends, and leaves score their keys. Build: split on the coordinate of largest spread at the
median, ``O(n log n)``. A query touches few nodes when the keys are clustered relative to the
half-space boundary (small ``d``, few large scores); in high ``d`` balls rarely separate and it
degrades towards a full scan plus overhead - the benchmark ``benchmarks/bench_halfspace.py``
measures both.

Exactness: leaf scores are computed by :func:`qattn_cirq.instance.score_block`, bit-identical to
:meth:`AttentionInstance.scores`, and pruning decisions keep a safety margin that exceeds the
floating-point error of both the bound and the scores, so ``query`` returns exactly the brute-force
set ``{j : score_j >= tau}``, ties included.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from qattn_cirq.errors import QattnInputError
from qattn_cirq.instance import AttentionInstance, score_block
from qattn_cirq.reference import _check_tau, default_tau, sparse_rank_one_attention

__all__ = ["HalfspaceTree", "QueryStats", "classical_twin_attention", "halfspace_large_sets"]

_U = np.finfo(np.float64).eps  # unit round-off bound used in the pruning margin


@attrs.frozen
class QueryStats:
    """What one query touched: tree nodes visited, keys scored one by one, keys reported in bulk."""

    nodes_visited: int
    nodes_total: int
    keys_scored: int
    keys_bulk: int
    n: int

    @property
    def visited_fraction(self) -> float:
        return self.nodes_visited / self.nodes_total

    @property
    def scored_fraction(self) -> float:
        return self.keys_scored / self.n


def _check_tree_args(K, scale, leaf_size) -> np.ndarray:
    K = np.asarray(K, dtype=np.float64)
    if K.ndim != 2 or K.shape[0] < 1 or K.shape[1] < 1:
        raise QattnInputError(f"K must be a non-empty 2-D array (n, d); got shape {K.shape}")
    if not np.isfinite(K).all():
        raise QattnInputError("K contains NaN or infinite values; all entries must be finite")
    if not (isinstance(scale, (int, float, np.floating)) and math.isfinite(scale) and scale > 0):
        raise QattnInputError(f"scale must be a finite real number > 0; got {scale!r}")
    if isinstance(leaf_size, bool) or not isinstance(leaf_size, (int, np.integer)) or leaf_size < 1:
        raise QattnInputError(f"leaf_size must be an integer >= 1; got {leaf_size!r}")
    return K


class HalfspaceTree:
    """Ball tree over the keys answering ``{j : scale * <q, k_j> >= tau}`` exactly.

    Args:
        K: ``n x d`` keys (finite).
        scale: the score scale (``> 0``), as in :class:`AttentionInstance`.
        leaf_size: keys per leaf (``>= 1``); leaves are scored by brute force.

    Build ``O(n log n)`` time, ``O(n)`` space (``O(n d)`` for the centres).
    """

    def __init__(self, K, scale: float = 1.0, leaf_size: int = 16):
        K = _check_tree_args(K, scale, leaf_size)
        self.K = K
        self.scale = float(scale)
        self.leaf_size = int(leaf_size)
        self.n, self.d = K.shape
        self.perm = np.arange(self.n)
        starts, ends, lefts, rights, centres, radii = [], [], [], [], [], []

        # iterative build: each node owns perm[start:end]; children split it at the median
        def new_node(start, end):
            pts = K[self.perm[start:end]]
            c = pts.mean(axis=0)
            r = float(np.sqrt(((pts - c) ** 2).sum(axis=1)).max())
            starts.append(start)
            ends.append(end)
            lefts.append(-1)
            rights.append(-1)
            centres.append(c)
            # inflate slightly: the computed radius may round below the true one
            radii.append(r * (1 + 4 * (K.shape[1] + 4) * _U) + 1e-300)
            return len(starts) - 1

        stack = [new_node(0, self.n)]
        while stack:
            node = stack.pop()
            start, end = starts[node], ends[node]
            if end - start <= self.leaf_size:
                continue
            idx = self.perm[start:end]
            pts = K[idx]
            spread = pts.max(axis=0) - pts.min(axis=0)
            axis = int(np.argmax(spread))
            if spread[axis] == 0.0:
                continue  # all keys identical: keep as a leaf
            mid = (end - start) // 2
            order = np.argpartition(pts[:, axis], mid)
            self.perm[start:end] = idx[order]
            left = new_node(start, start + mid)
            right = new_node(start + mid, end)
            lefts[node], rights[node] = left, right
            stack.extend((left, right))

        # Python lists: a query walks a handful of nodes, and per-node numpy scalar access
        # costs more than the arithmetic itself
        self._start = starts
        self._end = ends
        self._left = lefts
        self._right = rights
        self._centre_np = np.array(centres)
        self._centre = [tuple(float(x) for x in c) for c in centres]
        self._radius = [float(r) for r in radii]
        # |k| <= |c| + r for every key of the node: scales the round-off margin
        self._reach = [float(np.sqrt(c @ c)) + r for c, r in zip(centres, radii)]
        self.nodes_total = len(starts)

    # ------------------------------------------------------------------ queries

    def _check_query(self, q, tau) -> tuple[np.ndarray, float]:
        q = np.asarray(q, dtype=np.float64).reshape(-1)
        if q.shape != (self.d,):
            raise QattnInputError(f"query must have length d = {self.d}; got shape {q.shape}")
        if not np.isfinite(q).all():
            raise QattnInputError("query contains NaN or infinite values")
        tau = _check_tau(tau)
        return q, tau

    def brute_force(self, q, tau: float) -> np.ndarray:
        """``{j : score_j >= tau}`` by scoring all ``n`` keys (``O(nd)``), sorted."""
        q, tau = self._check_query(q, tau)
        s = score_block(q[None, :], self.K, self.scale)[0]
        return np.flatnonzero(s >= tau)

    def query(self, q, tau: float) -> np.ndarray:
        """Sorted indices ``j`` with ``scale * <q, k_j> >= tau`` (exactly the brute-force answer)."""
        return self.query_with_stats(q, tau)[0]

    def query_with_stats(self, q, tau: float) -> tuple[np.ndarray, QueryStats]:
        """:meth:`query` plus the :class:`QueryStats` of the search.

        Nodes are bounded lazily (only visited nodes cost anything); the keys of all undecided
        leaves are gathered and scored in one :func:`score_block` call at the end.
        """
        q, tau = self._check_query(q, tau)
        s = self.scale
        qn = float(np.sqrt(q @ q))
        ql = tuple(float(x) for x in q)
        small_d = self.d <= 8
        # safety margin: the bound and the leaf scores are each off by at most
        # ~(d + 2) u s |q| |k| with |k| <= |c| + r; 4 (d + 4) u s |q| (|c| + r) covers both
        mscale = 4.0 * (self.d + 4) * _U * s * qn
        half_scale = s * qn
        centre, radius, reach = self._centre, self._radius, self._reach
        left_of, right_of, start_of, end_of = self._left, self._right, self._start, self._end
        bulk_ranges: list[tuple[int, int]] = []
        leaf_ranges: list[tuple[int, int]] = []
        visited = bulk = scored = 0
        stack = [0]
        while stack:
            node = stack.pop()
            visited += 1
            if small_d:
                proj = s * sum(map(float.__mul__, centre[node], ql))
            else:
                proj = s * float(self._centre_np[node] @ q)
            slack = half_scale * radius[node] + mscale * reach[node] + 1e-300
            if proj + slack < tau:
                continue  # every key scores below tau
            if proj - slack >= tau:
                bulk_ranges.append((start_of[node], end_of[node]))  # every key scores >= tau
                bulk += end_of[node] - start_of[node]
                continue
            left = left_of[node]
            if left < 0:
                leaf_ranges.append((start_of[node], end_of[node]))
                scored += end_of[node] - start_of[node]
                continue
            stack.append(right_of[node])
            stack.append(left)
        parts = [self.perm[a:b] for a, b in bulk_ranges]
        if leaf_ranges:
            idx = np.concatenate([self.perm[a:b] for a, b in leaf_ranges])
            vals = score_block(q[None, :], self.K[idx], s)[0]
            parts.append(idx[vals >= tau])
        result = np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
        stats = QueryStats(
            nodes_visited=visited, nodes_total=self.nodes_total, keys_scored=scored,
            keys_bulk=bulk, n=self.n,
        )
        return result.astype(np.int64), stats


def halfspace_large_sets(inst: AttentionInstance, tau: float, leaf_size: int = 16) -> list[np.ndarray]:
    """All large sets ``S_i`` of an instance found with one :class:`HalfspaceTree` over its keys.

    Equal to :func:`qattn_cirq.reference.large_sets` (the tests check it), found without scoring
    every key when the tree prunes.
    """
    if not isinstance(inst, AttentionInstance):
        raise QattnInputError(f"expected an AttentionInstance; got {type(inst).__name__}")
    tree = HalfspaceTree(inst.K, inst.scale, leaf_size=leaf_size)
    return [tree.query(q, tau) for q in inst.Q]


def classical_twin_attention(
    inst: AttentionInstance, tau: float | None = None, leaf_size: int = 16
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The classical twin of Grover sparse attention, end to end, with no ``n x n`` array.

    Finds every ``S_i`` with one :class:`HalfspaceTree` (instead of Grover search) and evaluates
    ``D(B)^{-1} B V`` for the sparse + rank-one ``B`` of arXiv 2307.08045 (Def. 3.2, Alg. 4) with
    :func:`qattn_cirq.reference.sparse_rank_one_attention` in ``O(nkd + nd)``. ``tau`` defaults to
    ``2 ln n``. Returns ``(output, sets)``.
    """
    if not isinstance(inst, AttentionInstance):
        raise QattnInputError(f"expected an AttentionInstance; got {type(inst).__name__}")
    tau = default_tau(inst.n) if tau is None else tau
    sets = halfspace_large_sets(inst, tau, leaf_size=leaf_size)
    return sparse_rank_one_attention(inst, sets=sets), sets
