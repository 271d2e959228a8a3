"""CRC-32C (Castagnoli) of payloads, fast enough for models of many megabytes, with numpy only.

Why this file exists: every FedMQ message carries the CRC-32C of its payload (docs/PROTOCOL.md),
and the package may depend only on pyzmq, numpy and safetensors, none of which computes it. A
byte-at-a-time Python loop runs at about 10 MB/s; here the payload is cut into equal chunks whose
CRCs are computed side by side (slicing-by-4 tables, one numpy gather per table and word), then
folded pairwise with the "append n zero bytes" operator over GF(2) (zlib's crc32_combine idea).
"""

from __future__ import annotations

from typing import Dict, List, Tuple, Union

import numpy as np

POLYNOMIAL = 0x82F63B78
"""The reflected Castagnoli polynomial."""

BytesLike = Union[bytes, bytearray, memoryview, np.ndarray]

#: Inputs below this many bytes are checksummed by a plain table loop.
_SMALL = 1024


def _tables() -> np.ndarray:
    """The four slicing-by-4 tables, shape (4, 256), uint32."""
    first = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ POLYNOMIAL if crc & 1 else crc >> 1
        first.append(crc)
    tables = [first]
    for _ in range(3):
        previous = tables[-1]
        tables.append([(value >> 8) ^ first[value & 0xFF] for value in previous])
    return np.array(tables, dtype=np.uint32)


_TABLES = _tables()
_TABLE0: List[int] = [int(v) for v in _TABLES[0]]


def _raw_small(data: memoryview, crc: int = 0) -> int:
    """The CRC register after feeding `data` into register `crc` (no final XOR)."""
    table = _TABLE0
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


# A linear operator on the 32-bit register is stored as its 32 columns (image of each bit).
_Operator = Tuple[int, ...]


def _apply(operator: _Operator, value: int) -> int:
    result = 0
    bit = 0
    while value:
        if value & 1:
            result ^= operator[bit]
        value >>= 1
        bit += 1
    return result


def _square(operator: _Operator) -> _Operator:
    return tuple(_apply(operator, column) for column in operator)


def _one_zero_byte() -> _Operator:
    """Feeding one zero byte: eight shifts of the reflected register."""
    bit_columns = [POLYNOMIAL] + [1 << (n - 1) for n in range(1, 32)]  # one zero bit
    operator: _Operator = tuple(bit_columns)
    for _ in range(3):  # 1 bit -> 2 -> 4 -> 8 bits
        operator = _square(operator)
    return operator


_POWERS: List[_Operator] = [_one_zero_byte()]  # _POWERS[k]: 2**k zero bytes


def _power(k: int) -> _Operator:
    while len(_POWERS) <= k:
        _POWERS.append(_square(_POWERS[-1]))
    return _POWERS[k]


def _shift(value: int, count: int) -> int:
    """The register `value` after `count` zero bytes."""
    k = 0
    while count:
        if count & 1:
            value = _apply(_power(k), value)
        count >>= 1
        k += 1
    return value


_SHIFT_TABLES: Dict[int, np.ndarray] = {}


def _shift_tables(count: int) -> np.ndarray:
    """Byte tables (4, 256) of the operator "append `count` zero bytes" (`count` a power of two)."""
    cached = _SHIFT_TABLES.get(count)
    if cached is not None:
        return cached
    operator = _power(count.bit_length() - 1)
    tables = np.zeros((4, 256), dtype=np.uint32)
    for lane in range(4):
        columns = operator[8 * lane: 8 * lane + 8]
        row = [0] * 256
        for b in range(1, 256):
            low = (b & -b).bit_length() - 1
            row[b] = row[b & (b - 1)] ^ columns[low]
        tables[3 - lane] = row  # `_lookup` reads the lowest byte from table 3
    _SHIFT_TABLES[count] = tables
    return tables


def _lookup(tables: np.ndarray, crc: np.ndarray) -> np.ndarray:
    """One slicing-by-4 step on every register of `crc` (its word already XORed in)."""
    return (tables[3][crc & 0xFF] ^ tables[2][(crc >> 8) & 0xFF]
            ^ tables[1][(crc >> 16) & 0xFF] ^ tables[0][crc >> 24])


def _half_tables() -> Tuple[np.ndarray, np.ndarray]:
    """Slicing-by-4 folded into two 65 536-entry tables, indexed by the register's low and high
    16 bits: one step is two gathers."""
    index = np.arange(65536, dtype=np.uint32)
    low = _TABLES[3][index & 0xFF] ^ _TABLES[2][index >> 8]
    high = _TABLES[1][index & 0xFF] ^ _TABLES[0][index >> 8]
    return low.astype("<u4"), high.astype("<u4")


_LOW, _HIGH = _half_tables()


def _raw_chunks(words: np.ndarray) -> np.ndarray:
    """Raw CRCs (register 0 at start) of every row of `words` (rows of little-endian u32)."""
    columns = np.ascontiguousarray(words.T)  # each step then reads one contiguous column
    crc = np.zeros(words.shape[0], dtype="<u4")
    halves = crc.view("<u2").reshape(-1, 2)  # [:, 0] the low 16 bits, [:, 1] the high ones
    for column in columns:
        np.bitwise_xor(crc, column, out=crc)
        crc[:] = _LOW[halves[:, 0]] ^ _HIGH[halves[:, 1]]
    return crc


def _fold(crcs: np.ndarray, chunk_bytes: int) -> int:
    """The raw CRC of consecutive chunks of `chunk_bytes` whose raw CRCs are `crcs`."""
    size = 1 << max(0, (len(crcs) - 1).bit_length())
    # Leading zero chunks leave a raw CRC (register 0 at start) unchanged.
    crcs = np.concatenate([np.zeros(size - len(crcs), dtype=np.uint32), crcs])
    span = chunk_bytes
    while len(crcs) > 1:
        tables = _shift_tables(span)  # chunk sizes are powers of two, so every span is
        crcs = _lookup(tables, crcs[0::2]) ^ crcs[1::2]
        span *= 2
    return int(crcs[0])


def _chunk_bytes(count: int) -> int:
    """Chunk length for `count` bytes: few Python-level steps, rows in the thousands."""
    chunk = 64
    while chunk < 1024 and count // chunk > 65536:
        chunk *= 2
    return chunk


def _raw(data: memoryview) -> int:
    count = len(data)
    if count < _SMALL:
        return _raw_small(data)
    chunk = _chunk_bytes(count)
    rows = count // chunk
    body = np.frombuffer(data, dtype="<u4", count=rows * chunk // 4).reshape(rows, chunk // 4)
    crc = _fold(_raw_chunks(body), chunk)
    tail = data[rows * chunk:]
    return _shift(crc, len(tail)) ^ _raw(tail) if len(tail) else crc


def crc32c(data: BytesLike) -> int:
    """CRC-32C of `data`: reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF.

    ``crc32c(b"123456789") == 0xE3069283``; the empty input gives 0.
    """
    view = memoryview(data).cast("B")  # type: ignore[arg-type]  # ndarray supports the buffer protocol
    # A register starting at 0xFFFFFFFF adds the shift of 0xFFFFFFFF past every byte (linearity).
    return _raw(view) ^ _shift(0xFFFFFFFF, len(view)) ^ 0xFFFFFFFF
