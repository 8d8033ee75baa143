"""Public smoke tests for phase1.normalization (the grader also runs hidden tests).

Oracles: torch.nn.BatchNorm2d, LayerNorm, RMSNorm and GroupNorm after copying the same
(random) weights into them, compared in float64: outputs, gradients through autograd, and
running statistics.
"""

import torch
from phase1_testkit import forward_backward, twins
from torch import nn

from phase1.normalization import BatchNorm2d, GroupNorm, LayerNorm, RMSNorm
from shared import assert_close

TOL = {"rtol": 1e-9, "atol": 1e-10}
BACKWARD_HINT = ("the gradient flows through the mean and the variance as well: compared with "
                 "a fixed affine map, grad_x has two extra mean terms")


def _assert_same_step(mine, ref, x, what, hint):
    upstream = torch.randn(x.shape, generator=torch.Generator().manual_seed(1),
                           dtype=torch.float64)
    got, gx, gp = forward_backward(mine, x, upstream)
    exp, ex, ep = forward_backward(ref, x, upstream)
    oracle = f"torch.nn.{type(ref).__name__} with the same weights, float64"
    assert_close(got, exp, **TOL, what=f"{what}: the output", oracle=oracle, hint=hint)
    assert_close(gx, ex, **TOL, what=f"{what}: the gradient with respect to the input",
                 oracle=oracle + " (autograd)", hint=BACKWARD_HINT)
    for name, g in ep.items():
        assert_close(gp[name], g, **TOL, what=f"{what}: the gradient of {name}",
                     oracle=oracle + " (autograd)",
                     hint="weight's gradient sums grad_y * x_hat, bias's sums grad_y, over "
                          "every axis the parameter is shared over")


def test_batchnorm2d_train_step_matches_torch():
    mine, ref = twins(BatchNorm2d(3), nn.BatchNorm2d(3))
    x = 2 + 3 * torch.randn(4, 3, 5, 6, generator=torch.Generator().manual_seed(2),
                            dtype=torch.float64)
    _assert_same_step(mine, ref, x, "BatchNorm2d(3) in training mode on x of shape (4, 3, 5, 6)",
                      hint="normalise each channel over N, H and W together, with the biased "
                           "variance and eps inside the square root")
    for name in ("running_mean", "running_var"):
        assert_close(getattr(mine, name), getattr(ref, name), **TOL,
                     what=f"BatchNorm2d's {name} after one training step (momentum 0.1)",
                     oracle="torch.nn.BatchNorm2d",
                     hint="running = (1 - momentum) * running + momentum * batch statistic, "
                          "with the UNBIASED variance (divide by M - 1) for running_var")


def test_layernorm_matches_torch():
    mine, ref = twins(LayerNorm(6), nn.LayerNorm(6))
    x = torch.randn(3, 4, 6, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    _assert_same_step(mine, ref, x, "LayerNorm(6) on x of shape (3, 4, 6)",
                      hint="normalise over the last axis of each row, biased variance, eps "
                           "inside the square root")


def test_rmsnorm_matches_torch():
    mine, ref = twins(RMSNorm(5, eps=1e-6), nn.RMSNorm(5, eps=1e-6))
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    _assert_same_step(mine, ref, x, "RMSNorm(5, eps=1e-6) on x of shape (4, 5)",
                      hint="divide by sqrt(mean(x ** 2) + eps) over the last axis; nothing is "
                           "subtracted")


def test_groupnorm_matches_torch():
    mine, ref = twins(GroupNorm(2, 6), nn.GroupNorm(2, 6))
    x = torch.randn(3, 6, 4, 5, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    _assert_same_step(mine, ref, x, "GroupNorm(2, 6) on x of shape (3, 6, 4, 5)",
                      hint="group k holds channels 3k, 3k+1, 3k+2; statistics per sample over "
                           "the group's channels and positions; weight and bias are per channel")
