"""The command line's knobs, measured: how temperature and top-p trade real words for variety."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import matplotlib.pyplot as plt

from phase3.capstone_minigpt import TrainConfig, build_vocab, save_checkpoint, train
from phase3.generate import main
from shared.data import load_tiny_shakespeare

# A quick model (a few seconds on one core) is enough to see the trade-off; the capstone's
# reference run makes the same curves with more real words at every setting.
CONFIG = TrainConfig(block_size=64, n_layer=2, n_head=4, n_embd=32, batch_size=32,
                     max_steps=200, lr=1e-2, min_lr=1e-3, warmup_steps=20, seed=0)
TEMPERATURES = (0.1, 0.3, 0.5, 0.7, 1.0, 1.3, 1.6, 2.0)
TOP_PS = (0.2, 0.4, 0.6, 0.8, 0.9, 1.0)
SEEDS = (0, 1)
N_CHARS = 120


def _cli(checkpoint: Path, *options: str) -> str:
    """Run `python -m phase3.generate` in this process and return what it printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["--checkpoint", str(checkpoint), "--max-tokens", str(N_CHARS), *options])
    if code not in (0, None):
        raise RuntimeError(f"phase3.generate.main returned {code} for {options}")
    return buffer.getvalue()


def _scores(texts: list[str], words: set[str]) -> tuple[float, float]:
    """(fraction of generated words that are words of the corpus, distinct 3-grams / 3-grams)."""
    found = [w for t in texts for w in re.findall(r"[A-Za-z']+", t)]
    real = sum(w.lower() in words for w in found) / max(1, len(found))
    grams = [t[i:i + 3] for t in texts for i in range(len(t) - 2)]
    return real, len(set(grams)) / max(1, len(grams))


def _plot(ax: plt.Axes, xs: tuple[float, ...], scores: list[tuple[float, float]],
          xlabel: str, title: str) -> None:
    ax.plot(xs, [s[0] for s in scores], "o-", color="C0", label="real words (quality)")
    ax.plot(xs, [s[1] for s in scores], "s--", color="C1", label="distinct 3-grams (variety)")
    ax.set_xlabel(xlabel)
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    text = load_tiny_shakespeare()
    words = {w.lower() for w in re.findall(r"[A-Za-z']+", text)}
    model, _ = train(CONFIG, text)
    checkpoint = out / "generate_experiment.pt"  # removed at the end
    save_checkpoint(checkpoint, model, CONFIG, build_vocab(text))
    try:
        by_temperature = [_scores([_cli(checkpoint, "--temperature", str(t), "--seed", str(s))
                                   for s in SEEDS], words) for t in TEMPERATURES]
        by_top_p = [_scores([_cli(checkpoint, "--top-p", str(p), "--seed", str(s))
                             for s in SEEDS], words) for p in TOP_PS]
        example = _cli(checkpoint, "--prompt", "ROMEO:", "--temperature", "0.8", "--seed", "0",
                       "--stop", "\n\n")
    finally:
        checkpoint.unlink(missing_ok=True)

    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 4), sharey=True)
    _plot(left, TEMPERATURES, by_temperature, "--temperature", "Temperature (no top-p)")
    _plot(right, TOP_PS, by_top_p, "--top-p", "Top-p at temperature 1.0")
    left.set_ylabel("fraction")
    left.legend(fontsize=8, loc="center right")
    fig.suptitle(f"{len(SEEDS)} x {N_CHARS} characters per setting from a small checkpoint",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "generate_knobs.png", dpi=100)
    plt.close(fig)
    shown = example.strip().replace("\n", " / ")
    return {
        "generate_knobs.png":
            "Low temperature or a small top-p keeps only the likeliest characters: most "
            "generated words are real, but the text repeats itself (few distinct 3-grams). "
            "Raising either knob buys variety at the price of invented words; temperature keeps "
            "going past 1 into noise, while top-p = 1 is plain sampling. Example, --prompt "
            f"ROMEO: --temperature 0.8 --stop <blank line>: \"{shown[:120]}\"",
    }
