"""Hidden grading tests for phase0.linalg.

Oracles: NumPy and torch on random rectangular inputs, np.empty(...).strides,
torch.broadcast_shapes, torch.linalg.inv / eigvalsh, and the definitions A @ inv(A) = I and
A v = lambda v.
"""

import math

import numpy as np
import pytest
import torch
from phase0_testkit import NO_EIGEN, NO_INVERSE, NO_NUMPY

from phase0 import linalg
from shared import assert_close, assert_equal, expect_value_error, forbidden, rng


def pure(name, *args, **kwargs):
    """Call linalg.<name> with NumPy's main entry points forbidden (part 1 is pure Python)."""
    with forbidden(*NO_NUMPY, by=f"phase0.linalg.{name}"):
        return getattr(linalg, name)(*args, **kwargs)


def check_nested_lists(got, name):
    assert isinstance(got, list) and all(isinstance(row, list) for row in got), (
        f"{name} should return a list of lists (pure Python), got {type(got).__name__}.")


def with_spectrum(eigenvalues, seed):
    """A symmetric matrix Q diag(eigenvalues) Q^T with a random orthogonal Q, and Q."""
    n = len(eigenvalues)
    Q, _ = np.linalg.qr(rng(seed).standard_normal((n, n)))
    return Q @ np.diag(eigenvalues) @ Q.T, Q


# --- part 1: pure Python ---------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 4, 9])
def test_dot_matches_numpy(n):
    g = rng(10 + n)
    u, v = g.standard_normal(n), g.standard_normal(n)
    got = pure("dot", u.tolist(), v.tolist())
    assert_close(got, float(u @ v), atol=1e-12, rtol=1e-12,
                 what=f"dot(u, v) for random vectors of length {n}", oracle="numpy's u @ v",
                 hint="sum u[i] * v[i] over every i.")


def test_dot_is_exact_on_integers():
    g = rng(11)
    u, v = g.integers(-50, 50, 7), g.integers(-50, 50, 7)
    got = pure("dot", u.tolist(), v.tolist())
    assert_equal(got, int(torch.dot(torch.from_numpy(u), torch.from_numpy(v))),
                 what="dot(u, v) on integer vectors of length 7", oracle="torch.dot on int64",
                 hint="accumulate the exact products; do not round.")


@pytest.mark.parametrize("lengths", [(3, 4), (4, 3), (0, 2)])
def test_dot_rejects_mismatched_lengths(lengths):
    u, v = [1.0] * lengths[0], [2.0] * lengths[1]
    expect_value_error(lambda: pure("dot", u, v), f"dot of vectors of lengths {lengths}",
                       "check the lengths first; zip() silently drops the extra entries.")


def test_matvec_matches_numpy_on_rectangular_matrix():
    g = rng(12)
    A, x = g.standard_normal((4, 7)), g.standard_normal(7)
    got = pure("matvec", A.tolist(), x.tolist())
    assert isinstance(got, list), f"matvec should return a list, got {type(got).__name__}."
    assert_close(got, A @ x, atol=1e-12, rtol=1e-12,
                 what="matvec(A, x) for A (4, 7) and x (7,)", oracle="numpy's A @ x",
                 hint="y has one entry per ROW of A: y[i] = sum_j A[i][j] * x[j].")


@pytest.mark.parametrize("x_len", [6, 8])
def test_matvec_rejects_wrong_vector_length(x_len):
    A = rng(13).standard_normal((4, 7)).tolist()
    expect_value_error(lambda: pure("matvec", A, [1.0] * x_len),
                       f"matvec of a (4, 7) matrix with a vector of length {x_len}",
                       "x must have one entry per column of A; never truncate or pad.")


