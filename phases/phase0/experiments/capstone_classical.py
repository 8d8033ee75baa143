"""Capstone: your library on real MNIST digits: a benchmark, one-vs-rest weights, the errors."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from phase0.capstone_classical import (
    OneVsRestClassifier,
    Pipeline,
    StandardScaler,
    accuracy,
    benchmark,
)
from phase0.decision_tree import DecisionTreeClassifier
from phase0.linear_models import LogisticRegression
from phase0.naive_bayes import GaussianNB
from phase0.pca import PCA
from shared.data import load_mnist


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """The tests' protocol: the first 2,000 MNIST test digits, 2x2-pooled to 14x14, in [0, 1]."""
    images, labels = load_mnist("test")
    X = images[:2000].reshape(2000, 14, 2, 14, 2).mean(axis=(2, 4)).reshape(2000, 196) / 255.0
    return X, labels[:2000].astype(np.int64)


def _logistic() -> Pipeline:
    # 200 gradient steps per class keep the experiment fast; the test's default (1,000) gains
    # about one point of accuracy.
    return Pipeline(StandardScaler(), OneVsRestClassifier(lambda: LogisticRegression(max_iter=200)))


def _benchmark(out: Path, X: np.ndarray, y: np.ndarray) -> None:
    models = {
        "naive Bayes\non raw pixels": lambda: GaussianNB(),
        "PCA(30)\n+ naive Bayes": lambda: Pipeline(PCA(30), GaussianNB()),
        "PCA(30)\n+ tree (depth 8)": lambda: Pipeline(PCA(30), DecisionTreeClassifier(max_depth=8)),
        "scaler + one-vs-rest\nlogistic regression": _logistic,
    }
    scores = benchmark(models, X, y, k=3, seed=0)
    fig, ax = plt.subplots(figsize=(7, 4))
    colours = ["tab:grey", "tab:blue", "tab:green", "tab:orange"]
    bars = ax.bar(range(len(scores)), list(scores.values()), color=colours)
    ax.bar_label(bars, fmt="%.3f", fontsize=9)
    ax.axhline(0.1, color="k", ls=":", lw=1, label="chance (10 classes)")
    ax.set_xticks(range(len(scores)), list(scores), fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean 3-fold CV accuracy")
    ax.set_title("benchmark: 2,000 MNIST digits, the same 3 folds for every model")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "capstone_benchmark.png", dpi=100)
    plt.close(fig)


def _one_vs_rest(out: Path, X: np.ndarray, y: np.ndarray) -> None:
    model = _logistic().fit(X[:1500], y[:1500])
    ovr = model.steps[-1]
    pred = model.predict(X[1500:])

    # What each binary model looks for: its weights on the (standardised) pixels.
    fig, axes = plt.subplots(2, 5, figsize=(7, 4))
    for c, ax in zip(ovr.classes_, axes.ravel(), strict=True):
        w = ovr.estimators_[c].coef_.reshape(14, 14)
        lim = np.abs(w).max()
        ax.imshow(w, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(f'"is it a {c}?"', fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("One-vs-rest logistic regression: each class's weights on the 14x14 pixels\n"
                 "(red: ink here argues for the class, blue: against)", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "capstone_ovr_weights.png", dpi=100)
    plt.close(fig)

    # Where the errors go: a confusion matrix on the 500 held-out digits.
    counts = np.zeros((10, 10), dtype=int)
    np.add.at(counts, (y[1500:], pred), 1)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    shown = np.where(np.eye(10, dtype=bool), 0, counts)  # the diagonal would swamp the colours
    im = ax.imshow(shown, cmap="Reds")
    for i in range(10):
        for j in range(10):
            if counts[i, j]:
                ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=7,
                        color="tab:blue" if i == j else "k")
    fig.colorbar(im, ax=ax, label="mistakes (off the diagonal)")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(f"One-vs-rest logistic regression on 500 held-out digits: accuracy "
                 f"{accuracy(y[1500:], pred):.3f}", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "capstone_confusion.png", dpi=100)
    plt.close(fig)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    X, y = _digits()
    _benchmark(out, X, y)
    _one_vs_rest(out, X, y)
    return {
        "capstone_benchmark.png": (
            "Naive Bayes on raw pixels suffers from its independence assumption (neighbouring "
            "pixels are anything but independent); PCA first decorrelates the features and "
            "lifts it far higher. A linear model on standardised pixels does best here."),
        "capstone_ovr_weights.png": (
            "Each of the ten binary models is a template: red pixels are where ink makes its "
            "digit more likely, blue where ink argues against it (the hole of a 0, the empty "
            "middle of a 7). predict picks the template that fits best."),
        "capstone_confusion.png": (
            "Rows are true digits, columns predictions; the diagonal (blue numbers) counts the "
            "correct ones. The mistakes cluster on look-alikes: 9s read as 4s or 7s, 7s as 1s "
            "or 9s, and 8s, the hardest digit here, as many others."),
    }
