"""Public smoke tests for phase3.sparse_attention (the grader also runs hidden tests).

Oracles: the sliding-window pattern's closed form (row i has min(i + 1, w) keys, the last one
being i itself), and torch.nn.functional.scaled_dot_product_attention with the dense mask,
computed here.
"""

import torch
import torch.nn.functional as F

from phase3.sparse_attention import sliding_window_attention, sliding_window_mask
from shared import assert_close, assert_equal, forbidden

NO_SDPA = ("torch.nn.functional.scaled_dot_product_attention",)


def test_sliding_window_mask_rows():
    """Each row of the sliding window mask allows exactly the keys in its window."""
    T, w = 9, 3
    mask = sliding_window_mask(T, w)
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
    assert_equal(mask.to(torch.int64), ((j <= i) & (j > i - w)).to(torch.int64),
                 what="sliding_window_mask(9, 3) (1 = attend)",
                 oracle="i - w < j <= i", hint="row i holds keys i - w + 1 .. i: w keys, "
                 "itself included (not w + 1)")


def test_sliding_window_attention_matches_dense():
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 12, 4, generator=gen, dtype=torch.float64) for _ in range(3))
    with forbidden(*NO_SDPA, by="phase3.sparse_attention.sliding_window_attention"):
        got = sliding_window_attention(q, k, v, 4)
    i, j = torch.arange(12)[:, None], torch.arange(12)[None, :]
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=(j <= i) & (j > i - 4))
    assert_close(got, expected, rtol=1e-9, atol=1e-10,
                 what="sliding_window_attention(q, k, v, window=4) with T=12",
                 oracle="torch SDPA with the dense mask i - 4 < j <= i",
                 hint="each query sees keys i - 3 .. i (those >= 0); scale by 1/sqrt(hs)")
