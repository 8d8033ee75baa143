"""Positional encodings: sinusoidal, learned, relative (Shaw, T5), RoPE and ALiBi.

Attention is permutation-equivariant: without positional information, "dog bites man" and
"man bites dog" look the same. This module implements the main ways of telling a Transformer
where each token is:

- absolute: the sinusoidal table (Vaswani et al., 2017, "Attention Is All You Need", §3.5) and
  a learned table (GPT-2, BERT);
- relative: clipped relative key/value embeddings (Shaw, Uszkoreit and Vaswani, 2018,
  "Self-Attention with Relative Position Representations") and T5's bucketed scalar bias
  (Raffel et al., 2020, and mesh-tensorflow's `_relative_position_bucket`);
- rotary: RoPE (Su et al., 2021, "RoFormer"), in the interleaved pairing of LLaMA's complex
  form;
- linear biases: ALiBi (Press, Smith and Lewis, 2022, "Train Short, Test Long"), with the
  slopes of the paper's reference code.

Convention shared by every relative scheme below: with q_len queries and k_len keys, the
queries are the LAST q_len positions, so query i sits at position k_len - q_len + i and key j
at position j (as when decoding with a KV cache).
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_table(max_len: int, d_model: int, base: float = 10000.0,
                     dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The sinusoidal positional-encoding table of "Attention Is All You Need".

    For position p in [0, max_len) and i in [0, d_model / 2):

        PE[p, 2i]     = sin(p / base ** (2i / d_model))      (sine on EVEN columns)
        PE[p, 2i + 1] = cos(p / base ** (2i / d_model))      (cosine on ODD columns)

    Args:
        max_len: number of positions (rows), >= 0.
        d_model: width of the table, a positive even number.
        base: the wavelength base (10000 in the paper).
        dtype: dtype of the returned table (compute in float64, then cast).

    Returns:
        (max_len, d_model) tensor of the given dtype.

    Raises:
        ValueError: if d_model is odd or not positive.
    """
    if d_model <= 0 or d_model % 2:
        raise ValueError(f"d_model must be a positive even number, got {d_model}")
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]                 # (max_len, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)                  # (d_model/2,)
    angles = pos / base ** (two_i / d_model)                                  # (max_len, d/2)
    table = torch.empty(max_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles)
    return table.to(dtype)


class LearnedPositionalEmbedding(nn.Module):
    """A learned absolute position table added to the token embeddings (GPT-2, BERT).

    Parameter (created by __init__):
        weight: (max_len, d_model), initialised from N(0, 0.02 ** 2) (GPT-2's init);
            row p is the embedding of position p.

    forward(x, token_positions=None) returns x + weight[token_positions]:
        x: (B, T, d_model) float tensor (the token embeddings).
        token_positions: integer tensor of shape (T,) or (B, T), or None for arange(T).
        Returns a tensor of x's shape. Gradients reach only the rows of weight that were used
        (each row gets the sum of the upstream gradients of the tokens at that position).

    Raises (from forward):
        ValueError: if a position is negative or >= max_len (no silent wrap-around).
    """

    def __init__(self, max_len: int, d_model: int) -> None:
        """Create weight (max_len, d_model) ~ N(0, 0.02 ** 2)."""
        super().__init__()
        self.max_len, self.d_model = max_len, d_model
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * 0.02)

    def forward(self, x: torch.Tensor,
                token_positions: torch.Tensor | None = None) -> torch.Tensor:
        """x + weight[token_positions], for x of shape (B, T, d_model)."""
        T = x.shape[-2]
        if token_positions is None:
            token_positions = torch.arange(T, device=x.device)
        if token_positions.numel() and (token_positions.min() < 0
                                        or token_positions.max() >= self.max_len):
            raise ValueError(f"positions must lie in [0, {self.max_len}), got "
                             f"[{int(token_positions.min())}, {int(token_positions.max())}]")
        # Indexing backpropagates by scatter-adding into the used rows only.
        return x + self.weight[token_positions]                     # (T|B, T, C) broadcasts


