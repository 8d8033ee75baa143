"""shared.data: the IDX reader, where the loaders look, what they say when data is missing,
and (when TTI_DATA_DIR points at it) the real data's known counts.

Oracles: IDX bytes written here with `struct` (not with the reader's own code), generated
arrays, and the published sizes and class counts of MNIST, Fashion-MNIST and Tiny
Shakespeare.
"""

from __future__ import annotations

import gzip
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shared import data
from shared.data import (
    DataNotFoundError,
    data_dir,
    load_mnist,
    load_or_skip,
    load_tiny_shakespeare,
    read_idx,
)

REPO = Path(__file__).resolve().parents[2]

# IDX type code -> (struct format character, NumPy dtype of the result)
IDX_TYPES = {0x08: ("B", np.uint8), 0x09: ("b", np.int8), 0x0B: ("h", np.int16),
             0x0C: ("i", np.int32), 0x0D: ("f", np.float32), 0x0E: ("d", np.float64)}


def idx_bytes(values: list[Any], dims: tuple[int, ...], code: int) -> bytes:
    """An IDX file, written with struct: magic, big-endian dims, big-endian values."""
    fmt = IDX_TYPES[code][0]
    return (struct.pack(">BBBB", 0, 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims)
            + struct.pack(f">{len(values)}{fmt}", *values))


def write(path: Path, payload: bytes, gz: bool | None = None) -> Path:
    """Write payload, gzipped when gz (default: when the name ends in .gz)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gz = path.name.endswith(".gz") if gz is None else gz
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


# --- the IDX reader ------------------------------------------------------------------------

VALUES = {
    0x08: [0, 1, 127, 128, 254, 255],
    0x09: [-128, -1, 0, 1, 100, 127],
    0x0B: [-32768, -2, 0, 3, 1000, 32767],
    0x0C: [-(2**31), -5, 0, 7, 123456789, 2**31 - 1],
    0x0D: [-1.5, -0.25, 0.0, 0.5, 3.0, 1e30],
    0x0E: [-1e300, -2.5, 0.0, 1e-300, 0.1, np.pi],
}


@pytest.mark.parametrize("code", sorted(IDX_TYPES), ids=lambda c: IDX_TYPES[c][1].__name__)
@pytest.mark.parametrize("dims", [(6,), (2, 3), (1, 3, 2)], ids=["rank1", "rank2", "rank3"])
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_round_trip(tmp_path: Path, code: int, dims: tuple[int, ...], gz: bool) -> None:
    values = VALUES[code]
    path = write(tmp_path / ("f.idx.gz" if gz else "f.idx"), idx_bytes(values, dims, code))
    got = read_idx(path)
    dtype = IDX_TYPES[code][1]
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    assert got.shape == dims
    expected = np.array(values, dtype=dtype).reshape(dims)
    np.testing.assert_array_equal(got, expected)
    got[...] = 0  # a writable copy, not a view of the file's bytes


def test_idx_gzip_is_detected_by_content(tmp_path: Path) -> None:
    path = write(tmp_path / "no-extension", idx_bytes([1, 2, 3], (3,), 0x08), gz=True)
    np.testing.assert_array_equal(read_idx(path), [1, 2, 3])
    path = write(tmp_path / "raw.gz", idx_bytes([4, 5], (2,), 0x08), gz=False)
    np.testing.assert_array_equal(read_idx(str(path)), [4, 5])


def test_idx_rank_zero_and_empty(tmp_path: Path) -> None:
    assert read_idx(write(tmp_path / "a", idx_bytes([9], (), 0x08))).tolist() == 9
    assert read_idx(write(tmp_path / "b", idx_bytes([], (0, 28), 0x08))).shape == (0, 28)


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "not an IDX file"),
        (b"PK\x03\x04 not idx", "not an IDX file"),
        (b"\x00\x00", "not an IDX file"),
        (b"", "not an IDX file"),
        (b"\x00\x00\x0a\x01" + struct.pack(">I", 1) + b"\x00", "unknown IDX dtype code 0x0A"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 1), "truncated IDX header"),
        (idx_bytes(list(range(6)), (6,), 0x08)[:-1], "truncated payload.*need 6 bytes.*has 5"),
        (idx_bytes([1, 2], (2,), 0x0C)[:-3], "truncated payload"),
        (idx_bytes([1, 2], (2,), 0x08) + b"\x00", "longer than its header says"),
    ],
    ids=["bad-magic", "zip", "short", "empty", "dtype-code", "short-header", "truncated",
         "truncated-int32", "trailing"],
)
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_errors(tmp_path: Path, payload: bytes, match: str, gz: bool) -> None:
    path = write(tmp_path / "bad", payload, gz=gz)
    with pytest.raises(ValueError, match=match) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_idx_corrupt_gzip(tmp_path: Path) -> None:
    blob = gzip.compress(idx_bytes(list(range(100)), (100,), 0x08))
    path = tmp_path / "cut.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="not a valid gzip file"):
        read_idx(path)


# --- isolation from the machine's data and the network --------------------------------------


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No TTI_DATA_DIR, no download permission, an empty Hugging Face cache, no system
    Fashion-MNIST, and any network connection attempt is recorded and refused."""
    for name in ("TTI_DATA_DIR", "TTI_ALLOW_DOWNLOAD", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    hf = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(hf))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(hf / "datasets"))
    monkeypatch.setenv("HF_HUB_CACHE", str(hf / "hub"))
    try:  # already-imported libraries read their cache folders at import time
        import datasets.config
        import huggingface_hub.constants
    except ImportError:
        pass
    else:
        monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", hf / "datasets")
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hf / "hub"))
    monkeypatch.setattr(data, "SYSTEM_FASHION_DIR", tmp_path / "no-system-fashion")

    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield tmp_path
    assert not attempts, f"the loader tried the network: {attempts}"


