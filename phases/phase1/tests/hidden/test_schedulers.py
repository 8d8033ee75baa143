"""Hidden tests for phase1.schedulers.

Oracles: torch.optim.lr_scheduler's schedulers on an identical optimizer (two param groups with
different lrs), epoch by epoch over 200 to 400 epochs, restarts and T_mult > 1 included; closed
forms written out in this file (the GPT warm-up + cosine, SGDR's restart epochs);
torch's SequentialLR(LinearLR, CosineAnnealingLR) for the warm-up + cosine; torch's
ReduceLROnPlateau on scripted metric sequences, and hand-worked plateau cases. The learner's
schedulers run with torch's concrete schedulers made to raise.
"""

import copy
import io
import math
from contextlib import contextmanager, nullcontext

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as L

from phase1.schedulers import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LinearLR,
    PolynomialLR,
    ReduceLROnPlateau,
    StepLR,
    WarmupCosineLR,
    warmup_cosine,
)
from shared import ForbiddenCallError, assert_close

RTOL, ATOL = 1e-9, 1e-14  # torch's recursive forms drift from the closed forms by ~1e-13
LRS = (0.1, 0.03)  # the two param groups' initial lrs

# --------------------------------------------------------------------------------------------
# No torch scheduler inside the learner's
# --------------------------------------------------------------------------------------------

_TORCH_SCHEDULERS = [
    obj for name, obj in sorted(vars(L).items())
    if isinstance(obj, type) and issubclass(obj, L.LRScheduler)
    and obj not in (L.LRScheduler, L._LRScheduler)
]
_TARGETS = [(cls, attr) for cls in _TORCH_SCHEDULERS
            for attr in ("__init__", "get_lr", "_get_closed_form_lr", "step")
            if attr in vars(cls)]


@contextmanager
def no_torch_schedulers(by):
    """Make torch's concrete schedulers raise (LRScheduler, the base class, stays allowed)."""

    def refuse(cls):
        def raiser(*args, **kwargs):
            raise ForbiddenCallError(
                f"{by} must not use torch.optim.lr_scheduler.{cls.__name__}: this exercise is "
                "to compute the schedule yourself (subclassing LRScheduler is fine).")
        return raiser

    saved = [(cls, attr, vars(cls)[attr]) for cls, attr in _TARGETS]
    try:
        for cls, attr in _TARGETS:
            setattr(cls, attr, refuse(cls))
        yield
    finally:
        for cls, attr, value in saved:
            setattr(cls, attr, value)


def _guard(by):
    return lambda: no_torch_schedulers(by) if by else nullcontext()


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _optimizer(lrs=LRS):
    """torch.optim.SGD with one param group per lr (the scheduler only touches group["lr"])."""
    return torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr}
                            for lr in lrs], lr=lrs[0])


def _record(sched, opt, learner):
    last = sched.get_last_lr()
    groups = [g["lr"] for g in opt.param_groups]
    if learner:
        assert isinstance(last, list) and len(last) == len(groups), (
            f"get_last_lr() must return a list with one lr per param group ({len(groups)}); "
            f"got {last!r}")
        assert all(abs(float(a) - float(b)) <= 1e-15 + 1e-12 * abs(float(b))
                   for a, b in zip(last, groups, strict=True)), (
            f"get_last_lr() = {last} differs from the optimizer's group lrs {groups}: the "
            "scheduler must write each lr into optimizer.param_groups[i]['lr'].")
    return [float(x) for x in last]


def _schedule(make, epochs, *, by=None, lrs=LRS):
    """lrs after construction (epoch 0) and after each of `epochs` steps: (epochs + 1, groups)."""
    guard = _guard(by)
    opt = _optimizer(lrs)
    with guard():
        sched = make(opt)
    out = [_record(sched, opt, by is not None)]
    for _ in range(epochs):
        opt.step()
        with guard():
            sched.step()
        out.append(_record(sched, opt, by is not None))
    return np.array(out)


