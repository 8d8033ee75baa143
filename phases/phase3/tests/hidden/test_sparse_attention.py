"""Hidden tests for phase3.sparse_attention.

Oracles: closed forms of each pattern written out here (window, dilation, band, global rows
and columns, BigBird's documented seeded draws); invariants (per-row counts, symmetry of the
global tokens, window >= T is full causal attention, same seed same pattern); torch's
F.scaled_dot_product_attention with each pattern's dense mask, computed here; and a
TorchDispatchMode probe recording the largest op output while the learner's attention runs,
which must stay below T * T elements for T well above the window.
"""

import pytest
import torch
import torch.nn.functional as F
from phase3_testkit import SDPA_PATHS

from phase3.sparse_attention import (
    bigbird_attention,
    bigbird_block_mask,
    bigbird_mask,
    dilated_attention,
    dilated_window_mask,
    longformer_attention,
    longformer_mask,
    sliding_window_attention,
    sliding_window_mask,
)
from shared import assert_close, assert_equal, forbidden
from shared.memory import LargestOutput

F64 = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-10}


def _qkv(B, nh, T, hs, seed):
    gen = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(B, nh, T, hs, generator=gen, dtype=F64) for _ in range(3))


def _ints(mask):
    return mask.to(torch.int64)


def _ij(T):
    return torch.arange(T)[:, None], torch.arange(T)[None, :]


def _dense(q, k, v, mask):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def _learner(fn, *args):
    with forbidden(*SDPA_PATHS, by=f"phase3.sparse_attention.{fn.__name__}"):
        return fn(*args)


# ---------------------------------------------------------------- masks
@pytest.mark.parametrize(("T", "w"), [(10, 1), (10, 4), (6, 6), (5, 9)])
def test_sliding_window_mask_closed_form_and_counts(T, w):
    """The sliding window mask matches its closed form and key counts."""
    mask = sliding_window_mask(T, w)
    i, j = _ij(T)
    assert mask.dtype == torch.bool, f"the mask must be a bool tensor, got {mask.dtype}"
    assert_equal(_ints(mask), _ints((j <= i) & (i - j < w)),
                 what=f"sliding_window_mask({T}, {w})", oracle="0 <= i - j < w",
                 hint="w keys per row, the query itself included: i - w < j <= i")
    assert_equal(mask.sum(1), torch.clamp(torch.arange(T) + 1, max=w),
                 what="keys per row", oracle="min(i + 1, w)", hint="off by one in the window?")
    if w >= T:
        assert_equal(_ints(mask), _ints(j <= i), what="window >= T",
                     oracle="full causal attention", hint="the window must not cut anything")


@pytest.mark.parametrize(("T", "w", "r"), [(12, 3, 2), (11, 4, 3), (7, 3, 1)])
def test_dilated_window_mask_spaces_the_keys(T, w, r):
    mask = dilated_window_mask(T, w, r)
    i, j = _ij(T)
    d = i - j
    expected = (d >= 0) & (d % r == 0) & (d <= (w - 1) * r)
    assert_equal(_ints(mask), _ints(expected), what=f"dilated_window_mask({T}, {w}, {r})",
                 oracle="keys i, i - r, ..., i - (w - 1) r that are >= 0",
                 hint="dilate the keys (distance i - j a multiple of r), every query keeps its "
                      "row and itself")


def test_longformer_mask_band_and_symmetric_globals():
    """The Longformer mask has a band plus symmetric global rows and columns."""
    T, radius, g = 14, 2, [0, 9]
    mask = longformer_mask(T, radius, g)
    i, j = _ij(T)
    is_g = torch.zeros(T, dtype=torch.bool)
    is_g[g] = True
    expected = ((i - j).abs() <= radius) | is_g[:, None] | is_g[None, :]
    assert_equal(_ints(mask), _ints(expected), what="longformer_mask(14, 2, [0, 9])",
                 oracle="|i - j| <= radius, or i global, or j global",
                 hint="global tokens attend to all AND are attended by all")
    assert torch.equal(mask, mask.T), (
        "the Longformer mask must be symmetric (global tokens attend and are attended)")
    assert_equal(_ints(longformer_mask(T, radius, [])), _ints((i - j).abs() <= radius),
                 what="longformer_mask with no global tokens",
                 oracle="the band |i - j| <= radius",
                 hint="radius is one-sided: 2 * radius + 1 keys in the middle of the sequence")


def _documented_blocks(nb, g, r, seed):
    b, c = _ij(nb)
    mask = ((b - c).abs() <= 1) | (b < g) | (c < g)
    gen = torch.Generator().manual_seed(seed)
    for row in range(nb):
        mask[row, torch.randperm(nb, generator=gen)[:r]] = True
    return mask


def test_bigbird_block_mask_follows_the_documented_draws():
    for nb, g, r, seed in ((8, 1, 2, 0), (10, 2, 3, 7), (6, 0, 1, 3)):
        assert_equal(_ints(bigbird_block_mask(nb, g, r, seed)),
                     _ints(_documented_blocks(nb, g, r, seed)),
                     what=f"bigbird_block_mask({nb}, {g}, {r}, seed={seed})",
                     oracle="window |b - c| <= 1, global rows/columns, and for each block in "
                            "order randperm(nb, generator seeded with seed)[:r]",
                     hint="one generator, manual_seed(seed), one randperm per query block, in "
                          "order, global blocks included")


