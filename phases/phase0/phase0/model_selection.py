"""Train/test splits, k-fold cross-validation and grid search.

A model's score on the data it was fitted on says little about new data. Hold data out:
either once (a train/test split) or k times (k-fold cross-validation: every sample is tested
exactly once, by a model that never saw it). Grid search then picks the hyperparameters with
the best cross-validated score.

Your k_fold must cut the folds exactly like scikit-learn's KFold (see its docstring); the
tests write that layout out by hand. NumPy and the standard library only; every random
choice comes from np.random.default_rng(seed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np


def train_test_split(X: np.ndarray, y: np.ndarray, test_size: float | int = 0.25,
                     stratify: bool = False,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split the rows of (X, y) at random into a training part and a test part.

    Size of the test part: n_test = ceil(test_size * N) when test_size is a float in (0, 1),
    or n_test = test_size when it is an int. Every row goes to exactly one part.

    With stratify=True, each class keeps its share: class c (N_c rows) puts
    floor(N_c * n_test / N) or ceil(N_c * n_test / N) rows into the test part, and the
    per-class counts add up to n_test exactly.

    Randomness: only from np.random.default_rng(seed); the same seed gives the same split,
    different seeds (almost always) different ones. Never touch NumPy's global generator.

    Args:
        X: (N, ...) array; rows are split along axis 0.
        y: (N,) array of labels.
        test_size: a float in (0, 1) (a fraction) or an int in [1, N - 1] (a count).
        stratify: keep the class proportions of y in both parts.
        seed: seed for the shuffle.

    Returns:
        (X_train, X_test, y_train, y_test): rows of X and y (X_train[i] pairs with y_train[i]),
        with N - n_test and n_test rows. The order of the rows inside each part is free.

    Raises:
        ValueError: if X and y have different lengths, or n_test is not in [1, N - 1].
    """
    raise NotImplementedError("phase0.model_selection.train_test_split")


def k_fold(n: int, k: int = 5, shuffle: bool = False,
           seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """k-fold cross-validation indices: yield (train_idx, test_idx) k times.

    Layout (the same as scikit-learn's KFold and numpy.array_split): take the index order
    0, 1, ..., n-1 (or, with shuffle=True, a random permutation of it from
    np.random.default_rng(seed)) and cut it into k contiguous chunks. The first n % k chunks
    have n // k + 1 indices, the others n // k. Fold i tests on chunk i and trains on all the
    other indices. No index is dropped: the k test folds cover 0..n-1 exactly once.

    Example: n=10, k=3, shuffle=False gives test folds [0 1 2 3], [4 5 6], [7 8 9].

    Args:
        n: number of samples, >= k.
        k: number of folds, >= 2.
        shuffle: permute the indices before cutting (seed is ignored when False).
        seed: seed of the permutation.

    Yields:
        (train_idx, test_idx): int arrays, each sorted ascending, disjoint, together 0..n-1.

    Raises:
        ValueError: if k < 2 or k > n (raised when the folds are first asked for, or earlier).
    """
    raise NotImplementedError("phase0.model_selection.k_fold")


def stratified_k_fold(y: np.ndarray, k: int = 5,
                      seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold: like k_fold, but every fold keeps the class proportions of y.

    Guarantees, for every class c (N_c samples) and every fold i:
      - fold i's test part holds floor(N_c / k) or ceil(N_c / k) samples of class c;
      - fold i's test part has floor(N / k) or ceil(N / k) samples in total;
      - the k test parts are disjoint and cover 0..N-1 exactly once.
    Which samples of a class go to which fold is random, from np.random.default_rng(seed):
    the same seed gives the same folds.

    Args:
        y: (N,) labels (any values that np.unique can sort).
        k: number of folds, 2 <= k <= N.
        seed: seed of the shuffle within each class.

    Yields:
        (train_idx, test_idx): int arrays, each sorted ascending.

    Raises:
        ValueError: if k < 2 or k > N (raised when the folds are first asked for, or earlier).
    """
    raise NotImplementedError("phase0.model_selection.stratified_k_fold")


def grid_search(make_model: Callable[..., Any], param_grid: dict[str, list], X: np.ndarray,
                y: np.ndarray, k: int = 5,
                seed: int = 0) -> tuple[dict[str, Any], list[tuple[dict[str, Any], float]]]:
    """Exhaustive search over a hyperparameter grid, scored by mean k-fold CV accuracy.

    Candidates, in this order: itertools.product of the value lists, over the keys of
    param_grid in the dict's insertion order (the last key varies fastest). For
    {"a": [1, 2], "b": [3, 4]}: {a:1,b:3}, {a:1,b:4}, {a:2,b:3}, {a:2,b:4}.

    Every candidate is scored on the same folds, k_fold(N, k, shuffle=True, seed=seed): on
    each fold, model = make_model(**params) (a fresh model), model.fit(X[train], y[train]),
    accuracy = mean(model.predict(X[test]) == y[test]). The score is the plain mean of the k
    fold accuracies.

    The best candidate has the highest score; on a tie, the first one in the order above.

    Args:
        make_model: called with one candidate's keyword arguments, returns an unfitted model
            with fit(X, y) and predict(X) -> (n,) labels.
        param_grid: {name: [values to try]}, each list non-empty. {} means one candidate, {}.
        X: (N, ...) inputs; y: (N,) labels.
        k: number of folds.
        seed: seed of the folds.

    Returns:
        (best_params, results): best_params is the winning dict; results lists
        (params, mean_accuracy) for every candidate, in the order above (accuracy a float).

    Raises:
        ValueError: if a value list is empty.
    """
    raise NotImplementedError("phase0.model_selection.grid_search")
