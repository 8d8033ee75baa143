"""Real data for capstones and their tests: MNIST, Fashion-MNIST and Tiny Shakespeare.

Where each loader looks, in order:

1. The folder named by the environment variable ``TTI_DATA_DIR`` (IDX files for the MNIST
   family, ``tinyshakespeare.txt`` for the text).
2. For Fashion-MNIST, ``/usr/share/datasets/fashion-mnist/`` (Debian's
   ``dataset-fashion-mnist`` package).
3. The Hugging Face ``datasets`` cache, offline: a data set that is not cached is reported at
   once instead of after ~24 s of network retries. ``TTI_ALLOW_DOWNLOAD=1`` lets ``datasets``
   download it.

When none has the data, ``DataNotFoundError`` says what was looked for and how to get it.
Capstone tests call ``load_or_skip(load_mnist, "test")`` to skip with that message.

Neither torch nor ``datasets`` is imported at import time (``datasets`` takes ~0.7 s).
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

DATA_DIR_ENV = "TTI_DATA_DIR"
ALLOW_DOWNLOAD_ENV = "TTI_ALLOW_DOWNLOAD"
# Where `apt-get install dataset-fashion-mnist` puts the four Fashion-MNIST files.
SYSTEM_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

T = TypeVar("T")


class DataNotFoundError(FileNotFoundError):
    """A data set is in none of the places a loader looks; the message says how to get it."""


def data_dir() -> Path | None:
    """The folder named by ``TTI_DATA_DIR``, or None when the variable is unset or empty.

    Raises NotADirectoryError when the variable names something that is not a folder: a typo
    there should fail loudly, not look like missing data.
    """
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is not a directory"
        raise NotADirectoryError(
            f"{DATA_DIR_ENV} is set to {value!r}, which {what}. Point it at the folder that "
            f"holds the data files, or unset it."
        )
    return path


def _downloads_allowed() -> bool:
    return os.environ.get(ALLOW_DOWNLOAD_ENV, "").strip().lower() in ("1", "true", "yes")


# --- IDX -----------------------------------------------------------------------------------

# IDX type codes (third byte of the magic number); the data are big-endian.
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic (whatever its name)."""
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: not a valid gzip file ({err}).") from err


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or raw, into a native-endian array.

    The format: two zero bytes, a dtype code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the rank; then one big-endian uint32 per dimension; then the
    values, big-endian, in C order.

    Raises:
        ValueError: bad magic number, unknown dtype code, or a payload shorter or longer than
            the dimensions say.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{path}: not an IDX file (its magic number {data[:4].hex() or 'is missing'}; "
            f"an IDX file starts with two zero bytes, a dtype code and the rank)."
        )
    code, rank = data[2], data[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX dtype code 0x{code:02X} (known: {known}).")
    header = 4 + 4 * rank
    if len(data) < header:
        raise ValueError(
            f"{path}: truncated IDX header: rank {rank} needs {header} bytes, the file has "
            f"{len(data)}."
        )
    dims = struct.unpack(f">{rank}I", data[4:header])
    dtype = _IDX_DTYPES[code]
    count = int(np.prod(dims, dtype=np.int64))
    expected = count * dtype.itemsize
    got = len(data) - header
    if got != expected:
        problem = "truncated payload" if got < expected else "payload longer than its header says"
        raise ValueError(
            f"{path}: {problem}: dimensions {dims} of {dtype.name} need {expected} bytes, "
            f"the file has {got}."
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # a native-endian, writable copy


# --- the Hugging Face cache ----------------------------------------------------------------


@contextmanager
def _hub_offline() -> Iterator[None]:
    """Make `datasets` and `huggingface_hub` offline inside the block, unless downloads are
    allowed.

    Both libraries read HF_HUB_OFFLINE once, at import, so setting the variable is not enough
    after they are imported: their module constants are switched too, and all is put back
    afterwards. Call only after importing `datasets`.
    """
    if _downloads_allowed():
        yield
        return
    import datasets.config
    import huggingface_hub.constants

    saved_env = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
    targets = [
        (huggingface_hub.constants, "HF_HUB_OFFLINE"),
        (datasets.config, "HF_HUB_OFFLINE"),
        (datasets.config, "HF_DATASETS_OFFLINE"),
    ]
    saved = [(mod, name, getattr(mod, name)) for mod, name in targets if hasattr(mod, name)]
    try:
        os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
        for mod, name, _ in saved:
            setattr(mod, name, True)
        yield
    finally:
        for mod, name, value in saved:
            setattr(mod, name, value)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _load_from_hub(repo: str, split: str) -> tuple[Any, str]:
    """`datasets.load_dataset(repo, split=split)` from the cache (or the hub if allowed).

    Returns (dataset, "") or (None, why it failed).
    """
    try:
        import datasets
    except ImportError:
        return None, "the `datasets` library is not installed"
    with _hub_offline():
        try:
            return datasets.load_dataset(repo, split=split), ""
        except Exception as err:  # any failure (not cached, offline, ...) means "not here"
            return None, f"{type(err).__name__}: {err}".strip()


def _hub_note(repo: str, split: str, reason: str) -> str:
    mode = "may download" if _downloads_allowed() else "offline, cache only"
    return f'the Hugging Face `datasets` cache, "{repo}" split "{split}" ({mode}): {reason}'


def _images_labels_from_hub(ds: Any) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) from a dataset with "image" and "label" columns."""
    batch = ds.with_format("numpy")[:]
    images = batch["image"]
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:  # ragged or object
        images = np.stack([np.asarray(im, dtype=np.uint8) for im in images])
    return images, np.asarray(batch["label"], dtype=np.int64)


# --- MNIST and Fashion-MNIST ---------------------------------------------------------------

_MNIST_KINDS: dict[str, dict[str, str]] = {
    "mnist": {
        "title": "MNIST",
        "prefix": "mnist",
        "torchvision": "MNIST",
        "hub": "ylecun/mnist",
    },
    "fashion": {
        "title": "Fashion-MNIST",
        "prefix": "fashion",
        "torchvision": "FashionMNIST",
        "hub": "zalando-datasets/fashion_mnist",
    },
}
_SPLIT_STEMS = {"train": "train", "test": "t10k"}


def _idx_names(prefix: str | None, stem: str, what: str) -> list[str]:
    """Accepted names of one IDX file, e.g. t10k-images-idx3-ubyte.gz, mnist-t10k-images..."""
    rank = "idx3" if what == "images" else "idx1"
    bases = [f"{stem}-{what}-{rank}-ubyte", f"{stem}-{what}.{rank}-ubyte"]
    if prefix:
        bases = [f"{prefix}-{b}" for b in bases]
    return [b + ext for b in bases for ext in (".gz", "")]


def _spellings(names: list[str]) -> str:
    """["a.gz", "a", "b.gz", "b"] -> "a[.gz], b[.gz]"."""
    bases = dict.fromkeys(n.removesuffix(".gz") for n in names)
    return ", ".join(f"{b}[.gz]" for b in bases)


def _mnist_places(kind: str, stem: str) -> list[tuple[Path, dict[str, list[str]]]]:
    """(folder, {"images": names, "labels": names}) in the order they are searched.

    In TTI_DATA_DIR itself, unprefixed names (t10k-images-idx3-ubyte.gz) are read as MNIST,
    since MNIST and Fashion-MNIST share them; Fashion-MNIST files there need the "fashion-"
    prefix, or torchvision's FashionMNIST/raw/ folder.
    """
    info = _MNIST_KINDS[kind]
    prefix = info["prefix"]

    def names(unprefixed: bool) -> dict[str, list[str]]:
        return {
            what: _idx_names(prefix, stem, what)
            + (_idx_names(None, stem, what) if unprefixed else [])
            for what in ("images", "labels")
        }

    places = []
    root = data_dir()
    if root is not None:
        places.append((root, names(unprefixed=kind == "mnist")))
        places.append((root / info["torchvision"] / "raw", names(unprefixed=True)))
    if kind == "fashion":
        places.append((SYSTEM_FASHION_DIR, names(unprefixed=True)))
    return places


def _first_existing(folder: Path, names: list[str]) -> Path | None:
    for name in names:
        if (folder / name).is_file():
            return folder / name
    return None


def _check_mnist(images: np.ndarray, labels: np.ndarray, source: str) -> None:
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(f"{source}: expected uint8 images of shape (N, 28, 28), got "
                         f"{images.dtype} of shape {images.shape}.")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"{source}: {images.shape[0]} images but labels of shape "
                         f"{labels.shape}.")


def load_mnist(split: str = "test", kind: str = "mnist") -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST or Fashion-MNIST.

    Args:
        split: "train" (60000 examples) or "test" (10000).
        kind: "mnist" or "fashion".

    Returns:
        (images, labels): uint8 images of shape (N, 28, 28), int64 labels of shape (N,).

    Raises:
        DataNotFoundError: the data is in none of the places looked at (the message lists them
            and says how to get the data).
        ValueError: a file was found but is not what it should be.
    """
    if kind not in _MNIST_KINDS:
        raise ValueError(f"kind must be one of {sorted(_MNIST_KINDS)}, got {kind!r}")
    if split not in _SPLIT_STEMS:
        raise ValueError(f"split must be one of {sorted(_SPLIT_STEMS)}, got {split!r}")
    info = _MNIST_KINDS[kind]
    stem = _SPLIT_STEMS[split]

    looked: list[str] = []
    for folder, names in _mnist_places(kind, stem):
        images_path = _first_existing(folder, names["images"])
        labels_path = _first_existing(folder, names["labels"])
        if images_path and labels_path:
            images, labels = read_idx(images_path), read_idx(labels_path).astype(np.int64)
            _check_mnist(images, labels, str(folder))
            return images, labels
        note = f"{folder}: no {names['images'][0]} or {names['labels'][0]} (or other spelling)"
        if not folder.is_dir():
            note = f"{folder}: no such folder"
        elif images_path or labels_path:
            found, missing = (images_path, "labels") if images_path else (labels_path, "images")
            note = (f"{folder}: found {found.name} but no {missing} file next to it "
                    f"(looked for {_spellings(names[missing])})")
        looked.append(note)

    ds, reason = _load_from_hub(info["hub"], split)
    if ds is not None:
        try:
            images, labels = _images_labels_from_hub(ds)
        except ImportError as err:  # the PNG images need Pillow to decode
            reason = f"found, but decoding its images needs Pillow (pip install pillow): {err}"
        else:
            _check_mnist(images, labels, f'datasets "{info["hub"]}"')
            return images, labels
    looked.append(_hub_note(info["hub"], split, reason))

    raise DataNotFoundError(_mnist_message(kind, split, stem, looked))


def _mnist_message(kind: str, split: str, stem: str, looked: list[str]) -> str:
    info = _MNIST_KINDS[kind]
    prefix = info["prefix"]
    images = _idx_names(None, stem, "images")[0]
    labels = _idx_names(None, stem, "labels")[0]
    root = data_dir()
    lines = [
        f"The {info['title']} {split} set was not found.",
        f"{DATA_DIR_ENV} is {'set to ' + str(root) if root else 'not set'}. Looked in:",
        *(f"  - {line}" for line in looked),
        "To get it, any of:",
        f"  - set {DATA_DIR_ENV} to a folder holding {prefix}-{images} and {prefix}-{labels} "
        f"(or the same files under {info['torchvision']}/raw/ without the prefix"
        + (", or in the folder itself without it" if kind == "mnist" else "")
        + "; gzipped or not);",
        f"  - set {ALLOW_DOWNLOAD_ENV}=1 to let the `datasets` library download "
        f'"{info["hub"]}" into its cache (needs the network and Pillow)'
        + (";" if kind == "fashion" else "."),
    ]
    if kind == "fashion":
        lines.append(f"  - apt-get install dataset-fashion-mnist, which puts all four files in "
                     f"{SYSTEM_FASHION_DIR}/.")
    return "\n".join(lines)


# --- Tiny Shakespeare ----------------------------------------------------------------------

_SHAKESPEARE_NAMES = ["tinyshakespeare.txt", "tinyshakespeare/input.txt"]
_SHAKESPEARE_HUB = "karpathy/tiny_shakespeare"


def load_tiny_shakespeare() -> str:
    """Tiny Shakespeare (karpathy/char-rnn): 1,115,394 characters starting "First Citizen:".

    Looks for tinyshakespeare.txt or tinyshakespeare/input.txt in TTI_DATA_DIR, then the
    `datasets` cache ("karpathy/tiny_shakespeare", its train, validation and test splits
    joined back into the one text).

    Raises:
        DataNotFoundError: with what was looked for and how to get the text.
    """
    looked: list[str] = []
    root = data_dir()
    if root is not None:
        for name in _SHAKESPEARE_NAMES:
            if (root / name).is_file():
                return (root / name).read_bytes().decode("utf-8")
        looked.append(f"{root}: no {' or '.join(_SHAKESPEARE_NAMES)}")

    splits = "train+validation+test"  # the three parts of the one text, in order
    ds, reason = _load_from_hub(_SHAKESPEARE_HUB, splits)
    if ds is not None:
        return "".join(ds["text"])
    looked.append(_hub_note(_SHAKESPEARE_HUB, splits, reason))

    lines = [
        "Tiny Shakespeare was not found.",
        f"{DATA_DIR_ENV} is {'set to ' + str(root) if root else 'not set'}. Looked in:",
        *(f"  - {line}" for line in looked),
        "To get it, either:",
        f"  - set {DATA_DIR_ENV} to a folder holding tinyshakespeare.txt (karpathy/char-rnn's "
        "data/tinyshakespeare/input.txt, 1115394 bytes);",
        f"  - set {ALLOW_DOWNLOAD_ENV}=1 to let the `datasets` library download "
        f'"{_SHAKESPEARE_HUB}" into its cache (needs the network).',
    ]
    raise DataNotFoundError("\n".join(lines))


# --- for tests -----------------------------------------------------------------------------


def load_or_skip(loader: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``loader(*args, **kwargs)``; when the data is missing, skip the calling test.

    For capstone tests: ``images, labels = load_or_skip(load_mnist, "test")``. The skip
    reason is the DataNotFoundError's message, which says how to get the data.
    """
    try:
        return loader(*args, **kwargs)
    except DataNotFoundError as err:
        import pytest

        pytest.skip(str(err))
