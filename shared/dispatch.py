"""The base of our TorchDispatchModes (the memory probe, `forbidden`'s aten guard).

Nothing under these modes is compiled, so they opt out of torch's dynamo guard through the
private `_should_skip_dynamo` hook: with the guard, the first op under any such mode imports
torch._dynamo, seconds per test process. If torch drops the hook, the override is never
called and only that speed is lost. Imports torch (unlike `shared`).
"""

from __future__ import annotations

from torch.utils._python_dispatch import TorchDispatchMode


class UncompiledDispatchMode(TorchDispatchMode):
    """A TorchDispatchMode that never wraps its __torch_dispatch__ for torch.compile."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False
