"""Sparse attention: sliding window (Mistral), dilated windows, Longformer and BigBird.

Each pattern lets every query attend to a few keys only, so attention can be computed in
O(T * w) memory instead of O(T^2). References: Child et al. 2019 ("Generating Long Sequences
with Sparse Transformers"), Beltagy et al. 2020 ("Longformer"), Zaheer et al. 2020 ("Big Bird"),
Jiang et al. 2023 ("Mistral 7B", causal sliding window).

The *_mask functions build the dense (T, T) boolean pattern (True = attend), for testing and
for small T; the *_attention functions compute the same attention without ever forming a
T x T tensor: a band of keys per query gathered with unfold, or key blocks per query block.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def sliding_window_mask(T: int, window: int) -> torch.Tensor:
    """Causal sliding-window pattern (Mistral): query i attends to key j iff 0 <= i - j < window.

    Row i therefore has min(i + 1, window) True entries; window >= T is full causal attention.

    Args:
        T: sequence length.
        window: w >= 1, the number of keys a query sees, itself included.
    Returns:
        (T, T) bool tensor, True = attend.
    """
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    return (i - j >= 0) & (i - j < window)


def dilated_window_mask(T: int, window: int, dilation: int) -> torch.Tensor:
    """Causal dilated-window pattern: query i attends to keys i, i - r, i - 2r, ...,
    i - (window - 1) * r (r = dilation), those that are >= 0.

    The dilation spaces out the KEYS; every query keeps its own row. dilation = 1 is the
    sliding window.

    Args:
        T: sequence length. window: w >= 1 keys per query (fewer near the start).
        dilation: r >= 1.
    Returns:
        (T, T) bool tensor, True = attend.
    """
    d = torch.arange(T)[:, None] - torch.arange(T)[None, :]  # i - j
    return (d >= 0) & (d % dilation == 0) & (d // dilation < window)


def longformer_mask(T: int, radius: int, global_idx: list[int]) -> torch.Tensor:
    """Longformer pattern (bidirectional): a local band plus symmetric global tokens.

    Query i attends to key j iff |i - j| <= radius, or i is global (a global token attends to
    every key), or j is global (every query attends to a global token).

    Args:
        T: sequence length. radius: one-sided band width >= 0.
        global_idx: distinct positions in 0 .. T-1 of the global tokens (may be empty).
    Returns:
        (T, T) bool tensor, True = attend; symmetric.
    """
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    mask = (i - j).abs() <= radius
    g = torch.zeros(T, dtype=torch.bool)
    g[list(global_idx)] = True
    return mask | g[:, None] | g[None, :]


def bigbird_block_mask(num_blocks: int, num_global_blocks: int, num_random_blocks: int,
                       seed: int) -> torch.Tensor:
    """BigBird's pattern at block level: which key blocks each query block attends to.

    Block b attends to block c iff one of:
    - window: |b - c| <= 1;
    - global: b < num_global_blocks or c < num_global_blocks (the first blocks are global,
      symmetric as in Longformer);
    - random: c is one of b's random blocks. With gen = torch.Generator().manual_seed(seed),
      for b = 0, 1, ..., num_blocks - 1 in order (global blocks included, so the draws do not
      depend on num_global_blocks), b's random blocks are
      torch.randperm(num_blocks, generator=gen)[:num_random_blocks] (they may coincide with
      window or global blocks).

    Args:
        num_blocks: nb. num_global_blocks: g >= 0. num_random_blocks: r in 0 .. nb.
        seed: the generator's seed; the same seed gives the same pattern.
    Returns:
        (nb, nb) bool tensor, True = attend.
    """
    b = torch.arange(num_blocks)[:, None]
    c = torch.arange(num_blocks)[None, :]
    mask = (b - c).abs() <= 1
    mask |= (b < num_global_blocks) | (c < num_global_blocks)
    gen = torch.Generator().manual_seed(seed)
    for row in range(num_blocks):
        mask[row, torch.randperm(num_blocks, generator=gen)[:num_random_blocks]] = True
    return mask


def bigbird_mask(T: int, block_size: int, num_global_blocks: int, num_random_blocks: int,
                 seed: int) -> torch.Tensor:
    """BigBird's token-level pattern: bigbird_block_mask expanded to tokens.

    Query i attends to key j iff block i // block_size attends to block j // block_size.

    Args:
        T: sequence length, a multiple of block_size. The other arguments as in
            bigbird_block_mask, with num_blocks = T // block_size.
    Returns:
        (T, T) bool tensor, True = attend.
    Raises:
        ValueError: if block_size does not divide T.
    """
    if T % block_size:
        raise ValueError(f"block_size {block_size} does not divide T = {T}")
    blocks = bigbird_block_mask(T // block_size, num_global_blocks, num_random_blocks, seed)
    return blocks.repeat_interleave(block_size, 0).repeat_interleave(block_size, 1)


def _band_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                    offsets: torch.Tensor) -> torch.Tensor:
    """Each query i attends to keys i - o for o in offsets (those inside 0 .. T-1).

    Memory O(B * nh * T * len(offsets) * hs): the keys of each query are gathered, never a
    (T, T) score matrix.
    """
    B, nh, T, hs = q.shape
    lo, hi = int(offsets.min().clamp(max=0)), int(offsets.max().clamp(min=0))
    # Pad so that key index i - o is always inside the padded tensor: left by hi, right by -lo.
    kp = F.pad(k, (0, 0, hi, -lo))  # (B, nh, T + hi - lo, hs)
    vp = F.pad(v, (0, 0, hi, -lo))
    idx = torch.arange(T)[:, None] - offsets[None, :] + hi  # (T, W) rows of the padded keys
    keys, vals = kp[:, :, idx], vp[:, :, idx]  # (B, nh, T, W, hs)
    scores = (q[:, :, :, None, :] * keys).sum(-1) / math.sqrt(hs)  # (B, nh, T, W)
    j = torch.arange(T)[:, None] - offsets[None, :]
    scores = scores.masked_fill(~((j >= 0) & (j < T)), float("-inf"))
    return (scores.softmax(-1)[..., None] * vals).sum(-2)  # (B, nh, T, hs)


def sliding_window_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                             window: int) -> torch.Tensor:
    """Attention with the sliding_window_mask pattern, without a (T, T) tensor.

    softmax(q k^T / sqrt(hs)) v restricted to the allowed keys of each query. No intermediate
    tensor may have T * T or more elements (B, nh, T, window, hs-sized ones are fine).

    Args:
        q, k, v: (B, nh, T, hs) float tensors. window: w >= 1.
    Returns:
        (B, nh, T, hs).
    Do not call torch.nn.functional.scaled_dot_product_attention.
    """
    return _band_attention(q, k, v, torch.arange(min(window, q.shape[2])))


def dilated_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: int,
                      dilation: int) -> torch.Tensor:
    """Attention with the dilated_window_mask pattern, without a (T, T) tensor.

    Args:
        q, k, v: (B, nh, T, hs) float tensors. window: w >= 1. dilation: r >= 1.
    Returns:
        (B, nh, T, hs). Same memory rule as sliding_window_attention.
    Do not call torch.nn.functional.scaled_dot_product_attention.
    """
    T = q.shape[2]
    n = min(window, (T - 1) // dilation + 1)  # more offsets would all fall before key 0
    return _band_attention(q, k, v, torch.arange(n) * dilation)


def longformer_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, radius: int,
                         global_idx: list[int]) -> torch.Tensor:
    """Attention with the longformer_mask pattern, without a (T, T) tensor.

    Non-global queries see their band and the global keys (each key once, even when a global
    key also lies in the band); global queries see every key (a (G, T) score block is fine).

    Args:
        q, k, v: (B, nh, T, hs) float tensors. radius, global_idx: as in longformer_mask.
    Returns:
        (B, nh, T, hs). No intermediate of T * T or more elements.
    Do not call torch.nn.functional.scaled_dot_product_attention.
    """
    B, nh, T, hs = q.shape
    scale = 1.0 / math.sqrt(hs)
    g = torch.tensor(sorted(global_idx), dtype=torch.long)
    is_global = torch.zeros(T, dtype=torch.bool)
    is_global[g] = True
    # Local band: offsets -radius .. radius; drop band keys that are global (counted below).
    r = min(radius, T - 1)
    offsets = torch.arange(-r, r + 1)
    kp, vp = F.pad(k, (0, 0, r, r)), F.pad(v, (0, 0, r, r))
    j = torch.arange(T)[:, None] + offsets[None, :]  # (T, W) key index
    valid = (j >= 0) & (j < T)
    valid &= ~is_global[j.clamp(0, T - 1)]
    band_k, band_v = kp[:, :, j + r], vp[:, :, j + r]  # (B, nh, T, W, hs)
    band_s = (q[:, :, :, None] * band_k).sum(-1) * scale  # (B, nh, T, W)
    band_s = band_s.masked_fill(~valid, float("-inf"))
    glob_s = q @ k[:, :, g].transpose(-1, -2) * scale  # (B, nh, T, G)
    p = torch.cat((band_s, glob_s), dim=-1).softmax(-1)
    W = offsets.numel()
    out = (p[..., :W, None] * band_v).sum(-2) + p[..., W:] @ v[:, :, g]  # (B, nh, T, hs)
    if g.numel():
        # Global queries attend to everything: (B, nh, G, T) scores.
        full = (q[:, :, g] @ k.transpose(-1, -2) * scale).softmax(-1) @ v
        out = out.clone()
        out[:, :, g] = full
    return out


def bigbird_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, block_size: int,
                      num_global_blocks: int, num_random_blocks: int,
                      seed: int) -> torch.Tensor:
    """Attention with the bigbird_mask pattern, computed block by block.

    For each query block, gather the key blocks it attends to (bigbird_block_mask's row) and
    attend over those keys only. No intermediate of T * T or more elements.

    Args:
        q, k, v: (B, nh, T, hs) float tensors, T a multiple of block_size; the other arguments
            as in bigbird_mask.
    Returns:
        (B, nh, T, hs).
    Raises:
        ValueError: if block_size does not divide T.
    Do not call torch.nn.functional.scaled_dot_product_attention.
    """
    B, nh, T, hs = q.shape
    if T % block_size:
        raise ValueError(f"block_size {block_size} does not divide T = {T}")
    nb = T // block_size
    blocks = bigbird_block_mask(nb, num_global_blocks, num_random_blocks, seed)
    qb = q.view(B, nh, nb, block_size, hs)
    kb = k.view(B, nh, nb, block_size, hs)
    vb = v.view(B, nh, nb, block_size, hs)
    out = torch.empty_like(qb)
    for b in range(nb):
        cols = blocks[b].nonzero().flatten()  # the key blocks of query block b
        keys = kb[:, :, cols].reshape(B, nh, -1, hs)  # (B, nh, n_cols * bs, hs)
        vals = vb[:, :, cols].reshape(B, nh, -1, hs)
        p = (qb[:, :, b] @ keys.transpose(-1, -2) / math.sqrt(hs)).softmax(-1)
        out[:, :, b] = p @ vals  # (B, nh, bs, hs)
    return out.view(B, nh, T, hs)
