"""Hidden tests for phase1.regularization.

Oracles:
- invariants read back from the outputs: each dropout output is 0 or x / (1 - p), the gradient
  equals upstream * out / x (the forward's mask), evaluation is the identity, a DropConnect
  layer's effective weights are revealed by feeding it the identity matrix, mixup and CutMix
  weights are revealed by one-hot labels that name each sample;
- torch.autograd.gradcheck through a dropout with a freshly seeded generator (a fixed mask);
- closed forms (penalties and their gradients, torch.linspace for the DropPath schedule, the
  Beta(a, a) CDFs for a = 2 and a = 1/2) and torch.optim.SGD / Adam / AdamW for one step;
- seeded statistical tests. Each states its false-failure rate, always below 1e-6, from
  Hoeffding's inequality P(|mean - E| >= t) <= 2 exp(-2 n t^2 / range^2) or the
  Dvoretzky-Kiefer-Wolfowitz inequality P(sup |F_n - F| > t) <= 2 exp(-2 n t^2), with a union
  bound where several quantities are checked at once.
"""

import math
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from phase1.regularization import (
    DropConnectLinear,
    Dropout,
    DropoutFunction,
    DropPath,
    color_jitter,
    cutmix,
    drop_path,
    drop_path_rates,
    dropout,
    elastic_net_penalty,
    l1_penalty,
    l2_penalty,
    l2_vs_weight_decay,
    mixup,
    random_crop,
    random_horizontal_flip,
    random_rotation,
)
from shared import ForbiddenCallError, assert_close, assert_equal, assert_gradcheck, forbidden

DROPOUT_BUILTINS = (
    "torch.nn.functional.dropout", "torch.nn.functional.dropout1d",
    "torch.nn.functional.dropout2d", "torch.nn.functional.dropout3d",
    "torch.nn.functional.alpha_dropout", "torch.nn.functional.feature_alpha_dropout",
    "torch.dropout", "torch.dropout_", "torch.native_dropout", "torch.alpha_dropout",
    "torch.feature_dropout", "torch.feature_alpha_dropout", "torch._fused_dropout",
    "aten.native_dropout",
)


def no_builtin_dropout(by):
    return forbidden(*DROPOUT_BUILTINS, by=by)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def nonzero_input(shape, seed, dtype=torch.float64):
    """Random values with |x| in [0.5, 1.5], so that a dropped element is recognisable."""
    g = gen(seed)
    sign = torch.randint(0, 2, shape, generator=g).to(dtype) * 2 - 1
    return sign * (0.5 + torch.rand(shape, generator=g, dtype=dtype))


def hoeffding_t(n, fail, spread=1.0):
    """t such that P(|mean of n draws in a range of width `spread` - E| >= t) <= fail."""
    return spread * math.sqrt(math.log(2 / fail) / (2 * n))


def assert_frequency(count, n, expected, fail, what, hint):
    t = hoeffding_t(n, fail)
    freq = count / n
    assert abs(freq - expected) < t, (
        f"{what}: observed frequency {freq:.4f} over {n} draws, expected {expected:.4f} "
        f"(allowed deviation {t:.4f}; a correct implementation fails this with probability "
        f"below {fail:g}). Hint: {hint}")


# --- dropout -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.75])
def test_dropout_output_is_zero_or_the_input_scaled_by_inverse_keep_rate(dtype, p):
    x = nonzero_input((7, 5, 3), seed=1, dtype=dtype)
    with no_builtin_dropout("phase1.regularization.dropout"):
        out = dropout(x, p, training=True, generator=gen(2))
    assert out.shape == x.shape and out.dtype == dtype, (
        f"dropout should keep shape {tuple(x.shape)} and dtype {dtype}; got "
        f"{tuple(out.shape)} {out.dtype}")
    kept = out != 0
    assert 0 < int(kept.sum()) < x.numel(), (
        f"dropout(p={p}) on {x.numel()} elements kept {int(kept.sum())} of them; expected some "
        "kept and some dropped. Hint: keep each element with probability 1 - p.")
    rtol = 1e-12 if dtype == torch.float64 else 1e-6
    assert_close(out[kept], x[kept] / (1 - p), rtol=rtol, atol=0,
                 what=f"the kept elements of dropout(x, p={p}) in {dtype}",
                 oracle="x / (1 - p) (inverted dropout)",
                 hint="scale the kept elements by 1 / (1 - p) in training, not at evaluation")


@pytest.mark.parametrize("p", [0.3, 0.8])
def test_dropout_zeroes_a_fraction_p_of_the_elements(p):
    n = 1_000_000
    x = torch.ones(n)
    with no_builtin_dropout("phase1.regularization.dropout"):
        out = dropout(x, p, training=True, generator=gen(3))
    # Hoeffding, n = 1e6 Bernoulli(p) indicators: false-failure rate below 1e-8.
    assert_frequency(int((out == 0).sum()), n, p, 1e-8, f"zeroed fraction of dropout(p={p})",
                     "drop with probability p (keep with probability 1 - p), not the reverse")


def test_dropout_preserves_the_expectation():
    p, rows, cols = 0.3, 4000, 50
    x_row = nonzero_input((cols,), seed=4)
    x = x_row.expand(rows, cols).contiguous()
    with no_builtin_dropout("phase1.regularization.dropout"):
        out = dropout(x, p, training=True, generator=gen(5))
    # Each column mean averages 4000 draws of x_j * keep / (1 - p), in a range of width
    # |x_j| / (1 - p). Hoeffding with a union bound over 50 columns: false-failure rate 1e-8.
    t = hoeffding_t(rows, 1e-8 / cols, spread=1 / (1 - p))
    ratio = out.mean(dim=0) / x_row
    worst = int((ratio - 1).abs().argmax())
    assert ((ratio - 1).abs() < t).all(), (
        f"dropout(p={p}) should keep the expectation of every element equal to x: the mean "
        f"over {rows} draws of column {worst} is {float(ratio[worst]):.4f} times x (allowed "
        f"deviation {t:.4f}). Hint: inverted dropout divides the kept values by 1 - p.")


def test_dropout_draws_an_independent_mask_for_every_element():
    x = torch.ones(200, 300, dtype=torch.float64)
    with no_builtin_dropout("phase1.regularization.dropout"):
        kept = dropout(x, 0.5, training=True, generator=gen(6)) != 0
    # With independent elements and p = 0.5, a row (or column) all kept or all dropped has
    # probability 2 * 2^-300 (2 * 2^-200): the false-failure rate is below 1e-58.
    uniform_rows = int((kept.all(dim=1) | (~kept).all(dim=1)).sum())
    uniform_cols = int((kept.all(dim=0) | (~kept).all(dim=0)).sum())
    assert uniform_rows == 0 and uniform_cols == 0, (
        f"dropout on a (200, 300) tensor gave {uniform_rows} rows and {uniform_cols} columns "
        "that were entirely kept or entirely dropped. Hint: draw one keep/drop per element "
        "(a mask of x's full shape), not per row or per column.")


def test_dropout_p_zero_is_the_identity_and_p_one_gives_zeros_without_nan():
    x = nonzero_input((5, 4), seed=7)
    with no_builtin_dropout("phase1.regularization.dropout"):
        same = dropout(x, 0.0, training=True, generator=gen(8))
        leaf = x.clone().requires_grad_(True)
        zeros = dropout(leaf, 1.0, training=True, generator=gen(9))
    assert_equal(same, x, what="dropout(x, p=0) in training", oracle="x itself",
                 hint="with p = 0 nothing is dropped and 1 / (1 - p) = 1")
    assert_equal(zeros, torch.zeros_like(x), what="dropout(x, p=1) in training",
                 oracle="zeros (everything dropped)",
                 hint="special-case p = 1: 0 / 0 = nan if you divide by 1 - p")
    assert zeros.requires_grad, ("dropout(x, p=1) must stay differentiable (a zero gradient), "
                                 "but its output does not require grad. Hint: let the "
                                 "DropoutFunction handle p = 1 instead of returning a new "
                                 "zeros tensor.")
    zeros.sum().backward()
    assert_equal(leaf.grad, torch.zeros_like(x), what="the gradient of dropout(x, p=1)",
                 oracle="zeros (no element reaches the output)",
                 hint="with p = 1 the backward must return zeros, never nan")