def _assert_same_schedule(got, expected, *, what, oracle, hint, rtol=RTOL, atol=ATOL):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape, f"{what}: expected {expected.shape} lrs, got {got.shape}"
    bad = np.abs(got - expected) > atol + rtol * np.abs(expected)
    if bad.any():
        epoch = int(np.argwhere(bad)[0][0])
        window = slice(max(0, epoch - 2), epoch + 1)
        assert_close(got[epoch], expected[epoch], rtol=rtol, atol=atol,
                     what=f"{what}: the lrs of the {got.shape[1]} param groups at epoch {epoch} "
                          f"(epoch 0 = right after construction; the expected lrs of group 0 "
                          f"at epochs {window.start}..{epoch}: {expected[window, 0].tolist()}, "
                          f"got {got[window, 0].tolist()})",
                     oracle=oracle, hint=hint)


def _compare_with_torch(name, learner_cls, kwargs, epochs, hint):
    torch_cls = getattr(L, name)
    got = _schedule(lambda o: learner_cls(o, **kwargs), epochs, by=f"phase1.schedulers.{name}")
    expected = _schedule(lambda o: torch_cls(o, **kwargs), epochs)
    _assert_same_schedule(got, expected, what=f"{name}({kwargs}) over {epochs} epochs",
                          oracle=f"torch.optim.lr_scheduler.{name}", hint=hint)


# --------------------------------------------------------------------------------------------
# The closed-form schedulers against torch
# --------------------------------------------------------------------------------------------

CASES = {
    "LinearLR": (LinearLR, [
        dict(start_factor=0.25, total_iters=10),
        dict(start_factor=1.0, end_factor=0.1, total_iters=50),
        dict(start_factor=0.5, end_factor=0.8, total_iters=7),
        dict(),
    ], "factor = start + (end - start) * min(e, total_iters) / total_iters; lr = base_lr * factor"
       " (base_lr: the group's initial lr, self.base_lrs)"),
    "StepLR": (StepLR, [
        dict(step_size=7, gamma=0.5),
        dict(step_size=1, gamma=0.9),
        dict(step_size=30),
    ], "lr = base_lr * gamma ** (e // step_size): the first cut is at epoch step_size"),
    "ExponentialLR": (ExponentialLR, [
        dict(gamma=0.98),
        dict(gamma=0.9),
    ], "lr = base_lr * gamma ** e, with e = self.last_epoch"),
    "CosineAnnealingLR": (CosineAnnealingLR, [
        dict(T_max=50, eta_min=0.001),
        dict(T_max=100),
        dict(T_max=37, eta_min=0.02),
    ], "lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * e / T_max)) / 2 for every e (it climbs "
       "back after T_max); do not forget eta_min"),
    "CosineAnnealingWarmRestarts": (CosineAnnealingWarmRestarts, [
        dict(T_0=10),
        dict(T_0=5, T_mult=2, eta_min=0.002),
        dict(T_0=3, T_mult=3, eta_min=0.001),
        dict(T_0=7, T_mult=1, eta_min=0.01),
    ], "periods T_0, T_0 * T_mult, T_0 * T_mult**2, ...: after each restart multiply the period by "
       "T_mult; lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2; find T_cur "
       "and T_i with integers, not logarithms"),
    "PolynomialLR": (PolynomialLR, [
        dict(total_iters=100, power=2.0),
        dict(total_iters=30, power=0.5),
        dict(),
    ], "lr = base_lr * (1 - min(e, total_iters) / total_iters) ** power: zero from total_iters on"),
}
PARAMS = [(name, i) for name, (_, configs, _) in CASES.items() for i in range(len(configs))]


@pytest.mark.parametrize("name,index", PARAMS, ids=[f"{n}-{i}" for n, i in PARAMS])
def test_schedule_matches_torch_epoch_by_epoch(name, index):
    """Each scheduler matches torch epoch by epoch."""
    cls, configs, hint = CASES[name]
    _compare_with_torch(name, cls, configs[index], 400, hint)


