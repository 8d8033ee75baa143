"""BPE vocabulary growth on Tiny Shakespeare: compression, token lengths and a line's tokens."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from phase3.bpe import Tokenizer, train_bpe
from shared.data import load_tiny_shakespeare

TRAIN_CHARS = 500_000  # a slice keeps training to a second or two
NUM_MERGES = 1024
CHECKPOINTS = (0, 16, 32, 64, 128, 256, 512, 1024)  # vocabularies = the first k merges
SHOWN = (0, 32, 256, 1024)  # the vocabularies drawn on the example line
LINE = "And kiss me, Kate, we will be married o'Sunday."  # from the held-out part


def _prefix_tokenizer(vocab: dict[int, bytes], merges: list[tuple[bytes, bytes]],
                      k: int) -> Tokenizer:
    """The tokenizer that knows only the first k merges: BPE stopped early is still BPE."""
    kept = {i: b for i, b in vocab.items() if i < 256 + k}
    return Tokenizer(kept, merges[:k])


def _bytes_per_token(tok: Tokenizer, text: str) -> float:
    return len(text.encode("utf-8")) / len(tok.encode(text))


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    text = load_tiny_shakespeare()
    train = text[:TRAIN_CHARS]
    held_out = text[-100_000:]  # the end of the file, never seen in training
    vocab, merges = train_bpe(train, 256 + NUM_MERGES)

    # --- compression as the vocabulary grows ---
    train_sample = train[:100_000]  # same size as held_out, so the two curves compare
    tokenizers = {k: _prefix_tokenizer(vocab, merges, k) for k in CHECKPOINTS}
    on_train = [_bytes_per_token(tokenizers[k], train_sample) for k in CHECKPOINTS]
    on_held = [_bytes_per_token(tokenizers[k], held_out) for k in CHECKPOINTS]
    lengths = np.array([len(a + b) for a, b in merges])

    fig, (ax, ax_len) = plt.subplots(1, 2, figsize=(10, 4))
    ax.plot(CHECKPOINTS[1:], on_train[1:], "o-", label="training slice")
    ax.plot(CHECKPOINTS[1:], on_held[1:], "s--", label="held-out text")
    ax.axhline(1.0, color="gray", lw=1, ls=":", label="raw bytes (0 merges)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("number of merges (vocabulary = 256 + merges)")
    ax.set_ylabel("bytes per token")
    ax.set_title("Compression as the merges double")
    ax.legend()
    ax.grid(alpha=0.3)

    ranks = np.arange(len(merges))
    ax_len.scatter(ranks, lengths, s=4, alpha=0.3, label="one merge")
    window = 64
    running = np.convolve(lengths, np.ones(window) / window, mode="valid")
    ax_len.plot(ranks[window - 1:], running, color="C3", label=f"mean of the last {window}")
    longest = int(np.argmax(lengths))
    for k, offset in ((0, (30, 22)), (10, (60, 75)), (longest, (-70, 16))):
        piece = (merges[k][0] + merges[k][1]).decode("utf-8", "replace")
        ax_len.annotate(f"merge {k}: {piece!r}", (k, lengths[k]), textcoords="offset points",
                        xytext=offset, fontsize=8, arrowprops={"arrowstyle": "->", "lw": 0.6},
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                              "alpha": 0.85})
    ax_len.set_xlabel("merge rank (order of learning)")
    ax_len.set_ylabel("length of the new token (bytes)")
    ax_len.set_title("Later merges build longer tokens")
    ax_len.set_ylim(1, lengths.max() + 4)
    ax_len.legend(loc="upper right", fontsize=8)
    ax_len.grid(alpha=0.3)
    fig.suptitle(f"Byte-level BPE trained on {TRAIN_CHARS:,} characters of Tiny Shakespeare")
    fig.tight_layout()
    fig.savefig(out / "bpe_compression.png", dpi=100)
    plt.close(fig)

    # --- one held-out line, cut by growing vocabularies ---
    fig, ax = plt.subplots(figsize=(9.5, 3.2))
    ax.axis("off")
    renderer = fig.canvas.get_renderer()
    for row, k in enumerate(SHOWN):
        tok = tokenizers[k]
        ids = tok.encode(LINE)
        y = 1 - (row + 0.5) / len(SHOWN)
        ax.text(0, y, f"{k:>4} merges\n{len(ids):>3} tokens", ha="left", va="center",
                family="monospace", fontsize=8, transform=ax.transAxes)
        x = 0.12
        for j, i in enumerate(ids):
            piece = tok.decode([i]).replace(" ", "\u2423")  # show spaces as a visible ␣
            label = ax.text(x, y, piece, ha="left", va="center", family="monospace",
                            fontsize=11, transform=ax.transAxes,
                            bbox={"boxstyle": "square,pad=0.2", "lw": 0.5,
                                  "fc": ("#c6dbef", "#fdd0a2")[j % 2], "ec": "gray"})
            # place the next box just after this one (its drawn width, in axes units)
            box = label.get_window_extent(renderer).transformed(ax.transAxes.inverted())
            x = box.x1 + 0.008
    ax.set_title("A held-out line as tokens (\u2423 = space; each box is one token)")
    fig.tight_layout()
    fig.savefig(out / "bpe_tokens.png", dpi=100)
    plt.close(fig)

    return {
        "bpe_compression.png": (
            f"Left: with {NUM_MERGES} merges a token carries {on_held[-1]:.1f} bytes of unseen "
            f"text instead of 1; the first merges (common English pieces) help both texts "
            "alike, later ones more and more the training plays: names and words that the "
            "held-out play rarely uses. Right: early merges glue a letter to a space; later "
            "ones assemble whole words."),
        "bpe_tokens.png": (
            "The same line with 0, 32, 256 and 1024 merges: frequent words become single "
            "tokens with their leading space, while rare ones (o'Sunday) stay in pieces."),
    }
