"""Hidden tests for phase0.linear_models (linear and logistic regression by GD).

Oracles:
- torch autograd in float64 for every gradient;
- numpy.linalg.lstsq for least squares (and convergence of GD to it);
- a replay of the documented (seeded) gradient-descent procedure in the test, with torch
  autograd computing each batch gradient: rng = np.random.default_rng(seed) once per fit, a new
  rng.permutation(N) per epoch, lr_t = lr / (1 + decay * t) with t counting updates;
- the quartic's critical points, found by factoring f'(x) = x (x + 2) (x - 1);
- for logistic regression: torch.optim.LBFGS on the same L2 objective, the optimality (KKT)
  conditions of each penalty, closed forms (the first ISTA step from zero; the intercept-only
  model logit(mean(y)) when the L1 penalty zeroes every weight), torch.sigmoid and
  torch.nn.functional.softshrink.
"""

import numpy as np
import pytest

from phase0.linear_models import (
    LinearRegression,
    LogisticRegression,
    gradient_descent_1d,
    least_squares_gradient,
    least_squares_loss,
    logistic_gradient,
    lr_schedule,
    quartic,
    quartic_grad,
    sigmoid,
    soft_threshold,
)
from shared import assert_close, assert_equal, forbidden, rng

FIT = "phase0.linear_models.LinearRegression.fit"

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _regression_data(seed: int, n: int, d: int, noise: float = 0.5):
    g = rng(seed)
    X = g.normal(0.5, 1.0, (n, d))
    y = X @ g.normal(0.0, 2.0, d) + 1.5 + g.normal(0.0, noise, n)
    return X, y


def _lstsq(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """[w, b] from numpy.linalg.lstsq on [X, 1]."""
    return np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]


