#!/usr/bin/env bash
# Brings the FedMQ compose stack up for real on this machine: podman serving the Docker API,
# Debian's docker-compose pointed at it, a base image made with debootstrap (no registry).
#
#   scripts/compose-test.sh            # needs root; installs podman, docker-compose, debootstrap, runc
#
# Scenario: broker + aggregator + 4 trainers; accuracy rises; scale to 8 trainers during the run
# (the new ones register and get their own shards); kill one trainer container; restart the
# aggregator container (it resumes from its checkpoint, its version never goes back); the run
# ends at the target accuracy. The "monitoring" profile runs beside it: Prometheus finds the
# broker, the aggregator and all 8 trainer replicas by DNS and its HTTP API shows their series,
# every metric of compose/grafana-dashboard.json among them, and the version rising. Then the
# same stack encrypted (compose.curve.yaml, keys from
# `fedmq keygen` mounted as secrets): 2 trainers with the trainer key train to a fixed version,
# while a third trainer without CURVE never registers. Containers, networks and volumes are
# removed whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${FEDMQ_COMPOSE_TARGET:-0.88}
TIMEOUT=${FEDMQ_COMPOSE_TIMEOUT:-900}
project="fedmqtest$$"
export DOCKER_HOST=unix:///run/podman/podman.sock
export FEDMQ_IMAGE=${FEDMQ_IMAGE:-localhost/fedmq:latest}
# Prometheus's published port: a free one, so stacks of other checkouts do not collide.
FEDMQ_PROMETHEUS_PUBLISH=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export FEDMQ_PROMETHEUS_PUBLISH
compose() { COMPOSE_PROFILES=monitoring docker-compose -f compose/compose.yaml -p "$project" "$@"; }
keys=$(mktemp -d /tmp/fedmq-compose-keys.XXXXXX)
# What compose says goes here; a failed step prints its last lines.
compose_log=$(mktemp /tmp/fedmq-compose-log.XXXXXX)
quiet() { "$@" >"$compose_log" 2>&1 || { tail -5 "$compose_log" >&2; return 1; }; }
curve_compose() { FEDMQ_KEYS_DIR=$keys docker-compose -f compose/compose.yaml -f compose/compose.curve.yaml -p "${project}curve" "$@"; }
log() { printf '[compose-test %s] %s\n' "$(date +%T)" "$*"; }
fail() { log "FAIL: $*"; compose logs --tail 20 aggregator 2>&1 | tail -20 || true; exit 1; }
cleanup() {
    compose down -v -t 5 >/dev/null 2>&1 || true
    podman rm -f "${project}curve_plaintext" >/dev/null 2>&1 || true
    curve_compose down -v -t 5 >/dev/null 2>&1 || true
    rm -rf "$keys" "$compose_log"
}
trap cleanup EXIT

