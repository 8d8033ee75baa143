"""Hidden tests for phase3.attention.

Oracles: torch.nn.functional.scaled_dot_product_attention on the same inputs (outputs and
autograd gradients, float64), torch.nn.MultiheadAttention with one head after copying the
weights (for SelfAttention with a key padding mask), torch.tril / arange for the mask
builders, closed forms (a single allowed key returns its value; scale 0 averages the allowed
values; a hand-computed 2-key softmax; fully masked rows give 0), and invariants (weights rows
sum to 1, masked keys get weight exactly 0, causality, padding invariance, permutation
equivariance). Your code runs with torch's SDPA forbidden, torch.* and aten alike.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from phase3_testkit import SDPA_PATHS
from torch import nn

from phase3.attention import (
    SelfAttention,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)
from shared import assert_close, assert_equal, forbidden

F64 = torch.float64
TORCH = "torch.nn.functional.scaled_dot_product_attention, float64"
SDPA_HINT = ("softmax((q @ k^T) * scale + mask) @ v with the softmax over the keys (last axis), "
             "scale = 1 / sqrt(d) by default (d = q.shape[-1], not d itself)")
MASK_HINT = ("mask the SCORES before the softmax (masked -> -inf), not the weights after it; "
             "boolean True means 'may attend'")


def _randn(*shape, seed, dtype=F64, scale=1.0):
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _rand_bool(*shape, seed, p=0.6):
    """A random boolean mask whose every row (last axis) has at least one True."""
    gen = torch.Generator().manual_seed(seed)
    mask = torch.rand(*shape, generator=gen) < p
    first = torch.zeros(shape, dtype=torch.bool)
    first[..., int(torch.randint(shape[-1], (1,), generator=gen))] = True
    return mask | first


def _sdpa(*args, **kwargs):
    with forbidden(*SDPA_PATHS, by="phase3.attention.scaled_dot_product_attention"):
        return scaled_dot_product_attention(*args, **kwargs)


def _qkv(lead, T_q, T_k, d, d_v, seed, scale=1.0):
    return (_randn(*lead, T_q, d, seed=seed, scale=scale),
            _randn(*lead, T_k, d, seed=seed + 1, scale=scale),
            _randn(*lead, T_k, d_v, seed=seed + 2))


def _assert_forward_and_grads(q, k, v, what, hint=SDPA_HINT, oracle=TORCH, expected_fn=None,
                              **kwargs):
    """Output and d(sum(out * g))/d(q, k, v) agree with the oracle (torch's SDPA by default)."""
    expected_fn = expected_fn or (lambda q, k, v: F.scaled_dot_product_attention(q, k, v,
                                                                                 **kwargs))
    mine = [t.detach().clone().requires_grad_(True) for t in (q, k, v)]
    ref = [t.detach().clone().requires_grad_(True) for t in (q, k, v)]
    got = _sdpa(*mine, **kwargs)
    exp = expected_fn(*ref)
    assert_close(got, exp, what=f"{what}: the output", oracle=oracle, hint=hint)
    assert got.requires_grad, (f"{what}: the output does not require grad; gradients must flow "
                               "back to q, k and v (do not detach)")
    upstream = _randn(*exp.shape, seed=999)
    with forbidden(*SDPA_PATHS, by="phase3.attention.scaled_dot_product_attention"):
        (got * upstream).sum().backward()
    (exp * upstream).sum().backward()
    for name, a, b in zip("qkv", mine, ref, strict=True):
        assert a.grad is not None, f"{what}: no gradient reached {name}"
        assert_close(a.grad, b.grad, what=f"{what}: the gradient with respect to {name}",
                     oracle=oracle + " (autograd)", hint=hint)


# --------------------------------------------------------------------------------------------
# scaled_dot_product_attention without masks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lead, T_q, T_k, d, d_v", [
    ((3,), 5, 5, 4, 4), ((2,), 3, 7, 8, 5), ((2, 3), 6, 4, 16, 2), ((), 4, 6, 3, 7),
])
def test_sdpa_matches_torch_forward_and_grads(lead, T_q, T_k, d, d_v):
    q, k, v = _qkv(lead, T_q, T_k, d, d_v, seed=10)
    _assert_forward_and_grads(q, k, v, f"scaled_dot_product_attention with q {(*lead, T_q, d)}, "
                                       f"k {(*lead, T_k, d)}, v {(*lead, T_k, d_v)}")


