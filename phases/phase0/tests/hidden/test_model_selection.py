"""Hidden tests for phase0.model_selection.

Oracles: scikit-learn's KFold layout written out here (contiguous chunks of the index order,
the first n % k one longer, as numpy.array_split cuts them), set arithmetic on indices,
floor/ceil bounds on class counts, and a brute-force loop over a small grid with a tiny
deterministic model defined in this file.
"""

import itertools

import numpy as np
import pytest

from phase0.model_selection import grid_search, k_fold, stratified_k_fold, train_test_split
from shared import assert_close, assert_equal, rng

# --- helpers -------------------------------------------------------------------------------


def _as_int_list(a) -> list[int]:
    return [int(v) for v in np.asarray(a).ravel()]


def _check_folds(folds, n: int, k: int, what: str) -> None:
    """k folds; train and test disjoint and together 0..n-1; test folds cover 0..n-1 once."""
    assert len(folds) == k, f"{what}: expected {k} folds, got {len(folds)}"
    seen: list[int] = []
    for i, (train, test) in enumerate(folds):
        train, test = _as_int_list(train), _as_int_list(test)
        leak = sorted(set(train) & set(test))
        assert not leak, (f"{what}, fold {i}: indices {leak[:10]} are in both train and test. "
                          "Hint: leakage; train must be every index NOT in the test fold.")
        assert sorted(train + test) == list(range(n)), (
            f"{what}, fold {i}: train ({len(train)}) and test ({len(test)}) together should be "
            f"0..{n - 1}, each once. Hint: an index is dropped or repeated.")
        seen += test
    missing = sorted(set(range(n)) - set(seen))
    assert not missing and len(seen) == n, (
        f"{what}: the test folds must cover 0..{n - 1} exactly once; missing {missing[:10]}, "
        f"{len(seen) - len(set(seen))} repeated. Hint: was the last fold, the remainder n % k or "
        "a class left out?")


def _kfold_layout(n: int, k: int) -> list[np.ndarray]:
    """scikit-learn's KFold(shuffle=False) test folds, written out: contiguous chunks, the
    first n % k of size n // k + 1, the rest n // k."""
    sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    stops = np.cumsum(sizes)
    return [np.arange(stop - size, stop) for size, stop in zip(sizes, stops, strict=True)]


def _fold_tests(folds) -> list[list[int]]:
    return [sorted(_as_int_list(test)) for _, test in folds]


# --- train_test_split ----------------------------------------------------------------------


@pytest.mark.parametrize("n, test_size, n_test", [(40, 0.25, 10), (10, 0.25, 3), (7, 0.5, 4),
                                                  (30, 7, 7), (5, 1, 1)])
def test_split_sizes_follow_ceil_rule(n, test_size, n_test):
    """Split sizes follow the documented rounding-up rule."""
    X = rng(1).normal(size=(n, 2))
    y = np.arange(n)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, seed=0)
    got = (len(X_tr), len(X_te), len(y_tr), len(y_te))
    assert got == (n - n_test, n_test, n - n_test, n_test), (
        f"train_test_split of {n} rows with test_size={test_size!r}: expected train/test sizes "
        f"{n - n_test}/{n_test} (a fraction rounds up: ceil(test_size * N); an int is a count), "
        f"got X {got[0]}/{got[1]}, y {got[2]}/{got[3]}")


def test_split_partitions_rows_and_keeps_pairs():
    n = 37
    ids = rng(2).permutation(1000)[:n]  # distinct labels, so each y pins down its row
    X = np.stack([ids * 1.0, -ids * 1.0], axis=1)[:, :, None] * np.ones((1, 1, 3))  # (n, 2, 3)
    y = ids
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, seed=5)
    assert X_tr.shape[1:] == (2, 3) and X_te.shape[1:] == (2, 3), (
        f"rows of X of shape (N, 2, 3) must keep their shape; got {X_tr.shape} and {X_te.shape}")
    all_y = sorted(_as_int_list(y_tr) + _as_int_list(y_te))
    assert all_y == sorted(ids.tolist()), (
        "every row must go to exactly one part (train or test): some row is lost or repeated")
    assert_equal(X_tr[:, 0, 0].astype(int), y_tr, what="X_train rows against y_train",
                 oracle="the row each label came from", hint="index X and y with the same order")
    assert_equal(X_te[:, 0, 0].astype(int), y_te, what="X_test rows against y_test",
                 oracle="the row each label came from", hint="index X and y with the same order")