@pytest.mark.parametrize("name", list(CASES) + ["WarmupCosineLR"])
def test_state_dict_round_trip_continues_identically(name):
    """A saved and reloaded scheduler continues its schedule exactly as if never stopped."""
    if name == "WarmupCosineLR":
        cls, kwargs = WarmupCosineLR, dict(warmup_steps=20, total_steps=120, min_lr_ratio=0.2)
    else:
        cls, kwargs = CASES[name][0], CASES[name][1][1]
    by = f"phase1.schedulers.{name}"
    guard = _guard(by)
    opt = _optimizer()
    with guard():
        sched = cls(opt, **kwargs)
    for _ in range(37):
        opt.step()
        with guard():
            sched.step()
    buffer = io.BytesIO()
    torch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=False)
    opt = _optimizer(lrs=(0.5, 0.5))  # different lrs: they must come back from the checkpoint
    with guard():
        sched = cls(opt, **kwargs)
    opt.load_state_dict(saved["opt"])
    sched.load_state_dict(saved["sched"])
    got = [_record(sched, opt, True)]
    for _ in range(100):
        opt.step()
        with guard():
            sched.step()
        got.append(_record(sched, opt, True))
    full = _schedule(lambda o: cls(o, **kwargs), 137, by=by)  # the uninterrupted run
    _assert_same_schedule(got, full[37:],
                          what=f"{name}({kwargs}) saved at epoch 37 and loaded into a fresh "
                               "scheduler (rows count from epoch 37)",
                          oracle="the same scheduler run without interruption",
                          hint="keep all the state (last_epoch, base_lrs, counters) in "
                               "attributes of self: LRScheduler.state_dict() saves them")


def test_get_last_lr_right_after_construction_is_epoch_zero():
    """Right after construction, get_last_lr gives the epoch-zero rates."""
    by = "phase1.schedulers"
    cases = [
        (lambda o: LinearLR(o, start_factor=0.25, total_iters=4), [0.025, 0.0075]),
        (lambda o: StepLR(o, step_size=3, gamma=0.5), list(LRS)),
        (lambda o: CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.01), list(LRS)),
        (lambda o: PolynomialLR(o, total_iters=4, power=2.0), list(LRS)),
        (lambda o: WarmupCosineLR(o, warmup_steps=4, total_steps=10), [0.025, 0.0075]),
    ]
    for make, expected in cases:
        opt = _optimizer()
        with no_torch_schedulers(by):
            sched = make(opt)
        assert_close(_record(sched, opt, True), expected, rtol=1e-12, atol=0,
                     what=f"{type(sched).__name__}: get_last_lr() right after construction",
                     oracle="the closed form at epoch 0",
                     hint="LRScheduler.__init__ steps once, to last_epoch = 0, and sets the lrs")
        assert sched.last_epoch == 0, (
            f"{type(sched).__name__}.last_epoch must be 0 after construction (torch's "
            f"convention), got {sched.last_epoch}")


def test_warm_restarts_restart_at_the_documented_epochs():
    """Warm restarts happen at the epochs that T_0 and T_mult define, at exactly base_lr."""
    by = "phase1.schedulers.CosineAnnealingWarmRestarts"
    got = _schedule(lambda o: CosineAnnealingWarmRestarts(o, T_0=4, T_mult=3, eta_min=0.005),
                    200, by=by)[:, 0]
    restarts = [0, 4, 16, 52, 160]
    for e in restarts:
        assert abs(got[e] - LRS[0]) < 1e-12, (
            f"CosineAnnealingWarmRestarts(T_0=4, T_mult=3) must restart at base_lr {LRS[0]} at "
            f"epoch {e} (restarts at {restarts}); got {got[e]}. Hint: the periods are 4, 12, 36, "
            "108: multiply the period by T_mult after each restart.")
    for start, end in zip(restarts, restarts[1:], strict=False):
        period = end - start
        for e in range(start, end):
            expected = 0.005 + (LRS[0] - 0.005) * (1 + math.cos(math.pi * (e - start) / period)) / 2
            assert abs(got[e] - expected) <= 1e-12, (
                f"CosineAnnealingWarmRestarts(T_0=4, T_mult=3, eta_min=0.005): at epoch {e} "
                f"(T_cur={e - start}, T_i={period}) expected {expected}, got {got[e]}")


