"""Decision boundaries and loss curves of MLPs trained on a spiral with no autograd."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from matplotlib.colors import ListedColormap

from phase1.mlp import SGD, SoftmaxCrossEntropy, build_mlp, train_step

STEPS = 500
CONFIGS = {  # title: (sizes, activation, dropout)
    "no hidden layer [2, 3]": ([2, 3], "relu", 0.0),
    "ReLU [2, 64, 3]": ([2, 64, 3], "relu", 0.0),
    "tanh [2, 64, 64, 3]": ([2, 64, 64, 3], "tanh", 0.0),
    "ReLU [2, 64, 64, 3], dropout 0.1": ([2, 64, 64, 3], "relu", 0.1),
}


def spiral(n_per_class: int = 100, n_classes: int = 3,
           seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """CS231n's spiral: three interleaved arms that no straight line can separate."""
    g = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    for k in range(n_classes):
        r = torch.linspace(0.0, 1.0, n_per_class)
        t = torch.linspace(4.0 * k, 4.0 * (k + 1), n_per_class)
        t = t + 0.2 * torch.randn(n_per_class, generator=g)
        xs.append(torch.stack([r * torch.sin(t), r * torch.cos(t)], dim=1))
        ys += [k] * n_per_class
    return torch.cat(xs), torch.tensor(ys)


def _train(sizes, activation, dropout, x, y):
    net = build_mlp(sizes, activation, dropout, generator=torch.Generator().manual_seed(0))
    opt = SGD(net.parameters(), lr=0.1, momentum=0.9)
    loss_fn = SoftmaxCrossEntropy()
    losses = [train_step(net, loss_fn, opt, x, y) for _ in range(STEPS)]
    return net.eval(), losses  # eval mode: no dropout when we draw the boundary


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    x, y = spiral()
    trained = {title: _train(*cfg, x, y) for title, cfg in CONFIGS.items()}

    # Every point of a grid, classified by each trained network.
    lin = torch.linspace(-1.2, 1.2, 200)
    gx, gy = torch.meshgrid(lin, lin, indexing="xy")
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c"]
    fig, axes = plt.subplots(1, 4, figsize=(10, 3.2), sharey=True)
    for ax, (title, (net, _)) in zip(axes, trained.items(), strict=True):
        pred = net.forward(grid).argmax(dim=1).reshape(gx.shape)
        acc = (net.forward(x).argmax(dim=1) == y).float().mean().item()
        ax.contourf(gx, gy, pred, levels=[-0.5, 0.5, 1.5, 2.5], cmap=ListedColormap(colors),
                    alpha=0.3)
        ax.scatter(x[:, 0], x[:, 1], c=[colors[int(k)] for k in y], s=6, edgecolors="none")
        ax.set_title(f"{title}\ntrain accuracy {acc:.0%}", fontsize=8)
        ax.set_aspect("equal")
        ax.set_xlabel("x1")
    axes[0].set_ylabel("x2")
    fig.suptitle(f"Decision regions after {STEPS} full-batch steps of SGD (lr 0.1, momentum 0.9)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "mlp_decision_boundaries.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    for title, (_, losses) in trained.items():
        ax.semilogy(losses, label=title)
    ax.axhline(math.log(3), color="grey", ls=":", lw=1, label="log 3 (uniform guess)")
    ax.set_title("Training loss of each network (your SoftmaxCrossEntropy)")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (log)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "mlp_loss_curves.png", dpi=100)
    plt.close(fig)

    return {
        "mlp_decision_boundaries.png":
            "Without a hidden layer the network can only cut the plane into wedges with "
            "straight lines and gets about half of the points right; 64 hidden ReLUs bend the "
            "boundaries along the arms in piecewise-straight pieces, tanh units in smooth "
            "curves. The dropout network is drawn in eval mode. Every gradient came from your "
            "hand-written backward passes.",
        "mlp_loss_curves.png":
            "The linear model plateaus far above zero, while the networks with hidden layers "
            "keep improving; the dropout network's loss is noisy because every step trains a "
            "different random sub-network.",
    }
