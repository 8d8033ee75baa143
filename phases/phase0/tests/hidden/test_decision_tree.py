"""Hidden tests for phase0.decision_tree: CART with Gini and entropy.

Oracles: torch.distributions.Categorical's entropy, the Gini closed form, a brute-force split
search written here (every feature, every midpoint, size-weighted impurities), and a small
recursive reference tree built from that brute force with the documented growing rule.
"""

import math

import numpy as np
import pytest
import torch

from phase0.decision_tree import DecisionTreeClassifier, best_split, entropy, gini
from shared import assert_close, assert_equal, rng

# ----------------------------------------------------------------------------------------------
# oracles


def _probs(y):
    _, counts = np.unique(np.asarray(y), return_counts=True)
    return counts / counts.sum()


def _gini(y):
    return 1.0 - float((_probs(y) ** 2).sum())


def _entropy_bits(y):
    p = torch.as_tensor(_probs(y), dtype=torch.float64)
    return float(torch.distributions.Categorical(probs=p).entropy()) / math.log(2)


_IMPURITY = {"gini": _gini, "entropy": _entropy_bits}


def _all_splits(X, y, criterion, min_samples_leaf=1):
    """Every valid (decrease, feature, threshold), by brute force."""
    imp = _IMPURITY[criterion]
    out = []
    for f in range(X.shape[1]):
        v = np.unique(X[:, f])
        for t in (v[:-1] + v[1:]) / 2:
            left, right = y[X[:, f] <= t], y[X[:, f] > t]
            if min(len(left), len(right)) < min_samples_leaf:
                continue
            dec = imp(y) - len(left) / len(y) * imp(left) - len(right) / len(y) * imp(right)
            out.append((dec, f, float(t)))
    return out


def _brute_force_best(X, y, criterion, min_samples_leaf=1):
    splits = _all_splits(X, y, criterion, min_samples_leaf)
    if not splits:
        return None
    top = max(s[0] for s in splits)
    f, t = min((f, t) for d, f, t in splits if d >= top - 1e-9)  # lowest feature, threshold
    return f, t, top


def _reference_tree(X, y, criterion, max_depth, min_split, min_leaf, depth=0):
    """Nested dicts following the documented growing rule, with brute-force splits."""
    classes, counts = np.unique(y, return_counts=True)
    leaf = {"counts": dict(zip(classes.tolist(), counts.tolist(), strict=True)), "n": len(y)}
    if (len(classes) == 1 or (max_depth is not None and depth >= max_depth)
            or len(y) < min_split):
        return leaf
    split = _brute_force_best(X, y, criterion, min_leaf)
    if split is None:
        return leaf
    f, t, _ = split
    go = X[:, f] <= t
    return {"f": f, "t": t,
            "L": _reference_tree(X[go], y[go], criterion, max_depth, min_split, min_leaf,
                                 depth + 1),
            "R": _reference_tree(X[~go], y[~go], criterion, max_depth, min_split, min_leaf,
                                 depth + 1)}


def _reference_proba(node, x, classes):
    while "f" in node:
        node = node["L"] if x[node["f"]] <= node["t"] else node["R"]
    return np.array([node["counts"].get(c, 0) for c in classes]) / node["n"]


def _depth(node):
    return 0 if "f" not in node else 1 + max(_depth(node["L"]), _depth(node["R"]))


def _leaves(node):
    return 1 if "f" not in node else _leaves(node["L"]) + _leaves(node["R"])


def _noisy_data(seed, n=80, d=3, k=3):
    g = rng(seed)
    X = np.round(g.standard_normal((n, d)) * 2, 1)  # rounded: repeated values, many ties
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, -1] > 1).astype(int)
    flip = g.random(n) < 0.2
    y[flip] = g.integers(0, k, flip.sum())
    return X, np.array([-3, 4, 10])[y]  # arbitrary integer labels


def _remove_conflicts(X, y):
    _, first = np.unique(X, axis=0, return_index=True)
    keep = np.sort(first)
    return X[keep], y[keep]


