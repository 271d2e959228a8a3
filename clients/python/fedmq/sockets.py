"""The trainer's three ZeroMQ sockets, set up like the Swift trainer's.

Why this file exists: the socket options are part of how a trainer behaves under stalls and
refusals — SUB keeps at most 16 models (they supersede one another), PUSH holds one update
(SNDHWM 1: while the broker does not take it, the trainer waits instead of training a queue of
stale updates), DEALER sends without blocking for long — and with CURVE a broker that refuses
this trainer's key ends the connection for good, which only a socket monitor reveals.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import zmq
from zmq.utils.monitor import recv_monitor_message

from .codec import Frames
from .config import TrainerConfig

_HANDSHAKE_FAILED_AUTH = getattr(zmq, "EVENT_HANDSHAKE_FAILED_AUTH", 0x4000)


class TrainerSockets:
    """SUB (models, topic ``model``), PUSH (updates) and DEALER (control), connected to the broker."""

    def __init__(self, config: TrainerConfig, context: Optional[zmq.Context] = None) -> None:
        self.config = config
        self.context = context or zmq.Context.instance()
        self._open()

    def _socket(self, kind: int) -> zmq.Socket:
        sock = self.context.socket(kind)
        keys = self.config.curve
        if keys is not None:
            sock.curve_serverkey = keys.server_public.encode()
            sock.curve_secretkey = keys.secret.encode()
            sock.curve_publickey = (keys.public.encode() if keys.public
                                    else zmq.curve_public(keys.secret.encode()))
        return sock

    def _open(self) -> None:
        config = self.config
        self.models = self._socket(zmq.SUB)
        self.models.setsockopt(zmq.RCVHWM, 16)
        self.models.setsockopt(zmq.SUBSCRIBE, b"model")
        self.updates = self._socket(zmq.PUSH)
        self.updates.setsockopt(zmq.SNDHWM, 1)
        self.updates.setsockopt(zmq.SNDTIMEO, int(config.update_send_timeout * 1000))
        self.control = self._socket(zmq.DEALER)
        self.control.setsockopt(zmq.SNDTIMEO, 1000)
        self._monitor = self.control.get_monitor_socket(_HANDSHAKE_FAILED_AUTH)
        self.models.connect(config.endpoint(config.model_port))
        self.updates.connect(config.endpoint(config.updates_port))
        self.control.connect(config.endpoint(config.control_port))

    def refused_by_broker(self) -> bool:
        """Whether the broker refused this trainer's CURVE key since the last call."""
        refused = False
        while self._monitor.poll(0):
            event = recv_monitor_message(self._monitor)
            refused = refused or event["event"] == _HANDSHAKE_FAILED_AUTH
        return refused

    def reopen(self) -> None:
        """Closes every socket and opens them again (new connections, new handshakes)."""
        self._close(linger_ms=0)
        self._open()

    def can_send_update(self) -> bool:
        """Whether the update socket takes another update now (the previous one has left)."""
        return bool(self.updates.poll(0, zmq.POLLOUT))

    def send_update(self, frames: Frames) -> bool:
        """Sends an update, waiting up to `update_send_timeout`; False if the broker did not take it."""
        try:
            self.updates.send_multipart(frames, copy=False)
            return True
        except zmq.Again:
            return False

    def send_control(self, frames: Frames) -> bool:
        """Sends a control request without waiting long; False if it could not leave."""
        try:
            self.control.send_multipart(frames, flags=zmq.DONTWAIT)
            return True
        except zmq.Again:
            return False

    def poll(self, timeout_s: float) -> Tuple[bool, bool]:
        """Waits up to `timeout_s` for input; (models readable, control readable)."""
        poller = zmq.Poller()
        poller.register(self.models, zmq.POLLIN)
        poller.register(self.control, zmq.POLLIN)
        ready = dict(poller.poll(int(timeout_s * 1000)))
        return self.models in ready, self.control in ready

    @staticmethod
    def drain(sock: zmq.Socket, copy: bool = True) -> List[list]:
        """Every message queued on `sock` now, oldest first; with ``copy=False`` the frames stay
        in libzmq's buffers (``zmq.Frame``, read through the buffer protocol)."""
        messages = []
        while True:
            try:
                messages.append(sock.recv_multipart(zmq.NOBLOCK, copy=copy))
            except zmq.Again:
                return messages

    def close(self) -> None:
        """Closes all sockets; the update and control sockets linger briefly so a last update
        or goodbye gets out."""
        self._close(linger_ms=2000)

    def _close(self, linger_ms: int) -> None:
        self.control.disable_monitor()
        self._monitor.close(linger=0)
        self.models.close(linger=0)
        self.updates.close(linger=linger_ms)
        self.control.close(linger=min(linger_ms, 500))
