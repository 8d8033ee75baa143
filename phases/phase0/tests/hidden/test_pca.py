"""Hidden tests for phase0.pca (PCA by eigendecomposition of the covariance).

Oracles: torch.linalg.svd of the centred data in float64 (right singular vectors = principal
axes, compared up to sign with |cosine| > 0.9999; S**2 / (N - 1) = explained variances),
sign-free invariants (projection matrices, reconstruction error, decorrelation) and closed
forms. Every learner fit runs with numpy.linalg.svd forbidden.
"""

import numpy as np
import pytest

from phase0.pca import PCA
from shared import assert_close, assert_equal, forbidden, rng

BY = "phase0.pca.PCA.fit"


def _data(seed: int, n: int, scales: list[float], offset: float = 3.0) -> np.ndarray:
    """n rows with variances ~ scales**2 along random orthogonal axes, mean ~ offset."""
    g = rng(seed)
    d = len(scales)
    rotation, _ = np.linalg.qr(g.standard_normal((d, d)))
    mean = g.normal(offset, 2.0, d)
    return (g.standard_normal((n, d)) * np.asarray(scales)) @ rotation.T + mean


def _svd_oracle(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Vh, variances S**2 / (N - 1)) from torch.linalg.svd of the centred data."""
    import torch

    x = torch.from_numpy(X)
    _, s, vh = torch.linalg.svd(x - x.mean(dim=0), full_matrices=False)
    var = (s**2 / (X.shape[0] - 1)).numpy()
    return vh.numpy(), var


def _fit(X: np.ndarray, k: int | None) -> PCA:
    with forbidden("numpy.linalg.svd", by=BY):
        return PCA(n_components=k).fit(X)


def _components(pca: PCA, k: int, d: int) -> np.ndarray:
    got = np.asarray(pca.components_)
    assert got.shape == (k, d), (
        f"components_ should have shape (k, D) = ({k}, {d}), got {got.shape}. "
        "Hint: one principal axis per ROW; eigh returns eigenvectors as COLUMNS.")
    return got


def _assert_same_axes(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    abs_cos = np.abs(np.sum(got * expected, axis=1)) / (
        np.linalg.norm(got, axis=1) * np.linalg.norm(expected, axis=1))
    assert_close(abs_cos, np.ones(len(expected)), atol=1e-4,
                 what=f"|cosine| between each row of components_ and the matching principal "
                      f"axis ({what})",
                 oracle="right singular vectors of torch.linalg.svd(X - X.mean(0)), up to sign",
                 hint="centre X first; sort eigenpairs by DECREASING eigenvalue (np.linalg.eigh "
                      "returns them in increasing order); store axes as rows.")


def _signs(got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    return np.sign(np.sum(got * expected, axis=1))


def test_components_are_orthonormal_rows_sorted_by_variance():
    X = _data(10, 80, [6.0, 4.0, 2.5, 1.5, 0.8, 0.3])
    pca = _fit(X, 4)
    got = _components(pca, 4, 6)
    assert_close(got @ got.T, np.eye(4), atol=1e-10,
                 what="components_ @ components_.T (k=4 of D=6)",
                 oracle="the identity: principal axes are orthonormal",
                 hint="take eigenvectors (columns of eigh's result) as rows, without rescaling.")
    ev = np.asarray(pca.explained_variance_)
    assert ev.shape == (4,) and np.all(np.diff(ev) < 0), (
        f"explained_variance_ should be 4 values in decreasing order, got {ev}. "
        "Hint: np.linalg.eigh returns eigenvalues in INCREASING order; reorder eigenvalues and "
        "eigenvectors together.")
    vh, var = _svd_oracle(X)
    _assert_same_axes(got, vh[:4], "X: 80 x 6, n_components=4")
    assert_close(ev, var[:4], rtol=1e-9, atol=1e-12,
                 what="explained_variance_ (X: 80 x 6, n_components=4)",
                 oracle="S**2 / (N - 1) from torch.linalg.svd of the centred data",
                 hint="eigenvalues of Xc.T @ Xc / (N - 1), largest first.")


def test_explained_variance_is_not_divided_by_n():
    X = _data(11, 12, [3.0, 1.0, 0.5])  # small N: N vs N - 1 differ by 9%
    pca = _fit(X, 2)
    _, var = _svd_oracle(X)
    assert_close(pca.explained_variance_, var[:2], rtol=1e-9, atol=1e-12,
                 what="explained_variance_ with N = 12 rows",
                 oracle="S**2 / (N - 1) from torch.linalg.svd of the centred data",
                 hint="the sample covariance divides by N - 1 (the unbiased convention), "
                      "not by N.")


def test_explained_variance_ratio_is_share_of_total_variance():
    X = _data(12, 50, [4.0, 3.0, 1.0, 0.5, 0.5])
    pca = _fit(X, 2)
    _, var = _svd_oracle(X)
    assert_close(pca.explained_variance_ratio_, var[:2] / var.sum(), rtol=1e-9, atol=1e-12,
                 what="explained_variance_ratio_ with 2 of 5 components kept",
                 oracle="S_j**2 / sum of all S**2 (torch.linalg.svd of the centred data)",
                 hint="divide by the sum of ALL D eigenvalues (the trace of the covariance), "
                      "not only the kept ones.")


def test_wide_data_n_smaller_than_d():
    """PCA works on wide data with fewer samples than features."""
    X = _data(13, 9, [5.0, 4.0, 3.0, 2.0, 1.5, 1.0, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1])
    pca = _fit(X, 5)
    got = _components(pca, 5, 12)
    vh, var = _svd_oracle(X)
    _assert_same_axes(got, vh[:5], "wide X: 9 x 12, n_components=5")
    assert_close(pca.explained_variance_, var[:5], rtol=1e-8, atol=1e-10,
                 what="explained_variance_ for wide X (9 x 12), n_components=5",
                 oracle="S**2 / (N - 1) from torch.linalg.svd of the centred data")


def test_tall_data_rectangular_components():
    """PCA on tall data returns components of the right shape."""
    X = _data(14, 200, [2.0, 1.2, 0.7])
    pca = _fit(X, 2)
    got = _components(pca, 2, 3)
    vh, _ = _svd_oracle(X)
    _assert_same_axes(got, vh[:2], "tall X: 200 x 3, n_components=2")


def test_default_n_components_is_min_of_n_and_d():
    """By default PCA keeps as many components as the smaller of n and d."""
    tall = _data(15, 20, [2.0, 1.0, 0.5, 0.25])
    pca = _fit(tall, None)
    assert pca.n_components_ == 4, (
        f"n_components=None with X 20 x 4: expected n_components_ = 4, got "
        f"{pca.n_components_}. Hint: None keeps min(N, D) components.")
    assert np.asarray(pca.components_).shape == (4, 4)
    wide = _data(16, 3, [2.0, 1.5, 1.0, 0.5, 0.25, 0.1])
    pca = _fit(wide, None)
    assert pca.n_components_ == 3, (
        f"n_components=None with X 3 x 6: expected n_components_ = 3, got "
        f"{pca.n_components_}. Hint: None keeps min(N, D) components.")
    assert np.asarray(pca.components_).shape == (3, 6)
    assert np.asarray(pca.explained_variance_).shape == (3,)


def test_not_centring_is_caught_by_a_large_mean():
    """PCA centres the data, checked on data with a large mean."""
    # A mean of 100 dominates the uncentred second-moment matrix: its top eigenvector would
    # point at the mean, not along the direction of most variance.
    X = _data(17, 60, [3.0, 1.0, 0.3], offset=100.0)
    pca = _fit(X, 1)
    vh, var = _svd_oracle(X)
    assert_close(pca.mean_, X.mean(axis=0), rtol=1e-12, atol=1e-9,
                 what="mean_ (X: 60 x 3 with mean ~100)", oracle="X.mean(axis=0)")
    _assert_same_axes(_components(pca, 1, 3), vh[:1], "X with mean ~100, n_components=1")
    assert_close(pca.explained_variance_, var[:1], rtol=1e-9,
                 what="explained_variance_ for X with mean ~100",
                 oracle="S**2 / (N - 1) of the centred data",
                 hint="subtract the column means before building the covariance.")


def test_reconstruction_mse_equals_discarded_variance():
    # With Xc = U S V^T, ||Xc - Xc V_k V_k^T||_F^2 = sum_{j>k} S_j^2 = (N - 1) sum_{j>k} lambda_j.
    # MSE here = mean over the N rows of the squared Euclidean error (summed over features),
    # so MSE = (N - 1) / N * (sum of the discarded eigenvalues).
    X = _data(18, 40, [4.0, 2.0, 1.0, 0.6, 0.3])
    n = X.shape[0]
    _, all_var = _svd_oracle(X)
    for k in (1, 2, 4):
        pca = _fit(X, k)
        X_hat = pca.inverse_transform(pca.transform(X))
        mse = np.mean(np.sum((X - X_hat) ** 2, axis=1))
        assert_close(mse, all_var[k:].sum() * (n - 1) / n, rtol=1e-8, atol=1e-10,
                     what=f"reconstruction MSE (mean over rows of squared error) with k={k} "
                          "of 5 components",
                     oracle="(N - 1) / N * sum of the discarded S**2 / (N - 1) from "
                            "torch.linalg.svd",
                     hint="keep the axes of the LARGEST variances; inverse_transform must add "
                          "mean_ back.")


def test_inverse_transform_projects_onto_top_subspace():
    """Inverse transform projects onto the subspace of the top components."""
    X = _data(19, 50, [3.0, 2.0, 1.0, 0.5])
    pca = _fit(X, 2)
    vh, _ = _svd_oracle(X)
    mean = X.mean(axis=0)
    projector = vh[:2].T @ vh[:2]  # (D, D), the same for either sign of each axis
    expected = (X - mean) @ projector + mean
    assert_close(pca.inverse_transform(pca.transform(X)), expected, rtol=1e-9, atol=1e-9,
                 what="inverse_transform(transform(X)) with 2 of 4 components",
                 oracle="orthogonal projection onto the top-2 right singular vectors "
                        "(torch.linalg.svd) plus the mean",
                 hint="inverse_transform is Z @ components_ + mean_.")


def test_transform_of_training_data_is_centred_and_decorrelated():
    X = _data(20, 70, [5.0, 2.0, 1.0, 0.4])
    pca = _fit(X, 3)
    Z = np.asarray(pca.transform(X))
    assert Z.shape == (70, 3), f"transform(X) should have shape (N, k) = (70, 3), got {Z.shape}"
    assert_close(Z.mean(axis=0), np.zeros(3), atol=1e-10,
                 what="column means of transform(X_train)",
                 oracle="zero: the training data is centred before projecting",
                 hint="subtract mean_ before multiplying by components_.T.")
    cov = Z.T @ Z / (70 - 1)
    assert_close(cov, np.diag(pca.explained_variance_), rtol=1e-9, atol=1e-9,
                 what="covariance (N - 1) of transform(X_train)",
                 oracle="diag(explained_variance_): projected coordinates are uncorrelated",
                 hint="project onto unit eigenvectors of the covariance, one per row of "
                      "components_.")


def test_transform_uses_the_training_mean_on_new_data():
    X = _data(21, 60, [3.0, 1.5, 0.5])
    g = rng(22)
    X_new = g.normal(0.0, 1.0, (5, 3)) + 10.0  # far from the training mean
    pca = _fit(X, 2)
    vh, _ = _svd_oracle(X)
    comps = _components(pca, 2, 3)
    _assert_same_axes(comps, vh[:2], "X: 60 x 3, n_components=2")
    expected = (X_new - X.mean(axis=0)) @ (vh[:2] * _signs(comps, vh[:2])[:, None]).T
    assert_close(pca.transform(X_new), expected, rtol=1e-9, atol=1e-9,
                 what="transform(X_new) for 5 new rows far from the training data",
                 oracle="(X_new - training mean) @ V_k from torch.linalg.svd (signs matched)",
                 hint="transform must subtract the TRAINING mean_, not the mean of the data it "
                      "is given.")
    one = pca.transform(X_new[:1])
    assert_close(one, expected[:1], rtol=1e-9, atol=1e-9,
                 what="transform of a single new row", oracle="as above",
                 hint="a single row minus its own mean is zero: use mean_ from fit.")


def test_fit_transform_equals_fit_then_transform():
    X = _data(23, 40, [2.0, 1.0, 0.5, 0.2])
    with forbidden("numpy.linalg.svd", by="phase0.pca.PCA.fit_transform"):
        pca = PCA(n_components=2)
        Z = pca.fit_transform(X)
    assert_close(Z, pca.transform(X), rtol=1e-12, atol=1e-12,
                 what="fit_transform(X) vs transform(X) of the same fitted PCA",
                 oracle="the definition of fit_transform")
    vh, _ = _svd_oracle(X)
    _assert_same_axes(_components(pca, 2, 4), vh[:2], "after fit_transform")


def test_n_components_matters():
    """n_components sets how many components are kept and returned by transform."""
    X = _data(24, 30, [2.0, 1.5, 1.0, 0.5, 0.2])
    for k in (1, 3, 5):
        pca = _fit(X, k)
        assert_equal(pca.n_components_, k, what=f"n_components_ for n_components={k}",
                     oracle="the constructor argument")
        assert np.asarray(pca.transform(X)).shape == (30, k), (
            f"transform(X) with n_components={k} should have shape (30, {k}), "
            f"got {np.asarray(pca.transform(X)).shape}")


def test_invalid_inputs_raise_value_error():
    X = _data(25, 10, [1.0, 0.5, 0.2])
    with pytest.raises(ValueError):
        PCA(n_components=4).fit(X)  # more components than D = 3
    with pytest.raises(ValueError):
        PCA(n_components=0).fit(X)
    with pytest.raises(ValueError):
        PCA().fit(X[0])  # 1-D
    with pytest.raises(ValueError):
        PCA().fit(X[:1])  # one row: no covariance with N - 1 = 0
    pca = _fit(X, 2)
    with pytest.raises(ValueError):
        pca.transform(np.ones((4, 5)))  # wrong number of features
    with pytest.raises(ValueError):
        pca.inverse_transform(np.ones((4, 3)))  # k = 2 columns expected
