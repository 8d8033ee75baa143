"""Hidden tests for phase0.calculus: numerical gradients, Jacobians, gradient checking.

Oracles: analytic derivatives (closed forms), torch.autograd in float64, the exact value of a
central difference for sin (cos(x) sin(h) / h), and torch.autograd.gradcheck.
"""

import numpy as np
import pytest
import torch

from phase0.calculus import d_sin_x_squared, gradient_check, jacobian, numerical_gradient
from shared import assert_close, assert_equal, rng

SHAPES = [(), (5,), (3, 4), (2, 3, 2)]


# --- scalar test functions, in NumPy and in torch -----------------------------------------


def _random_function(seed: int, n: int):
    """f(x) = sum(c * tanh(A x + b)) + 0.5 x^T Q x on x.ravel(), in numpy and in torch."""
    g = rng(seed)
    A, b, c = g.normal(size=(4, n)), g.normal(size=4), g.normal(size=4)
    Q = g.normal(size=(n, n))

    def f_np(x):
        v = np.asarray(x, dtype=np.float64).ravel()
        return float(np.sum(c * np.tanh(A @ v + b)) + 0.5 * v @ Q @ v)

    tA, tb, tc, tQ = (torch.tensor(a) for a in (A, b, c, Q))

    def f_torch(x):
        v = x.reshape(-1)
        return torch.sum(tc * torch.tanh(tA @ v + tb)) + 0.5 * v @ tQ @ v

    return f_np, f_torch


FUNCTIONS = {
    "sum(x**2)": (lambda x: np.sum(x**2), lambda t: torch.sum(t**2)),
    "sum(sin x)": (lambda x: np.sum(np.sin(x)), lambda t: torch.sum(torch.sin(t))),
    "sum(sin(x**2))": (lambda x: np.sum(np.sin(x**2)), lambda t: torch.sum(torch.sin(t**2))),
}


def _torch_grad(f_torch, x):
    t = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    (g,) = torch.autograd.grad(f_torch(t), t)
    return g.numpy()


# --- numerical_gradient -------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_numerical_gradient_matches_torch_autograd(name, shape):
    f_np, f_torch = FUNCTIONS[name]
    x = rng(10).uniform(-1.5, 1.5, size=shape)
    got = numerical_gradient(f_np, x.copy())
    assert_close(got, _torch_grad(f_torch, x), atol=1e-8, rtol=1e-7,
                 what=f"numerical_gradient of {name} at a random x of shape {shape}",
                 oracle="torch.autograd.grad in float64",
                 hint="loop over every position of x (x.size of them, whatever the shape), "
                      "perturb that one position by +eps and -eps, divide by 2*eps")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numerical_gradient_matches_torch_on_random_functions(seed):
    f_np, f_torch = _random_function(seed, 6)
    x = rng(100 + seed).normal(size=(2, 3))
    assert_close(numerical_gradient(f_np, x.copy()), _torch_grad(f_torch, x),
                 atol=1e-7, rtol=1e-7,
                 what=f"numerical_gradient of a random tanh-plus-quadratic function (seed {seed}) "
                      "at x of shape (2, 3)",
                 oracle="torch.autograd.grad in float64",
                 hint="central differences at every position of x, in C order")


def test_central_difference_of_sin_is_exactly_cos_x_sin_h_over_h():
    """The central difference of sin equals its exact closed form for the given eps."""
    # (sin(x+h) - sin(x-h)) / 2h = cos(x) sin(h) / h exactly: a check of the formula and of eps.
    x = rng(11).uniform(-3, 3, size=7)
    h = 0.1
    got = numerical_gradient(lambda v: np.sum(np.sin(v)), x.copy(), eps=h)
    assert_close(got, np.cos(x) * np.sin(h) / h, atol=1e-12, rtol=1e-10,
                 what="numerical_gradient(sum(sin x), x, eps=0.1)",
                 oracle="the exact central difference cos(x) sin(h) / h",
                 hint="use the eps you are given, and the central formula "
                      "(f(x + eps e_j) - f(x - eps e_j)) / (2 eps), "
                      "not (f(x + eps e_j) - f(x)) / eps")


