"""Scaled dot-product attention, attention masks, and a single-head self-attention layer.

Reference solution. Scaled dot-product attention: Vaswani et al. (2017), "Attention Is All
You Need", section 3.2.1. The 1 / sqrt(d) keeps the scores' variance near 1 for unit-variance
queries and keys (a dot product of d such terms has variance d), so that the softmax does not
saturate into a near one-hot with vanishing gradients.

Masking is done before the softmax, by sending masked scores to -inf: exp(-inf) = 0 gives
masked keys weight exactly 0 while the remaining weights still sum to 1. A row with no key
left would be 0 / 0; we define it as all-zero weights (and output) by using a finite row
maximum and a denominator of 1 for such rows, which also keeps the gradients finite.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 attn_mask: torch.Tensor | None = None,
                                 is_causal: bool = False,
                                 scale: float | None = None) -> torch.Tensor:
    """Scaled dot-product attention, softmax(q k^T * scale + mask) v, from basic operations.

    Args:
        q: (..., T_q, d) float tensor of queries; the leading axes (...) are batch axes, e.g.
            (B,) or (B, nh), and are the same for q, k and v.
        k: (..., T_k, d) keys (same d as q).
        v: (..., T_k, d_v) values (d_v may differ from d).
        attn_mask: None, or a tensor broadcastable to (..., T_q, T_k), of one of two kinds:
            - boolean: True = the query may attend to that key, False = masked out
              (the polarity of torch.nn.functional.scaled_dot_product_attention);
            - float (q's dtype): added to the scaled scores before the softmax; -inf masks
              a key out, finite values bias the scores.
        is_causal: if True, query i may attend only to keys j <= i, with queries and keys both
            counted from 0 (TOP-LEFT aligned, as torch: for T_q != T_k this is
            causal_mask(T_q, T_k)). When attn_mask is also given, both apply: a key is
            attended only if the causal rule and attn_mask both allow it (torch refuses that
            combination; here it is allowed and means the intersection).
        scale: the factor applied to q @ k^T; None means 1 / sqrt(d), d = q.shape[-1].

    Returns:
        (..., T_q, d_v) tensor of q's dtype: row i is sum_j weights[i, j] * v[j], where
        weights = softmax over j of the masked, scaled scores (each row sums to 1, masked keys
        get weight exactly 0).

    Fully masked rows: if a query may attend to no key at all (every key masked out by False
    or -inf), its weights are all 0 and its output row is exactly 0, with no NaN anywhere, in
    the output or in the gradients. (A plain softmax of an all -inf row gives NaN: 0 / 0.)

    Numerical stability: subtract each row's maximum score before exp (softmax does this for
    you if you use torch.softmax).

    Do not call torch.nn.functional.scaled_dot_product_attention, its aten ops, or
    torch._safe_softmax.
    """
    d = q.shape[-1]
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * scale  # (..., T_q, T_k)

    if is_causal:
        causal = causal_mask(q.shape[-2], k.shape[-2]).to(q.device)
        scores = scores.masked_fill(~causal, float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask  # additive: -inf masks, finite values bias

    # A safe softmax over the keys: a row whose scores are all -inf gets weights 0, not NaN.
    row_max = scores.amax(dim=-1, keepdim=True)
    row_max = torch.where(torch.isfinite(row_max), row_max, torch.zeros_like(row_max))
    exp = torch.exp(scores - row_max.detach())  # exp(-inf) = 0 for masked keys
    denom = exp.sum(dim=-1, keepdim=True)
    weights = exp / torch.where(denom > 0, denom, torch.ones_like(denom))
    return weights @ v  # (..., T_q, d_v)


def causal_mask(T_q: int, T_k: int) -> torch.Tensor:
    """The boolean causal mask, True where query i may attend to key j, i.e. where j <= i.

    Top-left aligned, as torch's is_causal: query 0 sees key 0 only, query i sees keys 0..i.
    For T_q > T_k the rows i >= T_k see every key; for T_q < T_k the last keys are seen by
    no query. (For a decoder with a cache, where the T_q new queries are the LAST T_q of T_k
    positions, the bottom-right aligned mask is causal_mask(T_k, T_k)[-T_q:].)

    Args:
        T_q: number of queries (rows).
        T_k: number of keys (columns).

    Returns:
        (T_q, T_k) torch.bool tensor on the CPU: mask[i, j] = (j <= i).
    """
    return torch.ones(T_q, T_k, dtype=torch.bool).tril()  # keep j <= i


def padding_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """The boolean key-padding mask of a batch of sequences padded to length T.

    Sequence b holds lengths[b] real tokens at positions 0 .. lengths[b] - 1, then padding.

    Args:
        lengths: (B,) integer tensor, each in 0..T.
        T: the padded length.

    Returns:
        (B, T) torch.bool tensor on lengths' device: mask[b, t] = (t < lengths[b]), True for
        real tokens (keys that may be attended). To use it as attn_mask for scores of shape
        (B, T_q, T) index it as mask[:, None, :]; for (B, nh, T_q, T), mask[:, None, None, :].
        (Note: torch.nn.MultiheadAttention's key_padding_mask has the OPPOSITE polarity,
        True = padding.)
    """
    positions = torch.arange(T, device=lengths.device)  # (T,)
    return positions[None, :] < lengths[:, None]  # (B, T)


class SelfAttention(nn.Module):
    """Single-head self-attention with learned query, key, value and output projections.

    For x of shape (B, T, C), with C = embed_dim and hs = head_dim:

        q = q_proj(x), k = k_proj(x), v = v_proj(x)           each (B, T, hs)
        y = scaled_dot_product_attention(q, k, v, attn_mask, is_causal)   (B, T, hs)
        out = out_proj(y)                                     (B, T, C)

    The scale is the default 1 / sqrt(hs). Queries, keys and values all come from the same x
    (that is what makes it SELF-attention). There are no positions: permuting the tokens of x
    (without a causal mask) permutes the output rows the same way.

    Parameters (created by __init__, named as below; tests copy weights into them):
        q_proj, k_proj, v_proj: nn.Linear(embed_dim, head_dim, bias=bias)
        out_proj:               nn.Linear(head_dim, embed_dim, bias=bias)

    Args (of __init__):
        embed_dim: C, the model width.
        head_dim: hs, the width of queries, keys and values; None means embed_dim.
        bias: whether the four projections have biases.
    """

    def __init__(self, embed_dim: int, head_dim: int | None = None, bias: bool = True) -> None:
        """Create the four projections described above."""
        super().__init__()
        head_dim = embed_dim if head_dim is None else head_dim
        self.embed_dim, self.head_dim = embed_dim, head_dim
        self.q_proj = nn.Linear(embed_dim, head_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, head_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, head_dim, bias=bias)
        self.out_proj = nn.Linear(head_dim, embed_dim, bias=bias)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None,
                is_causal: bool = False) -> torch.Tensor:
        """Self-attention of x (B, T, C) -> (B, T, C).

        attn_mask: None or a mask broadcastable to (B, T, T) (boolean True = may attend, or
        additive float), passed on to your scaled_dot_product_attention with is_causal; a key
        padding mask m from padding_mask is passed as m[:, None, :]. Use your
        scaled_dot_product_attention from this module.
        """
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)  # each (B, T, hs)
        y = scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal)
        return self.out_proj(y)  # (B, T, C)
