"""Hidden grading tests for phase1.losses.

Oracles: torch.nn.functional on the same inputs in float64 (values, and gradients through
autograd for the same random upstream gradient), torch.autograd.gradcheck, closed forms on hand
cases (focal loss, Huber, BCE at 0 and 1, hinge kinks, label smoothing as a mixture), and
formulas written out in this file (torchvision's sigmoid focal loss, SimCLR's NT-Xent with
explicit loops). Learner code runs with the built-ins it reimplements forbidden; the oracles run
outside those blocks.
"""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from phase1_testkit import comes_from

from phase1 import losses
from shared import assert_close, assert_gradcheck, expect_value_error, forbidden, rng

TOL = {"atol": 1e-10, "rtol": 1e-9}
D = torch.float64
REDUCTIONS = ["none", "mean", "sum"]

SOFTMAX = [
    "torch.nn.functional.log_softmax", "torch.nn.functional.softmax", "torch.log_softmax",
    "torch.softmax", "torch.Tensor.log_softmax", "torch.Tensor.softmax",
    "torch.special.log_softmax", "torch.special.softmax", "torch.logsumexp",
    "torch.Tensor.logsumexp", "torch.special.logsumexp", "aten._log_softmax", "aten._softmax",
    "aten.logsumexp",
]
NLL = ["torch.nn.functional.nll_loss", "torch.nn.functional.cross_entropy",
       "aten.nll_loss_forward", "aten.nll_loss2d_forward", "aten.cross_entropy_loss"]
BCE = ["torch.nn.functional.binary_cross_entropy",
       "torch.nn.functional.binary_cross_entropy_with_logits",
       "torch.binary_cross_entropy_with_logits", "aten.binary_cross_entropy",
       "aten.binary_cross_entropy_with_logits"]
HUBER = ["torch.nn.functional.huber_loss", "torch.nn.functional.smooth_l1_loss",
         "aten.huber_loss", "aten.smooth_l1_loss"]
HINGE = ["torch.nn.functional.multi_margin_loss", "aten.multi_margin_loss",
         "torch.nn.functional.hinge_embedding_loss", "torch.hinge_embedding_loss",
         "aten.hinge_embedding_loss"]

FORBID = {
    "mse_loss": ["torch.nn.functional.mse_loss", "aten.mse_loss"],
    "l1_loss": ["torch.nn.functional.l1_loss", "aten.l1_loss"],
    "huber_loss": HUBER,
    "smooth_l1_loss": HUBER,
    "binary_cross_entropy": BCE,
    "binary_cross_entropy_with_logits": BCE + [
        "torch.nn.functional.softplus", "torch.nn.functional.logsigmoid", "aten.softplus",
        "aten.log_sigmoid_forward"],
    "nll_loss": NLL,
    "cross_entropy": NLL + SOFTMAX,
    "focal_loss": NLL + SOFTMAX,
    "sigmoid_focal_loss": BCE + ["torch.nn.functional.softplus",
                                 "torch.nn.functional.logsigmoid"],
    "multi_margin_loss": HINGE,
    "hinge_loss": HINGE,
    "hinge_embedding_loss": HINGE,
    "kl_div": ["torch.nn.functional.kl_div", "torch.kl_div", "aten.kl_div"],
    "info_nce": NLL + SOFTMAX,
    "nt_xent": NLL + SOFTMAX,
    "triplet_margin_loss": [
        "torch.nn.functional.triplet_margin_loss", "torch.triplet_margin_loss",
        "aten.triplet_margin_loss", "torch.nn.functional.triplet_margin_with_distance_loss",
        "torch.nn.functional.pairwise_distance", "aten.pairwise_distance"],
    "cosine_embedding_loss": ["torch.nn.functional.cosine_embedding_loss",
                              "torch.cosine_embedding_loss", "aten.cosine_embedding_loss"],
    "margin_ranking_loss": ["torch.nn.functional.margin_ranking_loss",
                            "torch.margin_ranking_loss", "aten.margin_ranking_loss"],
}

FUNCTION_OF = {
    "mse_loss": "MSELossFunction", "l1_loss": "L1LossFunction", "huber_loss": "HuberLossFunction",
    "binary_cross_entropy": "BCELossFunction",
    "binary_cross_entropy_with_logits": "BCEWithLogitsFunction", "nll_loss": "NLLLossFunction",
    "cross_entropy": "CrossEntropyFunction", "focal_loss": "FocalLossFunction",
    "multi_margin_loss": "MultiMarginLossFunction", "hinge_loss": "HingeLossFunction",
    "hinge_embedding_loss": "HingeEmbeddingLossFunction", "kl_div": "KLDivFunction",
    "triplet_margin_loss": "TripletMarginLossFunction",
    "cosine_embedding_loss": "CosineEmbeddingLossFunction",
    "margin_ranking_loss": "MarginRankingLossFunction",
}


# --- helpers ---------------------------------------------------------------------------------


def data(seed, *shape, scale=1.0):
    return torch.from_numpy(rng(seed).standard_normal(shape) * scale)


def uniform(seed, *shape, low=0.0, high=1.0):
    return torch.from_numpy(rng(seed).uniform(low, high, shape))


def signs(seed, n):
    return torch.from_numpy(rng(seed).choice([-1.0, 1.0], n))


def check(name, ours, ref, inputs, *, names, what, hint, oracle=None, tol=None, seed=0):
    """Compare losses.<name> with the oracle: the value, then the gradient of every input.

    ours(*leaves) and ref(*leaves) take the differentiable inputs (everything else is closed
    over). Learner code, forward and backward, runs with FORBID[name] forbidden. The same random
    upstream gradient is sent back through both.
    """
    tol = TOL if tol is None else tol
    oracle = oracle or f"torch.nn.functional.{name} in float64"
    by = f"phase1.losses.{name}"
    ref_leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # F.kl_div warns about reduction="mean"
        expected = ref(*ref_leaves)
    gen = torch.Generator().manual_seed(seed)
    upstream = torch.randn(expected.shape, dtype=expected.dtype, generator=gen)
    expected.backward(upstream)

    leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
    with forbidden(*FORBID[name], by=by):
        got = ours(*leaves)
    if not isinstance(got, torch.Tensor):
        raise AssertionError(f"{what}: expected a tensor, got {type(got).__name__} {got!r}.")
    assert_close(got.detach(), expected.detach(), **tol, what=f"{what}: the loss",
                 oracle=oracle, hint=hint)
    if not got.requires_grad:
        raise AssertionError(f"{what}: the loss does not require grad, so no gradient can flow "
                             "back. Was it detached, or computed with .item()/.numpy()?")
    if name in FUNCTION_OF:
        fn_cls = getattr(losses, FUNCTION_OF[name])
        assert comes_from(got, fn_cls), (
            f"{what}: the result does not come out of {fn_cls.__name__}. Write a "
            f"torch.autograd.Function with its own backward ({fn_cls.__name__}) and return "
            f"{fn_cls.__name__}.apply(...), so that your backward, not autograd's, computes the "
            "gradient.")
    with forbidden(*FORBID[name], by=by):
        got.backward(upstream.to(got.dtype))
    for leaf, ref_leaf, arg in zip(leaves, ref_leaves, names, strict=True):
        if leaf.grad is None:
            raise AssertionError(f"{what}: no gradient reached {arg}; expected one ({oracle}). "
                                 "Does backward return a gradient in that position?")
        assert_close(leaf.grad, ref_leaf.grad, **tol,
                     what=f"{what}: the gradient with respect to {arg}",
                     oracle=f"autograd through {oracle}", hint=hint)


def value_of(name, call):
    """Run a learner call with the built-ins it reimplements forbidden."""
    with forbidden(*FORBID[name], by=f"phase1.losses.{name}"):
        return call()


