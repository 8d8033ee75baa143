"""Hidden tests for phase3.flash_attention.

Oracles: torch.nn.functional.scaled_dot_product_attention (forward, and gradients through
autograd) on the same inputs in float64, with SDPA and its aten ops forbidden inside your code;
torch.logsumexp of the masked, scaled scores for the logsumexp; a TorchDispatchMode memory
probe that records the largest output of every op run during forward and backward, which must
stay below T_q * T_k elements (the size of one score matrix).
"""

import math

import pytest
import torch
import torch.nn.functional as F
from phase3_testkit import SDPA_PATHS

from phase3.flash_attention import (
    FlashAttention,
    flash_attention,
    flash_attention_backward,
    flash_attention_forward,
    merge_attention,
)
from shared import assert_close, forbidden
from shared.memory import LargestOutput

F64 = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-10}
RESCALE_HINT = ("when a tile raises a row's max from m to m_new, multiply BOTH the running sum "
                "and the running output by exp(m - m_new); divide the output by the sum once, "
                "at the end")
CAUSAL_HINT = ("skip only the tiles entirely above the diagonal (every key index greater than "
               "every query index); the tile holding the diagonal must be computed, masked with "
               "GLOBAL indices: key j is visible to query i iff j <= i")
TAIL_HINT = "T need not be a multiple of the block: the last tile of each axis is shorter"
BACKWARD_HINT = ("recompute P = exp(scale * q k^T - lse) per tile; grad_S = P * (grad_P - D) with "
                 "D_i = sum_c grad_o[i, c] * o[i, c]; scale enters grad_q and grad_k")


def _qkv(b, nh, t_q, t_k, d, d_v, seed, dtype=F64, std=1.0):
    gen = torch.Generator().manual_seed(seed)
    return (std * torch.randn(b, nh, t_q, d, generator=gen, dtype=dtype),
            std * torch.randn(b, nh, t_k, d, generator=gen, dtype=dtype),
            torch.randn(b, nh, t_k, d_v, generator=gen, dtype=dtype))


def _sdpa(q, k, v, causal, scale=None):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=scale)


