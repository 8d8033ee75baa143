"""Vocabulary size against sequence length and unknown tokens, and a Unigram model fitted by EM."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt

from phase3.tokenizers import (
    CharTokenizer,
    WordTokenizer,
    prune_pieces,
    unigram_em_step,
    viterbi_segment,
)
from shared.data import load_tiny_shakespeare

# The Unigram model is trained on the most frequent words only: prune_pieces recomputes the
# corpus likelihood once per piece, and this keeps the whole experiment to a few seconds.
NUM_WORDS = 150
NUM_SEED_PIECES = 250
PRUNE_TO = (120, 60, 30)  # multi-character pieces kept after each round
EM_STEPS = 4
EXAMPLES = ("kingdoms", "thousand", "gentlemen", "unhappily")


def _seed_pieces(word_counts: dict[str, int], char_counts: Counter[str]) -> dict[str, float]:
    """Every character, plus the most frequent substrings of 2 to 6 letters, by their counts."""
    subs: Counter[str] = Counter()
    for word, count in word_counts.items():
        for i in range(len(word)):
            for j in range(i + 2, min(len(word), i + 6) + 1):
                subs[word[i:j]] += count
    counts = dict(char_counts) | dict(subs.most_common(NUM_SEED_PIECES))
    total = sum(counts.values())
    return {piece: math.log(c / total) for piece, c in counts.items()}


def _unigram_stats(log_probs: dict[str, float], held_out: Counter[str]) -> tuple[float, float]:
    """Tokens per word token and the fraction of word tokens that cannot be segmented."""
    pieces = unknown = 0
    for word, count in held_out.items():
        try:
            pieces += count * len(viterbi_segment(word, log_probs)[0])
        except ValueError:  # a character never seen in training
            pieces += count
            unknown += count
    total = sum(held_out.values())
    return pieces / total, unknown / total


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    text = load_tiny_shakespeare()
    cut = int(0.9 * len(text))  # train on the first 90 %, measure on the last 10 %
    train, test = text[:cut], text[cut:]

    # --- character and word tokenizers: one point per vocabulary ---
    char = CharTokenizer(train)
    char_ids = char.encode(test)
    # (name, vocabulary size, tokens per 100 characters, % unknown)
    points = [("character", len(char.vocab), 100.0, 100 * char_ids.count(char.unk_id) / len(test))]
    word_points = []
    for min_freq in (1, 4, 20, 100, 400):
        word = WordTokenizer([train], min_freq=min_freq)
        ids = word.encode(test)
        word_points.append((min_freq, len(word.vocab), 100 * len(ids) / len(test),
                            100 * ids.count(word.unk_id) / len(ids)))

    # --- Unigram: EM rounds, each closed by pruning ---
    splitter = WordTokenizer([], min_freq=1)  # only its tokenize() is used
    train_counts = Counter(splitter.tokenize(train))
    held_out = Counter(splitter.tokenize(test))
    char_counts: Counter[str] = Counter()
    for w, c in train_counts.items():
        for ch in w:
            char_counts[ch] += c
    words = dict(Counter({w: c for w, c in train_counts.items() if w.isalpha()})
                 .most_common(NUM_WORDS))
    # EM drops every piece whose expected count is 0, so a character that none of the frequent
    # words contains ("z", ";") would vanish. SentencePiece keeps every character; here each
    # one also counts once as a word of its own, which keeps it alive.
    for ch in char_counts:
        words[ch] = words.get(ch, 0) + 1
    num_tokens = sum(words.values())
    log_probs = _seed_pieces(words, char_counts)

    history: list[tuple[int, float]] = []  # (vocabulary size, mean log-likelihood per word)
    unigram_points = []
    segmentations = []
    for round_, keep in enumerate((*PRUNE_TO, None)):
        for _ in range(EM_STEPS):
            vocab_size = len(log_probs)
            log_probs, ll = unigram_em_step(words, log_probs)
            history.append((vocab_size, ll / num_tokens))
        tokens_per_word, unk = _unigram_stats(log_probs, held_out)
        # word tokens cover the same text as in the word tokenizer: rescale to 100 characters
        per_100 = tokens_per_word * word_points[0][2]
        unigram_points.append((round_, len(log_probs), per_100, 100 * unk))
        segmentations.append((len(log_probs),
                              ["|".join(viterbi_segment(w, log_probs)[0]) for w in EXAMPLES]))
        if keep is not None:
            log_probs = prune_pieces(words, log_probs, keep)

    # --- picture 1: the trade-off ---
    fig, (ax_len, ax_unk) = plt.subplots(1, 2, figsize=(9, 4))
    for ax, col in ((ax_len, 2), (ax_unk, 3)):
        ax.plot([p[1] for p in word_points], [p[col] for p in word_points], "o-", color="C1",
                label="word (min_freq 400 ... 1)")
        ax.plot([p[1] for p in unigram_points], [p[col] for p in unigram_points], "s-",
                color="C2", label="Unigram (after each pruning)")
        ax.plot([points[0][1]], [points[0][col]], "D", color="C0", markersize=8,
                label="character")
        ax.set_xscale("log")
        ax.set_xlabel("vocabulary size")
        ax.grid(alpha=0.3)
    ax_len.set_ylabel("tokens per 100 characters")
    ax_len.set_title("Sequence length")
    ax_len.set_ylim(0, 110)
    ax_unk.set_ylabel("% of tokens that are <unk>")
    ax_unk.set_title("Unknown tokens")
    ax_unk.legend(fontsize=8)
    fig.suptitle("Tiny Shakespeare, last 10 % held out: the vocabulary trade-off")
    fig.tight_layout()
    fig.savefig(out / "tokenizer_tradeoff.png", dpi=100)
    plt.close(fig)

    # --- picture 2: EM and pruning ---
    fig, (ax, ax_txt) = plt.subplots(1, 2, figsize=(9, 4), width_ratios=(3, 1.4))
    for r in range(len(PRUNE_TO) + 1):
        steps = range(r * EM_STEPS, (r + 1) * EM_STEPS)
        ax.plot([s + 1 for s in steps], [history[s][1] for s in steps], "o-",
                label=f"{history[steps[0]][0]} pieces")
        if r:
            ax.axvline(r * EM_STEPS + 0.5, color="gray", ls=":", lw=1)
    ax.set_xlabel("EM step (dotted line: prune_pieces)")
    ax.set_ylabel("log-likelihood per word (nats)")
    ax.set_title(f"Unigram EM on the {NUM_WORDS} most frequent words")
    ax.legend(title="vocabulary", fontsize=8)
    ax.grid(alpha=0.3)
    ax_txt.axis("off")
    lines = []
    for size, segs in segmentations:
        lines.append(f"{size} pieces:")
        lines += [f"   {s}" for s in segs]
    ax_txt.text(0, 1, "Viterbi segmentations\n(pieces cut at |)\n\n" + "\n".join(lines), va="top",
                family="monospace", fontsize=8, transform=ax_txt.transAxes)
    fig.tight_layout()
    fig.savefig(out / "unigram_em.png", dpi=100)
    plt.close(fig)

    return {
        "tokenizer_tradeoff.png": (
            "Characters never miss but make sequences four times longer than words; words miss "
            "more the smaller their vocabulary. A Unigram vocabulary of a few dozen pieces "
            "beyond the characters already shortens sequences, and nothing is unknown."),
        "unigram_em.png": (
            "Within a round, every EM step raises the likelihood and the gains soon vanish. "
            "The first pruning halves the vocabulary almost for free; later ones cost "
            "likelihood, and the same words are cut into more, shorter pieces."),
    }
