"""Hidden tests for phase1.clipping.

Oracles: torch.nn.utils.clip_grad_norm_ and clip_grad_value_ applied to copies of the same
parameters and gradients (float64 and float32, every norm type); closed forms (the global norm
of gradients with known norms, the largest |entry| for the inf norm, torch's clip coefficient
min(1, max_norm / (total + 1e-6))). torch's own clipping functions are made to raise while the
learner's code runs.
"""

import math
from contextlib import contextmanager

import pytest
import torch
import torch.nn.utils.clip_grad as torch_clip_grad
from phase1_testkit import copy_params

import phase1.clipping as learner_module
from phase1.clipping import clip_grad_norm_, clip_grad_value_
from shared import ForbiddenCallError, assert_close

F64 = torch.float64
TOL = {"rtol": 1e-10, "atol": 1e-12}
SHAPES = ((3, 4), (5,), (2, 2, 3), (1,))


def _params(seed, scale, shapes=SHAPES, dtype=F64, no_grad=()):
    """Parameters with random gradients of size ~scale; those listed in no_grad have none."""
    gen = torch.Generator().manual_seed(seed)
    params = []
    for k, shape in enumerate(shapes):
        p = torch.nn.Parameter(torch.randn(shape, generator=gen, dtype=dtype))
        if k not in no_grad:
            p.grad = scale * torch.randn(shape, generator=gen, dtype=dtype)
        params.append(p)
    return params


@contextmanager
def _torch_clipping_forbidden(by):
    """Make torch's clipping functions raise, also where the learner imported them by name."""
    names = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
             "clip_grads_with_norm_", "_get_total_norm", "_clip_grads_with_norm_"]
    homes = [torch.nn.utils, torch_clip_grad]
    originals = {id(getattr(h, n)): n for h in homes for n in names if hasattr(h, n)}
    saved = []

    def refuser(name):
        def refuse(*args, **kwargs):
            raise ForbiddenCallError(f"{by} must not call torch.nn.utils.{name}: this exercise "
                                     "is to implement it yourself.")
        return refuse

    try:
        for home in [*homes, learner_module]:
            for attr, value in list(vars(home).items()):
                if id(value) in originals and callable(value):
                    saved.append((home, attr, value))
                    setattr(home, attr, refuser(originals[id(value)]))
        yield
    finally:
        for home, attr, value in reversed(saved):
            setattr(home, attr, value)


def _learner_norm(params, *args, **kwargs):
    with _torch_clipping_forbidden("phase1.clipping.clip_grad_norm_"):
        return clip_grad_norm_(params, *args, **kwargs)


def _learner_value(params, *args, **kwargs):
    with _torch_clipping_forbidden("phase1.clipping.clip_grad_value_"):
        return clip_grad_value_(params, *args, **kwargs)


def _assert_grads(mine, ref, what, oracle, hint, tol=TOL):
    for k, (p, q) in enumerate(zip(mine, ref, strict=True)):
        if q.grad is None:
            still_none = p.grad is None
            assert still_none, (
                f"{what}: parameter {k} had no gradient and must keep p.grad None; got a "
                f"{type(p.grad).__name__}. Skip parameters whose .grad is None.")
            continue
        assert_close(p.grad, q.grad, **tol, what=f"{what}: gradient {k} (shape "
                     f"{tuple(q.shape)})", oracle=oracle, hint=hint)


# --------------------------------------------------------------------------------------------
# clip_grad_norm_
# --------------------------------------------------------------------------------------------

NORM_CASES = [  # (scale of the gradients, max_norm, norm_type)
    (3.0, 1.0, 2.0),
    (0.01, 10.0, 2.0),
    (2.0, 3.0, 1.0),
    (2.0, 3.0, 1),
    (2.0, 0.7, 3.0),
    (2.0, 0.5, math.inf),
    (0.1, 5.0, float("inf")),
    (1.0, 4.9, 2.0),
]


@pytest.mark.parametrize("scale,max_norm,norm_type", NORM_CASES)
def test_clip_grad_norm_matches_torch(scale, max_norm, norm_type):
    mine = _params(10, scale)
    ref = copy_params(mine)
    grads_before = [p.grad for p in mine]
    what = f"clip_grad_norm_(max_norm={max_norm}, norm_type={norm_type}), gradients ~{scale}"
    got = _learner_norm(mine, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type)
    assert isinstance(got, torch.Tensor) and got.dim() == 0, (
        f"{what}: must return the total norm as a 0-dim tensor, got {got!r}")
    assert_close(got, expected, **TOL, what=f"{what}: the returned total norm",
                 oracle="torch.nn.utils.clip_grad_norm_",
                 hint="the p-norm of all gradients as one vector (the largest |entry| for "
                      "inf), measured BEFORE clipping")
    _assert_grads(mine, ref, what, "torch.nn.utils.clip_grad_norm_",
                  "multiply every gradient by the same min(1, max_norm / (total + 1e-6))")
    for k, (p, g) in enumerate(zip(mine, grads_before, strict=True)):
        if p.grad is not g:
            pytest.fail(f"{what}: gradient {k} was replaced by a new tensor; clip it in place "
                        "(e.g. p.grad.mul_(coef)) so that p.grad keeps its identity")