def test_matmul_matches_numpy_on_rectangular_inputs():
    g = rng(14)
    for m, k, n in [(2, 3, 4), (4, 1, 3), (1, 5, 1), (3, 4, 2)]:
        A, B = g.standard_normal((m, k)), g.standard_normal((k, n))
        got = pure("matmul", A.tolist(), B.tolist())
        check_nested_lists(got, "matmul")
        assert_close(got, A @ B, atol=1e-12, rtol=1e-12,
                     what=f"matmul(A, B) for A {A.shape} and B {B.shape}",
                     oracle="numpy's A @ B",
                     hint="C has len(A) rows and len(B[0]) columns; C[i][j] = "
                          "sum_k A[i][k] * B[k][j]. Check the index order.")


def test_matmul_is_exact_on_integers():
    g = rng(15)
    A, B = g.integers(-9, 10, (3, 5)), g.integers(-9, 10, (5, 4))
    got = pure("matmul", A.tolist(), B.tolist())
    expected = torch.from_numpy(A) @ torch.from_numpy(B)
    assert_equal(got, expected.numpy(), what="matmul on integer matrices (3, 5) @ (5, 4)",
                 oracle="torch.matmul on int64")


@pytest.mark.parametrize("b_shape", [(4, 2), (2, 2), (2, 3)])
def test_matmul_rejects_inner_dimension_mismatch(b_shape):
    A = rng(16).standard_normal((2, 3)).tolist()
    expect_value_error(lambda: pure("matmul", A, np.ones(b_shape).tolist()),
                       f"matmul of a (2, 3) matrix with a {b_shape} matrix",
                       "A's column count must equal B's row count; check it before looping.")


def test_ragged_or_empty_matrices_raise():
    ragged = [[1.0, 2.0, 3.0], [4.0, 5.0]]
    square = [[1.0, 0.0], [0.0, 1.0]]
    cases = [
        ("matvec", (ragged, [1.0, 1.0, 1.0])),
        ("matvec", ([[1.0, 2.0], [3.0, 4.0, 5.0]], [1.0, 1.0])),
        ("matmul", (ragged, [[1.0], [1.0], [1.0]])),
        ("matmul", (square, [[1.0, 2.0], [3.0]])),
        ("transpose", (ragged,)),
        ("transpose", ([[1.0, 2.0], [3.0, 4.0, 5.0]],)),
        ("transpose", ([],)),
        ("matmul", ([], square)),
    ]
    for name, args in cases:
        try:
            pure(name, *args)
        except ValueError:
            continue
        raise AssertionError(
            f"{name}{args} should raise ValueError (the matrix is ragged or empty), but it "
            "returned. Hint: check that every row has the same length as the first.")


def test_transpose_matches_numpy_on_rectangular_matrix():
    A = rng(17).standard_normal((3, 5))
    as_list = A.tolist()
    got = pure("transpose", as_list)
    check_nested_lists(got, "transpose")
    assert_close(got, A.T, atol=0, rtol=0, what="transpose(A) for A of shape (3, 5)",
                 oracle="numpy's A.T", hint="T has N rows and M columns: T[j][i] = A[i][j].")
    assert as_list == A.tolist(), "transpose must not modify its input."
    assert_close(pure("transpose", got), A, atol=0, rtol=0,
                 what="transpose(transpose(A))", oracle="A itself (round trip)")


def test_transpose_of_single_row_and_column():
    """Transpose turns a single row into a column and a single column into a row."""
    assert pure("transpose", [[1.0, 2.0, 3.0]]) == [[1.0], [2.0], [3.0]], (
        "transpose([[1, 2, 3]]) should be [[1], [2], [3]] (a (1, 3) row becomes a (3, 1) column).")
    assert pure("transpose", [[1.0], [2.0]]) == [[1.0, 2.0]], (
        "transpose([[1], [2]]) should be [[1, 2]].")


def test_outer_matches_numpy():
    g = rng(18)
    u, v = g.standard_normal(4), g.standard_normal(6)
    got = pure("outer", u.tolist(), v.tolist())
    check_nested_lists(got, "outer")
    assert_close(got, np.outer(u, v), atol=1e-15, rtol=1e-15,
                 what="outer(u, v) for u (4,) and v (6,)", oracle="numpy.outer",
                 hint="P has len(u) rows: P[i][j] = u[i] * v[j].")


