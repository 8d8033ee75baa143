"""Hidden tests for phase1.optimizers.

Oracle: torch.optim.SGD / RMSprop / Adam / AdamW (foreach=False), run step by step on the same
seeded problems in float64: a small tanh network with two param groups, an ill-conditioned
quadratic and a non-convex Rosenbrock valley. The parameters must agree after every one of
100 steps (rtol 1e-9, atol 1e-10: rounding differences between correct implementations are
about 1e-15). Also: closed forms (Adam's first step is lr * sign(g)), scripted gradients, a
state_dict round trip through torch.save, and the learner's classes running with torch's
optimizers (classes, functional forms and fused kernels) made to raise.
"""

import importlib
import io
import math
from contextlib import contextmanager, nullcontext

import pytest
import torch
from phase1_testkit import one_thread  # noqa: F401 (autouse: every test here runs on one thread)

from phase1.optimizers import SGD, Adam, AdamW, RMSprop
from shared import ForbiddenCallError, assert_close, forbidden

RTOL, ATOL = 1e-9, 1e-10
STEPS = 100
LEARNER = {"SGD": SGD, "RMSprop": RMSprop, "Adam": Adam, "AdamW": AdamW}
TORCH = {"SGD": torch.optim.SGD, "RMSprop": torch.optim.RMSprop, "Adam": torch.optim.Adam,
         "AdamW": torch.optim.AdamW}


# --------------------------------------------------------------------------------------------
# No torch optimizer inside the learner's
# --------------------------------------------------------------------------------------------

_TORCH_CLASSES = ["SGD", "Adam", "AdamW", "RMSprop", "NAdam", "RAdam", "Adamax", "Adagrad",
                  "Adadelta", "ASGD", "Rprop", "SparseAdam", "LBFGS", "Adafactor", "Muon"]
# torch.optim deletes its submodules' names from its namespace: import them by name.
_FUNCTIONAL = {
    importlib.import_module("torch.optim.sgd"):
        ["sgd", "_single_tensor_sgd", "_multi_tensor_sgd", "_fused_sgd"],
    importlib.import_module("torch.optim.adam"):
        ["adam", "_single_tensor_adam", "_multi_tensor_adam", "_fused_adam"],
    importlib.import_module("torch.optim.adamw"): ["adamw"],
    importlib.import_module("torch.optim.rmsprop"):
        ["rmsprop", "_single_tensor_rmsprop", "_multi_tensor_rmsprop"],
    importlib.import_module("torch.optim._functional"):
        ["sgd", "adam", "adamw", "rmsprop", "nadam", "radam", "adamax", "adagrad"],
}
_FUSED_OPS = ("aten._fused_adam_", "aten._fused_adamw_", "aten._fused_sgd_")


def _targets():
    """(owner, attribute, dotted name) of every torch optimizer entry point to forbid."""
    out = []
    for name in _TORCH_CLASSES:
        cls = getattr(torch.optim, name, None)
        for attr in ("__init__", "step"):
            if cls is not None and attr in vars(cls):
                out.append((cls, attr, f"torch.optim.{name}"))
    for module, names in _FUNCTIONAL.items():
        out += [(module, n, f"{module.__name__}.{n}") for n in names if hasattr(module, n)]
    return out


_TARGETS = _targets()


@contextmanager
def no_torch_optimizers(by):
    """Make torch's optimizers (classes, functional forms, per-tensor kernels) raise."""

    def refuse(name):
        def raiser(*args, **kwargs):
            raise ForbiddenCallError(
                f"{by} must not use {name}: this exercise is to write the update rule yourself "
                "with tensor operations.")
        return raiser

    saved = [(owner, attr, vars(owner)[attr]) for owner, attr, _ in _TARGETS]
    try:
        for owner, attr, name in _TARGETS:
            setattr(owner, attr, refuse(name))
        yield
    finally:
        for owner, attr, value in saved:
            setattr(owner, attr, value)


def _guard(name):
    """A factory of fresh guards for the learner's class `name` (a guard is used once)."""
    return lambda: no_torch_optimizers(f"phase1.optimizers.{name}")


