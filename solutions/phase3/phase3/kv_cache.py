"""A KV cache for incremental decoding and streaming generation.

A causal decoder produces token t + 1 from tokens 0..t. Run naively, each new token re-runs the
model over the whole prefix: T new tokens cost O(T^2) token-passes. But in a causal model the
keys and values of tokens already seen never change (they attend only to the past), so each
layer can keep them: the KV cache. Decoding then runs the model on ONE new token per step,
whose query attends to the cached keys and values plus its own.

    prefill:  run the prompt (T_p tokens) once, filling the cache's positions [0, T_p)
    decode:   for each new token at position p: run it alone, with positions offset by p,
              append its keys/values at position p, attend to positions [0, p]

The cache is preallocated (B, nh, T_max, hs) per layer, as in production inference engines
(vLLM, llama.cpp, Hugging Face's StaticCache), so decoding allocates nothing that grows.
Reading: Pope et al. 2022, "Efficiently Scaling Transformer Inference"; Karpathy's nanoGPT
(the model below has its parameter names).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn


class KVCache:
    """Preallocated keys and values of every layer, filled left to right.

    Attributes:
        k, v: lists of n_layer tensors of shape (B, nh, max_len, hs), dtype `dtype`, created
            (zeros) in __init__ and never reallocated.
        length: int, the number of positions filled so far (the same for every layer); 0 at
            first.
        max_len: int, the capacity.

    Protocol, for one forward pass over T_new new tokens: each layer calls append(layer, k, v)
    once; then the model calls advance(T_new) once. So during a pass, `length` still counts
    only the tokens cached before it (it is the position of the first new token).
    """

    def __init__(self, n_layer: int, batch_size: int, n_head: int, max_len: int,
                 head_size: int, dtype: torch.dtype = torch.float32) -> None:
        """Allocate k and v for every layer, (batch_size, n_head, max_len, head_size) zeros."""
        shape = (batch_size, n_head, max_len, head_size)
        self.k = [torch.zeros(shape, dtype=dtype) for _ in range(n_layer)]
        self.v = [torch.zeros(shape, dtype=dtype) for _ in range(n_layer)]
        self.max_len = max_len
        self.length = 0

    def append(self, layer: int, k: torch.Tensor,
               v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write new keys and values at positions [length, length + T_new) of one layer.

        Args:
            layer: the layer index, 0 <= layer < n_layer.
            k, v: (B, nh, T_new, hs), the new tokens' keys and values.

        Returns:
            (keys, values): that layer's cached positions [0, length + T_new), each of shape
            (B, nh, length + T_new, hs): the old entries followed by the new ones (views of the
            preallocated buffers are fine). `length` itself does not change (see advance).

        Raises:
            ValueError: if length + T_new > max_len.
        """
        start, end = self.length, self.length + k.shape[-2]
        if end > self.max_len:
            raise ValueError(f"KV cache overflow: {end} positions needed, capacity {self.max_len}")
        # The sequence axis is -2: (B, nh, T, hs). Copy into the buffer; no reallocation.
        self.k[layer][:, :, start:end] = k
        self.v[layer][:, :, start:end] = v
        return self.k[layer][:, :, :end], self.v[layer][:, :, :end]

    def advance(self, n: int) -> None:
        """Mark n more positions as filled: length += n (once per forward pass)."""
        self.length += n

    def reset(self) -> None:
        """Forget every cached position (length = 0), keeping the buffers for reuse."""
        self.length = 0


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention that can read and extend a KV cache.

    Parameters (nanoGPT's names): c_attn = nn.Linear(n_embd, 3 * n_embd), whose output splits
    into q, k, v in that order along the last axis, each (B, T, n_embd) reshaped to
    (B, n_head, T, hs) with hs = n_embd // n_head (head h takes features [h*hs, (h+1)*hs));
    c_proj = nn.Linear(n_embd, n_embd) after merging the heads back to (B, T, n_embd).
    """

    def __init__(self, n_embd: int, n_head: int) -> None:
        """Create c_attn and c_proj as documented above."""
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None,
                layer: int = 0) -> torch.Tensor:
        """Causal self-attention over x, continuing the cached sequence if a cache is given.

        Args:
            x: (B, T_new, n_embd), the new tokens (already layer-normed).
            cache: None (x is the whole sequence, positions [0, T_new)), or a KVCache holding
                the P = cache.length previous positions: x's tokens are positions
                [P, P + T_new); their keys and values are appended to the cache (layer
                `layer`) and the queries attend to all P + T_new cached positions, new query
                i seeing key j iff j <= P + i. Do not call cache.advance here.
            layer: this layer's index in the cache.

        Returns:
            (B, T_new, n_embd). Softmax scale 1 / sqrt(hs). F.scaled_dot_product_attention may
            be used, but note that its is_causal flag aligns the mask to the top-left corner,
            which is wrong when P > 0.
        """
        b, t_new, c = x.shape
        hs = c // self.n_head
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t_new, self.n_head, hs).transpose(1, 2)
                   for z in (q, k, v))  # (B, nh, T_new, hs)
        past = 0
        if cache is not None:
            past = cache.length
            k, v = cache.append(layer, k, v)  # (B, nh, P + T_new, hs)
        # New query i sits at position past + i and may see keys 0..past + i (bottom-right
        # aligned causal mask). With a single new token, every cached key is visible.
        t_all = k.shape[-2]
        visible = (torch.arange(t_all)[None, :]
                   <= torch.arange(past, past + t_new)[:, None])  # (T_new, P + T_new)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=visible)  # (B, nh, T_new, hs)
        y = y.transpose(1, 2).reshape(b, t_new, c)  # merge the heads: (B, T_new, C)
        return self.c_proj(y)


class Block(nn.Module):
    """A pre-norm Transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)).

    Parameters: ln_1, ln_2 = nn.LayerNorm(n_embd); attn = CausalSelfAttention(n_embd, n_head);
    mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))
    (exact GELU), so its parameters are mlp.0.* and mlp.2.*.
    """

    def __init__(self, n_embd: int, n_head: int) -> None:
        """Create ln_1, attn, ln_2 and mlp as documented above."""
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(),
                                 nn.Linear(4 * n_embd, n_embd))

    def forward(self, x: torch.Tensor, cache: KVCache | None = None,
                layer: int = 0) -> torch.Tensor:
        """(B, T_new, n_embd) -> (B, T_new, n_embd); the cache is passed to the attention."""
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


class DecoderLM(nn.Module):
    """A small GPT-style causal language model with learned positions and a KV-cache path.

    Parameters: wte = nn.Embedding(vocab_size, n_embd); wpe = nn.Embedding(block_size,
    n_embd) (learned positions); blocks = nn.ModuleList of n_layer Block(n_embd, n_head);
    ln_f = nn.LayerNorm(n_embd); lm_head = nn.Linear(n_embd, vocab_size, bias=False) (not
    tied). Attributes block_size, n_layer, n_head, n_embd hold the configuration.
    """

    def __init__(self, vocab_size: int, block_size: int, n_layer: int, n_head: int,
                 n_embd: int) -> None:
        """Create the parameters documented above (torch's default initialisation)."""
        super().__init__()
        self.block_size, self.n_layer, self.n_head, self.n_embd = (block_size, n_layer,
                                                                   n_head, n_embd)
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.blocks = nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)

    def forward(self, idx: torch.Tensor, cache: KVCache | None = None,
                pos_offset: int = 0) -> torch.Tensor:
        """Logits for every position of idx, continuing the cached sequence if given.

        x = wte(idx) + wpe(positions) with positions pos_offset .. pos_offset + T_new - 1;
        then the blocks (block i uses cache layer i), ln_f and lm_head. With a cache, the
        blocks append idx's keys and values and this method then calls cache.advance(T_new)
        once.

        Args:
            idx: (B, T_new) int64 token ids.
            cache: None, or a KVCache whose length is the number of positions before idx.
            pos_offset: the position of idx[:, 0]. With a cache it must equal cache.length.

        Returns:
            (B, T_new, vocab_size) logits.

        Raises:
            ValueError: if pos_offset + T_new > block_size, or a cache is given and
                pos_offset != cache.length.
        """
        t_new = idx.shape[1]
        if pos_offset + t_new > self.block_size:
            raise ValueError(f"positions up to {pos_offset + t_new} exceed block_size "
                             f"{self.block_size}")
        if cache is not None and pos_offset != cache.length:
            raise ValueError(f"pos_offset {pos_offset} != cache.length {cache.length}: the new "
                             "tokens must continue the cached sequence")
        pos = torch.arange(pos_offset, pos_offset + t_new)  # (T_new,): offset, not from 0
        x = self.wte(idx) + self.wpe(pos)  # (B, T_new, C)
        for i, block in enumerate(self.blocks):
            x = block(x, cache, i)
        if cache is not None:
            cache.advance(t_new)  # once, after every layer has appended
        return self.lm_head(self.ln_f(x))


