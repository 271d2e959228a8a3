"""Builds and checks the three-frame messages of one run: what a trainer sends and receives.

Why this file exists: every message is ``[topic, header, payload]`` (docs/PROTOCOL.md); the
order of the receiver's checks (frame count, header, kind, topic, run id, fingerprint, payload
length, size bound, CRC-32C, then the payload) is the Swift ``FrameCodec``'s, kept in one place
so a rejected message carries the same reason name as on the aggregator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import List, Optional, Sequence, Union

from . import payload as payloads
from .crc32c import crc32c
from .errors import ProtocolError
from .header import FLAG_DELTA, Header, Kind
from .payload import DecodedPayload, Layout

Frames = List[Union[bytes, bytearray, memoryview]]
"""The frames of one message: topic, header, payload."""

#: The payload slack beyond twice the raw model size (``MessageSizeLimit.headerSlack``).
PAYLOAD_SLACK = 65536


def max_payload_bytes(parameter_count: int) -> int:
    """The payload bound the Swift codecs apply: 8 bytes per parameter plus 64 KiB."""
    return 8 * parameter_count + PAYLOAD_SLACK


@dataclass(frozen=True)
class Registration:
    """The ``registered`` reply (JSON keys in parentheses).

    Attributes:
        trainer_id: the id to send in every later header (``trainerID``, ≥ 1).
        shard_index: this trainer's shard, in ``0..shard_count-1`` (``shardIndex``).
        shard_count: number of shards (``shardCount``).
        partition: the partition scheme, e.g. ``dirichlet:0.5`` (``partition``).
        seed: the partition seed (``seed``).
        model_version: the global version when it registered (``modelVersion``).
        heartbeat_timeout: seconds of silence after which the aggregator counts the trainer
            gone (``heartbeatTimeout``; None from aggregators that do not send it).
    """

    trainer_id: int
    shard_index: int
    shard_count: int
    partition: str
    seed: int
    model_version: int
    heartbeat_timeout: Optional[float] = None

    @staticmethod
    def from_json(data: bytes) -> "Registration":
        """Parses the payload of ``registered``; raises ``ProtocolError`` (payload_decode)."""
        try:
            value = json.loads(bytes(data).decode("utf-8"))
            timeout = value.get("heartbeatTimeout")
            return Registration(int(value["trainerID"]), int(value["shardIndex"]), int(value["shardCount"]),
                                str(value["partition"]), int(value["seed"]), int(value["modelVersion"]),
                                None if timeout is None else float(timeout))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ProtocolError("payload_decode", f"registered payload: {error}") from None

    def same_assignment(self, other: "Registration") -> bool:
        """Whether `other` assigns the same id and shard (model versions aside)."""
        return (self.trainer_id, self.shard_index, self.shard_count, self.partition, self.seed) == (
            other.trainer_id, other.shard_index, other.shard_count, other.partition, other.seed)


@dataclass(frozen=True)
class ModelMessage:
    """A decoded ``model`` broadcast: the whole global weights at ``version``."""

    version: int
    weights: DecodedPayload


@dataclass(frozen=True)
class StopMessage:
    """A decoded ``stop`` broadcast: the run ended after ``version``."""

    version: int
    reason: str


@dataclass(frozen=True)
class Unregistered:
    """The ``unregistered`` reply: ``trainer_id`` is unknown; ``sequence`` is the answered request's."""

    trainer_id: int
    sequence: int


@dataclass(frozen=True)
class UpdateResult:
    """The aggregator's verdict on one update (``update_result``, docs/PROTOCOL.md "Update feedback").

    Attributes:
        trainer_id: the update's trainer id.
        sequence: the update's sequence number.
        base_version: the version the update was trained from.
        model_version: the aggregator's version right after it decided.
        reason: why it was rejected (a ``RejectionReason`` name such as ``too_stale``), or None
            when it was accepted (taken into the strategy: applied or buffered).
    """

    trainer_id: int
    sequence: int
    base_version: int
    model_version: int
    reason: Optional[str]

    @property
    def accepted(self) -> bool:
        """True when the aggregator took the update."""
        return self.reason is None


@dataclass(frozen=True)
class EvaluateRequest:
    """The aggregator asks for an evaluation of global ``version`` on local data (``evaluate``)."""

    version: int


