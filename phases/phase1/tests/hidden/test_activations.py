"""Hidden tests for phase1.activations.

Oracles: torch.nn.functional / torch.* and autograd through them (float64 at 1e-10, float32
with torch.testing's tolerances); torch.autograd.gradcheck; known derivative values
(sigma'(0) = 1/4, tanh'(0) = 1, gelu'(0) = silu'(0) = softplus'(0) = 1/2); extreme inputs
(+-1e4) where the true values are known; torch.heaviside for the step; a hand-written SwiGLU
built from torch.nn.functional.silu; and LLaMA's published hidden sizes (11008 for LLaMA-7B,
13824 for 13B, 22016 for 65B, 28672 for LLaMA-2 70B, 14336 for LLaMA-3 8B).
"""

import math
import warnings
from dataclasses import dataclass, field

import pytest
import torch
import torch.nn.functional as F

from phase1 import activations as A
from shared import assert_close, assert_gradcheck, forbidden

TOL64 = {"rtol": 1e-10, "atol": 1e-12}


def _heaviside(x):
    return torch.heaviside(x, torch.zeros((), dtype=x.dtype))


@dataclass
class Case:
    """One activation: how to call the learner's, the torch oracle, what is forbidden."""

    name: str  # the learner's function
    cls: str  # its autograd.Function
    kwargs: dict
    oracle: object
    forbid: tuple
    hint: str
    grad_hint: str
    kinks: tuple = field(default_factory=tuple)  # points where the derivative jumps

    def learner(self, x):
        return getattr(A, self.name)(x, **self.kwargs)

    @property
    def id(self):
        return self.name + "".join(f"-{k}={v}" for k, v in self.kwargs.items())


SIGMOID_FORBID = ("torch.sigmoid", "torch.Tensor.sigmoid", "torch.nn.functional.sigmoid",
                  "torch.special.expit", "aten.sigmoid")
CASES = [
    Case("step", "StepFunction", {}, _heaviside,
         ("torch.heaviside", "torch.Tensor.heaviside", "aten.heaviside"),
         "step(x) = 1 where x > 0 and 0 elsewhere (step(0) = 0), in x's dtype.",
         "the step's derivative is 0 everywhere it exists: return zeros, not None.", (0.0,)),
    Case("sigmoid", "SigmoidFunction", {}, torch.sigmoid, SIGMOID_FORBID,
         "1 / (1 + exp(-x)); for very negative x compute exp(x) / (1 + exp(x)) instead, so "
         "that no exp() of a large positive number appears.",
         "sigma'(x) = sigma(x) (1 - sigma(x))."),
    Case("tanh", "TanhFunction", {}, torch.tanh,
         ("torch.tanh", "torch.Tensor.tanh", "torch.nn.functional.tanh", "aten.tanh"),
         "tanh(x) = (1 - exp(-2|x|)) / (1 + exp(-2|x|)) with the sign of x avoids inf / inf.",
         "tanh'(x) = 1 - tanh(x)^2."),
    Case("relu", "ReLUFunction", {}, F.relu,
         ("torch.relu", "torch.Tensor.relu", "torch.nn.functional.relu", "aten.relu"),
         "relu(x) = max(x, 0).",
         "relu'(x) = 1 where x > 0, else 0, and 0 at exactly x = 0 (as the docstring says).",
         (0.0,)),
    Case("leaky_relu", "LeakyReLUFunction", {}, F.leaky_relu,
         ("torch.nn.functional.leaky_relu", "aten.leaky_relu"),
         "x where x > 0, negative_slope * x elsewhere.",
         "the derivative is negative_slope (not 0) where x <= 0.", (0.0,)),
    Case("leaky_relu", "LeakyReLUFunction", {"negative_slope": 0.2},
         lambda x: F.leaky_relu(x, 0.2), ("torch.nn.functional.leaky_relu", "aten.leaky_relu"),
         "x where x > 0, negative_slope * x elsewhere: use the slope you are given.",
         "the derivative is negative_slope where x <= 0: store the slope on ctx for backward.",
         (0.0,)),
    Case("gelu", "GELUFunction", {}, F.gelu, ("torch.nn.functional.gelu", "aten.gelu"),
         "exact GELU: x * (1 + erf(x / sqrt(2))) / 2.",
         "GELU'(x) = Phi(x) + x * phi(x) with phi(x) = exp(-x^2/2) / sqrt(2 pi)."),
    Case("gelu", "GELUFunction", {"approximate": "tanh"},
         lambda x: F.gelu(x, approximate="tanh"), ("torch.nn.functional.gelu", "aten.gelu"),
         "0.5 x (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))): check both constants.",
         "differentiate 0.5 x (1 + tanh(u)) with the product and chain rules: "
         "du/dx = sqrt(2 / pi) (1 + 3 * 0.044715 x^2)."),
    Case("silu", "SiLUFunction", {}, F.silu, ("torch.nn.functional.silu", "aten.silu"),
         "silu(x) = x * sigma(x), with a sigmoid that does not overflow.",
         "product rule: silu'(x) = sigma(x) + x * sigma(x) * (1 - sigma(x)); do not drop the "
         "second term."),
    Case("softplus", "SoftplusFunction", {}, F.softplus,
         ("torch.nn.functional.softplus", "aten.softplus"),
         "log(1 + exp(beta x)) / beta, and x itself where beta * x > threshold.",
         "softplus'(x) = sigma(beta x), and exactly 1 where beta * x > threshold."),
    Case("softplus", "SoftplusFunction", {"beta": 2.0, "threshold": 3.0},
         lambda x: F.softplus(x, beta=2.0, threshold=3.0),
         ("torch.nn.functional.softplus", "aten.softplus"),
         "log(1 + exp(beta x)) / beta, and x itself where beta * x > threshold: use both "
         "arguments.",
         "softplus'(x) = sigma(beta x) (the 1/beta cancels the chain rule's beta), and exactly "
         "1 where beta * x > threshold.", (1.5,)),
    Case("softplus", "SoftplusFunction", {"beta": 0.5, "threshold": 1.0},
         lambda x: F.softplus(x, beta=0.5, threshold=1.0),
         ("torch.nn.functional.softplus", "aten.softplus"),
         "log(1 + exp(beta x)) / beta, and x itself where beta * x > threshold (strictly).",
         "softplus'(x) = sigma(beta x), and exactly 1 where beta * x > threshold.", (2.0,)),
]
IDS = [c.id for c in CASES]


