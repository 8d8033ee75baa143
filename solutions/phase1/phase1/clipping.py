"""Gradient clipping by global norm and by value.

Reference solution. Clipping by the global norm is from Pascanu, Mikolov and Bengio (2013),
"On the difficulty of training recurrent neural networks": when the gradient of all the
parameters together is longer than a threshold, scale it back onto the sphere of that radius.
Scaling every gradient by the same factor keeps the update's direction; clipping each gradient
on its own, or each entry (clip_grad_value_), does not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch


def _as_list(parameters: torch.Tensor | Iterable[torch.Tensor]) -> list[torch.Tensor]:
    """A single tensor, or any iterable (a generator is consumed once), as a list."""
    if isinstance(parameters, torch.Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(parameters: torch.Tensor | Iterable[torch.Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> torch.Tensor:
    """Scale all gradients together so that their global norm is at most max_norm, in place.

    The total norm treats every gradient as part of one long vector:

        total = (sum over parameters p, over entries i, of |p.grad[i]| ** norm_type)
                ** (1 / norm_type)
        total = max over parameters and entries of |p.grad[i]|      if norm_type is inf

    and every gradient is multiplied by the same clip coefficient, as torch does:

        coef = min(1, max_norm / (total + 1e-6))

    so gradients whose total norm is below max_norm are left as they are (coef is exactly 1).
    Parameters whose .grad is None are skipped (their .grad stays None).

    Args:
        parameters: a tensor, or an iterable of tensors (e.g. model.parameters(), which is a
            generator: it can be iterated only once).
        max_norm: the largest total norm allowed.
        norm_type: p of the p-norm (e.g. 1.0, 2.0), or float("inf") for the largest |entry|.
        error_if_nonfinite: if True and the total norm is nan or inf, raise RuntimeError
            before changing any gradient. If False, scale the gradients by the rule above
            anyway (they may become nan) and return the non-finite norm.

    Returns:
        the total norm of the gradients BEFORE clipping, a 0-dim tensor with the gradients'
        dtype (torch.tensor(0.0) when no parameter has a gradient).

    Modify each p.grad in place (p.grad keeps its identity) and record no autograd history.
    Do not call torch.nn.utils.clip_grad_norm_ (or its helpers get_total_norm and
    clip_grads_with_norm_).
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norm_type = float(norm_type)
    with torch.no_grad():
        if math.isinf(norm_type):
            total = torch.stack([g.abs().max() for g in grads]).max()
        else:
            # The p-norm of the per-gradient p-norms is the p-norm of everything together.
            norms = torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads])
            total = torch.linalg.vector_norm(norms, norm_type)
        if error_if_nonfinite and not torch.isfinite(total):
            raise RuntimeError(f"the total norm of order {norm_type} of the gradients is "
                               f"{total.item()}, so they cannot be clipped; pass "
                               "error_if_nonfinite=False to scale them anyway")
        # Always multiply: when total < max_norm the coefficient is exactly 1.
        coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef)
    return total


def clip_grad_value_(parameters: torch.Tensor | Iterable[torch.Tensor],
                     clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place.

    Each entry is clipped on its own (unlike clip_grad_norm_, this changes the gradient's
    direction). Parameters whose .grad is None are skipped.

    Args:
        parameters: a tensor, or an iterable of tensors (e.g. model.parameters(), a generator).
        clip_value: a positive number; entries above it become clip_value, entries below
            -clip_value become -clip_value.

    Returns:
        None. Each p.grad is modified in place (it keeps its identity).

    Do not call torch.nn.utils.clip_grad_value_.
    """
    clip_value = float(clip_value)
    with torch.no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
