"""Public smoke tests for phase0.naive_bayes (Gaussian naive Bayes).

Oracles: per-class statistics computed directly with NumPy (closed form), the invariant that
log-posteriors of each row logsumexp to 0, and seeded well-separated Gaussian blobs.
"""

import numpy as np

from phase0.naive_bayes import GaussianNB
from shared import assert_close, assert_equal, rng


def test_fit_matches_group_statistics():
    """Fit stores each class's feature means and variances."""
    X = np.array([[1.0, 2.0], [3.0, 2.0], [2.0, 5.0], [6.0, 0.0], [8.0, 1.0], [7.0, 5.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    nb = GaussianNB(var_smoothing=1e-3).fit(X, y)
    eps = 1e-3 * X.var(axis=0).max()
    assert_equal(nb.classes_, np.array([0, 1]), what="classes_", oracle="np.unique(y)")
    assert_close(nb.class_prior_, [0.5, 0.5], what="class_prior_", oracle="class counts / N")
    assert_close(nb.theta_, [X[:3].mean(0), X[3:].mean(0)], rtol=1e-12, atol=1e-12,
                 what="theta_ (per-class feature means) on 6 hand-made points",
                 oracle="X[y == k].mean(axis=0)")
    assert_close(nb.var_, np.array([X[:3].var(0), X[3:].var(0)]) + eps, rtol=1e-12, atol=1e-12,
                 what="var_ on 6 hand-made points with var_smoothing=1e-3",
                 oracle="X[y == k].var(axis=0) (biased, ddof=0) + 1e-3 * max(X.var(axis=0))",
                 hint="biased variance (divide by N_k), plus var_smoothing times the largest "
                      "variance of any feature over all of X.")


def test_predict_log_proba_rows_logsumexp_to_zero():
    """Each row of predict_log_proba is a normalised log distribution."""
    g = rng(0)
    X = np.concatenate([g.normal(0, 1, (20, 3)), g.normal(2, 1, (30, 3))])
    y = np.array([0] * 20 + [1] * 30)
    nb = GaussianNB().fit(X, y)
    log_p = np.asarray(nb.predict_log_proba(g.normal(1, 2, (10, 3))))
    assert log_p.shape == (10, 2), (
        f"predict_log_proba should have shape (M, K) = (10, 2), got {log_p.shape}")
    row_max = log_p.max(axis=1)
    lse = row_max + np.log(np.exp(log_p - row_max[:, None]).sum(axis=1))
    assert_close(lse, np.zeros(10), atol=1e-10,
                 what="logsumexp of each row of predict_log_proba",
                 oracle="0: posteriors over the classes sum to one",
                 hint="subtract logsumexp over the classes of the joint log-likelihood.")


def test_predicts_separable_blobs():
    """Naive Bayes classifies well-separated blobs correctly."""
    # Blob centres 20 apart with unit variance: a test point is misclassified only if it lands
    # more than 10 standard deviations out, probability < 1e-22 per point.
    g = rng(1)
    centres = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]])
    X = np.concatenate([c + g.standard_normal((40, 2)) for c in centres])
    y = np.repeat([0, 1, 2], 40)
    nb = GaussianNB().fit(X, y)
    X_test = np.concatenate([c + g.standard_normal((30, 2)) for c in centres])
    assert_equal(nb.predict(X_test), np.repeat([0, 1, 2], 30),
                 what="predict on 90 fresh points from 3 well-separated blobs",
                 oracle="the blob each point was drawn from",
                 hint="predict the class with the largest log prior + sum of Gaussian "
                      "log-densities.")
