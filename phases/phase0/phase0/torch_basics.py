"""From NumPy to PyTorch: tensors, autograd and nn.Module.

This is the one phase-0 module where your code uses torch. It is the bridge to phase 1, where
every exercise is written with torch tensors: here you meet tensors that share memory with NumPy
arrays, nn.Module and its named parameters, autograd (checked against the gradients you derive
by hand), torch.no_grad, and an in-place parameter update.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def numpy_to_tensor(a: np.ndarray) -> torch.Tensor:
    """Wrap a NumPy array as a torch tensor that shares its memory (no copy).

    Writing into the tensor changes the array and vice versa. The dtype is kept: float64
    stays torch.float64, float32 stays torch.float32, int64 stays torch.int64.

    Args:
        a: a NumPy array of any shape with a numeric dtype.

    Returns:
        a CPU tensor of the same shape and dtype that uses a's memory.
    """
    raise NotImplementedError("phase0.torch_basics.numpy_to_tensor")


def tensor_to_numpy(t: torch.Tensor) -> np.ndarray:
    """View a CPU tensor as a NumPy array that shares its memory (no copy).

    Works for tensors that require grad too (detaching does not copy).

    Args:
        t: a CPU tensor of any shape with a numeric dtype (it may require grad).

    Returns:
        a NumPy array of the same shape and dtype that uses t's memory.
    """
    raise NotImplementedError("phase0.torch_basics.tensor_to_numpy")


class TwoLayerNet(nn.Module):
    """A two-layer perceptron: out = fc2(relu(fc1(x))).

    Its parameters, as named by named_parameters() and state_dict(), in this order:
        fc1.weight (hidden, in_features), fc1.bias (hidden,),
        fc2.weight (out_features, hidden), fc2.bias (out_features,).

    Make fc1 and then fc2 with torch.nn.Linear and its default initialisation, so that after
    torch.manual_seed(s) the weights are those of nn.Linear(in_features, hidden) followed by
    nn.Linear(hidden, out_features). Nothing else in the module holds parameters or buffers.
    """

    def __init__(self, in_features: int, hidden: int, out_features: int) -> None:
        """Create the layers fc1 (in_features -> hidden) and fc2 (hidden -> out_features)."""
        super().__init__()
        self.in_features, self.hidden, self.out_features = in_features, hidden, out_features
        raise NotImplementedError("phase0.torch_basics.TwoLayerNet.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """out = fc2(relu(fc1(x))).

        Args:
            x: (N, in_features) float tensor.

        Returns:
            (N, out_features) tensor.
        """
        raise NotImplementedError("phase0.torch_basics.TwoLayerNet.forward")


def manual_gradients(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradients of the mean squared error of net on (x, y), by hand: no autograd.

    The net computes z = x W1^T + b1, a = relu(z), out = a W2^T + b2, where W1, b1, W2, b2 are
    net.fc1.weight, net.fc1.bias, net.fc2.weight, net.fc2.bias. The loss is the mean over all
    N * out_features elements (as torch.nn.functional.mse_loss):

        loss = mean((out - y) ** 2)

    Derive dloss/dW1, dloss/db1, dloss/dW2 and dloss/db2 with matrix calculus and compute them
    with tensor operations. Take relu'(z) = 1 where z > 0, else 0. Do not use autograd: the tests
    make torch.Tensor.backward, torch.autograd.backward and torch.autograd.grad raise, and check
    that the .grad of every parameter is left untouched.

    Args:
        net: a TwoLayerNet, or any module with nn.Linear layers fc1 and fc2 whose forward is
            fc2(relu(fc1(x))).
        x: (N, in_features) float tensor.
        y: (N, out_features) float tensor, the targets.

    Returns:
        dict keyed like net.named_parameters() ("fc1.weight", "fc1.bias", "fc2.weight",
        "fc2.bias"): each gradient has its parameter's shape and dtype and does not require grad.
    """
    raise NotImplementedError("phase0.torch_basics.manual_gradients")


def predict_no_grad(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """net(x), without recording an autograd graph.

    Run the forward pass with gradient tracking disabled (torch.no_grad()), so that no graph is
    built while it runs: cheaper, and the output has requires_grad False and no grad_fn.
    Computing net(x) and then calling .detach() is not enough (the graph was built already).
    Afterwards, gradient tracking must be as it was before the call. Do not change net's
    parameters or its training mode.

    Args:
        net: any nn.Module.
        x: the input tensor.

    Returns:
        net(x), a tensor with requires_grad False and grad_fn None.
    """
    raise NotImplementedError("phase0.torch_basics.predict_no_grad")


def sgd_step(net: nn.Module, lr: float) -> None:
    """One step of plain gradient descent, in place, then clear the gradients.

    For every parameter p of net whose p.grad is not None:  p <- p - lr * p.grad. Then set the
    .grad of every parameter to None (as optimizer.zero_grad() does).

    Update the existing tensors in place with gradient tracking disabled: do not make new
    tensors (each p keeps its data_ptr()), and each p stays a leaf that requires grad. Parameters
    whose .grad is None do not change. Do not use torch.optim.

    Args:
        net: any nn.Module whose gradients have been computed (e.g. by loss.backward()).
        lr: the learning rate.

    Returns:
        None; net's parameters are updated in place.
    """
    raise NotImplementedError("phase0.torch_basics.sgd_step")
