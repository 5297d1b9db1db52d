#!/usr/bin/env bash
# Protocol fidelity of `gra serve-sim` with the OFFICIAL openai npm client:
# installs it (tests/node/package.json + package-lock.json pin the version;
# an existing tests/node/node_modules is reused), starts two serve-sim
# processes on free ports (one plain, one answering 429 to half of the
# requests), runs tests/node/fidelity.mjs against them and stops them.
# Needs node + npm and the npm registry: when npm cannot install, this FAILS
# (it never skips silently). Last line: "N passed, M failed".
set -u

SRC=${GRA_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
GRA=${GRA_BIN:-$SRC/build/gra}
TMP=${GRA_TEST_TMP:-/tmp}/openai_npm.$$
NODE_DIR=$SRC/tests/node
mkdir -p "$TMP"
pids=()

cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

die() {
    echo "openai_npm: FAIL: $*" >&2
    echo "0 passed, 1 failed"
    exit 1
}

[ -x "$GRA" ] || die "gra binary not found at $GRA (set GRA_BIN)"
command -v node >/dev/null || die "node is not installed (needed for the openai npm client)"
command -v npm >/dev/null || die "npm is not installed"

# Install the pinned client once; flock keeps two concurrent test runs (plain
# and sanitizer builds) from installing into the same directory at once.
(
    flock -w 300 9 || exit 1
    if [ ! -f "$NODE_DIR/node_modules/openai/package.json" ]; then
        echo "openai_npm: installing the openai npm package into $NODE_DIR" >&2
        if [ -f "$NODE_DIR/package-lock.json" ]; then
            npm ci --no-audit --no-fund --prefix "$NODE_DIR" >&2
        else
            npm install --no-audit --no-fund --prefix "$NODE_DIR" >&2
        fi
    fi
) 9>/tmp/gra-openai-npm.lock || die "npm could not install the openai package (is the npm registry reachable?)"
[ -f "$NODE_DIR/node_modules/openai/package.json" ] || die "openai package missing after npm install"
echo "openai_npm: openai npm $(node -p "require('$NODE_DIR/node_modules/openai/package.json').version")" >&2

start_sim() { # name, extra args... ; sets PORT
    local name=$1
    shift
    "$GRA" serve-sim --port 0 --port-file "$TMP/$name.port" --no-delay "$@" 2>"$TMP/$name.log" &
    pids+=($!)
    for _ in $(seq 1 200); do
        [ -s "$TMP/$name.port" ] && break
        kill -0 "${pids[-1]}" 2>/dev/null || { cat "$TMP/$name.log" >&2; die "serve-sim ($name) exited early"; }
        sleep 0.05
    done
    [ -s "$TMP/$name.port" ] || die "serve-sim ($name) did not write its port file"
    PORT=$(cat "$TMP/$name.port")
    grep -q "serve-sim (SIMULATED models) listening on http://127.0.0.1:$PORT/v1" "$TMP/$name.log" ||
        die "serve-sim ($name) did not announce its URL"
}

start_sim plain
PLAIN=$PORT
start_sim fault --fault-429 0.5 --retry-after 0 --fault-seed 3
FAULT=$PORT

SIM_BASE_URL="http://127.0.0.1:$PLAIN/v1" SIM_FAULT_URL="http://127.0.0.1:$FAULT/v1" \
    node "$NODE_DIR/fidelity.mjs" | tee "$TMP/out.txt"
rc=${PIPESTATUS[0]}
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/out.txt" | tail -1)
[ -n "$summary" ] || die "fidelity.mjs printed no summary (exit $rc)"

# the servers stop cleanly on SIGTERM
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do
    wait "$p" || die "serve-sim exited with status $? after SIGTERM"
done
pids=()
exit "$rc"
