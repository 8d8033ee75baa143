"""Attention weights under no mask, a causal mask and padding; and why scores are scaled."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from phase3.attention import causal_mask, padding_mask, scaled_dot_product_attention

WORDS = ["the", "cat", "sat", "on", "the", "mat", "<pad>", "<pad>"]


def _weights(q: torch.Tensor, k: torch.Tensor, **mask) -> torch.Tensor:
    """The attention weights themselves: with the identity as the values, out = weights."""
    eye = torch.eye(k.shape[-2], dtype=k.dtype).expand(*k.shape[:-2], -1, -1)
    return scaled_dot_product_attention(q, k, eye, **mask)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    gen = torch.Generator().manual_seed(0)

    # --- picture 1: one toy sentence, three masks ---
    # Each word gets a random vector; queries and keys are (noisy copies of) the word's vector,
    # so a query matches its own word best, including the other "the".
    d, T = 16, len(WORDS)
    table = {w: torch.randn(d, generator=gen, dtype=torch.float64) for w in sorted(set(WORDS))}
    x = torch.stack([table[w] for w in WORDS])
    q = x + 0.3 * torch.randn(T, d, generator=gen, dtype=torch.float64)
    k = x + 0.3 * torch.randn(T, d, generator=gen, dtype=torch.float64)
    real = padding_mask(torch.tensor([6]), T)[0]  # the last two tokens are padding
    panels = [
        ("no mask", _weights(q, k)),
        ("is_causal=True", _weights(q, k, is_causal=True)),
        ("causal AND padding", _weights(q, k, attn_mask=causal_mask(T, T) & real[None, :])),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(11, 4), layout="constrained")
    for ax, (title, w) in zip(axes, panels, strict=True):
        im = ax.imshow(w.numpy(), cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(T), WORDS, rotation=60, fontsize=8)
        ax.set_yticks(range(T), WORDS, fontsize=8)
        ax.set_xlabel("key")
        ax.set_title(title)
    axes[0].set_ylabel("query (each row sums to 1)")
    fig.colorbar(im, ax=axes, shrink=0.8, label="attention weight")
    fig.suptitle("Attention weights of a toy sentence: masks act before the softmax")
    fig.savefig(out / "attention_heatmaps.png", dpi=100)
    plt.close(fig)

    # --- picture 2: why 1 / sqrt(d) ---
    T = 32
    dims = [4, 8, 16, 32, 64, 128, 256, 512]
    results: dict[str, tuple[list[float], list[float]]] = {"scale = 1": ([], []),
                                                          "scale = 1/sqrt(d) (default)": ([], [])}
    for d in dims:
        q = torch.randn(64, T, d, generator=gen, dtype=torch.float64)
        k = torch.randn(64, T, d, generator=gen, dtype=torch.float64)
        # values of a fixed width, so that only the scores change with d
        v = torch.randn(64, T, 16, generator=gen, dtype=torch.float64)
        upstream = torch.randn(64, T, 16, generator=gen, dtype=torch.float64)
        for name, scale in (("scale = 1", 1.0), ("scale = 1/sqrt(d) (default)", None)):
            w = _weights(q, k, scale=scale)
            entropy = -(w * torch.log(w.clamp_min(1e-300))).sum(-1).mean() / np.log(T)
            # The gradient w.r.t. the scores: an all-zero additive mask is added to them, so
            # its gradient is exactly dL/dscores.
            zero_mask = torch.zeros(64, T, T, dtype=torch.float64, requires_grad=True)
            out_ = scaled_dot_product_attention(q, k, v, attn_mask=zero_mask, scale=scale)
            (out_ * upstream).sum().backward()
            results[name][0].append(float(entropy))
            results[name][1].append(float(zero_mask.grad.abs().median()))

    fig, (ax_ent, ax_grad) = plt.subplots(1, 2, figsize=(10, 4))
    for name, (ent, grad) in results.items():
        ax_ent.plot(dims, ent, "o-", label=name)
        ax_grad.plot(dims, grad, "o-", label=name)
    for ax in (ax_ent, ax_grad):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("head dimension d")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    ax_ent.set_ylabel("entropy of a row / log T")
    ax_ent.set_title("Unscaled scores make the softmax one-hot", fontsize=10)
    ax_ent.set_ylim(0, 1.05)
    ax_grad.set_yscale("log")
    ax_grad.set_ylabel("median |gradient| w.r.t. a score")
    ax_grad.set_title("... and its gradients shrink", fontsize=10)
    fig.suptitle(f"Random unit-variance q and k of width d, {T} keys: the effect of the scale")
    fig.tight_layout()
    fig.savefig(out / "attention_scale.png", dpi=100)
    plt.close(fig)

    return {
        "attention_heatmaps.png": (
            "Each row is a query and shows how it spreads its attention over the keys. Left: "
            "each word attends mostly to itself and both 'the's to each other. Middle: the "
            "causal mask removes the future (upper triangle), so the first 'the' can only see "
            "itself. Right: padding keys get weight 0 too, and the rest of each row still sums "
            "to 1."),
        "attention_scale.png": (
            "Without the scale the dot products grow like sqrt(d): the weights collapse onto "
            "one key (entropy near 0), and the gradient that flows back through the softmax "
            "into a typical score vanishes (the median is on a log scale). With 1/sqrt(d) "
            "both stay the same at every width."),
    }
