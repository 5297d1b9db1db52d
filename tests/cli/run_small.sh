#!/usr/bin/env bash
# gra run end to end on a small SIMULATED experiment: every stage writes its
# files; a run killed with SIGKILL at random moments and started again ends
# with the same datasets and results as an uninterrupted run; the report is
# marked SIMULATED; a second run of a finished run changes no dataset or result.
set -u
GRA=${GRA_BIN:?GRA_BIN not set}
SRC=${GRA_SOURCE_DIR:?}
export GRA_DATA_DIR=${GRA_TEST_DATA:?}
CFG="$SRC/tests/data/run/run-small.json"
TMP=$(mktemp -d "${GRA_TEST_TMP:-/tmp}/run_small.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | tail -20; fail=$((fail + 1)); }

if [ ! -f "$GRA_DATA_DIR/gsm8k/test.jsonl" ]; then
    echo "skip: staged benchmark data absent at $GRA_DATA_DIR"
    echo "run_small: 0 passed, 0 failed"
    exit 0
fi

out=$("$GRA" -q run "$CFG" --out "$TMP/a" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "gra run exits 0" || bad "gra run (rc $rc)" "$out"
for f in datasets/gra.jsonl datasets/large.jsonl datasets/seed.jsonl datasets/gra.stats.json \
         decontam-gra.json eval/results.jsonl eval/summary.json \
         report/report.md report/report.html report/summary.json manifest.json; do
    [ -s "$TMP/a/$f" ] || { bad "missing $f"; continue; }
done
[ $fail -eq 0 ] && ok "every stage wrote its files"
grep -q SIMULATED "$TMP/a/report/report.html" && grep -q SIMULATED "$TMP/a/report/report.md" \
    && ok "report marked SIMULATED" || bad "report not marked SIMULATED"
n=$(wc -l < "$TMP/a/eval/results.jsonl")
[ "$n" -eq $((3 * (60 + 30 + 80 + 60))) ] && ok "one result per student x item ($n)" || bad "results lines: $n"

# a second run of a finished run: same datasets and results
cp -r "$TMP/a" "$TMP/a0"
"$GRA" -q run "$CFG" --out "$TMP/a" >/dev/null 2>&1
same=1
for f in datasets/gra.jsonl datasets/large.jsonl datasets/seed.jsonl eval/results.jsonl; do
    cmp -s "$TMP/a0/$f" "$TMP/a/$f" || same=0
done
[ $same -eq 1 ] && ok "re-running a finished run changes no dataset or result" || bad "re-run changed files"

# kill -9 at random moments, then run again to completion
kills=0
for delay in 0.7 1.9 3.1 5.3; do
    "$GRA" -q run "$CFG" --out "$TMP/b" >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null
done
out=$("$GRA" -q run "$CFG" --out "$TMP/b" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "resumed after $kills kills" || bad "resume (rc $rc)" "$out"
same=1
for f in datasets/gra.jsonl datasets/large.jsonl datasets/seed.jsonl datasets/gra.rejected.jsonl; do
    cmp -s "$TMP/a0/$f" "$TMP/b/$f" || { same=0; echo "differs: $f"; }
done
# results: equal up to latency (a call answered before the kill was timed; after it, from the cache)
strip() { sed -E 's/"latency_ms":[0-9.e+-]+/"latency_ms":X/' "$1"; }
cmp -s <(strip "$TMP/a0/eval/results.jsonl") <(strip "$TMP/b/eval/results.jsonl") || { same=0; echo "differs: eval/results.jsonl"; }
[ $same -eq 1 ] && ok "killed and resumed run equals the uninterrupted run" || bad "killed run differs"

echo "run_small: $pass passed, $fail failed"
[ $fail -eq 0 ]