def test_total_norm_is_global_not_per_parameter():
    # Four gradients of 2-norm 0.8 each: each is below max_norm=1, but together their norm is
    # sqrt(4 * 0.64) = 1.6, so all four must shrink by 1 / (1.6 + 1e-6).
    gen = torch.Generator().manual_seed(20)
    params = []
    for _ in range(4):
        p = torch.nn.Parameter(torch.zeros(5, dtype=F64))
        g = torch.randn(5, generator=gen, dtype=F64)
        p.grad = 0.8 * g / g.norm()
        params.append(p)
    before = [p.grad.clone() for p in params]
    total = _learner_norm(params, 1.0)
    assert_close(total, 1.6, **TOL, what="total norm of 4 gradients of norm 0.8",
                 oracle="sqrt(4 * 0.8 ** 2) = 1.6 (closed form)",
                 hint="one norm over all gradients together, not a norm per parameter")
    for k, (p, g) in enumerate(zip(params, before, strict=True)):
        assert_close(p.grad, g / (1.6 + 1e-6), **TOL,
                     what=f"gradient {k}: each of norm 0.8 < max_norm=1, total norm 1.6",
                     oracle="g * 1 / (1.6 + 1e-6) (closed form)",
                     hint="clip by the GLOBAL norm: every gradient is scaled by the same factor, "
                          "even one whose own norm is below max_norm")


def test_returns_the_norm_before_clipping():
    """Clip grad norm returns the total norm from before clipping."""
    params = _params(21, scale=5.0)
    expected = torch.cat([p.grad.reshape(-1) for p in params]).norm()
    got = _learner_norm(params, 0.1)
    assert_close(got, expected, **TOL, what="the value returned by clip_grad_norm_(max_norm=0.1)",
                 oracle="the 2-norm of all gradients concatenated, before clipping",
                 hint="return the original total norm, not the norm after clipping (~0.1)")


def test_inf_norm_is_the_largest_absolute_entry():
    params = _params(22, scale=0.1)
    params[2].grad[1, 0, 2] = -4.0  # one large entry dominates the max, not the 2-norm
    before = [p.grad.clone() for p in params]
    got = _learner_norm(params, 1.0, norm_type=math.inf)
    assert_close(got, 4.0, **TOL, what="clip_grad_norm_(norm_type=inf) with largest |entry| 4",
                 oracle="max |g| over all entries (closed form)",
                 hint="the inf-norm is the largest absolute entry, not a 2-norm")
    for k, (p, g) in enumerate(zip(params, before, strict=True)):
        assert_close(p.grad, g / (4.0 + 1e-6), **TOL,
                     what=f"gradient {k} after clipping an inf-norm of 4 to max_norm=1",
                     oracle="g / (4 + 1e-6) (closed form)")


def test_clip_coefficient_is_max_norm_over_total_plus_1e_6():
    """The clip coefficient follows the documented formula, small epsilon included."""
    # With a total norm of 1e-3, the 1e-6 in torch's coefficient changes it by 0.1%.
    params = _params(23, scale=1.0)
    total = torch.cat([p.grad.reshape(-1) for p in params]).norm()
    for p in params:
        p.grad.mul_(1e-3 / total)
    before = [p.grad.clone() for p in params]
    _learner_norm(params, 5e-4)
    coef = 5e-4 / (1e-3 + 1e-6)
    for k, (p, g) in enumerate(zip(params, before, strict=True)):
        assert_close(p.grad, g * coef, **TOL,
                     what=f"gradient {k}: total norm 1e-3 clipped to max_norm=5e-4",
                     oracle="g * max_norm / (total + 1e-6), torch's coefficient",
                     hint="use torch's coefficient min(1, max_norm / (total + 1e-6))")


def test_at_exactly_max_norm_gradients_shrink_by_the_epsilon_only():
    params = _params(24, scale=1.0)
    total = torch.cat([p.grad.reshape(-1) for p in params]).norm().item()
    before = [p.grad.clone() for p in params]
    _learner_norm(params, total)
    for k, (p, g) in enumerate(zip(params, before, strict=True)):
        assert_close(p.grad, g * (total / (total + 1e-6)), **TOL,
                     what=f"gradient {k} when max_norm equals the total norm",
                     oracle="g * total / (total + 1e-6)")


