"""Hidden tests for phase0.data_pipeline.

Oracles: IDX and CIFAR-10 files written here with struct from known arrays (and the real MNIST
t10k files, checked against shared.data's reader and the published class counts), set
arithmetic on sample ids, brute-force window search for crops, and seeded statistical tests
whose false-failure rates are stated at each test.
"""

import gzip
import struct

import numpy as np
import pytest

from phase0.data_pipeline import (
    BatchIterator,
    make_transform,
    random_crop,
    random_horizontal_flip,
    read_cifar10_batch,
    read_idx,
)
from shared import assert_close, assert_equal, rng

# --- IDX -----------------------------------------------------------------------------------

# (type code, big-endian dtype as stored in the file, native dtype read_idx must return)
IDX_TYPES = [
    (0x08, ">u1", "uint8"),
    (0x09, ">i1", "int8"),
    (0x0B, ">i2", "int16"),
    (0x0C, ">i4", "int32"),
    (0x0D, ">f4", "float32"),
    (0x0E, ">f8", "float64"),
]
SHAPES = [(300,), (2, 257), (3, 4, 5), (2, 3, 1, 4)]  # 300 and 257 do not fit in one byte


def _idx_bytes(array: np.ndarray, code: int, stored: str) -> bytes:
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(stored).tobytes()


def _values(native: str, shape, seed: int) -> np.ndarray:
    g = rng(seed)
    if native.startswith("float"):
        return (g.normal(size=shape) * 1e3).astype(native)
    info = np.iinfo(native)
    return g.integers(info.min, info.max, size=shape, endpoint=True).astype(native)


@pytest.mark.parametrize("code, stored, native", IDX_TYPES, ids=[t[2] for t in IDX_TYPES])
@pytest.mark.parametrize("shape", SHAPES, ids=[f"rank{len(s)}" for s in SHAPES])
def test_read_idx_reads_every_type_and_rank(tmp_path, code, stored, native, shape):
    array = _values(native, shape, seed=len(shape) * 10 + code)
    path = tmp_path / "data-idx-file"
    path.write_bytes(_idx_bytes(array, code, stored))
    got = read_idx(path)
    what = f"read_idx of a {native} IDX file of shape {shape}"
    assert_equal(got, array, what=what, oracle="the array written with struct in the test",
                 hint="sizes are big-endian uint32 ('>I'); values big-endian, C order")
    assert got.dtype == np.dtype(native) and got.dtype.isnative, (
        f"{what}: dtype should be native-endian {native}, got {got.dtype.str}. Hint: convert the "
        "big-endian values with .astype(dtype.newbyteorder('=')).")


@pytest.mark.parametrize("code, stored, native", [IDX_TYPES[0], IDX_TYPES[4]],
                         ids=["uint8", "float32"])
def test_read_idx_reads_gzipped_files(tmp_path, code, stored, native):
    array = _values(native, (5, 7, 3), seed=1)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_idx_bytes(array, code, stored)))
    assert_equal(read_idx(path), array, what=f"read_idx of a gzipped {native} IDX file",
                 oracle="the array written with struct and gzip in the test",
                 hint="a name ending in .gz means gzip.decompress the bytes first")


def test_read_idx_returns_a_writable_array(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(_idx_bytes(np.arange(10, dtype=np.uint8), 0x08, ">u1"))
    out = read_idx(path)
    assert out.flags.writeable, ("read_idx must return an array that owns its memory; got a "
                                 "read-only view of the file's bytes. Hint: copy it.")


@pytest.mark.parametrize("magic", [b"\x01\x00\x08\x01", b"\x00\x01\x08\x01", b"\x00\x00\x07\x01",
                                   b"\x00\x00\x0a\x01"], ids=["byte0", "byte1", "code7", "codeA"])
def test_read_idx_rejects_a_bad_magic_number(tmp_path, magic):
    path = tmp_path / "bad-idx"
    path.write_bytes(magic + struct.pack(">I", 4) + bytes(4))
    with pytest.raises(ValueError, match="(?i)magic number"):
        read_idx(path)


def test_read_idx_rejects_a_truncated_payload(tmp_path):
    data = _idx_bytes(np.ones((4, 5), dtype=np.int32), 0x0C, ">i4")
    for name, cut in (("payload", len(data) - 1), ("header", 10), ("magic", 2)):
        path = tmp_path / f"cut-{name}"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="(?i)truncated"):
            read_idx(path)


