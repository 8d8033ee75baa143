"""Gaussian naive Bayes: curved regions from per-class bell curves; priors move the boundary."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.patches import Ellipse

from phase0.naive_bayes import GaussianNB

COLOURS = ["tab:blue", "tab:orange", "tab:green"]


def _blobs(g: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three classes with different, axis-aligned spreads, so that the boundaries curve."""
    # (mean, standard deviations, rows) of each class.
    specs = [((-2.0, 0.0), (0.6, 1.6), 60),
             ((2.0, 1.0), (1.5, 0.5), 60),
             ((0.0, -3.0), (1.0, 1.0), 60)]
    X = np.concatenate([g.normal(m, s, (n, 2)) for m, s, n in specs])
    y = np.repeat([0, 1, 2], [n for _, _, n in specs])
    return X, y


def _regions(out: Path) -> None:
    X, y = _blobs(np.random.default_rng(0))
    nb = GaussianNB().fit(X, y)
    xs, ys = np.meshgrid(np.linspace(-6, 6, 300), np.linspace(-7, 5, 300))
    grid = np.column_stack([xs.ravel(), ys.ravel()])
    proba = nb.predict_proba(grid)
    label = nb.predict(grid).reshape(xs.shape)
    confidence = proba.max(axis=1).reshape(xs.shape)

    # Colour = predicted class, fading to white where the posterior is unsure (top one near 1/K).
    K = len(nb.classes_)
    strength = ((confidence - 1 / K) / (1 - 1 / K))[..., None]
    rgb = np.array([to_rgb(c) for c in COLOURS])[label]
    image = 1 - 0.45 * strength * (1 - rgb)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.imshow(image, origin="lower", extent=(-6, 6, -7, 5), aspect="auto")
    # The decision boundaries: where the predicted label changes.
    ax.contour(xs, ys, label, levels=[0.5, 1.5], colors="k", linewidths=1)
    for k, c in enumerate(COLOURS):
        ax.scatter(*X[y == k].T, s=10, color=c, edgecolor="k", linewidth=0.3, label=f"class {k}")
        # The fitted model of class k: an axis-aligned ellipse at 2 standard deviations.
        sd = np.sqrt(nb.var_[k])
        ax.add_patch(Ellipse(nb.theta_[k], 4 * sd[0], 4 * sd[1], fill=False, color=c, lw=2))
    ax.set_xlim(-6, 6)
    ax.set_ylim(-7, 5)
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.set_title("Gaussian naive Bayes: fitted 2σ ellipses and decision regions")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "naive_bayes_regions.png", dpi=100)
    plt.close(fig)


def _priors(out: Path) -> None:
    # One feature, two classes with equal spreads: only the class sizes differ between fits.
    g = np.random.default_rng(1)
    x_line = np.linspace(-4, 4, 400)[:, None]
    fig, ax = plt.subplots(figsize=(7, 4))
    for (n0, n1), style in zip([(200, 200), (200, 40), (200, 8)], ["-", "--", ":"], strict=True):
        X = np.concatenate([g.normal(-1, 1, (n0, 1)), g.normal(1, 1, (n1, 1))])
        y = np.repeat([0, 1], [n0, n1])
        nb = GaussianNB().fit(X, y)
        p1 = nb.predict_proba(x_line)[:, 1]
        line, = ax.plot(x_line[:, 0], p1, style, lw=2,
                        label=f"{n0} vs {n1} rows (prior of class 1 = {nb.class_prior_[1]:.2f})")
        # Where the posterior crosses 1/2: the decision boundary of this fit.
        cross = x_line[np.argmin(np.abs(p1 - 0.5)), 0]
        ax.axvline(cross, color=line.get_color(), lw=0.8, ls=style)
    ax.axhline(0.5, color="grey", lw=0.5)
    ax.set_xlabel("x (class 0 centred at -1, class 1 at +1, both variance 1)")
    ax.set_ylabel("P(class 1 | x)")
    ax.set_title("A rarer class needs stronger evidence: the prior moves the boundary")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "naive_bayes_priors.png", dpi=100)
    plt.close(fig)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    _regions(out)
    _priors(out)
    return {
        "naive_bayes_regions.png": (
            "Each class is modelled by one bell curve per feature (its 2σ ellipse is drawn, always "
            "aligned with the axes). The boundaries curve wherever neighbouring classes have "
            "different spreads; the colour fades where the posterior is unsure."),
        "naive_bayes_priors.png": (
            "The same two bell curves fitted with fewer and fewer rows of class 1: its prior "
            "falls, the posterior curve slides right, and the boundary (vertical lines, where the "
            "posterior is 1/2) moves away from the midpoint 0."),
    }
