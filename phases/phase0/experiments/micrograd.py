"""Activations and the gradients your Value computes; an MLP learning XOR, its loss and boundary."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from phase0.micrograd import XOR_INPUTS, XOR_TARGETS, Value, train_xor


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    captions = {}

    # 1. Each activation and its derivative, both from the engine: the derivative is the
    # grad that backward() leaves in the input leaf.
    xs = np.linspace(-4, 4, 161)
    fig, axes = plt.subplots(1, 3, figsize=(7, 4), sharey=True)
    for ax, name in zip(axes, ["tanh", "sigmoid", "relu"], strict=True):
        values, grads = [], []
        for x in xs:
            leaf = Value(float(x))
            y = getattr(leaf, name)()
            y.backward()
            values.append(y.data)
            grads.append(leaf.grad)
        ax.plot(xs, values, color="C0", lw=2, label="value")
        ax.plot(xs, grads, color="C3", lw=2, ls="--", label="grad from backward()")
        ax.axhline(0, color="0.8", lw=0.8, zorder=0)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("input")
    axes[0].set_ylabel("output")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Activations and the derivatives your engine computes")
    fig.tight_layout()
    fig.savefig(out / "activations_and_grads.png", dpi=100)
    plt.close(fig)
    captions["activations_and_grads.png"] = (
        "Solid: the activation; dashed: the gradient that backward() stores in the input. "
        "tanh's slope peaks at 1 and the sigmoid's at 1/4, both vanishing for large |x| "
        "(saturation); relu passes gradient 1 or 0, with 0 at x = 0 by convention.")

    # 2. XOR loss curves for a few initialisations (MSE on the four points, log scale).
    fig, ax = plt.subplots(figsize=(7, 4))
    runs = {seed: train_xor(hidden=8, steps=150, lr=0.15, seed=seed) for seed in range(4)}
    for seed, (_, losses) in runs.items():
        ax.semilogy(losses, lw=1.5, label=f"seed {seed}")
    ax.axhline(1.0, color="0.5", ls=":", lw=1, label="loss of always predicting 0")
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("mean squared error")
    ax.set_title("MLP(2, [8, 1]) learning XOR with your autograd (lr = 0.15)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "xor_loss.png", dpi=100)
    plt.close(fig)
    captions["xor_loss.png"] = (
        "The loss starts near 1 (what predicting 0 everywhere scores) and falls by orders of "
        "magnitude. lr = 0.15 is close to the edge of stability for full-batch descent: some "
        "runs spike back up for a few dozen steps (seed 0 near step 80) and then recover.")

    # 3. What the trained network computes between and around the four points.
    model, _ = runs[0]
    grid = np.linspace(-0.5, 1.5, 31)
    field = np.array([[model([float(a), float(b)])[0].data for a in grid] for b in grid])
    fig, ax = plt.subplots(figsize=(7, 4))
    mesh = ax.contourf(grid, grid, field, levels=np.linspace(-1.6, 1.6, 17), cmap="RdBu_r",
                       extend="both")
    ax.contour(grid, grid, field, levels=[0.0], colors="k", linewidths=1.5)
    fig.colorbar(mesh, ax=ax, label="network output")
    for (a, b), y in zip(XOR_INPUTS, XOR_TARGETS, strict=True):
        ax.scatter(a, b, s=120, c="C3" if y > 0 else "C0", edgecolors="k", zorder=3)
        ax.annotate(f"target {y:+.0f}", (a, b), textcoords="offset points", xytext=(8, 8),
                    fontsize=8)
    ax.set_aspect("equal")
    ax.set_xlabel("input x1")
    ax.set_ylabel("input x2")
    ax.set_title("XOR after training (seed 0): output > 0 means true")
    fig.tight_layout()
    fig.savefig(out / "xor_decision_boundary.png", dpi=100)
    plt.close(fig)
    captions["xor_decision_boundary.png"] = (
        "The trained network's output over the plane, with the decision boundary (output = 0) "
        "in black. It bends into two curves that put (0, 1) and (1, 0) on the 'true' side and "
        "(0, 0) and (1, 1) on the 'false' side, which no single straight line can do.")
    return captions