def test_numerical_gradient_error_shrinks_like_eps_squared():
    # Central differences: error ~ eps**2 f'''/6, so eps / 10 divides the error by ~100.
    # A forward difference (error ~ eps f''/2) would only divide it by ~10.
    x = rng(12).uniform(0.5, 1.0, size=4)
    exact = np.exp(x)
    err = {}
    for eps in (1e-2, 1e-3):
        err[eps] = np.max(np.abs(numerical_gradient(lambda v: np.sum(np.exp(v)), x.copy(),
                                                    eps=eps) - exact))
    ratio = err[1e-2] / max(err[1e-3], 1e-300)
    assert ratio > 30, (
        f"numerical_gradient(sum(exp x)): the error was {err[1e-2]:.3g} at eps=1e-2 and "
        f"{err[1e-3]:.3g} at eps=1e-3, a ratio of {ratio:.3g}. Central differences make the error "
        "shrink like eps**2 (ratio ~100); a ratio near 10 means a forward difference. "
        "Hint: evaluate f at x + eps e_j and at x - eps e_j.")


def test_numerical_gradient_default_eps_is_accurate():
    # With f = sum(sin(3x)), f''' is up to 27: eps=1e-3 leaves an error ~4.5e-6, eps=1e-4 ~4.5e-8,
    # the documented default 1e-5 ~5e-10 (plus ~1e-11 of round-off).
    x = rng(13).uniform(-1, 1, size=8)
    got = numerical_gradient(lambda v: np.sum(np.sin(3 * v)), x.copy())
    assert_close(got, 3 * np.cos(3 * x), atol=1e-8, rtol=0,
                 what="numerical_gradient(sum(sin 3x), x) with the default eps",
                 oracle="the analytic gradient 3 cos(3x)",
                 hint="the default eps is 1e-5: a larger step leaves a truncation error ~eps**2")


def test_numerical_gradient_leaves_x_exactly_unchanged():
    # Values chosen so that x + eps - 2 eps + eps != x in floating point for many entries.
    x = rng(14).normal(size=(4, 5)) * 3.7
    before = x.copy()
    numerical_gradient(lambda v: np.sum(np.sin(v) * v), x)
    assert_equal(x, before, what="the caller's x after numerical_gradient(f, x)",
                 oracle="its values before the call",
                 hint="x must be unchanged bit for bit: work on a copy, or save each original "
                      "value and write it back (x[j] += eps ... x[j] -= eps may not restore it)")


def test_numerical_gradient_calls_f_at_x_plus_and_minus_eps_one_position_at_a_time():
    x = rng(15).normal(size=(2, 3))
    eps = 1e-3
    calls = []

    def f(v):
        calls.append(np.array(v, dtype=np.float64, copy=True))
        return float(np.sum(v**3))

    numerical_gradient(f, x.copy(), eps=eps)
    assert calls, "numerical_gradient never called f."
    for k, v in enumerate(calls):
        assert v.shape == x.shape, (
            f"call {k} of f got an array of shape {v.shape}; f must be called with arrays of "
            f"x's shape {x.shape}. Hint: perturb x (or a copy of x) itself, not x.ravel().")
        moved = np.abs(v - x) > eps / 100
        assert moved.sum() == 1, (
            f"call {k} of f got an input that differs from x at {int(moved.sum())} positions; "
            "each call should move exactly one position by +eps or -eps. "
            "Hint: restore the perturbed position before moving to the next one.")
        assert_close(np.abs(v - x)[moved], [eps], rtol=1e-6, atol=1e-12,
                     what=f"the size of the perturbation in call {k} of f (eps={eps})",
                     oracle="the eps argument", hint="move x by exactly eps, in each direction")
    assert len(calls) == 2 * x.size, (
        f"f was called {len(calls)} times for an x with {x.size} entries; central differences "
        f"need exactly 2 * x.size = {2 * x.size} calls (x + eps e_j and x - eps e_j for each j).")


