"""Hidden tests for phase1.linear.

Oracles: torch.nn.functional.linear and autograd through it (float64 at 1e-10, float32 with
torch.testing's tolerances); torch.autograd.gradcheck; the closed forms of the three gradients;
torch.nn.Linear's initialisation under the same seed; torch.nn.init.* and
torch.nn.init._calculate_fan_in_and_fan_out; seeded statistical tests of the initialisers
against their closed-form variances (each states its false-failure rate, all below 1e-6); and
the depth experiments of Glorot & Bengio and He et al. (activations through 20 layers).
"""

import math

import pytest
import torch
import torch.nn.functional as F
from phase1_testkit import no_nn_init
from torch import nn

from phase1 import linear as L
from shared import assert_close, assert_gradcheck, expect_value_error, forbidden

TOL64 = {"rtol": 1e-10, "atol": 1e-12}
F_LINEAR = ("torch.nn.functional.linear",)
GRAD_NAMES = ("x", "weight", "bias")


def randn(*shape, seed, dtype=torch.float64):
    return torch.randn(*shape, dtype=dtype, generator=torch.Generator().manual_seed(seed))


def check_grad_fn(out, by="LinearFunction"):
    name = type(out.grad_fn).__name__
    assert name == "LinearFunctionBackward", (
        f"{by}'s output has grad_fn {name if out.grad_fn is not None else None}, not "
        "LinearFunctionBackward. Hint: write a torch.autograd.Function with its own backward "
        "(LinearFunction) and return LinearFunction.apply(...) as is.")


def backward(out, upstream, what):
    """out.backward(upstream), turning autograd's shape errors into a teaching message."""
    try:
        out.backward(upstream)
    except NotImplementedError:
        raise
    except RuntimeError as err:
        raise AssertionError(
            f"{what}: backward failed: {err}\nHint: backward returns (grad_x, grad_W, grad_b) "
            "shaped like (x, W, b): grad_W is (out, in) and grad_b (out,).") from None


def run_learner(x, w, b, upstream, what):
    """LinearFunction forward and backward on fresh leaves, with F.linear forbidden."""
    leaves = [t.detach().clone().requires_grad_() if t is not None else None for t in (x, w, b)]
    with forbidden(*F_LINEAR, by="phase1.linear.LinearFunction"):
        out = L.LinearFunction.apply(*leaves)
        check_grad_fn(out)
        backward(out, upstream, what)
    return out, [t.grad if t is not None else None for t in leaves]


def run_oracle(x, w, b, upstream):
    leaves = [t.detach().clone().requires_grad_() if t is not None else None for t in (x, w, b)]
    out = F.linear(*leaves)
    out.backward(upstream)
    return out, [t.grad if t is not None else None for t in leaves]


HINTS = {
    "x": "grad_x = grad_out @ W, keeping x's leading dimensions.",
    "weight": "grad_W = grad_out^T @ x with every leading dimension flattened into rows: "
              "(out, N) @ (N, in). Not transposed, and summed over all leading positions.",
    "bias": "grad_b sums grad_out over every leading dimension, not just the first.",
}


def compare_with_f_linear(x, w, b, what, tol=TOL64, seed=99):
    out_shape = (*x.shape[:-1], w.shape[0])
    upstream = randn(*out_shape, seed=seed, dtype=x.dtype)
    got, got_grads = run_learner(x, w, b, upstream, what)
    exp, exp_grads = run_oracle(x, w, b, upstream)
    assert_close(got, exp, **tol, check_dtype=True, what=f"{what}: y",
                 oracle="torch.nn.functional.linear",
                 hint="y = x @ W.T + b over the last dimension of x, leading dimensions kept.")
    for name, g, e in zip(GRAD_NAMES, got_grads, exp_grads, strict=True):
        if e is None:
            continue
        assert_close(g, e, **tol, what=f"{what}: gradient with respect to {name}",
                     oracle="autograd through torch.nn.functional.linear", hint=HINTS[name])


# ----------------------------------------------------------------------------------------------
# LinearFunction
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("x_shape", [(5,), (4, 5), (2, 3, 5), (2, 1, 3, 5), (0, 5)])
def test_linear_function_matches_f_linear_for_any_leading_dims(x_shape):
    x, w, b = randn(*x_shape, seed=1), randn(3, 5, seed=2), randn(3, seed=3)
    compare_with_f_linear(x, w, b, f"LinearFunction on x {x_shape}, W (3, 5), b (3,), float64")


