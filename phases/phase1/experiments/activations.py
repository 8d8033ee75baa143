"""Activation curves with the derivatives your backward passes return, and where they saturate."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase1.activations import gelu, leaky_relu, relu, sigmoid, silu, softplus, tanh

# Every curve is drawn from the learner's Function: the value from forward, the derivative from
# backward (x.grad after summing the outputs, since d(sum f(x_i))/dx_i = f'(x_i)).
ACTIVATIONS = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu (0.1)": lambda x: leaky_relu(x, 0.1),
    "gelu": gelu,
    "silu": silu,
    "softplus": softplus,
}


def _value_and_derivative(f, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.clone().requires_grad_()
    y = f(x)
    y.sum().backward()
    return y.detach(), x.grad


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    x = torch.linspace(-4, 4, 801, dtype=torch.float64)
    # One colour per activation, the same in both figures (7 names, 10 colours in the cycle).
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colors = dict(zip(ACTIVATIONS, palette, strict=False))

    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(8, 4))
    for name, f in ACTIVATIONS.items():
        y, dy = _value_and_derivative(f, x)
        ax_f.plot(x, y, color=colors[name], label=name)
        ax_d.plot(x, dy, color=colors[name], label=name)
    ax_f.set_title("f(x), from your forward")
    ax_f.set_xlabel("x")
    ax_f.set_ylabel("f(x)")
    ax_f.set_ylim(-1.5, 4)
    ax_d.set_title("f'(x), from your backward")
    ax_d.set_xlabel("x")
    ax_d.set_ylabel("f'(x)")
    ax_d.set_ylim(-0.2, 1.3)
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
    ax_f.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "activations_and_derivatives.png", dpi=100)
    plt.close(fig)

    # Saturation: how small the derivative gets far from 0. A gradient passing through ten
    # saturated sigmoids is multiplied by ten of these numbers.
    xs = torch.linspace(-12, 12, 1201, dtype=torch.float64)
    fig, ax = plt.subplots(figsize=(7, 4))
    for name in ("sigmoid", "tanh", "leaky_relu (0.1)", "gelu", "silu", "softplus"):
        _, dy = _value_and_derivative(ACTIVATIONS[name], xs)
        ax.semilogy(xs, dy.abs(), color=colors[name], label=name)
    ax.set_ylim(1e-22, 10)
    ax.set_title("Saturation: |f'(x)| on a log scale, far from zero")
    ax.set_xlabel("x (pre-activation)")
    ax.set_ylabel("|f'(x)| (log)")
    ax.legend(fontsize=8, loc="lower right", ncol=2)
    fig.tight_layout()
    fig.savefig(out / "activations_saturation.png", dpi=100)
    plt.close(fig)

    return {
        "activations_and_derivatives.png":
            "Left, the curves; right, the derivatives your backward passes computed. Sigmoid's "
            "slope never exceeds 1/4 and tanh's 1; relu's jumps from 0 to 1 (0 at exactly 0), "
            "while gelu and silu dip slightly below zero and overshoot 1 just right of it.",
        "activations_saturation.png":
            "Sigmoid and tanh have exponentially small derivatives once |x| is a few units "
            "(tanh's falls like exp(-2|x|), twice as fast), and gelu's negative side dies like a "
            "Gaussian: a saturated unit passes almost no gradient. The relu family keeps slope 1 "
            "for every positive input, and leaky relu keeps its slope on the negative side too.",
    }
