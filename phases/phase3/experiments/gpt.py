"""How temperature, top-k and top-p reshape a next-token distribution; where GPT's FLOPs go."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase3.gpt import (
    GPT,
    GPTConfig,
    flops_per_token,
    num_parameters,
    sample_next,
    top_k_logits,
    top_p_logits,
)

V = 16  # a small vocabulary, so that every bar is visible
DRAWS = 20_000


def _toy_logits() -> torch.Tensor:
    """A (1, V) row of logits shaped like a language model's: a few likely tokens, a long tail."""
    ranks = torch.arange(1, V + 1, dtype=torch.float64)
    return (-1.2 * torch.log(ranks))[None]  # Zipf-like: p(rank r) ~ r^-1.2


def _sampled_frequencies(logits: torch.Tensor, **kwargs) -> torch.Tensor:
    """Empirical distribution of DRAWS calls' worth of sample_next, in one batched call."""
    gen = torch.Generator().manual_seed(0)
    draws = sample_next(logits.expand(DRAWS, V), generator=gen, **kwargs)
    return torch.bincount(draws, minlength=V).double() / DRAWS


def _sampling_figure(out: Path) -> str:
    logits = _toy_logits()
    tokens = torch.arange(V)
    fig, (ax_t, ax_f) = plt.subplots(1, 2, figsize=(7, 4), sharey=True)

    # Left: temperature divides the logits before the softmax. Lines are the exact
    # distributions, dots the frequencies of the learner's sample_next.
    for i, temp in enumerate([0.5, 1.0, 2.0]):
        probs = (logits / temp).softmax(-1)[0]
        ax_t.plot(tokens, probs, "-", color=f"C{i}", label=f"T = {temp}")
        ax_t.plot(tokens, _sampled_frequencies(logits, temperature=temp), "o", ms=4,
                  mfc="none", color=f"C{i}")
    ax_t.set_title("temperature")
    ax_t.set_xlabel("token (most to least likely)")
    ax_t.set_ylabel("probability")
    ax_t.legend(title="lines: exact, circles: sampled", fontsize=8, title_fontsize=8)

    # Right: truncation at T = 1. Bars show what survives; the removed mass goes to the rest.
    full = logits.softmax(-1)[0]
    kept_k = top_k_logits(logits, 3).softmax(-1)[0]
    kept_p = top_p_logits(logits, 0.8).softmax(-1)[0]
    width = 0.28
    ax_f.bar(tokens - width, full, width, color="0.7", label="no filter")
    ax_f.bar(tokens, kept_k, width, color="C3", label="top-k, k = 3")
    ax_f.bar(tokens + width, kept_p, width, color="C4", label="top-p, p = 0.8")
    ax_f.plot(tokens, _sampled_frequencies(logits, top_p=0.8), ".", color="k",
              label="top-p sampled")
    ax_f.set_title("truncation (T = 1)")
    ax_t.set_xticks(range(0, V, 3))
    ax_f.set_xticks(range(0, V, 3))
    ax_f.set_xlabel("token (most to least likely)")
    ax_f.legend(fontsize=8)
    fig.suptitle(f"Sampling from a {V}-token distribution ({DRAWS:,} draws per setting)")
    fig.tight_layout()
    fig.savefig(out / "sampling.png", dpi=100)
    plt.close(fig)
    n_p = int((kept_p > 0).sum())
    return ("Low temperature sharpens the distribution towards greedy, high temperature "
            "flattens it towards uniform. Top-k keeps a fixed number of tokens; top-p keeps the "
            f"smallest head whose mass reaches p (here {n_p} tokens, the crossing one included), "
            "and both renormalise what is left. Circles and dots are the frequencies of your "
            "sample_next.")


def _flops_figure(out: Path) -> str:
    # GPT-2's four sizes (Radford et al., 2019): (n_layer, n_head, n_embd).
    sizes = {"small": (12, 12, 768), "medium": (24, 16, 1024), "large": (36, 20, 1280),
             "XL": (48, 25, 1600)}
    contexts = [2 ** e for e in range(7, 16)]  # 128 ... 32k tokens
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (name, (L, nh, C)) in enumerate(sizes.items()):
        cfg = GPTConfig(vocab_size=50257, block_size=1024, n_layer=L, n_head=nh, n_embd=C)
        weights = 6 * (num_parameters(cfg) - cfg.block_size * C)
        # The attention share of the training FLOPs: the part that grows with the context.
        share = [100 * (flops_per_token(cfg, T) - weights) / flops_per_token(cfg, T)
                 for T in contexts]
        n = num_parameters(cfg)
        ax.plot(contexts, share, "o-", ms=3, color=f"C{i}", label=f"GPT-2 {name} ({n / 1e6:.0f}M)")
    ax.axvline(1024, color="0.6", ls=":", label="GPT-2's context (1024)")
    ax.set_xscale("log", base=2)
    ax.set_ylim(0, 100)
    ax.set_xlabel("context length T (tokens)")
    ax.set_ylabel("attention share of FLOPs per token (%)")
    ax.set_title("Training FLOPs per token = 6 N + 12 L C T: who pays for what")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "flops_share.png", dpi=100)
    plt.close(fig)
    return ("At GPT-2's own context of 1024 the weight matmuls (6 N) do about 90% of the work "
            "and attention's scores and weighted sums (12 L C T) the rest; per layer their ratio "
            "is about T / (6 C), so attention takes over at long contexts, sooner for narrow "
            "models.")


def _residual_figure(out: Path) -> str:
    # A deep, narrow GPT at initialisation: measure the residual stream after every block.
    cfg = GPTConfig(vocab_size=256, block_size=64, n_layer=48, n_head=4, n_embd=64)
    idx = torch.randint(0, cfg.vocab_size, (8, 64), generator=torch.Generator().manual_seed(1))
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, scaled in enumerate([True, False]):
        torch.manual_seed(0)
        model = GPT(cfg).eval()
        if not scaled:  # undo GPT-2's 1/sqrt(2L) on the residual projections
            with torch.no_grad():
                for name, p in model.named_parameters():
                    if name.endswith("c_proj.weight"):
                        p.mul_(math.sqrt(2 * cfg.n_layer))
        stds: list[float] = []

        def record(_module, _inputs, output, stds=stds):
            stds.append(output.std().item())

        hooks = [block.register_forward_hook(record) for block in model.transformer.h]
        with torch.no_grad():
            model(idx)
        for h in hooks:
            h.remove()
        label = "c_proj std 0.02 / sqrt(2L) (GPT-2)" if scaled else "c_proj std 0.02"
        ax.plot(range(1, cfg.n_layer + 1), stds, color=f"C{i}", label=label)
    ax.set_xlabel("block")
    ax.set_ylabel("std of the residual stream")
    ax.set_title(f"Residual stream at initialisation, {cfg.n_layer} blocks, C = {cfg.n_embd}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "residual_init.png", dpi=100)
    plt.close(fig)
    return ("Each block adds two branches to the residual stream, so its variance grows with "
            "depth; shrinking the residual projections by sqrt(2L), as init_weights does, keeps "
            "the growth small, so that the embeddings are not drowned out.")


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    return {"sampling.png": _sampling_figure(out),
            "flops_share.png": _flops_figure(out),
            "residual_init.png": _residual_figure(out)}
