"""Hidden tests for phase3.embeddings.

Oracles: torch.nn.functional.embedding and torch.nn.Embedding (with padding_idx) and autograd,
one_hot(ids) @ E equals the lookup, autograd on the SGNS and GloVe formulas, counts worked by
hand, a seeded chi-square test of the negative sampler (false-failure rate stated below), and
an invariant of training (words that co-occur end up closer than words that never do).
"""

import math
import random

import pytest
import torch
import torch.nn.functional as F

from phase3.embeddings import (
    Embedding,
    EmbeddingFunction,
    cooccurrence_matrix,
    glove_loss_and_grads,
    glove_weight,
    negative_sampling_probs,
    one_hot,
    sample_negatives,
    sgns_loss_and_grads,
    skipgram_pairs,
    train_skipgram,
)
from shared import assert_close, assert_equal, forbidden

F64 = torch.float64
LOOKUPS = ("torch.nn.functional.embedding", "torch.embedding", "torch.nn.functional.one_hot",
           "aten.embedding", "aten.embedding_dense_backward", "aten.one_hot")


def _randn(*shape, seed, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=F64).requires_grad_(requires_grad)


def test_one_hot_times_table_equals_lookup():
    ids = torch.tensor([[3, 0], [3, 2], [1, 1]])
    with forbidden(*LOOKUPS, by="phase3.embeddings.one_hot"):
        oh = one_hot(ids, 5)
    assert_equal(oh, F.one_hot(ids, 5).float(), what="one_hot(ids of shape (3, 2), 5)",
                 oracle="torch.nn.functional.one_hot")
    E = _randn(5, 4, seed=0)
    with forbidden(*LOOKUPS, by="phase3.embeddings.EmbeddingFunction"):
        out = EmbeddingFunction.apply(ids, E, None)
    assert_close(out, oh.double() @ E, rtol=1e-12, atol=1e-12, what="lookup of ids (3, 2)",
                 oracle="one_hot(ids) @ E")


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_module_matches_torch_including_padding(padding_idx):
    torch.manual_seed(0)
    mine = Embedding(7, 4, padding_idx=padding_idx)
    assert tuple(mine.weight.shape) == (7, 4), f"weight shape {tuple(mine.weight.shape)}"
    if padding_idx is not None:
        assert torch.all(mine.weight[padding_idx] == 0), "the padding row must start at zero"
    ref = torch.nn.Embedding(7, 4, padding_idx=padding_idx).double()
    mine = mine.double()
    with torch.no_grad():
        mine.weight.copy_(_randn(7, 4, seed=1))
        ref.weight.copy_(mine.weight)
    ids = torch.tensor([[2, 5, 5, 0], [2, 2, 6, 5]])
    up = _randn(2, 4, 4, seed=2)
    with forbidden(*LOOKUPS, by="phase3.embeddings.Embedding"):
        out = mine(ids)
        (out * up).sum().backward()
    (ref(ids) * up).sum().backward()
    assert_close(out, ref(ids), what="Embedding forward", oracle="torch.nn.Embedding")
    assert_close(mine.weight.grad, ref.weight.grad, rtol=1e-12, atol=1e-12,
                 what=f"Embedding weight.grad with padding_idx={padding_idx}",
                 oracle="autograd through torch.nn.Embedding",
                 hint="repeated ids accumulate; the padding row gets no gradient")


def test_embedding_backward_is_hand_written():
    out = EmbeddingFunction.apply(torch.tensor([0, 1]), _randn(3, 2, seed=3, requires_grad=True),
                                  None)
    cls = getattr(out.grad_fn, "_forward_cls", None)
    assert cls is EmbeddingFunction, (
        f"the output's grad_fn is {type(out.grad_fn).__name__}: return EmbeddingFunction's "
        "own result, computed without autograd")


