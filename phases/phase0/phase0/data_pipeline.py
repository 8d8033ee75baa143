"""A NumPy data pipeline: batches, shuffling, augmentation and IDX files.

What torch.utils.data.DataLoader and torchvision.transforms do, written in NumPy: read the
data from disk (MNIST's IDX files, CIFAR-10's binary batches), cut it into mini-batches in a
fresh random order every epoch, and augment training images with a random crop and a
horizontal flip, the ResNet recipe for CIFAR-10 (pad 4 pixels, crop back, flip half).

NumPy and the standard library only (gzip, os, pathlib). No torch, no torchvision.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import numpy as np


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the format of the MNIST files) into an array.

    Layout, all integers big-endian:
        bytes 0-1   0x00 0x00
        byte  2     the element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                    0x0D float32, 0x0E float64
        byte  3     the rank R (number of dimensions)
        then        R unsigned 32-bit big-endian integers: the sizes of the dimensions
        then        the values, big-endian, in C order (last index fastest)

    A file whose name ends in ".gz" is gzip-compressed: decompress it first (the gzip module).
    You may instead recognise gzip by its first two bytes, 0x1f 0x8b.

    Args:
        path: the file to read.

    Returns:
        An array of shape (d_1, ..., d_R) and the element type above, in the machine's native
        byte order (e.g. dtype int16, not ">i2"), that owns its memory (not a read-only view
        of the file's bytes).

    Raises:
        ValueError: with "magic number" in the message if the first two bytes are not zero or
            the type code is unknown; with "truncated" in the message if the file ends before
            the header or the payload does; and if there are bytes left over after the payload.
    """
    raise NotImplementedError("phase0.data_pipeline.read_idx")


def read_cifar10_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a CIFAR-10 binary batch file (data_batch_1.bin, ..., test_batch.bin).

    The file is a sequence of 3073-byte records, one per image: one label byte (0-9), then
    3072 pixel bytes: the 1024 red values of the 32x32 image row by row, then the 1024 green,
    then the 1024 blue.

    Args:
        path: the file to read (not compressed).

    Returns:
        (images, labels): images a (N, 3, 32, 32) uint8 array (channels first, images[i, 0]
        is the red plane of record i), labels a (N,) int64 array.

    Raises:
        ValueError: if the file size is not a multiple of 3073 bytes (the message gives the
            size), or a label is above 9.
    """
    raise NotImplementedError("phase0.data_pipeline.read_cifar10_batch")


class BatchIterator:
    """Mini-batches of (X, y), one pass over the data (an epoch) per `for` loop.

        it = BatchIterator(X, y, batch_size=64, shuffle=True, seed=0)
        for epoch in range(3):
            for xb, yb in it:        # each `for` is a new epoch, in a new order
                ...

    Order: with shuffle=False, samples come in order 0, 1, ..., N-1 every epoch. With
    shuffle=True, every epoch uses a new random permutation of 0..N-1. Make one generator
    np.random.default_rng(seed) in __init__ and draw each epoch's permutation from it, so that
    two iterators built with the same seed give the same sequence of epochs, while epochs of
    one iterator differ from each other. Never use NumPy's global generator.

    Batches: consecutive slices of the epoch's order, of batch_size samples; the last batch
    has the N % batch_size leftover samples, unless drop_last=True drops it (when
    N % batch_size == 0 nothing is left over and nothing is dropped). Every sample appears
    exactly once per epoch (except the dropped ones).

    Transform: when given, every X batch is passed through transform(xb, rng), where rng is
    the iterator's generator (so augmentation is reproducible from the seed too); y is not
    transformed. Use make_transform(train=True) for training and make_transform(train=False)
    (or None) for evaluation.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = True,
                 drop_last: bool = False, seed: int = 0,
                 transform: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None
                 ) -> None:
        """Store the data and settings; make the random generator.

        Args:
            X: (N, ...) array of samples; y: (N,) labels.
            batch_size: samples per batch, >= 1.
            shuffle, drop_last, seed, transform: see the class docstring.

        Raises:
            ValueError: if len(X) != len(y) or batch_size < 1.
        """
        raise NotImplementedError("phase0.data_pipeline.BatchIterator.__init__")

    def __len__(self) -> int:
        """Number of batches per epoch: ceil(N / batch_size), or floor with drop_last=True."""
        raise NotImplementedError("phase0.data_pipeline.BatchIterator.__len__")

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch: yield (X_batch, y_batch) pairs, X_batch (B, ...) and y_batch (B,).

        X_batch is X[indices] (after the transform, if any) and y_batch is y[indices], for the
        same indices. Starting a new iteration starts a new epoch (a new order).
        """
        raise NotImplementedError("phase0.data_pipeline.BatchIterator.__iter__")


def random_crop(images: np.ndarray, size: int | tuple[int, int], padding: int,
                rng: np.random.Generator) -> np.ndarray:
    """Zero-pad every image, then cut out a random window of the given size.

    Each image is padded with `padding` zeros on all four sides, to (H + 2p, W + 2p); then a
    window of (h, w) = size is cut at a top-left corner (top, left) drawn uniformly from
    top in {0, 1, ..., H + 2p - h} and left in {0, 1, ..., W + 2p - w} (both ends included),
    independently for every image. All channels of an image share its window.

    Args:
        images: (N, H, W) or (N, C, H, W) array, any dtype.
        size: the window, an int for (size, size) or a tuple (h, w); h <= H + 2p, w <= W + 2p.
        padding: p >= 0.
        rng: the generator to draw the corners from.

    Returns:
        (N, h, w) or (N, C, h, w) array, images' dtype, a new array (images is not modified).

    Raises:
        ValueError: if images is not 3-D or 4-D, padding < 0, or the window is larger than
            the padded image.
    """
    raise NotImplementedError("phase0.data_pipeline.random_crop")


def random_horizontal_flip(images: np.ndarray, p: float,
                           rng: np.random.Generator) -> np.ndarray:
    """Mirror each image left-right (reverse its last axis, W) with probability p.

    Every image is flipped or not independently of the others (all channels of an image
    together). p=0 never flips, p=1 always does.

    Args:
        images: (N, H, W) or (N, C, H, W) array, any dtype.
        p: flip probability in [0, 1].
        rng: the generator to draw the coin flips from.

    Returns:
        Array of images' shape and dtype, a new array (images is not modified).

    Raises:
        ValueError: if images is not 3-D or 4-D, or p is outside [0, 1].
    """
    raise NotImplementedError("phase0.data_pipeline.random_horizontal_flip")


def make_transform(train: bool, padding: int = 4,
                   p: float = 0.5) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """The augmentation for training, or none for evaluation, as a transform for BatchIterator.

    train=True: a function (images, rng) -> random_horizontal_flip(random_crop(images,
    size=(H, W), padding=padding, rng=rng), p=p, rng=rng), so the output has the input's
    shape (pad, crop back to the original size, then flip).

    train=False: a function (images, rng) -> images, unchanged: evaluation sees the data as
    it is, every time, and draws nothing from rng.

    Args:
        train: training (augment) or evaluation (identity).
        padding: the random crop's padding (train only).
        p: the flip probability (train only).

    Returns:
        The transform, a function of (images, rng) for (N, H, W) or (N, C, H, W) images.
    """
    raise NotImplementedError("phase0.data_pipeline.make_transform")
