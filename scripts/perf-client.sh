#!/usr/bin/env bash
# perf-client.sh: build a Release perf_client, install the Node peer (the
# official `openai` npm package) if it is missing, and run the client
# benchmark (docs/client.md, "Performance"). Extra arguments go to
# perf_client, e.g. `scripts/perf-client.sh --quick` or `--no-node`.
#
# Environment: BUILD_DIR (default <repo>/build-release), JOBS (default 2).
# The server it measures against is serve-sim: every figure is SIMULATED.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-release}"
jobs="${JOBS:-2}"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$jobs" --target perf_client

node_dir="$root/tests/perf/node"
args=()
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    if [ ! -d "$node_dir/node_modules/openai" ]; then
        echo "perf-client.sh: installing the Node peer (npm install in $node_dir)" >&2
        (cd "$node_dir" && npm install --no-audit --no-fund) ||
            { echo "perf-client.sh: npm install failed; running without the Node peer" >&2; args+=(--no-node); }
    fi
else
    echo "perf-client.sh: node/npm not found; running without the Node peer" >&2
    args+=(--no-node)
fi

exec "$build/perf/perf_client" --node-dir "$node_dir" "${args[@]}" "$@"
