"""The 80-byte little-endian header of every FedMQ message, and the message kinds.

Why this file exists: the header is the one fixed binary structure of the protocol
(docs/PROTOCOL.md, "Header"); encoding and the structural checks (size, magic, version, kind)
live here once, for every message the package sends or receives.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from .errors import ProtocolError

MAGIC = b"FMQ1"
PROTOCOL_VERSION = 1
HEADER_BYTES = 80
_LAYOUT = struct.Struct("<4sHHQQQQQQIIfIII")
assert _LAYOUT.size == HEADER_BYTES

FLAG_DELTA = 1 << 0
"""Header flag: the payload is a delta ``local - base`` (set on every update)."""
FLAG_CLIPPED = 1 << 1
"""Header flag: the sender clipped its delta to a norm bound."""


class Kind(enum.IntEnum):
    """Message kinds (header bytes 6-7)."""

    MODEL = 1
    UPDATE = 2
    STOP = 3
    REGISTER = 4
    REGISTERED = 5
    HEARTBEAT = 6
    GOODBYE = 7
    UNREGISTERED = 8
    UPDATE_RESULT = 9
    EVALUATE = 10
    EVALUATION = 11

    @property
    def topic(self) -> bytes:
        """The topic frame this kind travels with."""
        if self in (Kind.MODEL, Kind.STOP):
            return b"model"
        if self is Kind.UPDATE:
            return b"update"
        return b"control"


@dataclass
class Header:
    """One decoded header. Integers are unsigned; ``loss`` is a float32 value.

    Attributes:
        kind: the message kind.
        run_id: the aggregator's run id.
        fingerprint: the architecture fingerprint (0 = "not known" on control messages).
        model_version: model/stop: the version carried; registered: the current version;
            update: the base version.
        base_version: update: the version the delta was trained from; else 0.
        sequence: the sender's sequence number; unregistered: the answered request's.
        payload_length: bytes of the payload frame.
        trainer_id: the sender's trainer id (0 before registration and from the aggregator,
            except in registered/unregistered: the id concerned).
        sample_count: update: training samples behind the delta.
        loss: update: mean local training loss.
        checksum: CRC-32C of the payload.
        flags: option bits (``FLAG_DELTA``, ``FLAG_CLIPPED``).
        reserved: written 0; kept as received.
    """

    kind: Kind
    run_id: int
    fingerprint: int = 0
    model_version: int = 0
    base_version: int = 0
    sequence: int = 0
    payload_length: int = 0
    trainer_id: int = 0
    sample_count: int = 0
    loss: float = 0.0
    checksum: int = 0
    flags: int = 0
    reserved: int = 0

    def encode(self) -> bytes:
        """The 80 header bytes."""
        return _LAYOUT.pack(MAGIC, PROTOCOL_VERSION, int(self.kind), self.run_id, self.fingerprint,
                            self.model_version, self.base_version, self.sequence, self.payload_length,
                            self.trainer_id, self.sample_count, self.loss, self.checksum, self.flags,
                            self.reserved)

    @staticmethod
    def decode(frame: bytes) -> "Header":
        """Parses a header frame and checks its size, magic, version and kind.

        Raises:
            ProtocolError: ``short_header``, ``bad_magic``, ``unsupported_version`` or
                ``unknown_kind``.
        """
        if len(frame) != HEADER_BYTES:
            raise ProtocolError("short_header", f"header is {len(frame)} bytes, expected {HEADER_BYTES}")
        (magic, version, kind, run_id, fingerprint, model_version, base_version, sequence, length,
         trainer_id, samples, loss, checksum, flags, reserved) = _LAYOUT.unpack(frame)
        if magic != MAGIC:
            raise ProtocolError("bad_magic", "header magic is not FMQ1")
        if version != PROTOCOL_VERSION:
            raise ProtocolError("unsupported_version",
                                f"protocol version {version}, this package speaks {PROTOCOL_VERSION}")
        try:
            decoded_kind = Kind(kind)
        except ValueError:
            raise ProtocolError("unknown_kind", f"message kind {kind} is not defined") from None
        return Header(decoded_kind, run_id, fingerprint, model_version, base_version, sequence, length,
                      trainer_id, samples, loss, checksum, flags, reserved)
