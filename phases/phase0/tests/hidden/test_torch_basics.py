"""Hidden tests for phase0.torch_basics.

Oracles: data pointers and write-through (shared memory), torch.nn.Module's bookkeeping and
nn.Linear's seeded initialisation, a NumPy forward pass, loss.backward() in float64 for the
hand-derived gradients, torch.is_grad_enabled() seen from inside the forward pass, and the
update rule p - lr * grad.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from phase0.torch_basics import (
    TwoLayerNet,
    manual_gradients,
    numpy_to_tensor,
    predict_no_grad,
    sgd_step,
    tensor_to_numpy,
)
from shared import assert_close, forbidden, rng

AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward")
NAMES = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


class _RefNet(nn.Module):
    """The tests' own two-layer net, so that manual_gradients is graded on its own."""

    def __init__(self, d, h, o):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, h), nn.Linear(h, o)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class _Probe(nn.Module):
    """Records whether gradient tracking is on while its forward pass runs."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)
        self.grad_enabled_in_forward = []

    def forward(self, x):
        self.grad_enabled_in_forward.append(torch.is_grad_enabled())
        return torch.tanh(self.lin(x))


@pytest.fixture(autouse=True)
def _restore_grad_mode():
    """A predict_no_grad that leaves tracking off must fail its own test, not every later one."""
    yield
    torch.set_grad_enabled(True)


def _ptr(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


# --------------------------------------------------------------------------------------------
# NumPy <-> torch
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype,shape", [(np.float64, (3, 4)), (np.float32, (5,)),
                                         (np.int64, (2, 3, 4))])
def test_numpy_to_tensor_keeps_dtype_and_writes_through(dtype, shape):
    a = (10 * rng(1).normal(size=shape)).astype(dtype)
    t = numpy_to_tensor(a)
    expected_dtype = torch.from_numpy(np.zeros(1, dtype)).dtype
    assert isinstance(t, torch.Tensor) and t.dtype == expected_dtype, (
        f"numpy_to_tensor of a {np.dtype(dtype).name} array must give a {expected_dtype} tensor; "
        f"got {type(t).__name__} {getattr(t, 'dtype', None)}. Hint: do not convert the dtype.")
    assert tuple(t.shape) == shape, f"shape must stay {shape}, got {tuple(t.shape)}"
    assert t.data_ptr() == _ptr(a), "The tensor must use the array's memory (no copy)."
    a.flat[0] = 7
    assert t.reshape(-1)[0].item() == 7, "Writing into the array must show in the tensor."
    t.reshape(-1)[-1] = -3
    assert a.flat[-1] == -3, "Writing into the tensor must show in the array."


def test_tensor_to_numpy_shares_memory_even_when_requiring_grad():
    t = torch.randn(4, 3, requires_grad=True)
    a = tensor_to_numpy(t)
    assert isinstance(a, np.ndarray), f"tensor_to_numpy must return a numpy.ndarray, got {type(a)}"
    assert a.dtype == np.float32 and a.shape == (4, 3), (
        f"expected a float32 array of shape (4, 3), got {a.dtype} {a.shape}")
    assert _ptr(a) == t.data_ptr(), (
        "The array must use the tensor's memory, not a copy. Hint: .detach() shares the storage; "
        ".clone(), .tolist() or np.array(...) copy.")
    a[1, 2] = 42.0
    assert t.detach()[1, 2].item() == 42.0, "Writing into the array must show in the tensor."


@pytest.mark.parametrize("make", [
    lambda: torch.arange(12, dtype=torch.float64).reshape(3, 4),
    lambda: torch.arange(10, dtype=torch.int32),
    lambda: torch.arange(12.0).reshape(3, 4).T,  # a non-contiguous view
])
def test_tensor_to_numpy_keeps_values_dtype_and_memory(make):
    t = make()
    a = tensor_to_numpy(t)
    assert_close(a, t, check_dtype=True, what=f"tensor_to_numpy of a {t.dtype} tensor "
                 f"of shape {tuple(t.shape)}", oracle="the tensor's own values")
    assert _ptr(a) == t.data_ptr(), (
        "The array must use the tensor's memory (no copy), also for a non-contiguous view. "
        "Hint: .contiguous() and .clone() copy.")


def test_round_trip_shares_memory():
    """A NumPy-to-tensor-to-NumPy round trip shares memory."""
    a = rng(2).normal(size=(2, 5))
    back = tensor_to_numpy(numpy_to_tensor(a))
    assert np.shares_memory(a, back) and back.shape == a.shape, (
        "tensor_to_numpy(numpy_to_tensor(a)) must be a view of a: neither direction copies.")


# --------------------------------------------------------------------------------------------
# nn.Module
# --------------------------------------------------------------------------------------------


def test_two_layer_net_state_dict_keys_and_no_buffers():
    """The two-layer net's state dict has the documented keys and no buffers."""
    net = TwoLayerNet(3, 4, 2)
    assert list(net.state_dict().keys()) == NAMES, (
        f"state_dict() keys must be {NAMES} in this order; got {list(net.state_dict().keys())}. "
        "Hint: register exactly two nn.Linear layers, fc1 then fc2.")
    assert list(net.buffers()) == [], "TwoLayerNet must not hold buffers."
    assert sum(p.numel() for p in net.parameters()) == 3 * 4 + 4 + 4 * 2 + 2, (
        "TwoLayerNet(3, 4, 2) must have 3*4 + 4 + 4*2 + 2 = 26 parameters.")
    for name, p in net.named_parameters():
        assert isinstance(p, nn.Parameter) and p.requires_grad and p.dtype == torch.float32, (
            f"{name} must be a float32 nn.Parameter that requires grad.")