# --- regression losses -----------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_matches_torch(reduction):
    x, y = data(1, 3, 4, 2), data(2, 3, 4, 2)
    check("mse_loss", lambda a, b: losses.mse_loss(a, b, reduction=reduction),
          lambda a, b: F.mse_loss(a, b, reduction=reduction), [x, y], names=("input", "target"),
          what=f"mse_loss(x, y, reduction={reduction!r}) for shape (3, 4, 2)",
          hint="loss = (x - y)^2; d/dx = 2 (x - y), d/dy = -2 (x - y); 'mean' divides by "
               "the number of ALL elements (24), not by the first dimension.")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss_matches_torch_including_ties(reduction):
    x, y = data(3, 4, 5), data(4, 4, 5)
    y[0, :3] = x[0, :3]  # ties: the gradient there is 0, like torch
    check("l1_loss", lambda a, b: losses.l1_loss(a, b, reduction=reduction),
          lambda a, b: F.l1_loss(a, b, reduction=reduction), [x, y], names=("input", "target"),
          what=f"l1_loss(x, y, reduction={reduction!r}), with x == y in 3 places",
          hint="d/dx = sign(x - y), which is 0 where x == y (torch.sign(0) = 0).")


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_huber_loss_matches_torch(delta, reduction):
    x, y = data(5, 6, 4, scale=2.0), data(6, 6, 4)
    check("huber_loss", lambda a, b: losses.huber_loss(a, b, reduction=reduction, delta=delta),
          lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=delta), [x, y],
          names=("input", "target"),
          what=f"huber_loss(x, y, reduction={reduction!r}, delta={delta})",
          hint="r^2/2 where |r| <= delta, delta (|r| - delta/2) elsewhere; the gradient is r "
               "clamped to [-delta, delta].")


def test_huber_gradient_at_the_kink_matches_torch():
    # residuals exactly at +-delta and just around it (all exactly representable)
    x = torch.tensor([1.5, -1.5, 1.25, 1.75, -1.75, 0.0], dtype=D)
    y = torch.zeros(6, dtype=D)
    check("huber_loss", lambda a, b: losses.huber_loss(a, b, reduction="sum", delta=1.5),
          lambda a, b: F.huber_loss(a, b, reduction="sum", delta=1.5), [x, y],
          names=("input", "target"),
          what="huber_loss with residuals [1.5, -1.5, 1.25, 1.75, -1.75, 0] and delta=1.5",
          hint="at |r| = delta both pieces have slope +-delta, so the gradient is r there.")


def test_huber_is_quadratic_for_small_residuals_and_linear_for_large_ones():
    x = torch.tensor([0.5, -0.5, 3.0, -3.0, 10.0], dtype=D)
    got = value_of("huber_loss", lambda: losses.huber_loss(x, torch.zeros(5, dtype=D),
                                                            reduction="none", delta=1.0))
    expected = torch.tensor([0.125, 0.125, 2.5, 2.5, 9.5], dtype=D)
    assert_close(got, expected, **TOL, what="huber_loss(r, 0, 'none', delta=1) for "
                 "r = [0.5, -0.5, 3, -3, 10]",
                 oracle="the closed form r^2/2 (|r| <= 1) and |r| - 1/2 (|r| > 1)",
                 hint="the linear part is delta * (|r| - delta / 2): it meets r^2/2 at |r| = "
                      "delta with the same slope.")


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_smooth_l1_loss_matches_torch(beta, reduction):
    """Smooth L1 loss matches torch."""
    x, y = data(7, 5, 4, scale=2.0), data(8, 5, 4)
    check("smooth_l1_loss",
          lambda a, b: losses.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
          lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta), [x, y],
          names=("input", "target"),
          what=f"smooth_l1_loss(x, y, reduction={reduction!r}, beta={beta})",
          hint="smooth_l1 = huber(delta=beta) / beta: r^2 / (2 beta) inside, |r| - beta/2 "
               "outside.")


def test_smooth_l1_with_beta_zero_is_l1():
    """Smooth L1 loss with beta zero equals L1 loss."""
    x, y = data(9, 4, 3), data(10, 4, 3)
    check("smooth_l1_loss", lambda a, b: losses.smooth_l1_loss(a, b, beta=0.0),
          lambda a, b: F.l1_loss(a, b), [x, y], names=("input", "target"),
          what="smooth_l1_loss(x, y, beta=0)", oracle="torch.nn.functional.l1_loss",
          hint="beta = 0 is exactly the L1 loss: do not divide by beta = 0 (nan).")


# --- binary cross-entropy --------------------------------------------------------------------


@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(with_weight, reduction):
    x, y = uniform(11, 5, 3, low=0.02, high=0.98), uniform(12, 5, 3)
    w = uniform(13, 1, 3, low=0.2, high=2.0) if with_weight else None
    check("binary_cross_entropy",
          lambda a: losses.binary_cross_entropy(a, y, weight=w, reduction=reduction),
          lambda a: F.binary_cross_entropy(a, y, weight=w, reduction=reduction), [x],
          names=("input",),
          what=f"binary_cross_entropy(x (5, 3), y, weight={'(1, 3)' if w is not None else None},"
               f" reduction={reduction!r})",
          hint="-w (y log x + (1 - y) log(1 - x)); with a weight, 'mean' still divides by the "
               "number of elements, not by the sum of the weights.")


def test_binary_cross_entropy_at_probabilities_zero_and_one():
    """Binary cross entropy clamps its logs and stays finite at probabilities zero and one."""
    x = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5, 1e-14], dtype=D)
    y = torch.tensor([0.0, 1.0, 1.0, 0.0, 0.5, 0.3], dtype=D)
    got = value_of("binary_cross_entropy",
                   lambda: losses.binary_cross_entropy(x, y, reduction="none"))
    closed = torch.tensor([0.0, 0.0, 100.0, 100.0, math.log(2.0),
                           -(0.3 * math.log(1e-14) + 0.7 * math.log1p(-1e-14))], dtype=D)
    assert_close(got, closed, **TOL, what="binary_cross_entropy at x = [0, 1, 0, 1, 0.5, 1e-14]",
                 oracle="the closed form with each log clamped at -100",
                 hint="log(0) = -inf and 0 * -inf = nan: clamp each log at -100 BEFORE "
                      "multiplying by y or 1 - y.")
    check("binary_cross_entropy",
          lambda a: losses.binary_cross_entropy(a, y, reduction="none"),
          lambda a: F.binary_cross_entropy(a, y, reduction="none"), [x], names=("input",),
          tol={"atol": 1e-10, "rtol": 1e-7},  # torch's 1e-12 floor is a float32 constant
          what="binary_cross_entropy at x = [0, 1, 0, 1, 0.5, 1e-14] (finite gradients)",
          hint="the gradient is w (x - y) / max(x (1 - x), 1e-12): finite at x = 0 and 1.")


@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight", "both"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_torch(options, reduction):
    x, y = data(14, 6, 3, scale=3.0), uniform(15, 6, 3)
    w = uniform(16, 6, 1, low=0.2, high=2.0) if options in ("weight", "both") else None
    pw = torch.tensor([0.5, 2.0, 4.0], dtype=D) if options in ("pos_weight", "both") else None
    check("binary_cross_entropy_with_logits",
          lambda a: losses.binary_cross_entropy_with_logits(a, y, weight=w, reduction=reduction,
                                                            pos_weight=pw),
          lambda a: F.binary_cross_entropy_with_logits(a, y, weight=w, reduction=reduction,
                                                       pos_weight=pw), [x],
          names=("input",),
          what=f"binary_cross_entropy_with_logits(x (6, 3), y, {options}, "
               f"reduction={reduction!r})",
          hint="loss = w (pw y softplus(-x) + (1 - y) softplus(x)): pos_weight multiplies only "
               "the positive term; gradient w (sigmoid(x) (pw y + 1 - y) - pw y).")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_binary_cross_entropy_with_logits_is_stable_for_huge_logits(dtype):
    x = torch.tensor([[1e4, -1e4, 1e4], [-1e4, 800.0, -800.0], [50.0, -50.0, 0.0]], dtype=dtype)
    y = torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.3, 0.7], [0.0, 1.0, 0.5]], dtype=dtype)
    pw = torch.tensor([2.0, 1.0, 0.5], dtype=dtype)
    tol = TOL if dtype == D else {}
    check("binary_cross_entropy_with_logits",
          lambda a: losses.binary_cross_entropy_with_logits(a, y, reduction="none",
                                                            pos_weight=pw),
          lambda a: F.binary_cross_entropy_with_logits(a, y, reduction="none", pos_weight=pw),
          [x], names=("input",), tol=tol,
          what=f"binary_cross_entropy_with_logits at logits +-1e4, +-800, +-50 ({dtype})",
          hint="never compute log(sigmoid(x)) or exp(-x) directly: -log sigmoid(x) = "
               "log(1 + exp(-|x|)) + max(-x, 0) is finite for every x.")


