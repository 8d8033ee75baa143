"""Loss functions with hand-written gradients.

Every loss is a `torch.autograd.Function` whose `backward` we derive by hand, plus a function
with torch.nn.functional's name and arguments. The recurring ideas:

- Reductions: "none" keeps one loss per element, "sum" adds them, "mean" divides by a count,
  and that count is part of the definition (cross-entropy with class weights divides by the sum
  of the weights of the targets that were not ignored; BCE's weight does not normalise).
- Stability: log-sum-exp with the max subtracted (cross-entropy), log(1 + exp(-|x|)) instead of
  log(sigmoid(x)) (BCE with logits), log clamped at -100 (BCE on probabilities).
- One gradient shape for every softmax loss: (sum of target coefficients) * softmax - coefficients.

References: Huber, "Robust Estimation of a Location Parameter" (1964); Weston & Watkins,
"Support Vector Machines for Multi-Class Pattern Recognition" (1999); Szegedy et al., "Rethinking
the Inception Architecture" (2016, label smoothing); Lin et al., "Focal Loss for Dense Object
Detection" (2017); Schroff et al., "FaceNet" (2015, triplet loss); van den Oord et al.,
"Representation Learning with Contrastive Predictive Coding" (2018, InfoNCE); Chen et al., "A
Simple Framework for Contrastive Learning of Visual Representations" (2020, NT-Xent).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd import Function
from torch.autograd.function import FunctionCtx

_REDUCTIONS = ("none", "mean", "sum")


# --- shared helpers --------------------------------------------------------------------------


def _check_reduction(reduction: str, allowed: tuple[str, ...] = _REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"reduction must be one of {allowed}, got {reduction!r}")


def _check_same_shape(a: Tensor, b: Tensor, names: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{names} must have the same shape, got {tuple(a.shape)} "
                         f"and {tuple(b.shape)}")


def _check_signs(target: Tensor, name: str = "target") -> None:
    if not bool(((target == 1) | (target == -1)).all()):
        raise ValueError(f"{name} must hold only 1 and -1")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _upstream(grad_output: Tensor, shape: torch.Size, reduction: str, count: float) -> Tensor:
    """The upstream gradient seen by each element of the unreduced loss (of shape `shape`)."""
    if reduction == "none":
        return grad_output
    g = grad_output.expand(shape)
    return g / count if reduction == "mean" else g


def _log_softmax_last(x: Tensor) -> Tensor:
    """log softmax over the last axis: (x - max) - log(sum(exp(x - max)))."""
    shifted = x - x.amax(dim=-1, keepdim=True)  # <= 0, so exp never overflows
    # Not x - (max + log(sum)): adding the max back rounds (float32 spacing at 1e4 is 1e-3).
    # In place: shifted is a new tensor of ours, so no third tensor of x's size is allocated.
    return shifted.sub_(torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True)))


def _softmax_and_log_softmax_last(x: Tensor) -> tuple[Tensor, Tensor]:
    """(softmax, log softmax) over the last axis, sharing the work: exp is the costly step."""
    shifted = x - x.amax(dim=-1, keepdim=True)  # <= 0, so exp never overflows
    probs = torch.exp(shifted)
    total = probs.sum(dim=-1, keepdim=True)
    # Both in place, on new tensors of ours: no further tensor of x's size is allocated.
    probs.div_(total)  # exp(shifted) / sum(exp(shifted))
    return probs, shifted.sub_(torch.log(total))  # as in _log_softmax_last


def _check_class_targets(logits: Tensor, targets: Tensor, ignore_index: int | None) -> None:
    if logits.dim() < 2:
        raise ValueError(f"expected input of shape (N, C) or (N, C, d1, ...), got "
                         f"{tuple(logits.shape)}")
    expected = (logits.shape[0], *logits.shape[2:])
    if tuple(targets.shape) != expected:
        raise ValueError(f"targets must have shape {expected}, got {tuple(targets.shape)}")
    valid = targets if ignore_index is None else targets[targets != ignore_index]
    if valid.numel() and bool(((valid < 0) | (valid >= logits.shape[1])).any()):
        raise ValueError(f"targets must be class ids in [0, {logits.shape[1]})"
                         + ("" if ignore_index is None else f" or ignore_index={ignore_index}"))


def _check_class_weight(weight: Tensor | None, num_classes: int, name: str = "weight") -> None:
    if weight is not None and tuple(weight.shape) != (num_classes,):
        raise ValueError(f"{name} must have shape ({num_classes},), got {tuple(weight.shape)}")


def _pnorm_grad(v: Tensor, d: Tensor, p: float) -> Tensor:
    """d ||v||_p / dv along the last axis: sign(v) |v|^(p-1) / ||v||_p^(p-1)."""
    return torch.sign(v) * v.abs() ** (p - 1) / d.unsqueeze(-1) ** (p - 1)


# --- regression losses -----------------------------------------------------------------------


class MSELossFunction(Function):
    """Squared error (input - target)^2 per element, reduced.

    Gradient: d/d input = 2 (input - target), d/d target = -2 (input - target), times the
    upstream gradient (divided by the number of elements for reduction="mean").
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input: Tensor, target: Tensor, reduction: str) -> Tensor:
        """Args: input, target: tensors of the same shape; reduction: "none", "mean" or "sum".

        Returns the loss: input's shape for "none", else a 0-d tensor.
        """
        diff = input - target
        ctx.save_for_backward(diff)
        ctx.reduction = reduction
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input, grad_target, None), both of input's shape."""
        (diff,) = ctx.saved_tensors
        grad = 2.0 * diff * _upstream(grad_output, diff.shape, ctx.reduction, diff.numel())
        return grad, -grad, None


class L1LossFunction(Function):
    """Absolute error |input - target| per element, reduced.

    Gradient: d/d input = sign(input - target) with sign(0) = 0 (torch's subgradient at a tie),
    d/d target = -sign(input - target), times the upstream gradient.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input: Tensor, target: Tensor, reduction: str) -> Tensor:
        """Args: input, target: tensors of the same shape; reduction: "none", "mean" or "sum".

        Returns the loss: input's shape for "none", else a 0-d tensor.
        """
        diff = input - target
        ctx.save_for_backward(torch.sign(diff))
        ctx.reduction = reduction
        return _reduce(diff.abs(), reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input, grad_target, None), both of input's shape."""
        (sign,) = ctx.saved_tensors
        grad = sign * _upstream(grad_output, sign.shape, ctx.reduction, sign.numel())
        return grad, -grad, None