def _new_cache(model: DecoderLM, batch_size: int, max_len: int) -> KVCache:
    dtype = model.wte.weight.dtype
    return KVCache(model.n_layer, batch_size, model.n_head, max_len,
                   model.n_embd // model.n_head, dtype=dtype)


@torch.no_grad()
def stream(model: DecoderLM, idx: torch.Tensor, max_new_tokens: int,
           use_cache: bool = True) -> Iterator[torch.Tensor]:
    """Greedy decoding as a generator: yield each new token as soon as it is chosen.

    Each step picks argmax of the last position's logits (torch.argmax: the lowest id on
    ties). With use_cache, a fresh KVCache (capacity T + max_new_tokens, the model's dtype) is
    filled by one prefill pass over idx, then each step runs the model on the one token just
    chosen (pos_offset = the cache's length); without it, each step runs the model over the
    whole sequence so far. Runs under torch.no_grad(). The model is run lazily: nothing is
    computed before the first next(), and each next() runs the model once.

    Args:
        model: a DecoderLM.
        idx: (B, T) int64 prompt, T >= 1; every row has the same length (prompts of different
            lengths need one call each).
        max_new_tokens: how many tokens to yield.
        use_cache: decode with a KV cache (True) or by recomputing the prefix (False).

    Yields:
        max_new_tokens tensors of shape (B,), int64: the next token of every row.

    Raises:
        ValueError: if T + max_new_tokens > model.block_size (checked at the first next()).
    """
    b, t = idx.shape
    if t + max_new_tokens > model.block_size:
        raise ValueError(f"prompt {t} + {max_new_tokens} new tokens exceed block_size "
                         f"{model.block_size}")
    if not use_cache:
        seq = idx
        for _ in range(max_new_tokens):
            nxt = model(seq)[:, -1].argmax(dim=-1)  # (B,): recompute the whole prefix
            seq = torch.cat([seq, nxt[:, None]], dim=1)
            yield nxt
        return
    cache = _new_cache(model, b, t + max_new_tokens)
    logits = model(idx, cache, 0)  # prefill: the whole prompt in one pass
    for step in range(max_new_tokens):
        nxt = logits[:, -1].argmax(dim=-1)  # (B,)
        yield nxt
        if step + 1 < max_new_tokens:  # the last token never needs to be fed back
            logits = model(nxt[:, None], cache, cache.length)  # one token, offset advanced


@torch.no_grad()
def generate(model: DecoderLM, idx: torch.Tensor, max_new_tokens: int,
             use_cache: bool = True) -> torch.Tensor:
    """Greedy decoding: the prompt followed by max_new_tokens new tokens.

    The same tokens as stream(model, idx, max_new_tokens, use_cache), collected.

    Args:
        model, idx, max_new_tokens, use_cache: as in stream.

    Returns:
        (B, T + max_new_tokens) int64: idx, then the new tokens.

    Raises:
        ValueError: if T + max_new_tokens > model.block_size.
    """
    new = list(stream(model, idx, max_new_tokens, use_cache))
    if not new:
        return idx.clone()
    return torch.cat([idx, torch.stack(new, dim=1)], dim=1)
