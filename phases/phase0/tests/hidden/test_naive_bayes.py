"""Hidden tests for phase0.naive_bayes (Gaussian naive Bayes).

Oracles: closed-form group statistics computed with NumPy in the test; the log joint built by
hand from torch.distributions.Normal and normalised with torch.logsumexp (float64); hand cases
where the prior alone decides; invariants (rows logsumexp to 0, probabilities sum to 1,
finite outputs); seeded well-separated blobs.
"""

import numpy as np
import pytest

from phase0.naive_bayes import GaussianNB
from shared import assert_close, assert_equal, rng


def _stats(X: np.ndarray, y: np.ndarray, var_smoothing: float):
    """Closed-form (classes, priors, means, variances) as documented."""
    classes = np.unique(y)
    prior = np.array([np.mean(y == c) for c in classes])
    theta = np.array([X[y == c].mean(axis=0) for c in classes])
    var = np.array([X[y == c].var(axis=0) for c in classes]) + var_smoothing * X.var(0).max()
    return classes, prior, theta, var


def _torch_log_posterior(X, prior, theta, var):
    import torch

    x = torch.from_numpy(X)[:, None, :]  # (M, 1, D)
    normal = torch.distributions.Normal(torch.from_numpy(theta), torch.from_numpy(var).sqrt())
    jll = torch.log(torch.from_numpy(prior)) + normal.log_prob(x).sum(dim=2)  # (M, K)
    return (jll - torch.logsumexp(jll, dim=1, keepdim=True)).numpy()


def _labelled(seed: int, labels: list[int], sizes: list[int], d: int):
    g = rng(seed)
    X = np.concatenate([g.normal(3.0 * i, 1.0 + 0.5 * i, (n, d))
                        for i, n in enumerate(sizes)])
    y = np.repeat(labels, sizes)
    perm = g.permutation(len(y))
    return X[perm], y[perm]


def test_statistics_with_arbitrary_unsorted_labels():
    """Fit computes per-class statistics for arbitrary, unsorted labels."""
    X, y = _labelled(10, [7, -3, 42], [5, 9, 6], 4)
    nb = GaussianNB(var_smoothing=0.05).fit(X, y)
    classes, prior, theta, var = _stats(X, y, 0.05)
    assert_equal(nb.classes_, classes, what="classes_ for labels {7, -3, 42}",
                 oracle="np.unique(y) (sorted)",
                 hint="keep the labels themselves, sorted; do not assume 0..K-1.")
    assert_close(nb.class_prior_, prior, rtol=1e-12, atol=1e-12,
                 what="class_prior_ for class sizes 5, 9, 6 (labels 7, -3, 42)",
                 oracle="counts / N in the order of classes_",
                 hint="priors are the empirical class frequencies, in the order of classes_.")
    assert_close(nb.theta_, theta, rtol=1e-12, atol=1e-12,
                 what="theta_ (K=3, D=4)", oracle="X[y == classes_[k]].mean(axis=0)")
    assert_close(nb.var_, var, rtol=1e-10, atol=1e-12,
                 what="var_ (K=3, D=4) with var_smoothing=0.05",
                 oracle="X[y == c].var(axis=0) + 0.05 * X.var(axis=0).max()")


def test_variance_is_biased_not_unbiased():
    X = np.array([[0.0], [2.0], [10.0], [14.0]])
    y = np.array([1, 1, 4, 4])
    nb = GaussianNB(var_smoothing=0.0).fit(X, y)
    assert_close(nb.var_, [[1.0], [4.0]], rtol=1e-12, atol=1e-12,
                 what="var_ for classes {0, 2} and {10, 14}, var_smoothing=0",
                 oracle="biased variances: ((0-1)^2 + (2-1)^2) / 2 = 1 and (4 + 4) / 2 = 4",
                 hint="divide by N_k (ddof=0, like np.var's default), not by N_k - 1.")


