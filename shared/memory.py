"""A memory probe: the largest tensor any op creates while a block of code runs.

    with LargestOutput() as probe:
        out = learner_attention(q, k, v)
        out.sum().backward()
    assert probe.largest < t_q * t_k, f"{probe.op} made {probe.largest} elements"

A TorchDispatchMode sees every aten op, autograd's backward included, below any Python
wrapper, so a T x T score matrix cannot hide in a helper. Imports torch (unlike `shared`).
"""

from __future__ import annotations

from typing import Any

import torch

from shared.dispatch import UncompiledDispatchMode


class LargestOutput(UncompiledDispatchMode):
    """Records the largest number of elements of any tensor an op returns (views included),
    and which op returned it."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0
        self.op: str | None = None

    def __torch_dispatch__(self, func, types, args=(), kwargs=None) -> Any:  # noqa: ANN001
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, tuple | list) else (out,):
            if isinstance(t, torch.Tensor) and t.numel() > self.largest:
                self.largest, self.op = t.numel(), str(func)
        return out
