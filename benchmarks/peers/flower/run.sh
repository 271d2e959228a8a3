#!/usr/bin/env bash
# Runs FedMQ's federation in Flower's deployment mode: a SuperLink, N SuperNodes (one per shard)
# and the ServerApp/ClientApps they start, all separate processes on loopback. Prints the time
# to each accuracy mark and the per-round times. See README.md.
#
# Usage: benchmarks/peers/flower/run.sh [--rounds 20] [--target 0.85] [--supernodes 8]
#        [--partition iid] [--seed 0] [--torch-threads 1] [--output DIR] [--fedmq PATH] [--no-install]
# Every option also reads from an environment variable: FEDMQ_FLOWER_ROUNDS, FEDMQ_FLOWER_TARGET,
# FEDMQ_FLOWER_SUPERNODES, FEDMQ_FLOWER_PARTITION, FEDMQ_FLOWER_SEED, FEDMQ_FLOWER_TORCH_THREADS,
# FEDMQ_FLOWER_OUTPUT, FEDMQ_FLOWER_FEDMQ, FEDMQ_FLOWER_NO_INSTALL=1; FEDMQ_FLOWER_VENV is the
# virtual environment (default ~/.cache/fedmq/flower-venv), FEDMQ_DATA_DIR the Fashion-MNIST directory.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
FLWR_VERSION=1.42.0
TORCH_WHEEL=/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl

rounds="${FEDMQ_FLOWER_ROUNDS:-20}"
target="${FEDMQ_FLOWER_TARGET:-0.85}"
supernodes="${FEDMQ_FLOWER_SUPERNODES:-8}"
partition="${FEDMQ_FLOWER_PARTITION:-iid}"
seed="${FEDMQ_FLOWER_SEED:-0}"
threads="${FEDMQ_FLOWER_TORCH_THREADS:-1}"
output="${FEDMQ_FLOWER_OUTPUT:-$repo/runs/flower-$(date -u +%Y%m%d-%H%M%S)}"
fedmq="${FEDMQ_FLOWER_FEDMQ:-$repo/.build/release/fedmq}"
install="$([ "${FEDMQ_FLOWER_NO_INSTALL:-0}" = 1 ] && echo 0 || echo 1)"
venv="${FEDMQ_FLOWER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/fedmq/flower-venv}"
data_dir="${FEDMQ_DATA_DIR:-/usr/share/datasets/fashion-mnist}"

while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --target) target="$2"; shift 2 ;;
        --supernodes) supernodes="$2"; shift 2 ;;
        --partition) partition="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --torch-threads) threads="$2"; shift 2 ;;
        --output) output="$2"; shift 2 ;;
        --fedmq) fedmq="$2"; shift 2 ;;
        --no-install) install=0; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

# 1. Flower and torch in a virtual environment that also sees the system's packages.
if [ "$install" = 1 ]; then
    [ -x "$venv/bin/python" ] || python3 -m venv --system-site-packages "$venv"
    "$venv/bin/python" -c "import torch" 2>/dev/null || "$venv/bin/pip" install -q "$TORCH_WHEEL"
    "$venv/bin/python" -c "import flwr, sys; sys.exit(flwr.__version__ != '$FLWR_VERSION')" 2>/dev/null \
        || "$venv/bin/pip" install -q "flwr==$FLWR_VERSION"
fi
py="$venv/bin/python"
"$py" -c "import flwr, torch; print(f'flwr {flwr.__version__}, torch {torch.__version__}')"

# 2. The shards of FedMQ's trainers, from FedMQ itself.
mkdir -p "$output/logs" "$output/cache"
output="$(cd "$output" && pwd)"
[ -x "$fedmq" ] || { echo "no fedmq executable at $fedmq: run swift build -c release first (or --fedmq PATH)" >&2; exit 1; }
"$fedmq" shards --partition "$partition" --shards "$supernodes" --seed "$seed" --data-dir "$data_dir" --output "$output/shards.json"

# 3. Free loopback ports: the SuperLink's (its Fleet, Control and Runtime APIs share one HTTP
#    port in Flower 1.42) and one per SuperNode for its ClientApp runtime API.
read -r -a ports <<< "$("$py" - "$((supernodes + 1))" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
PY
)"
link="${ports[0]}"

export FLWR_HOME="$output/flwr-home"
mkdir -p "$FLWR_HOME"
cat > "$FLWR_HOME/config.toml" <<TOML
[superlink]
default = "fedmq-local"

[superlink.fedmq-local]
address = "127.0.0.1:$link"
insecure = true
TOML

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    sleep 2
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true   # reap them (their CPU time then counts in ours)
}
trap cleanup EXIT INT TERM

# 4. SuperLink and SuperNodes, each in its own process group (so their app processes stop with them).
started=$(date +%s.%N)
export PATH="$venv/bin:$PATH"   # the SuperLink and SuperNodes start Flower's helper executables by name
setsid flower-superlink --insecure --disable-runtime-dependency-installation --host 127.0.0.1 --port "$link" \
    > "$output/logs/superlink.log" 2>&1 &
pids+=($!)
wait_for_port() {   # port, seconds
    "$py" - "$1" "$2" <<'PY'
import socket, sys, time
deadline = time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
PY
}
wait_for_port "$link" 120 || { echo "the SuperLink did not start: see $output/logs/superlink.log" >&2; exit 1; }
for ((i = 0; i < supernodes; i++)); do
    setsid flower-supernode --insecure --superlink "127.0.0.1:$link" \
        --node-config "partition-id=$i num-partitions=$supernodes" \
        --host 127.0.0.1 --port "${ports[$((i + 1))]}" > "$output/logs/supernode-$i.log" 2>&1 &
    pids+=($!)
done

# 5. The run: settings as a run-config override file.
cat > "$output/run-config.toml" <<TOML
num-supernodes = $supernodes
max-rounds = $rounds
target-accuracy = $target
local-epochs = 1
batch-size = 64
lr = 0.01
momentum = 0.5
seed = $seed
torch-threads = $threads
data-dir = "$data_dir"
shards-file = "$output/shards.json"
cache-dir = "$output/cache"
results = "$output/results.json"
TOML
echo "output: $output (logs in logs/, results.json); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$here"
setsid flwr run . fedmq-local --stream --run-config "$output/run-config.toml" > "$output/logs/flwr-run.log" 2>&1 &
pids+=($!)
runner=$!
# The ServerApp writes results.json after each round and marks it finished at the end.
while kill -0 "$runner" 2>/dev/null; do
    if [ -f "$output/results.json" ] && "$py" -c "import json,sys; sys.exit('finished' not in json.load(open(sys.argv[1])))" "$output/results.json" 2>/dev/null; then
        break
    fi
    sleep 2
done
ended=$(date +%s.%N)
grep -E "^round [0-9]+:" "$output/logs/flwr-run.log" || true
[ -f "$output/results.json" ] || { echo "no results: see $output/logs" >&2; exit 1; }
"$py" "$here/../summary.py" flower "$output/results.json"
echo "wall time from starting the SuperLink to the end: $(echo "$ended - $started" | bc) s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
