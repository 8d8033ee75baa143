"""Hidden tests for phase3.multihead.

Oracles: torch.nn.MultiheadAttention(batch_first=True) after copying the same random weights
(outputs, input gradients and parameter gradients, float64), for self-attention, cross-attention
with T_q != T_k and kdim/vdim, key padding masks, boolean and float attention masks and causal
masks; grouped-query attention against an nn.MultiheadAttention whose K/V weights are the GQA
weights with each kv head repeated for its group (repeat_interleave), and against torch's
scaled_dot_product_attention(enable_gqa=True); invariants (a query's output does not depend on
the other queries; cross-attention is invariant to jointly permuting key/value positions;
causality). torch's attention is forbidden inside your code, torch.* and aten alike.
"""

import pytest
import torch
import torch.nn.functional as F
from phase3_testkit import SDPA_PATHS
from torch import nn

from phase3.multihead import GroupedQueryAttention, MultiHeadAttention
from shared import assert_close, forbidden

F64 = torch.float64
BUILTINS = (*SDPA_PATHS, "torch.nn.MultiheadAttention", "torch._native_multi_head_attention",
            "aten._native_multi_head_attention")
SPLIT_HINT = ("split heads with view(B, T, nh, hs).transpose(1, 2) (head h owns channels "
              "h*hs..(h+1)*hs-1), merge with transpose(1, 2).reshape(B, T, E), then out_proj; "
              "scale each head by 1 / sqrt(hs)")
MASK_HINT = ("masks here mean True = MAY attend, the opposite of nn.MultiheadAttention's; "
             "key_padding_mask (B, T_k) must broadcast as (B, 1, 1, T_k) over heads and queries")
GQA_HINT = ("query head h uses kv head h // (num_heads // num_kv_heads): consecutive query heads "
            "share a kv head (repeat_interleave along the head axis, not repeat)")


def _randn(*shape, seed, scale=1.0):
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _rand_keep(B, T, seed):
    """A (B, T) boolean key mask, True = real key, with key 0 always real."""
    keep = torch.rand(B, T, generator=torch.Generator().manual_seed(seed)) < 0.6
    keep[:, 0] = True
    return keep


def _randomise(module, seed):
    module.double()
    with torch.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(_randn(*p.shape, seed=100 * seed + i, scale=0.4))
    return module


def _torch_twin(mine, k_weight=None, v_weight=None, k_bias=None, v_bias=None):
    """nn.MultiheadAttention with mine's weights (or the K/V weights given)."""
    kdim, vdim = mine.k_proj.in_features, mine.v_proj.in_features
    bias = mine.q_proj.bias is not None
    ref = nn.MultiheadAttention(mine.embed_dim, mine.num_heads, bias=bias, batch_first=True,
                                kdim=kdim, vdim=vdim, dtype=F64)
    kw = mine.k_proj.weight if k_weight is None else k_weight
    vw = mine.v_proj.weight if v_weight is None else v_weight
    with torch.no_grad():
        if ref.in_proj_weight is not None:
            ref.in_proj_weight.copy_(torch.cat([mine.q_proj.weight, kw, vw]))
        else:
            ref.q_proj_weight.copy_(mine.q_proj.weight)
            ref.k_proj_weight.copy_(kw)
            ref.v_proj_weight.copy_(vw)
        if bias:
            kb = mine.k_proj.bias if k_bias is None else k_bias
            vb = mine.v_proj.bias if v_bias is None else v_bias
            ref.in_proj_bias.copy_(torch.cat([mine.q_proj.bias, kb, vb]))
            ref.out_proj.bias.copy_(mine.out_proj.bias)
        ref.out_proj.weight.copy_(mine.out_proj.weight)
    return ref


def _run(module, *args, **kwargs):
    with forbidden(*BUILTINS, by=f"phase3.multihead.{type(module).__name__}"):
        return module(*args, **kwargs)


def _torch_masks(key_padding_mask=None, attn_mask=None, is_causal=False, T_q=None, T_k=None):
    """Our masks (True = may attend) in nn.MultiheadAttention's convention (True = masked)."""
    kpm = None if key_padding_mask is None else ~key_padding_mask
    if is_causal:
        causal = torch.ones(T_q, T_k, dtype=torch.bool).tril()
        attn_mask = causal if attn_mask is None else attn_mask & causal
    if attn_mask is not None and attn_mask.dtype == torch.bool:
        attn_mask = ~attn_mask
    return {"key_padding_mask": kpm, "attn_mask": attn_mask}