def _replay(X, y, *, solver, lr, decay, batch_size, n_epochs, seed):
    """The documented GD procedure, with each batch gradient from torch autograd."""
    import torch

    n, d = X.shape
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    w = torch.zeros(d, dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    gen = np.random.default_rng(seed)
    t = 0
    for _ in range(n_epochs):
        if solver == "batch":
            batches = [np.arange(n)]
        else:
            size = 1 if solver == "sgd" else batch_size
            perm = gen.permutation(n)
            batches = [perm[i:i + size] for i in range(0, n, size)]
        for idx in batches:
            i = torch.from_numpy(idx)
            loss = ((Xt[i] @ w + b - yt[i]) ** 2).mean() / 2
            gw, gb = torch.autograd.grad(loss, (w, b))
            with torch.no_grad():
                w -= lr / (1 + decay * t) * gw
                b -= lr / (1 + decay * t) * gb
            t += 1
    return np.append(w.detach().numpy(), b.item())


def _fit_gd(X, y, **kw) -> LinearRegression:
    with forbidden("numpy.linalg.lstsq", "numpy.linalg.pinv", by=FIT):
        return LinearRegression(**kw).fit(X, y)


def _params(model) -> np.ndarray:
    return np.append(np.asarray(model.coef_, dtype=np.float64), model.intercept_)


def _logistic_data(seed: int, n: int = 300, d: int = 6):
    g = rng(seed)
    X = g.standard_normal((n, d))
    X[:, 1] += 0.5 * X[:, 0]  # some correlation
    w = np.zeros(d)
    w[:3] = [2.0, -1.0, 0.5][:d]
    p = 1 / (1 + np.exp(-(X @ w + 0.3)))
    return X, (g.random(n) < p).astype(np.int64)


def _log_loss_grad(X, y, w, b):
    """Gradient of the mean log loss (no penalty): (X^T (p - y) / N, mean(p - y))."""
    p = 1 / (1 + np.exp(-(X @ w + b)))
    return X.T @ (p - y) / len(y), float(np.mean(p - y))


def _converged(penalty, lam, X, y, l1_ratio=0.5):
    return LogisticRegression(penalty=penalty, lam=lam, l1_ratio=l1_ratio, lr=0.8,
                              max_iter=20000, tol=1e-11).fit(X, y)


# ---------------------------------------------------------------------------------------------
# least squares: loss, gradient, schedule, closed form
# ---------------------------------------------------------------------------------------------


def test_least_squares_loss_is_half_mean_squared_error():
    import torch

    g = rng(10)
    X, y, w = g.standard_normal((17, 5)), g.standard_normal(17), g.standard_normal(5)
    expected = torch.nn.functional.mse_loss(torch.from_numpy(X @ w), torch.from_numpy(y)) / 2
    assert_close(least_squares_loss(X, y, w), expected.item(), rtol=1e-12,
                 what="least_squares_loss(X, y, w) for X of shape (17, 5)",
                 oracle="torch.nn.functional.mse_loss / 2",
                 hint="||Xw - y||^2 / (2N): a mean over rows, halved.")


def test_least_squares_gradient_on_wide_data_divides_by_n():
    import torch

    g = rng(11)
    for n, d in [(3, 8), (50, 2), (1, 4)]:
        X, y, w = g.standard_normal((n, d)), g.standard_normal(n), g.standard_normal(d)
        wt = torch.tensor(w, requires_grad=True)
        (((torch.from_numpy(X) @ wt - torch.from_numpy(y)) ** 2).sum() / (2 * n)).backward()
        assert_close(least_squares_gradient(X, y, w), wt.grad, rtol=1e-10, atol=1e-12,
                     what=f"least_squares_gradient for X of shape ({n}, {d})",
                     oracle="torch autograd of ||Xw - y||^2 / (2N) in float64",
                     hint="X^T (X w - y) / N: divide by the number of rows N.")


def test_lr_schedule_decays_with_the_update_count():
    cases = [((0.1, 0.5, 0), 0.1), ((0.1, 0.5, 4), 0.1 / 3), ((2.0, 0.0, 100), 2.0),
             ((0.3, 0.01, 250), 0.3 / 3.5)]
    for (lr0, decay, t), expected in cases:
        assert_close(lr_schedule(lr0, decay, t), expected, rtol=1e-12,
                     what=f"lr_schedule(lr0={lr0}, decay={decay}, t={t})",
                     oracle="lr0 / (1 + decay * t)")


def test_closed_form_recovers_the_exact_intercept():
    g = rng(12)
    X = g.normal(3.0, 1.0, (25, 4))  # far-from-zero mean: a missing intercept shows at once
    w = np.array([0.5, -1.0, 2.0, 0.25])
    y = X @ w + 5.0
    model = _fit_gd(X, y, solver="closed_form")
    assert_close(model.coef_, w, rtol=1e-8, atol=1e-8,
                 what="coef_ of the closed form on noise-free data y = Xw + 5",
                 oracle="the w that generated y",
                 hint="the model has an intercept: fit it (column of ones, or centre X and y).")
    assert_close(model.intercept_, 5.0, rtol=1e-8, atol=1e-8,
                 what="intercept_ of the closed form on noise-free data y = Xw + 5",
                 oracle="the generating intercept 5")
    X_new = g.standard_normal((6, 4))
    assert_close(model.predict(X_new), X_new @ w + 5.0, rtol=1e-8, atol=1e-8,
                 what="predict on 6 new rows", oracle="X_new @ w + 5",
                 hint="predict returns X @ coef_ + intercept_.")


def test_closed_form_matches_lstsq_on_noisy_rectangular_data():
    X, y = _regression_data(13, 60, 7, noise=1.0)
    model = _fit_gd(X, y, solver="closed_form")
    assert_close(_params(model), _lstsq(X, y), rtol=1e-8, atol=1e-8,
                 what="[coef_, intercept_] of the closed form (X: 60 x 7, noisy)",
                 oracle="numpy.linalg.lstsq on [X, 1]",
                 hint="solve the normal equations (A^T A) theta = A^T y with A = [X, 1].")


# ---------------------------------------------------------------------------------------------
# gradient descent: convergence and the documented procedure
# ---------------------------------------------------------------------------------------------


def test_batch_gd_converges_to_lstsq():
    """Batch gradient descent converges to the least-squares solution."""
    X, y = _regression_data(14, 200, 4)
    model = _fit_gd(X, y, solver="batch", lr=0.3, n_epochs=500)
    diff = float(np.linalg.norm(_params(model) - _lstsq(X, y)))
    assert diff < 1e-4, (
        f"batch GD (lr=0.3, 500 epochs) should reach the least-squares solution: "
        f"||[coef_, intercept_] - lstsq|| = {diff:.3g}, expected < 1e-4 (oracle: "
        "numpy.linalg.lstsq on [X, 1]). Hint: gradient X^T r / N for w and mean(r) for b, "
        "from w = 0, b = 0.")


def test_batch_gd_steps_follow_the_documented_update():
    """Batch gradient descent steps follow the documented update."""
    X, y = _regression_data(15, 20, 3)
    kw = dict(solver="batch", lr=0.2, decay=0.5, batch_size=32, n_epochs=5, seed=0)
    model = _fit_gd(X, y, **kw)
    assert_close(_params(model), _replay(X, y, **kw), rtol=1e-10, atol=1e-12,
                 what="[coef_, intercept_] after 5 full-batch steps (lr=0.2, decay=0.5)",
                 oracle="replaying the documented update with torch autograd gradients",
                 hint="start from zeros; step t uses lr / (1 + decay * t) with t = 0, 1, ...; "
                      "the gradients are means over the rows, b's is mean(r).")


def test_minibatch_first_epoch_follows_the_documented_procedure():
    X, y = _regression_data(16, 23, 3)
    kw = dict(solver="minibatch", lr=0.1, decay=0.0, batch_size=5, n_epochs=1, seed=3)
    model = _fit_gd(X, y, **kw)
    assert_close(_params(model), _replay(X, y, **kw), rtol=1e-10, atol=1e-12,
                 what="[coef_, intercept_] after ONE epoch of mini-batch GD "
                      "(N=23, batch_size=5, seed=3, lr=0.1, decay=0)",
                 oracle="replaying the documented procedure with torch autograd gradients",
                 hint="rng = np.random.default_rng(seed); perm = rng.permutation(N); batches "
                      "perm[0:5], perm[5:10], ..., perm[20:23] (keep the short last batch); "
                      "each gradient is a MEAN over its batch.")


def test_minibatch_reshuffles_every_epoch():
    X, y = _regression_data(17, 23, 3)
    kw = dict(solver="minibatch", lr=0.1, decay=0.0, batch_size=5, n_epochs=3, seed=3)
    model = _fit_gd(X, y, **kw)
    assert_close(_params(model), _replay(X, y, **kw), rtol=1e-10, atol=1e-12,
                 what="[coef_, intercept_] after 3 epochs of mini-batch GD "
                      "(N=23, batch_size=5, seed=3, decay=0)",
                 oracle="replaying the documented procedure with torch autograd gradients",
                 hint="draw a NEW rng.permutation(N) every epoch, from one generator created "
                      "once at the start of fit (not re-seeded, not one permutation reused).")


def test_minibatch_learning_rate_decays_per_update():
    X, y = _regression_data(18, 23, 3)
    kw = dict(solver="minibatch", lr=0.1, decay=0.2, batch_size=5, n_epochs=3, seed=3)
    model = _fit_gd(X, y, **kw)
    assert_close(_params(model), _replay(X, y, **kw), rtol=1e-10, atol=1e-12,
                 what="[coef_, intercept_] after 3 epochs of mini-batch GD with decay=0.2",
                 oracle="replaying the documented procedure with torch autograd gradients",
                 hint="use lr_schedule(lr, decay, t) for every update, where t counts updates "
                      "(batches) over all epochs: 0, 1, ..., 14 here, not the epoch number.")


def test_sgd_uses_single_samples_and_ignores_batch_size():
    X, y = _regression_data(19, 15, 2)
    kw = dict(solver="sgd", lr=0.05, decay=0.1, batch_size=7, n_epochs=2, seed=5)
    model = _fit_gd(X, y, **kw)
    assert_close(_params(model), _replay(X, y, **kw), rtol=1e-10, atol=1e-12,
                 what="[coef_, intercept_] after 2 epochs of SGD (N=15, seed=5, decay=0.1, "
                      "batch_size=7 given but ignored)",
                 oracle="replaying the documented procedure with torch autograd gradients",
                 hint="'sgd' is the mini-batch procedure with batches of ONE row "
                      "(30 updates here), whatever batch_size says.")


def test_sgd_with_decaying_learning_rate_converges_near_lstsq():
    # With a constant learning rate the SGD iterates keep jumping around the solution
    # (about 0.2 away here); the 1 / (1 + decay t) schedule damps the noise.
    X, y = _regression_data(20, 200, 4)
    model = _fit_gd(X, y, solver="sgd", lr=0.05, decay=0.01, n_epochs=50, seed=0)
    diff = float(np.linalg.norm(_params(model) - _lstsq(X, y)))
    assert diff < 1e-2, (
        f"SGD with lr_t = 0.05 / (1 + 0.01 t), 50 epochs, should end within 1e-2 of the "
        f"least-squares solution (numpy.linalg.lstsq): got a distance of {diff:.3g}. "
        "Hint: apply the learning-rate schedule at every update (t counts updates).")


def test_seed_changes_the_shuffles():
    X, y = _regression_data(21, 30, 2)
    kw = dict(solver="minibatch", lr=0.1, decay=0.0, batch_size=4, n_epochs=2)
    a, b = _fit_gd(X, y, seed=0, **kw), _fit_gd(X, y, seed=1, **kw)
    assert not np.allclose(_params(a), _params(b), rtol=0, atol=1e-12), (
        "mini-batch GD gave the same parameters for seed=0 and seed=1. Hint: shuffle with "
        "np.random.default_rng(seed), the seed from the constructor.")
    assert_close(_params(_fit_gd(X, y, seed=1, **kw)), _replay(X, y, seed=1, **kw),
                 rtol=1e-10, atol=1e-12, what="mini-batch GD with seed=1",
                 oracle="replaying the documented procedure")


def test_loss_history_records_the_full_loss_after_each_epoch():
    X, y = _regression_data(22, 40, 3)
    model = _fit_gd(X, y, solver="batch", lr=0.05, n_epochs=30)
    hist = np.asarray(model.loss_history_, dtype=np.float64)
    assert hist.shape == (30,), (
        f"loss_history_ should have one entry per epoch (30), got shape {hist.shape}")
    r = X @ model.coef_ + model.intercept_ - y
    assert_close(hist[-1], r @ r / (2 * 40), rtol=1e-10,
                 what="loss_history_[-1] after batch GD",
                 oracle="||X coef_ + intercept_ - y||^2 / (2N) on all rows",
                 hint="record the loss on the FULL data (with the intercept) after each epoch.")
    assert np.all(np.diff(hist) <= 1e-12), (
        f"batch GD with a small learning rate (0.05) must not increase the loss; got "
        f"{hist[:5].round(4).tolist()} ... Hint: step AGAINST the gradient.")


def test_unknown_solver_raises_value_error():
    X, y = _regression_data(23, 10, 2)
    with pytest.raises(ValueError):
        LinearRegression(solver="newton").fit(X, y)
    with pytest.raises(ValueError):
        LinearRegression().fit(X, y[:-1])


# ---------------------------------------------------------------------------------------------
# the non-convex quartic
# ---------------------------------------------------------------------------------------------


def test_quartic_and_its_gradient_match_autograd():
    import torch

    for x in (-2.7, -1.0, -0.3, 0.0, 0.8, 1.9):
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        f = xt**4 / 4 + xt**3 / 3 - xt**2
        f.backward()
        assert_close(quartic(x), f.item(), rtol=1e-12, atol=1e-12,
                     what=f"quartic({x})", oracle="x^4/4 + x^3/3 - x^2")
        assert_close(quartic_grad(x), xt.grad.item(), rtol=1e-12, atol=1e-12,
                     what=f"quartic_grad({x})", oracle="torch autograd of the quartic",
                     hint="differentiate each term: d/dx x^n = n x^(n-1).")


def test_quartic_has_a_global_and_a_local_minimum():
    for x in (-2.0, 0.0, 1.0):
        assert_close(quartic_grad(x), 0.0, atol=1e-12, what=f"quartic_grad({x})",
                     oracle="0: f'(x) = x (x + 2) (x - 1) vanishes at -2, 0 and 1")
    assert_close([quartic(-2.0), quartic(1.0)], [-8 / 3, -5 / 12], rtol=1e-12,
                 what="quartic at its two minima -2 and 1",
                 oracle="f(-2) = 4 - 8/3 - 4 = -8/3 (global), f(1) = 1/4 + 1/3 - 1 = -5/12")


def test_gradient_descent_1d_follows_the_closed_form_on_a_quadratic():
    """1-D gradient descent on a quadratic follows its closed form."""
    # f(x) = (x - 3)^2, f'(x) = 2 (x - 3): x_k = 3 + (x0 - 3) (1 - 2 lr)^k exactly.
    def grad(x):
        return 2.0 * (x - 3.0)

    for x0, lr, k in [(10.0, 0.1, 0), (10.0, 0.1, 1), (-4.0, 0.3, 7), (0.0, 0.05, 40)]:
        assert_close(gradient_descent_1d(grad, x0, lr, k), 3 + (x0 - 3) * (1 - 2 * lr) ** k,
                     rtol=1e-12, atol=1e-12,
                     what=f"gradient_descent_1d(2(x-3), x0={x0}, lr={lr}, n_steps={k})",
                     oracle="3 + (x0 - 3)(1 - 2 lr)^k",
                     hint="exactly n_steps updates x <- x - lr * grad(x), from x0.")


def test_gradient_descent_1d_start_decides_the_minimum():
    """In 1-D gradient descent, the starting point decides which minimum is reached."""
    # Starting just either side of the local maximum at 0 sends GD into different basins.
    left = gradient_descent_1d(quartic_grad, -0.01, lr=0.1, n_steps=400)
    right = gradient_descent_1d(quartic_grad, 0.01, lr=0.1, n_steps=400)
    assert_close([left, right], [-2.0, 1.0], atol=1e-8,
                 what="gradient descent on the quartic from x0 = -0.01 and x0 = +0.01",
                 oracle="the minima -2 (global) and 1 (local) of x^4/4 + x^3/3 - x^2",
                 hint="step downhill: x - lr * f'(x).")
    assert quartic(right) > quartic(left), "the minimum at 1 is only local: f(1) > f(-2)"


# ---------------------------------------------------------------------------------------------
# logistic regression: building blocks
# ---------------------------------------------------------------------------------------------


def test_sigmoid_matches_torch_including_extremes():
    import torch

    z = np.array([[-1000.0, -50.0, -1.0, 0.0], [1e-3, 2.5, 50.0, 1000.0]])
    got = sigmoid(z)
    assert_close(got, torch.sigmoid(torch.from_numpy(z)), rtol=1e-12, atol=1e-15,
                 what="sigmoid of [[-1000, -50, -1, 0], [1e-3, 2.5, 50, 1000]]",
                 oracle="torch.sigmoid in float64",
                 hint="exp(1000) is inf and inf / inf is nan: use exp(-|z|) in a form chosen "
                      "by the sign of z.")


def test_logistic_gradient_matches_autograd():
    import torch

    X, y = _logistic_data(30, n=40, d=5)
    g = rng(31)
    w, b = g.standard_normal(5), 0.7
    for l2 in (0.0, 0.3):
        wt = torch.tensor(w, requires_grad=True)
        bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            torch.from_numpy(X) @ wt + bt, torch.from_numpy(y.astype(np.float64)))
        (loss + l2 / 2 * (wt**2).sum()).backward()
        gw, gb = logistic_gradient(X, y, w, b, l2=l2)
        assert_close(gw, wt.grad, rtol=1e-10, atol=1e-12,
                     what=f"grad_w of logistic_gradient (40 x 5, l2={l2})",
                     oracle="torch autograd of binary_cross_entropy_with_logits (mean) + "
                            "(l2/2)||w||^2",
                     hint="X^T (sigmoid(Xw + b) - y) / N + l2 * w.")
        assert_close(gb, bt.grad.item(), rtol=1e-10, atol=1e-12,
                     what=f"grad_b of logistic_gradient (l2={l2})",
                     oracle="torch autograd (the bias is not penalised)",
                     hint="grad_b = mean(p - y), with no l2 term.")


