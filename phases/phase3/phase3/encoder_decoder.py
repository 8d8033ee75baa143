"""The encoder-decoder Transformer, trained to reverse sequences.

The encoder turns the source into a memory. The decoder reads the target so far, attending to
itself causally (masked self-attention: token t sees tokens <= t only) and to the memory
(cross-attention: queries from the decoder, keys and values from the encoder), then an FFN;
every sublayer is post-norm, x = LayerNorm(x + sublayer(x)), and a final LayerNorm closes each
stack, as in torch.nn.Transformer.

You write, in this order: MultiHeadAttention (self and cross), EncoderLayer, DecoderLayer,
Transformer (encode / decode / forward), Seq2Seq (embeddings, positions, logits),
greedy_decode, and train_reversal (teacher forcing on a toy task).

Each __init__ is written for you, with torch.nn.Transformer's parameter names, so its state
dict loads into yours as it is. Attention may use
torch.nn.functional.scaled_dot_product_attention (mind its mask convention) or your own softmax;
do not use torch.nn.MultiheadAttention or torch.nn.Transformer*. Masks are bool with True =
MASKED, as in torch.nn.Transformer.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: F401  (you will want it)
from torch import nn


class MultiHeadAttention(nn.Module):
    """Multi-head attention of queries from x over keys and values from kv (self or cross).

    With C = d_model, nh = n_heads, hs = C // nh (Wq, Wk, Wv = the three C-row blocks of
    in_proj_weight, bq, bk, bv those of in_proj_bias):
        q = x @ Wq.T + bq   (B, Tq, C)       k = kv @ Wk.T + bk,  v = kv @ Wv.T + bv   (B, Tk, C)
        per head: softmax(q_h k_h^T / sqrt(hs), masked scores -> -inf) v_h;  out_proj(concat)

    Parameters (created by __init__, as nn.MultiheadAttention's): in_proj_weight (3C, C),
    in_proj_bias (3C,), out_proj = nn.Linear(C, C).

    Masks are bool, True = MASKED (as torch.nn.Transformer*).
    forward(x, kv, attn_mask=None, key_padding_mask=None, is_causal=False):
        x: (B, Tq, C); kv: (B, Tk, C) (pass kv = x for self-attention; Tq may differ from Tk).
        attn_mask: (Tq, Tk) bool or None.  key_padding_mask: (B, Tk) bool or None.
        is_causal: also hide keys j > i (needs Tq == Tk).
        Returns (B, Tq, C).
    You may use torch.nn.functional.scaled_dot_product_attention (its bool mask means True =
    attend) but not nn.MultiheadAttention.
    """

    def __init__(self, d_model: int, n_heads: int) -> None:
        """Create in_proj_weight, in_proj_bias and out_proj."""
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}")
        self.n_heads = n_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d_model))
        self.out_proj = nn.Linear(d_model, d_model)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: torch.Tensor, kv: torch.Tensor, attn_mask: torch.Tensor | None = None,
                key_padding_mask: torch.Tensor | None = None,
                is_causal: bool = False) -> torch.Tensor:
        """Attend from x (B, Tq, C) to kv (B, Tk, C); True in a mask = masked; (B, Tq, C)."""
        raise NotImplementedError("phase3.encoder_decoder.MultiHeadAttention.forward")


class EncoderLayer(nn.Module):
    """A post-norm encoder layer, as nn.TransformerEncoderLayer(batch_first=True, dropout=0):

        x = norm1(x + self_attn(x, x))
        x = norm2(x + linear2(act(linear1(x))))

    Parameters (created by __init__, torch's names): self_attn (MultiHeadAttention), linear1
    (C -> d_ff), linear2 (d_ff -> C), norm1, norm2 (nn.LayerNorm(C)). activation: "relu" or
    "gelu" (exact).

    forward(x, src_mask=None, src_key_padding_mask=None): x (B, S, C); src_mask (S, S) bool,
    src_key_padding_mask (B, S) bool, True = masked. Returns (B, S, C).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, activation: str = "relu") -> None:
        """Create self_attn, linear1, linear2, norm1 and norm2."""
        super().__init__()
        self.activation = activation
        self.self_attn = MultiHeadAttention(d_model, n_heads)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor, src_mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Apply the layer to x of shape (B, S, C); returns (B, S, C)."""
        raise NotImplementedError("phase3.encoder_decoder.EncoderLayer.forward")


class DecoderLayer(nn.Module):
    """A post-norm decoder layer, as nn.TransformerDecoderLayer(batch_first=True, dropout=0):

        y = norm1(y + self_attn(y, y))              masked self-attention (tgt masks)
        y = norm2(y + multihead_attn(y, memory))    cross-attention: queries from y, keys and
                                                    values from the encoder's memory
        y = norm3(y + linear2(act(linear1(y))))

    Parameters (created by __init__, torch's names): self_attn, multihead_attn
    (MultiHeadAttention), linear1, linear2, norm1, norm2, norm3.

    forward(y, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
            memory_key_padding_mask=None, tgt_is_causal=False):
        y: (B, T, C); memory: (B, S, C).
        tgt_mask (T, T), memory_mask (T, S), tgt_key_padding_mask (B, T),
        memory_key_padding_mask (B, S): bool, True = masked.
        tgt_is_causal: also hide future target tokens in the self-attention.
        Returns (B, T, C).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, activation: str = "relu") -> None:
        """Create self_attn, multihead_attn, linear1, linear2, norm1, norm2 and norm3."""
        super().__init__()
        self.activation = activation
        self.self_attn = MultiHeadAttention(d_model, n_heads)
        self.multihead_attn = MultiHeadAttention(d_model, n_heads)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)

    def forward(self, y: torch.Tensor, memory: torch.Tensor,
                tgt_mask: torch.Tensor | None = None, memory_mask: torch.Tensor | None = None,
                tgt_key_padding_mask: torch.Tensor | None = None,
                memory_key_padding_mask: torch.Tensor | None = None,
                tgt_is_causal: bool = False) -> torch.Tensor:
        """Apply the layer to y (B, T, C) reading memory (B, S, C); returns (B, T, C)."""
        raise NotImplementedError("phase3.encoder_decoder.DecoderLayer.forward")


