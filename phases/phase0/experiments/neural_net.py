"""The perceptron on AND, OR and XOR; a hand-derived MLP learning XOR; ninja gradients vs torch."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.patches import Patch

from phase0.neural_net import (
    mlp_forward,
    ninja_backward,
    ninja_forward,
    perceptron_predict,
    perceptron_train,
    train_xor,
)

X_BOOL = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TABLES = {"AND": [-1, -1, -1, 1], "OR": [-1, 1, 1, 1], "XOR": [-1, 1, 1, -1]}
INTERMEDIATES = ("logits", "h", "hpreact", "bnraw", "bnvar_inv", "bnvar", "bndiff", "bnmean",
                 "hprebn", "embcat", "emb")
PARAMS = ("W2", "b2", "gamma", "beta", "W1", "b1", "C")


def torch_ninja_grads(params: dict, ids: np.ndarray, targets: np.ndarray) -> dict:
    """The oracle: the same forward in torch (float64), gradients of every tensor by autograd."""
    P = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    t = {"emb": P["C"][torch.tensor(ids)]}
    t["embcat"] = t["emb"].reshape(len(ids), -1)
    t["hprebn"] = t["embcat"] @ P["W1"] + P["b1"]
    t["bnmean"] = t["hprebn"].mean(0)
    t["bndiff"] = t["hprebn"] - t["bnmean"]
    t["bnvar"] = (t["bndiff"] ** 2).mean(0)
    t["bnvar_inv"] = (t["bnvar"] + 1e-5) ** -0.5
    t["bnraw"] = t["bndiff"] * t["bnvar_inv"]
    t["hpreact"] = P["gamma"] * t["bnraw"] + P["beta"]
    t["h"] = torch.tanh(t["hpreact"])
    t["logits"] = t["h"] @ P["W2"] + P["b2"]
    for v in t.values():
        v.retain_grad()
    F.cross_entropy(t["logits"], torch.tensor(targets)).backward()
    grads = {k: v.grad.numpy() for k, v in t.items()}
    grads.update({k: v.grad.numpy() for k, v in P.items()})
    return grads


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    captions = {}

    # 1. The perceptron's line on three truth tables.
    fig, axes = plt.subplots(1, 3, figsize=(7, 4), sharey=True)
    gx, gy = np.meshgrid(np.linspace(-0.5, 1.5, 201), np.linspace(-0.5, 1.5, 201))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    for ax, (name, labels) in zip(axes, TABLES.items(), strict=True):
        y = np.array(labels)
        w, b, converged, mistakes = perceptron_train(X_BOOL, y, max_epochs=100)
        regions = perceptron_predict(grid, w, b).reshape(gx.shape)
        ax.contourf(gx, gy, regions, levels=[-2, 0, 2], colors=["#cfe0f3", "#f6d3cf"])
        wrong = perceptron_predict(X_BOOL, w, b) != y
        for (a, c), label, bad in zip(X_BOOL, y, wrong, strict=True):
            ax.scatter(a, c, s=110, c="C3" if label > 0 else "C0", edgecolors="k", zorder=3,
                       marker="X" if bad else "o")
        status = "converged" if converged else "never converges"
        ax.set_title(f"{name}: {status}\n{mistakes} mistakes", fontsize=9)
        ax.set_aspect("equal")
        ax.set_xticks([0, 1])
        ax.set_yticks([0, 1])
        ax.set_xlabel("x1")
    axes[0].set_ylabel("x2")
    handles = [axes[0].scatter([], [], c="C3", edgecolors="k", label="label +1"),
               axes[0].scatter([], [], c="C0", edgecolors="k", label="label -1"),
               axes[0].scatter([], [], c="w", edgecolors="k", marker="X",
                               label="misclassified at the end")]
    fig.legend(handles=handles, fontsize=8, loc="lower center", ncol=3)
    fig.suptitle("Rosenblatt's perceptron after at most 100 epochs (shading: its prediction)")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(out / "perceptron_truth_tables.png", dpi=100)
    plt.close(fig)
    captions["perceptron_truth_tables.png"] = (
        "AND and OR are linearly separable, so the perceptron stops after a handful of "
        "mistakes. For XOR every line leaves at least one point on the wrong side (crosses): "
        "the rule keeps updating for all 100 epochs and never settles.")

    # 2. The hand-derived two-layer network on XOR, for several seeds.
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(7, 4), gridspec_kw={"width_ratios": [3, 2]})
    y01 = np.array([0.0, 1.0, 1.0, 0.0])
    for seed in range(5):
        params, losses = train_xor(seed=seed, n_hidden=4, lr=0.5, epochs=2000)
        p = mlp_forward(params, X_BOOL)["p"]
        solved = bool(np.array_equal(p > 0.5, y01 > 0.5))
        ax.semilogy(losses, lw=1.5, color=f"C{seed}",
                    label=f"seed {seed}" + ("" if solved else " (stuck)"))
        bx.plot(range(4), p, "o-", color=f"C{seed}", ms=5)
    ax.axhline(np.log(2), color="0.5", ls=":", lw=1, label="log 2 (p = 1/2 everywhere)")
    ax.set_xlabel("gradient step")
    ax.set_ylabel("binary cross-entropy")
    ax.set_title("Training loss", fontsize=10)
    ax.legend(fontsize=7)
    bx.axhline(0.5, color="0.5", ls=":", lw=1)
    bx.set_xticks(range(4), ["(0,0)", "(0,1)", "(1,0)", "(1,1)"], fontsize=8)
    bx.set_ylim(-0.05, 1.05)
    bx.set_xlabel("input (target 0, 1, 1, 0)")
    bx.set_ylabel("p after training")
    bx.set_title("Final predictions", fontsize=10)
    fig.suptitle("A 2-4-1 network with your hand-derived gradients, lr = 0.5")
    fig.tight_layout()
    fig.savefig(out / "mlp_xor.png", dpi=100)
    plt.close(fig)
    captions["mlp_xor.png"] = (
        "With a hidden layer, gradient descent on your hand-derived gradients drives the XOR "
        "loss towards 0 and the predictions to the targets 0, 1, 1, 0, for most seeds. Seed 0 "
        "stalls in a local minimum where two points get p = 1/2: initialisation matters.")

    # 3. Every gradient of the ninja pass against torch.autograd on the same forward.
    g = np.random.default_rng(0)
    N, T, V, E, H, K = 32, 3, 27, 10, 64, 27
    params = {"C": g.normal(size=(V, E)), "W1": g.normal(size=(T * E, H)) / np.sqrt(T * E),
              "b1": 0.1 * g.normal(size=H), "gamma": 1 + 0.1 * g.normal(size=H),
              "beta": 0.1 * g.normal(size=H), "W2": 0.1 * g.normal(size=(H, K)),
              "b2": 0.1 * g.normal(size=K)}
    ids, targets = g.integers(0, V, size=(N, T)), g.integers(0, K, size=N)
    ours = ninja_backward(params, ninja_forward(params, ids, targets), ids, targets)
    oracle = torch_ninja_grads(params, ids, targets)
    names = list(INTERMEDIATES) + list(PARAMS)
    # Absolute errors: every gradient here is of order 1e-3 to 1, except db1, which is exactly
    # 0 (batch norm subtracts the batch mean, so a bias before it cannot change the loss).
    errors = [float(np.max(np.abs(ours[k] - oracle[k]))) for k in names]
    fig, ax = plt.subplots(figsize=(7, 4))
    colors = ["C0"] * len(INTERMEDIATES) + ["C1"] * len(PARAMS)
    ax.bar(range(len(names)), np.maximum(errors, 1e-20), color=colors)
    ax.set_yscale("log")
    line = ax.axhline(1e-8, color="C3", ls="--", lw=1, label="the tests' tolerance (1e-8)")
    b1 = names.index("b1")
    ax.annotate(f"|db1| <= {np.max(np.abs(oracle['b1'])):.0e}:\nzero, as batch norm\n"
                "cancels the bias", (b1, max(errors[b1], 1e-20)), xytext=(b1 - 4.5, 1e-11),
                fontsize=7, arrowprops={"arrowstyle": "->", "color": "0.3"})
    ax.set_xticks(range(len(names)), names, rotation=60, fontsize=8)
    ax.set_ylim(1e-20, 1e-4)
    ax.set_ylabel("max |yours - autograd|")
    ax.set_title("Backprop ninja: your manual gradients against torch.autograd")
    ax.legend(handles=[line, Patch(color="C0", label="intermediates, from the loss backwards"),
                       Patch(color="C1", label="parameters")], fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(out / "ninja_vs_autograd.png", dpi=100)
    plt.close(fig)
    captions["ninja_vs_autograd.png"] = (
        "For a batch of 32 through embedding, linear, batch norm, tanh, linear and "
        "cross-entropy, every gradient of your manual backward pass agrees with torch.autograd "
        "to rounding level (about 1e-16), far below the tests' tolerance. The gradient of b1 "
        "is zero: a bias added just before batch norm is subtracted again with the mean.")
    return captions
