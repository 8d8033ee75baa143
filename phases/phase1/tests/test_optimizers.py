"""Public smoke tests for phase1.optimizers (the grader also runs hidden tests).

Oracle: torch.optim's own optimizers, run step by step on the same seeded problem in float64,
and Adam's closed-form first step. The hidden tests exercise every option on three problems.
"""

import torch
from phase1_testkit import one_thread  # noqa: F401 (autouse: every test here runs on one thread)

from phase1.optimizers import SGD, Adam, AdamW, RMSprop
from shared import assert_close


def _problem():
    """A 4 -> 6 -> 2 tanh network on fixed data: (two param groups, loss(params))."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 4, generator=g, dtype=torch.float64), torch.randn(16, 2, generator=g,
                                                                            dtype=torch.float64)
    shapes = [(6, 4), (6,), (2, 6), (2,)]
    params = [(0.5 * torch.randn(s, generator=g, dtype=torch.float64)).requires_grad_()
              for s in shapes]

    def loss(ps):
        return ((torch.tanh(x @ ps[0].T + ps[1]) @ ps[2].T + ps[3] - y) ** 2).mean()

    return params, loss


def _trajectory(make_opt, steps=100):
    params, loss = _problem()
    opt = make_opt(params)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss(params).backward()
        opt.step()
        out.append(torch.cat([p.detach().reshape(-1) for p in params]))
    return torch.stack(out)  # (steps, number of weights)


def _check(got, expected, what, oracle, hint):
    for k in range(len(expected)):
        assert_close(got[k], expected[k], rtol=1e-9, atol=1e-10,
                     what=f"{what}: the weights after step {k + 1}", oracle=oracle, hint=hint)


def test_sgd_with_momentum_and_weight_decay_matches_torch():
    kw = dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)
    got = _trajectory(lambda ps: SGD(ps, **kw))
    expected = _trajectory(lambda ps: torch.optim.SGD(ps, foreach=False, **kw))
    _check(got, expected, f"SGD({kw}) over 100 steps", "torch.optim.SGD",
           "g = grad + weight_decay * p; on a parameter's first step b = g, later "
           "b = momentum * b + (1 - dampening) * g; p -= lr * b")


def test_adam_first_step_is_lr_times_sign_of_gradient():
    g = torch.tensor([2.0, -0.5, 1e-3], dtype=torch.float64)
    p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = Adam([p], lr=0.01, eps=1e-12)
    p.grad = g.clone()
    opt.step()
    assert_close(p.detach(), -0.01 * torch.sign(g), rtol=1e-9, atol=1e-12,
                 what="Adam(lr=0.01, eps=1e-12): p after one step from 0 with gradient "
                      f"{g.tolist()}",
                 oracle="the closed form -lr * sign(g)",
                 hint="bias correction: at t = 1, m / (1 - beta1) = g and v / (1 - beta2) = g**2")


def test_adamw_with_two_param_groups_matches_torch():
    def groups(ps):
        return [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.003, "weight_decay": 0.0}]

    kw = dict(lr=0.01, betas=(0.9, 0.95), weight_decay=0.1)
    got = _trajectory(lambda ps: AdamW(groups(ps), **kw))
    expected = _trajectory(lambda ps: torch.optim.AdamW(groups(ps), foreach=False, **kw))
    _check(got, expected, f"AdamW({kw}) with a second group (lr=0.003, weight_decay=0)",
           "torch.optim.AdamW", "decoupled decay p -= lr * weight_decay * p before the Adam "
           "step (not through the gradient); each group uses its own lr and weight_decay")


def test_rmsprop_centered_with_momentum_matches_torch():
    kw = dict(lr=0.005, alpha=0.9, centered=True, momentum=0.8)
    got = _trajectory(lambda ps: RMSprop(ps, **kw))
    expected = _trajectory(lambda ps: torch.optim.RMSprop(ps, foreach=False, **kw))
    _check(got, expected, f"RMSprop({kw}) over 100 steps", "torch.optim.RMSprop",
           "centered: divide by sqrt(v - g_avg**2) + eps; the momentum buffer starts at zero")
