"""Principal component analysis by eigendecomposition of the covariance matrix.

Reference solution. PCA goes back to Pearson (1901), "On lines and planes of closest fit to
systems of points in space", and Hotelling (1933); see also Bishop, "Pattern Recognition and
Machine Learning", section 12.1. The eigenvectors of the sample covariance are the right
singular vectors of the centred data (Xc = U S V^T gives C = V S^2 V^T / (N - 1)), which is how
the tests check this file without trusting it.
"""

from __future__ import annotations

import numpy as np


def _as_2d(X: np.ndarray, name: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {X.shape}")
    return X


class PCA:
    """Principal component analysis: project centred data onto its directions of most variance.

    With Xc = X - mean_ (N training rows, D features), the sample covariance is

        C = Xc.T @ Xc / (N - 1)          # (D, D), divide by N - 1, not N

    and its eigenpairs C v_j = lambda_j v_j, sorted so that lambda_1 >= lambda_2 >= ... The
    first k unit eigenvectors are the principal axes, and lambda_j is the variance of the data
    along axis j.

    Conventions the tests check:
      - components_ holds one axis per ROW, rows sorted by decreasing explained variance.
      - The sign of each axis is arbitrary (-v is an eigenvector too): the tests accept either
        sign for every component, so you need no sign convention.
      - transform and inverse_transform always use the TRAINING mean_, whatever data they get.

    Attributes (after fit):
        n_components_: int, the number k of components kept.
        mean_: (D,) float64 array, the per-feature mean of the training data.
        components_: (k, D) float64 array, orthonormal rows (the principal axes).
        explained_variance_: (k,) float64 array, lambda_1 >= ... >= lambda_k (N - 1 convention).
        explained_variance_ratio_: (k,) float64 array, lambda_j / (sum of ALL D eigenvalues),
            i.e. each kept component's share of the total variance trace(C).
    """

    def __init__(self, n_components: int | None = None) -> None:
        """Store the hyperparameter.

        Args:
            n_components: k, the number of components to keep, 1 <= k <= min(N, D) (checked in
                fit). None keeps min(N, D) components, as scikit-learn does.
        """
        self.n_components = n_components

    def fit(self, X: np.ndarray) -> PCA:
        """Learn mean_, components_, explained_variance_ and explained_variance_ratio_ from X.

        Steps: centre X with its column means; build C = Xc.T @ Xc / (N - 1); eigendecompose
        the symmetric matrix C; keep the k eigenpairs with the largest eigenvalues, in
        decreasing order.

        Args:
            X: (N, D) float array, N >= 2 training rows.

        Returns:
            self (so that PCA(k).fit(X).transform(X) works).

        Raises:
            ValueError: if X is not 2-D, if N < 2, or if n_components is not in 1..min(N, D).

        Do not call np.linalg.svd.
        """
        X = _as_2d(X, "X")
        n, d = X.shape
        if n < 2:
            raise ValueError(f"PCA needs at least 2 rows to estimate a covariance, got {n}")
        k = min(n, d) if self.n_components is None else int(self.n_components)
        if not 1 <= k <= min(n, d):
            raise ValueError(f"n_components must be in 1..min(N, D) = 1..{min(n, d)}, got {k}")

        self.mean_ = X.mean(axis=0)                      # (D,)
        Xc = X - self.mean_                              # (N, D), centred
        cov = Xc.T @ Xc / (n - 1)                        # (D, D), unbiased sample covariance

        # eigh is for symmetric matrices: real eigenvalues in ASCENDING order, eigenvectors as the
        # COLUMNS of the second result. Flip both to decreasing order.
        eigvals, eigvecs = np.linalg.eigh(cov)
        order = np.argsort(eigvals)[::-1]
        eigvals = np.clip(eigvals[order], 0.0, None)     # rounding can give tiny negative values
        eigvecs = eigvecs[:, order]

        self.n_components_ = k
        self.components_ = eigvecs[:, :k].T.copy()       # (k, D): one axis per row
        self.explained_variance_ = eigvals[:k]           # (k,)
        self.explained_variance_ratio_ = eigvals[:k] / eigvals.sum()  # share of trace(C)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Project rows of X onto the principal axes.

            Z = (X - mean_) @ components_.T      # mean_ of the TRAINING data

        Args:
            X: (M, D) float array (any M >= 1, not necessarily the training data).

        Returns:
            Z: (M, k) float64 array; column j is the coordinate along axis j.

        Raises:
            ValueError: if X is not 2-D or its number of columns is not D.
        """
        X = _as_2d(X, "X")
        if X.shape[1] != self.mean_.shape[0]:
            raise ValueError(f"X has {X.shape[1]} columns, PCA was fitted on {self.mean_.shape[0]}")
        return (X - self.mean_) @ self.components_.T    # (M, k); the TRAINING mean

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Map coordinates back to the original space.

            X_hat = Z @ components_ + mean_

        With k = D (or k = rank of the centred data) this undoes transform exactly; with fewer
        components it returns the orthogonal projection of X onto the top-k subspace (shifted by
        mean_), the best rank-k reconstruction in squared error.

        Args:
            Z: (M, k) float array of coordinates.

        Returns:
            X_hat: (M, D) float64 array.

        Raises:
            ValueError: if Z is not 2-D or its number of columns is not k.
        """
        Z = _as_2d(Z, "Z")
        if Z.shape[1] != self.n_components_:
            raise ValueError(f"Z has {Z.shape[1]} columns, expected n_components_ = "
                             f"{self.n_components_}")
        return Z @ self.components_ + self.mean_        # (M, D)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """Fit on X, then return transform(X).

        Args:
            X: (N, D) float array.

        Returns:
            Z: (N, k) float64 array.
        """
        return self.fit(X).transform(X)
