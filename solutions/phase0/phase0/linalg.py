"""Vectors, matrices, broadcasting, inverse and eigenvectors: reference solutions.

Part 1 writes the loops of BLAS by hand; part 2 follows NumPy's broadcasting rules and
strided memory layout (NumPy user guide, "Broadcasting" and "Internal memory layout of an
ndarray"); part 3 follows Golub & Van Loan, Matrix Computations (4th ed.): Gauss-Jordan
elimination with partial pivoting (ch. 3), the power method (sec. 7.3) and the cyclic Jacobi
method for symmetric matrices (sec. 8.5), with Rutishauser's stable rotation formulas.
"""

from __future__ import annotations

import math

import numpy as np

Vector = list[float]
Matrix = list[list[float]]


def _check_matrix(A: Matrix, name: str) -> tuple[int, int]:
    """(rows, cols) of a non-empty rectangular list-of-lists matrix; ValueError otherwise."""
    if len(A) == 0 or len(A[0]) == 0:
        raise ValueError(f"{name} must have at least one row and one column")
    cols = len(A[0])
    for i, row in enumerate(A):
        if len(row) != cols:
            raise ValueError(f"{name} is ragged: row 0 has {cols} entries, row {i} has {len(row)}")
    return len(A), cols


def _check_square(A: np.ndarray) -> int:
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"expected a square 2-D array, got shape {A.shape}")
    return A.shape[0]


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
    if len(u) != len(v):
        raise ValueError(f"dot: vectors of lengths {len(u)} and {len(v)}")
    total = 0
    for a, b in zip(u, v, strict=True):
        total += a * b
    return total


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
    _, n = _check_matrix(A, "A")
    if len(x) != n:
        raise ValueError(f"matvec: A has {n} columns but x has {len(x)} entries")
    return [dot(row, x) for row in A]


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
    m, k = _check_matrix(A, "A")
    k2, n = _check_matrix(B, "B")
    if k != k2:
        raise ValueError(f"matmul: A is ({m}, {k}) but B is ({k2}, {n})")
    # C[i][j] is row i of A dotted with column j of B.
    cols = transpose(B)  # (N, K)
    return [[dot(row, col) for col in cols] for row in A]


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
    m, n = _check_matrix(A, "A")
    return [[A[i][j] for i in range(m)] for j in range(n)]


def outer(u: Vector, v: Vector) -> Matrix:
    """Outer product: P[i][j] = u[i] * v[j].

    Args:
        u: (M,) list of numbers.
        v: (N,) list of numbers.

    Returns:
        P: (M, N) matrix (list of M rows of N numbers).

    Pure Python: do not use NumPy.
    """
    return [[a * b for b in v] for a in u]


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
    if p == 1:
        return float(sum(abs(a) for a in v))
    if p == 2:
        return math.sqrt(sum(a * a for a in v))
    if p == math.inf:
        return float(max(abs(a) for a in v))  # max |v_i|, not max v_i
    raise ValueError(f"norm: p must be 1, 2 or math.inf, got {p!r}")


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
    ndim = max(len(a), len(b))
    # Pad on the left with 1s so that both shapes align on the right.
    a = (1,) * (ndim - len(a)) + tuple(a)
    b = (1,) * (ndim - len(b)) + tuple(b)
    out = []
    for da, db in zip(a, b, strict=True):
        if da == db or db == 1:
            out.append(da)
        elif da == 1:
            out.append(db)  # a size-1 axis stretches to the other size, even to 0
        else:
            raise ValueError(f"shapes {a} and {b} are not broadcastable: {da} vs {db}")
    return tuple(out)


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
    if order not in ("C", "F"):
        raise ValueError(f'order must be "C" or "F", got {order!r}')
    dims = list(shape) if order == "F" else list(reversed(shape))
    out = []
    step = itemsize
    for size in dims:  # from the contiguous axis outwards
        out.append(step)
        step *= size
    return tuple(out) if order == "F" else tuple(reversed(out))


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
    A = np.asarray(A, dtype=np.float64)
    n = _check_square(A)
    threshold = tol * (np.abs(A).max() if A.size else 0.0)
    aug = np.hstack([A, np.eye(n)])  # (N, 2N): [A | I], a float64 copy
    for k in range(n):
        # Partial pivoting: bring up the row with the largest |entry| in column k.
        pivot_row = k + int(np.argmax(np.abs(aug[k:, k])))
        if abs(aug[pivot_row, k]) <= threshold:
            raise ValueError("inverse: the matrix is singular (or nearly so)")
        if pivot_row != k:
            aug[[k, pivot_row]] = aug[[pivot_row, k]]
        aug[k] /= aug[k, k]
        # Eliminate column k from every other row (above and below: Gauss-Jordan).
        factors = aug[:, k].copy()
        factors[k] = 0.0
        aug -= np.outer(factors, aug[k])
    return aug[:, n:]


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
    A = np.asarray(A, dtype=np.float64)
    n = _check_square(A)
    v = np.random.default_rng(seed).standard_normal(n)
    v /= np.sqrt(v @ v)
    for _ in range(num_iters):
        v = A @ v
        v /= np.sqrt(v @ v)
    # The Rayleigh quotient keeps the sign of the eigenvalue (|A v| would lose it).
    return float(v @ A @ v), v


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
    A = np.array(A, dtype=np.float64)  # a copy: the rotations work in place
    n = _check_square(A)
    if not np.allclose(A, A.T):
        raise ValueError("symmetric_eigen: A is not symmetric")
    V = np.eye(n)
    scale = np.sqrt((A * A).sum())
    for _ in range(max_sweeps):
        # Sum the off-diagonal squares directly: "total minus diagonal" cancels catastrophically.
        off = np.sqrt(2.0 * (np.triu(A, k=1) ** 2).sum())
        if off <= 1e-12 * scale:
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                if A[p, q] == 0.0:
                    continue
                # Choose t = tan(angle) so that the rotated A[p, q] is 0; take the smaller root
                # (|angle| <= pi/4) for stability. theta = 0 (equal diagonals) gives t = 1.
                theta = (A[q, q] - A[p, p]) / (2.0 * A[p, q])
                t = (1.0 if theta >= 0 else -1.0) / (abs(theta) + math.hypot(theta, 1.0))
                c = 1.0 / np.sqrt(t * t + 1.0)
                s = t * c
                # A <- J^T A J touches rows and columns p and q only.
                ap, aq = A[:, p].copy(), A[:, q].copy()
                A[:, p], A[:, q] = c * ap - s * aq, s * ap + c * aq
                ap, aq = A[p, :].copy(), A[q, :].copy()
                A[p, :], A[q, :] = c * ap - s * aq, s * ap + c * aq
                # V <- V J accumulates the eigenvectors as columns.
                vp, vq = V[:, p].copy(), V[:, q].copy()
                V[:, p], V[:, q] = c * vp - s * vq, s * vp + c * vq
    order = np.argsort(np.diag(A), kind="stable")
    return np.diag(A)[order].copy(), V[:, order]