def test_linear_function_without_bias_matches_f_linear():
    x, w = randn(2, 4, 6, seed=4), randn(3, 6, seed=5)
    compare_with_f_linear(x, w, None, "LinearFunction on x (2, 4, 6), W (3, 6), bias None")


def test_linear_function_float32_matches_f_linear():
    """The linear function matches F.linear in float32."""
    x, w, b = (randn(3, 4, 7, seed=6, dtype=torch.float32), randn(5, 7, seed=7,
               dtype=torch.float32), randn(5, seed=8, dtype=torch.float32))
    compare_with_f_linear(x, w, b, "LinearFunction on float32 x (3, 4, 7), W (5, 7)", tol={})


def test_linear_function_accepts_non_contiguous_input():
    x = randn(2, 5, 4, seed=9).transpose(1, 2)  # (2, 4, 5), not contiguous
    w, b = randn(3, 5, seed=10), randn(3, seed=11)
    compare_with_f_linear(x, w, b, "LinearFunction on a non-contiguous x (2, 4, 5) "
                                   "(a transposed view)")


def test_square_weight_gradient_is_not_transposed():
    """The gradient of a square weight is not transposed."""
    # With in == out a transposed grad_W has the right shape, so only its values can tell.
    x, w, b = randn(8, 4, seed=12), randn(4, 4, seed=13), randn(4, seed=14)
    upstream = randn(8, 4, seed=15)
    _, (_, gw, _) = run_learner(x, w, b, upstream, "LinearFunction with a square W (4, 4)")
    assert_close(gw, upstream.T @ x, **TOL64,
                 what="grad_W of LinearFunction on x (8, 4), W (4, 4)",
                 oracle="the closed form grad_out^T @ x (out, in)",
                 hint="grad_W[o, i] = sum_n grad_out[n, o] * x[n, i]; x^T @ grad_out is its "
                      "transpose.")


def test_backward_returns_gradients_shaped_like_the_inputs():
    # autograd would quietly sum a (B, T, out) bias gradient down to (out,); a hand-written
    # backprop would not. The docstring promises the shapes of the inputs.
    x = randn(2, 3, 5, seed=16).requires_grad_()
    w, b = randn(4, 5, seed=17).requires_grad_(), randn(4, seed=18).requires_grad_()
    upstream = randn(2, 3, 4, seed=19)
    with forbidden(*F_LINEAR, by="phase1.linear.LinearFunction"):
        out = L.LinearFunction.apply(x, w, b)
        check_grad_fn(out)
        with torch.no_grad():
            grads = L.LinearFunction.backward(out.grad_fn, upstream)
    assert isinstance(grads, tuple | list) and len(grads) == 3, (
        f"LinearFunction.backward must return three gradients (x, weight, bias); got {grads!r}")
    expected = {"x": upstream @ w.detach(), "weight": upstream.reshape(-1, 4).T @ x.detach()
                .reshape(-1, 5), "bias": upstream.sum(dim=(0, 1))}
    for name, g in zip(GRAD_NAMES, grads, strict=True):
        assert_close(g, expected[name], **TOL64,
                     what=f"LinearFunction.backward's grad for {name} on x (2, 3, 5), W (4, 5)",
                     oracle="the closed forms in the docstring", hint=HINTS[name])


def test_backward_returns_none_for_a_missing_bias():
    """Backward returns None for the bias gradient when there is no bias."""
    x, w = randn(3, 5, seed=20).requires_grad_(), randn(2, 5, seed=21).requires_grad_()
    with forbidden(*F_LINEAR, by="phase1.linear.LinearFunction"):
        out = L.LinearFunction.apply(x, w, None)
        check_grad_fn(out)
        with torch.no_grad():
            grads = L.LinearFunction.backward(out.grad_fn, torch.ones(3, 2, dtype=torch.float64))
    assert len(grads) == 3 and grads[2] is None, (
        "With bias=None, LinearFunction.backward must return (grad_x, grad_W, None); got "
        f"{len(grads)} values, the last being {grads[-1]!r}.")


def test_linear_function_passes_gradcheck():
    x, w, b = randn(2, 3, 4, seed=22), randn(3, 4, seed=23), randn(3, seed=24)
    with forbidden(*F_LINEAR, by="phase1.linear.LinearFunction"):
        assert_gradcheck(L.LinearFunction.apply, [x, w, b],
                         what="LinearFunction on x (2, 3, 4), W (3, 4), b (3,)")