def _assert_matches_torch(mine, ref, query, key, value, what, hint=SPLIT_HINT, **masks):
    """Outputs, input grads and parameter grads of mine vs nn.MultiheadAttention."""
    ins = [t.detach().clone().requires_grad_(True) for t in (query, key, value)]
    ref_ins = [t.detach().clone().requires_grad_(True) for t in (query, key, value)]
    got = _run(mine, *ins, **masks)
    expected, _ = ref(*ref_ins, need_weights=False,
                      **_torch_masks(**masks, T_q=query.shape[1], T_k=key.shape[1]))
    oracle = "torch.nn.MultiheadAttention(batch_first=True) with the same weights, float64"
    assert_close(got, expected, what=f"{what}: the output", oracle=oracle, hint=hint)
    upstream = _randn(*expected.shape, seed=77)
    with forbidden(*BUILTINS, by=f"phase3.multihead.{type(mine).__name__}"):
        (got * upstream).sum().backward()
    (expected * upstream).sum().backward()
    for name, a, b in zip(("query", "key", "value"), ins, ref_ins, strict=True):
        assert a.grad is not None, f"{what}: no gradient reached the {name} input"
        assert_close(a.grad, b.grad, what=f"{what}: the gradient with respect to the {name} input",
                     oracle=oracle + " (autograd)", hint=hint)
    if ref.in_proj_weight is not None:
        got_w = torch.cat([mine.q_proj.weight.grad, mine.k_proj.weight.grad,
                           mine.v_proj.weight.grad])
        assert_close(got_w, ref.in_proj_weight.grad,
                     what=f"{what}: the gradients of q_proj, k_proj, v_proj weights (stacked)",
                     oracle=oracle + " (autograd, in_proj_weight)", hint=hint)
    assert_close(mine.out_proj.weight.grad, ref.out_proj.weight.grad,
                 what=f"{what}: the gradient of out_proj.weight", oracle=oracle + " (autograd)",
                 hint=hint)


# --------------------------------------------------------------------------------------------
# MultiHeadAttention: self-attention
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("E, nh, bias", [(8, 1, True), (8, 2, True), (12, 4, False),
                                         (12, 3, True)])
def test_self_attention_matches_torch(E, nh, bias):
    mine = _randomise(MultiHeadAttention(E, nh, bias=bias), seed=E + nh)
    x = _randn(3, 5, E, seed=1)
    _assert_matches_torch(mine, _torch_twin(mine), x, x, x,
                          f"MultiHeadAttention({E}, {nh}, bias={bias}) self-attention, x (3, 5, "
                          f"{E})")


def test_heads_are_independent_slices_of_channels():
    # Zeroing head 1's query rows must change only the part of the output that head 1 feeds.
    mine = _randomise(MultiHeadAttention(8, 2, bias=False), seed=5)
    with torch.no_grad():
        mine.out_proj.weight.copy_(torch.eye(8, dtype=F64))
    x = _randn(2, 4, 8, seed=6)
    base = _run(mine, x, x, x)
    with torch.no_grad():
        mine.v_proj.weight[4:] = 0.0  # head 1's values
    out = _run(mine, x, x, x)
    assert_close(out[..., :4], base[..., :4],
                 what="output channels 0..3 (head 0) after zeroing head 1's value weights, "
                      "with out_proj = identity",
                 oracle="the layout: head 0 owns channels 0..3, head 1 channels 4..7",
                 hint=SPLIT_HINT)
    assert_close(out[..., 4:], torch.zeros(2, 4, 4, dtype=F64),
                 what="output channels 4..7 (head 1) after zeroing head 1's value weights",
                 oracle="the layout: head 1's output is a mix of its values (now 0)",
                 hint=SPLIT_HINT)


# --------------------------------------------------------------------------------------------
# MultiHeadAttention: cross-attention
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kdim, vdim", [(None, None), (5, 7), (8, 3)])
def test_cross_attention_matches_torch(kdim, vdim):
    mine = _randomise(MultiHeadAttention(8, 2, kdim=kdim, vdim=vdim), seed=11)
    query = _randn(2, 3, 8, seed=12)
    key = _randn(2, 7, kdim or 8, seed=13)
    value = _randn(2, 7, vdim or 8, seed=14)
    _assert_matches_torch(mine, _torch_twin(mine), query, key, value,
                          f"MultiHeadAttention(8, 2, kdim={kdim}, vdim={vdim}): 3 queries over "
                          "7 keys",
                          hint="keys from k_proj(key), values from v_proj(value); the output has "
                               "the QUERY's length; " + SPLIT_HINT)


def test_cross_attention_is_invariant_to_permuting_key_value_positions():
    mine = _randomise(MultiHeadAttention(8, 4), seed=15)
    query, memory = _randn(2, 4, 8, seed=16), _randn(2, 6, 8, seed=17)
    perm = torch.tensor([4, 1, 5, 0, 3, 2])
    assert_close(_run(mine, query, memory[:, perm], memory[:, perm]),
                 _run(mine, query, memory, memory),
                 what="cross-attention after permuting the key/value positions together",
                 oracle="the invariant: attention is a weighted sum over an unordered set of keys",
                 hint="keys and values must come from the key/value inputs, position by position")


