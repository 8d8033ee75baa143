"""A short mini-GPT run on Tiny Shakespeare: its loss against baselines, samples by temperature."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase3.capstone_minigpt import (
    TrainConfig,
    build_vocab,
    decode,
    encode,
    estimate_loss,
    lr_at,
    split_data,
    stream_sample,
    train,
)
from shared.data import load_tiny_shakespeare

# A small, short run so the site builds in seconds: the reference TrainConfig() (n_embd 64,
# block 64, 600 steps) reaches a validation loss of about 2.04 in about a minute on 2 cores;
# this one (250 steps, n_embd 32, block 32) stops near 2.3, already below the bigram model.
CONFIG = TrainConfig(block_size=32, n_layer=2, n_head=4, n_embd=32, batch_size=32,
                     max_steps=250, lr=1e-2, min_lr=1e-3, warmup_steps=25, seed=0)
TEMPERATURES = (0.5, 1.0, 1.5)


def _baselines(train_ids: torch.Tensor, val_ids: torch.Tensor, v: int) -> dict[str, float]:
    """Validation cross-entropy of models that ignore context (unigram) or see one character."""
    counts = torch.ones(v, v, dtype=torch.float64)  # add-one smoothing
    counts.index_put_((train_ids[:-1], train_ids[1:]),
                      torch.ones(len(train_ids) - 1, dtype=torch.float64), accumulate=True)
    bigram = (counts / counts.sum(1, keepdim=True)).log()[val_ids[:-1], val_ids[1:]].mean()
    unigram = (counts.sum(0) / counts.sum()).log()[val_ids].mean()
    return {f"uniform, ln {v}": math.log(v), "unigram (character frequencies)": -unigram.item(),
            "bigram (previous character)": -bigram.item()}


def _training_plot(out: Path, losses: list[float], val: float, baselines: dict[str, float]) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(losses, color="C0", alpha=0.3, lw=1, label="training loss per step")
    smooth = torch.tensor(losses).unfold(0, 10, 1).mean(1)  # a 10-step moving average
    ax.plot(range(9, len(losses)), smooth, color="C0", lw=2, label="10-step average")
    for (name, value), style in zip(baselines.items(), (":", "-.", "--"), strict=True):
        ax.axhline(value, color="grey", ls=style, lw=1, label=f"{name}: {value:.2f}")
    ax.scatter([len(losses) - 1], [val], color="C2", zorder=3,
               label=f"validation loss at the end: {val:.2f}")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (nats per character)", color="C0")
    ax2 = ax.twinx()
    ax2.plot([lr_at(t, CONFIG) for t in range(CONFIG.max_steps)], color="C3", ls="--", lw=1,
             label="learning rate (right axis)")
    ax2.set_ylabel("learning rate", color="C3")
    lines = ax.get_lines() + ax.collections + ax2.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=7, loc="upper right")
    ax.set_title(f"Mini-GPT (n_embd {CONFIG.n_embd}) on Tiny Shakespeare: "
                 f"{CONFIG.max_steps} steps of {CONFIG.batch_size} x {CONFIG.block_size} "
                 "characters", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "capstone_training.png", dpi=100)
    plt.close(fig)


def _samples_plot(out: Path, samples: dict[float, str]) -> None:
    fig, axes = plt.subplots(len(samples), 1, figsize=(7, 3.3))
    for ax, (temperature, text) in zip(axes, samples.items(), strict=True):
        shown = "\n".join(textwrap.wrap(text.replace("\n", " / "), 80)[:3])
        ax.text(0.01, 0.95, shown, family="monospace", fontsize=7.5, va="top", ha="left",
                transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(f"T = {temperature}", fontsize=9)
    axes[0].set_title('Streamed samples after "ROMEO:" (the same seed; " / " is a line break)',
                      fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "capstone_samples.png", dpi=100)
    plt.close(fig)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    text = load_tiny_shakespeare()
    vocab = build_vocab(text)
    train_ids, val_ids = split_data(encode(text, vocab))
    model, losses = train(CONFIG, text)
    val = estimate_loss(model, {"val": val_ids}, 64, CONFIG.block_size, 20)["val"]
    _training_plot(out, losses, val, _baselines(train_ids, val_ids, len(vocab)))

    model.eval()
    prompt = encode("ROMEO:", vocab)[None]
    samples = {}
    for temperature in TEMPERATURES:
        g = torch.Generator().manual_seed(0)
        tokens = stream_sample(model, prompt, 200, temperature=temperature, generator=g)
        samples[temperature] = decode(torch.cat(list(tokens)), vocab)
    _samples_plot(out, samples)
    return {
        "capstone_training.png":
            "The first loss sits on ln V: the GPT-2 initialisation makes the first guess uniform. "
            "Within a few dozen steps the model has learnt character frequencies (the unigram "
            "line); later it crosses the bigram line, so it uses more than the previous "
            "character. The validation loss lands next to the training loss: no overfitting at "
            "this size. The full capstone run (n_embd 64, 600 steps) goes on to about 2.04.",
        "capstone_samples.png":
            "Dividing the logits by T < 1 sharpens the distribution: short, common words (the, "
            "an, I) and few surprises. T > 1 flattens it: rare capitals and punctuation creep in "
            "and words fall apart. The same seed drives all three, so the texts share their "
            "first random draws and drift apart.",
    }
