"""Shards: a Python trainer cuts exactly the samples a Swift trainer with its shard index gets.

Why this file exists: the aggregator hands out only a shard index, count, scheme and seed; the
Python port of the partitioner is compared with the Swift one (``fedmq shards``) for every scheme.
"""

import json
import subprocess

import pytest

from fedmq.data import load_fashion_mnist, shard_indices
from fedmq.codec import Registration
from fedmq.partition import PartitionScheme, SeededGenerator, shards


@pytest.mark.parametrize("scheme,count,seed", [
    ("dirichlet:0.5", 8, 0), ("dirichlet:0.1", 16, 42), ("iid", 4, 7), ("labels:2", 5, 3), ("quantity:0.5", 6, 11)])
def test_python_shards_equal_the_swift_partitioner(bin_dir, tmp_path, scheme, count, seed):
    output = tmp_path / "shards.json"
    subprocess.run([str(bin_dir / "fedmq"), "shards", "--partition", scheme, "--shards", str(count),
                    "--seed", str(seed), "--output", str(output)], check=True, capture_output=True, timeout=120)
    swift = json.loads(output.read_text())
    _, labels = load_fashion_mnist("train")
    assert swift["sampleCount"] == len(labels)
    python = shards(count, labels.tolist(), PartitionScheme.parse(scheme), seed)
    assert python == swift["shards"]
    registration = Registration(1, count - 1, count, scheme, seed, 0)
    assert shard_indices(registration, labels).tolist() == swift["shards"][count - 1]


def test_shards_are_disjoint_non_empty_and_seeded():
    labels = [i % 10 for i in range(1000)]
    a = shards(7, labels, PartitionScheme.parse("dirichlet:0.3"), 5)
    assert all(a) and sorted(i for s in a for i in s) == list(range(1000))
    assert a == shards(7, labels, PartitionScheme.parse("dirichlet:0.3"), 5)
    assert a != shards(7, labels, PartitionScheme.parse("dirichlet:0.3"), 6)


def test_generator_is_xoshiro256_starstar_seeded_by_splitmix64():
    # SplitMix64(0) first outputs and xoshiro256** on them (reference values of the algorithms).
    g = SeededGenerator(0)
    assert g._s[0] == 0xE220A8397B1DCDAF
    assert [g.next() for _ in range(2)] == [11091344671253066420, 13793997310169335082]


def test_scheme_parsing_refuses_what_swift_refuses():
    for text in ["dirichlet:0", "labels:1.5", "iid:2", "zipf:1", "quantity:-1"]:
        with pytest.raises(ValueError):
            PartitionScheme.parse(text)