@pytest.mark.parametrize("p", [1, 2, math.inf])
def test_norm_matches_torch_vector_norm(p):
    v = rng(19).standard_normal(9) * 3
    got = pure("norm", v.tolist(), p)
    expected = torch.linalg.vector_norm(torch.from_numpy(v), ord=p).item()
    assert_close(got, expected, atol=1e-12, rtol=1e-12,
                 what=f"norm(v, p={p}) for a random vector of length 9",
                 oracle="torch.linalg.vector_norm", hint="1: sum of |v_i|; 2: sqrt of the sum "
                 "of squares; inf: the largest |v_i|.")


def test_norm_default_is_euclidean():
    assert_close(pure("norm", [3.0, -4.0]), 5.0, what="norm([3, -4]) with the default p",
                 oracle="the Euclidean length 5", hint="the default is p = 2.")


def test_inf_norm_is_max_absolute_value():
    got = pure("norm", [-7.0, 3.0, 2.0], math.inf)
    assert_close(got, 7.0, what="norm([-7, 3, 2], p=inf)", oracle="max |v_i| = 7",
                 hint="the inf-norm is the largest ABSOLUTE value, not the largest value.")
    got = pure("norm", [-7.0, 3.0, 2.0], 1)
    assert_close(got, 12.0, what="norm([-7, 3, 2], p=1)", oracle="sum |v_i| = 12",
                 hint="the 1-norm sums absolute values.")


@pytest.mark.parametrize("p", [3, 0, -1])
def test_norm_rejects_unsupported_p(p):
    expect_value_error(lambda: pure("norm", [1.0, 2.0], p), f"norm([1, 2], p={p})",
                       "only p = 1, 2 and math.inf are supported; raise for anything else.")


# --- part 2: broadcasting and strides --------------------------------------------------------


def _torch_broadcast(a, b):
    try:
        return tuple(torch.broadcast_shapes(a, b))
    except RuntimeError:
        return None


def test_broadcast_shape_matches_torch_on_random_shapes():
    g = rng(20)
    n_ok = n_bad = 0
    for _ in range(300):
        a = tuple(int(s) for s in g.choice([1, 1, 2, 3], size=g.integers(0, 5)))
        b = tuple(int(s) for s in g.choice([1, 1, 2, 3], size=g.integers(0, 5)))
        expected = _torch_broadcast(a, b)
        if expected is None:
            n_bad += 1
            try:
                got = linalg.broadcast_shape(a, b)
            except ValueError:
                continue
            raise AssertionError(
                f"broadcast_shape({a}, {b}) should raise ValueError (torch.broadcast_shapes "
                f"refuses these shapes), got {got!r}. Hint: two sizes are compatible only "
                "when they are equal or one of them is 1.")
        n_ok += 1
        got = linalg.broadcast_shape(a, b)
        assert isinstance(got, tuple) and got == expected, (
            f"broadcast_shape({a}, {b}): expected {expected} (torch.broadcast_shapes), got "
            f"{got!r}. Hint: align on the RIGHT, pad the shorter shape with 1s on the left; "
            "a size-1 axis takes the other size.")
    assert n_ok > 100 and n_bad > 20  # the seeded draw covers both outcomes


def test_broadcast_shape_size_one_stretches_to_zero():
    """In broadcast shape, a size-one axis stretches to a size-zero axis."""
    for a, b, expected in [((1,), (0,), (0,)), ((0, 1), (1, 5), (0, 5)), ((2, 0), (1,), (2, 0))]:
        got = linalg.broadcast_shape(a, b)
        assert got == expected == tuple(np.broadcast_shapes(a, b)), (
            f"broadcast_shape({a}, {b}): expected {expected} (np.broadcast_shapes), got "
            f"{got!r}. Hint: a size-1 axis stretches to the other size, even to 0; "
            "max(sizes) is not the rule.")


