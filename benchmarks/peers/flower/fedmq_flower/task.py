"""The model, data and local work shared by the ServerApp and the ClientApp.

Everything here mirrors FedMQ: the CNN of TensorCore (PyTorch parameter names conv1, conv2,
fc1, fc2), Fashion-MNIST normalised as (p / 255 - 0.2860) / 0.3530, the shards that
`fedmq shards` exports (the exact sample indices FedMQ's trainers get), local SGD with
momentum that restarts every round, mean NLL loss, and test accuracy on the 10,000 test images.
"""
import gzip
import json
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.2860, 0.3530


class CNN(nn.Module):
    """conv1 1→10 k5, max-pool 2, relu, conv2 10→20 k5, max-pool 2, relu, fc1 320→50, relu, fc2 50→10, log-softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = F.relu(self.fc1(x.flatten(1)))
        return F.log_softmax(self.fc2(x), dim=1)


def read_idx(path):
    """The array stored in an IDX file (gzip-compressed when the name ends in .gz)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def _idx_path(directory, stem):
    for name in (stem + ".gz", stem):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    raise FileNotFoundError(f"{stem}[.gz] not found in {directory}")


def load_split(directory, split, cache_dir=None):
    """(images [n, 1, 28, 28] float32 normalised, labels [n] int64) of `split` ('train' or 't10k').

    With `cache_dir`, the decoded arrays are kept there as an .npz file (the ServerApp's test set).
    """
    cache = Path(cache_dir) / f"{split}.npz" if cache_dir else None
    if cache is not None and cache.exists():
        with np.load(cache) as z:
            return torch.from_numpy(z["x"]), torch.from_numpy(z["y"])
    raw = read_idx(_idx_path(directory, f"{split}-images-idx3-ubyte")).astype(np.float32)
    x = ((raw / 255.0 - MEAN) / STD).astype(np.float32).reshape(-1, 1, 28, 28)
    y = read_idx(_idx_path(directory, f"{split}-labels-idx1-ubyte")).astype(np.int64)
    if cache is not None:
        _save(cache, x, y)
    return torch.from_numpy(x), torch.from_numpy(y)


def read_shards(path):
    """The shard lists written by `fedmq shards` (list of index lists)."""
    with open(path) as f:
        return json.load(f)["shards"]


def load_shard(directory, shards_file, partition, cache_dir=None):
    """(images, labels) of shard `partition` of `shards_file`; with `cache_dir`, kept there as
    its own .npz (7,500 images for 8 shards), so a ClientApp started for a round reads only its shard."""
    cache = Path(cache_dir) / f"shard-{partition}-{Path(shards_file).stem}.npz" if cache_dir else None
    if cache is not None and cache.exists():
        with np.load(cache) as z:
            return torch.from_numpy(z["x"]), torch.from_numpy(z["y"])
    x, y = load_split(directory, "train")
    index = torch.tensor(read_shards(shards_file)[partition])
    x, y = x[index].contiguous(), y[index].contiguous()
    if cache is not None:
        _save(cache, x.numpy(), y.numpy())
    return x, y


def _save(path, x, y):
    """Writes x and y to `path` atomically (concurrent ClientApps may race to make it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.npz")
    np.savez(tmp, x=x, y=y)
    os.replace(tmp, path)


def initial_model(seed):
    """The global model before round 1 (PyTorch's default initialisation under `seed`)."""
    torch.manual_seed(seed)
    return CNN()


def train_local(model, x, y, epochs, batch_size, lr, momentum, seed):
    """`epochs` shuffled passes of SGD (fresh momentum) over (x, y); returns (mean loss, samples)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    total, steps, samples = 0.0, 0, 0
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = F.nll_loss(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item()
            steps += 1
            samples += len(batch)
    return total / max(steps, 1), samples


@torch.no_grad()
def evaluate(model, x, y, batch_size=1000):
    """(accuracy in [0, 1], mean NLL loss) of `model` on (x, y)."""
    model.eval()
    correct, loss = 0, 0.0
    for start in range(0, len(y), batch_size):
        out = model(x[start:start + batch_size])
        loss += F.nll_loss(out, y[start:start + batch_size], reduction="sum").item()
        correct += (out.argmax(1) == y[start:start + batch_size]).sum().item()
    return correct / len(y), loss / len(y)