def relative_positions(q_len: int, k_len: int) -> torch.Tensor:
    """Key position minus query position, for every (query, key) pair.

    Query i sits at position k_len - q_len + i (the queries are the last q_len positions) and
    key j at position j, so

        rel[i, j] = j - (k_len - q_len + i)        (negative: the key is in the past)

    Args:
        q_len, k_len: numbers of queries and keys, with 0 <= q_len <= k_len.

    Returns:
        (q_len, k_len) int64 tensor.
    """
    query_pos = torch.arange(k_len - q_len, k_len)[:, None]                     # (T_q, 1)
    key_pos = torch.arange(k_len)[None, :]                                      # (1, T_k)
    return key_pos - query_pos


class ShawRelativeEmbedding(nn.Module):
    """Clipped relative position embeddings (Shaw et al., 2018).

    Relative distances are clipped to [-max_distance, max_distance], so there are
    2 * max_distance + 1 distinct embeddings:

        a[i, j] = weight[clip(rel[i, j], -max_distance, max_distance) + max_distance]

    with rel from relative_positions(q_len, k_len) (key position minus query position).

    Parameter (created by __init__):
        weight: (2 * max_distance + 1, dim), initialised from N(0, 1); row r is the embedding
            of the relative distance r - max_distance.

    forward(q_len, k_len) returns a: (q_len, k_len, dim).
    """

    def __init__(self, max_distance: int, dim: int) -> None:
        """Create weight (2 * max_distance + 1, dim) ~ N(0, 1)."""
        super().__init__()
        self.max_distance, self.dim = max_distance, dim
        self.weight = nn.Parameter(torch.randn(2 * max_distance + 1, dim))

    def forward(self, q_len: int, k_len: int) -> torch.Tensor:
        """The (q_len, k_len, dim) table of clipped relative embeddings."""
        k = self.max_distance
        idx = relative_positions(q_len, k_len).clamp(-k, k) + k                 # (T_q, T_k)
        return self.weight[idx]                                                  # (T_q, T_k, dim)


def shaw_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, rel_k: torch.Tensor,
                   rel_v: torch.Tensor | None = None, causal: bool = False) -> torch.Tensor:
    """Self-attention with relative position representations (Shaw et al., 2018, eqs. 3-4).

        e[i, j]     = q_i . (k_j + rel_k[i, j]) / sqrt(d)
        alpha[i, :] = softmax_j(e[i, :])
        z_i         = sum_j alpha[i, j] * (v_j + rel_v[i, j])        (no rel_v term if None)

    With causal=True, key j is hidden from query i when j is after i's position, that is when
    relative_positions(T_q, T_k)[i, j] > 0 (queries are the last T_q positions).

    Args:
        q: (B, nh, T_q, d); k, v: (B, nh, T_k, d), with T_q <= T_k.
        rel_k, rel_v: (T_q, T_k, d) relative embeddings (e.g. from ShawRelativeEmbedding),
            shared by the batch and the heads; rel_v may be None.
        causal: hide future keys as described.

    Returns:
        (B, nh, T_q, d) tensor.
    """
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1)                                    # (B, nh, T_q, T_k)
    # q_i . rel_k[i, j]: the same relative table for every batch element and head.
    scores = scores + torch.einsum("bhid,ijd->bhij", q, rel_k)
    scores = scores / math.sqrt(d)
    if causal:
        future = relative_positions(q.shape[-2], k.shape[-2]) > 0       # (T_q, T_k)
        scores = scores.masked_fill(future, float("-inf"))
    alpha = torch.softmax(scores, dim=-1)
    out = alpha @ v                                                     # (B, nh, T_q, d)
    if rel_v is not None:
        out = out + torch.einsum("bhij,ijd->bhid", alpha, rel_v)
    return out


