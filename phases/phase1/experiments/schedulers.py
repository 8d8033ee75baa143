"""Every learning-rate schedule drawn epoch by epoch, GPT's warm-up + cosine, and the plateau."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase1.schedulers import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LinearLR,
    PolynomialLR,
    ReduceLROnPlateau,
    StepLR,
    WarmupCosineLR,
    warmup_cosine,
)

EPOCHS = 100


def _optimizer() -> torch.optim.Optimizer:
    # A one-parameter optimizer with base lr 1: the schedule's lr is then its factor.
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)


def _lrs(make) -> list[float]:
    """The lr at epochs 0 .. EPOCHS - 1 (epoch 0 is right after construction)."""
    opt = _optimizer()
    sched = make(opt)
    lrs = []
    for _ in range(EPOCHS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()  # the order torch expects: optimizer step, then scheduler step
        sched.step()
    return lrs


def _gallery(out: Path) -> str:
    schedules = {
        "LinearLR(1/10 -> 1, 20 epochs)": lambda o: LinearLR(o, 0.1, 1.0, total_iters=20),
        "StepLR(step 30, gamma 0.3)": lambda o: StepLR(o, step_size=30, gamma=0.3),
        "ExponentialLR(gamma 0.96)": lambda o: ExponentialLR(o, gamma=0.96),
        "PolynomialLR(80 epochs, power 2)": lambda o: PolynomialLR(o, total_iters=80, power=2),
        "CosineAnnealingLR(T_max 60)": lambda o: CosineAnnealingLR(o, T_max=60, eta_min=0.05),
        "WarmRestarts(T_0 10, T_mult 2)": lambda o: CosineAnnealingWarmRestarts(o, 10, 2, 0.05),
        "WarmupCosineLR(10, 80, 0.1)": lambda o: WarmupCosineLR(o, 10, 80, min_lr_ratio=0.1),
    }
    fig, axes = plt.subplots(2, 4, figsize=(9, 4.5), sharex=True, sharey=True)
    for ax, (name, make) in zip(axes.flat, schedules.items(), strict=False):
        ax.plot(_lrs(make), color="C0")
        ax.set_title(name, fontsize=8)
        ax.set_ylim(0, 1.1)
        ax.grid(alpha=0.3)
    axes.flat[-1].axis("off")
    for ax in axes[1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel("lr / base lr")
    fig.suptitle("Your schedulers, stepped once per epoch from a base lr of 1")
    fig.tight_layout()
    fig.savefig(out / "schedulers_gallery.png", dpi=100)
    plt.close(fig)
    return ("Each panel steps one of your schedulers for 100 epochs. Note CosineAnnealingLR "
            "climbing back after T_max (the formula is periodic), the restarts at epochs 10, "
            "30 and 70 as each period doubles, and LinearLR and PolynomialLR holding still "
            "after total_iters.")


def _gpt_recipe(out: Path) -> str:
    # GPT-2 small's numbers, as in nanoGPT: 6e-4 peak, 6e-5 floor, 2000 warm-up steps.
    max_lr, min_lr, warmup, total = 6e-4, 6e-5, 2000, 600_000
    steps = range(0, 650_000, 500)
    fig, (ax_all, ax_zoom) = plt.subplots(1, 2, figsize=(8, 4))
    lrs = [warmup_cosine(s, max_lr=max_lr, min_lr=min_lr, warmup_steps=warmup,
                         total_steps=total) for s in steps]
    ax_all.plot(list(steps), lrs)
    ax_all.axvline(total, color="grey", ls=":", lw=1)
    ax_all.set_title("the whole run")
    zoom = range(0, 6000, 10)
    ax_zoom.plot(list(zoom), [warmup_cosine(s, max_lr=max_lr, min_lr=min_lr,
                                            warmup_steps=warmup, total_steps=total)
                              for s in zoom])
    ax_zoom.axvline(warmup, color="grey", ls=":", lw=1)
    ax_zoom.set_title(f"zoom: warm-up to step {warmup}")
    for ax in (ax_all, ax_zoom):
        ax.set_xlabel("optimizer step")
        ax.axhline(min_lr, color="C3", ls="--", lw=1, label=f"min_lr {min_lr:g}")
        ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 3))
        ax.legend(fontsize=8, loc="center right")
    ax_all.set_ylabel("learning rate")
    fig.suptitle("GPT's recipe: warmup_cosine(max 6e-4, min 6e-5, warm-up 2000, total 600k)")
    fig.tight_layout()
    fig.savefig(out / "schedulers_warmup_cosine.png", dpi=100)
    plt.close(fig)
    return ("A linear warm-up keeps the first updates small while Adam's statistics are still "
            "noisy, then half a cosine brings the lr down to a tenth of its peak at step 600k, "
            "where it stays.")


def _plateau(out: Path) -> str:
    # A scripted validation loss: it improves, stalls, improves a little after each cut.
    g = torch.Generator().manual_seed(0)
    opt = _optimizer()
    sched = ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=5, cooldown=3,
                              min_lr=0.05)
    losses, lrs = [], []
    level = 2.0
    for _ in range(EPOCHS):
        lr = opt.param_groups[0]["lr"]
        # Progress is proportional to the lr until a floor that a smaller lr lowers.
        floor = 0.3 + 0.6 * lr
        level = max(floor, level - 0.08 * lr)
        loss = level + 0.03 * torch.randn(1, generator=g).item()
        sched.step(loss)
        losses.append(loss)
        lrs.append(lr)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(losses, color="C0", label="validation loss (simulated)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss", color="C0")
    ax2 = ax.twinx()
    ax2.step(range(EPOCHS), lrs, where="post", color="C3", label="lr")
    ax2.set_ylabel("learning rate", color="C3")
    ax2.set_yscale("log", base=2)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="upper right")
    ax.set_title("ReduceLROnPlateau(factor 0.5, patience 5, cooldown 3, min_lr 0.05)")
    fig.tight_layout()
    fig.savefig(out / "schedulers_plateau.png", dpi=100)
    plt.close(fig)
    cuts = sum(1 for a, b in zip(lrs, lrs[1:], strict=False) if b < a)
    return (f"When the loss has not improved for more than 5 epochs the lr is halved ({cuts} "
            "cuts here), each cut lets the loss drop a little further, and the cooldown keeps "
            f"the next cut at least {3 + 5 + 1} epochs away; the floor min_lr ends the cuts. "
            "(The loss is a toy model whose plateau sits lower for a smaller lr.)")


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    return {
        "schedulers_gallery.png": _gallery(out),
        "schedulers_warmup_cosine.png": _gpt_recipe(out),
        "schedulers_plateau.png": _plateau(out),
    }
