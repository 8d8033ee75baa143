"""Vectors, matrices, broadcasting, inverse and eigenvectors.

Part 1 is pure Python: vectors are lists of numbers and matrices are lists of rows. Do not use
NumPy there; the point is to write the loops yourself and see every index.

Part 2 is about how arrays are laid out: broadcasting rules and strides.

Part 3 uses NumPy arrays: a matrix inverse by Gauss-Jordan elimination and two eigen-solvers
(power iteration and Jacobi), without NumPy's own linear-algebra routines.
"""

from __future__ import annotations

import numpy as np

Vector = list[float]
Matrix = list[list[float]]


# --- Part 1: pure Python ---------------------------------------------------------------------


def dot(u: Vector, v: Vector) -> float:
    """Dot product of two vectors: sum_i u[i] * v[i].

    Args:
        u: (N,) list of numbers.
        v: (N,) list of numbers.

    Returns:
        The dot product, a Python number (exact for integer inputs).

    Raises:
        ValueError: if len(u) != len(v). Never drop the extra entries silently.

    Pure Python: do not use NumPy.
    """
    raise NotImplementedError("phase0.linalg.dot")


def matvec(A: Matrix, x: Vector) -> Vector:
    """Matrix-vector product: y[i] = sum_j A[i][j] * x[j].

    Args:
        A: (M, N) matrix, a list of M rows, each a list of N numbers (M, N >= 1).
        x: (N,) list of numbers.

    Returns:
        y: (M,) list of numbers.

    Raises:
        ValueError: if A is empty or ragged (rows of different lengths), or len(x) != N.

    Pure Python: do not use NumPy.
    """
    raise NotImplementedError("phase0.linalg.matvec")


def matmul(A: Matrix, B: Matrix) -> Matrix:
    """Matrix-matrix product: C[i][j] = sum_k A[i][k] * B[k][j].

    Args:
        A: (M, K) matrix (list of M rows of K numbers).
        B: (K, N) matrix (list of K rows of N numbers).

    Returns:
        C: (M, N) matrix, a new list of lists (exact for integer inputs).

    Raises:
        ValueError: if A or B is empty or ragged, or A's column count differs from B's row
            count.

    Pure Python: do not use NumPy.
    """
    raise NotImplementedError("phase0.linalg.matmul")


def transpose(A: Matrix) -> Matrix:
    """Transpose: T[j][i] = A[i][j].

    Args:
        A: (M, N) matrix (list of M rows of N numbers, M, N >= 1).

    Returns:
        T: (N, M) matrix, a new list of lists (A is not modified).

    Raises:
        ValueError: if A is empty or ragged.

    Pure Python: do not use NumPy.
    """
    raise NotImplementedError("phase0.linalg.transpose")


def outer(u: Vector, v: Vector) -> Matrix:
    """Outer product: P[i][j] = u[i] * v[j].

    Args:
        u: (M,) list of numbers.
        v: (N,) list of numbers.

    Returns:
        P: (M, N) matrix (list of M rows of N numbers).

    Pure Python: do not use NumPy.
    """
    raise NotImplementedError("phase0.linalg.outer")


def norm(v: Vector, p: float = 2) -> float:
    """The p-norm of a vector, for p = 1, 2 or infinity.

        p = 1:        sum_i |v[i]|
        p = 2:        sqrt(sum_i v[i]**2)
        p = math.inf: max_i |v[i]|        (the largest absolute value)

    Args:
        v: (N,) list of numbers, N >= 1.
        p: 1, 2 or math.inf (float("inf")).

    Returns:
        The norm, a Python float (>= 0).

    Raises:
        ValueError: for any other p.

    Pure Python: do not use NumPy.
    """
    raise NotImplementedError("phase0.linalg.norm")


# --- Part 2: broadcasting and memory layout --------------------------------------------------


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """The shape that NumPy's broadcasting gives to a + b for arrays of shapes a and b.

    Align the shapes on the right (pad the shorter one with 1s on the left). In each position
    the two sizes must be equal, or one of them must be 1, which stretches to the other size
    (even to 0). The result has the length of the longer shape.

    Example: (8, 1, 6, 1) and (7, 1, 5) broadcast to (8, 7, 6, 5).

    Args:
        a: a shape, a tuple of non-negative ints (may be ()).
        b: another shape.

    Returns:
        The broadcast shape, a tuple of ints.

    Raises:
        ValueError: if the shapes are incompatible (sizes differ and neither is 1).

    Do not call np.broadcast_shapes or build arrays: work on the tuples.
    """
    raise NotImplementedError("phase0.linalg.broadcast_shape")


