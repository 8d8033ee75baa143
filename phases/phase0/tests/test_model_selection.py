"""Public smoke tests for phase0.model_selection (the hidden suite is more thorough).

Oracles: scikit-learn's KFold layout written out by hand (contiguous chunks, the first n % k
one longer), set arithmetic on indices, and a brute-force loop over a tiny grid.
"""

import numpy as np

from phase0.model_selection import grid_search, k_fold, train_test_split
from shared import assert_equal, rng


def test_k_fold_without_shuffle_matches_kfold_layout():
    """K-fold without shuffling lays out its folds like scikit-learn's KFold."""
    # KFold(n_splits=3, shuffle=False) on 10 samples: chunk sizes 4, 3, 3 (10 % 3 = 1 chunk
    # gets one extra), tested in order; train is everything else, ascending.
    folds = list(k_fold(10, 3, shuffle=False))
    assert len(folds) == 3, f"k_fold(10, 3) must yield 3 folds, got {len(folds)}"
    expected_tests = [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    for i, ((train, test), want) in enumerate(zip(folds, expected_tests, strict=True)):
        assert_equal(np.asarray(test), np.array(want),
                     what=f"test indices of fold {i} of k_fold(10, 3)",
                     oracle="sklearn KFold(n_splits=3, shuffle=False) layout, written out",
                     hint="the first n % k folds get one extra index; folds are contiguous chunks")
        assert_equal(np.asarray(train), np.setdiff1d(np.arange(10), want),
                     what=f"train indices of fold {i} of k_fold(10, 3)",
                     oracle="every index not in the test fold, ascending",
                     hint="train must be all the other indices (no leakage, none dropped)")


def test_k_fold_test_folds_cover_every_index_once():
    n, k = 23, 5
    seen = []
    for i, (train, test) in enumerate(k_fold(n, k, shuffle=True, seed=3)):
        overlap = np.intersect1d(train, test)
        assert overlap.size == 0, (f"fold {i}: indices {overlap.tolist()} are in both train and "
                                   "test. Hint: leakage; train must exclude the test fold.")
        assert len(train) + len(test) == n, (
            f"fold {i}: train ({len(train)}) + test ({len(test)}) should be n={n}")
        seen.extend(np.asarray(test).tolist())
    assert sorted(seen) == list(range(n)), (
        f"the test folds of k_fold({n}, {k}) must cover 0..{n - 1} exactly once; got "
        f"{len(seen)} indices, {len(set(seen))} distinct. Hint: is the remainder or the last "
        "fold dropped?")


def test_train_test_split_sizes_and_pairs():
    """Train-test split gives the right sizes and keeps rows of X and y paired."""
    n = 40
    X = np.arange(n, dtype=float)[:, None] * np.ones((1, 3))  # row i is [i, i, i]
    y = np.arange(n) * 10
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=0)
    assert (len(X_tr), len(X_te), len(y_tr), len(y_te)) == (30, 10, 30, 10), (
        f"40 rows with test_size=0.25 should split 30/10; got X {len(X_tr)}/{len(X_te)}, "
        f"y {len(y_tr)}/{len(y_te)}")
    rows = np.concatenate([X_tr[:, 0], X_te[:, 0]]).astype(int)
    assert sorted(rows.tolist()) == list(range(n)), "every row must land in exactly one part"
    assert_equal(y_tr, X_tr[:, 0].astype(int) * 10, what="y_train paired with X_train rows",
                 oracle="y[i] = 10 * i for row i", hint="shuffle X and y with the same indices")


def test_grid_search_picks_the_best_candidate():
    # A model with no fitting at all: predict 1 when feature 0 exceeds `threshold`.
    class Threshold:
        def __init__(self, threshold):
            self.threshold = threshold

        def fit(self, X, y):
            return self

        def predict(self, X):
            return (X[:, 0] > self.threshold).astype(int)

    X = rng(0).uniform(0, 1, size=(50, 1))
    y = (X[:, 0] > 0.6).astype(int)
    # Brute force: the accuracy of a fixed rule is the same on every fold when folds are
    # equal-sized (50 / 5), so the mean CV accuracy is the accuracy on all 50 rows.
    grid = [0.2, 0.4, 0.6, 0.8]
    acc = [float(np.mean((X[:, 0] > t).astype(int) == y)) for t in grid]
    best, results = grid_search(Threshold, {"threshold": grid}, X, y, k=5, seed=0)
    assert best == {"threshold": 0.6}, f"best params should be {{'threshold': 0.6}}, got {best}"
    got = [float(s) for _, s in results]
    assert np.allclose(got, acc), (f"mean CV accuracies {got} should be {acc} (brute force). "
                                   "Hint: score = mean over folds of mean(predict == y)")
