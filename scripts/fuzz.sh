#!/bin/bash
# fuzz.sh: build the fuzz targets (tests/fuzz/fuzz_*.c) with clang's libFuzzer
# + ASan + UBSan and run each for a while over its corpus.
#
#   scripts/fuzz.sh [-t SECONDS] [-j JOBS] [-b BUILDDIR] [--build-only] [NAME...]
#
# NAME is a target without the fuzz_ prefix (config, sim_models, ...); none =
# all. Default: 180 s per target, 2 targets at a time (-j), build directory
# build-libfuzzer/ (outside the CMake trees; /build*/ is ignored by git).
#
# The module sources (core/ synth/ eval/ reports/ distill/, never main.c) are
# compiled once with -fsanitize=fuzzer-no-link,address,undefined into one
# static archive per module, rebuilt only when a source or header is newer.
# A source that does not compile (a colleague's half-written file) is
# reported and left out; a target that needs it then fails to link, and
# the others still run.
#
# Corpora: libFuzzer reads tests/fuzz/corpus/NAME/ (the seeds in git) but
# writes the new inputs it finds to BUILDDIR/corpus/NAME/, so they stay out
# of git. Crashes, leaks and timeouts go to BUILDDIR/artifacts/NAME/; once
# the bug is fixed, minimise the input
#   BUILDDIR/fuzz_NAME -minimize_crash=1 -runs=10000 ARTIFACT
# and copy it into tests/fuzz/corpus/NAME/ so ctest replays it from then on.
# Exit status: 0 when no target found anything, 1 otherwise.
set -u

secs=180
jobs=2
root=$(cd "$(dirname "$0")/.." && pwd)
bdir="$root/build-libfuzzer"
build_only=0
while [ $# -gt 0 ]; do
    case "$1" in
    -t) secs=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    -b) bdir=$2; shift 2 ;;
    --build-only) build_only=1; shift ;;
    -h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
CC=${CC:-clang}
command -v "$CC" >/dev/null 2>&1 || {
    echo "fuzz.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
}

cd "$root" || exit 2
if [ $# -eq 0 ]; then
    set -- $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
fi

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-std=c11 -g -O1 $san -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
-DGRA_VERSION=\"fuzz\" -DGRA_SOURCE_DIR=\"$root\" -I$root -Wall -Wno-unused-parameter"
libs="$(pkg-config --libs libcjson libcurl gsl sqlite3 libcrypto libmicrohttpd) -lz -lm -lpthread"

mkdir -p "$bdir/obj" "$bdir/corpus" "$bdir/artifacts" "$bdir/logs"
newest_header=$(ls -t core/*.h synth/*.h eval/*.h reports/*.h distill/*.h 2>/dev/null | head -1)

# ---- module archives ----
for mod in core synth eval reports distill; do
    [ -d "$mod" ] || continue
    mkdir -p "$bdir/obj/$mod"
    objs=""
    for src in "$mod"/*.c; do
        [ -f "$src" ] || continue
        obj="$bdir/obj/$mod/$(basename "$src" .c).o"
        if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
            # shellcheck disable=SC2086
            if ! $CC $cflags -fsanitize=fuzzer-no-link -c "$src" -o "$obj" 2>"$obj.err"; then
                echo "fuzz.sh: $src does not compile, left out (see $obj.err)" >&2
                rm -f "$obj"
                continue
            fi
        fi
        objs="$objs $obj"
    done
    rm -f "$bdir/libfz_$mod.a"
    # shellcheck disable=SC2086
    [ -n "$objs" ] && ar rcs "$bdir/libfz_$mod.a" $objs
done
archives=""
for mod in synth eval reports distill core; do
    [ -f "$bdir/libfz_$mod.a" ] && archives="$archives $bdir/libfz_$mod.a"
done

# ---- targets ----
built=""
for name in "$@"; do
    src="tests/fuzz/fuzz_$name.c"
    [ -f "$src" ] || { echo "fuzz.sh: no $src" >&2; exit 2; }
    # shellcheck disable=SC2086
    if $CC $cflags -fsanitize=fuzzer "$src" $archives $libs -o "$bdir/fuzz_$name" \
        2>"$bdir/logs/build_$name.err"; then
        built="$built $name"
    else
        echo "fuzz.sh: fuzz_$name does not build (see $bdir/logs/build_$name.err)" >&2
    fi
done
echo "fuzz.sh: built:$built"
[ "$build_only" = 1 ] && exit 0

# ---- runs, at most $jobs at a time ----
run_one() {
    name=$1
    mkdir -p "$bdir/corpus/$name" "$bdir/artifacts/$name"
    seeds="tests/fuzz/corpus/$name"
    [ -d "$seeds" ] || seeds=""
    # the first directory receives new inputs; the seed directory is only read
    # shellcheck disable=SC2086
    "$bdir/fuzz_$name" -max_total_time="$secs" -timeout=20 -rss_limit_mb=3072 \
        -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$bdir/artifacts/$name/" "$bdir/corpus/$name" $seeds \
        >"$bdir/logs/run_$name.log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$bdir/logs/run_$name.log" |
        grep -o '[0-9]*$')
    found=$(ls "$bdir/artifacts/$name" 2>/dev/null | wc -l)
    echo "fuzz_$name: exit $rc, ${execs:-?} runs in ${secs}s, $found artifact(s)" \
        "(log $bdir/logs/run_$name.log)"
    [ "$rc" = 0 ] && [ "$found" = 0 ]
}

status=0
running=0
pids=""
for name in $built; do
    run_one "$name" &
    pids="$pids $!"
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        # wait for the oldest before starting another (POSIX sh has no wait -n)
        first=${pids%% *}
        [ -z "$first" ] && first=$(echo "$pids" | awk '{print $1}')
        wait "$first" || status=1
        pids=$(echo "$pids" | awk '{ $1=""; print }')
        running=$((running - 1))
    fi
done
for p in $pids; do wait "$p" || status=1; done
exit $status