class MessageCodec:
    """Messages of run `run_id` for a model of `layout` (None until the first model is known:
    control messages then carry fingerprint 0, which the aggregator accepts)."""

    def __init__(self, run_id: int, layout: Optional[Layout] = None) -> None:
        self.run_id = run_id
        self.layout = layout
        self.fingerprint = layout.fingerprint if layout else 0

    def learn(self, layout: Layout) -> None:
        """Fixes the model's layout (from the first valid model)."""
        self.layout = layout
        self.fingerprint = layout.fingerprint

    # Encoding

    def _frames(self, header: Header, payload: Union[bytes, bytearray] = b"", checksum: Optional[int] = None) -> Frames:
        header.payload_length = len(payload)
        header.checksum = crc32c(payload) if checksum is None else checksum
        return [header.kind.topic, header.encode(), payload]

    def register(self, identity: Optional[str], sequence: int) -> Frames:
        """``register``: payload ``{"identity": …}`` (``{}`` for an anonymous replica)."""
        body = json.dumps({"identity": identity} if identity else {}, separators=(",", ":")).encode()
        return self._frames(Header(Kind.REGISTER, self.run_id, self.fingerprint, sequence=sequence), body)

    def heartbeat(self, trainer_id: int, sequence: int) -> Frames:
        """``heartbeat`` of `trainer_id` (empty payload)."""
        return self._frames(Header(Kind.HEARTBEAT, self.run_id, self.fingerprint, sequence=sequence,
                                   trainer_id=trainer_id))

    def evaluation(self, trainer_id: int, sequence: int, version: int, samples: int, loss: float,
                   accuracy: float) -> Frames:
        """``evaluation``: `trainer_id`'s loss and accuracy of `version` over `samples` local samples."""
        body = json.dumps({"accuracy": accuracy, "loss": loss, "samples": samples}, separators=(",", ":")).encode()
        return self._frames(Header(Kind.EVALUATION, self.run_id, self.fingerprint, model_version=version,
                                   sequence=sequence, trainer_id=trainer_id, sample_count=samples), body)

    def goodbye(self, trainer_id: int, sequence: int) -> Frames:
        """``goodbye`` of `trainer_id` (empty payload)."""
        return self._frames(Header(Kind.GOODBYE, self.run_id, self.fingerprint, sequence=sequence,
                                   trainer_id=trainer_id))

    def update(self, payload: Union[bytes, bytearray], base: int, trainer_id: int, sequence: int,
               sample_count: int, loss: float, checksum: Optional[int] = None) -> Frames:
        """``update`` carrying an encoded delta trained from version `base`."""
        header = Header(Kind.UPDATE, self.run_id, self.fingerprint, model_version=base, base_version=base,
                        sequence=sequence, trainer_id=trainer_id, sample_count=min(sample_count, 0xFFFFFFFF),
                        loss=loss, flags=FLAG_DELTA)
        return self._frames(header, payload, checksum)

    # Decoding

    def check_envelope(self, frames: Sequence[bytes], kinds: Sequence[Kind], control: bool = False) -> Header:
        """Every check before the payload's, in the Swift order; returns the header."""
        if len(frames) != 3:
            raise ProtocolError("wrong_frame_count", f"{len(frames)} frames, expected 3 [topic, header, payload]")
        header = Header.decode(bytes(frames[1]))
        if header.kind not in kinds:
            raise ProtocolError("unknown_kind", f"kind {header.kind.name} not accepted on this channel")
        if bytes(frames[0]) != header.kind.topic:
            raise ProtocolError("wrong_topic", f"topic {bytes(frames[0])!r} for kind {header.kind.name}")
        if header.run_id != self.run_id:
            raise ProtocolError("wrong_run_id", f"run id {header.run_id} != expected {self.run_id}")
        if self.layout is not None and header.fingerprint != self.fingerprint and not (control and header.fingerprint == 0):
            raise ProtocolError("fingerprint_mismatch",
                                f"architecture fingerprint {header.fingerprint:#x} != {self.fingerprint:#x}")
        size = len(memoryview(frames[2]))
        if header.payload_length != size:
            raise ProtocolError("payload_length_mismatch",
                                f"header says {header.payload_length} payload bytes, frame has {size}")
        if self.layout is not None and size > max_payload_bytes(self.layout.parameter_count):
            raise ProtocolError("oversize_payload", f"payload of {size} bytes exceeds the bound")
        if crc32c(frames[2]) != header.checksum:
            raise ProtocolError("bad_checksum", "payload CRC-32C differs from the header's")
        return header

    def decode_broadcast(self, frames: Sequence[bytes]) -> Union[ModelMessage, StopMessage]:
        """A ``model`` or ``stop`` from the model channel. Before the layout is known, the first
        model's own layout is taken if its fingerprint matches its header.

        Raises:
            ProtocolError: the first failed check.
        """
        header = self.check_envelope(frames, (Kind.MODEL, Kind.STOP))
        if header.kind is Kind.STOP:
            return StopMessage(header.model_version, bytes(frames[2]).decode("utf-8", "replace"))
        weights = payloads.decode(frames[2], self.layout)
        if self.layout is None and weights.layout.fingerprint != header.fingerprint:
            raise ProtocolError("fingerprint_mismatch",
                                f"the model's tensors hash to {weights.layout.fingerprint:#x}, "
                                f"its header says {header.fingerprint:#x}")
        return ModelMessage(header.model_version, weights)

    def decode_control(self, frames: Sequence[bytes]) -> Union[Registration, Unregistered, UpdateResult, EvaluateRequest]:
        """A ``registered``, ``unregistered``, ``update_result`` or ``evaluate`` message from the control channel."""
        header = self.check_envelope(frames, (Kind.REGISTERED, Kind.UNREGISTERED, Kind.UPDATE_RESULT, Kind.EVALUATE),
                                     control=True)
        if header.kind is Kind.EVALUATE:
            return EvaluateRequest(header.model_version)
        if header.kind is Kind.UNREGISTERED:
            return Unregistered(header.trainer_id, header.sequence)
        if header.kind is Kind.UPDATE_RESULT:
            return _update_result(header, frames[2])
        return Registration.from_json(frames[2])


def _update_result(header: Header, body: bytes) -> UpdateResult:
    """Decodes an ``update_result`` payload: ``{"accepted": bool, "reason": name}`` with a
    reason exactly when not accepted."""
    try:
        fields = json.loads(bytes(body))
        accepted, reason = fields["accepted"], fields.get("reason")
    except (ValueError, KeyError, TypeError) as error:
        raise ProtocolError("payload_decode", f"update_result payload is not valid: {error}") from None
    if not isinstance(accepted, bool) or accepted != (reason is None) or not (reason is None or isinstance(reason, str) and reason):
        raise ProtocolError("invalid_field", f"update_result: accepted {accepted!r} with reason {reason!r}")
    return UpdateResult(header.trainer_id, header.sequence, header.base_version, header.model_version, reason)
