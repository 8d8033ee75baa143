"""Numerical derivatives, Jacobians and gradient checking (reference solution).

Central differences and the "gradient check" are the standard way to test a backward pass;
see CS231n's notes on gradient checking and Nocedal & Wright, Numerical Optimization, §8.1
(the central difference has truncation error O(eps**2), the forward difference O(eps)).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = 1e-5) -> np.ndarray:
    """Gradient of a scalar function f at x, by central differences.

        g[j] = (f(x + eps * e_j) - f(x - eps * e_j)) / (2 * eps)     for every position j of x

    Args:
        f: a function that takes an array of x's shape (float64) and returns a scalar (a Python
            float or a 0-d array). Call it only at the 2 * x.size points x + eps e_j and
            x - eps e_j.
        x: array-like of any shape, including 0-d. It is used as float64 (convert first: an
            integer array would silently truncate x + eps).
        eps: the step, > 0. The default 1e-5 balances truncation error (~eps**2) against
            round-off (~1e-16 / eps).

    Returns:
        (same shape as x) float64 array: the estimated gradient.

    Raises:
        ValueError: if eps <= 0.

    The caller's x must be left exactly unchanged, bit for bit. You may perturb an array in
    place and put it back, but then save the original value and write it back: adding and
    subtracting eps does not always restore it in floating point.
    """
    x = np.array(x, dtype=np.float64)  # our own copy: the caller's x is never touched
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views, so writes to flat perturb x
    for j in range(flat.size):
        original = flat[j]
        flat[j] = original + eps
        f_plus = float(f(x))
        flat[j] = original - eps
        f_minus = float(f(x))
        flat[j] = original  # restore exactly before moving to the next position
        gflat[j] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
             eps: float = 1e-5) -> np.ndarray:
    """Jacobian of a vector-valued function f at x, by central differences.

        J[i, j] = (f(x + eps * e_j)[i] - f(x - eps * e_j)[i]) / (2 * eps)

    where j indexes the positions of x in C order (the order of x.ravel()).

    Args:
        f: a function that takes an array of x's shape (float64) and returns a 1-D array of
            length M.
        x: array-like of any shape (used as float64, as in numerical_gradient).
        eps: the step, > 0.

    Returns:
        (M, x.size) float64 array: row i is the gradient of output i, flattened like x.ravel().
        For a 1-D x of length N this is the usual (M, N) Jacobian.

    Raises:
        ValueError: if eps <= 0, or if f(x) is not a 1-D array.

    The caller's x must be left exactly unchanged (as in numerical_gradient).
    """
    x = np.array(x, dtype=np.float64)
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    y = np.asarray(f(x), dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"f(x) must return a 1-D array, got shape {y.shape}")
    J = np.empty((y.size, x.size))  # (M, N): one column per position of x
    flat = x.reshape(-1)
    for j in range(flat.size):
        original = flat[j]
        flat[j] = original + eps
        y_plus = np.asarray(f(x), dtype=np.float64)
        flat[j] = original - eps
        y_minus = np.asarray(f(x), dtype=np.float64)
        flat[j] = original
        J[:, j] = (y_plus - y_minus) / (2.0 * eps)
    return J


def gradient_check(f: Callable[[np.ndarray], float], grad_f: Callable[[np.ndarray], np.ndarray],
                   x: np.ndarray, eps: float = 1e-5) -> float:
    """Relative error between an analytic gradient and the central-difference one.

    With a = grad_f(x) (the analytic gradient) and n = numerical_gradient(f, x, eps):

        error = max_j |a_j - n_j|  /  max( max_j (|a_j| + |n_j|),  1e-12 )

    The maxima run over all positions j of x. The floor 1e-12 avoids 0 / 0 when both
    gradients are zero (the error is then 0.0). The error always lies in [0, 1]. As a rule of
    thumb, below 1e-7 the analytic gradient is right; above 1e-4 it is almost surely wrong.

    Args:
        f: scalar function, as in numerical_gradient.
        grad_f: the analytic gradient to check: takes x (float64) and returns an array of x's
            shape.
        x: array-like of any shape, the point where the gradients are compared.
        eps: the finite-difference step, > 0.

    Returns:
        The relative error, a Python float.

    Raises:
        ValueError: if grad_f(x) does not have x's shape, or eps <= 0.

    The caller's x must be left exactly unchanged.
    """
    x = np.array(x, dtype=np.float64)
    analytic = np.asarray(grad_f(x.copy()), dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"grad_f(x) has shape {analytic.shape}, expected x's shape {x.shape}")
    numeric = numerical_gradient(f, x, eps)
    if analytic.size == 0:
        return 0.0
    # One scale for the whole array: a tiny component of a large gradient is judged against
    # the gradient's size, not against itself (where round-off would look like a big error).
    numerator = np.max(np.abs(analytic - numeric))
    denominator = max(float(np.max(np.abs(analytic) + np.abs(numeric))), 1e-12)
    return float(numerator / denominator)


def d_sin_x_squared(x: np.ndarray) -> np.ndarray:
    """The chain rule, worked by hand: the derivative of sin(x**2), elementwise.

        d/dx sin(x**2) = cos(x**2) * 2x        (outer derivative at the inner value, times the
                                                inner derivative)

    Args:
        x: a float or an array of any shape.

    Returns:
        float64 array of x's shape (0-d for a scalar x): the exact derivative (no finite
        differences).
    """
    x = np.asarray(x, dtype=np.float64)
    # outer: sin'(u) = cos(u) at u = x**2; inner: d(x**2)/dx = 2x
    return np.cos(x**2) * 2.0 * x