def test_a_query_output_does_not_depend_on_other_queries():
    """A query's output does not depend on the other queries."""
    mine = _randomise(MultiHeadAttention(8, 2), seed=18)
    query, memory = _randn(2, 4, 8, seed=19), _randn(2, 6, 8, seed=20)
    full = _run(mine, query, memory, memory)
    single = _run(mine, query[:, 2:3], memory, memory)
    assert_close(single, full[:, 2:3],
                 what="cross-attention of query 2 alone vs within the batch of 4 queries",
                 oracle="the invariant: without a causal mask, each query attends on its own",
                 hint="do not take keys or values from the query; softmax over the keys axis")


# --------------------------------------------------------------------------------------------
# MultiHeadAttention: masks
# --------------------------------------------------------------------------------------------


def test_key_padding_mask_matches_torch():
    mine = _randomise(MultiHeadAttention(8, 2), seed=21)
    query, memory = _randn(3, 4, 8, seed=22), _randn(3, 6, 8, seed=23)
    keep = _rand_keep(3, 6, seed=24)
    _assert_matches_torch(mine, _torch_twin(mine), query, memory, memory,
                          "cross-attention with a (3, 6) key_padding_mask (True = real key)",
                          hint=MASK_HINT, key_padding_mask=keep)


def test_boolean_attn_mask_matches_torch():
    mine = _randomise(MultiHeadAttention(8, 4), seed=25)
    x = _randn(2, 5, 8, seed=26)
    mask = torch.rand(5, 5, generator=torch.Generator().manual_seed(27)) < 0.6
    mask[:, 2] = True
    _assert_matches_torch(mine, _torch_twin(mine), x, x, x,
                          "self-attention with a (5, 5) boolean attn_mask (True = may attend)",
                          hint=MASK_HINT, attn_mask=mask)


def test_float_attn_mask_matches_torch():
    mine = _randomise(MultiHeadAttention(8, 2), seed=28)
    query, memory = _randn(2, 3, 8, seed=29), _randn(2, 6, 8, seed=30)
    bias = _randn(3, 6, seed=31)
    bias[0, 3:] = float("-inf")
    _assert_matches_torch(mine, _torch_twin(mine), query, memory, memory,
                          "cross-attention with an additive float (3, 6) attn_mask",
                          hint="a float mask is added to every head's scaled scores",
                          attn_mask=bias)


@pytest.mark.parametrize("T_q, T_k", [(5, 5), (3, 6)])
def test_is_causal_with_key_padding_matches_torch(T_q, T_k):
    """is_causal with key padding matches torch."""
    mine = _randomise(MultiHeadAttention(8, 2), seed=32)
    query, memory = _randn(2, T_q, 8, seed=33), _randn(2, T_k, 8, seed=34)
    keep = _rand_keep(2, T_k, seed=35)
    _assert_matches_torch(mine, _torch_twin(mine), query, memory, memory,
                          f"attention with is_causal=True and key_padding_mask, T_q={T_q}, "
                          f"T_k={T_k}",
                          hint="query i sees keys j <= i (top-left) that are also real; "
                               + MASK_HINT, key_padding_mask=keep, is_causal=True)


def test_all_masks_together_match_torch():
    mine = _randomise(MultiHeadAttention(12, 3), seed=36)
    x = _randn(2, 6, 12, seed=37)
    keep = _rand_keep(2, 6, seed=38)
    mask = torch.rand(6, 6, generator=torch.Generator().manual_seed(39)) < 0.7
    mask[:, 0] = True
    _assert_matches_torch(mine, _torch_twin(mine), x, x, x,
                          "self-attention with key_padding_mask, a boolean attn_mask and "
                          "is_causal=True", hint="a key is attended only if every mask allows "
                          "it; " + MASK_HINT, key_padding_mask=keep, attn_mask=mask,
                          is_causal=True)


def test_causal_self_attention_ignores_future_tokens():
    mine = _randomise(MultiHeadAttention(8, 2), seed=40)
    x = _randn(2, 6, 8, seed=41)
    base = _run(mine, x, x, x, is_causal=True)
    x2 = x.clone()
    x2[:, 4:] += 2.0
    out = _run(mine, x2, x2, x2, is_causal=True)
    assert_close(out[:, :4], base[:, :4],
                 what="causal outputs 0..3 after changing tokens 4 and 5",
                 oracle="the causality invariant", hint="query i must not see keys after i")


# --------------------------------------------------------------------------------------------
# GroupedQueryAttention
# --------------------------------------------------------------------------------------------