def test_bce_with_logits_gradcheck():
    """BCE with logits passes gradcheck."""
    x, y = data(17, 4, 3), uniform(18, 4, 3)
    w, pw = uniform(19, 4, 3, low=0.5, high=1.5), torch.tensor([0.5, 2.0, 3.0], dtype=D)
    assert_gradcheck(lambda a: value_of("binary_cross_entropy_with_logits",
                                        lambda: losses.binary_cross_entropy_with_logits(
                                            a, y, weight=w, reduction="none", pos_weight=pw)),
                     [x], what="binary_cross_entropy_with_logits (weight, pos_weight) backward")


# --- nll and cross-entropy -------------------------------------------------------------------


@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_torch(with_weight, ignore_index, reduction):
    """NLL loss matches torch."""
    logp = torch.log_softmax(data(20, 7, 4), dim=1)
    target = torch.tensor([0, 2, 1, 3, 2, 1, 0])
    if ignore_index == -100:
        target[[1, 4]] = -100
    w = uniform(21, 4, low=0.2, high=2.0) if with_weight else None
    check("nll_loss",
          lambda a: losses.nll_loss(a, target, weight=w, ignore_index=ignore_index,
                                    reduction=reduction),
          lambda a: F.nll_loss(a, target, weight=w, ignore_index=ignore_index,
                               reduction=reduction), [logp], names=("input",),
          what=f"nll_loss(logp (7, 4), targets with 2 ignored, weight={w is not None}, "
               f"ignore_index={ignore_index}, reduction={reduction!r})",
          hint="ignored targets add nothing to the sum AND nothing to the count; with weights "
               "'mean' divides by the sum of weight[target] over the non-ignored targets.")


def _ce_case(seed, kdim=False):
    if kdim:
        logits = data(seed, 3, 4, 2, 3, scale=2.0)  # (N, C, d1, d2)
        targets = torch.from_numpy(rng(seed + 1).integers(0, 4, (3, 2, 3)))
    else:
        logits = data(seed, 8, 5, scale=2.0)
        targets = torch.from_numpy(rng(seed + 1).integers(0, 5, 8))
    return logits, targets


CE_OPTIONS = [
    # (weight?, ignore_index, label_smoothing)
    (False, -100, 0.0), (True, -100, 0.0), (False, -100, 0.1), (True, -100, 0.3),
    (False, 2, 0.0), (True, 2, 0.0), (True, 2, 0.2), (True, -1, 0.15), (False, -1, 0.25),
]


