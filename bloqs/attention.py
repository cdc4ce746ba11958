r"""Top-level Grover sparse attention (arXiv 2307.08045, Alg. 1; Theorems 1.3, 1.4, 6.1).

For every query row i = 0..n-1 the algorithm finds the set
:math:`S_i = \{j : \langle q_i, k_j\rangle \ge \tau\}` (at most k entries for a (tau,k)-good
instance) with the search-and-remove Grover loop of Lemma 3.3 (:class:`bloqs.grover.FindAllMarked`),
then builds classically the sparse part :math:`B_1` (the :math:`|S_i| \le k` large entries of row
i) and the rank-one part :math:`B_2` of :math:`B = B_1 + B_2`, and outputs :math:`D(B)^{-1} B V`.

Quantum cost (this bloq's call graph): n x FindAllMarked. By default the certified schedule
(|S_i| <= k is all Theorem 1.3 knows: BBHT steps plus a certification that nothing is left,
``bloqs.grover.certified_find_all_costs``); the known-count schedule, n R(n,k) iterates with
:math:`R(n,k) < \tfrac{\pi}{2}\sqrt{nk}`, is the labelled optimistic option. Each iterate costs a
row load and its measurement-based unload, an inner product and its inverse, a comparison and its
inverse, and a diffusion (see ``docs/grover_sparse_costs.md``). The
worst case is costed: every row has k marked entries and the query's signed digits are all
nonzero (``query=None``), so one symbolic FindAllMarked stands for every row.

Classical post-processing is *not* part of the quantum cost; :meth:`GroverSparseAttention.classical_flops`
reports it separately (O(nkd), the paper's :math:`\tilde O(nkd)` term).
"""

from functools import cached_property
from typing import Dict, Union

import attrs
import sympy
from qualtran import Bloq, BloqDocSpec, DecomposeTypeError, Signature, bloq_example
from qualtran.symbolics import is_symbolic

from bloqs.grover import DEFAULT_FAILURE_PROBABILITY, FindAllMarked, ThresholdOracle
from qattn_cirq.errors import QattnInputError

SymbolicInt = Union[int, sympy.Expr]


@attrs.frozen
class GroverSparseAttention(Bloq):
    r"""All n rows of Grover sparse attention: n x :class:`~bloqs.grover.FindAllMarked` (cost model).

    Measurement-adaptive (each row's loop measures, verifies and excludes), so this is a
    cost-model bloq with an empty signature and a call graph, no unitary decomposition. All rows
    run one after another on the same registers, so the qubit count is one row's.

    Args:
        n: sequence length (rows of Q and K); d: head dimension; k: large entries per row;
        tau: threshold in integer score units (does not change the worst-case cost);
        bits: fixed-point width b of Q and K entries; loader: ``qrom`` | ``qroam`` | ``assumed``;
        schedule: ``certified`` (default, |S_i| <= k unknown) | ``known-count`` (optimistic);
        arithmetic: ``shift-add`` (default) | ``carry-save``; uncompute: ``measurement`` (default)
        | ``reload`` (the oracle's row unload); failure_probability: delta of the certified run.

    Registers:
        None: the signature is empty (n measurement-adaptive loops).
    """

    n: SymbolicInt
    d: SymbolicInt
    k: SymbolicInt
    tau: SymbolicInt
    bits: SymbolicInt
    loader: str = "qrom"
    schedule: str = "certified"
    arithmetic: str = "shift-add"
    uncompute: str = "measurement"
    failure_probability: float = DEFAULT_FAILURE_PROBABILITY

    def __attrs_post_init__(self):
        for name, lo in (("n", 2), ("d", 1), ("k", 1), ("bits", 2)):
            v = getattr(self, name)
            if not is_symbolic(v) and (int(v) != v or v < lo):
                raise QattnInputError(f"{name} must be an integer >= {lo}, got {v}")
        if not is_symbolic(self.n, self.k) and self.k > self.n:
            raise QattnInputError(f"k must be <= n (got k={self.k}, n={self.n})")

    @cached_property
    def signature(self) -> Signature:
        return Signature([])

    @cached_property
    def oracle(self) -> ThresholdOracle:
        """The worst-case oracle of one row (query=None: every signed digit costs an adder)."""
        return ThresholdOracle(
            n=self.n, d=self.d, bits=self.bits, tau_int=self.tau, loader=self.loader,
            uncompute=self.uncompute, arithmetic=self.arithmetic,
        )

    @cached_property
    def find_all(self) -> FindAllMarked:
        return FindAllMarked(self.oracle, self.k, schedule=self.schedule, failure_probability=self.failure_probability)

    @property
    def oracle_calls(self) -> SymbolicInt:
        """Total oracle calls n R(n, k) (sympy Sum when symbolic)."""
        return self.n * self.find_all.oracle_calls

    def build_composite_bloq(self, bb, **soqs):
        raise DecomposeTypeError(
            f"{self} is not one circuit: n measurement-adaptive FindAllMarked loops (measure, "
            "verify, exclude) and classical post-processing; its cost is the call graph"
        )

    def build_call_graph(self, ssa):
        return {self.find_all: self.n}

    def classical_flops(self) -> Dict[str, SymbolicInt]:
        r"""Classical post-processing FLOPs (worst case :math:`|S_i| = k`), separate from the quantum cost.

        Follows ``qattn_cirq.reference.sparse_rank_one_attention`` (arXiv 2307.08045 Def. 3.2,
        :math:`B = B_1 + \mathbf 1\mathbf 1^\top`): per row i, the k scores of the measured set
        (:math:`\langle q_i, k_j\rangle`, 2d FLOPs each; this is also the classical check of each
        measured candidate), their exponentials (k), :math:`w^\top V_{S_i}` (2kd), the column sum of
        :math:`V_{S_i}` (kd) and the rank-one correction :math:`\mathbf 1^\top V - \ldots` scaled and
        added (3d), the normaliser (k + 2) and the division (d); plus :math:`\mathbf 1^\top V` once
        (nd). Total :math:`n(5kd + 2k + 5d + 2) = O(nkd)`.
        """
        n, d, k = self.n, self.d, self.k
        parts = {
            "scores": 2 * n * k * d,
            "exp": n * k,
            "sparse_times_v": 2 * n * k * d,
            "rank_one_correction": n * k * d + n * d + 3 * n * d,
            "normalise": n * (k + 2) + n * d,
        }
        parts["total"] = sum(parts.values())
        return parts

    def __str__(self):
        return f"GroverSparseAttention(n={self.n}, d={self.d}, k={self.k}, b={self.bits}, {self.loader}, {self.schedule})"


@bloq_example
def _grover_sparse_attention_symb() -> GroverSparseAttention:
    n, d, k, b = sympy.symbols("n d k b", positive=True, integer=True)
    grover_sparse_attention_symb = GroverSparseAttention(n=n, d=d, k=k, tau=0, bits=b, loader="qrom")
    return grover_sparse_attention_symb


@bloq_example
def _grover_sparse_attention_small() -> GroverSparseAttention:
    grover_sparse_attention_small = GroverSparseAttention(n=8, d=2, k=2, tau=1, bits=2, loader="qrom")
    return grover_sparse_attention_small


_GROVER_SPARSE_ATTENTION_DOC = BloqDocSpec(
    bloq_cls=GroverSparseAttention,
    examples=(_grover_sparse_attention_symb, _grover_sparse_attention_small),
)

# The sublinear QAttention data structure (arXiv 2602.00874) lives in bloqs/qattention.py; re-exported here.
from bloqs.qattention import QAttentionPreprocess, QAttentionRowQuery  # noqa: E402,F401
