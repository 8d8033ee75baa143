"""Four sparse attention patterns side by side, and how stacking layers widens what a token sees."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase3.sparse_attention import (
    bigbird_mask,
    dilated_attention,
    dilated_window_mask,
    longformer_mask,
    sliding_window_attention,
    sliding_window_mask,
)


def _patterns_figure(out: Path) -> str:
    T = 128
    patterns = {
        "sliding window\nw = 12": sliding_window_mask(T, 12),
        "dilated\nw = 8, r = 3": dilated_window_mask(T, 8, 3),
        "Longformer\nradius 6, global 0, 64": longformer_mask(T, 6, [0, 64]),
        "BigBird, blocks of 8\n1 global, 2 random": bigbird_mask(T, 8, 1, 2, seed=0),
    }
    fig, axes = plt.subplots(1, 4, figsize=(7, 4), sharey=True)
    for ax, (name, mask) in zip(axes, patterns.items(), strict=True):
        ax.imshow(mask.numpy(), cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        density = mask.float().mean().item()
        ax.set_title(f"{name}\n{100 * density:.0f}% of T x T", fontsize=8)
        ax.set_xlabel("key j", fontsize=8)
        ax.set_xticks([0, T // 2, T - 1])
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("query i")
    axes[0].set_yticks([0, T // 2, T - 1])
    fig.suptitle(f"Which keys each query attends to (black), T = {T}")
    fig.tight_layout()
    fig.savefig(out / "patterns.png", dpi=100)
    plt.close(fig)
    return ("Each black cell is a score that is computed; the rest are never formed. The causal "
            "patterns (sliding, dilated) look only back; Longformer and BigBird are "
            "bidirectional, with global tokens as full rows and columns, and BigBird's random "
            "blocks as scattered squares. Each row holds a fixed budget of keys, so the cost "
            "grows like T instead of T^2.")


def _receptive_field_figure(out: Path) -> str:
    # Stack residual layers h <- h + attention(h, h, h) and ask, by backpropagation, which
    # input positions can influence the LAST token's output after each depth.
    T, C, depth, w, r = 64, 8, 6, 4, 4
    x = torch.randn(1, 1, T, C, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    stacks = {
        f"sliding window, w = {w}": lambda h, _layer: sliding_window_attention(h, h, h, w),
        f"dilation alternating 1 and {r}, w = {w}":
            lambda h, layer: dilated_attention(h, h, h, w, 1 if layer % 2 == 0 else r),
    }
    fig, axes = plt.subplots(2, 1, figsize=(7, 4), sharex=True)
    for ax, (name, layer_fn) in zip(axes, stacks.items(), strict=True):
        reach = torch.zeros(depth, T)
        for n_layers in range(1, depth + 1):
            xg = x.clone().requires_grad_()
            h = xg
            for layer in range(n_layers):
                h = h + layer_fn(h, layer)
            h[0, 0, -1].sum().backward()
            reach[n_layers - 1] = (xg.grad[0, 0].abs().sum(-1) > 0).float()
        ax.imshow(reach.numpy(), cmap="Blues", vmin=0, vmax=1.2, aspect="auto",
                  interpolation="nearest")
        ax.set_yticks(range(depth), [str(d) for d in range(1, depth + 1)])
        ax.set_ylabel("layers")
        ax.set_title(f"{name}: {int(reach[-1].sum())} of {T} positions reach "
                     f"token {T - 1} after {depth} layers", fontsize=9)
    axes[-1].set_xlabel("input position j (the last token is on the right)")
    fig.suptitle("Which inputs can influence the last token's output (nonzero gradient)")
    fig.tight_layout()
    fig.savefig(out / "receptive_field.png", dpi=100)
    plt.close(fig)
    return ("One sliding-window layer lets a token see w positions back; each further layer adds "
            "w - 1 more, so depth L reaches L (w - 1) + 1 tokens (Mistral 7B's 4096-token window "
            "and 32 layers reach about 131k). Alternating dense layers with dilated ones lets "
            "each dilated layer jump r positions per key while the dense layers fill the gaps: "
            "more reach for the same number of scores.")


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    return {"patterns.png": _patterns_figure(out),
            "receptive_field.png": _receptive_field_figure(out)}
