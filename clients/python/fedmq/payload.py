"""Model layouts, their fingerprint, and the safetensors payloads of models and updates.

Why this file exists: weights travel as safetensors bytes (docs/PROTOCOL.md, "Payload:
safetensors"), checked as strictly as the Swift codec checks them: exactly the layout's names,
dtype F32, exact shapes, data offsets that tile the data section, finite values. Decoding gives
zero-copy views into the received frame (the helper copies once, into the module); encoding
writes the header and every tensor into one preallocated buffer (one copy).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .errors import ProtocolError

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
_MASK64 = (1 << 64) - 1
#: Longest safetensors JSON header accepted, bytes.
MAX_HEADER_BYTES = 1 << 24


@dataclass(frozen=True)
class Layout:
    """A model's parameters in model order: PyTorch ``state_dict`` names and shapes.

    The order is the order of the tensors' data in the aggregator's model payload, which is the
    order of the Swift layout (and of ``state_dict()`` for the built-in models).
    """

    names: Tuple[str, ...]
    shapes: Tuple[Tuple[int, ...], ...]

    @staticmethod
    def of(pairs: Iterable[Tuple[str, Sequence[int]]]) -> "Layout":
        """A layout from ``(name, shape)`` pairs in model order."""
        items = [(name, tuple(int(d) for d in shape)) for name, shape in pairs]
        return Layout(tuple(n for n, _ in items), tuple(s for _, s in items))

    @property
    def counts(self) -> List[int]:
        """Elements of each tensor."""
        return [math.prod(shape) for shape in self.shapes]

    @property
    def parameter_count(self) -> int:
        """Total number of float32 values."""
        return sum(self.counts)

    @property
    def fingerprint(self) -> int:
        """FNV-1a 64 over ``name:d0xd1x…;`` of every tensor in model order (a scalar: ``name:;``)."""
        value = FNV_OFFSET
        for name, shape in zip(self.names, self.shapes):
            for byte in f"{name}:{'x'.join(str(d) for d in shape)};".encode():
                value = ((value ^ byte) * FNV_PRIME) & _MASK64
        return value


@dataclass
class DecodedPayload:
    """A decoded safetensors payload.

    Attributes:
        layout: names and shapes in data order.
        tensors: name → read-only float32 view into the payload bytes (no copy).
        flat: every value in data order, one view.
        metadata: the ``__metadata__`` strings.
    """

    layout: Layout
    tensors: Dict[str, np.ndarray]
    flat: np.ndarray
    metadata: Dict[str, str]


def _fail(message: str) -> ProtocolError:
    return ProtocolError("payload_decode", message)


def _parse_header(payload: memoryview) -> Tuple[dict, int]:
    if len(payload) < 8:
        raise _fail(f"payload of {len(payload)} bytes has no safetensors length prefix")
    (length,) = struct.unpack_from("<Q", payload, 0)
    if length > min(MAX_HEADER_BYTES, len(payload) - 8):
        raise _fail(f"safetensors header length {length} exceeds the payload")
    try:
        header = json.loads(bytes(payload[8:8 + length]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise _fail(f"safetensors header is not JSON: {error}") from None
    if not isinstance(header, dict):
        raise _fail("safetensors header is not a JSON object")
    return header, 8 + length


def _entries(header: dict) -> Tuple[List[Tuple[str, Tuple[int, ...], int, int]], Dict[str, str]]:
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _fail("__metadata__ must map strings to strings")
    entries = []
    for name, spec in header.items():
        if not isinstance(spec, dict) or spec.get("dtype") != "F32":
            raise _fail(f"tensor {name}: dtype must be F32")
        shape, offsets = spec.get("shape"), spec.get("data_offsets")
        if (not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape)
                or not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) for o in offsets)):
            raise _fail(f"tensor {name}: bad shape or data_offsets")
        entries.append((name, tuple(shape), offsets[0], offsets[1]))
    entries.sort(key=lambda e: (e[2], e[3]))
    return entries, metadata


def decode(payload: bytes, expected: Optional[Layout] = None) -> DecodedPayload:
    """Decodes a model or delta payload; with `expected`, names and shapes must be exactly its.

    Raises:
        ProtocolError: ``payload_decode`` (format, names, shapes, dtypes, offsets) or
            ``non_finite`` (NaN or ±∞).
    """
    view = memoryview(payload).cast("B")
    header, start = _parse_header(view)
    entries, metadata = _entries(header)
    position = 0
    for name, shape, begin, end in entries:
        if begin != position or end - begin != 4 * math.prod(shape):
            raise _fail(f"tensor {name}: data_offsets [{begin}, {end}] do not tile the data section")
        position = end
    if position != len(view) - start:
        raise _fail(f"tensors cover {position} bytes of a {len(view) - start}-byte data section")
    layout = Layout.of((name, shape) for name, shape, _, _ in entries)
    if expected is not None and (sorted(zip(layout.names, layout.shapes)) != sorted(zip(expected.names, expected.shapes))):
        raise _fail(f"tensors {list(zip(layout.names, layout.shapes))} are not the model's "
                    f"{list(zip(expected.names, expected.shapes))}")
    flat = np.frombuffer(view, dtype="<f4", offset=start, count=position // 4)
    if not np.isfinite(flat).all():
        raise ProtocolError("non_finite", "payload holds NaN or infinite values")
    tensors = {name: flat[begin // 4:end // 4].reshape(shape) for name, shape, begin, end in entries}
    if expected is not None:
        layout = expected
    return DecodedPayload(layout, tensors, flat, metadata)


def header_bytes(layout: Layout, metadata: Mapping[str, str]) -> bytes:
    """The length-prefixed safetensors JSON header for `layout`, space-padded to 8 bytes."""
    spec: Dict[str, object] = {"__metadata__": dict(sorted(metadata.items()))} if metadata else {}
    offset = 0
    for name, shape, count in zip(layout.names, layout.shapes, layout.counts):
        spec[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + 4 * count]}
        offset += 4 * count
    text = json.dumps(spec, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


def encode(layout: Layout, tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str],
           minus: Optional[Mapping[str, np.ndarray]] = None) -> bytearray:
    """A payload of `tensors` (one array per layout name, any float dtype, cast to float32) in
    layout order: one buffer, each tensor written into it once. With `minus`, each tensor less
    ``minus[name]`` is written (``local - base`` in one pass, no temporary)."""
    head = header_bytes(layout, metadata)
    out = bytearray(len(head) + 4 * layout.parameter_count)
    out[:len(head)] = head
    data = np.frombuffer(out, dtype="<f4", offset=len(head))
    position = 0
    for name, count in zip(layout.names, layout.counts):
        source = np.asarray(tensors[name])
        if source.size != count:
            raise ValueError(f"tensor {name} has {source.size} values, the layout needs {count}")
        target = data[position:position + count]
        if minus is None:
            target[:] = source.reshape(-1)
        else:
            np.subtract(source.reshape(-1), np.asarray(minus[name]).reshape(-1), out=target, casting="unsafe")
        position += count
    return out
