"""FlashAttention's memory grows like T, naive attention's like T^2; the tile-size trade-off."""

from __future__ import annotations

import math
import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import FuncFormatter, NullFormatter

from phase3.flash_attention import flash_attention
from shared.memory import LargestOutput

D = 32  # head size


def _plain_log_ticks(axis, values: list[int] | None = None) -> None:
    """Plain-text tick labels on a log axis (1k, 16k, 1M): cheaper and easier to read."""
    def fmt(x, _pos):
        for div, unit in ((2**20, "M"), (2**10, "k")):
            if x >= div and x % div == 0:
                return f"{x / div:g}{unit}"
        return f"{x:g}"
    if values is not None:
        axis.set_ticks(values)
    axis.set_major_formatter(FuncFormatter(fmt))
    axis.set_minor_formatter(NullFormatter())


def naive_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) v through autograd, causal: it builds the (T, T) scores."""
    T = q.shape[-2]
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    s = s.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), -math.inf)
    return s.softmax(-1) @ v


def _qkv(T: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(T)
    return [torch.randn(1, 1, T, D, generator=gen, requires_grad=True) for _ in range(3)]


def _largest(fn, T: int) -> int:
    """The largest intermediate (elements) of one causal forward + backward."""
    q, k, v = _qkv(T)
    with LargestOutput() as probe:
        fn(q, k, v).sum().backward()
    return probe.largest


def _seconds(fn, T: int, repeats: int = 2) -> float:
    """Best wall time of a causal forward + backward (outside the probe, which is slow)."""
    q, k, v = _qkv(T)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn(q, k, v).sum().backward()
        best = min(best, time.perf_counter() - start)
    return best


def _memory_figure(out: Path) -> str:
    lengths = [128, 256, 512, 1024]
    fig, ax = plt.subplots(figsize=(7, 4))
    methods = {
        "naive softmax(q k^T) v": naive_attention,
        "your flash_attention (64 x 64 tiles)": lambda q, k, v: flash_attention(q, k, v, True),
    }
    # The two reference curves first, wide and pale, so the measurements show on top of them.
    ax.loglog(lengths, [T * T for T in lengths], "-", lw=6, alpha=0.25, color="C0",
              label="T^2 (the score matrix)")
    ax.loglog(lengths, [T * D for T in lengths], "-", lw=6, alpha=0.25, color="C1",
              label="T d (one of q, k, v)")
    for i, (name, fn) in enumerate(methods.items()):
        largest = [_largest(fn, T) for T in lengths]
        ax.loglog(lengths, largest, "o-", color=f"C{i}", label=name)
    _plain_log_ticks(ax.xaxis, lengths)
    _plain_log_ticks(ax.yaxis, [4**e for e in range(6, 11)])
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("largest tensor created (elements)")
    ax.set_title(f"Causal attention, forward + backward, head size d = {D}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "memory_vs_length.png", dpi=100)
    plt.close(fig)
    return ("Naive attention materialises the T x T score matrix (and its softmax and gradient), "
            "so its biggest tensor quadruples each time T doubles. Tiled attention only ever "
            "holds one 64 x 64 tile of scores besides q, k, v and the output, so its biggest "
            "tensor grows like T d: at T = 1024 it is 32 times smaller.")


def _tile_figure(out: Path) -> str:
    T = 512
    blocks = [32, 64, 128, 256, 512]
    largest, seconds = [], []
    for b in blocks:
        def fn(q, k, v, b=b):
            return flash_attention(q, k, v, True, b, b)
        largest.append(_largest(fn, T))
        seconds.append(_seconds(fn, T))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(blocks, largest, "o-", color="C0", label="largest tensor (elements)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_ticks(ax.xaxis, blocks)
    _plain_log_ticks(ax.yaxis, [T * D, 4 * T * D, 16 * T * D])
    ax.set_xlabel("tile size (block_q = block_k)")
    ax.set_ylabel("largest tensor (elements)", color="C0")
    ax2 = ax.twinx()
    ax2.plot(blocks, [1000 * t for t in seconds], "s-", color="C3", label="wall time (ms)")
    ax2.set_ylim(bottom=0)
    ax2.set_ylabel("forward + backward time (ms)", color="C3")
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="upper center")
    ax.set_title(f"The tile-size trade-off, T = {T}, d = {D}, causal")
    fig.tight_layout()
    fig.savefig(out / "tile_size.png", dpi=100)
    plt.close(fig)
    return ("Small tiles keep memory at T d, but every tile is one trip around a Python loop, so "
            f"{T // blocks[0]}^2 tiny tiles are slow; one {T} x {T} tile is naive attention "
            "again. On a GPU the tile is sized to fit the fast on-chip memory (SRAM); here the "
            "sweet spot is where the loop overhead stops mattering.")


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    torch.manual_seed(0)
    return {"memory_vs_length.png": _memory_figure(out),
            "tile_size.png": _tile_figure(out)}
