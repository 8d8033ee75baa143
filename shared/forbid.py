"""Forbid the built-ins that an exercise asks the learner to write.

    with forbidden("torch.nn.functional.gelu", "torch.Tensor.softmax", "aten._softmax",
                   by="phase1.activations.gelu"):
        out = learner_gelu(x)

Three kinds of names:
- ``torch.*`` (functions, and ``torch.Tensor.*`` methods): caught by a TorchFunctionMode,
  which sees every public path to a function (``F.softmax``, ``torch.softmax``, ``x.softmax``).
  Names that live in a module (not ``torch.Tensor.*``) are also replaced as attributes for the
  block, which catches what the mode cannot see: plain Python functions and classes such as
  ``torch.nn.utils.clip_grad_norm_`` or ``torch.optim.Adam``. A mode does not see calls made
  inside an autograd Function's backward either: forbid the ``aten.*`` op to catch those.
- ``aten.*`` (operator overloads such as ``aten._softmax``): caught by a TorchDispatchMode,
  which also sees private paths that skip the public function.
- ``numpy.*`` (or ``np.*``): the attribute is replaced for the duration of the block, so a
  call through the module (``np.linalg.inv(a)``) raises.

Calling a forbidden name raises ``ForbiddenCallError``, whose message names the exercise
and the forbidden function. Run the test's own oracle outside the block.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import ModuleType
from typing import Any


class ForbiddenCallError(AssertionError):
    """Raised when learner code calls a built-in that the exercise asks it to implement."""


def _message(name: str, by: str) -> str:
    return (
        f"{by} must not call {name}: this exercise is to implement it yourself. "
        "Use more basic operations instead."
    )


def _resolve(dotted: str) -> tuple[Any, str]:
    """Import the longest importable prefix of a dotted name; return (parent, attribute)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:-1]:
            obj = getattr(obj, attr, None)
        if obj is None or not hasattr(obj, parts[-1]):
            break
        return obj, parts[-1]
    raise ValueError(f"forbidden(): cannot resolve {dotted!r}: no such function")


def _learner_modules(by: str) -> list[ModuleType]:
    """The loaded modules of the package named by `by` ("phase0.linalg.inverse" -> phase0.*)."""
    package = by.split(".", 1)[0]
    return [m for name, m in list(sys.modules.items())
            if isinstance(m, ModuleType) and (name == package or name.startswith(package + "."))]


@contextmanager
def _forbid_attributes(names: list[str], by: str) -> Iterator[None]:
    """Replace each named module attribute by a function that refuses, for the block; also
    the learner's own module-level aliases of it (`from numpy.linalg import inv`)."""
    saved: list[tuple[Any, str, Any]] = []
    learner = _learner_modules(by)
    try:
        for name in names:
            full = "numpy." + name.split(".", 1)[1] if name.startswith("np.") else name
            parent, attr = _resolve(full)
            if not isinstance(parent, ModuleType):
                continue  # a method (torch.Tensor.softmax): the TorchFunctionMode catches it
            original = getattr(parent, attr)

            def refuse(*args: Any, _name: str = name, **kwargs: Any) -> Any:
                raise ForbiddenCallError(_message(_name, by))

            places = [(parent, attr)] + [(m, a) for m in learner for a, v in vars(m).items()
                                         if v is original and m is not parent]
            for place, place_attr in places:
                saved.append((place, place_attr, original))
                setattr(place, place_attr, refuse)
        yield
    finally:
        for parent, attr, original in reversed(saved):
            setattr(parent, attr, original)


@contextmanager
def _forbid_torch(names: list[str], by: str) -> Iterator[None]:
    from torch.overrides import TorchFunctionMode

    banned: dict[Any, str] = {}
    for name in names:
        parent, attr = _resolve(name)
        banned[getattr(parent, attr)] = name

    class Forbid(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            if func in banned:
                raise ForbiddenCallError(_message(banned[func], by))
            return func(*args, **(kwargs or {}))

    with Forbid():
        yield


@contextmanager
def _forbid_aten(names: list[str], by: str) -> Iterator[None]:
    import torch

    from shared.dispatch import UncompiledDispatchMode

    # "aten._softmax" bans every overload of the op; "aten._softmax.default" only that one.
    banned: dict[Any, str] = {}
    for name in names:
        obj: Any = torch.ops.aten
        try:
            for part in name.split(".")[1:]:
                obj = getattr(obj, part)
        except (AttributeError, RuntimeError) as err:
            raise ValueError(f"forbidden(): no aten operator {name!r}") from err
        banned[obj] = name

    class Forbid(UncompiledDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            name = banned.get(func, banned.get(func.overloadpacket))
            if name is not None:
                raise ForbiddenCallError(_message(name, by))
            return func(*args, **(kwargs or {}))

    with Forbid():
        yield


@contextmanager
def forbidden(*names: str, by: str) -> Iterator[None]:
    """Make the named functions raise ForbiddenCallError inside the block.

    Args:
        names: dotted names, e.g. "torch.softmax", "torch.Tensor.softmax", "aten._softmax"
            (or "torch.ops.aten._softmax"; "aten._softmax.default" for one overload),
            "numpy.linalg.inv". An unknown name raises ValueError.
        by: the exercise being graded, e.g. "phase0.linalg.inverse"; shown in the message.
    """
    groups: dict[str, list[str]] = {"torch": [], "aten": [], "numpy": []}
    for name in names:
        if name.startswith("torch.ops.aten."):  # the dispatcher's name, not a torch function
            name = name.removeprefix("torch.ops.")
        head = name.split(".", 1)[0]
        key = "numpy" if head in ("numpy", "np") else head
        if key not in groups:
            raise ValueError(f"forbidden(): {name!r} is not a torch.*, aten.* or numpy.* name")
        groups[key].append(name)
    with ExitStack() as stack:
        if groups["torch"]:  # first: the mode must hold the original functions, not stand-ins
            stack.enter_context(_forbid_torch(groups["torch"], by))
        if groups["numpy"] or groups["torch"]:
            stack.enter_context(_forbid_attributes(groups["numpy"] + groups["torch"], by))
        if groups["aten"]:
            stack.enter_context(_forbid_aten(groups["aten"], by))
        yield
