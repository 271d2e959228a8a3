"""FedMQ for Python: join a FedMQ federation as a trainer.

Why this file exists: it is the package's front door. ``fedmq`` speaks the wire protocol
(docs/PROTOCOL.md) with pyzmq, numpy and safetensors only; ``fedmq.pytorch`` (needs PyTorch)
federates a ``torch.nn.Module`` with the user's training function, and ``fedmq.models`` has the
aggregator's built-in models as modules.
"""

from .codec import EvaluateRequest, MessageCodec, Registration, UpdateResult
from .config import CurveKeys, TrainerConfig
from .crc32c import crc32c
from .data import load_fashion_mnist, shard_indices
from .errors import FedMQError, ProtocolError
from .header import Header, Kind
from .payload import Layout
from .session import TrainerSession
from .trainer import Round, RoundResult, Trainer, TrainerStatus

__all__ = [
    "CurveKeys", "EvaluateRequest", "FedMQError", "Header", "Kind", "Layout", "MessageCodec", "ProtocolError", "Registration",
    "Round", "RoundResult", "Trainer", "TrainerConfig", "TrainerSession", "TrainerStatus", "UpdateResult", "crc32c",
    "load_fashion_mnist", "shard_indices",
]
__version__ = "0.1.0"
