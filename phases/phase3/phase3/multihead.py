"""Multi-head attention (self and cross), grouped-query and multi-query attention.

Multi-head attention runs num_heads attentions side by side, each on its own slice of the
projected queries, keys and values, and mixes their concatenated outputs with an output
projection:

    q = q_proj(query), k = k_proj(key), v = v_proj(value)      (B, T, E)
    split into heads: (B, T, E) -> (B, T, nh, hs) -> (B, nh, T, hs)     hs = E // nh
    y_h = attention(q_h, k_h, v_h)                             (B, nh, T_q, hs)
    merge heads: (B, nh, T_q, hs) -> (B, T_q, nh, hs) -> (B, T_q, E)
    out = out_proj(y)

Head h owns channels h*hs .. (h+1)*hs - 1 of each projection's output (the layout of
torch.nn.MultiheadAttention). Grouped-query attention (GQA) gives the keys and values fewer
heads than the queries, shared by groups of query heads; one key/value head is multi-query
attention (MQA).

Mask convention (the same as phase3.attention): boolean True = MAY attend. You may, and
should, use your own phase3.attention.scaled_dot_product_attention. Do not call
torch.nn.functional.scaled_dot_product_attention, torch.nn.functional.multi_head_attention_forward
or torch.nn.MultiheadAttention.
"""

from __future__ import annotations

import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    """Multi-head attention for self-attention (query = key = value) and cross-attention.

    Parameters (created by __init__; tests copy weights into them):
        q_proj:   nn.Linear(embed_dim, embed_dim, bias=bias)
        k_proj:   nn.Linear(kdim, embed_dim, bias=bias)
        v_proj:   nn.Linear(vdim, embed_dim, bias=bias)
        out_proj: nn.Linear(embed_dim, embed_dim, bias=bias)
    Mapping to torch.nn.MultiheadAttention(embed_dim, num_heads, bias, kdim=, vdim=):
        in_proj_weight = cat([q_proj.weight, k_proj.weight, v_proj.weight]) (rows: q, k, v)
        (or q_proj_weight / k_proj_weight / v_proj_weight when kdim or vdim != embed_dim),
        in_proj_bias = cat([q_proj.bias, k_proj.bias, v_proj.bias]),
        out_proj.weight and out_proj.bias are the same.

    Args (of __init__):
        embed_dim: E, the width of queries and of the output.
        num_heads: nh; must divide E (head size hs = E // nh), else ValueError.
        bias: whether the four projections have biases.
        kdim: the width of the key input; None means E.
        vdim: the width of the value input; None means E.
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True,
                 kdim: int | None = None, vdim: int | None = None) -> None:
        """Check num_heads divides embed_dim and create the four projections above."""
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(f"num_heads={num_heads} must divide embed_dim={embed_dim}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(self.kdim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(self.vdim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None,
                attn_mask: torch.Tensor | None = None,
                is_causal: bool = False) -> torch.Tensor:
        """Multi-head attention of query over key/value; returns (B, T_q, E).

        Args:
            query: (B, T_q, E). Every output row comes from one query row.
            key: (B, T_k, kdim), value: (B, T_k, vdim); pass the same tensor three times for
                self-attention, the encoder's output as key and value for cross-attention.
            key_padding_mask: None or a (B, T_k) boolean tensor, True = a REAL key that may be
                attended, False = padding (what phase3.attention.padding_mask returns; the
                OPPOSITE polarity of torch.nn.MultiheadAttention's key_padding_mask).
            attn_mask: None or a mask broadcastable to (B, nh, T_q, T_k), e.g. (T_q, T_k):
                boolean True = may attend, or an additive float mask (-inf masks). The same
                mask applies to every head unless it has a head axis.
            is_causal: query i may attend only to keys j <= i (top-left aligned).
            All masks given apply together (a key is attended only if every one allows it).

        Scale: 1 / sqrt(hs) per head. A query that may attend to no key gets a zero attention
        output (so its output row is out_proj's bias).
        """
        raise NotImplementedError("phase3.multihead.MultiHeadAttention.forward")


class GroupedQueryAttention(nn.Module):
    """Grouped-query self-attention: num_heads query heads share num_kv_heads key/value heads.

    With hs = E // num_heads and g = num_heads // num_kv_heads query heads per group:

        q = q_proj(x) -> (B, nh, T, hs)         k = k_proj(x), v = v_proj(x) -> (B, n_kv, T, hs)
        query head h uses key/value head h // g: CONSECUTIVE query heads share a key/value
        head (heads 0..g-1 use kv head 0, heads g..2g-1 kv head 1, ...), which is
        k.repeat_interleave(g, dim=1), as LLaMA's repeat_kv and torch's SDPA enable_gqa=True
        (NOT k.repeat(1, g, 1, 1), which would cycle through the kv heads)
        y = attention per head -> merge heads -> out_proj

    num_kv_heads = num_heads is ordinary multi-head attention; num_kv_heads = 1 is multi-query
    attention (MQA). The K/V projections are num_heads / num_kv_heads times smaller, and so is
    a KV cache.

    Parameters (created by __init__; tests copy weights into them):
        q_proj:   nn.Linear(E, E, bias=bias)                 head h: output rows h*hs .. (h+1)*hs-1
        k_proj:   nn.Linear(E, num_kv_heads * hs, bias=bias) kv head j: rows j*hs .. (j+1)*hs-1
        v_proj:   nn.Linear(E, num_kv_heads * hs, bias=bias)
        out_proj: nn.Linear(E, E, bias=bias)

    Args (of __init__):
        embed_dim: E.
        num_heads: nh, must divide E.
        num_kv_heads: n_kv, must divide nh. ValueError otherwise.
        bias: whether the four projections have biases.
    """

    def __init__(self, embed_dim: int, num_heads: int, num_kv_heads: int,
                 bias: bool = True) -> None:
        """Check the head counts and create the four projections above."""
        super().__init__()
        if embed_dim % num_heads != 0 or num_heads % num_kv_heads != 0:
            raise ValueError(f"need num_heads | embed_dim and num_kv_heads | num_heads, got "
                             f"embed_dim={embed_dim}, num_heads={num_heads}, "
                             f"num_kv_heads={num_kv_heads}")
        self.embed_dim, self.num_heads, self.num_kv_heads = embed_dim, num_heads, num_kv_heads
        self.head_dim = embed_dim // num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, num_kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, num_kv_heads * self.head_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, x: torch.Tensor, key_padding_mask: torch.Tensor | None = None,
                attn_mask: torch.Tensor | None = None, is_causal: bool = False) -> torch.Tensor:
        """Grouped-query self-attention of x (B, T, E) -> (B, T, E).

        key_padding_mask, attn_mask and is_causal mean what they mean in
        MultiHeadAttention.forward (boolean True = may attend; key_padding_mask is (B, T)).
        """
        raise NotImplementedError("phase3.multihead.GroupedQueryAttention.forward")