def test_read_idx_rejects_a_truncated_gzipped_payload(tmp_path):
    data = _idx_bytes(np.ones((10, 3), dtype=np.uint8), 0x08, ">u1")
    path = tmp_path / "short-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(data[:-5]))
    with pytest.raises(ValueError, match="(?i)truncated"):
        read_idx(path)


def test_read_idx_rejects_bytes_after_the_payload(tmp_path):
    path = tmp_path / "long-idx"
    path.write_bytes(_idx_bytes(np.ones(6, dtype=np.uint8), 0x08, ">u1") + b"\x00\x00")
    with pytest.raises(ValueError):
        read_idx(path)


def _mnist_dir():
    """The folder of the real MNIST t10k files, or skip with a message saying how to get them."""
    try:
        from shared.data import data_dir
        folder = data_dir()
    except ImportError:  # an older checkout without shared.data
        import os
        from pathlib import Path
        folder = Path(os.environ["TTI_DATA_DIR"]) if os.environ.get("TTI_DATA_DIR") else None
    how = ("set TTI_DATA_DIR to a folder holding mnist-t10k-images-idx3-ubyte.gz and "
           "mnist-t10k-labels-idx1-ubyte.gz (the MNIST test set, gzipped IDX)")
    if folder is None:
        pytest.skip(f"TTI_DATA_DIR is not set, so the real MNIST files are not tested: {how}")
    for prefix in ("mnist-", ""):
        images = folder / f"{prefix}t10k-images-idx3-ubyte.gz"
        labels = folder / f"{prefix}t10k-labels-idx1-ubyte.gz"
        if images.is_file() and labels.is_file():
            return images, labels
    pytest.skip(f"{folder} has no MNIST t10k files: {how}")


def test_read_idx_reads_the_real_mnist_test_set():
    images_path, labels_path = _mnist_dir()
    images, labels = read_idx(images_path), read_idx(labels_path)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8, (
        f"MNIST t10k images should be uint8 (10000, 28, 28), got {images.dtype} {images.shape}")
    assert labels.shape == (10000,), f"MNIST t10k labels should be (10000,), got {labels.shape}"
    counts = np.bincount(labels.astype(np.int64), minlength=10)
    assert_equal(counts, np.array([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]),
                 what="class counts of the MNIST t10k labels",
                 oracle="the published MNIST test-set class counts")
    from shared.data import read_idx as reference_reader
    assert_equal(images, reference_reader(images_path), what="MNIST t10k images",
                 oracle="shared.data.read_idx (the grader's own IDX reader)")


# --- CIFAR-10 binary -----------------------------------------------------------------------


def test_read_cifar10_batch_round_trips(tmp_path):
    """Reading a CIFAR-10 batch gives back the images and labels that were written."""
    g = rng(5)
    images = g.integers(0, 256, size=(7, 3, 32, 32), dtype=np.uint8)
    labels = g.integers(0, 10, size=7)
    records = b"".join(struct.pack("B", int(lab)) + img.tobytes()  # label, then R, G, B planes
                       for lab, img in zip(labels, images, strict=True))
    path = tmp_path / "data_batch_1.bin"
    path.write_bytes(records)
    got_images, got_labels = read_cifar10_batch(path)
    assert_equal(got_images, images, what="images of a 7-record CIFAR-10 batch file",
                 oracle="the (N, 3, 32, 32) array written in the test",
                 hint="after the label byte come 1024 red, 1024 green, 1024 blue values: "
                      "reshape to (3, 32, 32), channels first")
    assert_equal(got_labels, labels, what="labels of a CIFAR-10 batch file",
                 oracle="the labels written in the test", hint="the first byte of each record")
    assert got_images.dtype == np.uint8, f"images should be uint8, got {got_images.dtype}"
    assert got_labels.dtype == np.int64, f"labels should be int64, got {got_labels.dtype}"


def test_read_cifar10_batch_rejects_a_partial_record(tmp_path):
    """Reading a CIFAR-10 batch rejects a file that ends mid-record."""
    path = tmp_path / "test_batch.bin"
    path.write_bytes(bytes(3073 * 2 + 100))
    with pytest.raises(ValueError):
        read_cifar10_batch(path)


