"""Fashion-MNIST from the IDX files a FedMQ machine already has, and a trainer's shard of it.

Why this file exists: Swift trainers read the training set from the Debian package
``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``, or ``FEDMQ_DATA_DIR``) and cut
their shard from it in file order; a Python trainer must read the same files in the same order
for shard indices to mean the same samples.
"""

from __future__ import annotations

import gzip
import os
import struct
from typing import Dict, Optional, Tuple

import numpy as np

from .codec import Registration
from .partition import PartitionScheme, shard

DEFAULT_DIRECTORY = "/usr/share/datasets/fashion-mnist"
#: Fashion-MNIST training-set pixel statistics after scaling to [0, 1] (Swift ``Normalization``).
MEAN, STD = 0.2860, 0.3530


def data_directory(directory: Optional[str] = None) -> str:
    """`directory`, else ``FEDMQ_DATA_DIR``, else the Debian package's location."""
    return directory or os.environ.get("FEDMQ_DATA_DIR") or DEFAULT_DIRECTORY


def _read_idx(path: str) -> np.ndarray:
    for candidate in (path + ".gz", path):
        if os.access(candidate, os.R_OK):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(candidate, "rb") as handle:
                data = handle.read()
            break
    else:
        raise FileNotFoundError(f"neither {path}.gz nor {path} is readable (apt-get install dataset-fashion-mnist)")
    magic, = struct.unpack_from(">I", data, 0)
    if magic >> 8 != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {magic:#x})")
    dims = struct.unpack_from(">" + "I" * (magic & 0xFF), data, 4)
    start = 4 + 4 * len(dims)
    values = np.frombuffer(data, dtype=np.uint8, offset=start)
    if values.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {values.size} values for dimensions {dims}")
    return values.reshape(dims)


def load_fashion_mnist(split: str = "train", directory: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Images (N, 1, 28, 28) float32, normalised as the Swift trainer does ``(p/255 − 0.2860) / 0.3530``,
    and labels (N,) int64, in file order. `split` is ``"train"`` or ``"test"``."""
    prefix = {"train": "train", "test": "t10k"}[split]
    root = data_directory(directory)
    pixels = _read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte"))
    labels = _read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte"))
    images = (pixels.astype(np.float32) * np.float32(1 / 255) - np.float32(MEAN)) / np.float32(STD)
    return images.reshape(-1, 1, 28, 28), labels.astype(np.int64)


_SHARDS: Dict[Tuple[object, ...], np.ndarray] = {}


def shard_indices(registration: Registration, labels: np.ndarray) -> np.ndarray:
    """The sample indices of the shard `registration` assigns (all samples with one shard).
    Computed once per assignment and label set (a round may ask every time)."""
    if registration.shard_count <= 1:
        return np.arange(len(labels))
    key = (registration.shard_index, registration.shard_count, registration.partition, registration.seed,
           hash(np.ascontiguousarray(labels).tobytes()))
    if key not in _SHARDS:
        scheme = PartitionScheme.parse(registration.partition)
        _SHARDS[key] = np.array(shard(registration.shard_index, registration.shard_count, labels.tolist(), scheme,
                                      registration.seed), dtype=np.int64)
    return _SHARDS[key]
