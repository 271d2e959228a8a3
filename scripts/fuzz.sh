#!/usr/bin/env bash
# Fuzzes FedMQ's message, payload and safetensors decoders with libFuzzer + AddressSanitizer.
#
#   scripts/fuzz.sh [seconds]      (default 60)
#
# Builds the separate package fuzz/ (it depends on this one; the sanitizer flags stay out of
# the normal build), starts from the committed seed corpus fuzz/corpus/ (real encoded messages
# of every kind; regenerate with `fuzz/.build/debug/FedMQFuzz --make-corpus fuzz/corpus`) and
# grows a working corpus in fuzz/.build/corpus/. A crash leaves its input in
# fuzz/.build/artifacts/ and makes this script fail; replay it with
# `fuzz/.build/debug/FedMQFuzz <file>`. Extra arguments after the seconds go to libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
swift build --package-path fuzz -c debug \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld 2>&1 \
    | grep -v "Cannot export local symbol" || true
binary=fuzz/.build/debug/FedMQFuzz
test -x "$binary" || { echo "fuzz build failed" >&2; exit 1; }
mkdir -p fuzz/.build/corpus fuzz/.build/artifacts
"$binary" -max_total_time="$seconds" -dict=fuzz/fedmq.dict -max_len=4096 -print_final_stats=1 \
    -artifact_prefix=fuzz/.build/artifacts/ "$@" fuzz/.build/corpus fuzz/corpus
