"""Sparse attention: sliding window (Mistral), dilated windows, Longformer and BigBird.

Each pattern lets a query attend to a few keys only. For each pattern you write:
- a *_mask function: the dense (T, T) boolean pattern, True = attend (for tests, small T);
- an *_attention function: the same attention computed WITHOUT any T x T tensor (gather a band
  of keys per query, or key blocks per query block). The tests check that no intermediate has
  T * T elements or more, and compare with dense attention under your pattern's mask.

Scores are q . k / sqrt(hs), softmax over the allowed keys. Do not call
torch.nn.functional.scaled_dot_product_attention.
"""

from __future__ import annotations

import torch


def sliding_window_mask(T: int, window: int) -> torch.Tensor:
    """Causal sliding-window pattern (Mistral): query i attends to key j iff 0 <= i - j < window.

    Row i therefore has min(i + 1, window) True entries; window >= T is full causal attention.

    Args:
        T: sequence length.
        window: w >= 1, the number of keys a query sees, itself included.
    Returns:
        (T, T) bool tensor, True = attend.
    """
    raise NotImplementedError("phase3.sparse_attention.sliding_window_mask")


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
    raise NotImplementedError("phase3.sparse_attention.dilated_window_mask")


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
    raise NotImplementedError("phase3.sparse_attention.longformer_mask")


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
    raise NotImplementedError("phase3.sparse_attention.bigbird_block_mask")


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
    raise NotImplementedError("phase3.sparse_attention.bigbird_mask")


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
    raise NotImplementedError("phase3.sparse_attention.sliding_window_attention")


def dilated_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: int,
                      dilation: int) -> torch.Tensor:
    """Attention with the dilated_window_mask pattern, without a (T, T) tensor.

    Args:
        q, k, v: (B, nh, T, hs) float tensors. window: w >= 1. dilation: r >= 1.
    Returns:
        (B, nh, T, hs). Same memory rule as sliding_window_attention.
    Do not call torch.nn.functional.scaled_dot_product_attention.
    """
    raise NotImplementedError("phase3.sparse_attention.dilated_attention")


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
    raise NotImplementedError("phase3.sparse_attention.longformer_attention")


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
    raise NotImplementedError("phase3.sparse_attention.bigbird_attention")
