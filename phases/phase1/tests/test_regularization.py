"""Public smoke tests for phase1.regularization (the hidden suite is more thorough).

Oracles: invariants of inverted dropout (each output is 0 or x / (1 - p), the gradient goes
through the same mask, evaluation is the identity), mixup's convex combination read back from
one-hot labels, and torch.optim.SGD(weight_decay=...) for the L2 penalty.
"""

import torch

from phase1.regularization import DropoutFunction, dropout, l2_penalty, mixup
from shared import assert_close, assert_equal, forbidden

DROPOUT_BUILTINS = ("torch.nn.functional.dropout", "torch.dropout", "torch.native_dropout")


def _nonzero_input(shape, seed):
    """Random values bounded away from 0, so that a dropped element is recognisable."""
    g = torch.Generator().manual_seed(seed)
    sign = torch.randint(0, 2, shape, generator=g).double() * 2 - 1
    return sign * (0.5 + torch.rand(shape, generator=g, dtype=torch.float64))


def test_dropout_keeps_or_scales_each_element_and_is_identity_in_eval():
    x, p = _nonzero_input((6, 5, 4), seed=0), 0.3
    with forbidden(*DROPOUT_BUILTINS, by="phase1.regularization.dropout"):
        out = dropout(x, p, training=True, generator=torch.Generator().manual_seed(1))
        evaluated = dropout(x, p, training=False)
    kept = out != 0
    assert 0 < int(kept.sum()) < x.numel(), (
        f"dropout with p={p} on 120 elements should drop some and keep some; it kept "
        f"{int(kept.sum())}. Hint: keep each element with probability 1 - p.")
    assert_close(out[kept], x[kept] / (1 - p), rtol=1e-12, atol=0,
                 what=f"the kept elements of dropout(x, p={p}, training=True)",
                 oracle="x / (1 - p) (inverted dropout)",
                 hint="scale the kept elements by 1 / (1 - p) during training")
    assert_equal(evaluated, x, what="dropout(x, p=0.3, training=False)",
                 oracle="x itself (evaluation is the identity)",
                 hint="no mask and no scaling at evaluation time")


def test_dropout_backward_reuses_the_forward_mask():
    x = _nonzero_input((4, 7), seed=2).requires_grad_(True)
    upstream = torch.randn(4, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    out = dropout(x, 0.5, training=True, generator=torch.Generator().manual_seed(4))
    cls = getattr(out.grad_fn, "_forward_cls", None)
    assert cls is DropoutFunction, (
        f"dropout's output has grad_fn {type(out.grad_fn).__name__}, not DropoutFunction's. "
        "Write a torch.autograd.Function with its own backward, and return "
        "DropoutFunction.apply(x, p, generator) from dropout.")
    out.backward(upstream)
    # out = x * keep / (1 - p), so d out / d x = out / x, elementwise, for the SAME mask.
    assert_close(x.grad, upstream * (out / x).detach(), rtol=1e-12, atol=1e-12,
                 what="the gradient of dropout(x, p=0.5) for a random upstream gradient",
                 oracle="upstream * keep / (1 - p), with keep read from the forward's output",
                 hint="save the forward's mask (ctx.save_for_backward); do not draw a new one")


def test_mixup_labels_are_the_same_convex_combination_as_the_inputs():
    n = 6
    x = torch.randn(n, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    y = torch.eye(n, dtype=torch.float64)  # label j is "sample j": y_mixed reveals the weights
    x_mixed, y_mixed = mixup(x, y, alpha=1.0, generator=torch.Generator().manual_seed(6))
    assert_close(y_mixed.sum(dim=1), torch.ones(n, dtype=torch.float64),
                 what="the rows of mixup's y_mixed", oracle="1 (convex combinations)")
    assert_close(x_mixed.reshape(n, -1), y_mixed @ x.reshape(n, -1), rtol=1e-12, atol=1e-12,
                 what="mixup's x_mixed against its y_mixed (with y = the identity matrix)",
                 oracle="y_mixed @ x: each input must mix the samples with its label's weights",
                 hint="use the same lam and the same permutation for x and y")


def test_l2_in_the_loss_equals_sgd_weight_decay():
    g = torch.Generator().manual_seed(7)
    w0 = torch.randn(3, 4, dtype=torch.float64, generator=g)
    target = torch.randn(3, 4, dtype=torch.float64, generator=g)
    lr, wd = 0.1, 0.3

    oracle_w = w0.clone().requires_grad_(True)
    sgd = torch.optim.SGD([oracle_w], lr=lr, weight_decay=wd)
    ((oracle_w - target) ** 2).sum().backward()
    sgd.step()

    w = w0.clone().requires_grad_(True)
    loss = ((w - target) ** 2).sum() + l2_penalty([w], wd / 2, exclude_bias=False)
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
    assert_close(w, oracle_w, rtol=1e-12, atol=1e-12,
                 what=f"one SGD step on loss + l2_penalty([w], {wd}/2) with lr={lr}",
                 oracle=f"torch.optim.SGD(lr={lr}, weight_decay={wd})",
                 hint="l2_penalty is lam * sum(w ** 2): no 1/2 and no square root")
