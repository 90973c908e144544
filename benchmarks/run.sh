#!/usr/bin/env bash
# Reproduce the headline GuardDog-vs-vetpy benchmark (see benchmarks/README.md).
# Creates ~/.cache/vetpy/bench/guarddog-venv with guarddog==3.2.0 on first use (from your configured index).
# vetpy is scored with a model that never saw the time-split test rows: `vetpy train --split time-train`
# (about 1 min; cached in ~/.cache/vetpy/bench). The bundled model was trained on everything, so scoring
# the test rows with it would be scoring its own training data.
# Extra arguments are passed through, e.g. `benchmarks/run.sh --skip-guarddog` or `--model rules`.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${VETPY_BENCH_MODEL:-$HOME/.cache/vetpy/bench/default-time-train.skops}"
if [[ ! -f "${model%.skops}.json" ]]; then
    vetpy train --split time-train --out "$model"
fi
exec python benchmarks/guarddog_vs_vetpy.py --malicious 150 --benign 150 --seed 7 --split time-test \
    --model "$model" "$@"
