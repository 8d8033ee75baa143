"""Gradient clipping by global norm and by value.

A single huge gradient (an exploding RNN, a bad batch) can throw a model far away in one step.
Clipping bounds the step before the optimizer takes it:

    loss.backward()
    clip_grad_norm_(model.parameters(), max_norm=1.0)   # or clip_grad_value_(..., 0.5)
    optimizer.step()

clip_grad_norm_ rescales all gradients together, by one factor, so that their global norm is
at most max_norm (the direction of the update is kept); clip_grad_value_ clamps every entry
on its own. Both change the .grad tensors in place, like torch.nn.utils's versions, which you
may not call here.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


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
    raise NotImplementedError("phase1.clipping.clip_grad_norm_")


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
    raise NotImplementedError("phase1.clipping.clip_grad_value_")
