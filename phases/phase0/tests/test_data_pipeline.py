"""Public smoke tests for phase0.data_pipeline (the hidden suite is more thorough).

Oracles: IDX bytes written here with struct, set arithmetic on sample ids, and invariants
(flipping twice is the identity; evaluation leaves images unchanged).
"""

import struct

import numpy as np

from phase0.data_pipeline import BatchIterator, make_transform, random_horizontal_flip, read_idx
from shared import assert_equal, rng


def test_read_idx_reads_a_small_uint8_file(tmp_path):
    images = rng(0).integers(0, 256, size=(3, 4, 5), dtype=np.uint8)
    path = tmp_path / "tiny-idx3-ubyte"
    # magic 0x00000803 (uint8, rank 3), then the three sizes as big-endian uint32, then pixels
    path.write_bytes(struct.pack(">BBBB3I", 0, 0, 0x08, 3, 3, 4, 5) + images.tobytes())
    assert_equal(read_idx(path), images, what="read_idx of a (3, 4, 5) uint8 IDX file",
                 oracle="the array written with struct.pack",
                 hint="the header is 4 magic bytes then one big-endian uint32 per dimension")


def test_batch_iterator_covers_every_sample_once_per_epoch():
    X = np.arange(23)[:, None] * np.ones((1, 2))  # row i is [i, i]
    y = np.arange(23)
    it = BatchIterator(X, y, batch_size=5, shuffle=True, seed=0)
    batches = list(it)
    sizes = [len(yb) for _, yb in batches]
    assert sizes == [5, 5, 5, 5, 3], (
        f"23 samples in batches of 5 (drop_last=False) should give sizes [5, 5, 5, 5, 3], got "
        f"{sizes}. Hint: keep the last partial batch.")
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen.tolist()) == list(range(23)), "every sample must appear once per epoch"
    for xb, yb in batches:
        assert_equal(xb[:, 0].astype(int), yb, what="X rows against y labels in one batch",
                     oracle="row i of X is [i, i], label i", hint="index X and y with the same ids")


def test_flipping_twice_is_the_identity():
    images = rng(1).normal(size=(6, 3, 4, 5))
    once = random_horizontal_flip(images, 1.0, rng(2))
    assert_equal(once, images[..., ::-1], what="random_horizontal_flip with p=1",
                 oracle="images[..., ::-1] (reverse the width axis)",
                 hint="a horizontal flip reverses the last axis (W), not H")
    assert_equal(random_horizontal_flip(once, 1.0, rng(3)), images,
                 what="flipping twice with p=1", oracle="the original images")


def test_eval_transform_is_the_identity():
    images = rng(4).integers(0, 256, size=(8, 1, 6, 6), dtype=np.uint8)
    evaluate = make_transform(train=False)
    for call in range(2):
        assert_equal(evaluate(images, rng(call)), images, what=f"make_transform(train=False), "
                     f"call {call}", oracle="the input images, unchanged",
                     hint="no augmentation at evaluation time")