def test_linear_function_rejects_mismatched_shapes():
    x, w, b = randn(4, 5, seed=25), randn(3, 5, seed=26), randn(3, seed=27)
    expect_value_error(lambda: L.LinearFunction.apply(randn(4, 6, seed=0), w, b),
                       "LinearFunction with x (4, 6) and W (3, 5)",
                       "check x.shape[-1] == weight.shape[1] before computing.")
    expect_value_error(lambda: L.LinearFunction.apply(x, w, randn(5, seed=0)),
                       "LinearFunction with W (3, 5) and a bias of shape (5,)",
                       "the bias has one entry per output feature: shape (out_features,).")
    expect_value_error(lambda: L.LinearFunction.apply(x, randn(15, seed=0), b),
                       "LinearFunction with a 1-D weight of shape (15,)",
                       "the weight must be 2-D (out_features, in_features).")


# ----------------------------------------------------------------------------------------------
# Linear (the module)
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("in_f,out_f,bias", [(20, 7, True), (3, 11, True), (9, 4, False)])
def test_linear_initialises_like_nn_linear_under_the_same_seed(in_f, out_f, bias):
    torch.manual_seed(in_f * out_f)
    layer = L.Linear(in_f, out_f, bias=bias)
    torch.manual_seed(in_f * out_f)
    ref = nn.Linear(in_f, out_f, bias=bias)
    got = [(n, tuple(p.shape), p.dtype) for n, p in layer.named_parameters()]
    exp = [(n, tuple(p.shape), p.dtype) for n, p in ref.named_parameters()]
    assert got == exp, f"Linear({in_f}, {out_f}, bias={bias}) parameters: expected {exp}, " \
                       f"got {got}"
    if not bias:
        assert layer.bias is None, "Linear(..., bias=False).bias must be None."
    for (name, p), (_, r) in zip(layer.named_parameters(), ref.named_parameters(), strict=True):
        assert p.requires_grad, f"Linear.{name} must stay a parameter that requires grad."
        assert_close(p, r, what=f"Linear({in_f}, {out_f}, bias={bias}).{name} after "
                                f"torch.manual_seed({in_f * out_f})",
                     oracle=f"torch.nn.Linear({in_f}, {out_f}) after the same seed",
                     hint="bound = 1/sqrt(in_features) for both weight and bias; draw the "
                          "weight first, each with one Tensor.uniform_(-bound, bound).")


def test_linear_init_fills_the_whole_range_of_the_bound():
    # 0 < |w| <= 1/sqrt(in) always; and some |w| > 0.99 * bound: with 12,800 independent
    # uniform draws, P(all below 0.99 * bound) = 0.99^12800 < 1e-55 (false-failure rate).
    torch.manual_seed(0)
    layer = L.Linear(64, 200)
    bound = 1 / math.sqrt(64)
    w = layer.weight.detach()
    assert w.abs().max() <= bound and w.abs().max() > 0.99 * bound, (
        f"Linear(64, 200).weight should fill U(-{bound}, {bound}); got max |w| = "
        f"{w.abs().max().item():.4f}. Hint: the bound is 1/sqrt(in_features), not "
        "1/sqrt(out_features) or 1/in_features.")


def test_linear_module_matches_nn_linear_after_weight_copy():
    torch.manual_seed(1)
    layer = L.Linear(6, 4).double()
    ref = nn.Linear(6, 4).double()
    with torch.no_grad():
        ref.weight.copy_(layer.weight)
        ref.bias.copy_(layer.bias)
    x = randn(2, 3, 6, seed=30)
    upstream = randn(2, 3, 4, seed=31)
    xg, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
    with forbidden(*F_LINEAR, by="phase1.linear.Linear"):
        out = layer(xg)
        check_grad_fn(out, by="Linear.forward")
        backward(out, upstream, "Linear(6, 4) on x (2, 3, 6)")
    exp = ref(xr)
    exp.backward(upstream)
    what = "Linear(6, 4) (float64) on x (2, 3, 6)"
    assert_close(out, exp, **TOL64, what=f"{what}: output", oracle="torch.nn.Linear")
    for name, got, e in [("x", xg.grad, xr.grad), ("weight", layer.weight.grad, ref.weight.grad),
                         ("bias", layer.bias.grad, ref.bias.grad)]:
        assert_close(got, e, **TOL64, what=f"{what}: gradient with respect to {name}",
                     oracle="autograd through torch.nn.Linear", hint=HINTS[name])


