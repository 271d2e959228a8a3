#!/usr/bin/env bash
# Scale test: the real broker and aggregator processes against `fedmq loadgen` with 10, 100
# and 1,000 simulated trainers; prints updates/s sent and accepted, model delivery latency
# (publish → last trainer, p50/p99) and broker/aggregator RSS (idle, peak, growth per trainer).
#
# Settings (environment): COUNTS="10 100 1000", MODEL=cnn, INTERVAL=2 (seconds between two
# updates of one trainer), DURATION=20 (seconds measured), BASE_PORT=25555, K_DIVISOR=10
# (FedBuff K = max(4, trainers / K_DIVISOR), so versions per second stay alike across counts),
# K (a fixed K instead), INTERVALS ("0.001 0.01 0.1": one interval per count, in order, instead
# of INTERVAL — e.g. the same offered load from every count), BROKER_ARGS (extra broker options,
# e.g. "--update-hwm 16" to bound the broker's queues when the offered load exceeds intake),
# CURVE=1 (every connection encrypted: keys from `fedmq keygen`, one pair for the load).
# Needs a release build (swift build -c release) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
COUNTS=${COUNTS:-"10 100 1000"}
MODEL=${MODEL:-cnn}
INTERVAL=${INTERVAL:-2}
DURATION=${DURATION:-20}
BASE_PORT=${BASE_PORT:-25555}
K_DIVISOR=${K_DIVISOR:-10}
FIXED_K=${K:-}
read -r -a INTERVAL_LIST <<< "${INTERVALS:-}"
BROKER_ARGS=${BROKER_ARGS:-}
[ -x "$BIN/broker" ] && [ -x "$BIN/aggregator" ] && [ -x "$BIN/fedmq" ] || swift build -c release
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
WORK=$(mktemp -d /tmp/fedmq-scale.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
BROKER_CURVE=(); AGGREGATOR_CURVE=(); LOADGEN_CURVE=()
if [ -n "${CURVE:-}" ]; then
    "$BIN/fedmq" keygen --out "$WORK/keys" --name broker --name aggregator --name trainer-load > /dev/null
    BROKER_CURVE=(--curve-secret-key-file "$WORK/keys/broker.key" --allowed-keys-file "$WORK/keys/allowed_keys"
                  --aggregator-keys-file "$WORK/keys/aggregator.pub")
    AGGREGATOR_CURVE=(--curve-server-key-file "$WORK/keys/broker.pub" --curve-secret-key-file "$WORK/keys/aggregator.key"
                      --trainer-keys-file "$WORK/keys/trainer_keys")
    LOADGEN_CURVE=(--curve-server-key-file "$WORK/keys/broker.pub" --curve-secret-key-file "$WORK/keys/trainer-load.key")
fi

rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }
p() { echo $((BASE_PORT + $1)); }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); ${CURVE:+CURVE on; }model $MODEL, interval $INTERVAL s, $DURATION s measured; open files $(ulimit -n)"
RUN=0
for N in $COUNTS; do
    K=${K:-$(( N / K_DIVISOR > 4 ? N / K_DIVISOR : 4 ))}
    RUN_INTERVAL=${INTERVAL_LIST[$RUN]:-$INTERVAL}; RUN=$((RUN + 1))
    "$BIN/broker" --bind 127.0.0.1 --model-in-port "$(p 0)" --model-out-port "$(p 1)" --updates-in-port "$(p 2)" \
        --updates-out-port "$(p 3)" --control-in-port "$(p 4)" --control-out-port "$(p 5)" --log-level warning $BROKER_ARGS "${BROKER_CURVE[@]}" \
        > "$WORK/broker-$N.log" 2>&1 &
    BROKER=$!; PIDS+=("$BROKER")
    "$BIN/aggregator" --model "$MODEL" --mode buffered --buffer-size "$K" --shards "$N" --eval-every 0 \
        --heartbeat-timeout 120 --metrics "$WORK/metrics-$N.jsonl" --log-level warning \
        --model-endpoint "tcp://127.0.0.1:$(p 0)" --update-endpoint "tcp://127.0.0.1:$(p 3)" \
        --control-endpoint "tcp://127.0.0.1:$(p 5)" "${AGGREGATOR_CURVE[@]}" > "$WORK/aggregator-$N.log" 2>&1 &
    AGGREGATOR=$!; PIDS+=("$AGGREGATOR")
    sleep 2
    echo "{\"broker\": $(rss "$BROKER"), \"aggregator\": $(rss "$AGGREGATOR")}" > "$WORK/idle-$N.json"
    "$BIN/fedmq" loadgen --trainers "$N" --model "$MODEL" --interval "$RUN_INTERVAL" --duration "$DURATION" --json \
        --setup-timeout 120 --identity-prefix "scale-$N-$$" --log-level warning \
        --model-endpoint "tcp://127.0.0.1:$(p 1)" --update-endpoint "tcp://127.0.0.1:$(p 2)" \
        --control-endpoint "tcp://127.0.0.1:$(p 4)" --watch "broker=$BROKER" --watch "aggregator=$AGGREGATOR" "${LOADGEN_CURVE[@]}" \
        > "$WORK/loadgen-$N.json"
    kill -TERM "$AGGREGATOR"; wait "$AGGREGATOR" || true
    kill -TERM "$BROKER"; wait "$BROKER" || true
    echo "K=$K" > "$WORK/k-$N"
    [ -n "${FIXED_K:-}" ] || unset K
