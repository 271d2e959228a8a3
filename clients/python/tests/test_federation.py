"""Python trainers in real federations with the Swift broker, aggregator and trainers.

Why this file exists: the package's claims hold only against the real processes — a mixed run
of Swift and PyTorch trainers reaches the target accuracy and its checkpoint loads into the
PyTorch module; a Python trainer stays in the run through a broker restart, an aggregator
killed with SIGKILL and restarted, and an aggregator restarted without its membership.
"""

import signal
import threading
import time

import numpy as np
import pytest
import torch

from fedmq import RoundResult, Trainer, load_fashion_mnist
from fedmq.models import cnn
from fedmq.pytorch import load_checkpoint

from fedmq import CurveKeys

from conftest import curve_keys, read_metrics, wait_for

pytestmark = pytest.mark.federation

#: The mixed run's target (measured figures in the closing comment of scripts/python-test.sh);
#: the aggregator's time limit is a safety net far above the time it takes.
TARGET = 0.83


def test_two_swift_and_two_pytorch_trainers_reach_the_target_and_the_checkpoint_loads_strictly(federation, tmp_path):
    federation.start_broker()
    federation.start_aggregator("--shards", "4", "--partition", "dirichlet:0.5", "--eval-every", "2",
                                "--target-accuracy", str(TARGET), "--time-limit", "170", "--checkpoint-dir",
                                "checkpoints", "--checkpoint-every", "1", "--metrics", "metrics.jsonl")
    processes = federation.processes
    for n in (1, 2):
        federation.start_example_trainer(f"torch-{n}")
    for n in (1, 2):  # once the PyTorch trainers train (importing torch takes seconds), so all four take part
        wait_for(lambda: "update pushed" in processes.log(f"torch-{n}"), 120, f"torch-{n}'s first update")
        federation.start_swift_trainer(f"swift-{n}")
    for name in ("torch-1", "torch-2"):
        processes.children[name].wait(200)
        assert "run ended: target accuracy" in processes.log(name), processes.log(name)[-2000:]
        assert processes.log(name).count("update pushed") >= 5
    processes.children["aggregator"].wait(120)  # it exits after evaluating the final model: metrics complete
    metrics = read_metrics(tmp_path / "metrics.jsonl")
    assert metrics[-1]["rejected"] == {}, "the aggregator rejected updates"
    best = max(m.get("testAccuracy", 0) for m in metrics)
    assert best >= TARGET
    shards = {line.split("shard ")[1].split("/")[0] for name in ("torch-1", "torch-2")
              for line in processes.log(name).splitlines() if "registered: id" in line}
    assert len(shards) == 2, "each PyTorch trainer has a shard of its own"

    model = cnn()
    version = load_checkpoint(model, str(tmp_path / "checkpoints"), strict=True)
    assert version == max(m["version"] for m in metrics)
    images, labels = (torch.from_numpy(a) for a in load_fashion_mnist("test"))
    with torch.no_grad():
        accuracy = (model(images).argmax(1) == labels).float().mean().item()
    evaluated = [m["testAccuracy"] for m in metrics if m["version"] == version and "testAccuracy" in m]
    assert evaluated and abs(accuracy - evaluated[-1]) < 0.002, (accuracy, evaluated)


class NumpyTrainer:
    """An in-process Python trainer pushing small deltas (no real training): fast rounds, so the
    test watches the protocol, not the learning."""

    def __init__(self, config) -> None:
        self.trainer = Trainer(config)
        self.result = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.rng = np.random.default_rng(0)

    def _round(self, work):
        time.sleep(0.2)
        delta = {name: self.rng.normal(0, 1e-4, shape).astype(np.float32)
                 for name, shape in zip(work.weights.layout.names, work.weights.layout.shapes)}
        return RoundResult(delta, 32, 0.5, is_delta=True)

    def _run(self) -> None:
        self.result = self.trainer.run(self._round)


class AlternatingTrainer(NumpyTrainer):
    """Every second update is a million times too large for the aggregator's norm bound."""

    def __init__(self, config) -> None:
        super().__init__(config)
        self.rounds = 0

    def _round(self, work):
        result = super()._round(work)
        self.rounds += 1
        if self.rounds % 2 == 0:
            result = RoundResult({name: delta * 1e6 for name, delta in result.tensors.items()}, 32, 0.5, is_delta=True)
        return result


def test_a_python_trainer_is_told_which_updates_were_accepted_and_why_the_others_were_rejected(federation):
    federation.start_broker()
    federation.start_aggregator("--shards", "1", "--buffer-size", "2", "--eval-every", "0", "--norm-policy", "reject:1")
    python = AlternatingTrainer(federation.trainer_config(identity="py-feedback"))
    python.thread.start()
    status = lambda: python.trainer.status  # noqa: E731
    wait_for(lambda: status().updates_accepted >= 3 and status().updates_rejected.get("norm_exceeded", 0) >= 3, 60,
             "verdicts on both kinds of update")
    python.trainer.stop()
    python.thread.join(20)
    final = status()
    assert set(final.updates_rejected) == {"norm_exceeded"}
    # Every update pushed got its verdict, except perhaps the last one or two still on their way.
    assert final.updates_sent - 2 <= final.updates_accepted + final.updates_rejected["norm_exceeded"] <= final.updates_sent
    assert final.last_update_result is not None and final.last_update_result.trainer_id == final.registration.trainer_id


