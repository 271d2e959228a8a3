#!/usr/bin/env bash
# Soak test: one broker, one aggregator (buffered, no stop condition) and N real trainer
# processes for M minutes. Every 10 s it samples the RSS (VmRSS, VmHWM) and open file
# descriptors of the broker and the aggregator, the trainers' largest and total RSS, the
# updates accepted (from the aggregator's metrics) and the load average; then prints the
# table and a summary: peak and final RSS, RSS slope over the second half (should be ~0),
# fds, updates accepted per second.
#
#   scripts/soak-test.sh [--trainers 64] [--minutes 10] [--slowdown 64] [--local-steps 10]
#                        [--sample-limit 2000] [--interval 10] [--output-dir DIR] [--no-build]
#
# Smoke check: scripts/soak-test.sh --trainers 8 --minutes 1
# Trainers train the MLP on a --sample-limit slice of Fashion-MNIST; --slowdown s makes each
# sleep (s − 1) × its compute time, so N trainers need about N / s cores (fits a shared
# 2-core machine). Each process is started, sampled and stopped by its PID only.
set -euo pipefail
cd "$(dirname "$0")/.."

trainers=64 minutes=10 slowdown=64 local_steps=10 sample_limit=2000 interval=10 build=1
output="runs/soak-$(date -u +%Y%m%d-%H%M%S)"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --trainers) trainers=$2; shift 2 ;;
        --minutes) minutes=$2; shift 2 ;;
        --slowdown) slowdown=$2; shift 2 ;;
        --local-steps) local_steps=$2; shift 2 ;;
        --sample-limit) sample_limit=$2; shift 2 ;;
        --interval) interval=$2; shift 2 ;;
        --output-dir) output=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [[ $build == 1 ]]; then swift build -c release >&2; fi
bin=.build/release
mkdir -p "$output/logs"
read -r -a ports <<<"$(python3 -c 'import socket
s = [socket.socket() for _ in range(6)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
endpoint() { echo "tcp://127.0.0.1:${ports[$1]}"; }

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 3
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

"$bin/broker" --bind 127.0.0.1 --model-in-port "${ports[0]}" --model-out-port "${ports[1]}" \
    --updates-in-port "${ports[2]}" --updates-out-port "${ports[3]}" \
    --control-in-port "${ports[4]}" --control-out-port "${ports[5]}" --log-level notice \
    >"$output/logs/broker.log" 2>&1 &
broker=$!; pids+=("$broker")
"$bin/aggregator" --model-endpoint "$(endpoint 0)" --update-endpoint "$(endpoint 3)" --control-endpoint "$(endpoint 5)" \
    --model mlp --mode buffered --buffer-size 8 --shards "$trainers" --partition iid --eval-every 5 \
    --checkpoint-dir "$output/checkpoints" --metrics "$output/metrics.jsonl" --log-level notice \
    >"$output/logs/aggregator.log" 2>&1 &
aggregator=$!; pids+=("$aggregator")
for ((i = 1; i <= trainers; i++)); do
    "$bin/trainer" --model-endpoint "$(endpoint 1)" --update-endpoint "$(endpoint 2)" --control-endpoint "$(endpoint 4)" \
        --identity "soak-$i" --run-id 1 --model mlp --local-steps "$local_steps" --slowdown "$slowdown" \
        --model-wait 0 --sample-limit "$sample_limit" --log-level notice >"$output/logs/trainer-$i.log" 2>&1 &
    pids+=("$!")
    sleep 0.2  # staggered: every trainer reads the training set at start
done

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
accepted() { tail -n 1 "$output/metrics.jsonl" 2>/dev/null | python3 -c 'import json, sys
line = sys.stdin.read().strip()
print(json.loads(line)["updatesAccepted"] if line else 0)' 2>/dev/null || echo 0; }
alive() { kill -0 "$1" 2>/dev/null; }

samples="$output/samples.tsv"
printf 't_s\tbroker_rss_kb\tbroker_hwm_kb\tbroker_fds\taggr_rss_kb\taggr_hwm_kb\taggr_fds\ttrainer_max_rss_kb\ttrainers_rss_kb\ttrainers_alive\tupdates_accepted\tload1\n' >"$samples"
echo "soak: $trainers trainers, $minutes min, slowdown $slowdown, $local_steps local steps, output $output" >&2
start=$(date +%s)
end=$((start + minutes * 60))
while (( $(date +%s) < end )); do
    sleep "$interval"
    for pid in "$broker" "$aggregator"; do
        alive "$pid" || { echo "process $pid died; see $output/logs" >&2; exit 1; }
    done
    max=0 total=0 live=0
    for pid in "${pids[@]:2}"; do
        rss=$(status_kb "$pid" VmRSS); [[ -n $rss && $rss != 0 ]] || continue
        live=$((live + 1)); total=$((total + rss)); if (( rss > max )); then max=$rss; fi
    done
    printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n' "$(( $(date +%s) - start ))" \
        "$(status_kb "$broker" VmRSS)" "$(status_kb "$broker" VmHWM)" "$(fds "$broker")" \
        "$(status_kb "$aggregator" VmRSS)" "$(status_kb "$aggregator" VmHWM)" "$(fds "$aggregator")" \
        "$max" "$total" "$live" "$(accepted)" "$(cut -d' ' -f1 /proc/loadavg)" >>"$samples"
    tail -n 1 "$samples" >&2
done

column -t "$samples"
python3 - "$samples" <<'EOF'
import csv, sys
rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")]
if len(rows) < 2:
    sys.exit("not enough samples")
def slope(key, part):  # least-squares KB per minute
    xs = [r["t_s"] / 60 for r in part]; ys = [r[key] for r in part]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0
half = rows[len(rows) // 2:]
mb = lambda kb: f"{kb / 1024:.1f} MB"
print("\nsummary")
for name, key in (("broker", "broker"), ("aggregator", "aggr")):
    rss = [r[key + "_rss_kb"] for r in rows]
    fd = [int(r[key + "_fds"]) for r in rows]
    print(f"  {name:10s} RSS peak {mb(max(r[key + '_hwm_kb'] for r in rows))} (VmHWM), final {mb(rss[-1])}, "
          f"second-half slope {slope(key + '_rss_kb', half):+.0f} KB/min over {half[-1]['t_s'] - half[0]['t_s']:.0f} s; "
          f"fds min {min(fd)} max {max(fd)} final {fd[-1]}")
print(f"  trainers   alive {int(rows[-1]['trainers_alive'])}, largest RSS {mb(max(r['trainer_max_rss_kb'] for r in rows))}, "
      f"total {mb(rows[-1]['trainers_rss_kb'])}")
done = [r for r in rows if r["updates_accepted"] > 0]
if len(done) >= 2:
    a, b = done[0], done[-1]
    rate = (b["updates_accepted"] - a["updates_accepted"]) / (b["t_s"] - a["t_s"])
    print(f"  updates    accepted {int(b['updates_accepted'])}, {rate:.1f}/s between {a['t_s']:.0f} s and {b['t_s']:.0f} s")
print(f"  load       1-min average {min(r['load1'] for r in rows):.1f} to {max(r['load1'] for r in rows):.1f}")
EOF
echo "samples: $samples; logs: $output/logs" >&2
