"""Public smoke tests for phase1.mlp (the grader also runs hidden tests).

Oracles: autograd through the equivalent torch.nn modules in float64, an nn.Sequential twin
trained with torch.optim.SGD, and a training run that must fit a seeded spiral. Your code runs
under torch.no_grad() with autograd's entry points forbidden: every backward is yours.
"""

from contextlib import ExitStack, contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from phase1.mlp import (
    SGD,
    BatchNorm1d,
    Linear,
    ReLU,
    Sequential,
    SoftmaxCrossEntropy,
    Tanh,
    build_mlp,
    train_step,
)
from shared import assert_close, forbidden

TOL = {"rtol": 1e-10, "atol": 1e-10}
F64 = torch.float64
NO_AUTOGRAD = ("torch.Tensor.backward", "torch.autograd.backward", "torch.autograd.grad",
               "torch.Tensor.requires_grad_")


@contextmanager
def framework():
    with ExitStack() as stack:
        stack.enter_context(torch.no_grad())
        stack.enter_context(forbidden(*NO_AUTOGRAD, by="phase1.mlp"))
        yield


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def test_linear_backward_matches_autograd():
    x, upstream = randn(6, 5, seed=1), randn(6, 3, seed=2)
    layer = Linear(5, 3, dtype=F64)
    ref = nn.Linear(5, 3, dtype=F64)
    with torch.no_grad():
        ref.weight.copy_(layer.weight.data)
        ref.bias.copy_(layer.bias.data)
    xr = x.clone().requires_grad_(True)
    ref(xr).backward(upstream)
    with framework():
        y = layer.forward(x)
        dx = layer.backward(upstream)
    assert_close(y, ref(x).detach(), **TOL, what="Linear(5, 3) forward", oracle="nn.Linear")
    assert_close(dx, xr.grad, **TOL, what="Linear(5, 3) backward: dL/dx",
                 oracle="autograd through nn.Linear", hint="grad_output @ weight")
    assert_close(layer.weight.grad, ref.weight.grad, **TOL, what="Linear(5, 3): weight.grad",
                 oracle="autograd through nn.Linear",
                 hint="shape (out, in) like the weight: grad_output^T @ x")
    assert_close(layer.bias.grad, ref.bias.grad, **TOL, what="Linear(5, 3): bias.grad",
                 oracle="autograd through nn.Linear", hint="sum grad_output over the batch")


def test_network_tracks_an_nn_sequential_twin_for_20_sgd_steps():
    """The network tracks an nn.Sequential twin for 20 SGD steps."""
    g = torch.Generator().manual_seed(0)
    net = Sequential(Linear(6, 10, generator=g, dtype=F64), BatchNorm1d(10, dtype=F64), Tanh(),
                     Linear(10, 8, generator=g, dtype=F64), ReLU(),
                     Linear(8, 3, generator=g, dtype=F64))
    ref = nn.Sequential(nn.Linear(6, 10, dtype=F64), nn.BatchNorm1d(10, dtype=F64), nn.Tanh(),
                        nn.Linear(10, 8, dtype=F64), nn.ReLU(), nn.Linear(8, 3, dtype=F64))
    with torch.no_grad():
        for i in (0, 3, 5):
            ref[i].weight.copy_(net.layers[i].weight.data)
            ref[i].bias.copy_(net.layers[i].bias.data)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    with framework():
        opt = SGD(net.parameters(), lr=0.1, momentum=0.9)
        loss_fn = SoftmaxCrossEntropy()
    for step in range(20):
        x = randn(12, 6, seed=100 + step)
        targets = torch.randint(0, 3, (12,), generator=torch.Generator().manual_seed(step))
        ref_opt.zero_grad()
        ref_loss = F.cross_entropy(ref(x), targets)
        ref_loss.backward()
        ref_opt.step()
        with framework():
            loss = train_step(net, loss_fn, opt, x, targets)
        assert_close(loss, ref_loss.item(), **TOL, what=f"the loss at train_step {step + 1}",
                     oracle="an nn.Sequential twin (copied weights) trained with torch.optim.SGD",
                     hint="step 1 wrong: a forward or the loss. Later steps wrong: the backward, "
                          "zero_grad before each backward, or SGD's momentum buffer.")


def test_mlp_fits_a_spiral():
    g = np.random.default_rng(0)
    xs, ys = [], []
    for k in range(3):  # three interleaved spiral arms, 100 points each
        r = np.linspace(0.0, 1.0, 100)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), 100) + 0.2 * g.normal(size=100)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys += [k] * 100
    x, y = torch.tensor(np.concatenate(xs), dtype=torch.float32), torch.tensor(ys)
    with framework():
        net = build_mlp([2, 64, 64, 3], "relu", generator=torch.Generator().manual_seed(0))
        opt = SGD(net.parameters(), lr=0.1, momentum=0.9)
        loss_fn = SoftmaxCrossEntropy()
        for _ in range(300):
            train_step(net, loss_fn, opt, x, y)
        acc = (net.eval().forward(x).argmax(dim=1) == y).float().mean().item()
    # Calibration: the reference reaches 0.99 (0.99 with seeds 0-3 as well).
    assert acc >= 0.95, (
        f"build_mlp([2, 64, 64, 3], 'relu') trained with SGD(lr=0.1, momentum=0.9) for 300 "
        f"full-batch steps reached {acc:.3f} train accuracy on the spiral; expected >= 0.95.")