def check_grad_fn(out, case):
    name = type(out.grad_fn).__name__ if out.grad_fn is not None else None
    assert name == f"{case.cls}Backward", (
        f"{case.name}'s output has grad_fn {name}, not {case.cls}Backward. Hint: write a "
        f"torch.autograd.Function ({case.cls}) with its own backward, and return "
        f"{case.cls}.apply(...) itself from {case.name}.")


def run_learner(case, x, upstream):
    """The learner's output and input gradient, with the built-in forbidden throughout."""
    leaf = x.detach().clone().requires_grad_()
    before = leaf.detach().clone()
    with forbidden(*case.forbid, by=f"phase1.activations.{case.name}"):
        out = case.learner(leaf)
        check_grad_fn(out, case)
        out.backward(upstream)
    assert torch.equal(leaf.detach(), before), (
        f"{case.name} changed its input in place. Hint: build a new tensor; do not use "
        "in-place operations such as clamp_ or mul_ on x.")
    return out, leaf.grad


def run_oracle(case, x, upstream):
    if case.name == "step":  # torch.heaviside has no derivative; the spec says 0
        return case.oracle(x.detach()), torch.zeros_like(x)
    leaf = x.detach().clone().requires_grad_()
    out = case.oracle(leaf)
    out.backward(upstream)
    return out, leaf.grad


def compare(case, x, what, tol, seed=0):
    upstream = torch.randn(x.shape, dtype=x.dtype, generator=torch.Generator().manual_seed(seed))
    got, got_grad = run_learner(case, x, upstream)
    exp, exp_grad = run_oracle(case, x, upstream)
    oracle = f"torch's {case.name}" + (f" with {case.kwargs}" if case.kwargs else "")
    if case.name == "step":
        oracle = "torch.heaviside(x, values=0)"
    assert_close(got, exp, **tol, check_dtype=True, what=f"{case.id}: forward on {what}",
                 oracle=oracle, hint=case.hint)
    assert got_grad is not None, (
        f"{case.id}: no gradient reached x. Hint: backward must return a tensor for x.")
    assert_close(got_grad, exp_grad, **tol, what=f"{case.id}: gradient on {what}",
                 oracle=f"autograd through {oracle}", hint=case.grad_hint)


def sample(shape, seed, dtype=torch.float64, scale=3.0):
    return scale * torch.randn(shape, dtype=dtype, generator=torch.Generator().manual_seed(seed))