def test_parameters_without_gradients_are_skipped():
    mine = _params(25, scale=3.0, no_grad=(0, 2))
    ref = copy_params(mine)
    got = _learner_norm(mine, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(ref, 1.0)
    assert_close(got, expected, **TOL, what="total norm with parameters 0 and 2 lacking .grad",
                 oracle="torch.nn.utils.clip_grad_norm_",
                 hint="skip parameters whose .grad is None")
    _assert_grads(mine, ref, "clip_grad_norm_ with some .grad None",
                  "torch.nn.utils.clip_grad_norm_", "skip parameters whose .grad is None")


def test_a_single_tensor_is_accepted():
    """Clip grad norm accepts a single tensor."""
    (mine,) = _params(26, scale=3.0, shapes=((4, 3),))
    (ref,) = copy_params([mine])
    got = _learner_norm(mine, 2.0)
    expected = torch.nn.utils.clip_grad_norm_(ref, 2.0)
    assert_close(got, expected, **TOL, what="clip_grad_norm_ on one tensor (not a list)",
                 oracle="torch.nn.utils.clip_grad_norm_",
                 hint="a single tensor means [tensor]; iterating over it would give its rows")
    assert_close(mine.grad, ref.grad, **TOL, what="the gradient of a single tensor, clipped",
                 oracle="torch.nn.utils.clip_grad_norm_")


def _models(seed, dtype=F64):
    torch.manual_seed(seed)
    mine = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    mine = mine.to(dtype)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    ref = ref.to(dtype)
    ref.load_state_dict(mine.state_dict())
    x = torch.randn(8, 4, dtype=dtype)
    for m in (mine, ref):
        (10 * m(x).pow(2).sum()).backward()
    return mine, ref


def test_a_generator_of_parameters_is_accepted():
    """Clip grad norm accepts a generator of parameters."""
    mine, ref = _models(27)
    got = _learner_norm(mine.parameters(), 1.0)  # a generator: it can be iterated only once
    expected = torch.nn.utils.clip_grad_norm_(ref.parameters(), 1.0)
    assert_close(got, expected, **TOL, what="clip_grad_norm_(model.parameters(), 1.0)",
                 oracle="torch.nn.utils.clip_grad_norm_",
                 hint="model.parameters() is a generator: turn it into a list once")
    _assert_grads(list(mine.parameters()), list(ref.parameters()),
                  "clip_grad_norm_(model.parameters(), 1.0)", "torch.nn.utils.clip_grad_norm_",
                  "model.parameters() is a generator: iterating it a second time gives nothing, "
                  "so make a list first")


def test_no_gradients_at_all_returns_zero():
    """Clip grad norm returns zero when no parameter has a gradient."""
    params = _params(28, scale=1.0, no_grad=(0, 1, 2, 3))
    got = _learner_norm(params, 1.0)
    assert isinstance(got, torch.Tensor) and got.dim() == 0 and got.item() == 0.0, (
        f"with no gradients, clip_grad_norm_ returns torch.tensor(0.0); got {got!r}")
    assert all(p.grad is None for p in params), "parameters without .grad must stay without"
    got = _learner_norm([], 1.0)
    assert isinstance(got, torch.Tensor) and got.item() == 0.0, (
        f"clip_grad_norm_([]) returns torch.tensor(0.0); got {got!r}")


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_error_if_nonfinite_raises_before_changing_gradients(bad):
    """With error_if_nonfinite, a non-finite norm raises before any gradient changes."""
    params = _params(29, scale=3.0)
    params[1].grad[2] = bad
    before = [p.grad.clone() for p in params]
    try:
        _learner_norm(params, 1.0, error_if_nonfinite=True)
    except NotImplementedError:  # a RuntimeError too: not the error asked for
        raise
    except RuntimeError:
        pass
    else:
        pytest.fail(f"a gradient holds {bad}, so the total norm is not finite: "
                    "clip_grad_norm_(..., error_if_nonfinite=True) must raise RuntimeError")
    for k, (p, g) in enumerate(zip(params, before, strict=True)):
        same = torch.equal(p.grad.isnan(), g.isnan()) and torch.equal(p.grad.nan_to_num(),
                                                                      g.nan_to_num())
        assert same is True, (
            f"gradient {k} changed although the error was raised: check the total norm and raise "
            "BEFORE scaling any gradient")


@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_nonfinite_norm_is_returned_when_errors_are_off(norm_type):
    """A non-finite norm is returned, not raised, when error_if_nonfinite is off."""
    params = _params(30, scale=1.0)
    params[0].grad[1, 1] = math.inf
    got = _learner_norm(params, 1.0, norm_type=norm_type, error_if_nonfinite=False)
    assert isinstance(got, torch.Tensor) and math.isinf(got.item()), (
        f"with an inf gradient and error_if_nonfinite=False, the total {norm_type}-norm is inf "
        f"and is returned without raising; got {got!r}")


def test_finite_norm_does_not_raise_with_error_if_nonfinite():
    """A finite norm does not raise when error_if_nonfinite is on."""
    mine = _params(31, scale=3.0)
    ref = copy_params(mine)
    got = _learner_norm(mine, 1.0, error_if_nonfinite=True)
    expected = torch.nn.utils.clip_grad_norm_(ref, 1.0, error_if_nonfinite=True)
    assert_close(got, expected, **TOL, what="clip_grad_norm_(error_if_nonfinite=True), finite",
                 oracle="torch.nn.utils.clip_grad_norm_")
    _assert_grads(mine, ref, "clip_grad_norm_(error_if_nonfinite=True)",
                  "torch.nn.utils.clip_grad_norm_", "raise only for nan or inf")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_total_norm_has_the_gradients_dtype(dtype):
    """The total norm has the dtype of the gradients."""
    params = _params(32, scale=2.0, dtype=dtype)
    got = _learner_norm(params, 1.0)
    assert isinstance(got, torch.Tensor) and got.dim() == 0 and got.dtype == dtype, (
        f"the total norm must be a 0-dim {dtype} tensor for {dtype} gradients; got {got!r}")


@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_clip_grad_norm_float32_matches_torch(norm_type):
    """Clip grad norm matches torch in float32."""
    mine, ref = _models(33, dtype=torch.float32)
    got = _learner_norm(mine.parameters(), 0.5, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5, norm_type)
    assert_close(got, expected, what=f"total {norm_type}-norm of a float32 model's gradients",
                 oracle="torch.nn.utils.clip_grad_norm_ (float32)")
    _assert_grads(list(mine.parameters()), list(ref.parameters()),
                  f"float32 gradients clipped to {norm_type}-norm 0.5",
                  "torch.nn.utils.clip_grad_norm_ (float32)",
                  "one coefficient for every gradient", tol={})


# --------------------------------------------------------------------------------------------
# clip_grad_value_
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("clip_value", [0.05, 0.5, 1, 100.0])
def test_clip_grad_value_matches_torch(clip_value):
    mine = _params(40, scale=1.0, no_grad=(1,))
    ref = copy_params(mine)
    grads_before = [p.grad for p in mine]
    out = _learner_value(mine, clip_value)
    torch.nn.utils.clip_grad_value_(ref, clip_value)
    assert out is None, f"clip_grad_value_ returns None (it works in place), got {out!r}"
    _assert_grads(mine, ref, f"clip_grad_value_({clip_value})",
                  "torch.nn.utils.clip_grad_value_",
                  f"clamp every entry into [-{clip_value}, {clip_value}]")
    for k, (p, g) in enumerate(zip(mine, grads_before, strict=True)):
        if p.grad is not g:
            pytest.fail(f"gradient {k} was replaced by a new tensor; clamp it in place "
                        "(p.grad.clamp_) so that p.grad keeps its identity")


def test_clip_grad_value_clamps_both_signs():
    p = torch.nn.Parameter(torch.zeros(6, dtype=F64))
    p.grad = torch.tensor([-3.0, -0.5, -0.1, 0.0, 0.2, 7.0], dtype=F64)
    _learner_value([p], 0.4)
    assert_close(p.grad, torch.tensor([-0.4, -0.4, -0.1, 0.0, 0.2, 0.4], dtype=F64), **TOL,
                 what="clip_grad_value_ with clip_value 0.4 on [-3, -0.5, -0.1, 0, 0.2, 7]",
                 oracle="the closed form clamp(g, -0.4, 0.4)",
                 hint="clip the negative side too; keep entries inside the range (and their sign)")


def test_clip_grad_value_accepts_a_tensor_and_a_generator():
    (p,) = _params(41, scale=2.0, shapes=((3, 3),))
    expected = p.grad.clamp(-0.3, 0.3)
    _learner_value(p, 0.3)
    assert_close(p.grad, expected, **TOL, what="clip_grad_value_ on a single tensor",
                 oracle="torch.clamp", hint="a single tensor means [tensor]")
    mine, ref = _models(42)
    _learner_value(mine.parameters(), 0.2)
    torch.nn.utils.clip_grad_value_(ref.parameters(), 0.2)
    _assert_grads(list(mine.parameters()), list(ref.parameters()),
                  "clip_grad_value_(model.parameters(), 0.2)", "torch.nn.utils.clip_grad_value_",
                  "model.parameters() is a generator")
