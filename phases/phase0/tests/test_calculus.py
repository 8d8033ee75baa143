"""Public smoke tests for phase0.calculus (the hidden suite checks much more)."""

import numpy as np

from phase0.calculus import d_sin_x_squared, gradient_check, jacobian, numerical_gradient
from shared import assert_close, rng


def test_numerical_gradient_of_sum_of_squares_is_2x():
    x = rng(0).normal(size=(3, 4))
    got = numerical_gradient(lambda v: np.sum(v**2), x)
    assert_close(got, 2 * x, atol=1e-8, rtol=1e-8,
                 what="numerical_gradient(sum(x**2)) at a random x of shape (3, 4)",
                 oracle="the analytic gradient 2x",
                 hint="perturb one position at a time, by +eps and by -eps, and divide by 2*eps")


def test_jacobian_has_one_row_per_output_and_one_column_per_input():
    x = rng(1).normal(size=5)
    A = rng(2).normal(size=(3, 5))
    got = jacobian(lambda v: A @ v, x)
    assert_close(got, A, atol=1e-8, rtol=1e-8,
                 what="jacobian(x -> A @ x) for A of shape (3, 5)",
                 oracle="the matrix A itself (the Jacobian of a linear map)",
                 hint="J[i, j] is d f_i / d x_j: shape (M outputs, N inputs), not (N, M)")


def test_gradient_check_passes_right_gradient_and_flags_wrong_one():
    x = rng(3).normal(size=6)
    f = lambda v: np.sum(np.sin(v))  # noqa: E731
    right = gradient_check(f, np.cos, x)
    wrong = gradient_check(f, lambda v: -np.cos(v), x)
    assert right < 1e-8, (f"gradient_check(sum(sin x), cos) returned {right:.3g}; a correct "
                          "gradient should give a relative error below 1e-8.")
    assert wrong > 0.5, (f"gradient_check(sum(sin x), -cos) returned {wrong:.3g}; a gradient "
                         "with the wrong sign should give a relative error near 1.")


def test_d_sin_x_squared_at_a_few_points():
    """The derivative of sin(x squared) is correct at a few points."""
    x = np.array([0.0, 0.5, -1.0, 2.0])
    assert_close(d_sin_x_squared(x), 2 * x * np.cos(x**2), atol=1e-12, rtol=1e-12,
                 what="d_sin_x_squared at x = [0, 0.5, -1, 2]",
                 oracle="the chain rule written out: 2x cos(x**2)",
                 hint="outer derivative cos(u) evaluated at u = x**2, times the inner 2x")
