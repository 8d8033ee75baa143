"""The memory probe sees the score matrix of naive attention, in forward and in backward."""

import torch

from shared.memory import LargestOutput


def test_probe_sees_a_t_by_t_intermediate_and_names_its_op():
    q = torch.randn(1, 64, 8, requires_grad=True)
    with LargestOutput() as probe:
        (q @ q.transpose(-2, -1)).softmax(-1).sum().backward()
    assert probe.largest == 64 * 64 and probe.op is not None


def test_probe_of_row_by_row_work_stays_small():
    q = torch.randn(64, 8)
    with LargestOutput() as probe:
        rows = [(q[i] @ q.T).softmax(-1) for i in range(64)]
    assert len(rows) == 64 and probe.largest == 64 * 8  # q.T, a view of q, is the largest
