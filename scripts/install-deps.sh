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
# Python peers for the interoperability tests (the safetensors reader, the protocol client) and
# the fedmq package's dependencies and tests (scripts/python-test.sh).
python3 -m pip install --quiet safetensors numpy pyzmq pytest mypy==2.4.1
# CPU-only PyTorch for the PyTorch helper's tests: a local CPU wheel when pip's --find-links
# directory has one (PyPI's default torch pulls in gigabytes of CUDA), else PyTorch's CPU index.
if ! python3 -c "import torch" 2>/dev/null; then
    wheel=$(ls "${PIP_FIND_LINKS:-/opt/wheels}"/torch-*+cpu-*.whl 2>/dev/null | sort -V | tail -1 || true)
    if [ -n "$wheel" ]; then
        python3 -m pip install --quiet "$wheel"
    else
        python3 -m pip install --quiet torch --index-url https://download.pytorch.org/whl/cpu \
            --extra-index-url https://pypi.org/simple
    fi
fi