def test_dropout_is_the_identity_in_evaluation():
    x = nonzero_input((6, 4), seed=10)
    with no_builtin_dropout("phase1.regularization.dropout"):
        out = dropout(x, 0.5, training=False, generator=gen(11))
    assert_equal(out, x, what="dropout(x, p=0.5, training=False)", oracle="x itself",
                 hint="inverted dropout does its scaling in training; evaluation does nothing")


def test_dropout_backward_uses_the_forward_mask():
    x = nonzero_input((30, 20), seed=12).requires_grad_(True)
    upstream = torch.randn(30, 20, dtype=torch.float64, generator=gen(13))
    with no_builtin_dropout("phase1.regularization.dropout"):
        out = dropout(x, 0.4, training=True, generator=gen(14))
        out.backward(upstream)
    assert_close(x.grad, upstream * (out / x).detach(), rtol=1e-12, atol=1e-12,
                 what="the gradient of dropout(x, p=0.4) for a random upstream gradient",
                 oracle="upstream * keep / (1 - p), with keep read from the forward output",
                 hint="backward must multiply by the saved forward mask and the same 1 / (1 - p)")


def test_dropout_has_a_hand_written_backward():
    x = nonzero_input((3, 4), seed=15).requires_grad_(True)
    out = dropout(x, 0.5, training=True, generator=gen(16))
    cls = getattr(out.grad_fn, "_forward_cls", None)
    assert cls is DropoutFunction, (
        f"dropout's output has grad_fn {type(out.grad_fn).__name__}, not DropoutFunction's. "
        "Write a torch.autograd.Function with its own backward, and return "
        "DropoutFunction.apply(x, p, generator) from dropout.")


def test_dropout_function_passes_gradcheck_with_a_fixed_mask():
    x = nonzero_input((4, 5), seed=17)
    # A freshly seeded generator on every call gives the same mask each time, so the function
    # is deterministic and its gradient can be checked by finite differences.
    assert_gradcheck(lambda t: DropoutFunction.apply(t, 0.35, gen(18)), [x],
                     what="DropoutFunction.backward (p=0.35, the generator seeded on each call)")


def test_dropout_is_reproducible_from_its_generator():
    x = nonzero_input((20, 10), seed=19)
    with no_builtin_dropout("phase1.regularization.dropout"):
        first = dropout(x, 0.5, generator=gen(20))
        torch.manual_seed(1234)
        torch.rand(7)  # move torch's global generator: it must not matter
        again = dropout(x, 0.5, generator=gen(20))
        other = dropout(x, 0.5, generator=gen(21))
    assert_equal(again, first, what="dropout twice with generators seeded 20",
                 oracle="the same output", hint="draw the mask from the generator argument "
                 "(torch.rand(..., generator=generator)), not from torch's global generator")
    assert not torch.equal(other, first), (
        "dropout with generators seeded 20 and 21 gave the same output on 200 elements. "
        "Hint: draw the mask from the generator argument.")


def test_dropout_module_uses_its_p_and_follows_train_and_eval():
    torch.manual_seed(22)
    n, p = 1_000_000, 0.25
    model = nn.Sequential(Dropout(p))
    assert model[0].p == p, f"Dropout({p}).p should be {p}, got {model[0].p!r}"
    x = torch.ones(n)
    with no_builtin_dropout("phase1.regularization.Dropout"):
        trained = model(x)
        model.eval()
        evaluated = model(x)
    # Hoeffding, 1e6 indicators: false-failure rate below 1e-8.
    assert_frequency(int((trained == 0).sum()), n, p, 1e-8,
                     f"zeroed fraction of Dropout({p}) in training mode",
                     "use self.p, and the module's self.training")
    assert_close(trained[trained != 0][:10], torch.full((10,), 1 / (1 - p)),
                 what=f"kept elements of Dropout({p})(ones)", oracle="1 / (1 - p)")
    assert_equal(evaluated, x, what=f"Dropout({p}) after model.eval()", oracle="x itself",
                 hint="the module must pass training=self.training to dropout")


def test_dropout_module_uses_torch_global_generator():
    """The dropout module draws its mask from torch's global generator."""
    x = nonzero_input((50,), seed=23)
    layer = Dropout(0.5)
    torch.manual_seed(24)
    first = layer(x)
    torch.manual_seed(24)
    again = layer(x)
    assert_equal(again, first, what="Dropout(0.5) after torch.manual_seed(24), twice",
                 oracle="the same output", hint="with no generator, draw from torch's global "
                 "generator (torch.rand(...) without generator=)")


def test_dropout_module_gradient_comes_from_dropout_function():
    """The dropout module's gradient comes from your dropout function."""
    x = nonzero_input((4, 6), seed=25).requires_grad_(True)
    out = Dropout(0.5)(x)
    cls = getattr(out.grad_fn, "_forward_cls", None)
    assert cls is DropoutFunction, (
        f"Dropout's output has grad_fn {type(out.grad_fn).__name__}, not DropoutFunction's. "
        "Hint: Dropout.forward should call dropout, which applies DropoutFunction.")


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_p_outside_the_unit_interval(p):
    with pytest.raises(ValueError):
        dropout(torch.ones(3), p)


def test_dropout_does_not_modify_its_input():
    x = nonzero_input((8, 8), seed=26)
    copy = x.clone()
    dropout(x, 0.5, generator=gen(27))
    assert_equal(x, copy, what="x after dropout(x)", oracle="x before the call",
                 hint="build a new tensor; do not multiply x in place")


def test_dropout_does_not_call_torch_dropout():
    x = nonzero_input((5, 5), seed=28).requires_grad_(True)
    try:
        with no_builtin_dropout("phase1.regularization.dropout"):
            out = dropout(x, 0.5, generator=gen(29))
            out.sum().backward()
            Dropout(0.5)(x)
    except ForbiddenCallError as err:
        raise AssertionError(str(err)) from None


# --- DropConnect ---------------------------------------------------------------------------


def reveal(layer, x_rest):
    """Feed [identity; x_rest]: the first in_features output rows give weight_eff.T + bias."""
    n_in = layer.in_features
    batch = torch.cat([torch.eye(n_in, dtype=x_rest.dtype), x_rest])
    out = layer(batch)
    bias = layer.bias if layer.bias is not None else torch.zeros(layer.out_features)
    w_eff = (out[:n_in] - bias).T.detach()  # (out_features, in_features)
    return batch, out, w_eff


def make_dropconnect(n_in, n_out, p, seed, bias=True):
    torch.manual_seed(seed)
    return DropConnectLinear(n_in, n_out, p=p, bias=bias).double()


def test_dropconnect_drops_weights_with_one_mask_for_the_whole_batch():
    layer = make_dropconnect(6, 5, 0.4, seed=30)
    x = torch.randn(9, 6, dtype=torch.float64, generator=gen(31))
    batch, out, w_eff = reveal(layer, x)
    w = layer.weight.detach()
    kept = w_eff != 0
    assert 0 < int(kept.sum()) < w.numel(), (
        f"DropConnectLinear(p=0.4) kept {int(kept.sum())} of 30 weights; expected some kept "
        "and some dropped. Hint: mask the weight matrix in training.")
    assert_close(w_eff[kept], w[kept] / 0.6, rtol=1e-12, atol=1e-12,
                 what="the effective weights of DropConnectLinear(p=0.4) in training",
                 oracle="weight / (1 - p) where kept (read back by feeding the identity matrix)",
                 hint="scale the kept weights by 1 / (1 - p); do not drop the bias")
    assert_close(out[6:], x @ w_eff.T + layer.bias.detach(), rtol=1e-12, atol=1e-12,
                 what="DropConnectLinear's output for the other 9 samples of the same batch",
                 oracle="x @ weight_eff.T + bias, with the mask read from the first 6 samples",
                 hint="draw ONE weight mask per forward call, shared by every sample; mask the "
                      "weights, not the activations")


def test_dropconnect_zeroes_a_fraction_p_of_the_weights():
    layer = make_dropconnect(500, 400, 0.3, seed=32)
    _, _, w_eff = reveal(layer, torch.zeros(0, 500, dtype=torch.float64))
    # Hoeffding, 200,000 weights: false-failure rate below 1e-8.
    assert_frequency(int((w_eff == 0).sum()), w_eff.numel(), 0.3, 1e-8,
                     "fraction of dropped weights of DropConnectLinear(p=0.3)",
                     "drop each weight with probability p")