def test_var_smoothing_is_a_fraction_of_the_largest_feature_variance():
    # Feature 1 varies much more than feature 0, mostly BETWEEN the classes, so the largest
    # variance over all rows (~100) is far above any per-class variance.
    g = rng(11)
    X0 = np.column_stack([g.normal(0, 1, 30), g.normal(0, 1, 30)])
    X1 = np.column_stack([g.normal(1, 1, 30), g.normal(20, 1, 30)])
    X, y = np.concatenate([X0, X1]), np.repeat([0, 1], 30)
    for vs in (0.0, 0.01, 0.3):
        nb = GaussianNB(var_smoothing=vs).fit(X, y)
        expected = np.array([X0.var(axis=0), X1.var(axis=0)]) + vs * X.var(axis=0).max()
        assert_close(nb.var_, expected, rtol=1e-10, atol=1e-12,
                     what=f"var_ with var_smoothing={vs} (feature variances over all rows: "
                          f"{X.var(axis=0).round(2).tolist()})",
                     oracle="per-class biased variance + var_smoothing * max_d X[:, d].var()",
                     hint="epsilon = var_smoothing * (the largest variance of any feature over "
                          "ALL training rows), the same epsilon for every class and feature.")


def test_log_posterior_matches_torch_normal_log_joint():
    X, y = _labelled(12, [0, 1, 2, 3], [10, 25, 5, 40], 3)  # unequal priors
    X_new = rng(13).normal(4.0, 4.0, (15, 3))
    nb = GaussianNB(var_smoothing=1e-2).fit(X, y)
    _, prior, theta, var = _stats(X, y, 1e-2)
    expected = _torch_log_posterior(X_new, prior, theta, var)
    assert_close(nb.predict_log_proba(X_new), expected, rtol=1e-9, atol=1e-9,
                 what="predict_log_proba on 15 new points (K=4 classes of sizes 10, 25, 5, 40)",
                 oracle="log prior + sum of torch.distributions.Normal log_prob, minus "
                        "torch.logsumexp over classes",
                 hint="log N(x; m, v) = -0.5 log(2 pi v) - (x - m)^2 / (2 v), summed over "
                      "features; add log(class_prior_), then normalise over classes.")
    assert_equal(nb.predict(X_new), np.argmax(expected, axis=1),
                 what="predict on the same points (labels are 0..3 here)",
                 oracle="argmax of the torch log posterior")


def test_prior_decides_when_likelihoods_tie():
    # Both classes have variance exactly 1 and means -1 and +1, so at x = 0 the likelihoods are
    # equal and the posterior is the prior: class 5 has 6 of 8 rows.
    X = np.array([[-2.0], [0.0], [0.0], [2.0], [0.0], [2.0], [0.0], [2.0]])
    y = np.array([2, 2, 5, 5, 5, 5, 5, 5])
    nb = GaussianNB(var_smoothing=0.0).fit(X, y)
    assert_close(nb.predict_log_proba(np.array([[0.0]])), np.log([[0.25, 0.75]]),
                 rtol=1e-12, atol=1e-12,
                 what="predict_log_proba at x = 0 where both class likelihoods are equal",
                 oracle="log of the class priors [2/8, 6/8] (Bayes' rule)",
                 hint="add log(class_prior_) to the log-likelihood: not the prior itself, and "
                      "not a uniform prior.")
    assert_equal(nb.predict(np.array([[0.0]])), np.array([5]),
                 what="predict at x = 0 (likelihoods tie)", oracle="the majority class 5")