# ----------------------------------------------------------------------------------------------
# impurities


def test_gini_matches_closed_form_on_random_labels():
    g = rng(1)
    for n, k in [(1, 1), (7, 2), (50, 3), (200, 6)]:
        y = g.integers(0, k, n) * 3 - 5
        assert_close(gini(y), _gini(y), rtol=1e-12, atol=1e-12,
                     what=f"gini of {n} random labels from {k} classes",
                     oracle="1 - sum_k p_k^2 with numpy class fractions",
                     hint="p_k are the fractions of each distinct label")


def test_entropy_is_in_bits_and_matches_torch():
    g = rng(2)
    for n, k in [(1, 1), (9, 2), (60, 5), (300, 8)]:
        y = g.integers(0, k, n) - 2
        assert_close(entropy(y), _entropy_bits(y), rtol=1e-12, atol=1e-12,
                     what=f"entropy of {n} random labels from {k} classes",
                     oracle="torch.distributions.Categorical(probs).entropy() / ln 2",
                     hint="entropy is -sum p log2 p (bits); classes that are absent add 0")
    expected = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    assert_close(entropy(np.array([0, 0, 0, 1])), expected,
                 what="entropy([0, 0, 0, 1])", oracle="-(3/4 log2 3/4 + 1/4 log2 1/4)")


def test_impurities_accept_any_integer_labels_and_return_floats():
    y = np.array([-7, 100, 100, 3, -7, 100])
    g, h = gini(y), entropy(y)
    assert isinstance(g, float) and isinstance(h, float), (
        f"gini and entropy must return Python floats, got {type(g)} and {type(h)}")
    assert_close(g, _gini(y), what="gini of labels [-7, 100, 100, 3, -7, 100]",
                 oracle="closed form", hint="count the distinct labels, not range(max(y) + 1)")
    assert_close(h, _entropy_bits(y), what="entropy of labels [-7, 100, 100, 3, -7, 100]",
                 oracle="torch Categorical entropy in bits")


def test_impurities_reject_empty_labels():
    for fn in (gini, entropy):
        with pytest.raises(ValueError):
            fn(np.array([], dtype=int))


# ----------------------------------------------------------------------------------------------
# best_split


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("min_samples_leaf", [1, 4])
def test_best_split_matches_brute_force(criterion, min_samples_leaf):
    for seed in range(6):
        X, y = _noisy_data(10 + seed, n=40 + 7 * seed, d=2 + seed % 3)
        got = best_split(X, y, criterion, min_samples_leaf)
        f, t, dec = _brute_force_best(X, y, criterion, min_samples_leaf)
        case = (f"best_split on {len(y)} noisy samples, {X.shape[1]} features with repeated "
                f"values (seed {seed}, criterion={criterion!r}, "
                f"min_samples_leaf={min_samples_leaf})")
        assert got is not None, f"{case}: returned None but valid splits exist"
        assert_close(got[2], dec, rtol=1e-10, atol=1e-12, what=f"{case}: impurity decrease",
                     oracle="a brute-force search over every feature and midpoint",
                     hint="weight each child's impurity by its share n_child / n")
        assert (got[0], got[1]) == pytest.approx((f, t), abs=1e-12), (
            f"{case}: chose feature {got[0]} threshold {got[1]}, expected feature {f} "
            f"threshold {t} (brute force; ties go to the lowest feature, then the lowest "
            "threshold). Hint: thresholds are midpoints of consecutive distinct values, "
            "x <= t goes left, both children need min_samples_leaf samples")