# --------------------------------------------------------------------------------------------
# Seeded problems. Each returns (param groups as lists of tensors, loss(flat params)).
# --------------------------------------------------------------------------------------------


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _mlp(dtype=torch.float64):
    """A 5 -> 8 -> 3 tanh network; group 0 is the first layer, group 1 the second."""
    g = _gen(1)
    x = torch.randn(32, 5, generator=g, dtype=dtype)
    y = torch.randn(32, 3, generator=g, dtype=dtype)
    w1 = (torch.randn(8, 5, generator=g, dtype=dtype) * 0.5).requires_grad_()
    b1 = (torch.randn(8, generator=g, dtype=dtype) * 0.1).requires_grad_()
    w2 = (torch.randn(3, 8, generator=g, dtype=dtype) * 0.5).requires_grad_()
    b2 = (torch.randn(3, generator=g, dtype=dtype) * 0.1).requires_grad_()

    def loss(ps):
        w1, b1, w2, b2 = ps
        return ((torch.tanh(x @ w1.T + b1) @ w2.T + b2 - y) ** 2).mean()

    return [[w1, b1], [w2, b2]], loss


def _quadratic(dtype=torch.float64):
    """0.5 (x - c)^T A (x - c) for x of shape (2, 3), A with eigenvalues from 1 to 20."""
    g = _gen(2)
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=g, dtype=dtype))
    a = q @ torch.diag(torch.logspace(0, math.log10(20), 6, dtype=dtype)) @ q.T
    c = torch.randn(6, generator=g, dtype=dtype)
    x = torch.randn(2, 3, generator=g, dtype=dtype).requires_grad_()

    def loss(ps):
        d = ps[0].reshape(-1) - c
        return 0.5 * d @ a @ d

    return [[x]], loss


def _rosenbrock(dtype=torch.float64):
    """Three 2-d Rosenbrock valleys (1 - u)^2 + 10 (v - u^2)^2, one per row of a (3, 2) tensor."""
    z = torch.tensor([[-1.2, 1.0], [0.5, -0.5], [1.5, 2.0]], dtype=dtype).requires_grad_()

    def loss(ps):
        u, v = ps[0][:, 0], ps[0][:, 1]
        return ((1 - u) ** 2 + 10 * (v - u**2) ** 2).sum()

    return [[z]], loss


PROBLEMS = {"mlp": _mlp, "quadratic": _quadratic, "rosenbrock": _rosenbrock}
# The learning rate of each config is scaled per problem. Plain SGD needs a small step on the
# steep Rosenbrock walls; the adaptive methods take steps of about lr whatever the gradient, and
# with lr too large they rattle across the valley floor, where the sign of the gradient (and so
# the trajectory) becomes sensitive to rounding: correct implementations would then disagree.
LR_SCALE = {"SGD": {"mlp": 1.0, "quadratic": 1.0, "rosenbrock": 0.05},
            "adaptive": {"mlp": 1.0, "quadratic": 1.0, "rosenbrock": 0.5}}


def _run(make_opt, problem, options, group2, steps=STEPS, learner_name=None,
         set_to_none=True, maximize=False, dtype=torch.float64):
    """Train `problem` with make_opt(param_groups); return the parameters after every step.

    For the learner's class (learner_name given), torch's optimizers raise during the run.
    """
    groups, loss_fn = PROBLEMS[problem](dtype)
    param_groups = [{"params": groups[0]}]
    if len(groups) > 1:
        param_groups.append({"params": groups[1], **group2})
    flat = [p for ps in groups for p in ps]
    history = []
    with no_torch_optimizers(learner_name) if learner_name else nullcontext():
        opt = make_opt(param_groups, **options)
        for _ in range(steps):
            opt.zero_grad(set_to_none=set_to_none)
            loss = loss_fn(flat)
            (-loss if maximize else loss).backward()
            opt.step()
            history.append([p.detach().clone() for p in flat])
    return history


