"""Batch, layer, RMS, group and instance normalisation, each with a hand-written backward.

A normalisation layer standardises its input over some axes, then scales and shifts it with
learned parameters:

    x_hat = (x - mean) / sqrt(var + eps)        y = weight * x_hat + bias

The layers differ only in which values share a mean and a variance:

    BatchNorm   (N, C, *)   per channel, over the batch and all positions   (running stats)
    LayerNorm   (*, D)      per sample, over the trailing normalized_shape axes
    RMSNorm     (*, D)      like LayerNorm, without subtracting the mean
    GroupNorm   (N, C, *)   per sample and group of consecutive channels
    InstanceNorm(N, C, H, W) per sample and channel

Each normalisation is a torch.autograd.Function whose backward you write by hand (the
gradient flows through the mean and the variance too), wrapped in an nn.Module whose
parameters and buffers are named and shaped like torch.nn's, so the tests can copy weights
between yours and torch's. Built-in normalisation functions (torch.nn.functional.batch_norm,
layer_norm, group_norm, rms_norm, instance_norm and their torch.* twins) may not be used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.autograd import Function


class BatchNormFunction(Function):
    """Batch normalisation with batch statistics (training mode), with a hand-written backward.

    Each channel c is normalised over every axis except the channel axis 1: over the batch for
    x of shape (N, C), over batch and length for (N, C, L), over batch, height and width for
    (N, C, H, W). With M = x.numel() // C values per channel:

        mean_c = (1/M) * sum of x[:, c, ...]
        var_c  = (1/M) * sum of (x[:, c, ...] - mean_c) ** 2      (biased: divide by M)
        x_hat  = (x - mean_c) / sqrt(var_c + eps)                (eps inside the square root)
        y      = weight_c * x_hat + bias_c

    forward(ctx, x, weight, bias, eps) -> y
        x: (N, C, *) float tensor with at least 2 axes.
        weight, bias: (C,) tensors, or None (no scale / no shift).
        eps: float added to the variance.
        Returns y, a tensor of x's shape and dtype.

    backward(ctx, grad_y) -> (grad_x, grad_weight, grad_bias, None)
        grad_y: x's shape. grad_x: x's shape; grad_weight, grad_bias: (C,), or None when
        weight / bias is None. The gradient flows through mean_c and var_c too (they depend
        on x). Save what you need in forward with ctx.save_for_backward.

    Compute forward and backward from basic tensor operations (mean, sum, sqrt, ...), not with
    autograd. Do not call torch.nn.functional.batch_norm, torch.batch_norm or any other built-in
    normalisation.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor | None,
                bias: torch.Tensor | None, eps: float) -> torch.Tensor:
        """y = weight * (x - mean) / sqrt(var + eps) + bias, statistics per channel."""
        raise NotImplementedError("phase1.normalization.BatchNormFunction.forward")

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        """(grad_x, grad_weight, grad_bias, None) for the upstream gradient grad_y."""
        raise NotImplementedError("phase1.normalization.BatchNormFunction.backward")


