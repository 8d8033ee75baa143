"""FlashAttention: tiled attention with an online softmax.

Attention is softmax(q k^T * scale) v. Computed naively it builds the (T_q, T_k) score matrix,
whose memory grows with the square of the sequence length. FlashAttention (Dao et al., 2022,
"FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness"; loop order of
FlashAttention-2, Dao 2023) never builds it: it walks over blocks of queries and, for each,
over blocks of keys, and keeps for every query row three running quantities,

    m   the largest score seen so far                         (running max)
    l   sum over the keys seen so far of exp(score - m)       (running sum)
    acc sum over the keys seen so far of exp(score - m) * v   (unnormalised output)

When a new block raises the max from m to m', everything accumulated so far was exponentiated
against the old max and is multiplied by exp(m - m') (the "online softmax" of Milakov and
Gimelshein, 2018). At the end o = acc / l, and the row's logsumexp is m + log l.

The backward recomputes each block's probabilities from q, k and the saved logsumexp,
P = exp(q k^T * scale - lse), so that only O(T) numbers are kept between forward and backward.

Shapes: q (B, nh, T_q, d), k (B, nh, T_k, d), v (B, nh, T_k, d_v); any leading axes work.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.autograd import Function


def flash_attention_forward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                            causal: bool = False, block_q: int = 64, block_k: int = 64,
                            scale: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Tiled attention forward with an online softmax; returns (output, logsumexp).

    Computes o = softmax(q @ k^T * scale) @ v one (block_q, block_k) tile of scores at a time,
    keeping per query row a running max m, a running sum l of exp(score - m) and an unnormalised
    output, all rescaled by exp(m_old - m_new) whenever a tile raises the max. No tensor with
    T_q * T_k elements (or B * nh times that) may be created.

    Args:
        q: (B, nh, T_q, d) float tensor.
        k: (B, nh, T_k, d) float tensor.
        v: (B, nh, T_k, d_v) float tensor.
        causal: if True, query i sees key j only when j <= i (top-left aligned, like
            F.scaled_dot_product_attention's is_causal, also when T_q != T_k); every query sees
            key 0, so no row is fully masked. Tiles entirely above the diagonal are skipped.
        block_q, block_k: tile sizes along the queries and the keys; they need not divide T_q
            and T_k (the last tile is smaller).
        scale: multiplies the scores; None means 1 / sqrt(d).

    Returns:
        o: (B, nh, T_q, d_v), q's dtype.
        lse: (B, nh, T_q), q's dtype: lse[..., i] = log(sum over visible keys j of
            exp(scale * q_i . k_j)), the natural log of the softmax's denominator.

    Raises:
        ValueError: if block_q or block_k is not a positive integer.

    Do not call F.scaled_dot_product_attention (or its aten ops), and do not build the full
    score matrix.
    """
    raise NotImplementedError("phase3.flash_attention.flash_attention_forward")


def flash_attention_backward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                             o: torch.Tensor, lse: torch.Tensor, grad_o: torch.Tensor,
                             causal: bool = False, block_q: int = 64, block_k: int = 64,
                             scale: float | None = None
                             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of attention with respect to q, k and v, recomputed tile by tile.

    With S = q @ k^T * scale (masked where causal), P = exp(S - lse) (the softmax,
    recomputed per tile from the saved logsumexp), and D_i = sum_c grad_o[i, c] * o[i, c]:

        grad_v = P^T @ grad_o
        grad_P = grad_o @ v^T
        grad_S = P * (grad_P - D)          (D broadcast along the keys)
        grad_q = grad_S @ k * scale        grad_k = grad_S^T @ q * scale

    each accumulated over tiles; no tensor with T_q * T_k elements may be created.

    Args:
        q, k, v: as in flash_attention_forward.
        o: (B, nh, T_q, d_v), the forward output. lse: (B, nh, T_q), the forward logsumexp.
        grad_o: (B, nh, T_q, d_v), the gradient of the loss with respect to o.
        causal, block_q, block_k, scale: as in flash_attention_forward.

    Returns:
        (grad_q, grad_k, grad_v) with the shapes and dtypes of q, k and v.

    Raises:
        ValueError: if block_q or block_k is not a positive integer.
    """
    raise NotImplementedError("phase3.flash_attention.flash_attention_backward")


class FlashAttention(Function):
    """Tiled attention as an autograd Function: forward saves (q, k, v, o, lse), backward
    recomputes the probabilities tile by tile (flash_attention_backward).

    forward(ctx, q, k, v, causal, block_q, block_k, scale) -> o
        Arguments as in flash_attention_forward; returns only o, (B, nh, T_q, d_v).
    backward(ctx, grad_o) -> (grad_q, grad_k, grad_v, None, None, None, None)

    Save tensors with ctx.save_for_backward; nothing with T_q * T_k elements may be saved or
    created.
    """

    @staticmethod
    def forward(ctx: Any, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool,
                block_q: int, block_k: int, scale: float | None) -> torch.Tensor:
        """o = softmax(q @ k^T * scale) @ v, computed by flash_attention_forward."""
        raise NotImplementedError("phase3.flash_attention.FlashAttention.forward")

    @staticmethod
    def backward(ctx: Any, grad_o: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        """(grad_q, grad_k, grad_v, None, None, None, None) for the upstream gradient grad_o."""
        raise NotImplementedError("phase3.flash_attention.FlashAttention.backward")


def flash_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = False,
                    block_q: int = 64, block_k: int = 64,
                    scale: float | None = None) -> torch.Tensor:
    """softmax(q @ k^T * scale) @ v through FlashAttention.apply: differentiable, O(T) memory.

    Arguments as in flash_attention_forward. Returns o, (B, nh, T_q, d_v).
    """
    raise NotImplementedError("phase3.flash_attention.flash_attention")


def merge_attention(o_a: torch.Tensor, lse_a: torch.Tensor, o_b: torch.Tensor,
                    lse_b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Combine attention over two disjoint sets of keys into attention over their union.

    If (o_a, lse_a) is attention of the queries over keys A (output and logsumexp, as returned
    by flash_attention_forward) and (o_b, lse_b) over keys B, attention over A and B together is

        lse = log(exp(lse_a) + exp(lse_b))
        o   = exp(lse_a - lse) * o_a + exp(lse_b - lse) * o_b

    computed without overflow. This is how split-key ("flash decoding") kernels merge partial
    results, and the same rescaling as one step of the online softmax.

    Args:
        o_a, o_b: (B, nh, T_q, d_v). lse_a, lse_b: (B, nh, T_q), finite.

    Returns:
        (o, lse) of shapes (B, nh, T_q, d_v) and (B, nh, T_q).
    """
    raise NotImplementedError("phase3.flash_attention.merge_attention")