# ----------------------------------------------------------------------------------------------
# Gains and fans
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("nonlinearity,param", [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("relu", 0.3), ("leaky_relu", None), ("leaky_relu", 0.2),
    ("leaky_relu", 0), ("selu", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    with no_nn_init("phase1.linear.calculate_gain"):
        got = L.calculate_gain(nonlinearity, param)
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert_close(got, expected, rtol=1e-12, atol=0,
                 what=f"calculate_gain({nonlinearity!r}, {param!r})",
                 oracle="torch.nn.init.calculate_gain",
                 hint="relu: sqrt(2); tanh: 5/3; leaky_relu: sqrt(2 / (1 + slope^2)) with slope "
                      "0.01 when param is None; selu: 3/4; the linear family and sigmoid: 1.")


def test_calculate_gain_rejects_unknown_names():
    expect_value_error(lambda: L.calculate_gain("swish"), "calculate_gain('swish')",
                       "raise ValueError for a nonlinearity without a known gain.")


@pytest.mark.parametrize("shape", [(3, 5), (7, 2), (1, 1), (6, 2, 3), (8, 4, 3, 3),
                                   (2, 3, 4, 5, 6)])
def test_fan_in_and_fan_out_matches_torch(shape):
    w = torch.empty(shape)
    with no_nn_init("phase1.linear.fan_in_and_fan_out"):
        got = L.fan_in_and_fan_out(w)
    expected = torch.nn.init._calculate_fan_in_and_fan_out(w)
    assert tuple(got) == tuple(expected) and all(type(v) is int for v in got), (
        f"fan_in_and_fan_out for a weight of shape {shape}: expected the ints (fan_in, "
        f"fan_out) = {expected} (torch.nn.init._calculate_fan_in_and_fan_out), got {got!r}. "
        "Hint: the layout is (out, in, *kernel): fan_in = in * kernel size, fan_out = out * "
        "kernel size.")


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fan_in_and_fan_out_rejects_fewer_than_two_dims(shape):
    expect_value_error(lambda: L.fan_in_and_fan_out(torch.empty(shape)),
                       f"fan_in_and_fan_out on a tensor of shape {shape}",
                       "fans need at least 2 dimensions (out, in, ...).")


# ----------------------------------------------------------------------------------------------
# The initialisers against torch.nn.init under the same generator
# ----------------------------------------------------------------------------------------------

INITS = [
    ("xavier_uniform_", {}),
    ("xavier_uniform_", {"gain": 5 / 3}),
    ("xavier_normal_", {}),
    ("xavier_normal_", {"gain": 2.0}),
    ("kaiming_uniform_", {}),
    ("kaiming_uniform_", {"a": 0.2, "mode": "fan_out"}),
    ("kaiming_uniform_", {"nonlinearity": "relu"}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "tanh"}),
    ("kaiming_normal_", {}),
    ("kaiming_normal_", {"a": 0.2, "mode": "fan_in"}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"nonlinearity": "linear"}),
]


def _init_id(case):
    name, kwargs = case
    return name + "".join(f"-{k}={v:.3g}" if isinstance(v, float) else f"-{k}={v}"
                          for k, v in kwargs.items())


@pytest.mark.parametrize("shape", [(48, 20), (16, 8, 3, 3)])
@pytest.mark.parametrize("case", INITS, ids=[_init_id(c) for c in INITS])
def test_initialisers_match_torch_under_the_same_generator(case, shape):
    name, kwargs = case
    w = torch.empty(shape, dtype=torch.float64)
    with no_nn_init(f"phase1.linear.{name}"):
        got = getattr(L, name)(w, **kwargs, generator=torch.Generator().manual_seed(7))
    expected = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kwargs,
                                            generator=torch.Generator().manual_seed(7))
    assert got is w, f"{name} must fill the tensor in place and return that same tensor."
    assert_close(w, expected, what=f"{name}(w of shape {shape}, {kwargs}) with a generator "
                                   "seeded 7",
                 oracle=f"torch.nn.init.{name} with a generator seeded 7",
                 hint="compute the bound or std from fan_in/fan_out and the gain as the "
                      "docstring says, then draw once from the generator you were given.")


