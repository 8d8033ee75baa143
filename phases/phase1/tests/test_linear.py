"""Public smoke tests for phase1.linear (the grader also runs hidden tests).

Oracles: torch.nn.functional.linear and autograd through it in float64, torch.nn.Linear's own
initialisation under the same seed, torch.nn.init under the same generator seed, and
torch.nn.init._calculate_fan_in_and_fan_out.
"""

import torch
import torch.nn.functional as F
from phase1_testkit import no_nn_init
from torch import nn

from phase1.linear import Linear, LinearFunction, fan_in_and_fan_out, kaiming_normal_
from shared import assert_close, forbidden

TOL64 = {"rtol": 1e-10, "atol": 1e-12}


def test_linear_function_matches_f_linear_forward_and_backward():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 5, dtype=torch.float64, generator=g, requires_grad=True)
    w = torch.randn(3, 5, dtype=torch.float64, generator=g, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, generator=g, requires_grad=True)
    upstream = torch.randn(6, 3, dtype=torch.float64, generator=g)
    with forbidden("torch.nn.functional.linear", by="phase1.linear.LinearFunction"):
        out = LinearFunction.apply(x, w, b)
        assert type(out.grad_fn).__name__ == "LinearFunctionBackward", (
            f"LinearFunction.apply's output has grad_fn {out.grad_fn}. Hint: write a "
            "torch.autograd.Function with its own backward and return forward's result as is.")
        try:
            out.backward(upstream)
        except NotImplementedError:
            raise
        except RuntimeError as err:
            raise AssertionError(
                f"LinearFunction's backward failed: {err}\nHint: backward returns (grad_x, "
                "grad_W, grad_b) shaped like (x, W, b): grad_W is (out, in), grad_b (out,)."
            ) from None
    xr, wr, br = (t.detach().clone().requires_grad_() for t in (x, w, b))
    ref = F.linear(xr, wr, br)
    ref.backward(upstream)
    what = "LinearFunction on x (6, 5), W (3, 5), b (3,) in float64"
    assert_close(out, ref, **TOL64, what=f"{what}: y", oracle="torch.nn.functional.linear",
                 hint="y = x @ W.T + b; W is stored (out, in).")
    for name, got, exp, hint in [
        ("grad_x", x.grad, xr.grad, "grad_x = grad_out @ W"),
        ("grad_W", w.grad, wr.grad, "grad_W = grad_out^T @ x, shape (out, in) like W"),
        ("grad_b", b.grad, br.grad, "grad_b sums grad_out over the rows"),
    ]:
        assert_close(got, exp, **TOL64, what=f"{what}: {name}",
                     oracle="autograd through torch.nn.functional.linear", hint=hint)


def test_linear_module_starts_like_nn_linear_under_the_same_seed():
    torch.manual_seed(3)
    layer = Linear(20, 7)
    torch.manual_seed(3)
    ref = nn.Linear(20, 7)
    names = [(n, tuple(p.shape)) for n, p in layer.named_parameters()]
    assert names == [("weight", (7, 20)), ("bias", (7,))], (
        f"Linear(20, 7).named_parameters() should be [('weight', (7, 20)), ('bias', (7,))]; "
        f"got {names}")
    for name in ("weight", "bias"):
        assert_close(getattr(layer, name), getattr(ref, name),
                     what=f"Linear(20, 7).{name} after torch.manual_seed(3)",
                     oracle="torch.nn.Linear(20, 7) after torch.manual_seed(3)",
                     hint="draw weight then bias, each with one uniform_(-1/sqrt(in), "
                          "1/sqrt(in)) on torch's global generator.")


def test_fan_in_and_fan_out_matches_torch_for_linear_and_conv_weights():
    for shape in [(3, 5), (8, 4, 3, 3)]:
        w = torch.empty(shape)
        with no_nn_init("phase1.linear.fan_in_and_fan_out"):
            got = fan_in_and_fan_out(w)
        expected = torch.nn.init._calculate_fan_in_and_fan_out(w)
        assert tuple(got) == tuple(expected), (
            f"fan_in_and_fan_out of a weight of shape {shape}: expected (fan_in, fan_out) = "
            f"{expected} (torch.nn.init._calculate_fan_in_and_fan_out), got {got}. Hint: a "
            "weight is laid out (out, in, *kernel); fan_in counts the inputs of one output.")


def test_kaiming_normal_matches_torch_under_the_same_generator():
    w = torch.empty(64, 32)
    with no_nn_init("phase1.linear.kaiming_normal_"):
        got = kaiming_normal_(w, generator=torch.Generator().manual_seed(5))
    expected = torch.nn.init.kaiming_normal_(torch.empty(64, 32),
                                             generator=torch.Generator().manual_seed(5))
    assert got is w, "kaiming_normal_ must fill the tensor in place and return it."
    assert_close(w, expected, what="kaiming_normal_ on a (64, 32) weight with defaults",
                 oracle="torch.nn.init.kaiming_normal_ with a generator seeded the same",
                 hint="std = gain / sqrt(fan_in) with gain sqrt(2) by default; draw once with "
                      "tensor.normal_(0, std, generator=generator).")