def test_dropconnect_gradients_go_through_the_same_mask():
    layer = make_dropconnect(5, 4, 0.5, seed=33)
    x = torch.randn(7, 5, dtype=torch.float64, generator=gen(34))
    batch, out, w_eff = reveal(layer, x)
    upstream = torch.randn(out.shape, dtype=torch.float64, generator=gen(35))
    out.backward(upstream)
    scale = w_eff / layer.weight.detach()  # keep / (1 - p), elementwise
    assert_close(layer.weight.grad, (upstream.T @ batch) * scale, rtol=1e-10, atol=1e-10,
                 what="DropConnectLinear's weight gradient",
                 oracle="(upstream.T @ x) * keep / (1 - p) for the forward's mask",
                 hint="the weight gradient must pass through the same mask and scale")
    assert_close(layer.bias.grad, upstream.sum(dim=0), rtol=1e-12, atol=1e-12,
                 what="DropConnectLinear's bias gradient", oracle="upstream summed over samples",
                 hint="the bias is never dropped")


def test_dropconnect_draws_a_new_mask_on_every_call():
    layer = make_dropconnect(8, 6, 0.5, seed=36)
    empty = torch.zeros(0, 8, dtype=torch.float64)
    first, second = reveal(layer, empty)[2], reveal(layer, empty)[2]
    # Two independent masks of 48 weights agree with probability 2^-48.
    assert not torch.equal(first != 0, second != 0), (
        "two training calls of DropConnectLinear(p=0.5) used the same mask. Hint: draw a new "
        "mask in every forward call, not once in __init__.")


def test_dropconnect_uses_torch_global_generator():
    """DropConnect draws its mask from torch's global generator."""
    layer = make_dropconnect(6, 6, 0.5, seed=37)
    empty = torch.zeros(0, 6, dtype=torch.float64)
    torch.manual_seed(38)
    first = reveal(layer, empty)[2]
    torch.manual_seed(38)
    again = reveal(layer, empty)[2]
    assert_equal(again, first, what="DropConnectLinear after torch.manual_seed(38), twice",
                 oracle="the same mask", hint="draw from torch's global generator")


def test_dropconnect_is_a_plain_linear_layer_in_evaluation():
    layer = make_dropconnect(5, 3, 0.5, seed=39)
    layer.eval()
    x = torch.randn(2, 4, 5, dtype=torch.float64, generator=gen(40))
    assert_close(layer(x), F.linear(x, layer.weight, layer.bias), rtol=1e-12, atol=1e-12,
                 what="DropConnectLinear(5, 3, p=0.5).eval() on x of shape (2, 4, 5)",
                 oracle="torch.nn.functional.linear with the same weight and bias",
                 hint="no mask and no scaling in evaluation; support any leading dims")


def test_dropconnect_handles_leading_dims_in_training():
    layer = make_dropconnect(4, 3, 0.5, seed=41)
    x = torch.randn(5, 4, dtype=torch.float64, generator=gen(42))
    batch = torch.cat([torch.eye(4, dtype=torch.float64), x]).reshape(3, 3, 4)
    out = layer(batch)
    assert out.shape == (3, 3, 3), f"expected output shape (3, 3, 3), got {tuple(out.shape)}"
    flat = out.reshape(9, 3).detach()
    w_eff = (flat[:4] - layer.bias.detach()).T
    assert_close(flat[4:], x @ w_eff.T + layer.bias.detach(), rtol=1e-12, atol=1e-12,
                 what="DropConnectLinear on a (3, 3, 4) input in training",
                 oracle="x @ weight_eff.T + bias with one mask for the whole input",
                 hint="one mask per call, whatever the number of leading dims")


def test_dropconnect_edge_rates_and_no_bias():
    """DropConnect handles rates of zero and one and layers without bias."""
    x = torch.randn(6, 4, dtype=torch.float64, generator=gen(43))
    layer = make_dropconnect(4, 3, 0.0, seed=44)
    assert_close(layer(x), F.linear(x, layer.weight, layer.bias), rtol=1e-12, atol=1e-12,
                 what="DropConnectLinear(p=0) in training", oracle="F.linear (nothing dropped)")
    layer = make_dropconnect(4, 3, 1.0, seed=45)
    out = layer(x)
    assert_close(out, layer.bias.detach().expand(6, 3), rtol=0, atol=0,
                 what="DropConnectLinear(p=1) in training",
                 oracle="the bias alone (every weight dropped)",
                 hint="special-case p = 1: dividing by 1 - p = 0 gives nan")
    layer = make_dropconnect(4, 3, 0.5, seed=46, bias=False)
    assert layer.bias is None, "DropConnectLinear(bias=False) should set self.bias = None"
    _, out, w_eff = reveal(layer, x)
    assert_close(out[4:], x @ w_eff.T, rtol=1e-12, atol=1e-12,
                 what="DropConnectLinear(bias=False) in training",
                 oracle="x @ weight_eff.T (no bias term)")


# --- DropPath ------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(64, 3, 4, 5), (64, 6), (64,)], ids=["4d", "2d", "1d"])
def test_drop_path_zeroes_or_scales_whole_samples(shape):
    p = 0.4
    x = nonzero_input(shape, seed=47)
    out = drop_path(x, p, training=True, generator=gen(48))
    flat_x, flat_out = x.reshape(shape[0], -1), out.reshape(shape[0], -1)
    dropped = (flat_out == 0).all(dim=1)
    kept_rows = ~dropped
    assert_close(flat_out[kept_rows], flat_x[kept_rows] / (1 - p), rtol=1e-12, atol=0,
                 what=f"the kept samples of drop_path(x of shape {shape}, p={p})",
                 oracle="the whole sample x[n] / (1 - p)",
                 hint="one keep/drop per SAMPLE (mask of shape (N, 1, ..., 1)), broadcast over "
                      "the other dims, scaled by 1 / (1 - p)")
    # 64 independent samples: all kept or all dropped with probability 0.6^64 + 0.4^64 < 1e-14.
    assert 0 < int(dropped.sum()) < shape[0], (
        f"drop_path(p={p}) on 64 samples dropped {int(dropped.sum())} of them; expected some "
        "kept and some dropped. Hint: draw one mask value per sample, not one for the batch.")


def test_drop_path_drops_a_fraction_p_of_the_samples():
    n, p = 200_000, 0.3
    out = drop_path(torch.ones(n, 2), p, training=True, generator=gen(49))
    # Hoeffding, 200,000 samples: false-failure rate below 1e-8.
    assert_frequency(int((out[:, 0] == 0).sum()), n, p, 1e-8,
                     f"fraction of samples dropped by drop_path(p={p})",
                     "drop each sample with probability p")


def test_drop_path_gradient_follows_the_sample_mask():
    x = nonzero_input((10, 3, 2), seed=50).requires_grad_(True)
    upstream = torch.randn(10, 3, 2, dtype=torch.float64, generator=gen(51))
    out = drop_path(x, 0.5, training=True, generator=gen(52))
    out.backward(upstream)
    assert_close(x.grad, upstream * (out / x).detach(), rtol=1e-12, atol=1e-12,
                 what="the gradient of drop_path(x, p=0.5)",
                 oracle="upstream * keep[n] / (1 - p) for the forward's per-sample mask")


def test_drop_path_is_the_identity_in_evaluation_and_for_p_zero():
    x = nonzero_input((8, 3), seed=53)
    assert_equal(drop_path(x, 0.5, training=False, generator=gen(54)), x,
                 what="drop_path(x, p=0.5, training=False)", oracle="x itself",
                 hint="no dropping and no scaling in evaluation")
    assert_equal(drop_path(x, 0.0, training=True, generator=gen(55)), x,
                 what="drop_path(x, p=0) in training", oracle="x itself")


def test_drop_path_p_one_gives_zeros_without_nan():
    x = nonzero_input((8, 3), seed=56)
    assert_equal(drop_path(x, 1.0, training=True, generator=gen(57)), torch.zeros_like(x),
                 what="drop_path(x, p=1)", oracle="zeros (every sample dropped)",
                 hint="special-case p = 1: dividing by 1 - p gives nan")


def test_drop_path_is_reproducible_from_its_generator():
    x = nonzero_input((40, 2), seed=58)
    first = drop_path(x, 0.5, generator=gen(59))
    torch.manual_seed(99)
    torch.rand(3)
    again = drop_path(x, 0.5, generator=gen(59))
    other = drop_path(x, 0.5, generator=gen(60))
    assert_equal(again, first, what="drop_path twice with generators seeded 59",
                 oracle="the same output", hint="draw from the generator argument")
    assert not torch.equal(other, first), ("drop_path with generators seeded 59 and 60 gave "
                                           "the same output on 40 samples. Hint: draw from "
                                           "the generator argument.")


