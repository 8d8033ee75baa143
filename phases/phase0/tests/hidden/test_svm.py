"""Hidden tests for phase0.svm: kernels, the primal hinge objective, linear and kernel SVMs.

Oracles: closed-form Gram matrices from torch (matmul, cdist), their eigenvalues (PSD), torch
autograd through the hinge objective (relu, whose derivative at 0 is 0, fixes the kink
convention), a replay of the documented sub-gradient steps, a hand-made separable set whose
max-margin hyperplane is known, and the KKT conditions of the dual.
"""

import numpy as np
import pytest
import torch

from phase0.svm import (
    KernelSVM,
    LinearSVM,
    linear_kernel,
    polynomial_kernel,
    rbf_kernel,
    svm_objective,
    svm_subgradient,
)
from shared import assert_close, assert_equal, rng

# ----------------------------------------------------------------------------------------------
# oracles and data


def _t(a):
    return torch.as_tensor(np.asarray(a), dtype=torch.float64)


def _gram(kind, X, Y, gamma=1.0, degree=3, coef0=1.0):
    X, Y = _t(X), _t(Y)
    if kind == "linear":
        return (X @ Y.T).numpy()
    if kind == "poly":
        return ((gamma * (X @ Y.T) + coef0) ** degree).numpy()
    return torch.exp(-gamma * torch.cdist(X, Y) ** 2).numpy()


def _torch_objective_and_grad(w, b, X, y, C):
    w_t = _t(w).requires_grad_(True)
    b_t = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    margins = _t(y) * (_t(X) @ w_t + b_t)
    J = 0.5 * (w_t @ w_t) + C * torch.relu(1 - margins).mean()  # relu'(0) = 0
    J.backward()
    return float(J.detach()), w_t.grad.numpy(), float(b_t.grad)


# Hand-made separable set: the closest pair is (1, 1) vs (-1, -1) before the shift by (2, 1),
# so the max-margin hyperplane is w = (0.5, 0.5), b = -0.5 * (2 + 1) = -1.5, margin sqrt(2),
# and only points 0 and 4 are support vectors (alpha = 0.25 each in the summed-hinge dual).
TOY_X = np.array([[1, 1], [2, 3], [3, 1.5], [2, 2],
                  [-1, -1], [-2, -3], [-3, -1], [-1.5, -2.5]]) + np.array([2.0, 1.0])
TOY_Y = np.array([1, 1, 1, 1, -1, -1, -1, -1])
TOY_W, TOY_B = np.array([0.5, 0.5]), -1.5


