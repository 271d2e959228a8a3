"""The aggregator's side of the wire, for tests: the messages a trainer receives.

Why this file exists: the package only encodes what a trainer sends; the session and helper
tests need models, stops, ``registered`` and ``unregistered`` replies built exactly as the Swift
aggregator builds them (``MessageCodec.model``/``stop``/``control``).
"""

from __future__ import annotations

import json
from typing import Dict, List

import numpy as np

from fedmq import payload
from fedmq.crc32c import crc32c
from fedmq.header import Header, Kind
from fedmq.payload import Layout

LAYOUT = Layout.of([("fc.weight", (2, 3)), ("fc.bias", (2,))])


def frames(header: Header, body: bytes = b"") -> List[bytes]:
    """[topic, header, payload] with length and CRC-32C filled in."""
    header.payload_length = len(body)
    header.checksum = crc32c(body)
    return [header.kind.topic, header.encode(), bytes(body)]


def weights(value: float, layout: Layout = LAYOUT) -> Dict[str, np.ndarray]:
    """Every tensor of `layout` filled with `value`."""
    return {name: np.full(shape, value, dtype=np.float32) for name, shape in zip(layout.names, layout.shapes)}


def model(run_id: int, version: int, value: float = 0.5, layout: Layout = LAYOUT) -> List[bytes]:
    """A ``model`` broadcast of `layout` with every weight `value`."""
    body = payload.encode(layout, weights(value, layout), {"fedmq.version": str(version)})
    return frames(Header(Kind.MODEL, run_id, layout.fingerprint, model_version=version), bytes(body))


def stop(run_id: int, version: int, reason: str, layout: Layout = LAYOUT) -> List[bytes]:
    """A ``stop`` broadcast."""
    return frames(Header(Kind.STOP, run_id, layout.fingerprint, model_version=version), reason.encode())


def registered(run_id: int, trainer_id: int, shard: int = 0, version: int = 0, timeout: float = 30,
               layout: Layout = LAYOUT) -> List[bytes]:
    """A ``registered`` reply as the aggregator sends it (keys sorted)."""
    body = json.dumps({"heartbeatTimeout": timeout, "modelVersion": version, "partition": "iid", "seed": 0,
                       "shardCount": 4, "shardIndex": shard, "trainerID": trainer_id}, sort_keys=True).encode()
    return frames(Header(Kind.REGISTERED, run_id, layout.fingerprint, model_version=version,
                         trainer_id=trainer_id), body)


def unregistered(run_id: int, trainer_id: int, sequence: int, layout: Layout = LAYOUT) -> List[bytes]:
    """An ``unregistered`` reply answering request `sequence`."""
    return frames(Header(Kind.UNREGISTERED, run_id, layout.fingerprint, sequence=sequence, trainer_id=trainer_id))


def update_result(run_id: int, trainer_id: int, sequence: int, reason=None, base: int = 0, version: int = 0,
                  layout: Layout = LAYOUT) -> List[bytes]:
    """An ``update_result`` as the aggregator sends it: accepted when `reason` is None."""
    body = b'{"accepted":true}' if reason is None else json.dumps(
        {"accepted": False, "reason": reason}, separators=(",", ":")).encode()
    return frames(Header(Kind.UPDATE_RESULT, run_id, layout.fingerprint, model_version=version, base_version=base,
                         sequence=sequence, trainer_id=trainer_id), body)


def evaluate(run_id: int, version: int, layout: Layout = LAYOUT) -> List[bytes]:
    """An ``evaluate`` request for `version`."""
    return frames(Header(Kind.EVALUATE, run_id, layout.fingerprint, model_version=version))