# ----------------------------------------------------------------------------------------------
# The initialisers against their closed-form statistics (independent of torch.nn.init)
# ----------------------------------------------------------------------------------------------

# Each check below is a z-test on n = 128 * 512 = 65,536 independent draws (one more with
# a 4-D weight of the same size), with a threshold of 6 standard errors: by the central limit
# theorem the two-sided false-failure rate of a correct initialiser is 2e-9 per check.
Z = 6.0
OUT, IN = 128, 512  # fan_in = 512, fan_out = 128: a swapped fan changes the std twofold


def _expected(name, gain, mode):
    if name.startswith("xavier"):
        std = gain * math.sqrt(2 / (IN + OUT))
    else:
        std = gain / math.sqrt(IN if mode == "fan_in" else OUT)
    return std


STAT_CASES = [
    ("xavier_uniform_", {"gain": 1.0}, 1.0, None),
    ("xavier_normal_", {"gain": 5 / 3}, 5 / 3, None),
    ("kaiming_uniform_", {}, math.sqrt(2), "fan_in"),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2), "fan_out"),
    ("kaiming_normal_", {}, math.sqrt(2), "fan_in"),
    ("kaiming_normal_", {"a": 0.5, "mode": "fan_out"}, math.sqrt(2 / 1.25), "fan_out"),
    ("kaiming_normal_", {"nonlinearity": "tanh"}, 5 / 3, "fan_in"),
]


@pytest.mark.parametrize("case", STAT_CASES, ids=[f"{c[0]}-{c[1]}" for c in STAT_CASES])
def test_initialiser_variance_matches_its_closed_form(case):
    name, kwargs, gain, mode = case
    std = _expected(name, gain, mode)
    w = torch.empty(OUT, IN, dtype=torch.float64)
    with no_nn_init(f"phase1.linear.{name}"):
        getattr(L, name)(w, **kwargs, generator=torch.Generator().manual_seed(11))
    n = w.numel()
    uniform = name.endswith("uniform_")
    # Var(w^2) = 2 std^4 for a normal; 4 b^4 / 45 = 4/5 std^4 for U(-b, b) with b = sqrt(3) std.
    se_var = std**2 * math.sqrt((0.8 if uniform else 2.0) / n)
    mean, second = w.mean().item(), (w**2).mean().item()
    what = f"{name}(w of shape ({OUT}, {IN}), {kwargs})"
    assert abs(mean) < Z * std / math.sqrt(n), (
        f"{what}: the mean of the weights is {mean:.3g}; it should be 0 (within "
        f"{Z * std / math.sqrt(n):.2g}).")
    assert abs(second - std**2) < Z * se_var, (
        f"{what}: E[w^2] = {second:.4g} but the closed form gives std^2 = {std**2:.4g} "
        f"(std = {std:.4g}, fan_in = {IN}, fan_out = {OUT}; allowed error {Z * se_var:.2g}). "
        "Hint: check which fan you used (fan_in is the weight's second dimension), the gain "
        "(relu needs sqrt(2)), and that a uniform's bound is sqrt(3) * std.")


@pytest.mark.parametrize("name", ["xavier_uniform_", "kaiming_uniform_"])
def test_uniform_initialisers_stay_inside_their_bound(name):
    w = torch.empty(OUT, IN, dtype=torch.float64)
    with no_nn_init(f"phase1.linear.{name}"):
        getattr(L, name)(w, generator=torch.Generator().manual_seed(12))
    bound = math.sqrt(3) * _expected(name, 1.0 if name.startswith("xavier") else math.sqrt(2),
                                     "fan_in")
    # P(all 65,536 uniform draws below 0.999 * bound) = 0.999^65536 < 1e-28 (false failure).
    top = w.abs().max().item()
    assert top <= bound and top > 0.999 * bound, (
        f"{name} on a ({OUT}, {IN}) weight: expected U(-b, b) with b = {bound:.5f}; the "
        f"largest |w| is {top:.5f}. Hint: the bound is sqrt(3) times the std the docstring "
        "gives, i.e. gain * sqrt(6 / (fan_in + fan_out)) for xavier.")


