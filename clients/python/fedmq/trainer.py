"""A trainer that stays in a FedMQ run while user code trains: the socket loop around
``TrainerSession`` on its own thread, and the round loop on the caller's.

Why this file exists: a user's training function runs for seconds without returning, but the
aggregator drops a trainer that stops heartbeating, and new models, ``unregistered`` replies,
stop broadcasts and CURVE refusals must be handled meanwhile. So one thread owns the sockets
and the session (pyzmq sockets are single-threaded) and pumps them continuously; the caller's
thread runs rounds the way the Swift ``TrainerLoop`` does: from the newest model held, one
update in flight, a growing wait before training again on a model no newer one replaced, the
round abandoned when the aggregator forgot this trainer, goodbye at the end.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Tuple

import numpy as np
import zmq

from . import payload as payloads
from .codec import EvaluateRequest, Registration, UpdateResult
from .config import TrainerConfig
from .crc32c import crc32c
from .errors import FedMQError
from .payload import DecodedPayload
from .session import Adopted, Event, Forgotten, Joined, Registered, Rejected, Stopped, TrainerSession
from .sockets import TrainerSockets
from .waits import WaitReporter

LOG = logging.getLogger("fedmq")


@dataclass(frozen=True)
class Round:
    """What one local round starts from.

    Attributes:
        version: the global model version trained from (the update's base version).
        weights: the global weights (read-only float32 views, layout order).
        registration: this trainer's id and shard.
    """

    version: int
    weights: DecodedPayload
    registration: Registration


@dataclass
class RoundResult:
    """What one local round produced.

    Attributes:
        tensors: the local weights after training (or the delta, with ``is_delta``), one
            array per layout name; other names are ignored.
        sample_count: training samples behind the update (> 0).
        loss: mean local training loss.
        is_delta: ``tensors`` already holds ``local - base``.
    """

    tensors: Mapping[str, np.ndarray]
    sample_count: int
    loss: float
    is_delta: bool = False


@dataclass
class TrainerStatus:
    """Progress counters (a snapshot; see ``Trainer.status``)."""

    run_id: Optional[int] = None
    registration: Optional[Registration] = None
    version: Optional[int] = None
    updates_sent: int = 0
    updates_dropped: int = 0
    heartbeats_sent: int = 0
    registrations: int = 0
    reregistrations: int = 0
    broadcasts_rejected: int = 0
    versions_went_back: int = 0
    broker_refusals: int = 0
    stop_reason: Optional[str] = None
    reject_reasons: dict = field(default_factory=dict)
    #: Updates the aggregator reported accepted (``update_result``).
    updates_accepted: int = 0
    #: Updates the aggregator reported rejected, by reason (e.g. ``{"too_stale": 2}``).
    updates_rejected: dict = field(default_factory=dict)
    #: The aggregator's latest verdict on one of this trainer's updates.
    last_update_result: Optional[UpdateResult] = None


@dataclass
class _Outgoing:
    payload: bytearray
    base: int
    sample_count: int
    loss: float
    generation: int


class Trainer:
    """Joins a run and trains rounds with a caller-supplied function until the run stops.

    Args:
        config: endpoints, identity, timing (validated here).
        context: a pyzmq context to share; the process-wide one by default.
    """

    def __init__(self, config: TrainerConfig, context: Optional[zmq.Context] = None) -> None:
        config.validate()
        self.config = config
        self._context = context
        self._lock = threading.Condition()
        self._status = TrainerStatus()
        self._session = TrainerSession(config.effective_identity, config.run_id, None,
                                       config.register_retry, config.heartbeat_interval)
        self._model: Optional[Tuple[int, DecodedPayload]] = None
        self._registration: Optional[Registration] = None  # while registered and not forgotten
        self._generation = 0  # changes when the aggregator forgets this trainer
        self._outgoing: Optional[_Outgoing] = None
        self._evaluation_request: Optional[int] = None  # a version the aggregator asked to evaluate
        self._pending_evaluation: Optional[Tuple[int, DecodedPayload]] = None  # held, not yet evaluated
        self._evaluation_answers: list = []  # (version, samples, loss, accuracy) for the socket thread
        self._channel_free = False
        self._shutdown = False
        self._failure: Optional[BaseException] = None
        self._thread: Optional[threading.Thread] = None
        self._waits = WaitReporter()
        self._wait_stage: Optional[str] = None

    @property
    def status(self) -> TrainerStatus:
        """A copy of the progress counters."""
        with self._lock:
            return dataclasses.replace(self._status, reject_reasons=dict(self._status.reject_reasons),
                                       updates_rejected=dict(self._status.updates_rejected))

    def stop(self) -> None:
        """Asks the trainer to leave (goodbye) after the current round."""
        with self._lock:
            self._shutdown = True
            self._lock.notify_all()

    # The caller's thread

    def run(self, train_round: Callable[[Round], Optional[RoundResult]]) -> str:
        """Trains rounds until the aggregator stops the run (returns its reason) or ``stop()``
        is called (returns ``"shutdown"``). `train_round` returning None skips the update.

        Raises:
            FedMQError: a fatal problem (model of another layout, heartbeat interval too long).
        """
        self._thread = threading.Thread(target=self._pump_thread, name="fedmq-sockets", daemon=True)
        self._thread.start()
        last_base: Optional[int] = None
        last_push = time.monotonic()
        same_base_rounds = 0
        try:
            while True:
                start = self._await_round(last_base, last_push, same_base_rounds)
                if start is None:
                    break
                work, generation = start
                result = train_round(work)
                if result is not None and self._submit(work, result, generation):
                    same_base_rounds = same_base_rounds + 1 if work.version == last_base else 1
                    last_base, last_push = work.version, time.monotonic()
                elif generation != self._generation:
                    last_base = None  # forgotten mid-round: train from the held model again
        finally:
            self.stop()
            self._thread.join()
        if self._failure is not None:
            raise self._failure
        return self._status.stop_reason if self._status.stop_reason is not None else "shutdown"

    def _await_round(self, last_base: Optional[int], last_push: float, rounds: int) -> Optional[Tuple[Round, int]]:
        """Blocks until a round may start: registered, a model held that is new (or the
        same-base wait is over) and the last update gone. None when the trainer should exit."""
        with self._lock:
            while True:
                if self._shutdown or self._failure is not None or self._status.stop_reason is not None:
                    return None
                model, registration = self._model, self._registration
                if model is not None and registration is not None and self._channel_free and self._outgoing is None:
                    wait = self.config.same_base_wait(rounds)
                    due = model[0] != last_base or time.monotonic() - last_push >= wait
                    if due:
                        return Round(model[0], model[1], registration), self._generation
                self._lock.wait(0.1)

    def _submit(self, work: Round, result: RoundResult, generation: int) -> bool:
        """Encodes the delta and hands it to the socket thread; False if it is not sent."""
        layout = work.weights.layout
        metadata = {"fedmq.base_version": str(work.version)}
        encoded = payloads.encode(layout, result.tensors, metadata, None if result.is_delta else work.weights.tensors)
        data = np.frombuffer(encoded, dtype="<f4", offset=len(encoded) - 4 * layout.parameter_count)
        if not (math.isfinite(result.loss) and np.isfinite(data).all()) or result.sample_count <= 0:
            LOG.error("local training diverged or reported no samples; update not sent (lower the learning rate?)",
                      extra={"base": work.version})
            return False
        with self._lock:
            if generation != self._generation or self._registration is None:
                LOG.info("round abandoned: the aggregator forgot this trainer while it trained")
                return False
            self._outgoing = _Outgoing(encoded, work.version, result.sample_count, float(result.loss), generation)
            self._lock.notify_all()
        return True

    def take_evaluation(self) -> Optional[Tuple[int, DecodedPayload]]:
        """The global version the aggregator asked this trainer to evaluate (federated
        evaluation) and its weights, once; None when no request waits. Answer with
        ``report_evaluation``."""
        with self._lock:
            pending, self._pending_evaluation = self._pending_evaluation, None
            return pending

    def report_evaluation(self, version: int, samples: int, loss: float, accuracy: float) -> None:
        """Sends the loss and accuracy of `version` over `samples` local samples to the aggregator."""
        if samples <= 0 or not (math.isfinite(loss) and 0 <= accuracy <= 1):
            LOG.error("evaluation not reported: %d samples, loss %s, accuracy %s", samples, loss, accuracy)
            return
        with self._lock:
            self._evaluation_answers.append((version, int(samples), float(loss), float(accuracy)))

    def _hold_requested_evaluation(self) -> None:
        """Keeps the requested version's weights for the round loop once that version is held
        (called with the lock held); a request for a version older than the one held is dropped."""
        request, model = self._evaluation_request, self._model
        if request is None or model is None or request > model[0]:
            return
        if request == model[0]:
            self._pending_evaluation = model
        else:
            LOG.info("evaluation of version %d not done: version %d is already held", request, model[0])
        self._evaluation_request = None

    # The socket thread

    def _pump_thread(self) -> None:
        sockets: Optional[TrainerSockets] = None
        try:
            sockets = TrainerSockets(self.config, self._context)
            while not self._shutdown and self._failure is None and self._status.stop_reason is None:
                self._pump_once(sockets)
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            with self._lock:
                self._failure = error
                self._lock.notify_all()
        finally:
            if sockets is not None:
                goodbye = self._session.goodbye()
                if goodbye is not None:
                    sockets.send_control(goodbye)
                sockets.close()

    def _pump_once(self, sockets: TrainerSockets) -> None:
        """One turn of the socket thread; the session is used on this thread only."""
        session = self._session
        now = time.monotonic()
        self._watch_for_refusal(sockets, now)
        heartbeat = session.heartbeat_if_due(now)
        for frames in (session.register_if_due(now), heartbeat):
            if frames is not None:
                sockets.send_control(frames)
        with self._lock:
            self._status.heartbeats_sent += heartbeat is not None
            outgoing, self._outgoing = self._outgoing, None
            current = outgoing is not None and outgoing.generation == self._generation
            if current:
                self._channel_free = False  # until this update has left (checked after sending)
        with self._lock:
            answers, self._evaluation_answers = self._evaluation_answers, []
        for answer in answers:
            frames = session.evaluation(*answer)
            if frames is not None:
                sockets.send_control(frames)
        if outgoing is not None and current:
            checksum = crc32c(outgoing.payload)
            frames = session.update(outgoing.payload, outgoing.base, outgoing.sample_count, outgoing.loss, checksum)
            if frames is not None:
                self._send_update(sockets, frames, outgoing)
        models, control = sockets.poll(0.05)
        events = [e for e in map(session.receive_control, sockets.drain(sockets.control)) if e] if control else []
        if models:
            events += session.receive_broadcasts(sockets.drain(sockets.models, copy=False))
        self._report_wait(now)
        with self._lock:
            for event in events:
                self._handle(event)
            self._hold_requested_evaluation()
            self._registration = session.registration if session.is_registered else None
            self._channel_free = sockets.can_send_update()
            self._lock.notify_all()

    def _send_update(self, sockets: TrainerSockets, frames: list, outgoing: _Outgoing) -> None:
        sent = sockets.send_update(frames)
        with self._lock:
            if sent:
                self._status.updates_sent += 1
            else:
                self._status.updates_dropped += 1
        if sent:
            LOG.info("update pushed: base %d, loss %.4f, %d samples", outgoing.base, outgoing.loss, outgoing.sample_count)
        else:
            LOG.warning("update not sent: the broker did not take it in time (base %d)", outgoing.base)

    def _report_wait(self, now: float) -> None:
        """Says, at a slowing pace, what joining the run waits for and the likely causes."""
        session, config = self._session, self.config
        if session.codec is None:
            stage = (f"the first model broadcast (it carries the run id) on {config.endpoint(config.model_port)}; "
                     "is the broker up and the aggregator running and connected to it?")
        elif not session.is_registered and session.stop_reason is None:
            stage = (f"the aggregator to answer register on {config.endpoint(config.control_port)}; is it running "
                     f"and connected to the broker, and is run id {session.codec.run_id} its run id?")
        else:
            stage = None
        if stage != self._wait_stage:
            self._waits.reset()
            self._wait_stage = stage
        waited = self._waits.check(now) if stage is not None else None
        if waited is not None:
            curve = " With CURVE: is this trainer's key admitted and the broker's key right?" if config.curve else ""
            LOG.warning("waiting %.0f s for %s%s", waited, stage, curve)

    def _watch_for_refusal(self, sockets: TrainerSockets, now: float) -> None:
        """A broker that refuses this trainer's CURVE key closes the connection for good: the
        sockets are opened again after a growing wait, so a key admitted later is picked up."""
        if not self._session.backoff.is_waiting and sockets.refused_by_broker():
            wait = self._session.broker_refused(now)
            with self._lock:
                self._status.broker_refusals += 1
            LOG.error("the broker refused this trainer's CURVE key (is its public key in the broker's allowed "
                      "keys?); retrying in %.1f s", wait)
        if self._session.reconnect_due(now):
            sockets.reopen()
            LOG.info("connecting to the broker again")

    def _handle(self, event: Event) -> None:
        """Records one session event (called with the lock held)."""
        status = self._status
        if isinstance(event, Joined):
            status.run_id = event.run_id
            LOG.info("joined run %d", event.run_id)
        elif isinstance(event, Registered):
            self.config.validate_heartbeat(event.registration.heartbeat_timeout)
            status.registration = event.registration
            status.registrations += 1
            status.reregistrations += int(event.again)
            LOG.info("registered%s: id %d, shard %d/%d", " again" if event.again else "",
                     event.registration.trainer_id, event.registration.shard_index, event.registration.shard_count)
        elif isinstance(event, Forgotten):
            self._generation += 1
            LOG.warning("the aggregator does not know trainer %d (restarted without its membership?); "
                        "registering again", event.trainer_id)
        elif isinstance(event, Adopted):
            if event.previous is not None and event.version < event.previous:
                status.versions_went_back += 1
                LOG.warning("the aggregator went back from version %d to %d (restarted from a checkpoint)",
                            event.previous, event.version)
            self._model = (event.version, event.weights)
            status.version = event.version
        elif isinstance(event, Stopped):
            status.stop_reason = event.reason
            LOG.info("the aggregator stopped the run at version %d: %s", event.version, event.reason)
        elif isinstance(event, Rejected):
            reason = event.error.reason
            if reason == "fingerprint_mismatch" and self._session.layout is not None:
                raise FedMQError(f"the aggregator's model differs from this trainer's: {event.error.message}",
                                 code="fingerprint_mismatch", underlying=event.error)
            status.broadcasts_rejected += 1
            status.reject_reasons[reason] = status.reject_reasons.get(reason, 0) + 1
            LOG.warning("broadcast rejected: %s", event.error)
        elif isinstance(event, EvaluateRequest):
            self._evaluation_request = event.version
        elif isinstance(event, UpdateResult):
            status.last_update_result = event
            if event.reason is None:
                status.updates_accepted += 1
            else:
                status.updates_rejected[event.reason] = status.updates_rejected.get(event.reason, 0) + 1
                LOG.warning("update %d (from version %d) rejected by the aggregator: %s",
                            event.sequence, event.base_version, event.reason)