@pytest.mark.parametrize("dims", [(5, 7, 3), (2, 9, 1)])
def test_two_layer_net_named_parameters_shapes(dims):
    """The two-layer net's named parameters have the documented shapes."""
    d, h, o = dims
    got = [(n, tuple(p.shape)) for n, p in TwoLayerNet(d, h, o).named_parameters()]
    expected = list(zip(NAMES, [(h, d), (h,), (o, h), (o,)], strict=True))
    assert got == expected, (
        f"TwoLayerNet{dims}.named_parameters() should be {expected}; got {got}. "
        "Hint: nn.Linear(in, out).weight has shape (out, in).")


def test_two_layer_net_uses_default_linear_init_fc1_then_fc2():
    """The two-layer net initialises fc1 then fc2 with the default Linear init."""
    torch.manual_seed(3)
    net = TwoLayerNet(4, 6, 2)
    torch.manual_seed(3)
    fc1, fc2 = nn.Linear(4, 6), nn.Linear(6, 2)
    expected = dict(zip(NAMES, [fc1.weight, fc1.bias, fc2.weight, fc2.bias], strict=True))
    for name, p in net.named_parameters():
        assert_close(p, expected[name], what=f"{name} after torch.manual_seed(3)",
                     oracle="nn.Linear(4, 6) then nn.Linear(6, 2) after the same seed",
                     hint="create fc1 before fc2 with nn.Linear's default initialisation, and "
                          "draw nothing else at random in __init__")


def test_two_layer_net_forward_is_fc2_relu_fc1():
    """The two-layer net's forward pass is fc1, then ReLU, then fc2."""
    g = rng(4)
    d, h, o, n = 5, 8, 3, 6
    W1, b1, W2, b2 = (g.normal(size=s) for s in [(h, d), (h,), (o, h), (o,)])
    net = TwoLayerNet(d, h, o).double()
    net.load_state_dict({k: torch.tensor(v) for k, v in zip(NAMES, [W1, b1, W2, b2], strict=True)})
    x = g.normal(size=(n, d))
    expected = np.maximum(x @ W1.T + b1, 0) @ W2.T + b2
    out = net(torch.tensor(x))
    assert_close(out, expected, what="TwoLayerNet(5, 8, 3)(x) for x of shape (6, 5)",
                 oracle="NumPy: relu(x W1^T + b1) W2^T + b2",
                 hint="forward is fc2(relu(fc1(x))): relu between the layers, none after fc2")
    assert out.requires_grad, "The output of forward must be part of the autograd graph."


def test_two_layer_net_backward_reaches_every_parameter():
    net = TwoLayerNet(3, 5, 2)
    net(torch.randn(4, 3)).pow(2).sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, (
            f"After loss.backward(), {name}.grad must be set. Hint: compute forward with torch "
            "operations on the parameters (no NumPy, no .detach(), no torch.no_grad()).")


# --------------------------------------------------------------------------------------------
# autograd vs hand-derived gradients
# --------------------------------------------------------------------------------------------

HINTS = {
    "fc2.weight": "dW2 = dout^T a has fc2.weight's layout (out, hidden), with "
                  "dout = 2 (out - y) / (N * out_features)",
    "fc2.bias": "the bias gradient sums dout over the batch",
    "fc1.weight": "dW1 = dz^T x has fc1.weight's layout (hidden, in); dz = (dout W2) * (z > 0)",
    "fc1.bias": "the bias gradient sums dz over the batch",
}


