"""The shards trainers train on: the Swift partitioner, value for value, in Python.

Why this file exists: the aggregator hands out only a shard index, a shard count, a partition
scheme and a seed (``registered``); every trainer cuts the training set itself. A PyTorch
trainer with the same shard index as a Swift trainer must train on the same samples, so this is
a port of ``Partitioner``, ``GammaSampler`` and ``SeededGenerator`` (xoshiro256** seeded through
SplitMix64) that reproduces them exactly — the same libm functions, the same order of
floating-point operations, Swift's rounding (half away from zero) — and the tests compare it
with ``fedmq shards``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Sequence

_MASK = (1 << 64) - 1


class SeededGenerator:
    """xoshiro256** seeded through SplitMix64 (``TensorCore.SeededGenerator``)."""

    def __init__(self, seed: int) -> None:
        state = seed & _MASK
        words = []
        for _ in range(4):
            state = (state + 0x9E3779B97F4A7C15) & _MASK
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
            words.append(z ^ (z >> 31))
        self._s = words

    def derived(self, stream: int) -> "SeededGenerator":
        """An independent stream, e.g. one per shard count."""
        return SeededGenerator(self._s[0] ^ ((stream * 0xD1B54A32D192ED03) & _MASK) ^ self._s[3])

    def next(self) -> int:
        """The next 64-bit value."""
        s0, s1, s2, s3 = self._s
        result = (_rotl((s1 * 5) & _MASK, 7) * 9) & _MASK
        t = (s1 << 17) & _MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self._s = [s0, s1, s2, s3]
        return result

    def unit_double(self) -> float:
        """A uniform float in [0, 1) with 53 random bits."""
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & _MASK


_TINY = 2.2250738585072014e-308  # Double.leastNormalMagnitude


def _normal(g: SeededGenerator) -> float:
    u1 = max(g.unit_double(), _TINY)
    u2 = g.unit_double()
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


def gamma(shape: float, g: SeededGenerator) -> float:
    """A Gamma(shape, 1) variate (Marsaglia & Tsang; shape < 1 boosted by U^(1/shape))."""
    if shape < 1:
        u = max(g.unit_double(), _TINY)
        return gamma(shape + 1, g) * math.pow(u, 1 / shape)
    d = shape - 1.0 / 3.0
    c = 1 / math.sqrt(9 * d)
    while True:
        while True:
            x = _normal(g)
            v = 1 + c * x
            if v > 0:
                break
        v = v * v * v
        u = g.unit_double()
        if u < 1 - 0.0331 * x * x * x * x:
            return d * v
        if math.log(max(u, _TINY)) < 0.5 * x * x + d * (1 - v + math.log(v)):
            return d * v


def dirichlet(alpha: float, count: int, g: SeededGenerator) -> List[float]:
    """A Dirichlet(α, …, α) vector of `count` proportions summing to 1."""
    xs = [gamma(alpha, g) for _ in range(count)]
    total = _sequential_sum(xs)
    if not total > 0:  # every variate underflowed: all mass on one random entry
        xs = [0.0] * count
        xs[g.next() % count] = 1.0
        total = 1.0
    return [x / total for x in xs]


def _sequential_sum(xs: Sequence[float]) -> float:
    total = 0.0
    for x in xs:  # left to right, as Swift's reduce (Python ≥ 3.12 sum() compensates)
        total += x
    return total


@dataclass(frozen=True)
class PartitionScheme:
    """``iid``, ``dirichlet:<α>``, ``labels:<k>`` or ``quantity:<β>`` (``PartitionScheme``)."""

    name: str
    argument: float = 0.0

    @staticmethod
    def parse(text: str) -> "PartitionScheme":
        """Parses the ``partition`` of a registration; raises ``ValueError``."""
        name, _, argument = text.partition(":")
        if name == "iid" and not argument:
            return PartitionScheme("iid")
        try:
            value = float(argument)
        except ValueError:
            value = math.nan
        if name in ("dirichlet", "quantity") and value > 0:
            return PartitionScheme(name, value)
        if name == "labels" and value >= 1 and value == int(value):
            return PartitionScheme(name, value)
        raise ValueError(f'partition "{text}": expected iid, dirichlet:<α>0>, labels:<k≥1> or quantity:<β>0>')


def shards(shard_count: int, labels: Sequence[int], scheme: PartitionScheme, seed: int) -> List[List[int]]:
    """Every shard's ascending sample indices, exactly as ``Partitioner.shards`` cuts them."""
    if shard_count < 1 or len(labels) < shard_count:
        raise ValueError(f"{len(labels)} samples cannot fill {shard_count} non-empty shards")
    labels = [int(label) for label in labels]
    if any(label < 0 for label in labels):
        raise ValueError("labels must be non-negative")
    g = SeededGenerator(seed).derived(shard_count)
    count = len(labels)
    if scheme.name == "iid":
        out = _split(_shuffled(list(range(count)), g), _equal_sizes(count, shard_count))
    elif scheme.name == "quantity":
        p = dirichlet(scheme.argument, shard_count, g)
        out = _split(_shuffled(list(range(count)), g), [n + 1 for n in _rounded_sizes(p, count - shard_count)])
    elif scheme.name == "dirichlet":
        out = [[] for _ in range(shard_count)]
        for members in _class_members(labels):
            p = dirichlet(scheme.argument, shard_count, g)
            pieces = _split(_shuffled(members, g), _rounded_sizes(p, len(members)))
            for s in range(shard_count):
                out[s] += pieces[s]
        _fill_empty_shards(out)
    else:
        out = _label_shards(labels, int(scheme.argument), shard_count, g)
    return [sorted(shard) for shard in out]