def test_split_is_seeded_and_ignores_global_state():
    X = np.arange(60.0)[:, None]
    y = np.arange(60)
    np.random.seed(1)
    a = train_test_split(X, y, test_size=0.2, seed=7)[3]
    np.random.seed(2)
    b = train_test_split(X, y, test_size=0.2, seed=7)[3]
    assert sorted(_as_int_list(a)) == sorted(_as_int_list(b)), (
        "the same seed must give the same split, whatever NumPy's global generator holds. "
        "Hint: draw from np.random.default_rng(seed), not np.random.*")
    tests = {tuple(sorted(_as_int_list(train_test_split(X, y, test_size=0.2, seed=s)[3])))
             for s in range(5)}
    # Two seeds giving the same 12-of-60 subset has probability 1 / C(60, 12) ~ 7e-13.
    assert len(tests) == 5, (
        f"5 different seeds gave only {len(tests)} different test sets. Hint: is the seed "
        "ignored, or are the rows not shuffled (the test set is always the last rows)?")


def test_stratified_split_keeps_class_shares():
    counts = {0: 50, 3: 31, 7: 12, 9: 4}
    y = np.concatenate([np.full(c, label) for label, c in counts.items()])
    y = y[rng(3).permutation(len(y))]
    X = np.arange(len(y), dtype=float)[:, None]
    n, n_test = len(y), 23
    for seed in range(3):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=n_test, stratify=True, seed=seed)
        assert len(y_te) == n_test, f"the test part must have {n_test} rows, got {len(y_te)}"
        assert_equal(y_te, y[X_te[:, 0].astype(int)], what="stratified split: y_test vs X_test",
                     oracle="the labels of the rows in X_test", hint="keep X and y paired")
        for label, c in counts.items():
            got = int(np.sum(y_te == label))
            share = c * n_test / n
            assert np.floor(share) <= got <= np.ceil(share), (
                f"stratified split (seed {seed}): class {label} has {c} of {n} rows, so the "
                f"test part should hold floor or ceil of {share:.2f}; it holds {got}. "
                "Hint: split each class separately, in proportion.")


def test_stratified_split_is_random_within_classes():
    y = np.repeat([0, 1], 30)
    X = np.arange(60.0)[:, None]
    tests = {tuple(sorted(X_te[:, 0].astype(int).tolist()))
             for X_te in (train_test_split(X, y, 0.2, stratify=True, seed=s)[1] for s in range(4))}
    # 12 of 60, 6 per class: two seeds agree with probability 1 / C(30, 6)^2 ~ 2e-11.
    assert len(tests) == 4, ("a stratified split must still shuffle each class with the seed; "
                             f"4 seeds gave {len(tests)} distinct test sets")


@pytest.mark.parametrize("test_size", [0, 10, 0.0, 1.0, 1.5])
def test_split_rejects_bad_test_size(test_size):
    X, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(ValueError):
        train_test_split(X, y, test_size=test_size)


def test_split_rejects_length_mismatch():
    with pytest.raises(ValueError):
        train_test_split(np.zeros((10, 2)), np.zeros(9), test_size=0.2)


# --- k_fold --------------------------------------------------------------------------------


@pytest.mark.parametrize("n, k", [(10, 3), (12, 4), (7, 7), (17, 5), (100, 6)])
def test_k_fold_without_shuffle_has_kfold_index_parity(n, k):
    """K-fold without shuffling gives the same folds as scikit-learn's KFold."""
    folds = list(k_fold(n, k, shuffle=False, seed=123))
    _check_folds(folds, n, k, f"k_fold({n}, {k}, shuffle=False)")
    for i, ((train, test), want) in enumerate(zip(folds, _kfold_layout(n, k), strict=True)):
        assert_equal(np.asarray(test), want, what=f"test indices of fold {i}, k_fold({n}, {k})",
                     oracle="sklearn KFold(shuffle=False) layout written out",
                     hint="contiguous chunks; the first n % k folds get one extra index")
        assert_equal(np.asarray(train), np.setdiff1d(np.arange(n), want),
                     what=f"train indices of fold {i}, k_fold({n}, {k})",
                     oracle="the complement of the test fold, ascending",
                     hint="train is every other index, sorted ascending")


@pytest.mark.parametrize("n, k", [(10, 3), (23, 5), (9, 9), (50, 4)])
def test_k_fold_with_shuffle_partitions_every_index(n, k):
    _check_folds(list(k_fold(n, k, shuffle=True, seed=11)), n, k,
                 f"k_fold({n}, {k}, shuffle=True)")