def test_read_cifar10_batch_rejects_a_bad_label(tmp_path):
    """Reading a CIFAR-10 batch rejects a label outside the ten classes."""
    path = tmp_path / "test_batch.bin"
    path.write_bytes(bytes([3]) + bytes(3072) + bytes([12]) + bytes(3072))
    with pytest.raises(ValueError):
        read_cifar10_batch(path)


# --- BatchIterator -------------------------------------------------------------------------


def _ids_data(n: int):
    """X of shape (n, 2, 3) whose row i is filled with i; y = 1000 + i."""
    X = np.arange(n, dtype=np.float64)[:, None, None] * np.ones((1, 2, 3))
    return X, 1000 + np.arange(n)


def _epoch(it):
    """One epoch as a list of label arrays, after checking that X and y stay paired."""
    out = []
    for xb, yb in it:
        xb, yb = np.asarray(xb), np.asarray(yb)
        assert len(xb) == len(yb), f"a batch has {len(xb)} X rows but {len(yb)} labels"
        assert_equal(xb[:, 0, 0].astype(int) + 1000, yb, what="X rows against y in a batch",
                     oracle="row i of X is filled with i, y[i] = 1000 + i",
                     hint="index X and y with the same ids")
        out.append(yb.tolist())
    return out


@pytest.mark.parametrize("n, batch_size, drop_last, sizes", [
    (103, 10, False, [10] * 10 + [3]),
    (103, 10, True, [10] * 10),
    (100, 10, True, [10] * 10),
    (100, 10, False, [10] * 10),
    (5, 8, False, [5]),
    (5, 8, True, []),
    (4, 1, False, [1, 1, 1, 1]),
])
@pytest.mark.parametrize("shuffle", [False, True])
def test_batch_sizes_and_len(n, batch_size, drop_last, sizes, shuffle):
    """The batch iterator yields the right batch sizes and its len counts the batches."""
    X, y = _ids_data(n)
    it = BatchIterator(X, y, batch_size, shuffle=shuffle, drop_last=drop_last, seed=1)
    got = [len(b) for b in _epoch(it)]
    what = f"N={n}, batch_size={batch_size}, drop_last={drop_last}"
    assert got == sizes, (
        f"{what}: batch sizes should be {sizes}, got {got}. Hint: drop_last=False keeps the "
        "last partial batch; drop_last=True drops only a partial one.")
    assert len(it) == len(sizes), f"{what}: len(iterator) should be {len(sizes)}, got {len(it)}"


@pytest.mark.parametrize("drop_last", [False, True])
def test_every_sample_appears_once_per_epoch(drop_last):
    n = 103
    X, y = _ids_data(n)
    it = BatchIterator(X, y, 10, shuffle=True, drop_last=drop_last, seed=2)
    for epoch in range(3):
        seen = [v for b in _epoch(it) for v in b]
        assert len(seen) == len(set(seen)), f"epoch {epoch}: a sample appears twice"
        want = 100 if drop_last else 103
        assert len(seen) == want and set(seen) <= set(y.tolist()), (
            f"epoch {epoch} (drop_last={drop_last}): expected {want} distinct samples, got "
            f"{len(set(seen))}")


def test_shuffle_false_keeps_the_natural_order_every_epoch():
    """With shuffle off, every epoch keeps the natural order."""
    X, y = _ids_data(25)
    it = BatchIterator(X, y, 7, shuffle=False, seed=3)
    for epoch in range(2):
        order = [v for b in _epoch(it) for v in b]
        assert order == y.tolist(), f"epoch {epoch} with shuffle=False must be 0, 1, ..., N-1"


def test_each_epoch_has_a_new_order():
    X, y = _ids_data(50)
    it = BatchIterator(X, y, 16, shuffle=True, seed=4)
    orders = [tuple(v for b in _epoch(it) for v in b) for _ in range(4)]
    # Two uniform permutations of 50 items coincide with probability 1/50! ~ 3e-65.
    assert len(set(orders)) == 4, (
        f"4 epochs gave only {len(set(orders))} different orders. Hint: draw a new permutation "
        "from ONE generator made in __init__, not from default_rng(seed) made anew each epoch.")
    assert orders[0] != tuple(y.tolist()), "shuffle=True must not give the natural order"


