"""Hidden tests for phase1.mlp: the layer framework with hand-written backward passes.

Oracles: autograd through the equivalent torch.nn modules (nn.Linear, nn.ReLU, nn.Tanh,
nn.BatchNorm1d, F.cross_entropy) in float64 on the same inputs and upstream gradients;
torch.optim.SGD step by step; closed forms (dropout's identity in eval, its mask recovered from
the output); seeded statistical tests with stated false-failure rates; a training run that must
fit a seeded spiral.

Every call into the framework runs under torch.no_grad() with autograd's entry points forbidden,
since the framework's backward passes must be written by hand.
"""

from contextlib import ExitStack, contextmanager

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from phase1.mlp import (
    SGD,
    BatchNorm1d,
    Dropout,
    Linear,
    Parameter,
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

NO_AUTOGRAD = (
    "torch.Tensor.backward",
    "torch.autograd.backward",
    "torch.autograd.grad",
    "torch.Tensor.requires_grad_",
)
BUILT_INS = (
    "torch.nn.functional.batch_norm",
    "torch.batch_norm",
    "torch.nn.functional.dropout",
    "torch.dropout",
    "torch.nn.functional.cross_entropy",
    "torch.nn.functional.nll_loss",
    "torch.nn.functional.log_softmax",
    "torch.log_softmax",
    "torch.Tensor.log_softmax",
)


@contextmanager
def framework(by="phase1.mlp"):
    """Run learner code with autograd off and its entry points (and the built-ins) forbidden."""
    with ExitStack() as stack:
        stack.enter_context(torch.no_grad())
        stack.enter_context(forbidden(*NO_AUTOGRAD, *BUILT_INS, by=by))
        yield


def randn(*shape, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=F64) * scale


def leaf(t):
    return t.detach().clone().requires_grad_(True)


def set_params(layer, *values):
    for p, v in zip(layer.parameters(), values, strict=True):
        p.data.copy_(v)


def twin(net):
    """An nn.Sequential with the framework network's weights copied in (Dropout -> Identity)."""
    mods = []
    for layer in net.layers:
        if isinstance(layer, Linear):
            m = nn.Linear(layer.weight.data.shape[1], layer.weight.data.shape[0],
                          bias=layer.bias is not None, dtype=F64)
            with torch.no_grad():
                m.weight.copy_(layer.weight.data)
                if layer.bias is not None:
                    m.bias.copy_(layer.bias.data)
        elif isinstance(layer, BatchNorm1d):
            m = nn.BatchNorm1d(layer.num_features, eps=layer.eps, momentum=layer.momentum,
                               dtype=F64)
            with torch.no_grad():
                m.weight.copy_(layer.weight.data)
                m.bias.copy_(layer.bias.data)
                m.running_mean.copy_(layer.running_mean)
                m.running_var.copy_(layer.running_var)
        elif isinstance(layer, ReLU):
            m = nn.ReLU()
        elif isinstance(layer, Tanh):
            m = nn.Tanh()
        elif isinstance(layer, Dropout):
            m = nn.Identity()
        else:
            raise AssertionError(f"unexpected layer type {type(layer).__name__} in the network")
        mods.append(m)
    return nn.Sequential(*mods)


def twin_params(seq):
    """The torch twin's parameters in the framework's order (weight, bias per layer)."""
    out = []
    for m in seq:
        if isinstance(m, nn.Linear | nn.BatchNorm1d):
            out.append(m.weight)
            if m.bias is not None:
                out.append(m.bias)
    return out


# --- Linear --------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_and_backward_match_autograd(bias):
    x, upstream = randn(6, 5, seed=1), randn(6, 3, seed=2)
    layer = Linear(5, 3, bias=bias, dtype=F64)
    ref = nn.Linear(5, 3, bias=bias, dtype=F64)
    with torch.no_grad():
        ref.weight.copy_(randn(3, 5, seed=3))
        layer.weight.data.copy_(ref.weight)
        if bias:
            ref.bias.copy_(randn(3, seed=4))
            layer.bias.data.copy_(ref.bias)
    xr = leaf(x)
    ref(xr).backward(upstream)
    with framework():
        y = layer.forward(x)
        dx = layer.backward(upstream)
    what = f"Linear(5, 3, bias={bias}) on x of shape (6, 5), upstream gradient (6, 3)"
    assert_close(y, ref(x).detach(), **TOL, what=f"{what}: forward", oracle="torch.nn.Linear")
    assert_close(dx, xr.grad, **TOL, what=f"{what}: dL/dx", oracle="autograd through nn.Linear",
                 hint="dL/dx = grad_output @ weight, shape (N, in_features).")
    assert_close(layer.weight.grad, ref.weight.grad, **TOL, what=f"{what}: weight.grad",
                 oracle="autograd through nn.Linear",
                 hint="weight.grad has the weight's shape (out, in): grad_output^T @ x, not "
                      "x^T @ grad_output.")
    if bias:
        assert_close(layer.bias.grad, ref.bias.grad, **TOL, what=f"{what}: bias.grad",
                     oracle="autograd through nn.Linear",
                     hint="the bias is added to every row: sum grad_output over the batch.")
    else:
        assert layer.bias is None and len(layer.parameters()) == 1, (
            "Linear(bias=False).parameters() must be [weight] only")


def test_linear_square_weight_gradient_is_not_transposed():
    # A square layer: a transposed weight gradient has the right shape but wrong values.
    x, upstream = randn(7, 4, seed=5), randn(7, 4, seed=6)
    layer = Linear(4, 4, dtype=F64)
    w = randn(4, 4, seed=7)
    set_params(layer, w, randn(4, seed=8))
    with framework():
        layer.forward(x)
        layer.backward(upstream)
    assert_close(layer.weight.grad, upstream.T @ x, **TOL,
                 what="weight.grad of a square Linear(4, 4) (N=7)",
                 oracle="the closed form dL/dW = grad_output^T @ x",
                 hint="with y = x @ W^T, dL/dW[o, i] = sum_n grad_output[n, o] * x[n, i].")


def test_linear_backward_accumulates_into_grad_until_zero_grad():
    x, upstream = randn(5, 3, seed=9), randn(5, 2, seed=10)
    layer = Linear(3, 2, dtype=F64)
    with framework():
        layer.forward(x)
        layer.backward(upstream)
        once = [p.grad.clone() for p in layer.parameters()]
        layer.forward(x)
        layer.backward(upstream)
        twice = [p.grad.clone() for p in layer.parameters()]
        layer.zero_grad()
    for name, g1, g2 in zip(("weight", "bias"), once, twice, strict=True):
        assert_close(g2, 2 * g1, **TOL, what=f"{name}.grad after two identical backward calls",
                     oracle="twice the gradient of one call (the framework's convention: "
                            "gradients accumulate)",
                     hint="ADD into p.grad (+=) in backward; only zero_grad() resets it.")
    for p in layer.parameters():
        assert_close(p.grad, torch.zeros_like(p.data), what="grad after zero_grad()",
                     oracle="zeros")


def test_linear_parameters_are_weight_then_bias():
    layer = Linear(3, 2, dtype=F64)
    with framework():
        params = layer.parameters()
    assert [type(p) for p in params] == [Parameter, Parameter], (
        "Linear.parameters() must return the Parameter objects themselves")
    assert params[0] is layer.weight and params[1] is layer.bias, (
        "Linear.parameters() must be [weight, bias], in that order (the same objects)")


# --- activations ---------------------------------------------------------------------------


def test_relu_matches_autograd_with_zero_gradient_at_zero():
    x = randn(4, 6, seed=11)
    x[0, :3] = 0.0  # exact zeros: the derivative there is 0 by this framework's convention
    upstream = randn(4, 6, seed=12)
    xr = leaf(x)
    torch.relu(xr).backward(upstream)
    with framework():
        layer = ReLU()
        y = layer.forward(x)
        dx = layer.backward(upstream)
    assert_close(y, torch.relu(x), **TOL, what="ReLU forward", oracle="torch.relu")
    assert_close(dx, xr.grad, **TOL, what="ReLU backward (x has exact zeros in row 0)",
                 oracle="autograd through torch.relu",
                 hint="pass the gradient where x > 0 (strictly); at x == 0 it is 0.")


def test_tanh_matches_autograd():
    x, upstream = randn(5, 4, seed=13, scale=2.0), randn(5, 4, seed=14)
    xr = leaf(x)
    torch.tanh(xr).backward(upstream)
    with framework():
        layer = Tanh()
        y = layer.forward(x)
        dx = layer.backward(upstream)
    assert_close(y, torch.tanh(x), **TOL, what="Tanh forward", oracle="torch.tanh")
    assert_close(dx, xr.grad, **TOL, what="Tanh backward", oracle="autograd through torch.tanh",
                 hint="d tanh(x)/dx = 1 - tanh(x)^2: use the OUTPUT y, not the input x.")


def test_backward_uses_the_most_recent_forward():
    a, b, upstream = randn(3, 4, seed=15), randn(3, 4, seed=16), randn(3, 4, seed=17)
    with framework():
        layer = Tanh()
        layer.forward(a)
        layer.forward(b)
        dx = layer.backward(upstream)
    assert_close(dx, upstream * (1 - torch.tanh(b) ** 2), **TOL,
                 what="Tanh backward after forward(a) then forward(b)",
                 oracle="the derivative at b, the last forward's input",
                 hint="cache in every forward call, overwriting the previous cache.")


# --- Dropout -------------------------------------------------------------------------------


def test_dropout_is_the_identity_in_eval_mode():
    x, upstream = randn(8, 9, seed=18), randn(8, 9, seed=19)
    with framework():
        layer = Dropout(0.5)
        assert layer.eval() is layer, "eval() must return the layer itself"
        y = layer.forward(x)
        dx = layer.backward(upstream)
    assert_close(y, x, rtol=0, atol=0, what="Dropout(0.5) forward in eval mode",
                 oracle="the identity (inverted dropout never rescales at evaluation)",
                 hint="check self.training: in eval mode return x unchanged (no mask, no "
                      "division by 1 - p).")
    assert_close(dx, upstream, rtol=0, atol=0, what="Dropout(0.5) backward in eval mode",
                 oracle="the identity")


def test_dropout_drops_a_fraction_p_and_scales_the_rest():
    # 100,000 elements; the dropped fraction has std sqrt(p(1-p)/n) = 0.00145 for p = 0.3; a
    # 6-sigma band (+- 0.0087) fails a correct implementation with probability < 2e-9.
    p, n_rows, n_cols = 0.3, 200, 500
    x = torch.ones(n_rows, n_cols, dtype=F64)
    with framework():
        y = Dropout(p, generator=torch.Generator().manual_seed(0)).forward(x)
    dropped = (y == 0).double().mean().item()
    assert abs(dropped - p) < 6 * np.sqrt(p * (1 - p) / x.numel()), (
        f"Dropout({p}) in training mode zeroed a fraction {dropped:.4f} of 100,000 elements; "
        f"expected {p} (+- 0.009). Hint: drop each element with probability p, keep it with "
        "probability 1 - p.")
    kept = y[y != 0]
    assert_close(kept, torch.full_like(kept, 1 / (1 - p)), what="the kept elements of "
                 "Dropout(0.3) applied to ones", oracle="1 / (1 - p) (inverted dropout)",
                 hint="scale the kept elements by 1 / (1 - p) in training, so E[y] = x.")


def test_dropout_backward_uses_the_forward_mask():
    x, upstream = randn(30, 40, seed=20) + 5.0, randn(30, 40, seed=21)  # x far from 0
    with framework():
        layer = Dropout(0.4, generator=torch.Generator().manual_seed(1))
        y = layer.forward(x)
        dx = layer.backward(upstream)
    factor = y / x  # mask / (1 - p), recovered from the forward's output
    assert_close(dx, upstream * factor, **TOL, what="Dropout(0.4) backward in training mode",
                 oracle="autograd of y = x * m with m = forward output / x",
                 hint="multiply the gradient by the SAME mask (and 1/(1-p) scale) that the "
                      "last forward used; do not draw a new one.")


def test_dropout_draws_a_fresh_mask_from_its_generator():
    x = torch.ones(50, 50, dtype=F64)
    with framework():
        layer = Dropout(0.5, generator=torch.Generator().manual_seed(2))
        first, second = layer.forward(x), layer.forward(x)
        again = Dropout(0.5, generator=torch.Generator().manual_seed(2)).forward(x)
    assert not torch.equal(first, second), (
        "Two training-mode forward calls of Dropout(0.5) gave the same mask; draw a new mask "
        "at every call.")
    assert torch.equal(first, again), (
        "Two Dropout(0.5) layers with generators seeded alike gave different masks: draw the "
        "mask with the layer's generator (self.generator).")


def test_dropout_edge_probabilities():
    """Dropout with p of zero or one keeps or drops everything, forward and backward."""
    x, upstream = randn(6, 7, seed=22), randn(6, 7, seed=23)
    with framework():
        keep_all = Dropout(0.0)
        y0, g0 = keep_all.forward(x), keep_all.backward(upstream)
        drop_all = Dropout(1.0)
        y1, g1 = drop_all.forward(x), drop_all.backward(upstream)
    assert_close(y0, x, rtol=0, atol=0, what="Dropout(0.0) in training mode", oracle="x")
    assert_close(g0, upstream, rtol=0, atol=0, what="Dropout(0.0) backward", oracle="upstream")
    assert_close(y1, torch.zeros_like(x), rtol=0, atol=0, what="Dropout(1.0) in training mode",
                 oracle="zeros", hint="p = 1 drops everything; avoid dividing by 1 - p = 0.")
    assert_close(g1, torch.zeros_like(x), rtol=0, atol=0, what="Dropout(1.0) backward",
                 oracle="zeros")


# --- BatchNorm1d ---------------------------------------------------------------------------


def _bn_pair(c=5, seed=30, momentum=0.1, eps=1e-5):
    layer = BatchNorm1d(c, eps=eps, momentum=momentum, dtype=F64)
    ref = nn.BatchNorm1d(c, eps=eps, momentum=momentum, dtype=F64)
    w, b = 1 + 0.3 * randn(c, seed=seed), 0.5 * randn(c, seed=seed + 1)
    with torch.no_grad():
        ref.weight.copy_(w)
        ref.bias.copy_(b)
    set_params(layer, w, b)
    return layer, ref


def test_batchnorm_training_forward_and_backward_match_torch():
    layer, ref = _bn_pair(momentum=0.2, eps=1e-3)
    x, upstream = randn(9, 5, seed=32, scale=3.0) + 1.0, randn(9, 5, seed=33)
    xr = leaf(x)
    out = ref(xr)
    out.backward(upstream)
    with framework():
        y = layer.forward(x)
        dx = layer.backward(upstream)
    what = "BatchNorm1d(5, eps=1e-3) in training mode on x of shape (9, 5)"
    assert_close(y, out.detach(), **TOL,
                 what=f"{what}: forward", oracle="torch.nn.BatchNorm1d",
                 hint="normalise with the batch mean and the BIASED batch variance (divide by "
                      "N), eps inside the square root.")
    assert_close(dx, xr.grad, **TOL, what=f"{what}: dL/dx", oracle="autograd through "
                 "nn.BatchNorm1d", hint="in training mode the mean and variance depend on x "
                 "too: dx = (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)) / std, with "
                 "g_hat = grad_output * weight.")
    assert_close(layer.weight.grad, ref.weight.grad, **TOL, what=f"{what}: weight.grad",
                 oracle="autograd through nn.BatchNorm1d", hint="sum grad_output * x_hat.")
    assert_close(layer.bias.grad, ref.bias.grad, **TOL, what=f"{what}: bias.grad",
                 oracle="autograd through nn.BatchNorm1d", hint="sum grad_output over N.")


def test_batchnorm_running_statistics_match_torch():
    layer, ref = _bn_pair(momentum=0.3)
    for k in range(4):
        x = randn(6, 5, seed=40 + k, scale=2.0) + k
        with framework():
            layer.forward(x)
        ref(x)
    assert_close(layer.running_mean, ref.running_mean, **TOL,
                 what="running_mean after 4 training batches, momentum 0.3",
                 oracle="torch.nn.BatchNorm1d",
                 hint="running <- (1 - momentum) * running + momentum * batch statistic.")
    assert_close(layer.running_var, ref.running_var, **TOL,
                 what="running_var after 4 training batches of 6, momentum 0.3",
                 oracle="torch.nn.BatchNorm1d",
                 hint="the running variance uses the UNBIASED batch variance (divide by N - 1), "
                      "while the batch itself is normalised with the biased one.")


def test_batchnorm_eval_uses_running_statistics_forward_and_backward():
    layer, ref = _bn_pair(momentum=0.5)
    for k in range(3):
        x = randn(8, 5, seed=50 + k, scale=2.0) - k
        with framework():
            layer.forward(x)
        ref(x)
    with framework():
        layer.eval()
        before = (layer.running_mean.clone(), layer.running_var.clone())
        x, upstream = randn(4, 5, seed=60, scale=4.0) + 3.0, randn(4, 5, seed=61)
        y = layer.forward(x)
        dx = layer.backward(upstream)
    ref.eval()
    xr = leaf(x)
    out = ref(xr)
    out.backward(upstream)
    what = "BatchNorm1d in eval mode after 3 training batches, on a new batch (4, 5)"
    assert_close(y, out.detach(), **TOL, what=f"{what}: forward", oracle="nn.BatchNorm1d.eval()",
                 hint="in eval mode normalise with running_mean and running_var, not with the "
                      "statistics of the batch at hand.")
    assert_close(dx, xr.grad, **TOL, what=f"{what}: dL/dx", oracle="autograd through "
                 "nn.BatchNorm1d in eval mode", hint="with fixed running statistics, dL/dx = "
                 "grad_output * weight / sqrt(running_var + eps).")
    assert_close(layer.weight.grad, ref.weight.grad, **TOL, what=f"{what}: weight.grad",
                 oracle="autograd through nn.BatchNorm1d in eval mode")
    assert_close(layer.running_mean, before[0], rtol=0, atol=0,
                 what="running_mean after an eval-mode forward", oracle="unchanged",
                 hint="eval mode must not update the running statistics.")
    assert_close(layer.running_var, before[1], rtol=0, atol=0,
                 what="running_var after an eval-mode forward", oracle="unchanged")


def test_batchnorm_needs_two_samples_in_training_but_not_in_eval():
    layer = BatchNorm1d(3, dtype=F64)
    with framework(), pytest.raises(ValueError):
        layer.forward(randn(1, 3, seed=62))
    with framework():
        y = layer.eval().forward(randn(1, 3, seed=62))
    assert y.shape == (1, 3), f"BatchNorm1d in eval mode on a (1, 3) batch: shape {y.shape}"


# --- Sequential ----------------------------------------------------------------------------


def _square_net(seed=70):
    g = torch.Generator().manual_seed(seed)
    return Sequential(Linear(4, 4, generator=g, dtype=F64), Tanh(),
                      Linear(4, 4, generator=g, dtype=F64), ReLU(),
                      Linear(4, 4, generator=g, dtype=F64))


def test_sequential_backward_runs_last_layer_first():
    # Square layers: running backward in the wrong order still has matching shapes.
    net = _square_net()
    x, upstream = randn(6, 4, seed=71), randn(6, 4, seed=72)
    ref = twin(net)
    xr = leaf(x)
    ref(xr).backward(upstream)
    with framework():
        y = net.forward(x)
        dx = net.backward(upstream)
    assert_close(y, ref(x).detach(), **TOL, what="Sequential(Linear, Tanh, Linear, ReLU, "
                 "Linear) forward", oracle="the same nn.Sequential with copied weights",
                 hint="apply the layers first to last, each to the previous one's output.")
    assert_close(dx, xr.grad, **TOL, what="Sequential backward: dL/dx",
                 oracle="autograd through the nn.Sequential twin",
                 hint="backward goes through the layers in REVERSE order (the chain rule "
                      "starts at the output), feeding each layer the previous result.")
    for i, (p, r) in enumerate(zip(net.parameters(), twin_params(ref), strict=True)):
        assert_close(p.grad, r.grad, **TOL, what=f"Sequential backward: parameter {i}'s grad",
                     oracle="autograd through the nn.Sequential twin")


def test_sequential_parameters_in_layer_order():
    """Sequential lists its parameters in layer order."""
    net = _square_net()
    with framework():
        params = net.parameters()
    expected = [p for layer in net.layers for p in
                ((layer.weight, layer.bias) if isinstance(layer, Linear) else ())]
    assert len(params) == 6 and all(a is b for a, b in zip(params, expected, strict=True)), (
        "Sequential.parameters() must list every layer's parameters in layer order: [W1, b1, "
        f"W2, b2, W3, b3] (the Parameter objects themselves); got {len(params)} items.")


def test_train_and_eval_reach_every_layer():
    """Train and eval set the mode of every layer, nested ones included."""
    net = Sequential(Linear(3, 3), Dropout(0.5), BatchNorm1d(3), Sequential(ReLU(), Dropout()))
    inner = net.layers[3]
    with framework():
        assert net.eval() is net, "Sequential.eval() must return the network"
        modes = [net.training] + [layer.training for layer in net.layers] + [
            layer.training for layer in inner.layers]
        assert not any(modes), (
            f"after net.eval(), every layer (nested ones too) must have training == False; got "
            f"{modes}. Hint: Sequential.train(mode) sets its own flag and calls train(mode) on "
            "every layer.")
        assert net.train() is net, "Sequential.train() must return the network"
        modes = [net.training] + [layer.training for layer in net.layers] + [
            layer.training for layer in inner.layers]
        assert all(modes), f"after net.train(), every layer must be in training mode: {modes}"


def test_dropout_and_batchnorm_inside_a_network_follow_its_mode():
    g = torch.Generator().manual_seed(80)
    net = Sequential(Linear(5, 8, generator=g, dtype=F64), BatchNorm1d(8, dtype=F64), ReLU(),
                     Dropout(0.5, generator=g), Linear(8, 3, generator=g, dtype=F64))
    x = randn(16, 5, seed=81)
    with framework():
        for k in range(3):
            net.forward(randn(16, 5, seed=82 + k))
        train_a, train_b = net.forward(x), net.forward(x)
        net.eval()
        eval_a, eval_b = net.forward(x), net.forward(x)
    assert not torch.equal(train_a, train_b), (
        "In training mode a network with Dropout(0.5) gave the same output twice: is dropout "
        "active in training?")
    assert_close(eval_a, eval_b, rtol=0, atol=0, what="two eval-mode forwards of a network "
                 "with BatchNorm1d and Dropout", oracle="each other (eval mode is deterministic)",
                 hint="in eval mode Dropout is the identity and BatchNorm1d uses (and does not "
                      "update) the running statistics.")
    ref = twin(net).eval()
    assert_close(eval_a, ref(x).detach(), **TOL, what="eval-mode output of Linear, BatchNorm1d, "
                 "ReLU, Dropout, Linear", oracle="the nn.Sequential twin in eval mode (copied "
                 "weights and running statistics)")


# --- loss ----------------------------------------------------------------------------------


def test_cross_entropy_forward_and_backward_match_torch():
    logits, targets = randn(7, 5, seed=90, scale=3.0), torch.tensor([0, 4, 2, 2, 1, 3, 4])
    lr = leaf(logits)
    ref = F.cross_entropy(lr, targets)
    ref.backward()
    with framework():
        loss_fn = SoftmaxCrossEntropy()
        loss = loss_fn.forward(logits, targets)
        grad = loss_fn.backward()
    assert loss.dim() == 0, f"the loss must be a 0-dim tensor, got shape {tuple(loss.shape)}"
    assert_close(loss, ref.detach(), **TOL, what="SoftmaxCrossEntropy on logits (7, 5)",
                 oracle="torch.nn.functional.cross_entropy (mean)",
                 hint="the MEAN over the batch of -log softmax(logits)[target].")
    assert_close(grad, lr.grad, **TOL, what="SoftmaxCrossEntropy.backward() on logits (7, 5)",
                 oracle="autograd through F.cross_entropy",
                 hint="(softmax(logits) - one_hot(targets)) / N: divide by the batch size.")


def test_cross_entropy_is_stable_for_huge_logits():
    logits = torch.tensor([[1e4, 0.0, -1e4], [-1e4, 1e4, 3.0]], dtype=F64)
    targets = torch.tensor([1, 1])
    with framework():
        loss_fn = SoftmaxCrossEntropy()
        loss = loss_fn(logits, targets)
        grad = loss_fn.backward()
    assert_close(loss, F.cross_entropy(logits, targets), **TOL,
                 what="SoftmaxCrossEntropy with logits of size 1e4",
                 oracle="torch.nn.functional.cross_entropy",
                 hint="subtract each row's max before exp (log-sum-exp) so nothing overflows.")
    assert torch.isfinite(grad).all(), f"the gradient for huge logits is not finite: {grad}"


# --- SGD -----------------------------------------------------------------------------------


@pytest.mark.parametrize("momentum,weight_decay", [(0.0, 0.0), (0.0, 0.05), (0.9, 0.0),
                                                   (0.8, 0.01)])
def test_sgd_matches_torch_optim_sgd_for_30_steps(momentum, weight_decay):
    """SGD matches torch.optim.SGD for 30 steps."""
    shapes = [(4, 3), (3,)]
    ours = [Parameter(randn(*s, seed=100 + i)) for i, s in enumerate(shapes)]
    ref = [nn.Parameter(p.data.clone()) for p in ours]
    with framework():
        opt = SGD(ours, lr=0.05, momentum=momentum, weight_decay=weight_decay)
    ref_opt = torch.optim.SGD(ref, lr=0.05, momentum=momentum, weight_decay=weight_decay)
    for step in range(30):
        for i, (p, r) in enumerate(zip(ours, ref, strict=True)):
            grad = randn(*p.data.shape, seed=1000 * step + i) + 0.1 * p.data
            p.grad.copy_(grad)
            r.grad = grad.clone()
        with framework():
            opt.step()
        ref_opt.step()
        for i, (p, r) in enumerate(zip(ours, ref, strict=True)):
            assert_close(p.data, r.detach(), **TOL,
                         what=f"parameter {i} after SGD step {step + 1} (lr=0.05, "
                              f"momentum={momentum}, weight_decay={weight_decay})",
                         oracle="torch.optim.SGD with the same gradients",
                         hint="g = grad + weight_decay * p; buf = g at the first step, then "
                              "momentum * buf + g (no dampening); p -= lr * buf. Keep one buf "
                              "per parameter, across steps.")


def test_sgd_zero_grad_clears_every_gradient():
    params = [Parameter(randn(3, 2, seed=110)), Parameter(randn(2, seed=111))]
    for p in params:
        p.grad.copy_(randn(*p.data.shape, seed=112))
    grads = [p.grad for p in params]
    with framework():
        SGD(params, lr=0.1).zero_grad()
    for p, g in zip(params, grads, strict=True):
        assert_close(p.grad, torch.zeros_like(p.data), rtol=0, atol=0,
                     what="a Parameter's grad after SGD.zero_grad()", oracle="zeros")
        assert p.grad is g, "zero_grad() must zero .grad in place (the same tensor)"


# --- build_mlp -----------------------------------------------------------------------------


@pytest.mark.parametrize("activation,dropout,expected", [
    ("relu", 0.0, [Linear, ReLU, Linear, ReLU, Linear]),
    ("tanh", 0.0, [Linear, Tanh, Linear, Tanh, Linear]),
    ("relu", 0.25, [Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear]),
])
def test_build_mlp_layer_layout(activation, dropout, expected):
    """Build MLP stacks the documented layers in order."""
    with framework():
        net = build_mlp([3, 7, 5, 2], activation, dropout, dtype=F64)
    assert isinstance(net, Sequential), f"build_mlp must return a Sequential, got {type(net)}"
    got = [type(layer) for layer in net.layers]
    assert got == expected, (
        f"build_mlp([3, 7, 5, 2], {activation!r}, {dropout}) layers: expected "
        f"{[t.__name__ for t in expected]}, got {[t.__name__ for t in got]}")
    shapes = [tuple(layer.weight.data.shape) for layer in net.layers if isinstance(layer, Linear)]
    assert shapes == [(7, 3), (5, 7), (2, 5)], f"Linear weight shapes {shapes}"
    assert all(layer.weight.data.dtype == F64 for layer in net.layers
               if isinstance(layer, Linear)), "build_mlp(dtype=float64) must make float64 layers"
    for layer in net.layers:
        if isinstance(layer, Dropout):
            assert layer.p == dropout, f"Dropout layers must have p={dropout}, got {layer.p}"
    assert net.training, "build_mlp must return the network in training mode"


def test_build_mlp_initialises_from_its_generator():
    def weights(seed):
        with framework():
            net = build_mlp([4, 6, 3], generator=torch.Generator().manual_seed(seed))
        return torch.cat([p.data.reshape(-1) for p in net.parameters()])

    a, b, c = weights(0), weights(0), weights(1)
    assert torch.equal(a, b), "build_mlp with generators seeded alike must give equal weights"
    assert not torch.equal(a, c), (
        "build_mlp with generators seeded 0 and 1 gave equal weights: pass `generator` to "
        "every Linear.")


@pytest.mark.parametrize("args", [([5],), ([5, 0, 2],), ([5, 3], "sigmoid"), ([5, 3], "relu", 1.0),
                                  ([5, 3], "relu", -0.1)])
def test_build_mlp_rejects_bad_arguments(args):
    with framework(), pytest.raises(ValueError):
        build_mlp(*args)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_build_mlp_gradients_match_autograd(activation):
    with framework():
        net = build_mlp([5, 9, 6, 4], activation, generator=torch.Generator().manual_seed(120),
                        dtype=F64)
    ref = twin(net)
    x, targets = randn(10, 5, seed=121), torch.tensor([0, 1, 2, 3, 3, 2, 1, 0, 0, 1])
    F.cross_entropy(ref(x), targets).backward()
    with framework():
        loss_fn = SoftmaxCrossEntropy()
        loss_fn.forward(net.forward(x), targets)
        net.backward(loss_fn.backward())
    for i, (p, r) in enumerate(zip(net.parameters(), twin_params(ref), strict=True)):
        assert_close(p.grad, r.grad, **TOL,
                     what=f"build_mlp([5, 9, 6, 4], {activation!r}): parameter {i}'s gradient "
                          "of the mean cross-entropy",
                     oracle="autograd through the nn.Sequential twin (copied weights)")


# --- train_step ----------------------------------------------------------------------------


def test_train_step_zeroes_gradients_before_each_backward():
    # With lr = 0 nothing moves, so every step sees the same gradient, which .grad must hold
    # after the step; accumulating without zeroing would give k times it after k steps.
    net = _square_net(seed=130)
    x, targets = randn(8, 4, seed=131), torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    ref = twin(net)
    F.cross_entropy(ref(x), targets).backward()
    with framework():
        opt = SGD(net.parameters(), lr=0.0)
        loss_fn = SoftmaxCrossEntropy()
        for _ in range(3):
            train_step(net, loss_fn, opt, x, targets)
    for i, (p, r) in enumerate(zip(net.parameters(), twin_params(ref), strict=True)):
        assert_close(p.grad, r.grad, **TOL,
                     what=f"parameter {i}'s .grad after the 3rd train_step on the same batch "
                          "(lr = 0)",
                     oracle="the gradient of one batch (autograd through the twin)",
                     hint="gradients accumulate (+=), so train_step must call "
                          "optimizer.zero_grad() before the backward pass, every step.")


def test_train_step_returns_the_loss_before_the_update():
    net = _square_net(seed=140)
    x, targets = randn(8, 4, seed=141), torch.tensor([3, 1, 2, 0, 0, 1, 2, 3])
    expected = F.cross_entropy(twin(net)(x), targets).item()
    with framework():
        opt = SGD(net.parameters(), lr=0.5)
        got = train_step(net, SoftmaxCrossEntropy(), opt, x, targets)
        after = SoftmaxCrossEntropy()(net.forward(x), targets).item()
    assert isinstance(got, float), f"train_step must return a Python float, got {type(got)}"
    assert_close(got, expected, **TOL, what="train_step's return value",
                 oracle="F.cross_entropy of the network before the update")
    assert after < got, (f"one SGD step (lr=0.5) on a batch should lower its loss: {got:.4f} -> "
                         f"{after:.4f}. Hint: does train_step call optimizer.step()?")


def test_train_step_leaves_the_mode_alone():
    net = Sequential(Linear(3, 4, dtype=F64), Dropout(0.5), Linear(4, 2, dtype=F64))
    x, targets = randn(5, 3, seed=150), torch.tensor([0, 1, 1, 0, 1])
    with framework():
        net.eval()
        opt = SGD(net.parameters(), lr=0.1)
        a = train_step(net, SoftmaxCrossEntropy(), opt, x, targets)
        opt.lr = 0.0
        b = train_step(net, SoftmaxCrossEntropy(), opt, x, targets)
        c = train_step(net, SoftmaxCrossEntropy(), opt, x, targets)
    assert not net.training and b == c and b < a, (
        "train_step on a network in eval mode must keep it in eval mode (dropout off: equal "
        f"losses at lr = 0); losses {a}, {b}, {c}, training={net.training}.")


def test_a_network_with_batchnorm_tracks_its_torch_twin_for_20_steps():
    g = torch.Generator().manual_seed(160)
    net = Sequential(Linear(6, 10, generator=g, dtype=F64), BatchNorm1d(10, dtype=F64), ReLU(),
                     Linear(10, 8, generator=g, dtype=F64), Tanh(),
                     Linear(8, 3, generator=g, dtype=F64))
    ref = twin(net)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.2, momentum=0.9, weight_decay=1e-3)
    with framework():
        opt = SGD(net.parameters(), lr=0.2, momentum=0.9, weight_decay=1e-3)
        loss_fn = SoftmaxCrossEntropy()
    for step in range(20):
        x = randn(12, 6, seed=200 + step)
        targets = torch.randint(0, 3, (12,), generator=torch.Generator().manual_seed(step))
        ref_opt.zero_grad()
        ref_loss = F.cross_entropy(ref(x), targets)
        ref_loss.backward()
        ref_opt.step()
        with framework():
            loss = train_step(net, loss_fn, opt, x, targets)
        assert_close(loss, ref_loss.item(), **TOL, what=f"the loss at train_step {step + 1}",
                     oracle="an nn.Sequential twin trained with torch.optim.SGD",
                     hint="if step 1 matches but later ones do not: zero the gradients every "
                          "step, keep the momentum buffers, update BatchNorm's running stats.")
    bn = net.layers[1]
    assert_close(bn.running_var, ref[1].running_var, **TOL, what="running_var after 20 steps",
                 oracle="the nn.BatchNorm1d twin")