@pytest.mark.parametrize("name", ["xavier_normal_", "kaiming_normal_"])
def test_normal_initialisers_draw_from_a_normal(name):
    w = torch.empty(OUT, IN, dtype=torch.float64)
    with no_nn_init(f"phase1.linear.{name}"):
        getattr(L, name)(w, generator=torch.Generator().manual_seed(13))
    std = _expected(name, 1.0 if name.startswith("xavier") else math.sqrt(2), "fan_in")
    # For a normal, P(|w| > sqrt(3) std) = 2 (1 - Phi(sqrt 3)) = 0.0833; for a uniform of the
    # same variance it is 0. The binomial fraction over 65,536 draws has standard error
    # 0.00108; the 6-sigma threshold gives a false-failure rate of 2e-9.
    p = math.erfc(math.sqrt(3) / math.sqrt(2))
    frac = (w.abs() > math.sqrt(3) * std).double().mean().item()
    se = math.sqrt(p * (1 - p) / w.numel())
    assert abs(frac - p) < Z * se, (
        f"{name}: {100 * frac:.2f}% of the weights lie beyond sqrt(3) std; a normal "
        f"distribution puts {100 * p:.2f}% there. Hint: draw with normal_(0, std), not "
        "uniform_, and check the std.")


def test_conv_weight_uses_the_kernel_size_in_its_fans():
    """The fans of a conv weight include the kernel size."""
    # (out=32, in=16, 3, 3): fan_in = 144, fan_out = 288. Same 6-sigma z-test as above
    # (n = 4608 draws; false-failure rate 2e-9).
    w = torch.empty(32, 16, 3, 3, dtype=torch.float64)
    with no_nn_init("phase1.linear.kaiming_normal_"):
        L.kaiming_normal_(w, nonlinearity="relu", generator=torch.Generator().manual_seed(14))
    std = math.sqrt(2 / 144)
    second = (w**2).mean().item()
    se = std**2 * math.sqrt(2 / w.numel())
    assert abs(second - std**2) < Z * se, (
        f"kaiming_normal_ on a conv weight (32, 16, 3, 3): E[w^2] = {second:.4g}, expected "
        f"2 / fan_in = {std**2:.4g} with fan_in = 16 * 3 * 3 = 144. Hint: multiply the "
        "channel counts by the number of kernel positions.")


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_rejects_an_unknown_mode(name):
    expect_value_error(lambda: getattr(L, name)(torch.empty(4, 3), mode="fan_avg"),
                       f"{name}(w, mode='fan_avg')", "mode must be 'fan_in' or 'fan_out'.")


@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_", "gpt2_init_"])
def test_initialisers_fill_a_parameter_in_place(name):
    p = nn.Parameter(torch.zeros(6, 5))
    with no_nn_init(f"phase1.linear.{name}"):
        try:
            got = getattr(L, name)(p, generator=torch.Generator().manual_seed(0))
        except RuntimeError as err:
            if isinstance(err, NotImplementedError):
                raise
            raise AssertionError(f"{name} on an nn.Parameter raised: {err}\nHint: write into "
                                 "the tensor inside `with torch.no_grad():`.") from None
    assert got is p, f"{name} must return the very tensor it filled (got {type(got).__name__})."
    assert p.requires_grad and p.grad_fn is None and (p != 0).all(), (
        f"{name} must fill the parameter in place, leaving it a leaf that requires grad "
        f"(requires_grad={p.requires_grad}, grad_fn={p.grad_fn}).")


@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_", "gpt2_init_"])
def test_initialisers_draw_from_the_given_generator(name):
    fn = getattr(L, name)
    torch.manual_seed(0)
    state = torch.get_rng_state()
    with no_nn_init(f"phase1.linear.{name}"):
        a = fn(torch.empty(10, 8), generator=torch.Generator().manual_seed(21))
        b = fn(torch.empty(10, 8), generator=torch.Generator().manual_seed(21))
        c = fn(torch.empty(10, 8), generator=torch.Generator().manual_seed(22))
    assert torch.equal(torch.get_rng_state(), state), (
        f"{name} with a generator changed torch's global random state. Hint: pass "
        "generator=generator to uniform_/normal_.")
    assert torch.equal(a, b) and not torch.equal(a, c), (
        f"{name}: the same generator seed must give the same weights and another seed other "
        "weights. Hint: draw from the generator argument.")
    torch.manual_seed(5)
    with no_nn_init(f"phase1.linear.{name}"):
        d = fn(torch.empty(10, 8))
    torch.manual_seed(5)
    if name == "gpt2_init_":
        e = torch.empty(10, 8).normal_(0, 0.02)
    else:
        e = getattr(torch.nn.init, name)(torch.empty(10, 8))
    assert_close(d, e, what=f"{name}(w (10, 8)) with generator=None after torch.manual_seed(5)",
                 oracle="the same draw from torch's global generator after the same seed",
                 hint="with generator=None, draw from torch's global generator (pass "
                      "generator=None through to uniform_/normal_).")


