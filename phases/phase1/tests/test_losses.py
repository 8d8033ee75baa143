"""Public smoke tests for phase1.losses (the grader also runs hidden/test_losses.py)."""

import torch
import torch.nn.functional as F
from phase1_testkit import comes_from

from phase1 import losses
from shared import assert_close, forbidden, rng

TOL = {"atol": 1e-10, "rtol": 1e-9}


def data(seed, *shape, scale=1.0):
    return torch.from_numpy(rng(seed).standard_normal(shape) * scale)


def test_mse_loss_matches_torch_and_uses_your_backward():
    x, y = data(0, 4, 3).requires_grad_(), data(1, 4, 3).requires_grad_()
    with forbidden("torch.nn.functional.mse_loss", "aten.mse_loss", by="phase1.losses.mse_loss"):
        got = losses.mse_loss(x, y)
        assert comes_from(got, losses.MSELossFunction), (
            "mse_loss's result does not come out of MSELossFunction: write a "
            "torch.autograd.Function with its own backward and return MSELossFunction.apply(...).")
        got.backward()
    x2, y2 = x.detach().clone().requires_grad_(), y.detach().clone().requires_grad_()
    expected = F.mse_loss(x2, y2)
    expected.backward()
    assert_close(got, expected, **TOL, what="mse_loss(x, y) for x, y of shape (4, 3)",
                 oracle="torch.nn.functional.mse_loss in float64",
                 hint="mean over all 12 elements of (x - y)^2.")
    assert_close(x.grad, x2.grad, **TOL, what="the gradient of mse_loss with respect to x",
                 oracle="autograd through torch.nn.functional.mse_loss",
                 hint="2 (x - y) / numel, times the upstream gradient.")
    assert_close(y.grad, y2.grad, **TOL, what="the gradient of mse_loss with respect to y",
                 oracle="autograd through torch.nn.functional.mse_loss",
                 hint="the target gets minus the input's gradient.")


def test_cross_entropy_matches_torch_and_its_gradient_is_softmax_minus_onehot():
    logits = data(2, 5, 4).requires_grad_()
    targets = torch.tensor([0, 3, 1, 1, 2])
    with forbidden("torch.nn.functional.cross_entropy", "torch.nn.functional.log_softmax",
                   "torch.log_softmax", "torch.Tensor.log_softmax", "torch.logsumexp",
                   by="phase1.losses.cross_entropy"):
        got = losses.cross_entropy(logits, targets)
        assert comes_from(got, losses.CrossEntropyFunction), (
            "cross_entropy's result does not come out of CrossEntropyFunction: write a "
            "torch.autograd.Function with its own backward and return its .apply(...).")
        got.backward()
    expected = F.cross_entropy(logits.detach(), targets)
    assert_close(got, expected, **TOL, what="cross_entropy(logits (5, 4), targets (5,))",
                 oracle="torch.nn.functional.cross_entropy in float64",
                 hint="mean over rows of logsumexp(row) - row[target].")
    onehot = torch.zeros(5, 4, dtype=torch.float64).scatter_(1, targets[:, None], 1.0)
    closed_form = (torch.softmax(logits.detach(), dim=1) - onehot) / 5
    assert_close(logits.grad, closed_form, **TOL,
                 what="the gradient of cross_entropy (mean) with respect to the logits",
                 oracle="the closed form (softmax(logits) - one_hot(targets)) / N",
                 hint="exp(log-probabilities) minus 1 at the target class, divided by N.")


def test_bce_with_logits_is_finite_for_huge_logits():
    x = torch.tensor([1e4, -1e4, 1e4, -1e4, 0.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.5], dtype=torch.float64)
    with forbidden("torch.nn.functional.binary_cross_entropy_with_logits",
                   "torch.nn.functional.softplus", "torch.nn.functional.logsigmoid",
                   by="phase1.losses.binary_cross_entropy_with_logits"):
        got = losses.binary_cross_entropy_with_logits(x, y, reduction="none")
        got.sum().backward()
    expected = F.binary_cross_entropy_with_logits(x.detach(), y, reduction="none")
    assert_close(got, expected, **TOL,
                 what="binary_cross_entropy_with_logits at logits [1e4, -1e4, 1e4, -1e4, 0]",
                 oracle="torch.nn.functional.binary_cross_entropy_with_logits",
                 hint="log(sigmoid(-1e4)) is log(0) = -inf and exp(1e4) overflows: use "
                      "-log sigmoid(x) = log(1 + exp(-|x|)) + max(-x, 0).")
    assert_close(x.grad, torch.sigmoid(x.detach()) - y, **TOL,
                 what="the gradient with respect to the logits (reduction='none', summed)",
                 oracle="the closed form sigmoid(x) - y",
                 hint="the gradient of BCE with logits is sigmoid(x) - y; no log needed.")


def test_focal_loss_with_gamma_zero_is_cross_entropy():
    logits, targets = data(3, 6, 3), torch.tensor([0, 1, 2, 2, 1, 0])
    got = losses.focal_loss(logits, targets, gamma=0.0)
    assert_close(got, F.cross_entropy(logits, targets), **TOL,
                 what="focal_loss(logits (6, 3), targets, gamma=0)",
                 oracle="torch.nn.functional.cross_entropy (focal loss at gamma = 0)",
                 hint="(1 - p_t)^0 = 1, so the loss is -log p_t averaged over the rows.")