def test_sgns_loss_is_stable_for_large_scores():
    """The SGNS loss stays finite and accurate for large scores."""
    v = torch.full((2, 4), 10.0, dtype=F64)
    u = torch.full((2, 4), 25.0, dtype=F64)       # u.v = 1000
    n = -torch.full((2, 1, 4), 25.0, dtype=F64)   # n.v = -1000
    loss, gv, gu, gn = sgns_loss_and_grads(v, -u, -n)   # both scores at the wrong end
    assert_close(loss, 2000.0, rtol=1e-9, what="SGNS loss with scores -1000 (positive pair) and "
                 "+1000 (negative)", oracle="softplus(1000) + softplus(1000) = 2000",
                 hint="sigmoid(-1000) is 0 in float64, so log(sigmoid(.)) gives inf; use "
                      "softplus / logsigmoid")
    for g in (gv, gu, gn):
        assert torch.isfinite(g).all(), "SGNS gradients must be finite for scores of size 1000"


@pytest.mark.parametrize(("B", "K", "D"), [(1, 1, 3), (6, 4, 5)])
def test_sgns_gradients_match_autograd(B, K, D):
    """SGNS gradients match autograd."""
    v, u, n = (_randn(*s, seed=10 + i, requires_grad=True)
               for i, s in enumerate(((B, D), (B, D), (B, K, D))))
    loss, gv, gu, gn = sgns_loss_and_grads(v.detach(), u.detach(), n.detach())
    ref = (-F.logsigmoid((u * v).sum(-1)) - F.logsigmoid(-(n * v[:, None]).sum(-1)).sum(-1))
    ref.mean().backward()
    assert_close(loss, ref.mean(), what=f"SGNS loss (B={B}, K={K}, D={D})",
                 oracle="the closed form -log sigma(u.v) - sum_k log sigma(-n_k.v)")
    for name, got, exp in (("v", gv, v.grad), ("u_pos", gu, u.grad), ("u_neg", gn, n.grad)):
        assert_close(got, exp, what=f"SGNS gradient w.r.t. {name} (B={B}, K={K})",
                     oracle="autograd", hint="average over the batch: every gradient has 1/B")


def test_negative_sampling_probs_use_power():
    """Negative sampling probabilities raise the counts to the given power."""
    counts = torch.tensor([10, 0, 1, 100])
    expected = [c ** 0.75 for c in (10, 0, 1, 100)]
    expected = [e / sum(expected) for e in expected]
    assert_close(negative_sampling_probs(counts), expected, rtol=1e-12, atol=1e-15,
                 what="negative_sampling_probs([10, 0, 1, 100])", oracle="count^0.75 / sum",
                 hint="raise the counts to the power 0.75 before normalising")
    uni = negative_sampling_probs(counts, power=1.0)
    assert_close(uni, [10 / 111, 0, 1 / 111, 100 / 111], rtol=1e-12, atol=1e-15,
                 what="negative_sampling_probs(counts, power=1)", oracle="the unigram")


def test_sample_negatives_follow_unigram_to_the_three_quarters():
    """Sampled negatives follow the unigram distribution raised to three quarters."""
    counts = torch.tensor([1, 5, 20, 100, 0, 50])
    gen = torch.Generator().manual_seed(0)
    s = sample_negatives(counts, (200, 100), generator=gen)
    assert tuple(s.shape) == (200, 100) and s.dtype == torch.long, (
        f"sample_negatives(..., (200, 100)) returned {tuple(s.shape)}, {s.dtype}")
    assert int((s == 4).sum()) == 0, "a word with count 0 was sampled"
    n = s.numel()
    observed = torch.bincount(s.reshape(-1), minlength=6).double()
    w = counts.double() ** 0.75
    p = w / w.sum()
    keep = p > 0
    chi2 = float((((observed - n * p) ** 2) / (n * p))[keep].sum())
    # 4 degrees of freedom: P(chi2 > 40) = 4.3e-8, the false-failure rate of this test.
    assert chi2 < 40.0, (
        f"chi-square of 20000 negatives against count^0.75 is {chi2:.1f} (limit 40, "
        f"false-failure rate 4e-8). Observed frequencies {(observed / n).tolist()}, expected "
        f"{p.tolist()}. Hint: sample from count^0.75, not from the raw counts or uniformly.")
    s2 = sample_negatives(counts, (20000,), generator=torch.Generator().manual_seed(0))
    again = sample_negatives(counts, (20000,), generator=torch.Generator().manual_seed(0))
    assert torch.equal(s2, again), "same generator seed must give the same samples"
    uni = sample_negatives(counts, (20000,), power=1.0, generator=torch.Generator().manual_seed(1))
    pu = counts.double() / counts.sum()
    ob = torch.bincount(uni, minlength=6).double()
    chi2u = float((((ob - 20000 * pu) ** 2) / (20000 * pu))[pu > 0].sum())
    assert chi2u < 40.0, f"power=1.0 should sample the unigram; chi-square {chi2u:.1f}"


