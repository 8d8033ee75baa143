"""Character-level language-model yardsticks: a counted bigram baseline and a windowed loss.

Used by phase 3's capstone test and benchmark, so that both measure a trained model the same
way. Imports torch (unlike `shared`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def bigram_val_loss(train_ids: torch.Tensor, val_ids: torch.Tensor, vocab_size: int) -> float:
    """Cross-entropy (nats per token) on val of a bigram model counted on train, add-one
    smoothed: the loss any model that looks at more than one previous token should beat."""
    counts = torch.ones(vocab_size, vocab_size, dtype=torch.float64)
    counts.index_put_((train_ids[:-1], train_ids[1:]),
                      torch.ones(len(train_ids) - 1, dtype=torch.float64), accumulate=True)
    logp = (counts / counts.sum(dim=1, keepdim=True)).log()
    return -logp[val_ids[:-1], val_ids[1:]].mean().item()


def windowed_val_loss(model: torch.nn.Module, val_ids: torch.Tensor, block_size: int,
                      vocab_size: int) -> float:
    """Mean next-token loss of `model` (ids (B, T) -> logits (B, T, V)) over every
    non-overlapping block_size window of val_ids, in eval mode without gradients."""
    n = (len(val_ids) - 1) // block_size
    x = val_ids[:n * block_size].view(n, block_size)
    y = val_ids[1:n * block_size + 1].view(n, block_size)
    total = 0.0
    model.eval()
    with torch.no_grad():
        for i in range(0, n, 256):
            logits = model(x[i:i + 256])
            total += F.cross_entropy(logits.reshape(-1, vocab_size), y[i:i + 256].reshape(-1),
                                     reduction="sum").item()
    return total / (n * block_size)