@pytest.mark.parametrize("a, b", [((3,), (4,)), ((2, 1), (8, 4, 3)), ((0,), (2,))])
def test_broadcast_shape_raises_on_incompatible(a, b):
    """Broadcast shape raises on incompatible shapes."""
    expect_value_error(lambda: linalg.broadcast_shape(a, b), f"broadcast_shape({a}, {b})",
                       "aligned on the right, two sizes must be equal or one of them 1.")


def test_broadcast_shape_is_symmetric_and_handles_scalars():
    assert linalg.broadcast_shape((), ()) == (), "broadcast_shape((), ()) should be ()."
    assert linalg.broadcast_shape((4, 1, 3), ()) == (4, 1, 3), (
        "broadcast_shape((4, 1, 3), ()) should be (4, 1, 3): a scalar broadcasts to anything.")
    assert linalg.broadcast_shape((5, 1), (2, 1, 6)) == linalg.broadcast_shape((2, 1, 6), (5, 1))


@pytest.mark.parametrize("order", ["C", "F"])
def test_strides_match_numpy(order):
    g = rng(21)
    for _ in range(30):
        shape = tuple(int(s) for s in g.integers(1, 6, size=g.integers(1, 5)))
        dtype = np.dtype(g.choice(["int8", "float16", "float32", "float64", "complex128"]))
        expected = np.empty(shape, dtype=dtype, order=order).strides
        got = linalg.strides(shape, dtype.itemsize, order=order)
        assert isinstance(got, tuple) and got == expected, (
            f"strides({shape}, itemsize={dtype.itemsize}, order={order!r}): expected "
            f"{expected} (np.empty(shape, order={order!r}).strides), got {got!r}. Hint: "
            + ("the LAST axis is contiguous in C order." if order == "C"
               else "the FIRST axis is contiguous in F order."))


def test_strides_default_is_c_order_like_torch():
    """Strides default to C order, like torch."""
    for shape in [(2, 3, 4), (5, 1, 2), (7,)]:
        expected = tuple(s * 4 for s in torch.empty(shape, dtype=torch.float32).stride())
        got = linalg.strides(shape, 4)
        assert got == expected, (
            f"strides({shape}, 4) with the default order: expected {expected} "
            f"(torch.empty(shape).stride() times 4 bytes), got {got!r}. "
            "Hint: the default is C (row-major) order and strides are in bytes.")


def test_strides_of_scalar_shape_is_empty():
    """The strides of a scalar shape are empty."""
    assert linalg.strides((), 8) == (), "strides((), 8) should be () (a 0-d array has no axes)."
    assert linalg.strides((), 8, order="F") == ()


def test_strides_rejects_unknown_order():
    expect_value_error(lambda: linalg.strides((2, 3), 8, order="A"),
                       'strides((2, 3), 8, order="A")', 'order must be "C" or "F".')


# --- part 3: inverse -------------------------------------------------------------------------


def learner_inverse(A, **kwargs):
    with forbidden(*NO_INVERSE, by="phase0.linalg.inverse"):
        return linalg.inverse(A, **kwargs)


@pytest.mark.parametrize("n", [1, 3, 7])
def test_inverse_matches_torch(n):
    A = rng(30 + n).standard_normal((n, n)) + 0.5 * np.eye(n)
    got = learner_inverse(A)
    expected = torch.linalg.inv(torch.from_numpy(A)).numpy()
    assert_close(got, expected, atol=1e-9, rtol=1e-9,
                 what=f"inverse(A) for a random ({n}, {n}) matrix", oracle="torch.linalg.inv",
                 hint="reduce [A | I] to [I | X]; the right half is the inverse.")
    assert_close(A @ got, np.eye(n), atol=1e-10, rtol=0, what="A @ inverse(A)",
                 oracle="the identity")
    assert_close(got @ A, np.eye(n), atol=1e-10, rtol=0, what="inverse(A) @ A",
                 oracle="the identity")