def test_default_scale_is_one_over_sqrt_head_dim():
    # d = 4, so the default scale is 1/2. q . k0 = 4 and q . k1 = 0: scores (2, 0).
    q = torch.tensor([[1.0, 1.0, 1.0, 1.0]], dtype=F64)
    k = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]], dtype=F64)
    v = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=F64)
    w0 = 1.0 / (1.0 + math.exp(-2.0))
    assert_close(_sdpa(q, k, v), torch.tensor([[w0, 1.0 - w0]], dtype=F64),
                 what="attention of q = (1,1,1,1) over keys (1,1,1,1) and 0 with one-hot values",
                 oracle="the closed form softmax((4, 0) / sqrt(4)) = softmax((2, 0))",
                 hint="divide the scores by sqrt(d) = 2, not by d = 4 and not by sqrt(T)")


def test_scale_argument_replaces_the_default():
    q, k, v = _qkv((2,), 4, 5, 6, 3, seed=20)
    _assert_forward_and_grads(q, k, v, "scaled_dot_product_attention(..., scale=0.3)",
                              hint="when scale is given, multiply the scores by it instead of "
                                   "1 / sqrt(d)", scale=0.3)


def test_scale_zero_averages_the_values():
    q, k, v = _qkv((2,), 3, 5, 4, 3, seed=25)
    got = _sdpa(q, k, v, scale=0.0)
    assert_close(got, v.mean(dim=-2, keepdim=True).expand(2, 3, 3),
                 what="scaled_dot_product_attention(..., scale=0.0)",
                 oracle="the closed form: equal scores give uniform weights, the mean of v",
                 hint="scale=0.0 is a valid scale (test `scale is None`, not `not scale`)")


def test_large_scores_do_not_overflow():
    q, k, v = _qkv((2,), 4, 6, 8, 3, seed=30, scale=40.0)
    got = _sdpa(q, k, v)
    assert torch.isfinite(got).all(), (
        "with scores in the thousands your output has inf or NaN: subtract each row's maximum "
        "score before exp (or use torch.softmax, which does)")
    assert_close(got, F.scaled_dot_product_attention(q, k, v),
                 what="attention with queries and keys of scale 40 (scores ~ 1e3)",
                 oracle=TORCH, hint="subtract the row maximum before exp")


def test_float32_input_gives_float32_output():
    q, k, v = (t.float() for t in _qkv((2, 2), 5, 7, 8, 4, seed=35))
    got = _sdpa(q, k, v, attn_mask=_rand_bool(5, 7, seed=36))
    assert got.dtype == torch.float32, f"float32 inputs must give a float32 output, got {got.dtype}"
    assert_close(got, F.scaled_dot_product_attention(q, k, v, attn_mask=_rand_bool(5, 7, seed=36)),
                 rtol=1e-5, atol=1e-5, what="float32 attention with a boolean mask",
                 oracle="torch.nn.functional.scaled_dot_product_attention, float32",
                 hint=SDPA_HINT)


# --------------------------------------------------------------------------------------------
# masks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mask_shape", [(4, 6), (2, 1, 4, 6), (2, 3, 4, 6), (2, 1, 1, 6)])
def test_boolean_mask_matches_torch(mask_shape):
    q, k, v = _qkv((2, 3), 4, 6, 5, 3, seed=40)
    mask = _rand_bool(*mask_shape, seed=41)
    _assert_forward_and_grads(q, k, v, f"attention with a boolean attn_mask of shape {mask_shape} "
                                       "(broadcast to (2, 3, 4, 6))",
                              hint=MASK_HINT + "; the mask broadcasts against the scores",
                              attn_mask=mask)