def _expanded_kv(gqa):
    """GQA's K/V weights with each kv head's rows repeated for its group of query heads."""
    g, hs, E = gqa.num_heads // gqa.num_kv_heads, gqa.head_dim, gqa.embed_dim

    def expand(t):
        return t.reshape(gqa.num_kv_heads, hs, -1).repeat_interleave(g, dim=0).reshape(E, -1)
    out = {"k_weight": expand(gqa.k_proj.weight), "v_weight": expand(gqa.v_proj.weight)}
    if gqa.k_proj.bias is not None:
        out["k_bias"] = expand(gqa.k_proj.bias[:, None])[:, 0]
        out["v_bias"] = expand(gqa.v_proj.bias[:, None])[:, 0]
    return out


@pytest.mark.parametrize("E, nh, n_kv, bias", [(8, 4, 2, True), (12, 6, 2, False),
                                               (8, 4, 1, True), (8, 4, 4, True),
                                               (12, 6, 3, True)])
def test_gqa_equals_mha_with_repeated_kv_heads(E, nh, n_kv, bias):
    """GQA equals multi-head attention with repeated KV heads."""
    mine = _randomise(GroupedQueryAttention(E, nh, n_kv, bias=bias), seed=50 + nh + n_kv)
    ref = _torch_twin(mine, **_expanded_kv(mine))
    x = _randn(2, 5, E, seed=51)
    got = _run(mine, x)
    expected, _ = ref(x, x, x, need_weights=False)
    kind = "MQA" if n_kv == 1 else ("MHA" if n_kv == nh else "GQA")
    assert_close(got, expected,
                 what=f"GroupedQueryAttention({E}, num_heads={nh}, num_kv_heads={n_kv}, "
                      f"bias={bias}) ({kind}) on x (2, 5, {E})",
                 oracle="torch.nn.MultiheadAttention whose K/V weights repeat each kv head's "
                        "rows for its group",
                 hint=GQA_HINT + "; " + SPLIT_HINT)


def test_gqa_with_masks_matches_torch_sdpa_enable_gqa():
    """GQA with masks matches torch SDPA with enable_gqa."""
    mine = _randomise(GroupedQueryAttention(12, 6, 2), seed=60)
    x = _randn(3, 5, 12, seed=61)
    keep = _rand_keep(3, 5, seed=62)
    got = _run(mine, x, key_padding_mask=keep, is_causal=True)
    q = mine.q_proj(x).view(3, 5, 6, 2).transpose(1, 2)
    k = mine.k_proj(x).view(3, 5, 2, 2).transpose(1, 2)
    v = mine.v_proj(x).view(3, 5, 2, 2).transpose(1, 2)
    mask = keep[:, None, None, :] & torch.ones(5, 5, dtype=torch.bool).tril()
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)
    assert_close(got, mine.out_proj(y.transpose(1, 2).reshape(3, 5, 12)),
                 what="GroupedQueryAttention(12, 6, 2) with key_padding_mask and is_causal",
                 oracle="torch's scaled_dot_product_attention(enable_gqa=True, attn_mask="
                        "padding & tril) on the projections",
                 hint=GQA_HINT + "; " + MASK_HINT)
    bias = _randn(5, 5, seed=63)
    got = _run(mine, x, attn_mask=bias)
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, enable_gqa=True)
    assert_close(got, mine.out_proj(y.transpose(1, 2).reshape(3, 5, 12)),
                 what="GroupedQueryAttention(12, 6, 2) with an additive float attn_mask",
                 oracle="torch's scaled_dot_product_attention(enable_gqa=True)",
                 hint="pass attn_mask on to the attention of every head")


def test_gqa_gradients_match_torch():
    mine = _randomise(GroupedQueryAttention(8, 4, 2), seed=70)
    x = _randn(2, 4, 8, seed=71)
    x1, x2 = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    out = _run(mine, x1)
    with forbidden(*BUILTINS, by="phase3.multihead.GroupedQueryAttention"):
        out.sum().backward()
    q = mine.q_proj(x2).view(2, 4, 4, 2).transpose(1, 2)
    k = mine.k_proj(x2).view(2, 4, 2, 2).transpose(1, 2)
    v = mine.v_proj(x2).view(2, 4, 2, 2).transpose(1, 2)
    y = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    mine.out_proj(y.transpose(1, 2).reshape(2, 4, 8)).sum().backward()
    assert x1.grad is not None, "no gradient reached x through GroupedQueryAttention"
    assert_close(x1.grad, x2.grad, what="the gradient of GroupedQueryAttention(8, 4, 2) w.r.t. x",
                 oracle="autograd through torch's SDPA(enable_gqa=True)", hint=GQA_HINT)