def test_numerical_gradient_accepts_integer_x():
    x = np.array([1, 2, -3])
    got = numerical_gradient(lambda v: np.sum(v**2), x)
    assert_close(got, np.array([2.0, 4.0, -6.0]), atol=1e-8, rtol=1e-8,
                 what="numerical_gradient(sum(x**2)) at the integer array [1, 2, -3]",
                 oracle="the analytic gradient 2x",
                 hint="convert x to float64 first: an integer array cannot hold x + eps")


def test_numerical_gradient_rejects_nonpositive_eps():
    for eps in (0.0, -1e-5):
        with pytest.raises(ValueError):
            numerical_gradient(lambda v: np.sum(v), np.ones(3), eps=eps)


# --- jacobian -----------------------------------------------------------------------------


def test_jacobian_matches_torch_for_a_matrix_input():
    g = rng(20)
    W = g.normal(size=(4, 6))
    x = g.normal(size=(2, 3))
    J = jacobian(lambda v: np.tanh(W @ v.ravel()) * np.sum(v**2), x.copy())
    tW = torch.tensor(W)
    expected = torch.autograd.functional.jacobian(
        lambda t: torch.tanh(tW @ t.reshape(-1)) * torch.sum(t**2), torch.tensor(x)
    ).reshape(4, 6)
    assert_close(J, expected, atol=1e-8, rtol=1e-7,
                 what="jacobian of f(x) = tanh(W x.ravel()) * sum(x**2): (4,) outputs, x of shape "
                      "(2, 3)",
                 oracle="torch.autograd.functional.jacobian in float64, reshaped to (4, 6)",
                 hint="the result is (M outputs, x.size): row i holds d f_i / d x, flattened in "
                      "C order like x.ravel()")


def test_jacobian_of_elementwise_sin_is_diagonal_cos_x_sin_h_over_h():
    """The Jacobian of elementwise sin is diagonal and equals the exact central difference."""
    x = rng(21).uniform(-2, 2, size=5)
    h = 0.05
    J = jacobian(np.sin, x.copy(), eps=h)
    assert_close(J, np.diag(np.cos(x) * np.sin(h) / h), atol=1e-12, rtol=1e-10,
                 what="jacobian(sin, x, eps=0.05) for x of shape (5,)",
                 oracle="the exact central difference: diag(cos(x) sin(h) / h)",
                 hint="central differences with the eps you are given; the Jacobian of an "
                      "elementwise function is diagonal")


def test_jacobian_error_shrinks_like_eps_squared():
    x = rng(22).uniform(0.5, 1.0, size=3)
    A = rng(23).normal(size=(2, 3))

    def f(v):
        return A @ np.exp(v)

    exact = A * np.exp(x)[None, :]
    err = {eps: np.max(np.abs(jacobian(f, x.copy(), eps=eps) - exact)) for eps in (1e-2, 1e-3)}
    ratio = err[1e-2] / max(err[1e-3], 1e-300)
    assert ratio > 30, (
        f"jacobian(A exp(x)): error {err[1e-2]:.3g} at eps=1e-2, {err[1e-3]:.3g} at eps=1e-3, "
        f"ratio {ratio:.3g}. Central differences give ~100, a forward difference ~10. "
        "Hint: use f(x + eps e_j) - f(x - eps e_j), over 2 eps.")


def test_jacobian_leaves_x_exactly_unchanged():
    x = rng(24).normal(size=(3, 2)) * 5.3
    before = x.copy()
    jacobian(lambda v: np.sin(v).ravel(), x)
    assert_equal(x, before, what="the caller's x after jacobian(f, x)",
                 oracle="its values before the call",
                 hint="restore each perturbed value exactly (save it and write it back)")


def test_jacobian_rejects_non_vector_outputs():
    x = np.ones(3)
    with pytest.raises(ValueError):
        jacobian(lambda v: np.sum(v), x)  # a scalar, not a 1-D array
    with pytest.raises(ValueError):
        jacobian(lambda v: np.outer(v, v), x)  # a matrix


# --- gradient_check -----------------------------------------------------------------------


