import numpy as np
import pytest
from qualtran import QUInt
from qualtran.bloqs.arithmetic import Add, LessThanConstant
from qualtran.bloqs.data_loading import QROM
from qualtran.bloqs.basic_gates import CSwap, Hadamard, TGate, ZPowGate

from estimates.cost_checks import (
    assert_costs_consistent,
    call_graph_t_count,
    cirq_t_count,
    flattened_t_count,
)


@pytest.mark.parametrize(
    "bloq, expected",
    [
        (LessThanConstant(3, 5), 4 * 3),  # w And
        (Add(QUInt(4)), 4 * (4 - 1)),  # Gidney adder: w-1 And
        (QROM.build_from_data(np.arange(8)), 4 * 8 - 8),  # unary iteration 4n-8
        (QROM.build_from_data(np.arange(5), np.arange(5) % 3), 4 * 5 - 8),
        (CSwap(3), 4 * 3),  # one Toffoli-class CSWAP per bit
    ],
)
def test_three_counts_agree_with_known_constructions(bloq, expected):
    assert assert_costs_consistent(bloq) == expected


def test_cirq_count_sees_t_gates_and_rotations():
    assert cirq_t_count(TGate()) == 1
    assert cirq_t_count(Hadamard()) == 0
    assert cirq_t_count(ZPowGate(exponent=0.1)) == 11


def test_mismatch_is_reported():
    class Liar(LessThanConstant):
        def build_call_graph(self, ssa):
            return {TGate(): 1}

    bloq = Liar(3, 5)
    assert call_graph_t_count(bloq) == 1
    assert flattened_t_count(bloq) == 12
    with pytest.raises(AssertionError, match="call graph T=1 != flattened decomposition T=12"):
        assert_costs_consistent(bloq)
