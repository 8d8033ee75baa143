"""Why several heads: a task that needs two lookups at once, learned with 1, 2 and 4 heads,
and with grouped-query and multi-query attention."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn

from phase3.attention import scaled_dot_product_attention
from phase3.multihead import GroupedQueryAttention, MultiHeadAttention

C, T, B = 16, 12, 64  # content width, sequence length, batch size
E = C + T  # each token: its content, then a one-hot of its position
STEPS = 150
POSITION_SCALE = 3.0  # larger position features make positional lookups quicker to learn


def _batch(gen: torch.Generator, mix: tuple[torch.Tensor, torch.Tensor]
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (B, T, E) and targets (B, T, C): target_t = W1 content_{t-1} + W2 content_0.

    Two lookups at once, with different maps W1 and W2: one head's softmax can only return
    one blend of the values, so a single head cannot do both well."""
    content = torch.randn(B, T, C, generator=gen)
    x = torch.cat([content, POSITION_SCALE * torch.eye(T).expand(B, T, T)], dim=-1)
    previous = torch.cat([torch.zeros(B, 1, C), content[:, :-1]], dim=1)
    return x, previous @ mix[0].T + content[:, :1] @ mix[1].T


def _forward(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    if isinstance(model, MultiHeadAttention):
        return model(x, x, x, is_causal=True)
    return model(x, is_causal=True)


def _train(make: Callable[[], nn.Module], mix: tuple[torch.Tensor, torch.Tensor]
           ) -> tuple[nn.Module, list[float]]:
    torch.manual_seed(0)
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    gen = torch.Generator().manual_seed(1)  # the same batches for every model
    losses = []
    for _ in range(STEPS):
        x, y = _batch(gen, mix)
        loss = ((_forward(model, x)[..., :C] - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses


def _head_weights(model: MultiHeadAttention, x: torch.Tensor) -> torch.Tensor:
    """Each head's attention weights (nh, T, T) for one sequence x (T, E), from the model's own
    projections and your scaled_dot_product_attention with the identity as the values."""
    nh, hs = model.num_heads, model.head_dim
    q = model.q_proj(x).view(T, nh, hs).transpose(0, 1)  # (nh, T, hs)
    k = model.k_proj(x).view(T, nh, hs).transpose(0, 1)
    eye = torch.eye(T).expand(nh, T, T)
    return scaled_dot_product_attention(q, k, eye, is_causal=True)


def _smooth(values: list[float], window: int = 10) -> list[float]:
    return [sum(values[max(0, i - window + 1):i + 1]) / len(values[max(0, i - window + 1):i + 1])
            for i in range(len(values))]


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    torch.set_num_threads(1)  # tiny matrices: threads only add overhead
    gen = torch.Generator().manual_seed(0)
    mix = (torch.randn(C, C, generator=gen) / C ** 0.5, torch.randn(C, C, generator=gen) / C ** 0.5)

    configs: list[tuple[str, Callable[[], nn.Module], str]] = [
        ("1 head", lambda: MultiHeadAttention(E, 1), "-"),
        ("2 heads", lambda: MultiHeadAttention(E, 2), "-"),
        ("4 heads", lambda: MultiHeadAttention(E, 4), "-"),
        ("4 heads, 2 kv heads (GQA)", lambda: GroupedQueryAttention(E, 4, 2), "--"),
        ("4 heads, 1 kv head (MQA)", lambda: GroupedQueryAttention(E, 4, 1), ":"),
    ]
    models, curves = {}, {}
    for name, make, _ in configs:
        models[name], curves[name] = _train(make, mix)

    # --- picture 1: loss curves ---
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, _, style in configs:
        model = models[name]
        kv = model.k_proj.weight.numel() + model.v_proj.weight.numel()
        ax.plot(_smooth(curves[name]), style, label=f"{name}: {kv} K/V weights")
    ax.set_yscale("log")
    ax.set_xlabel("training step (Adam, lr 2e-2)")
    ax.set_ylabel("mean squared error (smoothed)")
    ax.set_title("Target: W1 x(t-1) + W2 x(0), two lookups per token", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(out / "heads_loss.png", dpi=100)
    plt.close(fig)

    # --- picture 2: what each head looks at ---
    x, _ = _batch(torch.Generator().manual_seed(2), mix)
    with torch.no_grad():
        maps = [("1 head", _head_weights(models["1 head"], x[0])[0])]
        maps += [(f"2 heads: head {h}", w)
                 for h, w in enumerate(_head_weights(models["2 heads"], x[0]))]
    fig, axes = plt.subplots(1, 3, figsize=(11, 4), layout="constrained")
    for ax, (title, w) in zip(axes, maps, strict=True):
        im = ax.imshow(w.numpy(), cmap="viridis", vmin=0, vmax=1)
        ax.set_title(title)
        ax.set_xlabel("key position")
    axes[0].set_ylabel("query position")
    fig.colorbar(im, ax=axes, shrink=0.8, label="attention weight")
    fig.suptitle("Attention weights after training (causal)")
    fig.savefig(out / "heads_attention.png", dpi=100)
    plt.close(fig)

    return {
        "heads_loss.png": (
            "One head has one softmax and one value map: it settles on one of the two lookups "
            "and its error stalls. Two heads learn one lookup each. Four heads are narrower "
            f"({E // 4} channels each, fewer than the {C} of the content), so they end higher. "
            "Grouped-query and multi-query attention share keys and values between query "
            "heads, with 2 and 4 times fewer K/V weights, at some cost in error and speed."),
        "heads_attention.png": (
            "The single head looks only at the first token; with two heads, one looks at the "
            "previous token (the diagonal just below the main one) and the other at the "
            "first token (the first column)."),
    }
