"""Shared test fixtures: the Swift binaries and real FedMQ processes on free ports.

Why this file exists: the federation tests run the real broker, aggregator and Swift trainer
beside Python trainers; finding the binaries, choosing ports and starting, killing and cleaning
up those processes is done once here. Binaries come from ``FEDMQ_BIN_DIR`` (scripts/python-test.sh
sets it after building them) or the repository's ``.build/debug``; without them the federation
tests are skipped, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # tests/wire.py

REPOSITORY = Path(__file__).resolve().parents[3]
EXAMPLE = REPOSITORY / "clients" / "python" / "examples" / "fashion_mnist_cnn.py"
BINARIES = ("broker", "aggregator", "trainer", "fedmq")


@pytest.fixture(scope="session")
def bin_dir() -> Path:
    """The directory holding the Swift executables."""
    directory = Path(os.environ.get("FEDMQ_BIN_DIR") or REPOSITORY / ".build" / "debug")
    missing = [name for name in BINARIES if not (directory / name).exists()]
    if missing:
        message = f"Swift binaries {missing} not in {directory} (run scripts/python-test.sh, which builds them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return directory


def free_ports(count: int) -> List[int]:
    """`count` distinct TCP ports free on 127.0.0.1 now."""
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


class Processes:
    """Child processes of one test, each logging to `<name>.log` in `directory`; all killed at the end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.children: Dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: List[str], env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
        log = open(self.directory / f"{name}.log", "ab")
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory,
                                 env={**os.environ, **(env or {})}, start_new_session=True)
        self.children[name] = child
        return child

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        child = self.children.pop(name)
        child.send_signal(sig)
        child.wait(30)

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


class Federation:
    """A broker and aggregator on free ports, and the arguments to join them."""

    def __init__(self, processes: Processes, bin_dir: Path) -> None:
        self.processes = processes
        self.bin_dir = bin_dir
        names = ["model_in", "model_out", "updates_in", "updates_out", "control_in", "control_out"]
        self.ports = dict(zip(names, free_ports(6)))
        #: The broker's --model-parameters (the default CNN's unless a test federates another model).
        self.model_parameters = 21840

    def start_broker(self, *arguments: str) -> None:
        self.processes.start("broker", [*self._broker_command(), *arguments])

    def _broker_command(self) -> List[str]:
        p = self.ports
        return [
            str(self.bin_dir / "broker"), "--bind", "127.0.0.1", "--model-parameters", str(self.model_parameters),
            "--model-in-port", str(p["model_in"]), "--model-out-port", str(p["model_out"]),
            "--updates-in-port", str(p["updates_in"]), "--updates-out-port", str(p["updates_out"]),
            "--control-in-port", str(p["control_in"]), "--control-out-port", str(p["control_out"])]

    def start_aggregator(self, *arguments: str) -> None:
        p = self.ports
        self.processes.start("aggregator", [
            str(self.bin_dir / "aggregator"), "--broker", "127.0.0.1", "--model-in-port", str(p["model_in"]),
            "--updates-out-port", str(p["updates_out"]), "--control-out-port", str(p["control_out"]),
            *arguments])

    def start_swift_trainer(self, identity: str, *arguments: str) -> None:
        p = self.ports
        self.processes.start(identity, [
            str(self.bin_dir / "trainer"), "--broker", "127.0.0.1", "--model-out-port", str(p["model_out"]),
            "--updates-in-port", str(p["updates_in"]), "--control-in-port", str(p["control_in"]),
            "--identity", identity, *arguments])

    def start_example_trainer(self, identity: str) -> None:
        p = self.ports
        self.processes.start(identity, [
            sys.executable, str(EXAMPLE), "--identity", identity, "--model-port", str(p["model_out"]),
            "--updates-port", str(p["updates_in"]), "--control-port", str(p["control_in"])])

    def trainer_config(self, **settings):
        """A ``TrainerConfig`` for an in-process Python trainer."""
        from fedmq import TrainerConfig

        p = self.ports
        return TrainerConfig(model_port=p["model_out"], updates_port=p["updates_in"],
                             control_port=p["control_in"], **settings)


@pytest.fixture
def federation(tmp_path: Path, bin_dir: Path) -> Iterator[Federation]:
    """A federation whose processes are stopped after the test (logs kept in `tmp_path`)."""
    processes = Processes(tmp_path)
    try:
        yield Federation(processes, bin_dir)
    finally:
        processes.stop_all()


def read_metrics(path: Path) -> List[dict]:
    """The aggregator's metrics lines so far."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    """Polls `condition` until it returns a true value (returned) or fails the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def curve_keys(bin_dir: Path, directory: Path, *names: str) -> Path:
    """Key pairs from ``fedmq keygen`` (broker, aggregator and `names`) in `directory`/keys."""
    keys = directory / "keys"
    arguments = [a for name in ("broker", "aggregator", *names) for a in ("--name", name)]
    subprocess.run([str(bin_dir / "fedmq"), "keygen", "--out", str(keys), *arguments],
                   check=True, capture_output=True, timeout=60)
    return keys
