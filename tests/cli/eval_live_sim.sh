#!/usr/bin/env bash
# eval_live_sim: `gra eval EXP.json` against SIMULATED students (endpoint
# "sim": gra starts serve-sim itself) on every staged benchmark, a few items
# each: one results line per (student, benchmark, item, sample) in the fixed
# order, every line and the summary labelled simulated, code benchmarks run
# through the sandbox with pass@1; the call cache makes a --replay run give
# the same answers; --student/--benchmark filter; config errors exit 3 with
# the config path. Skips (exit 0, saying why) without the staged data.
set -u

. "$(dirname "$0")/lib.bash"
cli_begin eval_live_sim
DATA=${GRA_TEST_DATA:-}
if [ -z "$DATA" ] || [ ! -d "$DATA/gsm8k" ]; then
    echo "SKIP eval_live_sim: staged data not found (GRA_TEST_DATA='${DATA}')"
    exit 0
fi
command -v python3 >/dev/null || { echo "SKIP eval_live_sim: python3 not found"; exit 0; }


cat >"$TMP/students.json" <<'JSON'
{"models": [
 {"name": "stu-strong", "seed": 5, "student": {"base_skill": {"math": 0.8, "code": 0.7, "knowledge": 0.75, "reasoning": 0.7}}},
 {"name": "stu-weak", "seed": 6, "student": {"base_skill": {"math": 0.2, "code": 0.2, "knowledge": 0.3, "reasoning": 0.25}}}
]}
JSON
BENCHES='"gsm8k", "math", "math500", "mmlu", "mmlu_5shot", "arc_challenge", "arc_easy", "truthfulqa_mc1", "truthfulqa_mc2", "humaneval", "mbpp", "mbpp_sanitized"'
cat >"$TMP/exp.json" <<JSON
{"name": "eval-live-sim", "seed": 7, "cache": "$TMP/cache.sqlite", "sim_models": ["$TMP/students.json"],
 "models": {"stu-strong": {"endpoint": "sim", "params_b": 7}, "stu-weak": {"endpoint": "sim", "params_b": 8}},
 "eval": {"students": ["stu-strong", {"model": "stu-weak", "train_seed": 3}],
          "benchmarks": [$BENCHES], "limit": 6, "code": {"timeout_s": 10}}}
JSON

out=$("$GRA" eval "$TMP/exp.json" --data-dir "$DATA" --out "$TMP/run1" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "gra eval EXP.json on SIMULATED students" || bad "gra eval (rc $rc)" "$out"
grep -q "SIMULATED" <<<"$out" && ok "the headline says SIMULATED" || bad "no SIMULATED label on stdout" "$out"

python3 - "$TMP/run1" <<'PY' && ok "results: 2 x 12 x 6 lines in order, all simulated; summary simulated with pass@1 for code" || bad "results/summary shape"
import json, sys
d = sys.argv[1]
rows = [json.loads(l) for l in open(d + "/results.jsonl")]
benches = ["gsm8k", "math", "math500", "mmlu", "mmlu_5shot", "arc_challenge", "arc_easy",
           "truthfulqa_mc1", "truthfulqa_mc2", "humaneval", "mbpp", "mbpp_sanitized"]
assert len(rows) == 2 * 12 * 6, len(rows)
order = [(r["student"], r["benchmark"]) for r in rows[::6]]
assert order == [(s, b) for s in ("stu-strong", "stu-weak") for b in benches], order
assert all(r["simulated"] is True for r in rows)
assert all(r["train_seed"] == 3 for r in rows if r["student"] == "stu-weak")
assert all(r["train_seed"] is None for r in rows if r["student"] == "stu-strong")
assert all(r["completion_tokens"] > 0 and len(r["prompt_hash"]) == 64 for r in rows)
assert all(r["outcome"] in ("passed", "failed", "timeout", "limit", "no_code") for r in rows if r["benchmark"] in ("humaneval", "mbpp", "mbpp_sanitized"))
assert rows[0]["id"] == "test-0" and [r["id"] for r in rows if r["benchmark"] == "mbpp"][0] == "11"
s = json.load(open(d + "/summary.json"))
assert s["simulated"] is True and "SIMULATED" in s["label"]
for st in ("stu-strong", "stu-weak"):
    for b in benches:
        x = s["students"][st][b]
        assert x["n_items"] == 6 and x["simulated"] is True and 0 <= x["accuracy"] <= 1
    assert abs(s["students"][st]["humaneval"]["pass_at_k"]["1"] - s["students"][st]["humaneval"]["accuracy"]) < 1e-12
# the strong student is right more often than the weak one over all items
acc = {st: sum(r["correct"] for r in rows if r["student"] == st) for st in ("stu-strong", "stu-weak")}
assert acc["stu-strong"] > acc["stu-weak"], acc
PY

# replay from the call cache: same outputs and verdicts, no server calls needed
out=$("$GRA" eval "$TMP/exp.json" --data-dir "$DATA" --out "$TMP/run2" --replay 2>&1); rc=$?
strip() { python3 -c 'import json,sys; [print(json.dumps({k: v for k, v in json.loads(l).items() if k != "latency_ms"}, sort_keys=True)) for l in open(sys.argv[1])]' "$1"; }
if [ $rc -eq 0 ] && cmp -s <(strip "$TMP/run1/results.jsonl") <(strip "$TMP/run2/results.jsonl"); then
    ok "--replay from the call cache: identical results"
else
    bad "--replay run (rc $rc)" "$out"
fi

# filters
out=$("$GRA" eval "$TMP/exp.json" --data-dir "$DATA" --out "$TMP/run3" --student stu-weak --benchmark gsm8k --limit 3 2>&1); rc=$?
n=$(wc -l <"$TMP/run3/results.jsonl" 2>/dev/null)
[ $rc -eq 0 ] && [ "$n" = "3" ] && ok "--student --benchmark --limit: 3 lines" || bad "filters (rc $rc, lines '$n')" "$out"
out=$("$GRA" eval "$TMP/exp.json" --data-dir "$DATA" --out "$TMP/run4" --student nobody 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "nobody" <<<"$out" && ok "--student unknown: exit 2" || bad "--student unknown (rc $rc)" "$out"

# config errors: all reported with the file, exit 3
cat >"$TMP/bad.json" <<JSON
{"name": "bad", "models": {"m": {"endpoint": "sim"}},
 "eval": {"students": ["m", "ghost"], "benchmarks": ["gsm8k", {"name": "mmlu", "limt": 3}], "colour": 1}}
JSON
out=$("$GRA" eval "$TMP/bad.json" --data-dir "$DATA" --out "$TMP/run5" 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q "ghost" <<<"$out" && grep -q "limt" <<<"$out" && grep -q "colour" <<<"$out"; then
    ok "bad eval section: every problem named, exit 3"
else
    bad "bad eval section (rc $rc)" "$out"
fi
cat >"$TMP/bad2.json" <<JSON
{"name": "bad2", "sim_models": ["$TMP/students.json"], "models": {"stu-strong": {"endpoint": "sim"}},
 "eval": {"students": ["stu-strong"], "benchmarks": ["no_such_bench"]}}
JSON
out=$("$GRA" eval "$TMP/bad2.json" --data-dir "$DATA" --out "$TMP/run6" 2>&1); rc=$?
[ $rc -eq 3 ] && grep -q "no_such_bench" <<<"$out" && ok "unknown benchmark in the config: exit 3" || bad "unknown benchmark (rc $rc)" "$out"

cli_end