# --------------------------------------------------------------------------------------------
# warmup_cosine and WarmupCosineLR
# --------------------------------------------------------------------------------------------


def _gpt(step, max_lr, min_lr, w, t):
    """The documented formula, written out independently."""
    if step < w:
        return max_lr * (step + 1) / w
    if step >= t:
        return min_lr
    return min_lr + (max_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * (step - w) / (t - w)))


def test_warmup_cosine_gpt_values_at_the_landmarks():
    """Warmup cosine gives the GPT recipe's rates at its landmark steps."""
    kw = dict(max_lr=6e-4, min_lr=6e-5, warmup_steps=2000, total_steps=600_000)
    landmarks = {0: 3e-7, 999: 3e-4, 1999: 6e-4, 2000: 6e-4, 301_000: 3.3e-4, 600_000: 6e-5,
                 600_001: 6e-5, 10**7: 6e-5}
    for step, expected in landmarks.items():
        got = warmup_cosine(step, **kw)
        assert isinstance(got, float), f"warmup_cosine must return a Python float, got {got!r}"
        assert_close(got, expected, rtol=1e-12, atol=1e-20,
                     what=f"warmup_cosine({step}, max_lr=6e-4, min_lr=6e-5, warmup_steps=2000, "
                          "total_steps=600000)",
                     oracle="the documented landmarks (step 0: max_lr / W; W - 1 and W: max_lr; "
                            "halfway: the mean; T and beyond: min_lr)",
                     hint="warm-up is max_lr * (step + 1) / W for step < W; the cosine's "
                          "progress is (step - W) / (T - W)")


@pytest.mark.parametrize("w,t", [(10, 100), (1, 50), (0, 40), (25, 25), (7, 300)])
def test_warmup_cosine_matches_its_closed_form_at_every_step(w, t):
    steps = range(0, t + 20)
    got = [warmup_cosine(s, max_lr=0.3, min_lr=0.02, warmup_steps=w, total_steps=t)
           for s in steps]
    expected = [_gpt(s, 0.3, 0.02, w, t) for s in steps]
    _assert_same_schedule(np.array(got)[:, None], np.array(expected)[:, None],
                          what=f"warmup_cosine(step, max_lr=0.3, min_lr=0.02, warmup_steps={w}, "
                               f"total_steps={t}) for step 0..{t + 19} (rows are steps)",
                          oracle="the documented formula", rtol=1e-12, atol=1e-15,
                          hint="three pieces: step < W, W <= step < T, step >= T")


def test_warmup_cosine_matches_torch_sequential_linear_then_cosine():
    """Warmup then cosine equals torch's LinearLR followed by CosineAnnealingLR."""
    w, t, max_lr, min_lr = 20, 150, 0.1, 0.01

    def make(o):
        return L.SequentialLR(o, [L.LinearLR(o, start_factor=1 / w, end_factor=1.0,
                                             total_iters=w - 1),
                                  L.CosineAnnealingLR(o, T_max=t - w, eta_min=min_lr)],
                              milestones=[w])

    expected = _schedule(make, t, lrs=(max_lr,))[:, 0]
    got = [warmup_cosine(s, max_lr=max_lr, min_lr=min_lr, warmup_steps=w, total_steps=t)
           for s in range(t + 1)]
    _assert_same_schedule(np.array(got)[:, None], expected[:, None],
                          what=f"warmup_cosine(step, max_lr={max_lr}, min_lr={min_lr}, "
                               f"warmup_steps={w}, total_steps={t}) for step 0..{t}",
                          oracle="torch SequentialLR([LinearLR(1/W, 1, W - 1), "
                                 "CosineAnnealingLR(T - W, min_lr)], milestones=[W])",
                          hint="the peak is reached at step W - 1 and held at step W; off by one "
                               "at the end of the warm-up?")


