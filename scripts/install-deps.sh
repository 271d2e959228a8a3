#!/usr/bin/env bash
# Installs what FedMQ's build, tests and default run need on a fresh Debian (bookworm) machine.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    libzmq3-dev pkg-config zlib1g-dev dataset-fashion-mnist >/dev/null
# Headless Chromium for the live page and report test (LivePageBrowserTests), with a font.
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
# Python peers for the interoperability tests: the safetensors reader and the protocol client.
python3 -m pip install --quiet safetensors numpy pyzmq