setup_podman() {
    export DEBIAN_FRONTEND=noninteractive
    command -v podman >/dev/null && command -v docker-compose >/dev/null && command -v debootstrap >/dev/null \
        && command -v runc >/dev/null || apt-get install -y -qq podman docker-compose debootstrap runc >/dev/null
    mkdir -p /etc/containers
    # This machine kind: no ulimits or pid limits inside containers; crun fails on hybrid cgroups.
    printf '[containers]\ndefault_ulimits = []\npids_limit = 0\n\n[engine]\nruntime = "runc"\n' \
        > /etc/containers/containers.conf
    # A service whose working directory was deleted (an earlier checkout) still answers pings but
    # cannot start containers ("write child: broken pipe"): replace it.
    for pid in $(pgrep -f "podman system service" || true); do
        if readlink "/proc/$pid/cwd" | grep -q '(deleted)'; then kill "$pid"; sleep 1; rm -f /run/podman/podman.sock; fi
    done
    if ! curl -s --unix-socket /run/podman/podman.sock http://d/_ping >/dev/null 2>&1; then
        mkdir -p /run/podman
        (cd / && podman system service --time=0 unix:///run/podman/podman.sock >/tmp/podman-service.log 2>&1 &)
        for _ in $(seq 50); do [ -S /run/podman/podman.sock ] && break; sleep 0.2; done
    fi
}

build_image() {
    podman image exists localhost/fedmq-base:bookworm || compose/make-base-image.sh podman
    swift build -c release --static-swift-stdlib 2>&1 | tail -1
    podman build --pull=never -q -f compose/Dockerfile --target prebuilt -t "$FEDMQ_IMAGE" . >/dev/null
    podman build --pull=never -q -f compose/Dockerfile --target prometheus -t localhost/fedmq-prometheus:latest . >/dev/null
}

# The first value of a Prometheus instant query's result ("" when the result is empty).
prom_value() {
    curl -s -G "http://127.0.0.1:$FEDMQ_PROMETHEUS_PUBLISH/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
try:
    result = json.load(sys.stdin)["data"]["result"]
except (ValueError, KeyError):
    result = []
print(result[0]["value"][1] if result else "")'
}
prom_at_least() { local v; v=$(prom_value "$1"); [ -n "$v" ] && python3 -c "import sys; sys.exit(float('$v') < $2)"; }

# Latest metrics record on the aggregator's volume, as "version accuracy" (accuracy may be "-").
latest_metrics() {
    local volume mount
    volume="${project}_fedmq-state"
    mount=$(podman volume inspect "$volume" --format '{{.Mountpoint}}' 2>/dev/null) || { echo "0 -"; return; }
    [ -s "$mount/metrics.jsonl" ] || { echo "0 -"; return; }
    python3 - "$mount/metrics.jsonl" <<'EOF'
import json, sys
records = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
acc = [r for r in records if "testAccuracy" in r]
print(max(r["version"] for r in records), f'{acc[-1]["testAccuracy"]:.4f}' if acc else "-")
EOF
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local limit=$1 what=$2; shift 2
    local deadline=$((SECONDS + limit))
    until "$@"; do
        [ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"
        sleep 2
    done
}

version_at_least() { read -r v _ < <(latest_metrics); [ "$v" -ge "$1" ]; }
aggregator_exited() { [ -n "$(podman ps -a --filter "name=${project}_aggregator_1" --filter status=exited -q)" ]; }

setup_podman
log "building the image"
build_image

log "up: broker, aggregator, 4 trainers (target $TARGET)"
FEDMQ_TARGET_ACCURACY=$TARGET FEDMQ_EVAL_EVERY=2 FEDMQ_LOCAL_STEPS=20 \
    quiet compose up -d --scale trainer=4 || fail "compose up"
wait_for 180 "version 4" version_at_least 4
read -r v1 a1 < <(latest_metrics); log "running: version $v1, accuracy $a1"

log "scale to 8 trainers during the run"
FEDMQ_TARGET_ACCURACY=$TARGET FEDMQ_EVAL_EVERY=2 FEDMQ_LOCAL_STEPS=20 \
    quiet compose up -d --no-recreate --scale trainer=8 || fail "scale up"
wait_for 120 "8 registrations" bash -c "[ \$(docker-compose -f compose/compose.yaml -p $project logs aggregator 2>/dev/null | grep -c 'trainer registered') -ge 8 ]"
shards=$(compose logs aggregator 2>/dev/null | grep "trainer registered" | grep -o 'shard=[0-9]*' | sort -u | wc -l)
[ "$shards" -ge 8 ] || fail "8 trainers should hold 8 distinct shards, saw $shards"
log "8 trainers registered on $shards distinct shards"

log "monitoring: Prometheus finds every replica by DNS and scrapes it"
# What the compose network's DNS answers for the service name "trainer" (aardvark-dns is reloaded
# as containers join: an answer may briefly be missing).
trainer_addresses() { podman exec "${project}_prometheus_1" getent ahostsv4 trainer 2>/dev/null | awk '{print $1}' | sort -u | wc -l || true; }
dns_has_all_trainers() { [ "$(trainer_addresses)" -eq 8 ]; }
wait_for 90 "the compose network's DNS to give 8 addresses for trainer" dns_has_all_trainers
addresses=$(trainer_addresses)
wait_for 90 "Prometheus to scrape all 8 trainers" prom_at_least 'count(fedmq_trainer_model_version)' 8
wait_for 60 "broker series in Prometheus" prom_at_least 'count(fedmq_broker_messages_total{channel="updates"})' 1
seen=$(prom_value 'fedmq_aggregator_version'); seen=${seen%.*}
wait_for 120 "the aggregator's version in Prometheus to rise above $seen" prom_at_least 'fedmq_aggregator_version' $((seen + 1))
for name in $(grep -o 'fedmq_[a-z_]*' compose/grafana-dashboard.json | sort -u); do
    wait_for 60 "$name (grafana-dashboard.json) in Prometheus" prom_at_least "count({__name__=\"$name\"})" 1
done
log "PASS: Prometheus scrapes the broker, the aggregator (version $seen, then $(prom_value 'fedmq_aggregator_version')) and $addresses trainers; every dashboard metric has series"

log "kill one trainer container"
podman kill "${project}_trainer_3" >/dev/null

log "restart the aggregator container"
read -r before _ < <(latest_metrics)
quiet compose restart -t 10 aggregator || fail "restart aggregator"
wait_for 60 "resume" bash -c "docker-compose -f compose/compose.yaml -p $project logs aggregator 2>/dev/null | grep -q 'resumed from checkpoint'"
resumed=$(compose logs aggregator 2>/dev/null | grep "resumed from checkpoint" | tail -1 | grep -o 'version=[0-9]*' | cut -d= -f2)
[ "$resumed" -ge "$before" ] || fail "resumed at version $resumed, below $before before the restart"
log "aggregator resumed at version $resumed (was $before)"

log "waiting for the target accuracy"
wait_for "$TIMEOUT" "the run to end" aggregator_exited
aggregator_log=$(compose logs aggregator 2>/dev/null)  # whole, not piped into grep -q (SIGPIPE under pipefail)
grep -q "target accuracy $TARGET reached" <<<"$aggregator_log" || fail "the run did not end at the target accuracy"
stop_line=$(grep -o "target accuracy $TARGET reached ([0-9.]* at version [0-9]*)" <<<"$aggregator_log" | tail -1)
read -r vend aend < <(latest_metrics)
[ "$vend" -ge "$resumed" ] || fail "final version $vend below resumed version $resumed"
log "PASS: $stop_line; last version $vend (the evaluation after the stop: $aend)"

log "encrypted stack: keys from fedmq keygen as secrets, 2 trainers with the trainer key, 1 without CURVE"
compose down -v -t 5 >/dev/null 2>&1 || true
.build/release/fedmq keygen --out "$keys" --name broker --name aggregator --name trainer >/dev/null
curve_up() { FEDMQ_MODEL=mlp FEDMQ_MAX_VERSIONS=40 FEDMQ_TARGET_ACCURACY=0.99 FEDMQ_LOCAL_STEPS=20 curve_compose up -d "$@"; }
quiet curve_up --scale trainer=0 || fail "encrypted compose up"
# A trainer without CURVE on the same network, waiting for a model before the keyed ones start.
podman run -d --name "${project}curve_plaintext" --network "${project}curve_default" \
    -e FEDMQ_BROKER=broker -e FEDMQ_MODEL=mlp "$FEDMQ_IMAGE" trainer >/dev/null || fail "plaintext trainer"
wait_for 60 "the plaintext trainer to load its data" bash -c "podman logs ${project}curve_plaintext 2>&1 | grep -q 'training data loaded'"
quiet curve_up --no-recreate --scale trainer=2 || fail "encrypted trainers up"
curve_exited() { [ -n "$(podman ps -a --filter "name=${project}curve_aggregator_1" --filter status=exited -q)" ]; }
wait_for 300 "the encrypted run to reach version 40" curve_exited
curve_log=$(curve_compose logs aggregator 2>/dev/null)
grep -q "reached version 40" <<<"$curve_log" || fail "the encrypted run did not end at version 40"
curve_compose logs broker 2>/dev/null | grep "CURVE on" >/dev/null || fail "the broker did not turn CURVE on"
registered=$(grep -c "trainer registered" <<<"$curve_log" || true)
[ "$registered" -eq 2 ] || fail "expected exactly the 2 keyed trainers to register, saw $registered"
if grep -q "unauthorized_key" <<<"$curve_log"; then fail "a keyed trainer was refused"; fi
plaintext_log=$(podman logs "${project}curve_plaintext" 2>&1 || true)
if grep -q "joined run\\|trainer ready" <<<"$plaintext_log"; then fail "the plaintext trainer received a model"; fi
[ -n "$(podman ps --filter "name=${project}curve_plaintext" -q)" ] || fail "the plaintext trainer should still be waiting, not gone"
log "PASS: encrypted run reached version 40 with $registered keyed trainers; the plaintext trainer never registered"
