"""Capstone: your classical ML library, benchmarked.

Phase 0's estimators share one small interface, scikit-learn's: ``fit(X, y)`` returns the
fitted model itself, ``predict(X)`` returns labels, transformers have ``fit(X)`` and
``transform(X)``. That shared interface is what lets small pieces compose: a one-vs-rest
wrapper turns any binary classifier into a multi-class one (Bishop, *Pattern Recognition and
Machine Learning*, section 4.1.2; Rifkin & Klautau, "In Defense of One-Vs-All
Classification", JMLR 2004), a pipeline chains standardisation, PCA and a classifier, and one
benchmark loop scores them all with the same cross-validation folds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from phase0.model_selection import k_fold


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of predictions equal to the true labels: mean(y_pred == y_true).

    Args:
        y_true: (N,) labels; y_pred: (N,) predicted labels (array-likes).

    Returns:
        A Python float in [0, 1].

    Raises:
        ValueError: if the two do not have the same shape, or are empty.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"accuracy needs two non-empty arrays of one shape; got {y_true.shape} "
                         f"and {y_pred.shape}")
    return float(np.mean(y_true == y_pred))


class StandardScaler:
    """Standardise every feature to mean 0 and standard deviation 1, with training statistics.

        fit:        mean_ = X.mean(axis=0);  scale_ = X.std(axis=0)  (divide by N, ddof=0),
                    with every scale_ that is 0 (a constant feature) replaced by 1.
        transform:  (X - mean_) / scale_

    Attributes (after fit):
        mean_: (D,) float64 array.
        scale_: (D,) float64 array, all > 0.
    """

    def fit(self, X: np.ndarray) -> StandardScaler:
        """Learn mean_ and scale_ from the training rows.

        Args:
            X: (N, D) float array.

        Returns:
            self.

        Raises:
            ValueError: if X is not 2-D.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be (N, D), got shape {X.shape}")
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale == 0.0, 1.0, scale)  # a constant feature stays as it is
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(X - mean_) / scale_, with the statistics of the training data.

        Args:
            X: (M, D) float array (any rows, e.g. test data).

        Returns:
            (M, D) float64 array.
        """
        return (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_


class OneVsRestClassifier:
    """Turn a binary {0, 1} classifier into a K-class one: one binary model per class.

    fit: classes_ = the sorted distinct labels of y (np.unique). For every class c, in that
    order, build a fresh model make_binary() and fit it on (X, (y == c) as 0/1 ints): class c
    against the rest. K = len(classes_) models, even when K = 2.

    Scores: the score of class c for a row is its binary model's probability of label 1:
    predict_proba(X) when it returns (M,), or its column 1 when it returns (M, 2).

    predict: classes_[argmax over c of the scores], ties going to the smaller index
    (np.argmax's rule).

    Attributes (after fit):
        classes_: (K,) sorted array of labels.
        estimators_: list of K fitted binary models, estimators_[i] for classes_[i].
    """

    def __init__(self, make_binary: Callable[[], Any]) -> None:
        """Store the factory of binary classifiers.

        Args:
            make_binary: called with no argument, returns a new unfitted binary classifier with
                fit(X, y) for labels {0, 1} and predict_proba(X).
        """
        self.make_binary = make_binary

    def fit(self, X: np.ndarray, y: np.ndarray) -> OneVsRestClassifier:
        """Fit one binary model per class (see the class docstring).

        Args:
            X: (N, D) float array; y: (N,) labels, any sortable values.

        Returns:
            self.

        Raises:
            ValueError: if y has fewer than two distinct labels, or len(y) != len(X).
        """
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"one-vs-rest needs at least two classes, got {self.classes_}")
        self.estimators_ = []
        for c in self.classes_:
            model = self.make_binary()
            model.fit(X, (y == c).astype(np.int64))  # class c is 1, every other class 0
            self.estimators_.append(model)
        return self

    def predict_scores(self, X: np.ndarray) -> np.ndarray:
        """Every binary model's probability of its class.

        Args:
            X: (M, D) float array.

        Returns:
            (M, K) float64 array; column i is estimators_[i]'s probability of label 1.
        """
        columns = []
        for model in self.estimators_:
            p = np.asarray(model.predict_proba(X), dtype=np.float64)
            columns.append(p[:, 1] if p.ndim == 2 else p)  # (M, 2) -> P(label 1)
        return np.stack(columns, axis=1)  # (M, K)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The class whose binary model is most confident.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) array of labels from classes_.
        """
        return self.classes_[np.argmax(self.predict_scores(X), axis=1)]


class Pipeline:
    """Chain transformers and a final classifier into one model with fit and predict.

        Pipeline(StandardScaler(), PCA(20), GaussianNB())

    fit(X, y): for each step but the last, step.fit(Z) then Z = step.transform(Z) (Z starts
    as X; transformers never see y); then last.fit(Z, y).
    predict(X): Z = X passed through every transformer's transform (no fitting: the statistics
    are the training data's), then last.predict(Z).

    Attributes:
        steps: the list of the steps, in order (set by __init__).
    """

    def __init__(self, *steps: Any) -> None:
        """Store the steps.

        Args:
            *steps: zero or more transformers (fit(X) and transform(X)), then one classifier
                (fit(X, y) and predict(X)).
        """
        self.steps = list(steps)

    def fit(self, X: np.ndarray, y: np.ndarray) -> Pipeline:
        """Fit every step in order on the output of the previous ones.

        Args:
            X: (N, D) float array; y: (N,) labels.

        Returns:
            self.

        Raises:
            ValueError: if the pipeline has no steps.
        """
        if not self.steps:
            raise ValueError("a Pipeline needs at least one step (the classifier)")
        Z = X
        for step in self.steps[:-1]:
            step.fit(Z)
            Z = step.transform(Z)
        self.steps[-1].fit(Z, y)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Transform X with the fitted transformers, then predict with the classifier.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) array of labels.
        """
        Z = X
        for step in self.steps[:-1]:
            Z = step.transform(Z)  # transform only: fitting here would leak test statistics
        return self.steps[-1].predict(Z)


def benchmark(models: dict[str, Callable[[], Any]], X: np.ndarray, y: np.ndarray, k: int = 5,
              seed: int = 0) -> dict[str, float]:
    """Mean k-fold cross-validated accuracy of every model, on the same folds.

    Folds: phase0.model_selection.k_fold(len(y), k, shuffle=True, seed=seed), once, shared
    by all models. For every model and fold: model = factory() (a fresh model),
    model.fit(X[train], y[train]), then accuracy(y[test], model.predict(X[test])). A model's
    score is the plain mean of its k fold accuracies.

    Args:
        models: {name: factory}; each factory takes no argument and returns an unfitted model.
        X: (N, D) float array; y: (N,) labels.
        k: number of folds; seed: seed of the folds.

    Returns:
        {name: mean accuracy (a float)}, with the names in the order of `models`.
    """
    X, y = np.asarray(X), np.asarray(y)
    folds = list(k_fold(len(y), k, shuffle=True, seed=seed))
    scores: dict[str, float] = {}
    for name, factory in models.items():
        fold_accuracies = []
        for train, test in folds:
            model = factory()
            model.fit(X[train], y[train])
            fold_accuracies.append(accuracy(y[test], model.predict(X[test])))
        scores[name] = float(np.mean(fold_accuracies))
    return scores
