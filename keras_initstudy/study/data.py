"""Finds and reads MNIST-style datasets, validating every file.

`load(name)` looks for the dataset in this order and takes the first hit:

1. `data_dir`, if given: a folder holding the four standard IDX files
   (`.gz` or uncompressed);
2. `$KERAS_INITSTUDY_DATA_DIR/<name>/`;
3. the Debian package folder (`/usr/share/datasets/fashion-mnist/` for
   Fashion-MNIST, from `apt-get install dataset-fashion-mnist`);
4. tensorflow-datasets (`tfds.load`), which downloads where there is internet.

A local file that is not a well-formed IDX file raises `DatasetError` with a
one-line message naming the file and the fault. When no local copy exists and
the download host cannot be reached, `DatasetError` says so within seconds
instead of letting TFDS retry for minutes.
"""

import dataclasses
import gzip
import math
import os
import socket
import stat
import struct
import urllib.parse
import zlib

import numpy as np

ENV_VAR = "KERAS_INITSTUDY_DATA_DIR"

# name -> (Debian package folder or None, TFDS name, download URL TFDS uses).
_DATASETS = {
    "mnist": (None, "mnist", "https://storage.googleapis.com/cvdf-datasets/"),
    "fashion_mnist": (
        "/usr/share/datasets/fashion-mnist",
        "fashion_mnist",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
}
NAMES = tuple(sorted(_DATASETS))

_SPLIT_PREFIX = {"train": "train", "test": "t10k"}
_IMAGE_MAGIC = 0x00000803  # unsigned byte, 3 dimensions
_LABEL_MAGIC = 0x00000801  # unsigned byte, 1 dimension
_NUM_CLASSES = 10
_GZIP_MAGIC = b"\x1f\x8b"
_READ_CHUNK = 1 << 20


class DatasetError(ValueError):
    """A dataset is missing, unreachable or malformed (one-line message)."""


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Train and test splits of an image classification dataset.

    Attributes:
        x_train, x_test: float32 images in [0, 1], shape (N, 28, 28).
        y_train, y_test: int64 labels in [0, 10).
        name: the dataset name.
        source: where the data came from (a folder or "tfds").
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    source: str

    def __post_init__(self):
        # Read-only, so the training loop may keep one tensor copy of each
        # split for every run on this dataset (`training.as_tensor`).
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            array.setflags(write=False)

    @property
    def num_classes(self):
        return _NUM_CLASSES


def load(name="mnist", data_dir=None):
    """Loads a dataset, searching the places listed in the module docstring.

    Args:
        name: one of `NAMES` (`"mnist"`, `"fashion_mnist"`).
        data_dir: optional folder with the four IDX files; when given it is
            the only place searched.

    Returns:
        A `Dataset`.

    Raises:
        DatasetError: unknown name, malformed file, or no copy to be had.
    """
    if name not in _DATASETS:
        raise DatasetError(
            f"Unknown dataset {name!r}; valid names: {', '.join(NAMES)}."
        )
    if data_dir is not None:
        if not os.path.isdir(data_dir):
            raise DatasetError(f"Data folder {data_dir} does not exist.")
        return _load_folder(name, data_dir)
    for folder in _local_folders(name):
        if _has_idx_files(folder):
            return _load_folder(name, folder)
    return _load_tfds(name)


def debian_folder(name):
    """The folder a Debian package installs dataset `name` into, or None."""
    return _DATASETS[name][0]


def _local_folders(name):
    env = os.environ.get(ENV_VAR)
    if env:
        yield os.path.join(env, name)
    if debian_folder(name):
        yield debian_folder(name)


def _idx_path(folder, split, kind):
    """Returns the path of one IDX file in `folder`, `.gz` or raw, or None.

    Any entry with a standard name counts, so that a directory or a broken
    link in a file's place is reported by `read_idx` as what it is rather
    than as a missing file.
    """
    dims = 3 if kind == "images" else 1
    stem = f"{_SPLIT_PREFIX[split]}-{kind}-idx{dims}-ubyte"
    for candidate in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        path = os.path.join(folder, candidate)
        if os.path.lexists(path):
            return path
    return None


def _has_idx_files(folder):
    return os.path.isdir(folder) and any(
        _idx_path(folder, split, kind)
        for split in _SPLIT_PREFIX
        for kind in ("images", "labels")
    )


def _load_folder(name, folder):
    arrays = {}
    for split in _SPLIT_PREFIX:
        images_path = _idx_path(folder, split, "images")
        labels_path = _idx_path(folder, split, "labels")
        for kind, path in (("images", images_path), ("labels", labels_path)):
            if path is None:
                raise DatasetError(
                    f"{folder}: no {_SPLIT_PREFIX[split]}-{kind} IDX file "
                    "(expected the four standard MNIST files, .gz or raw)."
                )
        images = read_idx(images_path, _IMAGE_MAGIC)
        labels = read_idx(labels_path, _LABEL_MAGIC)
        if images.shape[0] != labels.shape[0]:
            raise DatasetError(
                f"{images_path}: {images.shape[0]} images but {labels_path} "
                f"has {labels.shape[0]} labels."
            )
        if labels.size and labels.max() >= _NUM_CLASSES:
            raise DatasetError(
                f"{labels_path}: label {int(labels.max())} is out of range "
                f"[0, {_NUM_CLASSES})."
            )
        arrays[split] = (_scale(images), labels.astype(np.int64))
    return Dataset(
        x_train=arrays["train"][0],
        y_train=arrays["train"][1],
        x_test=arrays["test"][0],
        y_test=arrays["test"][1],
        name=name,
        source=os.path.abspath(folder),
    )


def read_idx(path, expected_magic):
    """Reads one unsigned-byte IDX file and validates its header and size.

    The file is read in chunks and never beyond the size its header
    declares (plus one byte, to detect trailing data): a header declaring
    more than the file holds costs no more memory than the file, and a
    compressed stream is inflated no further than the header's size.

    Args:
        path: the file, gzip-compressed (by content, whatever its name) or raw.
        expected_magic: `0x803` for images, `0x801` for labels.

    Returns:
        A uint8 array of the shape the header declares.

    Raises:
        DatasetError: naming the file and the fault, on one line.
    """
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise DatasetError(f"{path}: is a directory, not an IDX file.")
        if not stat.S_ISREG(mode):
            # Opening a FIFO or a device could block or never end.
            raise DatasetError(f"{path}: is not a regular file.")
        with open(path, "rb") as f:
            compressed = f.read(2) == _GZIP_MAGIC
            f.seek(0)
            stream = gzip.GzipFile(fileobj=f) if compressed else f
            return _read_idx_stream(path, stream, expected_magic)
    except (OSError, EOFError, zlib.error) as e:
        # gzip raises all three for corrupt or truncated streams.
        raise DatasetError(f"{path}: cannot read ({e}).") from None


def _read_idx_stream(path, stream, expected_magic):
    head = _read_at_most(stream, 4)
    if len(head) < 4:
        raise DatasetError(
            f"{path}: {len(head)} bytes, too short for an IDX header."
        )
    (magic,) = struct.unpack(">I", head)
    if magic != expected_magic:
        raise DatasetError(
            f"{path}: magic number 0x{magic:08x}, expected "
            f"0x{expected_magic:08x} "
            f"(IDX {'images' if expected_magic == _IMAGE_MAGIC else 'labels'})."
        )
    ndim = magic & 0xFF
    dims = _read_at_most(stream, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise DatasetError(f"{path}: truncated IDX header.")
    shape = struct.unpack(f">{ndim}I", dims)
    if ndim == 3 and shape[1:] != (28, 28):
        raise DatasetError(
            f"{path}: images are {shape[1]}x{shape[2]}, expected 28x28."
        )
    if shape[0] == 0:
        raise DatasetError(f"{path}: the header declares 0 items.")
    header = 4 + 4 * ndim
    size = math.prod(shape)
    payload = _read_at_most(stream, size + 1)
    if len(payload) < size:
        raise DatasetError(
            f"{path}: truncated: {header + len(payload)} bytes, the header "
            f"{shape} needs {header + size}."
        )
    if len(payload) > size:
        raise DatasetError(
            f"{path}: has trailing bytes beyond the {header + size} that the "
            f"header {shape} needs."
        )
    return np.frombuffer(payload, dtype=np.uint8).reshape(shape)


def _read_at_most(stream, limit):
    """Reads up to `limit` bytes in chunks (one huge read allocates upfront)."""
    chunks = []
    remaining = limit
    while remaining > 0:
        chunk = stream.read(min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _scale(images):
    # Divided in place: a second 188 MB array for the training images costs
    # more than the division itself, in page faults on fresh memory.
    scaled = images.astype(np.float32)
    scaled /= np.float32(255.0)
    return scaled


def _download_reachable(url, timeout=3.0):
    """True when the host of `url` accepts a TCP connection within `timeout`."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def _load_tfds(name):
    import tensorflow_datasets as tfds  # Heavy: only on this path.

    _, tfds_name, url = _DATASETS[name]
    builder = tfds.builder(tfds_name)
    if not builder.is_prepared() and not _download_reachable(url):
        raise DatasetError(
            f"No local copy of {name!r} and its download host is unreachable: "
            f"pass --data_dir=<folder with the four IDX files> or set "
            f"{ENV_VAR}=<folder holding {name}/>, or connect to the internet "
            "so tensorflow-datasets can download it."
        )
    splits = {}
    for split in _SPLIT_PREFIX:
        # A finite batch: batch_size=-1 aborts the process under mock_data.
        ds = tfds.load(
            tfds_name, split=split, as_supervised=True, batch_size=10_000
        )
        images, labels = [], []
        for x, y in tfds.as_numpy(ds):
            images.append(x.reshape(-1, 28, 28))
            labels.append(y)
        splits[split] = (
            _scale(np.concatenate(images)),
            np.concatenate(labels).astype(np.int64),
        )
    return Dataset(
        x_train=splits["train"][0],
        y_train=splits["train"][1],
        x_test=splits["test"][0],
        y_test=splits["test"][1],
        name=name,
        source="tfds",
    )