def test_drop_path_module_uses_its_p_and_follows_train_and_eval():
    torch.manual_seed(61)
    n, p = 200_000, 0.2
    layer = DropPath(p)
    assert layer.p == p, f"DropPath({p}).p should be {p}, got {layer.p!r}"
    x = torch.ones(n, 2)
    trained = layer(x)
    # Hoeffding, 200,000 samples: false-failure rate below 1e-8.
    assert_frequency(int((trained[:, 0] == 0).sum()), n, p, 1e-8,
                     f"fraction of samples dropped by DropPath({p}) in training",
                     "use self.p and self.training")
    layer.eval()
    assert_equal(layer(x), x, what=f"DropPath({p}) after .eval()", oracle="x itself",
                 hint="pass training=self.training")
    assert_equal(DropPath()(x[:5]), x[:5], what="DropPath() (default p=0) in training",
                 oracle="x itself")


@pytest.mark.parametrize("p", [-0.2, 1.2])
def test_drop_path_rejects_p_outside_the_unit_interval(p):
    with pytest.raises(ValueError):
        drop_path(torch.ones(4, 2), p)


def test_drop_path_rejects_a_scalar():
    with pytest.raises(ValueError):
        drop_path(torch.tensor(1.0), 0.5)


@pytest.mark.parametrize("p_max, blocks", [(0.2, 5), (0.1, 12), (0.5, 2), (0.3, 1), (0.0, 4)])
def test_drop_path_rates_rise_linearly_from_zero_to_p_max(p_max, blocks):
    """Drop-path rates rise linearly from zero to p_max."""
    rates = drop_path_rates(p_max, blocks)
    assert isinstance(rates, list) and all(isinstance(r, float) for r in rates), (
        f"drop_path_rates should return a list of Python floats, got {rates!r}")
    assert_close(rates, torch.linspace(0, p_max, blocks, dtype=torch.float64), rtol=1e-12,
                 atol=1e-15, what=f"drop_path_rates({p_max}, {blocks})",
                 oracle=f"torch.linspace(0, {p_max}, {blocks}) (timm's schedule)",
                 hint="rate[l] = p_max * l / (L - 1): the first block 0, the last p_max")


@pytest.mark.parametrize("p_max, blocks", [(0.2, 0), (1.5, 4), (-0.1, 4)])
def test_drop_path_rates_rejects_bad_arguments(p_max, blocks):
    """Drop-path rates reject bad arguments."""
    with pytest.raises(ValueError):
        drop_path_rates(p_max, blocks)


# --- weight penalties ----------------------------------------------------------------------


