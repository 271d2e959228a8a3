#!/usr/bin/env python3
"""A FedMQ trainer client written from docs/PROTOCOL.md alone (pyzmq, numpy, safetensors).

It proves the wire protocol is language-neutral: it registers on the control channel,
subscribes to the model channel through the broker, decodes the current global model,
and pushes an update (the delta ``local - base``) that the aggregator validates and applies.

    python3 clients/python/fedmq_client.py --host 127.0.0.1 --run-id 7 \\
        --delta-scale 0.001 --json

With ``--json`` it prints one JSON object describing what it received and sent. Against an
encrypted broker (docs/SECURITY.md) add ``--curve-server-key-file keys/broker.pub
--curve-secret-key-file keys/NAME.key`` (or the inline forms); the broker and the aggregator
must list NAME's public key.
"""

import argparse
import json
import struct
import sys
import time

import numpy as np
import zmq
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

MAGIC = b"FMQ1"
PROTOCOL_VERSION = 1
HEADER = struct.Struct("<4sHHQQQQQQIIfII4x")  # 80 bytes, little-endian, see PROTOCOL.md
assert HEADER.size == 80

KIND_MODEL, KIND_UPDATE, KIND_STOP = 1, 2, 3
KIND_REGISTER, KIND_REGISTERED, KIND_HEARTBEAT, KIND_GOODBYE = 4, 5, 6, 7
FLAG_DELTA = 1


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), reflected, init and final XOR 0xFFFFFFFF."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def fingerprint(tensors: dict, order: list) -> int:
    """FNV-1a 64 over 'name:d0xd1;' for every parameter in model order."""
    h = 0xCBF29CE484222325
    for name in order:
        text = f"{name}:{'x'.join(str(d) for d in tensors[name].shape)};"
        for b in text.encode():
            h ^= b
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def tensor_order(payload: bytes) -> list:
    """Parameter names in model order: the order of their data offsets in the file."""
    (n,) = struct.unpack_from("<Q", payload, 0)
    header = json.loads(payload[8 : 8 + n])
    header.pop("__metadata__", None)
    return sorted(header, key=lambda k: header[k]["data_offsets"][0])


def encode_header(kind, run_id, fp, version, base, seq, trainer, samples, loss, payload, flags=0):
    head = HEADER.pack(MAGIC, PROTOCOL_VERSION, kind, run_id, fp, version, base, seq,
                       len(payload), trainer, samples, loss, crc32c(payload), flags)
    return head


def decode_header(frame: bytes) -> dict:
    if len(frame) != HEADER.size:
        raise ValueError(f"header is {len(frame)} bytes, expected 80")
    (magic, version, kind, run_id, fp, model_version, base, seq, length, trainer,
     samples, loss, checksum, flags) = HEADER.unpack(frame)
    if magic != MAGIC or version != PROTOCOL_VERSION:
        raise ValueError("bad magic or protocol version")
    return dict(kind=kind, run_id=run_id, fingerprint=fp, version=model_version, base=base,
                sequence=seq, length=length, trainer=trainer, samples=samples, loss=loss,
                checksum=checksum, flags=flags)


class Client:
    def __init__(self, host, ports, run_id, identity, timeout_s, curve=None):
        """curve: None (plaintext) or (broker public key, own secret key), Z85 bytes."""
        self.ctx = zmq.Context.instance()
        self.run_id = run_id
        self.identity = identity
        self.timeout_ms = int(timeout_s * 1000)
        self.sub = self.ctx.socket(zmq.SUB)
        self.push = self.ctx.socket(zmq.PUSH)
        self.control = self.ctx.socket(zmq.DEALER)
        for s in (self.sub, self.push, self.control):
            s.setsockopt(zmq.LINGER, 2000)
            if curve is not None:  # CURVE client: the broker's key, our key pair (docs/SECURITY.md)
                server_key, secret_key = curve
                s.curve_serverkey = server_key
                s.curve_secretkey = secret_key
                s.curve_publickey = zmq.curve_public(secret_key)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"model")
        self.sub.connect(f"tcp://{host}:{ports['model']}")
        self.push.connect(f"tcp://{host}:{ports['updates']}")
        self.control.connect(f"tcp://{host}:{ports['control']}")
        self.sequence = 0
        self.trainer_id = 0

    def _next_sequence(self):
        self.sequence += 1
        return self.sequence

    def register(self):
        payload = json.dumps({"identity": self.identity} if self.identity else {}).encode()
        head = encode_header(KIND_REGISTER, self.run_id, 0, 0, 0, self._next_sequence(), 0, 0, 0.0, payload)
        self.control.send_multipart([b"control", head, payload])
        if not self.control.poll(self.timeout_ms):
            raise TimeoutError("no reply to register")
        topic, head, body = self.control.recv_multipart()
        header = decode_header(head)
        if header["kind"] != KIND_REGISTERED:
            raise ValueError(f"expected registered, got kind {header['kind']}")
        reply = json.loads(body)
        self.trainer_id = reply["trainerID"]
        return reply

    def receive_model(self):
        """Newest model on the channel: returns (header, tensors, order, fingerprint)."""
        if not self.sub.poll(self.timeout_ms):
            raise TimeoutError("no model received")
        newest = None
        while self.sub.poll(0 if newest else self.timeout_ms):
            frames = self.sub.recv_multipart()
            if len(frames) != 3:
                raise ValueError(f"model message has {len(frames)} frames")
            header = decode_header(frames[1])
            if header["kind"] == KIND_STOP:
                raise RuntimeError("run is over")
            if crc32c(frames[2]) != header["checksum"]:
                raise ValueError("model checksum mismatch")
            if newest is None or header["version"] > newest[0]["version"]:
                newest = (header, frames[2])
        header, payload = newest
        tensors = st_load(payload)
        order = tensor_order(payload)
        fp = fingerprint(tensors, order)
        if fp != header["fingerprint"]:
            raise ValueError("fingerprint mismatch")
        return header, tensors, order, fp

    def push_update(self, base_header, delta, order, fp, samples, loss):
        payload = st_save({k: delta[k] for k in order},
                          metadata={"fedmq.base_version": str(base_header["version"])})
        version = base_header["version"]
        head = encode_header(KIND_UPDATE, self.run_id, fp, version, version, self._next_sequence(),
                      self.trainer_id, samples, loss, payload, FLAG_DELTA)
        self.push.send_multipart([b"update", head, payload])
        return len(payload)

    def goodbye(self):
        head = encode_header(KIND_GOODBYE, self.run_id, 0, 0, 0, self._next_sequence(), self.trainer_id,
                      0, 0.0, b"")
        self.control.send_multipart([b"control", head, b""])

    def close(self):
        for s in (self.sub, self.push, self.control):
            s.close()


