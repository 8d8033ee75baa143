"""Gaussian naive Bayes.

Reference solution. See Murphy, "Machine Learning: A Probabilistic Perspective", section 3.5,
or Hastie, Tibshirani and Friedman, "The Elements of Statistical Learning", section 6.6.3. The
variance smoothing follows scikit-learn's GaussianNB (epsilon = var_smoothing times the largest
feature variance), so that a feature constant within a class still has a finite likelihood.
"""

from __future__ import annotations

import numpy as np


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """log(sum(exp(a))) along axis, shifted by the max so that nothing under- or overflows."""
    m = a.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))).squeeze(axis)


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
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
            raise ValueError(f"expected X (N, D) and y (N,), got {X.shape} and {y.shape}")

        # np.unique sorts the labels and maps every row to its class index 0..K-1.
        self.classes_, idx = np.unique(y, return_inverse=True)
        K, D = len(self.classes_), X.shape[1]
        counts = np.bincount(idx, minlength=K)                          # (K,)
        self.class_prior_ = counts / len(y)

        self.theta_ = np.zeros((K, D))
        self.var_ = np.zeros((K, D))
        for k in range(K):
            Xk = X[idx == k]                                            # (N_k, D)
            self.theta_[k] = Xk.mean(axis=0)
            self.var_[k] = Xk.var(axis=0)                               # biased: divide by N_k
        # One epsilon for all classes and features, relative to the data's scale.
        self.var_ += self.var_smoothing * X.var(axis=0).max()
        return self

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
        jll = self._joint_log_likelihood(X)                             # (M, K)
        return jll - _logsumexp(jll, axis=1)[:, None]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Posterior probabilities: exp(predict_log_proba(X)).

        Args:
            X: (M, D) float array.

        Returns:
            (M, K) float64 array; every row sums to 1.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most probable class of each row.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) array of labels taken from classes_ (not indices 0..K-1): classes_[argmax_k
            log P(y = k | x)], ties going to the smaller index k (np.argmax's rule).
        """
        return self.classes_[np.argmax(self._joint_log_likelihood(X), axis=1)]

    def _joint_log_likelihood(self, X: np.ndarray) -> np.ndarray:
        """log P(x_n, y = k) for every row n and class k: (M, K)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.theta_.shape[1]:
            raise ValueError(f"expected X of shape (M, {self.theta_.shape[1]}), got {X.shape}")
        diff = X[:, None, :] - self.theta_[None, :, :]                  # (M, K, D)
        log_lik = -0.5 * (np.log(2 * np.pi * self.var_)[None] + diff**2 / self.var_[None])
        return np.log(self.class_prior_)[None, :] + log_lik.sum(axis=2)  # (M, K)