def test_best_split_weights_children_by_their_size():
    X = np.arange(6.0)[:, None]
    y = np.array([1, 1, 0, 1, 1, 1])
    f, t, dec = _brute_force_best(X, y, "gini")
    got = best_split(X, y, "gini")
    assert got is not None and got[1] == pytest.approx(t), (
        f"on X = 0..5 with y = {y.tolist()} the size-weighted Gini decrease is largest at "
        f"t = {t} (decrease {dec:.4f}), but best_split chose t = {got and got[1]}. Hint: the "
        "children's impurities are weighted by n_left / n and n_right / n; an unweighted "
        "average favours splitting off a single pure sample")
    assert_close(got[2], dec, what="weighted impurity decrease",
                 oracle="gini(parent) - 3/6 gini(left) - 3/6 gini(right)")


def test_best_split_threshold_is_a_midpoint_and_equal_values_go_left():
    X = np.array([[0.0], [2.0], [2.0], [6.0], [6.0]])
    y = np.array([0, 0, 0, 1, 1])
    f, t, dec = best_split(X, y, "entropy")
    assert f == 0 and t == pytest.approx(4.0), (
        f"the classes split between 2 and 6: the threshold must be their midpoint 4.0, got "
        f"{t}. Hint: use (v_j + v_(j+1)) / 2 over DISTINCT sorted values, not a data value")
    assert_close(dec, 1.0 * _entropy_bits(y), what="entropy decrease of the perfect split",
                 oracle="entropy(parent) - 0")
    # A partition can only change between distinct values: with 0, 2, 2, 6, 6 the
    # candidates are 1 and 4; x == t never happens for a midpoint, and x <= t goes left.
    X2 = np.array([[1.0], [3.0], [3.0], [5.0]])
    y2 = np.array([0, 1, 1, 1])
    f2, t2, dec2 = best_split(X2, y2, "gini")
    assert t2 == pytest.approx(2.0), (
        f"values 1, 3, 3, 5 with labels 0, 1, 1, 1: the best cut is between 1 and 3, so t = 2.0; "
        f"got {t2}. Hint: a threshold equal to a data value (3) would send the 3s left")
    assert_close(dec2, _gini(y2), what="decrease of the perfect split on [1, 3, 3, 5]",
                 oracle="gini(parent) - 0")


def test_best_split_ties_go_to_lowest_feature_then_lowest_threshold():
    # Symmetric labels: t = 1.5 and t = 3.5 give the same decrease on each feature, and
    # feature 1 equals feature 0 shifted, so every candidate has a twin: the answer is (0, 1.5).
    x = np.array([1.0, 2.0, 3.0, 4.0])
    X = np.column_stack([x, x + 10.0])
    y = np.array([0, 1, 1, 0])
    got = best_split(X, y, "gini")
    assert got is not None and got[0] == 0 and got[1] == pytest.approx(1.5), (
        f"equal decreases must go to the lowest feature index, then the lowest threshold: "
        f"expected (0, 1.5), got {got and got[:2]}")
    # Reversed feature order: now feature 1 holds the lower copy; still feature 0 wins.
    got_rev = best_split(X[:, ::-1].copy(), y, "gini")
    assert got_rev is not None and got_rev[0] == 0 and got_rev[1] == pytest.approx(11.5), (
        f"with the columns swapped the best tied split is (0, 11.5), got {got_rev and got_rev[:2]}")


def test_best_split_respects_min_samples_leaf():
    X = np.arange(10.0)[:, None]
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    got1 = best_split(X, y, "gini", min_samples_leaf=1)
    assert got1 is not None and got1[1] == pytest.approx(0.5), (
        f"with min_samples_leaf=1 the pure split isolates the first sample (t = 0.5), got {got1}")
    got3 = best_split(X, y, "gini", min_samples_leaf=3)
    f, t, dec = _brute_force_best(X, y, "gini", min_samples_leaf=3)
    assert got3 is not None and got3[1] == pytest.approx(t), (
        f"with min_samples_leaf=3 each child needs 3 samples: the best allowed threshold is "
        f"{t}, got {got3 and got3[1]}")
    assert best_split(X, y, "gini", min_samples_leaf=6) is None, (
        "10 samples cannot give two children of 6: best_split must return None")