def _reference_lse(q, k, causal, scale=None):
    """logsumexp over the keys of the scaled (and causally masked) scores; small T only."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = (q @ k.transpose(-2, -1)) * scale
    if causal:
        t_q, t_k = s.shape[-2:]
        visible = torch.ones(t_q, t_k, dtype=torch.bool).tril()
        s = s.masked_fill(~visible, -math.inf)
    return torch.logsumexp(s, dim=-1)


def _forward(q, k, v, causal, block_q, block_k, scale=None):
    with forbidden(*SDPA_PATHS, by="phase3.flash_attention.flash_attention_forward"):
        return flash_attention_forward(q, k, v, causal=causal, block_q=block_q, block_k=block_k,
                                       scale=scale)


# (T_q, T_k, block_q, block_k): blocks dividing T or not, rectangular both ways, one tile,
# tiles of one row or one key, blocks larger than T.
CASES = [(32, 32, 8, 8), (37, 53, 16, 7), (53, 37, 7, 16), (40, 40, 64, 64), (12, 17, 1, 5),
         (17, 12, 5, 1), (50, 50, 16, 32), (50, 50, 32, 16), (9, 30, 4, 4)]


# --------------------------------------------------------------------------------------------
# forward
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(("t_q", "t_k", "block_q", "block_k"), CASES)
def test_forward_matches_sdpa(t_q, t_k, block_q, block_k, causal):
    q, k, v = _qkv(2, 3, t_q, t_k, 8, 6, seed=t_q * 100 + t_k)
    o, _ = _forward(q, k, v, causal, block_q, block_k)
    assert_close(o, _sdpa(q, k, v, causal), **TOL,
                 what=f"flash_attention_forward(causal={causal}) for q (2, 3, {t_q}, 8), "
                      f"k (2, 3, {t_k}, 8), v (2, 3, {t_k}, 6), block_q={block_q}, "
                      f"block_k={block_k}",
                 oracle=f"F.scaled_dot_product_attention(is_causal={causal}) in float64",
                 hint=f"{CAUSAL_HINT if causal else RESCALE_HINT}. {TAIL_HINT}")


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(("t_q", "t_k", "block_q", "block_k"), CASES[:4] + CASES[6:8])
def test_logsumexp_matches_torch_logsumexp(t_q, t_k, block_q, block_k, causal):
    q, k, v = _qkv(2, 2, t_q, t_k, 8, 8, seed=7 + t_q, std=2.0)
    _, lse = _forward(q, k, v, causal, block_q, block_k)
    assert_close(lse, _reference_lse(q, k, causal), **TOL,
                 what=f"the logsumexp returned by flash_attention_forward(causal={causal}), "
                      f"T_q={t_q}, T_k={t_k}, block_q={block_q}, block_k={block_k}",
                 oracle="torch.logsumexp of the scaled, masked scores",
                 hint="lse = m + log(l) with the FINAL running max m and running sum l of "
                      "exp(score - m), natural log, of the scaled scores; shape (B, nh, T_q)")


def test_output_and_logsumexp_shapes_and_dtypes():
    """Output and logsumexp have the right shapes and dtypes."""
    q, k, v = _qkv(2, 3, 11, 13, 4, 7, seed=3, dtype=torch.float32)
    o, lse = _forward(q, k, v, False, 4, 4)
    assert tuple(o.shape) == (2, 3, 11, 7) and o.dtype == torch.float32, (
        f"flash_attention_forward must return o of shape (B, nh, T_q, d_v) = (2, 3, 11, 7) in "
        f"q's dtype float32; got {tuple(o.shape)}, {o.dtype}")
    assert tuple(lse.shape) == (2, 3, 11) and lse.dtype == torch.float32, (
        f"flash_attention_forward must return lse of shape (B, nh, T_q) = (2, 3, 11) in q's "
        f"dtype float32; got {tuple(lse.shape)}, {lse.dtype}")


@pytest.mark.parametrize("causal", [False, True])
def test_scale_argument_is_used(causal):
    q, k, v = _qkv(1, 2, 21, 21, 8, 8, seed=4)
    o, lse = _forward(q, k, v, causal, 8, 8, scale=0.9)
    what = f"flash_attention_forward(scale=0.9, causal={causal}), T = 21, blocks 8"
    assert_close(o, _sdpa(q, k, v, causal, scale=0.9), **TOL, what=what + ": the output",
                 oracle="F.scaled_dot_product_attention(scale=0.9)",
                 hint="multiply the scores by `scale` when it is given; 1/sqrt(d) only for None")
    assert_close(lse, _reference_lse(q, k, causal, scale=0.9), **TOL,
                 what=what + ": the logsumexp", oracle="torch.logsumexp of 0.9 * q k^T",
                 hint="the logsumexp is of the SCALED scores")


@pytest.mark.parametrize("causal", [False, True])
def test_large_scores_do_not_overflow_in_float32(causal):
    # Scores up to several hundred: exp overflows float32 unless the running max is subtracted,
    # and the max changes from tile to tile, so the rescaling is exercised.
    q, k, v = _qkv(2, 2, 40, 40, 16, 8, seed=5, dtype=torch.float32, std=6.0)
    o, lse = _forward(q, k, v, causal, 8, 8)
    q64, k64, v64 = q.double(), k.double(), v.double()
    assert_close(o, _sdpa(q64, k64, v64, causal), rtol=1e-4, atol=1e-4,
                 what=f"flash_attention_forward in float32 with scores up to ~500 "
                      f"(causal={causal})", oracle="F.scaled_dot_product_attention in float64",
                 hint="subtract the running max before exponentiating: exp(s - m), never exp(s)")
    assert_close(lse, _reference_lse(q64, k64, causal), rtol=1e-5, atol=1e-3,
                 what=f"the logsumexp in float32 with large scores (causal={causal})",
                 oracle="torch.logsumexp in float64", hint="lse = m + log(l), not log(l)")


def test_running_max_changes_inside_a_row():
    """The running max is handled correctly when it changes inside a row."""
    # Keys with increasing norms along the sequence: each new tile raises every row's max, so an
    # unrescaled running sum or output is wrong by a large factor.
    gen = torch.Generator().manual_seed(6)
    q = torch.randn(1, 1, 16, 4, generator=gen, dtype=F64).abs()
    k = torch.randn(1, 1, 32, 4, generator=gen, dtype=F64).abs()
    k = k * torch.linspace(0.5, 4.0, 32, dtype=F64)[:, None]
    v = torch.randn(1, 1, 32, 3, generator=gen, dtype=F64)
    o, _ = _forward(q, k, v, False, 4, 4)
    assert_close(o, _sdpa(q, k, v, False), **TOL,
                 what="flash_attention_forward where every key tile raises each row's max",
                 oracle="F.scaled_dot_product_attention in float64", hint=RESCALE_HINT)


def test_invalid_block_sizes_raise_value_error():
    q, k, v = _qkv(1, 1, 8, 8, 4, 4, seed=8)
    for bq, bk in ((0, 4), (4, 0), (-2, 4)):
        with pytest.raises(ValueError):
            flash_attention_forward(q, k, v, block_q=bq, block_k=bk)


def test_any_leading_axes_work():
    q, k, v = _qkv(1, 1, 19, 23, 8, 8, seed=9)
    q3, k3, v3 = q[0], k[0], v[0]  # (nh, T, d): no batch axis
    o, _ = _forward(q3, k3, v3, True, 8, 8)
    assert_close(o, _sdpa(q3, k3, v3, True), **TOL,
                 what="flash_attention_forward on 3-D inputs (nh, T, d)",
                 oracle="F.scaled_dot_product_attention",
                 hint="index the sequence axis as -2 and the feature axis as -1 (q[..., i0:i1, :])")


# --------------------------------------------------------------------------------------------
# merging partial results
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("split", [1, 20, 39])
def test_merge_of_two_key_sets_equals_attention_over_all_keys(split):
    q, k, v = _qkv(2, 2, 13, 40, 8, 5, seed=10, std=2.0)
    # Each part from the oracle: SDPA over the part's keys, and torch.logsumexp of its scores.
    parts = [(_sdpa(q, k[..., s, :], v[..., s, :], False), _reference_lse(q, k[..., s, :], False))
             for s in (slice(0, split), slice(split, None))]
    o, lse = merge_attention(parts[0][0], parts[0][1], parts[1][0], parts[1][1])
    what = f"merge_attention of attention over keys [0, {split}) and [{split}, 40)"
    assert_close(o, _sdpa(q, k, v, False), **TOL, what=what + ": the output",
                 oracle="F.scaled_dot_product_attention over all 40 keys",
                 hint="weight each part by exp(lse_part - lse), with lse = logaddexp(lse_a, lse_b)")
    assert_close(lse, _reference_lse(q, k, False), **TOL, what=what + ": the logsumexp",
                 oracle="torch.logsumexp over all 40 keys",
                 hint="lse = log(exp(lse_a) + exp(lse_b)), computed stably")


def test_merge_does_not_overflow():
    o_a = torch.ones(1, 1, 2, 3, dtype=torch.float32)
    o_b = 3 * torch.ones(1, 1, 2, 3, dtype=torch.float32)
    lse_a = torch.tensor([[[100.0, 120.0]]])
    lse_b = torch.tensor([[[100.0, 120.0 + math.log(3.0)]]])
    o, lse = merge_attention(o_a, lse_a, o_b, lse_b)
    assert_close(o, torch.tensor([[[[2.0] * 3, [2.5] * 3]]]), rtol=1e-5, atol=1e-5,
                 what="merge_attention with logsumexps of 100 and 120 in float32 (exp overflows)",
                 oracle="the closed form: weights exp(lse_a - lse) and exp(lse_b - lse)",
                 hint="never exponentiate an lse itself: use logaddexp and differences")
    assert_close(lse, torch.tensor([[[100.0 + math.log(2.0), 120.0 + math.log(4.0)]]]),
                 rtol=1e-6, atol=1e-4, what="the merged logsumexp with large values",
                 oracle="log(exp(a) + exp(b)) in closed form", hint="use torch.logaddexp")


# --------------------------------------------------------------------------------------------
# backward
# --------------------------------------------------------------------------------------------


def _grads(fn, q, k, v, upstream):
    q, k, v = (t.detach().clone().requires_grad_(True) for t in (q, k, v))
    out = fn(q, k, v)
    out.backward(upstream)
    return out.detach(), q.grad, k.grad, v.grad


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(("t_q", "t_k", "block_q", "block_k"),
                         [(37, 53, 16, 7), (53, 37, 7, 16), (50, 50, 16, 32), (24, 24, 8, 8),
                          (10, 10, 32, 32)])
def test_gradients_match_sdpa(t_q, t_k, block_q, block_k, causal):
    q, k, v = _qkv(2, 2, t_q, t_k, 8, 6, seed=11 + t_q)
    upstream = torch.randn(2, 2, t_q, 6, generator=torch.Generator().manual_seed(12), dtype=F64)

    def mine(q, k, v):
        out = flash_attention(q, k, v, causal=causal, block_q=block_q, block_k=block_k)
        return out

    with forbidden(*SDPA_PATHS, by="phase3.flash_attention.flash_attention"):
        got = _grads(mine, q, k, v, upstream)
    expected = _grads(lambda q, k, v: _sdpa(q, k, v, causal), q, k, v, upstream)
    what = (f"flash_attention(causal={causal}), T_q={t_q}, T_k={t_k}, block_q={block_q}, "
            f"block_k={block_k}")
    oracle = "autograd through F.scaled_dot_product_attention in float64"
    assert_close(got[0], expected[0], **TOL, what=what + ": the output", oracle=oracle,
                 hint=CAUSAL_HINT if causal else RESCALE_HINT)
    for name, g, e in zip(("q", "k", "v"), got[1:], expected[1:], strict=True):
        assert g is not None, f"{what}: no gradient reached {name}; does backward return it?"
        assert_close(g, e, **TOL, what=f"{what}: the gradient with respect to {name}",
                     oracle=oracle, hint=BACKWARD_HINT + (". " + CAUSAL_HINT if causal else ""))


def test_gradients_with_scale():
    """Gradients match SDPA with a custom scale."""
    q, k, v = _qkv(1, 2, 20, 20, 8, 8, seed=13)
    upstream = torch.randn(1, 2, 20, 8, generator=torch.Generator().manual_seed(14), dtype=F64)
    got = _grads(lambda q, k, v: flash_attention(q, k, v, True, 8, 8, 0.7), q, k, v, upstream)
    expected = _grads(lambda q, k, v: _sdpa(q, k, v, True, 0.7), q, k, v, upstream)
    for name, g, e in zip(("q", "k", "v"), got[1:], expected[1:], strict=True):
        assert_close(g, e, **TOL, what=f"flash_attention(scale=0.7): gradient of {name}",
                     oracle="autograd through F.scaled_dot_product_attention(scale=0.7)",
                     hint="use the given scale in backward too: grad_q = grad_S @ k * scale, "
                          "grad_k = grad_S^T @ q * scale")


@pytest.mark.parametrize("causal", [False, True])
def test_backward_function_from_saved_output_and_logsumexp(causal):
    """The backward function computes gradients from the saved output and logsumexp."""
    # flash_attention_backward on its own, fed o and lse computed by the oracle.
    q, k, v = _qkv(2, 2, 27, 35, 8, 5, seed=15)
    upstream = torch.randn(2, 2, 27, 5, generator=torch.Generator().manual_seed(16), dtype=F64)
    o = _sdpa(q, k, v, causal)
    lse = _reference_lse(q, k, causal)
    with forbidden(*SDPA_PATHS, by="phase3.flash_attention.flash_attention_backward"):
        got = flash_attention_backward(q, k, v, o, lse, upstream, causal=causal, block_q=8,
                                       block_k=16)
    expected = _grads(lambda q, k, v: _sdpa(q, k, v, causal), q, k, v, upstream)[1:]
    for name, g, e in zip(("grad_q", "grad_k", "grad_v"), got, expected, strict=True):
        assert_close(g, e, **TOL,
                     what=f"{name} from flash_attention_backward(causal={causal}), T_q=27, "
                          "T_k=35, block_q=8, block_k=16, given o and lse from the oracle",
                     oracle="autograd through F.scaled_dot_product_attention in float64",
                     hint=BACKWARD_HINT)


def test_output_comes_from_the_custom_function():
    q, k, v = _qkv(1, 1, 8, 8, 4, 4, seed=17)
    out = flash_attention(q.requires_grad_(True), k, v, False, 4, 4)
    cls = getattr(out.grad_fn, "_forward_cls", None)
    assert cls is FlashAttention, (
        f"flash_attention's output has grad_fn {type(out.grad_fn).__name__}, not the backward of "
        "FlashAttention: return FlashAttention.apply(...) so that your hand-written backward "
        "(not autograd through the tiles) computes the gradients")


# --------------------------------------------------------------------------------------------
# memory: no T_q x T_k intermediate, forward or backward
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(("t_q", "t_k"), [(256, 256), (192, 320)])
def test_no_score_matrix_is_materialised(t_q, t_k, causal):
    q, k, v = _qkv(1, 2, t_q, t_k, 16, 16, seed=18, dtype=torch.float32)
    q, k, v = (t.requires_grad_(True) for t in (q, k, v))
    limit = t_q * t_k
    with LargestOutput() as probe:
        out = flash_attention(q, k, v, causal, 64, 64)
        out.backward(torch.ones_like(out))
    assert q.grad is not None and k.grad is not None and v.grad is not None, (
        "flash_attention's backward must return gradients for q, k and v")
    assert probe.largest < limit, (
        f"flash_attention(causal={causal}) with q (1, 2, {t_q}, 16), k and v (1, 2, {t_k}, 16), "
        f"blocks of 64: an op ({probe.op}) created a tensor of {probe.largest} elements during "
        f"forward or backward, at least T_q * T_k = {limit} (one full score matrix). Expected: "
        f"nothing larger than a few tiles or than q, k, v themselves (measured with a "
        f"TorchDispatchMode over every op). Hint: forward AND backward must loop over tiles "
        f"(the backward recomputes P per tile from the saved logsumexp); never build "
        f"q @ k^T whole, nor a full (T_q, T_k) mask")