@pytest.mark.parametrize("shuffle", [False, True])
def test_k_fold_sizes_put_the_extra_in_the_first_folds(shuffle):
    n, k = 23, 5  # 23 = 4*5 + 3: sizes 5, 5, 5, 4, 4
    sizes = [len(test) for _, test in k_fold(n, k, shuffle=shuffle, seed=0)]
    assert sizes == [5, 5, 5, 4, 4], (
        f"k_fold(23, 5, shuffle={shuffle}) test fold sizes should be [5, 5, 5, 4, 4] (the first "
        f"n % k folds get one extra, like numpy.array_split); got {sizes}")


def test_k_fold_returns_sorted_indices_with_shuffle():
    for i, (train, test) in enumerate(k_fold(30, 4, shuffle=True, seed=2)):
        for name, idx in (("train", train), ("test", test)):
            idx = np.asarray(idx)
            assert np.all(np.diff(idx) > 0), (
                f"fold {i}: {name} indices must be sorted ascending (as KFold returns them); "
                f"got {idx.tolist()[:12]}...")


def test_k_fold_shuffle_is_seeded():
    n, k = 40, 4
    a = _fold_tests(k_fold(n, k, shuffle=True, seed=1))
    np.random.seed(99)  # the global generator must not matter
    b = _fold_tests(k_fold(n, k, shuffle=True, seed=1))
    assert a == b, "k_fold with the same seed must give the same folds (use default_rng(seed))"
    c = _fold_tests(k_fold(n, k, shuffle=True, seed=2))
    # Two seeds giving the same first fold: 1 / C(40, 10) ~ 1e-9.
    assert a != c, "k_fold with seeds 1 and 2 gave the same folds. Hint: is the seed ignored?"
    plain = [t.tolist() for t in _kfold_layout(n, k)]
    assert a != plain, ("k_fold(shuffle=True) gave the unshuffled folds. Hint: permute the "
                        "indices before cutting when shuffle is True.")


def test_k_fold_without_shuffle_ignores_seed():
    a = _fold_tests(k_fold(20, 3, shuffle=False, seed=0))
    b = _fold_tests(k_fold(20, 3, shuffle=False, seed=5))
    assert a == b, "with shuffle=False the folds must not depend on the seed"


@pytest.mark.parametrize("n, k", [(10, 1), (10, 0), (5, 6)])
def test_k_fold_rejects_bad_k(n, k):
    with pytest.raises(ValueError):
        list(k_fold(n, k))


# --- stratified_k_fold ---------------------------------------------------------------------


def _imbalanced_labels(seed: int) -> np.ndarray:
    # Four classes of 41, 23, 9 and 3 samples, labels not 0..C-1, shuffled.
    y = np.concatenate([np.full(41, 2), np.full(23, 5), np.full(9, -1), np.full(3, 8)])
    return y[rng(seed).permutation(len(y))]


@pytest.mark.parametrize("k", [2, 3, 5])
def test_stratified_folds_partition_every_index(k):
    y = _imbalanced_labels(0)
    _check_folds(list(stratified_k_fold(y, k, seed=0)), len(y), k, f"stratified_k_fold(k={k})")


@pytest.mark.parametrize("k", [3, 5])
def test_stratified_folds_keep_class_proportions(k):
    y = _imbalanced_labels(1)
    n = len(y)
    for i, (_, test) in enumerate(stratified_k_fold(y, k, seed=4)):
        yt = y[np.asarray(test, dtype=int)]
        assert n // k <= len(yt) <= -(-n // k), (
            f"stratified fold {i} (k={k}, N={n}) has {len(yt)} samples; each fold should have "
            f"floor(N/k)={n // k} or ceil(N/k)={-(-n // k)}. Hint: if you split each class "
            "separately, don't give every class's extra samples to the same first folds.")
        for label in np.unique(y):
            n_c = int(np.sum(y == label))
            got = int(np.sum(yt == label))
            assert n_c // k <= got <= -(-n_c // k), (
                f"stratified fold {i} (k={k}): class {label} has {n_c} samples in all, so each "
                f"fold should hold floor({n_c}/{k})={n_c // k} or ceil={-(-n_c // k)} of them; "
                f"this fold holds {got}. Hint: spread every class, including small ones, over "
                "the folds evenly.")