class SmallNet(nn.Module):
    """Weights of ranks 2 and 4 (penalised), biases and a LayerNorm gain (rank 1)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 4)
        self.norm = nn.LayerNorm(4)
        self.fc2 = nn.Linear(4, 3, bias=False)
        self.conv = nn.Conv2d(2, 3, 3)


def small_net(seed):
    torch.manual_seed(seed)
    net = SmallNet().double()
    with torch.no_grad():
        for param in net.parameters():  # random everywhere, norm gain and biases included
            param.copy_(torch.randn(param.shape, dtype=torch.float64))
    return net


def split(net):
    matrices = [net.fc1.weight, net.fc2.weight, net.conv.weight]
    vectors = [net.fc1.bias, net.norm.weight, net.norm.bias, net.conv.bias]
    return matrices, vectors


@pytest.mark.parametrize("exclude_bias", [True, False])
def test_l1_penalty_value_and_gradient(exclude_bias):
    """The L1 penalty has the right value and gradient."""
    net, lam = small_net(62), 0.37
    matrices, vectors = split(net)
    included = matrices if exclude_bias else matrices + vectors
    value = l1_penalty(net, lam, exclude_bias=exclude_bias)
    expected = lam * sum(float(w.detach().abs().sum()) for w in included)
    assert_close(value, torch.tensor(expected, dtype=torch.float64), rtol=1e-12, atol=1e-12,
                 what=f"l1_penalty(net, lam={lam}, exclude_bias={exclude_bias})",
                 oracle="lam * sum of |w| over the penalised parameters",
                 hint="exclude_bias=True skips exactly the parameters with ndim < 2")
    value.backward()
    for w in included:
        assert_close(w.grad, lam * w.detach().sign(), rtol=1e-12, atol=1e-12,
                     what=f"gradient of l1_penalty for a parameter of shape {tuple(w.shape)}",
                     oracle="lam * sign(w)")
    if exclude_bias:
        for v in vectors:
            assert v.grad is None or not v.grad.any(), (
                f"l1_penalty(exclude_bias=True) gave a nonzero gradient to a parameter of shape "
                f"{tuple(v.shape)}; biases and norm weights (ndim < 2) must not be penalised.")


@pytest.mark.parametrize("exclude_bias", [True, False])
def test_l2_penalty_value_and_gradient(exclude_bias):
    """The L2 penalty has the right value and gradient."""
    net, lam = small_net(63), 0.21
    matrices, vectors = split(net)
    included = matrices if exclude_bias else matrices + vectors
    value = l2_penalty(net, lam, exclude_bias=exclude_bias)
    expected = lam * sum(float((w.detach() ** 2).sum()) for w in included)
    assert_close(value, torch.tensor(expected, dtype=torch.float64), rtol=1e-12, atol=1e-12,
                 what=f"l2_penalty(net, lam={lam}, exclude_bias={exclude_bias})",
                 oracle="lam * sum of w ** 2 over the penalised parameters",
                 hint="no 1/2 factor and no square root; exclude_bias skips ndim < 2")
    value.backward()
    for w in included:
        assert_close(w.grad, 2 * lam * w.detach(), rtol=1e-12, atol=1e-12,
                     what=f"gradient of l2_penalty for a parameter of shape {tuple(w.shape)}",
                     oracle="2 * lam * w")
    if exclude_bias:
        for v in vectors:
            assert v.grad is None or not v.grad.any(), (
                f"l2_penalty(exclude_bias=True) gave a nonzero gradient to a parameter of shape "
                f"{tuple(v.shape)}; biases and norm weights (ndim < 2) must not be penalised.")


def test_elastic_net_penalty_combines_both_and_accepts_a_one_shot_iterator():
    net, l1, l2 = small_net(64), 0.3, 0.05
    matrices, _ = split(net)
    # A generator expression can be walked only once.
    value = elastic_net_penalty((p for p in net.parameters()), l1, l2)
    expected = sum(l1 * float(w.detach().abs().sum()) + l2 * float((w.detach() ** 2).sum())
                   for w in matrices)
    assert_close(value, torch.tensor(expected, dtype=torch.float64), rtol=1e-12, atol=1e-12,
                 what=f"elastic_net_penalty(iterator over parameters, l1={l1}, l2={l2})",
                 oracle="l1 * sum |w| + l2 * sum w ** 2 over the matrices and the conv kernel",
                 hint="turn the iterable into a list before using it twice")
    value.backward()
    for w in matrices:
        assert_close(w.grad, l1 * w.detach().sign() + 2 * l2 * w.detach(), rtol=1e-12,
                     atol=1e-12, what="gradient of elastic_net_penalty",
                     oracle="l1 * sign(w) + 2 * l2 * w")


def test_penalties_accept_a_list_of_tensors():
    g = gen(65)
    w1 = torch.randn(3, 2, dtype=torch.float64, generator=g)
    b1 = torch.randn(3, dtype=torch.float64, generator=g)
    expected = 0.5 * float((w1 ** 2).sum())
    assert_close(l2_penalty([w1, b1], 0.5), torch.tensor(expected, dtype=torch.float64),
                 rtol=1e-12, atol=1e-12, what="l2_penalty([w (3, 2), b (3,)], 0.5)",
                 oracle="0.5 * sum(w ** 2) (the 1-D tensor is skipped by default)",
                 hint="exclude_bias defaults to True")
    expected_all = 0.5 * float(w1.abs().sum() + b1.abs().sum())
    assert_close(l1_penalty([w1, b1], 0.5, exclude_bias=False),
                 torch.tensor(expected_all, dtype=torch.float64), rtol=1e-12, atol=1e-12,
                 what="l1_penalty([w, b], 0.5, exclude_bias=False)",
                 oracle="0.5 * (sum |w| + sum |b|)")


def test_penalties_of_nothing_are_zero():
    """Penalties of an empty set of parameters are zero."""
    only_biases = [torch.ones(3), torch.ones(2)]
    for name, fn in (("l1_penalty", l1_penalty), ("l2_penalty", l2_penalty)):
        assert_close(fn(only_biases, 0.5), 0.0, what=f"{name} of two 1-D tensors with "
                     "exclude_bias=True", oracle="0 (nothing is penalised)")


# --- L2 vs weight decay --------------------------------------------------------------------


class NoOptim:
    """Make every torch.optim optimizer refuse to be built while learner code runs."""

    def __enter__(self):
        def refuse(*args, **kwargs):
            raise ForbiddenCallError("phase1.regularization.l2_vs_weight_decay must not use "
                                     "torch.optim: write the four one-step updates with "
                                     "tensor operations.")
        self.patch = mock.patch.object(torch.optim.Optimizer, "__init__", refuse)
        self.patch.start()

    def __exit__(self, *exc):
        self.patch.stop()


def one_step(optimizer_cls, w0, loss_fn, **kwargs):
    w = w0.clone().requires_grad_(True)
    opt = optimizer_cls([w], **kwargs)
    loss_fn(w).backward()
    opt.step()
    return w.detach()


def problem(seed, scale=1.0):
    g = gen(seed)
    w0 = torch.randn(3, 4, dtype=torch.float64, generator=g)
    a = torch.randn(3, 4, dtype=torch.float64, generator=g)
    b = torch.randn(4, 2, dtype=torch.float64, generator=g)

    def loss_fn(w):
        return scale * ((torch.sin(w) * a).sum() + 0.5 * ((w @ b) ** 2).sum())

    return w0, loss_fn


def run_demo(w0, loss_fn, **kwargs):
    w_in = w0.clone()
    with NoOptim():
        out = l2_vs_weight_decay(w_in, loss_fn, **kwargs)
    assert_equal(w_in, w0, what="w after l2_vs_weight_decay", oracle="w before the call",
                 hint="work on a copy; do not update w in place")
    assert isinstance(out, dict) and set(out) == {"sgd_l2", "sgd_weight_decay", "adam_l2",
                                                  "adamw"}, (
        f"l2_vs_weight_decay should return a dict with keys sgd_l2, sgd_weight_decay, adam_l2, "
        f"adamw; got {sorted(out) if isinstance(out, dict) else type(out).__name__}")
    for key, value in out.items():
        assert not value.requires_grad, f"out[{key!r}] should not require grad (detach it)"
    return out


@pytest.mark.parametrize("lr, wd, eps", [(0.05, 0.3, 1e-3), (0.2, 0.01, 0.1), (0.1, 0.0, 1e-8)])
def test_l2_vs_weight_decay_matches_torch_optim(lr, wd, eps):
    """The L2-versus-weight-decay demo matches one step of each torch optimizer."""
    w0, loss_fn = problem(66)
    out = run_demo(w0, loss_fn, lr=lr, weight_decay=wd, eps=eps)
    sgd = one_step(torch.optim.SGD, w0, loss_fn, lr=lr, weight_decay=wd)
    adam = one_step(torch.optim.Adam, w0, loss_fn, lr=lr, weight_decay=wd, eps=eps)
    adamw = one_step(torch.optim.AdamW, w0, loss_fn, lr=lr, weight_decay=wd, eps=eps)
    setting = f"lr={lr}, weight_decay={wd}, eps={eps}"
    cases = [("sgd_l2", sgd, "torch.optim.SGD(weight_decay=wd)",
              "add l2_penalty([w], wd / 2) to the loss: its gradient is wd * w"),
             ("sgd_weight_decay", sgd, "torch.optim.SGD(weight_decay=wd)",
              "w * (1 - lr * wd) - lr * g"),
             ("adam_l2", adam, "torch.optim.Adam(weight_decay=wd) (L2 through the gradient)",
              "Adam's first step on g + wd * w: lr * grad / (|grad| + eps)"),
             ("adamw", adamw, "torch.optim.AdamW(weight_decay=wd) (decoupled decay)",
              "decay w by (1 - lr * wd), then Adam's step on the loss gradient alone")]
    for key, expected, oracle, hint in cases:
        assert_close(out[key], expected, rtol=1e-10, atol=1e-12,
                     what=f"l2_vs_weight_decay(...)[{key!r}] with {setting}",
                     oracle=f"one step of {oracle}", hint=hint)


def test_l2_and_decoupled_decay_differ_under_adam():
    w0, loss_fn = problem(67)
    out = run_demo(w0, loss_fn, lr=0.1, weight_decay=0.5, eps=1e-8)
    assert_close(out["sgd_l2"], out["sgd_weight_decay"], rtol=1e-12, atol=1e-12,
                 what="sgd_l2 against sgd_weight_decay", oracle="equality (one method for SGD)")
    gap = float((out["adam_l2"] - out["adamw"]).abs().max())
    assert gap > 1e-2, (
        f"adam_l2 and adamw differ by at most {gap:.3g} with weight_decay=0.5 and lr=0.1; "
        "torch.optim.Adam(weight_decay) and AdamW differ by more. Hint: in adam_l2 the decay "
        "goes through Adam's normalisation; in adamw it does not.")


def test_l2_vs_weight_decay_default_eps_is_adams():
    """The L2-versus-weight-decay demo uses Adam's default eps."""
    w0, loss_fn = problem(68, scale=1e-7)  # gradients of size ~1e-7: eps = 1e-8 matters
    out = run_demo(w0, loss_fn, lr=0.01, weight_decay=0.02)
    adamw = one_step(torch.optim.AdamW, w0, loss_fn, lr=0.01, weight_decay=0.02, eps=1e-8)
    assert_close(out["adamw"], adamw, rtol=1e-10, atol=1e-12,
                 what="l2_vs_weight_decay(...)['adamw'] with the default eps and tiny gradients",
                 oracle="one step of torch.optim.AdamW(eps=1e-8)",
                 hint="eps is added to sqrt(v_hat), outside the square root")


# --- augmentation --------------------------------------------------------------------------


def images(shape, seed, dtype=torch.float64):
    return torch.rand(shape, generator=gen(seed), dtype=dtype)


def which_flip(x, out):
    """(N,) bool: True where out[n] is x[n] mirrored; asserts each is one or the other."""
    flipped = (out == x.flip(-1)).flatten(1).all(dim=1)
    same = (out == x).flatten(1).all(dim=1)
    bad = ~(flipped | same)
    assert not bad.any(), (
        f"random_horizontal_flip: image {int(bad.nonzero()[0])} is neither the input nor its "
        "mirror image x.flip(-1). Hint: flip whole images along W (the last axis), all "
        "channels together.")
    return flipped


def test_random_horizontal_flip_flips_whole_images_with_probability_p():
    n, p = 20_000, 0.3
    x = images((n, 2, 1, 3), seed=69)
    out = random_horizontal_flip(x, p, generator=gen(70))
    flipped = which_flip(x, out)
    # Hoeffding, 20,000 images: false-failure rate below 1e-8.
    assert_frequency(int(flipped.sum()), n, p, 1e-8,
                     f"fraction of images flipped by random_horizontal_flip(p={p})",
                     "flip each image independently with probability p")


def test_random_horizontal_flip_edge_probabilities():
    """Random horizontal flip with p of zero or one flips no image or every image."""
    x = images((16, 3, 4, 5), seed=71)
    assert_equal(random_horizontal_flip(x, 0.0, generator=gen(72)), x,
                 what="random_horizontal_flip(p=0)", oracle="x (never flipped)")
    assert_equal(random_horizontal_flip(x, 1.0, generator=gen(73)), x.flip(-1),
                 what="random_horizontal_flip(p=1)", oracle="x.flip(-1) (always flipped)",
                 hint="a horizontal flip reverses W, the last axis")


def test_random_horizontal_flip_decides_per_image():
    x = images((64, 1, 3, 3), seed=74)
    flipped = which_flip(x, random_horizontal_flip(x, 0.5, generator=gen(75)))
    # 64 independent fair coins all equal: probability 2^-63.
    assert 0 < int(flipped.sum()) < 64, (
        "random_horizontal_flip(p=0.5) flipped all 64 images or none. Hint: draw one coin per "
        "image, not one for the whole batch.")