def test_epochs_are_reproducible_from_the_seed():
    X, y = _ids_data(40)

    def three_epochs(seed):
        it = BatchIterator(X, y, 9, shuffle=True, seed=seed)
        return [_epoch(it) for _ in range(3)]

    np.random.seed(0)
    a = three_epochs(7)
    np.random.seed(1)  # NumPy's global generator must not matter
    b = three_epochs(7)
    assert a == b, ("two iterators built with the same seed must give the same epochs, "
                    "batch for batch. Hint: use np.random.default_rng(seed), not np.random.*")
    assert three_epochs(8) != a, "seeds 7 and 8 gave the same epochs: is the seed ignored?"


def test_transform_gets_the_x_batch_and_the_generator():
    X, y = _ids_data(30)
    calls = []

    def transform(xb, gen):
        calls.append(isinstance(gen, np.random.Generator))
        return -np.asarray(xb)

    it = BatchIterator(X, y, 8, shuffle=True, seed=5, transform=transform)
    for xb, yb in it:
        assert_equal(np.asarray(xb)[:, 0, 0].astype(int), -(np.asarray(yb) - 1000),
                     what="X batch after a transform that negates it",
                     oracle="-(row ids of the batch)", hint="apply the transform to X only")
    assert calls == [True] * 4, (
        f"the transform should be called once per batch (4 batches) with a "
        f"numpy.random.Generator as second argument; calls: {calls}")


def test_training_transform_is_reproducible_from_the_seed():
    X = rng(6).integers(0, 256, size=(40, 1, 8, 8), dtype=np.uint8)
    y = np.arange(40)

    def epoch(seed):
        it = BatchIterator(X, y, 16, shuffle=True, seed=seed, transform=make_transform(True))
        return [np.asarray(xb) for xb, _ in it]

    for a, b in zip(epoch(3), epoch(3), strict=True):
        assert_equal(a, b, what="augmented batches of two iterators with seed 3",
                     oracle="each other", hint="draw the augmentation from the iterator's rng")


def test_batch_iterator_rejects_bad_arguments():
    X, y = _ids_data(10)
    with pytest.raises(ValueError):
        BatchIterator(X, y[:9], 4)
    with pytest.raises(ValueError):
        BatchIterator(X, y, 0)


# --- random_crop ---------------------------------------------------------------------------


def _locate(crops: np.ndarray, image: np.ndarray, padding: int) -> np.ndarray:
    """For each crop (N, h, w) of one (H, W) image with distinct nonzero values, the (top, left)
    of the window of the zero-padded image it equals; (-1, -1) when none does."""
    padded = np.pad(image, padding)
    h, w = crops.shape[-2:]
    H, W = padded.shape
    offsets = [(t, l) for t in range(H - h + 1) for l in range(W - w + 1)]
    windows = np.stack([padded[t:t + h, l:l + w] for t, l in offsets])  # (K, h, w)
    match = np.all(crops[:, None] == windows[None], axis=(2, 3))  # (N, K)
    found = np.full((len(crops), 2), -1)
    hit = match.any(axis=1)
    found[hit] = np.array(offsets)[match.argmax(axis=1)[hit]]
    return found


def test_crop_is_a_window_of_the_padded_image():
    image = (np.arange(5 * 6) + 1).reshape(5, 6)  # distinct, nonzero: padding zeros stand out
    images = np.repeat(image[None], 300, axis=0)
    crops = random_crop(images, (4, 5), 2, rng(7))
    assert crops.shape == (300, 4, 5), f"crop shape should be (300, 4, 5), got {crops.shape}"
    where = _locate(np.asarray(crops), image, 2)
    bad = np.flatnonzero(where[:, 0] < 0)
    assert bad.size == 0, (
        f"{bad.size} of 300 crops (size (4, 5), padding 2, of a 5x6 image) are not a window of "
        f"the zero-padded image; first one:\n{crops[bad[0]]}\nHint: pad with zeros on all four "
        "sides, then slice [top:top + h, left:left + w].")