def _assert_same_trajectory(got, expected, *, what, oracle, hint, rtol=RTOL, atol=ATOL):
    """Compare step by step; report the first step and parameter that differ."""
    for k, (g_step, e_step) in enumerate(zip(got, expected, strict=True), start=1):
        for i, (g, e) in enumerate(zip(g_step, e_step, strict=True)):
            if not torch.allclose(g, e, rtol=rtol, atol=atol):
                assert_close(g, e, rtol=rtol, atol=atol,
                             what=f"{what}: parameter {i} after step {k} of {len(expected)}",
                             oracle=oracle, hint=hint)


def _compare_with_torch(name, problem, options, group2, hint, **run_kwargs):
    learner_cls, torch_cls = LEARNER[name], TORCH[name]
    scale = LR_SCALE["SGD" if name == "SGD" else "adaptive"][problem]
    options = {**options, "lr": options["lr"] * scale}
    got = _run(learner_cls, problem, options, group2, learner_name=f"phase1.optimizers.{name}",
               **run_kwargs)
    expected = _run(lambda groups, **kw: torch_cls(groups, foreach=False, **kw), problem,
                    options, group2, **run_kwargs)
    first = "" if problem != "mlp" else f", second param group overriding {group2}"
    _assert_same_trajectory(
        got, expected,
        what=f"{name}({options}{first}) on the {problem} problem",
        oracle=f"torch.optim.{name} (foreach=False) in float64, step by step", hint=hint)


# --------------------------------------------------------------------------------------------
# SGD
# --------------------------------------------------------------------------------------------

SGD_CONFIGS = {
    "plain": (dict(lr=0.05), dict(lr=0.02),
              "p = p - lr * grad, with each param group's own lr"),
    "momentum": (dict(lr=0.05, momentum=0.9), dict(momentum=0.5),
                 "b = momentum * b + g and p -= lr * b; on a parameter's first step b is a copy "
                 "of g; each group uses its own momentum"),
    "dampening": (dict(lr=0.05, momentum=0.9, dampening=0.5), dict(dampening=0.1),
                  "b = momentum * b + (1 - dampening) * g, except on the first step where b = g "
                  "exactly (torch does not dampen the first step, and the buffer does not start "
                  "at zero)"),
    "nesterov": (dict(lr=0.05, momentum=0.9, nesterov=True), dict(momentum=0.7),
                 "Nesterov: update the buffer b first, then step along g + momentum * b"),
    "weight_decay": (dict(lr=0.05, momentum=0.9, weight_decay=0.1), dict(weight_decay=0.0),
                     "weight decay adds weight_decay * p to the gradient before the momentum "
                     "buffer sees it"),
    "maximize": (dict(lr=0.05, momentum=0.9, weight_decay=0.05, maximize=True),
                 dict(nesterov=True),
                 "maximize negates the gradient first; weight decay is then added, not negated"),
    "everything": (dict(lr=0.03, momentum=0.8, dampening=0.2, weight_decay=0.02),
                   dict(lr=0.01, momentum=0.95, dampening=0.0, nesterov=True,
                        weight_decay=0.1),
                   "check each option in turn: read every hyperparameter from the param group"),
}


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("config", list(SGD_CONFIGS))
def test_sgd_matches_torch_step_by_step(config, problem):
    options, group2, hint = SGD_CONFIGS[config]
    # maximize=True climbs the negated loss, so that both trajectories stay bounded.
    _compare_with_torch("SGD", problem, options, group2, hint,
                        maximize=options.get("maximize", False))


def test_sgd_momentum_buffer_survives_zero_grad_without_set_to_none():
    """zero_grad(set_to_none=False) zeroes p.grad in place: a buffer that aliases it breaks."""
    options, group2, _ = SGD_CONFIGS["momentum"]
    _compare_with_torch("SGD", "mlp", options, group2, set_to_none=False,
                        hint="the momentum buffer must be a copy of the first gradient "
                             "(g.clone()), never p.grad itself, which zero_grad and backward "
                             "overwrite in place")


# --------------------------------------------------------------------------------------------
# RMSprop
# --------------------------------------------------------------------------------------------