def test_mask_polarity_true_means_may_attend():
    """In a boolean mask, True means the query may attend to that key."""
    # Each query may attend to exactly one key, so its output is that key's value row.
    q, k, v = _qkv((2,), 3, 4, 5, 3, seed=45)
    mask = torch.zeros(3, 4, dtype=torch.bool)
    allowed = [2, 0, 3]
    for i, j in enumerate(allowed):
        mask[i, j] = True
    assert_close(_sdpa(q, k, v, attn_mask=mask), v[:, allowed],
                 what="attention where query i may attend only to key (2, 0, 3)[i]",
                 oracle="the closed form: a single allowed key gets weight 1",
                 hint="boolean masks mean True = MAY attend (as torch's SDPA), the opposite of "
                      "nn.MultiheadAttention's key_padding_mask")


@pytest.mark.parametrize("mask_shape", [(4, 6), (2, 1, 4, 6)])
def test_additive_float_mask_matches_torch(mask_shape):
    q, k, v = _qkv((2, 3), 4, 6, 5, 3, seed=50)
    bias = _randn(*mask_shape, seed=51, scale=2.0)
    bias = bias.masked_fill(~_rand_bool(*mask_shape, seed=52), float("-inf"))
    _assert_forward_and_grads(q, k, v, f"attention with an additive float attn_mask of shape "
                                       f"{mask_shape} (finite biases and -inf)",
                              hint="a float mask is ADDED to the scaled scores before the softmax "
                                   "(do not treat it as boolean, do not scale it)",
                              attn_mask=bias)


@pytest.mark.parametrize("T_q, T_k", [(5, 5), (3, 6), (6, 3)])
def test_is_causal_matches_torch_top_left_aligned(T_q, T_k):
    """is_causal matches torch, with the causal mask aligned top left."""
    q, k, v = _qkv((2, 2), T_q, T_k, 4, 3, seed=60)
    _assert_forward_and_grads(q, k, v, f"attention with is_causal=True, T_q={T_q}, T_k={T_k}",
                              hint="query i may attend to keys j <= i, the diagonal included, "
                                   "counted from the top-left (torch's convention)",
                              is_causal=True)


def test_is_causal_and_attn_mask_both_apply():
    """is_causal and attn_mask both apply when given together."""
    q, k, v = _qkv((2,), 5, 5, 4, 3, seed=65)
    mask = _rand_bool(2, 5, 5, seed=66)
    mask[:, :, 0] = True  # key 0 is visible to every query, so no row is fully masked
    both = mask & torch.ones(5, 5, dtype=torch.bool).tril()
    _assert_forward_and_grads(
        q, k, v, "attention with is_causal=True and a boolean attn_mask together",
        hint="with both, a key is attended only if the causal rule AND the mask allow it",
        oracle=TORCH + " with attn_mask = mask & tril",
        expected_fn=lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=both),
        attn_mask=mask, is_causal=True)


def test_attention_weights_rows_sum_to_one_and_masked_keys_get_zero():
    # With v = identity (d_v = T_k) the output IS the matrix of attention weights.
    q, k, _ = _qkv((2, 3), 4, 6, 5, 1, seed=70)
    v = torch.eye(6, dtype=F64).expand(2, 3, 6, 6)
    mask = _rand_bool(2, 1, 4, 6, seed=71)
    weights = _sdpa(q, k, v, attn_mask=mask)
    assert_close(weights.sum(-1), torch.ones(2, 3, 4, dtype=F64),
                 what="the rows of the attention weights (output for v = identity)",
                 oracle="the invariant: softmax rows sum to 1", hint=MASK_HINT)
    masked = weights.masked_select(~mask.expand(2, 3, 4, 6))
    assert (masked == 0).all(), (
        f"masked keys must get weight exactly 0; the largest weight on a masked key is "
        f"{masked.abs().max().item():.3g}. Hint: {MASK_HINT}")
    weights = _sdpa(q, k, v, is_causal=True)
    above = weights.masked_select(~torch.ones(4, 6, dtype=torch.bool).tril())
    assert (above == 0).all(), (
        "with is_causal=True, key j > i must get weight exactly 0 for query i; got up to "
        f"{above.abs().max().item():.3g}. Hint: the diagonal is allowed, everything above it "
        "is not")


