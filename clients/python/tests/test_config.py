"""Trainer settings: the Swift trainer's waiting rule and the refusals of impossible timings.

Why this file exists: a heartbeat interval the aggregator's timeout cannot cover, or a wait rule
that lets a stalled aggregator collect a queue of near-identical updates, are configuration
mistakes the trainer must catch itself.
"""

import math

import pytest

from fedmq import FedMQError, TrainerConfig


def test_same_base_wait_grows_from_4_to_60_seconds_and_keeps_infinite():
    config = TrainerConfig(model_wait=0)
    assert [config.same_base_wait(n) for n in range(1, 8)] == [0, 4, 8, 16, 32, 60, 60]
    assert TrainerConfig(model_wait=10).same_base_wait(2) == 10
    assert TrainerConfig(model_wait=math.inf).same_base_wait(5) == math.inf


def test_impossible_timings_are_refused():
    with pytest.raises(FedMQError) as caught:
        TrainerConfig(heartbeat_interval=30).validate_heartbeat(30.0)
    assert caught.value.code == "heartbeat_interval"
    TrainerConfig(heartbeat_interval=5).validate_heartbeat(30.0)
    TrainerConfig(heartbeat_interval=50).validate_heartbeat(None)  # older aggregators send none
    for bad in [dict(heartbeat_interval=0), dict(register_retry=math.inf), dict(model_wait=-1),
                dict(identity="")]:
        with pytest.raises(FedMQError):
            TrainerConfig(**bad).validate()


def test_waits_are_reported_after_5_seconds_then_ever_less_often():
    from fedmq.waits import WaitReporter

    waits = WaitReporter()
    assert waits.check(100.0) is None and waits.check(104.9) is None
    reported = [t - 100 for t in range(100, 1000) if waits.check(float(t)) is not None]
    assert reported[:5] == [5, 15, 35, 75, 155] and reported[6] - reported[5] == 300
    waits.reset()
    assert waits.check(2000.0) is None and waits.check(2005.0) == 5