RMSPROP_CONFIGS = {
    "default": (dict(lr=0.01), dict(lr=0.003),
                "v = alpha * v + (1 - alpha) * g**2 from v = 0; p -= lr * g / (sqrt(v) + eps)"),
    "alpha": (dict(lr=0.01, alpha=0.9), dict(alpha=0.5),
              "alpha weighs the old average: v = alpha * v + (1 - alpha) * g**2"),
    "eps": (dict(lr=0.01, eps=1e-2), dict(eps=1e-4),
            "eps is added outside the square root: sqrt(v) + eps, not sqrt(v + eps)"),
    "centered": (dict(lr=0.01, centered=True), dict(centered=False),
                 "centered: also keep g_avg = alpha * g_avg + (1 - alpha) * g and divide by "
                 "sqrt(v - g_avg**2) + eps"),
    "momentum": (dict(lr=0.005, momentum=0.9), dict(momentum=0.0),
                 "RMSprop's momentum buffer starts at zero: b = momentum * b + g / denom, "
                 "p -= lr * b"),
    "weight_decay": (dict(lr=0.01, weight_decay=0.1), dict(weight_decay=0.0),
                     "weight decay adds weight_decay * p to the gradient before v is updated"),
    "everything": (dict(lr=0.005, alpha=0.95, eps=1e-3, weight_decay=0.05, momentum=0.5,
                        centered=True),
                   dict(lr=0.002, alpha=0.8, momentum=0.9, centered=False),
                   "check each option in turn: read every hyperparameter from the param group"),
}


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("config", list(RMSPROP_CONFIGS))
def test_rmsprop_matches_torch_step_by_step(config, problem):
    options, group2, hint = RMSPROP_CONFIGS[config]
    _compare_with_torch("RMSprop", problem, options, group2, hint)


# --------------------------------------------------------------------------------------------
# Adam and AdamW
# --------------------------------------------------------------------------------------------

ADAM_CONFIGS = {
    "default": (dict(lr=0.01), dict(lr=0.003),
                "m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t) with t the parameter's "
                "step count from 1; p -= lr * m_hat / (sqrt(v_hat) + eps)"),
    "betas": (dict(lr=0.01, betas=(0.8, 0.95)), dict(betas=(0.5, 0.9)),
              "beta1 is for m (the gradient), beta2 for v (its square), each from the group"),
    "eps": (dict(lr=0.01, eps=1e-2), dict(eps=1e-4),
            "eps is added to sqrt(v_hat), the bias-corrected root: not inside the sqrt and "
            "not to sqrt(v) before the bias correction"),
    "weight_decay": (dict(lr=0.01, weight_decay=0.1), dict(weight_decay=0.0),
                     "Adam's weight decay is an L2 penalty: add weight_decay * p to the "
                     "gradient before updating m and v"),
    "amsgrad": (dict(lr=0.01, betas=(0.9, 0.9), amsgrad=True), dict(amsgrad=False),
                "AMSGrad keeps the running max of the raw v (not of v_hat) and divides that max "
                "by 1 - beta2**t for today's t"),
    "everything": (dict(lr=0.02, betas=(0.85, 0.95), eps=1e-3, weight_decay=0.05,
                        amsgrad=True),
                   dict(lr=0.005, betas=(0.9, 0.99), weight_decay=0.2, amsgrad=False),
                   "check each option in turn: read every hyperparameter from the param group"),
}

