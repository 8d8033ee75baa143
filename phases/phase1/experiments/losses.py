"""Loss curves and their gradients: regression losses, focal loss, and margin-based surrogates."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase1.losses import (
    binary_cross_entropy_with_logits,
    focal_loss,
    hinge_loss,
    huber_loss,
    l1_loss,
    mse_loss,
    smooth_l1_loss,
)


def _value_and_grad(loss_fn, x: torch.Tensor, *args, **kwargs
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-element losses (reduction="none") and d(sum)/dx, i.e. each element's own slope."""
    x = x.clone().requires_grad_()
    loss = loss_fn(x, *args, reduction="none", **kwargs)
    loss.sum().backward()
    return loss.detach(), x.grad


def _regression(out: Path) -> str:
    r = torch.linspace(-3, 3, 601, dtype=torch.float64)
    zero = torch.zeros_like(r)  # target 0, so input - target is the residual r
    curves = {
        "MSE  r^2": (mse_loss, {}),
        "L1  |r|": (l1_loss, {}),
        "Huber (delta = 1)": (huber_loss, {"delta": 1.0}),
        "smooth L1 (beta = 0.5)": (smooth_l1_loss, {"beta": 0.5}),
    }
    fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(8, 4))
    for name, (fn, kw) in curves.items():
        loss, grad = _value_and_grad(fn, r, zero, **kw)
        style = "--" if name.startswith("smooth") else "-"  # it overlaps L1 where |r| > beta
        ax_l.plot(r, loss, ls=style, label=name)
        ax_g.plot(r, grad, ls=style, label=name)
    ax_l.set_ylim(0, 4)
    ax_l.set_title("loss")
    ax_g.set_title("d loss / d input, from your backward")
    for ax in (ax_l, ax_g):
        ax.set_xlabel("residual r = input - target")
        ax.axhline(0, color="grey", lw=0.5)
    ax_l.set_ylabel("loss")
    ax_g.set_ylabel("gradient")
    ax_l.legend(fontsize=8, loc="upper center")
    fig.suptitle("Regression losses: how hard an outlier pulls")
    fig.tight_layout()
    fig.savefig(out / "losses_regression.png", dpi=100)
    plt.close(fig)
    return ("MSE's pull grows with the residual, so one outlier can dominate a batch; L1 pulls "
            "with constant force (and its gradient jumps at 0); Huber and smooth L1 are "
            "quadratic near 0 and linear beyond their threshold, so their gradient is clipped.")


def _focal(out: Path) -> str:
    # Two classes with logits [log p, log(1 - p)]: softmax gives back p for the true class 0.
    p_t = torch.linspace(0.005, 0.995, 400, dtype=torch.float64)
    logits = torch.stack([p_t.log(), (1 - p_t).log()], dim=1)
    targets = torch.zeros(len(p_t), dtype=torch.long)
    fig, ax = plt.subplots(figsize=(7, 4))
    for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
        loss = focal_loss(logits, targets, gamma=gamma, reduction="none")
        label = f"gamma = {gamma:g}" + ("  (cross-entropy)" if gamma == 0 else "")
        ax.plot(p_t, loss, label=label)
    ax.axvspan(0.6, 1.0, color="green", alpha=0.08)
    ax.text(0.8, 4.0, "well-classified examples", ha="center", fontsize=9)
    ax.set_ylim(0, 4.5)
    ax.set_title("Focal loss -(1 - p_t)^gamma log p_t")
    ax.set_xlabel("p_t, the probability of the true class")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "losses_focal.png", dpi=100)
    plt.close(fig)
    return ("The larger gamma, the less an example the model already gets right (p_t above "
            "0.6) contributes, so training time goes to the hard ones: at p_t = 0.9 gamma = 2 "
            "cuts the loss 100-fold. gamma = 0 is plain cross-entropy.")


def _margins(out: Path) -> str:
    s = torch.linspace(-3, 3, 601, dtype=torch.float64)
    y = torch.ones_like(s)  # label +1, so the score s is the margin y * s
    hinge, hinge_g = _value_and_grad(hinge_loss, s, y)
    logistic, logistic_g = _value_and_grad(binary_cross_entropy_with_logits, s, y)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(s, (s <= 0).double(), color="black", lw=1, ls="--", label="0-1 loss (not trainable)")
    ax.plot(s, hinge, label="hinge  max(0, 1 - ys)")
    ax.plot(s, logistic / math.log(2), label="logistic  log(1 + exp(-ys)) / log 2")
    ax.plot(s, hinge_g, color="C0", ls=":", label="hinge gradient")
    ax.plot(s, logistic_g / math.log(2), color="C1", ls=":", label="logistic gradient")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_title("Binary losses as functions of the margin y * s (label y = +1)")
    ax.set_xlabel("margin y * s (positive = right side of the boundary)")
    ax.set_ylabel("loss, or its gradient w.r.t. s")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "losses_margin.png", dpi=100)
    plt.close(fig)
    return ("Both surrogates bound the 0-1 loss from above and give a useful gradient where it "
            "has none. The hinge stops caring once the margin exceeds 1 (gradient exactly 0: "
            "support vectors), the logistic loss keeps pushing ever more gently.")


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    return {
        "losses_regression.png": _regression(out),
        "losses_focal.png": _focal(out),
        "losses_margin.png": _margins(out),
    }
