"""Embeddings, word2vec (skip-gram with negative sampling) and GloVe.

    one_hot, EmbeddingFunction, Embedding   a lookup table with a hand-written backward
    sgns_loss_and_grads                     word2vec's negative-sampling loss and gradients
    negative_sampling_probs,                the unigram ** 0.75 noise distribution
      sample_negatives
    skipgram_pairs, train_skipgram          a small word2vec trainer (plain SGD)
    cooccurrence_matrix, glove_weight,      GloVe's counts, weighting and loss
      glove_loss_and_grads

torch is allowed, but gradients here are written by hand (no backward, no torch.autograd) and
the lookup may not call torch.nn.functional.embedding, torch.embedding or
torch.nn.functional.one_hot.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.autograd import Function


def one_hot(ids: torch.Tensor, num_classes: int) -> torch.Tensor:
    """One-hot encode integer ids.

    Args:
        ids: int64 tensor of any shape, values in [0, num_classes).
        num_classes: V.

    Returns:
        float32 tensor of shape (*ids.shape, V) with out[..., ids[...]] = 1 and zeros elsewhere.

    Do not call torch.nn.functional.one_hot.
    """
    raise NotImplementedError("phase3.embeddings.one_hot")


class EmbeddingFunction(Function):
    """Embedding lookup with a hand-written backward.

    forward(ctx, ids, weight, padding_idx) -> out
        ids: int64 tensor of any shape, values in [0, V).
        weight: (V, D) float tensor.
        padding_idx: int or None.
        Returns out of shape (*ids.shape, D) with out[...] = weight[ids[...]].

    backward(ctx, grad_out) -> (None, grad_weight, None)
        grad_weight: (V, D), row r = the sum of grad_out over every position where ids == r
        (an id that appears several times accumulates all its gradients; ids that never appear
        get zero rows), and row padding_idx is zero whatever the ids.

    Do not call torch.nn.functional.embedding or torch.embedding.
    """

    @staticmethod
    def forward(ctx: Any, ids: torch.Tensor, weight: torch.Tensor,
                padding_idx: int | None) -> torch.Tensor:
        """out = weight[ids], of shape (*ids.shape, D)."""
        raise NotImplementedError("phase3.embeddings.EmbeddingFunction.forward")

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        """(None, grad_weight, None): upstream rows scatter-added into the looked-up rows."""
        raise NotImplementedError("phase3.embeddings.EmbeddingFunction.backward")


class Embedding(nn.Module):
    """An embedding table, like torch.nn.Embedding (without max_norm or sparse gradients).

    Parameter (created by __init__):
        weight: (num_embeddings, embedding_dim) ~ N(0, 1), with row padding_idx set to zeros
            when padding_idx is given (as torch.nn.Embedding does).

    forward(ids) returns EmbeddingFunction.apply(ids, self.weight, self.padding_idx) as it is:
    shape (*ids.shape, embedding_dim).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 padding_idx: int | None = None) -> None:
        """Create weight as described; store padding_idx."""
        super().__init__()
        self.padding_idx = padding_idx
        self.weight = nn.Parameter(torch.randn(num_embeddings, embedding_dim))
        if padding_idx is not None:
            with torch.no_grad():
                self.weight[padding_idx] = 0

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """weight[ids] through EmbeddingFunction."""
        raise NotImplementedError("phase3.embeddings.Embedding.forward")