def test_causal_output_unchanged_when_future_keys_change():
    """The causal output stays unchanged when future keys change."""
    q, k, v = _qkv((2,), 6, 6, 4, 3, seed=75)
    base = _sdpa(q, k, v, is_causal=True)
    for t in range(5):
        k2, v2 = k.clone(), v.clone()
        k2[:, t + 1:] += 3.0
        v2[:, t + 1:] -= 2.0
        out = _sdpa(q, k2, v2, is_causal=True)
        assert_close(out[:, :t + 1], base[:, :t + 1],
                     what=f"causal outputs 0..{t} after changing keys and values {t + 1}..5",
                     oracle="the causality invariant: a query never sees later keys",
                     hint="query i must not attend to key i + 1 or later")
        assert not torch.allclose(out[:, t + 1:], base[:, t + 1:]), (
            f"changing keys/values {t + 1}.. left the outputs of queries {t + 1}.. unchanged: "
            "does query i see key i itself and the keys before it?")


# --------------------------------------------------------------------------------------------
# fully masked rows
# --------------------------------------------------------------------------------------------


def _fully_masked_oracle(mask_ok_rows):
    """SDPA with fully masked rows made visible, and then zeroed: the documented closed form."""
    def expected(q, k, v, attn_mask):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask) * mask_ok_rows
    return expected


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_fully_masked_rows_give_zero_output_and_finite_grads(kind):
    q, k, v = _qkv((2, 2), 4, 5, 3, 3, seed=80)
    mask = _rand_bool(2, 1, 4, 5, seed=81)
    mask[0, 0, 1] = False  # batch 0: query 1 sees nothing
    mask[1, 0, 3] = False  # batch 1: query 3 sees nothing
    ok = mask.any(-1, keepdim=True)  # (2, 1, 4, 1)
    visible = mask | ~ok  # the same mask with fully masked rows opened up (for the oracle)
    if kind == "bool":
        mine_mask, ref_mask = mask, visible
    else:
        zeros = torch.zeros(mask.shape, dtype=F64)
        mine_mask = zeros.masked_fill(~mask, float("-inf"))
        ref_mask = zeros.masked_fill(~visible, float("-inf"))
    got = _sdpa(q, k, v, attn_mask=mine_mask)
    assert not torch.isnan(got).any(), (
        f"a {kind} mask with fully masked rows gave NaN; the spec says those rows are 0. Hint: "
        "softmax of all -inf is 0/0; use a finite row maximum and do not divide by a zero sum")
    _assert_forward_and_grads(
        q, k, v, f"attention with a {kind} mask where some queries see no key",
        hint="fully masked rows: weights 0, output 0, gradients finite (no NaN)",
        oracle="the documented closed form (rows with no visible key are 0; other rows from "
               "torch's SDPA)",
        expected_fn=lambda q, k, v: _fully_masked_oracle(ok)(q, k, v, ref_mask),
        attn_mask=mine_mask)


def test_padding_plus_causal_can_fully_mask_a_row():
    """A row fully masked by padding plus causality gives a zero output."""
    # Key 0 is padding and the query at position 0 is causal: it sees nothing.
    q, k, v = _qkv((1,), 3, 3, 4, 2, seed=85)
    keys = torch.tensor([[False, True, True]])
    got = _sdpa(q, k, v, attn_mask=keys[:, None, :], is_causal=True)
    assert_close(got[:, 0], torch.zeros(1, 2, dtype=F64),
                 what="query 0 with is_causal=True and key 0 padded",
                 oracle="the documented closed form: no visible key -> output 0",
                 hint="rows where every key is masked must be 0, not NaN")
    assert_close(got[:, 1], v[:, 1], what="query 1 with is_causal=True and key 0 padded",
                 oracle="the closed form: its only visible key is key 1",
                 hint=MASK_HINT)
    assert_close(got[:, 2:], F.scaled_dot_product_attention(q[:, 2:], k[:, 1:], v[:, 1:]),
                 what="query 2 with is_causal=True and key 0 padded",
                 oracle="torch's SDPA of query 2 over keys 1..2", hint=MASK_HINT)


