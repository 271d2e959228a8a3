#!/usr/bin/env bash
# FedMQ against Flower on the same federation, then FedMQ's buffered mode against sync with
# stragglers. Prints side-by-side tables; everything goes to runs/compare-flower-<UTC time>/.
#
#   1. FedMQ `sync` (release build) with the Flower peer's settings: 8 trainers, iid shards, the CNN,
#      1 local epoch per round, batch 64, SGD lr 0.01 momentum 0.5, FedAvg, evaluation on the
#      10k test images every round, stop at 85 % or after --rounds rounds.
#      The same once more with a higher cap (--uncapped-rounds, default 40; 0 skips it): the
#      time to 85 % when 20 rounds are not enough.
#   2. The same job in `sync`, `async` (FedAsync) and `buffered` (FedBuff K 4) modes, without and with 2 of the 8
#      trainers at --slowdown 4, stopping at 85 % or after --straggler-time-limit seconds.
#      With --step-time S (seconds), these runs emulate devices of fixed speed (`fedmq run
#      --step-time`): a step takes S, a straggler's 4 × S, however the 2 cores are shared.
#   3. The Flower peer (benchmarks/peers/flower/run.sh, about 45 s per round here).
#
# Usage: benchmarks/peers/compare-flower.sh [--rounds 20] [--uncapped-rounds 40] [--straggler-time-limit 300]
#        [--step-time S] [--skip-flower] [--skip-sync] [--skip-stragglers] [--no-build] [--output DIR]
# Environment: FEDMQ_COMPARE_ROUNDS, FEDMQ_COMPARE_UNCAPPED_ROUNDS, FEDMQ_COMPARE_STRAGGLER_TIME_LIMIT, FEDMQ_COMPARE_STEP_TIME,
# FEDMQ_COMPARE_SKIP_FLOWER=1, FEDMQ_COMPARE_SKIP_SYNC=1, FEDMQ_COMPARE_SKIP_STRAGGLERS=1, FEDMQ_COMPARE_NO_BUILD=1, FEDMQ_COMPARE_OUTPUT give the defaults;
# the Flower peer reads its own FEDMQ_FLOWER_* variables (see flower/README.md).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
rounds="${FEDMQ_COMPARE_ROUNDS:-20}"
uncapped="${FEDMQ_COMPARE_UNCAPPED_ROUNDS:-40}"
straggler_limit="${FEDMQ_COMPARE_STRAGGLER_TIME_LIMIT:-300}"
step_time="${FEDMQ_COMPARE_STEP_TIME:-0}"
sync="$([ "${FEDMQ_COMPARE_SKIP_SYNC:-0}" = 1 ] && echo 0 || echo 1)"
flower="$([ "${FEDMQ_COMPARE_SKIP_FLOWER:-0}" = 1 ] && echo 0 || echo 1)"
stragglers="$([ "${FEDMQ_COMPARE_SKIP_STRAGGLERS:-0}" = 1 ] && echo 0 || echo 1)"
build="$([ "${FEDMQ_COMPARE_NO_BUILD:-0}" = 1 ] && echo 0 || echo 1)"
output="${FEDMQ_COMPARE_OUTPUT:-$repo/runs/compare-flower-$(date -u +%Y%m%d-%H%M%S)}"
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --uncapped-rounds) uncapped="$2"; shift 2 ;;
        --straggler-time-limit) straggler_limit="$2"; shift 2 ;;
        --step-time) step_time="$2"; shift 2 ;;
        --skip-sync) sync=0; shift ;;
        --skip-flower) flower=0; shift ;;
        --skip-stragglers) stragglers=0; shift ;;
        --no-build) build=0; shift ;;
        --output) output="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
mkdir -p "$output"
output="$(cd "$output" && pwd)"
cd "$repo"
[ "$build" = 1 ] && swift build -c release
fedmq="$repo/.build/release/fedmq"
summary=(python3 "$here/summary.py")

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "output: $output"

# The job both frameworks run.
job=(--trainers 8 --partition iid --seed 0 --model cnn --local-epochs 1 --batch-size 64 --lr 0.01 --momentum 0.5
     --eval-every 1 --target-accuracy 0.85)

fedmq_run() {   # name, extra fedmq run options...
    local name="$1"; shift
    echo; echo "== FedMQ $name: fedmq run ${job[*]} $*"
    "${summary[@]}" measure "$output/$name.measured.json" -- "$fedmq" run "${job[@]}" "$@" --output-dir "$output/$name" \
        > "$output/$name.log" 2>&1 || { echo "fedmq run failed: see $output/$name.log"; return 1; }
    mv "$output/$name.measured.json" "$output/$name/measured.json"
    "${summary[@]}" fedmq "$output/$name"
    cat "$output/$name/measured.json"; echo
}

table=("FedMQ sync=fedmq:$output/fedmq-sync")
if [ "$sync" = 1 ]; then
    fedmq_run fedmq-sync --mode sync --max-versions "$rounds"
    if [ "$uncapped" -gt 0 ]; then
        fedmq_run fedmq-sync-uncapped --mode sync --max-versions "$uncapped"
        table+=("FedMQ sync, ≤ $uncapped rounds=fedmq:$output/fedmq-sync-uncapped")
    fi
fi

straggler_sync="$output/fedmq-sync"
if [ "$stragglers" = 1 ]; then
    slow=(--slowdowns 1,1,1,1,1,1,4,4)
    paced=(--step-time "$step_time")
    if [ "$step_time" != 0 ] || [ "$sync" = 0 ]; then   # the sync baseline at the same pace
        straggler_sync="$output/sync-paced"
        fedmq_run sync-paced --mode sync --time-limit "$straggler_limit" "${paced[@]}"
    fi
    fedmq_run async --mode async --time-limit "$straggler_limit" "${paced[@]}"
    fedmq_run buffered --mode buffered --buffer-size 4 --time-limit "$straggler_limit" "${paced[@]}"
    fedmq_run sync-stragglers --mode sync --time-limit "$straggler_limit" "${slow[@]}" "${paced[@]}"
    fedmq_run async-stragglers --mode async --time-limit "$straggler_limit" "${slow[@]}" "${paced[@]}"
    fedmq_run buffered-stragglers --mode buffered --buffer-size 4 --time-limit "$straggler_limit" "${slow[@]}" "${paced[@]}"
fi

if [ "$flower" = 1 ]; then
    echo; echo "== Flower: benchmarks/peers/flower/run.sh --rounds $rounds"
    "$here/flower/run.sh" --rounds "$rounds" --fedmq "$fedmq" --output "$output/flower" 2>&1 | tee "$output/flower.log"
fi

if [ "$sync" = 1 ] && [ "$flower" = 1 ]; then
    echo
    echo "== FedMQ vs Flower (same federation; times from each run's own clock, see docs/PERFORMANCE.md)"
    "${summary[@]}" table "${table[@]}" "Flower=flower:$output/flower/results.json"
fi
if [ "$stragglers" = 1 ]; then
    echo
    echo "== FedMQ modes, 2 of 8 trainers at --slowdown 4 or none$([ "$step_time" != 0 ] && echo ", every device at $step_time s per step")"
    "${summary[@]}" table "sync=fedmq:$straggler_sync" "async=fedmq:$output/async" "buffered=fedmq:$output/buffered" \
        "sync, stragglers=fedmq:$output/sync-stragglers" "async, stragglers=fedmq:$output/async-stragglers" \
        "buffered, stragglers=fedmq:$output/buffered-stragglers"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