def test_skipgram_pairs():
    """Skip-gram pairs list each centre word with every word inside its window."""
    got = skipgram_pairs([7, 8, 9], 1)
    assert_equal(got, [[7, 8], [8, 7], [8, 9], [9, 8]], what="skipgram_pairs([7, 8, 9], 1)",
                 oracle="pairs worked by hand")
    got = skipgram_pairs([1, 2, 3, 4], 2)
    assert_equal(got, [[1, 2], [1, 3], [2, 1], [2, 3], [2, 4], [3, 1], [3, 2], [3, 4],
                       [4, 2], [4, 3]], what="skipgram_pairs([1, 2, 3, 4], 2)",
                 oracle="pairs worked by hand")


@pytest.mark.parametrize(("batch_size", "epochs", "lr", "seed"),
                         [(64, 3, 0.5, 0), (1024, 10, 1.0, 1)])
def test_trained_vectors_put_cooccurring_words_closer(batch_size, epochs, lr, seed):
    # Large batches repeat every word many times: only accumulated (index_add) updates learn.
    r = random.Random(0)
    corpus = []
    for _ in range(200):                     # sentences of 8 words from ONE of two groups
        g = r.randrange(2)
        corpus += [g * 5 + r.randrange(5) for _ in range(8)]
    w, w_out = train_skipgram(corpus, 10, dim=8, window=2, num_negatives=3, epochs=epochs,
                              lr=lr, batch_size=batch_size, seed=seed)
    assert tuple(w.shape) == (10, 8) and tuple(w_out.shape) == (10, 8)
    wn = w / w.norm(dim=1, keepdim=True)
    cos = wn @ wn.T
    grp = torch.arange(10) // 5
    same = (grp[:, None] == grp[None, :]) & ~torch.eye(10, dtype=torch.bool)
    cross = grp[:, None] != grp[None, :]
    worst_same, best_cross = float(cos[same].min()), float(cos[cross].max())
    assert worst_same > best_cross, (
        f"after training (batch_size={batch_size}, epochs={epochs}, lr={lr}) on a corpus of "
        f"two word groups that never share a sentence, the "
        f"least similar same-group pair has cosine {worst_same:.3f} but the most similar "
        f"cross-group pair {best_cross:.3f}. Hint: check the signs of the updates "
        "(W -= lr * grad), that repeated ids accumulate, and the negative sampler.")


def test_cooccurrence_window_and_weights():
    """Co-occurrence counts use the window and the distance weights."""
    corpus = [0, 1, 0, 2, 2, 1]
    for window in (1, 3):
        X = torch.zeros(3, 3, dtype=F64)
        for i in range(len(corpus)):
            for j in range(len(corpus)):
                if 1 <= abs(i - j) <= window:
                    X[corpus[i], corpus[j]] += 1 / abs(i - j)
        assert_close(cooccurrence_matrix(corpus, 3, window), X, rtol=1e-12, atol=1e-12,
                     what=f"cooccurrence_matrix({corpus}, 3, window={window})",
                     oracle="a double loop over positions with weight 1/|i - j|",
                     hint="both directions count, a word next to itself counts too, and the "
                          "window is inclusive")


