"""Batch, mini-batch and stochastic descent; two valleys of a quartic; the L1 and L2 paths."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from phase0.linear_models import (
    LinearRegression,
    LogisticRegression,
    gradient_descent_1d,
    least_squares_loss,
    quartic,
    quartic_grad,
)


def regression_data() -> tuple[np.ndarray, np.ndarray]:
    """500 rows, 5 features, a known linear rule plus noise of std 0.5."""
    g = np.random.default_rng(0)
    X = g.normal(0.5, 1.0, (500, 5))
    return X, X @ g.normal(0.0, 2.0, 5) + 1.5 + g.normal(0.0, 0.5, 500)


def logistic_data() -> tuple[np.ndarray, np.ndarray]:
    """300 rows, 8 standardised features, of which only the first three matter."""
    g = np.random.default_rng(1)
    X = g.standard_normal((300, 8))
    w = np.array([2.0, -1.5, 1.0, 0, 0, 0, 0, 0])
    return X, (g.random(300) < 1 / (1 + np.exp(-(X @ w + 0.3)))).astype(int)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    captions = {}

    # 1. Excess loss per epoch of each solver, against the closed-form optimum.
    X, y = regression_data()
    best = LinearRegression().fit(X, y)
    ones = np.column_stack([X, np.ones(len(X))])
    optimum = least_squares_loss(ones, y, np.append(best.coef_, best.intercept_))
    runs = {
        "batch (lr 0.1)": {"solver": "batch", "lr": 0.1},
        "mini-batch of 32 (lr 0.05)": {"solver": "minibatch", "lr": 0.05, "batch_size": 32},
        "SGD (lr 0.01)": {"solver": "sgd", "lr": 0.01},
        "SGD (lr 0.01), decay 0.001 per update": {"solver": "sgd", "lr": 0.01, "decay": 1e-3},
    }
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (label, kwargs) in enumerate(runs.items()):
        model = LinearRegression(n_epochs=40, seed=0, **kwargs).fit(X, y)
        excess = np.maximum(np.array(model.loss_history_) - optimum, 1e-16)
        ax.semilogy(np.arange(1, 41), excess, "o-", ms=3, color=f"C{i}", label=label)
    ax.set_xlabel("epoch (one pass over the 500 rows)")
    ax.set_ylabel("loss - closed-form optimum")
    ax.set_title("Least squares by gradient descent: how close after each epoch")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "gd_solvers.png", dpi=100)
    plt.close(fig)
    captions["gd_solvers.png"] = (
        "Batch descent takes one careful step per epoch and closes in steadily; mini-batch and "
        "SGD take many noisy steps per epoch, so they get close fast but then hover at a noise "
        "floor set by the learning rate (green). A rate that decays with every update shrinks "
        "the noise as it goes and keeps converging (red).")

    # 2. The quartic: the starting point decides the valley.
    xs = np.linspace(-3.2, 2.2, 300)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(xs, [quartic(float(x)) for x in xs], color="0.3", lw=2, label="f(x)")
    for i, x0 in enumerate([-3.0, -0.3, 0.3, 2.0]):
        # Replay the path: x after k steps, for k = 0..30 (gradient_descent_1d is cheap).
        path = [gradient_descent_1d(quartic_grad, x0, lr=0.05, n_steps=k) for k in range(31)]
        ax.plot(path, [quartic(p) for p in path], "o-", ms=3, lw=1, color=f"C{i}",
                label=f"start {x0:+.1f} -> ends at {path[-1]:+.2f}")
    ax.set_ylim(-3.2, 4)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x) = x^4/4 + x^3/3 - x^2")
    ax.set_title("Gradient descent (lr = 0.05, 30 steps) from four starting points")
    ax.legend(fontsize=8, loc="upper center")
    fig.tight_layout()
    fig.savefig(out / "quartic_valleys.png", dpi=100)
    plt.close(fig)
    captions["quartic_valleys.png"] = (
        "Starts left of the hump at x = 0 roll into the global minimum at x = -2; starts right "
        "of it settle in the shallower local minimum at x = 1. Gradient descent only ever "
        "goes downhill from where it is.")

    # 3. Regularisation paths: each weight as the penalty grows, L1 against L2.
    Xl, yl = logistic_data()
    lams = np.logspace(-3, 0, 16)
    fig, axes = plt.subplots(1, 2, figsize=(7, 4), sharey=True)
    for ax, penalty in zip(axes, ["l1", "l2"], strict=True):
        coefs = np.array([LogisticRegression(penalty=penalty, lam=float(lam), lr=0.5,
                                             max_iter=3000, tol=1e-8).fit(Xl, yl).coef_
                          for lam in lams])
        for j in range(coefs.shape[1]):
            ax.semilogx(lams, coefs[:, j], lw=2 if j < 3 else 1, color=f"C{j}",
                        label=f"w{j}" + (" (informative)" if j < 3 else ""))
        ax.axhline(0, color="0.6", lw=0.8)
        zeros = int((coefs[-6] == 0).sum())
        ax.set_title(f"{penalty.upper()}: {zeros} of 8 weights exactly 0 at lam = {lams[-6]:.2f}",
                     fontsize=9)
        ax.set_xlabel("penalty strength lam")
    axes[0].set_ylabel("fitted weight")
    axes[1].legend(fontsize=6, loc="upper right", ncol=2)
    fig.suptitle("Logistic regression: weights along the regularisation path")
    fig.tight_layout()
    fig.savefig(out / "regularisation_paths.png", dpi=100)
    plt.close(fig)
    captions["regularisation_paths.png"] = (
        "Only w0, w1 and w2 matter in this data. As lam grows, L1 (soft thresholding) sets the "
        "useless weights to exactly 0 early and the informative ones one by one; L2 shrinks "
        "every weight smoothly towards 0 but never exactly onto it.")
    return captions