# ----------------------------------------------------------------------------------------------
# GPT-2's initialisation
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_layer", [None, 1, 12])
def test_gpt2_init_matches_a_normal_draw_with_the_scaled_std(n_layer):
    std = 0.02 if n_layer is None else 0.02 / math.sqrt(2 * n_layer)
    w = torch.empty(96, 64, dtype=torch.float64)
    got = L.gpt2_init_(w, n_layer, generator=torch.Generator().manual_seed(3))
    expected = torch.empty(96, 64, dtype=torch.float64).normal_(
        0, std, generator=torch.Generator().manual_seed(3))
    assert got is w, "gpt2_init_ must fill the tensor in place and return it."
    assert_close(w, expected, what=f"gpt2_init_(w (96, 64), n_layer={n_layer})",
                 oracle=f"Tensor.normal_(0, {std:.5g}) with a generator seeded the same",
                 hint="std = 0.02, divided by sqrt(2 * n_layer) for a residual projection.")


def test_gpt2_init_residual_std_statistics():
    """GPT-2 init gives residual projections the scaled std, checked statistically."""
    # z-test of E[w^2] on 65,536 normal draws at 6 standard errors: false-failure rate 2e-9.
    w = torch.empty(OUT, IN, dtype=torch.float64)
    L.gpt2_init_(w, n_layer=6, generator=torch.Generator().manual_seed(4))
    std = 0.02 / math.sqrt(12)
    second = (w**2).mean().item()
    se = std**2 * math.sqrt(2 / w.numel())
    assert abs(second - std**2) < Z * se, (
        f"gpt2_init_(w, n_layer=6): E[w^2] = {second:.4g}, expected (0.02 / sqrt(2 * 6))^2 = "
        f"{std**2:.4g}. Hint: two residual additions per block, so divide by sqrt(2 * n_layer).")


@pytest.mark.parametrize("n_layer", [0, -2])
def test_gpt2_init_rejects_a_non_positive_n_layer(n_layer):
    expect_value_error(lambda: L.gpt2_init_(torch.empty(4, 4), n_layer),
                       f"gpt2_init_(w, n_layer={n_layer})", "n_layer must be at least 1.")


# ----------------------------------------------------------------------------------------------
# Why it matters: activations through 20 layers
# ----------------------------------------------------------------------------------------------


def _rms_after(depth, act, init):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 128, dtype=torch.float64, generator=g)
    for _ in range(depth):
        w = torch.empty(128, 128, dtype=torch.float64)
        with no_nn_init("phase1.linear"):
            init(w, g)
        x = act(x @ w.T)
    return x.pow(2).mean().sqrt().item()


def test_tanh_gain_keeps_20_layers_alive_and_a_small_gain_kills_them():
    tanh_gain = L.calculate_gain("tanh")
    alive = _rms_after(20, torch.tanh, lambda w, g: L.xavier_normal_(w, tanh_gain, g))
    dead = _rms_after(20, torch.tanh, lambda w, g: L.xavier_normal_(w, 0.1, g))
    assert 0.5 <= alive <= 1.5, (
        f"After 20 tanh layers initialised with xavier_normal_(gain=calculate_gain('tanh')) "
        f"the activations' RMS is {alive:.3g}; it should stay in [0.5, 1.5] (about 0.65). "
        "Hint: tanh's gain is 5/3 and xavier's std is gain * sqrt(2 / (fan_in + fan_out)).")
    assert dead < 1e-3, (
        f"With gain 0.1 the activations should vanish after 20 tanh layers; RMS {dead:.3g}. "
        "Hint: does xavier_normal_ use its gain argument?")


def test_kaiming_relu_keeps_20_relu_layers_at_unit_scale():
    rms = _rms_after(20, torch.relu,
                     lambda w, g: L.kaiming_normal_(w, nonlinearity="relu", generator=g))
    assert 0.5 <= rms <= 2.0, (
        f"After 20 relu layers initialised with kaiming_normal_(nonlinearity='relu') the "
        f"activations' RMS is {rms:.3g}; He et al.'s init keeps it near 1. Hint: relu halves "
        "the second moment, which the gain sqrt(2) restores.")
