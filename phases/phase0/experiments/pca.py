"""PCA: principal axes of a 2-D cloud, eigen-digits and reconstructions of MNIST, variance kept."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from phase0.pca import PCA
from shared.data import load_mnist


def _cloud(out: Path) -> None:
    # A tilted, elongated Gaussian cloud: standard deviations 2.5 and 0.7, rotated by 30 degrees.
    g = np.random.default_rng(0)
    angle = np.deg2rad(30)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    X = (g.standard_normal((120, 2)) * [2.5, 0.7]) @ rot.T + [1.0, 2.0]

    pca = PCA(n_components=2).fit(X)
    one = PCA(n_components=1).fit(X)
    X_hat = one.inverse_transform(one.transform(X))  # each point dropped onto the first axis

    fig, ax = plt.subplots(figsize=(7, 4))
    # The error of the 1-component reconstruction: perpendicular segments to the first axis.
    for p, q in zip(X, X_hat, strict=True):
        ax.plot([p[0], q[0]], [p[1], q[1]], color="grey", lw=0.5)
    ax.scatter(*X.T, s=10, color="tab:blue", label="data", zorder=3)
    ax.scatter(*X_hat.T, s=8, color="tab:orange", label="reconstruction with k = 1", zorder=3)
    for j, c in enumerate(["tab:red", "tab:green"]):
        # Each axis drawn 2 standard deviations long on both sides of the mean.
        half = 2 * np.sqrt(pca.explained_variance_[j]) * pca.components_[j]
        ax.annotate("", pca.mean_ + half, pca.mean_ - half,
                    arrowprops=dict(arrowstyle="<->", color=c, lw=2))
        ax.plot([], [], color=c, lw=2,
                label=f"axis {j + 1}: variance {pca.explained_variance_[j]:.2f} "
                      f"({100 * pca.explained_variance_ratio_[j]:.0f}%)")
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("Principal axes (±2 sd) and projections onto the first one")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "pca_axes.png", dpi=100)
    plt.close(fig)


def _digits(out: Path) -> None:
    images, _ = load_mnist("test")
    X = images[:3000].reshape(3000, -1) / 255.0  # (N, 784), pixels in [0, 1]
    # Keep all 784 axes: the first few are drawn, the whole spectrum feeds the variance curve.
    pca = PCA(n_components=784).fit(X)

    fig, axes = plt.subplots(2, 7, figsize=(7, 2.8))
    # Top row: the mean digit, then the first six principal axes drawn as images. Red and blue
    # are the pixels an axis brightens or darkens (the sign of an axis is arbitrary).
    axes[0, 0].imshow(pca.mean_.reshape(28, 28), cmap="gray")
    axes[0, 0].set_title("mean", fontsize=9)
    for j in range(6):
        v = pca.components_[j].reshape(28, 28)
        lim = np.abs(v).max()
        axes[0, j + 1].imshow(v, cmap="RdBu_r", vmin=-lim, vmax=lim)
        axes[0, j + 1].set_title(f"axis {j + 1}", fontsize=9)
    # Bottom row: one unseen digit rebuilt from k coordinates.
    x = images[3000].reshape(1, -1) / 255.0
    axes[1, 0].imshow(x.reshape(28, 28), cmap="gray")
    axes[1, 0].set_title("original", fontsize=9)
    for i, k in enumerate([1, 5, 10, 25, 50, 200]):
        z = pca.transform(x)
        z[:, k:] = 0  # keeping the first k coordinates = using the first k axes
        axes[1, i + 1].imshow(pca.inverse_transform(z).reshape(28, 28).clip(0, 1), cmap="gray")
        axes[1, i + 1].set_title(f"k = {k}", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Eigen-digits (top) and a test digit rebuilt from k components (bottom)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "pca_digits.png", dpi=100)
    plt.close(fig)

    # How much variance the first k axes keep.
    cumulative = np.cumsum(pca.explained_variance_ratio_)
    fig, ax = plt.subplots(figsize=(7, 4))
    ks = np.arange(1, 785)
    ax.plot(ks, cumulative, color="tab:blue", lw=2, label="cumulative explained variance ratio")
    for level, c in [(0.5, "tab:green"), (0.9, "tab:orange"), (0.99, "tab:red")]:
        k = int(np.searchsorted(cumulative, level) + 1)
        ax.axhline(level, color=c, lw=0.8, ls="--")
        ax.plot([k], [cumulative[k - 1]], "o", color=c,
                label=f"{level:.0%} of the variance with k = {k}")
    ax.set_xscale("log")
    ax.set_xlabel("number of components k (log scale; 784 pixels in all)")
    ax.set_ylabel("share of total variance kept")
    ax.set_title("MNIST: a small share of the 784 directions carries most of the variation")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "pca_variance.png", dpi=100)
    plt.close(fig)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    _cloud(out)
    _digits(out)
    return {
        "pca_axes.png": (
            "The first axis points along the cloud's longest spread, the second at right angles. "
            "Keeping one coordinate drops every point onto the first axis; the grey segments are "
            "the reconstruction errors, all perpendicular to it."),
        "pca_digits.png": (
            "PCA fitted on 3,000 MNIST test digits. The axes are images (red: brighter, blue: "
            "darker than the mean); a digit it has not seen becomes recognisable from about 25 "
            "coordinates instead of 784 pixels."),
        "pca_variance.png": (
            "The eigenvalues fall fast: the cumulative share of variance passes 50% after "
            "about a dozen components and 90% before 100 of the 784."),
    }