def sgns_loss_and_grads(v: torch.Tensor, u_pos: torch.Tensor,
                        u_neg: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Skip-gram negative-sampling loss for a batch, and its gradients, by hand.

    For example b with centre vector v_b, context (output) vector u_b and K negative output
    vectors n_b1 .. n_bK:

        loss_b = -log sigma(u_b . v_b) - sum_k log sigma(-n_bk . v_b)
        loss   = mean over b of loss_b

    Compute -log sigma(x) stably (as softplus(-x)): the tests use scores of size 1000.

    Args:
        v: (B, D) centre-word vectors.
        u_pos: (B, D) context-word vectors.
        u_neg: (B, K, D) negative-sample vectors.

    Returns:
        (loss, grad_v, grad_u_pos, grad_u_neg): a scalar tensor and the gradients of loss with
        respect to v (B, D), u_pos (B, D) and u_neg (B, K, D). Hand-written: do not call
        backward or torch.autograd.
    """
    raise NotImplementedError("phase3.embeddings.sgns_loss_and_grads")


def negative_sampling_probs(counts: torch.Tensor, power: float = 0.75) -> torch.Tensor:
    """word2vec's noise distribution: P(w) proportional to count(w) ** power.

    Args:
        counts: (V,) non-negative word counts (words with count 0 get probability 0).
        power: the exponent (0.75 in word2vec).

    Returns:
        (V,) float64 tensor of probabilities that sums to 1.
    """
    raise NotImplementedError("phase3.embeddings.negative_sampling_probs")


def sample_negatives(counts: torch.Tensor, shape: tuple[int, ...], power: float = 0.75,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw word ids independently (with replacement) from negative_sampling_probs(counts, power).

    Args:
        counts: (V,) word counts.
        shape: shape of the result, e.g. (B, K).
        power: as in negative_sampling_probs.
        generator: torch.Generator for all randomness (pass it to torch.multinomial or similar).

    Returns:
        int64 tensor of the given shape, values in [0, V).
    """
    raise NotImplementedError("phase3.embeddings.sample_negatives")


def skipgram_pairs(corpus: list[int], window: int) -> torch.Tensor:
    """Every (centre, context) pair with 1 <= |position difference| <= window.

    Args:
        corpus: word ids in order.
        window: the largest distance.

    Returns:
        (P, 2) int64 tensor of (centre, context) rows, ordered by centre position, then by
        context position.
    """
    raise NotImplementedError("phase3.embeddings.skipgram_pairs")


def train_skipgram(corpus: list[int], vocab_size: int, dim: int = 16, window: int = 2,
                   num_negatives: int = 5, epochs: int = 5, lr: float = 0.5,
                   batch_size: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Train word2vec skip-gram with negative sampling by SGD with your hand-written gradients.

    Setup: torch.Generator().manual_seed(seed) for everything random; input vectors W_in and
    output vectors W_out of shape (vocab_size, dim), initialised uniformly in
    [-0.5 / dim, 0.5 / dim]. Each epoch shuffles skipgram_pairs(corpus, window), cuts it into
    batches of batch_size, draws num_negatives negatives per pair from the corpus's unigram
    counts ** 0.75, and steps W -= lr * gradient from sgns_loss_and_grads (repeated ids in a
    batch accumulate their gradients). That gradient is of the batch's MEAN loss, so each pair
    moves by about lr / batch_size: the defaults suit the tests' tiny corpora; on real text use
    a much larger lr (around 10 for batches of 512).

    Returns:
        (W_in, W_out), float32 tensors of shape (vocab_size, dim); W_in are the word vectors.
    """
    raise NotImplementedError("phase3.embeddings.train_skipgram")


def cooccurrence_matrix(corpus: list[int], vocab_size: int, window: int) -> torch.Tensor:
    """GloVe's co-occurrence counts, each pair weighted by 1 / distance.

    For every position i and every j with 1 <= |i - j| <= window:
        X[corpus[i], corpus[j]] += 1 / |i - j|
    (so X is symmetric).

    Returns:
        (vocab_size, vocab_size) float64 tensor.
    """
    raise NotImplementedError("phase3.embeddings.cooccurrence_matrix")


def glove_weight(x: torch.Tensor, x_max: float = 100.0, alpha: float = 0.75) -> torch.Tensor:
    """GloVe's weighting f(x) = (x / x_max) ** alpha for x < x_max, and 1 from x_max on."""
    raise NotImplementedError("phase3.embeddings.glove_weight")


def glove_loss_and_grads(W: torch.Tensor, W_ctx: torch.Tensor, b: torch.Tensor,
                         b_ctx: torch.Tensor, X: torch.Tensor, x_max: float = 100.0,
                         alpha: float = 0.75) -> tuple[torch.Tensor, ...]:
    """GloVe's weighted least-squares loss and its gradients, by hand.

        J = sum over (i, j) with X[i, j] > 0 of
                f(X[i, j]) * (W[i] . W_ctx[j] + b[i] + b_ctx[j] - log X[i, j]) ** 2

    Pairs with X[i, j] = 0 contribute nothing (and must not produce log(0) = -inf or NaN,
    in the loss or the gradients).

    Args:
        W, W_ctx: (V, D) word and context vectors. b, b_ctx: (V,) biases.
        X: (V, V) non-negative co-occurrence counts.
        x_max, alpha: f's parameters.

    Returns:
        (J, grad_W, grad_W_ctx, grad_b, grad_b_ctx), J a scalar tensor, each gradient of its
        argument's shape. Hand-written: do not call backward or torch.autograd.
    """
    raise NotImplementedError("phase3.embeddings.glove_loss_and_grads")
