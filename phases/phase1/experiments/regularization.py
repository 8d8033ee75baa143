"""What each augmentation does to real MNIST digits, and why L2 is not weight decay under Adam."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase1.regularization import (
    color_jitter,
    cutmix,
    dropout,
    l2_vs_weight_decay,
    mixup,
    random_crop,
    random_horizontal_flip,
    random_rotation,
)
from shared.data import load_mnist

ROWS = 4  # digits shown


def _augmentations(out: Path) -> str:
    images, labels = load_mnist("test")
    x = torch.from_numpy(images[:ROWS]).float().div(255).unsqueeze(1)  # (N, 1, 28, 28) in [0, 1]
    y = torch.nn.functional.one_hot(torch.from_numpy(labels[:ROWS]), 10).float()
    g = torch.Generator().manual_seed(0)
    x_mix, y_mix = mixup(x, y, alpha=1.0, generator=g)
    x_cut, y_cut = cutmix(x, y, alpha=1.0, generator=g)
    columns = {
        "original": x,
        "flip\n(p = 1)": random_horizontal_flip(x, p=1.0, generator=g),
        "crop\n(padding 6)": random_crop(x, padding=6, generator=g),
        "rotation\n(k x 90 deg)": random_rotation(x, generator=g),
        "colour jitter\n(0.8, 0.8)": color_jitter(x, 0.8, 0.8, generator=g),
        "dropout\n(p = 0.3)": dropout(x, 0.3, generator=g).clamp(0, 1),
        "mixup\n(alpha = 1)": x_mix,
        "CutMix\n(alpha = 1)": x_cut,
    }
    fig, axes = plt.subplots(ROWS, len(columns), figsize=(8, 4.6))
    for j, (title, batch) in enumerate(columns.items()):
        axes[0, j].set_title(title, fontsize=8)
        for i in range(ROWS):
            ax = axes[i, j]
            ax.imshow(batch[i, 0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            # The mixed labels: show the two largest label weights under the picture.
            if title.startswith(("mixup", "CutMix")):
                soft = (y_mix if title.startswith("mixup") else y_cut)[i]
                top = soft.topk(2)
                text = " ".join(f"{int(c)}:{v:.2f}" for v, c in zip(top.values, top.indices,
                                                                       strict=True) if v > 0)
                ax.set_xlabel(text, fontsize=7)
    for i in range(ROWS):
        axes[i, 0].set_ylabel(f"label {int(labels[i])}", fontsize=8)
    fig.suptitle("Augmentations of the same four MNIST test digits (labels below for mixing)")
    fig.tight_layout()
    fig.savefig(out / "regularization_augmentations.png", dpi=100)
    plt.close(fig)
    return ("Each column is one of your augmentations applied to the same digits. Flips and "
            "quarter turns change what a digit means (a rotated 6 is a 9), so they suit natural "
            "images better than digits; crops and jitter keep the label. Mixup and CutMix also "
            "mix the labels: the weights under each picture are the soft targets.")


def _l2_vs_decay(out: Path) -> str:
    # Many weights, all equal to 1, whose loss gradients g are negative (the loss wants each
    # weight to grow) and span five decades; the penalty pulls the other way.
    mags = torch.logspace(-4, 1, 300, dtype=torch.float64)
    grads = -mags
    w = torch.ones_like(grads)
    lr, wd = 0.01, 0.1  # the penalty's gradient wd * w = 0.1

    def loss_fn(v: torch.Tensor) -> torch.Tensor:
        return (grads * v).sum()  # gradient = grads, whatever v

    steps = {key: value - w for key, value in l2_vs_weight_decay(w, loss_fn, lr, wd).items()}
    no_decay = l2_vs_weight_decay(w, loss_fn, lr, 0.0)["adamw"] - w
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.semilogx(mags, steps["sgd_l2"], lw=4, alpha=0.4, label="SGD + L2 penalty")
    ax.semilogx(mags, steps["sgd_weight_decay"], ls="--", label="SGD + weight decay")
    ax.semilogx(mags, no_decay, color="grey", lw=1, label="Adam, no decay")
    ax.semilogx(mags, steps["adam_l2"], lw=2, label="Adam + L2 penalty")
    ax.semilogx(mags, steps["adamw"], ls="--", lw=2, label="AdamW (decoupled decay)")
    ax.axvline(wd, color="black", ls=":", lw=1)
    ax.text(wd * 0.85, -0.0175, "|g| = wd * w", ha="right", fontsize=8)
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_ylim(-0.02, 0.02)
    ax.set_title(f"One step on a weight w = 1 (lr = {lr:g}, wd = {wd:g})")
    ax.set_xlabel("|g|: how hard the loss pushes the weight up (g < 0)")
    ax.set_ylabel("step: w_new - w")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "regularization_l2_vs_weight_decay.png", dpi=100)
    plt.close(fig)
    return ("The loss pushes each weight up, the penalty pulls it down. SGD's two lines coincide: "
            "an L2 penalty is weight decay. Adam divides the whole gradient, penalty included, "
            "by its size, so wherever |g| < wd * w the penalty wins outright and the weight "
            "takes a full lr step down, while above it the decay vanishes. AdamW keeps the "
            "decay apart: every weight loses the same lr * wd * w (Loshchilov and Hutter, 2019).")


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    torch.manual_seed(0)
    return {
        "regularization_augmentations.png": _augmentations(out),
        "regularization_l2_vs_weight_decay.png": _l2_vs_decay(out),
    }