def test_warmup_cosine_shape_rises_then_falls_to_the_floor():
    """The warmup cosine schedule rises, then falls to its floor."""
    lrs = [warmup_cosine(s, max_lr=1.0, min_lr=0.1, warmup_steps=30, total_steps=200)
           for s in range(260)]
    assert all(a < b for a, b in zip(lrs[:30], lrs[1:30], strict=False)), (
        "warmup_cosine must increase strictly during the warm-up (steps 0..29 for W=30)")
    assert lrs[29] == 1.0 and lrs[30] == 1.0, (
        f"with W=30 the peak max_lr=1.0 is reached at step 29 and held at step 30; got "
        f"{lrs[29]}, {lrs[30]}. Hint: (step + 1) / W during the warm-up.")
    assert all(a >= b for a, b in zip(lrs[30:], lrs[31:], strict=False)), (
        "warmup_cosine must never increase after the warm-up")
    assert all(x == 0.1 for x in lrs[200:]), (
        "from total_steps on, warmup_cosine must return min_lr (0.1), not climb back up")


def test_warmup_cosine_rejects_bad_arguments():
    ok = dict(max_lr=1.0, min_lr=0.1, warmup_steps=5, total_steps=10)
    assert warmup_cosine(0, **ok) == pytest.approx(0.2)
    for step, kw in [(-1, {}), (0, dict(warmup_steps=-1)), (0, dict(warmup_steps=11))]:
        with pytest.raises(ValueError):
            warmup_cosine(step, **{**ok, **kw})


def test_warmup_cosine_scheduler_follows_each_groups_own_lr():
    """The warmup cosine scheduler follows each parameter group's own lr."""
    w, t, ratio = 15, 120, 0.05
    by = "phase1.schedulers.WarmupCosineLR"
    got = _schedule(lambda o: WarmupCosineLR(o, warmup_steps=w, total_steps=t,
                                             min_lr_ratio=ratio), 200, by=by)
    expected = np.array([[_gpt(e, base, ratio * base, w, t) for base in LRS] for e in range(201)])
    _assert_same_schedule(got, expected,
                          what=f"WarmupCosineLR(warmup_steps={w}, total_steps={t}, "
                               f"min_lr_ratio={ratio}) with groups at lr {LRS}",
                          oracle="the documented formula with max_lr = each group's initial lr, "
                                 "min_lr = min_lr_ratio * max_lr",
                          hint="use self.base_lrs and self.last_epoch; the floor is per group")
    # Its default min_lr_ratio is the GPT recipe's 0.1.
    got = _schedule(lambda o: WarmupCosineLR(o, warmup_steps=4, total_steps=10), 12, by=by)
    assert_close(got[-1], [0.1 * lr for lr in LRS], rtol=1e-12, atol=0,
                 what="WarmupCosineLR(warmup_steps=4, total_steps=10) at epoch 12",
                 oracle="min_lr_ratio's default, 0.1, times each group's lr")


def test_warmup_cosine_scheduler_matches_torch_sequential():
    """The warmup cosine scheduler matches torch's SequentialLR composition."""
    w, t = 12, 90
    by = "phase1.schedulers.WarmupCosineLR"
    got = _schedule(lambda o: WarmupCosineLR(o, warmup_steps=w, total_steps=t, min_lr_ratio=0.0),
                    t, by=by)

    def make(o):
        return L.SequentialLR(o, [L.LinearLR(o, start_factor=1 / w, end_factor=1.0,
                                             total_iters=w - 1),
                                  L.CosineAnnealingLR(o, T_max=t - w, eta_min=0.0)],
                              milestones=[w])

    expected = _schedule(make, t)
    _assert_same_schedule(got, expected,
                          what=f"WarmupCosineLR(warmup_steps={w}, total_steps={t}, "
                               "min_lr_ratio=0.0)",
                          oracle="torch SequentialLR(LinearLR, CosineAnnealingLR)",
                          hint="epoch e of the scheduler is step e of warmup_cosine")


# --------------------------------------------------------------------------------------------
# ReduceLROnPlateau
# --------------------------------------------------------------------------------------------


