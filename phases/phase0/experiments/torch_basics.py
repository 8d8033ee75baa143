"""A TwoLayerNet fitting a curve with your sgd_step, and your manual gradients against autograd."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from phase0.torch_basics import (
    TwoLayerNet,
    manual_gradients,
    numpy_to_tensor,
    predict_no_grad,
    sgd_step,
    tensor_to_numpy,
)

STEPS = 1500
LR = 0.05


def make_data() -> tuple[np.ndarray, np.ndarray]:
    """A noisy sine on [-3, 3]: 64 points, float64, shapes (64, 1)."""
    g = np.random.default_rng(0)
    x = np.sort(g.uniform(-3, 3, size=(64, 1)), axis=0)
    return x, np.sin(x) + 0.1 * g.standard_normal(x.shape)


def train(x: torch.Tensor, y: torch.Tensor, manual: bool,
          snapshots: tuple[int, ...] = ()) -> tuple[list[float], list[float], dict]:
    """Full-batch gradient descent from the same seeded init.

    With manual=True the gradients come from manual_gradients (put into p.grad by hand);
    otherwise from loss.backward(). Returns the losses, the largest gap between the two kinds
    of gradient at each step, and the network's predictions at the snapshot steps.
    """
    torch.manual_seed(0)
    net = TwoLayerNet(1, 32, 1).double()
    grid = torch.linspace(-3.5, 3.5, 200, dtype=torch.float64)[:, None]
    losses, gaps, preds = [], [], {}
    for step in range(STEPS + 1):
        if step in snapshots:
            preds[step] = tensor_to_numpy(predict_no_grad(net, grid))[:, 0].copy()
        if step == STEPS:
            break
        by_hand = manual_gradients(net, x, y)
        loss = F.mse_loss(net(x), y)
        loss.backward()  # fills p.grad by autograd: compare with the hand-derived gradients
        gaps.append(max(float((by_hand[n] - p.grad).abs().max())
                        for n, p in net.named_parameters()))
        if manual:
            for name, p in net.named_parameters():
                p.grad = by_hand[name]
        losses.append(loss.item())
        sgd_step(net, LR)
    return losses, gaps, preds


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    captions = {}
    x_np, y_np = make_data()
    x, y = numpy_to_tensor(x_np), numpy_to_tensor(y_np)  # no copies: views of the arrays

    # 1. The fit improving as sgd_step is applied.
    snapshots = (0, 50, 300, STEPS)
    losses, gaps, preds = train(x, y, manual=False, snapshots=snapshots)
    grid = np.linspace(-3.5, 3.5, 200)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(x_np[:, 0], y_np[:, 0], s=14, color="0.4", label="data: sin(x) + noise")
    cmap = plt.get_cmap("viridis")
    for i, step in enumerate(snapshots):
        ax.plot(grid, preds[step], color=cmap(i / (len(snapshots) - 1)), lw=2,
                label=f"after {step} steps")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"TwoLayerNet(1, 32, 1) trained with your sgd_step (lr = {LR})")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "fit_with_sgd_step.png", dpi=100)
    plt.close(fig)
    captions["fit_with_sgd_step.png"] = (
        "Predictions (made with predict_no_grad) of a ReLU network at several points of "
        "training: it starts almost flat, bends into a piecewise-linear sine, and past the "
        "data's range it continues in straight lines, as ReLU networks do.")

    # 2. Training on your hand-derived gradients against training on autograd's.
    manual_losses, _, _ = train(x, y, manual=True)
    fig, (ax, gx) = plt.subplots(2, 1, figsize=(7, 4), sharex=True,
                                 gridspec_kw={"height_ratios": [3, 2]})
    ax.semilogy(losses, color="C0", lw=4, alpha=0.5, label="gradients from autograd")
    ax.semilogy(manual_losses, color="C3", lw=1.5, ls="--", label="gradients from manual_gradients")
    ax.axhline(0.01, color="0.5", ls=":", lw=1, label="noise variance 0.01")
    ax.set_ylabel("MSE loss")
    ax.set_title("Training on autograd's gradients and on yours (float64)")
    ax.legend(fontsize=8, loc="upper right")
    # Exact zeros (bit-for-bit agreement) cannot sit on a log axis: draw them at 1e-18.
    floor = 1e-18
    gx.semilogy(np.maximum(gaps, floor), color="0.3", lw=1)
    gx.set_ylim(floor / 10, 1e-8)
    gx.text(0.98, 0.85, f"largest gap over all steps: {max(gaps):.1e}", transform=gx.transAxes,
            ha="right", va="top", fontsize=8)
    gx.set_ylabel("max |manual - autograd|", fontsize=8)
    gx.set_xlabel("gradient step")
    fig.tight_layout()
    fig.savefig(out / "manual_vs_autograd.png", dpi=100)
    plt.close(fig)
    captions["manual_vs_autograd.png"] = (
        "Two training runs from the same initialisation, one stepping on autograd's gradients "
        "and one on yours: the loss curves lie on top of each other and level off at the "
        "noise floor, because at every step the two gradients agree to rounding level "
        "(bottom; with the reference they are equal bit for bit, drawn at 1e-18).")
    return captions