def key_argument(parser, inline, path, option):
    """A Z85 key given inline or as a file's first word; None when neither is given."""
    if inline is not None and path is not None:
        parser.error(f"give {option} or {option}-file, not both")
    text = inline
    if path is not None:
        with open(path) as f:
            words = f.read().split()
        text = words[0] if words else ""
    if text is None:
        return None
    if len(text) != 40:
        parser.error(f"{option}: a Z85 CURVE key has 40 characters, got {len(text)}")
    return text.encode("ascii")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="broker host name")
    p.add_argument("--model-port", type=int, default=5556, help="broker XPUB (model-out) port")
    p.add_argument("--updates-port", type=int, default=5557, help="broker PULL (updates-in) port")
    p.add_argument("--control-port", type=int, default=5559, help="broker ROUTER (control-in) port")
    p.add_argument("--run-id", type=int, required=True, help="the aggregator's run id")
    p.add_argument("--identity", default="python-client", help="stable trainer identity")
    p.add_argument("--delta-scale", type=float, default=1e-3,
                   help="the update is delta = scale * sign(w) for every weight w (deterministic)")
    p.add_argument("--samples", type=int, default=100, help="sample count reported with the update")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each reply")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("--curve-server-key", help="the broker's CURVE public key (Z85); with a secret key, "
                   "every connection is encrypted and authenticated")
    p.add_argument("--curve-server-key-file", help="file holding the broker's public key (broker.pub)")
    p.add_argument("--curve-secret-key", help="this client's CURVE secret key (Z85)")
    p.add_argument("--curve-secret-key-file", help="file holding this client's secret key (NAME.key)")
    args = p.parse_args(argv)

    server_key = key_argument(p, args.curve_server_key, args.curve_server_key_file, "--curve-server-key")
    secret_key = key_argument(p, args.curve_secret_key, args.curve_secret_key_file, "--curve-secret-key")
    if (server_key is None) != (secret_key is None):
        p.error("CURVE needs both the broker's public key and this client's secret key")
    curve = (server_key, secret_key) if server_key is not None else None
    client = Client(args.host, {"model": args.model_port, "updates": args.updates_port,
                                "control": args.control_port}, args.run_id, args.identity, args.timeout, curve)
    try:
        registration = client.register()
        header, tensors, order, fp = client.receive_model()
        delta = {k: (args.delta_scale * np.sign(v)).astype(np.float32) for k, v in tensors.items()}
        sent = client.push_update(header, delta, order, fp, args.samples, 0.5)
        time.sleep(0.2)
        client.goodbye()
        summary = {
            "trainer_id": registration["trainerID"],
            "registration": registration,
            "model_version": header["version"],
            "names": order,
            "shapes": {k: list(tensors[k].shape) for k in order},
            "fingerprint": f"{fp:016x}",
            "update_bytes": sent,
            "model_l1": float(sum(np.abs(tensors[k]).sum() for k in order)),
        }
        if args.json:
            print(json.dumps(summary))
        else:
            print(f"trainer {summary['trainer_id']}: model v{header['version']} "
                  f"({len(order)} tensors), pushed {sent} bytes")
    finally:
        time.sleep(0.3)
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