def test_best_split_returns_none_when_every_feature_is_constant():
    X = np.full((5, 3), 2.5)
    assert best_split(X, np.array([0, 1, 0, 1, 1]), "gini") is None, (
        "every feature is constant, so no threshold separates anything: return None")


def test_gini_and_entropy_can_choose_different_splits():
    X = np.array([5.0, 1.0, 2.0, 3.0, 3.0, 2.0, 0.0, 5.0])[:, None]
    y = np.array([2, 0, 2, 2, 0, 1, 1, 0])
    for criterion in ("gini", "entropy"):
        f, t, dec = _brute_force_best(X, y, criterion)
        got = best_split(X, y, criterion)
        assert got is not None and got[1] == pytest.approx(t), (
            f"criterion={criterion!r}: expected threshold {t} (brute force), got "
            f"{got and got[1]}. Hint: the criterion argument must select the impurity")
        assert_close(got[2], dec, what=f"decrease with criterion={criterion!r}",
                     oracle="brute force")


def test_best_split_rejects_bad_inputs():
    with pytest.raises(ValueError):
        best_split(np.zeros(4), np.zeros(4, dtype=int))
    with pytest.raises(ValueError):
        best_split(np.zeros((4, 2)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError):
        best_split(np.arange(8.0).reshape(4, 2), np.array([0, 1, 0, 1]), criterion="mse")


# ----------------------------------------------------------------------------------------------
# the tree


def test_fit_returns_self_and_exposes_depth():
    X, y = _noisy_data(20)
    tree = DecisionTreeClassifier(max_depth=2)
    assert tree.fit(X, y) is tree, "fit must return self"
    assert tree.get_depth() == tree.depth_, "get_depth() must return depth_"
    assert tree.get_n_leaves() == tree.n_leaves_, "get_n_leaves() must return n_leaves_"
    assert_equal(np.asarray(tree.classes_), np.array([-3, 4, 10]), what="classes_",
                 oracle="the sorted distinct training labels")


# max_depth=None: a wrong threshold that leaves a child empty would grow forever, so these
# tests carry a timeout; the others pass a finite max_depth that the data never reaches.
@pytest.mark.timeout(60)
@pytest.mark.parametrize("criterion", ["gini", "entropy"])
def test_unlimited_depth_fits_conflict_free_data(criterion):
    for seed in range(3):
        X, y = _remove_conflicts(*_noisy_data(30 + seed, n=150))
        tree = DecisionTreeClassifier(criterion=criterion).fit(X, y)
        acc = float(np.mean(np.asarray(tree.predict(X)) == y))
        assert acc == 1.0, (
            f"criterion={criterion!r}, seed={seed}: a tree with no limits must fit "
            f"conflict-free training data exactly, got accuracy {acc:.3f}. Hint: keep "
            "splitting impure nodes (even when the best decrease is 0) and predict the majority")


@pytest.mark.timeout(60)
def test_tree_splits_even_when_the_best_decrease_is_zero():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])  # XOR: every single split has impurity decrease 0
    tree = DecisionTreeClassifier().fit(X, y)
    assert_equal(np.asarray(tree.predict(X)), y, what="predict on the 4 XOR points",
                 oracle="the labels (XOR is fitted by depth 2)",
                 hint="split an impure node even if the best decrease is 0")
    assert tree.get_depth() == 2, f"the XOR tree has depth 2, got {tree.get_depth()}"


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("max_depth", [0, 1, 2, 3, 5])
def test_tree_matches_a_reference_built_from_brute_force_splits(criterion, max_depth):
    """The fitted tree equals a tree grown with a brute-force split search."""
    X, y = _noisy_data(40 + max_depth, n=90)
    tree = DecisionTreeClassifier(criterion=criterion, max_depth=max_depth).fit(X, y)
    ref = _reference_tree(X, y, criterion, max_depth, 2, 1)
    assert tree.get_depth() == _depth(ref), (
        f"max_depth={max_depth}: expected depth {_depth(ref)} (root at depth 0), got "
        f"{tree.get_depth()}. Hint: a node at depth == max_depth is a leaf")
    assert tree.get_n_leaves() == _leaves(ref), (
        f"max_depth={max_depth}: expected {_leaves(ref)} leaves, got {tree.get_n_leaves()}")
    Z = np.round(rng(50).standard_normal((200, X.shape[1])) * 2, 2)
    classes = np.unique(y)
    expected = np.stack([_reference_proba(ref, z, classes) for z in Z])
    assert_close(tree.predict_proba(Z), expected, rtol=1e-12, atol=1e-12,
                 what=f"predict_proba on 200 new points (criterion={criterion!r}, "
                      f"max_depth={max_depth})",
                 oracle="a reference tree grown in the test with brute-force best splits",
                 hint="leaf probabilities are the class fractions of the training samples in "
                      "the leaf; columns follow the sorted classes")
    assert_equal(np.asarray(tree.predict(Z)), classes[expected.argmax(axis=1)],
                 what="predict on 200 new points", oracle="majority class of the reference leaf",
                 hint="predict the most frequent training class of the leaf (ties: smallest)")


