"""word2vec and GloVe vectors learned from Tiny Shakespeare, and how both reweight frequency."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from phase3.embeddings import (
    cooccurrence_matrix,
    glove_loss_and_grads,
    glove_weight,
    negative_sampling_probs,
    train_skipgram,
)
from shared.data import load_tiny_shakespeare

VOCAB = 1000  # the most frequent words; the others are dropped from the corpus
DIM = 32
WINDOW = 2
SUBSAMPLE = 1e-3  # word2vec's threshold t: a word of frequency f is kept with p = sqrt(t / f)
GROUPS = {  # words a reader would group together; nobody tells the models
    "rank": ["king", "queen", "prince", "duke", "lord"],
    "family": ["father", "mother", "son", "daughter", "brother"],
    "numbers": ["two", "three", "four", "ten", "hundred"],
    "body": ["hand", "eye", "head", "heart", "face"],
    "time": ["day", "night", "hour", "morning", "year"],
}


def _cosines(vectors: torch.Tensor, ids: list[int]) -> np.ndarray:
    """Cosine similarities between the chosen rows, after removing the mean vector: every
    word shares a common direction (frequency), which would make all cosines large."""
    centred = vectors - vectors.mean(0, keepdim=True)
    chosen = centred[ids]
    chosen = chosen / chosen.norm(dim=1, keepdim=True)
    return (chosen @ chosen.T).double().numpy()


def _fit_glove(X: torch.Tensor, steps: int = 60, lr: float = 0.15) -> torch.Tensor:
    """Full-batch AdaGrad (GloVe's optimiser) on the learner's loss and gradients."""
    gen = torch.Generator().manual_seed(0)
    X = X.float()  # float32 halves the cost of the (V, V) products
    params = [0.1 * torch.randn(VOCAB, DIM, generator=gen), 0.1 * torch.randn(VOCAB, DIM,
              generator=gen), torch.zeros(VOCAB), torch.zeros(VOCAB)]
    sq = [torch.zeros_like(p) for p in params]
    for _ in range(steps):
        _, *grads = glove_loss_and_grads(*params, X)
        for k, g in enumerate(grads):
            sq[k] += g * g
            params[k] = params[k] - lr * g / (sq[k].sqrt() + 1e-8)
    return params[0] + params[1]  # the paper's word vector: W + W_ctx


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    torch.set_num_threads(1)  # many small steps: threads only add overhead
    words = re.findall(r"[a-z']+", load_tiny_shakespeare().lower())
    counts = Counter(words)
    vocab = [w for w, _ in counts.most_common(VOCAB)]
    index = {w: i for i, w in enumerate(vocab)}
    # Subsampling (Mikolov et al., 2013) drops most "the" and "and": the corpus gets shorter
    # (faster) and the windows hold more of the words that carry meaning.
    rng = np.random.default_rng(0)
    keep = {w: min(1.0, (SUBSAMPLE * len(words) / counts[w]) ** 0.5) for w in vocab}
    corpus = [index[w] for w, r in zip(words, rng.random(len(words)), strict=True)
              if w in index and r < keep[w]]

    # word2vec: the batch gradient is a mean, so lr is per batch; 10 / 512 per pair is close
    # to word2vec's own 0.025.
    w2v, _ = train_skipgram(corpus, VOCAB, dim=DIM, window=WINDOW, num_negatives=5, epochs=2,
                            lr=10.0, batch_size=512, seed=0)
    X = cooccurrence_matrix(corpus, VOCAB, WINDOW)
    glove = _fit_glove(X)

    # --- picture 1: cosine similarities, grouped ---
    names = [w for group in GROUPS.values() for w in group]
    ids = [index[w] for w in names]
    size = len(next(iter(GROUPS.values())))
    group_of = np.repeat(np.arange(len(GROUPS)), size)
    same = (group_of[:, None] == group_of[None, :]) & ~np.eye(len(names), dtype=bool)
    fig, axes = plt.subplots(1, 2, figsize=(10, 5.4), layout="constrained")
    for ax, (title, vectors) in zip(axes, (("word2vec (skip-gram, negative sampling)", w2v),
                                           ("GloVe (AdaGrad on your gradients)", glove)),
                                    strict=True):
        cos = _cosines(vectors, ids)
        gap = cos[same].mean() - cos[group_of[:, None] != group_of[None, :]].mean()
        np.fill_diagonal(cos, np.nan)  # the trivial 1s would wash out the scale
        im = ax.imshow(cos, cmap="RdBu_r", vmin=-0.8, vmax=0.8)
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        for k in range(1, len(GROUPS)):  # lines between the groups
            ax.axhline(size * k - 0.5, color="k", lw=0.6)
            ax.axvline(size * k - 0.5, color="k", lw=0.6)
        ax.set_title(f"{title}\nwithin-group minus across-group cosine: {gap:.2f}", fontsize=9)
    fig.colorbar(im, ax=axes, shrink=0.7, label="cosine similarity (mean vector removed)")
    fig.suptitle(f"{DIM}-d word vectors learned from Tiny Shakespeare, 25 words in 5 groups")
    fig.savefig(out / "embedding_similarities.png", dpi=100)
    plt.close(fig)

    # --- picture 2: the two reweightings of frequency ---
    fig, (ax_neg, ax_f) = plt.subplots(1, 2, figsize=(10, 4))
    freq = torch.tensor([counts[w] for w in vocab])
    ranks = np.arange(1, VOCAB + 1)
    for power, style in ((1.0, "-"), (0.75, "-"), (0.0, "--")):
        probs = negative_sampling_probs(freq, power=power).numpy()
        ax_neg.loglog(ranks, probs, style, label=f"count$^{{{power:g}}}$"
                      + (" (word2vec)" if power == 0.75 else ""))
    word2vec_probs = negative_sampling_probs(freq)
    for w in ("the", "king", "hundred"):
        point = (index[w] + 1, float(word2vec_probs[index[w]]))
        ax_neg.plot(*point, "o", color="C1", markersize=4)
        ax_neg.annotate(w, point, textcoords="offset points", xytext=(-8, -14), fontsize=8)
    ax_neg.set_xlabel("word rank (1 = most frequent)")
    ax_neg.set_ylabel("probability of being drawn as a negative")
    ax_neg.set_title("Negative sampling flattens the unigram")
    ax_neg.legend()
    ax_neg.grid(alpha=0.3, which="both")

    # GloVe's weight, on a log axis, over the counts that really occur here
    observed = X[X > 0].numpy()
    bins = np.logspace(np.log10(observed.min()), np.log10(observed.max()), 40)
    ax_hist = ax_f.twinx()
    ax_hist.hist(observed, bins=bins, color="gray", alpha=0.3)
    ax_hist.set_ylabel("number of word pairs with this count", color="gray")
    ax_f.set_zorder(ax_hist.get_zorder() + 1)  # curves in front of the histogram
    ax_f.patch.set_visible(False)
    x = torch.logspace(np.log10(observed.min()), np.log10(observed.max()), 400,
                       dtype=torch.float64)
    for alpha in (1.0, 0.75, 0.5):
        ax_f.plot(x, glove_weight(x, x_max=100.0, alpha=alpha),
                  label=f"alpha = {alpha:g}" + (" (GloVe)" if alpha == 0.75 else ""))
    ax_f.set_xscale("log")
    ax_f.set_xlabel("co-occurrence count $X_{ij}$ (weighted by 1/distance)")
    ax_f.set_ylabel("weight $f(X_{ij})$ in the loss (x_max = 100)")
    ax_f.set_title("GloVe's weight and the counts it sees")
    ax_f.legend(loc="upper left")
    ax_f.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "frequency_weighting.png", dpi=100)
    plt.close(fig)

    return {
        "embedding_similarities.png": (
            "Cosine similarity of 25 words in five groups (the diagonal is left blank). Both "
            "methods learn from co-occurrence alone, yet words of the same group are more "
            "alike than words of different groups, and word2vec also sets people (titles, "
            "relatives) apart from numbers, body parts and times."),
        "frequency_weighting.png": (
            "Left: raising counts to 0.75 draws 'the' less and rare words more often as "
            "negatives than their frequency would. Right: most word pairs occur only a few "
            "times; GloVe's f gives those noisy counts a small weight and caps frequent pairs "
            "at 1."),
    }
