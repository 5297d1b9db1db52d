#!/usr/bin/env bash
# Build and run the whole test suite: a Release build, then the same tests
# under AddressSanitizer + UndefinedBehaviorSanitizer. Installs what the tests
# need (Debian packages; the openai npm client is installed by its own test).
# Usage: scripts/test.sh [--no-sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs=$(nproc)
export GRA_TEST_DATA="${GRA_TEST_DATA:-$(cd .. && pwd)/shared/data}"

run_suite() { # dir, extra cmake args...
    local dir=$1; shift
    cmake -S . -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
    (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 1500)
}

echo "== Release build and tests"
run_suite build-test -DCMAKE_BUILD_TYPE=Release
if [ "${1:-}" != "--no-sanitize" ]; then
    echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DGRA_SANITIZE=ON
fi