def _metrics(kind, n=150, seed=0):
    r = np.random.default_rng(seed)
    out, v = [], 1.0
    for k in range(n):
        if kind == "noisy_descent":  # improves now and then, noisy upwards
            if r.random() < 0.3:
                v *= 1 - r.uniform(0, 0.05)
            out.append(v * (1 + r.uniform(0, 0.02)))
        elif kind == "stalls":  # improves for 30 epochs, then flat with noise
            out.append((1.0 - 0.01 * min(k, 30)) + r.uniform(0, 1e-3))
        elif kind == "accuracy":  # rises and saturates (mode "max")
            out.append(0.9 - 0.5 * math.exp(-k / 20) + r.uniform(-0.01, 0.01))
        elif kind == "log_likelihood":  # negative, rising (mode "max")
            out.append(-2.0 + 1.5 * (1 - math.exp(-k / 30)) + r.uniform(-0.02, 0.02))
    return [float(x) for x in out]


PLATEAU_CASES = [
    ("noisy_descent", dict(factor=0.5, patience=3, threshold=1e-2)),
    ("noisy_descent", dict(factor=0.5, patience=2, threshold=0.01, threshold_mode="abs",
                           cooldown=3)),
    ("noisy_descent", dict(factor=0.5, patience=0, eps=1e-3)),
    ("noisy_descent", dict(factor=0.7, patience=1, threshold=0.0, min_lr=[5e-3, 1e-3])),
    ("stalls", dict()),
    ("stalls", dict(factor=0.2, patience=4, cooldown=2, min_lr=1e-4)),
    ("accuracy", dict(mode="max", factor=0.3, patience=1, threshold=0.02, min_lr=[1e-3, 5e-4])),
    ("accuracy", dict(mode="max", patience=0, threshold=0.005, threshold_mode="abs",
                      cooldown=1)),
    ("log_likelihood", dict(mode="max", factor=0.5, patience=2, threshold=0.01)),
    ("log_likelihood", dict(mode="max", factor=0.5, patience=2, threshold=0.01,
                            threshold_mode="abs", cooldown=2)),
]


def _plateau(make, metrics, by=None):
    guard = _guard(by)
    opt = _optimizer()
    with guard():
        sched = make(opt)
    out = [_record(sched, opt, by is not None)]
    for m in metrics:
        opt.step()
        with guard():
            sched.step(m)
        out.append(_record(sched, opt, by is not None))
    return np.array(out), sched


@pytest.mark.parametrize("kind,kwargs", PLATEAU_CASES,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(PLATEAU_CASES)])
def test_reduce_on_plateau_matches_torch_on_scripted_metrics(kind, kwargs):
    metrics = _metrics(kind)
    got, _ = _plateau(lambda o: ReduceLROnPlateau(o, **kwargs), metrics,
                      by="phase1.schedulers.ReduceLROnPlateau")
    expected, _ = _plateau(lambda o: L.ReduceLROnPlateau(o, **kwargs), metrics)
    _assert_same_schedule(
        got, expected, rtol=1e-12, atol=0.0,
        what=f"ReduceLROnPlateau({kwargs}) on a scripted '{kind}' metric "
             f"(first values {[round(m, 4) for m in metrics[:4]]}...)",
        oracle="torch.optim.lr_scheduler.ReduceLROnPlateau",
        hint="order within step: compare with best (threshold by mode and threshold_mode), "
             "count the bad epoch, then cooldown (decrement, reset the count), then cut when "
             "num_bad_epochs > patience: new_lr = max(lr * factor, min_lr of the group), applied "
             "only if lr - new_lr > eps; then cooldown_counter = cooldown, num_bad_epochs = 0")


def _hand(kwargs, metrics, lr=1.0):
    opt = _optimizer(lrs=(lr,))
    with no_torch_schedulers("phase1.schedulers.ReduceLROnPlateau"):
        sched = ReduceLROnPlateau(opt, **kwargs)
        out = []
        for m in metrics:
            sched.step(m)
            out.append(opt.param_groups[0]["lr"])
    return out


