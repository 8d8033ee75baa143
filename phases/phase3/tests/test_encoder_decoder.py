"""Public smoke tests for phase3.encoder_decoder (the grader also runs hidden tests).

Oracles: torch.nn.TransformerDecoderLayer and torch.nn.Transformer (batch_first=True,
dropout=0.0) after loading their state dicts into yours, compared in float64, with a source
and a target of different lengths.
"""

import torch
from torch import nn

from phase3.encoder_decoder import DecoderLayer, Transformer
from shared import assert_close

F64 = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-10}


def _randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _causal(T):
    return torch.ones(T, T, dtype=torch.bool).triu(1)


def test_decoder_layer_matches_torch():
    torch.manual_seed(0)
    ref = nn.TransformerDecoderLayer(16, 4, 24, dropout=0.0, batch_first=True).double().train()
    mine = DecoderLayer(16, 4, 24).double()
    mine.load_state_dict(ref.state_dict())
    y, memory = _randn(2, 5, 16, seed=1), _randn(2, 7, 16, seed=2)
    assert_close(mine(y, memory, tgt_mask=_causal(5)), ref(y, memory, tgt_mask=_causal(5)), **TOL,
                 what="DecoderLayer(16, 4, 24) on y (2, 5, 16) and memory (2, 7, 16), causal "
                      "tgt_mask",
                 oracle="torch.nn.TransformerDecoderLayer with the same weights",
                 hint="norm1(y + self_attn(y, y)), then norm2(y + multihead_attn(y, memory)) "
                      "with keys and values from the memory, then norm3(y + ffn(y))")


def test_transformer_matches_torch():
    torch.manual_seed(3)
    ref = nn.Transformer(16, 4, 2, 2, 24, dropout=0.0, batch_first=True).double().train()
    mine = Transformer(16, 4, 2, 2, 24).double()
    mine.load_state_dict(ref.state_dict())
    src, tgt = _randn(3, 7, 16, seed=4), _randn(3, 5, 16, seed=5)
    assert_close(mine(src, tgt, tgt_mask=_causal(5)), ref(src, tgt, tgt_mask=_causal(5)), **TOL,
                 what="Transformer(16, 4, 2, 2, 24) on src (3, 7, 16), tgt (3, 5, 16), causal "
                      "tgt_mask",
                 oracle="torch.nn.Transformer(batch_first=True, dropout=0.0), same weights",
                 hint="both stacks end with their final LayerNorm (encoder.norm, decoder.norm); "
                      "every decoder layer reads the same (normalised) memory")