def test_feature_constant_within_a_class_stays_finite():
    """A feature that is constant within a class keeps the predictions finite."""
    # Feature 1 is constant inside each class: its per-class variance is 0, and only the
    # var_smoothing epsilon keeps the Gaussian density finite.
    g = rng(14)
    X = np.column_stack([g.normal(0, 1, 20), np.repeat([0.0, 1.0], 10)])
    y = np.repeat([3, 8], 10)
    nb = GaussianNB().fit(X, y)
    X_new = np.array([[0.1, 0.0], [0.2, 1.0], [-0.5, 0.5], [0.0, 3.0]])
    log_p = np.asarray(nb.predict_log_proba(X_new))
    assert np.all(np.isfinite(log_p)), (
        f"predict_log_proba must be finite when a feature is constant within a class; got "
        f"{log_p.tolist()}. Hint: add epsilon = var_smoothing * max feature variance to var_ so "
        "that no variance is 0.")
    assert_close(np.exp(log_p).sum(axis=1), np.ones(4), atol=1e-12,
                 what="posterior row sums with a within-class constant feature",
                 oracle="1", hint="normalise with a stable logsumexp.")
    assert_equal(nb.predict(X_new[:2]), np.array([3, 8]),
                 what="predict on points matching each class's constant feature",
                 oracle="the class whose constant value the point shares")


def test_far_points_do_not_underflow():
    g = rng(15)
    X = np.concatenate([g.normal(0, 1, (30, 2)), g.normal(3, 1, (30, 2))])
    y = np.repeat([0, 1], 30)
    nb = GaussianNB().fit(X, y)
    far = np.array([[1e3, 1e3], [-2e3, 5e2], [40.0, -40.0]])
    _, prior, theta, var = _stats(X, y, 1e-9)
    expected = _torch_log_posterior(far, prior, theta, var)
    got = np.asarray(nb.predict_log_proba(far))
    assert np.all(np.isfinite(got)), (
        f"predict_log_proba for points ~1000 standard deviations away must be finite, got "
        f"{got.tolist()}. Hint: exp of a joint log-likelihood near -1e6 underflows to 0; "
        "normalise with logsumexp (subtract the row max first), not log(sum(exp(...))).")
    assert_close(got, expected, rtol=1e-9, atol=1e-6,
                 what="predict_log_proba for 3 far-away points",
                 oracle="torch.distributions.Normal log joint minus torch.logsumexp")
    assert_close(np.asarray(nb.predict_proba(far)).sum(axis=1), np.ones(3), atol=1e-12,
                 what="predict_proba row sums for far-away points", oracle="1")


def test_predict_returns_labels_from_classes():
    # Centres 20 apart, unit variance: misclassification needs a 10-sigma draw (< 1e-22).
    g = rng(16)
    labels = [10, -4, 7]
    centres = {10: (0.0, 0.0), -4: (20.0, 0.0), 7: (0.0, 20.0)}
    X = np.concatenate([np.asarray(centres[c]) + g.standard_normal((25, 2)) for c in labels])
    y = np.repeat(labels, 25)
    nb = GaussianNB().fit(X, y)
    X_test = np.asarray([centres[c] for c in (7, -4, 10, 7)])
    got = np.asarray(nb.predict(X_test))
    assert_equal(got, np.array([7, -4, 10, 7]),
                 what="predict at the centres of blobs labelled 10, -4, 7",
                 oracle="the label of each blob",
                 hint="return classes_[argmax], not the index argmax.")


def test_predict_proba_is_exp_of_log_proba():
    X, y = _labelled(17, [1, 2], [12, 18], 3)
    nb = GaussianNB().fit(X, y)
    X_new = rng(18).normal(2.0, 2.0, (8, 3))
    proba = nb.predict_proba(X_new)
    assert_close(proba, np.exp(nb.predict_log_proba(X_new)), rtol=1e-12, atol=1e-15,
                 what="predict_proba vs exp(predict_log_proba)", oracle="the definition")
    assert_close(np.asarray(proba).sum(axis=1), np.ones(8), atol=1e-12,
                 what="predict_proba row sums", oracle="1")


def test_shape_errors_raise_value_error():
    X, y = _labelled(19, [0, 1], [5, 5], 2)
    with pytest.raises(ValueError):
        GaussianNB().fit(X[:, 0], y)  # X must be 2-D
    with pytest.raises(ValueError):
        GaussianNB().fit(X, y[:-1])  # one label short
    nb = GaussianNB().fit(X, y)
    with pytest.raises(ValueError):
        nb.predict_log_proba(np.zeros((3, 5)))  # 5 features, fitted on 2
