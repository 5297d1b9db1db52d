#!/usr/bin/env bash
# perf-all.sh: build Release and run every benchmark program under
# tests/perf/, printing their figures (they are benchmarks, not tests: they
# print numbers and assert nothing). Every figure against serve-sim is
# SIMULATED. Writes the whole output to BUILD_DIR/perf/perf-all.log too.
#
# Usage: scripts/perf-all.sh [--quick]   (--quick: smaller sizes, for a smoke run)
# Environment: BUILD_DIR (default <repo>/build-release), GRA_TEST_DATA (staged data,
# default ../shared/data beside the repository).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-release}"
data="${GRA_TEST_DATA:-$root/../shared/data}"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
export GRA_BIN="$build/gra" GRA_SOURCE_DIR="$root" GRA_TEST_DATA="$data"
log="$build/perf/perf-all.log"
: > "$log"

run() { # title, command...
    local title=$1; shift
    printf '\n===== %s\n$ %s\n' "$title" "$*" | tee -a "$log"
    "$@" 2>&1 | tee -a "$log"
}

{
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
         "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$log"

if [ $quick -eq 1 ]; then
    run "client (quick)" "$root/scripts/perf-client.sh" --quick
    run "serve-sim" "$build/perf/perf_sim" --gra "$GRA_BIN" --seconds 2
    run "synth" "$build/perf/perf_synth" --records 200
    run "dedup" "$build/perf/perf_dedup" --emb-n 5000 --mh-n 100000
else
    BUILD_DIR="$build" run "client" "$root/scripts/perf-client.sh" --reps 3
    run "serve-sim" "$build/perf/perf_sim" --gra "$GRA_BIN" --seconds 5
    run "synth" "$build/perf/perf_synth"
    run "dedup" "$build/perf/perf_dedup"
fi
run "eval: sandbox" "$build/perf/perf_eval" "$data"
run "eval: extraction" "$build/perf/perf_extract"
run "reports: paired bootstrap" "$build/perf/perf_reports"
echo "perf-all: figures in $log"
