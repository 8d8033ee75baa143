"""Gaussian naive Bayes.

A generative classifier: model each class k by a prior P(y = k) and, for each feature d
independently ("naive"), a normal distribution N(theta_kd, var_kd). Bayes' rule then gives
the posterior over classes for a new point. Everything is computed in log space, so that
points far from every class do not underflow to 0 / 0.

- `GaussianNB.fit`: class priors, per-class means and variances.
- `GaussianNB.predict_log_proba` / `predict_proba` / `predict`.

Use NumPy and the standard library only.
"""

from __future__ import annotations

import numpy as np


class GaussianNB:
    """Gaussian naive Bayes classifier (scikit-learn's conventions).

    Model: log P(x, y=k) = log class_prior_[k]
                           + sum_d log N(x_d; theta_[k, d], var_[k, d]),
    where log N(x; m, v) = -0.5 * log(2 pi v) - (x - m)^2 / (2 v)  (natural log).

    Fitted statistics, for the N_k training rows of class k:
      - class_prior_[k] = N_k / N (the empirical class frequency, not uniform).
      - theta_[k, d]   = mean of feature d over class k.
      - var_[k, d]     = BIASED variance (divide by N_k, not N_k - 1) of feature d over class k,
                         plus epsilon = var_smoothing * max_d var(X[:, d]), where var(X[:, d]) is
                         the biased variance of feature d over ALL training rows. This is
                         scikit-learn's convention; it keeps var_ > 0 when a feature is
                         constant within a class (otherwise: division by zero).

    Attributes (after fit):
        classes_: (K,) array of the distinct labels, sorted increasingly (np.unique order).
            Row/column k of every other attribute and output refers to classes_[k].
        class_prior_: (K,) float64 array, sums to 1.
        theta_: (K, D) float64 array.
        var_: (K, D) float64 array.
    """

    def __init__(self, var_smoothing: float = 1e-9) -> None:
        """Store the hyperparameter.

        Args:
            var_smoothing: fraction of the largest feature variance added to every variance.
        """
        self.var_smoothing = var_smoothing

    def fit(self, X: np.ndarray, y: np.ndarray) -> GaussianNB:
        """Estimate classes_, class_prior_, theta_ and var_ from labelled data.

        Args:
            X: (N, D) float array.
            y: (N,) integer array of labels: any integers (e.g. [-3, 7, 42]), not necessarily
                0..K-1 and not necessarily sorted.

        Returns:
            self.

        Raises:
            ValueError: if X is not 2-D, y is not 1-D, or len(y) != len(X).
        """
        raise NotImplementedError("phase0.naive_bayes.GaussianNB.fit")

    def predict_log_proba(self, X: np.ndarray) -> np.ndarray:
        """Log posterior log P(y = classes_[k] | x) for every row and class.

            jll[n, k]  = log P(x_n, y = k)                  (the joint log-likelihood above)
            out[n, k]  = jll[n, k] - logsumexp_k' jll[n, k']

        Compute the normaliser with a numerically stable logsumexp (subtract the row max
        before exponentiating): for a point far from every class, every jll is hugely negative
        and exp(jll) underflows to 0. Each row of the result then logsumexps to 0.

        Args:
            X: (M, D) float array.

        Returns:
            (M, K) float64 array, finite, columns in the order of classes_.

        Raises:
            ValueError: if X is not 2-D or does not have the D columns seen in fit.
        """
        raise NotImplementedError("phase0.naive_bayes.GaussianNB.predict_log_proba")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Posterior probabilities: exp(predict_log_proba(X)).

        Args:
            X: (M, D) float array.

        Returns:
            (M, K) float64 array; every row sums to 1.
        """
        raise NotImplementedError("phase0.naive_bayes.GaussianNB.predict_proba")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most probable class of each row.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) array of labels taken from classes_ (not indices 0..K-1): classes_[argmax_k
            log P(y = k | x)], ties going to the smaller index k (np.argmax's rule).
        """
        raise NotImplementedError("phase0.naive_bayes.GaussianNB.predict")