def test_reduce_on_plateau_cuts_after_patience_bad_epochs():
    got = _hand(dict(factor=0.5, patience=2), [1.0] * 7)
    expected = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    assert got == expected, (
        f"ReduceLROnPlateau(factor=0.5, patience=2) on a constant metric, lr 1: expected the lrs "
        f"{expected} after each step, got {got}. The first epoch sets best; epochs 2, 3 and 4 "
        "are bad; with patience 2 the third bad epoch in a row (num_bad_epochs > patience) cuts. "
        "Hint: > patience, not >= patience, and reset the count after a cut.")


def test_reduce_on_plateau_cooldown_ignores_bad_epochs_after_a_cut():
    got = _hand(dict(factor=0.5, patience=0, cooldown=2), [1.0] * 8)
    expected = [1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    assert got == expected, (
        f"ReduceLROnPlateau(factor=0.5, patience=0, cooldown=2) on a constant metric: expected "
        f"{expected}, got {got}. After a cut, the next `cooldown` epochs count no bad epochs. "
        "Hint: set cooldown_counter = cooldown at each cut; while it is > 0, decrement it and "
        "reset num_bad_epochs.")


def test_reduce_on_plateau_threshold_mode_rel_versus_abs():
    """Reduce on plateau handles relative and absolute threshold modes."""
    metrics = [10.0, 9.5, 9.2, 9.0]  # best 10, threshold 0.1
    rel = _hand(dict(factor=0.5, patience=0, threshold=0.1, threshold_mode="rel"), metrics)
    abs_ = _hand(dict(factor=0.5, patience=0, threshold=0.1, threshold_mode="abs"), metrics)
    assert rel == [1.0, 0.5, 0.25, 0.125], (
        f"threshold_mode='rel', threshold=0.1, mode='min': after best 10, an improvement must be "
        f"below 10 * (1 - 0.1) = 9.0, so 9.5, 9.2 and 9.0 are all bad and each cuts (patience "
        f"0): expected [1.0, 0.5, 0.25, 0.125], got {rel}")
    assert abs_ == [1.0, 1.0, 1.0, 1.0], (
        f"threshold_mode='abs', threshold=0.1, mode='min': 9.5 < 10 - 0.1, 9.2 < 9.5 - 0.1 and "
        f"9.0 < 9.2 - 0.1 all improve: expected no cut, [1.0] * 4, got {abs_}. Hint: rel and abs "
        "swapped?")
    up = _hand(dict(mode="max", factor=0.5, patience=0, threshold=0.1, threshold_mode="abs"),
               [1.0, 1.05, 1.2])
    assert up == [1.0, 0.5, 0.5], (
        f"mode='max', threshold_mode='abs', threshold=0.1: 1.05 is not above 1.0 + 0.1 (a cut) "
        f"but 1.2 is (no cut): expected [1.0, 0.5, 0.5], got {up}")


def test_reduce_on_plateau_respects_min_lr_and_eps():
    got = _hand(dict(factor=0.1, patience=0, min_lr=0.003), [1.0] * 5)
    assert_close(got, [1.0, 0.1, 0.01, 0.003, 0.003], rtol=1e-12, atol=0,
                 what="ReduceLROnPlateau(factor=0.1, patience=0, min_lr=0.003), constant metric",
                 oracle="the hand-worked floor", hint="new_lr = max(lr * factor, min_lr)")
    got = _hand(dict(factor=0.5, patience=0, eps=0.01), [1.0] * 8, lr=0.1)
    assert_close(got, [0.1, 0.05, 0.025, 0.0125, 0.0125, 0.0125, 0.0125, 0.0125], rtol=1e-12,
                 atol=0, what="ReduceLROnPlateau(factor=0.5, patience=0, eps=0.01), lr 0.1",
                 oracle="the hand-worked rule: a cut smaller than eps is skipped",
                 hint="apply the cut only when old_lr - new_lr > eps")


def test_reduce_on_plateau_accepts_a_tensor_metric_and_counts_epochs():
    opt = _optimizer()
    with no_torch_schedulers("phase1.schedulers.ReduceLROnPlateau"):
        sched = ReduceLROnPlateau(opt, patience=0, factor=0.5)
        assert sched.get_last_lr() == list(LRS), (
            f"before any step, get_last_lr() must be the groups' lrs {list(LRS)}, got "
            f"{sched.get_last_lr()}")
        assert sched.last_epoch == 0, f"last_epoch starts at 0, got {sched.last_epoch}"
        sched.step(torch.tensor(2.0))
        sched.step(torch.tensor(3.0))
    assert sched.last_epoch == 2, f"two steps must make last_epoch 2, got {sched.last_epoch}"
    assert_close(sched.get_last_lr(), [0.05, 0.015], rtol=1e-12, atol=0,
                 what="ReduceLROnPlateau(patience=0, factor=0.5) after metrics 2.0 then 3.0 "
                      "(0-dim tensors)",
                 oracle="the hand-worked rule", hint="convert the metric with float(metrics)")


def test_reduce_on_plateau_state_dict_round_trip():
    """Reduce on plateau resumes identically after a state dict round trip."""
    kwargs = dict(factor=0.5, patience=2, threshold=0.01, threshold_mode="abs", cooldown=3)
    metrics = _metrics("noisy_descent")
    by = "phase1.schedulers.ReduceLROnPlateau"
    got, sched = _plateau(lambda o: ReduceLROnPlateau(o, **kwargs), metrics[:60], by=by)
    saved_sched = copy.deepcopy(sched.state_dict())
    saved_opt = copy.deepcopy(sched.optimizer.state_dict())
    opt = _optimizer()
    with no_torch_schedulers(by):
        fresh = ReduceLROnPlateau(opt, **kwargs)
    opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved_sched)
    rest = []
    for m in metrics[60:]:
        with no_torch_schedulers(by):
            fresh.step(m)
        rest.append(_record(fresh, opt, True))
    expected, _ = _plateau(lambda o: L.ReduceLROnPlateau(o, **kwargs), metrics)
    _assert_same_schedule(np.array(rest), expected[61:], rtol=1e-12, atol=0.0,
                          what=f"ReduceLROnPlateau({kwargs}) saved after 60 epochs and loaded "
                               "into a fresh one (rows count from epoch 61)",
                          oracle="torch's ReduceLROnPlateau run without interruption",
                          hint="keep best, num_bad_epochs, cooldown_counter and last_epoch as "
                               "attributes of self so that state_dict() saves them")