def test_bigbird_random_blocks_are_reproducible_by_seed():
    a, b = bigbird_block_mask(16, 1, 3, 5), bigbird_block_mask(16, 1, 3, 5)
    assert torch.equal(a, b), "the same seed must give the same random blocks"
    assert not torch.equal(a, bigbird_block_mask(16, 1, 3, 6)), (
        "seeds 5 and 6 gave the same pattern: draw from a generator seeded with `seed`")
    torch.manual_seed(123)
    c = bigbird_block_mask(16, 1, 3, 5)
    assert torch.equal(a, c), "the pattern must not depend on torch's global random state"


def test_bigbird_mask_expands_blocks_to_tokens():
    mask = bigbird_mask(12, 3, 1, 1, 4)
    blocks = _documented_blocks(4, 1, 1, 4)
    i, j = _ij(12)
    assert_equal(_ints(mask), _ints(blocks[i // 3, j // 3]), what="bigbird_mask(12, 3, 1, 1, 4)",
                 oracle="the documented block pattern, token i in block i // block_size",
                 hint="every token of a block shares its block's row")
    with pytest.raises(ValueError):
        bigbird_mask(10, 3, 1, 1, 0)


# ---------------------------------------------------------------- attention equals dense
@pytest.mark.parametrize(("T", "w"), [(16, 5), (7, 1), (6, 10)])
def test_sliding_window_attention_equals_dense(T, w):
    q, k, v = _qkv(2, 3, T, 4, seed=T + w)
    i, j = _ij(T)
    got = _learner(sliding_window_attention, q, k, v, w)
    assert_close(got, _dense(q, k, v, (j <= i) & (i - j < w)), **TOL,
                 what=f"sliding_window_attention(window={w}) with T={T}",
                 oracle="torch SDPA with the dense mask 0 <= i - j < w",
                 hint="w keys per query including itself; scores scaled by 1/sqrt(hs)")


@pytest.mark.parametrize(("T", "w", "r"), [(17, 3, 2), (10, 4, 3), (9, 2, 8)])
def test_dilated_attention_equals_dense(T, w, r):
    q, k, v = _qkv(2, 2, T, 4, seed=T * r)
    i, j = _ij(T)
    d = i - j
    got = _learner(dilated_attention, q, k, v, w, r)
    assert_close(got, _dense(q, k, v, (d >= 0) & (d % r == 0) & (d <= (w - 1) * r)), **TOL,
                 what=f"dilated_attention(window={w}, dilation={r}) with T={T}",
                 oracle="torch SDPA with the dense dilated mask",
                 hint="keys i, i - r, ..., i - (w - 1) r; do not dilate the queries")


@pytest.mark.parametrize(("radius", "g"), [(2, [0, 7]), (1, [3]), (3, []), (0, [5, 6])])
def test_longformer_attention_equals_dense(radius, g):
    T = 13
    q, k, v = _qkv(2, 2, T, 4, seed=radius + len(g))
    i, j = _ij(T)
    is_g = torch.zeros(T, dtype=torch.bool)
    is_g[g] = True
    mask = ((i - j).abs() <= radius) | is_g[:, None] | is_g[None, :]
    got = _learner(longformer_attention, q, k, v, radius, g)
    assert_close(got, _dense(q, k, v, mask), **TOL,
                 what=f"longformer_attention(radius={radius}, global_idx={g}) with T=13",
                 oracle="torch SDPA with the dense Longformer mask",
                 hint="global rows see every key; other rows see the band and the global keys, "
                      "each key counted once even when a global key lies in the band")


@pytest.mark.parametrize(("bs", "g", "r", "seed"), [(4, 1, 2, 0), (3, 0, 1, 11), (2, 2, 3, 5)])
def test_bigbird_attention_equals_dense(bs, g, r, seed):
    T = 24
    q, k, v = _qkv(2, 2, T, 4, seed=seed)
    blocks = _documented_blocks(T // bs, g, r, seed)
    i, j = _ij(T)
    got = _learner(bigbird_attention, q, k, v, bs, g, r, seed)
    assert_close(got, _dense(q, k, v, blocks[i // bs, j // bs]), **TOL,
                 what=f"bigbird_attention(block_size={bs}, global={g}, random={r}, seed={seed})",
                 oracle="torch SDPA with the documented dense BigBird mask",
                 hint="attend within the key blocks of the query's block row, each key once")


# ---------------------------------------------------------------- memory
@pytest.mark.parametrize("pattern", ["sliding", "dilated", "longformer", "bigbird"])
def test_no_intermediate_of_T_squared_elements(pattern):
    """No intermediate tensor has T squared elements."""
    T = 256
    q, k, v = (x.float() for x in _qkv(1, 1, T, 4, seed=1))
    calls = {
        "sliding": lambda: sliding_window_attention(q, k, v, 8),
        "dilated": lambda: dilated_attention(q, k, v, 4, 3),
        "longformer": lambda: longformer_attention(q, k, v, 3, [0, 100]),
        "bigbird": lambda: bigbird_attention(q, k, v, 16, 1, 1, 0),
    }
    probe = LargestOutput()
    with forbidden(*SDPA_PATHS, by="phase3.sparse_attention"), probe:
        out = calls[pattern]()
    assert out.shape == (1, 1, T, 4)
    assert probe.largest < T * T, (
        f"{pattern} attention with T={T} created an intermediate of {probe.largest} elements "
        f"(T*T = {T * T}): gather the few keys each query needs (a band or key blocks) instead "
        "of building a dense score matrix or mask")