def test_stratified_folds_spread_a_rare_class_one_per_fold():
    y = np.array([0] * 20 + [1] * 5)
    for i, (_, test) in enumerate(stratified_k_fold(y, 5, seed=0)):
        got = int(np.sum(y[np.asarray(test, dtype=int)] == 1))
        assert got == 1, (f"5 samples of class 1 over 5 folds: fold {i} should hold exactly one, "
                          f"holds {got}")


def test_stratified_folds_are_seeded():
    y = _imbalanced_labels(2)
    a = _fold_tests(stratified_k_fold(y, 4, seed=3))
    b = _fold_tests(stratified_k_fold(y, 4, seed=3))
    c = _fold_tests(stratified_k_fold(y, 4, seed=4))
    assert a == b, "stratified_k_fold with the same seed must give the same folds"
    # The 41 samples of the biggest class alone make agreement of two seeds ~1e-20 likely.
    assert a != c, "stratified_k_fold with seeds 3 and 4 gave the same folds: seed ignored?"


def test_stratified_folds_return_sorted_indices():
    for i, (train, test) in enumerate(stratified_k_fold(_imbalanced_labels(3), 3, seed=0)):
        for name, idx in (("train", train), ("test", test)):
            assert np.all(np.diff(np.asarray(idx)) > 0), (
                f"stratified fold {i}: {name} indices must be sorted ascending")


@pytest.mark.parametrize("k", [1, 77])
def test_stratified_rejects_bad_k(k):
    """Stratified folds reject an invalid number of folds."""
    with pytest.raises(ValueError):
        list(stratified_k_fold(_imbalanced_labels(0), k))  # 76 samples


# --- grid_search ---------------------------------------------------------------------------


class _Stump:
    """A tiny deterministic learner: threshold feature `feature` at the training mean plus
    `shift`; predict the training majority label above and the other label below.
    Column 0 of X holds the row id, which the stump never uses but logs."""

    def __init__(self, log, feature=1, shift=0.0, tag="a"):
        self.log, self.feature, self.shift, self.tag = log, feature, shift, tag
        self.fitted = False

    def fit(self, X, y):
        assert not self.fitted, ("grid_search must build a fresh model with make_model(**params) "
                                 "for every fold; fit was called twice on one model")
        self.fitted = True
        X, y = np.asarray(X), np.asarray(y)
        self.log.append(({"feature": self.feature, "shift": self.shift, "tag": self.tag},
                         frozenset(X[:, 0].astype(int).tolist())))
        self.thr = X[:, self.feature].mean() + self.shift
        above = y[X[:, self.feature] > self.thr]
        self.hi = int(np.round(above.mean())) if len(above) else 1
        return self

    def predict(self, X):
        return np.where(np.asarray(X)[:, self.feature] > self.thr, self.hi, 1 - self.hi)


def _stump_data(n=53, seed=0):
    g = rng(seed)
    X = np.column_stack([np.arange(n), g.normal(size=(n, 3))])
    y = ((X[:, 2] + 0.6 * g.normal(size=n)) > 0.3).astype(int)  # feature 2 is informative
    return X, y


def _brute_force(X, y, folds, params):
    """Mean over folds of the stump's accuracy, computed here."""
    accs = []
    for train, test in folds:
        m = _Stump([], **params).fit(X[train], y[train])
        accs.append(np.mean(m.predict(X[test]) == y[test]))
    return float(np.mean(accs))


def _folds_from_log(log, n, params):
    trains = [ids for p, ids in log if p == params]
    return [(np.array(sorted(t)), np.array(sorted(set(range(n)) - t))) for t in trains]


def _run_grid(grid, X, y, k=5, seed=0):
    log = []
    best, results = grid_search(lambda **p: _Stump(log, **p), grid, X, y, k=k, seed=seed)
    return best, results, log


