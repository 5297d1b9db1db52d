#!/usr/bin/env bash
# eval_decontam: `gra decontam` flags the records that copy a benchmark test
# item (a GSM8K question in an instruction, a HumanEval prompt in a
# response, a MATH problem with different case and spacing), leaves clean ones,
# --n changes the window, --write-filtered keeps exactly the clean records,
# bad lines are reported as file:line. Skips without the staged data.
set -u

. "$(dirname "$0")/lib.bash"
cli_begin eval_decontam
DATA=${GRA_TEST_DATA:-}
if [ -z "$DATA" ] || [ ! -d "$DATA/gsm8k" ]; then
    echo "SKIP eval_decontam: staged data not found (GRA_TEST_DATA='${DATA}')"
    exit 0
fi
command -v python3 >/dev/null || { echo "SKIP eval_decontam: python3 not found"; exit 0; }

python3 - "$DATA" "$TMP/ds.jsonl" <<'PY'
import gzip, json, sys
d, out = sys.argv[1], sys.argv[2]
g = [json.loads(l) for l in open(f"{d}/gsm8k/test.jsonl")]
h = [json.loads(l) for l in gzip.open(f"{d}/humaneval/HumanEval.jsonl.gz", "rt")]
m = [json.loads(l) for l in open(f"{d}/math500/test.jsonl")]
recs = [
    {"id": "r0", "instruction": "Write a haiku about the sea and the wind at night.", "response": "Waves fold into dark; the wind hums low over salt; stars drown one by one."},
    {"id": "r1", "instruction": "Solve this: " + g[10]["question"], "response": "Let me think."},
    {"id": "r2", "instruction": "Implement the function.", "response": "Sure:\n" + h[3]["prompt"]},
    {"id": "r3", "instruction": "  ".join(m[0]["problem"].upper().split()), "response": "ok"},
    {"id": "r4", "instruction": "Explain recursion to a child using a simple story about dolls.", "response": "Imagine a doll that opens to show a smaller doll inside, again and again."},
]
with open(out, "w") as f:
    for r in recs: f.write(json.dumps(r) + "\n")
PY

out=$("$GRA" decontam "$TMP/ds.jsonl" --data-dir "$DATA" --benchmark gsm8k --benchmark humaneval --benchmark math500 \
      --out "$TMP/sum.json" --write-filtered "$TMP/clean.jsonl" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "gra decontam runs" || bad "gra decontam (rc $rc)" "$out"
python3 - "$TMP/sum.json" "$TMP/clean.jsonl" <<'PY' && ok "3 of 5 records flagged, each under its benchmark; filtered copy keeps r0 and r4" || bad "decontam summary" "$(cat "$TMP/sum.json" 2>/dev/null | head -60)"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["records"] == 5 and s["contaminated_records"] == 3 and s["n"] == 13, s
b = s["benchmarks"]
g, h, m = b["gsm8k"], b["humaneval"], b["math500"]
assert g["contaminated_records"] == 1 and g["records_listed"][0]["id"] == "r1" and g["records_listed"][0]["item"] == "test-10"
assert g["records_listed"][0]["field"] == "instruction" and len(g["records_listed"][0]["ngram"].split()) == 13
assert h["contaminated_records"] == 1 and h["records_listed"][0]["item"] == "HumanEval/3" and h["records_listed"][0]["field"] == "response"
assert m["contaminated_records"] == 1 and m["records_listed"][0]["line"] == 4
assert g["items"] == 1319 and g["ngrams"] > 10000
kept = [json.loads(l)["id"] for l in open(sys.argv[2])]
assert kept == ["r0", "r4"], kept
PY
# a window longer than any shared run finds nothing in the short GSM8K record
out=$("$GRA" decontam "$TMP/ds.jsonl" --data-dir "$DATA" --benchmark gsm8k --n 400 2>&1); rc=$?
c=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["contaminated_records"])' <<<"$out" 2>/dev/null)
[ $rc -eq 0 ] && [ "$c" = "0" ] && ok "--n 400: nothing shared" || bad "--n 400 (rc $rc, '$c')" "$out"
echo 'not json' >>"$TMP/ds.jsonl"
out=$("$GRA" decontam "$TMP/ds.jsonl" --data-dir "$DATA" --benchmark gsm8k --out "$TMP/s2.json" 2>&1); rc=$?
[ $rc -eq 4 ] && grep -q "ds.jsonl:6: malformed JSON" <<<"$out" && ok "bad line reported as file:line (exit 4)" || bad "bad line (rc $rc)" "$out"
"$GRA" decontam >/dev/null 2>&1; [ $? -eq 2 ] && ok "no dataset: exit 2" || bad "usage exit code"
cli_end
