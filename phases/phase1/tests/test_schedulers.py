"""Public smoke tests for phase1.schedulers (the grader also runs hidden tests).

Oracles: torch.optim.lr_scheduler's schedulers on an identical optimizer, epoch by epoch; the
GPT recipe's documented landmarks; a hand-worked ReduceLROnPlateau case.
"""

import torch
from torch.optim import lr_scheduler as L

from phase1.schedulers import CosineAnnealingWarmRestarts, ReduceLROnPlateau, StepLR, warmup_cosine
from shared import assert_close


def _optimizer(lrs=(0.1, 0.03)):
    return torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr}
                            for lr in lrs], lr=lrs[0])


def _schedule(make, epochs):
    """The lrs right after construction (epoch 0) and after each step: epochs + 1 rows."""
    opt = _optimizer()
    sched = make(opt)
    out = [sched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return torch.tensor(out, dtype=torch.float64)


def test_warmup_cosine_gpt_recipe_landmarks():
    """Warmup cosine gives the GPT recipe's rates at its landmark steps."""
    kw = dict(max_lr=6e-4, min_lr=6e-5, warmup_steps=2000, total_steps=600_000)
    landmarks = {0: 3e-7, 1999: 6e-4, 2000: 6e-4, 301_000: 3.3e-4, 600_000: 6e-5, 700_000: 6e-5}
    got = [warmup_cosine(step, **kw) for step in landmarks]
    assert_close(got, list(landmarks.values()), rtol=1e-12, atol=0,
                 what=f"warmup_cosine at steps {list(landmarks)} with {kw}",
                 oracle="the documented landmarks",
                 hint="warm-up max_lr * (step + 1) / W; then a half cosine from max_lr at step W "
                      "to min_lr at step T; min_lr from T on")


def test_step_lr_matches_torch():
    """StepLR matches torch."""
    got = _schedule(lambda o: StepLR(o, step_size=7, gamma=0.5), 100)
    expected = _schedule(lambda o: L.StepLR(o, step_size=7, gamma=0.5), 100)
    assert_close(got, expected, rtol=1e-12, atol=0,
                 what="StepLR(step_size=7, gamma=0.5) lrs of two groups (0.1, 0.03), epochs "
                      "0..100 (rows are epochs)",
                 oracle="torch.optim.lr_scheduler.StepLR",
                 hint="lr = base_lr * gamma ** (last_epoch // step_size), base_lr from "
                      "self.base_lrs")


def test_cosine_warm_restarts_with_t_mult_matches_torch():
    """Cosine annealing with warm restarts and T_mult matches torch."""
    kw = dict(T_0=5, T_mult=2, eta_min=0.001)
    got = _schedule(lambda o: CosineAnnealingWarmRestarts(o, **kw), 200)
    expected = _schedule(lambda o: L.CosineAnnealingWarmRestarts(o, **kw), 200)
    assert_close(got, expected, rtol=1e-12, atol=1e-15,
                 what=f"CosineAnnealingWarmRestarts({kw}), epochs 0..200 (restarts at 5, 15, "
                      "35, 75, 155; rows are epochs)",
                 oracle="torch.optim.lr_scheduler.CosineAnnealingWarmRestarts",
                 hint="periods 5, 10, 20, 40, ...: multiply the period by T_mult at each "
                      "restart; the cosine goes from base_lr down towards eta_min, not 0")


def test_reduce_on_plateau_cuts_after_patience_bad_epochs():
    opt = _optimizer(lrs=(1.0,))
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=2)
    got = []
    for metric in [3.0, 2.0, 2.0, 2.5, 2.0, 1.0, 1.0]:
        sched.step(metric)
        got.append(opt.param_groups[0]["lr"])
    expected = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    assert got == expected, (
        f"ReduceLROnPlateau(factor=0.5, patience=2) on metrics [3, 2, 2, 2.5, 2, 1, 1]: expected "
        f"the lrs {expected} after each step, got {got}. Epochs 3, 4 and 5 do not improve on "
        "best = 2; the third bad epoch in a row exceeds the patience of 2 and cuts.")