def _overlapping(seed, n=80, d=2):
    g = rng(seed)
    X = np.concatenate([g.normal(-0.7, 1.0, (n // 2, d)), g.normal(0.7, 1.0, (n // 2, d))])
    y = np.repeat([-1, 1], n // 2)
    return X, y


def _xor(seed, n=400):
    g = rng(seed)
    X = g.uniform(-1, 1, (n, 2))
    X = X[(np.abs(X) > 0.1).all(axis=1)]
    return X, np.where(X[:, 0] * X[:, 1] > 0, 1, 0)


def _circles(seed, n=300):
    g = rng(seed)
    r = np.where(g.random(n) < 0.5, 0.5, 1.2) + 0.08 * g.standard_normal(n)
    a = g.uniform(0, 2 * np.pi, n)
    X = np.column_stack([r * np.cos(a), r * np.sin(a)])
    return X, np.where(r > 0.85, 7, 3)


def _kkt_gap(alpha, y, K, C):
    """max_{I_up} v - min_{I_low} v with v = -y G, G = y * (K @ (alpha * y)) - 1."""
    G = y * (K @ (alpha * y)) - 1
    v = -y * G
    up = ((y > 0) & (alpha < C)) | ((y < 0) & (alpha > 0))
    low = ((y > 0) & (alpha > 0)) | ((y < 0) & (alpha < C))
    return v[up].max() - v[low].min()


# ----------------------------------------------------------------------------------------------
# kernels


def test_linear_kernel_matches_matmul():
    X, Y = rng(10).standard_normal((7, 4)), rng(11).standard_normal((3, 4))
    assert_close(linear_kernel(X, Y), _gram("linear", X, Y), rtol=1e-12, atol=1e-12,
                 what="linear_kernel(X (7x4), Y (3x4))", oracle="torch X @ Y.T",
                 hint="K[i, j] = <x_i, y_j>: the result has shape (N, M)")


@pytest.mark.parametrize(("degree", "gamma", "coef0"), [(2, 0.5, 0.3), (3, 1.3, 0.0),
                                                        (4, 0.2, 2.0)])
def test_polynomial_kernel_matches_closed_form(degree, gamma, coef0):
    X, Y = rng(12).standard_normal((5, 3)), rng(13).standard_normal((8, 3))
    assert_close(polynomial_kernel(X, Y, degree=degree, gamma=gamma, coef0=coef0),
                 _gram("poly", X, Y, gamma, degree, coef0), rtol=1e-10, atol=1e-12,
                 what=f"polynomial_kernel(degree={degree}, gamma={gamma}, coef0={coef0})",
                 oracle="(gamma * torch X @ Y.T + coef0) ** degree",
                 hint="gamma scales the inner product before adding coef0 and taking the power")


@pytest.mark.parametrize("gamma", [0.05, 0.3, 2.0, 9.0])
def test_rbf_kernel_matches_closed_form(gamma):
    X, Y = rng(14).standard_normal((9, 2)) * 2, rng(15).standard_normal((5, 2)) * 2
    assert_close(rbf_kernel(X, Y, gamma=gamma), _gram("rbf", X, Y, gamma), rtol=1e-9,
                 atol=1e-12, what=f"rbf_kernel(X (9x2), Y (5x2), gamma={gamma})",
                 oracle="exp(-gamma * torch.cdist(X, Y)**2)",
                 hint="exp(-gamma * ||x - y||^2): gamma multiplies the SQUARED distance "
                      "(not 1/(2 gamma^2), not the plain distance)")


def test_rbf_kernel_uses_squared_distance_hand_case():
    """The RBF kernel uses the squared distance, checked on a hand case."""
    K = rbf_kernel(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 0.0]]), gamma=0.1)
    assert_close(K, np.array([[np.exp(-2.5), 1.0]]), rtol=1e-12, atol=1e-15,
                 what="rbf_kernel between (0, 0) and (3, 4), (0, 0) with gamma=0.1",
                 oracle="exp(-0.1 * 25) and exp(0) = 1",
                 hint="||(3, 4)||^2 = 25; gamma multiplies it directly")


@pytest.mark.parametrize("kind", ["linear", "poly", "rbf"])
def test_gram_matrices_are_symmetric_psd(kind):
    """Gram matrices are symmetric and positive semi-definite."""
    X = rng(16).standard_normal((30, 3))
    fn = {"linear": lambda A: linear_kernel(A, A),
          "poly": lambda A: polynomial_kernel(A, A, degree=3, gamma=0.5, coef0=1.0),
          "rbf": lambda A: rbf_kernel(A, A, gamma=0.8)}[kind]
    K = np.asarray(fn(X))
    assert_close(K, K.T, rtol=0, atol=1e-12, what=f"{kind} Gram matrix K(X, X)",
                 oracle="its transpose (kernels are symmetric)")
    eig = np.linalg.eigvalsh(K)
    assert eig.min() >= -1e-8 * max(1.0, eig.max()), (
        f"the {kind} Gram matrix of 30 points has eigenvalue {eig.min():.3g} < 0, but a kernel "
        "Gram matrix is positive semi-definite. Hint: an RBF of the plain (not squared) "
        "distance is not a valid kernel")
    if kind == "rbf":
        assert_close(np.diag(K), np.ones(30), rtol=0, atol=1e-12, what="RBF diagonal K(x, x)",
                     oracle="exp(0) = 1", hint="clip tiny negative squared distances to 0")


def test_kernels_reject_mismatched_feature_dimensions():
    X, Y = np.zeros((3, 2)), np.zeros((4, 3))
    for fn in (linear_kernel, polynomial_kernel, rbf_kernel):
        with pytest.raises(ValueError):
            fn(X, Y)


# ----------------------------------------------------------------------------------------------
# primal objective and subgradient


def test_svm_objective_matches_torch():
    g = rng(20)
    X, y = g.standard_normal((25, 4)), np.where(g.random(25) < 0.5, -1.0, 1.0)
    for C in (0.3, 5.0):
        w, b = g.standard_normal(4), float(g.standard_normal())
        J, _, _ = _torch_objective_and_grad(w, b, X, y, C)
        assert_close(svm_objective(w, b, X, y, C), J, rtol=1e-12, atol=1e-12,
                     what=f"svm_objective at random (w, b), 25 points, C={C}",
                     oracle="1/2 ||w||^2 + C * mean(relu(1 - y (Xw + b))) in torch",
                     hint="the hinge loss is AVERAGED over samples and b is not regularised")


def test_svm_subgradient_matches_autograd_away_from_the_kink():
    g = rng(21)
    X, y = g.standard_normal((30, 3)), np.where(g.random(30) < 0.5, -1.0, 1.0)
    for C in (0.5, 4.0):
        w, b = g.standard_normal(3), float(g.standard_normal())
        assert np.min(np.abs(y * (X @ w + b) - 1)) > 1e-6  # no point on the margin here
        _, gw, gb = _torch_objective_and_grad(w, b, X, y, C)
        got_w, got_b = svm_subgradient(w, b, X, y, C)
        assert_close(got_w, gw, rtol=1e-10, atol=1e-12, what=f"svm_subgradient g_w (C={C})",
                     oracle="torch autograd of the objective",
                     hint="g_w = w - (C/N) sum over margin violators of y_i x_i")
        assert_close(got_b, gb, rtol=1e-10, atol=1e-12, what=f"svm_subgradient g_b (C={C})",
                     oracle="torch autograd of the objective",
                     hint="g_b = -(C/N) sum over margin violators of y_i (no b term)")


def test_hinge_subgradient_at_the_margin_follows_the_convention():
    # w = (1, 0), b = 0: points 0 and 1 lie exactly on the margin (y f = 1), point 2 is
    # inside it (y f = 0.5), point 3 is beyond it (y f = 3).
    w, b = np.array([1.0, 0.0]), 0.0
    X = np.array([[1.0, 5.0], [-1.0, 2.0], [0.5, -1.0], [3.0, 1.0]])
    y = np.array([1.0, -1.0, 1.0, 1.0])
    C = 2.0
    _, gw, gb = _torch_objective_and_grad(w, b, X, y, C)
    got_w, got_b = svm_subgradient(w, b, X, y, C)
    # Only point 2 is active: g_w = w - (C/4) * (0.5, -1) and g_b = -(C/4).
    assert_close(got_w, gw, rtol=0, atol=1e-15,
                 what="g_w with two points exactly on the margin (y f = 1)",
                 oracle="torch autograd through relu (relu'(0) = 0); by hand "
                        "w - (2/4) (0.5, -1) = (0.75, 0.5)",
                 hint="the documented convention: a point with y f == 1 contributes 0 "
                      "(use y f < 1, not y f <= 1)")
    assert_close(got_b, gb, rtol=0, atol=1e-15,
                 what="g_b with two points exactly on the margin", oracle="-(2/4) * 1 = -0.5",
                 hint="only points with y f < 1 contribute")


def test_bias_is_not_regularised():
    # Every point is far beyond the margin, so the hinge term is flat: g_w = w, g_b = 0.
    X = np.array([[3.0, 0.0], [-3.0, 1.0]])
    y = np.array([1.0, -1.0])
    w, b = np.array([2.0, 0.0]), 0.7
    got_w, got_b = svm_subgradient(w, b, X, y, C=1.0)
    assert_close(got_b, 0.0, rtol=0, atol=1e-15, what="g_b when no point violates the margin",
                 oracle="0 (the objective has no b^2 term)",
                 hint="do not regularise the bias: only ||w||^2 is penalised")
    assert_close(got_w, w, rtol=0, atol=1e-15, what="g_w when no point violates the margin",
                 oracle="w (gradient of 1/2 ||w||^2)")


# ----------------------------------------------------------------------------------------------
# LinearSVM


@pytest.mark.parametrize(("C", "lr", "max_iter", "seed"), [(1.0, 0.1, 3, 0), (5.0, 0.02, 4, 7)])
def test_linear_svm_follows_the_documented_subgradient_steps(C, lr, max_iter, seed):
    g = rng(30)
    X = g.standard_normal((20, 3)) + np.array([0.5, 0.0, -0.3])
    y01 = (X[:, 0] + 0.3 * g.standard_normal(20) > 0.4).astype(int)  # labels {0, 1}
    y = np.where(y01 == 1, 1.0, -1.0)
    w = 0.01 * np.random.default_rng(seed).standard_normal(3)
    b = 0.0
    for _ in range(max_iter):
        _, gw, gb = _torch_objective_and_grad(w, b, X, y, C)
        w, b = w - lr * gw, b - lr * gb
    model = LinearSVM(C=C, lr=lr, max_iter=max_iter, seed=seed).fit(X, y01)
    what = f"LinearSVM(C={C}, lr={lr}, max_iter={max_iter}, seed={seed}) on labels {{0, 1}}"
    oracle = ("the documented steps replayed with torch autograd gradients: w0 = 0.01 * "
              "default_rng(seed).standard_normal(D), b0 = 0, w -= lr * g_w, b -= lr * g_b")
    assert_close(model.coef_, w, rtol=1e-10, atol=1e-12, what=f"{what}: coef_", oracle=oracle,
                 hint="map labels to -1/+1 (0 -> -1), start from the seeded w0, take exactly "
                      "max_iter full-batch steps")
    assert_close(model.intercept_, b, rtol=1e-10, atol=1e-12, what=f"{what}: intercept_",
                 oracle=oracle, hint="b starts at 0 and is not regularised")


def test_linear_svm_recovers_the_max_margin_hyperplane():
    # C = 10 with the mean hinge allows alpha up to 10/8 > 0.25: the hard-margin answer.
    model = LinearSVM(C=10.0, lr=0.005, max_iter=5000, seed=0).fit(TOY_X, TOY_Y)
    assert_close(model.coef_, TOY_W, rtol=0, atol=0.03,
                 what="LinearSVM coef_ on the hand-made separable set",
                 oracle="the known max-margin hyperplane w = (0.5, 0.5)",
                 hint="check the hinge subgradient sign and the (C / N) factor")
    assert_close(model.intercept_, TOY_B, rtol=0, atol=0.06,
                 what="LinearSVM intercept_ on the hand-made separable set",
                 oracle="the known max-margin bias b = -1.5",
                 hint="the bias is not regularised: its gradient is only the hinge part")
    assert_close(model.decision_function(TOY_X), TOY_X @ model.coef_ + model.intercept_,
                 rtol=1e-12, atol=1e-12, what="decision_function", oracle="X @ coef_ + intercept_")


def test_linear_svm_returns_the_original_labels():
    g = rng(31)
    X = np.concatenate([g.normal(-2, 0.5, (30, 2)), g.normal(2, 0.5, (30, 2))])
    for labels in ([3, 7], [-1, 1], [0, 1]):
        y = np.repeat(labels, 30)
        model = LinearSVM(C=1.0, lr=0.05, max_iter=300).fit(X, y)
        assert_equal(np.asarray(model.classes_), np.array(labels), what="classes_",
                     oracle="the sorted distinct labels")
        assert_equal(np.asarray(model.predict(X)), y,
                     what=f"predict on separable blobs with labels {labels}",
                     oracle="the training labels",
                     hint="smaller label -> -1, larger -> +1; predict maps back")
        f = np.asarray(model.decision_function(X))
        assert np.all(f[y == labels[1]] > 0), "decision_function must be positive for classes_[1]"


def test_linear_svm_rejects_labels_that_are_not_two_classes():
    X = np.zeros((6, 2))
    with pytest.raises(ValueError):
        LinearSVM().fit(X, np.array([0, 1, 2, 0, 1, 2]))
    with pytest.raises(ValueError):
        LinearSVM().fit(X, np.ones(6))


# ----------------------------------------------------------------------------------------------
# KernelSVM


@pytest.mark.parametrize(("kernel", "C", "params"), [
    ("linear", 1.0, {}),
    ("rbf", 0.5, {"gamma": 0.7}),
    ("rbf", 5.0, {"gamma": 2.0}),
    ("poly", 0.2, {"degree": 2, "gamma": 0.5, "coef0": 1.0}),
])
def test_kernel_svm_satisfies_the_kkt_conditions(kernel, C, params):
    X, y = _overlapping(40 + int(C * 10))
    model = KernelSVM(kernel=kernel, C=C, tol=1e-4, max_iter=200_000, **params).fit(X, y)
    alpha = np.asarray(model.alpha_, dtype=float)
    K = _gram(kernel, X, X, **params)
    case = f"KernelSVM({kernel}, C={C}, {params}) on 80 overlapping points"
    assert alpha.min() >= -1e-10 and alpha.max() <= C + 1e-10, (
        f"{case}: alpha must stay in [0, C] = [0, {C}], got [{alpha.min():.3g}, "
        f"{alpha.max():.3g}]. Hint: clip each pair update to the box")
    assert abs(alpha @ y) <= 1e-6, (
        f"{case}: sum_i alpha_i y_i = {alpha @ y:.3g}, must be 0. Hint: move the two "
        "multipliers of a pair in opposite directions (y_i d and -y_j d)")
    f = K @ (alpha * y) + model.intercept_
    yf = y * f
    zero, bound = alpha <= 1e-8 * C, alpha >= C * (1 - 1e-8)
    free = ~zero & ~bound
    checks = [("alpha_i = 0 needs y_i f(x_i) >= 1", zero, 1 - yf),
              ("0 < alpha_i < C needs y_i f(x_i) = 1", free, np.abs(yf - 1)),
              ("alpha_i = C needs y_i f(x_i) <= 1", bound, yf - 1)]
    for rule, mask, violation in checks:
        worst = violation[mask].max() if mask.any() else 0.0
        assert worst <= 1e-3, (
            f"{case}: KKT condition '{rule}' violated by {worst:.3g} (tolerance 1e-3), "
            f"with f computed from your alpha_ and intercept_ and the kernel in torch. Hint: "
            "iterate until max_up(-y G) - min_low(-y G) < tol; b = mean of -y_i G_i over free "
            "vectors")
    assert bound.any() or kernel == "rbf", f"{case}: overlapping data should have alpha_i = C"


def test_kernel_svm_recovers_the_max_margin_hyperplane():
    model = KernelSVM(kernel="linear", C=10.0, tol=1e-6).fit(TOY_X, TOY_Y)
    w = np.asarray(model.dual_coef_) @ np.asarray(model.support_vectors_)
    assert_close(w, TOY_W, rtol=0, atol=1e-4, what="w = sum_i alpha_i y_i x_i on the toy set",
                 oracle="the known max-margin hyperplane w = (0.5, 0.5)")
    assert_close(model.intercept_, TOY_B, rtol=0, atol=1e-4, what="intercept_ on the toy set",
                 oracle="the known max-margin bias -1.5")
    assert_equal(np.asarray(model.support_), np.array([0, 4]), what="support_",
                 oracle="the two closest points of opposite classes",
                 hint="support vectors are the points with alpha_i > 1e-8 C")
    assert_close(model.alpha_, np.array([0.25, 0, 0, 0, 0.25, 0, 0, 0]), rtol=0, atol=1e-4,
                 what="alpha_ on the toy set", oracle="the hard-margin dual: 1/||x_0 - x_4||^2 "
                 "* 2 = 0.25 each")


@pytest.mark.parametrize(("kernel", "params"), [("rbf", {"gamma": 0.7}),
                                                ("poly", {"degree": 3, "gamma": 0.4,
                                                          "coef0": 0.5})])
def test_kernel_svm_decision_function_uses_its_dual_coefficients(kernel, params):
    X, y = _overlapping(50)
    model = KernelSVM(kernel=kernel, C=1.0, **params).fit(X, y)
    sv = np.asarray(model.support_)
    y_pm = np.where(y == model.classes_[1], 1.0, -1.0)
    assert_equal(sv, np.flatnonzero(np.asarray(model.alpha_) > 1e-8 * 1.0), what="support_",
                 oracle="indices with alpha_i > 1e-8 C")
    assert_close(model.dual_coef_, np.asarray(model.alpha_)[sv] * y_pm[sv], rtol=1e-12,
                 atol=1e-15, what="dual_coef_", oracle="alpha_i * y_i on the support vectors")
    assert_close(model.support_vectors_, X[sv], rtol=0, atol=0, what="support_vectors_",
                 oracle="X[support_]")
    Z = rng(51).standard_normal((40, 2)) * 1.5
    expected = _gram(kernel, Z, X[sv], **params) @ np.asarray(model.dual_coef_) \
        + model.intercept_
    assert_close(model.decision_function(Z), expected, rtol=1e-9, atol=1e-10,
                 what=f"decision_function on 40 new points ({kernel}, {params})",
                 oracle="sum_i dual_coef_i K(sv_i, z) + intercept_, kernel in torch",
                 hint="use the model's kernel hyperparameters (gamma, degree, coef0)")
    pred = np.where(expected > 0, model.classes_[1], model.classes_[0])
    assert_equal(np.asarray(model.predict(Z)), pred, what="predict",
                 oracle="the sign of the decision function")


@pytest.mark.parametrize("data", ["xor", "circles"])
def test_kernel_svm_rbf_fits_nonlinear_data(data):
    """The kernel SVM with an RBF kernel fits nonlinear data."""
    X, y = _xor(60) if data == "xor" else _circles(61)
    n = len(X) // 2
    model = KernelSVM(kernel="rbf", C=10.0, gamma=2.0).fit(X[:n], y[:n])
    acc = float(np.mean(np.asarray(model.predict(X[n:])) == y[n:]))
    assert acc >= 0.95, (
        f"KernelSVM(rbf, gamma=2, C=10) on {data} (labels {sorted(set(y.tolist()))}) reached "
        f"test accuracy {acc:.3f}, expected >= 0.95. Hint: check the label mapping to -1/+1 "
        "and the RBF kernel")
    assert set(np.asarray(model.predict(X)).tolist()) <= set(y.tolist()), (
        "predict must return the original labels")


def test_kernel_svm_tol_and_max_iter_control_the_solver():
    X, y = _xor(62, n=300)
    y = np.where(y == 1, 1.0, -1.0)
    K = _gram("rbf", X, X, 2.0)
    tight = KernelSVM(kernel="rbf", C=10.0, gamma=2.0, tol=1e-4).fit(X, y)
    loose = KernelSVM(kernel="rbf", C=10.0, gamma=2.0, tol=0.5).fit(X, y)
    gap_tight = _kkt_gap(np.asarray(tight.alpha_), y, K, 10.0)
    gap_loose = _kkt_gap(np.asarray(loose.alpha_), y, K, 10.0)
    assert gap_tight < 1e-4 and gap_loose < 0.5, (
        f"the KKT gap max_up(-y G) - min_low(-y G) must be below tol at the end: got "
        f"{gap_tight:.3g} for tol=1e-4 and {gap_loose:.3g} for tol=0.5")
    assert loose.n_iter_ < tight.n_iter_, (
        f"a looser tol must stop earlier: n_iter_ = {loose.n_iter_} (tol=0.5) vs "
        f"{tight.n_iter_} (tol=1e-4). Hint: stop as soon as the gap is below tol")
    one = KernelSVM(kernel="rbf", C=10.0, gamma=2.0, tol=1e-4, max_iter=1).fit(X, y)
    assert one.n_iter_ <= 1, f"max_iter=1 allows one solver iteration, got n_iter_={one.n_iter_}"
    assert _kkt_gap(np.asarray(one.alpha_), y, K, 10.0) > 0.1, (
        "after one iteration the dual cannot be solved yet: the solver must stop at max_iter")


def test_kernel_svm_c_bounds_the_multipliers():
    """The kernel SVM's C bounds its dual multipliers."""
    X, y = _overlapping(63)
    for C in (0.05, 2.0):
        model = KernelSVM(kernel="linear", C=C, tol=1e-5).fit(X, y)
        alpha = np.asarray(model.alpha_)
        assert alpha.max() <= C + 1e-10 and np.isclose(alpha.max(), C), (
            f"C={C}: on overlapping classes some multipliers sit at the bound C; got max alpha "
            f"{alpha.max():.4g}. Hint: clip to [0, C]")


def test_kernel_svm_rejects_bad_inputs():
    X, y = _overlapping(64, n=10)
    with pytest.raises(ValueError):
        KernelSVM(kernel="sigmoid").fit(X, y)
    with pytest.raises(ValueError):
        KernelSVM().fit(X, np.arange(10))