def test_inverse_swaps_rows_for_zero_leading_pivot():
    A = rng(40).standard_normal((5, 5))
    A[0, 0] = 0.0
    P = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    for M, name in [(A, "a random (5, 5) matrix with A[0, 0] = 0"), (P, "a permutation matrix")]:
        got = learner_inverse(M)
        assert_close(M @ got, np.eye(len(M)), atol=1e-10, rtol=0, what=f"M @ inverse(M) for {name}",
                     oracle="the identity",
                     hint="a zero pivot must not be divided by: swap in the row below with the "
                          "largest |entry| in that column (partial pivoting).")


def test_inverse_uses_partial_pivoting_for_tiny_pivot():
    # Without choosing the LARGEST pivot, eliminating with 1e-17 destroys the answer.
    A = np.array([[1e-17, 1.0, 2.0], [1.0, 1.0, 0.0], [2.0, 0.0, 1.0]])
    got = learner_inverse(A)
    expected = torch.linalg.inv(torch.from_numpy(A)).numpy()
    assert_close(got, expected, atol=1e-9, rtol=1e-9,
                 what="inverse(A) with a tiny leading pivot A[0, 0] = 1e-17",
                 oracle="torch.linalg.inv",
                 hint="partial pivoting swaps in the row with the LARGEST |entry| in the "
                      "column, not only when the pivot is exactly zero.")


@pytest.mark.parametrize("case", ["integer", "rank-deficient", "zeros", "duplicate-row"])
def test_inverse_raises_on_singular(case):
    if case == "integer":
        A = np.array([[1.0, 2.0], [2.0, 4.0]])
    elif case == "rank-deficient":
        g = rng(41)
        A = g.standard_normal((5, 4)) @ g.standard_normal((4, 5))
    elif case == "zeros":
        A = np.zeros((3, 3))
    else:
        A = rng(42).standard_normal((4, 4))
        A[3] = A[1]
    expect_value_error(lambda: learner_inverse(A), f"inverse of a singular matrix ({case})",
                       "when the best pivot in a column is <= tol * max|A|, the matrix is "
                       "singular: raise ValueError instead of dividing by ~0.")


def test_inverse_tol_argument_sets_the_singularity_threshold():
    A = np.diag([1.0, 1e-9, 2.0])
    got = learner_inverse(A)
    assert_close(got, np.diag([1.0, 1e9, 0.5]), rtol=1e-12, atol=0,
                 what="inverse(diag(1, 1e-9, 2)) with the default tol",
                 oracle="the reciprocal diagonal",
                 hint="1e-9 is above the default threshold 1e-12 * max|A|.")
    expect_value_error(lambda: learner_inverse(A, tol=1e-6), "inverse(diag(1, 1e-9, 2), tol=1e-6)",
                       "a pivot 1e-9 <= tol * max|A| = 2e-6 counts as zero: use the tol argument.")
    scaled = learner_inverse(A * 1e-8)
    assert_close(scaled, np.diag([1e8, 1e17, 0.5e8]), rtol=1e-12, atol=0,
                 what="inverse(1e-8 * diag(1, 1e-9, 2)) with the default tol",
                 oracle="the reciprocal diagonal",
                 hint="the threshold is relative: tol * max|A|, not tol alone.")


def test_inverse_of_integer_matrix_is_float64():
    A = np.array([[4, 7], [2, 6]])
    got = learner_inverse(A)
    assert np.asarray(got).dtype == np.float64, (
        f"inverse of an integer matrix should be float64, got {np.asarray(got).dtype}. "
        "Hint: copy A into a float64 array before eliminating.")
    assert_close(got, [[0.6, -0.7], [-0.2, 0.4]], atol=1e-12, rtol=0,
                 what="inverse([[4, 7], [2, 6]])",
                 oracle="the closed form (1/10) [[6, -7], [-2, 4]]")


def test_inverse_does_not_modify_input():
    A = rng(43).standard_normal((4, 4))
    before = A.copy()
    learner_inverse(A)
    assert np.array_equal(A, before), "inverse(A) modified A: eliminate on a copy."


def test_inverse_rejects_non_square():
    for A in [rng(44).standard_normal((3, 4)), np.ones(3)]:
        expect_value_error(lambda A=A: learner_inverse(A), f"inverse of shape {A.shape}",
                           "only square 2-D matrices have an inverse; check A.shape first.")