def test_gradient_check_uses_the_documented_relative_error_formula():
    # f = sum(x**2)/2 has gradient x; the central difference of a quadratic is exact (up to
    # round-off). The "analytic" gradient x + 1 is off by 1 everywhere, so the documented error
    # is 1 / max_j(|x_j + 1| + |x_j|), which differs from an elementwise ratio's maximum.
    x = rng(30).normal(size=(3, 3))
    got = gradient_check(lambda v: 0.5 * np.sum(v**2), lambda v: v + 1.0, x.copy())
    expected = 1.0 / np.max(np.abs(x + 1) + np.abs(x))
    assert_close(got, expected, rtol=1e-6, atol=0,
                 what="gradient_check(sum(x**2)/2, x -> x + 1, x) at a random (3, 3) x",
                 oracle="the documented formula max|a - n| / max(max(|a| + |n|), 1e-12) "
                        "with n = x exactly",
                 hint="take the maxima over the whole array separately for the numerator and "
                      "the denominator (not the max of elementwise ratios)")


def test_gradient_check_passes_correct_gradients():
    for seed in range(3):
        f_np, f_torch = _random_function(seed, 5)
        x = rng(31 + seed).normal(size=5)
        err = gradient_check(f_np, lambda v, _f=f_torch: _torch_grad(_f, v), x.copy())
        assert err < 1e-7, (
            f"gradient_check returned {err:.3g} for a correct gradient (from torch.autograd) of "
            f"a random function (seed {seed}); it should be below 1e-7. Hint: compare with the "
            "central-difference gradient at the same eps and use the documented formula.")
    err = gradient_check(lambda v: np.sum(np.sin(v**2)), d_sin_x_squared, np.linspace(-2, 2, 9))
    assert err < 1e-7, (f"gradient_check(sum(sin(x**2)), d_sin_x_squared) returned {err:.3g}; "
                        "both are correct, so it should be below 1e-7.")


@pytest.mark.parametrize("bug", ["missing factor 2", "cos(x) instead of cos(x**2)",
                                 "one entry wrong"])
def test_gradient_check_flags_wrong_gradients(bug):
    x = rng(32).uniform(0.3, 1.5, size=6)

    def wrong(v):
        if bug == "missing factor 2":
            return v * np.cos(v**2)
        if bug == "cos(x) instead of cos(x**2)":
            return 2 * v * np.cos(v)
        g = 2 * v * np.cos(v**2)
        g[3] += 0.1
        return g

    err = gradient_check(lambda v: np.sum(np.sin(v**2)), wrong, x.copy())
    assert err > 1e-3, (
        f"gradient_check returned {err:.3g} for a wrong gradient of sum(sin(x**2)) ({bug}); "
        "it should be well above 1e-3. Hint: compare grad_f(x) with numerical_gradient(f, x).")


def test_gradient_check_of_zero_gradients_is_zero_not_nan():
    """Gradient check returns zero, not NaN, when both gradients are zero."""
    err = gradient_check(lambda v: 3.0, lambda v: np.zeros_like(v), np.ones((2, 2)))
    assert np.isfinite(err) and err == 0.0, (
        f"gradient_check of a constant f with a zero analytic gradient returned {err!r}; "
        "expected 0.0. Hint: the denominator is max(..., 1e-12), so 0 / 0 never happens.")


def test_gradient_check_uses_eps():
    """Gradient check takes its numerical gradient with the eps it is given."""
    # With f = sum(sin x), a = cos x and n = cos(x) sin(h)/h, so the error is (1 - s) / (1 + s)
    # with s = sin(h) / h, whatever x is.
    x = rng(33).uniform(-1, 1, size=4)
    h = 0.2
    s = np.sin(h) / h
    got = gradient_check(lambda v: np.sum(np.sin(v)), np.cos, x.copy(), eps=h)
    assert_close(got, (1 - s) / (1 + s), rtol=1e-6, atol=0,
                 what="gradient_check(sum(sin x), cos, x, eps=0.2)",
                 oracle="the closed form (1 - s) / (1 + s) with s = sin(h)/h",
                 hint="pass eps on to the numerical gradient")


