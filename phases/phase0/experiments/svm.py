"""SVMs: the margin and C, RBF boundaries by gamma, and sub-gradient descent on the primal."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from phase0.svm import KernelSVM, LinearSVM, svm_objective

POINTS = ListedColormap(["tab:blue", "tab:orange"])


def _blobs(g: np.random.Generator, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Two round blobs, labels -1 and +1, centred at -/+ shift * (1.5, 1); they touch for 0.8."""
    centre = shift * np.array([1.5, 1.0])
    X = np.concatenate([g.normal(-centre, 0.9, (60, 2)), g.normal(centre, 0.9, (60, 2))])
    return X, np.repeat([-1, 1], 60)


def _circles(g: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A noisy disc inside a noisy ring: no straight line separates them."""
    n = 100
    angle = g.uniform(0, 2 * np.pi, 2 * n)
    radius = np.concatenate([g.uniform(0, 1.0, n), g.uniform(1.4, 2.2, n)])
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X + g.normal(0, 0.3, X.shape), np.repeat([-1, 1], n)


def _panel(ax: plt.Axes, model: KernelSVM, X: np.ndarray, y: np.ndarray, lim: float) -> None:
    """Decision function as background; the boundary f = 0 and margins f = ±1; support vectors."""
    xs, ys = np.meshgrid(np.linspace(-lim, lim, 150), np.linspace(-lim, lim, 150))
    f = model.decision_function(np.column_stack([xs.ravel(), ys.ravel()])).reshape(xs.shape)
    ax.contourf(xs, ys, f.clip(-3, 3), levels=np.linspace(-3, 3, 13), cmap="RdBu_r", alpha=0.35)
    ax.contour(xs, ys, f, levels=[-1, 0, 1], colors="k", linestyles=["--", "-", "--"],
               linewidths=[1, 1.8, 1])
    ax.scatter(*X.T, c=y, cmap=POINTS, s=8)
    ax.scatter(*model.support_vectors_.T, s=40, facecolor="none", edgecolor="k", linewidth=0.8)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_xticks([])
    ax.set_yticks([])


def _margins(out: Path, X: np.ndarray, y: np.ndarray) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(7, 2.9))
    for ax, C in zip(axes, [0.003, 0.03, 3.0], strict=True):
        model = KernelSVM(kernel="linear", C=C).fit(X, y)
        _panel(ax, model, X, y, 4.0)
        ax.set_title(f"C = {C}: {len(model.support_)} support vectors", fontsize=9)
        ax.set_xlabel("x1")
    axes[0].set_ylabel("x2")
    fig.suptitle("Linear SVM: boundary (solid), margins f = ±1 (dashed), support vectors (rings)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "svm_margin_vs_C.png", dpi=100)
    plt.close(fig)


def _rbf(out: Path, X: np.ndarray, y: np.ndarray, X_test: np.ndarray,
         y_test: np.ndarray) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(7, 3.1))
    for ax, gamma in zip(axes, [0.03, 1.0, 50.0], strict=True):
        model = KernelSVM(kernel="rbf", C=1.0, gamma=gamma).fit(X, y)
        _panel(ax, model, X, y, 2.8)
        train = np.mean(model.predict(X) == y)
        test = np.mean(model.predict(X_test) == y_test)
        ax.set_title(f"γ = {gamma}: {len(model.support_)} support vectors\n"
                     f"accuracy: train {train:.0%}, test {test:.0%}", fontsize=9)
        ax.set_xlabel("x1")
    axes[0].set_ylabel("x2")
    fig.suptitle("RBF kernel SVM (C = 1): γ sets how far each support vector reaches",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "svm_rbf_gamma.png", dpi=100)
    plt.close(fig)


def _primal(out: Path, X: np.ndarray, y: np.ndarray) -> None:
    # The same problem solved two ways. LinearSVM's C multiplies the MEAN hinge, KernelSVM's the
    # SUM, so C_linear = C_kernel * N gives the same optimum; the dual's value is the target.
    C_lin = 1.0
    dual = KernelSVM(kernel="linear", C=C_lin / len(y), tol=1e-9).fit(X, y)
    w_star = dual.dual_coef_ @ dual.support_vectors_
    target = svm_objective(w_star, dual.intercept_, X, y, C_lin)

    fig, ax = plt.subplots(figsize=(7, 4))
    steps = np.unique(np.geomspace(1, 2000, 40).astype(int))
    for lr, c in [(0.01, "tab:blue"), (0.1, "tab:orange"), (1.0, "tab:red")]:
        # LinearSVM is deterministic given seed, so fitting with max_iter = t replays the first
        # t steps of one run: the objective after t steps, for each t.
        gaps = []
        for t in steps:
            m = LinearSVM(C=C_lin, lr=lr, max_iter=int(t), seed=0).fit(X, y)
            gaps.append(svm_objective(m.coef_, m.intercept_, X, y, C_lin) - target)
        # Floored so that the log scale survives rounding at the optimum itself.
        ax.plot(steps, np.maximum(gaps, 1e-10), color=c, lw=1.8, label=f"lr = {lr}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sub-gradient steps")
    ax.set_ylabel("J(w, b) - J* (log scale)")
    ax.set_title("LinearSVM (C = 1) on two overlapping blobs: the gap to the optimum")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "svm_subgradient.png", dpi=100)
    plt.close(fig)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    g = np.random.default_rng(0)
    _margins(out, *_blobs(g, 1.0))
    X_circ, y_circ = _circles(g)
    X_circ_test, y_circ_test = _circles(g)  # fresh points from the same distribution
    _rbf(out, X_circ, y_circ, X_circ_test, y_circ_test)
    _primal(out, *_blobs(g, 0.8))  # overlapping: the hinge stays active at the optimum
    return {
        "svm_margin_vs_C.png": (
            "Small C makes margin violations cheap: a wide street with many support vectors. "
            "Large C narrows the street to cut violations; only the ringed points, on or inside "
            "the margins, determine the boundary."),
        "svm_rbf_gamma.png": (
            "On a disc inside a ring: a small γ gives wide, flat bumps that cannot bend enough "
            "(underfit); a moderate γ draws the circle with few support vectors; a large γ "
            "gives every point its own island, perfect on the training set, worse on new points."),
        "svm_subgradient.png": (
            "Sub-gradient descent with a constant step never settles exactly: it falls fast, then "
            "bounces at a floor that rises with the step size (lr = 1 never gets close). J* is "
            "the optimum found by KernelSVM with a linear kernel and C / N."),
    }