done

python3 - "$WORK" $COUNTS <<'PY'
import json, sys
work, counts = sys.argv[1], sys.argv[2:]
mib = lambda b: b / 1048576
print(f"{'trainers':>8} {'K':>4} {'sent/s':>8} {'accepted/s':>10} {'rejected':>8} {'bcasts':>6} {'deliv%':>6} "
      f"{'p50 ms':>7} {'p99 ms':>7} {'broker MiB idle/ready/peak':>26} {'agg MiB idle/ready/peak':>23} {'KB/trainer ready':>16} {'KB/trainer peak':>15} {'loadgen MiB':>11}")
for n in counts:
    r = json.load(open(f"{work}/loadgen-{n}.json"))
    idle = json.load(open(f"{work}/idle-{n}.json"))
    m = [json.loads(l) for l in open(f"{work}/metrics-{n}.jsonl") if l.strip()][-1]
    k = open(f"{work}/k-{n}").read().strip().split("=")[1]
    peak = r["peakResidentBytes"]
    ready = r["readyResidentBytes"]
    per = lambda name, at: (at[name] - idle[name]) / 1024 / int(n)
    print(f"{n:>8} {k:>4} {r['updatesSent'] / r['seconds']:>8.1f} {m['updatesAccepted'] / r['seconds']:>10.1f} "
          f"{sum(m['rejected'].values()):>8} {r['broadcasts']:>6} {100 * r['deliveredFraction']:>6.0f} "
          f"{r['lastSubscriberLatencyP50']:>7.1f} {r['lastSubscriberLatencyP99']:>7.1f} "
          f"{mib(idle['broker']):>10.1f}/{mib(ready['broker']):.1f}/{mib(peak['broker']):<7.1f} "
          f"{mib(idle['aggregator']):>9.1f}/{mib(ready['aggregator']):.1f}/{mib(peak['aggregator']):<6.1f} "
          f"{per('broker', ready):>8.0f}/{per('aggregator', ready):<7.0f} {per('broker', peak):>7.0f}/{per('aggregator', peak):<7.0f} "
          f"{mib(peak['loadgen']):>11.1f}")
print(f"KB/trainer: broker/aggregator RSS growth over idle per trainer, when all are connected (ready) and at the peak under traffic")
print(f"p50/p99: publish → receipt by the last trainer that got each broadcast; accepted/s from the aggregator's final metrics line; logs in {work}")
PY