def test_max_depth_limits_depth_and_leaves():
    X, y = _noisy_data(60, n=200)
    for d in range(5):
        tree = DecisionTreeClassifier(max_depth=d).fit(X, y)
        assert tree.get_depth() == d, (
            f"max_depth={d} on noisy data that needs deep trees: the depth must be exactly "
            f"{d}, got {tree.get_depth()}. Hint: root is at depth 0; stop when depth == max_depth")
        assert tree.get_n_leaves() <= 2**d, f"depth {d} allows at most {2**d} leaves"
        assert len(np.unique(tree.apply(X))) == tree.get_n_leaves(), (
            "apply(X_train) must reach every leaf and nothing else")


def test_max_depth_zero_predicts_the_majority_with_smallest_label_on_ties():
    X = rng(61).standard_normal((6, 2))
    y = np.array([5, 9, 9, 5, 1, 1])  # three-way tie: 1, 5, 9 twice each
    tree = DecisionTreeClassifier(max_depth=0).fit(X, y)
    assert_close(tree.predict_proba(X), np.full((6, 3), 1 / 3), what="predict_proba of a stump "
                 "with no split", oracle="class fractions of all training labels")
    assert_equal(np.asarray(tree.predict(X)), np.full(6, 1),
                 what="predict of a single leaf with a three-way tie",
                 oracle="the documented tie rule (smallest label)")
    y2 = np.array([5, 9, 9, 5, 9, 1])
    tree2 = DecisionTreeClassifier(max_depth=0).fit(X, y2)
    assert_equal(np.asarray(tree2.predict(X)), np.full(6, 9), what="predict of a single leaf",
                 oracle="the majority label 9", hint="a leaf predicts its most frequent class")


def test_stump_predicts_leaf_majority_and_fractions():
    """A depth-one tree predicts each leaf's majority class and class fractions."""
    X, y = _noisy_data(62, n=60)
    tree = DecisionTreeClassifier(max_depth=1).fit(X, y)
    f, t, _ = _brute_force_best(X, y, "gini")
    classes = np.unique(y)
    for side, mask in (("left", X[:, f] <= t), ("right", X[:, f] > t)):
        frac = np.array([(y[mask] == c).mean() for c in classes])
        assert_close(tree.predict_proba(X[mask]), np.tile(frac, (mask.sum(), 1)),
                     what=f"predict_proba of the {side} leaf of a depth-1 tree",
                     oracle=f"class fractions of the training samples with x[{f}] "
                            f"{'<=' if side == 'left' else '>'} {t}")
        assert_equal(np.asarray(tree.predict(X[mask])), np.full(mask.sum(), classes[frac.argmax()]),
                     what=f"predict in the {side} leaf", oracle="the leaf's majority class",
                     hint="a leaf predicts its most frequent training class")


