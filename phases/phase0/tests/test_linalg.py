"""Public smoke tests for phase0.linalg (the grader also runs hidden/test_linalg.py)."""

import numpy as np
import torch
from phase0_testkit import NO_EIGEN, NO_INVERSE, NO_NUMPY

from phase0 import linalg
from shared import assert_close, forbidden, rng


def test_matmul_matches_numpy_on_rectangular_inputs():
    g = rng(0)
    A, B = g.standard_normal((3, 5)), g.standard_normal((5, 2))
    with forbidden(*NO_NUMPY, by="phase0.linalg.matmul"):
        got = linalg.matmul(A.tolist(), B.tolist())
    assert isinstance(got, list) and all(isinstance(row, list) for row in got), (
        f"matmul should return a list of lists (pure Python), got {type(got).__name__}")
    assert_close(got, A @ B, atol=1e-12, rtol=1e-12,
                 what="matmul(A, B) for A (3, 5) and B (5, 2)", oracle="numpy's A @ B",
                 hint="C[i][j] sums A[i][k] * B[k][j] over k; the result has len(A) rows and "
                      "len(B[0]) columns. Check the order of your indices.")


def test_broadcast_shape_matches_torch():
    for a, b in [((8, 1, 6, 1), (7, 1, 5)), ((3, 1), (4,)), ((), (2, 3)), ((5, 4), (1,))]:
        got = linalg.broadcast_shape(a, b)
        expected = tuple(torch.broadcast_shapes(a, b))
        assert got == expected and isinstance(got, tuple), (
            f"broadcast_shape({a}, {b}): expected {expected} (from torch.broadcast_shapes), "
            f"got {got!r}. Hint: align the shapes on the right and pad the shorter one with 1s "
            "on the left.")


def test_inverse_times_matrix_is_identity():
    A = rng(1).standard_normal((6, 6))
    with forbidden(*NO_INVERSE, by="phase0.linalg.inverse"):
        X = linalg.inverse(A)
    assert_close(A @ X, np.eye(6), atol=1e-10, rtol=0,
                 what="A @ inverse(A) for a random (6, 6) matrix A", oracle="the identity",
                 hint="row-reduce [A | I] until the left half is I; every row operation must "
                      "be applied to the whole augmented row.")


def test_symmetric_eigen_matches_torch_eigvalsh():
    M = rng(2).standard_normal((5, 5))
    A = M + M.T
    with forbidden(*NO_EIGEN, by="phase0.linalg.symmetric_eigen"):
        w, V = linalg.symmetric_eigen(A)
    expected = torch.linalg.eigvalsh(torch.from_numpy(A)).numpy()
    assert_close(w, expected, atol=1e-9, rtol=1e-9,
                 what="eigenvalues of a random symmetric (5, 5) matrix",
                 oracle="torch.linalg.eigvalsh (ascending)",
                 hint="return the eigenvalues sorted ascending (negative ones first), and "
                      "reorder the eigenvector columns the same way.")
    assert_close(A @ V, V * w, atol=1e-9, rtol=0,
                 what="A @ V against V * w (column i of V times w[i])",
                 oracle="the definition A v = lambda v",
                 hint="eigenvectors are the COLUMNS of V, accumulated as V <- V J.")