# ----------------------------------------------------------------------------------------------
# Every activation against torch
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_activation_matches_torch_in_float64(case):
    """Each activation matches torch in float64."""
    x = torch.cat([sample((60,), 1), torch.linspace(-8, 8, 65, dtype=torch.float64),
                   torch.tensor(case.kinks, dtype=torch.float64)]).reshape(-1, 1)
    compare(case, x.reshape(-1), "random and grid points in [-8, 8], kinks included", TOL64)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_activation_matches_torch_in_float32_for_any_shape(case):
    """Each activation matches torch in float32 for tensors of any shape."""
    x = sample((2, 3, 4, 5), 2, dtype=torch.float32)
    compare(case, x, "a float32 tensor of shape (2, 3, 4, 5)", {})
    compare(case, sample((4, 6), 3).T, "a non-contiguous (6, 4) float64 view", TOL64)


EXTREMES = [-1e4, -1e3, -100.0, -50.0, -20.0, -1.0, 0.0, 1.0, 20.0, 50.0, 100.0, 1e3, 1e4]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_activation_is_finite_and_correct_at_extreme_inputs(case, dtype):
    """Each activation and its gradient stay finite and correct at extreme inputs."""
    x = torch.tensor(EXTREMES, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got, grad = run_learner(case, x, torch.ones_like(x))
    bad = ~torch.isfinite(got) | ~torch.isfinite(grad)
    assert not bad.any(), (
        f"{case.id} in {dtype}: not finite at x = {x[bad].tolist()} (forward "
        f"{got[bad].tolist()}, gradient {grad[bad].tolist()}). Hint: exp() of a large positive "
        "number is inf and inf / inf or inf * 0 is nan: rewrite so that only exp(-|x|) "
        "appears, or handle the large side separately.")
    exp, exp_grad = run_oracle(case, x, torch.ones_like(x))
    tol = TOL64 if dtype == torch.float64 else {}
    assert_close(got, exp, **tol, what=f"{case.id}: forward at {EXTREMES} in {dtype}",
                 oracle=f"torch's {case.name}", hint=case.hint)
    assert_close(grad, exp_grad, **tol, what=f"{case.id}: gradient at {EXTREMES} in {dtype}",
                 oracle=f"autograd through torch's {case.name}", hint=case.grad_hint)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_activation_passes_gradcheck(case):
    """Each activation's gradient passes gradcheck."""
    x = sample((3, 4), 4, scale=2.0)
    for k in case.kinks:  # finite differences across a kink are meaningless: stay 0.05 away
        x = torch.where((x - k).abs() < 0.05, x + 0.1, x)
    with forbidden(*case.forbid, by=f"phase1.activations.{case.name}"):
        assert_gradcheck(case.learner, [x], what=f"{case.id}'s backward")


# ----------------------------------------------------------------------------------------------
# Conventions and known values
# ----------------------------------------------------------------------------------------------


def _grad_at(fn, values):
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    out = fn(x)
    out.backward(torch.ones_like(out))
    return out.detach(), x.grad


def test_relu_gradient_at_zero_is_zero():
    _, g = _grad_at(A.relu, [0.0, -0.0, 1e-300, -1e-300])
    assert_close(g, torch.tensor([0.0, 0.0, 1.0, 0.0], dtype=torch.float64),
                 what="relu's gradient at 0, -0, 1e-300 and -1e-300",
                 oracle="the docstring's convention (torch's): relu'(0) = 0",
                 hint="use x > 0 (strictly) in backward.")


def test_leaky_relu_gradient_at_zero_is_the_slope():
    _, g = _grad_at(lambda x: A.leaky_relu(x, 0.3), [0.0, 2.0, -2.0])
    assert_close(g, torch.tensor([0.3, 1.0, 0.3], dtype=torch.float64),
                 what="leaky_relu(x, 0.3)'s gradient at 0, 2 and -2",
                 oracle="the docstring's convention (torch's): the slope where x <= 0",
                 hint="the gradient is negative_slope wherever x is not > 0.")


def test_step_is_zero_at_zero_and_has_zero_gradient():
    out, g = _grad_at(A.step, [-3.0, 0.0, 1e-12, 5.0])
    assert_close(out, torch.tensor([0.0, 0.0, 1.0, 1.0], dtype=torch.float64),
                 what="step at -3, 0, 1e-12 and 5", oracle="the docstring: 1 where x > 0",
                 hint="step(0) = 0.")
    assert g is not None and out.dtype == torch.float64, (
        "step's backward must return a tensor of zeros (not None), and step keeps x's dtype.")
    assert_close(g, torch.zeros(4, dtype=torch.float64), what="step's gradient",
                 oracle="the derivative of a step: 0")


@pytest.mark.parametrize("name,kwargs,value", [
    ("sigmoid", {}, 0.25), ("tanh", {}, 1.0), ("gelu", {}, 0.5),
    ("gelu", {"approximate": "tanh"}, 0.5), ("silu", {}, 0.5), ("softplus", {}, 0.5),
    ("softplus", {"beta": 3.0}, 0.5)])
def test_known_derivatives_at_zero(name, kwargs, value):
    """Several activations have their known derivative at zero."""
    _, g = _grad_at(lambda x: getattr(A, name)(x, **kwargs), [0.0])
    assert_close(g, torch.tensor([value], dtype=torch.float64), **TOL64,
                 what=f"the derivative of {name}{kwargs or ''} at 0",
                 oracle="the closed form (sigma'(0) = 1/4, tanh'(0) = 1, and 1/2 for gelu, "
                        "silu and softplus)")


def test_sigmoid_saturates_to_exactly_zero_and_one():
    out, g = _grad_at(A.sigmoid, [-1e4, 1e4])
    assert out.tolist() == [0.0, 1.0] and g.tolist() == [0.0, 0.0], (
        f"sigmoid at -1e4 and 1e4 should be exactly 0 and 1 with gradients 0; got {out.tolist()}"
        f" and {g.tolist()}. Hint: a saturated sigmoid passes (almost) no gradient: that is "
        "the vanishing-gradient problem.")


@pytest.mark.parametrize("beta,threshold,x,expected", [
    (1.0, 1.0, 1.5, 1.5), (1.0, 1.0, 1.0, math.log1p(math.e)), (2.0, 3.0, 1.6, 1.6),
    (2.0, 3.0, 1.5, math.log1p(math.exp(3.0)) / 2.0), (1.0, 20.0, 25.0, 25.0)])
def test_softplus_switches_to_identity_strictly_above_the_threshold(beta, threshold, x,
                                                                    expected):
    out, g = _grad_at(lambda t: A.softplus(t, beta, threshold), [x])
    linear = beta * x > threshold
    assert_close(out, torch.tensor([expected], dtype=torch.float64), **TOL64,
                 what=f"softplus({x}, beta={beta}, threshold={threshold})",
                 oracle="the closed form (torch's rule: x itself where beta * x > threshold)",
                 hint="compare beta * x (not x) with the threshold, strictly (>).")
    slope = 1.0 if linear else 1.0 / (1.0 + math.exp(-beta * x))
    assert_close(g, torch.tensor([slope], dtype=torch.float64), **TOL64,
                 what=f"the gradient of softplus at {x} (beta={beta}, threshold={threshold})",
                 oracle="the closed form: 1 above the threshold, sigma(beta x) below")


@pytest.mark.parametrize("approximate", ["erf", "exact", "Tanh"])
def test_gelu_rejects_an_unknown_approximation(approximate):
    try:
        A.gelu(torch.randn(3), approximate)
    except ValueError:
        return
    except NotImplementedError:
        raise
    except Exception as err:  # any other error is the wrong one
        raise AssertionError(f"gelu(x, approximate={approximate!r}) should raise ValueError, "
                             f"but it raised {type(err).__name__}: {err}") from None
    raise AssertionError(f"gelu(x, approximate={approximate!r}) should raise ValueError "
                         "(only 'none' and 'tanh' are allowed).")


# ----------------------------------------------------------------------------------------------
# Modules
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module,case_id", [("ReLU", "relu"), ("GELU", "gelu"),
                                            ("GELU-tanh", "gelu-approximate=tanh")])
