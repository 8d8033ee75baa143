"""Numerical derivatives, Jacobians and gradient checking.

Before trusting any backward pass, compare it with a derivative you can compute by brute
force: nudge one input a little, see how the output moves. This module builds that tool.

Central difference (what every function here uses):

    df/dx_j  ~=  (f(x + eps * e_j) - f(x - eps * e_j)) / (2 * eps)

where e_j is the array with a 1 at position j and 0 elsewhere. Its error shrinks like eps**2
(the forward difference (f(x + eps e_j) - f(x)) / eps only shrinks like eps).

NumPy and the standard library only.
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
    raise NotImplementedError("phase0.calculus.numerical_gradient")


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
    raise NotImplementedError("phase0.calculus.jacobian")


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
    raise NotImplementedError("phase0.calculus.gradient_check")


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
    raise NotImplementedError("phase0.calculus.d_sin_x_squared")
