"""Softmax temperature, why log-space matters, and the two directions of KL divergence."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from phase0.probability import cross_entropy, entropy, kl_divergence, softmax


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    captions = {}

    # 1. One set of logits at several temperatures: cold sharpens, hot flattens.
    logits = np.array([3.0, 2.2, 1.5, 0.5, 0.0, -0.5, -1.0, -2.0])
    temperatures = [0.25, 1.0, 4.0]
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.27
    classes = np.arange(len(logits))
    for i, t in enumerate(temperatures):
        p = softmax(logits, temperature=t)
        ax.bar(classes + (i - 1) * width, p, width, color=f"C{i}",
               label=f"T = {t}: entropy {entropy(p, base=2):.2f} bits")
    ax.axhline(1 / len(logits), color="0.4", ls=":", lw=1, label="uniform (1/8)")
    ax.set_xticks(classes, [f"{v:g}" for v in logits])
    ax.set_xlabel("logit of each class")
    ax.set_ylabel("probability")
    ax.set_title("softmax(x / T): the same logits at three temperatures")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "softmax_temperature.png", dpi=100)
    plt.close(fig)
    captions["softmax_temperature.png"] = (
        "At T = 0.25 almost all the mass sits on the largest logit (entropy near 0 bits); at "
        "T = 4 the distribution is close to uniform (near the maximum of 3 bits for 8 "
        "classes). The order of the classes never changes, only how sure the model is.")

    # 2. Two ways the textbook formulas break as the logits grow (x = s * (1, 0, -1)).
    scales = np.logspace(0, 3.3, 120)
    base = np.array([1.0, 0.0, -1.0])
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 4))
    # Left: the loss of the least likely class. The true value is about 2s; log(softmax)
    # becomes log(0) = inf once that probability underflows, x - logsumexp(x) never does.
    stable = [cross_entropy((s * base)[None, :], np.array([2])) for s in scales]
    with np.errstate(divide="ignore"):
        log_of_softmax = np.array([-np.log(softmax(s * base)[2]) for s in scales])
    left.loglog(scales, stable, color="C0", lw=4, alpha=0.5, label="cross_entropy\n(log-softmax)")
    left.loglog(scales, np.where(np.isfinite(log_of_softmax), log_of_softmax, np.nan), "--",
                color="C3", lw=2, label="-log(softmax(x)[2])")
    first_bad = scales[np.flatnonzero(~np.isfinite(log_of_softmax))[0]]
    left.axvline(first_bad, color="C3", lw=1, alpha=0.6)
    left.text(first_bad * 0.9, 3, f"inf from s = {first_bad:.0f}", color="C3", fontsize=8,
              ha="right")
    left.set_xlabel("scale s")
    left.set_ylabel("loss of the least likely class (nats)")
    left.set_title("log of a softmax", fontsize=10)
    left.legend(fontsize=7, loc="upper left")
    # Right: the top probability. Without subtracting the max, exp(s) overflows to inf and
    # inf / inf is nan; with it, the largest exponent is exactly e^0 = 1.
    with np.errstate(over="ignore", invalid="ignore"):
        # The naive formula, written here only to show how it fails.
        naive = np.array([np.exp(s * base)[0] / np.exp(s * base).sum() for s in scales])
    ours = np.array([softmax(s * base)[0] for s in scales])
    right.semilogx(scales, ours, color="C0", lw=4, alpha=0.5, label="softmax (max subtracted)")
    right.semilogx(scales, naive, "--", color="C3", lw=2, label="exp(x) / sum(exp(x))")
    first_nan = scales[np.flatnonzero(np.isnan(naive))[0]]
    right.axvspan(first_nan, scales[-1], color="C3", alpha=0.12)
    right.text(first_nan * 1.05, 0.8, "nan", color="C3", fontsize=9)
    right.set_ylim(0.6, 1.05)
    right.set_xlabel("scale s")
    right.set_ylabel("probability of the top class")
    right.set_title(f"no max subtraction: nan from s = {first_nan:.0f}", fontsize=10)
    right.legend(fontsize=7, loc="lower left")
    fig.suptitle("Logits s * (1, 0, -1): where the textbook formulas break")
    fig.tight_layout()
    fig.savefig(out / "log_space_stability.png", dpi=100)
    plt.close(fig)
    captions["log_space_stability.png"] = (
        "Left: the loss of the least likely class grows like 2s, but the log of a softmax "
        "turns infinite once that probability underflows to 0; x - logsumexp(x) stays exact. "
        "Right: without subtracting the max, exp overflows past s ~ 710 and the softmax is nan.")

    # 3. Fit one bump q to a two-bump p by minimising KL in each direction (grid search).
    grid = np.linspace(-6, 6, 121)

    def bumps(centres: np.ndarray, widths: np.ndarray) -> np.ndarray:
        """Normalised Gaussian bumps on the grid: shape (..., 121)."""
        d = np.exp(-0.5 * ((grid - centres[..., None]) / widths[..., None]) ** 2)
        return d / d.sum(axis=-1, keepdims=True)

    p = 0.5 * bumps(np.array(-2.5), np.array(0.7)) + 0.5 * bumps(np.array(2.5), np.array(0.7))
    p = (p + 1e-12) / (p + 1e-12).sum()  # keep every p_i > 0 so both directions are finite
    mus, sigmas = np.meshgrid(np.linspace(-4, 4, 81), np.linspace(0.3, 4.0, 75), indexing="ij")
    qs = bumps(mus, sigmas)  # (81, 75, 121): every candidate at once
    qs = (qs + 1e-12) / (qs + 1e-12).sum(axis=-1, keepdims=True)
    p_all = np.broadcast_to(p, qs.shape).copy()  # a writable copy, one target per candidate
    forward = kl_divergence(p_all, qs)  # KL(p || q)
    reverse = kl_divergence(qs, p_all)  # KL(q || p)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.fill_between(grid, p, color="0.8", label="target p (two bumps)")
    top = p.max()
    for kl, color, name in [(forward, "C0", "KL(p || q)"), (reverse, "C3", "KL(q || p)")]:
        i, j = np.unravel_index(np.argmin(kl), kl.shape)
        ax.plot(grid, qs[i, j], color=color, lw=2,
                label=f"q minimising {name}: mean {mus[i, j]:.1f}, width {sigmas[i, j]:.1f}")
        top = max(top, qs[i, j].max())
    ax.set_xlabel("outcome")
    ax.set_ylabel("probability")
    ax.set_title("Fitting one bump to two: the direction of KL matters")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_ylim(0, 1.35 * top)  # room for the legend above the curves
    fig.tight_layout()
    fig.savefig(out / "kl_directions.png", dpi=100)
    plt.close(fig)
    captions["kl_directions.png"] = (
        "Minimising KL(p || q) makes q cover both bumps (it is punished wherever p has mass "
        "and q has none), while minimising KL(q || p) makes q pick one bump (it is punished "
        "wherever q puts mass and p has none).")
    return captions
