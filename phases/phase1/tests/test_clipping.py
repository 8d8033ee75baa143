"""Public smoke tests for phase1.clipping (the grader also runs hidden tests).

Oracles: torch.nn.utils.clip_grad_norm_ and clip_grad_value_ applied to copies of the same
parameters and gradients, in float64.
"""

import torch
from phase1_testkit import copy_params

from phase1.clipping import clip_grad_norm_, clip_grad_value_
from shared import assert_close

TOL = {"rtol": 1e-10, "atol": 1e-12}


def _params(seed, scale, shapes=((3, 4), (5,), (2, 2, 3))):
    gen = torch.Generator().manual_seed(seed)
    params = []
    for shape in shapes:
        p = torch.nn.Parameter(torch.randn(shape, generator=gen, dtype=torch.float64))
        p.grad = scale * torch.randn(shape, generator=gen, dtype=torch.float64)
        params.append(p)
    return params


def test_clip_grad_norm_scales_all_gradients_to_max_norm():
    mine = _params(0, scale=3.0)
    ref = copy_params(mine)
    got = clip_grad_norm_(mine, max_norm=1.0)
    expected = torch.nn.utils.clip_grad_norm_(ref, max_norm=1.0)
    assert_close(got, expected, **TOL, what="the total norm returned for 3 gradients, max_norm=1",
                 oracle="torch.nn.utils.clip_grad_norm_",
                 hint="one norm over ALL the gradients together, measured before clipping")
    for k, (p, q) in enumerate(zip(mine, ref, strict=True)):
        assert_close(p.grad, q.grad, **TOL, what=f"gradient {k} after clipping to max_norm=1",
                     oracle="torch.nn.utils.clip_grad_norm_",
                     hint="multiply every gradient by min(1, max_norm / (total + 1e-6))")


def test_clip_grad_norm_leaves_small_gradients_unchanged():
    params = _params(1, scale=0.01)
    before = [p.grad.clone() for p in params]
    clip_grad_norm_(params, max_norm=10.0)
    for k, (p, g) in enumerate(zip(params, before, strict=True)):
        unchanged = torch.equal(p.grad, g)
        assert unchanged, (
            f"gradient {k} changed although the total norm is far below max_norm=10. Hint: the "
            "coefficient is min(1, max_norm / (total + 1e-6)): never scale gradients up.")


def test_clip_grad_value_matches_torch():
    mine = _params(2, scale=2.0)
    ref = copy_params(mine)
    out = clip_grad_value_(mine, clip_value=0.5)
    torch.nn.utils.clip_grad_value_(ref, clip_value=0.5)
    assert out is None, f"clip_grad_value_ returns None (it works in place), got {out!r}"
    for k, (p, q) in enumerate(zip(mine, ref, strict=True)):
        assert_close(p.grad, q.grad, **TOL, what=f"gradient {k} after clip_grad_value_(0.5)",
                     oracle="torch.nn.utils.clip_grad_value_",
                     hint="clamp every entry into [-0.5, 0.5], both sides")
