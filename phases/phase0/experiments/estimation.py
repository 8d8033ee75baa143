"""Bayesian updating of a coin's bias, MLE against MAP as flips come in, and the CLT."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from phase0.estimation import (
    bernoulli_mle,
    beta_bernoulli_map,
    clt_standardized_means,
    gaussian_log_pdf,
    posterior,
)

TRUE_THETA = 0.7  # the coin the experiment flips
PRIOR_A, PRIOR_B = 5.0, 5.0  # a prior that believes the coin is roughly fair


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    captions = {}
    # Seed 49 is a typical run (its running fraction of heads stays near 0.7); it opens with
    # a streak of heads, which shows off the MLE's overconfidence.
    flips = (np.random.default_rng(49).random(500) < TRUE_THETA).astype(int)

    # 1. The posterior over a grid of hypotheses theta, after more and more flips.
    thetas = np.linspace(0.0, 1.0, 201)
    prior = thetas ** (PRIOR_A - 1) * (1 - thetas) ** (PRIOR_B - 1)  # Beta(5, 5), unnormalised
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, n in enumerate([0, 5, 20, 100, 500]):
        heads = int(flips[:n].sum())
        likelihood = thetas**heads * (1 - thetas) ** (n - heads)
        post = posterior(prior, likelihood)
        ax.plot(thetas, post / (thetas[1] - thetas[0]), color=plt.get_cmap("viridis")(i / 4),
                lw=2, label=f"after {n} flips ({heads} heads)")
    ax.axvline(TRUE_THETA, color="C3", ls="--", lw=1, label=f"true theta = {TRUE_THETA}")
    ax.set_xlabel("theta (probability of heads)")
    ax.set_ylabel("posterior density")
    ax.set_title("Bayes' rule on a grid: a Beta(5, 5) prior meets the data")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "posterior_updates.png", dpi=100)
    plt.close(fig)
    captions["posterior_updates.png"] = (
        "Each curve is the posterior over the coin's bias after n flips: the prior is centred "
        "on a fair coin; the data drags it towards the true 0.7 and narrows it, its width "
        "shrinking roughly like 1/sqrt(n).")

    # 2. MLE against MAP, flip by flip.
    ns = np.arange(1, 501)
    mle = [bernoulli_mle(flips[:n]) for n in ns]
    maps = {(a, b): [beta_bernoulli_map(int(flips[:n].sum()), int(n), a, b) for n in ns]
            for a, b in [(2.0, 2.0), (PRIOR_A, PRIOR_B), (30.0, 30.0)]}
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.semilogx(ns, mle, color="0.3", lw=1.5, label="MLE (fraction of heads)")
    for i, ((a, b), path) in enumerate(maps.items()):
        ax.semilogx(ns, path, color=f"C{i}", lw=1.5, label=f"MAP, Beta({a:g}, {b:g}) prior")
    ax.axhline(TRUE_THETA, color="C3", ls="--", lw=1, label="true theta")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("number of flips n")
    ax.set_ylabel("estimate of theta")
    ax.set_title("Maximum likelihood against MAP as the flips come in")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "mle_vs_map.png", dpi=100)
    plt.close(fig)
    captions["mle_vs_map.png"] = (
        "With a handful of flips the MLE swings between 0 and 1; a MAP estimate starts near "
        "the prior's 0.5 and moves only as the evidence piles up. The stronger the prior "
        "(Beta(30, 30) is worth 58 imagined flips), the longer it holds out; as the real flips "
        "outnumber the imagined ones, every MAP converges to the MLE.")

    # 3. The CLT: standardised means of exponential draws (skewed, far from normal).
    def exponential(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
        return rng.exponential(1.0, size)  # mean 1, std 1

    z_grid = np.linspace(-4, 4, 300)
    normal_pdf = np.exp(gaussian_log_pdf(z_grid, 0.0, 1.0))
    fig, axes = plt.subplots(1, 3, figsize=(7, 4), sharey=True)
    for ax, n in zip(axes, [1, 4, 64], strict=True):
        z = clt_standardized_means(exponential, 1.0, 1.0, n=n, num_trials=20000, seed=n)
        ax.hist(z, bins=np.linspace(-4, 4, 41), density=True, color="C0", alpha=0.6,
                label="your z")
        ax.plot(z_grid, normal_pdf, color="C3", lw=1.5, label="N(0, 1)")
        ax.set_title(f"n = {n}", fontsize=10)
        ax.set_xlabel("z")
    axes[0].set_ylabel("density")
    axes[0].legend(fontsize=7, loc="upper right")
    fig.suptitle("Means of n exponential draws, standardised by std / sqrt(n)")
    fig.tight_layout()
    fig.savefig(out / "clt.png", dpi=100)
    plt.close(fig)
    captions["clt.png"] = (
        "A single exponential draw (n = 1) is heavily skewed and starts at z = -1; the mean of "
        "4 draws is already rounder, and the mean of 64 is almost indistinguishable from the "
        "standard normal density.")
    return captions
