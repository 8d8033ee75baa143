"""CART decision trees with Gini and entropy.

A decision tree asks one yes/no question per node ("is feature f <= t?") and predicts the
class fractions of the training samples in the leaf it reaches. You write:

- `gini` and `entropy`: how mixed a set of labels is.
- `best_split`: the question that makes the children least mixed, weighted by their sizes.
- `DecisionTreeClassifier`: grow the tree greedily with `best_split`, with the usual limits
  (max_depth, min_samples_split, min_samples_leaf), then predict.

Use NumPy and the standard library only.
"""

from __future__ import annotations

import numpy as np


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
    raise NotImplementedError("phase0.decision_tree.gini")


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
    raise NotImplementedError("phase0.decision_tree.entropy")


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
    raise NotImplementedError("phase0.decision_tree.best_split")


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
        raise NotImplementedError("phase0.decision_tree.DecisionTreeClassifier.fit")

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
        raise NotImplementedError("phase0.decision_tree.DecisionTreeClassifier.apply")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities: the class fractions of the leaf each row falls into.

        Args:
            X: (M, D) float array.

        Returns:
            (M, K) float64 array, columns in the order of classes_, rows summing to 1.
        """
        raise NotImplementedError("phase0.decision_tree.DecisionTreeClassifier.predict_proba")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted labels: the majority class of each row's leaf (ties: smallest label).

        Args:
            X: (M, D) float array.

        Returns:
            (M,) array of labels taken from classes_ (the original label values).
        """
        raise NotImplementedError("phase0.decision_tree.DecisionTreeClassifier.predict")

    def get_depth(self) -> int:
        """The depth of the fitted tree (depth_): 0 for a single leaf."""
        raise NotImplementedError("phase0.decision_tree.DecisionTreeClassifier.get_depth")

    def get_n_leaves(self) -> int:
        """The number of leaves of the fitted tree (n_leaves_)."""
        raise NotImplementedError("phase0.decision_tree.DecisionTreeClassifier.get_n_leaves")