ADAMW_CONFIGS = {
    "default": (dict(lr=0.01), dict(lr=0.003),
                "AdamW's default weight_decay is 1e-2: p *= 1 - lr * weight_decay, then the "
                "Adam step with the plain gradient"),
    "weight_decay": (dict(lr=0.01, weight_decay=0.5), dict(weight_decay=0.0),
                     "decoupled decay: p -= lr * weight_decay * p on the current p, before the "
                     "Adam step; the decay never enters the gradient, m or v"),
    "eps": (dict(lr=0.01, eps=1e-2, weight_decay=0.1), dict(eps=1e-4),
            "eps is added to sqrt(v_hat), the bias-corrected root"),
    "amsgrad": (dict(lr=0.01, betas=(0.9, 0.9), amsgrad=True, weight_decay=0.1),
                dict(amsgrad=False),
                "AMSGrad keeps the running max of the raw v (not of v_hat) and divides that max "
                "by 1 - beta2**t for today's t"),
    "everything": (dict(lr=0.02, betas=(0.85, 0.95), eps=1e-3, weight_decay=0.3,
                        amsgrad=True),
                   dict(lr=0.005, betas=(0.7, 0.99), weight_decay=0.05, amsgrad=False),
                   "check each option in turn: read every hyperparameter from the param group"),
}


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("config", list(ADAM_CONFIGS))
def test_adam_matches_torch_step_by_step(config, problem):
    options, group2, hint = ADAM_CONFIGS[config]
    _compare_with_torch("Adam", problem, options, group2, hint)


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("config", list(ADAMW_CONFIGS))
def test_adamw_matches_torch_step_by_step(config, problem):
    options, group2, hint = ADAMW_CONFIGS[config]
    _compare_with_torch("AdamW", problem, options, group2, hint)


def test_adam_first_step_moves_each_weight_by_lr_times_sign_of_grad():
    """Adam's bias correction makes the very first step the documented size for every weight."""
    g = torch.tensor([3.0, -0.02, 1e-3, -40.0], dtype=torch.float64)
    for cls in (Adam, AdamW):
        p = torch.zeros(4, dtype=torch.float64, requires_grad=True)
        with no_torch_optimizers(f"phase1.optimizers.{cls.__name__}"):
            opt = cls([p], lr=0.1, betas=(0.9, 0.999), eps=1e-12, weight_decay=0.0)
            p.grad = g.clone()
            opt.step()
        assert_close(p.detach(), -0.1 * torch.sign(g), rtol=1e-9, atol=1e-12,
                     what=f"{cls.__name__}: p after one step from 0 with lr=0.1, eps=1e-12 and "
                          f"gradient {g.tolist()}",
                     oracle="the closed form -lr * sign(g) (bias-corrected first step)",
                     hint="divide m by 1 - beta1**t and v by 1 - beta2**t, with t = 1 on the "
                          "first step")


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_amsgrad_keeps_the_max_of_the_raw_second_moment(name):
    """Large gradients, then small ones: v shrinks and AMSGrad's max takes over."""
    grads = [4.0] * 5 + [0.05] * 25 + [-2.0] * 3 + [0.01] * 20
    results = []
    for cls in (LEARNER[name], TORCH[name]):
        p = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
        guard = _guard(name) if cls is LEARNER[name] else nullcontext
        with guard():
            opt = cls([p], lr=0.1, betas=(0.5, 0.8), amsgrad=True, weight_decay=0.0)
        trace = []
        for g in grads:
            p.grad = torch.tensor([g], dtype=torch.float64)
            with guard():
                opt.step()
            trace.append([p.detach().clone()])
        results.append(trace)
    _assert_same_trajectory(
        results[0], results[1],
        what=f"{name}(amsgrad=True, betas=(0.5, 0.8)) on the scripted gradients 4 (x5), "
             "0.05 (x25), -2 (x3), 0.01 (x20)",
        oracle=f"torch.optim.{name} (foreach=False)",
        hint="v_max = max(v_max, v) over the raw v, then v_hat = v_max / (1 - beta2**t); the "
             "max of the bias-corrected v_hat is a different rule")


# --------------------------------------------------------------------------------------------
# Behaviour every optimizer shares
# --------------------------------------------------------------------------------------------

EVERYTHING = {
    "SGD": SGD_CONFIGS["everything"],
    "RMSprop": RMSPROP_CONFIGS["everything"],
    "Adam": ADAM_CONFIGS["everything"],
    "AdamW": ADAMW_CONFIGS["everything"],
}
GROUP_KEYS = {
    "SGD": ["lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"],
    "RMSprop": ["lr", "alpha", "eps", "weight_decay", "momentum", "centered"],
    "Adam": ["lr", "betas", "eps", "weight_decay", "amsgrad"],
    "AdamW": ["lr", "betas", "eps", "weight_decay", "amsgrad"],
}


