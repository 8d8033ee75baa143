"""Clipping by norm versus by value, on 2-D gradients and on a loss surface with a cliff."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase1.clipping import clip_grad_norm_, clip_grad_value_

T = 20  # time steps of the toy recurrence below


def _geometry(out: Path) -> str:
    g = torch.Generator().manual_seed(3)
    grads = torch.randn(7, 2, dtype=torch.float64, generator=g) * 2.5
    fig, axes = plt.subplots(1, 2, figsize=(8, 4), sharex=True, sharey=True)
    for ax, mode in zip(axes, ("norm", "value"), strict=True):
        for i, grad in enumerate(grads):
            p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
            p.grad = grad.clone()
            if mode == "norm":
                clip_grad_norm_(p, max_norm=1.0)
            else:
                clip_grad_value_(p, clip_value=1.0)
            color = f"C{i}"
            ax.annotate("", xy=tuple(grad.tolist()), xytext=(0, 0),
                        arrowprops={"arrowstyle": "->", "color": color, "alpha": 0.35})
            ax.annotate("", xy=tuple(p.grad.tolist()), xytext=(0, 0),
                        arrowprops={"arrowstyle": "-|>", "color": color, "lw": 2})
        if mode == "norm":
            ax.add_patch(plt.Circle((0, 0), 1.0, fill=False, ls="--", color="grey"))
            ax.set_title("by norm (max_norm 1): direction kept", fontsize=10)
        else:
            ax.add_patch(plt.Rectangle((-1, -1), 2, 2, fill=False, ls="--", color="grey"))
            ax.set_title("by value (clip_value 1): direction bent", fontsize=10)
        ax.set_aspect("equal")
        ax.set_xlim(-4, 4)
        ax.set_ylim(-4, 4)
        ax.set_xlabel("gradient entry 1")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
    axes[0].set_ylabel("gradient entry 2")
    fig.suptitle("Seven gradients before (faint) and after (bold) clipping")
    fig.tight_layout()
    fig.savefig(out / "clipping_geometry.png", dpi=100)
    plt.close(fig)
    return ("Norm clipping shrinks a long gradient onto the circle and leaves short ones alone: "
            "the step still points downhill in the same direction. Value clipping squashes "
            "each entry into the box separately, so a long gradient ends up near a corner, "
            "pointing somewhere else.")


def _loss(w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """A linear recurrence h <- w h + b run for T steps from h = 1, fitted to 3.

    h_T grows like w^T, so the loss is flat for w < 1 and rises like a cliff beyond it: the
    exploding gradients of recurrent networks (Pascanu et al., 2013) in two parameters.
    """
    h = torch.ones_like(w)
    for _ in range(T):
        h = w * h + b
    return (h - 3.0) ** 2


def _train(mode: str, steps: int = 150, lr: float = 0.05) -> tuple[list, list]:
    p = torch.tensor([0.6, 0.5], dtype=torch.float64, requires_grad=True)
    path, losses = [p.detach().clone()], []
    for _ in range(steps):
        p.grad = None
        loss = _loss(p[0], p[1])
        loss.backward()
        if mode == "norm":
            clip_grad_norm_([p], max_norm=1.0)
        elif mode == "value":
            clip_grad_value_([p], clip_value=1.0)
        with torch.no_grad():
            p -= lr * p.grad
        losses.append(loss.item())
        path.append(p.detach().clone())
        if not torch.isfinite(p).all():
            break
    return path, losses


def _cliff(out: Path) -> str:
    runs = {"no clipping": _train("none"), "clip_grad_norm_(1)": _train("norm"),
            "clip_grad_value_(1)": _train("value")}
    ws = torch.linspace(0.4, 1.15, 300, dtype=torch.float64)
    bs = torch.linspace(-0.2, 1.4, 300, dtype=torch.float64)
    gw, gb = torch.meshgrid(ws, bs, indexing="xy")
    fig, (ax, ax_l) = plt.subplots(1, 2, figsize=(9, 4))
    ax.contourf(gw, gb, torch.log10(_loss(gw, gb) + 1e-6).clamp(-3, 12), levels=30,
                cmap="Greys")
    for i, (name, (path, _)) in enumerate(runs.items()):
        pts = torch.stack([q for q in path if torch.isfinite(q).all()])
        ax.plot(pts[:, 0], pts[:, 1], marker=".", markersize=4, lw=1, color=f"C{i}", label=name)
    ax.plot(0.6, 0.5, "ko", label="start")
    ax.set_xlim(0.4, 1.15)
    ax.set_ylim(-0.2, 1.4)
    ax.set_xlabel("w (recurrent weight)")
    ax.set_ylabel("b")
    ax.set_title("log10 loss: a cliff where w > 1", fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    for i, (name, (_, losses)) in enumerate(runs.items()):
        ax_l.semilogy(losses, color=f"C{i}", label=name)
    ax_l.set_ylim(1e-4, 1e8)  # the unclipped run leaves the top of the plot at step 2
    ax_l.set_xlabel("step")
    ax_l.set_ylabel("loss (log)")
    ax_l.set_title("loss per step (no clipping: overflow by step 3)", fontsize=10)
    ax_l.legend(fontsize=8)
    fig.suptitle(f"Gradient descent (lr 0.05) on h_T of h <- w h + b, T = {T}, fitted to 3")
    fig.tight_layout()
    fig.savefig(out / "clipping_cliff.png", dpi=100)
    plt.close(fig)
    return ("Near the cliff the gradient is thousands of times larger than elsewhere: without "
            "clipping one step throws the parameters far over the edge and the loss overflows. "
            "Both clipped runs survive, since no step is longer than lr * 1, and then zigzag "
            "across the narrow valley floor at that step length; norm clipping's steps point "
            "straight downhill, value clipping's are bent.")


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    return {"clipping_geometry.png": _geometry(out), "clipping_cliff.png": _cliff(out)}
