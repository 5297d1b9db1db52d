#!/bin/bash
# report_errors: `gra report` on bad and edge-case inputs. Every malformed
# input fails with the documented exit code and a message naming the file,
# the line and the field; --results mode works on results files alone and its
# numbers match an independent recomputation (tests/python/check_report.py);
# a report is deterministic (same inputs and seed: byte-identical
# summary.json); non-simulated inputs get no banner; --no-plots writes
# scripts, no images; training-seed conditions, identical students and
# hostile names are handled.
set -u
GRA_BIN=${GRA_BIN:?GRA_BIN not set}
SRC=${GRA_SOURCE_DIR:?GRA_SOURCE_DIR not set}
TMPBASE=${GRA_TEST_TMP:-/tmp}
mkdir -p "$TMPBASE"
T=$(mktemp -d "$TMPBASE/report_errors.XXXXXX")
FIX=$SRC/tests/data/report/run
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect EXIT PATTERN -- ARGS...: gra report ARGS exits EXIT and stderr matches PATTERN
expect() {
    local want=$1 pat=$2
    shift 3
    "$GRA_BIN" report "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        bad "report $* exited $rc, expected $want: $(head -3 "$T/err")"
    elif ! grep -qE -- "$pat" "$T/err"; then
        bad "report $*: stderr lacks /$pat/: $(head -3 "$T/err")"
    else
        ok "report $* -> $rc, /$pat/"
    fi
}

line() { # student benchmark id correct [extra json]
    printf '{"student":"%s","benchmark":"%s","id":"%s","sample":0,"train_seed":null,"correct":%s,"extract_failed":false%s}\n' "$1" "$2" "$3" "$4" "${5:-}"
}

# malformed JSON on line 3
{ line s1 gsm8k a 1; line s1 gsm8k b 0; echo '{"student": "s1", "benchmark": '; } >"$T/badjson.jsonl"
expect 4 "badjson.jsonl:3: malformed JSON" -- --results "$T/badjson.jsonl" --out "$T/o1"
# a missing field on line 2
{ line s1 gsm8k a 1; echo '{"student":"s1","benchmark":"gsm8k","id":"b"}'; } >"$T/nofield.jsonl"
expect 4 "nofield.jsonl:2: field 'correct'" -- --results "$T/nofield.jsonl" --out "$T/o2"
# a wrong type
{ line s1 gsm8k a 1; line s1 gsm8k b '"yes"'; } >"$T/badtype.jsonl"
expect 4 "badtype.jsonl:2: field 'correct': missing or not 0/1" -- --results "$T/badtype.jsonl" --out "$T/o3"
# the same (student, benchmark, item, sample) twice
{ line s1 gsm8k a 1; line s1 gsm8k b 0; line s1 gsm8k a 0; } >"$T/dup.jsonl"
expect 4 "dup.jsonl:3: duplicate result .*item 'a'.*first at .*dup.jsonl:1" -- --results "$T/dup.jsonl" --out "$T/o4"
# missing inputs and usage
expect 4 "nosuch.jsonl" -- --results "$T/nosuch.jsonl" --out "$T/o5"
expect 2 "needs --out" -- --results "$T/dup.jsonl"
expect 4 "not a run directory" -- "$T/no-such-run"
mkdir -p "$T/emptyrun"
expect 4 "nothing to report" -- "$T/emptyrun"
expect 2 "usage" -- --margin -3 "$FIX"
# a dataset record without an instruction
mkdir -p "$T/ds"
head -2 "$FIX/datasets/gra.jsonl" >"$T/ds/d.jsonl"
echo '{"id":"x","response":"r","round":1}' >>"$T/ds/d.jsonl"
expect 4 "d.jsonl:3: field 'instruction'" -- --results "$FIX/eval/results.jsonl" --dataset "$T/ds/d.jsonl" --out "$T/o6"
# a bad "report" config section
echo '{"report": {"marginn": 2}}' >"$T/badcfg.json"
expect 3 "badcfg.json: report.marginn: unknown key" -- --results "$FIX/eval/results.jsonl" --config "$T/badcfg.json" --out "$T/o7"

