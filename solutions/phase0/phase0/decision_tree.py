"""CART decision trees with Gini and entropy (reference solution).

Breiman, Friedman, Olshen & Stone, "Classification and Regression Trees" (1984): grow a binary
tree greedily, at each node choosing the axis-aligned split x[f] <= t that most decreases the
size-weighted impurity of the children; Quinlan's ID3/C4.5 use the entropy (information gain)
instead of the Gini impurity.
"""

from __future__ import annotations

import numpy as np

_TIE = 1e-12  # decreases closer than this count as equal


def _check_y(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels, got shape {y.shape}")
    return y


def _impurity_from_counts(counts: np.ndarray, criterion: str) -> np.ndarray:
    """Impurity of each row of class counts: (..., K) -> (...)."""
    n = counts.sum(axis=-1, keepdims=True)
    p = counts / n
    if criterion == "gini":
        return 1.0 - (p**2).sum(axis=-1)
    if criterion == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p > 0, p * np.log2(p), 0.0)  # 0 log 0 = 0
        return -terms.sum(axis=-1)
    raise ValueError(f"criterion must be 'gini' or 'entropy', got {criterion!r}")


def gini(y: np.ndarray) -> float:
    """Gini impurity of a set of labels: 1 - sum_k p_k^2.

    p_k is the fraction of labels equal to class k (only the classes present matter).
    Examples: gini([0, 1]) = 0.5, gini([3, 3, 3]) = 0.0.

    Args:
        y: (N,) array of integer labels (any integers, e.g. [-1, 7, 7]), N >= 1.

    Returns:
        a Python float in [0, 1).

    Raises:
        ValueError: if y is empty or not 1-D.
    """
    y = _check_y(y)
    _, counts = np.unique(y, return_counts=True)
    return float(_impurity_from_counts(counts.astype(np.float64), "gini"))


def entropy(y: np.ndarray) -> float:
    """Shannon entropy of a set of labels, in bits: -sum_k p_k log2 p_k.

    Classes that do not occur contribute 0 (0 log 0 = 0). Examples: entropy([0, 1]) = 1.0,
    entropy([0, 1, 2, 3]) = 2.0, entropy([5, 5]) = 0.0.

    Args:
        y: (N,) array of integer labels, N >= 1.

    Returns:
        a Python float >= 0 (bits, i.e. log base 2, not nats).

    Raises:
        ValueError: if y is empty or not 1-D.
    """
    y = _check_y(y)
    _, counts = np.unique(y, return_counts=True)
    return float(_impurity_from_counts(counts.astype(np.float64), "entropy"))


def best_split(
    X: np.ndarray, y: np.ndarray, criterion: str = "gini", min_samples_leaf: int = 1
) -> tuple[int, float, float] | None:
    """Find the axis-aligned split that most decreases the size-weighted impurity.

    Candidates: for every feature f, let v_1 < v_2 < ... be the distinct values of X[:, f];
    the candidate thresholds are the midpoints t = (v_j + v_{j+1}) / 2. A sample goes LEFT if
    X[i, f] <= t, RIGHT otherwise. A candidate is valid only if both children get at least
    min_samples_leaf samples.

    The impurity decrease of a split of n samples into n_L left and n_R right is
        I(parent) - (n_L / n) * I(left) - (n_R / n) * I(right),
    with I = gini or entropy (bits). It can be 0 (e.g. on XOR data) but never negative.

    Ties: decreases that differ by at most 1e-12 count as equal; among equally good
    candidates return the lowest feature index, then the lowest threshold.

    Args:
        X: (N, D) float array.
        y: (N,) integer labels.
        criterion: "gini" or "entropy".
        min_samples_leaf: minimum number of samples in each child, >= 1.

    Returns:
        (feature, threshold, impurity_decrease) as (int, float, float), or None if no valid
        split exists (every feature constant, or too few samples for min_samples_leaf).

    Raises:
        ValueError: if X is not 2-D, y does not have N entries, or criterion is unknown.
    """
    X = np.asarray(X, dtype=np.float64)
    y = _check_y(y)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be (N, D) with N = len(y) = {len(y)}, got shape {X.shape}")
    if criterion not in ("gini", "entropy"):
        raise ValueError(f"criterion must be 'gini' or 'entropy', got {criterion!r}")
    n = len(y)
    _, y_idx = np.unique(y, return_inverse=True)
    onehot = np.eye(y_idx.max() + 1)[y_idx]  # (N, K)
    parent = _impurity_from_counts(onehot.sum(axis=0), criterion)

    best: tuple[int, float, float] | None = None
    for f in range(X.shape[1]):
        order = np.argsort(X[:, f], kind="stable")
        xs = X[order, f]
        # Split after sorted position i puts xs[0..i] left: n_L = i + 1 for i = 0..n-2.
        left = np.cumsum(onehot[order], axis=0)[:-1]  # (n-1, K) class counts on the left
        right = left[-1] + onehot[order[-1]] - left
        n_left = np.arange(1, n)
        valid = (xs[:-1] < xs[1:])  # only between distinct values
        valid &= (n_left >= min_samples_leaf) & (n - n_left >= min_samples_leaf)
        if not valid.any():
            continue
        idx = np.flatnonzero(valid)
        w_left = n_left[idx] / n
        children = (w_left * _impurity_from_counts(left[idx], criterion)
                    + (1 - w_left) * _impurity_from_counts(right[idx], criterion))
        decrease = parent - children
        # Lowest threshold among this feature's (near-)best candidates.
        k = int(np.flatnonzero(decrease >= decrease.max() - _TIE)[0])
        j, dec = idx[k], max(float(decrease[k]), 0.0)  # rounding may give -1e-17
        if best is None or dec > best[2] + _TIE:  # a later feature must be strictly better
            best = (f, float((xs[j] + xs[j + 1]) / 2), dec)
    return best