class Transformer(nn.Module):
    """The encoder-decoder Transformer, as nn.Transformer(batch_first=True, dropout=0.0).

    Parameters (created by __init__; nn.Transformer's state dict loads as it is):
        encoder.layers[i]: EncoderLayer      encoder.norm: nn.LayerNorm(C)   (final encoder norm)
        decoder.layers[i]: DecoderLayer      decoder.norm: nn.LayerNorm(C)   (final decoder norm)

    encode(src, src_mask=None, src_key_padding_mask=None) -> memory (B, S, C):
        run src (B, S, C) through every encoder layer, then encoder.norm.
    decode(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
           memory_key_padding_mask=None, tgt_is_causal=False) -> (B, T, C):
        run tgt (B, T, C) through every decoder layer (each reading the same memory), then
        decoder.norm.
    forward(src, tgt, ...masks...) = decode(tgt, encode(src, ...), ...).
    Masks are bool with True = masked; shapes: src_mask (S, S), tgt_mask (T, T), memory_mask
    (T, S), *_key_padding_mask (B, S) or (B, T). S and T may differ.
    """

    def __init__(self, d_model: int = 32, n_heads: int = 4, num_encoder_layers: int = 2,
                 num_decoder_layers: int = 2, d_ff: int = 64,
                 activation: str = "relu") -> None:
        """Create encoder.layers, encoder.norm, decoder.layers and decoder.norm."""
        super().__init__()
        self.encoder = nn.ModuleDict({
            "layers": nn.ModuleList(EncoderLayer(d_model, n_heads, d_ff, activation)
                                    for _ in range(num_encoder_layers)),
            "norm": nn.LayerNorm(d_model)})
        self.decoder = nn.ModuleDict({
            "layers": nn.ModuleList(DecoderLayer(d_model, n_heads, d_ff, activation)
                                    for _ in range(num_decoder_layers)),
            "norm": nn.LayerNorm(d_model)})

    def encode(self, src: torch.Tensor, src_mask: torch.Tensor | None = None,
               src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The memory (B, S, C) for src of shape (B, S, C)."""
        raise NotImplementedError("phase3.encoder_decoder.Transformer.encode")

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor,
               tgt_mask: torch.Tensor | None = None, memory_mask: torch.Tensor | None = None,
               tgt_key_padding_mask: torch.Tensor | None = None,
               memory_key_padding_mask: torch.Tensor | None = None,
               tgt_is_causal: bool = False) -> torch.Tensor:
        """The decoder's output (B, T, C) for tgt (B, T, C) reading memory (B, S, C)."""
        raise NotImplementedError("phase3.encoder_decoder.Transformer.decode")

    def forward(self, src: torch.Tensor, tgt: torch.Tensor,
                src_mask: torch.Tensor | None = None, tgt_mask: torch.Tensor | None = None,
                memory_mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None,
                tgt_key_padding_mask: torch.Tensor | None = None,
                memory_key_padding_mask: torch.Tensor | None = None,
                tgt_is_causal: bool = False) -> torch.Tensor:
        """decode(tgt, encode(src)) with the masks routed as in nn.Transformer; (B, T, C)."""
        raise NotImplementedError("phase3.encoder_decoder.Transformer.forward")


class Seq2Seq(nn.Module):
    """A token-to-token model: embeddings + sinusoidal positions -> Transformer -> logits.

    Parameters (created by __init__): src_embed, tgt_embed (nn.Embedding(vocab_size, C)),
    transformer (Transformer), lm_head (nn.Linear(C, vocab_size)); buffer pe (max_len, C),
    the sinusoidal table pe[t, 2i] = sin(t / 10000^(2i/C)), pe[t, 2i+1] = cos(same).

    forward(src, tgt_in): src (B, S) and tgt_in (B, T) int64 token ids (T <= max_len);
        embed each as embed(tokens) * sqrt(C) + pe[:length], run the Transformer with the
        decoder's self-attention causal (tgt_is_causal=True) and no other mask, and return the
        logits lm_head(output), (B, T, vocab_size). Position t's logits predict tgt_in's
        token t + 1 (teacher forcing: tgt_in is the target shifted right, starting with BOS).
    """

    def __init__(self, vocab_size: int, d_model: int = 32, n_heads: int = 4, n_layers: int = 2,
                 d_ff: int = 64, max_len: int = 64) -> None:
        """Create the embeddings, the Transformer, lm_head and the pe buffer."""
        super().__init__()
        self.d_model = d_model
        self.src_embed = nn.Embedding(vocab_size, d_model)
        self.tgt_embed = nn.Embedding(vocab_size, d_model)
        self.transformer = Transformer(d_model, n_heads, n_layers, n_layers, d_ff)
        self.lm_head = nn.Linear(d_model, vocab_size)
        t = torch.arange(max_len, dtype=torch.float32)[:, None]
        freq = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2) / d_model)
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(t * freq)
        pe[:, 1::2] = torch.cos(t * freq)
        self.register_buffer("pe", pe)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, vocab_size) for src (B, S) and the shifted target tgt_in (B, T)."""
        raise NotImplementedError("phase3.encoder_decoder.Seq2Seq.forward")


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: torch.Tensor, bos_id: int, steps: int) -> torch.Tensor:
    """Decode greedily: start from BOS and append the argmax token, `steps` times.

    tgt = [[bos_id]] * B; repeat steps times: logits = model(src, tgt); append
    logits[:, -1].argmax(-1) (ties: the lowest id, as torch.argmax) to tgt. Each step feeds
    back the model's OWN previous predictions, never a true target.

    Args:
        model: a Seq2Seq (put it in eval mode first; restore nothing).
        src: (B, S) int64.  bos_id: the start token.  steps: how many tokens to produce.
    Returns:
        (B, steps) int64, the generated tokens without the BOS.
    """
    raise NotImplementedError("phase3.encoder_decoder.greedy_decode")


def train_reversal(steps: int = 500, seq_len: int = 8, n_symbols: int = 10, batch_size: int = 64,
                   lr: float = 5e-3, warmup: int = 50, seed: int = 0) -> Seq2Seq:
    """Train a Seq2Seq to reverse sequences, with teacher forcing, and return it.

    Tokens: symbols 0..n_symbols-1 and BOS = n_symbols (vocab_size = n_symbols + 1). Each
    step draws a batch src (batch_size, seq_len) of uniform symbols; the target is
    src.flip(1); the decoder reads tgt_in = [BOS, target[:, :-1]] and the loss is the mean
    cross-entropy of its logits against target. Use Seq2Seq(n_symbols + 1, max_len=seq_len + 1)
    with its other defaults, and Adam(lr) whose learning rate warms up linearly over the first
    `warmup` steps (lr * (s + 1) / warmup at step s) and then follows a cosine from lr down to
    0 at step `steps` (the factor 0.5 * (1 + cos(pi * s / steps)) multiplies the warm-up's).
    Post-norm Transformers train badly without the warm-up. Seed torch with `seed` before
    building the model, so the run is reproducible.

    The tests require >= 95% token accuracy of greedy_decode(model, src, n_symbols, seq_len)
    on 500 fresh sequences after train_reversal() with its defaults (the reference reaches
    99% with seeds 0, 1 and 2, in about 8 s of one CPU core).
    """
    raise NotImplementedError("phase3.encoder_decoder.train_reversal")