# --- training ------------------------------------------------------------------------------


def spiral(n_per_class=100, n_classes=3, seed=0):
    """CS231n's spiral: three interleaved arms, not linearly separable."""
    g = np.random.default_rng(seed)
    xs, ys = [], []
    for k in range(n_classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class) + 0.2 * g.normal(size=n_per_class)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys += [k] * n_per_class
    return torch.tensor(np.concatenate(xs), dtype=torch.float32), torch.tensor(ys)


def test_a_tanh_mlp_with_dropout_fits_the_spiral():
    # Calibration (reference, seeds 0-5): 98-99% train accuracy after 400 steps.
    x, y = spiral(seed=3)
    with framework():
        net = build_mlp([2, 64, 64, 3], "tanh", 0.1, generator=torch.Generator().manual_seed(3))
        opt = SGD(net.parameters(), lr=0.1, momentum=0.9)
        loss_fn = SoftmaxCrossEntropy()
        for _ in range(400):
            train_step(net, loss_fn, opt, x, y)
        acc = (net.eval().forward(x).argmax(dim=1) == y).float().mean().item()
    assert acc >= 0.93, (
        f"build_mlp([2, 64, 64, 3], 'tanh', dropout=0.1) with SGD(lr=0.1, momentum=0.9) reached "
        f"{acc:.3f} train accuracy on a 3-arm spiral after 400 full-batch steps; expected >= "
        "0.93. Hint: check the layer tests first; evaluate in eval mode.")
