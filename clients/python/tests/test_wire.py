"""The wire format against docs/PROTOCOL.md: CRC-32C, header, safetensors payloads, the receiver's checks.

Why this file exists: a Python trainer is only useful if the aggregator accepts its bytes; the
worked example of the specification (checked byte for byte by the Swift suite too) pins them.
"""

import json
import os
import struct

import numpy as np
import pytest

from fedmq import ProtocolError, crc32c
from fedmq.codec import MessageCodec
from fedmq.crc32c import _raw_small
from fedmq.header import FLAG_DELTA, Header, Kind
from fedmq.payload import Layout, decode, encode

import wire

# docs/PROTOCOL.md, "Worked example".
EXAMPLE_HEADER = bytes.fromhex(
    "46 4d 51 31 01 00 02 00 07 00 00 00 00 00 00 00"
    "9b d7 c0 31 f7 68 70 2b 04 00 00 00 00 00 00 00"
    "04 00 00 00 00 00 00 00 0c 00 00 00 00 00 00 00"
    "70 00 00 00 00 00 00 00 03 00 00 00 58 02 00 00"
    "00 00 40 3f 37 b2 b3 29 01 00 00 00 00 00 00 00")
EXAMPLE_PAYLOAD_JSON = b'{"__metadata__":{"fedmq.base_version":"4"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'


def test_crc32c_check_value_and_lengths_against_the_bytewise_definition():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    rng = np.random.default_rng(1)
    for length in [1, 3, 4, 63, 1023, 1024, 1025, 4099, 65536 + 7, 300_001]:
        data = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
        assert crc32c(data) == _raw_small(memoryview(data), 0xFFFFFFFF) ^ 0xFFFFFFFF, length


def test_worked_example_update_is_byte_for_byte_the_specification():
    layout = Layout.of([("w", (2,))])
    assert layout.fingerprint == 0x2B7068F731C0D79B
    body = encode(layout, {"w": np.array([0.5, -0.25], dtype=np.float32)}, {"fedmq.base_version": "4"})
    assert bytes(body) == struct.pack("<Q", 96) + EXAMPLE_PAYLOAD_JSON + bytes.fromhex("0000003f000080be")
    frames = MessageCodec(7, layout).update(body, base=4, trainer_id=3, sequence=12, sample_count=600, loss=0.75)
    assert frames[0] == b"update"
    assert frames[1] == EXAMPLE_HEADER
    assert crc32c(body) == 0x29B3B237


def test_header_round_trips_and_rejects_bad_frames():
    header = Header(Kind.HEARTBEAT, 9, 0, sequence=5, trainer_id=2)
    assert Header.decode(header.encode()) == header
    with pytest.raises(ProtocolError, match="short_header"):
        Header.decode(header.encode()[:79])
    with pytest.raises(ProtocolError, match="bad_magic"):
        Header.decode(b"XMQ1" + header.encode()[4:])
    with pytest.raises(ProtocolError, match="unsupported_version"):
        Header.decode(header.encode()[:4] + b"\x02\x00" + header.encode()[6:])
    with pytest.raises(ProtocolError, match="unknown_kind"):
        Header.decode(header.encode()[:6] + b"\x63\x00" + header.encode()[8:])


def test_payload_decoding_is_strict():
    layout = wire.LAYOUT
    good = bytes(encode(layout, wire.weights(1.0), {}))
    decoded = decode(good, layout)
    assert decoded.tensors["fc.weight"].shape == (2, 3) and decoded.flat.sum() == 8
    nan = bytearray(good)
    nan[-4:] = struct.pack("<f", float("nan"))
    with pytest.raises(ProtocolError, match="non_finite"):
        decode(bytes(nan), layout)
    with pytest.raises(ProtocolError, match="payload_decode"):
        decode(good, Layout.of([("fc.weight", (3, 2)), ("fc.bias", (2,))]))
    with pytest.raises(ProtocolError, match="payload_decode"):
        decode(good[:-4], layout)
    header = json.dumps({"w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}).encode()
    with pytest.raises(ProtocolError, match="payload_decode"):
        decode(struct.pack("<Q", len(header)) + header + bytes(8))


def test_broadcast_checks_run_in_the_aggregators_order():
    codec = MessageCodec(7, wire.LAYOUT)
    good = wire.model(7, 3)
    assert codec.decode_broadcast(good).version == 3
    cases = {
        "wrong_frame_count": good[:2],
        "wrong_topic": [b"update"] + good[1:],
        "wrong_run_id": wire.model(8, 3),
        "payload_length_mismatch": good[:2] + [good[2] + b" "],
        "bad_checksum": good[:2] + [good[2][:-1] + bytes([good[2][-1] ^ 1])],
        "fingerprint_mismatch": wire.model(7, 3, layout=Layout.of([("w", (8,))])),
    }
    for reason, frames in cases.items():
        with pytest.raises(ProtocolError) as caught:
            codec.decode_broadcast(frames)
        assert caught.value.reason == reason


def test_unknown_layout_is_learned_from_a_consistent_model_only():
    codec = MessageCodec(7)
    message = codec.decode_broadcast(wire.model(7, 1))
    assert message.weights.layout == wire.LAYOUT
    lying = wire.model(7, 1)
    header = Header.decode(lying[1])
    header.fingerprint ^= 1
    with pytest.raises(ProtocolError, match="fingerprint_mismatch"):
        MessageCodec(7).decode_broadcast([lying[0], header.encode(), lying[2]])


def test_large_payload_checksum_matches_bytewise():
    data = os.urandom(1 << 20)
    assert crc32c(data) == _raw_small(memoryview(data), 0xFFFFFFFF) ^ 0xFFFFFFFF
