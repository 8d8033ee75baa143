"""Linear and logistic regression by gradient descent.

Reference solution. Least squares and its normal equations: Hastie, Tibshirani and Friedman,
"The Elements of Statistical Learning", section 3.2. Stochastic gradient descent with a
1 / (1 + decay t) schedule: Robbins and Monro (1951); Bottou, "Large-Scale Machine Learning with
Stochastic Gradient Descent" (2010). Proximal gradient descent and soft-thresholding (ISTA):
Beck and Teboulle, "A Fast Iterative Shrinkage-Thresholding Algorithm for Linear Inverse
Problems" (2009); Parikh and Boyd, "Proximal Algorithms" (2014). Elastic net: Zou and Hastie
(2005).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_SOLVERS = ("closed_form", "batch", "minibatch", "sgd")
_PENALTIES = ("none", "l2", "l1", "elasticnet")


def _check_xy(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"expected X of shape (N, D) and y of shape (N,), got {X.shape} and "
                         f"{y.shape}")
    return X, y


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
    r = X @ w - y                                   # (N,) residuals
    return float(r @ r / (2 * len(y)))


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
    return X.T @ (X @ w - y) / len(y)               # (D,): a mean over rows, hence / N


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
    return lr0 / (1.0 + decay * t)


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
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {_SOLVERS}, got {self.solver!r}")
        X, y = _check_xy(X, y)
        n, d = X.shape

        if self.solver == "closed_form":
            # Centring X and y removes the intercept from the problem: the least-squares w of the
            # centred data is the w of the full problem, and b then makes the means agree.
            x_mean, y_mean = X.mean(axis=0), y.mean()
            Xc, yc = X - x_mean, y - y_mean
            self.coef_ = np.linalg.solve(Xc.T @ Xc, Xc.T @ yc)    # normal equations, (D,)
            self.intercept_ = float(y_mean - x_mean @ self.coef_)
            return self

        rng = np.random.default_rng(self.seed)          # once per fit: a new shuffle every epoch
        w, b, t = np.zeros(d), 0.0, 0
        self.loss_history_ = []
        for _ in range(self.n_epochs):
            if self.solver == "batch":
                batches = [np.arange(n)]
            else:
                size = 1 if self.solver == "sgd" else self.batch_size
                perm = rng.permutation(n)
                batches = [perm[i:i + size] for i in range(0, n, size)]   # last one may be short
            for idx in batches:
                r = X[idx] @ w + b - y[idx]             # (B,) residuals of this batch
                step = lr_schedule(self.lr, self.decay, t)
                w = w - step * (X[idx].T @ r) / len(idx)
                b = b - step * r.mean()
                t += 1                                  # the schedule counts updates, not epochs
            r = X @ w + b - y
            self.loss_history_.append(float(r @ r / (2 * n)))
        self.coef_, self.intercept_ = w, float(b)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions X @ coef_ + intercept_.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) float64 array.
        """
        return np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_


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
    return x**4 / 4 + x**3 / 3 - x**2


def quartic_grad(x: float) -> float:
    """The derivative f'(x) of `quartic`.

    Args:
        x: a point.

    Returns:
        f'(x), a Python float.
    """
    # f'(x) = x^3 + x^2 - 2x = x (x + 2) (x - 1): minima at -2 (global) and 1, maximum at 0.
    return x**3 + x**2 - 2 * x


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
    x = float(x0)
    for _ in range(n_steps):
        x = x - lr * grad(x)
    return x


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
    z = np.asarray(z, dtype=np.float64)
    # exp(-|z|) never overflows: for z >= 0 use 1 / (1 + e^-z), for z < 0 use e^z / (1 + e^z).
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


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
    p = sigmoid(X @ w + b)                          # (N,) predicted P(y = 1)
    err = p - y                                     # d(log loss)/d(logit), per row
    return X.T @ err / len(y) + l2 * w, float(err.mean())


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
    w = np.asarray(w, dtype=np.float64)
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)


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
        if self.penalty not in _PENALTIES:
            raise ValueError(f"penalty must be one of {_PENALTIES}, got {self.penalty!r}")
        X, y = _check_xy(X, y)
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("labels must be 0 or 1")

        # Split lam * R(w) into a smooth L2 part (in the gradient) and an L1 part (in the prox).
        l1 = {"none": 0.0, "l2": 0.0, "l1": 1.0, "elasticnet": self.l1_ratio}[self.penalty]
        l2 = {"none": 0.0, "l2": 1.0, "l1": 0.0, "elasticnet": 1.0 - self.l1_ratio}[self.penalty]

        w, b, n_iter = np.zeros(X.shape[1]), 0.0, 0
        while n_iter < self.max_iter:
            n_iter += 1
            g_w, g_b = logistic_gradient(X, y, w, b, l2=self.lam * l2)
            b_new = b - self.lr * g_b                                   # the bias: plain step
            w_new = soft_threshold(w - self.lr * g_w, self.lr * self.lam * l1)   # exact zeros
            change = max(float(np.max(np.abs(w_new - w), initial=0.0)), abs(b_new - b))
            w, b = w_new, b_new
            if change < self.tol:
                break
        self.coef_, self.intercept_, self.n_iter_ = w, float(b), n_iter
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(y = 1 | x) for every row: sigmoid(X @ coef_ + intercept_).

        Args:
            X: (M, D) float array.

        Returns:
            (M,) float64 array of probabilities.
        """
        return sigmoid(np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class labels: 1 where predict_proba(X) > 0.5, else 0.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) integer array of 0s and 1s.
        """
        return (self.predict_proba(X) > 0.5).astype(np.int64)