def test_glove_weight_is_capped_at_one():
    """The GloVe weight is capped at one."""
    x = torch.tensor([0.5, 10.0, 100.0, 250.0], dtype=F64)
    expected = [(0.5 / 100) ** 0.75, (10 / 100) ** 0.75, 1.0, 1.0]
    assert_close(glove_weight(x), expected, rtol=1e-12, atol=0, what="glove_weight(x)",
                 oracle="f(x) = min(1, (x / x_max)^alpha)", hint="cap at 1 for x >= x_max")
    assert_close(glove_weight(x, x_max=5.0, alpha=0.5), [(0.1) ** 0.5, 1.0, 1.0, 1.0],
                 rtol=1e-12, atol=0, what="glove_weight(x, x_max=5, alpha=0.5)",
                 oracle="f(x) = min(1, (x / x_max)^alpha)")


def test_glove_loss_and_gradients_match_autograd_with_zero_counts():
    """The GloVe loss and gradients match autograd, zero counts included."""
    V, D = 5, 3
    X = torch.tensor([[0, 2, 0, 150, 1], [2, 0, 3, 0, 0], [0, 3, 0, 0.5, 0],
                      [150, 0, 0.5, 0, 7], [1, 0, 0, 7, 0]], dtype=F64)
    W, Wc = _randn(V, D, seed=20, requires_grad=True), _randn(V, D, seed=21, requires_grad=True)
    b, bc = _randn(V, seed=22, requires_grad=True), _randn(V, seed=23, requires_grad=True)
    J, gW, gWc, gb, gbc = glove_loss_and_grads(W.detach(), Wc.detach(), b.detach(), bc.detach(),
                                               X, x_max=10.0, alpha=0.75)
    nz = X > 0
    f = torch.clamp(X / 10.0, max=1.0) ** 0.75
    pred = W @ Wc.T + b[:, None] + bc[None, :]
    ref = (f[nz] * (pred[nz] - torch.log(X[nz])) ** 2).sum()
    ref.backward()
    assert torch.isfinite(J), f"GloVe loss is {float(J)}: zero counts must be skipped, not logged"
    assert_close(J, ref, what="GloVe loss on a 5x5 X with zero entries (x_max 10)",
                 oracle="sum over X_ij > 0 of f(X_ij)(w_i.w~_j + b_i + b~_j - log X_ij)^2",
                 hint="skip zero counts; cap f at 1 (X = 150 > x_max)")
    for name, got, exp in (("W", gW, W.grad), ("W_ctx", gWc, Wc.grad), ("b", gb, b.grad),
                           ("b_ctx", gbc, bc.grad)):
        assert_close(got, exp, what=f"GloVe gradient w.r.t. {name}", oracle="autograd",
                     hint="2 f (residual), times the other vector; zero-count pairs add nothing")


def test_glove_fit_reaches_log_counts():
    """Fitting GloVe brings the model's scores close to the log counts."""
    # A rank-limited fit by gradient descent on your gradients: R^2 of the fit of log X > 0.9.
    r = random.Random(1)
    corpus = [r.randrange(6) if r.random() < 0.5 else (i % 6) for i in range(600)]
    X = cooccurrence_matrix(corpus, 6, 3)
    g = torch.Generator().manual_seed(0)
    W = 0.1 * torch.randn(6, 4, generator=g, dtype=F64)
    Wc = 0.1 * torch.randn(6, 4, generator=g, dtype=F64)
    b, bc = torch.zeros(6, dtype=F64), torch.zeros(6, dtype=F64)
    for _ in range(500):
        _, gW, gWc, gb, gbc = glove_loss_and_grads(W, Wc, b, bc, X, x_max=10.0)
        W, Wc, b, bc = W - 0.01 * gW, Wc - 0.01 * gWc, b - 0.01 * gb, bc - 0.01 * gbc
    nz = X > 0
    pred = (W @ Wc.T + b[:, None] + bc[None, :])[nz]
    y = torch.log(X[nz])
    r2 = 1 - float(((pred - y) ** 2).sum() / ((y - y.mean()) ** 2).sum())
    assert r2 > 0.9 and math.isfinite(r2), (
        f"gradient descent with your GloVe gradients fits log X with R^2 = {r2:.3f} (need > 0.9)")