def test_activation_modules_match_torch(module, case_id):
    """The ReLU and GELU modules match torch and have no parameters."""
    case = next(c for c in CASES if c.id == case_id)
    mod = A.ReLU() if module == "ReLU" else A.GELU(case.kwargs.get("approximate", "none"))
    x = sample((4, 5), 5).requires_grad_()
    with forbidden(*case.forbid, by=f"phase1.activations.{module}"):
        out = mod(x)
        check_grad_fn(out, case)
        out.backward(torch.ones_like(out))
    xr = x.detach().clone().requires_grad_()
    exp = case.oracle(xr)
    exp.backward(torch.ones_like(exp))
    assert_close(out, exp, **TOL64, what=f"{module} on a (4, 5) tensor",
                 oracle=f"torch's {case.name}")
    assert_close(x.grad, xr.grad, **TOL64, what=f"{module}'s gradient",
                 oracle=f"autograd through torch's {case.name}", hint=case.grad_hint)
    assert list(mod.parameters()) == [], f"{module} must have no parameters."


# ----------------------------------------------------------------------------------------------
# SwiGLU
# ----------------------------------------------------------------------------------------------


def _reference_swiglu(x, block):
    """The test's own SwiGLU, from torch.nn.functional."""
    h = F.silu(F.linear(x, block.w1.weight, block.w1.bias)) * F.linear(x, block.w3.weight,
                                                                          block.w3.bias)
    return F.linear(h, block.w2.weight, block.w2.bias)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("x_shape", [(8,), (5, 8), (2, 3, 8)])
