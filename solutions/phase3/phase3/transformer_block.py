"""Transformer blocks: the position-wise FFN, SwiGLU, and the encoder block in both norm placements.

The encoder block of "Attention Is All You Need" (Vaswani et al., 2017, section 3.1) wraps two
sublayers, multi-head self-attention and a position-wise feed-forward network, each in a
residual connection followed by LayerNorm (post-norm):

    x = LayerNorm(x + SelfAttention(x))
    x = LayerNorm(x + FFN(x))

Pre-norm ("On Layer Normalization in the Transformer Architecture", Xiong et al., 2020; GPT-2)
normalises the sublayer's input instead, leaving the residual stream untouched:

    x = x + SelfAttention(LayerNorm(x))
    x = x + FFN(LayerNorm(x))

SwiGLU ("GLU Variants Improve Transformer", Shazeer, 2020; LLaMA) replaces the FFN's
activation by a gate: w2(silu(w1 x) * w3 x).

The layouts follow torch.nn.TransformerEncoderLayer, so its weights copy straight in, and
`run_ablation` measures what the residuals and the norms are for (see the ablation studies in
Xiong et al. and "Understanding the Difficulty of Training Transformers", Liu et al., 2020).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class FeedForward(nn.Module):
    """The position-wise feed-forward network: linear2(dropout(act(linear1(x)))).

    Each position (each row of the last axis) goes through the same two-layer MLP on its own:
    nothing mixes positions, so permuting the positions permutes the outputs.

    Parameters (created by __init__, named as in torch.nn.TransformerEncoderLayer):
        linear1: nn.Linear(d_model, d_ff)      (d_ff = 4 * d_model unless given)
        linear2: nn.Linear(d_ff, d_model)
    Dropout (probability `dropout`) is applied to the hidden activation in training mode only.

    Args (of __init__):
        d_model: C, the model width.
        d_ff: the hidden width; None means 4 * d_model.
        activation: "relu" or "gelu" (the exact, erf-based GELU, as torch's activation="gelu").
        dropout: dropout probability on the hidden activation.

    forward(x): x is (B, T, C) (any leading axes); returns a tensor of x's shape.

    Raises (from __init__):
        ValueError: if activation is not "relu" or "gelu".
    """

    def __init__(self, d_model: int, d_ff: int | None = None, activation: str = "relu",
                 dropout: float = 0.0) -> None:
        """Create linear1, linear2 and the dropout as described above."""
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise ValueError(f"activation must be 'relu' or 'gelu', got {activation!r}")
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.activation = activation
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """linear2(dropout(act(linear1(x)))) for x of shape (B, T, C); returns (B, T, C)."""
        h = self.linear1(x)  # (B, T, d_ff)
        h = F.relu(h) if self.activation == "relu" else F.gelu(h)  # exact GELU, not tanh
        return self.linear2(self.dropout(h))  # (B, T, C)


class SwiGLU(nn.Module):
    """The SwiGLU feed-forward network of LLaMA: w2(silu(w1(x)) * w3(x)), no biases.

    silu(z) = z * sigmoid(z). The gate w1 and the value w3 both map C -> d_ff; w2 maps back.
    With d_ff = 8 * C / 3 it has as many parameters as a 4x FFN.

    Parameters (created by __init__; the names of Meta's LLaMA code):
        w1: nn.Linear(d_model, d_ff, bias=False)     the gate (goes through silu)
        w3: nn.Linear(d_model, d_ff, bias=False)     the value
        w2: nn.Linear(d_ff, d_model, bias=False)     the output projection
    With d_ff None, d_ff = int(8 * d_model / 3) rounded UP to a multiple of multiple_of.
    (Hugging Face's LlamaMLP calls them gate_proj = w1, up_proj = w3, down_proj = w2.)

    Args (of __init__):
        d_model: C.
        d_ff: the hidden width, or None for the rule above.
        multiple_of: the rounding unit of the default d_ff.

    forward(x): x is (B, T, C) (any leading axes); returns a tensor of x's shape.
    """

    def __init__(self, d_model: int, d_ff: int | None = None, multiple_of: int = 8) -> None:
        """Create w1, w2 and w3 as described above."""
        super().__init__()
        if d_ff is None:
            d_ff = multiple_of * math.ceil(int(8 * d_model / 3) / multiple_of)
        self.w1 = nn.Linear(d_model, d_ff, bias=False)
        self.w2 = nn.Linear(d_ff, d_model, bias=False)
        self.w3 = nn.Linear(d_model, d_ff, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """w2(silu(w1(x)) * w3(x)) for x of shape (B, T, C); returns (B, T, C)."""
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class SelfAttention(nn.Module):
    """Multi-head self-attention with torch.nn.MultiheadAttention's parameter layout.

    With C = d_model, nh = n_heads and hs = C // nh:

        q, k, v = split(x @ in_proj_weight.T + in_proj_bias, C)   each (B, T, C)
        each reshaped to (B, nh, T, hs)
        y_h = softmax(q_h k_h^T / sqrt(hs) with masked scores set to -inf) v_h
        out = out_proj(concat of the heads y_h)                   (B, T, C)

    Parameters (created by __init__; named and shaped as nn.MultiheadAttention's, so its state
    dict loads as it is):
        in_proj_weight: (3C, C), the q, k and v projections stacked in that order (rows)
        in_proj_bias:   (3C,)
        out_proj:       nn.Linear(C, C)

    Masks are bool and True means MASKED (may not attend), as in torch.nn.Transformer*.
    (torch.nn.functional.scaled_dot_product_attention's bool mask means the opposite: True =
    attend. You may call it, or write the softmax attention yourself.) Dropout on the attention
    weights (probability `dropout`) only in training mode.

    forward(x, attn_mask=None, key_padding_mask=None, is_causal=False):
        x: (B, T, C) float tensor.
        attn_mask: (T, T) bool or None; attn_mask[i, j] True hides key j from query i.
        key_padding_mask: (B, T) bool or None; key_padding_mask[b, j] True hides key j from
            every query of sequence b (padding).
        is_causal: also hide every key j > i from query i (on top of the masks given).
        Returns (B, T, C). Every query must keep at least one key; a fully masked row is
        undefined.

    Raises (from __init__):
        ValueError: if n_heads does not divide d_model.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0) -> None:
        """Create in_proj_weight, in_proj_bias and out_proj as described above."""
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}")
        self.d_model, self.n_heads, self.dropout = d_model, n_heads, dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d_model))
        self.out_proj = nn.Linear(d_model, d_model)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None,
                key_padding_mask: torch.Tensor | None = None,
                is_causal: bool = False) -> torch.Tensor:
        """Self-attention over x of shape (B, T, C); True in a mask = masked; returns (B, T, C)."""
        B, T, C = x.shape
        nh, hs = self.n_heads, C // self.n_heads
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).split(C, dim=-1)
        q, k, v = (t.view(B, T, nh, hs).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)

        # One "masked" tensor broadcastable to (B, nh, T, T); True = may not attend.
        masked = torch.zeros(1, 1, T, T, dtype=torch.bool, device=x.device)
        if attn_mask is not None:
            masked = masked | attn_mask.bool()  # (T, T) broadcasts over batch and heads
        if key_padding_mask is not None:
            masked = masked | key_padding_mask.bool()[:, None, None, :]  # (B, 1, 1, T)
        if is_causal:
            masked = masked | torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)

        # SDPA's bool mask is the other way round: True = attend.
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=~masked,
                                           dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).reshape(B, T, C)  # (B, T, C): heads side by side
        return self.out_proj(y)


