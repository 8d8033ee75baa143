"""Support vector machines and kernels.

A support vector machine separates two classes with the widest possible margin. You write:

- kernels as Gram matrices: `linear_kernel`, `polynomial_kernel`, `rbf_kernel`;
- the primal objective and its subgradient: `svm_objective`, `svm_subgradient`;
- `LinearSVM`: sub-gradient descent on the primal (a linear classifier);
- `KernelSVM`: the dual problem, solved e.g. by SMO, for nonlinear boundaries.

Use NumPy and the standard library only.
"""

from __future__ import annotations

import numpy as np


def linear_kernel(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Gram matrix of the linear kernel: K[i, j] = <x_i, y_j>.

    Args:
        X: (N, D) float array.
        Y: (M, D) float array.

    Returns:
        (N, M) float64 array.

    Raises:
        ValueError: if X or Y is not 2-D or their feature dimensions differ.
    """
    raise NotImplementedError("phase0.svm.linear_kernel")


def polynomial_kernel(
    X: np.ndarray, Y: np.ndarray, degree: int = 3, gamma: float = 1.0, coef0: float = 1.0
) -> np.ndarray:
    """Gram matrix of the polynomial kernel: K[i, j] = (gamma * <x_i, y_j> + coef0) ** degree.

    Args:
        X: (N, D) float array.
        Y: (M, D) float array.
        degree: the integer power, >= 1.
        gamma: scale of the inner product.
        coef0: the constant added before the power.

    Returns:
        (N, M) float64 array.

    Raises:
        ValueError: if X or Y is not 2-D or their feature dimensions differ.
    """
    raise NotImplementedError("phase0.svm.polynomial_kernel")


def rbf_kernel(X: np.ndarray, Y: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """Gram matrix of the RBF (Gaussian) kernel: K[i, j] = exp(-gamma * ||x_i - y_j||^2).

    gamma multiplies the SQUARED Euclidean distance (scikit-learn's convention). It is not a
    width sigma: exp(-||x - y||^2 / (2 sigma^2)) is the same kernel with gamma = 1 / (2 sigma^2).
    If you expand ||x||^2 - 2<x, y> + ||y||^2, clip tiny negative values to 0.

    Args:
        X: (N, D) float array.
        Y: (M, D) float array.
        gamma: > 0.

    Returns:
        (N, M) float64 array with entries in (0, 1], 1 where x_i == y_j.

    Raises:
        ValueError: if X or Y is not 2-D or their feature dimensions differ.
    """
    raise NotImplementedError("phase0.svm.rbf_kernel")


def svm_objective(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, C: float) -> float:
    """The primal soft-margin objective that LinearSVM minimises.

        J(w, b) = 1/2 ||w||^2 + C * (1/N) sum_i max(0, 1 - y_i (w . x_i + b))

    Note the MEAN hinge loss (so C does not need rescaling with N) and that the bias b is not
    regularised.

    Args:
        w: (D,) float array.
        b: float.
        X: (N, D) float array.
        y: (N,) array of labels in {-1, +1}.
        C: > 0.

    Returns:
        a Python float.
    """
    raise NotImplementedError("phase0.svm.svm_objective")


def svm_subgradient(
    w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, C: float
) -> tuple[np.ndarray, float]:
    """A subgradient of svm_objective at (w, b).

        g_w = w - (C / N) sum_{i: y_i f_i < 1} y_i x_i,   g_b = -(C / N) sum_{i: y_i f_i < 1} y_i

    where f_i = w . x_i + b. Convention at the kink: a point exactly ON the margin
    (y_i f_i == 1) contributes 0, like the derivative of relu at 0. The bias has no
    regularisation term.

    Args:
        w: (D,) float array.
        b: float.
        X: (N, D) float array.
        y: (N,) array of labels in {-1, +1}.
        C: > 0.

    Returns:
        (g_w, g_b): a (D,) float64 array and a Python float.
    """
    raise NotImplementedError("phase0.svm.svm_subgradient")


class LinearSVM:
    """Linear soft-margin SVM trained by full-batch sub-gradient descent on the primal.

    Minimises J(w, b) = 1/2 ||w||^2 + C * mean_i max(0, 1 - y_i (w . x_i + b)) (svm_objective).

    Labels: y may hold any two distinct values (e.g. {0, 1} or {-1, +1}); the smaller one is
    mapped to -1, the larger to +1, and classes_ keeps both so predict returns the originals.

    Training, exactly: rng = np.random.default_rng(seed); w = 0.01 * rng.standard_normal(D);
    b = 0.0; then max_iter times: (g_w, g_b) = svm_subgradient(w, b, X, y_pm1, C);
    w -= lr * g_w; b -= lr * g_b (a constant step size).

    Attributes (after fit):
        coef_: (D,) float64, the weight vector w.
        intercept_: float, the bias b.
        classes_: (2,) the sorted original labels.
    """

    def __init__(
        self, C: float = 1.0, lr: float = 0.01, max_iter: int = 1000, seed: int = 0
    ) -> None:
        self.C = C
        self.lr = lr
        self.max_iter = max_iter
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> LinearSVM:
        """Train on X with two-class labels y (see the class docstring for the exact steps).

        Args:
            X: (N, D) float array.
            y: (N,) labels with exactly two distinct values.

        Returns:
            self.

        Raises:
            ValueError: if X is not 2-D, len(y) != N, or y does not have two distinct values.
        """
        raise NotImplementedError("phase0.svm.LinearSVM.fit")

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Signed scores f(x) = w . x + b (positive means classes_[1]).

        Args:
            X: (M, D) float array.

        Returns:
            (M,) float64 array.
        """
        raise NotImplementedError("phase0.svm.LinearSVM.decision_function")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted labels: classes_[1] where f(x) > 0, else classes_[0].

        Args:
            X: (M, D) float array.

        Returns:
            (M,) array of the original labels.
        """
        raise NotImplementedError("phase0.svm.LinearSVM.predict")


class KernelSVM:
    """Kernel soft-margin SVM, trained on the dual problem.

    Dual (C-SVM, hinge loss SUMMED over samples):
        maximise   sum_i alpha_i - 1/2 sum_ij alpha_i alpha_j y_i y_j K(x_i, x_j)
        subject to 0 <= alpha_i <= C and sum_i alpha_i y_i = 0,
    the dual of 1/2 ||w||^2 + C * sum_i hinge_i. (LinearSVM uses the MEAN hinge: its C equals
    this C times N.) Labels are mapped to -1/+1 as in LinearSVM.

    Solver: any method that reaches the tolerance below, e.g. SMO with the maximal violating
    pair (LIBSVM's first-order working-set selection) or projected gradient ascent. With
    G_i = y_i sum_j alpha_j y_j K_ij - 1 (the gradient of the negated dual), v_i = -y_i G_i,
    I_up = {i: y_i = +1 and alpha_i < C, or y_i = -1 and alpha_i > 0} and
    I_low = {i: y_i = +1 and alpha_i > 0, or y_i = -1 and alpha_i < C}, stop as soon as
    max_{I_up} v - min_{I_low} v < tol (the KKT conditions then hold within tol), or after
    max_iter iterations (one SMO pair update or one gradient step each). Start from alpha = 0.

    Bias: b = the mean of v_i over free vectors (0 < alpha_i < C); if there are none,
    (max_{I_up} v + min_{I_low} v) / 2.

    Decision function: f(x) = sum_i alpha_i y_i K(x_i, x) + b.

    Kernels: "linear", "poly" (polynomial_kernel with degree, gamma, coef0) or "rbf"
    (rbf_kernel with gamma).

    Attributes (after fit):
        alpha_: (N,) float64 dual variables, in [0, C].
        support_: (S,) int indices (increasing) of the support vectors, alpha_i > 1e-8 * C.
        support_vectors_: (S, D) the rows X[support_].
        dual_coef_: (S,) float64, alpha_i * y_i for the support vectors (y_i in {-1, +1}).
        intercept_: float, b.
        classes_: (2,) the sorted original labels.
        n_iter_: int, the number of solver iterations run.
    """

    def __init__(
        self,
        kernel: str = "rbf",
        C: float = 1.0,
        gamma: float = 1.0,
        degree: int = 3,
        coef0: float = 1.0,
        tol: float = 1e-3,
        max_iter: int = 100_000,
    ) -> None:
        self.kernel = kernel
        self.C = C
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, y: np.ndarray) -> KernelSVM:
        """Solve the dual on (X, y) (see the class docstring).

        Args:
            X: (N, D) float array.
            y: (N,) labels with exactly two distinct values.

        Returns:
            self.

        Raises:
            ValueError: if X is not 2-D, len(y) != N, y does not have two distinct values, or
                the kernel name is unknown.
        """
        raise NotImplementedError("phase0.svm.KernelSVM.fit")

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """f(x) = sum_i alpha_i y_i K(x_i, x) + b over the support vectors.

        Args:
            X: (M, D) float array.

        Returns:
            (M,) float64 array (positive means classes_[1]).
        """
        raise NotImplementedError("phase0.svm.KernelSVM.decision_function")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted labels: classes_[1] where f(x) > 0, else classes_[0].

        Args:
            X: (M, D) float array.

        Returns:
            (M,) array of the original labels.
        """
        raise NotImplementedError("phase0.svm.KernelSVM.predict")