# --- part 3: power iteration -----------------------------------------------------------------


def learner_power(A, **kwargs):
    with forbidden(*NO_EIGEN, by="phase0.linalg.power_iteration"):
        return linalg.power_iteration(A, **kwargs)


def check_eigenpair(A, lam, v, what):
    v = np.asarray(v)
    assert v.shape == (len(A),), f"{what}: v should have shape ({len(A)},), got {v.shape}."
    assert_close(np.linalg.norm(v), 1.0, atol=1e-10, what=f"{what}: ||v||",
                 oracle="a unit vector", hint="normalise v after each multiplication.")
    assert_close(lam, float(v @ A @ v), atol=1e-10, rtol=1e-10,
                 what=f"{what}: the eigenvalue", oracle="the Rayleigh quotient v @ A @ v",
                 hint="return lam = v @ A @ v; it keeps the sign of the eigenvalue.")


def test_power_iteration_finds_dominant_eigenpair():
    A, Q = with_spectrum([7.0, -3.0, 2.0, 1.0, 0.5, 0.1], seed=50)
    lam, v = learner_power(A, num_iters=300, seed=1)
    check_eigenpair(A, lam, v, "power_iteration on eigenvalues (7, -3, 2, 1, 0.5, 0.1)")
    assert_close(lam, 7.0, rtol=1e-10, atol=0, what="the dominant eigenvalue",
                 oracle="the constructed spectrum")
    assert_close(abs(float(v @ Q[:, 0])), 1.0, atol=1e-10,
                 what="|v . u| for the true eigenvector u",
                 oracle="the constructed eigenvector (up to sign)")


def test_power_iteration_keeps_sign_of_negative_eigenvalue():
    A, _ = with_spectrum([-6.0, 3.0, 1.0, 0.5], seed=51)
    lam, v = learner_power(A, num_iters=300, seed=2)
    assert_close(lam, -6.0, rtol=1e-10, atol=0,
                 what="power_iteration when the dominant eigenvalue is -6",
                 oracle="the constructed spectrum (-6, 3, 1, 0.5)",
                 hint="||A v|| is |lambda|; the Rayleigh quotient v @ A @ v keeps the sign.")
    assert_close(A @ v, lam * np.asarray(v), atol=1e-9, rtol=0, what="A v against lambda v",
                 oracle="the definition of an eigenpair")


def test_power_iteration_on_non_symmetric_matrix():
    """Power iteration finds the dominant eigenpair of a non-symmetric matrix."""
    g = rng(52)
    P = g.standard_normal((4, 4)) + 3 * np.eye(4)
    A = P @ np.diag([5.0, 2.0, -1.0, 0.5]) @ np.linalg.inv(P)
    lam, v = learner_power(A, num_iters=200, seed=3)
    assert_close(lam, 5.0, rtol=1e-9, atol=0, what="dominant eigenvalue of a non-symmetric A",
                 oracle="the constructed spectrum (5, 2, -1, 0.5)")
    assert_close(A @ v, lam * np.asarray(v), atol=1e-8, rtol=0, what="A v against lambda v",
                 oracle="the definition of an eigenpair")


def test_power_iteration_follows_documented_start_and_num_iters():
    A = rng(53).standard_normal((5, 5))
    A = A + A.T
    for seed, k in [(0, 0), (4, 1), (9, 3)]:
        v = np.random.default_rng(seed).standard_normal(5)
        v /= np.linalg.norm(v)
        for _ in range(k):
            v = A @ v
            v /= np.linalg.norm(v)
        lam, got = learner_power(A, num_iters=k, seed=seed)
        assert_close(got, v, atol=1e-12, rtol=1e-12,
                     what=f"power_iteration(A, num_iters={k}, seed={seed})",
                     oracle="the documented iteration from "
                            "np.random.default_rng(seed).standard_normal(N), in the test",
                     hint="start from default_rng(seed).standard_normal(N), normalised, and "
                          "apply exactly num_iters steps of v = A v / ||A v||.")
        assert_close(lam, float(v @ A @ v), atol=1e-12, rtol=1e-12,
                     what=f"the eigenvalue after {k} steps", oracle="v @ A @ v")


