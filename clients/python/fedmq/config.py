"""What a Python trainer needs to join a run, with the Swift trainer's defaults.

Why this file exists: one typed, validated configuration (endpoints, CURVE keys, identity,
timing) shared by the socket layer, the trainer loop and the PyTorch helper, so each setting is
documented and checked once.
"""

from __future__ import annotations

import math
import os
import socket
from dataclasses import dataclass
from typing import Optional

from .errors import FedMQError


@dataclass(frozen=True)
class CurveKeys:
    """CURVE client keys (Z85 text, 40 characters each): the broker's public key and this
    trainer's key pair (the public key is derived from the secret one when not given)."""

    server_public: str
    secret: str
    public: Optional[str] = None

    @staticmethod
    def read_key(path: str) -> str:
        """The first word of a key file as ``fedmq keygen`` writes it."""
        with open(path, encoding="ascii") as handle:
            words = handle.read().split()
        if not words or len(words[0]) != 40:
            raise FedMQError(f"{path} holds no 40-character Z85 CURVE key", code="curve_key")
        return words[0]

    @staticmethod
    def from_files(server_public_file: str, secret_file: str) -> "CurveKeys":
        """Keys from ``broker.pub`` and ``NAME.key`` files."""
        return CurveKeys(CurveKeys.read_key(server_public_file), CurveKeys.read_key(secret_file))


@dataclass
class TrainerConfig:
    """Everything a trainer needs to run.

    Attributes:
        host: the broker's host name.
        model_port: the broker's model-out port (XPUB), 5556.
        updates_port: the broker's updates-in port (PULL), 5557.
        control_port: the broker's control-in port (ROUTER), 5559.
        curve: CURVE keys; None for plaintext.
        identity: stable name sent at registration (the same identity gets back the same
            trainer id and shard); None: ``<host name>-<process id>``.
        run_id: the run to join; None learns it from the first model broadcast.
        heartbeat_interval: seconds between heartbeats (must stay below the aggregator's
            ``--heartbeat-timeout``, sent in ``registered``).
        register_retry: seconds between unanswered ``register`` requests, and the first wait
            before reconnecting after a CURVE refusal.
        model_wait: seconds to wait for a newer model before training again from the one held
            (0: train continuously, the buffered/async default; ``math.inf``: once per version,
            for sync rounds). The wait grows while no newer model comes (``same_base_wait``).
        update_send_timeout: seconds the broker may take to accept an update before it is
            dropped (only one update is ever in flight).
    """

    host: str = "127.0.0.1"
    model_port: int = 5556
    updates_port: int = 5557
    control_port: int = 5559
    curve: Optional[CurveKeys] = None
    identity: Optional[str] = None
    run_id: Optional[int] = None
    heartbeat_interval: float = 5.0
    register_retry: float = 2.0
    model_wait: float = 0.0
    update_send_timeout: float = 10.0

    def endpoint(self, port: int) -> str:
        """``tcp://host:port``."""
        return f"tcp://{self.host}:{port}"

    @property
    def effective_identity(self) -> str:
        """The identity actually sent."""
        return self.identity or f"{socket.gethostname()}-{os.getpid()}"

    def same_base_wait(self, rounds: int) -> float:
        """Seconds to wait for a newer model before training again on the base of the last
        `rounds` rounds: `model_wait` after the first, then doubling from at least 4 s up to 60 s
        (the Swift trainer's rule: a stalled aggregator slows trainers down)."""
        if rounds <= 1 or not math.isfinite(self.model_wait):
            return self.model_wait
        return max(self.model_wait, min(60.0, 4.0 * 2 ** min(rounds - 2, 4)))

    def validate(self) -> None:
        """Raises ``FedMQError`` for the first invalid value."""
        for name in ("heartbeat_interval", "register_retry", "update_send_timeout"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise FedMQError(f"{name} must be a finite number of seconds > 0, got {value}", code="configuration")
        if not self.model_wait >= 0:
            raise FedMQError(f"model_wait must be ≥ 0 seconds, got {self.model_wait}", code="configuration")
        if self.identity is not None and not 1 <= len(self.identity.encode()) <= 256:
            raise FedMQError("identity must be 1…256 bytes", code="configuration")

    def validate_heartbeat(self, aggregator_timeout: Optional[float]) -> None:
        """Raises when `heartbeat_interval` is not below the aggregator's heartbeat timeout:
        the aggregator would count this trainer gone between two heartbeats."""
        if aggregator_timeout is not None and self.heartbeat_interval >= aggregator_timeout:
            raise FedMQError(
                f"heartbeat_interval {self.heartbeat_interval} is not below the aggregator's --heartbeat-timeout "
                f"{aggregator_timeout} s; use at most {aggregator_timeout / 3}", code="heartbeat_interval")
