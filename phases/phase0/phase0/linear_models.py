"""Linear and logistic regression by gradient descent.

Two workhorse models, trained the way deep networks are: by following the gradient.

Linear regression (least squares):
- `least_squares_loss`, `least_squares_gradient`: the loss ||Xw - y||^2 / (2N) and its gradient.
- `lr_schedule`: a decaying learning rate lr0 / (1 + decay * t).
- `LinearRegression`: the closed form (normal equations), and gradient descent in three modes:
  batch, mini-batch and stochastic.

A non-convex landscape in one dimension:
- `quartic`, `quartic_grad`, `gradient_descent_1d`: where gradient descent ends up depends on
  where it starts.

Logistic regression (binary classification):
- `sigmoid`, `logistic_gradient`: the model's probabilities and the gradient of its loss.
- `soft_threshold`: the proximal step of the L1 penalty (it makes exact zeros).
- `LogisticRegression`: L2 / L1 / elastic-net penalties, fitted by proximal gradient descent.

Use NumPy and the standard library only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# ---------------------------------------------------------------------------------------------
# Linear regression
# ---------------------------------------------------------------------------------------------


def least_squares_loss(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """The least-squares loss L(w) = ||X w - y||^2 / (2 N).

    (No intercept here: to include one, append a column of ones to X.)

    Args:
        X: (N, D) float array.
        y: (N,) float array of targets.
        w: (D,) float array of weights.

    Returns:
        The loss, a Python float.
    """
    raise NotImplementedError("phase0.linear_models.least_squares_loss")


def least_squares_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The gradient of L(w) = ||X w - y||^2 / (2 N) with respect to w.

        grad = X^T (X w - y) / N

    Note the 1/N: the loss is a mean over the N rows, so its gradient is too (the size of a
    good learning rate then does not depend on N).

    Args:
        X: (N, D) float array.
        y: (N,) float array.
        w: (D,) float array.

    Returns:
        (D,) float64 array.
    """
    raise NotImplementedError("phase0.linear_models.least_squares_gradient")


def lr_schedule(lr0: float, decay: float, t: int) -> float:
    """The learning rate of update number t: lr_t = lr0 / (1 + decay * t).

    t = 0, 1, 2, ... counts parameter UPDATES (one per batch), not epochs. decay = 0 gives a
    constant learning rate.

    Args:
        lr0: the initial learning rate (> 0).
        decay: the decay rate (>= 0).
        t: the update counter (>= 0).

    Returns:
        lr_t, a Python float.
    """
    raise NotImplementedError("phase0.linear_models.lr_schedule")