# --------------------------------------------------------------------------------------------
# mask builders
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("T_q, T_k", [(1, 1), (4, 4), (2, 6), (6, 2)])
def test_causal_mask_matches_tril(T_q, T_k):
    got = causal_mask(T_q, T_k)
    assert got.dtype == torch.bool, f"causal_mask must be torch.bool, got {got.dtype}"
    assert_equal(got, torch.ones(T_q, T_k, dtype=torch.bool).tril(),
                 what=f"causal_mask({T_q}, {T_k})", oracle="torch.ones(T_q, T_k).tril()",
                 hint="mask[i, j] = j <= i: True on and below the diagonal")


def test_padding_mask_marks_real_tokens_true():
    lengths = torch.tensor([3, 0, 5, 1])
    got = padding_mask(lengths, 5)
    assert got.dtype == torch.bool, f"padding_mask must be torch.bool, got {got.dtype}"
    expected = torch.tensor([[1, 1, 1, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]],
                            dtype=torch.bool)
    assert_equal(got, expected, what="padding_mask(lengths=[3, 0, 5, 1], T=5)",
                 oracle="the definition mask[b, t] = t < lengths[b]",
                 hint="True marks REAL tokens (keys that may be attended), False the padding")


def test_padded_keys_do_not_change_the_output():
    q, k, v = _qkv((3,), 4, 6, 5, 3, seed=90)
    lengths = torch.tensor([6, 2, 4])
    mask = padding_mask(lengths, 6)[:, None, :]  # (B, 1, T_k)
    base = _sdpa(q, k, v, attn_mask=mask)
    junk = torch.arange(6)[None, :, None] >= lengths[:, None, None]
    out = _sdpa(q, k + 5.0 * junk, v - 7.0 * junk, attn_mask=mask)
    assert_close(out, base, what="attention output after changing the padded keys and values",
                 oracle="the invariant: padded keys get weight 0",
                 hint="padded keys must be masked before the softmax")
    for b, n in enumerate(lengths.tolist()):
        assert_close(base[b], F.scaled_dot_product_attention(q[b], k[b, :n], v[b, :n]),
                     what=f"sequence {b} of length {n} with padding to 6",
                     oracle="torch's SDPA on the unpadded keys", hint=MASK_HINT)


# --------------------------------------------------------------------------------------------
# SelfAttention
# --------------------------------------------------------------------------------------------


def _layer(embed_dim, head_dim=None, bias=True, seed=0):
    torch.manual_seed(seed)
    layer = SelfAttention(embed_dim, head_dim=head_dim, bias=bias).double()
    with torch.no_grad():  # non-zero biases, so that every bias matters
        for i, p in enumerate(layer.parameters()):
            p.copy_(_randn(*p.shape, seed=100 * seed + i, scale=0.5))
    return layer


def _run_layer(layer, x, **kwargs):
    with forbidden(*SDPA_PATHS, by="phase3.attention.SelfAttention"):
        return layer(x, **kwargs)


def _projections_oracle(layer, x, **kwargs):
    """out_proj(SDPA(q_proj(x), k_proj(x), v_proj(x))) written with F.linear on the weights."""
    def lin(m, t):
        return F.linear(t, m.weight, m.bias)
    y = F.scaled_dot_product_attention(lin(layer.q_proj, x), lin(layer.k_proj, x),
                                       lin(layer.v_proj, x), **kwargs)
    return lin(layer.out_proj, y)


def test_self_attention_has_documented_parameters():
    """Self attention has the documented parameters."""
    layer = SelfAttention(8, head_dim=4, bias=True)
    shapes = {n: tuple(p.shape) for n, p in layer.named_parameters()}
    expected = {"q_proj.weight": (4, 8), "q_proj.bias": (4,), "k_proj.weight": (4, 8),
                "k_proj.bias": (4,), "v_proj.weight": (4, 8), "v_proj.bias": (4,),
                "out_proj.weight": (8, 4), "out_proj.bias": (8,)}
    assert shapes == expected, f"SelfAttention(8, head_dim=4) parameters: expected {expected}, " \
                               f"got {shapes}"
    x = _randn(1, 3, 8, seed=1, dtype=torch.float32)
    assert layer(x).shape == (1, 3, 8), "SelfAttention must map (B, T, C) to (B, T, C)"