# --results mode on results files alone, twice: byte-identical summaries
A=$T/ra
B=$T/rb
if "$GRA_BIN" report --results "$FIX/eval/results.jsonl" --out "$A" --bootstrap 1000 --seed 5 --no-plots 2>"$T/err" &&
    "$GRA_BIN" report --results "$FIX/eval/results.jsonl" --out "$B" --bootstrap 1000 --seed 5 --no-plots 2>>"$T/err"; then
    ok "--results mode"
    cmp -s "$A/summary.json" "$B/summary.json" && ok "deterministic summary.json" || bad "summary.json differs between identical runs"
    /usr/bin/python3 "$SRC/tests/python/check_report.py" "$FIX/eval/results.jsonl" "$A/summary.json" &&
        ok "accuracies and comparisons recomputed independently (scipy)" || bad "check_report.py disagrees"
    ls "$A"/figures/*.gp >/dev/null 2>&1 && ok "--no-plots writes scripts" || bad "--no-plots: no .gp files"
    ls "$A"/figures/*.svg >/dev/null 2>&1 && bad "--no-plots drew SVGs" || ok "--no-plots draws nothing"
    /usr/bin/python3 - "$A/summary.json" <<'EOF' && ok "--results summary: comparisons, B and seed" || bad "--results summary content"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["config"]["bootstrap_b"] == 1000 and s["config"]["seed"] == 5
assert len(s["comparisons"]) == 9 and s["datasets"] == []
assert s["simulated"] is True
EOF
else
    bad "--results mode failed: $(head -3 "$T/err")"
fi

# other seed: different intervals (the seed is used)
if "$GRA_BIN" report --results "$FIX/eval/results.jsonl" --out "$T/rc" --bootstrap 1000 --seed 6 --no-plots 2>/dev/null; then
    cmp -s "$A/summary.json" "$T/rc/summary.json" && bad "seed has no effect" || ok "seed changes the resamples"
fi

# non-simulated input: no banner anywhere
{ for i in $(seq 1 40); do line s1 mmlu "q$i" $((i % 2)); line s2 mmlu "q$i" $((i % 3 == 0 ? 1 : 0)); done; } >"$T/real.jsonl"
if "$GRA_BIN" report --results "$T/real.jsonl" --out "$T/real" --no-plots 2>"$T/err"; then
    grep -q SIMULATED "$T/real/report.md" "$T/real/report.html" "$T/real/summary.json" &&
        bad "SIMULATED banner on non-simulated input" || ok "no banner without simulated input"
else
    bad "non-simulated report failed: $(head -3 "$T/err")"
fi

# several training seeds of one condition (report.conditions), grouped items
{
    for i in $(seq 1 60); do
        g="p$((i / 3))"
        line base ifeval "q$i" $((i % 2)) ",\"group\":\"$g\""
        line g-s1 ifeval "q$i" $(((i + 1) % 2)) ",\"group\":\"$g\""
        line g-s2 ifeval "q$i" $((i % 3 == 0 ? 1 : 0)) ",\"group\":\"$g\""
    done
} >"$T/seeds.jsonl"
echo '{"report": {"conditions": {"g": ["g-s1", "g-s2"]}, "bootstrap_b": 500}}' >"$T/cond.json"
if "$GRA_BIN" report --results "$T/seeds.jsonl" --config "$T/cond.json" --out "$T/cond" --no-plots 2>"$T/err"; then
    /usr/bin/python3 - "$T/cond/summary.json" <<'EOF2' && ok "conditions: seeds merged, hierarchical CI, clustered SE" || bad "conditions summary"
import json, sys
s = json.load(open(sys.argv[1]))
acc = {o["student"]: o for o in s["accuracy"]}
assert set(acc) == {"base", "g"}, acc.keys()
g = acc["g"]
assert g["members"] == ["g-s1", "g-s2"] and len(g["train_seeds"]) == 2
assert g["hierarchical"] is not None and len(g["per_seed_accuracy"]) == 2
assert g["n_groups"] == 21 and g["se_clustered"] > 0
c = s["comparisons"]
assert len(c) == 1 and c[0]["ci_hierarchical"] is not None and c[0]["seeds_b"] == 2
assert c[0]["mcnemar_method"] == "sign"  # the condition's items average two seeds: fractional
EOF2
else
    bad "conditions report failed: $(head -3 "$T/err")"
fi
echo '{"report": {"conditions": {"g": ["a"], "h": ["a", "b"]}}}' >"$T/cond2.json"
expect 3 "student \"a\" is also in condition" -- --results "$T/seeds.jsonl" --config "$T/cond2.json" --out "$T/o8"

# identical answers: no discordant item, the SE is floored (rule of three), no parity claimed from nothing
{ for i in $(seq 1 40); do line same1 gsm8k "t$i" $((i % 2)); line same2 gsm8k "t$i" $((i % 2)); done; } >"$T/same.jsonl"
if "$GRA_BIN" report --results "$T/same.jsonl" --out "$T/same" --no-plots 2>"$T/err"; then
    /usr/bin/python3 - "$T/same/summary.json" <<'EOF2' && ok "identical students: floored SE, no equivalence at 1 point" || bad "identical students"
import json, math, sys
c = json.load(open(sys.argv[1]))["comparisons"][0]
assert c["diff"] == 0 and c["se"] == 0 and c["mcnemar_p"] == 1
assert abs(c["se_used"] - 100 * math.sqrt(3 / 40) / math.sqrt(40)) < 1e-9
assert c["tost"]["equivalent"] is False and c["margin_supported"] is False
EOF2
else
    bad "identical students report failed: $(head -3 "$T/err")"
fi

# names from data are data: quoted in gnuplot scripts, escaped in HTML, plain in file names
/usr/bin/python3 - "$T/evil.jsonl" <<'EOF2'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(30):
        for st in ('ev"il<script>alert(1)</script>\\_x^2', "plain_student"):
            f.write(json.dumps({"student": st, "benchmark": "b<i>&\"m", "id": f"q{i}", "sample": 0,
                                "train_seed": None, "correct": (i * 7 + len(st)) % 3 == 0,
                                "extract_failed": False}) + "\n")
EOF2
if "$GRA_BIN" report --results "$T/evil.jsonl" --out "$T/evil" --bootstrap 200 2>"$T/err"; then
    if grep -qi "<script" "$T/evil/report.html"; then bad "unescaped <script> in report.html"; else ok "names escaped in report.html"; fi
    grep -q 'ev\\"il<script>' "$T/evil/figures/accuracy.gp" && ok "names quoted in the gnuplot script" || bad "gnuplot quoting"
    [ -s "$T/evil/figures/accuracy.svg" ] && ok "gnuplot drew the figure with odd names" || bad "no accuracy.svg"
else
    bad "report with odd names failed: $(head -3 "$T/err")"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