def test_soft_threshold_matches_softshrink():
    import torch

    w = np.array([[-3.0, -0.5, -0.2, 0.0], [0.1, 0.2, 0.7, 4.0]])
    for t in (0.0, 0.2, 1.0):
        got = soft_threshold(w, t)
        assert_close(got, torch.nn.functional.softshrink(torch.from_numpy(w), t),
                     rtol=1e-12, atol=0,
                     what=f"soft_threshold(w, {t}) for w = {w.tolist()}",
                     oracle="torch.nn.functional.softshrink",
                     hint="sign(w) * max(|w| - t, 0): entries with |w| <= t become exactly 0.")


# ---------------------------------------------------------------------------------------------
# logistic regression: solutions
# ---------------------------------------------------------------------------------------------


def _lbfgs_l2(X, y, lam):
    import torch

    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.float64))
    theta = torch.zeros(X.shape[1] + 1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([theta], lr=1.0, max_iter=1000, tolerance_grad=1e-13,
                            tolerance_change=1e-15, history_size=20,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        logits = Xt @ theta[:-1] + theta[-1]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, yt)
        loss = loss + lam / 2 * (theta[:-1] ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return theta.detach().numpy()


def test_l2_matches_torch_lbfgs():
    """L2-penalised logistic regression matches a torch LBFGS fit."""
    X, y = _logistic_data(32)
    for lam in (0.01, 0.2):
        model = _converged("l2", lam, X, y)
        assert_close(_params(model), _lbfgs_l2(X, y, lam), atol=1e-4, rtol=0,
                     what=f"[coef_, intercept_] with penalty='l2', lam={lam} (300 x 6)",
                     oracle="torch.optim.LBFGS on mean BCE-with-logits + (lam/2)||w||^2, "
                            "float64",
                     hint="R(w) = ||w||^2 / 2, so its gradient is lam * w; never penalise "
                          "the intercept.")


def test_unpenalised_fit_zeroes_the_log_loss_gradient():
    X, y = _logistic_data(33)
    model = _converged("none", 0.7, X, y)  # lam is ignored without a penalty
    gw, gb = _log_loss_grad(X, y, model.coef_, model.intercept_)
    assert_close(np.append(gw, gb), np.zeros(7), atol=1e-6,
                 what="gradient of the mean log loss at the fit with penalty='none' "
                      "(lam=0.7 given)",
                 oracle="zero: the optimality condition of the unpenalised problem",
                 hint="penalty='none' means no penalty whatever lam is.")


def test_intercept_is_never_penalised():
    g = rng(34)
    X = g.standard_normal((200, 3))
    y = np.zeros(200, dtype=np.int64)
    y[g.permutation(200)[:160]] = 1  # mean(y) = 0.8 exactly
    # L2 with a large lam: the intercept's optimality condition mean(p - y) = 0 still holds.
    model = _converged("l2", 1.0, X, y)
    _, gb = _log_loss_grad(X, y, model.coef_, model.intercept_)
    assert_close(gb, 0.0, atol=1e-6,
                 what="mean(p - y) at the penalty='l2', lam=1 fit (80% positive labels)",
                 oracle="zero: the intercept is free, so its gradient vanishes at the optimum",
                 hint="lam * R(w) involves coef_ only: do not shrink the intercept.")
    # L1 with a lam so large that every weight is exactly 0: the intercept-only model.
    model = _converged("l1", 1.0, X, y)
    assert_equal(np.asarray(model.coef_), np.zeros(3),
                 what="coef_ with penalty='l1', lam=1 (far above every |gradient| at w = 0)",
                 oracle="0: the L1 optimality condition |g_j| <= lam holds at w = 0",
                 hint="soft-threshold after each gradient step, to get exact zeros.")
    assert_close(model.intercept_, np.log(0.8 / 0.2), atol=1e-6,
                 what="intercept_ when every weight is 0 (mean(y) = 0.8)",
                 oracle="logit(mean(y)) = log(0.8 / 0.2), the intercept-only maximum likelihood",
                 hint="the intercept is not penalised (no soft-thresholding, no lam term).")


def test_l1_gives_exact_zeros_and_satisfies_the_subgradient_conditions():
    X, y = _logistic_data(35)
    lam = 0.05
    model = _converged("l1", lam, X, y)
    w = np.asarray(model.coef_)
    zero = w == 0.0
    assert zero.sum() >= 2, (
        f"penalty='l1', lam={lam}: expected exact zeros in coef_ (features 3..5 are irrelevant), "
        f"got {w.tolist()}. Hint: a subgradient step never lands exactly on 0; use "
        "soft_threshold(w - lr * g, lr * lam) (the proximal step).")
    g, gb = _log_loss_grad(X, y, w, model.intercept_)
    assert np.all(np.abs(g[zero]) <= lam + 1e-6), (
        f"L1 optimality: |gradient_j| <= lam where coef_j = 0; got |g| = "
        f"{np.abs(g[zero]).round(5).tolist()} with lam = {lam} (oracle: the subgradient "
        "condition). Hint: a zero coefficient whose gradient exceeds lam should have moved: "
        "check the threshold lr * lam.")
    assert_close(g[~zero], -lam * np.sign(w[~zero]), atol=1e-6,
                 what=f"log-loss gradient at the nonzero coefficients (penalty='l1', lam={lam})",
                 oracle="-lam * sign(w_j) (the L1 optimality condition)",
                 hint="R(w) = ||w||_1 with threshold lr * lam per step; the intercept is not "
                      "thresholded.")
    assert_close(gb, 0.0, atol=1e-6, what="mean(p - y) at the L1 fit",
                 oracle="zero (free intercept)")


def test_elasticnet_satisfies_its_optimality_conditions():
    X, y = _logistic_data(36)
    lam, ratio = 0.08, 0.3
    model = _converged("elasticnet", lam, X, y, l1_ratio=ratio)
    w = np.asarray(model.coef_)
    g, gb = _log_loss_grad(X, y, w, model.intercept_)
    g = g + lam * (1 - ratio) * w  # the smooth part includes the L2 share
    zero = w == 0.0
    assert zero.any() and not zero.all(), (
        f"penalty='elasticnet', lam={lam}, l1_ratio={ratio}: expected some (not all) exact "
        f"zeros, got coef_ = {w.tolist()}. Hint: soft-threshold by lr * lam * l1_ratio.")
    assert np.all(np.abs(g[zero]) <= lam * ratio + 1e-6), (
        f"elastic-net optimality: |g_j + lam (1 - l1_ratio) w_j| <= lam * l1_ratio where "
        f"w_j = 0; got {np.abs(g[zero]).round(5).tolist()} vs {lam * ratio}.")
    assert_close(g[~zero], -lam * ratio * np.sign(w[~zero]), atol=1e-6,
                 what="smooth-part gradient at the nonzero coefficients (elasticnet, lam=0.08, "
                      "l1_ratio=0.3)",
                 oracle="-lam * l1_ratio * sign(w_j) (the elastic-net optimality condition)",
                 hint="R(w) = l1_ratio ||w||_1 + (1 - l1_ratio) ||w||^2 / 2, both times lam.")
    assert_close(gb, 0.0, atol=1e-6, what="mean(p - y) at the elastic-net fit",
                 oracle="zero (free intercept)")


def test_elasticnet_endpoints_are_l1_and_l2():
    """Elastic net at its two mixing endpoints equals the L1 and the L2 fits."""
    X, y = _logistic_data(37)
    lam = 0.05
    pairs = [(1.0, "l1"), (0.0, "l2")]
    for ratio, penalty in pairs:
        en = _converged("elasticnet", lam, X, y, l1_ratio=ratio)
        ref = _converged(penalty, lam, X, y)
        assert_close(_params(en), _params(ref), atol=1e-7, rtol=0,
                     what=f"elasticnet with l1_ratio={ratio} vs penalty='{penalty}' (lam={lam})",
                     oracle=f"the same objective: l1_ratio={ratio} reduces R(w) to {penalty}",
                     hint="l1_ratio weighs the L1 part, 1 - l1_ratio the L2 part.")


def test_first_iteration_is_one_proximal_gradient_step():
    X, y = _logistic_data(38)
    n = len(y)
    g0 = X.T @ (0.5 - y) / n  # the log-loss gradient at w = 0, b = 0 (p = 1/2)
    b1 = -np.mean(0.5 - y)
    for lr, lam in [(0.7, 0.05), (0.3, 0.1)]:
        expected = np.sign(-lr * g0) * np.maximum(np.abs(lr * g0) - lr * lam, 0.0)
        assert (expected == 0).any() and (expected != 0).any()  # the test exercises both cases
        model = LogisticRegression(penalty="l1", lam=lam, lr=lr, max_iter=1).fit(X, y)
        assert_close(_params(model), np.append(expected, lr * b1), rtol=1e-10, atol=1e-12,
                     what=f"[coef_, intercept_] after ONE iteration from zero (penalty='l1', "
                          f"lr={lr}, lam={lam})",
                     oracle="soft-thresholding of the gradient step: S(-lr g, lr lam), and "
                            "b = -lr mean(p - y)",
                     hint="w <- soft_threshold(w - lr * g_w, lr * lam); start from w = 0, b = 0; "
                          "a subgradient step with sign(0) = 0 does not threshold.")
        assert model.n_iter_ == 1, f"n_iter_ should be 1 with max_iter=1, got {model.n_iter_}"
    model = LogisticRegression(penalty="none", lr=0.4, max_iter=1).fit(X, y)
    assert_close(_params(model), np.append(-0.4 * g0, 0.4 * b1), rtol=1e-10, atol=1e-12,
                 what="[coef_, intercept_] after one unpenalised step with lr=0.4",
                 oracle="-lr * (gradient of the mean log loss at zero)")


def test_tol_and_max_iter_control_stopping():
    X, y = _logistic_data(39)
    huge = LogisticRegression(penalty="l2", lam=0.01, lr=0.5, max_iter=50, tol=1e3).fit(X, y)
    assert huge.n_iter_ == 1, (
        f"with tol=1e3 the first change is already below tol: n_iter_ should be 1, got "
        f"{huge.n_iter_}. Hint: stop as soon as max |change| of (w, b) in an iteration < tol.")
    zero = LogisticRegression(penalty="l2", lam=0.01, lr=0.5, max_iter=7, tol=0.0).fit(X, y)
    assert zero.n_iter_ == 7, (
        f"with tol=0 nothing stops early: n_iter_ should equal max_iter=7, got {zero.n_iter_}.")
    eight = LogisticRegression(penalty="l2", lam=0.01, lr=0.5, max_iter=8, tol=0.0).fit(X, y)
    assert not np.allclose(_params(zero), _params(eight), rtol=0, atol=1e-12), (
        "max_iter=7 and max_iter=8 gave the same parameters: each iteration must take a step.")
    conv = _converged("l2", 0.01, X, y)
    assert 1 < conv.n_iter_ < 20000, f"a converged fit should stop early, n_iter_={conv.n_iter_}"


def test_predict_thresholds_the_probability_at_one_half():
    import torch

    X, y = _logistic_data(40)
    model = _converged("l2", 0.01, X, y)
    proba = model.predict_proba(X)
    expected = torch.sigmoid(torch.from_numpy(X @ model.coef_ + model.intercept_)).numpy()
    assert_close(proba, expected, rtol=1e-12, atol=1e-15,
                 what="predict_proba on the training rows",
                 oracle="torch.sigmoid(X @ coef_ + intercept_)",
                 hint="P(y = 1 | x) = sigmoid(x @ coef_ + intercept_), shape (N,).")
    pred = np.asarray(model.predict(X))
    assert pred.dtype.kind in "iu", f"predict should return integers, got dtype {pred.dtype}"
    assert_equal(pred, (expected > 0.5).astype(np.int64),
                 what="predict on the training rows", oracle="1 where P(y=1|x) > 0.5, else 0")
    accuracy = float(np.mean(pred == y))
    assert accuracy > 0.7, f"training accuracy {accuracy:.2f} is too low for this data (> 0.7)"


def test_invalid_penalty_or_labels_raise_value_error():
    X, y = _logistic_data(41, n=20, d=2)
    with pytest.raises(ValueError):
        LogisticRegression(penalty="l3").fit(X, y)
    with pytest.raises(ValueError):
        LogisticRegression().fit(X, 2 * y - 1)  # labels -1 / 1
    with pytest.raises(ValueError):
        LogisticRegression().fit(X, y[:-1])