def test_power_iteration_rejects_non_square():
    expect_value_error(lambda: learner_power(np.ones((2, 3)), num_iters=5),
                       "power_iteration on a (2, 3) matrix", "A must be square; check A.shape.")


# --- part 3: Jacobi --------------------------------------------------------------------------


def learner_eigen(A, **kwargs):
    with forbidden(*NO_EIGEN, by="phase0.linalg.symmetric_eigen"):
        return linalg.symmetric_eigen(A, **kwargs)


def check_eigendecomposition(A, w, V, what):
    w, V = np.asarray(w), np.asarray(V)
    n = len(A)
    assert w.shape == (n,) and V.shape == (n, n), (
        f"{what}: expected w of shape ({n},) and V of shape ({n}, {n}), got {w.shape} and "
        f"{V.shape}.")
    assert np.all(np.diff(w) >= 0), (
        f"{what}: eigenvalues should be in ascending order, got {w}. Hint: sort them (negative "
        "ones first, not by absolute value) and reorder V's columns the same way.")
    expected = torch.linalg.eigvalsh(torch.from_numpy(np.asarray(A, dtype=np.float64))).numpy()
    scale = max(1.0, float(np.abs(expected).max()))
    assert_close(w, expected, atol=1e-9 * scale, rtol=0, what=f"{what}: eigenvalues",
                 oracle="torch.linalg.eigvalsh")
    assert_close(V.T @ V, np.eye(n), atol=1e-10, rtol=0, what=f"{what}: V.T @ V",
                 oracle="the identity (orthonormal columns)",
                 hint="accumulate V <- V J with the same rotations as A.")
    assert_close(A @ V, V * w, atol=1e-9 * scale, rtol=0,
                 what=f"{what}: A @ V against V * w (A v_i = w_i v_i for each column v_i)",
                 oracle="the definition of an eigenpair",
                 hint="eigenvectors are the COLUMNS of V, in the same order as w.")


@pytest.mark.parametrize("n", [2, 5, 8])
def test_symmetric_eigen_on_random_symmetric_matrices(n):
    """Symmetric eigen gives a valid eigendecomposition of random symmetric matrices."""
    M = rng(60 + n).standard_normal((n, n))
    A = M + M.T
    w, V = learner_eigen(A)
    check_eigendecomposition(A, w, V, f"symmetric_eigen on a random symmetric ({n}, {n}) matrix")


def test_symmetric_eigen_on_spd_matrix():
    """Symmetric eigen gives a valid eigendecomposition of a positive definite matrix."""
    M = rng(70).standard_normal((6, 9))
    A = M @ M.T + 0.1 * np.eye(6)
    w, V = learner_eigen(A)
    check_eigendecomposition(A, w, V, "symmetric_eigen on a random SPD (6, 6) matrix")


def test_symmetric_eigen_returns_eigenvectors_as_columns():
    A, Q = with_spectrum([-4.0, -1.0, 0.5, 2.0, 6.0], seed=71)
    w, V = learner_eigen(A)
    check_eigendecomposition(A, w, V, "symmetric_eigen on eigenvalues (-4, -1, 0.5, 2, 6)")
    # each column matches the true eigenvector up to sign
    overlaps = np.abs(np.sum(np.asarray(V) * Q, axis=0))
    assert_close(overlaps, np.ones(5), atol=1e-9, rtol=0,
                 what="|V[:, i] . q_i| for the true eigenvectors q_i (columns)",
                 oracle="the constructed eigenvectors",
                 hint="return eigenvectors as columns, sorted with their eigenvalues.")


