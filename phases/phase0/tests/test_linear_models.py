"""Public smoke tests for phase0.linear_models (linear and logistic regression by GD).

Oracles: torch autograd for gradients (float64), numpy.linalg.lstsq for least squares, the
known critical points of the quartic, and the optimality (KKT) condition of L2 logistic
regression.
"""

import numpy as np

from phase0.linear_models import (
    LinearRegression,
    LogisticRegression,
    gradient_descent_1d,
    least_squares_gradient,
    quartic_grad,
)
from shared import assert_close, forbidden, rng


def test_least_squares_gradient_matches_autograd():
    import torch

    g = rng(0)
    X, y, w = g.standard_normal((13, 4)), g.standard_normal(13), g.standard_normal(4)
    wt = torch.tensor(w, requires_grad=True)
    loss = ((torch.from_numpy(X) @ wt - torch.from_numpy(y)) ** 2).sum() / (2 * 13)
    loss.backward()
    assert_close(least_squares_gradient(X, y, w), wt.grad, rtol=1e-10, atol=1e-12,
                 what="least_squares_gradient(X, y, w) for X of shape (13, 4)",
                 oracle="torch autograd of ||Xw - y||^2 / (2N) in float64",
                 hint="X^T (X w - y) / N: check the transpose and the division by N.")


def test_closed_form_matches_lstsq():
    g = rng(1)
    X = g.normal(1.0, 2.0, (40, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 4.0 + g.normal(0, 0.3, 40)
    with forbidden("numpy.linalg.lstsq", "numpy.linalg.pinv",
                   by="phase0.linear_models.LinearRegression.fit"):
        model = LinearRegression(solver="closed_form").fit(X, y)
    expected = np.linalg.lstsq(np.column_stack([X, np.ones(40)]), y, rcond=None)[0]
    assert_close(np.append(model.coef_, model.intercept_), expected, rtol=1e-8, atol=1e-8,
                 what="[coef_, intercept_] of the closed-form fit (X: 40 x 3, intercept 4)",
                 oracle="numpy.linalg.lstsq on [X, 1]",
                 hint="fit the intercept too: add a column of ones (or centre X and y).")


def test_gradient_descent_reaches_two_different_minima_of_the_quartic():
    # f'(x) = x (x + 2) (x - 1): the local maximum at 0 separates the two basins.
    for x0, minimum in [(-0.5, -2.0), (0.5, 1.0), (-3.0, -2.0), (2.5, 1.0)]:
        x = gradient_descent_1d(quartic_grad, x0, lr=0.05, n_steps=500)
        assert_close(x, minimum, atol=1e-8,
                     what=f"gradient_descent_1d(quartic_grad, x0={x0}, lr=0.05, n_steps=500)",
                     oracle="the minimum of f(x) = x^4/4 + x^3/3 - x^2 in the basin of x0",
                     hint="quartic_grad is f'(x) = x^3 + ... ; each step is x - lr * grad(x).")


def test_l2_logistic_gradient_vanishes_at_the_solution():
    g = rng(2)
    X = g.standard_normal((200, 4))
    y = (g.random(200) < 1 / (1 + np.exp(-(X @ [1.5, -1.0, 0.0, 0.5] + 0.3)))).astype(int)
    lam = 0.05
    model = LogisticRegression(penalty="l2", lam=lam, lr=1.0, max_iter=5000, tol=1e-10).fit(X, y)
    p = 1 / (1 + np.exp(-(X @ model.coef_ + model.intercept_)))
    grad_w = X.T @ (p - y) / 200 + lam * model.coef_
    assert_close(grad_w, np.zeros(4), atol=1e-6,
                 what="gradient of mean log loss + (lam/2)||w||^2 at the fitted coef_ "
                      "(lam=0.05, 200 x 4)",
                 oracle="zero (the optimality condition of a smooth convex objective)",
                 hint="the L2 term's gradient is lam * w; step with lr until converged.")
    assert_close(np.mean(p - y), 0.0, atol=1e-6,
                 what="gradient with respect to the intercept at the solution",
                 oracle="zero: the intercept is not penalised",
                 hint="do not add lam * b to the intercept's gradient.")