def test_crop_corners_are_uniform_and_reach_the_last_row_and_column():
    image = (np.arange(16) + 1).reshape(4, 4)
    n = 5000
    crops = random_crop(np.repeat(image[None], n, axis=0), 4, 2, rng(8))
    where = _locate(np.asarray(crops), image, 2)
    assert (where >= 0).all(), "every crop must be a window of the padded image"
    counts = np.zeros((5, 5), dtype=int)  # tops and lefts in {0, ..., 4}
    np.add.at(counts, (where[:, 0], where[:, 1]), 1)
    # Each of the 25 corners has probability 1/25: count ~ Binomial(5000, 0.04), mean 200,
    # sd 13.9. A bound of +-6 sd fails a correct crop with probability < 25 * 2e-9 = 5e-8.
    sd = np.sqrt(n * 0.04 * 0.96)
    lo, hi = 200 - 6 * sd, 200 + 6 * sd
    assert counts.min() >= lo and counts.max() <= hi, (
        f"crop corners (top, left) over 5000 crops (image 4x4, padding 2, size 4) should be "
        f"uniform on {{0..4}}x{{0..4}}, each ~200 times (allowed {lo:.0f}-{hi:.0f}); counts:\n"
        f"{counts}\nHint: a zero row or column means the last offset is never drawn "
        "(rng.integers' upper bound is exclusive); all in one cell means one corner for the "
        "whole batch instead of one per image.")


def test_crop_channels_share_the_window():
    base = (np.arange(6 * 6) + 1).reshape(6, 6)
    image = np.stack([base, base + 100, base + 200])  # (3, 6, 6)
    crops = np.asarray(random_crop(np.repeat(image[None], 200, axis=0), 5, 3, rng(9)))
    assert crops.shape == (200, 3, 5, 5), f"crop shape should be (200, 3, 5, 5), got {crops.shape}"
    where = [_locate(crops[:, c], image[c], 3) for c in range(3)]
    assert (where[0] >= 0).all(), "every channel's crop must be a window of its padded plane"
    assert (where[0] == where[1]).all() and (where[0] == where[2]).all(), (
        "all channels of an image must be cut at the same (top, left). Hint: for (N, C, H, W), "
        "pad and slice only the last two axes.")


def test_crop_without_padding_to_full_size_is_the_identity():
    images = rng(10).integers(0, 256, size=(10, 2, 5, 7), dtype=np.uint8)
    out = random_crop(images, (5, 7), 0, rng(11))
    assert_equal(out, images, what="random_crop to the full size with padding 0",
                 oracle="the input (only one window fits)")
    assert np.asarray(out).dtype == np.uint8, f"dtype must be kept (uint8), got {out.dtype}"


def test_crop_is_seeded_and_leaves_the_input_alone():
    images = rng(12).integers(1, 256, size=(20, 6, 6), dtype=np.uint8)
    before = images.copy()
    a = random_crop(images, 6, 2, rng(13))
    b = random_crop(images, 6, 2, rng(13))
    assert_equal(a, b, what="two crops with generators seeded alike", oracle="each other",
                 hint="draw every corner from the rng argument")
    assert_equal(images, before, what="the input after random_crop", oracle="its copy")


def test_crop_rejects_bad_arguments():
    images = np.ones((2, 4, 4))
    with pytest.raises(ValueError):
        random_crop(images, 9, 2, rng(0))  # 9 > 4 + 2*2
    with pytest.raises(ValueError):
        random_crop(np.ones((4, 4)), 2, 0, rng(0))  # not (N, H, W)


# --- random_horizontal_flip ----------------------------------------------------------------


def test_flip_mirrors_the_width_axis_of_every_image_or_none():
    images = rng(14).normal(size=(9, 2, 3, 5))  # H != W: flipping H is caught
    assert_equal(random_horizontal_flip(images, 1.0, rng(0)), images[..., ::-1],
                 what="random_horizontal_flip with p=1 on (N, C, H, W)",
                 oracle="images[..., ::-1]", hint="reverse W, the last axis")
    assert_equal(random_horizontal_flip(images, 0.0, rng(0)), images,
                 what="random_horizontal_flip with p=0", oracle="the input")


def test_flip_decides_per_image_for_all_channels_together():
    images = rng(15).normal(size=(400, 3, 4, 6))
    out = np.asarray(random_horizontal_flip(images, 0.5, rng(16)))
    same = np.all(out == images, axis=(1, 2, 3))
    mirrored = np.all(out == images[..., ::-1], axis=(1, 2, 3))
    assert np.all(same | mirrored), (
        "each image must come out either unchanged or mirrored as a whole (all channels). "
        "Hint: one coin per image, applied to all its channels.")
    # With p=0.5 over 400 images, all-or-none has probability 2 * 0.5**400.
    assert same.any() and mirrored.any(), "p=0.5 must flip some images and keep others"


