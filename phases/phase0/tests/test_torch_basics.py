"""Public smoke tests for phase0.torch_basics (the grader also runs hidden tests).

Oracles: data pointers (shared memory), torch.nn.Module's own bookkeeping, and autograd
(loss.backward() in float64) for the hand-derived gradients.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from phase0.torch_basics import TwoLayerNet, manual_gradients, numpy_to_tensor, predict_no_grad
from shared import assert_close, forbidden, rng

AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward")


class _RefNet(nn.Module):
    """The tests' own two-layer net, so that manual_gradients is graded on its own."""

    def __init__(self, d, h, o):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, h), nn.Linear(h, o)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


@pytest.fixture(autouse=True)
def _restore_grad_mode():
    """A predict_no_grad that leaves tracking off must fail its own test, not every later one."""
    yield
    torch.set_grad_enabled(True)


def test_numpy_to_tensor_shares_memory():
    a = rng(0).normal(size=(3, 4))
    t = numpy_to_tensor(a)
    assert isinstance(t, torch.Tensor), f"numpy_to_tensor must return a torch.Tensor, got {type(t)}"
    assert t.dtype == torch.float64, f"a float64 array must give a float64 tensor, got {t.dtype}"
    assert t.data_ptr() == a.__array_interface__["data"][0], (
        "The tensor must use the array's memory, not a copy. Hint: torch.tensor(a) copies; "
        "look for the torch function that wraps a NumPy array.")


def test_two_layer_net_named_parameters():
    """The two-layer net has the documented named parameters."""
    net = TwoLayerNet(5, 7, 3)
    got = [(name, tuple(p.shape)) for name, p in net.named_parameters()]
    expected = [("fc1.weight", (7, 5)), ("fc1.bias", (7,)),
                ("fc2.weight", (3, 7)), ("fc2.bias", (3,))]
    assert got == expected, (
        f"TwoLayerNet(5, 7, 3).named_parameters() should be {expected}; got {got}. Hint: assign "
        "nn.Linear layers to self.fc1 and self.fc2 (nn.Linear stores weight as (out, in)).")


def test_manual_gradients_match_autograd():
    torch.manual_seed(0)
    net = _RefNet(5, 7, 3).double()
    x, y = torch.randn(6, 5, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)
    with forbidden(*AUTOGRAD, by="phase0.torch_basics.manual_gradients"):
        got = manual_gradients(net, x, y)
    F.mse_loss(net(x), y).backward()
    for name, p in net.named_parameters():
        assert name in got, (
            f"manual_gradients must return a gradient for {name!r}; got keys {sorted(got)}")
        assert_close(got[name], p.grad, what=f"d mse / d {name} for N=6, in=5, hidden=7, out=3",
                     oracle="loss.backward() in float64",
                     hint="each gradient has its parameter's layout (nn.Linear's weight is "
                          "(out, in)); the loss is a mean over N * out elements; relu' is 1 "
                          "where z > 0")


def test_predict_no_grad_records_no_graph():
    """Predict without grad records no autograd graph."""
    net = _RefNet(4, 5, 2)
    out = predict_no_grad(net, torch.randn(3, 4))
    assert not out.requires_grad and out.grad_fn is None, (
        f"predict_no_grad's output must not require grad (got requires_grad={out.requires_grad}, "
        f"grad_fn={out.grad_fn}). Hint: run the forward pass inside torch.no_grad().")
