"""The language-model yardsticks against closed forms."""

import math

import torch

from shared.lm_eval import bigram_val_loss, windowed_val_loss


def test_bigram_of_a_deterministic_cycle_approaches_zero_and_uniform_model_gives_ln_v():
    ids = torch.arange(3).repeat(2000)  # 0 1 2 0 1 2 ...: each next token is certain
    # add-one counts: the seen pair has 2000 (or 1999) + 1 counts out of that + 3
    assert bigram_val_loss(ids, ids[:30], 3) < 0.002

    class Uniform(torch.nn.Module):
        def forward(self, x):
            return torch.zeros(*x.shape, 5)

    assert math.isclose(windowed_val_loss(Uniform(), torch.arange(5).repeat(40), 8, 5),
                        math.log(5), rel_tol=1e-6)  # float32 logits
