#!/usr/bin/env bash
# The default FedMQ job on a fresh Debian (bookworm) machine with Swift installed:
# installs the dependencies, builds in release mode and runs 8 trainers on Fashion-MNIST
# cut by dirichlet:0.5, buffered aggregation (FedBuff), until 85 % test accuracy.
# Extra arguments go to `fedmq run` (see `.build/release/fedmq run --help`), e.g.
#   scripts/run-default.sh --mode async
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build -c release

.build/release/fedmq run \
    --trainers 8 \
    --partition dirichlet:0.5 \
    --mode buffered \
    --target-accuracy 0.85 \
    "$@"
# fedmq run prints the run directory and the paths of report.html, metrics.jsonl,
# checkpoints/ and logs/ when the run ends.
