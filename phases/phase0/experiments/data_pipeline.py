"""Data pipeline: MNIST read from its IDX bytes, batch order by epoch, and augmentation."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from phase0.data_pipeline import (
    BatchIterator,
    make_transform,
    random_crop,
    random_horizontal_flip,
    read_idx,
)
from shared.data import DataNotFoundError, data_dir


def _mnist_files() -> tuple[Path, Path]:
    """The gzipped MNIST test-set IDX files in TTI_DATA_DIR (read with YOUR read_idx)."""
    folder = data_dir()
    for prefix in ("mnist-", ""):
        images = folder / f"{prefix}t10k-images-idx3-ubyte.gz" if folder else None
        labels = folder / f"{prefix}t10k-labels-idx1-ubyte.gz" if folder else None
        if images and labels and images.is_file() and labels.is_file():
            return images, labels
    raise DataNotFoundError(
        "This experiment reads the MNIST test set with your read_idx: set TTI_DATA_DIR to a "
        "folder holding t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (or the "
        f"mnist- prefixed names). TTI_DATA_DIR is {str(folder) if folder else 'not set'}.")


def _show(ax: plt.Axes, image: np.ndarray, title: str = "") -> None:
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=255)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


def _digits(out: Path, images: np.ndarray, labels: np.ndarray, header: bytes) -> None:
    fig, axes = plt.subplots(3, 10, figsize=(7, 2.9))
    for i, ax in enumerate(axes.ravel()):
        _show(ax, images[i], f"label {labels[i]}")
    fig.suptitle(f"The first 30 MNIST test digits, read by read_idx: images {images.dtype} "
                 f"{images.shape}\nfile header (after gunzip): {header.hex(' ')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "mnist_idx.png", dpi=100)
    plt.close(fig)


def _batches(out: Path) -> None:
    # 50 samples sorted by class, as many files are: 5 each of the digits 0-9.
    y = np.repeat(np.arange(10), 5)
    X = np.arange(len(y))
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.4), sharey=True)
    for ax, shuffle in zip(axes, [False, True], strict=True):
        it = BatchIterator(X, y, batch_size=16, shuffle=shuffle, seed=0)
        rows = []
        for _ in range(4):  # four epochs: one `for` loop each
            rows.append(np.concatenate([yb for _, yb in it]))
        ax.imshow(np.array(rows), cmap="tab10", vmin=-0.5, vmax=9.5, aspect="auto",
                  interpolation="nearest")
        # Batch boundaries: 16, 32, 48, then the short last batch of 50 % 16 = 2.
        for edge in (16, 32, 48):
            ax.axvline(edge - 0.5, color="k", lw=1.5)
        ax.set_yticks(range(4), [f"epoch {e}" for e in range(4)])
        ax.set_xlabel("position in the epoch")
        ax.set_title(f"shuffle={shuffle}, {len(it)} batches of 16, 16, 16, 2", fontsize=9)
    fig.suptitle("Labels in the order BatchIterator yields them (colour = class; black lines = "
                 "batch boundaries)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "batch_order.png", dpi=100)
    plt.close(fig)


def _augmentation(out: Path, images: np.ndarray, labels: np.ndarray) -> None:
    digit = images[:1]                               # (1, 28, 28), a 7
    g = np.random.default_rng(0)
    train, evaluate = make_transform(train=True), make_transform(train=False)
    rows = [
        ("random_crop\npadding 4", [random_crop(digit, 28, 4, g)[0] for _ in range(7)]),
        ("train\ntransform", [train(digit, g)[0] for _ in range(7)]),
        ("eval\ntransform", [evaluate(digit, g)[0] for _ in range(7)]),
    ]
    # Flipping: harmless for CIFAR's cats and trucks, but a mirrored digit is no longer a digit.
    samples = np.stack([images[np.flatnonzero(labels == d)[0]] for d in (2, 3, 4, 5, 6, 7, 9)])
    rows.append(("flip, p = 1\n(other digits)", list(random_horizontal_flip(samples, 1.0, g))))

    fig, axes = plt.subplots(4, 8, figsize=(7, 3.9))
    for r, (name, imgs) in enumerate(rows):
        _show(axes[r, 0], digit[0] if r < 3 else samples[0], "input" if r == 0 else "")
        axes[r, 0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
        for c, img in enumerate(imgs):
            _show(axes[r, c + 1], img, "random draws →" if (r, c) == (0, 0) else "")
    fig.suptitle("Augmentation: random shifts keep the digit; mirroring does not", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "augmentation.png", dpi=100)
    plt.close(fig)


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    images_path, labels_path = _mnist_files()
    images, labels = read_idx(images_path), read_idx(labels_path)
    import gzip  # only to show the raw header bytes next to what read_idx made of them

    with gzip.open(images_path) as f:
        header = f.read(16)
    _digits(out, images, labels, header)
    _batches(out)
    _augmentation(out, images, labels)
    return {
        "mnist_idx.png": (
            "The 16 header bytes say it all: 00 00, type 08 (uint8), rank 03, then the sizes "
            "00002710 = 10000, 0000001c = 28 and 28, big-endian. The pixels follow, row by row."),
        "batch_order.png": (
            "Without shuffling, every epoch replays the file order, so each batch holds only a "
            "few classes; with shuffling, each epoch is a new permutation and every batch is a "
            "mix. The last batch is the 50 % 16 = 2 leftovers."),
        "augmentation.png": (
            "Padding by 4 and cropping back shifts the digit by up to 4 pixels each way; the "
            "training transform also flips half the time, while the evaluation transform "
            "returns the image untouched. The last row is why MNIST models usually skip flips."),
    }
