"""Model selection: what the folds look like, how noisy a single split is, and grid search."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from phase0.model_selection import grid_search, k_fold, stratified_k_fold, train_test_split


class NearestNeighbours:
    """A tiny k-nearest-neighbours classifier, the model being evaluated (not the lesson here)."""

    def __init__(self, n_neighbors: int = 1) -> None:
        self.n_neighbors = n_neighbors

    def fit(self, X: np.ndarray, y: np.ndarray) -> NearestNeighbours:
        self.X, self.y = X, y
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        d2 = ((X[:, None, :] - self.X[None, :, :]) ** 2).sum(axis=2)
        nearest = np.argsort(d2, axis=1, kind="stable")[:, : self.n_neighbors]
        return (self.y[nearest].mean(axis=1) > 0.5).astype(int)  # majority vote, labels {0, 1}


def _data(n: int, g: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping Gaussian classes in 2-D, labels {0, 1}: no model reaches 100%."""
    y = g.integers(0, 2, n)
    X = g.normal(0, 1, (n, 2)) + np.where(y[:, None] == 1, [1.2, 0.6], [-0.2, -0.1])
    return X, y


def _layout(out: Path) -> None:
    n, k = 40, 5
    # Unbalanced labels, sorted as data files often are: 30 of class 0, then 10 of class 1.
    y = np.repeat([0, 1], [30, 10])
    schemes = {
        "k_fold(shuffle=False)": list(k_fold(n, k)),
        "k_fold(shuffle=True)": list(k_fold(n, k, shuffle=True, seed=0)),
        "stratified_k_fold": list(stratified_k_fold(y, k, seed=0)),
    }
    fig, axes = plt.subplots(3, 1, figsize=(7, 4.6), sharex=True)
    for ax, (name, folds) in zip(axes, schemes.items(), strict=True):
        grid = np.zeros((k + 1, n))   # 0 = train, 1 = test; the last row shows the classes
        for i, (_, test) in enumerate(folds):
            grid[i, test] = 1
        grid[k] = 2 + y
        ax.imshow(grid, aspect="auto", interpolation="nearest",
                  cmap=ListedColormap(["#c6dbef", "#e6550d", "#bdbdbd", "#6a3d9a"]),
                  vmin=-0.5, vmax=3.5)
        counts = [int(y[test].sum()) for _, test in folds]
        ax.set_title(f"{name}: class-1 samples per test fold {counts}", fontsize=9)
        ax.set_yticks(range(k + 1), [f"fold {i}" for i in range(k)] + ["class"], fontsize=7)
    axes[-1].set_xlabel("sample index (orange: test, blue: train; class row: grey 0, purple 1)")
    fig.suptitle("Five folds over 40 samples (30 of class 0, then 10 of class 1)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "cv_folds.png", dpi=100)
    plt.close(fig)


def _accuracy(model: NearestNeighbours, X_tr, y_tr, X_te, y_te) -> float:
    return float(np.mean(model.fit(X_tr, y_tr).predict(X_te) == y_te))


def _noise(out: Path) -> None:
    g = np.random.default_rng(0)
    X, y = _data(120, g)
    X_big, y_big = _data(5000, g)  # stands in for "all future data"
    truth = _accuracy(NearestNeighbours(15), X, y, X_big, y_big)

    # The same 120 rows, evaluated 200 times with different random splits / fold assignments.
    holdout, cv = [], []
    for seed in range(200):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=seed)
        holdout.append(_accuracy(NearestNeighbours(15), X_tr, y_tr, X_te, y_te))
        cv.append(np.mean([_accuracy(NearestNeighbours(15), X[tr], y[tr], X[te], y[te])
                           for tr, te in k_fold(len(y), 5, shuffle=True, seed=seed)]))
    fig, ax = plt.subplots(figsize=(7, 4))
    # A 30-row test part can only score multiples of 1/30, the mean of five 24-row folds
    # multiples of 1/120: one bin per possible value, drawn as densities to compare the shapes.
    ax.hist(holdout, bins=(np.arange(14, 31) - 0.5) / 30, density=True, alpha=0.6,
            color="tab:orange", label=f"one 75/25 split (sd {np.std(holdout):.3f})")
    ax.hist(cv, bins=(np.arange(56, 121) - 0.5) / 120, density=True, alpha=0.6, color="tab:blue",
            label=f"5-fold cross-validation (sd {np.std(cv):.3f})")
    ax.axvline(truth, color="k", ls="--", label=f"accuracy on 5,000 new points ({truth:.3f})")
    ax.set_xlabel("estimated accuracy of 15-nearest-neighbours trained on 120 rows")
    ax.set_ylabel("density over 200 seeds")
    ax.set_title("The same data, 200 random splits: k-fold estimates scatter less")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "cv_vs_holdout.png", dpi=100)
    plt.close(fig)


def _grid(out: Path) -> None:
    g = np.random.default_rng(1)
    X, y = _data(200, g)
    X_new, y_new = _data(5000, g)
    ks = [1, 3, 5, 9, 15, 25, 41, 61, 101]
    best, results = grid_search(NearestNeighbours, {"n_neighbors": ks}, X, y, k=5, seed=0)
    cv = [score for _, score in results]
    train = [_accuracy(NearestNeighbours(k), X, y, X, y) for k in ks]
    new = [_accuracy(NearestNeighbours(k), X, y, X_new, y_new) for k in ks]

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(ks, train, "--", color="tab:grey", label="training accuracy")
    ax.plot(ks, cv, "-o", color="tab:blue", ms=4, label="5-fold CV accuracy (grid_search)")
    ax.plot(ks, new, "-", color="tab:green", label="accuracy on 5,000 new points")
    ax.axvline(best["n_neighbors"], color="tab:blue", ls=":",
               label=f"chosen: n_neighbors = {best['n_neighbors']}")
    ax.set_xscale("log")
    ax.set_xlabel("n_neighbors (log scale): small = wiggly boundary, large = smooth")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0.55, 1.02)
    ax.set_title("Grid search over k-NN's n_neighbors on 200 rows")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "grid_search.png", dpi=100)
    plt.close(fig)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    _layout(out)
    _noise(out)
    _grid(out)
    return {
        "cv_folds.png": (
            "Without shuffling, folds are contiguous chunks, so on sorted data the last folds hold "
            "only class 1 and the first ones none; shuffling mixes them at random; stratified "
            "folds give every fold the same two samples of class 1."),
        "cv_vs_holdout.png": (
            "Evaluating the same model on the same 120 rows with different random splits: a "
            "single 25% hold-out scatters widely, the mean of 5 folds much less. Both sit a little "
            "below the accuracy on fresh data: their models trained on 90 or 96 rows, not 120."),
        "grid_search.png": (
            "Training accuracy rewards memorising (1 neighbour scores 100%). Cross-validated "
            "accuracy tracks the accuracy on new data and peaks at a moderate number of "
            "neighbours, which grid search chooses."),
    }
