"""A short MNIST training run of the capstone: its loss and schedule, confusions and mistakes."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase1.capstone_mnist import build_model, evaluate, preprocess, train
from phase1.schedulers import warmup_cosine
from shared.data import load_mnist

# A short run so the site builds quickly: the README's recipe trains 1000 steps and
# reaches about 97%; 300 steps on the same 8,000 images already give about 96%.
STEPS, BATCH, LR, MIN_LR, WARMUP = 300, 128, 2e-3, 2e-5, 100
N_TRAIN = 8000  # train on test images 0..7999, score on 8000..9999 (as the tests do)


def _training_plot(out: Path, losses: list[float], acc: float) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(losses, color="C0", alpha=0.3, lw=1, label="loss per step")
    # A 20-step moving average shows the trend through the mini-batch noise.
    smooth = torch.tensor(losses).unfold(0, 20, 1).mean(1)
    ax.plot(range(19, len(losses)), smooth, color="C0", lw=2, label="20-step average")
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (log)", color="C0")
    ax2 = ax.twinx()
    lrs = [warmup_cosine(t, max_lr=LR, min_lr=MIN_LR, warmup_steps=WARMUP, total_steps=STEPS)
           for t in range(STEPS)]
    ax2.plot(lrs, color="C3", ls="--", label="learning rate")
    ax2.set_ylabel("learning rate", color="C3")
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="upper right")
    ax.set_title(f"{STEPS} steps of AdamW, batch {BATCH}, on {N_TRAIN:,} digits: "
                 f"{acc:.1%} on 2,000 held-out digits", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "capstone_training.png", dpi=100)
    plt.close(fig)


def _confusion_plot(out: Path, pred: torch.Tensor, y: torch.Tensor) -> None:
    conf = torch.zeros(10, 10, dtype=torch.long)
    conf.index_put_((y, pred), torch.ones_like(y), accumulate=True)
    off = conf.clone().fill_diagonal_(0)  # the diagonal would drown the mistakes' colours
    fig, ax = plt.subplots(figsize=(6, 5))
    im = ax.imshow(off, cmap="Reds")
    for i in range(10):
        for j in range(10):
            if conf[i, j] > 0:
                ax.text(j, i, int(conf[i, j]), ha="center", va="center", fontsize=7,
                        color="grey" if i == j else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title("Held-out confusions (diagonal in grey: correct)", fontsize=10)
    fig.colorbar(im, ax=ax, label="mistakes")
    fig.tight_layout()
    fig.savefig(out / "capstone_confusion.png", dpi=100)
    plt.close(fig)


def _mistakes_plot(out: Path, images, probs: torch.Tensor, y: torch.Tensor) -> None:
    conf, pred = probs.max(dim=1)
    wrong = (pred != y).nonzero().flatten()
    worst = wrong[conf[wrong].argsort(descending=True)][:16]  # the most confident mistakes
    fig, axes = plt.subplots(2, 8, figsize=(8, 2.9))
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, worst.tolist(), strict=False):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(f"says {int(pred[i])} ({conf[i]:.0%})\nlabel {int(y[i])}", fontsize=7)
    fig.suptitle("The held-out digits the model gets wrong most confidently", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "capstone_mistakes.png", dpi=100)
    plt.close(fig)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    images, labels = load_mnist("test")  # DataNotFoundError says how to get the data
    x, y = preprocess(images), torch.from_numpy(labels).long()
    model = build_model(seed=0)
    losses = train(model, x[:N_TRAIN], y[:N_TRAIN], steps=STEPS, batch_size=BATCH, seed=0,
                   lr=LR, min_lr=MIN_LR, warmup_steps=WARMUP)
    x_val, y_val = x[N_TRAIN:], y[N_TRAIN:]
    acc = evaluate(model, x_val, y_val)  # leaves the model in eval mode
    with torch.no_grad():
        probs = model(x_val).softmax(dim=1)
    pred = probs.argmax(dim=1)

    _training_plot(out, losses, acc)
    _confusion_plot(out, pred, y_val)
    _mistakes_plot(out, images[N_TRAIN:], probs, y_val)
    return {
        "capstone_training.png":
            "Your MLP trained by your AdamW on your warm-up + cosine schedule. The loss drops "
            "steeply during the warm-up, then keeps falling as the cosine brings the rate "
            "down, and the step-to-step noise of the mini-batches shrinks with the rate.",
        "capstone_confusion.png":
            "Where the remaining errors go: counts of held-out digits by true and predicted "
            "class. The mistakes gather in a few cells, digits whose strokes overlap (such "
            "as a 7 read as a 2, or a 3 read as an 8), rather than spreading over all 90.",
        "capstone_mistakes.png":
            "The most confident errors. Some are sloppy digits that a person would hesitate "
            "over too, some are labels one might argue with. An MLP sees 784 unrelated "
            "pixels, with no built-in notion of strokes or of which pixels are neighbours.",
    }
