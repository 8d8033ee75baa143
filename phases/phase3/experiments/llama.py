"""RoPE's rotations and relative-position scores; what grouped-query attention saves."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase3.llama import LlamaConfig, apply_rope, llama_num_parameters

D = 64  # head dimension
F64 = torch.float64


def _rotations_figure(out: Path) -> str:
    # Rotate the same vector (all ones) at positions 0..127: each column shows one dimension.
    T = 128
    x = torch.ones(1, 1, T, D, dtype=F64)
    rotated = apply_rope(x, torch.arange(T))[0, 0]  # (T, D)
    fig, ax = plt.subplots(figsize=(7, 4))
    im = ax.imshow(rotated.T.numpy(), cmap="RdBu", vmin=-1.5, vmax=1.5, aspect="auto",
                   interpolation="nearest")
    ax.axhline(D / 2 - 0.5, color="k", lw=1)
    ax.set_xlabel("position")
    ax.set_ylabel("dimension (pairs: i and i + d/2)")
    ax.set_title(f"apply_rope of the all-ones vector at positions 0..{T - 1}, d = {D}")
    fig.colorbar(im, ax=ax, label="value")
    fig.tight_layout()
    fig.savefig(out / "rope_rotations.png", dpi=100)
    plt.close(fig)
    return ("Dimension i and dimension i + d/2 form a pair that turns by angle "
            "pos * 10000^(-2i/d): the top rows of each half spin once every few positions, the "
            "bottom rows barely move over the whole range. The lower half repeats the upper "
            "half's frequencies (cos + sin instead of cos - sin) because row i + d/2 is row i's "
            "partner (rotate_half).")


def _relative_figure(out: Path) -> str:
    gen = torch.Generator().manual_seed(0)
    q_rand = torch.randn(D, dtype=F64, generator=gen)
    k_rand = torch.randn(D, dtype=F64, generator=gen)
    distances = torch.arange(0, 256)
    fig, ax = plt.subplots(figsize=(7, 4))
    for q, k, name, color in [(torch.ones(D, dtype=F64), torch.ones(D, dtype=F64),
                               "q = k = ones", "C0"),
                              (q_rand, k_rand, "random q, k", "C1")]:
        for m in (0, 1000):
            # The query sits at position m + distance, the key at m.
            q_rot = apply_rope(q.expand(1, 1, len(distances), D), m + distances)
            k_rot = apply_rope(k.expand(1, 1, 1, D), torch.tensor([m]))
            scores = (q_rot * k_rot).sum(-1)[0, 0]
            if m == 0:
                ax.plot(distances, scores, "-", color=color, lw=1.5,
                        label=f"{name}, key at position 0")
            else:  # markers only, so that the line underneath stays visible
                ax.plot(distances, scores, "o", color="k", ms=3, markevery=8,
                        label=f"{name}, key at position 1000")
    ax.set_xlabel("relative distance (query position - key position)")
    ax.set_ylabel("score q_rot . k_rot")
    ax.set_title("RoPE: the score depends only on the distance, not the absolute position")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "rope_relative.png", dpi=100)
    plt.close(fig)
    return ("Lines put the key at position 0, black dots at position 1000: they coincide, because "
            "rotating both vectors only leaves the difference of their angles. For aligned "
            "vectors (blue) the score also decays with distance, RoFormer's long-term decay; "
            "for random ones it wanders around a smaller value.")


def _gqa_figure(out: Path) -> str:
    # A LLaMA-2-7B-sized model (Touvron et al., 2023): only the number of kv heads changes.
    heads = 32
    kv_options = [1, 2, 4, 8, 16, 32]
    params, cache_gb = [], []
    for nkv in kv_options:
        cfg = LlamaConfig(vocab_size=32000, hidden_size=4096, intermediate_size=11008,
                          num_hidden_layers=32, num_attention_heads=heads,
                          num_key_value_heads=nkv)
        params.append(llama_num_parameters(cfg) / 1e9)
        # Keys and values, every layer, 4096 tokens of context, float16 (2 bytes).
        head_dim = cfg.hidden_size // heads
        cache_gb.append(2 * cfg.num_hidden_layers * nkv * head_dim * 4096 * 2 / 1e9)
    fig, ax = plt.subplots(figsize=(7, 4))
    pos = range(len(kv_options))
    ax.bar(pos, cache_gb, color="C0", label="KV cache for 4096 tokens (GB, float16)")
    ax.set_xticks(list(pos), [f"{n}\n({'MQA' if n == 1 else 'MHA' if n == heads else 'GQA'})"
                              for n in kv_options])
    ax.set_xlabel(f"key/value heads (for {heads} query heads)")
    ax.set_ylabel("KV cache per sequence (GB)", color="C0")
    ax2 = ax.twinx()
    ax2.plot(list(pos), params, "o-", color="C3", label="parameters (billions)")
    ax2.set_ylim(0, max(params) * 1.15)
    ax2.set_ylabel("parameters (billions)", color="C3")
    lines = [*ax.containers, *ax2.get_lines()]
    ax.legend(lines, [line.get_label() for line in lines], loc="upper left")
    ax.set_title("Grouped-query attention in a LLaMA-2-7B-sized model")
    fig.tight_layout()
    fig.savefig(out / "gqa_cost.png", dpi=100)
    plt.close(fig)
    return ("The KV cache grows in proportion to the number of key/value heads: 8 kv heads "
            f"for 32 query heads (as in Mistral 7B) cut it from {cache_gb[-1]:.1f} GB to "
            f"{cache_gb[3]:.2f} GB per 4096-token sequence, while the parameters only go from "
            f"{params[-1]:.2f} to {params[3]:.2f} billion: k_proj and v_proj are a small part of "
            "each layer, and the SwiGLU is the largest.")


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    return {"rope_rotations.png": _rotations_figure(out),
            "rope_relative.png": _relative_figure(out),
            "gqa_cost.png": _gqa_figure(out)}
