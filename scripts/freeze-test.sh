#!/usr/bin/env bash
# A process of the default job frozen mid-run (SIGSTOP: a VM pause, a stalled host) and woken
# again: prints each process's peak memory before, during and after the freeze, and the test
# accuracy before it, its lowest after it and at the end. Measures what the backlog bounds
# and the staleness limit buy; run it against two builds to compare them.
#
#   scripts/freeze-test.sh                       # freeze the aggregator for 40 s (release build)
#   scripts/freeze-test.sh --target broker --freeze 40 --bin /path/to/.build/release
#
# Options: --bin DIR (executables, default .build/release), --target aggregator|broker,
# --freeze SECONDS (40), --warmup SECONDS before the freeze (30), --after SECONDS (60),
# --trainers N (8), --model cnn|mlp (cnn), --out DIR (a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=.build/release target=aggregator freeze=40 warmup=30 after=60 trainers=8 model=cnn out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin=$2; shift 2 ;;
        --target) target=$2; shift 2 ;;
        --freeze) freeze=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --after) after=$2; shift 2 ;;
        --trainers) trainers=$2; shift 2 ;;
        --model) model=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$target" in aggregator|broker) ;; *) echo "--target is aggregator or broker" >&2; exit 2 ;; esac
[ -x "$bin/fedmq" ] || { echo "no fedmq in $bin (swift build -c release)" >&2; exit 2; }
out=${out:-$(mktemp -d /tmp/fedmq-freeze-XXXXXX)}
mkdir -p "$out"
total=$((warmup + freeze + after))

"$bin/fedmq" run --model "$model" --trainers "$trainers" --partition dirichlet:0.5 --mode buffered \
    --eval-every 5 --time-limit "$total" --target-accuracy 1 --output-dir "$out" >"$out/fedmq.out" 2>&1 &
fedmq=$!
trap 'kill -CONT $(pgrep -P $fedmq) 2>/dev/null || true; kill $fedmq 2>/dev/null || true; wait $fedmq 2>/dev/null || true' EXIT

pid_of() { pgrep -P "$fedmq" -f "/$1( |$)" | head -n 1; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# One sample: "<phase> <broker KB> <aggregator KB> <largest trainer KB> <all trainers KB>".
sample() {
    local trainer_max=0 trainer_sum=0 kb
    for p in $(pgrep -P "$fedmq" -f "/trainer( |$)"); do
        kb=$(rss_kb "$p"); trainer_sum=$((trainer_sum + kb)); [ "$kb" -gt "$trainer_max" ] && trainer_max=$kb
    done
    echo "$1 $(rss_kb "$(pid_of broker)") $(rss_kb "$(pid_of aggregator)") $trainer_max $trainer_sum" >>"$out/memory.txt"
}

metrics=$(find "$out" -name metrics.jsonl 2>/dev/null | head -n 1)
for _ in $(seq "$warmup"); do sleep 1; sample before; done
frozen=$(pid_of "$target")
frozen_at=$(date +%s.%N)
kill -STOP "$frozen"
for _ in $(seq "$freeze"); do sleep 1; sample during; done
kill -CONT "$frozen"
woke_at=$(date +%s.%N)
for _ in $(seq "$after"); do sleep 1; sample after; done
wait "$fedmq" || true
trap - EXIT
metrics=$(find "$out" -name metrics.jsonl | head -n 1)

python3 - "$out/memory.txt" "$metrics" "$target" "$freeze" "$warmup" <<'EOF'
import json, sys
memory, metrics, target, freeze, warmup = sys.argv[1:6]
freeze, warmup = float(freeze), float(warmup)
peaks = {}
for line in open(memory):
    phase, *kb = line.split()
    peaks[phase] = [max(a, int(b)) for a, b in zip(peaks.get(phase, [0, 0, 0, 0]), kb)]
print(f"{target} frozen for {freeze} s; peak RSS in MB (broker, aggregator, largest trainer, all trainers):")
for phase in ["before", "during", "after"]:
    print(f"  {phase:6s} " + "  ".join(f"{v / 1024:7.1f}" for v in peaks.get(phase, [0, 0, 0, 0])))
records = [json.loads(l) for l in open(metrics) if l.strip()]
evals = [(r["wallTime"], r["version"], r["testAccuracy"]) for r in records if r.get("testAccuracy") is not None]
with open(memory.replace("memory.txt", "accuracy.txt"), "w") as f:
    for t, v, a in evals:
        f.write(f"{t:.1f} {v} {a:.4f}\n")
before = [e for e in evals if e[0] < warmup]
after = [e for e in evals if e[0] > warmup + freeze]
fmt = lambda e: f"{e[2]:.4f} (version {e[1]}, {e[0]:.0f} s)" if e else "none"
print(f"accuracy: before the freeze {fmt(before[-1] if before else None)}; lowest after it "
      f"{fmt(min(after, key=lambda e: e[2]) if after else None)}; at the end {fmt(evals[-1] if evals else None)}")
EOF
echo "run directory: $out"
