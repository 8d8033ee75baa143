"""A NumPy data pipeline: batches, shuffling, augmentation and IDX files.

What torch.utils.data.DataLoader and torchvision.transforms do, in NumPy: read the data from
disk (the IDX format of MNIST, http://yann.lecun.com/exdb/mnist/, and the binary format of
CIFAR-10, https://www.cs.toronto.edu/~kriz/cifar.html), cut it into mini-batches in a fresh
random order every epoch, and augment training images with the random crop and horizontal
flip of the ResNet recipe (He et al., "Deep Residual Learning for Image Recognition", 2016,
section 4.2: pad 4 pixels, crop back to 32x32, flip half of the images).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# The third byte of an IDX magic number names the element type; the data are big-endian.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_CIFAR_RECORD = 1 + 3 * 32 * 32  # one label byte, then 3072 pixel bytes (R, G, B planes)


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
    raw = Path(path).read_bytes()
    if str(path).endswith(".gz") or raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX file: {len(raw)} bytes, not even a magic number")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path}: bad IDX magic number 0x{raw[:4].hex()}: expected 00 00, a "
                         f"type code in {sorted(hex(c) for c in _IDX_DTYPES)}, then the rank")
    dtype, rank = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * rank
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header: rank {rank} needs {header} bytes, "
                         f"the file has {len(raw)}")
    # ">u4": big-endian unsigned 32-bit; reading these little-endian turns 10000 into 270991360.
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=rank, offset=4))
    count = int(np.prod(dims, dtype=np.int64))
    need, have = count * dtype.itemsize, len(raw) - header
    if have < need:
        raise ValueError(f"{path}: truncated IDX payload: shape {dims} of {dtype.name} needs "
                         f"{need} bytes, the file has {have}")
    if have > need:
        raise ValueError(f"{path}: {have - need} bytes left over after the IDX payload of "
                         f"shape {dims}")
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))  # a native-endian copy we own


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
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % _CIFAR_RECORD:
        raise ValueError(f"{path}: {raw.size} bytes is not a whole number of {_CIFAR_RECORD}-byte "
                         "CIFAR-10 records")
    records = raw.reshape(-1, _CIFAR_RECORD)  # (N, 3073)
    labels = records[:, 0].astype(np.int64)
    if labels.size and labels.max() > 9:
        raise ValueError(f"{path}: label {labels.max()} is not a CIFAR-10 class (0-9)")
    images = records[:, 1:].reshape(-1, 3, 32, 32).copy()  # (N, C, H, W)
    return images, labels


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
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.X, self.y = X, y
        self.batch_size = batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.transform = transform
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        """Number of batches per epoch: ceil(N / batch_size), or floor with drop_last=True."""
        n, b = len(self.y), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch: yield (X_batch, y_batch) pairs, X_batch (B, ...) and y_batch (B,).

        X_batch is X[indices] (after the transform, if any) and y_batch is y[indices], for the
        same indices. Starting a new iteration starts a new epoch (a new order).
        """
        n = len(self.y)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            idx = order[start:start + self.batch_size]
            xb = self.X[idx]
            if self.transform is not None:
                xb = self.transform(xb, self.rng)
            yield xb, self.y[idx]


def _check_images(images: np.ndarray) -> None:
    if images.ndim not in (3, 4):
        raise ValueError(f"images must be (N, H, W) or (N, C, H, W), got shape {images.shape}")


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
    _check_images(images)
    h, w = (size, size) if isinstance(size, (int, np.integer)) else size
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    H, W = images.shape[-2] + 2 * padding, images.shape[-1] + 2 * padding
    if not (0 < h <= H and 0 < w <= W):
        raise ValueError(f"crop ({h}, {w}) does not fit in the padded image ({H}, {W})")
    pad = [(0, 0)] * (images.ndim - 2) + [(padding, padding)] * 2
    padded = np.pad(images, pad)
    n = images.shape[0]
    # integers' upper bound is exclusive: +1 so that the last row and column can be reached.
    tops = rng.integers(0, H - h + 1, size=n)
    lefts = rng.integers(0, W - w + 1, size=n)
    # A read-only view of every (h, w) window: windows[i, ..., t, l] is
    # padded[i, ..., t:t + h, l:l + w]; shape (N, [C,] H - h + 1, W - w + 1, h, w).
    windows = sliding_window_view(padded, (h, w), axis=(-2, -1))
    if images.ndim == 3:
        return windows[np.arange(n), tops, lefts]  # (N, h, w), a copy
    return windows[np.arange(n), :, tops, lefts]  # (N, C, h, w): the channels share a window


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
    _check_images(images)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    flip = rng.random(images.shape[0]) < p  # (N,) one coin per image
    out = images.copy()
    out[flip] = images[flip][..., ::-1]
    return out


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
    if not train:
        return lambda images, rng: images

    def augment(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        size = images.shape[-2:]
        return random_horizontal_flip(random_crop(images, size, padding, rng), p, rng)

    return augment