@pytest.mark.parametrize("p", [0.3, 0.8])
def test_flip_frequency_matches_p(p):
    """Images are flipped with frequency p."""
    n = 20_000
    images = np.zeros((n, 2, 3))
    images[:, :, 0] = 1.0  # a marker in the first column: it moves to the last when flipped
    out = np.asarray(random_horizontal_flip(images, p, rng(17)))
    flipped = int(np.sum(out[:, 0, -1] == 1.0))
    # flipped ~ Binomial(20000, p); +-6 sd fails a correct flip with probability < 2e-9.
    sd = np.sqrt(n * p * (1 - p))
    assert abs(flipped - n * p) <= 6 * sd, (
        f"random_horizontal_flip with p={p} flipped {flipped} of {n} images; expected "
        f"{n * p:.0f} +- {6 * sd:.0f}. Hint: flip when rng.random() < p, once per image.")


def test_flip_is_seeded_and_leaves_the_input_alone():
    images = rng(18).normal(size=(30, 4, 4))
    before = images.copy()
    a = random_horizontal_flip(images, 0.5, rng(19))
    b = random_horizontal_flip(images, 0.5, rng(19))
    assert_equal(a, b, what="two flips with generators seeded alike", oracle="each other")
    assert_equal(images, before, what="the input after random_horizontal_flip", oracle="its copy",
                 hint="return a new array; do not flip in place")


def test_flip_rejects_a_bad_probability():
    with pytest.raises(ValueError):
        random_horizontal_flip(np.ones((2, 3, 3)), 1.5, rng(0))


# --- make_transform ------------------------------------------------------------------------


def test_eval_transform_is_deterministic_and_draws_nothing():
    images = rng(20).normal(size=(16, 3, 8, 8))
    gen = rng(21)
    state = gen.bit_generator.state
    evaluate = make_transform(train=False, padding=4, p=1.0)
    X, y = images, np.arange(16)
    for _ in range(2):
        out = evaluate(images, gen)
        assert_equal(out, images, what="make_transform(train=False, p=1.0) output",
                     oracle="the input images", hint="augmentation must be off at evaluation")
    assert gen.bit_generator.state == state, "the evaluation transform must not draw from rng"
    it = BatchIterator(X, y, 16, shuffle=False, transform=evaluate)
    for xb, _ in it:
        assert_equal(xb, images, what="a BatchIterator batch with the evaluation transform",
                     oracle="the images, in order, unchanged")


def test_train_transform_crops_back_to_size_then_flips():
    image = (np.arange(6 * 7) + 1).reshape(6, 7).astype(float)
    images = np.repeat(image[None, None], 300, axis=0)  # (300, 1, 6, 7)
    out = np.asarray(make_transform(train=True, padding=2, p=0.5)(images, rng(22)))
    assert out.shape == images.shape, (
        f"the training transform must keep the shape {images.shape} (crop back to H x W after "
        f"padding), got {out.shape}")
    plain = _locate(out[:, 0], image, 2)
    flipped = _locate(out[:, 0, :, ::-1], image, 2)
    ok = (plain[:, 0] >= 0) | (flipped[:, 0] >= 0)
    assert ok.all(), ("every training output must be a (possibly mirrored) window of the "
                      "padded image")
    # With 25 corners and p=0.5, a correct transform leaves a given image unchanged with
    # probability 1/50; it leaves all 300 unchanged with probability 50**-300.
    changed = ~np.all(out == images, axis=(1, 2, 3))
    assert changed.any(), "make_transform(train=True) must augment (crop and flip)"
    ever_flipped = (flipped[:, 0] >= 0) & (plain[:, 0] < 0)
    assert ever_flipped.any(), "with p=0.5 some training outputs must be mirrored"


def test_train_transform_uses_padding_and_p():
    """The train transform passes its padding and flip probability on."""
    images = rng(23).normal(size=(12, 2, 5, 5))
    assert_close(make_transform(True, padding=0, p=0.0)(images, rng(0)), images,
                 what="make_transform(True, padding=0, p=0)", oracle="the input (nothing to do)")
    assert_close(make_transform(True, padding=0, p=1.0)(images, rng(0)), images[..., ::-1],
                 what="make_transform(True, padding=0, p=1)", oracle="images[..., ::-1]",
                 hint="pass p through to the flip")
    out = np.asarray(make_transform(True, padding=3, p=0.0)(images, rng(1)))
    # Some of 12 crops land off-centre unless padding is ignored: (1/49)**12 ~ 2e-21.
    assert not np.allclose(out, images), "padding=3 must let the crop move off-centre"
