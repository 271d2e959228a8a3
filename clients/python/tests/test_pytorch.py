"""The PyTorch helper without a network: loading, deltas, the buffer rule, checkpoints, models.

Why this file exists: the helper's promises — each round starts from the global version, the
update is exactly ``local − base`` of the federated tensors, local tensors are never sent or
overwritten, a mismatched module is refused, a checkpoint loads with ``strict=True`` — are
checked here on a real module.
"""

import json
import os

import numpy as np
import pytest
import torch
from torch import nn

from fedmq import FedMQError
from fedmq.codec import MessageCodec
from fedmq.crc32c import crc32c
from fedmq.models import DescribedModel, cnn, mlp
from fedmq.payload import Layout, encode
from fedmq.pytorch import TorchTrainer, load_checkpoint
from fedmq.trainer import Round

import wire


class WithNorm(nn.Module):
    """A linear layer and a batch norm: a model with buffers the aggregator does not carry."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.norm = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.norm(self.fc(x))


def global_round(version, value, layout=wire.LAYOUT):
    message = MessageCodec(1).decode_broadcast(wire.model(1, version, value, layout))
    registration = MessageCodec(1).decode_control(wire.registered(1, 2))
    return Round(version, message.weights, registration)


def test_a_round_starts_from_the_global_version_and_sends_local_minus_base_keeping_buffers_local():
    model = WithNorm()
    seen = {}

    def train(module, registration):
        seen["start"] = module.fc.weight.detach().clone()
        with torch.no_grad():
            module.fc.weight += 0.25
            if "shard" not in seen:
                module.norm(torch.randn(8, 2))  # moves the running statistics (local buffers) once
        seen["shard"] = registration.shard_index
        return 64, 0.5

    helper = TorchTrainer(model, train)
    result = helper._round(global_round(3, 1.0))
    assert torch.equal(seen["start"], torch.ones(2, 3)) and seen["shard"] == 0
    assert set(result.tensors) == {"fc.weight", "fc.bias"}
    assert (result.sample_count, result.loss) == (64, 0.5)
    body = encode(wire.LAYOUT, result.tensors, {}, minus=global_round(3, 1.0).weights.tensors)
    delta = np.frombuffer(body, dtype="<f4", offset=len(body) - 32)
    assert np.allclose(delta[:6], 0.25) and np.allclose(delta[6:], 0)
    running = model.norm.running_mean.clone()
    assert running.abs().sum() > 0
    helper._round(global_round(4, 2.0))
    assert torch.equal(seen["start"], torch.full((2, 3), 2.0))  # the next round starts from the next version
    assert torch.equal(model.norm.running_mean, running) and model.norm.num_batches_tracked == 1  # kept local


def test_a_module_without_the_aggregators_tensors_is_refused():
    helper = TorchTrainer(nn.Linear(2, 2), lambda m, r: (1, 0.0))
    other = Layout.of([("weight", (2, 2)), ("bias", (3,))])
    with pytest.raises(FedMQError) as caught:
        helper._round(global_round(1, 0.0, other))
    assert caught.value.code == "layout_mismatch"


def test_evaluate_runs_once_per_new_global_version():
    calls = []
    helper = TorchTrainer(nn.Linear(3, 2).requires_grad_(False), lambda m, r: (1, 0.0),
                          evaluate=lambda m: calls.append(float(m.weight.sum())) or len(calls))
    layout = Layout.of([("weight", (2, 3)), ("bias", (2,))])
    helper._round(global_round(2, 1.0, layout))
    helper._round(global_round(2, 1.0, layout))
    helper._round(global_round(3, 0.0, layout))
    assert calls == [6.0, 0.0] and helper.evaluations == {2: 1, 3: 2}


def test_built_in_models_have_the_swift_names_shapes_and_sizes():
    assert [(k, tuple(v.shape)) for k, v in cnn().state_dict().items()] == [
        ("conv1.weight", (10, 1, 5, 5)), ("conv1.bias", (10,)), ("conv2.weight", (20, 10, 5, 5)),
        ("conv2.bias", (20,)), ("fc1.weight", (50, 320)), ("fc1.bias", (50,)), ("fc2.weight", (10, 50)),
        ("fc2.bias", (10,))]
    assert sum(p.numel() for p in mlp().parameters()) == 199_210
    described = DescribedModel("conv 4 3 stride 2 pad 1, relu, flatten, fc 10, log_softmax")
    assert described(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert described.fc1.in_features == 4 * 14 * 14


def test_a_checkpoint_directory_loads_strictly_and_a_corrupt_newest_one_is_skipped(tmp_path):
    model = cnn()
    layout = Layout.of((k, v.shape) for k, v in model.state_dict().items())
    for version, value, corrupt in [(7, 0.5, False), (9, 0.75, True)]:
        folder = tmp_path / f"ckpt-{version:020d}"
        folder.mkdir()
        body = bytes(encode(layout, {n: np.full(s, value, np.float32) for n, s in zip(layout.names, layout.shapes)},
                            {"fedmq.version": str(version)}))
        (folder / "model.safetensors").write_bytes(body)
        checksum = crc32c(body) ^ (1 if corrupt else 0)
        (folder / "MANIFEST.json").write_text(json.dumps({"model.safetensors": f"{checksum:08x}"}))
    assert load_checkpoint(model, str(tmp_path)) == 7
    assert torch.all(model.fc2.bias == 0.5)
    with pytest.raises(RuntimeError):
        load_checkpoint(nn.Linear(2, 2), os.path.join(tmp_path, "ckpt-00000000000000000007", "model.safetensors"))