class LayerNormFunction(Function):
    """Layer normalisation over the trailing axes, with a hand-written backward.

    With D = prod(normalized_shape), each slice x[i, ...] over the last len(normalized_shape)
    axes is normalised on its own:

        mean  = (1/D) * sum of the slice
        var   = (1/D) * sum of (slice - mean) ** 2                (biased: divide by D)
        x_hat = (slice - mean) / sqrt(var + eps)                  (eps inside the square root)
        y     = weight * x_hat + bias        (weight, bias: normalized_shape, elementwise)

    forward(ctx, x, normalized_shape, weight, bias, eps) -> y
        x: (*, *normalized_shape) float tensor: its trailing axes equal normalized_shape
            (there may be no leading axes at all).
        normalized_shape: tuple of ints.
        weight, bias: tensors of shape normalized_shape, or None (no scale / no shift).
        eps: float added to the variance.
        Returns y, a tensor of x's shape and dtype.
        Raises ValueError if x's trailing axes are not normalized_shape.

    backward(ctx, grad_y) -> (grad_x, None, grad_weight, grad_bias, None)
        grad_x: x's shape; grad_weight, grad_bias: normalized_shape, summed over the leading
        axes, or None when weight / bias is None. The gradient flows through mean and var too.

    Basic tensor operations only, no autograd. Do not call torch.nn.functional.layer_norm,
    torch.layer_norm or any other built-in normalisation.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, normalized_shape: tuple[int, ...],
                weight: torch.Tensor | None, bias: torch.Tensor | None,
                eps: float) -> torch.Tensor:
        """y = weight * (x - mean) / sqrt(var + eps) + bias, statistics per trailing slice."""
        raise NotImplementedError("phase1.normalization.LayerNormFunction.forward")

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        """(grad_x, None, grad_weight, grad_bias, None) for the upstream gradient grad_y."""
        raise NotImplementedError("phase1.normalization.LayerNormFunction.backward")


class RMSNormFunction(Function):
    """RMS normalisation over the trailing axes, with a hand-written backward.

    With D = prod(normalized_shape), each slice over the last len(normalized_shape) axes is
    divided by its root mean square; nothing is subtracted:

        rms = sqrt((1/D) * sum of slice ** 2 + eps)               (eps inside the square root)
        y   = weight * slice / rms

    forward(ctx, x, normalized_shape, weight, eps) -> y
        x: (*, *normalized_shape) float tensor (there may be no leading axes at all).
        normalized_shape: tuple of ints.
        weight: tensor of shape normalized_shape, or None (no scale).
        eps: float (a number here; RMSNorm turns its default None into one).
        Returns y, a tensor of x's shape and dtype.
        Raises ValueError if x's trailing axes are not normalized_shape.

    backward(ctx, grad_y) -> (grad_x, None, grad_weight, None)
        grad_x: x's shape; grad_weight: normalized_shape (None when weight is None).

    Basic tensor operations only, no autograd. Do not call torch.nn.functional.rms_norm,
    torch.rms_norm or any other built-in normalisation.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, normalized_shape: tuple[int, ...],
                weight: torch.Tensor | None, eps: float) -> torch.Tensor:
        """y = weight * x / sqrt(mean(x ** 2) + eps), statistics per trailing slice."""
        raise NotImplementedError("phase1.normalization.RMSNormFunction.forward")

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        """(grad_x, None, grad_weight, None) for the upstream gradient grad_y."""
        raise NotImplementedError("phase1.normalization.RMSNormFunction.backward")


