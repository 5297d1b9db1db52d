#!/usr/bin/env bash
# eval_predictions: `gra data fetch --mirror` into a fresh data directory,
# `gra data verify` (ok, then a corrupted and a missing file are named, exit 4),
# then `gra eval --predictions` on predictions made from the gold answers
# (accuracy 1.0) and from corrupted answers (0.0) for GSM8K, MATH-500, MMLU,
# ARC-Challenge and TruthfulQA MC1; bad prediction lines are reported as
# file:line with exit 4; results are in a deterministic order.
# Skips (exit 0, saying why) when the staged data is absent.
set -u

. "$(dirname "$0")/lib.bash"
cli_begin eval_predictions
MIRROR=${GRA_TEST_DATA:-}
if [ -z "$MIRROR" ] || [ ! -d "$MIRROR/gsm8k" ]; then
    echo "SKIP eval_predictions: staged data not found (GRA_TEST_DATA='${MIRROR}')"
    exit 0
fi
command -v python3 >/dev/null || { echo "SKIP eval_predictions: python3 not found"; exit 0; }
D=$TMP/data


out=$("$GRA" data fetch --mirror "$MIRROR" --data-dir "$D" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "0 failed" <<<"$out" && ok "data fetch --mirror" || bad "data fetch --mirror (rc $rc)" "$out"
out=$("$GRA" data verify --data-dir "$D" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q " 0 bad, 0 missing" <<<"$out" && ok "data verify: all ok" || bad "data verify (rc $rc)" "$out"

# corrupt one file, remove another: both named, exit 4; fetch repairs
cp "$D/arc/ARC-Easy-Test.jsonl" "$TMP/keep.jsonl"
echo '{}' >>"$D/arc/ARC-Easy-Test.jsonl"
rm "$D/mmlu/test/virology_test.csv"
out=$("$GRA" data verify --data-dir "$D" 2>&1); rc=$?
if [ $rc -eq 4 ] && grep -q "BAD *arc/ARC-Easy-Test.jsonl" <<<"$out" && grep -q "MISSING *mmlu/test/virology_test.csv" <<<"$out"; then
    ok "data verify names the bad and the missing file (exit 4)"
else
    bad "data verify on a damaged directory (rc $rc)" "$out"
fi
out=$("$GRA" data fetch --mirror "$MIRROR" --data-dir "$D" 2>&1 && "$GRA" data verify --data-dir "$D" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "data fetch repairs it" || bad "data fetch repair (rc $rc)" "$out"
# a mirror whose copy fails its sha256 is refused and nothing is written
mkdir -p "$TMP/badmirror/gsm8k"
echo 'tampered' >"$TMP/badmirror/gsm8k/test.jsonl"
out=$("$GRA" data fetch --mirror "$TMP/badmirror" --data-dir "$TMP/d2" --benchmark gsm8k 2>&1); rc=$?
if [ $rc -eq 4 ] && grep -q "sha256" <<<"$out" && [ ! -e "$TMP/d2/gsm8k/test.jsonl" ]; then
    ok "fetch refuses a mirror file with the wrong sha256"
else
    bad "fetch from a tampered mirror (rc $rc)" "$out"
fi

# predictions from gold answers and corrupted ones
python3 - "$D" "$TMP" <<'PY' || bad "making predictions"
import csv, json, os, sys
d, t = sys.argv[1], sys.argv[2]
def w(name, rows):
    with open(os.path.join(t, name), "w") as f:
        for r in rows: f.write(json.dumps(r) + "\n")
g = [json.loads(l) for l in open(f"{d}/gsm8k/test.jsonl")]
w("gsm8k.gold.jsonl", [{"id": f"test-{i}", "output": x["answer"]} for i, x in enumerate(g)])
w("gsm8k.bad.jsonl", [{"id": f"test-{i}", "output": "The answer is %d." % (int(x["answer"].split("####")[1].replace(",", "")) + 1)} for i, x in enumerate(g)])
m = [json.loads(l) for l in open(f"{d}/math500/test.jsonl")]
w("math500.gold.jsonl", [{"id": x["unique_id"], "output": x["solution"]} for x in m])
w("math500.bad.jsonl", [{"id": x["unique_id"], "outputs": ["So $\\boxed{%s+1}$." % x["answer"]]} for x in m])
gold, badr = [], []
for s in sorted(f[:-9] for f in os.listdir(f"{d}/mmlu/test")):
    for i, r in enumerate(csv.reader(open(f"{d}/mmlu/test/{s}_test.csv", newline=""))):
        gold.append({"id": f"{s}-{i}", "output": f"The answer is {r[5]}"})
        badr.append({"id": f"{s}-{i}", "output": "The answer is " + "ABCD"[("ABCD".index(r[5]) + 1) % 4]})
w("mmlu.gold.jsonl", gold); w("mmlu.bad.jsonl", badr)
a = [json.loads(l) for l in open(f"{d}/arc/ARC-Challenge-Test.jsonl")]
def letter(x):
    labels = [c["label"] for c in x["question"]["choices"]]
    return labels.index(x["answerKey"]), len(labels)
w("arc_challenge.gold.jsonl", [{"id": x["id"], "output": "Answer: " + "ABCDE"[letter(x)[0]]} for x in a])
w("arc_challenge.bad.jsonl", [{"id": x["id"], "output": "Answer: " + "ABCDE"[(letter(x)[0] + 1) % letter(x)[1]]} for x in a])
# TruthfulQA options are shuffled by gra (seeded): answer with the true text instead of a letter
q = json.load(open(f"{d}/truthfulqa/v1/mc_task.json"))
w("truthfulqa_mc1.gold.jsonl", [{"id": f"validation-{i}", "output": "It is this one: " + [k for k, v in x["mc1_targets"].items() if v == 1][0]} for i, x in enumerate(q)])
w("truthfulqa_mc1.bad.jsonl", [{"id": f"validation-{i}", "output": "Nothing I can say."} for i, x in enumerate(q)])
PY

acc() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["students"][sys.argv[2]][sys.argv[3]]["accuracy"])' "$@"; }
for b in gsm8k math500 mmlu arc_challenge truthfulqa_mc1; do
    out=$("$GRA" eval --benchmark "$b" --predictions "$TMP/$b.gold.jsonl" --student gold --data-dir "$D" --out "$TMP/out-$b-gold" 2>&1); rc=$?
    a=$(acc "$TMP/out-$b-gold/summary.json" gold "$b" 2>/dev/null)
    [ $rc -eq 0 ] && [ "$a" = "1" ] && ok "$b gold predictions: accuracy 1.0" || bad "$b gold predictions (rc $rc, accuracy '$a')" "$out"
    out=$("$GRA" eval --benchmark "$b" --predictions "$TMP/$b.bad.jsonl" --student bad --data-dir "$D" --out "$TMP/out-$b-bad" 2>&1); rc=$?
    a=$(acc "$TMP/out-$b-bad/summary.json" bad "$b" 2>/dev/null)
    [ $rc -eq 0 ] && [ "$a" = "0" ] && ok "$b corrupted predictions: accuracy 0.0" || bad "$b corrupted predictions (rc $rc, accuracy '$a')" "$out"
done

# code through the sandbox: two samples per HumanEval task, the canonical
# solution and a stub, give pass@1 = 0.5 with 164 passed and 164 failed
python3 - "$D" "$TMP/he.jsonl" <<'PY'
import gzip, json, sys
with open(sys.argv[2], "w") as f:
    for x in (json.loads(l) for l in gzip.open(sys.argv[1] + "/humaneval/HumanEval.jsonl.gz", "rt")):
        f.write(json.dumps({"id": x["task_id"], "outputs": ["```python\n" + x["prompt"] + x["canonical_solution"] + "```", "def stub():\n    pass\n"]}) + "\n")
PY
out=$("$GRA" eval --benchmark humaneval --predictions "$TMP/he.jsonl" --data-dir "$D" --out "$TMP/out-he" 2>&1); rc=$?
if [ $rc -eq 0 ] && python3 - "$TMP/out-he/summary.json" <<'PY'
import json, sys
x = json.load(open(sys.argv[1]))["students"]["predictions"]["humaneval"]
assert x["n_samples"] == 2 and abs(x["pass_at_k"]["1"] - 0.5) < 1e-12, x
assert x["outcomes"] == {"passed": 164, "failed": 164}, x
PY
then ok "humaneval, 2 samples per task: pass@1 0.5 (164 passed, 164 failed)"; else bad "humaneval predictions (rc $rc)" "$out"; fi

# results lines: one per item, in item order, with the schema's fields
python3 - "$TMP/out-mmlu-gold/results.jsonl" <<'PY' && ok "results.jsonl: 14042 lines in item order with the schema fields" || bad "results.jsonl shape"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 14042, len(rows)
assert rows[0]["id"] == "abstract_algebra-0" and rows[-1]["id"] == "world_religions-170"
need = {"student", "benchmark", "id", "sample", "train_seed", "output", "extracted", "correct",
        "strict", "flexible", "extract_failed", "prompt_tokens", "completion_tokens", "latency_ms", "prompt_hash"}
assert all(need <= set(r) for r in rows)
assert len({r["prompt_hash"] for r in rows}) == 1 and len(rows[0]["prompt_hash"]) == 64
PY

# the same predictions shuffled give byte-identical results
python3 -c 'import random,sys; L=open(sys.argv[1]).readlines(); random.Random(7).shuffle(L); open(sys.argv[2],"w").writelines(L)' "$TMP/gsm8k.gold.jsonl" "$TMP/shuf.jsonl"
"$GRA" eval --benchmark gsm8k --predictions "$TMP/shuf.jsonl" --student gold --data-dir "$D" --out "$TMP/out-shuf" >/dev/null 2>&1
cmp -s "$TMP/out-shuf/results.jsonl" "$TMP/out-gsm8k-gold/results.jsonl" && ok "deterministic order (shuffled input, same results)" || bad "results order depends on input order"

# bad lines: reported as file:line, exit 4, nothing written
P=$TMP/broken.jsonl
{ head -3 "$TMP/gsm8k.gold.jsonl"; echo '{"id": "test-1", "output": "7"}'; echo '{"id": "no-such-id", "output": "7"}'; echo 'not json'; echo '{"id": "test-5", "output": 7}'; } >"$P"
out=$("$GRA" eval --benchmark gsm8k --predictions "$P" --data-dir "$D" --out "$TMP/out-broken" 2>&1); rc=$?
if [ $rc -eq 4 ] && grep -q "$P:4: id \"test-1\": duplicate (first at line 2)" <<<"$out" &&
   grep -q "$P:5: id \"no-such-id\": not an item of gsm8k" <<<"$out" && grep -q "$P:6: malformed JSON" <<<"$out" &&
   grep -q "$P:7: output: expected a string" <<<"$out" && grep -q "have no prediction" <<<"$out" &&
   [ ! -e "$TMP/out-broken/results.jsonl" ]; then
    ok "bad prediction lines reported as file:line (exit 4, nothing written)"
else
    bad "bad prediction lines (rc $rc)" "$out"
fi
# --partial scores only the predicted items
head -10 "$TMP/gsm8k.gold.jsonl" >"$TMP/head10.jsonl"
out=$("$GRA" eval --benchmark gsm8k --predictions "$TMP/head10.jsonl" --partial --data-dir "$D" --out "$TMP/out-partial" 2>&1); rc=$?
n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["students"]["predictions"]["gsm8k"]["n_items"])' "$TMP/out-partial/summary.json" 2>/dev/null)
[ $rc -eq 0 ] && [ "$n" = "10" ] && ok "--partial: 10 items scored" || bad "--partial (rc $rc, n '$n')" "$out"
# usage errors
"$GRA" eval --predictions "$P" --out "$TMP/x" >/dev/null 2>&1; [ $? -eq 2 ] && ok "--predictions without --benchmark: exit 2" || bad "missing --benchmark exit code"
"$GRA" eval --benchmark nope --predictions "$P" --data-dir "$D" --out "$TMP/x" >/dev/null 2>&1; rc=$?
[ $rc -eq 4 ] && ok "unknown benchmark: exit 4" || bad "unknown benchmark exit code ($rc)"

cli_end