class EncoderBlock(nn.Module):
    """A Transformer encoder block, matching torch.nn.TransformerEncoderLayer(batch_first=True).

    Post-norm (norm_first=False, the 2017 paper):     Pre-norm (norm_first=True, GPT-2):
        x = norm1(x + drop(self_attn(x)))                 x = x + drop(self_attn(norm1(x)))
        x = norm2(x + drop(ffn(x)))                       x = x + drop(ffn(norm2(x)))

    drop is dropout with probability `dropout`, in training mode only (also used on the
    attention weights and inside the FFN, as torch does). In eval mode, or with dropout=0, the
    block is deterministic.

    Parameters (created by __init__). From a torch.nn.TransformerEncoderLayer `ref`:
        self_attn.in_proj_weight (3C, C)  <- ref.self_attn.in_proj_weight  (q, k, v rows)
        self_attn.in_proj_bias   (3C,)    <- ref.self_attn.in_proj_bias
        self_attn.out_proj.weight/bias    <- ref.self_attn.out_proj.weight/bias
        ffn.linear1.weight/bias           <- ref.linear1.weight/bias      (d_ff, C), (d_ff,)
        ffn.linear2.weight/bias           <- ref.linear2.weight/bias      (C, d_ff), (C,)
        norm1.weight/bias, norm2.weight/bias  <- ref.norm1, ref.norm2      (C,) each

    Ablations (P3.ablate), both True by default:
        residual=False drops the "x +" of both sublayers (post-norm: x = norm1(drop(self_attn(x)));
            pre-norm: x = drop(self_attn(norm1(x)))), and likewise for the FFN.
        layer_norm=False skips norm1 and norm2 (they still exist, unused), e.g. pre-norm becomes
            x = x + drop(self_attn(x)).

    Args (of __init__):
        d_model: C.  n_heads: number of heads (divides C).  d_ff: FFN width (None: 4 * C).
        activation: "relu" or "gelu" (exact GELU).  dropout: the probability above.
        norm_first: pre-norm if True, post-norm if False.
        layer_norm_eps: eps of norm1 and norm2.
        residual, layer_norm: the ablation switches above.

    forward(x, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x: (B, T, C).
        src_mask: (T, T) bool or None, True = masked (query i may not attend key j).
        src_key_padding_mask: (B, T) bool or None, True = padding (no query attends it).
        is_causal: if True, also hide future keys (j > i), whether or not src_mask is given.
        Returns (B, T, C).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int | None = None,
                 activation: str = "relu", dropout: float = 0.0, norm_first: bool = False,
                 layer_norm_eps: float = 1e-5, residual: bool = True,
                 layer_norm: bool = True) -> None:
        """Create self_attn, ffn, norm1, norm2 and the dropouts as described above."""
        super().__init__()
        self.norm_first, self.residual, self.layer_norm = norm_first, residual, layer_norm
        self.self_attn = SelfAttention(d_model, n_heads, dropout)
        self.ffn = FeedForward(d_model, d_ff, activation, dropout)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, src_mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None,
                is_causal: bool = False) -> torch.Tensor:
        """Apply the block to x of shape (B, T, C); True in a mask = masked; returns (B, T, C)."""

        def attend(h: torch.Tensor) -> torch.Tensor:
            return self.dropout1(self.self_attn(h, src_mask, src_key_padding_mask, is_causal))

        def feed_forward(h: torch.Tensor) -> torch.Tensor:
            return self.dropout2(self.ffn(h))

        if self.norm_first:  # normalise each sublayer's input; the residual stream stays raw
            x = self._add(x, attend(self._norm(self.norm1, x)))
            x = self._add(x, feed_forward(self._norm(self.norm2, x)))
        else:  # normalise after each residual add
            x = self._norm(self.norm1, self._add(x, attend(x)))
            x = self._norm(self.norm2, self._add(x, feed_forward(x)))
        return x

    def _add(self, x: torch.Tensor, sublayer_out: torch.Tensor) -> torch.Tensor:
        return x + sublayer_out if self.residual else sublayer_out

    def _norm(self, norm: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return norm(x) if self.layer_norm else x


def run_ablation(blocks: Sequence[nn.Module], x: torch.Tensor,
                 upstream: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Push x through a stack of blocks and measure its activations and gradients.

    h_0 = x, h_i = blocks[i-1](h_{i-1}) for i = 1..L (each block called with h only). Then one
    backward of the scalar loss = sum(h_L * upstream) (a fixed random direction: a loss such as
    mean(h_L ** 2) would be constant after a final LayerNorm). First reset every block
    parameter's .grad to None, so earlier gradients do not accumulate; leave them holding this
    backward's gradients afterwards.

    Args:
        blocks: L modules mapping (B, T, C) -> (B, T, C) (EncoderBlocks, torch layers, ...).
        x: (B, T, C) float tensor, the input (it need not require grad).
        upstream: (B, T, C) float tensor, dloss/dh_L.

    Returns:
        rms: (L + 1,) tensor, rms[i] = sqrt(mean(h_i ** 2)) over all of h_i's entries.
        grad_norms: (L,) tensor, grad_norms[i] = sqrt(sum of squares of the gradients of
            every parameter of blocks[i]) (a parameter that gets no gradient counts as 0).
        Both detached, in x's dtype.
    """
    for block in blocks:
        for p in block.parameters():
            p.grad = None
    h = x
    rms = [h.detach().pow(2).mean().sqrt()]
    for block in blocks:
        h = block(h)
        rms.append(h.detach().pow(2).mean().sqrt())
    (h * upstream).sum().backward()
    grad_norms = []
    for block in blocks:
        sq = [p.grad.pow(2).sum() for p in block.parameters() if p.grad is not None]
        grad_norms.append(torch.stack(sq).sum().sqrt() if sq else x.new_zeros(()))
    return torch.stack(rms).to(x.dtype), torch.stack(grad_norms).to(x.dtype)