def test_a_python_trainer_survives_broker_restart_aggregator_kill_and_lost_membership(federation, tmp_path):
    aggregator = ("--shards", "2", "--mode", "buffered", "--buffer-size", "1", "--eval-every", "0",
                  "--checkpoint-every", "1", "--run-id", "5")
    federation.start_broker()
    federation.start_aggregator(*aggregator, "--checkpoint-dir", "first")
    python = NumpyTrainer(federation.trainer_config(identity="py-1", heartbeat_interval=0.5))
    python.thread.start()
    status = lambda: python.trainer.status  # noqa: E731

    def advances(by: int, what: str) -> int:
        start = status().updates_sent
        wait_for(lambda: status().updates_sent >= start + by and status().version, 60, what)
        return status().version

    advances(3, "the first updates")
    federation.processes.kill("broker")
    federation.start_broker()
    advances(3, "updates through the restarted broker")

    before = status().version
    federation.processes.kill("aggregator", signal.SIGKILL)
    federation.start_aggregator(*aggregator, "--checkpoint-dir", "first")
    wait_for(lambda: status().version > before + 2, 60, "versions from the restarted aggregator")
    assert status().reregistrations == 0  # the membership came back with the checkpoint directory

    federation.processes.kill("aggregator", signal.SIGKILL)
    federation.start_aggregator(*aggregator, "--checkpoint-dir", "second")  # no membership, version 0
    wait_for(lambda: status().reregistrations >= 1 and status().versions_went_back >= 1, 60,
             "registering again after unregistered, and the new aggregator's version 0")
    high = status().version
    wait_for(lambda: status().version >= high + 3, 60, "updates accepted by the new aggregator")
    assert status().registration.trainer_id >= 1 and python.thread.is_alive()

    python.trainer.stop()
    python.thread.join(20)
    assert python.result == "shutdown"
    wait_for(lambda: "trainer left" in federation.processes.log("aggregator"), 10, "the goodbye")  # only the last got one


def test_a_python_trainer_refused_by_a_curve_broker_backs_off_and_joins_once_its_key_is_admitted(
        federation, tmp_path, bin_dir):
    keys = curve_keys(bin_dir, tmp_path, "py")
    allowed = tmp_path / "allowed"
    allowed.write_text((keys / "aggregator.pub").read_text())  # not the Python trainer's key yet
    federation.start_broker("--curve-secret-key-file", str(keys / "broker.key"), "--allowed-keys-file", str(allowed),
                            "--aggregator-keys-file", str(keys / "aggregator.pub"))
    federation.start_aggregator("--shards", "2", "--buffer-size", "1", "--eval-every", "0",
                                "--curve-server-key-file", str(keys / "broker.pub"),
                                "--curve-secret-key-file", str(keys / "aggregator.key"))
    curve = CurveKeys.from_files(str(keys / "broker.pub"), str(keys / "py.key"))
    python = NumpyTrainer(federation.trainer_config(identity="py-curve", curve=curve, register_retry=0.5))
    python.thread.start()
    status = lambda: python.trainer.status  # noqa: E731
    wait_for(lambda: status().broker_refusals >= 2, 60, "the broker's refusals, retried")
    assert status().registration is None and status().updates_sent == 0

    allowed.write_text(allowed.read_text() + (keys / "py.pub").read_text())
    federation.processes.children["broker"].send_signal(signal.SIGHUP)  # the broker reads its list again
    wait_for(lambda: status().updates_sent >= 3, 60, "updates once admitted")
    assert status().registration is not None and status().reject_reasons == {}
    python.trainer.stop()
    python.thread.join(20)


def test_swift_trainers_answer_federated_evaluation_beside_the_servers_own(federation, tmp_path):
    federation.start_broker()
    federation.start_aggregator("--shards", "2", "--buffer-size", "2", "--eval-every", "2", "--federated-eval",
                                "--federated-eval-timeout", "20", "--max-versions", "8", "--metrics", "metrics.jsonl")
    for n in (1, 2):
        federation.start_swift_trainer(f"swift-{n}")
    federation.processes.children["aggregator"].wait(180)
    metrics = read_metrics(tmp_path / "metrics.jsonl")
    federated = [m for m in metrics if "federatedAccuracy" in m]
    server = {m["version"]: m["testAccuracy"] for m in metrics if "testAccuracy" in m}
    assert federated, federation.processes.log("aggregator")[-3000:]
    assert any(m["federatedTrainers"] == 2 for m in federated)
    for m in federated:
        assert m["version"] % 2 == 0 and 0 <= m["federatedAccuracy"] <= 1 and "testAccuracy" not in m
        assert m["federatedSamples"] == 2000 * m["federatedTrainers"]  # the first 2 000 samples of each shard
    assert server and set(server) & {m["version"] for m in federated}, "both kinds of evaluation of the same versions"
    for n in (1, 2):
        assert "federated evaluation answered" in federation.processes.log(f"swift-{n}")