class DecisionTreeClassifier:
    """A CART classification tree grown greedily with best_split.

    Growing rule (root at depth 0): a node becomes a leaf if it is pure (one class), or its
    depth equals max_depth, or it has fewer than min_samples_split samples, or best_split
    (with min_samples_leaf) finds no valid split. Otherwise it is split by best_split, even if
    the best impurity decrease is 0; samples with x[feature] <= threshold go left.

    A leaf predicts the class fractions of the training samples that reached it
    (predict_proba) and the most frequent of them (predict; ties go to the smallest label).
    So with max_depth=None and conflict-free data (no two equal rows with different labels)
    the tree fits the training set exactly.

    Attributes (after fit):
        classes_: (K,) sorted distinct training labels; predict_proba's columns follow it.
        n_classes_: int, K.
        depth_: int, the depth of the deepest leaf (0 for a single leaf); also get_depth().
        n_leaves_: int, the number of leaves; also get_n_leaves().
    """

    def __init__(
        self,
        criterion: str = "gini",
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
    ) -> None:
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf

    def fit(self, X: np.ndarray, y: np.ndarray) -> DecisionTreeClassifier:
        """Grow the tree on training data.

        Args:
            X: (N, D) float array.
            y: (N,) integer labels (any integers, e.g. {-1, 1} or {3, 5, 9}).

        Returns:
            self.

        Raises:
            ValueError: if X is not 2-D, len(y) != N, criterion is unknown, max_depth < 0,
                min_samples_split < 2 or min_samples_leaf < 1.
        """
        X = np.asarray(X, dtype=np.float64)
        y = _check_y(y)
        if X.ndim != 2 or X.shape[0] != y.shape[0]:
            raise ValueError(f"X must be (N, D) with N = len(y) = {len(y)}, got {X.shape}")
        if self.criterion not in ("gini", "entropy"):
            raise ValueError(f"criterion must be 'gini' or 'entropy', got {self.criterion!r}")
        if self.max_depth is not None and self.max_depth < 0:
            raise ValueError(f"max_depth must be None or >= 0, got {self.max_depth}")
        if self.min_samples_split < 2 or self.min_samples_leaf < 1:
            raise ValueError("need min_samples_split >= 2 and min_samples_leaf >= 1")

        self.classes_, y_idx = np.unique(y, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        self.n_features_in_ = X.shape[1]
        # Flat node arrays; feature -1 marks a leaf.
        self._feature: list[int] = []
        self._threshold: list[float] = []
        self._left: list[int] = []
        self._right: list[int] = []
        self._proba: list[np.ndarray] = []
        self.depth_ = 0

        root = self._new_node(y_idx)
        stack = [(root, np.arange(len(y)), 0)]  # (node id, sample indices, depth)
        while stack:
            node, idx, depth = stack.pop()
            self.depth_ = max(self.depth_, depth)
            if (len(np.unique(y_idx[idx])) == 1
                    or (self.max_depth is not None and depth >= self.max_depth)
                    or len(idx) < self.min_samples_split):
                continue
            split = best_split(X[idx], y_idx[idx], self.criterion, self.min_samples_leaf)
            if split is None:
                continue
            f, t, _ = split
            go_left = X[idx, f] <= t
            left = self._new_node(y_idx[idx[go_left]])
            right = self._new_node(y_idx[idx[~go_left]])
            self._feature[node], self._threshold[node] = f, t
            self._left[node], self._right[node] = left, right
            stack.append((right, idx[~go_left], depth + 1))
            stack.append((left, idx[go_left], depth + 1))
        self.n_leaves_ = sum(f < 0 for f in self._feature)
        return self

    def _new_node(self, y_idx: np.ndarray) -> int:
        counts = np.bincount(y_idx, minlength=self.n_classes_).astype(np.float64)
        self._feature.append(-1)
        self._threshold.append(np.nan)
        self._left.append(-1)
        self._right.append(-1)
        self._proba.append(counts / counts.sum())
        return len(self._feature) - 1

    def apply(self, X: np.ndarray) -> np.ndarray:
        """The leaf that each row of X falls into.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) int array of leaf ids: two rows get the same id exactly when they reach the
            same leaf (the id values themselves are arbitrary).

        Raises:
            ValueError: if X is not 2-D with as many columns as the training data.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have shape (M, {self.n_features_in_}), got {X.shape}")
        out = np.empty(len(X), dtype=np.int64)
        stack = [(0, np.arange(len(X)))]
        while stack:  # route whole groups of rows down the tree at once
            node, idx = stack.pop()
            f = self._feature[node]
            if f < 0:
                out[idx] = node
                continue
            go_left = X[idx, f] <= self._threshold[node]
            stack.append((self._left[node], idx[go_left]))
            stack.append((self._right[node], idx[~go_left]))
        return out

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities: the class fractions of the leaf each row falls into.

        Args:
            X: (M, D) float array.

        Returns:
            (M, K) float64 array, columns in the order of classes_, rows summing to 1.
        """
        return np.stack(self._proba)[self.apply(X)]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted labels: the majority class of each row's leaf (ties: smallest label).

        Args:
            X: (M, D) float array.

        Returns:
            (M,) array of labels taken from classes_ (the original label values).
        """
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def get_depth(self) -> int:
        """The depth of the fitted tree (depth_): 0 for a single leaf."""
        return self.depth_

    def get_n_leaves(self) -> int:
        """The number of leaves of the fitted tree (n_leaves_)."""
        return self.n_leaves_
