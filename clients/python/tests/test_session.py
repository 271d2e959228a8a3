"""``TrainerSession`` driven with frames and instants, as the Swift session is tested.

Why this file exists: staying in a run is a state machine (run id, registration, heartbeats,
``unregistered``, versions, sequence numbers, CURVE back-off); each rule here is one the Swift
trainer follows and the aggregator relies on.
"""

import struct

import json

from fedmq.codec import EvaluateRequest, Registration, UpdateResult
from fedmq.header import Header, Kind
from fedmq.session import Adopted, Forgotten, Joined, Registered, Rejected, Stopped, TrainerSession

import wire


def sent(frames):
    return Header.decode(frames[1])


def registered_session(trainer_id=3):
    session = TrainerSession("t-1", register_retry=2, heartbeat_interval=5)
    session.receive_broadcasts([wire.model(7, 4)])
    session.register_if_due(0.0)
    session.receive_control(wire.registered(7, trainer_id))
    return session


def test_learns_the_run_id_and_layout_from_the_first_broadcast_then_registers():
    session = TrainerSession("t-1", register_retry=2, heartbeat_interval=5)
    assert session.register_if_due(0.0) is None  # no run id yet
    events = session.receive_broadcasts([wire.model(7, 4)])
    assert events[0] == Joined(7) and isinstance(events[1], Adopted) and events[1].version == 4
    assert session.layout == wire.LAYOUT
    request = session.register_if_due(1.0)
    header = sent(request)
    assert (header.kind, header.run_id, header.sequence, header.fingerprint) == (Kind.REGISTER, 7, 1, wire.LAYOUT.fingerprint)
    assert request[2] == b'{"identity":"t-1"}'
    assert session.register_if_due(2.5) is None  # retry only after register_retry seconds
    assert sent(session.register_if_due(3.0)).sequence == 2
    event = session.receive_control(wire.registered(7, 3))
    assert event == Registered(Registration(3, 0, 4, "iid", 0, 0, 30.0), again=False)
    assert session.trainer_id == 3 and session.register_if_due(10.0) is None


def test_heartbeats_on_the_interval_and_every_message_takes_the_next_sequence_number():
    session = registered_session()
    assert session.heartbeat_if_due(4.9) is None
    heartbeat = sent(session.heartbeat_if_due(5.0))
    assert (heartbeat.kind, heartbeat.trainer_id, heartbeat.sequence) == (Kind.HEARTBEAT, 3, 2)
    update = sent(session.update(b"x" * 8, base=4, sample_count=10, loss=0.5))
    assert (update.kind, update.sequence, update.base_version, update.model_version, update.flags) == (Kind.UPDATE, 3, 4, 4, 1)
    assert sent(session.goodbye()).sequence == 4


def test_unregistered_for_a_later_request_makes_it_register_again_under_the_same_identity():
    session = registered_session()
    assert session.receive_control(wire.unregistered(7, 3, sequence=1)) is None  # answers the register: stale
    session.heartbeat_if_due(5.0)  # sequence 2
    assert session.receive_control(wire.unregistered(7, 9, sequence=2)) is None  # another id
    assert session.receive_control(wire.unregistered(7, 3, sequence=2)) == Forgotten(3)
    assert session.update(b"", 4, 1, 0.1) is None and session.heartbeat_if_due(100.0) is None
    again = session.register_if_due(6.0)
    assert sent(again).kind == Kind.REGISTER and again[2] == b'{"identity":"t-1"}'
    event = session.receive_control(wire.registered(7, 5, shard=1))
    assert isinstance(event, Registered) and event.again and session.trainer_id == 5


def test_versions_follow_the_newest_broadcast_even_when_it_goes_back():
    session = registered_session()
    assert session.receive_broadcasts([wire.model(7, 4)]) == []  # the version held: no-op
    events = session.receive_broadcasts([wire.model(7, 5), wire.model(7, 6)])
    assert [e.version for e in events] == [6]  # only the newest is decoded
    events = session.receive_broadcasts([wire.model(7, 2)])
    assert events[0].version == 2 and events[0].previous == 6