def crop_offsets(x, out, padding):
    """(N, 2) (top, left) of each image's window in the zero-padded input (brute force)."""
    n, _, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    found = torch.full((n, 2), -1)
    for top in range(2 * padding + 1):
        for left in range(2 * padding + 1):
            window = padded[:, :, top:top + h, left:left + w]
            match = (window == out).flatten(1).all(dim=1)
            found[match] = torch.tensor([top, left])
    bad = (found[:, 0] < 0).nonzero()
    assert len(bad) == 0, (
        f"random_crop(padding={padding}): image {int(bad[0])} is not an (H, W) window of the "
        "input padded with zeros. Hint: pad with zeros on all four sides, then cut an (H, W) "
        "window at a top-left corner in {0, ..., 2 * padding}; all channels share the window.")
    return found


def test_random_crop_windows_are_uniform_over_all_shifts():
    n, padding = 5000, 2
    x = images((n, 2, 4, 5), seed=76)
    out = random_crop(x, padding, generator=gen(77))
    assert out.shape == x.shape, f"random_crop should keep shape {tuple(x.shape)}"
    offsets = crop_offsets(x, out, padding)
    # 11 frequencies checked (5 tops, 5 lefts, top == left), Hoeffding with a union bound:
    # false-failure rate below 1e-7 in all.
    for axis, name in ((0, "top"), (1, "left")):
        for value in range(2 * padding + 1):
            assert_frequency(int((offsets[:, axis] == value).sum()), n, 0.2, 1e-7 / 11,
                             f"random_crop(padding=2): frequency of {name} = {value}",
                             "draw the corner uniformly from {0, ..., 2 * padding}, both ends "
                             "included (torch.randint's high is exclusive)")
    assert_frequency(int((offsets[:, 0] == offsets[:, 1]).sum()), n, 0.2, 1e-7 / 11,
                     "random_crop: frequency of top == left",
                     "draw top and left independently")


def test_random_crop_shifts_each_image_independently():
    x = images((64, 1, 5, 5), seed=78)
    offsets = crop_offsets(x, random_crop(x, 3, generator=gen(79)), 3)
    # 64 independent corners among 49 all equal: probability 49^-63.
    assert len(torch.unique(offsets, dim=0)) > 1, (
        "random_crop gave all 64 images the same window. Hint: draw one corner per image.")


def test_random_rotation_turns_each_image_by_a_uniform_quarter_turn():
    n = 4000
    x = images((n, 2, 3, 3), seed=80)
    out = random_rotation(x, generator=gen(81))
    turns = torch.full((n,), -1)
    for k in range(4):
        turns[(out == torch.rot90(x, k, dims=(-2, -1))).flatten(1).all(dim=1)] = k
    bad = (turns < 0).nonzero()
    assert len(bad) == 0, (
        f"random_rotation: image {int(bad[0])} is not a rotation of its input by a multiple of "
        "90 degrees. Hint: torch.rot90(image, k, dims=(-2, -1)), all channels together.")
    # 4 frequencies, Hoeffding with a union bound: false-failure rate below 1e-7.
    for k in range(4):
        assert_frequency(int((turns == k).sum()), n, 0.25, 1e-7 / 4,
                         f"random_rotation: frequency of {90 * k} degrees",
                         "draw k uniformly from {0, 1, 2, 3} for every image")


def test_random_rotation_rejects_non_square_images():
    with pytest.raises(ValueError):
        random_rotation(torch.rand(2, 1, 3, 4))


def test_color_jitter_brightness_scales_each_image_by_its_own_uniform_factor():
    n, strength = 4000, 0.5
    x = 0.05 + 0.4 * images((n, 3, 2, 2), seed=82)  # x * b stays below 1: no clipping
    out = color_jitter(x, brightness=strength, contrast=0.0, generator=gen(83))
    factors = out / x
    b = factors.flatten(1).mean(dim=1)
    assert_close(factors, b[:, None, None, None].expand_as(x), rtol=1e-9, atol=1e-12,
                 what="color_jitter(brightness=0.5, contrast=0): out / x within each image",
                 oracle="one factor b per image, for all its channels and pixels",
                 hint="draw one brightness factor per image (shape (N, 1, 1, 1))")
    assert bool(((b >= 1 - strength - 1e-9) & (b <= 1 + strength + 1e-9)).all()), (
        f"brightness factors should lie in [0.5, 1.5]; got min {float(b.min()):.4f}, max "
        f"{float(b.max()):.4f}. Hint: b ~ U[1 - brightness, 1 + brightness].")
    # 4 quarter-bins of [0.5, 1.5], Hoeffding with a union bound: false-failure rate < 1e-7.
    for q in range(4):
        lo = 1 - strength + q * strength / 2
        count = int(((b >= lo) & (b < lo + strength / 2)).sum())
        assert_frequency(count, n, 0.25, 1e-7 / 4,
                         f"color_jitter: brightness factors in [{lo:.2f}, {lo + 0.25:.2f})",
                         "draw b uniformly in [1 - brightness, 1 + brightness], per image")


def test_color_jitter_contrast_blends_with_the_mean_of_the_whole_image():
    n, strength = 4000, 0.5
    x = 0.3 + 0.4 * images((n, 3, 2, 2), seed=84)  # stays inside [0, 1]: no clipping
    out = color_jitter(x, brightness=0.0, contrast=strength, generator=gen(85))
    m = x.mean(dim=(1, 2, 3), keepdim=True)  # one mean per image over all channels
    c = ((out - m) * (x - m)).flatten(1).sum(1) / ((x - m) ** 2).flatten(1).sum(1)
    assert_close(out, m + c[:, None, None, None] * (x - m), rtol=1e-9, atol=1e-12,
                 what="color_jitter(brightness=0, contrast=0.5)",
                 oracle="m + c * (x - m) with m the mean of each image over ALL its channels "
                        "and pixels, and one factor c per image",
                 hint="take the mean over dims (1, 2, 3), not per channel, and not a grayscale "
                      "mean")
    # 4 quarter-bins of [0.5, 1.5], Hoeffding with a union bound: false-failure rate < 1e-7.
    for q in range(4):
        lo = 1 - strength + q * strength / 2
        count = int(((c >= lo) & (c < lo + strength / 2)).sum())
        assert_frequency(count, n, 0.25, 1e-7 / 4,
                         f"color_jitter: contrast factors in [{lo:.2f}, {lo + 0.25:.2f})",
                         "draw c uniformly in [1 - contrast, 1 + contrast], per image")


def test_color_jitter_applies_both_factors_per_image():
    n = 500
    x = 0.4 * images((n, 3, 4, 4), seed=86)  # x * b <= 0.6: the brightness step never clips
    out = color_jitter(x, brightness=0.5, contrast=0.5, generator=gen(87))
    # Unclipped pixels satisfy out = b c x + b m (1 - c): fit A = b c and B = b m (1 - c).
    m = x.mean(dim=(1, 2, 3))
    for i in range(n):
        xi, oi = x[i].flatten(), out[i].flatten()
        inside = (oi > 0) & (oi < 1)
        design = torch.stack([xi[inside], torch.ones_like(xi[inside])], dim=1)
        (a_fit, b_fit) = torch.linalg.lstsq(design, oi[inside, None]).solution[:, 0].tolist()
        b = a_fit + b_fit / float(m[i])
        c = a_fit / b
        ok = 0.5 - 1e-9 <= b <= 1.5 + 1e-9 and 0.5 - 1e-9 <= c <= 1.5 + 1e-9
        assert_close(oi[inside], a_fit * xi[inside] + b_fit, rtol=1e-9, atol=1e-10,
                     what=f"color_jitter(brightness=0.5, contrast=0.5) on image {i}",
                     oracle="clamp((b x - b m) c + b m, 0, 1): linear in x where not clipped",
                     hint="brightness then contrast, one (b, c) pair per image")
        assert ok, (f"color_jitter on image {i}: recovered brightness {b:.4f} and contrast "
                    f"{c:.4f}; both should lie in [0.5, 1.5].")


def test_color_jitter_clamps_to_the_unit_interval():
    x = images((64, 3, 5, 5), seed=88)
    out = color_jitter(x, brightness=0.9, contrast=0.9, generator=gen(89))
    assert float(out.min()) >= 0 and float(out.max()) <= 1, (
        f"color_jitter output ranges over [{float(out.min()):.3f}, {float(out.max()):.3f}]; "
        "it must stay in [0, 1]. Hint: clamp after the brightness and after the contrast step.")
    assert not torch.equal(out, x), "color_jitter(brightness=0.9, contrast=0.9) changed nothing"


