#!/usr/bin/env bash
# The Python package's tests (clients/python/tests): the wire format, the trainer session, the
# PyTorch helper, the partitioner against `fedmq shards`, and real federations with the Swift
# broker, aggregator and trainers (2 Swift + 2 PyTorch trainers to the target accuracy; a Python
# trainer through a broker restart, an aggregator kill -9 and an aggregator without its
# membership; CURVE refusals; an LSTM federated by an aggregator started with --initial-model
# alone), after type-checking the package with mypy. Builds the Swift
# executables it needs and installs the package first; needs scripts/install-deps.sh (pyzmq,
# numpy, safetensors, pytest, mypy, CPU torch, Fashion-MNIST).
#
#   scripts/python-test.sh [pytest arguments]      # e.g. -k partition
set -euo pipefail
cd "$(dirname "$0")/.."

for product in broker aggregator trainer fedmq; do
    swift build --product "$product"
done
python3 -m pip install --quiet ./clients/python
python3 -m mypy --ignore-missing-imports clients/python/fedmq   # the package is typed: keep it so
# CI=1: a missing binary or dataset fails the federation tests instead of skipping them.
CI="${CI:-1}" FEDMQ_BIN_DIR="$(swift build --show-bin-path)" python3 -m pytest -q clients/python/tests "$@"