@pytest.mark.parametrize("name", list(LEARNER))
def test_defaults_match_torch(name):
    """Constructed with the parameters alone, every default must be torch's."""
    got = _run(LEARNER[name], "mlp", {}, {}, learner_name=f"phase1.optimizers.{name}")
    expected = _run(lambda groups: TORCH[name](groups, foreach=False), "mlp", {}, {})
    _assert_same_trajectory(got, expected, what=f"{name}(params) with every default",
                            oracle=f"torch.optim.{name}(params)",
                            hint="check the defaults in the signature against the docstring")
    p = torch.zeros(2, requires_grad=True)
    mine, theirs = LEARNER[name]([p]).param_groups[0], TORCH[name]([p]).param_groups[0]
    for key in GROUP_KEYS[name]:
        assert key in mine and mine[key] == theirs[key], (
            f"{name}'s param groups must hold {key!r} = {theirs[key]!r} by default (got "
            f"{mine.get(key, '<missing>')!r}). Hint: pass every hyperparameter in the defaults "
            "dict given to Optimizer.__init__.")


@pytest.mark.parametrize("name", list(LEARNER))
def test_state_dict_round_trip_continues_identically(name):
    """A saved and reloaded optimizer state continues training exactly as if never stopped."""
    options, group2, _ = EVERYTHING[name]
    by = f"phase1.optimizers.{name}"
    groups, loss_fn = _mlp()
    flat = [p for ps in groups for p in ps]
    with no_torch_optimizers(by):
        opt = LEARNER[name]([{"params": groups[0]}, {"params": groups[1], **group2}], **options)
    got = []
    for k in range(80):
        if k == 40:  # checkpoint, then resume in a new optimizer over the same tensors
            buffer = io.BytesIO()
            torch.save(opt.state_dict(), buffer)
            buffer.seek(0)
            saved = torch.load(buffer)
            with no_torch_optimizers(by):
                opt = LEARNER[name]([{"params": groups[0]}, {"params": groups[1]}])
                opt.load_state_dict(saved)
        opt.zero_grad()
        loss_fn(flat).backward()
        with no_torch_optimizers(by):
            opt.step()
        got.append([p.detach().clone() for p in flat])
    expected = _run(lambda g, **kw: TORCH[name](g, foreach=False, **kw), "mlp", options, group2,
                    steps=80)
    _assert_same_trajectory(
        got, expected,
        what=f"{name}: 40 steps, state_dict() -> torch.save -> torch.load -> load_state_dict() "
             "into a new optimizer, 40 more steps",
        oracle=f"torch.optim.{name} trained 80 steps without interruption",
        hint="keep everything step() needs in self.state[p] (tensors or Python numbers) and "
             "the hyperparameters in the param groups; nothing on the optimizer object itself")


@pytest.mark.parametrize("name", list(LEARNER))
def test_step_count_and_state_are_per_parameter(name):
    """A parameter that gets its first gradient at step 11 starts its own state then."""
    options, _, _ = EVERYTHING[name]
    g = _gen(5)
    data = [torch.randn(4, generator=g, dtype=torch.float64) for _ in range(60)]
    results = []
    for cls in (LEARNER[name], TORCH[name]):
        a = torch.ones(4, dtype=torch.float64, requires_grad=True)
        b = torch.full((4,), -0.5, dtype=torch.float64, requires_grad=True)
        learner = cls is LEARNER[name]
        guard = _guard(name) if learner else nullcontext
        with guard():
            opt = cls([a, b], **options) if learner else cls([a, b], foreach=False, **options)
        trace = []
        for k, d in enumerate(data):
            opt.zero_grad()
            loss = ((a - d) ** 2).sum() + (((b * d).sum() - 1) ** 2 if k >= 10 else 0.0)
            loss.backward()
            with guard():
                opt.step()
            trace.append([a.detach().clone(), b.detach().clone()])
        results.append(trace)
    _assert_same_trajectory(
        results[0], results[1],
        what=f"{name}({options}) with parameter 1 unused (grad None) for the first 10 steps",
        oracle=f"torch.optim.{name}",
        hint="skip parameters whose .grad is None (no decay, no state), and keep the step "
             "count and buffers in self.state[p], one per parameter, created on p's first "
             "step: not a global counter")