# --------------------------------------------------------------------------------------------
# No torch scheduler inside
# --------------------------------------------------------------------------------------------

LEARNER_CLASSES = [LinearLR, StepLR, ExponentialLR, CosineAnnealingLR,
                   CosineAnnealingWarmRestarts, PolynomialLR, WarmupCosineLR, ReduceLROnPlateau]


@pytest.mark.parametrize("cls", LEARNER_CLASSES, ids=lambda c: c.__name__)
def test_learner_scheduler_does_not_use_torch_schedulers(cls):
    """Your schedulers do not call torch's schedulers."""
    concrete = tuple(_TORCH_SCHEDULERS)
    assert not issubclass(cls, concrete), (
        f"phase1.schedulers.{cls.__name__} must not subclass torch's "
        f"{[c.__name__ for c in cls.__mro__ if c in concrete]}: subclass LRScheduler and "
        "compute the lrs yourself.")
    by = f"phase1.schedulers.{cls.__name__}"
    args = {
        LinearLR: {}, StepLR: dict(step_size=3), ExponentialLR: dict(gamma=0.9),
        CosineAnnealingLR: dict(T_max=5), CosineAnnealingWarmRestarts: dict(T_0=3, T_mult=2),
        PolynomialLR: {}, WarmupCosineLR: dict(warmup_steps=2, total_steps=8),
        ReduceLROnPlateau: dict(patience=0),
    }[cls]
    opt = _optimizer()
    with no_torch_schedulers(by):
        sched = cls(opt, **args)
        for _ in range(12):
            opt.step()
            if cls is ReduceLROnPlateau:
                sched.step(1.0)
            else:
                sched.step()
            _record(sched, opt, True)
