#!/usr/bin/env bash
# Reproduce the headline GuardDog-vs-vetpy benchmark (see benchmarks/README.md).
# Creates ~/.cache/vetpy/bench/guarddog-venv with guarddog==3.2.0 on first use (from your configured index).
# Extra arguments are passed through, e.g. `benchmarks/run.sh --split all` or `--model rules`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python benchmarks/guarddog_vs_vetpy.py --malicious 150 --benign 150 --seed 7 --split time-test "$@"