def t5_relative_position_bucket(relative_position: torch.Tensor, bidirectional: bool = True,
                                num_buckets: int = 32, max_distance: int = 128) -> torch.Tensor:
    """T5's bucket of each relative position (key position minus query position).

    Bidirectional: half of the buckets for keys after the query (relative_position > 0, these
    buckets are offset by num_buckets // 2), half for the rest; then n = |relative_position|
    and N = num_buckets // 2 buckets are left. Causal (bidirectional=False): keys after the
    query all share bucket 0, n = max(-relative_position, 0) and N = num_buckets.

    Within the N buckets, with max_exact = N // 2:
        n <  max_exact:  bucket n                                   (one bucket per distance)
        n >= max_exact:  max_exact + floor(log(n / max_exact) / log(max_distance / max_exact)
                                             * (N - max_exact)),   capped at N - 1
    (logarithmically wider buckets, everything beyond max_distance in the last one).

    Args:
        relative_position: integer tensor of any shape.
        bidirectional, num_buckets, max_distance: as above (num_buckets even when
            bidirectional).

    Returns:
        int64 tensor of relative_position's shape, values in [0, num_buckets).
    """
    rel = relative_position.long()
    buckets = torch.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (rel > 0).long() * num_buckets
        n = rel.abs()
    else:
        n = (-rel).clamp(min=0)
    max_exact = num_buckets // 2
    is_small = n < max_exact
    # clamp(min=1) only keeps log() finite where the small branch is taken anyway.
    ratio = n.clamp(min=1).double() / max_exact
    large = max_exact + (torch.log(ratio) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).long()
    large = large.clamp(max=num_buckets - 1)
    return buckets + torch.where(is_small, n, large)


class T5RelativeBias(nn.Module):
    """T5's learned relative position bias: one scalar per (bucket, head), added to the scores.

    Parameter (created by __init__):
        weight: (num_buckets, num_heads), initialised from N(0, 1); weight[b, h] is head h's
            bias for bucket b (the layout of T5's relative_attention_bias.weight).

    forward(q_len, k_len) returns bias of shape (num_heads, q_len, k_len):
        bias[h, i, j] = weight[t5_relative_position_bucket(rel[i, j], ...), h]
    with rel = relative_positions(q_len, k_len) and this module's bidirectional, num_buckets
    and max_distance.
    """

    def __init__(self, num_heads: int, num_buckets: int = 32, max_distance: int = 128,
                 bidirectional: bool = True) -> None:
        """Store the settings and create weight (num_buckets, num_heads) ~ N(0, 1)."""
        super().__init__()
        self.num_heads, self.num_buckets = num_heads, num_buckets
        self.max_distance, self.bidirectional = max_distance, bidirectional
        self.weight = nn.Parameter(torch.randn(num_buckets, num_heads))

    def forward(self, q_len: int, k_len: int) -> torch.Tensor:
        """The (num_heads, q_len, k_len) bias."""
        buckets = t5_relative_position_bucket(relative_positions(q_len, k_len),
                                              self.bidirectional, self.num_buckets,
                                              self.max_distance)          # (T_q, T_k)
        return self.weight[buckets].permute(2, 0, 1)                      # (nh, T_q, T_k)