class GroupNormFunction(Function):
    """Group normalisation, with a hand-written backward.

    The C channels are split into num_groups groups of C // num_groups consecutive channels
    (group k holds channels k*C/G ... (k+1)*C/G - 1). For each sample n and group k, the
    statistics are over the group's channels and all their positions (M = x[0].numel() // G
    values):

        mean_nk = (1/M) * sum,  var_nk = (1/M) * sum of squared deviations   (biased)
        x_hat   = (x - mean_nk) / sqrt(var_nk + eps)                          (eps inside)
        y       = weight_c * x_hat + bias_c       (weight, bias per CHANNEL, not per group)

    num_groups = C gives instance norm; num_groups = 1 gives layer norm over (C, *) with a
    per-channel affine.

    forward(ctx, x, num_groups, weight, bias, eps) -> y
        x: (N, C, *) float tensor with at least 2 axes.
        num_groups: int that divides C.
        weight, bias: (C,) tensors, or None (no scale / no shift).
        eps: float added to the variance.
        Returns y, a tensor of x's shape and dtype.
        Raises ValueError if x has fewer than 2 axes or C is not divisible by num_groups.

    backward(ctx, grad_y) -> (grad_x, None, grad_weight, grad_bias, None)
        grad_x: x's shape; grad_weight, grad_bias: (C,), summed over the batch and positions,
        or None when weight / bias is None.

    Basic tensor operations only, no autograd. Do not call torch.nn.functional.group_norm,
    torch.group_norm, torch.nn.functional.instance_norm or any other built-in normalisation.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, num_groups: int, weight: torch.Tensor | None,
                bias: torch.Tensor | None, eps: float) -> torch.Tensor:
        """y = weight * (x - mean) / sqrt(var + eps) + bias, statistics per (sample, group)."""
        raise NotImplementedError("phase1.normalization.GroupNormFunction.forward")

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        """(grad_x, None, grad_weight, grad_bias, None) for the upstream gradient grad_y."""
        raise NotImplementedError("phase1.normalization.GroupNormFunction.backward")


class BatchNorm1d(nn.Module):
    """Batch normalisation of (N, C) or (N, C, L) input, like torch.nn.BatchNorm1d.

    Parameters and buffers, named and shaped as torch.nn.BatchNorm1d's (state dicts load both
    ways; __init__ creates them):
        weight (C,) ones, bias (C,) zeros                      if affine, else None
        running_mean (C,) zeros, running_var (C,) ones,
        num_batches_tracked () int64 zero                      if track_running_stats, else None

    forward(x) normalises each channel:
    - With batch statistics when self.training is True, or when there are no running
      statistics (track_running_stats=False, in either mode): return
      BatchNormFunction.apply(x, self.weight, self.bias, self.eps) as it is, so that the
      output's grad_fn is your Function's backward.
      In training mode with track_running_stats, also update the buffers, in place and without
      recording autograd history (they must not require grad):
          num_batches_tracked += 1
          f = momentum, or 1 / num_batches_tracked if momentum is None (a cumulative average)
          running_mean = (1 - f) * running_mean + f * mean_c
          running_var  = (1 - f) * running_var  + f * unbiased_var_c
      where unbiased_var_c divides by M - 1 (M = x.numel() // C values per channel), while the
      normalisation itself uses the biased variance (divide by M), as torch does.
    - With the running statistics in eval mode (self.training False, track_running_stats
      True): y = weight_c * (x - running_mean_c) / sqrt(running_var_c + eps) + bias_c, from
      basic tensor operations (autograd may differentiate this fixed affine map); the buffers
      do not change.

    Args (of __init__):
        num_features: C.
        eps: added to the variance, inside the square root.
        momentum: f above, or None for the cumulative average.
        affine: learn weight and bias.
        track_running_stats: keep running statistics (and use them in eval mode).

    Raises (from forward):
        ValueError: if x is not 2-D or 3-D; or if batch statistics are used and a channel has
            a single value (M == 1), whose variance is undefined.

    Do not call torch.nn.functional.batch_norm, torch.batch_norm or any built-in normalisation.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        """Store the hyperparameters and create the parameters and buffers described above."""
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise x of shape (N, C) or (N, C, L); returns a tensor of x's shape."""
        raise NotImplementedError("phase1.normalization.BatchNorm1d.forward")


class BatchNorm2d(BatchNorm1d):
    """Batch normalisation of (N, C, H, W) input, like torch.nn.BatchNorm2d.

    Everything is as in BatchNorm1d (same __init__, parameters, buffers, training and eval
    behaviour); each channel's statistics are over the batch, height and width together
    (M = N * H * W values per channel). Tip: write the shared work once, as a helper method of
    BatchNorm1d that both forwards call after checking the input's shape.

    Raises (from forward):
        ValueError: if x is not 4-D; or if batch statistics are used and M == 1.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise x of shape (N, C, H, W); returns a tensor of x's shape."""
        raise NotImplementedError("phase1.normalization.BatchNorm2d.forward")


class LayerNorm(nn.Module):
    """Layer normalisation over the trailing axes, like torch.nn.LayerNorm.

    Parameters (named and shaped as torch.nn.LayerNorm's; __init__ creates them):
        weight: normalized_shape, ones     if elementwise_affine, else None
        bias:   normalized_shape, zeros    if elementwise_affine and bias, else None

    forward(x) returns LayerNormFunction.apply(x, self.normalized_shape, self.weight,
    self.bias, self.eps) as it is (so the output's grad_fn is your Function's backward).

    Args (of __init__):
        normalized_shape: an int D (normalise the last axis of size D) or a sequence of ints
            (the trailing shape); stored as a tuple in self.normalized_shape.
        eps: added to the variance, inside the square root.
        elementwise_affine: learn weight (and bias).
        bias: learn bias too (only with elementwise_affine).
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True) -> None:
        """Store the hyperparameters and create weight and bias as described above."""
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = nn.Parameter(torch.zeros(self.normalized_shape))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise x of shape (*, *normalized_shape); returns a tensor of x's shape."""
        raise NotImplementedError("phase1.normalization.LayerNorm.forward")


class RMSNorm(nn.Module):
    """RMS normalisation over the trailing axes, like torch.nn.RMSNorm.

    Parameter (named and shaped as torch.nn.RMSNorm's; __init__ creates it):
        weight: normalized_shape, ones     if elementwise_affine, else None

    forward(x) returns RMSNormFunction.apply(x, self.normalized_shape, self.weight, eps) as it
    is, where eps is self.eps, or torch.finfo(x.dtype).eps when self.eps is None (as torch:
    about 1.19e-7 for float32 and 2.22e-16 for float64).

    Args (of __init__):
        normalized_shape: an int D or a sequence of ints (the trailing shape); stored as a
            tuple in self.normalized_shape.
        eps: added to the mean square, inside the square root; None for the input dtype's
            machine epsilon.
        elementwise_affine: learn weight.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float | None = None,
                 elementwise_affine: bool = True) -> None:
        """Store the hyperparameters and create weight as described above."""
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        else:
            self.register_parameter("weight", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise x of shape (*, *normalized_shape); returns a tensor of x's shape."""
        raise NotImplementedError("phase1.normalization.RMSNorm.forward")


class GroupNorm(nn.Module):
    """Group normalisation of (N, C, *) input, like torch.nn.GroupNorm.

    Parameters (named and shaped as torch.nn.GroupNorm's; __init__ creates them):
        weight (C,) ones, bias (C,) zeros      if affine, else None

    forward(x) returns GroupNormFunction.apply(x, self.num_groups, self.weight, self.bias,
    self.eps) as it is. It raises ValueError (from the Function) if num_groups does not
    divide the channels.

    Args (of __init__):
        num_groups: G, the number of groups of consecutive channels.
        num_channels: C.
        eps: added to the variance, inside the square root.
        affine: learn a per-channel weight and bias.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True) -> None:
        """Store the hyperparameters and create weight and bias as described above."""
        super().__init__()
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        if affine:
            self.weight = nn.Parameter(torch.ones(num_channels))
            self.bias = nn.Parameter(torch.zeros(num_channels))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise x of shape (N, C, *); returns a tensor of x's shape."""
        raise NotImplementedError("phase1.normalization.GroupNorm.forward")


class InstanceNorm2d(nn.Module):
    """Instance normalisation of (N, C, H, W) input, like torch.nn.InstanceNorm2d.

    Each (sample, channel) plane x[n, c] is normalised over its H * W values (biased variance,
    eps inside the square root), then scaled and shifted per channel if affine. This is group
    norm with one channel per group, so forward may use your GroupNormFunction. Like torch's
    default (track_running_stats=False), it keeps no running statistics: training and eval
    mode compute the same thing.

    Parameters (named and shaped as torch.nn.InstanceNorm2d's; __init__ creates them):
        weight (C,) ones, bias (C,) zeros      if affine, else None (the default, as torch)

    Args (of __init__):
        num_features: C.
        eps: added to the variance, inside the square root.
        affine: learn a per-channel weight and bias.

    Raises (from forward):
        ValueError: if x is not 4-D.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, affine: bool = False) -> None:
        """Store the hyperparameters and create weight and bias as described above."""
        super().__init__()
        self.num_features, self.eps, self.affine = num_features, eps, affine
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise x of shape (N, C, H, W); returns a tensor of x's shape."""
        raise NotImplementedError("phase1.normalization.InstanceNorm2d.forward")