def mnist_like(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.default_rng(seed)
    return gen.integers(0, 256, (n, 28, 28), dtype=np.uint8), gen.integers(0, 10, n,
                                                                           dtype=np.uint8)


def write_mnist(folder: Path, images_name: str, labels_name: str, n: int = 5,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    images, labels = mnist_like(n, seed)
    write(folder / images_name, idx_bytes(images.ravel().tolist(), images.shape, 0x08))
    write(folder / labels_name, idx_bytes(labels.tolist(), labels.shape, 0x08))
    return images, labels


# --- data_dir ------------------------------------------------------------------------------


def test_data_dir(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert data_dir() is None
    monkeypatch.setenv("TTI_DATA_DIR", "")
    assert data_dir() is None
    monkeypatch.setenv("TTI_DATA_DIR", str(isolated))
    assert data_dir() == isolated
    monkeypatch.setenv("TTI_DATA_DIR", str(isolated / "missing"))
    with pytest.raises(NotADirectoryError, match="TTI_DATA_DIR is set to .*does not exist"):
        data_dir()
    (isolated / "file").write_text("x")
    monkeypatch.setenv("TTI_DATA_DIR", str(isolated / "file"))
    with pytest.raises(NotADirectoryError, match="is not a directory"):
        load_mnist()


# --- load_mnist from a folder --------------------------------------------------------------

SCHEMES = [
    # (kind, split, sub-folder, images name, labels name)
    ("mnist", "test", "", "mnist-t10k-images-idx3-ubyte.gz", "mnist-t10k-labels-idx1-ubyte.gz"),
    ("mnist", "train", "", "mnist-train-images-idx3-ubyte.gz",
     "mnist-train-labels-idx1-ubyte.gz"),
    ("mnist", "test", "", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
    ("mnist", "train", "", "train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    ("mnist", "test", "", "t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"),
    ("mnist", "test", "MNIST/raw", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    ("mnist", "train", "MNIST/raw", "train-images-idx3-ubyte.gz",
     "train-labels-idx1-ubyte.gz"),
    ("fashion", "test", "", "fashion-t10k-images-idx3-ubyte.gz",
     "fashion-t10k-labels-idx1-ubyte.gz"),
    ("fashion", "train", "", "fashion-train-images-idx3-ubyte",
     "fashion-train-labels-idx1-ubyte"),
    ("fashion", "test", "FashionMNIST/raw", "t10k-images-idx3-ubyte",
     "t10k-labels-idx1-ubyte"),
    ("fashion", "train", "FashionMNIST/raw", "train-images-idx3-ubyte.gz",
     "train-labels-idx1-ubyte.gz"),
]


@pytest.mark.parametrize(("kind", "split", "sub", "images_name", "labels_name"), SCHEMES,
                         ids=[f"{k}-{s}-{sub or '.'}/{i}" for k, s, sub, i, _ in SCHEMES])
def test_load_mnist_naming_schemes(isolated: Path, monkeypatch: pytest.MonkeyPatch, kind: str,
                                   split: str, sub: str, images_name: str,
                                   labels_name: str) -> None:
    root = isolated / "data"
    images, labels = write_mnist(root / sub, images_name, labels_name, n=7, seed=len(sub))
    monkeypatch.setenv("TTI_DATA_DIR", str(root))
    got_images, got_labels = load_mnist(split, kind)
    assert got_images.dtype == np.uint8 and got_images.shape == (7, 28, 28)
    assert got_labels.dtype == np.int64 and got_labels.shape == (7,)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_load_fashion_from_the_system_folder(isolated: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    system = isolated / "usr-share-datasets-fashion-mnist"
    images, labels = write_mnist(system, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    monkeypatch.setattr(data, "SYSTEM_FASHION_DIR", system)
    got_images, got_labels = load_mnist("test", "fashion")
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_unprefixed_files_in_the_folder_are_mnist_not_fashion(
        isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_mnist(isolated / "data", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    monkeypatch.setenv("TTI_DATA_DIR", str(isolated / "data"))
    load_mnist("test", "mnist")
    with pytest.raises(DataNotFoundError, match="Fashion-MNIST test set was not found"):
        load_mnist("test", "fashion")


def test_images_without_labels_next_to_them(isolated: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root = isolated / "data"
    write_mnist(root, "mnist-t10k-images-idx3-ubyte.gz", "mnist-t10k-labels-idx1-ubyte.gz")
    (root / "mnist-t10k-images-idx3-ubyte.gz").rename(root / "elsewhere.gz")
    monkeypatch.setenv("TTI_DATA_DIR", str(root))
    with pytest.raises(DataNotFoundError) as info:
        load_mnist("test")
    assert ("found mnist-t10k-labels-idx1-ubyte.gz but no images file next to it"
            in str(info.value))


def test_wrong_shapes_are_reported(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = isolated / "data"
    write(root / "mnist-t10k-images-idx3-ubyte", idx_bytes([0] * 8, (2, 2, 2), 0x08))
    write(root / "mnist-t10k-labels-idx1-ubyte", idx_bytes([0, 1], (2,), 0x08))
    monkeypatch.setenv("TTI_DATA_DIR", str(root))
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28\)"):
        load_mnist("test")
    images, _ = mnist_like(3, 0)
    write(root / "mnist-t10k-images-idx3-ubyte", idx_bytes(images.ravel().tolist(),
                                                           images.shape, 0x08))
    with pytest.raises(ValueError, match="3 images but labels of shape"):
        load_mnist("test")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist("validation")
    with pytest.raises(ValueError, match="kind must be one of"):
        load_mnist("test", "cifar")


# --- missing data --------------------------------------------------------------------------


@pytest.mark.parametrize(("split", "kind"), [("test", "mnist"), ("train", "fashion")])
def test_missing_mnist_is_reported_quickly_and_offline(isolated: Path, split: str,
                                                       kind: str) -> None:
    start = time.monotonic()
    with pytest.raises(DataNotFoundError) as info:
        load_mnist(split, kind)
    assert time.monotonic() - start < 2.0
    msg = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "TTI_DATA_DIR is not set" in msg
    assert "set TTI_DATA_DIR to a folder holding" in msg
    assert "TTI_ALLOW_DOWNLOAD=1" in msg
    assert ("apt-get install dataset-fashion-mnist" in msg) == (kind == "fashion")
    assert "offline, cache only" in msg
    # The offline switch is put back afterwards.
    assert "HF_HUB_OFFLINE" not in os.environ
    hub_constants = sys.modules.get("huggingface_hub.constants")
    if hub_constants is not None:
        assert hub_constants.HF_HUB_OFFLINE is False


def test_missing_text_is_reported(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTI_DATA_DIR", str(isolated))
    start = time.monotonic()
    with pytest.raises(DataNotFoundError) as info:
        load_tiny_shakespeare()
    assert time.monotonic() - start < 2.0
    msg = str(info.value)
    assert f"TTI_DATA_DIR is set to {isolated}" in msg
    assert "no tinyshakespeare.txt or tinyshakespeare/input.txt" in msg
    assert "TTI_ALLOW_DOWNLOAD=1" in msg and "karpathy/tiny_shakespeare" in msg


@pytest.mark.parametrize("name", ["tinyshakespeare.txt", "tinyshakespeare/input.txt"])
def test_text_from_the_folder(isolated: Path, monkeypatch: pytest.MonkeyPatch,
                              name: str) -> None:
    text = "First Citizen:\nBefore we proceed any further, hear me speak.\n"
    (isolated / name).parent.mkdir(parents=True, exist_ok=True)
    (isolated / name).write_bytes(text.encode())
    monkeypatch.setenv("TTI_DATA_DIR", str(isolated))
    assert load_tiny_shakespeare() == text


def test_load_or_skip(isolated: Path) -> None:
    assert load_or_skip(lambda a, b=0: a + b, 1, b=2) == 3
    with pytest.raises(pytest.skip.Exception, match="MNIST test set was not found"):
        load_or_skip(load_mnist, "test")
    with pytest.raises(ValueError):  # other errors are not turned into skips
        load_or_skip(load_mnist, "nope")


def test_importing_shared_stays_light() -> None:
    code = ("import sys, shared, shared.data; "
            "heavy = [m for m in ('torch', 'datasets', 'pytest') if m in sys.modules]; "
            "assert not heavy, heavy")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# --- the Hugging Face cache ----------------------------------------------------------------


def test_text_from_the_datasets_cache(isolated: Path) -> None:
    """A cache laid out as `datasets` leaves it after a download is read offline."""
    datasets = pytest.importorskip("datasets")
    import json
    import shutil

    parts = {"train": "First Citizen:\n", "validation": "Before we proceed", "test": " further."}
    files = {}
    for split, text in parts.items():
        files[split] = str(isolated / f"{split}.jsonl")
        Path(files[split]).write_text(json.dumps({"text": text}) + "\n")
    with data._hub_offline():  # building from local files still phones home unless offline
        datasets.load_dataset("json", data_files=files, cache_dir=str(isolated / "build"))
    (built,) = [p for p in (isolated / "build" / "json").glob("*/*/*") if p.is_dir()]
    cached = Path(datasets.config.HF_DATASETS_CACHE) / "karpathy___tiny_shakespeare" / "default"
    target = cached / built.parent.name / built.name
    shutil.copytree(built, target)
    for arrow in target.glob("json-*.arrow"):
        arrow.rename(target / arrow.name.replace("json-", "tiny_shakespeare-"))
    info = json.loads((target / "dataset_info.json").read_text())
    info["config_name"] = "default"
    (target / "dataset_info.json").write_text(json.dumps(info))

    assert load_tiny_shakespeare() == "".join(parts.values())


def test_images_and_labels_from_a_datasets_table() -> None:
    datasets = pytest.importorskip("datasets")
    images, labels = mnist_like(4, 1)
    features = datasets.Features({"image": datasets.Array2D((28, 28), "uint8"),
                                  "label": datasets.ClassLabel(num_classes=10)})
    ds = datasets.Dataset.from_dict({"image": images, "label": labels.astype(np.int64)},
                                    features=features)
    got_images, got_labels = data._images_labels_from_hub(ds)
    assert got_images.dtype == np.uint8 and got_labels.dtype == np.int64
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


# --- the real data (when TTI_DATA_DIR points at it) ----------------------------------------

MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_mnist_test_set() -> None:
    images, labels = load_or_skip(load_mnist, "test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == MNIST_TEST_COUNTS
    assert images.max() == 255 and images.min() == 0


def test_real_fashion_mnist_test_set() -> None:
    images, labels = load_or_skip(load_mnist, "test", "fashion")
    assert images.shape == (10000, 28, 28)
    assert np.bincount(labels, minlength=10).tolist() == [1000] * 10


def test_real_tiny_shakespeare() -> None:
    text = load_or_skip(load_tiny_shakespeare)
    assert len(text) == 1115394
    assert text.startswith("First Citizen:")
    assert len(set(text)) == 65


def test_real_folder_without_train_images_explains(monkeypatch: pytest.MonkeyPatch) -> None:
    root = data_dir()
    if root is None or not (root / "mnist-train-labels-idx1-ubyte.gz").is_file():
        pytest.skip("TTI_DATA_DIR does not point at a folder with the MNIST train labels")
    if any(root.glob("*train-images*")):
        pytest.skip("TTI_DATA_DIR has the MNIST train images")
    monkeypatch.delenv("TTI_ALLOW_DOWNLOAD", raising=False)
    with pytest.raises(DataNotFoundError) as info:
        load_mnist("train")
    assert "found mnist-train-labels-idx1-ubyte.gz but no images file" in str(info.value)
