"""The trainer's half of the protocol, without sockets or a clock of its own.

Why this file exists: it is the Python twin of the Swift ``TrainerSession`` — learning the run
id, registering (and again after ``unregistered``), heartbeating, following model versions
(also one that goes back after an aggregator restored an older checkpoint), numbering every
message, and the wait before reconnecting after a CURVE refusal. Every input is a message or an
instant (monotonic seconds) and every output is frames to send or an event, so tests drive it
exactly as the socket loop does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Union

from .codec import EvaluateRequest, Frames, MessageCodec, ModelMessage, Registration, StopMessage, Unregistered, UpdateResult
from .errors import ProtocolError
from .header import Header, Kind
from .payload import DecodedPayload, Layout


@dataclass(frozen=True)
class Joined:
    """The run id was learned from the first broadcast's header."""

    run_id: int


@dataclass(frozen=True)
class Registered:
    """The aggregator assigned an id and shard; ``again`` after it had forgotten this trainer."""

    registration: Registration
    again: bool


@dataclass(frozen=True)
class Forgotten:
    """The aggregator does not know ``trainer_id`` any more: registration is due again."""

    trainer_id: int


@dataclass(frozen=True)
class Adopted:
    """Model ``version`` was adopted; ``previous`` is the version held before (a higher one
    means the aggregator went back to a checkpoint)."""

    version: int
    previous: Optional[int]
    weights: DecodedPayload


Stopped = StopMessage
"""The aggregator ended the run (the decoded ``stop`` broadcast is the event)."""


@dataclass(frozen=True)
class Rejected:
    """A message failed validation and was dropped."""

    error: ProtocolError


Event = Union[Joined, Registered, Forgotten, Adopted, Stopped, Rejected, UpdateResult, EvaluateRequest]
"""An ``UpdateResult`` is the aggregator's verdict on one of this trainer's updates; an
``EvaluateRequest`` asks for a federated evaluation of a version."""


class ReconnectBackoff:
    """When to reopen connections a broker refused (a CURVE key it does not admit; libzmq gives
    such connections up): `base` seconds after the first refusal, doubling with each refusal in
    a row, at most `maximum`; ``reset()`` once admitted."""

    def __init__(self, base: float, maximum: float = 60.0) -> None:
        self.base = base
        self.maximum = maximum
        self.refusals = 0
        self._due: Optional[float] = None

    @property
    def is_waiting(self) -> bool:
        """A retry is scheduled and not yet taken."""
        return self._due is not None

    def refused(self, now: float) -> float:
        """Records a refusal at `now`; returns the wait before the retry, seconds."""
        self.refusals += 1
        wait = min(self.maximum, self.base * 2 ** min(self.refusals - 1, 20))
        self._due = now + wait
        return wait

    def take_due(self, now: float) -> bool:
        """True once, when the scheduled retry is due at `now`."""
        if self._due is None or now < self._due:
            return False
        self._due = None
        return True

    def reset(self) -> None:
        """Admitted: the next refusal waits `base` again."""
        self.refusals = 0
        self._due = None