class HuberLossFunction(Function):
    """Huber loss with threshold delta, per element r = input - target, reduced.

        huber(r) = r^2 / 2                    if |r| <= delta
                   delta * (|r| - delta / 2)  otherwise

    Gradient: d/d r = r if |r| <= delta else delta * sign(r), i.e. r clamped to [-delta, delta]
    (continuous at the kink |r| = delta); d/d input = d/d r, d/d target = -d/d r.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input: Tensor, target: Tensor, reduction: str,
                delta: float) -> Tensor:
        """Args: input, target: same shape; reduction: "none", "mean" or "sum"; delta > 0.

        Returns the loss: input's shape for "none", else a 0-d tensor.
        """
        diff = input - target
        abs_diff = diff.abs()
        loss = torch.where(abs_diff <= delta, 0.5 * diff * diff, delta * (abs_diff - 0.5 * delta))
        ctx.save_for_backward(diff)
        ctx.reduction, ctx.delta = reduction, delta
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input, grad_target, None, None), both of input's shape."""
        (diff,) = ctx.saved_tensors
        g = _upstream(grad_output, diff.shape, ctx.reduction, diff.numel())
        # Quadratic part: r; linear part: delta * sign(r). Both are r clamped to +-delta.
        grad = diff.clamp(-ctx.delta, ctx.delta) * g
        return grad, -grad, None, None


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error, like torch.nn.functional.mse_loss (without its `weight`).

        loss_i = (input_i - target_i)^2,  reduced over all elements

    Must return `MSELossFunction.apply(...)`: your backward, not autograd's, computes the
    gradient. Do not call torch.nn.functional.mse_loss.

    Args:
        input: float tensor of any shape.
        target: float tensor of the same shape (it receives a gradient too).
        reduction: "none" (per-element losses), "mean" (over all elements) or "sum".

    Returns:
        input's shape for "none", else a 0-d tensor; input's dtype.

    Raises:
        ValueError: if the shapes differ (no broadcasting) or reduction is unknown.
    """
    _check_reduction(reduction)
    _check_same_shape(input, target, "input and target")
    return MSELossFunction.apply(input, target, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error, like torch.nn.functional.l1_loss (without its `weight`).

        loss_i = |input_i - target_i|,  reduced over all elements

    At a tie (input_i == target_i) the gradient is 0, like torch. Must return
    `L1LossFunction.apply(...)`. Do not call torch.nn.functional.l1_loss.

    Args:
        input: float tensor of any shape.
        target: float tensor of the same shape (it receives a gradient too).
        reduction: "none", "mean" or "sum".

    Returns:
        input's shape for "none", else a 0-d tensor; input's dtype.

    Raises:
        ValueError: if the shapes differ or reduction is unknown.
    """
    _check_reduction(reduction)
    _check_same_shape(input, target, "input and target")
    return L1LossFunction.apply(input, target, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """Huber loss, like torch.nn.functional.huber_loss (without its `weight`).

        r = input - target
        loss_i = r^2 / 2 if |r| <= delta else delta * (|r| - delta / 2)

    Quadratic for small residuals, linear (slope delta) for large ones, so outliers pull with a
    bounded force. Must return `HuberLossFunction.apply(...)`. Do not call
    torch.nn.functional.huber_loss or smooth_l1_loss.

    Args:
        input: float tensor of any shape.
        target: float tensor of the same shape (it receives a gradient too).
        reduction: "none", "mean" or "sum".
        delta: the threshold between the quadratic and the linear part, > 0.

    Returns:
        input's shape for "none", else a 0-d tensor; input's dtype.

    Raises:
        ValueError: if the shapes differ, reduction is unknown or delta <= 0.
    """
    _check_reduction(reduction)
    _check_same_shape(input, target, "input and target")
    if delta <= 0:
        raise ValueError(f"delta must be > 0, got {delta}")
    return HuberLossFunction.apply(input, target, reduction, delta)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Smooth L1 loss, like torch.nn.functional.smooth_l1_loss.

        r = input - target
        loss_i = r^2 / (2 beta) if |r| < beta else |r| - beta / 2

    For beta > 0 this is huber_loss(delta=beta) / beta; beta = 0 is exactly l1_loss (do not
    divide by zero). You may build it from your huber_loss and l1_loss (autograd then handles
    the division). Do not call torch.nn.functional.smooth_l1_loss or huber_loss.

    Args:
        input: float tensor of any shape.
        target: float tensor of the same shape (it receives a gradient too).
        reduction: "none", "mean" or "sum".
        beta: the threshold, >= 0.

    Returns:
        input's shape for "none", else a 0-d tensor; input's dtype.

    Raises:
        ValueError: if the shapes differ, reduction is unknown or beta < 0.
    """
    _check_reduction(reduction)
    _check_same_shape(input, target, "input and target")
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    return huber_loss(input, target, reduction, delta=beta) / beta


# --- binary cross-entropy --------------------------------------------------------------------


class BCELossFunction(Function):
    """Binary cross-entropy on probabilities, with each log clamped at -100 (like torch).

        loss = -w * (y * max(log x, -100) + (1 - y) * max(log(1 - x), -100))

    Gradient with respect to x (torch's formula, finite even at x = 0 or 1):
        w * (x - y) / max(x * (1 - x), 1e-12)   times the upstream gradient.
    The target and the weight get no gradient (None).
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input: Tensor, target: Tensor, weight: Tensor | None,
                reduction: str) -> Tensor:
        """Args: input: probabilities x in [0, 1]; target: y in [0, 1], input's shape;
        weight: None or broadcastable to input's shape; reduction: "none", "mean" or "sum".

        Returns the loss: input's shape for "none", else a 0-d tensor.
        """
        # Clamping the logs keeps 0 * log(0) = 0 * (-inf) = nan out of the loss.
        log_x = torch.log(input).clamp(min=-100.0)
        log_1mx = torch.log(1.0 - input).clamp(min=-100.0)
        loss = -(target * log_x + (1.0 - target) * log_1mx)
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(input, target, weight)
        ctx.reduction = reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input of input's shape, None, None, None)."""
        input, target, weight = ctx.saved_tensors
        g = _upstream(grad_output, input.shape, ctx.reduction, input.numel())
        grad = (input - target) / (input * (1.0 - input)).clamp(min=1e-12) * g
        if weight is not None:
            grad = grad * weight
        return grad, None, None, None


class BCEWithLogitsFunction(Function):
    """Binary cross-entropy on logits x, stable for any x, with pos_weight and weight.

        loss = w * (pw * y * softplus(-x) + (1 - y) * softplus(x))
        softplus(-x) = -log sigmoid(x) = log(1 + exp(-|x|)) + max(-x, 0)
        softplus(x)  = -log(1 - sigmoid(x)) = softplus(-x) + x

    (pw = 1 and w = 1 when not given.) Gradient with respect to x:
        w * (sigmoid(x) * (pw * y + 1 - y) - pw * y)   (= w * (sigmoid(x) - y) when pw = 1)
    times the upstream gradient. The target, weight and pos_weight get no gradient (None).
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input: Tensor, target: Tensor, weight: Tensor | None,
                pos_weight: Tensor | None, reduction: str) -> Tensor:
        """Args: input: logits; target: y in [0, 1], input's shape; weight: None or
        broadcastable to input's shape; pos_weight: None or (C,) for input's last axis C;
        reduction: "none", "mean" or "sum".

        Returns the loss: input's shape for "none", else a 0-d tensor.
        """
        # exp(-|x|) <= 1 never overflows; log1p keeps precision when it is tiny.
        neg_log_sig = torch.log1p(torch.exp(-input.abs())) + (-input).clamp(min=0)
        neg_log_1msig = neg_log_sig + input
        pos_coef = target if pos_weight is None else pos_weight * target
        loss = pos_coef * neg_log_sig + (1.0 - target) * neg_log_1msig
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(input, target, weight, pos_weight)
        ctx.reduction = reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input of input's shape, None, None, None, None)."""
        input, target, weight, pos_weight = ctx.saved_tensors
        g = _upstream(grad_output, input.shape, ctx.reduction, input.numel())
        pos_coef = target if pos_weight is None else pos_weight * target
        grad = torch.sigmoid(input) * (pos_coef + 1.0 - target) - pos_coef
        if weight is not None:
            grad = grad * weight
        return grad * g, None, None, None, None


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on probabilities, like torch.nn.functional.binary_cross_entropy.

        loss_i = -w_i * (y_i * log x_i + (1 - y_i) * log(1 - x_i))

    Each log is clamped at -100 (like torch), so x = 0 or 1 gives a finite loss (at most 100 *
    w) instead of inf or nan (0 * log 0). "mean" divides by the number of elements, NOT by the
    sum of the weights. The backward is torch's w (x - y) / max(x (1 - x), 1e-12), see
    BCELossFunction. Must return `BCELossFunction.apply(...)`. Do not call
    torch.nn.functional.binary_cross_entropy or binary_cross_entropy_with_logits.

    Args:
        input: probabilities x in [0, 1], float tensor of any shape.
        target: y in [0, 1] (soft labels allowed), input's shape; gets no gradient.
        weight: None, or a float tensor broadcastable to input's shape (rescales each loss).
        reduction: "none", "mean" or "sum".

    Returns:
        input's shape for "none", else a 0-d tensor; input's dtype.

    Raises:
        ValueError: if the shapes of input and target differ, an input lies outside [0, 1], or
            reduction is unknown.
    """
    _check_reduction(reduction)
    _check_same_shape(input, target, "input and target")
    if bool(((input < 0) | (input > 1)).any()):
        raise ValueError("binary_cross_entropy takes probabilities: input must lie in [0, 1]")
    return BCELossFunction.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy on logits, like torch.nn.functional.binary_cross_entropy_with_logits.

        loss_i = -w_i * (pw * y_i * log sigmoid(x_i) + (1 - y_i) * log(1 - sigmoid(x_i)))

    Stable for any logit: never take log(sigmoid(x)) (it is log(0) = -inf for x = -1e4), nor
    exp(-x) unguarded (overflow); use -log sigmoid(x) = log(1 + exp(-|x|)) + max(-x, 0) (see
    BCEWithLogitsFunction). Logits of +-1e4 must give finite losses and gradients.
    pos_weight pw multiplies the positive term only, per class along the last axis. "mean"
    divides by the number of elements. Must return `BCEWithLogitsFunction.apply(...)`. Do not
    call torch.nn.functional.binary_cross_entropy_with_logits, softplus or logsigmoid.

    Args:
        input: logits x, float tensor of any shape (..., C).
        target: y in [0, 1], input's shape; gets no gradient.
        weight: None, or a float tensor broadcastable to input's shape.
        reduction: "none", "mean" or "sum".
        pos_weight: None, or a float tensor of shape (C,) (C = input.shape[-1]).

    Returns:
        input's shape for "none", else a 0-d tensor; input's dtype.

    Raises:
        ValueError: if the shapes of input and target differ or reduction is unknown.
    """
    _check_reduction(reduction)
    _check_same_shape(input, target, "input and target")
    return BCEWithLogitsFunction.apply(input, target, weight, pos_weight, reduction)


# --- cross-entropy and negative log-likelihood -----------------------------------------------


class NLLLossFunction(Function):
    """Negative log-likelihood of class ids under given log-probabilities.

    For each position n (an example, or an example and a spatial location) with target t_n:
        loss_n = -w[t_n] * input[n, t_n]      (0 where t_n == ignore_index)
    "mean" divides the sum by sum_n w[t_n] over the positions that are not ignored.

    Gradient with respect to input: -w[t_n] (divided by that sum for "mean") at class t_n of
    each non-ignored position, 0 elsewhere, times the upstream gradient. Targets and weight get
    no gradient.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input: Tensor, target: Tensor, weight: Tensor | None,
                ignore_index: int, reduction: str) -> Tensor:
        """Args: input: (N, C) or (N, C, d1, ...) log-probabilities; target: (N,) or
        (N, d1, ...) int64 class ids; weight: None or (C,); ignore_index: a target value to skip;
        reduction: "none", "mean" or "sum".

        Returns the loss: target's shape for "none", else a 0-d tensor.
        """
        logp = input.movedim(1, -1)  # (N, d1, ..., C): classes last
        valid = target != ignore_index
        safe = torch.where(valid, target, torch.zeros_like(target))  # any in-range id
        w = weight[safe] if weight is not None else torch.ones_like(logp[..., 0])
        w = torch.where(valid, w, torch.zeros_like(w))  # (N, d1, ...)
        picked = logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
        loss = torch.where(valid, -w * picked, torch.zeros_like(w))
        ctx.save_for_backward(safe, w)
        ctx.reduction, ctx.logp_shape = reduction, logp.shape
        if reduction == "mean":
            ctx.denom = w.sum()
            return loss.sum() / ctx.denom
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input of input's shape, None, None, None, None)."""
        safe, w = ctx.saved_tensors
        if ctx.reduction == "mean":
            g = grad_output.expand(w.shape) / ctx.denom
        else:
            g = _upstream(grad_output, w.shape, ctx.reduction, w.numel())
        grad = torch.zeros(ctx.logp_shape, dtype=w.dtype, device=w.device)
        grad.scatter_(-1, safe.unsqueeze(-1), (-w * g).unsqueeze(-1))
        return grad.movedim(-1, 1), None, None, None, None


class CrossEntropyFunction(Function):
    """Softmax cross-entropy from logits, with class weights, ignore_index and label smoothing.

    With logp = log_softmax(logits) over the class axis ((x - m) - log(sum(exp(x - m))), m the
    max), C classes, eps = label_smoothing and w = weight (all ones if None), each position n
    whose target t_n is not ignore_index gets
        loss_n = sum_c a[n, c] * (-logp[n, c]),
        a[n, c] = (1 - eps) * w[t_n] * [c == t_n] + (eps / C) * w[c]
    and ignored positions get 0. "mean" divides the sum by sum_n w[t_n] over the non-ignored
    positions (the same count for both parts, like torch).

    Gradient with respect to the logits (softmax - one-hot when w = 1 and eps = 0):
        (sum_c a[n, c]) * softmax(logits)[n] - a[n]
    divided by that same sum for "mean", times the upstream gradient.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, logits: Tensor, targets: Tensor, weight: Tensor | None,
                ignore_index: int, reduction: str, label_smoothing: float) -> Tensor:
        """Args: logits: (N, C) or (N, C, d1, ...); targets: (N,) or (N, d1, ...) int64;
        weight: None or (C,); ignore_index: int; reduction: "none", "mean" or "sum";
        label_smoothing: eps in [0, 1].

        Returns the loss: targets' shape for "none", else a 0-d tensor.
        """
        x = logits.movedim(1, -1)  # (N, d1, ..., C): classes last
        num_classes = x.shape[-1]
        # backward needs softmax = exp(logp): keep it from here rather than exponentiate again.
        probs, logp = _softmax_and_log_softmax_last(x)
        valid = targets != ignore_index
        safe = torch.where(valid, targets, torch.zeros_like(targets))
        w = weight if weight is not None else torch.ones(num_classes, dtype=x.dtype,
                                                         device=x.device)
        zero = torch.zeros((), dtype=x.dtype, device=x.device)
        w_t = torch.where(valid, w[safe], zero)  # (N, d1, ...)

        eps = label_smoothing
        nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
        loss = torch.where(valid, (1.0 - eps) * w_t * nll, zero)
        if eps > 0:  # skipped when 0: a -inf logit would give 0 * inf = nan
            smooth = -(logp * w).sum(dim=-1)  # sum_c w_c * (-logp_c)
            loss = loss + torch.where(valid, (eps / num_classes) * smooth, zero)

        ctx.save_for_backward(probs, safe, valid, w_t, w)
        ctx.reduction, ctx.eps = reduction, eps
        if reduction == "mean":
            ctx.denom = w_t.sum()  # sum of the weights of the non-ignored targets
            return loss.sum() / ctx.denom
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_logits of logits' shape, None, None, None, None, None)."""
        probs, safe, valid, w_t, w = ctx.saved_tensors
        num_classes, eps = probs.shape[-1], ctx.eps
        if ctx.reduction == "mean":
            g = grad_output / ctx.denom
        else:  # "sum": a 0-d tensor; "none": one value per position, targets' shape
            g = grad_output
        # a[n, c] = (1 - eps) * w_t[n] * [c == t_n] + (eps / C) * w[c] * valid[n] has only
        # one non-zero per row when eps = 0, so it is never built as a (N, C) tensor:
        #     a_sum[n] = sum_c a[n, c] = (1 - eps) * w_t[n] + (eps / C) * sum(w) * valid[n]
        # and grad = g * (a_sum * softmax - a) is built on one new tensor, in place.
        target_coef = (1.0 - eps) * w_t  # (N, d1, ...)
        a_sum = (target_coef + (eps / num_classes) * w.sum() * valid) if eps > 0 else target_coef
        grad = probs * (g * a_sum).unsqueeze(-1)  # (N, d1, ..., C), the only new one
        if eps > 0:  # minus the smoothing part of a, spread over every class
            grad.addcmul_((g * valid).unsqueeze(-1), w, value=-eps / num_classes)
        # minus the target part of a: one entry per row
        grad.scatter_add_(-1, safe.unsqueeze(-1), (-g * target_coef).unsqueeze(-1))
        return grad.movedim(-1, 1), None, None, None, None, None


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood loss, like torch.nn.functional.nll_loss.

        loss_n = -weight[t_n] * input[n, t_n]   (positions with t_n == ignore_index: 0)

    "mean" divides by the sum of weight[t_n] over the non-ignored positions (the number of
    non-ignored positions when weight is None); if every position is ignored that is 0 / 0 =
    nan, like torch. The class axis is axis 1: input (N, C, d1, ...) goes with target
    (N, d1, ...). ignore_index may be any int, also a valid class id. Must return
    `NLLLossFunction.apply(...)`. Do not call torch.nn.functional.nll_loss or cross_entropy.

    Args:
        input: (N, C) or (N, C, d1, ...) float log-probabilities.
        target: (N,) or (N, d1, ...) int64 class ids in [0, C), or ignore_index.
        weight: None, or a (C,) float tensor of class weights (gets no gradient).
        ignore_index: target value whose positions contribute neither loss nor count.
        reduction: "none" (target's shape), "mean" or "sum".

    Returns:
        target's shape for "none", else a 0-d tensor; input's dtype.

    Raises:
        ValueError: if input has fewer than 2 dims, target's shape is not (N, d1, ...), a target
            is outside [0, C) and not ignore_index, weight is not (C,), or reduction is unknown.
    """
    _check_reduction(reduction)
    _check_class_targets(input, target, ignore_index)
    _check_class_weight(weight, input.shape[1])
    return NLLLossFunction.apply(input, target, weight, ignore_index, reduction)


def cross_entropy(logits: Tensor, targets: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy from logits and class ids, like torch.nn.functional.cross_entropy.

    Compute log_softmax = logits - logsumexp(logits) stably: with m the max over the classes,
    log_softmax = (logits - m) - log(sum(exp(logits - m))), so that logits of +-1e4 give finite
    losses (and do not add m back: in float32 the spacing of numbers near 1e4 is 1e-3).
    With eps = label_smoothing the target distribution is
    (1 - eps) * one_hot(t) + eps / C on EVERY class (the true class included), and with class
    weights w each position's loss is (see CrossEntropyFunction for the formula)
        (1 - eps) * w[t] * (-logp[t]) + (eps / C) * sum_c w[c] * (-logp[c]).
    Positions with t == ignore_index contribute 0. "mean" divides by sum_n w[t_n] over the
    non-ignored positions (their number when weight is None; nan if all are ignored, like
    torch). Without weights or smoothing the gradient is (softmax - one_hot) / N.

    Must return `CrossEntropyFunction.apply(...)`. Do not call torch.nn.functional.cross_entropy,
    nll_loss, log_softmax or softmax, or torch.logsumexp (or their Tensor methods).

    Args:
        logits: (N, C) or (N, C, d1, ...) float tensor; the class axis is axis 1.
        targets: (N,) or (N, d1, ...) int64 class ids in [0, C), or ignore_index.
        weight: None, or a (C,) float tensor of class weights (gets no gradient).
        ignore_index: target value to skip; any int, also a valid class id.
        reduction: "none" (targets' shape), "mean" or "sum".
        label_smoothing: eps in [0, 1].

    Returns:
        targets' shape for "none", else a 0-d tensor; logits' dtype.

    Raises:
        ValueError: if logits has fewer than 2 dims, targets' shape is not (N, d1, ...), a
            target is outside [0, C) and not ignore_index, weight is not (C,), label_smoothing is
            outside [0, 1], or reduction is unknown.
    """
    _check_reduction(reduction)
    _check_class_targets(logits, targets, ignore_index)
    _check_class_weight(weight, logits.shape[1])
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1], got {label_smoothing}")
    return CrossEntropyFunction.apply(logits, targets, weight, ignore_index, reduction,
                                      label_smoothing)


# --- focal loss ------------------------------------------------------------------------------


class FocalLossFunction(Function):
    """Multi-class focal loss from logits.

    With p = softmax(logits) (row-wise), p_t = p[n, t_n] and a_t = alpha[t_n] (1 if None):
        loss_n = -a_t * (1 - p_t)^gamma * log p_t

    Gradient with respect to the logits of row n:
        f_n * (p[n] - onehot(t_n)),
        f_n = a_t * ((1 - p_t)^gamma - gamma * (1 - p_t)^(gamma - 1) * p_t * log p_t)
    where the second term of f_n is 0 when p_t = 1 (its limit), times the upstream gradient.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, logits: Tensor, targets: Tensor, gamma: float,
                alpha: Tensor | None, reduction: str) -> Tensor:
        """Args: logits: (N, C); targets: (N,) int64; gamma >= 0; alpha: None or (C,);
        reduction: "none", "mean" or "sum".

        Returns the loss: (N,) for "none", else a 0-d tensor.
        """
        logp = _log_softmax_last(logits)
        logp_t = logp.gather(1, targets.unsqueeze(1)).squeeze(1)  # (N,)
        one_minus_pt = -torch.expm1(logp_t)  # 1 - p_t, accurate when p_t is close to 1
        a_t = alpha[targets] if alpha is not None else torch.ones_like(logp_t)
        loss = -a_t * one_minus_pt ** gamma * logp_t
        ctx.save_for_backward(logp, targets, logp_t, one_minus_pt, a_t)
        ctx.gamma, ctx.reduction = gamma, reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_logits of shape (N, C), None, None, None, None)."""
        logp, targets, logp_t, one_minus_pt, a_t = ctx.saved_tensors
        gamma = ctx.gamma
        # d loss / d log p_t, then the softmax chain rule d log p_t / d z = onehot - p.
        second = torch.zeros_like(logp_t)
        if gamma > 0:  # its limit is 0 where p_t = 1 (also for gamma < 1, where 0^(gamma-1) = inf)
            at_one = one_minus_pt == 0
            safe = torch.where(at_one, torch.ones_like(one_minus_pt), one_minus_pt)
            second = torch.where(at_one, second,
                                 gamma * safe ** (gamma - 1) * torch.exp(logp_t) * logp_t)
        factor = a_t * (one_minus_pt ** gamma - second)  # (N,)
        g = _upstream(grad_output, factor.shape, ctx.reduction, factor.numel())
        p_minus_onehot = torch.exp(logp).scatter_add(
            1, targets.unsqueeze(1), -torch.ones_like(logp_t).unsqueeze(1))
        return (factor * g).unsqueeze(1) * p_minus_onehot, None, None, None, None


def focal_loss(logits: Tensor, targets: Tensor, gamma: float = 2.0,
               alpha: Tensor | None = None, reduction: str = "mean") -> Tensor:
    """Multi-class (softmax) focal loss (Lin et al., 2017).

        p_t = softmax(logits)[n, t_n],   loss_n = -alpha[t_n] * (1 - p_t)^gamma * log p_t

    The factor (1 - p_t)^gamma down-weights easy examples (p_t near 1). With gamma = 0 and no
    alpha this is exactly cross_entropy; with alpha it is cross_entropy(weight=alpha,
    reduction="none") per example. "mean" is the plain mean over the N examples (alpha is NOT
    normalised, unlike cross_entropy's weighted mean). Compute log p_t with log-sum-exp, so
    logits of +-1e4 stay finite. For binary / multi-label problems use sigmoid_focal_loss.
    Must return `FocalLossFunction.apply(...)`. Do not call torch.nn.functional.cross_entropy,
    nll_loss, log_softmax or softmax, or torch.logsumexp.

    Args:
        logits: (N, C) float tensor.
        targets: (N,) int64 class ids in [0, C).
        gamma: the focusing parameter, >= 0.
        alpha: None, or a (C,) float tensor of per-class weights (gets no gradient).
        reduction: "none" ((N,)), "mean" or "sum".

    Returns:
        (N,) for "none", else a 0-d tensor; logits' dtype.

    Raises:
        ValueError: if logits is not 2-D, targets is not (N,) or out of range, alpha is not
            (C,), gamma < 0, or reduction is unknown.
    """
    _check_reduction(reduction)
    if logits.dim() != 2:
        raise ValueError(f"logits must be (N, C), got {tuple(logits.shape)}")
    _check_class_targets(logits, targets, None)
    _check_class_weight(alpha, logits.shape[1], "alpha")
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    return FocalLossFunction.apply(logits, targets, gamma, alpha, reduction)


def sigmoid_focal_loss(inputs: Tensor, targets: Tensor, alpha: float = 0.25,
                       gamma: float = 2.0, reduction: str = "none") -> Tensor:
    """Binary (sigmoid) focal loss, like torchvision.ops.sigmoid_focal_loss.

        p = sigmoid(x),  ce = binary_cross_entropy_with_logits(x, y, reduction="none")
        p_t = p * y + (1 - p) * (1 - y),   alpha_t = alpha * y + (1 - alpha) * (1 - y)
        loss = alpha_t * (1 - p_t)^gamma * ce        (no alpha_t factor when alpha < 0)

    Each element is an independent binary problem (multi-label). Build it from your
    binary_cross_entropy_with_logits and basic torch ops (autograd differentiates the rest).
    gamma = 0 with alpha < 0 is exactly binary_cross_entropy_with_logits. Note the default
    reduction is "none", like torchvision.

    Args:
        inputs: logits, float tensor of any shape.
        targets: y in [0, 1], inputs' shape; gets no gradient.
        alpha: weight of the positive class in [0, 1]; negative to switch the weighting off.
        gamma: the focusing parameter, >= 0.
        reduction: "none" (inputs' shape), "mean" or "sum".

    Returns:
        inputs' shape for "none", else a 0-d tensor; inputs' dtype.

    Raises:
        ValueError: if the shapes differ, gamma < 0, or reduction is unknown.
    """
    _check_reduction(reduction)
    _check_same_shape(inputs, targets, "inputs and targets")
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    ce = binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p = torch.sigmoid(inputs)
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce(loss, reduction)


# --- hinge losses ----------------------------------------------------------------------------


class MultiMarginLossFunction(Function):
    """Multi-class hinge loss (Weston-Watkins), like torch.nn.MultiMarginLoss.

    For row n with target y and the other classes j != y:
        z_j = margin - x[n, y] + x[n, j],   loss_n = w[y] * sum_{j != y} max(0, z_j)^p / C

    Gradient: for each j != y with z_j > 0 (0 at the kink z_j = 0), d/d x[n, j] =
    w[y] * p * z_j^(p - 1) / C and d/d x[n, y] is minus the sum of those; times the upstream
    gradient.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input: Tensor, target: Tensor, p: int, margin: float,
                weight: Tensor | None, reduction: str) -> Tensor:
        """Args: input: (N, C) scores; target: (N,) int64; p: 1 or 2; margin: float;
        weight: None or (C,); reduction: "none", "mean" or "sum".

        Returns the loss: (N,) for "none", else a 0-d tensor.
        """
        num_classes = input.shape[1]
        x_y = input.gather(1, target.unsqueeze(1))  # (N, 1)
        z = margin - x_y + input  # (N, C)
        others = torch.ones_like(input, dtype=torch.bool).scatter_(1, target.unsqueeze(1), False)
        active = (z > 0) & others
        w_y = weight[target] if weight is not None else torch.ones_like(x_y.squeeze(1))
        terms = torch.where(active, z, torch.zeros_like(z)) ** p  # (N, C)
        loss = w_y * terms.sum(dim=1) / num_classes
        ctx.save_for_backward(z, active, target, w_y)
        ctx.p, ctx.reduction = p, reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input of shape (N, C), None, None, None, None, None)."""
        z, active, target, w_y = ctx.saved_tensors
        num_classes = z.shape[1]
        g = _upstream(grad_output, w_y.shape, ctx.reduction, w_y.numel())
        dz = torch.where(active, ctx.p * z ** (ctx.p - 1), torch.zeros_like(z))  # d term / d z
        coef = dz * (w_y * g / num_classes).unsqueeze(1)  # d loss / d x_j for j != y
        # x_y enters every z_j with a minus sign.
        grad = coef.scatter_add(1, target.unsqueeze(1), -coef.sum(dim=1, keepdim=True))
        return grad, None, None, None, None, None


class HingeLossFunction(Function):
    """Binary (SVM) hinge loss on scores s with labels y in {-1, +1}.

        loss = max(0, margin - y * s)

    Gradient with respect to s: -y where margin - y * s > 0, else 0 (0 at the kink), times the
    upstream gradient.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input: Tensor, target: Tensor, margin: float,
                reduction: str) -> Tensor:
        """Args: input: scores of any shape; target: +-1, input's shape; margin: float;
        reduction: "none", "mean" or "sum".

        Returns the loss: input's shape for "none", else a 0-d tensor.
        """
        z = margin - target * input
        ctx.save_for_backward(z, target)
        ctx.reduction = reduction
        return _reduce(z.clamp(min=0), reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input of input's shape, None, None, None)."""
        z, target = ctx.saved_tensors
        g = _upstream(grad_output, z.shape, ctx.reduction, z.numel())
        return -target * (z > 0) * g, None, None, None


class HingeEmbeddingLossFunction(Function):
    """Hinge embedding loss, like torch.nn.HingeEmbeddingLoss (x is often a distance).

        loss = x                    where y == 1
               max(0, margin - x)   where y == -1

    Gradient with respect to x: 1 where y == 1; -1 where y == -1 and margin - x > 0; else 0
    (0 at the kink margin - x = 0); times the upstream gradient.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input: Tensor, target: Tensor, margin: float,
                reduction: str) -> Tensor:
        """Args: input: any shape; target: +-1, input's shape; margin: float;
        reduction: "none", "mean" or "sum".

        Returns the loss: input's shape for "none", else a 0-d tensor.
        """
        z = margin - input
        positive = target == 1
        loss = torch.where(positive, input, z.clamp(min=0))
        ctx.save_for_backward(z, positive)
        ctx.reduction = reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input of input's shape, None, None, None)."""
        z, positive = ctx.saved_tensors
        g = _upstream(grad_output, z.shape, ctx.reduction, z.numel())
        local = torch.where(positive, torch.ones_like(z), -(z > 0).to(z.dtype))
        return local * g, None, None, None


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss, like torch.nn.functional.multi_margin_loss.

        loss_n = weight[y] * sum_{j != y} max(0, margin - x[n, y] + x[n, j])^p / C

    The true class j = y is left out of the sum (it would add margin^p / C). The loss is 0 when
    the true score beats every other by at least the margin. A term exactly at its kink
    (margin - x[y] + x[j] == 0) contributes no gradient. "mean" divides by N (weights are not
    normalised). Must return `MultiMarginLossFunction.apply(...)`. Do not call
    torch.nn.functional.multi_margin_loss.

    Args:
        input: (N, C) float scores.
        target: (N,) int64 class ids in [0, C).
        p: 1 or 2.
        margin: the required gap.
        weight: None, or a (C,) float tensor; the loss of row n is scaled by weight[y_n].
        reduction: "none" ((N,)), "mean" or "sum".

    Returns:
        (N,) for "none", else a 0-d tensor; input's dtype.

    Raises:
        ValueError: if input is not 2-D, target is not (N,) or out of range, p is not 1 or 2,
            weight is not (C,), or reduction is unknown.
    """
    _check_reduction(reduction)
    if input.dim() != 2:
        raise ValueError(f"input must be (N, C), got {tuple(input.shape)}")
    _check_class_targets(input, target, None)
    _check_class_weight(weight, input.shape[1])
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p}")
    return MultiMarginLossFunction.apply(input, target, p, margin, weight, reduction)


def hinge_loss(input: Tensor, target: Tensor, margin: float = 1.0,
               reduction: str = "mean") -> Tensor:
    """Binary (SVM) hinge loss: max(0, margin - y * s) for scores s and labels y = +-1.

    Zero once an example is on the right side with at least `margin` to spare. At the kink
    (margin - y * s == 0) the gradient is 0. torch has no function for this one; with two
    classes it is 2 * multi_margin_loss on the scores [0, s] (see the tests). Must return
    `HingeLossFunction.apply(...)`. Do not call torch.nn.functional.multi_margin_loss or
    hinge_embedding_loss.

    Args:
        input: scores s, float tensor of any shape.
        target: labels in {-1, +1} (any dtype), input's shape.
        margin: the required margin.
        reduction: "none", "mean" or "sum".

    Returns:
        input's shape for "none", else a 0-d tensor; input's dtype.

    Raises:
        ValueError: if the shapes differ, target holds a value other than -1 and 1, or
            reduction is unknown.
    """
    _check_reduction(reduction)
    _check_same_shape(input, target, "input and target")
    _check_signs(target)
    return HingeLossFunction.apply(input, target.to(input.dtype), margin, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: str = "mean") -> Tensor:
    """Hinge embedding loss, like torch.nn.functional.hinge_embedding_loss.

        loss_i = x_i if y_i == 1,   max(0, margin - x_i) if y_i == -1

    Typically x is a distance: similar pairs (y = 1) are pulled together, dissimilar ones
    (y = -1) pushed at least `margin` apart. At the kink (margin - x == 0) the gradient is 0.
    Must return `HingeEmbeddingLossFunction.apply(...)`. Do not call
    torch.nn.functional.hinge_embedding_loss.

    Args:
        input: float tensor of any shape.
        target: labels in {-1, +1} (any dtype), input's shape.
        margin: the margin for y = -1.
        reduction: "none", "mean" or "sum".

    Returns:
        input's shape for "none", else a 0-d tensor; input's dtype.

    Raises:
        ValueError: if the shapes differ, target holds a value other than -1 and 1, or
            reduction is unknown.
    """
    _check_reduction(reduction)
    _check_same_shape(input, target, "input and target")
    _check_signs(target)
    return HingeEmbeddingLossFunction.apply(input, target, margin, reduction)


# --- KL divergence ---------------------------------------------------------------------------


class KLDivFunction(Function):
    """KL divergence pointwise terms, like torch.nn.functional.kl_div.

    input holds log q (the model's log-probabilities); target holds p (or log p if log_target):
        term = p * (log p - log q)   with 0 * log 0 = 0 where p == 0

    Gradient with respect to input: -p (= -exp(target) if log_target), times the upstream
    gradient (divided by the element count for "mean", by N for "batchmean"). The target gets
    no gradient.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input: Tensor, target: Tensor, reduction: str,
                log_target: bool) -> Tensor:
        """Args: input: log q, any shape (N, ...); target: input's shape; reduction: "none",
        "mean", "sum" or "batchmean"; log_target: whether target holds log p.

        Returns the loss: input's shape for "none", else a 0-d tensor.
        """
        if log_target:
            p = torch.exp(target)
            terms = p * (target - input)
        else:
            p = target
            log_p = torch.log(torch.where(p > 0, p, torch.ones_like(p)))  # log 1 = 0 where p = 0
            terms = p * log_p - p * input
        ctx.save_for_backward(p)
        ctx.reduction = reduction
        if reduction == "batchmean":
            return terms.sum() / input.shape[0]
        return _reduce(terms, reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input of input's shape, None, None, None)."""
        (p,) = ctx.saved_tensors
        if ctx.reduction == "batchmean":
            g = grad_output.expand(p.shape) / p.shape[0]
        else:
            g = _upstream(grad_output, p.shape, ctx.reduction, p.numel())
        return -p * g, None, None, None


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(p || q) terms, like torch.nn.functional.kl_div. Mind the argument order.

        input = log q (log-probabilities of the model), target = p (the reference)
        loss_i = p_i * (log p_i - input_i)            (0 where p_i == 0)
        loss_i = exp(t_i) * (t_i - input_i)           if log_target (target holds log p)

    Summed over classes this is KL(target || exp(input)), not KL(input || target).
    Reductions: "none" (elementwise), "sum", "mean" (over ALL elements, torch's default, which
    is not the KL divergence per example) and "batchmean" (sum / input.shape[0]: the mean KL per
    example). Must return `KLDivFunction.apply(...)`. Do not call torch.nn.functional.kl_div.

    Args:
        input: log-probabilities log q, float tensor (N, ...).
        target: probabilities p (or log p if log_target), input's shape; gets no gradient.
        reduction: "none", "mean", "sum" or "batchmean".
        log_target: whether target holds log-probabilities.

    Returns:
        input's shape for "none", else a 0-d tensor; input's dtype.

    Raises:
        ValueError: if the shapes differ, input is 0-d, or reduction is unknown.
    """
    _check_reduction(reduction, (*_REDUCTIONS, "batchmean"))
    _check_same_shape(input, target, "input and target")
    if input.dim() == 0:
        raise ValueError("kl_div needs at least one dimension (the batch)")
    return KLDivFunction.apply(input, target, reduction, log_target)


# --- contrastive and metric-learning losses --------------------------------------------------


def info_nce(query: Tensor, keys: Tensor, temperature: float = 0.1,
             reduction: str = "mean") -> Tensor:
    """InfoNCE with in-batch negatives (CPC / CLIP style, one direction).

        sim[i, j] = cos(query_i, keys_j) / temperature
        loss_i = cross_entropy(sim[i], i) = -log( exp(sim[i, i]) / sum_j exp(sim[i, j]) )

    Row i's positive is keys[i]; every other key in the batch is a negative. Rows are
    L2-normalised first (cosine similarity). Build it from your cross_entropy (and basic ops
    such as torch.nn.functional.normalize; autograd differentiates those). Do not call
    torch.nn.functional.cross_entropy, log_softmax or softmax, or torch.logsumexp.

    Args:
        query: (N, D) float tensor.
        keys: (N, D) float tensor, keys[i] is the positive for query[i].
        temperature: tau > 0.
        reduction: "none" ((N,)), "mean" or "sum".

    Returns:
        (N,) for "none", else a 0-d tensor; query's dtype.

    Raises:
        ValueError: if query and keys are not both (N, D), temperature <= 0, or reduction is
            unknown.
    """
    _check_reduction(reduction)
    if query.dim() != 2:
        raise ValueError(f"query must be (N, D), got {tuple(query.shape)}")
    _check_same_shape(query, keys, "query and keys")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    q = torch.nn.functional.normalize(query, dim=1)
    k = torch.nn.functional.normalize(keys, dim=1)
    sim = q @ k.T / temperature  # (N, N); the positives are on the diagonal
    targets = torch.arange(query.shape[0], device=query.device)
    return cross_entropy(sim, targets, reduction=reduction)


def nt_xent(z1: Tensor, z2: Tensor, temperature: float = 0.5, reduction: str = "mean") -> Tensor:
    """NT-Xent, SimCLR's normalised temperature-scaled cross-entropy over 2N views.

    Stack the views z = [z1; z2] (2N, D), L2-normalise each row, s[i, k] = z_i . z_k / tau.
    The positive of view i is the other view of the same example: i + N for i < N, i - N
    otherwise. Every other view k != i is a negative; view i itself is never counted:
        loss_i = -log( exp(s[i, pos(i)]) / sum_{k != i} exp(s[i, k]) )
    (the denominator includes the positive and excludes only k = i). Build it from your
    cross_entropy on the masked similarity matrix; to mask, fill the diagonal with -inf (then
    your cross_entropy must cope with -inf logits: 0 * inf is nan) or with a very negative
    number. Do not call torch.nn.functional.cross_entropy, log_softmax or softmax, or
    torch.logsumexp.

    Args:
        z1: (N, D) float tensor, first view of each example.
        z2: (N, D) float tensor, second view.
        temperature: tau > 0.
        reduction: "none" ((2N,): the N losses of z1's rows, then the N of z2's), "mean"
            (over the 2N views) or "sum".

    Returns:
        (2N,) for "none", else a 0-d tensor; z1's dtype.

    Raises:
        ValueError: if z1 and z2 are not both (N, D), temperature <= 0, or reduction is unknown.
    """
    _check_reduction(reduction)
    if z1.dim() != 2:
        raise ValueError(f"z1 must be (N, D), got {tuple(z1.shape)}")
    _check_same_shape(z1, z2, "z1 and z2")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    n = z1.shape[0]
    z = torch.nn.functional.normalize(torch.cat([z1, z2], dim=0), dim=1)  # (2N, D)
    sim = z @ z.T / temperature  # (2N, 2N)
    self_mask = torch.eye(2 * n, dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(self_mask, float("-inf"))  # a view is not its own negative
    idx = torch.arange(n, device=z.device)
    targets = torch.cat([idx + n, idx])  # the other view of the same example
    return cross_entropy(sim, targets, reduction=reduction)


class TripletMarginLossFunction(Function):
    """Triplet margin loss, like torch.nn.TripletMarginLoss.

        d(a, b) = || a - b + eps ||_p   (eps added to the difference, like pairwise_distance)
        d_neg = min(d(a, n), d(p, n)) if swap else d(a, n)
        loss = max(0, d(a, p) - d_neg + margin)

    With u(v) = d||v||_p / dv = sign(v) |v|^(p-1) / ||v||_p^(p-1) (v / ||v|| for p = 2), where
    the hinge is active (> 0; 0 gradient at the kink): anchor gets u(a - p + eps) minus the
    negative distance's u, positive gets -u(a - p + eps) (and -u(p - n + eps) when the swap
    picks d(p, n)), negative gets +u of whichever negative distance was used; times the
    upstream gradient.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, anchor: Tensor, positive: Tensor, negative: Tensor,
                margin: float, p: float, eps: float, swap: bool, reduction: str) -> Tensor:
        """Args: anchor, positive, negative: (N, D); margin > 0; p > 0; eps: float;
        swap: bool; reduction: "none", "mean" or "sum".

        Returns the loss: (N,) for "none", else a 0-d tensor.
        """
        v_ap = anchor - positive + eps
        v_an = anchor - negative + eps
        d_ap = torch.linalg.vector_norm(v_ap, ord=p, dim=1)
        d_an = torch.linalg.vector_norm(v_an, ord=p, dim=1)
        if swap:
            v_pn = positive - negative + eps
            d_pn = torch.linalg.vector_norm(v_pn, ord=p, dim=1)
            use_pn = d_pn < d_an  # the harder negative distance
            d_neg = torch.where(use_pn, d_pn, d_an)
        else:
            v_pn, d_pn = v_an, d_an  # placeholders, unused
            use_pn = torch.zeros_like(d_an, dtype=torch.bool)
            d_neg = d_an
        z = margin + d_ap - d_neg
        ctx.save_for_backward(v_ap, v_an, v_pn, d_ap, d_an, d_pn, use_pn, z)
        ctx.p, ctx.reduction = p, reduction
        return _reduce(z.clamp(min=0), reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_anchor, grad_positive, grad_negative, None, None, None, None, None),
        each (N, D)."""
        v_ap, v_an, v_pn, d_ap, d_an, d_pn, use_pn, z = ctx.saved_tensors
        p = ctx.p
        g = _upstream(grad_output, z.shape, ctx.reduction, z.numel()) * (z > 0)
        g = g.unsqueeze(1)  # (N, 1)
        u_ap = _pnorm_grad(v_ap, d_ap, p)
        # Only the negative distance that was used receives gradient.
        u_an = _pnorm_grad(v_an, d_an, p) * (~use_pn).unsqueeze(1)
        u_pn = _pnorm_grad(v_pn, d_pn, p) * use_pn.unsqueeze(1)
        grad_a = g * (u_ap - u_an)
        grad_p = g * (-u_ap - u_pn)
        grad_n = g * (u_an + u_pn)
        return grad_a, grad_p, grad_n, None, None, None, None, None


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, reduction: str = "mean") -> Tensor:
    """Triplet margin loss, like torch.nn.functional.triplet_margin_loss.

        d(a, b) = || a - b + eps ||_p   (eps is added to the difference, not to the norm)
        loss_n = max(0, d(a_n, p_n) - d(a_n, n_n) + margin)

    The anchor should be closer to the positive than to the negative by at least `margin`.
    With swap=True (Balntas et al., 2016) the negative distance is min(d(a, n), d(p, n)). At the
    kink (the bracket exactly 0) the gradient is 0. Must return
    `TripletMarginLossFunction.apply(...)`. Do not call
    torch.nn.functional.triplet_margin_loss or pairwise_distance.

    Args:
        anchor, positive, negative: (N, D) float tensors; all three receive gradients.
        margin: > 0.
        p: the norm degree, > 0.
        eps: added to each difference before the norm.
        swap: use the distance swap.
        reduction: "none" ((N,)), "mean" or "sum".

    Returns:
        (N,) for "none", else a 0-d tensor; anchor's dtype.

    Raises:
        ValueError: if the three are not (N, D) of one shape, margin <= 0, p <= 0, or reduction
            is unknown.
    """
    _check_reduction(reduction)
    if anchor.dim() != 2:
        raise ValueError(f"anchor must be (N, D), got {tuple(anchor.shape)}")
    _check_same_shape(anchor, positive, "anchor and positive")
    _check_same_shape(anchor, negative, "anchor and negative")
    if margin <= 0:
        raise ValueError(f"margin must be > 0, got {margin}")
    if p <= 0:
        raise ValueError(f"p must be > 0, got {p}")
    return TripletMarginLossFunction.apply(anchor, positive, negative, margin, p, eps, swap,
                                           reduction)


class CosineEmbeddingLossFunction(Function):
    """Cosine embedding loss, like torch.nn.CosineEmbeddingLoss.

        cos_n = x1_n . x2_n / (||x1_n|| ||x2_n||)
        loss_n = 1 - cos_n                 where y_n == 1
                 max(0, cos_n - margin)    where y_n == -1

    Gradient: d cos / d x1 = x2 / (||x1|| ||x2||) - cos * x1 / ||x1||^2 (symmetrically for x2),
    times d loss / d cos = -1 (y = 1), 1 (y = -1 and cos - margin > 0) or 0, times the upstream
    gradient.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input1: Tensor, input2: Tensor, target: Tensor,
                margin: float, reduction: str) -> Tensor:
        """Args: input1, input2: (N, D); target: (N,) of +-1; margin: float;
        reduction: "none", "mean" or "sum".

        Returns the loss: (N,) for "none", else a 0-d tensor.
        """
        n1 = torch.sqrt((input1 * input1).sum(dim=1))
        n2 = torch.sqrt((input2 * input2).sum(dim=1))
        cos = (input1 * input2).sum(dim=1) / (n1 * n2)
        positive = target == 1
        loss = torch.where(positive, 1 - cos, (cos - margin).clamp(min=0))
        dloss_dcos = torch.where(positive, -torch.ones_like(cos), (cos - margin > 0).to(cos.dtype))
        ctx.save_for_backward(input1, input2, n1, n2, cos, dloss_dcos)
        ctx.reduction = reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input1, grad_input2, None, None, None), each (N, D)."""
        x1, x2, n1, n2, cos, dloss_dcos = ctx.saved_tensors
        g = (_upstream(grad_output, cos.shape, ctx.reduction, cos.numel()) * dloss_dcos)
        g, n1, n2, cos = g.unsqueeze(1), n1.unsqueeze(1), n2.unsqueeze(1), cos.unsqueeze(1)
        grad1 = x2 / (n1 * n2) - cos * x1 / n1**2
        grad2 = x1 / (n1 * n2) - cos * x2 / n2**2
        return g * grad1, g * grad2, None, None, None


class MarginRankingLossFunction(Function):
    """Margin ranking loss, like torch.nn.MarginRankingLoss.

        loss = max(0, -y * (x1 - x2) + margin)

    Gradient: where the bracket is > 0 (0 at the kink), d/d x1 = -y and d/d x2 = y, times the
    upstream gradient.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, input1: Tensor, input2: Tensor, target: Tensor,
                margin: float, reduction: str) -> Tensor:
        """Args: input1, input2, target: one shape, target +-1; margin: float;
        reduction: "none", "mean" or "sum".

        Returns the loss: input1's shape for "none", else a 0-d tensor.
        """
        z = -target * (input1 - input2) + margin
        ctx.save_for_backward(z, target)
        ctx.reduction = reduction
        return _reduce(z.clamp(min=0), reduction)

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Returns (grad_input1, grad_input2, None, None, None), each of input1's shape."""
        z, target = ctx.saved_tensors
        g = _upstream(grad_output, z.shape, ctx.reduction, z.numel()) * (z > 0)
        return -target * g, target * g, None, None, None


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: str = "mean") -> Tensor:
    """Cosine embedding loss, like torch.nn.functional.cosine_embedding_loss.

        cos_n = x1_n . x2_n / (||x1_n|| ||x2_n||)
        loss_n = 1 - cos_n if y_n == 1,   max(0, cos_n - margin) if y_n == -1

    Similar pairs are pulled to cosine 1, dissimilar ones pushed below `margin`. Rows must be
    non-zero (torch adds 1e-12 to each squared norm; the tests never depend on that). At the kink
    (cos - margin == 0) the gradient is 0. Must return `CosineEmbeddingLossFunction.apply(...)`.
    Do not call torch.nn.functional.cosine_embedding_loss.

    Args:
        input1, input2: (N, D) float tensors; both receive gradients.
        target: (N,) labels in {-1, +1} (any dtype).
        margin: in [-1, 1], used for y = -1.
        reduction: "none" ((N,)), "mean" or "sum".

    Returns:
        (N,) for "none", else a 0-d tensor; input1's dtype.

    Raises:
        ValueError: if the inputs are not (N, D) of one shape, target is not (N,) of +-1, or
            reduction is unknown.
    """
    _check_reduction(reduction)
    if input1.dim() != 2:
        raise ValueError(f"input1 must be (N, D), got {tuple(input1.shape)}")
    _check_same_shape(input1, input2, "input1 and input2")
    if tuple(target.shape) != (input1.shape[0],):
        raise ValueError(f"target must be ({input1.shape[0]},), got {tuple(target.shape)}")
    _check_signs(target)
    return CosineEmbeddingLossFunction.apply(input1, input2, target, margin, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """Margin ranking loss, like torch.nn.functional.margin_ranking_loss.

        loss_i = max(0, -y_i * (x1_i - x2_i) + margin)

    y = 1 means x1 should rank higher than x2 (by at least `margin`), y = -1 the opposite. At
    the kink the gradient is 0. Must return `MarginRankingLossFunction.apply(...)`. Do not call
    torch.nn.functional.margin_ranking_loss.

    Args:
        input1, input2: float tensors of one shape; both receive gradients.
        target: labels in {-1, +1}, the same shape.
        margin: the required gap.
        reduction: "none", "mean" or "sum".

    Returns:
        input1's shape for "none", else a 0-d tensor; input1's dtype.

    Raises:
        ValueError: if the shapes differ, target holds a value other than -1 and 1, or
            reduction is unknown.
    """
    _check_reduction(reduction)
    _check_same_shape(input1, input2, "input1 and input2")
    _check_same_shape(input1, target, "input1 and target")
    _check_signs(target)
    return MarginRankingLossFunction.apply(input1, input2, target.to(input1.dtype), margin,
                                           reduction)
