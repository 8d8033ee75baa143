"""How the initialiser decides whether signals and gradients survive 30 stacked linear layers."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase1.linear import (
    Linear,
    LinearFunction,
    gpt2_init_,
    kaiming_normal_,
    xavier_normal_,
)

DEPTH, WIDTH, BATCH = 30, 128, 256


def _init_weights(name: str, g: torch.Generator) -> list[torch.Tensor]:
    """DEPTH square weights drawn by one initialiser (float64, so nothing under/overflows)."""
    weights = []
    for _ in range(DEPTH):
        if name == "nn.Linear default":
            # Our Linear draws from torch's global generator, exactly like torch.nn.Linear.
            w = Linear(WIDTH, WIDTH, bias=False).weight.detach().double()
        else:
            w = torch.empty(WIDTH, WIDTH, dtype=torch.float64)
            if name == "Kaiming (relu gain)":
                kaiming_normal_(w, nonlinearity="relu", generator=g)
            elif name == "Xavier (gain 1)":
                xavier_normal_(w, gain=1.0, generator=g)
            else:
                gpt2_init_(w, generator=g)
        weights.append(w.requires_grad_())
    return weights


def _forward_backward(weights: list[torch.Tensor], x: torch.Tensor, g: torch.Generator
                      ) -> tuple[list[float], list[float]]:
    """RMS of each layer's output, and of the gradient that reaches each layer's input."""
    acts, inputs, h = [], [], x.clone().requires_grad_()
    for w in weights:
        inputs.append(h)
        h.retain_grad()  # keep dL/dh: what LinearFunction.backward hands to the layer below
        h = torch.relu(LinearFunction.apply(h, w, None))
        acts.append(h.pow(2).mean().sqrt().item())
    # A loss whose gradient w.r.t. the last activation is unit-scale, whatever its size.
    (h * torch.randn(h.shape, dtype=h.dtype, generator=g)).sum().backward()
    grads = [i.grad.pow(2).mean().sqrt().item() for i in inputs]
    return acts, grads


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(BATCH, WIDTH, dtype=torch.float64, generator=g)
    names = ["Kaiming (relu gain)", "Xavier (gain 1)",
             "nn.Linear default", "GPT-2 N(0, 0.02)"]
    results = {name: _forward_backward(_init_weights(name, g), x, g) for name in names}
    layers = range(1, DEPTH + 1)

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, (acts, _) in results.items():
        ax.semilogy(layers, acts, marker="o", markersize=3, label=name)
    ax.axhline(x.pow(2).mean().sqrt().item(), color="grey", ls=":", lw=1, label="input RMS")
    ax.set_title(f"Forward: activation RMS through {DEPTH} Linear + ReLU layers")
    ax.set_xlabel("layer")
    ax.set_ylabel("RMS of the layer's output (log)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "linear_activations_by_depth.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, (_, grads) in results.items():
        ax.semilogy(layers, grads, marker="o", markersize=3, label=name)
    ax.set_title("Backward: gradient RMS arriving at each layer's input")
    ax.set_xlabel("layer (the loss sits after the last one)")
    ax.set_ylabel("RMS of dL/d(input) (log)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "linear_gradients_by_depth.png", dpi=100)
    plt.close(fig)

    return {
        "linear_activations_by_depth.png":
            "Only He/Kaiming's std sqrt(2 / fan_in) keeps the signal at one scale through 30 ReLU "
            "layers: every other choice shrinks it by a constant factor per layer, so the "
            "curves are straight lines on a log scale.",
        "linear_gradients_by_depth.png":
            "The same networks seen from the loss: LinearFunction's grad_x = G W multiplies the "
            "gradient by the same weights on the way back, so with any init but Kaiming the "
            "gradient shrinks layer after layer and the first layers barely learn.",
    }
