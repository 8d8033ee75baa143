"""Public smoke tests for phase0.pca (PCA by eigendecomposition of the covariance).

The oracle is torch.linalg.svd of the centred data: its right singular vectors are the
principal axes (compared up to sign) and S**2 / (N - 1) are the explained variances.
"""

import numpy as np

from phase0.pca import PCA
from shared import assert_close, forbidden, rng


def _data(seed: int, n: int, scales: list[float]) -> np.ndarray:
    """n rows with variances ~ scales**2 along random orthogonal axes, mean not zero."""
    g = rng(seed)
    d = len(scales)
    rotation, _ = np.linalg.qr(g.standard_normal((d, d)))
    return (g.standard_normal((n, d)) * np.asarray(scales)) @ rotation.T + g.normal(3.0, 2.0, d)


def _svd_oracle(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import torch

    x = torch.from_numpy(X)
    _, s, vh = torch.linalg.svd(x - x.mean(dim=0), full_matrices=False)
    return vh.numpy(), (s**2 / (X.shape[0] - 1)).numpy()


def _fit(X: np.ndarray, k: int | None) -> PCA:
    with forbidden("numpy.linalg.svd", by="phase0.pca.PCA.fit"):
        return PCA(n_components=k).fit(X)


def test_components_match_svd_up_to_sign():
    X = _data(0, 60, [5.0, 3.0, 1.5, 0.5])
    pca = _fit(X, 2)
    vh, _ = _svd_oracle(X)
    got = np.asarray(pca.components_)
    assert got.shape == (2, 4), (
        f"components_ should have shape (k, D) = (2, 4), got {got.shape}. "
        "Hint: one principal axis per ROW (eigh returns eigenvectors as columns).")
    abs_cos = np.abs(np.sum(got * vh[:2], axis=1)) / np.linalg.norm(got, axis=1)
    assert_close(abs_cos, np.ones(2), atol=1e-4,
                 what="|cosine| between components_[j] and the j-th principal axis "
                      "(X: 60 x 4, n_components=2)",
                 oracle="right singular vectors of torch.linalg.svd(X - X.mean(0))",
                 hint="centre X before building the covariance, keep the eigenvectors of the "
                      "LARGEST eigenvalues first, and store them as rows.")


def test_explained_variance_uses_n_minus_1():
    X = _data(1, 40, [4.0, 2.0, 1.0])
    pca = _fit(X, 3)
    _, var = _svd_oracle(X)
    assert_close(pca.explained_variance_, var, rtol=1e-9, atol=1e-12,
                 what="explained_variance_ (X: 40 x 3, n_components=3)",
                 oracle="S**2 / (N - 1) from torch.linalg.svd of the centred data",
                 hint="the covariance divides by N - 1, and the eigenvalues are sorted in "
                      "decreasing order.")
    assert_close(pca.explained_variance_ratio_.sum(), 1.0, atol=1e-12,
                 what="sum of explained_variance_ratio_ when all components are kept",
                 oracle="the ratios of all components add up to 1")


def test_reconstruction_with_all_components_is_exact():
    X = _data(2, 30, [3.0, 2.0, 1.0, 0.5, 0.25])
    pca = _fit(X, None)
    X_hat = pca.inverse_transform(pca.transform(X))
    assert_close(X_hat, X, rtol=0, atol=1e-10,
                 what="inverse_transform(transform(X)) with all 5 components (X: 30 x 5)",
                 oracle="the identity (an orthonormal basis loses nothing)",
                 hint="transform subtracts mean_ and multiplies by components_.T; "
                      "inverse_transform multiplies by components_ and adds mean_ back.")
