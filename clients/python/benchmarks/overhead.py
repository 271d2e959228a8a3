#!/usr/bin/env python3
"""The fedmq package's own cost per update, beside the local round it serves.

Why this file exists: a Python trainer spends, per update, time in the package — decoding the
global model (CRC-32C, safetensors parse, finiteness), copying it into the module, encoding
``local − base`` and checksumming it — that the Swift trainer spends in Swift. This prints each
stage in milliseconds and GB/s and their sum as a share of one local round (the example's 50 SGD
steps of batch 32, one thread), for the default CNN and a 64 MiB MLP:

    python3 clients/python/benchmarks/overhead.py [--repeats 5] [--steps 50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Dict, List, Tuple

import torch
import torch.nn.functional as F

from fedmq import payload
from fedmq.codec import MessageCodec
from fedmq.crc32c import crc32c
from fedmq.header import Header, Kind
from fedmq.models import DescribedModel, cnn
from fedmq.payload import Layout
from fedmq.pytorch import _as_numpy, load_weights

#: 16 768 470 parameters: 63.97 MiB of float32.
MODEL_64MIB = "flatten, fc 4096, relu, fc 3300, relu, fc 10, log_softmax"


def timed(action: Callable[[], object], repeats: int) -> float:
    """Median seconds of `repeats` runs of `action` (after one warm-up run)."""
    action()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def local_round(model: torch.nn.Module, steps: int, batch: int = 32) -> None:
    """The example's round on random Fashion-MNIST-shaped data: SGD lr 0.05, momentum 0.5."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    images, labels = torch.randn(batch, 1, 28, 28), torch.randint(10, (batch,))
    for _ in range(steps):
        optimizer.zero_grad()
        F.nll_loss(model(images), labels).backward()
        optimizer.step()


def measure(model: torch.nn.Module, repeats: int, steps: int) -> Tuple[Dict[str, float], float, int]:
    """Seconds per stage, seconds per local round, payload bytes."""
    state = model.state_dict()
    layout = Layout.of((name, tensor.shape) for name, tensor in state.items())
    local = {name: _as_numpy(tensor) for name, tensor in state.items()}
    body = bytes(payload.encode(layout, local, {"fedmq.version": "1"}))
    header = Header(Kind.MODEL, 1, layout.fingerprint, model_version=1, payload_length=len(body), checksum=crc32c(body))
    frames = [b"model", header.encode(), body]
    codec = MessageCodec(1, layout)
    base = codec.decode_broadcast(frames).weights
    stages = {
        "decode model (CRC-32C, parse, finite)": timed(lambda: codec.decode_broadcast(frames), repeats),
        "copy into module (load_state_dict)": timed(lambda: load_weights(model, base.tensors), repeats),
        "encode local - base": timed(lambda: payload.encode(layout, local, {}, minus=base.tensors), repeats),
        "checksum update (CRC-32C)": timed(lambda: crc32c(body), repeats),
    }
    round_seconds = timed(lambda: local_round(model, steps), max(1, repeats // 2))
    return stages, round_seconds, len(body)


def report(name: str, stages: Dict[str, float], round_seconds: float, size: int) -> List[str]:
    """Lines of the table for one model."""
    lines = [f"{name}: {size / 2**20:.2f} MiB payload, local round {round_seconds * 1000:.0f} ms"]
    for stage, seconds in stages.items():
        lines.append(f"  {stage:40s} {seconds * 1000:9.2f} ms  {size / seconds / 1e9:6.2f} GB/s"
                     f"  {100 * seconds / round_seconds:6.2f} % of a round")
    total = sum(stages.values())
    lines.append(f"  {'total per update':40s} {total * 1000:9.2f} ms  {'':12s}  {100 * total / round_seconds:6.2f} % of a round")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per stage (median)")
    parser.add_argument("--steps", type=int, default=50, help="SGD steps per local round")
    parser.add_argument("--small-only", action="store_true", help="only the default CNN")
    args = parser.parse_args()
    torch.set_num_threads(1)
    models = [("default CNN", cnn)] + ([] if args.small_only else [("64 MiB MLP", lambda: DescribedModel(MODEL_64MIB))])
    for name, make in models:
        print("\n".join(report(name, *measure(make(), args.repeats, args.steps))), flush=True)


if __name__ == "__main__":
    main()