def test_symmetric_eigen_handles_equal_diagonal_entries():
    A = np.array([[2.0, 1.0], [1.0, 2.0]])
    w, V = learner_eigen(A)
    assert_close(w, [1.0, 3.0], atol=1e-12, rtol=0, what="eigenvalues of [[2, 1], [1, 2]]",
                 oracle="the closed form (1, 3)",
                 hint="when A[p, p] == A[q, q] the rotation angle is 45 degrees (t = 1); "
                      "np.sign(0) = 0 would give no rotation at all.")
    check_eigendecomposition(A, w, V, "symmetric_eigen on [[2, 1], [1, 2]]")
    B = np.array([[3.0, 0.0, 2.0], [0.0, 3.0, 1.0], [2.0, 1.0, 3.0]])
    w, V = learner_eigen(B)
    check_eigendecomposition(B, w, V, "symmetric_eigen on a matrix with equal diagonal and a zero")


def test_symmetric_eigen_skips_zero_off_diagonal_entries():
    # A[0, 1] = 0 with A[0, 0] == A[1, 1]: an angle formula (a_qq - a_pp) / (2 a_pq) gives 0/0.
    A = np.array([[2.0, 0.0, 1.0], [0.0, 2.0, 0.0], [1.0, 0.0, 3.0]])
    with np.errstate(all="ignore"):
        w, V = learner_eigen(A)
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(V)), (
        f"symmetric_eigen on [[2, 0, 1], [0, 2, 0], [1, 0, 3]] returned non-finite values: "
        f"w = {w}. Hint: when A[p, q] is already 0 there is nothing to rotate; skip the pair "
        "(0 / 0 gives nan).")
    check_eigendecomposition(A, w, V, "symmetric_eigen on [[2, 0, 1], [0, 2, 0], [1, 0, 3]]")
    D = np.diag([3.0, -1.0, 2.0, 0.0])
    w, V = learner_eigen(D)
    assert_close(w, [-1.0, 0.0, 2.0, 3.0], atol=1e-15, rtol=0,
                 what="eigenvalues of diag(3, -1, 2, 0)", oracle="the sorted diagonal")
    check_eigendecomposition(D, w, V, "symmetric_eigen on diag(3, -1, 2, 0)")


def test_symmetric_eigen_handles_repeated_eigenvalues():
    A, _ = with_spectrum([1.0, 1.0, 2.0, 2.0, 5.0], seed=72)
    w, V = learner_eigen(A)
    check_eigendecomposition(A, w, V, "symmetric_eigen on eigenvalues (1, 1, 2, 2, 5)")


def test_symmetric_eigen_with_zero_sweeps_returns_sorted_diagonal():
    M = rng(73).standard_normal((4, 4))
    A = M + M.T + np.diag([5.0, -5.0, 10.0, 0.0])
    w, V = learner_eigen(A, max_sweeps=0)
    order = np.argsort(np.diag(A))
    assert_close(w, np.diag(A)[order], atol=0, rtol=0,
                 what="symmetric_eigen(A, max_sweeps=0): eigenvalues",
                 oracle="the sorted diagonal of A (no rotation applied)",
                 hint="max_sweeps bounds the number of sweeps; with 0 no rotation happens.")
    assert_close(V, np.eye(4)[:, order], atol=0, rtol=0,
                 what="symmetric_eigen(A, max_sweeps=0): eigenvectors",
                 oracle="the matching columns of the identity")


def test_symmetric_eigen_does_not_modify_input():
    M = rng(74).standard_normal((4, 4))
    A = M + M.T
    before = A.copy()
    learner_eigen(A)
    assert np.array_equal(A, before), "symmetric_eigen(A) modified A: rotate a copy."


def test_symmetric_eigen_rejects_non_symmetric_or_non_square():
    expect_value_error(lambda: learner_eigen(rng(75).standard_normal((3, 3))),
                       "symmetric_eigen on a non-symmetric (3, 3) matrix",
                       "check np.allclose(A, A.T) first: Jacobi rotations assume symmetry.")
    expect_value_error(lambda: learner_eigen(np.ones((2, 3))), "symmetric_eigen on a (2, 3) matrix",
                       "A must be square; check A.shape.")