@pytest.mark.parametrize("name", list(LEARNER))
def test_parameters_without_grad_are_left_alone(name):
    options, _, _ = EVERYTHING[name]
    used = torch.ones(3, dtype=torch.float64, requires_grad=True)
    unused = torch.full((3,), 2.0, dtype=torch.float64, requires_grad=True)
    with no_torch_optimizers(f"phase1.optimizers.{name}"):
        opt = LEARNER[name]([used, unused], **{**options, "weight_decay": 0.5})
        for _ in range(5):
            opt.zero_grad()
            (used**2).sum().backward()
            opt.step()
    assert unused.grad is None and torch.equal(unused.detach(), torch.full((3,), 2.0,
                                                                          dtype=torch.float64)), (
        f"{name}: a parameter whose .grad is None must not change, even with weight_decay=0.5; "
        f"it became {unused.detach().tolist()}. Hint: `if p.grad is None: continue` before any "
        "update, the weight decay included.")


@pytest.mark.parametrize("name", list(LEARNER))
def test_step_with_closure_calls_it_once_and_returns_its_loss(name):
    options, _, _ = EVERYTHING[name]
    results = []
    for cls in (LEARNER[name], TORCH[name]):
        groups, loss_fn = _quadratic()
        x = groups[0][0]
        calls = []

        def closure(x=x, loss_fn=loss_fn, calls=calls):
            calls.append(torch.is_grad_enabled())
            x.grad = None
            loss = loss_fn([x])
            loss.backward()
            return loss

        learner = cls is LEARNER[name]
        with no_torch_optimizers(f"phase1.optimizers.{name}") if learner else nullcontext():
            opt = cls([x], **options)
            returned = opt.step(closure)
        assert calls == [True], (
            f"{name}.step(closure) must call the closure exactly once, with gradients enabled "
            f"(it was called {len(calls)} times, grad enabled: {calls}). Hint: step runs under "
            "torch.no_grad(); wrap the call in torch.enable_grad().")
        results.append((returned, x.detach().clone()))
    (loss_got, x_got), (loss_expected, x_expected) = results
    assert isinstance(loss_got, torch.Tensor), (
        f"{name}.step(closure) must return the closure's loss, got {loss_got!r}")
    assert_close(loss_got, loss_expected, what=f"{name}.step(closure)'s return value",
                 oracle="the closure's loss before the update")
    assert_close(x_got, x_expected, rtol=RTOL, atol=ATOL,
                 what=f"{name}: the parameter after step(closure)",
                 oracle=f"torch.optim.{name}.step(closure)",
                 hint="use the gradients the closure computed")
    assert LEARNER[name]([torch.zeros(1, requires_grad=True)]).step() is None, (
        f"{name}.step() without a closure must return None")


@pytest.mark.parametrize("name", list(LEARNER))
def test_step_updates_in_place_without_history_and_leaves_grad_alone(name):
    options, _, _ = EVERYTHING[name]
    groups, loss_fn = _mlp()
    flat = [p for ps in groups for p in ps]
    with no_torch_optimizers(f"phase1.optimizers.{name}"):
        opt = LEARNER[name](flat, **options)
        for _ in range(3):
            opt.zero_grad()
            loss_fn(flat).backward()
            ids = [(id(p), p.data_ptr()) for p in flat]
            grads = [p.grad.clone() for p in flat]
            before = [p.detach().clone() for p in flat]
            opt.step()
            for i, p in enumerate(flat):
                assert (id(p), p.data_ptr()) == ids[i], (
                    f"{name}.step must update each parameter in place (same tensor, same "
                    "memory): a model holds these tensors. Hint: p.add_(...), p.mul_(...), "
                    "p.addcdiv_(...), not p = p - ... or p.data = ...")
                assert p.is_leaf and p.grad_fn is None and p.requires_grad, (
                    f"{name}.step must not record autograd history: after it, each parameter "
                    "must still be a leaf that requires grad. Hint: @torch.no_grad() on step.")
                assert torch.equal(p.grad, grads[i]), (
                    f"{name}.step must not modify p.grad (parameter {i} changed). Hint: "
                    "g = p.grad + weight_decay * p makes a new tensor; g.add_(...) writes "
                    "into p.grad.")
                assert not torch.equal(p.detach(), before[i]), (
                    f"{name}.step left parameter {i} unchanged although it has a gradient")