def test_color_jitter_with_zero_strength_changes_nothing():
    x = images((8, 3, 4, 4), seed=90)
    assert_close(color_jitter(x, 0.0, 0.0, generator=gen(91)), x, rtol=1e-12, atol=1e-12,
                 what="color_jitter(brightness=0, contrast=0)", oracle="x (factors 1 and 1)")


AUGMENTATIONS = {
    "random_horizontal_flip": lambda x, g, t: random_horizontal_flip(x, 0.5, g, training=t),
    "random_crop": lambda x, g, t: random_crop(x, 2, g, training=t),
    "random_rotation": lambda x, g, t: random_rotation(x, g, training=t),
    "color_jitter": lambda x, g, t: color_jitter(x, 0.4, 0.4, g, training=t),
}


@pytest.mark.parametrize("name", AUGMENTATIONS)
def test_augmentation_is_the_identity_in_evaluation(name):
    x = images((16, 3, 5, 5), seed=92)
    assert_equal(AUGMENTATIONS[name](x, gen(93), False), x,
                 what=f"{name}(..., training=False)", oracle="x itself",
                 hint="augment training batches only; evaluation sees the data as it is")


@pytest.mark.parametrize("name", AUGMENTATIONS)
def test_augmentation_is_reproducible_and_leaves_its_input_alone(name):
    x = images((32, 3, 5, 5), seed=94, dtype=torch.float32)
    copy = x.clone()
    first = AUGMENTATIONS[name](x, gen(95), True)
    torch.manual_seed(321)
    torch.rand(5)
    again = AUGMENTATIONS[name](x, gen(95), True)
    other = AUGMENTATIONS[name](x, gen(96), True)
    assert first.dtype == torch.float32 and first.shape == x.shape, (
        f"{name} should keep shape {tuple(x.shape)} and dtype float32; got "
        f"{tuple(first.shape)} {first.dtype}")
    assert_equal(x, copy, what=f"the input after {name}", oracle="the input before the call",
                 hint="return a new tensor; do not modify x in place")
    assert_equal(again, first, what=f"{name} twice with generators seeded 95",
                 oracle="the same output", hint="draw every random choice from the generator")
    assert not torch.equal(other, first), (
        f"{name} with generators seeded 95 and 96 gave the same output on 32 images. Hint: "
        "draw every random choice from the generator argument.")


@pytest.mark.parametrize("name", AUGMENTATIONS)
def test_augmentation_rejects_a_batch_that_is_not_4d(name):
    """Augmentation rejects a batch that is not 4-D."""
    with pytest.raises(ValueError):
        AUGMENTATIONS[name](torch.rand(3, 5, 5), gen(97), True)


@pytest.mark.parametrize("call", [
    lambda x: random_horizontal_flip(x, 1.5),
    lambda x: random_crop(x, -1),
    lambda x: color_jitter(x, brightness=1.5),
    lambda x: color_jitter(x, contrast=-0.1),
], ids=["flip_p", "crop_padding", "brightness", "contrast"])
def test_augmentation_rejects_bad_settings(call):
    with pytest.raises(ValueError):
        call(torch.rand(2, 3, 4, 4))


# --- mixup and CutMix ----------------------------------------------------------------------


def mixing_matrix(y_mixed, n):
    """The (N, N) weights W with y_mixed = W @ y, read from labels whose first N columns are
    0.5 * identity (each label names its sample)."""
    return 2 * y_mixed[:, :n]


def pairs(weights):
    """Per row: (partner, self weight). Asserts each row mixes itself with at most one other."""
    n = weights.shape[0]
    partners, self_w = [], []
    for i in range(n):
        row = weights[i]
        others = [j for j in range(n) if j != i and row[j] != 0]
        assert len(others) <= 1, (
            f"sample {i} of the mixed batch mixes {len(others) + 1} samples "
            f"(weights {row.tolist()}); mixup and CutMix blend each sample with one partner.")
        partners.append(others[0] if others else i)
        self_w.append(float(row[i]) if others else 1.0)
    return partners, self_w


def labelled_batch(n, k, seed):
    """Labels 0.5 * [one-hot of the sample id | a random soft label]: rows sum to 1."""
    soft = torch.rand(n, k, generator=gen(seed), dtype=torch.float64)
    soft = soft / soft.sum(dim=1, keepdim=True)
    return 0.5 * torch.cat([torch.eye(n, dtype=torch.float64), soft], dim=1)


def test_mixup_mixes_inputs_and_labels_with_the_same_weights():
    n = 8
    x = torch.randn(n, 3, 4, 2, dtype=torch.float64, generator=gen(98))
    y = labelled_batch(n, 5, seed=99)
    x_mixed, y_mixed = mixup(x, y, alpha=0.7, generator=gen(100))
    weights = mixing_matrix(y_mixed, n)
    partners, _ = pairs(weights)
    assert sorted(partners) == list(range(n)), (
        f"mixup's partners {partners} are not a permutation of the batch. Hint: "
        "perm = torch.randperm(N, generator=generator).")
    assert_close(y_mixed, weights @ y, rtol=1e-12, atol=1e-12, what="mixup's y_mixed",
                 oracle="W @ y with W read from the one-hot part of the labels",
                 hint="mix the whole label rows with lam and 1 - lam")
    assert_close(x_mixed.reshape(n, -1), weights @ x.reshape(n, -1), rtol=1e-12, atol=1e-12,
                 what="mixup's x_mixed", oracle="W @ x: the same weights as the labels",
                 hint="the same lam and the same perm for x and y")
    assert_close(y_mixed.sum(dim=1), torch.ones(n, dtype=torch.float64),
                 what="row sums of y_mixed", oracle="1 (convex combinations of rows summing to 1)")


def test_mixup_uses_one_lambda_for_the_whole_batch():
    n = 8
    x = torch.randn(n, 3, dtype=torch.float64, generator=gen(101))
    y = labelled_batch(n, 2, seed=102)
    for seed in range(20):
        _, y_mixed = mixup(x, y, alpha=1.0, generator=gen(200 + seed))
        partners, self_w = pairs(mixing_matrix(y_mixed, n))
        mixed = [w for i, w in enumerate(self_w) if partners[i] != i] or [0.0]
        assert max(mixed) - min(mixed) < 1e-12, (
            f"mixup (generator seeded {200 + seed}) mixed the samples of one batch with "
            f"different weights {sorted(mixed)}. Hint: draw ONE lam per batch, not per sample.")


def beta_cdf(alpha, t):
    if alpha == 2.0:
        return 3 * t ** 2 - 2 * t ** 3
    if alpha == 0.5:
        return 2 / math.pi * math.asin(math.sqrt(t))
    raise ValueError(alpha)


@pytest.mark.parametrize("alpha", [2.0, 0.5])
def test_mixup_lambda_follows_beta_alpha_alpha(alpha):
    """MixUp draws lambda from a Beta(alpha, alpha) distribution."""
    n_draws, n = 3000, 4
    x = torch.randn(n, 2, dtype=torch.float64, generator=gen(103))
    y = labelled_batch(n, 1, seed=104)
    g = gen(105)
    lams, partner_of_0 = [], []
    for _ in range(n_draws):
        _, y_mixed = mixup(x, y, alpha=alpha, generator=g)
        partners, self_w = pairs(mixing_matrix(y_mixed, n))
        partner_of_0.append(partners[0])
        moved = [i for i in range(n) if partners[i] != i]
        if moved:  # an identity permutation (probability 1/24) shows no lam
            lams.append(self_w[moved[0]])
    lams.sort()
    m = len(lams)
    # Kolmogorov-Smirnov distance to Beta(alpha, alpha)'s CDF. DKW: false-failure rate below
    # 1e-7 for this bound (lam or 1 - lam both follow Beta(alpha, alpha)).
    bound = math.sqrt(math.log(2 / 1e-7) / (2 * m))
    ks = max(max(abs((i + 1) / m - beta_cdf(alpha, v)), abs(i / m - beta_cdf(alpha, v)))
             for i, v in enumerate(lams))
    assert ks < bound, (
        f"mixup's lam over {m} batches is not Beta({alpha}, {alpha}): Kolmogorov-Smirnov "
        f"distance {ks:.4f} > {bound:.4f} (a correct sampler exceeds it with probability below "
        "1e-7). Hint: lam ~ Beta(alpha, alpha), drawn from the generator.")
    # The partner of sample 0 is uniform over the batch under a uniform permutation.
    # Hoeffding with a union bound over 4 frequencies: false-failure rate below 1e-7.
    for j in range(n):
        assert_frequency(sum(1 for q in partner_of_0 if q == j), n_draws, 1 / n, 1e-7 / 4,
                         f"mixup: how often sample 0 is paired with sample {j}",
                         "pair the samples with a uniformly random permutation of the batch")


