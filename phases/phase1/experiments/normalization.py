"""Which values share statistics in each normalisation, and how batch norm's running stats move."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn

from phase1.normalization import BatchNorm1d, GroupNorm, LayerNorm

N, C, L = 6, 8, 4  # batch, channels, positions per channel
PROBE = (1, 5, 2)  # the element we nudge: sample 1, channel 5, position 2


def _influence(layer: nn.Module) -> torch.Tensor:
    """|d y / d x[PROBE]| for every output, from the layer's own backward.

    The probe element moves the mean and variance it belongs to, so every output normalised
    with those statistics depends on it; outputs with other statistics do not depend on it.
    """
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N, C, L, dtype=torch.float64, generator=g)
    # The full Jacobian, one backward pass per output: (N, C, L) outputs x (N, C, L) inputs.
    jac = torch.autograd.functional.jacobian(layer, x)
    return jac[(...,) + PROBE].abs().reshape(N, C * L)


def _statistics_map(out: Path) -> str:
    layers = {
        "BatchNorm1d(C)\nper channel, over batch and positions":
            BatchNorm1d(C).double(),
        "LayerNorm((C, L))\nper sample, over channels and positions":
            LayerNorm((C, L)).double(),
        "GroupNorm(4 groups, C)\nper sample and group of 2 channels":
            GroupNorm(4, C).double(),
        "GroupNorm(C groups, C) = instance norm\nper sample and channel":
            GroupNorm(C, C).double(),
    }
    fig, axes = plt.subplots(2, 2, figsize=(8, 5.5), sharex=True, sharey=True)
    for ax, (title, layer) in zip(axes.flat, layers.items(), strict=True):
        shared = _influence(layer) > 1e-9
        ax.imshow(shared, cmap="Blues", vmin=0, vmax=1.4, aspect="auto")
        ax.plot(PROBE[1] * L + PROBE[2], PROBE[0], marker="*", color="red", markersize=12)
        for c in range(1, C):  # channel boundaries
            ax.axvline(c * L - 0.5, color="grey", lw=0.5)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([c * L + (L - 1) / 2 for c in range(C)], [str(c) for c in range(C)])
        ax.set_yticks(range(N))
    for ax in axes[1]:
        ax.set_xlabel(f"channel (each {L} positions wide)")
    for ax in axes[:, 0]:
        ax.set_ylabel("sample")
    fig.suptitle("Outputs that depend on the starred input (blue): who shares statistics")
    fig.tight_layout()
    fig.savefig(out / "normalization_shared_statistics.png", dpi=100)
    plt.close(fig)
    return ("Computed from your backward passes: blue outputs have a nonzero derivative with "
            "respect to the starred input, because it enters their mean and variance. Batch "
            "norm couples the whole batch within a channel, which is why its output depends "
            "on the other examples; layer, group and instance norm stay inside one sample.")


def _running_stats(out: Path) -> str:
    # Batches of 16 from N(3, 2^2): the running estimates should approach mean 3, variance 4.
    g = torch.Generator().manual_seed(1)
    batches = [3 + 2 * torch.randn(16, 1, generator=g) for _ in range(200)]
    fig, (ax_m, ax_v) = plt.subplots(1, 2, figsize=(8, 4))
    for momentum in (0.1, 0.01, None):
        bn = BatchNorm1d(1, momentum=momentum)
        means, variances = [], []
        for b in batches:
            bn(b)  # training mode: updates the running statistics
            means.append(bn.running_mean.item())
            variances.append(bn.running_var.item())
        label = "momentum=None (cumulative)" if momentum is None else f"momentum={momentum}"
        ax_m.plot(means, label=label)
        ax_v.plot(variances, label=label)
    ax_m.axhline(3, color="black", ls="--", lw=1, label="true mean 3")
    ax_v.axhline(4, color="black", ls="--", lw=1, label="true variance 4")
    ax_m.set_title("running_mean")
    ax_v.set_title("running_var (unbiased batch variances)")
    for ax in (ax_m, ax_v):
        ax.set_xlabel("training step")
        ax.legend(fontsize=8)
    ax_m.set_ylabel("estimate")
    fig.suptitle("Batch norm's running statistics, batches of 16 from N(3, 2^2)")
    fig.tight_layout()
    fig.savefig(out / "normalization_running_stats.png", dpi=100)
    plt.close(fig)
    return ("The buffers start at mean 0, variance 1 and forget them at a rate set by the "
            "momentum: 0.1 gets there in about 30 steps but stays noisy, 0.01 is smooth but "
            "slow, and momentum=None averages every batch equally. Eval mode uses these "
            "numbers, so a model evaluated too early is normalised with the wrong statistics.")


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    return {
        "normalization_shared_statistics.png": _statistics_map(out),
        "normalization_running_stats.png": _running_stats(out),
    }