class TrainerSession:
    """One trainer's protocol state.

    Args:
        identity: the stable name sent with ``register`` (the same identity gets back the same
            trainer id and shard); None registers anonymously (a fresh id each time).
        run_id: the run to join; None learns it from the first broadcast (the broker replays
            the current model to every new subscriber).
        layout: the model's layout if known; None takes the first valid model's.
        register_retry: seconds between unanswered ``register`` requests, also the first
            reconnect wait after a CURVE refusal.
        heartbeat_interval: seconds between heartbeats.
    """

    def __init__(self, identity: Optional[str], run_id: Optional[int] = None, layout: Optional[Layout] = None,
                 register_retry: float = 2.0, heartbeat_interval: float = 5.0) -> None:
        self.identity = identity
        self.register_retry = register_retry
        self.heartbeat_interval = heartbeat_interval
        self.codec: Optional[MessageCodec] = MessageCodec(run_id, layout) if run_id is not None else None
        self._layout = layout
        self.registration: Optional[Registration] = None
        self.held_version: Optional[int] = None
        self.stop_reason: Optional[str] = None
        self.is_forgotten = False
        self.register_attempts = 0
        self.heartbeats_sent = 0
        self.sequence = 0
        self.backoff = ReconnectBackoff(register_retry)
        self._registered_after = 0
        self._last_register: Optional[float] = None
        self._last_heartbeat: Optional[float] = None

    @property
    def is_registered(self) -> bool:
        """Registered and not forgotten: updates and heartbeats go out."""
        return self.registration is not None and not self.is_forgotten

    @property
    def trainer_id(self) -> Optional[int]:
        """The trainer id while registered."""
        return self.registration.trainer_id if self.is_registered and self.registration else None

    @property
    def layout(self) -> Optional[Layout]:
        """The model's layout, once known."""
        return self.codec.layout if self.codec else self._layout

    # Broadcasts

    def receive_broadcasts(self, messages: Sequence[Sequence[bytes]]) -> List[Event]:
        """Handles the broadcasts queued on the model socket, oldest first: only the newest is
        decoded, a repeat of the version held is a no-op, and one that fails validation is
        reported and the next older one tried."""
        events: List[Event] = []
        if self.codec is None and messages:
            header = _header(messages[-1])
            if header is not None:
                self.codec = MessageCodec(header.run_id, self._layout)
                events.append(Joined(header.run_id))
        if self.codec is None:
            return events
        for frames in reversed(messages):
            header = _header(frames)
            if (header is not None and header.kind is Kind.MODEL and header.run_id == self.codec.run_id
                    and header.model_version == self.held_version):
                return events
            try:
                message = self.codec.decode_broadcast(frames)
            except ProtocolError as error:
                events.append(Rejected(error))
                continue
            if isinstance(message, StopMessage):
                self.stop_reason = message.reason
                events.append(message)
            else:
                events.append(self._adopt(message))
            return events
        return events

    def _adopt(self, message: ModelMessage) -> Adopted:
        if self.codec is not None and self.codec.layout is None:
            self.codec.learn(message.weights.layout)
        previous = self.held_version
        self.held_version = message.version
        return Adopted(message.version, previous, message.weights)

    # Control replies

    def receive_control(self, frames: Sequence[bytes]) -> Optional[Event]:
        """Handles one control message: ``registered`` while registering, ``unregistered``
        about the current id answering a request sent since it registered, or ``update_result``
        about an update sent under the current id since it registered (returned as the event).
        Anything else (a duplicate ``registered``, a stale reply, invalid bytes, a kind this
        package does not know) changes nothing."""
        if self.codec is None:
            return None
        try:
            reply = self.codec.decode_control(frames)
        except ProtocolError:
            return None
        if isinstance(reply, Registration) and not self.is_registered:
            again = self.registration is not None
            self.registration = reply
            self._registered_after = self.sequence
            self.is_forgotten = False
            self.register_attempts = 0
            self._last_register = None
            self.backoff.reset()
            return Registered(reply, again)
        if (isinstance(reply, Unregistered) and self.is_registered and self.registration is not None
                and reply.trainer_id == self.registration.trainer_id and reply.sequence > self._registered_after):
            self.is_forgotten = True
            return Forgotten(reply.trainer_id)
        if (isinstance(reply, UpdateResult) and self.is_registered and self.registration is not None
                and reply.trainer_id == self.registration.trainer_id and reply.sequence > self._registered_after):
            return reply
        if isinstance(reply, EvaluateRequest) and self.is_registered:
            return reply
        return None

    # Requests

    def register_if_due(self, now: float) -> Optional[Frames]:
        """A ``register`` when due at `now`: not registered, the run id known, the run not
        stopped, and no request sent in the last `register_retry` seconds."""
        if (self.codec is None or self.is_registered or self.stop_reason is not None
                or (self._last_register is not None and now - self._last_register < self.register_retry)):
            return None
        self._last_register = now
        self._last_heartbeat = now
        self.register_attempts += 1
        return self.codec.register(self.identity, self._next())

    def heartbeat_if_due(self, now: float) -> Optional[Frames]:
        """A heartbeat when due at `now`: registered, `heartbeat_interval` seconds since the
        last one or since registering."""
        trainer_id = self.trainer_id
        if (self.codec is None or trainer_id is None
                or (self._last_heartbeat is not None and now - self._last_heartbeat < self.heartbeat_interval)):
            return None
        self._last_heartbeat = now
        self.heartbeats_sent += 1
        return self.codec.heartbeat(trainer_id, self._next())

    def update(self, payload: Union[bytes, bytearray], base: int, sample_count: int, loss: float,
               checksum: Optional[int] = None) -> Optional[Frames]:
        """An update of the encoded delta trained from version `base`; None while not registered."""
        trainer_id = self.trainer_id
        if self.codec is None or trainer_id is None:
            return None
        return self.codec.update(payload, base, trainer_id, self._next(), sample_count, loss, checksum)

    def evaluation(self, version: int, samples: int, loss: float, accuracy: float) -> Optional[Frames]:
        """An ``evaluation`` answering an ``evaluate`` of `version`; None while not registered."""
        trainer_id = self.trainer_id
        if self.codec is None or trainer_id is None:
            return None
        return self.codec.evaluation(trainer_id, self._next(), version, samples, loss, accuracy)

    def goodbye(self) -> Optional[Frames]:
        """A ``goodbye`` (the aggregator stops counting this trainer at once); None while not
        registered."""
        trainer_id = self.trainer_id
        if self.codec is None or trainer_id is None:
            return None
        return self.codec.goodbye(trainer_id, self._next())

    # Refusals

    def broker_refused(self, now: float) -> Optional[float]:
        """The broker refused this trainer's CURVE key at `now`: the wait before reopening the
        sockets, seconds, or None when a retry is already scheduled."""
        return None if self.backoff.is_waiting else self.backoff.refused(now)

    def reconnect_due(self, now: float) -> bool:
        """True once, when the sockets should be opened again at `now`."""
        return self.backoff.take_due(now)

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence


def _header(frames: Sequence[bytes]) -> Optional[Header]:
    if len(frames) != 3:
        return None
    try:
        return Header.decode(bytes(frames[1]))
    except ProtocolError:
        return None
