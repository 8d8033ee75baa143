"""Hidden tests for phase1.normalization.

Oracles: torch.nn.BatchNorm1d/2d, LayerNorm, RMSNorm, GroupNorm and InstanceNorm2d (and
torch.nn.functional's twins) after copying the same random weights, compared in float64
(outputs, gradients through autograd, running buffers over several steps, train and eval);
torch.autograd.gradcheck in float64; closed forms (momentum, cumulative averages, unbiased
variance); invariants (zero mean and unit variance, scale invariance, per-sample independence).
The learner's code runs with the built-in normalisations forbidden, torch.* and aten alike.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from phase1_testkit import forward_backward, twins
from torch import nn

from phase1.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNormFunction,
    GroupNorm,
    GroupNormFunction,
    InstanceNorm2d,
    LayerNorm,
    LayerNormFunction,
    RMSNorm,
    RMSNormFunction,
)
from shared import assert_close, assert_gradcheck, assert_grads_match, forbidden

F64 = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-10}
BACKWARD_HINT = ("the gradient flows through the mean and the variance as well: compared with "
                 "a fixed affine map, grad_x has two extra mean terms (one for RMSNorm)")
PARAM_HINT = ("weight's gradient sums grad_y * x_hat, bias's sums grad_y, over every axis the "
              "parameter is shared over")
RUNNING_HINT = ("running = (1 - f) * running + f * batch statistic (f = momentum, or "
                "1 / num_batches_tracked when momentum is None), with the UNBIASED variance "
                "(divide by M - 1) for running_var")

BUILTINS = (
    "torch.nn.functional.batch_norm", "torch.batch_norm", "torch.native_batch_norm",
    "torch.nn.functional.layer_norm", "torch.layer_norm", "torch.native_layer_norm",
    "torch.nn.functional.group_norm", "torch.group_norm", "torch.native_group_norm",
    "torch.nn.functional.rms_norm", "torch.rms_norm", "torch._fused_rms_norm",
    "torch.nn.functional.instance_norm", "torch.instance_norm",
    "aten.native_batch_norm", "aten._native_batch_norm_legit",
    "aten._native_batch_norm_legit_no_training", "aten._native_batch_norm_legit_functional",
    "aten._batch_norm_with_update", "aten._batch_norm_no_update",
    "aten.native_batch_norm_backward", "aten.batch_norm_backward",
    "aten.native_layer_norm", "aten.native_layer_norm_backward",
    "aten.native_group_norm", "aten.native_group_norm_backward",
    "aten._fused_rms_norm", "aten._fused_rms_norm_backward",
)


def _randn(*shape, seed, dtype=F64, scale=1.0, shift=0.0):
    gen = torch.Generator().manual_seed(seed)
    return shift + scale * torch.randn(*shape, generator=gen, dtype=dtype)


def _assert_same_step(mine, ref, x, what, hint, seed=1, tol=None):
    """One forward/backward of both modules on x: outputs, gradients and buffers agree."""
    tol = TOL if tol is None else tol
    upstream = _randn(*x.shape, seed=seed, dtype=x.dtype)
    got, gx, gp = forward_backward(mine, x, upstream)
    exp, ex, ep = forward_backward(ref, x, upstream)
    oracle = f"torch.nn.{type(ref).__name__} with the same weights, {x.dtype}"
    assert_close(got, exp, **tol, what=f"{what}: the output", oracle=oracle, hint=hint)
    assert_close(gx, ex, **tol, what=f"{what}: the gradient with respect to the input",
                 oracle=oracle + " (autograd)", hint=BACKWARD_HINT)
    for name, g in ep.items():
        assert gp.get(name) is not None, (
            f"{what}: no gradient reached {name}. Does your backward return it?")
        assert_close(gp[name], g, **tol, what=f"{what}: the gradient of {name}",
                     oracle=oracle + " (autograd)", hint=PARAM_HINT)
    for name, b in ref.named_buffers():
        got_b = dict(mine.named_buffers()).get(name)
        assert got_b is not None, f"{what}: your module has no buffer {name!r}"
        assert_close(got_b, b, **tol, what=f"{what}: the buffer {name} afterwards",
                     oracle="torch.nn." + type(ref).__name__, hint=RUNNING_HINT)


def _assert_custom_backward(out, what):
    cls = getattr(out.grad_fn, "_forward_cls", None)
    assert isinstance(cls, type) and issubclass(cls, torch.autograd.Function), (
        f"{what}: the output's grad_fn is {type(out.grad_fn).__name__}, not the backward of "
        "a torch.autograd.Function. Write a torch.autograd.Function with its own backward and "
        "return its output as it is (autograd must not differentiate your forward).")


# --------------------------------------------------------------------------------------------
# BatchNormFunction
# --------------------------------------------------------------------------------------------

BN_SHAPES = [(6, 3), (4, 3, 5), (3, 2, 4, 5)]


@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batch_norm_function_gradcheck(shape):
    """The batch norm function passes gradcheck."""
    c = shape[1]
    x = _randn(*shape, seed=10, shift=1.5, scale=2.0)
    w, b = _randn(c, seed=11), _randn(c, seed=12)
    assert_gradcheck(lambda x, w, b: BatchNormFunction.apply(x, w, b, 1e-5), [x, w, b],
                     what=f"BatchNormFunction on x of shape {shape}")


def test_batch_norm_function_gradcheck_without_affine():
    """The batch norm function passes gradcheck without affine parameters."""
    x = _randn(5, 3, 4, seed=13)
    assert_gradcheck(lambda x: BatchNormFunction.apply(x, None, None, 1e-3), [x],
                     what="BatchNormFunction with weight=None and bias=None")


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("eps", [1e-5, 0.5])
def test_batch_norm_function_matches_torch(shape, eps):
    c = shape[1]
    x = _randn(*shape, seed=14, scale=0.5, shift=-1.0)
    w, b = _randn(c, seed=15), _randn(c, seed=16)
    assert_grads_match(lambda x, w, b: BatchNormFunction.apply(x, w, b, eps),
                       lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=eps),
                       [x, w, b], what=f"BatchNormFunction (shape {shape}, eps={eps})",
                       oracle="torch.nn.functional.batch_norm(training=True) in float64",
                       **TOL)


def test_batch_norm_function_output_has_zero_mean_and_unit_biased_variance():
    x = _randn(8, 3, 2, seed=17, scale=4.0, shift=3.0)
    y = BatchNormFunction.apply(x, None, None, 0.0)
    axes = (0, 2)
    assert_close(y.mean(dim=axes), torch.zeros(3, dtype=F64), atol=1e-12,
                 what="per-channel mean of BatchNormFunction(x, None, None, eps=0)",
                 oracle="the definition (x - mean) / std has mean 0",
                 hint="reduce over every axis except the channel axis 1")
    assert_close(y.var(dim=axes, correction=0), torch.ones(3, dtype=F64), atol=1e-12,
                 what="per-channel biased variance of BatchNormFunction(x, None, None, eps=0)",
                 oracle="the definition: biased variance 1 after normalising",
                 hint="normalise with the biased variance (divide by M, not M - 1)")


# --------------------------------------------------------------------------------------------
# BatchNorm1d / BatchNorm2d modules
# --------------------------------------------------------------------------------------------


def _bn_run(mine, ref, shapes, what, hint=None, seed=100):
    """Several training steps, then an eval step; all compared with torch."""
    hint = hint or ("normalise each channel over every axis except axis 1, with the biased "
                    "variance and eps inside the square root")
    mine.train()
    ref.train()
    for k, shape in enumerate(shapes):
        x = _randn(*shape, seed=seed + k, scale=1.0 + k, shift=0.5 * k)
        _assert_same_step(mine, ref, x, f"{what}, training step {k + 1} (x of shape {shape})",
                          hint, seed=seed + 50 + k)
    mine.eval()
    ref.eval()
    x = _randn(*shapes[0], seed=seed + 99, scale=2.0, shift=1.0)
    _assert_same_step(mine, ref, x, f"{what}, eval mode after {len(shapes)} training steps",
                      "in eval mode normalise with running_mean and running_var, not with the "
                      "batch's statistics; the buffers must not change", seed=seed + 98)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("shape", [(8, 4), (5, 4, 7)])
def test_batchnorm1d_matches_torch_over_training_steps(shape, momentum):
    mine, ref = twins(BatchNorm1d(4, momentum=momentum), nn.BatchNorm1d(4, momentum=momentum))
    _bn_run(mine, ref, [shape] * 4, f"BatchNorm1d(4, momentum={momentum})")


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm2d_matches_torch_over_training_steps(momentum):
    mine, ref = twins(BatchNorm2d(3, momentum=momentum), nn.BatchNorm2d(3, momentum=momentum))
    _bn_run(mine, ref, [(4, 3, 5, 6), (2, 3, 4, 4), (6, 3, 3, 2)],
            f"BatchNorm2d(3, momentum={momentum})",
            hint="each channel's statistics are over N, H and W together (not per sample)")


def test_batchnorm2d_statistics_are_over_batch_and_space():
    # Each sample's plane has its own offset: per-(sample, channel) statistics would erase
    # them, batch statistics keep them.
    x = _randn(4, 2, 3, 3, seed=20) + torch.arange(4, dtype=F64).view(4, 1, 1, 1) * 5
    bn = BatchNorm2d(2, affine=False).double()
    y = bn(x).detach()
    expected = (x - x.mean(dim=(0, 2, 3), keepdim=True)) / torch.sqrt(
        x.var(dim=(0, 2, 3), correction=0, keepdim=True) + 1e-5)
    assert_close(y, expected, **TOL,
                 what="BatchNorm2d(2, affine=False) on x whose samples have offsets 0, 5, 10, 15",
                 oracle="the closed form with statistics over axes (0, 2, 3)",
                 hint="reduce over the batch axis too, not only over H and W")


def test_running_var_is_unbiased_and_running_mean_is_the_batch_mean():
    x = _randn(5, 3, seed=21, scale=2.0, shift=1.0)
    bn = BatchNorm1d(3, momentum=1.0).double()
    bn(x)
    assert_close(bn.running_mean, x.mean(dim=0), **TOL,
                 what="running_mean after one step with momentum=1.0",
                 oracle="the batch mean (closed form)", hint=RUNNING_HINT)
    assert_close(bn.running_var, x.var(dim=0, correction=1), **TOL,
                 what="running_var after one step with momentum=1.0 on 5 samples",
                 oracle="the UNBIASED batch variance (divide by N - 1 = 4)",
                 hint="the running variance uses the unbiased estimate (M - 1), although the "
                      "normalisation itself uses the biased one (M)")


def test_momentum_weights_the_new_batch():
    x = _randn(6, 2, seed=22, scale=3.0, shift=2.0)
    bn = BatchNorm1d(2, momentum=0.3).double()
    bn(x)
    assert_close(bn.running_mean, 0.3 * x.mean(dim=0), **TOL,
                 what="running_mean after one step with momentum=0.3 from running_mean = 0",
                 oracle="(1 - 0.3) * 0 + 0.3 * batch mean",
                 hint="torch's convention: running = (1 - momentum) * running + momentum * new")
    assert_close(bn.running_var, 0.7 + 0.3 * x.var(dim=0, correction=1), **TOL,
                 what="running_var after one step with momentum=0.3 from running_var = 1",
                 oracle="(1 - 0.3) * 1 + 0.3 * unbiased batch variance", hint=RUNNING_HINT)
    assert int(bn.num_batches_tracked) == 1, (
        f"num_batches_tracked must count training steps: expected 1, got "
        f"{int(bn.num_batches_tracked)}")


def test_momentum_none_is_a_cumulative_average():
    """With momentum None, the running statistics are a cumulative average."""
    bn = BatchNorm1d(3, momentum=None).double()
    xs = [_randn(4 + k, 3, seed=30 + k, scale=1.0 + k, shift=k) for k in range(5)]
    for x in xs:
        bn(x)
    means = torch.stack([x.mean(dim=0) for x in xs]).mean(dim=0)
    variances = torch.stack([x.var(dim=0, correction=1) for x in xs]).mean(dim=0)
    assert_close(bn.running_mean, means, **TOL,
                 what="running_mean after 5 steps with momentum=None",
                 oracle="the plain average of the 5 batch means",
                 hint="with momentum=None, f = 1 / num_batches_tracked AFTER incrementing it")
    assert_close(bn.running_var, variances, **TOL,
                 what="running_var after 5 steps with momentum=None",
                 oracle="the plain average of the 5 unbiased batch variances", hint=RUNNING_HINT)
    assert int(bn.num_batches_tracked) == 5 and bn.num_batches_tracked.dtype == torch.long, (
        f"num_batches_tracked must be an int64 count of training steps: expected 5, got "
        f"{bn.num_batches_tracked!r}")


def test_running_stats_record_no_autograd_history():
    bn = BatchNorm1d(3).double()
    x = _randn(5, 3, seed=23).requires_grad_(True)
    bn(x).sum().backward()
    for name in ("running_mean", "running_var"):
        buf = getattr(bn, name)
        assert not buf.requires_grad and buf.grad_fn is None, (
            f"{name} must not record autograd history (got requires_grad={buf.requires_grad}, "
            f"grad_fn={buf.grad_fn}). Hint: update the buffers under torch.no_grad() or from "
            "detached statistics.")


def test_eval_mode_uses_running_statistics():
    mine, ref = twins(BatchNorm2d(3), nn.BatchNorm2d(3))
    for k in range(3):
        x = _randn(4, 3, 2, 2, seed=40 + k, scale=2.0, shift=1.0)
        mine(x)
        ref(x)
    mine.eval()
    ref.eval()
    before = {n: b.clone() for n, b in mine.named_buffers()}
    x = _randn(1, 3, 2, 2, seed=45, scale=5.0, shift=-3.0)
    _assert_same_step(mine, ref, x, "BatchNorm2d in eval mode on a single sample",
                      "in eval mode use running_mean and running_var; a single sample must "
                      "work there")
    for name, b in before.items():
        unchanged = torch.equal(getattr(mine, name), b)
        assert unchanged, (
            f"{name} changed in eval mode; the running statistics may only change in training "
            "mode (check self.training)")


def test_eval_output_does_not_depend_on_the_rest_of_the_batch():
    bn = BatchNorm1d(4).double()
    bn(_randn(8, 4, seed=50, scale=2.0, shift=1.0))
    bn.eval()
    x = _randn(6, 4, seed=51)
    alone = bn(x[:1]).detach()
    together = bn(x).detach()[:1]
    assert_close(alone, together, **TOL,
                 what="BatchNorm1d in eval mode: sample 0 alone vs inside a batch of 6",
                 oracle="the same sample's output (eval mode is a fixed per-channel map)",
                 hint="eval mode must not use the batch's statistics")


def test_affine_false_matches_torch():
    """BatchNorm without affine parameters matches torch."""
    mine, ref = twins(BatchNorm2d(3, affine=False), nn.BatchNorm2d(3, affine=False))
    assert mine.weight is None and mine.bias is None, (
        "with affine=False, weight and bias must be None (register_parameter(name, None))")
    _bn_run(mine, ref, [(3, 3, 2, 4)] * 2, "BatchNorm2d(3, affine=False)")


def test_without_running_stats_batch_statistics_are_used_in_eval_too():
    """Without running stats, batch statistics are used in eval mode too."""
    mine, ref = twins(BatchNorm1d(3, track_running_stats=False),
                       nn.BatchNorm1d(3, track_running_stats=False))
    assert mine.running_mean is None and mine.num_batches_tracked is None, (
        "with track_running_stats=False, running_mean, running_var and num_batches_tracked "
        "must be None")
    _bn_run(mine, ref, [(5, 3, 2)] * 2, "BatchNorm1d(3, track_running_stats=False)")
    mine.eval()
    x = _randn(5, 3, seed=52, scale=3.0, shift=2.0)
    y = mine(x).detach()
    w, b = mine.weight.detach(), mine.bias.detach()
    expected = (x - x.mean(0)) / torch.sqrt(x.var(0, correction=0) + 1e-5) * w + b
    assert_close(y, expected, **TOL,
                 what="BatchNorm1d(track_running_stats=False) in eval mode",
                 oracle="the closed form with the batch's own statistics",
                 hint="with no running statistics, eval mode normalises with the batch's")


def test_batchnorm_eps_is_inside_the_square_root():
    mine, ref = twins(BatchNorm2d(2, eps=0.3), nn.BatchNorm2d(2, eps=0.3))
    _bn_run(mine, ref, [(3, 2, 2, 2)] * 2, "BatchNorm2d(2, eps=0.3)",
            hint="x_hat = (x - mean) / sqrt(var + eps): eps inside the square root, as torch")


def test_batchnorm_float32_matches_torch():
    """BatchNorm matches torch in float32."""
    mine, ref = twins(BatchNorm2d(3), nn.BatchNorm2d(3), dtype=torch.float32)
    x = _randn(4, 3, 3, 3, seed=53, dtype=torch.float32)
    _assert_same_step(mine, ref, x, "BatchNorm2d(3) in float32", "compute in x's dtype",
                      tol={"rtol": 1e-5, "atol": 1e-5})


def test_batchnorm_rejects_inputs_of_the_wrong_rank():
    with pytest.raises(ValueError):
        BatchNorm1d(3)(torch.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError):
        BatchNorm2d(3)(torch.zeros(2, 3, 4))


def test_batchnorm_one_value_per_channel_raises_in_training_only():
    """BatchNorm raises on one value per channel, in training mode only."""
    bn = BatchNorm1d(3).double()
    x = _randn(1, 3, seed=54)
    with pytest.raises(ValueError):
        bn(x)
    bn.eval()
    y = bn(x)  # running statistics: fine for a single sample
    assert_close(y, (x / math.sqrt(1 + 1e-5)).detach(), **TOL,
                 what="fresh BatchNorm1d in eval mode on one sample",
                 oracle="(x - 0) / sqrt(1 + eps) with the initial running statistics")


# --------------------------------------------------------------------------------------------
# LayerNorm
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lead,norm", [((4,), (5,)), ((2, 3), (4,)), ((3,), (2, 4))])
def test_layer_norm_function_gradcheck(lead, norm):
    """The layer norm function passes gradcheck."""
    x = _randn(*lead, *norm, seed=60, scale=2.0, shift=1.0)
    w, b = _randn(*norm, seed=61), _randn(*norm, seed=62)
    assert_gradcheck(lambda x, w, b: LayerNormFunction.apply(x, norm, w, b, 1e-5), [x, w, b],
                     what=f"LayerNormFunction, x of shape {lead + norm}, normalized_shape {norm}")


def test_layer_norm_function_gradcheck_without_affine():
    """The layer norm function passes gradcheck without affine parameters."""
    x = _randn(3, 6, seed=63)
    assert_gradcheck(lambda x: LayerNormFunction.apply(x, (6,), None, None, 1e-5), [x],
                     what="LayerNormFunction with weight=None and bias=None")


@pytest.mark.parametrize("normalized_shape,x_shape", [(7, (3, 7)), ((7,), (2, 3, 7)),
                                                      ((3, 4), (2, 3, 4)), ([2, 3, 2], (2, 3, 2))])
def test_layernorm_matches_torch(normalized_shape, x_shape):
    mine, ref = twins(LayerNorm(normalized_shape), nn.LayerNorm(normalized_shape))
    x = _randn(*x_shape, seed=64, scale=3.0, shift=-2.0)
    _assert_same_step(mine, ref, x, f"LayerNorm({normalized_shape}) on x of shape {x_shape}",
                      "normalise over the trailing normalized_shape axes of each slice, biased "
                      "variance, eps inside the square root")


@pytest.mark.parametrize("kwargs", [{"elementwise_affine": False}, {"bias": False},
                                    {"eps": 0.2}])
def test_layernorm_options_match_torch(kwargs):
    mine, ref = twins(LayerNorm(6, **kwargs), nn.LayerNorm(6, **kwargs))
    x = _randn(4, 6, seed=65, scale=0.5)
    _assert_same_step(mine, ref, x, f"LayerNorm(6, **{kwargs})",
                      "elementwise_affine=False: no weight, no bias; bias=False: weight only; "
                      "eps inside the square root")


def test_layernorm_rows_have_zero_mean_and_unit_variance():
    x = _randn(5, 8, seed=66, scale=4.0, shift=7.0)
    y = LayerNorm(8, eps=0.0, elementwise_affine=False).double()(x).detach()
    assert_close(y.mean(dim=-1), torch.zeros(5, dtype=F64), atol=1e-12,
                 what="row means of LayerNorm(8, eps=0, elementwise_affine=False)(x)",
                 oracle="the definition", hint="normalise each row over the LAST axis")
    assert_close(y.var(dim=-1, correction=0), torch.ones(5, dtype=F64), atol=1e-12,
                 what="row biased variances of LayerNorm(8, eps=0, elementwise_affine=False)(x)",
                 oracle="the definition", hint="use the biased variance (divide by D)")


def test_layernorm_rejects_a_wrong_trailing_shape():
    with pytest.raises(ValueError):
        LayerNormFunction.apply(torch.zeros(3, 5), (4,), None, None, 1e-5)


def test_layernorm_float32_matches_torch():
    """LayerNorm matches torch in float32."""
    mine, ref = twins(LayerNorm(16), nn.LayerNorm(16), dtype=torch.float32)
    x = _randn(4, 16, seed=67, dtype=torch.float32)
    _assert_same_step(mine, ref, x, "LayerNorm(16) in float32", "compute in x's dtype",
                      tol={"rtol": 1e-5, "atol": 1e-5})


# --------------------------------------------------------------------------------------------
# RMSNorm
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_weight", [True, False])
def test_rms_norm_function_gradcheck(with_weight):
    """The RMS norm function passes gradcheck."""
    x = _randn(3, 2, 5, seed=70, shift=0.5)
    if with_weight:
        w = _randn(5, seed=71)
        assert_gradcheck(lambda x, w: RMSNormFunction.apply(x, (5,), w, 1e-6), [x, w],
                         what="RMSNormFunction with a weight")
    else:
        assert_gradcheck(lambda x: RMSNormFunction.apply(x, (5,), None, 1e-6), [x],
                         what="RMSNormFunction with weight=None")


@pytest.mark.parametrize("normalized_shape,x_shape,kwargs", [
    (6, (4, 6), {"eps": 1e-5}),
    ((2, 3), (3, 2, 3), {"eps": 0.25}),
    (5, (2, 3, 5), {"eps": 1e-6, "elementwise_affine": False}),
    ((2, 4), (2, 4), {"eps": 1e-5}),
])
def test_rmsnorm_matches_torch(normalized_shape, x_shape, kwargs):
    mine, ref = twins(RMSNorm(normalized_shape, **kwargs), nn.RMSNorm(normalized_shape, **kwargs))
    x = _randn(*x_shape, seed=72, scale=2.0, shift=0.7)
    _assert_same_step(mine, ref, x, f"RMSNorm({normalized_shape}, **{kwargs})",
                      "x / sqrt(mean(x ** 2) + eps) over the trailing axes: no mean subtracted, "
                      "eps inside the square root")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_rmsnorm_default_eps_is_the_machine_epsilon_of_the_input_dtype(dtype):
    # Inputs of size ~1e-4 have mean squares ~1e-8, comparable with float32's eps (1.2e-7):
    # the choice of eps changes the output well beyond the tolerance.
    mine, ref = twins(RMSNorm(4), nn.RMSNorm(4), dtype=dtype)
    x = _randn(3, 4, seed=73, dtype=dtype, scale=1e-4)
    tol = TOL if dtype == torch.float64 else {"rtol": 1e-5, "atol": 1e-5}
    _assert_same_step(mine, ref, x, f"RMSNorm(4) (eps=None) on {dtype} inputs of size 1e-4",
                      "eps=None means torch.finfo(x.dtype).eps, the INPUT's dtype", tol=tol)


def test_rmsnorm_is_scale_invariant():
    x = _randn(4, 6, seed=74)
    norm = RMSNorm(6, eps=1e-12).double()
    with torch.no_grad():
        norm.weight.copy_(_randn(6, seed=75))
    assert_close(norm(7.5 * x).detach(), norm(x).detach(), rtol=1e-9, atol=1e-9,
                 what="RMSNorm(6)(7.5 * x) vs RMSNorm(6)(x) with eps=1e-12",
                 oracle="scale invariance: x / rms(x) does not change when x is scaled by c > 0",
                 hint="divide by the root mean square of each row")


def test_rmsnorm_rejects_a_wrong_trailing_shape():
    with pytest.raises(ValueError):
        RMSNormFunction.apply(torch.zeros(2, 3), (2,), None, 1e-6)


# --------------------------------------------------------------------------------------------
# GroupNorm and InstanceNorm2d
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("groups", [1, 2, 6])
def test_group_norm_function_gradcheck(groups):
    """The group norm function passes gradcheck."""
    x = _randn(2, 6, 3, seed=80, scale=2.0, shift=1.0)
    w, b = _randn(6, seed=81), _randn(6, seed=82)
    assert_gradcheck(lambda x, w, b: GroupNormFunction.apply(x, groups, w, b, 1e-5), [x, w, b],
                     what=f"GroupNormFunction with {groups} groups on x of shape (2, 6, 3)")


def test_group_norm_function_gradcheck_without_affine():
    """The group norm function passes gradcheck without affine parameters."""
    x = _randn(3, 4, 2, 2, seed=83)
    assert_gradcheck(lambda x: GroupNormFunction.apply(x, 2, None, None, 1e-5), [x],
                     what="GroupNormFunction with weight=None and bias=None")


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
@pytest.mark.parametrize("x_shape", [(4, 6), (3, 6, 5), (2, 6, 3, 4)])
def test_groupnorm_matches_torch(groups, x_shape):
    mine, ref = twins(GroupNorm(groups, 6), nn.GroupNorm(groups, 6))
    x = _randn(*x_shape, seed=84, scale=2.0, shift=-1.0)
    _assert_same_step(mine, ref, x, f"GroupNorm({groups}, 6) on x of shape {x_shape}",
                      "group k holds CONSECUTIVE channels k*C/G ... (k+1)*C/G - 1; statistics "
                      "per sample over the group's channels and all positions")


@pytest.mark.parametrize("kwargs", [{"affine": False}, {"eps": 0.4}])
def test_groupnorm_options_match_torch(kwargs):
    mine, ref = twins(GroupNorm(2, 4, **kwargs), nn.GroupNorm(2, 4, **kwargs))
    x = _randn(3, 4, 5, seed=85, scale=0.5)
    _assert_same_step(mine, ref, x, f"GroupNorm(2, 4, **{kwargs})",
                      "affine=False: no weight or bias; eps inside the square root")


def test_groupnorm_groups_are_consecutive_channels():
    # Channels 0-1 (group 0) have scale 1 and channels 2-3 (group 1) scale 100: with
    # consecutive groups each group is normalised on its own scale.
    x = _randn(2, 4, 5, seed=86) * torch.tensor([1.0, 1.0, 100.0, 100.0], dtype=F64).view(1, 4, 1)
    y = GroupNorm(2, 4, affine=False).double()(x).detach()
    xg = x.reshape(2, 2, 10)
    expected = ((xg - xg.mean(-1, keepdim=True))
                / torch.sqrt(xg.var(-1, correction=0, keepdim=True) + 1e-5)).reshape(2, 4, 5)
    assert_close(y, expected, **TOL, what="GroupNorm(2, 4, affine=False)",
                 oracle="the closed form with groups {0, 1} and {2, 3}",
                 hint="x.reshape(N, G, -1) groups consecutive channels; a reshape to "
                      "(N, C // G, G, ...) would interleave them")


def test_groupnorm_output_of_a_sample_does_not_depend_on_the_batch():
    gn = GroupNorm(2, 4).double()
    x = _randn(5, 4, 3, seed=87, scale=3.0)
    assert_close(gn(x[2:3]).detach(), gn(x).detach()[2:3], **TOL,
                 what="GroupNorm: sample 2 alone vs inside a batch of 5",
                 oracle="the same sample's output (statistics are per sample)",
                 hint="do not reduce over the batch axis")


def test_groupnorm_rejects_groups_that_do_not_divide_the_channels():
    with pytest.raises(ValueError):
        GroupNormFunction.apply(torch.zeros(2, 6, 3), 4, None, None, 1e-5)


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("training", [True, False])
def test_instancenorm2d_matches_torch(affine, training):
    mine, ref = twins(InstanceNorm2d(3, affine=affine), nn.InstanceNorm2d(3, affine=affine))
    mine.train(training)
    ref.train(training)
    x = _randn(2, 3, 4, 5, seed=88, scale=2.0, shift=1.0)
    _assert_same_step(mine, ref, x, f"InstanceNorm2d(3, affine={affine}), training={training}",
                      "each (sample, channel) plane is normalised over its own H * W values")


def test_instancenorm2d_eps_matters():
    """InstanceNorm2d uses its eps."""
    mine, ref = twins(InstanceNorm2d(2, eps=0.5, affine=True),
                       nn.InstanceNorm2d(2, eps=0.5, affine=True))
    x = _randn(3, 2, 3, 3, seed=89, scale=0.5)
    _assert_same_step(mine, ref, x, "InstanceNorm2d(2, eps=0.5, affine=True)",
                      "eps inside the square root")


def test_instancenorm2d_rejects_non_4d_input():
    """InstanceNorm2d rejects input that is not 4-D."""
    with pytest.raises(ValueError):
        InstanceNorm2d(3)(torch.zeros(2, 3, 4))


# --------------------------------------------------------------------------------------------
# Every module: a hand-written backward, and no built-in normalisation
# --------------------------------------------------------------------------------------------

MODULES = {
    "BatchNorm1d": (lambda: BatchNorm1d(4), (5, 4, 3)),
    "BatchNorm2d": (lambda: BatchNorm2d(4), (3, 4, 2, 3)),
    "LayerNorm": (lambda: LayerNorm((4, 3)), (2, 4, 3)),
    "RMSNorm": (lambda: RMSNorm(3), (2, 4, 3)),
    "GroupNorm": (lambda: GroupNorm(2, 4), (3, 4, 5)),
    "InstanceNorm2d": (lambda: InstanceNorm2d(4, affine=True), (2, 4, 3, 3)),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_output_comes_from_your_autograd_function(name):
    """The output of each norm module comes from your autograd function."""
    make, shape = MODULES[name]
    module = make().double()
    x = _randn(*shape, seed=90).requires_grad_(True)
    _assert_custom_backward(module(x), f"{name} (training mode)")


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("name", list(MODULES))
def test_no_builtin_normalisation_is_called(name, training):
    make, shape = MODULES[name]
    module = make().double().train(training)
    x = _randn(*shape, seed=91).requires_grad_(True)
    with forbidden(*BUILTINS, by=f"phase1.normalization.{name}"):
        out = module(x)
        out.backward(torch.ones_like(out))
    assert x.grad is not None, f"{name}: no gradient reached the input"


@pytest.mark.parametrize("fn,args", [
    (BatchNormFunction, lambda x, w: (x, w, w, 1e-5)),
    (LayerNormFunction, lambda x, w: (x, (4,), w, w, 1e-5)),
    (RMSNormFunction, lambda x, w: (x, (4,), w, 1e-5)),
    (GroupNormFunction, lambda x, w: (x, 2, w, w, 1e-5)),
], ids=["BatchNormFunction", "LayerNormFunction", "RMSNormFunction", "GroupNormFunction"])
def test_functions_call_no_builtin_normalisation(fn, args):
    """The norm functions call no builtin normalisation."""
    x = _randn(3, 4, seed=92).requires_grad_(True)
    w = _randn(4, seed=93).requires_grad_(True)
    with forbidden(*BUILTINS, by=f"phase1.normalization.{fn.__name__}"):
        out = fn.apply(*args(x, w))
        out.backward(torch.ones_like(out))
    assert x.grad is not None and w.grad is not None, (
        f"{fn.__name__}: gradients must reach x and weight")
