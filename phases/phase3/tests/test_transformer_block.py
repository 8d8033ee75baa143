"""Public smoke tests for phase3.transformer_block (the grader also runs hidden tests).

Oracles: torch.nn.Linear / GELU / ReLU composed by the test, and
torch.nn.TransformerEncoderLayer(batch_first=True, dropout=0.0) in both norm placements after
copying the same weights into your block, compared in float64.
"""

import pytest
import torch
from torch import nn

from phase3.transformer_block import EncoderBlock, FeedForward
from shared import assert_close

F64 = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-10}


def _randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _load_from_torch_layer(mine, ref):
    """Copy a torch.nn.TransformerEncoderLayer's weights into an EncoderBlock (documented map)."""
    state = {("ffn." + k if k.startswith(("linear1.", "linear2.")) else k): v
             for k, v in ref.state_dict().items()}
    mine.load_state_dict(state)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_feedforward_matches_linear_act_linear(activation):
    """Feedforward matches linear, then activation, then linear."""
    torch.manual_seed(0)
    ffn = FeedForward(8, 20, activation).double()
    act = nn.ReLU() if activation == "relu" else nn.GELU()
    x = _randn(2, 5, 8, seed=1)
    expected = ffn.linear2(act(ffn.linear1(x)))
    assert_close(ffn(x), expected, **TOL,
                 what=f"FeedForward(8, 20, {activation!r}) on x of shape (2, 5, 8)",
                 oracle=f"linear2(nn.{type(act).__name__}()(linear1(x)))",
                 hint="apply linear1, then the activation, then linear2; 'gelu' is the exact "
                      "(erf) GELU")


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_encoder_block_matches_torch_encoder_layer(norm_first):
    torch.manual_seed(2)
    ref = nn.TransformerEncoderLayer(16, 4, 24, dropout=0.0, activation="gelu",
                                     batch_first=True, norm_first=norm_first).double().train()
    mine = EncoderBlock(16, 4, 24, "gelu", norm_first=norm_first).double()
    _load_from_torch_layer(mine, ref)
    x = _randn(3, 6, 16, seed=3)
    pad = torch.zeros(3, 6, dtype=torch.bool)
    pad[1, 4:] = True  # sequence 1 has 4 real tokens, then padding
    what = (f"EncoderBlock(16, 4, 24, 'gelu', norm_first={norm_first}) on x of shape "
            "(3, 6, 16) with a key padding mask (True = padding)")
    assert_close(mine(x, src_key_padding_mask=pad), ref(x, src_key_padding_mask=pad), **TOL,
                 what=what, oracle="torch.nn.TransformerEncoderLayer with the same weights",
                 hint="post-norm: x = norm1(x + attn(x)), then x = norm2(x + ffn(x)); pre-norm: "
                      "x = x + attn(norm1(x)), then x = x + ffn(norm2(x)). True in the padding "
                      "mask means 'may not attend'")
