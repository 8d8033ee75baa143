"""assert_gradcheck and assert_grads_match on hand-written autograd Functions.

The oracles are derivatives worked out by hand (d/dx x*sin(x) = sin x + x cos x) and torch's
autograd through built-ins.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from shared.gradcheck import assert_gradcheck, assert_grads_match


class XSinX(torch.autograd.Function):
    """x * sin(x), with a correct hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x * torch.sin(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad * (torch.sin(x) + x * torch.cos(x))


class Mul(torch.autograd.Function):
    """a * b; `wrong` selects a bug in one of the two gradients."""

    @staticmethod
    def forward(ctx: Any, a: torch.Tensor, b: torch.Tensor, wrong: str = "") -> torch.Tensor:
        ctx.save_for_backward(a, b)
        ctx.wrong = wrong
        return a * b

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        a, b = ctx.saved_tensors
        grad_a, grad_b = grad * b, grad * a
        if ctx.wrong == "a":
            grad_a = grad * a  # swapped: the classic slip
        if ctx.wrong == "b":
            grad_b = 2 * grad * a
        if ctx.wrong == "missing-b":
            grad_b = None
        return grad_a, grad_b, None


class SquareAndShift(torch.autograd.Function):
    """Two outputs, (x**2, x + 1); `scale` multiplies the first output's gradient."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x, x + 1

    @staticmethod
    def backward(ctx: Any, g_square: torch.Tensor, g_shift: torch.Tensor) -> tuple[Any, ...]:
        (x,) = ctx.saved_tensors
        return ctx.scale * g_square * x + g_shift, None


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_correct_function_passes() -> None:
    x = torch.randn(4, 3, generator=gen())  # float32: converted to float64 leaves
    assert_gradcheck(XSinX.apply, [x])
    a, b = torch.randn(5, generator=gen(1)), torch.randn(5, generator=gen(2))
    assert_gradcheck(Mul.apply, [a, b, ""])  # a non-tensor argument passes through


def test_hand_derivative_matches_autograd() -> None:
    # The independent oracle for XSinX: the derivative by hand, through autograd.
    x = torch.randn(6, generator=gen(3), dtype=torch.float64)
    assert_grads_match(XSinX.apply, lambda t: t * torch.sin(t), [x])


@pytest.mark.parametrize(("wrong", "index"), [("a", 0), ("b", 1)])
def test_wrong_backward_names_the_input(wrong: str, index: int) -> None:
    a, b = torch.randn(2, 3, generator=gen(4)), torch.randn(2, 3, generator=gen(5))
    with pytest.raises(AssertionError) as info:
        assert_gradcheck(Mul.apply, [a, b, wrong], what="Mul.backward")
    msg = str(info.value)
    assert msg.startswith(f"Mul.backward: gradient with respect to input {index} (shape (2, 3))")
    assert "finite differences" in msg and "Largest error" in msg


def test_two_outputs() -> None:
    x = torch.randn(5, generator=gen(6))
    assert_gradcheck(SquareAndShift.apply, [x, 2.0])
    with pytest.raises(AssertionError, match="input 0"):
        assert_gradcheck(SquareAndShift.apply, [x, 3.0])


def test_non_contiguous_input() -> None:
    x = torch.randn(4, 3, generator=gen(7), dtype=torch.float64).t()
    assert not x.is_contiguous()
    assert_gradcheck(XSinX.apply, [x])
    with pytest.raises(AssertionError, match=r"input 0 \(shape \(3, 4\)\)"):
        assert_gradcheck(lambda t: Mul.apply(t, t.detach() + 1, "a"), [x])


def test_grads_match_passes_for_correct_backward() -> None:
    a, b = torch.randn(3, 2, generator=gen(8)), torch.randn(3, 2, generator=gen(9))
    assert_grads_match(lambda p, q: Mul.apply(p, q, ""), torch.mul, [a, b])


def test_grads_match_catches_a_wrong_gradient() -> None:
    a, b = torch.randn(3, 2, generator=gen(10)), torch.randn(3, 2, generator=gen(11))
    with pytest.raises(AssertionError) as info:
        assert_grads_match(lambda p, q: Mul.apply(p, q, "b"), torch.mul, [a, b],
                           what="Mul", oracle="autograd through torch.mul")
    msg = str(info.value)
    assert msg.splitlines()[0] == ("Mul: gradient with respect to input 1 does not match "
                                   "autograd through torch.mul.")


def test_grads_match_catches_a_missing_gradient() -> None:
    a, b = torch.randn(4, generator=gen(12)), torch.randn(4, generator=gen(13))
    with pytest.raises(AssertionError, match="no gradient reached input 1"):
        assert_grads_match(lambda p, q: Mul.apply(p, q, "missing-b"), torch.mul, [a, b])


def test_grads_match_checks_the_forward_first() -> None:
    x = torch.randn(4, generator=gen(14))
    with pytest.raises(AssertionError, match="the forward output"):
        assert_grads_match(lambda t: t * 2.0, lambda t: t * 3.0, [x])


def test_grads_match_explains_a_detached_output() -> None:
    x = torch.randn(4, generator=gen(15))
    with pytest.raises(AssertionError, match="does not require grad"):
        assert_grads_match(lambda t: (t * 2).detach(), lambda t: t * 2, [x])


def test_grads_match_float32_result_against_float64_reference() -> None:
    x = torch.randn(8, generator=gen(16), dtype=torch.float64)
    assert_grads_match(lambda t: torch.tanh(t.float()), torch.tanh, [x])
