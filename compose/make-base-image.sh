#!/usr/bin/env bash
# Builds the local base image `fedmq-base:bookworm` (Debian bookworm minbase with libzmq,
# zlib and Fashion-MNIST) without any registry: debootstrap into a folder, then import it.
# Usage: compose/make-base-image.sh [podman|docker]
set -euo pipefail
engine=${1:-podman}
root=$(mktemp -d /tmp/fedmq-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=libzmq5,zlib1g,dataset-fashion-mnist bookworm "$root" >/dev/null
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | "$engine" import - fedmq-base:bookworm >/dev/null
echo "fedmq-base:bookworm ready"