def test_grid_search_returns_the_brute_force_argmax():
    X, y = _stump_data()
    n, k = len(y), 5
    grid = {"feature": [1, 2, 3], "shift": [-0.5, 0.0, 0.5]}
    best, results, log = _run_grid(grid, X, y, k=k, seed=0)
    candidates = [dict(zip(grid, v, strict=True)) for v in itertools.product(*grid.values())]
    first = {**candidates[0], "tag": "a"}
    folds = _folds_from_log(log, n, first)
    _check_folds(folds, n, k, "the folds grid_search fitted on (seen through the model's fit)")
    first_trains = {t for p, t in log if p == first}
    for c in candidates:
        trains = {t for p, t in log if p == {**c, "tag": "a"}}
        assert trains == first_trains, (
            f"candidate {c} was not fitted on the same k folds as candidate {candidates[0]}. "
            "Hint: cut the folds once and score every candidate on them.")
    expected = [_brute_force(X, y, folds, {**c, "tag": "a"}) for c in candidates]
    assert len(results) == len(candidates), (
        f"results should have one entry per candidate ({len(candidates)}), got {len(results)}")
    assert [dict(p) for p, _ in results] == candidates, (
        "results must list the candidates in itertools.product order over the keys in "
        f"insertion order; got {[p for p, _ in results]}")
    assert_close(np.array([s for _, s in results], dtype=float), np.array(expected),
                 what="mean CV accuracy of each candidate",
                 oracle="a brute-force loop over the same folds in the test",
                 hint="score = plain mean over the k folds of mean(predict(X_test) == y_test)")
    want = candidates[int(np.argmax(expected))]
    worst = candidates[int(np.argmin(expected))]
    assert expected.count(max(expected)) == 1 and want != worst  # the data make the test sharp
    assert best == want, (f"best params should be {want} (highest mean CV accuracy "
                          f"{max(expected):.3f}), got {best}" +
                          (" (the WORST candidate: argmin instead of argmax?)" if best == worst
                           else ""))


def test_grid_search_breaks_ties_by_grid_order():
    X, y = _stump_data(seed=1)
    # `tag` does not change the stump's predictions: the two tags always tie, and the first
    # in the grid order ("b" before "a", insertion order, not sorted) must win.
    grid = {"tag": ["b", "a"], "feature": [1, 2], "shift": [0.0]}
    best, results, _ = _run_grid(grid, X, y, k=4, seed=3)
    expected_order = [{"tag": t, "feature": f, "shift": 0.0}
                      for t, f in itertools.product(["b", "a"], [1, 2])]
    assert [dict(p) for p, _ in results] == expected_order, (
        "candidates must follow itertools.product over the keys in the dict's insertion order "
        f"(not sorted keys); expected {expected_order}, got {[p for p, _ in results]}")
    scores = [s for _, s in results]
    assert scores[0] == scores[2] and scores[1] == scores[3], "tags must not change the scores"
    assert scores[1] != scores[0], "feature 1 and 2 should score differently on this data"
    top = 0 if scores[0] > scores[1] else 1
    assert best == expected_order[top], (
        f"on a tie the first candidate in grid order wins: expected {expected_order[top]}, got "
        f"{best}. Hint: replace the best only when strictly better.")


def test_grid_search_folds_come_from_k_fold_with_the_seed():
    X, y = _stump_data(n=31)
    n = len(y)
    grid = {"feature": [2]}
    used = {}
    for seed in (0, 1):
        _, _, log = _run_grid(grid, X, y, k=4, seed=seed)
        folds = _folds_from_log(log, n, {"feature": 2, "shift": 0.0, "tag": "a"})
        _check_folds(folds, n, 4, f"the folds grid_search(k=4, seed={seed}) fitted on")
        used[seed] = sorted(_fold_tests(folds))
        want = sorted(_fold_tests(k_fold(n, 4, shuffle=True, seed=seed)))
        assert used[seed] == want, (
            f"grid_search(k=4, seed={seed}) should score on k_fold(N, 4, shuffle=True, "
            f"seed={seed}); its test folds differ. Hint: pass k and seed through, shuffle=True.")
    assert used[0] != used[1], "grid_search with seeds 0 and 1 used the same folds: seed ignored?"


def test_grid_search_rejects_an_empty_value_list():
    X, y = _stump_data()
    with pytest.raises(ValueError):
        grid_search(lambda **p: _Stump([], **p), {"feature": [1], "shift": []}, X, y)


def test_grid_search_with_an_empty_grid_scores_one_default_model():
    X, y = _stump_data()
    best, results, log = _run_grid({}, X, y, k=3, seed=0)
    assert best == {} and len(results) == 1, (
        f"an empty grid has one candidate, {{}}; got best={best}, {len(results)} results")
    folds = _folds_from_log(log, len(y), {"feature": 1, "shift": 0.0, "tag": "a"})
    assert_close(results[0][1], _brute_force(X, y, folds, {}),
                 what="mean CV accuracy of the single default candidate",
                 oracle="a brute-force loop over the same folds")
