"""Errors of the FedMQ package.

Why this file exists: every check the receiver runs on a message reports a stable reason name,
the same snake_case names the Swift aggregator counts (``RejectionReason``), so a log line of a
Python trainer and a metrics line of the aggregator speak of the same thing.
"""

from __future__ import annotations

from typing import Optional


class ProtocolError(Exception):
    """A message failed a protocol check.

    Attributes:
        reason: the stable name of the failed check, e.g. ``"bad_checksum"``.
        message: what was wrong, for logs.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class FedMQError(Exception):
    """A fatal problem of a trainer (configuration, model layout), with a stable code.

    Attributes:
        code: stable name, e.g. ``"fingerprint_mismatch"``.
        message: what to change.
        underlying: the error that caused it, if any.
    """

    def __init__(self, message: str, code: str = "fedmq", underlying: Optional[BaseException] = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.underlying = underlying
