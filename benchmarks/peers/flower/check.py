#!/usr/bin/env python3
"""Quick checks of the Flower peer's task code against FedMQ (run by hand; needs torch and numpy):

1. the CNN has FedMQ's parameter names and shapes, and given the weights of the PyTorch fixture
   FedMQ's own tests use (Tests/TensorCoreTests/Fixtures/cnn_fixture.safetensors) it gives the
   fixture's output, loss and parameters after one SGD step (lr 0.01, momentum 0.5);
2. one local epoch visits every sample of a shard exactly once (a partial last batch included);
3. with a shards file from `fedmq shards` (optional argument), the shards are disjoint and cover the data.

Usage: python3 benchmarks/peers/flower/check.py [SHARDS_JSON]
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fedmq_flower.task import CNN, train_local  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../Tests/TensorCoreTests/Fixtures/cnn_fixture.safetensors")


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    dtypes = {"F32": np.float32, "I64": np.int64, "I32": np.int32}
    return {k: torch.from_numpy(np.frombuffer(body[v["data_offsets"][0]:v["data_offsets"][1]], dtype=dtypes[v["dtype"]])
                                .reshape(v["shape"]).copy())
            for k, v in header.items() if k != "__metadata__"}


def check_model():
    t = read_safetensors(FIXTURE)
    model = CNN()
    names = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert names == {k: list(t[k].shape) for k in names}, names
    model.load_state_dict({k: t[k] for k in names})
    out = model(t["input"])
    assert torch.allclose(out, t["output"], atol=1e-5), (out - t["output"]).abs().max()
    loss = F.nll_loss(out, t["labels"].long())
    assert abs(loss.item() - t["loss"].item()) < 1e-5
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    loss.backward()
    optimizer.step()
    for k, v in model.state_dict().items():
        assert torch.allclose(v, t[f"after_sgd.{k}"], atol=1e-6), k
    print("CNN: names, shapes, output, loss and one SGD step match the fixture")


def check_epoch():
    torch.manual_seed(0)
    x, y = torch.randn(100, 1, 28, 28), torch.randint(0, 10, (100,))
    loss, samples = train_local(CNN(), x, y, epochs=1, batch_size=64, lr=0.01, momentum=0.5, seed=1)
    assert samples == 100 and np.isfinite(loss), (samples, loss)
    print("local epoch: 100 samples in batches of 64 + 36")


def check_shards(path):
    with open(path) as f:
        shards = json.load(f)["shards"]
    flat = [i for s in shards for i in s]
    assert len(set(flat)) == len(flat) == 60000 and min(flat) == 0 and max(flat) == 59999
    print(f"shards: {len(shards)} disjoint shards of {[len(s) for s in shards]} samples cover the training set")


if __name__ == "__main__":
    check_model()
    check_epoch()
    if len(sys.argv) > 1:
        check_shards(sys.argv[1])