class LinearRegression:
    """Least-squares linear regression with an intercept: y_hat = X @ coef_ + intercept_.

    Minimises L(w, b) = ||X w + b - y||^2 / (2 N) over the weights w (D,) and the intercept b
    (a scalar, never dropped: the model always has one, and no penalty).

    solver="closed_form": solve the normal equations of the augmented design [X, 1] (or centre
        X and y first, solve for w, then b = mean(y) - mean(X) @ w). Use np.linalg.solve; do not
        call np.linalg.lstsq or np.linalg.pinv. X is assumed to have full column rank.

    The gradient-descent solvers follow exactly this procedure (the tests replay it):
      - Start from w = 0, b = 0. Create rng = np.random.default_rng(seed) ONCE, at the start
        of fit. Set the update counter t = 0.
      - For each of n_epochs epochs, make a list of batches (arrays of row indices):
          "batch":     one batch holding all rows, in order (no shuffling, rng unused);
          "minibatch": perm = rng.permutation(N), a NEW permutation every epoch, cut into
                       consecutive chunks perm[0:B], perm[B:2B], ... with B = batch_size
                       (the last chunk may be smaller; it is used, not dropped);
          "sgd":       the same with B = 1 (batch_size is ignored).
      - For each batch, in order: with r = X[idx] @ w + b - y[idx] (the batch residuals),
            lr_t = lr_schedule(lr, decay, t)
            w <- w - lr_t * X[idx].T @ r / len(idx)      (the gradient is a MEAN over the batch)
            b <- b - lr_t * mean(r)
        then t <- t + 1. (Compute both gradients before changing w or b.)
      - After each epoch, append the full-data loss L(w, b) to loss_history_.

    Attributes (after fit):
        coef_: (D,) float64 array, the weights w.
        intercept_: float, the intercept b.
        loss_history_: list of n_epochs floats (gradient-descent solvers only).
    """

    def __init__(
        self,
        solver: str = "closed_form",
        lr: float = 0.1,
        decay: float = 0.0,
        batch_size: int = 32,
        n_epochs: int = 100,
        seed: int = 0,
    ) -> None:
        """Store the hyperparameters.

        Args:
            solver: "closed_form", "batch", "minibatch" or "sgd".
            lr: the initial learning rate lr0 of the schedule (gradient-descent solvers).
            decay: the schedule's decay rate (gradient-descent solvers).
            batch_size: the batch size of "minibatch".
            n_epochs: the number of passes over the data (gradient-descent solvers).
            seed: seeds the generator of the shuffles ("minibatch", "sgd").
        """
        self.solver = solver
        self.lr = lr
        self.decay = decay
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> LinearRegression:
        """Fit coef_ and intercept_ with the chosen solver (see the class docstring).

        Args:
            X: (N, D) float array.
            y: (N,) float array.

        Returns:
            self.

        Raises:
            ValueError: if solver is unknown, X is not 2-D, or len(y) != len(X).
        """
        raise NotImplementedError("phase0.linear_models.LinearRegression.fit")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions X @ coef_ + intercept_.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) float64 array.
        """
        raise NotImplementedError("phase0.linear_models.LinearRegression.predict")


# ---------------------------------------------------------------------------------------------
# A non-convex function in one dimension
# ---------------------------------------------------------------------------------------------


def quartic(x: float) -> float:
    """The fixed non-convex function f(x) = x^4 / 4 + x^3 / 3 - x^2.

    It has a global minimum, a local maximum and a second, merely local, minimum. (Factor
    f'(x) to find them: they are small integers.)

    Args:
        x: a point.

    Returns:
        f(x), a Python float.
    """
    raise NotImplementedError("phase0.linear_models.quartic")


def quartic_grad(x: float) -> float:
    """The derivative f'(x) of `quartic`.

    Args:
        x: a point.

    Returns:
        f'(x), a Python float.
    """
    raise NotImplementedError("phase0.linear_models.quartic_grad")


def gradient_descent_1d(
    grad: Callable[[float], float], x0: float, lr: float, n_steps: int
) -> float:
    """Plain gradient descent on a function of one variable.

        x_0 = x0,    x_{k+1} = x_k - lr * grad(x_k)    for k = 0, ..., n_steps - 1

    Args:
        grad: the derivative of the function to minimise.
        x0: the starting point.
        lr: the (constant) learning rate.
        n_steps: the number of steps (0 returns x0).

    Returns:
        x_{n_steps}, a Python float.
    """
    raise NotImplementedError("phase0.linear_models.gradient_descent_1d")


# ---------------------------------------------------------------------------------------------
# Logistic regression
# ---------------------------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), elementwise.

    Must give finite values in [0, 1] for large |z| too (z = +-1000): exp(1000) overflows to
    inf, and inf / inf is nan, so choose the form of the formula by the sign of z.

    Args:
        z: float array of any shape.

    Returns:
        float64 array of the same shape.
    """
    raise NotImplementedError("phase0.linear_models.sigmoid")


def logistic_gradient(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, l2: float = 0.0
) -> tuple[np.ndarray, float]:
    """Gradient of the mean log loss plus an L2 term (l2 / 2) * ||w||^2.

    With p = sigmoid(X w + b) (the predicted P(y = 1) of each row),

        loss(w, b) = mean_n[-y_n log p_n - (1 - y_n) log(1 - p_n)] + (l2 / 2) * ||w||^2
        grad_w     = X^T (p - y) / N + l2 * w
        grad_b     = mean(p - y)                 (the bias is not penalised)

    Args:
        X: (N, D) float array.
        y: (N,) array of 0/1 labels.
        w: (D,) float array of weights.
        b: the bias.
        l2: the coefficient of the L2 term (>= 0).

    Returns:
        (grad_w, grad_b): a (D,) float64 array and a Python float.
    """
    raise NotImplementedError("phase0.linear_models.logistic_gradient")


def soft_threshold(w: np.ndarray, threshold: float) -> np.ndarray:
    """The soft-thresholding operator, the proximal map of threshold * ||w||_1.

        S(w, t)_j = sign(w_j) * max(|w_j| - t, 0)

    Entries with |w_j| <= t become exactly 0; the others move t towards 0.

    Args:
        w: float array of any shape.
        threshold: t >= 0.

    Returns:
        float64 array of the same shape.
    """
    raise NotImplementedError("phase0.linear_models.soft_threshold")


class LogisticRegression:
    """Binary logistic regression with an optional penalty, by proximal gradient descent.

    Model: P(y = 1 | x) = sigmoid(x @ coef_ + intercept_). Labels are 0 and 1.

    Objective (minimised over w = coef_ and b = intercept_; the bias b is NEVER penalised):

        J(w, b) = mean_n[-y_n log p_n - (1 - y_n) log(1 - p_n)] + lam * R(w)

        penalty="none":       R(w) = 0
        penalty="l2":         R(w) = ||w||^2 / 2
        penalty="l1":         R(w) = ||w||_1
        penalty="elasticnet": R(w) = l1_ratio * ||w||_1 + (1 - l1_ratio) * ||w||^2 / 2

    Algorithm (ISTA): start from w = 0, b = 0; each iteration, with (g_w, g_b) the gradient of
    the smooth part (the mean log loss plus the L2 part of R, times lam) at the current (w, b):

        b <- b - lr * g_b
        w <- soft_threshold(w - lr * g_w, lr * lam * a)    a = 1 for "l1", l1_ratio for
                                                           "elasticnet", 0 otherwise

    (Handling the L2 part inside the proximal step instead is also fine: same fixed points.)
    A plain subgradient step on ||w||_1 does not work: it never lands exactly on 0.
    Stop after max_iter iterations, or as soon as the largest absolute change of any parameter
    (all of w and b) in one iteration is below tol.

    At the minimum, with g = X^T (p - y) / N the gradient of the mean log loss, the tests check:
        mean(p - y) = 0 (the bias is free);
        "none" / "l2": g + lam * w = 0;
        "l1": |g_j| <= lam where w_j = 0, and g_j = -lam * sign(w_j) where w_j != 0;
        "elasticnet": the same as "l1" with g + lam * (1 - l1_ratio) * w in place of g and
        lam * l1_ratio in place of lam.

    Attributes (after fit):
        coef_: (D,) float64 array.
        intercept_: float.
        n_iter_: int, the number of iterations run (1 <= n_iter_ <= max_iter).
    """

    def __init__(
        self,
        penalty: str = "l2",
        lam: float = 0.01,
        l1_ratio: float = 0.5,
        lr: float = 0.1,
        max_iter: int = 1000,
        tol: float = 1e-6,
    ) -> None:
        """Store the hyperparameters.

        Args:
            penalty: "none", "l2", "l1" or "elasticnet".
            lam: the penalty strength lam >= 0.
            l1_ratio: the L1 share of the elastic net, in [0, 1] (used only by "elasticnet").
            lr: the fixed step size.
            max_iter: the maximum number of iterations (>= 1).
            tol: the stopping threshold on the largest parameter change.
        """
        self.penalty = penalty
        self.lam = lam
        self.l1_ratio = l1_ratio
        self.lr = lr
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: np.ndarray, y: np.ndarray) -> LogisticRegression:
        """Fit coef_, intercept_ and n_iter_ (see the class docstring).

        Args:
            X: (N, D) float array.
            y: (N,) array of labels, each 0 or 1.

        Returns:
            self.

        Raises:
            ValueError: if penalty is unknown, a label is not 0 or 1, X is not 2-D, or
                len(y) != len(X).
        """
        raise NotImplementedError("phase0.linear_models.LogisticRegression.fit")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(y = 1 | x) for every row: sigmoid(X @ coef_ + intercept_).

        Args:
            X: (M, D) float array.

        Returns:
            (M,) float64 array of probabilities.
        """
        raise NotImplementedError("phase0.linear_models.LogisticRegression.predict_proba")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class labels: 1 where predict_proba(X) > 0.5, else 0.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) integer array of 0s and 1s.
        """
        raise NotImplementedError("phase0.linear_models.LogisticRegression.predict")