def _check_manual_gradients(net, x, y, what, rtol=None, atol=None):
    before = {k: v.detach().clone() for k, v in net.named_parameters()}
    with forbidden(*AUTOGRAD, by="phase0.torch_basics.manual_gradients"):
        got = manual_gradients(net, x, y)
    for name, p in net.named_parameters():
        assert p.grad is None, (
            f"manual_gradients must leave {name}.grad untouched (None); it was set. "
            "Hint: compute the gradients with tensor arithmetic, not with autograd.")
        assert torch.equal(p.detach(), before[name]), f"manual_gradients must not change {name}."
    assert sorted(got) == sorted(NAMES), (
        f"manual_gradients must return the keys {NAMES}; got {sorted(got)}")
    F.mse_loss(net(x), y).backward()
    for name, p in net.named_parameters():
        g = got[name]
        assert isinstance(g, torch.Tensor) and not g.requires_grad, (
            f"The gradient for {name} must be a tensor that does not require grad. Hint: compute "
            "under torch.no_grad() or from .detach()ed parameters.")
        assert_close(g, p.grad, rtol=rtol, atol=atol, check_dtype=True,
                     what=f"d mse / d {name} ({what})", oracle="loss.backward()", hint=HINTS[name])


@pytest.mark.parametrize("dims", [(6, 5, 7, 3), (1, 3, 4, 1), (10, 2, 9, 4)])
def test_manual_gradients_match_autograd_float64(dims):
    """Manual gradients match autograd in float64."""
    n, d, h, o = dims
    torch.manual_seed(n)
    net = _RefNet(d, h, o).double()
    x, y = torch.randn(n, d, dtype=torch.float64), torch.randn(n, o, dtype=torch.float64)
    _check_manual_gradients(net, x, y, f"N={n}, in={d}, hidden={h}, out={o}, float64",
                            rtol=1e-10, atol=1e-12)


def test_manual_gradients_on_two_layer_net_float32():
    """Manual gradients match autograd on the two-layer net in float32."""
    torch.manual_seed(11)
    net = TwoLayerNet(4, 6, 2)
    x, y = torch.randn(8, 4), torch.randn(8, 2)
    _check_manual_gradients(net, x, y, "TwoLayerNet(4, 6, 2), N=8, float32")


# --------------------------------------------------------------------------------------------
# torch.no_grad and in-place updates
# --------------------------------------------------------------------------------------------


def test_predict_no_grad_disables_tracking_during_forward():
    """Predict without grad turns off gradient tracking during the forward pass."""
    torch.manual_seed(5)
    net = _Probe()
    x = torch.randn(4, 3)
    out = predict_no_grad(net, x)
    assert net.grad_enabled_in_forward == [False], (
        f"Gradient tracking was {net.grad_enabled_in_forward} during net's forward pass; it must "
        "be off (one call). Hint: calling net(x) and then .detach() still builds the graph; run "
        "net(x) inside torch.no_grad().")
    assert not out.requires_grad and out.grad_fn is None, "The output must not require grad."
    assert_close(out, torch.tanh(net.lin(x)).detach(), what="predict_no_grad(net, x)",
                 oracle="net(x)")


def test_predict_no_grad_restores_grad_mode_and_training_mode():
    """Predict without grad restores the previous grad mode and training mode."""
    net = _Probe()
    net.train()
    predict_no_grad(net, torch.randn(2, 3))
    assert torch.is_grad_enabled(), (
        "After predict_no_grad, gradient tracking must be on again. Hint: use the context manager "
        "`with torch.no_grad():` rather than torch.set_grad_enabled(False).")
    assert net.training, "predict_no_grad must not change the net's training mode."
    net.eval()
    with torch.no_grad():
        predict_no_grad(net, torch.randn(2, 3))
        assert not torch.is_grad_enabled(), "Inside torch.no_grad(), tracking must stay off."
    assert torch.is_grad_enabled() and not net.training, "Grad mode and eval mode must be kept."


@pytest.mark.parametrize("lr", [0.1, 2.5])
def test_sgd_step_updates_in_place_and_clears_grads(lr):
    torch.manual_seed(6)
    net = _RefNet(3, 4, 2)
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    F.mse_loss(net(x), y).backward()
    net.fc2.bias.grad = None  # a parameter without a gradient must not move
    expected = {name: (p - lr * p.grad if p.grad is not None else p).detach().clone()
                for name, p in net.named_parameters()}
    ids = {name: (id(p), p.data_ptr()) for name, p in net.named_parameters()}
    sgd_step(net, lr)
    for name, p in net.named_parameters():
        assert_close(p, expected[name], what=f"{name} after sgd_step(net, lr={lr})",
                     oracle="p - lr * p.grad (what torch.optim.SGD does); unchanged if no grad",
                     hint="p <- p - lr * p.grad, in place, only for parameters whose .grad is set")
        assert (id(p), p.data_ptr()) == ids[name] and p.is_leaf and p.requires_grad, (
            f"{name} must be updated in place: the same tensor, same memory, still a leaf that "
            "requires grad. Hint: `p = p - lr * p.grad` only rebinds a name; use p -= ... under "
            "torch.no_grad().")
        assert p.grad is None, f"After sgd_step every .grad must be None; {name}.grad is not."