def apply_rope(x: torch.Tensor, token_positions: torch.Tensor,
               theta: float = 10000.0) -> torch.Tensor:
    """Rotary position embedding with INTERLEAVED pairs (LLaMA's complex form, RoFormer).

    The last axis (size d, even) is split into d / 2 pairs of ADJACENT features
    (x[..., 2i], x[..., 2i + 1]), i = 0 .. d/2 - 1. The pair of a token at position p is rotated
    by the angle p * theta ** (-2i / d):

        out[..., 2i]     = x[..., 2i] * cos(angle) - x[..., 2i + 1] * sin(angle)
        out[..., 2i + 1] = x[..., 2i] * sin(angle) + x[..., 2i + 1] * cos(angle)

    That is, (x[2i] + 1j * x[2i + 1]) * exp(1j * angle) in complex numbers. (GPT-NeoX and
    Hugging Face's rotate_half pair feature i with feature i + d/2 instead: that is NOT this
    convention.)

    Args:
        x: (..., T, d) float tensor, e.g. queries (B, nh, T, hs).
        token_positions: integer tensor of the positions of the T tokens, of shape (T,) or any
            shape that broadcasts against x.shape[:-1] (e.g. (B, 1, T) for x of shape
            (B, nh, T, d)). Positions need not be sorted, contiguous or distinct.
        theta: the frequency base (10000 in RoFormer and LLaMA; 500000 in LLaMA 3).

    Returns:
        tensor of x's shape and dtype. Compute the angles in float64 (the tests compare
        float64 inputs to about 1e-10 at positions in the thousands).

    Raises:
        ValueError: if d is odd.
    """
    d = x.shape[-1]
    if d % 2:
        raise ValueError(f"RoPE needs an even last dimension, got {d}")
    inv_freq = theta ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)       # (d/2,)
    angles = token_positions.to(torch.float64)[..., None] * inv_freq            # (..., T, d/2)
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    x_even, x_odd = x[..., 0::2], x[..., 1::2]                                  # (..., T, d/2)
    out_even = x_even * cos - x_odd * sin
    out_odd = x_even * sin + x_odd * cos
    # Re-interleave: stack the pairs on a new last axis, then flatten it back into d.
    return torch.stack((out_even, out_odd), dim=-1).flatten(-2)


def alibi_slopes(num_heads: int) -> torch.Tensor:
    """ALiBi's per-head slopes (Press et al., 2022, and their reference code).

    For n a power of two, the geometric sequence that starts at 2 ** (-8 / n) with that same
    ratio: m_h = 2 ** (-8 (h + 1) / n), h = 0 .. n - 1 (for 8 heads: 1/2, 1/4, ..., 1/256).

    Otherwise, with P the largest power of two below n: the P slopes of P heads, followed by
    the first n - P of the EVEN-indexed slopes (indices 0, 2, 4, ...) of 2P heads.

    Args:
        num_heads: n >= 1.

    Returns:
        (num_heads,) float64 tensor.
    """
    def power_of_two(n: int) -> list[float]:
        start = 2.0 ** (-8.0 / n)
        return [start ** (h + 1) for h in range(n)]

    p = 2 ** int(math.floor(math.log2(num_heads)))
    slopes = power_of_two(p)
    if p != num_heads:
        # Interpolate: the slopes of 2P heads lie between those of P heads; take every other.
        slopes += power_of_two(2 * p)[0::2][: num_heads - p]
    return torch.tensor(slopes, dtype=torch.float64)


def alibi_bias(num_heads: int, q_len: int, k_len: int, causal: bool = False) -> torch.Tensor:
    """ALiBi's linear bias, added to the attention scores before the softmax.

        bias[h, i, j] = m_h * rel[i, j] = -m_h * (query position - key position)

    with m = alibi_slopes(num_heads) and rel = relative_positions(q_len, k_len): zero on the
    query's own position, more negative the further back the key. Keys after the query get a
    positive bias, unless causal=True, which sets them to -inf.

    Args:
        num_heads: number of heads.
        q_len, k_len: numbers of queries and keys (queries are the last q_len positions).
        causal: put -inf where the key is after the query.

    Returns:
        (num_heads, q_len, k_len) float64 tensor.
    """
    slopes = alibi_slopes(num_heads)                                      # (nh,)
    rel = relative_positions(q_len, k_len).to(torch.float64)              # (T_q, T_k)
    bias = slopes[:, None, None] * rel                                    # (nh, T_q, T_k)
    if causal:
        bias = bias.masked_fill(rel > 0, float("-inf"))
    return bias