@pytest.mark.parametrize("embed_dim, head_dim, bias", [(8, None, True), (6, 4, True),
                                                       (6, 10, False)])
def test_self_attention_matches_projections_then_sdpa(embed_dim, head_dim, bias):
    layer = _layer(embed_dim, head_dim, bias, seed=3)
    x = _randn(2, 5, embed_dim, seed=4)
    assert_close(_run_layer(layer, x), _projections_oracle(layer, x),
                 what=f"SelfAttention({embed_dim}, head_dim={head_dim}, bias={bias}) on x of "
                      f"shape (2, 5, {embed_dim})",
                 oracle="out_proj(F.scaled_dot_product_attention(q_proj(x), k_proj(x), "
                        "v_proj(x)))",
                 hint="q, k and v each come from their own projection of x; apply out_proj "
                      "last; the scale is 1 / sqrt(head_dim)")


def test_self_attention_is_causal_and_attn_mask():
    """Self attention supports is_causal and a boolean attn_mask."""
    layer = _layer(6, 4, seed=5)
    x = _randn(2, 5, 6, seed=6)
    assert_close(_run_layer(layer, x, is_causal=True),
                 _projections_oracle(layer, x, is_causal=True),
                 what="SelfAttention(6, 4)(x, is_causal=True)",
                 oracle="out_proj(SDPA(..., is_causal=True))",
                 hint="pass is_causal on to your scaled_dot_product_attention")
    mask = _rand_bool(2, 5, 5, seed=7)
    assert_close(_run_layer(layer, x, attn_mask=mask),
                 _projections_oracle(layer, x, attn_mask=mask),
                 what="SelfAttention(6, 4)(x, attn_mask) with a (2, 5, 5) boolean mask",
                 oracle="out_proj(SDPA(..., attn_mask=mask))",
                 hint="pass attn_mask on to your scaled_dot_product_attention")


def test_self_attention_with_padding_matches_one_head_multihead_attention():
    """Self attention with padding matches torch multi-head attention with one head."""
    embed_dim = 6
    layer = _layer(embed_dim, seed=8)
    ref = nn.MultiheadAttention(embed_dim, 1, batch_first=True, dtype=F64)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([layer.q_proj.weight, layer.k_proj.weight,
                                            layer.v_proj.weight]))
        ref.in_proj_bias.copy_(torch.cat([layer.q_proj.bias, layer.k_proj.bias,
                                          layer.v_proj.bias]))
        ref.out_proj.weight.copy_(layer.out_proj.weight)
        ref.out_proj.bias.copy_(layer.out_proj.bias)
    x = _randn(3, 5, embed_dim, seed=9)
    keep = padding_mask(torch.tensor([5, 3, 1]), 5)
    got = _run_layer(layer, x, attn_mask=keep[:, None, :])
    expected, _ = ref(x, x, x, key_padding_mask=~keep, need_weights=False)
    assert_close(got, expected,
                 what="SelfAttention(6) with a key padding mask from lengths (5, 3, 1)",
                 oracle="torch.nn.MultiheadAttention(6, num_heads=1) with the same weights and "
                        "key_padding_mask = ~padding_mask(...)",
                 hint="padding_mask is True for real tokens; use it as attn_mask[:, None, :]")


def test_self_attention_is_permutation_equivariant():
    layer = _layer(6, 4, seed=11)
    x = _randn(2, 5, 6, seed=12)
    perm = torch.tensor([3, 0, 4, 1, 2])
    assert_close(_run_layer(layer, x[:, perm]), _run_layer(layer, x)[:, perm],
                 what="SelfAttention on permuted tokens vs the permuted output",
                 oracle="the invariant: attention without positions is permutation-equivariant",
                 hint="queries, keys and values must all come from the same x, token by token")