def test_gradient_check_returns_a_float_in_zero_one():
    """Gradient check returns a Python float between zero and one."""
    x = rng(34).normal(size=5)
    err = gradient_check(lambda v: np.sum(v**3), lambda v: -5 * v**2 + 1, x.copy())
    assert isinstance(err, float), f"gradient_check returned a {type(err).__name__}, not a float."
    assert 0.0 <= err <= 1.0, (f"gradient_check returned {err}; with the documented formula the "
                               "relative error always lies in [0, 1].")


def test_gradient_check_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError):
        gradient_check(lambda v: np.sum(v**2), lambda v: np.sum(2 * v, axis=0), np.ones((3, 2)))


def test_gradient_check_leaves_x_exactly_unchanged():
    x = rng(35).normal(size=(2, 5)) * 7.1
    before = x.copy()
    gradient_check(lambda v: np.sum(np.cos(v)), lambda v: -np.sin(v), x)
    assert_equal(x, before, what="the caller's x after gradient_check(f, grad_f, x)",
                 oracle="its values before the call",
                 hint="restore each perturbed value exactly")


class _Cube(torch.autograd.Function):
    """x**3 with a hand-written backward; `right=False` uses the wrong derivative 3x."""

    @staticmethod
    def forward(ctx, x, right):
        ctx.save_for_backward(x)
        ctx.right = right
        return x**3

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        local = 3 * x**2 if ctx.right else 3 * x
        return grad_out * local, None


@pytest.mark.parametrize("right", [True, False], ids=["right backward", "wrong backward"])
def test_gradient_check_agrees_with_torch_gradcheck(right):
    x = rng(36).uniform(0.2, 2.0, size=4)
    t = torch.tensor(x, requires_grad=True)
    torch_ok = torch.autograd.gradcheck(lambda v: _Cube.apply(v, right).sum(), (t,),
                                        raise_exception=False)

    def backward_np(v):
        tv = torch.tensor(v, requires_grad=True)
        _Cube.apply(tv, right).sum().backward()
        return tv.grad.numpy()

    err = gradient_check(lambda v: float(np.sum(v**3)), backward_np, x.copy())
    ours_ok = err < 1e-6
    assert ours_ok == torch_ok, (
        f"torch.autograd.gradcheck says the {'right' if right else 'wrong'} backward of x**3 is "
        f"{'correct' if torch_ok else 'wrong'}, but gradient_check returned {err:.3g}. "
        "Hint: a correct gradient gives ~1e-10, a wrong one a large relative error.")


# --- the chain rule -----------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_d_sin_x_squared_matches_torch_autograd(shape):
    """The derivative of sin(x squared) matches torch autograd."""
    x = rng(40).uniform(-3, 3, size=shape)
    t = torch.tensor(x, requires_grad=True)
    torch.sin(t**2).sum().backward()
    assert_close(d_sin_x_squared(x), t.grad, atol=1e-12, rtol=1e-12,
                 what=f"d_sin_x_squared at a random x of shape {shape}",
                 oracle="torch.autograd on sin(x**2) in float64",
                 hint="chain rule: cos of the inner value x**2, times the inner derivative 2x")


def test_d_sin_x_squared_of_a_python_float():
    """The derivative of sin(x squared) accepts a Python float and returns a scalar."""
    got = d_sin_x_squared(1.3)
    assert np.shape(got) == (), f"d_sin_x_squared(1.3) has shape {np.shape(got)}, expected ()."
    assert_close(float(got), 2 * 1.3 * np.cos(1.3**2), atol=1e-12, rtol=1e-12,
                 what="d_sin_x_squared(1.3)", oracle="2x cos(x**2) at x = 1.3",
                 hint="accept a Python float as well as an array")


def test_d_sin_x_squared_agrees_with_numerical_gradient():
    """The derivative of sin(x squared) agrees with the numerical gradient."""
    x = np.linspace(-2.5, 2.5, 11)
    assert_close(d_sin_x_squared(x), numerical_gradient(lambda v: np.sum(np.sin(v**2)), x),
                 atol=1e-7, rtol=1e-7,
                 what="d_sin_x_squared(x) vs numerical_gradient(sum(sin(x**2)), x)",
                 oracle="the central-difference gradient (both of your functions should agree)",
                 hint="one of the two is wrong; check the other tests first")
