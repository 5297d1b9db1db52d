#!/usr/bin/env bash
# eval_ifeval: `gra eval --benchmark ifeval --predictions FILE --data-dir DIR`
# end to end on a fake data directory holding 5 hand-written items in the
# upstream input_data.jsonl format (tests/data/ifeval/data; the real IFEval
# data is not staged here). The 5 predictions are built so that prompt-level
# strict accuracy is 2/5 and loose 3/5 (instruction level 5/9 and 6/9); each
# result line carries the per-instruction strict/loose outcomes; a malformed
# item is reported as file:line: field with exit 4.
set -u

. "$(dirname "$0")/lib.bash"
cli_begin eval_ifeval
SRC=${GRA_SOURCE_DIR:-}
[ -n "$SRC" ] && [ -d "$SRC/tests/data/ifeval" ] || { echo "eval_ifeval: GRA_SOURCE_DIR not set" >&2; exit 1; }
command -v python3 >/dev/null || { echo "SKIP eval_ifeval: python3 not found"; exit 0; }


D=$SRC/tests/data/ifeval/data
P=$SRC/tests/data/ifeval/predictions.jsonl
out=$("$GRA" eval --benchmark ifeval --predictions "$P" --data-dir "$D" --out "$TMP/o" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "eval ifeval predictions (exit 0)" || bad "eval ifeval predictions (rc $rc)" "$out"

chk=$(python3 - "$TMP/o" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))["students"]["predictions"]["ifeval"]
errs = []
def eq(name, got, want):
    if abs(got - want) > 1e-9: errs.append(f"{name}: {got} != {want}")
eq("n_items", s["n_items"], 5)
eq("strict_accuracy (prompt-level strict)", s["strict_accuracy"], 2 / 5)
eq("flexible_accuracy (prompt-level loose)", s["flexible_accuracy"], 3 / 5)
eq("accuracy (primary = strict)", s["accuracy"], 2 / 5)
eq("extract_fail_rate", s["extract_fail_rate"], 0)
if s.get("primary") != "strict": errs.append("primary is not strict")
if "ifeval" in s:
    x = s["ifeval"]
    eq("inst_level_strict_accuracy", x["inst_level_strict_accuracy"], 5 / 9)
    eq("inst_level_loose_accuracy", x["inst_level_loose_accuracy"], 6 / 9)
    eq("prompt_level_loose_accuracy", x["prompt_level_loose_accuracy"], 3 / 5)
    print("instruction-level accuracies present")
else:
    errs.append("summary has no ifeval block with instruction-level accuracies")
rows = [json.loads(l) for l in open(d + "/results.jsonl")]
want = {"1000": (1, 1), "1001": (0, 0), "1002": (0, 1), "1003": (1, 1), "1004": (0, 0)}
for r in rows:
    if (r["strict"], r["flexible"]) != want[r["id"]]:
        errs.append(f"{r['id']}: strict/flexible {r['strict']}/{r['flexible']} != {want[r['id']]}")
r2 = [r for r in rows if r["id"] == "1002"][0]
if "detectable_format:number_bullet_lists=pass/pass; change_case:english_lowercase=fail/pass" != r2["extracted"]:
    errs.append("1002 extracted: " + str(r2["extracted"]))
if [r["id"] for r in rows] != sorted(want):
    errs.append("result order")
print("\n".join(errs) if errs else "OK")
PY
)
grep -q '^OK$' <<<"$chk" && ok "prompt-level strict 0.4, loose 0.6; per-line verdicts and details" || bad "summary/results" "$chk"
grep -q NOTE <<<"$chk" && echo "note $(grep NOTE <<<"$chk")"

# a malformed item: file:line: field, exit 4, nothing written
mkdir -p "$TMP/bad/ifeval"
cp "$D/ifeval/input_data.jsonl" "$TMP/bad/ifeval/input_data.jsonl"
echo '{"key": 9, "prompt": "p", "instruction_id_list": ["detectable_format:no_such"], "kwargs": [{}]}' >>"$TMP/bad/ifeval/input_data.jsonl"
out=$("$GRA" eval --benchmark ifeval --predictions "$P" --data-dir "$TMP/bad" --out "$TMP/o2" 2>&1); rc=$?
[ $rc -eq 4 ] && grep -q 'input_data.jsonl:6: instruction_id_list\[0\]: unknown instruction' <<<"$out" &&
    [ ! -e "$TMP/o2/summary.json" ] && ok "bad item: file:line: field, exit 4" || bad "bad item (rc $rc)" "$out"

# data absent: says so
out=$("$GRA" eval --benchmark ifeval --predictions "$P" --data-dir "$TMP/none" --out "$TMP/o3" 2>&1); rc=$?
[ $rc -eq 4 ] && grep -q "not staged" <<<"$out" && ok "data absent: exit 4, says not staged" || bad "data absent (rc $rc)" "$out"

cli_end
