#!/usr/bin/env python3
"""A one-shot FedMQ protocol client: register, take the current model, push one delta, leave.

It shows the wire protocol is language-neutral (docs/PROTOCOL.md) and is what the Swift suite's
``PythonClientTests`` runs against a live broker and aggregator. It uses the ``fedmq`` package
next to it (no installation needed: only pyzmq, numpy and safetensors); a trainer that stays in
a run is ``fedmq.Trainer`` / ``fedmq.pytorch.TorchTrainer`` (examples/).

    python3 clients/python/fedmq_client.py --host 127.0.0.1 --run-id 7 \\
        --delta-scale 0.001 --json

With ``--json`` it prints one JSON object describing what it received and sent. Against an
encrypted broker (docs/SECURITY.md) add ``--curve-server-key-file keys/broker.pub
--curve-secret-key-file keys/NAME.key`` (or the inline forms); the broker and the aggregator
must list NAME's public key.
"""

import argparse
import dataclasses
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fedmq import CurveKeys, TrainerConfig, TrainerSession, payload  # noqa: E402
from fedmq.session import Adopted, Registered, Stopped  # noqa: E402
from fedmq.sockets import TrainerSockets  # noqa: E402


def await_event(session, sockets, kind, timeout, seen):
    """Pumps the sockets into the session until an event of `kind` has arrived (also earlier,
    into `seen`, with another one); TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        for event in seen:
            if isinstance(event, Stopped):
                raise RuntimeError("run is over")
            if isinstance(event, kind):
                return event
        if time.monotonic() >= deadline:
            raise TimeoutError(f"no {kind.__name__} event within {timeout} s")
        models, control = sockets.poll(0.1)
        seen += [e for e in (session.receive_control(f) for f in sockets.drain(sockets.control)) if e] if control else []
        seen += session.receive_broadcasts(sockets.drain(sockets.models)) if models else []


def key_argument(parser, inline, path, option):
    """A Z85 key given inline or as a file's first word; None when neither is given."""
    if inline is not None and path is not None:
        parser.error(f"give {option} or {option}-file, not both")
    text = CurveKeys.read_key(path) if path is not None else inline
    if text is not None and len(text) != 40:
        parser.error(f"{option}: a Z85 CURVE key has 40 characters, got {len(text)}")
    return text


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
    config = TrainerConfig(args.host, args.model_port, args.updates_port, args.control_port,
                           CurveKeys(server_key, secret_key) if server_key else None, args.identity, args.run_id)
    session = TrainerSession(args.identity, args.run_id, register_retry=args.timeout, heartbeat_interval=3600)
    sockets = TrainerSockets(config)
    try:
        sockets.send_control(session.register_if_due(time.monotonic()))
        seen = []
        registration = await_event(session, sockets, Registered, args.timeout, seen).registration
        model = await_event(session, sockets, Adopted, args.timeout, seen)
        layout = model.weights.layout
        delta = {k: (args.delta_scale * np.sign(v)).astype(np.float32) for k, v in model.weights.tensors.items()}
        body = payload.encode(layout, delta, {"fedmq.base_version": str(model.version)})
        sockets.send_update(session.update(body, model.version, args.samples, 0.5))
        time.sleep(0.2)
        sockets.send_control(session.goodbye())
        summary = {
            "trainer_id": registration.trainer_id,
            "registration": dataclasses.asdict(registration),
            "model_version": model.version,
            "names": list(layout.names),
            "shapes": {k: list(s) for k, s in zip(layout.names, layout.shapes)},
            "fingerprint": f"{layout.fingerprint:016x}",
            "update_bytes": len(body),
            "model_l1": float(np.abs(model.weights.flat).sum()),
        }
        if args.json:
            print(json.dumps(summary))
        else:
            print(f"trainer {summary['trainer_id']}: model v{model.version} ({len(layout.names)} tensors), "
                  f"pushed {len(body)} bytes")
    finally:
        time.sleep(0.3)
        sockets.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
