"""Public smoke tests for phase1.activations (the grader also runs hidden tests).

Oracles: torch.nn.functional and autograd through it in float64, extreme inputs (+-1e4) where
the true values are known, and a hand-written SwiGLU built from torch.nn.functional.silu.
"""

import warnings

import pytest
import torch
import torch.nn.functional as F

from phase1.activations import SwiGLU, gelu, relu, sigmoid
from shared import assert_close, forbidden

TOL64 = {"rtol": 1e-10, "atol": 1e-12}


def run(fn, x, forbid, by):
    """fn(x) and its gradient for an upstream of ones, with the built-ins in forbid banned."""
    x = x.detach().clone().requires_grad_()
    with forbidden(*forbid, by=by):
        out = fn(x)
        out.backward(torch.ones_like(out))
    return out, x.grad, out.grad_fn


def oracle(fn, x):
    x = x.detach().clone().requires_grad_()
    out = fn(x)
    out.backward(torch.ones_like(out))
    return out, x.grad


def test_relu_matches_torch_including_the_gradient_at_zero():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.0, 0.3, 4.0], dtype=torch.float64)
    out, grad, grad_fn = run(relu, x, ["torch.relu", "torch.Tensor.relu",
                                       "torch.nn.functional.relu", "aten.relu"],
                             "phase1.activations.relu")
    assert type(grad_fn).__name__ == "ReLUFunctionBackward", (
        f"relu's output has grad_fn {grad_fn}. Hint: write a torch.autograd.Function "
        "(ReLUFunction) with its own backward, and return ReLUFunction.apply(x).")
    exp, exp_grad = oracle(F.relu, x)
    assert_close(out, exp, **TOL64, what=f"relu({x.tolist()})",
                 oracle="torch.nn.functional.relu")
    assert_close(grad, exp_grad, **TOL64, what=f"the gradient of relu at {x.tolist()}",
                 oracle="autograd through torch.nn.functional.relu",
                 hint="relu'(x) is 1 where x > 0 and 0 elsewhere: 0 at exactly x = 0.")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch(approximate):
    x = torch.linspace(-6, 6, 49, dtype=torch.float64)
    out, grad, grad_fn = run(lambda t: gelu(t, approximate), x,
                             ["torch.nn.functional.gelu", "aten.gelu"], "phase1.activations.gelu")
    assert type(grad_fn).__name__ == "GELUFunctionBackward", (
        f"gelu's output has grad_fn {grad_fn}. Hint: write a torch.autograd.Function "
        "(GELUFunction) with its own backward, and return GELUFunction.apply(x, approximate).")
    exp, exp_grad = oracle(lambda t: F.gelu(t, approximate=approximate), x)
    what = f"gelu(x, approximate={approximate!r}) on 49 points of [-6, 6]"
    assert_close(out, exp, **TOL64, what=what, oracle="torch.nn.functional.gelu",
                 hint="exact: x * (1 + erf(x / sqrt 2)) / 2; tanh: 0.5 x (1 + tanh(sqrt(2/pi) "
                      "(x + 0.044715 x^3))).")
    assert_close(grad, exp_grad, **TOL64, what=f"the gradient of {what}",
                 oracle="autograd through torch.nn.functional.gelu",
                 hint="differentiate the product x * Phi(x): both factors depend on x.")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sigmoid_stays_finite_at_plus_minus_1e4(dtype):
    """Sigmoid stays finite at very large positive and negative inputs."""
    x = torch.tensor([-1e4, -100.0, 0.0, 100.0, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, grad, _ = run(sigmoid, x, ["torch.sigmoid", "torch.Tensor.sigmoid",
                                        "torch.nn.functional.sigmoid", "torch.special.expit",
                                        "aten.sigmoid"], "phase1.activations.sigmoid")
    exp, exp_grad = oracle(torch.sigmoid, x)
    assert_close(out, exp, what=f"sigmoid({x.tolist()}) in {dtype}", oracle="torch.sigmoid",
                 hint="exp(-x) overflows for very negative x and exp(x) for very positive x; "
                      "never divide inf by inf. Use a form that only exponentiates -|x|.")
    assert_close(grad, exp_grad, what=f"the gradient of sigmoid at {x.tolist()} in {dtype}",
                 oracle="autograd through torch.sigmoid",
                 hint="sigma'(x) = sigma(x) * (1 - sigma(x)): reuse the stable forward value.")


def test_swiglu_matches_a_hand_written_reference():
    torch.manual_seed(0)
    block = SwiGLU(8, 12).double()
    x = torch.randn(2, 3, 8, dtype=torch.float64)
    with forbidden("torch.nn.functional.silu", "aten.silu", by="phase1.activations.SwiGLU"):
        out = block(x)
    w1, w2, w3 = block.w1.weight, block.w2.weight, block.w3.weight
    expected = (F.silu(x @ w1.T) * (x @ w3.T)) @ w2.T
    assert_close(out, expected, **TOL64, what="SwiGLU(8, 12) on x (2, 3, 8) in float64",
                 oracle="w2(silu(w1 x) * w3 x) written with torch.nn.functional.silu",
                 hint="w1 is the gate (through silu), w3 the up projection, w2 the down "
                      "projection applied last.")
