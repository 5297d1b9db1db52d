#!/usr/bin/env bash
# eval_data_fetch: the download path of `gra data fetch` (libcurl), offline,
# with file:// URLs in a throw-away benchmarks directory: the first URL that
# fails falls through to a mirror URL, a download whose sha256 differs is
# refused and nothing is written, a file without a URL names its note, an
# unpinned file reports the hash it got, `gra data path` honours
# GRA_DATA_DIR, and the default data directory is ~/.local/share/gra/data.
set -u

. "$(dirname "$0")/lib.bash"
cli_begin eval_data_fetch

mkdir -p "$TMP/src" "$TMP/benchmarks/tiny" "$TMP/benchmarks/notiny"
printf '{"question": "1+1?", "answer": "#### 2"}\n' >"$TMP/src/good.jsonl"
printf '{"question": "1+1?", "answer": "#### 3"}\n' >"$TMP/src/evil.jsonl"
SHA=$(sha256sum "$TMP/src/good.jsonl" | cut -d' ' -f1)
spec() { # name url mirror sha optional
    cat >"$TMP/benchmarks/$1/spec.json" <<JSON
{"name": "$1", "family": "gsm8k", "loader": "gsm8k", "optional": $5,
 "files": [{"path": "tiny/test.jsonl", "url": $2, "mirror_urls": [$3], "sha256": $4, "license": "MIT", "note": "ask a friend"}],
 "data": {"file": "tiny/test.jsonl", "split": "test", "id": "split-line"},
 "prompt": {"mode": "chat", "template": "{question}", "shots": 0},
 "generation": {"temperature": 0}, "extractor": {"name": "gsm8k"}}
JSON
}
spec tiny "\"file://$TMP/src/missing.jsonl\"" "\"file://$TMP/src/good.jsonl\"" "\"$SHA\"" false
out=$("$GRA" data fetch --benchmarks-dir "$TMP/benchmarks" --benchmark tiny --data-dir "$TMP/d1" 2>&1); rc=$?
[ $rc -eq 0 ] && cmp -s "$TMP/src/good.jsonl" "$TMP/d1/tiny/test.jsonl" && ok "download falls through to the mirror URL" || bad "download (rc $rc)" "$out"
out=$("$GRA" data verify --benchmarks-dir "$TMP/benchmarks" --benchmark tiny --data-dir "$TMP/d1" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "verify after download" || bad "verify (rc $rc)" "$out"

spec tiny "\"file://$TMP/src/evil.jsonl\"" "" "\"$SHA\"" false
out=$("$GRA" data fetch --benchmarks-dir "$TMP/benchmarks" --benchmark tiny --data-dir "$TMP/d2" 2>&1); rc=$?
if [ $rc -eq 4 ] && grep -q "sha256" <<<"$out" && [ ! -e "$TMP/d2/tiny/test.jsonl" ] && [ -z "$(ls -A "$TMP/d2/tiny" 2>/dev/null)" ]; then
    ok "a download with the wrong sha256 is refused, nothing written"
else
    bad "wrong sha256 download (rc $rc)" "$out"
fi

spec tiny null "" "\"$SHA\"" false
out=$("$GRA" data fetch --benchmarks-dir "$TMP/benchmarks" --benchmark tiny --data-dir "$TMP/d3" 2>&1); rc=$?
[ $rc -eq 4 ] && grep -q "ask a friend" <<<"$out" && ok "no URL: the note is shown, exit 4" || bad "no URL (rc $rc)" "$out"

spec notiny "\"file://$TMP/src/good.jsonl\"" "" null true
spec tiny "\"file://$TMP/src/good.jsonl\"" "" "\"$SHA\"" false
out=$("$GRA" data fetch --benchmarks-dir "$TMP/benchmarks" --data-dir "$TMP/d4" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "1 file ok" <<<"$out" && ok "optional benchmarks are skipped unless named" || bad "default set (rc $rc)" "$out"
out=$("$GRA" data fetch --benchmarks-dir "$TMP/benchmarks" --benchmark notiny --data-dir "$TMP/d5" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "not pinned.*$SHA" <<<"$out" && ok "unpinned file: downloaded, hash reported" || bad "unpinned (rc $rc)" "$out"

out=$(GRA_DATA_DIR="$TMP/envdir" "$GRA" data path); [ "$out" = "$TMP/envdir" ] && ok "data path honours GRA_DATA_DIR" || bad "data path: '$out'"
out=$(env -u GRA_DATA_DIR HOME=/home/someone "$GRA" data path); [ "$out" = "/home/someone/.local/share/gra/data" ] && ok "default data directory" || bad "default data dir: '$out'"
"$GRA" data frobnicate >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown subcommand: exit 2" || bad "unknown subcommand exit code"
out=$("$GRA" data fetch --benchmarks-dir "$TMP/benchmarks" --benchmark nope --data-dir "$TMP/d6" 2>&1); rc=$?
[ $rc -eq 4 ] && grep -q 'unknown benchmark "nope"' <<<"$out" && ok "unknown benchmark: exit 4" || bad "unknown benchmark (rc $rc)" "$out"

# the seed files synthesis reads come with the default set, and alone by name
if [ -d "${GRA_TEST_DATA:-}/self_instruct_seed" ]; then
    out=$("$GRA" data fetch --benchmark seeds --mirror "$GRA_TEST_DATA" --data-dir "$TMP/seeds" 2>&1); rc=$?
    [ $rc -eq 0 ] && [ -s "$TMP/seeds/self_instruct_seed/seed_tasks.jsonl" ] && [ -s "$TMP/seeds/gsm8k/train.jsonl" ] \
        && [ ! -e "$TMP/seeds/gsm8k/test.jsonl" ] && ok "--benchmark seeds fetches the seed files alone" || bad "seeds (rc $rc)" "$out"
    out=$("$GRA" data verify --benchmark seeds --data-dir "$TMP/seeds" 2>&1); rc=$?
    [ $rc -eq 0 ] && ok "verify --benchmark seeds" || bad "verify seeds (rc $rc)" "$out"
else
    echo "skip: seed files: GRA_TEST_DATA has no self_instruct_seed/ (staged data absent)"
fi

cli_end
