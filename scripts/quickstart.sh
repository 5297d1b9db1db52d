#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what is missing, build,
# and run the offline demo (every model simulated by gra serve-sim):
# synthesis (GRA, the large-model baseline, seed-only), evaluation of
# simulated students on the real benchmarks, and the report.
# Usage: scripts/quickstart.sh [CONFIG] [RUN_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-configs/demo-sim.json}
run=${2:-runs/demo}
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
export GRA_DATA_DIR="${GRA_DATA_DIR:-$PWD/data}"
if [ -d ../shared/data ] && [ ! -d "$GRA_DATA_DIR/gsm8k" ]; then
    build/gra data fetch --mirror ../shared/data --data-dir "$GRA_DATA_DIR"
elif [ ! -d "$GRA_DATA_DIR/gsm8k" ]; then
    build/gra data fetch --data-dir "$GRA_DATA_DIR"
fi
build/gra run "$config" --out "$run"
echo "quickstart: report at $run/report/report.html (SIMULATED models)"