def test_mixup_is_reproducible_and_leaves_its_inputs_alone():
    n = 6
    x = torch.randn(n, 5, generator=gen(106))  # float32 stays float32
    y = labelled_batch(n, 3, seed=107).float()
    x_copy, y_copy = x.clone(), y.clone()
    first = mixup(x, y, 1.0, generator=gen(108))
    torch.manual_seed(11)
    torch.rand(4)
    again = mixup(x, y, 1.0, generator=gen(108))
    other = mixup(x, y, 1.0, generator=gen(109))
    assert first[0].dtype == torch.float32 and first[1].dtype == torch.float32, (
        "mixup should keep float32 inputs and labels float32")
    assert_equal(x, x_copy, what="x after mixup", oracle="x before")
    assert_equal(y, y_copy, what="y after mixup", oracle="y before")
    assert_equal(again[0], first[0], what="mixup's x_mixed with generators seeded 108, twice",
                 oracle="the same output", hint="draw lam and perm from the generator")
    assert not torch.equal(other[1], first[1]), (
        "mixup with generators seeded 108 and 109 gave the same labels. Hint: draw lam and "
        "perm from the generator argument.")


@pytest.mark.parametrize("fn", [mixup, cutmix], ids=["mixup", "cutmix"])
def test_mixing_rejects_bad_arguments(fn):
    """MixUp and CutMix reject a zero alpha and labels of the wrong shape."""
    x, y = torch.rand(4, 1, 3, 3), torch.eye(4)
    with pytest.raises(ValueError):
        fn(x, y, 0.0)
    with pytest.raises(ValueError):
        fn(x, torch.arange(4.0), 1.0)
    with pytest.raises(ValueError):
        fn(x, torch.eye(5), 1.0)


def test_cutmix_rejects_a_batch_that_is_not_4d():
    """CutMix rejects a batch that is not 4-D."""
    with pytest.raises(ValueError):
        cutmix(torch.rand(4, 3, 3), torch.eye(4), 1.0)


def pasted_box(x, x_mixed, partners):
    """The (H, W) bool mask of pixels taken from the partner, checked to be one rectangle
    shared by the whole batch and by all channels; None when every sample is its own partner."""
    box = None
    for i, j in enumerate(partners):
        if j == i:
            assert_equal(x_mixed[i], x[i], what=f"cutmix's image {i}, paired with itself",
                         oracle="the unchanged image")
            continue
        changed = x_mixed[i] != x[i]  # (C, H, W)
        mask = changed[0]
        assert bool((changed == mask).all()), (
            f"cutmix changed different pixels in different channels of image {i}; the box "
            "covers all channels.")
        assert_equal(x_mixed[i][:, mask], x[j][:, mask],
                     what=f"the pasted pixels of cutmix's image {i}",
                     oracle=f"the same pixels of its partner, image {j} (read from the labels)",
                     hint="paste x[perm] into the box, with the same perm as the labels")
        if box is None:
            box = mask
        assert torch.equal(mask, box), (
            "cutmix pasted boxes at different places in different images of one batch; the "
            "docstring asks for ONE box for the whole batch.")
    if box is not None and box.any():
        rows, cols = box.any(dim=1).nonzero()[:, 0], box.any(dim=0).nonzero()[:, 0]
        rect = torch.zeros_like(box)
        rect[int(rows.min()):int(rows.max()) + 1, int(cols.min()):int(cols.max()) + 1] = True
        assert torch.equal(box, rect), "cutmix's pasted region is not one rectangle"
    return box


def test_cutmix_pastes_one_box_from_the_partner_and_weights_labels_by_its_area():
    n, h, w = 5, 6, 10  # small images: the box is often clipped at the border
    x = torch.randn(n, 3, h, w, dtype=torch.float64, generator=gen(110))
    y = labelled_batch(n, 4, seed=111)
    g = gen(112)
    areas = []
    for call in range(300):
        x_mixed, y_mixed = cutmix(x, y, alpha=1.0, generator=g)
        weights = mixing_matrix(y_mixed, n)
        partners, self_w = pairs(weights)
        assert sorted(partners) == list(range(n)), (
            f"cutmix's partners {partners} are not a permutation of the batch")
        assert_close(y_mixed, weights @ y, rtol=1e-12, atol=1e-12, what="cutmix's y_mixed",
                     oracle="W @ y with W read from the one-hot part of the labels")
        box = pasted_box(x, x_mixed, partners)
        if box is None:
            continue
        area = float(box.sum()) / (h * w)
        areas.append(area)
        for i, j in enumerate(partners):
            if j != i:
                assert abs(self_w[i] - (1 - area)) < 1e-12, (
                    f"cutmix call {call}: image {i} got {area:.4f} of its pixels from image "
                    f"{j}, but its label keeps weight {self_w[i]:.4f} for itself instead of "
                    f"1 - {area:.4f}. Hint: after clipping the box at the border, set "
                    "lam = 1 - box_area / (H * W), not the sampled lam.")
    assert len(set(areas)) > 5, f"cutmix's boxes hardly vary: areas {sorted(set(areas))}"


def test_cutmix_box_size_follows_alpha():
    n, h, w = 4, 12, 20
    x = torch.randn(n, 1, h, w, dtype=torch.float64, generator=gen(113))
    y = torch.eye(n, dtype=torch.float64)
    g = gen(115)
    areas = []
    for _ in range(1000):
        # The label weight equals the pasted area (checked by the test above): read it there.
        _, y_mixed = cutmix(x, y, alpha=1000.0, generator=g)
        areas.append(1 - float(y_mixed.diagonal().min()))
    # Beta(1000, 1000) keeps 1 - lam in [0.4, 0.6] except with probability < 1e-15 per draw;
    # the box covers at most (1 - lam) of the image, and an unclipped box (centre far enough
    # from the border, probability > 0.14 per draw) covers more than 0.3 of it. The
    # false-failure rate over 1000 draws is below 1e-12.
    assert max(areas) <= 0.6, (
        f"with alpha = 1000 (lam close to 0.5) cutmix pasted a box covering {max(areas):.3f} "
        "of the image. Hint: lam ~ Beta(alpha, alpha); box sides H * sqrt(1 - lam) and "
        "W * sqrt(1 - lam).")
    assert max(areas) >= 0.3, (
        f"with alpha = 1000 (lam close to 0.5) cutmix's largest box covered only "
        f"{max(areas):.3f} of the image over 1000 batches; about 0.45 is expected. Hint: the "
        "sides are int(H * sqrt(1 - lam)) and int(W * sqrt(1 - lam)), not (1 - lam) times.")


def test_cutmix_is_reproducible_and_leaves_its_inputs_alone():
    n = 6
    x = torch.randn(n, 2, 8, 8, generator=gen(116))
    y = labelled_batch(n, 3, seed=117).float()
    x_copy, y_copy = x.clone(), y.clone()
    first = cutmix(x, y, 1.0, generator=gen(118))
    torch.manual_seed(12)
    torch.rand(4)
    again = cutmix(x, y, 1.0, generator=gen(118))
    others = [cutmix(x, y, 1.0, generator=gen(119 + k))[0] for k in range(3)]
    assert first[0].dtype == torch.float32 and first[1].dtype == torch.float32, (
        "cutmix should keep float32 images and labels float32")
    assert_equal(x, x_copy, what="x after cutmix", oracle="x before",
                 hint="paste into a clone of x")
    assert_equal(y, y_copy, what="y after cutmix", oracle="y before")
    assert_equal(again[0], first[0], what="cutmix's x_mixed with generators seeded 118, twice",
                 oracle="the same output", hint="draw lam, perm and the box from the generator")
    assert any(not torch.equal(o, first[0]) for o in others), (
        "cutmix with four different seeds gave the same images. Hint: draw lam, perm and the "
        "box from the generator argument.")