def test_lr_changed_between_steps_takes_effect():
    """A scheduler writes group["lr"] between steps: step() must read it every time."""
    for name, (options, group2, _) in EVERYTHING.items():
        results = []
        for cls in (LEARNER[name], TORCH[name]):
            groups, loss_fn = _mlp()
            flat = [p for ps in groups for p in ps]
            learner = cls is LEARNER[name]
            guard = _guard(name) if learner else nullcontext
            pg = [{"params": groups[0]}, {"params": groups[1], **group2}]
            with guard():
                opt = cls(pg, **options)
            trace = []
            for k in range(STEPS):
                if k % 10 == 0:
                    for i, group in enumerate(opt.param_groups):
                        group["lr"] = 0.02 * (0.7 ** (k // 10)) * (i + 1)
                opt.zero_grad()
                loss_fn(flat).backward()
                with guard():
                    opt.step()
                trace.append([p.detach().clone() for p in flat])
            results.append(trace)
        _assert_same_trajectory(
            results[0], results[1],
            what=f"{name}({options}) with group['lr'] changed every 10 steps",
            oracle=f"torch.optim.{name} with the same changes",
            hint="read lr (and every hyperparameter) from the param group inside step(), "
                 "never a copy made in __init__")


@pytest.mark.parametrize("name", list(LEARNER))
def test_float32_parameters_match_torch(name):
    """The optimizers match torch on float32 parameters."""
    options, group2, _ = EVERYTHING[name]
    got = _run(LEARNER[name], "mlp", options, group2, dtype=torch.float32,
               learner_name=f"phase1.optimizers.{name}")
    expected = _run(lambda g, **kw: TORCH[name](g, foreach=False, **kw), "mlp", options, group2,
                    dtype=torch.float32)
    for step in got[-1]:
        assert step.dtype == torch.float32, (
            f"{name} changed a float32 parameter's dtype to {step.dtype}")
    _assert_same_trajectory(got, expected, rtol=1.3e-6, atol=1e-5,
                            what=f"{name}({options}) on float32 parameters",
                            oracle=f"torch.optim.{name} in float32 (torch.testing's tolerances)",
                            hint="create state with torch.zeros_like(p) (same dtype as p)")


@pytest.mark.parametrize("name", list(LEARNER))
def test_learner_optimizer_does_not_use_torch_optimizers(name):
    """Your optimizers do not call torch's optimizers."""
    cls = LEARNER[name]
    assert issubclass(cls, torch.optim.Optimizer), (
        f"phase1.optimizers.{name} must subclass torch.optim.Optimizer")
    builtin = tuple(getattr(torch.optim, n) for n in _TORCH_CLASSES if hasattr(torch.optim, n))
    assert not issubclass(cls, builtin), (
        f"phase1.optimizers.{name} must not subclass one of torch's optimizers "
        f"({[c.__name__ for c in cls.__mro__ if c in builtin]}): subclass "
        "torch.optim.Optimizer and write step() yourself.")
    options, group2, _ = EVERYTHING[name]
    groups, loss_fn = _mlp()
    flat = [p for ps in groups for p in ps]
    by = f"phase1.optimizers.{name}"
    with no_torch_optimizers(by), forbidden(*_FUSED_OPS, by=by):
        opt = cls([{"params": groups[0]}, {"params": groups[1], **group2}], **options)
        for _ in range(3):
            opt.zero_grad()
            loss_fn(flat).backward()
            opt.step()
