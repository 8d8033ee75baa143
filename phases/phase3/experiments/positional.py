"""Positional encodings as pictures: the sinusoidal table, RoPE's relative scores, ALiBi and T5."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from phase3.positional import (
    alibi_bias,
    apply_rope,
    relative_positions,
    sinusoidal_table,
    t5_relative_position_bucket,
)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    torch.manual_seed(0)

    # --- picture 1: the sinusoidal table and what its dot products depend on ---
    T, d = 128, 64
    pe = sinusoidal_table(T, d, dtype=torch.float64)
    fig, (ax_tab, ax_dot) = plt.subplots(1, 2, figsize=(10, 4), width_ratios=(1.2, 1))
    im = ax_tab.imshow(pe.T.numpy(), aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1,
                       origin="lower")
    ax_tab.set_xlabel("position p")
    ax_tab.set_ylabel("column (even: sin, odd: cos)")
    ax_tab.set_title(f"sinusoidal_table({T}, {d}): fast waves at the bottom")
    fig.colorbar(im, ax=ax_tab)
    # PE[p] . PE[p + k] is the same curve for every starting position p
    offsets = np.arange(0, 64)
    for p, style in ((0, {"lw": 4, "alpha": 0.4}), (20, {"ls": "--"}), (50, {"ls": ":"})):
        dots = (pe[p:p + 64] @ pe[p]).numpy()
        ax_dot.plot(offsets, dots, label=f"from position {p}", **style)
    ax_dot.set_xlabel("offset k")
    ax_dot.set_ylabel("PE[p] . PE[p + k]")
    ax_dot.set_title("The dot product depends on the offset only")
    ax_dot.legend()
    ax_dot.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "sinusoidal_table.png", dpi=100)
    plt.close(fig)

    # --- picture 2: RoPE turns absolute positions into relative scores ---
    T, d = 64, 64
    q = torch.randn(d, dtype=torch.float64)
    positions = torch.arange(T)
    # the same query and the same key placed at every position
    q_rot = apply_rope(q.expand(T, d), positions)  # (T, d): query at position m
    k_rot = apply_rope(q.expand(T, d), positions)  # key = query, so the score peaks at m = n
    scores = (q_rot @ k_rot.T / d ** 0.5).numpy()  # (T, T): [m, n]
    # long-range decay: mean over random query/key pairs of the score at distance m - n
    many = torch.randn(2000, 2, d, dtype=torch.float64)
    qs, ks = many[:, 0], many[:, 0] + 0.5 * many[:, 1]  # correlated pairs, as after training
    distances = np.arange(0, 200)
    zero = torch.zeros(len(qs), dtype=torch.long)
    q0 = apply_rope(qs, zero)
    mean_score = [float((q0 * apply_rope(ks, zero + int(n))).sum(-1).mean()) / d ** 0.5
                  for n in distances]

    fig, (ax_map, ax_decay) = plt.subplots(1, 2, figsize=(10, 4))
    im = ax_map.imshow(scores, cmap="RdBu_r", origin="upper",
                       vmin=-np.abs(scores).max(), vmax=np.abs(scores).max())
    ax_map.set_xlabel("key position n")
    ax_map.set_ylabel("query position m")
    ax_map.set_title("One q and k at every position: constant\nalong each diagonal (m - n)",
                     fontsize=10)
    fig.colorbar(im, ax=ax_map, label="rotated q . k / sqrt(d)")
    ax_decay.plot(distances, mean_score)
    ax_decay.axhline(0, color="gray", lw=0.8)
    ax_decay.set_xlabel("distance between query and key")
    ax_decay.set_ylabel("mean score")
    ax_decay.set_title("Similar q and k: the score fades with distance", fontsize=10)
    ax_decay.grid(alpha=0.3)
    fig.suptitle("RoPE (interleaved pairs, theta = 10000, d = 64)")
    fig.tight_layout()
    fig.savefig(out / "rope_scores.png", dpi=100)
    plt.close(fig)

    # --- picture 3: relative biases without parameters (ALiBi) and T5's buckets ---
    fig, (ax_alibi, ax_t5) = plt.subplots(1, 2, figsize=(10, 4))
    heads, T = 8, 64
    bias = alibi_bias(heads, T, T, causal=True)  # (heads, T, T)
    distance = np.arange(T)
    for h in range(heads):
        ax_alibi.plot(distance, bias[h, T - 1].flip(0).numpy(), label=f"head {h}")
    ax_alibi.set_xlabel("how far back the key is")
    ax_alibi.set_ylabel("bias added to the score")
    ax_alibi.set_title("ALiBi, 8 heads: one slope per head", fontsize=10)
    ax_alibi.legend(fontsize=7, ncol=2)
    ax_alibi.grid(alpha=0.3)

    rel = relative_positions(1, 301)[0] + 150  # key minus query for a query in the middle
    for bidirectional, style in ((True, "-"), (False, "--")):
        buckets = t5_relative_position_bucket(rel, bidirectional=bidirectional,
                                              num_buckets=32, max_distance=128)
        ax_t5.step(rel.numpy(), buckets.numpy(), style, where="mid",
                   label="bidirectional (encoder)" if bidirectional else "causal (decoder)")
    ax_t5.set_xlabel("relative position (key - query)")
    ax_t5.set_ylabel("bucket")
    ax_t5.set_title("T5: 32 buckets, exact nearby, log-spaced up to 128", fontsize=10)
    ax_t5.legend(fontsize=8)
    ax_t5.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "relative_biases.png", dpi=100)
    plt.close(fig)

    return {
        "sinusoidal_table.png": (
            "Left: each column is a wave; the wavelength grows from 2 pi to about 47,000 "
            "positions from bottom to top. Right: the dot product of two positions depends "
            "only on their offset: the curves from positions 0, 20 and 50 coincide."),
        "rope_scores.png": (
            "Left: rotating the same vector to every position gives scores that are constant "
            "along diagonals: RoPE makes attention see only m - n. Right: averaged over "
            "similar query/key pairs, the score is largest nearby and fades with distance."),
        "relative_biases.png": (
            "Left: ALiBi subtracts a penalty that grows linearly with distance, steep in the "
            "first heads (local) and nearly flat in the last (global). Right: T5 shares one "
            "learned bias per bucket; far distances share wide buckets, and a causal decoder "
            "puts every future key in bucket 0."),
    }
