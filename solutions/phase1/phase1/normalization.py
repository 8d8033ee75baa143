"""Batch, layer, RMS, group and instance normalisation, each with a hand-written backward.

Reference solution. Batch normalisation: Ioffe and Szegedy (2015), "Batch Normalization:
Accelerating Deep Network Training by Reducing Internal Covariate Shift". Layer normalisation:
Ba, Kiros and Hinton (2016). RMSNorm: Zhang and Sennrich (2019), "Root Mean Square Layer
Normalization". Group normalisation: Wu and He (2018), "Group Normalization". Instance
normalisation: Ulyanov, Vedaldi and Lempitsky (2016).

All four normalisations share one backward. With x_hat = (x - mean) * rstd over some set of
M values, y = w * x_hat + b, and g = dL/dx_hat = w * dL/dy:

    dL/dx = rstd * (g - mean(g) - x_hat * mean(g * x_hat))

The two mean terms are the gradient flowing through the mean and through the variance: drop
them and you have the backward of a fixed affine map, which is what eval-mode batch norm is.
RMSNorm has no mean to subtract, so only the x_hat term remains.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.autograd import Function


def _batch_axes(x: torch.Tensor) -> list[int]:
    """The axes batch norm reduces over: every axis except the channel axis 1."""
    return [0, *range(2, x.dim())]


def _per_channel(t: torch.Tensor, ndim: int) -> torch.Tensor:
    """A (C,) tensor viewed as (1, C, 1, ..., 1), to broadcast against (N, C, *)."""
    return t.view(1, -1, *([1] * (ndim - 2)))


def _compact_grad_(g: torch.Tensor, x_hat: torch.Tensor, rstd: torch.Tensor,
                   dims: Sequence[int], mean_gx: torch.Tensor | None = None) -> torch.Tensor:
    """dL/dx from g = dL/dx_hat for x_hat = (x - mean) * rstd, statistics over `dims`.

    In place (the trailing underscore, as in torch): g must be a new tensor of ours, and is
    overwritten with dL/dx, which saves allocating one more tensor of x's size. The caller may
    pass mean(g * x_hat) when it already has it.
    """
    mean_g = g.mean(dim=dims, keepdim=True)
    if mean_gx is None:
        mean_gx = (g * x_hat).mean(dim=dims, keepdim=True)
    # rstd * (g - mean_g - x_hat * mean_gx), one pass per step, no temporaries.
    return g.sub_(mean_g).addcmul_(x_hat, mean_gx, value=-1.0).mul_(rstd)


def _affine(x_hat: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None,
            out: torch.Tensor | None = None) -> torch.Tensor:
    """weight * x_hat + bias, skipping a None; weight and bias already broadcast against x_hat.

    x_hat is saved for backward, so it is never modified: the result is a new tensor, or
    `out` (a spare tensor of x_hat's shape, overwritten), or x_hat itself when there is
    neither weight nor bias.
    """
    if weight is not None and bias is not None:
        return torch.addcmul(bias, x_hat, weight, out=out)  # bias + x_hat * weight, one pass
    if weight is not None:
        return torch.mul(x_hat, weight, out=out)
    if bias is not None:
        return torch.add(x_hat, bias, out=out)
    return x_hat


def _channel_or_none(t: torch.Tensor | None, ndim: int) -> torch.Tensor | None:
    """_per_channel(t, ndim), or None for None."""
    return None if t is None else _per_channel(t, ndim)


def _sum_leading(t: torch.Tensor, n_leading: int) -> torch.Tensor:
    """Sum over the first n_leading axes, as a new tensor.

    With no leading axes that is a copy of t (sum(dim=()) would sum everything): never t
    itself, so the caller may go on modifying t in place.
    """
    return t.sum(dim=tuple(range(n_leading))) if n_leading else t.clone()


def _check_trailing_shape(x: torch.Tensor, normalized_shape: Sequence[int]) -> tuple[int, ...]:
    shape = tuple(normalized_shape)
    if x.dim() < len(shape) or tuple(x.shape[x.dim() - len(shape):]) != shape:
        raise ValueError(f"expected input whose trailing shape is {shape}, got shape "
                         f"{tuple(x.shape)}")
    return shape


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
        if x.dim() < 2:
            raise ValueError(f"batch norm expects (N, C, *) input, got shape {tuple(x.shape)}")
        axes = _batch_axes(x)
        mean = x.mean(dim=axes, keepdim=True)                   # (1, C, 1, ...)
        centred = x - mean
        squares = centred * centred
        var = squares.mean(dim=axes, keepdim=True)              # biased: divides by M
        rstd = torch.rsqrt(var + eps)                           # eps inside the square root
        x_hat = centred.mul_(rstd)       # in place: centred is ours, and no longer needed
        ctx.save_for_backward(x_hat, rstd, weight)
        ctx.has_bias = bias is not None
        # Fresh tensors of x's size are what costs most here (the operations themselves are
        # cheap), so y is written over `squares`, whose values are no longer needed.
        return _affine(x_hat, _channel_or_none(weight, x.dim()), _channel_or_none(bias, x.dim()),
                       out=squares)

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        """(grad_x, grad_weight, grad_bias, None) for the upstream gradient grad_y."""
        x_hat, rstd, weight = ctx.saved_tensors
        axes = _batch_axes(grad_y)
        m = grad_y.numel() // grad_y.shape[1]                   # values per channel
        # The two per-channel sums of the backward are the parameter gradients themselves:
        gx = grad_y * x_hat
        sum_gx = gx.sum(dim=axes)                               # = grad_weight
        sum_g = grad_y.sum(dim=axes)                            # = grad_bias
        # The weight is constant over each channel's values, so it factors out of the means
        # in _compact_grad_: with g = weight * grad_y,
        #     dL/dx = weight * rstd * (grad_y - mean(grad_y) - x_hat * mean(grad_y * x_hat)),
        # and the two means are the sums above divided by M: no second pass to compute them.
        scale = rstd if weight is None else rstd * _per_channel(weight, grad_y.dim())
        mean_g = _per_channel(sum_g / m, grad_y.dim())
        mean_gx = _per_channel(sum_gx / m, grad_y.dim())
        # grad_y - x_hat * mean_gx, written over gx (no longer needed), then the last two steps
        # in place: no new tensor of x's size at all.
        grad_x = torch.addcmul(grad_y, x_hat, mean_gx, value=-1.0, out=gx)
        grad_x.sub_(mean_g).mul_(scale)
        grad_weight = sum_gx if weight is not None else None
        grad_bias = sum_g if ctx.has_bias else None
        return grad_x, grad_weight, grad_bias, None


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
        shape = _check_trailing_shape(x, normalized_shape)
        dims = tuple(range(x.dim() - len(shape), x.dim()))
        mean = x.mean(dim=dims, keepdim=True)                   # (*, 1, ..., 1)
        centred = x - mean
        # The mean of the squares, as the squared norm over D: one reduction, where
        # (centred * centred).mean(...) would first allocate a temporary of x's size.
        var = torch.linalg.vector_norm(centred, dim=dims, keepdim=True).square_() / math.prod(shape)
        rstd = torch.rsqrt(var + eps)
        x_hat = centred.mul_(rstd)       # in place: centred is ours, and no longer needed
        ctx.save_for_backward(x_hat, rstd, weight)
        ctx.dims, ctx.has_bias = dims, bias is not None
        return _affine(x_hat, weight, bias)                     # broadcasts over leading axes

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        """(grad_x, None, grad_weight, grad_bias, None) for the upstream gradient grad_y."""
        x_hat, rstd, weight = ctx.saved_tensors
        dims = ctx.dims
        leading = grad_y.dim() - len(dims)                      # weight is shared over these
        grad_bias = _sum_leading(grad_y, leading) if ctx.has_bias else None
        if weight is None:
            grad_weight, mean_gx = None, None
            g = grad_y.clone()                   # dL/dx_hat, as a copy _compact_grad_ may overwrite
        else:
            gx = grad_y * x_hat                                 # dL/dweight, per leading index
            grad_weight = _sum_leading(gx, leading)
            # In place: turn grad_y * x_hat into g * x_hat (g = weight * grad_y) and take the
            # mean _compact_grad_ needs, rather than allocate g * x_hat anew.
            mean_gx = gx.mul_(weight).mean(dim=dims, keepdim=True)
            g = torch.mul(grad_y, weight, out=gx)   # dL/dx_hat, written over gx (no longer needed)
        grad_x = _compact_grad_(g, x_hat, rstd, dims, mean_gx)
        return grad_x, None, grad_weight, grad_bias, None


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
        shape = _check_trailing_shape(x, normalized_shape)
        dims = tuple(range(x.dim() - len(shape), x.dim()))
        rstd = torch.rsqrt((x * x).mean(dim=dims, keepdim=True) + eps)  # 1 / rms
        x_hat = x * rstd
        y = x_hat if weight is None else x_hat * weight
        ctx.save_for_backward(x_hat, rstd, weight)
        ctx.dims = dims
        return y

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        """(grad_x, None, grad_weight, None) for the upstream gradient grad_y."""
        x_hat, rstd, weight = ctx.saved_tensors
        dims = ctx.dims
        leading = grad_y.dim() - len(dims)
        grad_weight = _sum_leading(grad_y * x_hat, leading) if weight is not None else None
        g = grad_y if weight is None else grad_y * weight
        # As _compact_grad without the mean(g) term: nothing was subtracted in forward.
        grad_x = rstd * (g - x_hat * (g * x_hat).mean(dim=dims, keepdim=True))
        return grad_x, None, grad_weight, None


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
        if x.dim() < 2:
            raise ValueError(f"group norm expects (N, C, *) input, got shape {tuple(x.shape)}")
        n, c = x.shape[:2]
        if num_groups <= 0 or c % num_groups != 0:
            raise ValueError(f"num_groups={num_groups} must divide the {c} channels")
        xg = x.reshape(n, num_groups, -1)                       # (N, G, C/G * positions)
        mean = xg.mean(dim=2, keepdim=True)                     # (N, G, 1)
        centred = xg - mean
        var = (centred * centred).mean(dim=2, keepdim=True)
        rstd = torch.rsqrt(var + eps)
        x_hat = centred.mul_(rstd).view(x.shape)                # in place; back to (N, C, *)
        ctx.save_for_backward(x_hat, rstd, weight)
        ctx.num_groups, ctx.has_bias = num_groups, bias is not None
        return _affine(x_hat, _channel_or_none(weight, x.dim()), _channel_or_none(bias, x.dim()))

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        """(grad_x, None, grad_weight, grad_bias, None) for the upstream gradient grad_y."""
        x_hat, rstd, weight = ctx.saved_tensors
        axes = _batch_axes(grad_y)                              # weight is shared over these
        grad_weight = (grad_y * x_hat).sum(dim=axes) if weight is not None else None
        grad_bias = grad_y.sum(dim=axes) if ctx.has_bias else None
        # dL/dx_hat, as a new tensor (a copy when there is no weight): _compact_grad_ overwrites it.
        g = grad_y.clone() if weight is None else grad_y * _per_channel(weight, grad_y.dim())
        n = grad_y.shape[0]
        grad_x = _compact_grad_(g.reshape(n, ctx.num_groups, -1),
                                x_hat.reshape(n, ctx.num_groups, -1), rstd, (2,))
        return grad_x.view(grad_y.shape), None, grad_weight, grad_bias, None


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
        if x.dim() not in (2, 3):
            raise ValueError(f"BatchNorm1d expects (N, C) or (N, C, L) input, got shape "
                             f"{tuple(x.shape)}")
        return self._normalize(x)

    def _normalize(self, x: torch.Tensor) -> torch.Tensor:
        """The forward pass shared by BatchNorm1d and BatchNorm2d, for x of shape (N, C, *)."""
        if not self.training and self.running_mean is not None:
            # Eval mode: a fixed per-channel affine map; autograd differentiates it.
            mean = _per_channel(self.running_mean, x.dim())
            rstd = torch.rsqrt(_per_channel(self.running_var, x.dim()) + self.eps)
            y = (x - mean) * rstd
            if self.weight is not None:
                y = y * _per_channel(self.weight, x.dim())
            if self.bias is not None:
                y = y + _per_channel(self.bias, x.dim())
            return y

        m = x.numel() // x.shape[1]                             # values per channel
        if m == 1:
            raise ValueError(f"batch statistics need more than 1 value per channel, got input "
                             f"of shape {tuple(x.shape)}")
        if self.training and self.running_mean is not None:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                f = (1.0 / float(self.num_batches_tracked) if self.momentum is None
                     else self.momentum)
                axes = _batch_axes(x)
                mean = x.mean(dim=axes, keepdim=True)
                squares = (x - mean).square_()  # in place: x - mean is a new tensor of ours
                # Unbiased (M - 1) for the running estimate, as torch; forward uses biased.
                # Written out rather than x.var(dim=axes, correction=1): on CPU, torch.var
                # (a one-pass Welford reduction) is many times slower than these plain passes.
                var = squares.sum(dim=axes) / (m - 1)
                self.running_mean.lerp_(mean.view(-1), f)        # (1 - f) * old + f * new
                self.running_var.lerp_(var, f)
        return BatchNormFunction.apply(x, self.weight, self.bias, self.eps)


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
        if x.dim() != 4:
            raise ValueError(f"BatchNorm2d expects (N, C, H, W) input, got shape "
                             f"{tuple(x.shape)}")
        return self._normalize(x)


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
        return LayerNormFunction.apply(x, self.normalized_shape, self.weight, self.bias,
                                       self.eps)


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
        eps = torch.finfo(x.dtype).eps if self.eps is None else self.eps
        return RMSNormFunction.apply(x, self.normalized_shape, self.weight, eps)


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
        return GroupNormFunction.apply(x, self.num_groups, self.weight, self.bias, self.eps)


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
        if x.dim() != 4:
            raise ValueError(f"InstanceNorm2d expects (N, C, H, W) input, got shape "
                             f"{tuple(x.shape)}")
        # One channel per group: statistics per (sample, channel) plane.
        return GroupNormFunction.apply(x, x.shape[1], self.weight, self.bias, self.eps)
