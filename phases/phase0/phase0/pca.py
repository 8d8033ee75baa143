"""Principal component analysis by eigendecomposition of the covariance matrix.

PCA finds the orthogonal directions along which centred data varies most. Here you compute
them the "textbook" way: centre the data, build the sample covariance matrix, and take its
eigenvectors, sorted by eigenvalue.

- `PCA.fit`: learn the mean, the principal axes and their variances.
- `PCA.transform` / `PCA.inverse_transform`: project onto the axes and back.

Use NumPy and the standard library only. `np.linalg.eigh` is allowed; `np.linalg.svd` is not
(that is the other route to the same answer, and the tests use it as the oracle).
"""

from __future__ import annotations

import numpy as np


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
        raise NotImplementedError("phase0.pca.PCA.fit")

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
        raise NotImplementedError("phase0.pca.PCA.transform")

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
        raise NotImplementedError("phase0.pca.PCA.inverse_transform")

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """Fit on X, then return transform(X).

        Args:
            X: (N, D) float array.

        Returns:
            Z: (N, k) float64 array.
        """
        raise NotImplementedError("phase0.pca.PCA.fit_transform")