def strides(shape: tuple[int, ...], itemsize: int, order: str = "C") -> tuple[int, ...]:
    """Strides in bytes of a contiguous array of this shape, as in np.empty(shape).strides.

    strides[d] is how many bytes to move in memory to go one step along axis d.
    - order="C" (row-major): the last axis is contiguous, so strides[-1] = itemsize and
      strides[d] = strides[d + 1] * shape[d + 1].
    - order="F" (column-major): the first axis is contiguous, so strides[0] = itemsize and
      strides[d] = strides[d - 1] * shape[d - 1].

    Example: shape (2, 3, 4), itemsize 8: C gives (96, 32, 8), F gives (8, 16, 48).

    Args:
        shape: a tuple of positive ints (may be (), which gives ()).
        itemsize: bytes per element (8 for float64, 4 for float32, ...).
        order: "C" or "F".

    Returns:
        The strides, a tuple of ints, one per axis.

    Raises:
        ValueError: if order is not "C" or "F".
    """
    raise NotImplementedError("phase0.linalg.strides")


# --- Part 3: inverse and eigenvectors (NumPy arrays) -----------------------------------------


def inverse(A: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """The inverse of a square matrix, by Gauss-Jordan elimination with partial pivoting.

    Row-reduce the augmented matrix [A | I] to [I | A^-1]. For each column k, partial pivoting
    swaps in the row (at or below k) with the largest |entry| in column k, then scales that
    row so the pivot is 1 and subtracts multiples of it from every other row.

    Args:
        A: (N, N) array of real numbers (integers allowed: compute in float64).
        tol: A is treated as singular when the best pivot available in some column has
            |pivot| <= tol * max|A| (max over the entries of the original A).

    Returns:
        (N, N) float64 array X with A @ X = I. A is not modified.

    Raises:
        ValueError: if A is not a square 2-D array, or is singular (see tol).

    Do not call np.linalg.inv, np.linalg.pinv, np.linalg.solve or np.linalg.lstsq.
    """
    raise NotImplementedError("phase0.linalg.inverse")


def power_iteration(
    A: np.ndarray, num_iters: int = 1000, seed: int = 0
) -> tuple[float, np.ndarray]:
    """The dominant eigenpair (largest |eigenvalue|) of a square matrix, by power iteration.

    Start from v = np.random.default_rng(seed).standard_normal(N), normalised to length 1.
    Then repeat exactly num_iters times: v = A @ v, then v = v / ||v||_2.
    Return the Rayleigh quotient lam = v @ A @ v of the final unit vector v, and v.
    The eigenvalue keeps its sign: a dominant eigenvalue of -5 is returned as -5, not 5.

    Args:
        A: (N, N) float array whose dominant eigenvalue is real and strictly largest in |.|.
        num_iters: number of multiplications by A (0 returns the normalised start vector).
        seed: seed of the start vector.

    Returns:
        (lam, v): lam a Python float; v an (N,) float64 array with ||v||_2 = 1.

    Raises:
        ValueError: if A is not a square 2-D array.

    Do not call np.linalg.eig, eigh, eigvals, eigvalsh or svd.
    """
    raise NotImplementedError("phase0.linalg.power_iteration")


def symmetric_eigen(A: np.ndarray, max_sweeps: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """All eigenvalues and eigenvectors of a symmetric matrix, by the cyclic Jacobi method.

    Repeatedly apply Jacobi rotations J (a rotation in the (p, q) plane chosen so that
    (J^T A J)[p, q] = 0): A <- J^T A J, V <- V J, starting from V = I. One sweep visits every
    pair p < q once. Stop when the off-diagonal entries are negligible (for example
    sqrt(sum of their squares) <= 1e-12 * ||A||_F) or after max_sweeps sweeps, whichever comes
    first. Then the diagonal of A holds the eigenvalues and the columns of V the eigenvectors.

    Args:
        A: (N, N) symmetric float array.
        max_sweeps: the most sweeps to run. With max_sweeps=0 no rotation is applied: the
            result is the sorted diagonal of A and the matching columns of the identity.

    Returns:
        (w, V): w an (N,) float64 array of eigenvalues in ascending order; V an (N, N) float64
        array whose column V[:, i] is a unit eigenvector for w[i] (A @ V[:, i] = w[i] * V[:, i]),
        the columns orthonormal (V.T @ V = I). A is not modified.

    Raises:
        ValueError: if A is not square 2-D, or not symmetric (np.allclose(A, A.T) is False).

    Do not call np.linalg.eig, eigh, eigvals, eigvalsh or svd.
    """
    raise NotImplementedError("phase0.linalg.symmetric_eigen")
