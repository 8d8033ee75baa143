"""SGD, momentum, RMSprop, Adam and AdamW.

Four optimizers, written as torch.optim.Optimizer subclasses with torch's argument names and
defaults, so that they drop into any training loop (and into this phase's MNIST capstone).
torch.optim.Optimizer already gives you param groups (self.param_groups, one dict of options
per group), per-parameter state (self.state[p], a dict), zero_grad(), state_dict() and
load_state_dict(). Each __init__ is written for you; your job is each step(): the update rule.

Every step() works the same way:
- decorate it with @torch.no_grad() (done) and update each parameter in place;
- if a closure is given, call it once inside torch.enable_grad() and return its loss;
- loop over self.param_groups, read every hyperparameter from the group, and skip each
  parameter p whose p.grad is None;
- keep what must survive between steps (buffers, step counts) in self.state[p], created on
  p's first step with torch.zeros_like(p) (or a clone), so state_dict() can save it.

The tests compare your parameters with torch.optim's after each of 100 steps in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch.optim import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    For each parameter p whose .grad is not None, one step does (g is a fresh tensor: never
    modify p.grad):

        g = -p.grad if maximize else p.grad
        g = g + weight_decay * p                         (L2 penalty through the gradient)
        if momentum != 0:
            b = g                                        the first step of p: b is a copy of g
            b = momentum * b + (1 - dampening) * g       every later step
            g = g + momentum * b   if nesterov   else   b
        p = p - lr * g                                   (in place)

    The momentum buffer b is per parameter (keep it in self.state[p]); on p's first step it is g
    itself: no dampening and no decay of a zero buffer. Parameters whose .grad is None are
    skipped entirely (no decay, no state). Hyperparameters are read from each param group at
    every step: groups may differ, and a scheduler may change group["lr"] between steps.

    Args (also the keys of every param group, with these defaults):
        params: an iterable of tensors, or of dicts (param groups) holding "params" and any of
            the options below.
        lr: learning rate.
        momentum: momentum factor mu (0 disables momentum).
        dampening: dampening of the gradient's contribution to the buffer.
        weight_decay: L2 penalty coefficient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening == 0).
        maximize: maximize the objective instead of minimizing it.

    Raises:
        ValueError: lr, momentum or weight_decay negative; nesterov without momentum > 0 and
            dampening == 0.

    Do not use torch.optim.SGD, torch.optim.sgd.sgd or torch.optim._functional, and do not
    subclass torch's optimizers: write the update with tensor operations.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        maximize: bool = False,
    ) -> None:
        """Check the hyperparameters and store them as the param groups' defaults."""
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """Update every parameter that has a gradient, in place.

        Args:
            closure: optional; a function that zeroes the gradients, recomputes the loss,
                calls backward and returns the loss. When given, call it exactly once, with
                gradients enabled (torch.enable_grad()), before updating.

        Returns:
            the closure's loss, or None without a closure.
        """
        raise NotImplementedError("phase1.optimizers.SGD.step")


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square of recent gradients.

    For each parameter p whose .grad is not None, one step does (v, g_avg and b start at zero):

        g = p.grad + weight_decay * p                    (L2 penalty through the gradient)
        v = alpha * v + (1 - alpha) * g**2               (running mean of g**2)
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g      (running mean of g)
            denom = sqrt(v - g_avg**2) + eps             (estimated std of g)
        else:
            denom = sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / denom
            p = p - lr * b
        else:
            p = p - lr * g / denom

    eps is added outside the square root. Unlike SGD's, the momentum buffer starts at zero.
    State is per parameter (self.state[p]); parameters whose .grad is None are skipped;
    hyperparameters are read from each param group at every step.

    Args (also the keys of every param group, with these defaults):
        params: an iterable of tensors, or of dicts (param groups).
        lr: learning rate.
        alpha: smoothing constant of the running averages.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty coefficient.
        momentum: momentum factor (0 disables momentum).
        centered: normalise by the centered second moment (an estimate of the variance).

    Raises:
        ValueError: lr, alpha, eps, momentum or weight_decay negative.

    Do not use torch.optim.RMSprop, torch.optim.rmsprop.rmsprop or torch.optim._functional, and
    do not subclass torch's optimizers.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        """Check the hyperparameters and store them as the param groups' defaults."""
        for name, value in (("learning rate", lr), ("alpha value", alpha),
                            ("epsilon value", eps), ("momentum value", momentum),
                            ("weight_decay value", weight_decay)):
            if value < 0.0:
                raise ValueError(f"Invalid {name}: {value}")
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """Update every parameter that has a gradient, in place.

        Args:
            closure: optional; a function that zeroes the gradients, recomputes the loss,
                calls backward and returns the loss. When given, call it exactly once, with
                gradients enabled (torch.enable_grad()), before updating.

        Returns:
            the closure's loss, or None without a closure.
        """
        raise NotImplementedError("phase1.optimizers.RMSprop.step")


class Adam(Optimizer):
    """Adam: bias-corrected running averages of the gradient and of its square.

    For each parameter p whose .grad is not None, one step does (m, v start at zero; t is p's
    own step count, 1 on its first step):

        t = t + 1
        g = p.grad + weight_decay * p                    (L2 penalty through the gradient)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)         (eps outside the square root)

    AMSGrad (amsgrad=True), with torch's convention: keep v_max = max(v_max, v), the running
    maximum of the raw v (not of v_hat), starting at zero, and use v_hat = v_max / (1 - beta2**t)
    with today's t in place of v / (1 - beta2**t).

    Compute the bias corrections 1 - beta**t in Python floats (double precision) from an integer
    t; a step count kept in a float32 tensor is not precise enough for the tests. State is per
    parameter (self.state[p]); parameters whose .grad is None are skipped; hyperparameters are
    read from each param group at every step.

    Args (also the keys of every param group, with these defaults):
        params: an iterable of tensors, or of dicts (param groups).
        lr: learning rate.
        betas: (beta1, beta2), the decay rates of m and v.
        eps: added to sqrt(v_hat) for numerical stability.
        weight_decay: L2 penalty coefficient, added to the gradient (see AdamW for decoupled).
        amsgrad: use the AMSGrad maximum of the second moment.

    Raises:
        ValueError: lr, eps or weight_decay negative; a beta outside [0, 1).

    Do not use torch.optim.Adam, torch.optim.adam.adam or torch.optim._functional, and do not
    subclass torch's optimizers.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        """Check the hyperparameters and store them as the param groups' defaults."""
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameters: {betas}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """Update every parameter that has a gradient, in place.

        Args:
            closure: optional; a function that zeroes the gradients, recomputes the loss,
                calls backward and returns the loss. When given, call it exactly once, with
                gradients enabled (torch.enable_grad()), before updating.

        Returns:
            the closure's loss, or None without a closure.
        """
        raise NotImplementedError("phase1.optimizers.Adam.step")


class AdamW(Optimizer):
    """AdamW: Adam with decoupled weight decay.

    Exactly Adam's step (same m, v, bias corrections, eps and AMSGrad convention), except for
    the weight decay: it is not added to the gradient. Instead, before the Adam update and on
    the current p,

        p = p - lr * weight_decay * p                    (that is, p *= 1 - lr * weight_decay)

    and then the Adam update with g = p.grad:

        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    The decay comes first; applying it after the Adam update differs by a term of order
    lr**2 * weight_decay, and the tests follow torch (decay first). Parameters whose .grad is
    None are skipped entirely: they are not decayed either.

    Args (also the keys of every param group, with these defaults):
        params: an iterable of tensors, or of dicts (param groups).
        lr: learning rate.
        betas: (beta1, beta2), the decay rates of m and v.
        eps: added to sqrt(v_hat) for numerical stability.
        weight_decay: decoupled decay coefficient (note the default, 1e-2, unlike Adam's 0).
        amsgrad: use the AMSGrad maximum of the second moment (as in Adam).

    Raises:
        ValueError: lr, eps or weight_decay negative; a beta outside [0, 1).

    Do not use torch.optim.AdamW, torch.optim.Adam or torch.optim._functional, and do not
    subclass torch's optimizers.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        """Check the hyperparameters and store them as the param groups' defaults."""
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameters: {betas}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """Update every parameter that has a gradient, in place.

        Args:
            closure: optional; a function that zeroes the gradients, recomputes the loss,
                calls backward and returns the loss. When given, call it exactly once, with
                gradients enabled (torch.enable_grad()), before updating.

        Returns:
            the closure's loss, or None without a closure.
        """
        raise NotImplementedError("phase1.optimizers.AdamW.step")