def test_an_invalid_newest_broadcast_is_reported_and_the_older_one_used():
    session = registered_session()
    bad = wire.model(7, 9)
    bad = bad[:2] + [bad[2][:-1] + b"\x00"]
    events = session.receive_broadcasts([wire.model(7, 8), bad])
    assert isinstance(events[0], Rejected) and events[0].error.reason == "bad_checksum"
    assert events[1].version == 8 and session.held_version == 8
    assert isinstance(session.receive_broadcasts([wire.model(8, 10)])[0], Rejected)  # another run


def test_stop_ends_registration_attempts():
    session = TrainerSession(None, run_id=7, register_retry=1, heartbeat_interval=5)
    assert session.receive_broadcasts([wire.stop(7, 12, "target reached")]) == [Stopped(12, "target reached")]
    assert session.register_if_due(0.0) is None and session.stop_reason == "target reached"


def test_known_run_id_registers_before_any_model_with_fingerprint_zero():
    session = TrainerSession(None, run_id=7, register_retry=1, heartbeat_interval=5)
    request = session.register_if_due(0.0)
    assert sent(request).fingerprint == 0 and request[2] == b"{}"


def test_broker_refusals_back_off_doubling_until_admitted():
    session = TrainerSession("t", run_id=1, register_retry=2, heartbeat_interval=5)
    assert session.broker_refused(0.0) == 2
    assert session.broker_refused(0.5) is None  # a retry is already scheduled
    assert not session.reconnect_due(1.9) and session.reconnect_due(2.0) and not session.reconnect_due(2.1)
    assert session.broker_refused(3.0) == 4 and session.reconnect_due(7.0)
    assert session.broker_refused(8.0) == 8
    session.receive_control(wire.registered(1, 2))
    assert session.backoff.refusals == 0


def test_update_results_about_its_own_updates_since_it_registered_are_events():
    session = registered_session()
    session.update(b"", 4, 1, 0.1)  # sequence 2
    assert session.receive_control(wire.update_result(7, 3, 2, base=4, version=5)) == UpdateResult(3, 2, 4, 5, None)
    rejected = session.receive_control(wire.update_result(7, 3, 2, reason="too_stale", base=4, version=9))
    assert rejected == UpdateResult(3, 2, 4, 9, "too_stale") and not rejected.accepted
    assert session.receive_control(wire.update_result(7, 8, 2)) is None  # another trainer's
    assert session.receive_control(wire.update_result(7, 3, 1)) is None  # the register's number: before registering
    assert session.receive_control(wire.update_result(8, 3, 2)) is None  # another run


def test_contradictory_update_results_and_unknown_kinds_change_nothing():
    session = registered_session()
    contradictory = wire.update_result(7, 3, 2)
    contradictory[2] = b'{"accepted":false}'
    contradictory[1] = wire.frames(Header.decode(contradictory[1]), contradictory[2])[1]
    assert session.receive_control(contradictory) is None
    future = wire.update_result(7, 3, 2)
    future[1] = future[1][:6] + struct.pack("<H", 99) + future[1][8:]  # a kind from a later revision
    assert session.receive_control(future) is None
    assert session.is_registered and session.trainer_id == 3


def test_evaluate_requests_are_events_once_registered_and_the_answer_carries_the_figures():
    unregistered = TrainerSession("t-1", register_retry=2, heartbeat_interval=5)
    unregistered.receive_broadcasts([wire.model(7, 4)])
    assert unregistered.receive_control(wire.evaluate(7, 4)) is None
    session = registered_session()
    assert session.receive_control(wire.evaluate(7, 4)) == EvaluateRequest(4)
    answer = session.evaluation(4, 5000, 0.52, 0.8125)
    header = sent(answer)
    assert (header.kind, header.trainer_id, header.sequence, header.model_version, header.sample_count) == \
        (Kind.EVALUATION, 3, 2, 4, 5000)
    assert json.loads(answer[2]) == {"accuracy": 0.8125, "loss": 0.52, "samples": 5000}