def test_swiglu_forward_and_gradients_match_the_reference(x_shape, bias):
    torch.manual_seed(1)
    block = A.SwiGLU(8, 12, bias=bias).double()
    x = sample(x_shape, 6, scale=1.0).requires_grad_()
    upstream = sample(x_shape, 7, scale=1.0)
    with forbidden("torch.nn.functional.silu", "aten.silu", by="phase1.activations.SwiGLU"):
        out = block(x)
        out.backward(upstream)
    got = {"x": x.grad, **{n: p.grad for n, p in block.named_parameters()}}
    xr = x.detach().clone().requires_grad_()
    block.zero_grad()
    ref = _reference_swiglu(xr, block)
    ref.backward(upstream)
    exp = {"x": xr.grad, **{n: p.grad for n, p in block.named_parameters()}}
    what = f"SwiGLU(8, 12, bias={bias}) on x {x_shape} in float64"
    assert_close(out, ref, **TOL64, what=what,
                 oracle="w2(silu(w1 x) * w3 x) written with torch.nn.functional",
                 hint="the gate w1 goes through silu, the up projection w3 does not, and w2 "
                      "maps the product back to d_model.")
    for name in exp:
        assert got[name] is not None, f"{what}: no gradient reached {name}."
        assert_close(got[name], exp[name], **TOL64, what=f"{what}: gradient for {name}",
                     oracle="autograd through the reference SwiGLU",
                     hint="use your silu inside the block so that its backward is used.")


@pytest.mark.parametrize("bias", [False, True])
def test_swiglu_has_llamas_layout_and_parameter_count(bias):
    """SwiGLU has LLaMA's layer layout and parameter count."""
    d, h = 6, 10
    block = A.SwiGLU(d, h, bias=bias)
    out = block(torch.randn(3, d))
    assert out.shape == (3, d), f"SwiGLU({d}, {h}) maps (3, {d}) to (3, {d}); got {out.shape}"
    shapes = {n: tuple(p.shape) for n, p in block.named_parameters()}
    expected = {"w1.weight": (h, d), "w2.weight": (d, h), "w3.weight": (h, d)}
    if bias:
        expected.update({"w1.bias": (h,), "w2.bias": (d,), "w3.bias": (h,)})
    assert shapes == expected, f"SwiGLU({d}, {h}, bias={bias}) parameters: expected " \
                               f"{expected}, got {shapes}"
    count = sum(p.numel() for p in block.parameters())
    formula = 3 * d * h + ((2 * h + d) if bias else 0)
    assert count == formula, f"SwiGLU({d}, {h}) should have {formula} parameters; got {count}"


def test_swiglu_passes_gradcheck():
    torch.manual_seed(2)
    block = A.SwiGLU(4, 6, bias=True).double()
    params = [p.detach().clone() for p in block.parameters()]
    names = [n for n, _ in block.named_parameters()]

    def f(x, *ps):
        out = torch.func.functional_call(block, dict(zip(names, ps, strict=True)), (x,))
        return out

    with forbidden("torch.nn.functional.silu", "aten.silu", by="phase1.activations.SwiGLU"):
        assert_gradcheck(f, [sample((3, 4), 8, scale=1.0), *params],
                         what="SwiGLU(4, 6, bias=True) with respect to x and every weight")


@pytest.mark.parametrize("d_model,multiple_of,multiplier,expected", [
    (4096, 256, None, 11008),  # LLaMA-7B
    (5120, 256, None, 13824),  # LLaMA-13B
    (8192, 256, None, 22016),  # LLaMA-65B
    (8192, 4096, 1.3, 28672),  # LLaMA-2 70B
    (4096, 1024, 1.3, 14336),  # LLaMA-3 8B
    (512, 1, None, 1365),  # no rounding: int(2 * 2048 / 3)
    (96, 64, None, 256),  # int(256) is already a multiple
])
def test_swiglu_hidden_dim_matches_llama(d_model, multiple_of, multiplier, expected):
    got = A.swiglu_hidden_dim(d_model, multiple_of, multiplier)
    assert got == expected and type(got) is int, (
        f"swiglu_hidden_dim({d_model}, multiple_of={multiple_of}, ffn_dim_multiplier="
        f"{multiplier}) should be {expected} (LLaMA's configuration); got {got!r}. Hint: take "
        "int(2 * 4 * d_model / 3), apply the multiplier with int(), then round UP to a "
        "multiple.")
