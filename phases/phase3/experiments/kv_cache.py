"""What a KV cache saves per generated token, and which cached keys each new query may see."""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase3.kv_cache import CausalSelfAttention, DecoderLM, KVCache, stream

PROMPT, NEW = 8, 184


def _per_step(model: DecoderLM, prompt: torch.Tensor, use_cache: bool
              ) -> tuple[list[int], list[float]]:
    """Tokens embedded and wall time (ms) of every step of stream(), measured one by one."""
    embedded: list[int] = []
    handle = model.wte.register_forward_hook(
        lambda _m, inputs, _o: embedded.append(inputs[0].shape[1]))  # T of every forward
    times = []
    steps = stream(model, prompt, NEW, use_cache=use_cache)
    while True:
        start = time.perf_counter()
        try:
            next(steps)  # runs the model exactly once (the stream is lazy)
        except StopIteration:
            break
        times.append(1000 * (time.perf_counter() - start))
    handle.remove()
    return embedded, times


def _speed_figure(out: Path) -> str:
    torch.manual_seed(0)
    model = DecoderLM(vocab_size=128, block_size=PROMPT + NEW, n_layer=4, n_head=4,
                      n_embd=128).eval()
    prompt = torch.randint(0, 128, (1, PROMPT), generator=torch.Generator().manual_seed(1))
    fig, (ax_n, ax_t) = plt.subplots(1, 2, figsize=(7, 4))
    totals = {}
    for use_cache, color in [(False, "C3"), (True, "C0")]:
        label = "with cache" if use_cache else "without cache"
        embedded, times = _per_step(model, prompt, use_cache)
        totals[label] = sum(times) / 1000
        ax_n.plot(range(1, len(embedded) + 1), embedded, color=color, label=label)
        # Cumulative time: one step's timing is noisy, the running total is not.
        cumulative = torch.tensor(times).cumsum(0) / 1000
        ax_t.plot(range(1, len(times) + 1), cumulative, color=color, label=label)
    ax_n.set_yscale("log")
    ax_n.set_title("tokens run through the model")
    ax_n.set_xlabel("forward pass")
    ax_n.set_ylabel("tokens in this pass (log scale)")
    ax_n.legend()
    ax_t.set_title("time to generate the first n tokens")
    ax_t.set_xlabel("n (generated tokens)")
    ax_t.set_ylabel("seconds")
    ax_t.set_ylim(bottom=0)
    ax_t.legend()
    fig.suptitle(f"Greedy decoding of {NEW} tokens after an {PROMPT}-token prompt "
                 "(4 layers, C = 128)")
    fig.tight_layout()
    fig.savefig(out / "decoding_cost.png", dpi=100)
    plt.close(fig)
    speedup = totals["without cache"] / totals["with cache"]
    return ("Without a cache, step t runs the whole prefix of about t tokens again, so each "
            "step costs more than the last; with one, the prompt goes through once (the prefill) "
            "and every later step runs a single token against the stored keys and values. Here "
            f"that made decoding {speedup:.1f}x faster; the gap widens with length.")


def _visibility_figure(out: Path) -> str:
    # Which keys does each new query read? Perturb one key position's value at a time and see
    # which outputs move: this probes your attention without looking inside it.
    past, t_new, C = 5, 3, 16
    torch.manual_seed(0)
    attn = CausalSelfAttention(C, 2).double().eval()
    gen = torch.Generator().manual_seed(2)
    cache = KVCache(1, 1, 2, past + t_new, C // 2, dtype=torch.float64)
    cache.append(0, torch.randn(1, 2, past, C // 2, generator=gen, dtype=torch.float64),
                 torch.randn(1, 2, past, C // 2, generator=gen, dtype=torch.float64))
    cache.advance(past)  # positions 0..4 are cached; the new tokens are positions 5..7
    x = torch.randn(1, t_new, C, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        base = attn(x, cache, 0)
        seen = torch.zeros(t_new, past + t_new)
        for j in range(past + t_new):
            if j < past:  # a cached position: nudge its stored value
                saved = cache.v[0][:, :, j].clone()
                cache.v[0][:, :, j] += 1.0
                y = attn(x, cache, 0)
                cache.v[0][:, :, j] = saved
            else:  # a new token: nudge its input (which also moves its own query)
                x2 = x.clone()
                x2[:, j - past] += 1.0
                y = attn(x2, cache, 0)
            seen[:, j] = ((y - base).abs().amax(dim=(0, 2)) > 1e-9).double()
    top_left = torch.ones(t_new, past + t_new).tril()  # what is_causal=True would give

    fig, axes = plt.subplots(2, 1, figsize=(7, 4), sharex=True)
    for ax, mask, title in [(axes[0], seen, "your attention (measured)"),
                            (axes[1], top_left, "a top-left causal mask (wrong)")]:
        ax.imshow(mask.numpy(), cmap="Blues", vmin=0, vmax=1.3, aspect="auto")
        ax.axvline(past - 0.5, color="C3", lw=2)
        ax.set_title(title, fontsize=10)
        ax.set_yticks(range(t_new), [f"query {past + i}" for i in range(t_new)])
        for i in range(t_new):
            for j in range(past + t_new):
                ax.text(j, i, "reads" if mask[i, j] else "-", ha="center", va="center",
                        color="white" if mask[i, j] else "0.4", fontsize=8)
    axes[1].set_xticks(range(past + t_new))
    axes[1].set_xlabel("key position (left of the red line: cached; right: new)")
    fig.suptitle(f"{t_new} new tokens after {past} cached ones: which keys each query reads")
    fig.tight_layout()
    fig.savefig(out / "cached_visibility.png", dpi=100)
    plt.close(fig)
    return ("With P = 5 positions cached, new query i sits at position P + i and must read "
            "every key up to P + i: the mask is a causal triangle aligned to the bottom-right "
            "corner. A top-left mask (what is_causal=True builds for a non-square score matrix) "
            "would hide cached history from the new tokens.")


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    return {"decoding_cost.png": _speed_figure(out),
            "cached_visibility.png": _visibility_figure(out)}
