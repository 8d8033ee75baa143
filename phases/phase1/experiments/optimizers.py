"""Optimizer trajectories on a curved 2-D valley (a Rosenbrock function) and their loss curves."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase1.optimizers import SGD, Adam, AdamW, RMSprop

START, STEPS = (-1.5, 2.0), 300


def rosenbrock(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A narrow curved valley with its minimum 0 at (1, 1): easy to enter, slow to follow."""
    return (1 - x) ** 2 + 10 * (y - x**2) ** 2


# Learning rates picked by hand for each method to do well in 300 steps.
OPTIMIZERS = {
    "SGD (lr 0.01)": (SGD, {"lr": 0.01}),
    "SGD + momentum 0.9": (SGD, {"lr": 0.01, "momentum": 0.9}),
    "SGD + Nesterov 0.9": (SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    "RMSprop (lr 0.02)": (RMSprop, {"lr": 0.02}),
    "Adam (lr 0.1)": (Adam, {"lr": 0.1}),
    "AdamW (lr 0.1, wd 0.1)": (AdamW, {"lr": 0.1, "weight_decay": 0.1}),
}


def _trajectory(cls, kwargs) -> tuple[torch.Tensor, list[float]]:
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = cls([p], **kwargs)
    points, losses = [p.detach().clone()], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = rosenbrock(p[0], p[1])
        loss.backward()
        opt.step()
        points.append(p.detach().clone())
        losses.append(loss.item())
    return torch.stack(points), losses


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    results = {name: _trajectory(cls, kw) for name, (cls, kw) in OPTIMIZERS.items()}

    xs = torch.linspace(-2, 2, 300, dtype=torch.float64)
    ys = torch.linspace(-1, 3, 300, dtype=torch.float64)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.contour(gx, gy, torch.log10(rosenbrock(gx, gy) + 1e-3), levels=25, cmap="Greys",
               linewidths=0.6)
    # Four of the six, so the paths stay readable (Nesterov and AdamW are in the loss curves).
    for name in ("SGD (lr 0.01)", "SGD + momentum 0.9", "RMSprop (lr 0.02)", "Adam (lr 0.1)"):
        points = results[name][0]
        (line,) = ax.plot(points[:, 0], points[:, 1], lw=3 if name.startswith("SGD (") else 1,
                          alpha=0.8, label=name)
        # Where each run ended after STEPS steps.
        ax.plot(*points[-1], marker="X", markersize=9, color=line.get_color(),
                markeredgecolor="black")
    ax.plot(*START, "ko", label="start")
    ax.plot(1, 1, "r*", markersize=12, label="minimum (1, 1)")
    ax.set_xlim(-2, 2)
    ax.set_ylim(-1, 3)
    ax.set_title(f"{STEPS} steps on f(x, y) = (1 - x)^2 + 10 (y - x^2)^2 (X: end point)")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(out / "optimizers_trajectories.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, (_, losses) in results.items():
        ax.semilogy(losses, label=name)
    ax.set_title("Loss along each trajectory")
    ax.set_xlabel("step")
    ax.set_ylabel("f (log)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "optimizers_loss.png", dpi=100)
    plt.close(fig)

    return {
        "optimizers_trajectories.png":
            "Plain SGD drops into the valley and then crawls along its flat floor (it has not "
            "arrived after 300 steps); momentum builds up speed along the floor and overshoots "
            "at the bends. RMSprop and Adam rescale each coordinate by its own gradient size, "
            "so they take steps of about lr whatever the slope: RMSprop, with no momentum, "
            "jitters across the floor at that scale.",
        "optimizers_loss.png":
            "The same runs, plus Nesterov and AdamW, as loss curves: momentum, Nesterov and "
            "Adam reach the minimum almost to machine precision; plain SGD and RMSprop are "
            "still far from it, and AdamW stops where the loss's pull balances the decay "
            "towards zero.",
    }
