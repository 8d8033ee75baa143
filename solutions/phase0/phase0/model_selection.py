"""Train/test splits, k-fold cross-validation and grid search.

A model's score on the data it was fitted on says little about new data. Hold data out:
either once (a train/test split) or k times (k-fold cross-validation: every sample is tested
exactly once, by a model that never saw it). Grid search then picks the hyperparameters with
the best cross-validated score.

The fold layout follows scikit-learn's ``KFold`` (contiguous chunks, the first n % k one
longer, as ``numpy.array_split`` cuts them); stratified folds deal each class's samples over
the folds like cards, so every fold holds floor(n_c / k) or ceil(n_c / k) of class c.
See Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning*, section 7.10.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np


def _check_k(n: int, k: int) -> None:
    if not 2 <= k <= n:
        raise ValueError(f"k must satisfy 2 <= k <= n; got k={k} for n={n} samples")


def _train_test_from_folds(n: int, folds: list[np.ndarray]) -> Iterator[tuple[np.ndarray,
                                                                                np.ndarray]]:
    """(train, test) pairs, both sorted ascending, from the list of test folds."""
    for test in folds:
        is_test = np.zeros(n, dtype=bool)
        is_test[test] = True
        yield np.flatnonzero(~is_test), np.flatnonzero(is_test)


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
    X, y = np.asarray(X), np.asarray(y)
    n = len(y)
    if len(X) != n:
        raise ValueError(f"X has {len(X)} rows but y has {n} labels")
    if isinstance(test_size, (int, np.integer)):
        n_test = int(test_size)
    elif 0.0 < test_size < 1.0:
        n_test = int(np.ceil(test_size * n))
    else:
        raise ValueError(f"test_size must be a fraction in (0, 1) or a count; got {test_size}")
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"the test part would have {n_test} of {n} rows; need 1 to {n - 1}")

    gen = np.random.default_rng(seed)
    if not stratify:
        perm = gen.permutation(n)
        test = perm[:n_test]
    else:
        classes, y_idx = np.unique(y, return_inverse=True)
        counts = np.bincount(y_idx, minlength=len(classes))
        # Largest-remainder rounding: floor every share, then give the leftover rows to the
        # classes with the largest fractional parts. Each count stays within floor/ceil.
        share = counts * n_test / n
        take = np.floor(share).astype(int)
        leftover = n_test - take.sum()
        order = np.argsort(-(share - take), kind="stable")
        take[order[:leftover]] += 1
        test = np.concatenate([
            gen.permutation(np.flatnonzero(y_idx == c))[:take[c]] for c in range(len(classes))
        ])
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    train = np.flatnonzero(~is_test)
    return X[train], X[test], y[train], y[test]


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
    _check_k(n, k)
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    yield from _train_test_from_folds(n, np.array_split(order, k))


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
    y = np.asarray(y)
    n = len(y)
    _check_k(n, k)
    gen = np.random.default_rng(seed)
    # Line the samples up class by class (each class in a random order), then deal them to
    # the folds round-robin like cards: position p goes to fold p % k. A class occupies a run
    # of consecutive positions, so it is spread over the folds as evenly as possible, and so
    # is the whole line.
    _, y_idx = np.unique(y, return_inverse=True)
    line = np.concatenate([gen.permutation(np.flatnonzero(y_idx == c))
                           for c in range(y_idx.max() + 1)])
    fold_of_position = np.arange(n) % k
    folds = [line[fold_of_position == i] for i in range(k)]
    yield from _train_test_from_folds(n, folds)


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
    X, y = np.asarray(X), np.asarray(y)
    for name, values in param_grid.items():
        if len(values) == 0:
            raise ValueError(f"param_grid[{name!r}] is empty: nothing to try")
    folds = list(k_fold(len(y), k, shuffle=True, seed=seed))
    names = list(param_grid)
    results: list[tuple[dict[str, Any], float]] = []
    best_params: dict[str, Any] = {}
    best_score = -np.inf
    for values in itertools.product(*(param_grid[name] for name in names)):
        params = dict(zip(names, values, strict=True))
        accuracies = []
        for train, test in folds:
            model = make_model(**params)
            model.fit(X[train], y[train])
            accuracies.append(float(np.mean(np.asarray(model.predict(X[test])) == y[test])))
        score = float(np.mean(accuracies))
        results.append((params, score))
        if score > best_score:  # strictly better: ties keep the earlier candidate
            best_params, best_score = params, score
    return best_params, results
