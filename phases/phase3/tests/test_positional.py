"""Public smoke tests for phase3.positional (the grader also runs hidden tests).

Oracles: closed forms written out here (Vaswani's table, T5's bucket formula, the ALiBi paper's
slope formula) and RoPE as complex multiplication.
"""

import math

import torch
from phase3_testkit import t5_bucket

from phase3.positional import (
    alibi_slopes,
    apply_rope,
    sinusoidal_table,
    t5_relative_position_bucket,
)
from shared import assert_close, assert_equal


def test_sinusoidal_table_sine_on_even_cosine_on_odd_columns():
    """The sinusoidal table has sines in even columns and cosines in odd ones."""
    max_len, d = 12, 8
    expected = [[(math.sin if c % 2 == 0 else math.cos)(p / 10000 ** ((c - c % 2) / d))
                 for c in range(d)] for p in range(max_len)]
    got = sinusoidal_table(max_len, d, dtype=torch.float64)
    assert_close(got, expected, rtol=1e-10, atol=1e-12,
                 what=f"sinusoidal_table({max_len}, {d})",
                 oracle="PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same angle)",
                 hint="sine on the even columns, cosine on the odd ones; columns 2i and 2i + 1 "
                      "share the exponent 2i / d")


def test_rope_equals_complex_rotation_at_arbitrary_positions():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 5, 8, generator=gen, dtype=torch.float64)     # (B, nh, T, d)
    positions = torch.tensor([[7, 0, 3, 3, 42], [1, 9, 2, 100, 5]])[:, None, :]  # (B, 1, T)
    pairs = torch.view_as_complex(x.reshape(2, 3, 5, 4, 2).contiguous())   # (x[2i], x[2i+1])
    freqs = 10000.0 ** (-torch.arange(0, 8, 2, dtype=torch.float64) / 8)
    rot = torch.polar(torch.ones(2, 1, 5, 4, dtype=torch.float64),
                      positions[..., None].double() * freqs)
    expected = torch.view_as_real(pairs * rot).reshape(x.shape)
    assert_close(apply_rope(x, positions), expected, rtol=1e-10, atol=1e-10,
                 what="apply_rope(x of shape (2, 3, 5, 8), positions of shape (2, 1, 5))",
                 oracle="(x[2i] + 1j x[2i+1]) * exp(1j * p * 10000^(-2i/d))",
                 hint="pairs are ADJACENT features (2i, 2i+1), not i and i + d/2; use the given "
                      "token_positions, not arange(T)")


def test_t5_buckets_match_the_formula_both_ways():
    rel = torch.arange(-150, 151)
    for bidirectional in (True, False):
        got = t5_relative_position_bucket(rel, bidirectional, 32, 128)
        expected = [t5_bucket(r, bidirectional, 32, 128) for r in rel.tolist()]
        assert_equal(got, expected,
                     what=f"t5_relative_position_bucket(-150..150, bidirectional={bidirectional})",
                     oracle="T5's bucket formula",
                     hint="relative_position is key minus query; exact buckets for n < "
                          "max_exact (strictly), then logarithmic ones capped at N - 1")


def test_alibi_slopes_for_eight_heads():
    """ALiBi slopes are right for eight heads."""
    expected = [2.0 ** (-8 * (h + 1) / 8) for h in range(8)]
    assert_close(alibi_slopes(8), expected, rtol=1e-12, atol=0,
                 what="alibi_slopes(8)", oracle="the paper: 2^(-8(h+1)/n) for n = 8",
                 hint="a geometric sequence that starts at 2^(-8/n) with ratio 2^(-8/n)")