def test_min_samples_leaf_is_respected():
    X, y = _noisy_data(63, n=150)
    for m in (1, 5, 12):
        tree = DecisionTreeClassifier(max_depth=60, min_samples_leaf=m).fit(X, y)
        sizes = np.unique(tree.apply(X), return_counts=True)[1]
        assert sizes.min() >= m, (
            f"min_samples_leaf={m}: a leaf holds only {sizes.min()} training samples")
        ref = _reference_tree(X, y, "gini", 60, 2, m)
        assert tree.get_n_leaves() == _leaves(ref), (
            f"min_samples_leaf={m}: expected {_leaves(ref)} leaves (reference tree), got "
            f"{tree.get_n_leaves()}. Hint: pass min_samples_leaf to best_split")


def test_min_samples_split_is_respected():
    X, y = _remove_conflicts(*_noisy_data(64, n=150))
    for s in (2, 10, 30):
        tree = DecisionTreeClassifier(max_depth=60, min_samples_split=s).fit(X, y)
        leaves, sizes = np.unique(tree.apply(X), return_counts=True)
        leaf_of = tree.apply(X)
        for leaf, size in zip(leaves, sizes, strict=True):
            pure = len(np.unique(y[leaf_of == leaf])) == 1
            assert pure or size < s, (
                f"min_samples_split={s}: an impure leaf holds {size} >= {s} samples, so it "
                "should have been split. Hint: a node is a leaf when n < min_samples_split")
        ref = _reference_tree(X, y, "gini", 60, s, 1)
        assert tree.get_n_leaves() == _leaves(ref), (
            f"min_samples_split={s}: expected {_leaves(ref)} leaves, got {tree.get_n_leaves()}."
            " Hint: a node with exactly min_samples_split samples may still be split")
    one = DecisionTreeClassifier(max_depth=60, min_samples_split=len(y) + 1).fit(X, y)
    assert one.get_n_leaves() == 1 and one.get_depth() == 0, (
        "min_samples_split larger than N must leave the root as the only leaf")


def test_thresholds_sit_halfway_between_training_values():
    X = np.array([[0.0], [10.0]])
    y = np.array([3, 8])
    tree = DecisionTreeClassifier(max_depth=5).fit(X, y)
    Z = np.array([[4.9], [5.0], [5.1], [-1.0], [11.0]])
    assert_equal(np.asarray(tree.predict(Z)), np.array([3, 3, 8, 3, 8]),
                 what="predict at 4.9, 5.0, 5.1, -1, 11 after training on x = 0 (3), x = 10 (8)",
                 oracle="threshold 5.0 (the midpoint), x <= 5.0 goes left",
                 hint="the threshold is the midpoint between consecutive distinct values")


def test_predict_proba_columns_follow_sorted_classes():
    X, y = _noisy_data(65, n=100)
    tree = DecisionTreeClassifier(max_depth=3, criterion="entropy").fit(X, y)
    P = np.asarray(tree.predict_proba(X))
    assert P.shape == (100, 3), f"predict_proba should be (100, 3), got {P.shape}"
    assert_close(P.sum(axis=1), np.ones(100), what="row sums of predict_proba", oracle="1")
    leaf_of = tree.apply(X)
    for leaf in np.unique(leaf_of):
        members = leaf_of == leaf
        frac = np.array([(y[members] == c).mean() for c in (-3, 4, 10)])
        assert_close(P[members][0], frac, rtol=1e-12, atol=1e-12,
                     what=f"predict_proba row for a leaf with {members.sum()} training samples",
                     oracle="class fractions in the leaf, columns in sorted label order "
                            "(-3, 4, 10)")


def test_tree_rejects_bad_inputs():
    X, y = _noisy_data(66, n=20)
    with pytest.raises(ValueError):
        DecisionTreeClassifier().fit(X[:, 0], y)
    with pytest.raises(ValueError):
        DecisionTreeClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError):
        DecisionTreeClassifier(criterion="log_loss").fit(X, y)