def shard(index: int, shard_count: int, labels: Sequence[int], scheme: PartitionScheme, seed: int) -> List[int]:
    """The ascending sample indices of shard `index` of `shard_count`."""
    if not 0 <= index < shard_count:
        raise ValueError(f"shard index {index} outside 0..<{shard_count}")
    return shards(shard_count, labels, scheme, seed)[index]


def _label_shards(labels: List[int], k: int, shard_count: int, g: SeededGenerator) -> List[List[int]]:
    members = _class_members(labels)
    if k > len(members):
        raise ValueError(f"partition labels:{k} needs at least {k} classes, the data has {len(members)}")
    order = _shuffled(list(range(len(members))), g)
    holders: List[List[int]] = [[] for _ in members]
    for s in range(shard_count):
        for j in range(k):
            holders[order[(s * k + j) % len(members)]].append(s)
    out: List[List[int]] = [[] for _ in range(shard_count)]
    for c, owners in enumerate(holders):
        if not owners:
            continue
        if len(members[c]) < len(owners):
            raise ValueError(f"a class has {len(members[c])} samples for {len(owners)} shards (labels:{k})")
        pieces = _split(_shuffled(members[c], g), _equal_sizes(len(members[c]), len(owners)))
        for piece, s in zip(pieces, owners):
            out[s] += piece
    return out


def _class_members(labels: List[int]) -> List[List[int]]:
    by_label: Dict[int, List[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    return [by_label[label] for label in sorted(by_label)]


def _shuffled(xs: List[int], g: SeededGenerator) -> List[int]:
    a = list(xs)
    for i in range(len(a) - 1, 0, -1):
        j = g.next() % (i + 1)
        a[i], a[j] = a[j], a[i]
    return a


def _split(xs: List[int], sizes: List[int]) -> List[List[int]]:
    out, start = [], 0
    for n in sizes:
        out.append(xs[start:start + n])
        start += n
    return out


def _equal_sizes(total: int, parts: int) -> List[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _round_half_away(x: float) -> int:
    """Swift's ``rounded()`` for x ≥ 0: halves go up (Python's ``round`` goes to even)."""
    floor = math.floor(x)
    return floor + 1 if x - floor >= 0.5 else floor


def _rounded_sizes(p: List[float], total: int) -> List[int]:
    """Sizes from cumulative proportions rounded to whole samples (may be zero)."""
    sizes, cumulative, previous = [], 0.0, 0
    for i, share in enumerate(p):
        cumulative += share
        edge = total if i == len(p) - 1 else min(total, _round_half_away(cumulative * total))
        sizes.append(max(0, edge - previous))
        previous = max(previous, edge)
    return sizes


def _fill_empty_shards(out: List[List[int]]) -> None:
    """Moves one sample from the largest shard (the first of equals) into each empty one."""
    for s in range(len(out)):
        if not out[s]:
            donor = max(range(len(out)), key=lambda i: len(out[i]))
            out[s].append(out[donor].pop())