@pytest.mark.parametrize("with_weight,ignore_index,label_smoothing", CE_OPTIONS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch_for_every_option(with_weight, ignore_index,
                                                      label_smoothing, reduction):
    logits, targets = _ce_case(22)
    num_classes = logits.shape[1]
    if ignore_index < 0:
        targets[[0, 5]] = ignore_index
    else:
        targets[[0, 5]] = ignore_index  # an in-range class id that is ignored
        targets[3] = (ignore_index + 1) % num_classes
    w = uniform(23, num_classes, low=0.2, high=3.0) if with_weight else None
    check("cross_entropy",
          lambda a: losses.cross_entropy(a, targets, weight=w, ignore_index=ignore_index,
                                         reduction=reduction, label_smoothing=label_smoothing),
          lambda a: F.cross_entropy(a, targets, weight=w, ignore_index=ignore_index,
                                    reduction=reduction, label_smoothing=label_smoothing),
          [logits], names=("logits",),
          what=f"cross_entropy(logits (8, 5), targets, weight={w is not None}, "
               f"ignore_index={ignore_index}, reduction={reduction!r}, "
               f"label_smoothing={label_smoothing})",
          hint="per position: (1 - eps) w[t] (-logp[t]) + (eps / C) sum_c w[c] (-logp[c]) "
               "(eps/C on every class, the true one included); ignored positions give 0 and "
               "'mean' divides by sum of w[t] over non-ignored positions only.")


@pytest.mark.parametrize("with_weight,ignore_index,label_smoothing",
                         [(False, -100, 0.0), (True, 1, 0.2), (True, -100, 0.1)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_handles_k_dimensional_inputs(with_weight, ignore_index, label_smoothing,
                                                    reduction):
    """Cross entropy handles k-dimensional inputs."""
    logits, targets = _ce_case(24, kdim=True)
    targets[0, 1, 2] = ignore_index
    targets[2, 0, 0] = ignore_index
    w = uniform(25, 4, low=0.2, high=3.0) if with_weight else None
    check("cross_entropy",
          lambda a: losses.cross_entropy(a, targets, weight=w, ignore_index=ignore_index,
                                         reduction=reduction, label_smoothing=label_smoothing),
          lambda a: F.cross_entropy(a, targets, weight=w, ignore_index=ignore_index,
                                    reduction=reduction, label_smoothing=label_smoothing),
          [logits], names=("logits",),
          what=f"cross_entropy(logits (3, 4, 2, 3), targets (3, 2, 3), weight={w is not None},"
               f" ignore_index={ignore_index}, reduction={reduction!r}, "
               f"label_smoothing={label_smoothing})",
          hint="the classes are on axis 1, not the last axis: move them last (movedim), "
               "compute, and move the gradient back; 'none' returns the targets' shape.")


@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_handles_k_dimensional_inputs(with_weight, reduction):
    """NLL loss handles k-dimensional inputs."""
    logits, targets = _ce_case(26, kdim=True)
    logp = torch.log_softmax(logits, dim=1)
    targets[1, 1, 1] = -100
    w = uniform(27, 4, low=0.2, high=3.0) if with_weight else None
    check("nll_loss", lambda a: losses.nll_loss(a, targets, weight=w, reduction=reduction),
          lambda a: F.nll_loss(a, targets, weight=w, reduction=reduction), [logp],
          names=("input",),
          what=f"nll_loss(logp (3, 4, 2, 3), targets (3, 2, 3), weight={w is not None}, "
               f"reduction={reduction!r})",
          hint="the classes are on axis 1; 'none' returns the targets' shape.")


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    logits, targets = _ce_case(28)
    leaf = logits.clone().requires_grad_(True)
    with forbidden(*FORBID["cross_entropy"], by="phase1.losses.cross_entropy"):
        losses.cross_entropy(leaf, targets).backward()
    onehot = F.one_hot(targets, 5).to(D)
    assert_close(leaf.grad, (torch.softmax(logits, 1) - onehot) / 8, **TOL,
                 what="d cross_entropy / d logits for logits (8, 5), reduction='mean'",
                 oracle="the closed form (softmax - one_hot) / N",
                 hint="backward: exp(logp) - one_hot, divided by N for 'mean', times the "
                      "upstream gradient.")


def test_cross_entropy_of_uniform_logits_is_log_c():
    for c in (2, 7, 100):
        logits = torch.full((3, c), 4.2, dtype=D)
        got = value_of("cross_entropy",
                       lambda logits=logits, c=c: losses.cross_entropy(
                           logits, torch.arange(3) % c))
        assert_close(got, math.log(c), **TOL, what=f"cross_entropy of equal logits, C={c}",
                     oracle="the closed form ln C (a uniform guess)",
                     hint="logsumexp of C equal logits z is z + ln C.")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_is_finite_for_extreme_logits(dtype, label_smoothing):
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [-1e4, -1e4, 1e4],
                           [1e4, 1e4, -1e4]], dtype=dtype)
    targets = torch.tensor([0, 0, 1, 2])
    tol = TOL if dtype == D else {}
    check("cross_entropy",
          lambda a: losses.cross_entropy(a, targets, reduction="none",
                                         label_smoothing=label_smoothing),
          lambda a: F.cross_entropy(a, targets, reduction="none",
                                    label_smoothing=label_smoothing), [logits],
          names=("logits",), tol=tol,
          what=f"cross_entropy at logits of +-1e4 ({dtype}, label_smoothing={label_smoothing})",
          hint="exp(1e4) overflows: subtract each row's max before exp (log-sum-exp), and "
               "compute log-probabilities as x - logsumexp(x), never log(softmax(x)).")


def test_label_smoothing_is_a_mixture_of_ce_and_uniform_ce():
    logits, targets = _ce_case(29)
    eps = 0.3
    got = value_of("cross_entropy",
                   lambda: losses.cross_entropy(logits, targets, reduction="none",
                                                label_smoothing=eps))
    logp = torch.log_softmax(logits, dim=1)
    ce = F.cross_entropy(logits, targets, reduction="none")
    expected = (1 - eps) * ce + eps * (-logp).mean(dim=1)
    assert_close(got, expected, **TOL,
                 what="cross_entropy(label_smoothing=0.3, reduction='none'), C=5",
                 oracle="(1 - eps) * CE + eps * mean over classes of -log p",
                 hint="the smoothed target puts eps / C on EVERY class (also the true one) and "
                      "1 - eps on top of that on the true class, not eps / (C - 1).")


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_all_targets_ignored_gives_nan_mean_and_zero_sum(name):
    logits = data(30, 3, 4)
    targets = torch.full((3,), -100)
    fn = getattr(losses, name)
    mean = value_of(name, lambda: fn(logits, targets))
    total = value_of(name, lambda: fn(logits, targets, reduction="sum"))
    assert bool(torch.isnan(mean)), (
        f"{name} with every target ignored and reduction='mean' should be 0/0 = nan (like "
        f"torch), got {float(mean)!r}. Hint: divide by the number (or total weight) of the "
        "non-ignored targets; do not clamp it to 1 or count the ignored ones.")
    assert_close(total, 0.0, **TOL, what=f"{name}(all ignored, reduction='sum')",
                 oracle="torch (nothing to add up)", hint="ignored positions contribute 0.")


def test_cross_entropy_gradcheck_with_every_option():
    """Cross entropy passes gradcheck with every option."""
    logits, targets = _ce_case(31, kdim=True)
    targets[0, 0, 1] = 3  # ignored below
    w = uniform(32, 4, low=0.2, high=3.0)
    for reduction in REDUCTIONS:
        assert_gradcheck(
            lambda a, r=reduction: value_of("cross_entropy", lambda: losses.cross_entropy(
                a, targets, weight=w, ignore_index=3, reduction=r, label_smoothing=0.2)),
            [logits], what=f"cross_entropy backward (K-dim, weight, ignore_index, smoothing, "
                           f"reduction={reduction!r})")


def test_nll_loss_gradcheck():
    """NLL loss passes gradcheck."""
    logp = torch.log_softmax(data(33, 6, 3), 1)
    targets = torch.tensor([0, 1, 2, -100, 1, 0])
    w = torch.tensor([0.5, 2.0, 1.5], dtype=D)
    assert_gradcheck(lambda a: value_of("nll_loss", lambda: losses.nll_loss(a, targets, w)),
                     [logp], what="nll_loss backward (weight, one ignored target)")


def test_cross_entropy_keeps_float32():
    """Cross entropy of float32 inputs stays in float32."""
    logits = data(34, 4, 3).float()
    got = value_of("cross_entropy", lambda: losses.cross_entropy(logits, torch.tensor(
        [0, 1, 2, 0])))
    assert got.dtype == torch.float32, (
        f"cross_entropy of float32 logits returned {got.dtype}; expected float32 (do not "
        "convert to float64 or create float64 constants that promote the result).")


# --- focal loss ------------------------------------------------------------------------------


def test_focal_loss_closed_form_on_hand_cases():
    """Focal loss matches its closed form on hand cases."""
    # logits [0, ln 3, 0] give p = [1/5, 3/5, 1/5]; [0, 0, ln 2] give p = [1/4, 1/4, 1/2].
    ln3, ln2 = math.log(3.0), math.log(2.0)
    logits = torch.tensor([[0.0, ln3, 0.0], [0.0, ln3, 0.0], [0.0, 0.0, ln2]], dtype=D)
    targets = torch.tensor([1, 0, 2])
    alpha = torch.tensor([0.25, 0.75, 0.5], dtype=D)
    for gamma in (0.0, 1.0, 2.0, 0.5):
        got = value_of("focal_loss", lambda g=gamma: losses.focal_loss(
            logits, targets, gamma=g, alpha=alpha, reduction="none"))
        p_t = [0.6, 0.2, 0.5]
        a_t = [0.75, 0.25, 0.5]
        expected = [-a * (1 - p) ** gamma * math.log(p) for a, p in zip(a_t, p_t, strict=True)]
        assert_close(got, torch.tensor(expected, dtype=D), **TOL,
                     what=f"focal_loss(reduction='none', gamma={gamma}) on rows with p_t = "
                          "0.6, 0.2, 0.5",
                     oracle="the closed form -alpha[t] (1 - p_t)^gamma log p_t",
                     hint="p_t is the probability of the TARGET class of each row (not of "
                          "class 0 or of the argmax), and alpha is indexed by the target.")


@pytest.mark.parametrize("with_alpha", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_loss_at_gamma_zero_is_cross_entropy(with_alpha, reduction):
    logits, targets = _ce_case(35)
    alpha = uniform(36, 5, low=0.1, high=1.0) if with_alpha else None

    def ref(a):
        per_row = F.cross_entropy(a, targets, weight=alpha, reduction="none")
        return {"none": per_row, "mean": per_row.mean(), "sum": per_row.sum()}[reduction]

    check("focal_loss",
          lambda a: losses.focal_loss(a, targets, gamma=0.0, alpha=alpha, reduction=reduction),
          ref, [logits], names=("logits",),
          oracle="torch.nn.functional.cross_entropy(weight=alpha, reduction='none') reduced by "
                 "a plain mean/sum",
          what=f"focal_loss(gamma=0, alpha={alpha is not None}, reduction={reduction!r})",
          hint="at gamma = 0 the focal loss is alpha[t] * CE per row; 'mean' is the plain mean "
               "over N rows (alpha is not normalised).")


def _focal_closed_form(logits, targets, gamma, alpha):
    logp_t = torch.log_softmax(logits, dim=1).gather(1, targets[:, None])[:, 0]
    a_t = alpha[targets] if alpha is not None else 1.0
    return -a_t * (1 - logp_t.exp()) ** gamma * logp_t


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 3.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_loss_gradient_matches_autograd_of_the_closed_form(gamma, reduction):
    logits, targets = _ce_case(37)
    alpha = uniform(38, 5, low=0.1, high=1.0)

    def ref(a):
        per_row = _focal_closed_form(a, targets, gamma, alpha)
        return {"none": per_row, "mean": per_row.mean(), "sum": per_row.sum()}[reduction]

    check("focal_loss",
          lambda a: losses.focal_loss(a, targets, gamma=gamma, alpha=alpha, reduction=reduction),
          ref, [logits], names=("logits",),
          oracle="autograd of -alpha[t] (1 - p_t)^gamma log p_t written with torch.log_softmax",
          what=f"focal_loss(gamma={gamma}, alpha (5,), reduction={reduction!r})",
          hint="d loss / d logits = alpha_t ((1-p_t)^g - g (1-p_t)^(g-1) p_t log p_t) "
               "(p - one_hot): the product rule on both factors, then the softmax chain rule.")


def test_focal_loss_gradcheck():
    """Focal loss passes gradcheck."""
    logits, targets = _ce_case(39)
    alpha = uniform(40, 5, low=0.1, high=1.0)
    for gamma in (0.0, 0.5, 2.0):
        assert_gradcheck(lambda a, g=gamma: value_of("focal_loss", lambda: losses.focal_loss(
            a, targets, gamma=g, alpha=alpha, reduction="none")), [logits],
            what=f"focal_loss backward (gamma={gamma})")


def test_focal_loss_down_weights_easy_examples_by_the_focal_factor():
    logits, targets = _ce_case(41)
    gamma = 2.0
    focal = value_of("focal_loss", lambda: losses.focal_loss(logits, targets, gamma=gamma,
                                                             reduction="none"))
    ce = F.cross_entropy(logits, targets, reduction="none")
    p_t = torch.exp(-ce)
    assert_close(focal / ce, (1 - p_t) ** gamma, **TOL,
                 what="focal_loss / cross_entropy per row (gamma=2)",
                 oracle="the focal factor (1 - p_t)^gamma",
                 hint="the only difference from CE is the factor (1 - p_t)^gamma.")
    easy = int(torch.argmax(p_t))
    hard = int(torch.argmin(p_t))
    assert focal[easy] / ce[easy] < focal[hard] / ce[hard], (
        "the easiest example (largest p_t) should be down-weighted more than the hardest.")


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_focal_loss_is_finite_for_extreme_logits(gamma):
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [0.0, 0.0, 1e4]],
                          dtype=torch.float32, requires_grad=True)
    targets = torch.tensor([0, 0, 2])  # confident right, confident wrong, confident right
    with forbidden(*FORBID["focal_loss"], by="phase1.losses.focal_loss"):
        loss = losses.focal_loss(logits, targets, gamma=gamma, reduction="none")
        loss.sum().backward()
    expected = torch.tensor([0.0, 2e4, 0.0])
    assert_close(loss.detach(), expected, what=f"focal_loss at logits +-1e4 (gamma={gamma})",
                 oracle="the closed form: 0 when p_t = 1, -log p_t = 2e4 when wrong",
                 hint="compute log p_t with log-sum-exp and 1 - p_t as -expm1(log p_t); "
                      "0 ** 0 is 1 but 0 * inf is nan.")
    grad = logits.grad
    assert bool(torch.isfinite(grad).all()), (
        f"focal_loss's gradient at logits +-1e4 (gamma={gamma}) has inf/nan: {grad.tolist()}. "
        "Hint: (1 - p_t)^(gamma - 1) is inf at p_t = 1 for gamma < 1; the whole term's limit "
        "there is 0, so handle p_t = 1 separately.")
    expected_grad = torch.tensor([[0.0, 0.0, 0.0], [-1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    assert_close(grad, expected_grad, what=f"focal_loss's gradient at logits +-1e4 "
                 f"(gamma={gamma}, reduction='none', summed)",
                 oracle="the closed form: 0 for the confident right rows, p - one_hot for the "
                        "confident wrong row (p_t = 0, so the factor is 1)",
                 hint="with p_t = 0 the factor (1 - p_t)^gamma - gamma ... p_t log p_t is 1.")


@pytest.mark.parametrize("alpha", [0.25, -1.0])
@pytest.mark.parametrize("gamma", [0.0, 2.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_focal_loss_matches_torchvision_formula(alpha, gamma, reduction):
    x, y = data(42, 5, 3, scale=2.0), (uniform(43, 5, 3) > 0.5).to(D)

    def torchvision_formula(inputs):  # torchvision.ops.sigmoid_focal_loss, written out
        p = torch.sigmoid(inputs)
        ce = F.binary_cross_entropy_with_logits(inputs, y, reduction="none")
        p_t = p * y + (1 - p) * (1 - y)
        loss = ce * ((1 - p_t) ** gamma)
        if alpha >= 0:
            loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
        return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]

    check("sigmoid_focal_loss",
          lambda a: losses.sigmoid_focal_loss(a, y, alpha=alpha, gamma=gamma,
                                              reduction=reduction),
          torchvision_formula, [x], names=("inputs",),
          oracle="torchvision.ops.sigmoid_focal_loss's formula, written out with torch",
          what=f"sigmoid_focal_loss(alpha={alpha}, gamma={gamma}, reduction={reduction!r})",
          hint="alpha weighs the positives (alpha) and the negatives (1 - alpha); a negative "
               "alpha switches that off; p_t is p for y = 1 and 1 - p for y = 0.")


def test_sigmoid_focal_loss_gradcheck():
    """Sigmoid focal loss passes gradcheck."""
    x, y = data(44, 4, 3), uniform(45, 4, 3)
    assert_gradcheck(lambda a: value_of("sigmoid_focal_loss", lambda: losses.sigmoid_focal_loss(
        a, y, alpha=0.3, gamma=2.0)), [x], what="sigmoid_focal_loss backward")


# --- hinge losses ----------------------------------------------------------------------------


@pytest.mark.parametrize("p,margin", [(1, 1.0), (2, 0.4)])
@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss_matches_torch(p, margin, with_weight, reduction):
    x = data(46, 7, 4)
    target = torch.from_numpy(rng(47).integers(0, 4, 7))
    w = uniform(48, 4, low=0.2, high=2.0) if with_weight else None
    check("multi_margin_loss",
          lambda a: losses.multi_margin_loss(a, target, p=p, margin=margin, weight=w,
                                             reduction=reduction),
          lambda a: F.multi_margin_loss(a, target, p=p, margin=margin, weight=w,
                                        reduction=reduction), [x], names=("input",),
          what=f"multi_margin_loss(x (7, 4), p={p}, margin={margin}, weight={w is not None}, "
               f"reduction={reduction!r})",
          hint="sum over j != y of max(0, margin - x[y] + x[j])^p, times weight[y], divided by "
               "C; leave j = y out of the sum; the target's score gets minus the others' "
               "gradients.")


def test_multi_margin_loss_is_zero_when_every_margin_is_satisfied():
    x = torch.tensor([[5.0, 1.0, 0.5], [0.0, 3.0, 1.9], [-1.0, -2.0, 4.0]], dtype=D,
                     requires_grad=True)
    target = torch.tensor([0, 1, 2])
    with forbidden(*FORBID["multi_margin_loss"], by="phase1.losses.multi_margin_loss"):
        loss = losses.multi_margin_loss(x, target, reduction="sum")
        loss.backward()
    assert_close(loss.detach(), 0.0, **TOL, what="multi_margin_loss with every true score ahead "
                 "by more than the margin", oracle="the closed form 0",
                 hint="the true class must not contribute max(0, margin - x[y] + x[y]) = margin.")
    assert_close(x.grad, torch.zeros(3, 3, dtype=D), **TOL, what="its gradient",
                 oracle="the closed form 0", hint="inactive hinges have no gradient.")


@pytest.mark.parametrize("margin", [1.0, 0.3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss_matches_torch(margin, reduction):
    x, y = data(49, 4, 5), signs(50, 20).reshape(4, 5)
    check("hinge_embedding_loss",
          lambda a: losses.hinge_embedding_loss(a, y, margin=margin, reduction=reduction),
          lambda a: F.hinge_embedding_loss(a, y, margin=margin, reduction=reduction), [x],
          names=("input",),
          what=f"hinge_embedding_loss(x (4, 5), y = +-1, margin={margin}, "
               f"reduction={reduction!r})",
          hint="x where y == 1 (no margin there), max(0, margin - x) where y == -1.")


@pytest.mark.parametrize("margin", [1.0, 0.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_loss_matches_closed_form_and_two_class_multi_margin(margin, reduction):
    """Hinge loss matches its closed form and the two-class multi-margin loss."""
    s, y = data(51, 9), signs(52, 9)

    def closed_form(a):
        loss = torch.clamp(margin - y * a, min=0)
        return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]

    check("hinge_loss", lambda a: losses.hinge_loss(a, y, margin=margin, reduction=reduction),
          closed_form, [s], names=("input",), oracle="the closed form max(0, margin - y s)",
          what=f"hinge_loss(s (9,), y = +-1, margin={margin}, reduction={reduction!r})",
          hint="max(0, margin - y * s); the gradient is -y where the hinge is active.")
    got = value_of("hinge_loss", lambda: losses.hinge_loss(s, y, margin=margin, reduction="sum"))
    two_class = 2 * F.multi_margin_loss(torch.stack([torch.zeros(9, dtype=D), s], dim=1),
                                        ((y + 1) / 2).long(), margin=margin, reduction="sum")
    assert_close(got, two_class, **TOL, what="hinge_loss(reduction='sum')",
                 oracle="2 * torch.nn.functional.multi_margin_loss on scores [0, s]",
                 hint="binary hinge is the two-class multi-class hinge.")


def test_hinges_have_zero_gradient_exactly_at_the_kink():
    cases = [
        ("multi_margin_loss",
         lambda a: losses.multi_margin_loss(a, torch.tensor([0]), reduction="sum"),
         torch.tensor([[1.0, 0.0, 0.5]], dtype=D),
         torch.tensor([[-1 / 3, 0.0, 1 / 3]], dtype=D)),
        ("hinge_loss",
         lambda a: losses.hinge_loss(a, torch.tensor([1.0, 1.0, 1.0], dtype=D), reduction="sum"),
         torch.tensor([1.0, 0.5, -2.0], dtype=D), torch.tensor([0.0, -1.0, -1.0], dtype=D)),
        ("hinge_embedding_loss",
         lambda a: losses.hinge_embedding_loss(a, torch.tensor([-1.0, -1.0, 1.0], dtype=D),
                                               reduction="sum"),
         torch.tensor([1.0, 0.5, 2.0], dtype=D), torch.tensor([0.0, -1.0, 1.0], dtype=D)),
        ("margin_ranking_loss",
         lambda a: losses.margin_ranking_loss(a, torch.zeros(2, dtype=D),
                                              torch.tensor([1.0, 1.0], dtype=D), margin=1.0,
                                              reduction="sum"),
         torch.tensor([1.0, 0.0], dtype=D), torch.tensor([0.0, -1.0], dtype=D)),
    ]
    for name, call, x, expected in cases:
        leaf = x.clone().requires_grad_(True)
        with forbidden(*FORBID[name], by=f"phase1.losses.{name}"):
            call(leaf).backward()
        assert_close(leaf.grad, expected, **TOL,
                     what=f"the gradient of {name} on a hand case with one hinge exactly at 0",
                     oracle="the closed form; the docstring fixes the gradient at the kink to 0",
                     hint="a hinge max(0, z) is active only where z > 0 (strictly).")


def test_metric_losses_have_zero_gradient_exactly_at_the_kink():
    a = torch.tensor([[0.0, 0.0]], dtype=D, requires_grad=True)
    p = torch.tensor([[1.0, 0.0]], dtype=D, requires_grad=True)
    n = torch.tensor([[2.0, 0.0]], dtype=D, requires_grad=True)
    with forbidden(*FORBID["triplet_margin_loss"], by="phase1.losses.triplet_margin_loss"):
        losses.triplet_margin_loss(a, p, n, margin=1.0, eps=0.0).backward()
    for leaf, arg in [(a, "anchor"), (p, "positive"), (n, "negative")]:
        assert_close(leaf.grad, torch.zeros(1, 2, dtype=D), **TOL,
                     what=f"triplet_margin_loss's gradient for {arg} at d(a,p) - d(a,n) + "
                          "margin = 0 exactly",
                     oracle="the docstring: 0 gradient at the kink",
                     hint="the hinge is active only where its argument is > 0.")
    # orthogonal rows: cos = 0 = margin, while d cos / d x1 = x2 is not 0
    x1 = torch.tensor([[1.0, 0.0]], dtype=D, requires_grad=True)
    x2 = torch.tensor([[0.0, 2.0]], dtype=D, requires_grad=True)
    with forbidden(*FORBID["cosine_embedding_loss"], by="phase1.losses.cosine_embedding_loss"):
        losses.cosine_embedding_loss(x1, x2, torch.tensor([-1.0], dtype=D),
                                     margin=0.0).backward()
    assert_close(x1.grad, torch.zeros(1, 2, dtype=D), **TOL,
                 what="cosine_embedding_loss's gradient at cos - margin = 0 exactly (y = -1)",
                 oracle="the docstring: 0 gradient at the kink",
                 hint="max(0, cos - margin) is active only where cos - margin > 0.")


# --- KL divergence ---------------------------------------------------------------------------


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "batchmean"])
def test_kl_div_matches_torch(log_target, reduction):
    log_q = torch.log_softmax(data(53, 4, 5), dim=1)
    p = torch.softmax(data(54, 4, 5), dim=1)
    p[0, 2] = 0.0  # a zero-probability class: contributes 0, not nan
    target = torch.log_softmax(data(55, 4, 5), dim=1) if log_target else p
    check("kl_div",
          lambda a: losses.kl_div(a, target, reduction=reduction, log_target=log_target),
          lambda a: F.kl_div(a, target, reduction=reduction, log_target=log_target), [log_q],
          names=("input",),
          what=f"kl_div(log q (4, 5), target, reduction={reduction!r}, log_target={log_target})",
          hint="input is log q and target is p: terms p (log p - input), 0 where p = 0; "
               "'batchmean' divides the sum by input.shape[0], 'mean' by the number of "
               "elements.")


def test_kl_div_is_kl_of_target_from_input_not_the_reverse():
    log_q = torch.log(torch.tensor([[0.7, 0.2, 0.1]], dtype=D))
    p = torch.tensor([[0.1, 0.3, 0.6]], dtype=D)
    got = value_of("kl_div", lambda: losses.kl_div(log_q, p, reduction="sum"))
    kl_p_q = sum(pi * math.log(pi / qi) for pi, qi in zip([0.1, 0.3, 0.6], [0.7, 0.2, 0.1],
                                                          strict=True))
    assert_close(got, kl_p_q, **TOL, what="kl_div(log q, p, 'sum') for q = [.7, .2, .1], "
                 "p = [.1, .3, .6]", oracle="KL(p || q) = sum p log(p / q) (closed form)",
                 hint="the first argument is the MODEL's log-probabilities log q, the second "
                      "is the reference p: the result is KL(target || exp(input)).")


def test_kl_div_gradcheck():
    """KL div passes gradcheck."""
    log_q = torch.log_softmax(data(56, 3, 4), dim=1)
    p = torch.softmax(data(57, 3, 4), dim=1)
    for log_target in (False, True):
        target = torch.log(p) if log_target else p
        def fn(a, t=target, lt=log_target):
            return value_of("kl_div", lambda: losses.kl_div(a, t, reduction="batchmean",
                                                            log_target=lt))

        assert_gradcheck(fn, [log_q], what=f"kl_div backward (batchmean, log_target={log_target})")


# --- contrastive and metric-learning losses --------------------------------------------------


@pytest.mark.parametrize("temperature", [0.1, 1.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_info_nce_equals_cross_entropy_of_the_cosine_similarity_matrix(temperature, reduction):
    q, k = data(58, 6, 4), data(59, 6, 4)

    def ref(a, b):
        sim = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T / temperature
        return F.cross_entropy(sim, torch.arange(6), reduction=reduction)

    check("info_nce", lambda a, b: losses.info_nce(a, b, temperature=temperature,
                                                   reduction=reduction),
          ref, [q, k], names=("query", "keys"),
          oracle="torch.nn.functional.cross_entropy(cos_sim(q, k) / tau, arange(N))",
          what=f"info_nce(q (6, 4), k (6, 4), temperature={temperature}, "
               f"reduction={reduction!r})",
          hint="normalise the rows, sim = q k^T / tau, and row i's target is column i.")


def _simclr_formula(z1, z2, tau):
    """NT-Xent with explicit loops (SimCLR, eq. 1), in float64 NumPy."""
    z = np.concatenate([z1, z2])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n2, n = len(z), len(z1)
    out = []
    for i in range(n2):
        pos = i + n if i < n else i - n
        numerator = math.exp(float(z[i] @ z[pos]) / tau)
        denominator = sum(math.exp(float(z[i] @ z[k]) / tau) for k in range(n2) if k != i)
        out.append(-math.log(numerator / denominator))
    return np.array(out)


def _simclr_torch(z1, z2, tau):
    """The same formula with torch ops, row by row, for autograd's gradients."""
    z = torch.cat([z1, z2])
    z = z / torch.sqrt((z * z).sum(dim=1, keepdim=True))
    n2, n = z.shape[0], z1.shape[0]
    rows = []
    for i in range(n2):
        pos = i + n if i < n else i - n
        sims = (z @ z[i]) / tau
        others = torch.cat([sims[:i], sims[i + 1:]])
        rows.append(torch.log(torch.exp(others).sum()) - sims[pos])
    return torch.stack(rows)


@pytest.mark.parametrize("temperature", [0.5, 0.1])
def test_nt_xent_matches_the_simclr_formula(temperature):
    z1, z2 = data(60, 4, 3), data(61, 4, 3)
    got = value_of("nt_xent", lambda: losses.nt_xent(z1, z2, temperature=temperature,
                                                     reduction="none"))
    expected = _simclr_formula(z1.numpy(), z2.numpy(), temperature)
    hint = ("view i's positive is the other view of the same example (i + N or i - N); the "
            "denominator sums exp(sim) over every k != i: the positive is included, the view "
            "itself is not (mask the diagonal).")
    assert_close(got, expected, **TOL,
                 what=f"nt_xent(z1 (4, 3), z2 (4, 3), temperature={temperature}, 'none')",
                 oracle="SimCLR's NT-Xent written with explicit loops in NumPy", hint=hint)
    for reduction, reduce in [("mean", np.mean), ("sum", np.sum)]:
        got = value_of("nt_xent", lambda r=reduction: losses.nt_xent(
            z1, z2, temperature=temperature, reduction=r))
        assert_close(got, reduce(expected), **TOL,
                     what=f"nt_xent(..., temperature={temperature}, reduction={reduction!r})",
                     oracle="SimCLR's NT-Xent with explicit loops", hint=hint)


def test_nt_xent_gradients_match_autograd_of_the_formula():
    z1, z2 = data(62, 5, 3), data(63, 5, 3)
    for reduction in REDUCTIONS:
        def ref(a, b, r=reduction):
            rows = _simclr_torch(a, b, 0.3)
            return {"none": rows, "mean": rows.mean(), "sum": rows.sum()}[r]

        check("nt_xent", lambda a, b, r=reduction: losses.nt_xent(a, b, temperature=0.3,
                                                                  reduction=r),
              ref, [z1, z2], names=("z1", "z2"),
              oracle="autograd through SimCLR's formula written row by row",
              what=f"nt_xent(z1 (5, 3), z2 (5, 3), temperature=0.3, reduction={reduction!r})",
              hint="view i's positive is the other view of example i; mask only the diagonal.")


def test_nt_xent_gradcheck():
    """NT-Xent passes gradcheck."""
    z1, z2 = data(64, 3, 4), data(65, 3, 4)
    assert_gradcheck(lambda a, b: value_of("nt_xent", lambda: losses.nt_xent(
        a, b, temperature=0.5, reduction="none")), [z1, z2], what="nt_xent backward")


@pytest.mark.parametrize("p,swap", [(1.0, False), (2.0, False), (2.0, True), (3.0, True)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_loss_matches_torch(p, swap, reduction):
    a, pos, neg = data(66, 8, 3), data(67, 8, 3), data(68, 8, 3)
    margin = 1.5
    check("triplet_margin_loss",
          lambda x, y, z: losses.triplet_margin_loss(x, y, z, margin=margin, p=p, swap=swap,
                                                     reduction=reduction),
          lambda x, y, z: F.triplet_margin_loss(x, y, z, margin=margin, p=p, swap=swap,
                                                reduction=reduction),
          [a, pos, neg], names=("anchor", "positive", "negative"),
          what=f"triplet_margin_loss((8, 3) x 3, margin={margin}, p={p}, swap={swap}, "
               f"reduction={reduction!r})",
          hint="d(a, b) = ||a - b + eps||_p; max(0, d(a,p) - d(a,n) + margin); with swap the "
               "negative distance is min(d(a,n), d(p,n)) and its gradient goes to p and n.")


def test_triplet_margin_loss_adds_eps_to_the_difference():
    a, pos, neg = data(69, 4, 3), data(70, 4, 3), data(71, 4, 3)
    check("triplet_margin_loss",
          lambda x, y, z: losses.triplet_margin_loss(x, y, z, margin=0.5, eps=0.1,
                                                     reduction="none"),
          lambda x, y, z: F.triplet_margin_loss(x, y, z, margin=0.5, eps=0.1, reduction="none"),
          [a, pos, neg], names=("anchor", "positive", "negative"),
          what="triplet_margin_loss(margin=0.5, eps=0.1, reduction='none')",
          hint="eps is added to each coordinate of the difference a - b, before the norm.")


def test_triplet_margin_loss_gradcheck():
    """Triplet margin loss passes gradcheck."""
    a, pos, neg = data(72, 4, 3), data(73, 4, 3), data(74, 4, 3)
    for p, swap in [(2.0, False), (1.0, True), (3.0, True)]:
        assert_gradcheck(lambda x, y, z, p=p, s=swap: value_of(
            "triplet_margin_loss", lambda: losses.triplet_margin_loss(
                x, y, z, margin=2.0, p=p, swap=s, reduction="none")), [a, pos, neg],
            what=f"triplet_margin_loss backward (p={p}, swap={swap})")


@pytest.mark.parametrize("margin", [0.0, 0.3, -0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss_matches_torch(margin, reduction):
    x1, x2, y = data(75, 8, 4), data(76, 8, 4), signs(77, 8)
    check("cosine_embedding_loss",
          lambda a, b: losses.cosine_embedding_loss(a, b, y, margin=margin, reduction=reduction),
          lambda a, b: F.cosine_embedding_loss(a, b, y, margin=margin, reduction=reduction),
          [x1, x2], names=("input1", "input2"),
          what=f"cosine_embedding_loss(x1 (8, 4), x2 (8, 4), y = +-1, margin={margin}, "
               f"reduction={reduction!r})",
          hint="1 - cos for y = 1, max(0, cos - margin) for y = -1; d cos / d x1 = "
               "x2 / (|x1| |x2|) - cos x1 / |x1|^2.")


@pytest.mark.parametrize("margin", [0.0, 0.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss_matches_torch(margin, reduction):
    x1, x2, y = data(78, 10), data(79, 10), signs(80, 10)
    check("margin_ranking_loss",
          lambda a, b: losses.margin_ranking_loss(a, b, y, margin=margin, reduction=reduction),
          lambda a, b: F.margin_ranking_loss(a, b, y, margin=margin, reduction=reduction),
          [x1, x2], names=("input1", "input2"),
          what=f"margin_ranking_loss(x1 (10,), x2 (10,), y = +-1, margin={margin}, "
               f"reduction={reduction!r})",
          hint="max(0, -y (x1 - x2) + margin): y = 1 wants x1 above x2.")


def test_metric_losses_gradcheck():
    """The metric losses pass gradcheck."""
    x1, x2, y = data(81, 5, 3), data(82, 5, 3), signs(83, 5)
    assert_gradcheck(lambda a, b: value_of("cosine_embedding_loss",
                                           lambda: losses.cosine_embedding_loss(
                                               a, b, y, margin=-0.5, reduction="none")),
                     [x1, x2], what="cosine_embedding_loss backward")
    s1, s2, t = data(84, 6), data(85, 6), signs(86, 6)
    assert_gradcheck(lambda a, b: value_of("margin_ranking_loss",
                                           lambda: losses.margin_ranking_loss(
                                               a, b, t, margin=0.3, reduction="none")),
                     [s1, s2], what="margin_ranking_loss backward")
    m, mt = data(87, 4, 5), torch.tensor([0, 4, 2, 2])
    for p in (1, 2):
        assert_gradcheck(lambda a, p=p: value_of("multi_margin_loss",
                                                 lambda: losses.multi_margin_loss(
                                                     a, mt, p=p, margin=0.8, reduction="none")),
                         [m], what=f"multi_margin_loss backward (p={p})")


# --- argument checking -----------------------------------------------------------------------


def _calls_with_bad_reduction():
    x, y = data(88, 3, 4), uniform(89, 3, 4)
    c = torch.tensor([0, 1, 3])
    s = torch.tensor([1.0, -1.0, 1.0], dtype=D)
    return {
        "mse_loss": lambda r: losses.mse_loss(x, y, reduction=r),
        "l1_loss": lambda r: losses.l1_loss(x, y, reduction=r),
        "huber_loss": lambda r: losses.huber_loss(x, y, reduction=r),
        "smooth_l1_loss": lambda r: losses.smooth_l1_loss(x, y, reduction=r),
        "binary_cross_entropy": lambda r: losses.binary_cross_entropy(y, y, reduction=r),
        "binary_cross_entropy_with_logits":
            lambda r: losses.binary_cross_entropy_with_logits(x, y, reduction=r),
        "nll_loss": lambda r: losses.nll_loss(x, c, reduction=r),
        "cross_entropy": lambda r: losses.cross_entropy(x, c, reduction=r),
        "focal_loss": lambda r: losses.focal_loss(x, c, reduction=r),
        "sigmoid_focal_loss": lambda r: losses.sigmoid_focal_loss(x, y, reduction=r),
        "multi_margin_loss": lambda r: losses.multi_margin_loss(x, c, reduction=r),
        "hinge_loss": lambda r: losses.hinge_loss(x[:, 0], s, reduction=r),
        "hinge_embedding_loss": lambda r: losses.hinge_embedding_loss(x[:, 0], s, reduction=r),
        "kl_div": lambda r: losses.kl_div(x, y, reduction=r),
        "info_nce": lambda r: losses.info_nce(x, x, reduction=r),
        "nt_xent": lambda r: losses.nt_xent(x, x, reduction=r),
        "triplet_margin_loss": lambda r: losses.triplet_margin_loss(x, x, x, reduction=r),
        "cosine_embedding_loss": lambda r: losses.cosine_embedding_loss(x, x, s, reduction=r),
        "margin_ranking_loss": lambda r: losses.margin_ranking_loss(s, s, s, reduction=r),
    }


@pytest.mark.parametrize("name", sorted(FORBID))
def test_unknown_reduction_raises_value_error(name):
    call = _calls_with_bad_reduction()[name]
    expect_value_error(lambda: call("average"), f"{name}(..., reduction='average')",
                       "accept only 'none', 'mean' and 'sum' (kl_div also 'batchmean') and "
                       "raise ValueError otherwise, before any computation.")


def test_bad_arguments_raise_value_error():
    x, y = data(90, 3, 4), uniform(91, 3, 4)
    c = torch.tensor([0, 1, 3])
    s = torch.tensor([1.0, -1.0, 1.0], dtype=D)
    cases = [
        (lambda: losses.mse_loss(x, y[:, :3]), "mse_loss with shapes (3, 4) and (3, 3)",
         "no broadcasting: the shapes must match."),
        (lambda: losses.huber_loss(x, y, delta=0.0), "huber_loss(delta=0)", "delta must be > 0."),
        (lambda: losses.smooth_l1_loss(x, y, beta=-1.0), "smooth_l1_loss(beta=-1)",
         "beta must be >= 0."),
        (lambda: losses.binary_cross_entropy(x, y), "binary_cross_entropy on values outside "
         "[0, 1]", "input must be probabilities."),
        (lambda: losses.cross_entropy(x, torch.tensor([0, 1, 4])),
         "cross_entropy with a target 4 for C = 4", "targets must lie in [0, C)."),
        (lambda: losses.cross_entropy(x, torch.tensor([0, -1, 2])),
         "cross_entropy with a target -1 (ignore_index is -100)",
         "-1 is not ignore_index: it must not silently pick the last class."),
        (lambda: losses.cross_entropy(x, c, label_smoothing=1.5),
         "cross_entropy(label_smoothing=1.5)", "label_smoothing must lie in [0, 1]."),
        (lambda: losses.cross_entropy(x, c, weight=torch.ones(3, dtype=D)),
         "cross_entropy with a weight of shape (3,) for C = 4", "weight must be (C,)."),
        (lambda: losses.cross_entropy(x[0], c[0]), "cross_entropy on 1-D logits",
         "logits must be (N, C) or (N, C, d1, ...)."),
        (lambda: losses.cross_entropy(x, c[:2]), "cross_entropy with targets of shape (2,) for "
         "logits (3, 4)", "targets must be (N,)."),
        (lambda: losses.nll_loss(x, torch.tensor([0, 1, 7])), "nll_loss with a target 7 for "
         "C = 4", "targets must lie in [0, C)."),
        (lambda: losses.focal_loss(x, c, gamma=-1.0), "focal_loss(gamma=-1)",
         "gamma must be >= 0."),
        (lambda: losses.multi_margin_loss(x, c, p=3), "multi_margin_loss(p=3)",
         "p must be 1 or 2."),
        (lambda: losses.hinge_loss(x[:, 0], torch.tensor([1.0, 0.0, 1.0], dtype=D)),
         "hinge_loss with a label 0", "labels must be -1 or +1."),
        (lambda: losses.hinge_embedding_loss(x[:, 0], torch.tensor([1.0, 0.0, 1.0], dtype=D)),
         "hinge_embedding_loss with a label 0", "labels must be -1 or +1."),
        (lambda: losses.triplet_margin_loss(x, x, x, margin=0.0), "triplet_margin_loss("
         "margin=0)", "margin must be > 0 (like torch)."),
        (lambda: losses.info_nce(x, x, temperature=0.0), "info_nce(temperature=0)",
         "temperature must be > 0."),
        (lambda: losses.nt_xent(x, x[:2]), "nt_xent with z1 (3, 4) and z2 (2, 4)",
         "both views must have the same shape."),
        (lambda: losses.cosine_embedding_loss(x, x, torch.tensor([1.0, 0.0, -1.0], dtype=D)),
         "cosine_embedding_loss with a label 0", "labels must be -1 or +1."),
        (lambda: losses.margin_ranking_loss(s, s, torch.tensor([1.0, 2.0, -1.0], dtype=D)),
         "margin_ranking_loss with a label 2", "labels must be -1 or +1."),
    ]
    for call, what, hint in cases:
        expect_value_error(call, what, hint)
