#!/bin/bash
# report_ablation: the ablation curves and the macro verdict of `gra report`.
# - Each curve joins only datasets that differ in the plotted coordinate, all
#   other ablation coordinates equal; groups of one are left out; aggregation
#   "none" only appears on the aggregation curve; numeric x sorted.
# - The acceptance plotted is the committee's, accepted / (generated -
#   failed) from stats.json, not kept / generated (which synth's waves
#   quantize: here several cells share kept/generated but not acceptance).
# - No student accuracy column (and no NaN) when no student is mapped to a
#   dataset; a student panel when one is.
# - Figure layout: the forest plot's left margin fits its longest label; the
#   accuracy figure widens or rotates its x labels with many benchmarks.
# - The macro verdict follows the same rule as the per-benchmark verdicts: a
#   difference whose interval lies wholly above +margin is "superior".
set -u
GRA_BIN=${GRA_BIN:?GRA_BIN not set}
SRC=${GRA_SOURCE_DIR:?GRA_SOURCE_DIR not set}
TMPBASE=${GRA_TEST_TMP:-/tmp}
mkdir -p "$TMPBASE"
T=$(mktemp -d "$TMPBASE/report_ablation.XXXXXX")
FIX=$SRC/tests/data/report/run
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

/usr/bin/python3 "$SRC/tests/python/make_ablation_fixture.py" "$FIX" "$T/ds" || { echo "FAIL: fixture"; exit 1; }
# two students, one far better on two benchmarks (about +25 points)
/usr/bin/python3 - "$T/res.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for b in ("gsm8k", "mmlu"):
        for i in range(400):
            h = (i * 2654435761) % 1000 / 1000
            for st, p in (("strong", 0.80), ("weak", 0.55)):
                f.write(json.dumps({"student": st, "benchmark": b, "id": f"{b}-{i}", "sample": 0,
                                    "train_seed": None, "correct": int(h < p),
                                    "extract_failed": False}) + "\n")
EOF
dsargs=()
for f in "$T"/ds/*.stats.json; do dsargs+=(--dataset "${f%.stats.json}.jsonl"); done

if "$GRA_BIN" report --results "$T/res.jsonl" "${dsargs[@]}" --out "$T/r1" --bootstrap 500 2>"$T/err1"; then
    ok "report over the grid"
    /usr/bin/python3 - "$T/r1" "$T/ds/cells.json" <<'EOF' && ok "curves: one factor each, committee acceptance, sorted x, no student column" || bad "ablation curves"
import json, os, sys
out, cells = sys.argv[1], json.load(open(sys.argv[2]))
s = json.load(open(os.path.join(out, "summary.json")))
COORDS = ["n_reviewers", "n_models", "role_policy", "aggregation", "instruction_checks", "rounds"]
grid = {d["name"]: d["grid"] for d in s["datasets"]}
for d in s["datasets"]:  # the committee's acceptance from the stats counts
    ca = d["committee_acceptance"]
    assert abs(ca["rate"] - cells[d["name"]]["committee_acceptance"]) < 1e-12, (d["name"], ca)
    assert ca["source"] == "stats"
figs = {f["name"]: f for f in s["figures"] if f["name"].startswith("ablation_")}
expect = {  # param -> curves (sets of datasets)
    "n_reviewers": [{"g_m3_r1", "g_m3_r2"}, {"g_m5_r1", "g_m5_r1_rep", "g_m5_r2", "g_m5_r3"}],
    "n_models": [{"g_m3_r1", "g_m5_r1", "g_m5_r1_rep"}, {"g_m3_r2", "g_m5_r2"}],
    "role_policy": [{"g_m5_r3", "p_fixed"}],
    "aggregation": [{"g_m5_r3", "a_majority", "a_none"}],
}
assert set(figs) == {f"ablation_gra_{p}" for p in expect}, sorted(figs)
for p, want in expect.items():
    f = figs[f"ablation_gra_{p}"]
    cols = f["data"]["columns"]
    assert "student_macro_accuracy_pct" not in cols, cols
    rows = [dict(zip(cols, r)) for r in f["data"]["rows"]]
    curves = {}
    for r in rows:
        curves.setdefault(r["curve"], []).append(r)
    got = sorted((sorted(r["dataset"] for r in c) for c in curves.values()))
    assert got == sorted(sorted(w) for w in want), (p, got)
    for c in curves.values():
        names = [r["dataset"] for r in c]
        for k in COORDS:  # every other coordinate equal along a curve
            if k != p:
                assert len({json.dumps(grid[n].get(k)) for n in names}) == 1, (p, k, names)
        assert len({json.dumps(grid[n][p]) for n in names}) >= 2, (p, names)
        xs = [r["x"] for r in c]
        assert xs == sorted(xs), (p, xs)
        if p in ("n_reviewers", "n_models"):
            assert xs == [grid[n][p] for n in names], (p, xs)
        for r in c:
            assert abs(r["committee_acceptance"] - cells[r["dataset"]]["committee_acceptance"]) < 1e-12
            assert abs(r["kept_per_generated"] - cells[r["dataset"]]["kept_per_generated"]) < 1e-12
            if p != "aggregation":
                assert grid[r["dataset"]]["aggregation"] != "none"
    cap = f["caption"]
    assert "accepted / reviewed" in cap and "held fixed" in cap, cap
    for ext in ("tsv", "svg"):
        text = open(os.path.join(out, f[ext])).read()
        assert "NaN" not in text, f[ext]
    tsv = open(os.path.join(out, f["tsv"])).read()
    assert "student" not in tsv.splitlines()[0]
# kept/generated is the same for cells whose committee acceptance differs: it is not what is plotted
kg = {round(c["kept_per_generated"], 9) for n, c in cells.items() if n.startswith("g_m") and "r3" not in n}
assert len(kg) == 1
text = open(os.path.join(out, "summary.json")).read()
assert "NaN" not in text
EOF
    /usr/bin/python3 - "$T/r1/summary.json" <<'EOF' && ok "macro and per-benchmark verdicts: one rule; +25 points is superior" || bad "verdicts"
import json, math, sys
s = json.load(open(sys.argv[1]))

def rule(eq, ni, lo, hi):
    lo = -math.inf if lo is None else lo
    hi = math.inf if hi is None else hi
    if eq:
        return "equivalent, significantly higher" if lo > 0 else "equivalent, significantly lower" if hi < 0 else "equivalent"
    if lo > 0:
        return "superior"
    if ni:
        return "non-inferior, significantly lower" if hi < 0 else "non-inferior"
    return "inferior" if hi < 0 else "inconclusive"

for c in s["comparisons"]:
    want = rule(c["tost"]["equivalent"], c["noninferiority"]["noninferior"], *c["ci"])
    assert c["verdict"] == want, (c["benchmark"], c["verdict"], want)
    sign = 1 if c["a"] == "strong" else -1
    assert c["verdict"] == ("superior" if sign > 0 else "inferior"), c["verdict"]
assert s["macro_comparisons"], "no macro comparison"
for m in s["macro_comparisons"]:
    want = rule(m["tost"]["equivalent"], m["noninferior"], *m["ci"])
    assert m["verdict"] == want, (m["verdict"], want)
    lo, hi = m["ci"]
    if m["a"] == "strong":
        assert lo > m["tost"]["margin"] and m["noninferior"], m
        assert m["verdict"] == "superior", m["verdict"]
EOF
else
    bad "report over the grid failed: $(head -3 "$T/err1")"
fi

# a student mapped to a dataset: its macro accuracy gets a panel
cat >"$T/cfg.json" <<'EOF'
{"report": {"student_datasets": {"strong": "g_m5_r1", "weak": "g_m5_r2"}}}
EOF
if "$GRA_BIN" report --results "$T/res.jsonl" "${dsargs[@]}" --config "$T/cfg.json" --out "$T/r2" --bootstrap 200 2>"$T/err2"; then
    /usr/bin/python3 - "$T/r2/summary.json" <<'EOF' && ok "student accuracy panel when a student maps to a dataset" || bad "student panel"
import json, sys
s = json.load(open(sys.argv[1]))
f = {f["name"]: f for f in s["figures"]}["ablation_gra_n_reviewers"]
cols = f["data"]["columns"]
assert "student_macro_accuracy_pct" in cols
rows = [dict(zip(cols, r)) for r in f["data"]["rows"]]
acc = {m["student"]: 100 * m["accuracy"] for m in s["macro"]}
got = {r["dataset"]: r["student_macro_accuracy_pct"] for r in rows}
assert got["g_m5_r1"] is not None and got["g_m5_r2"] is not None and got["g_m3_r1"] is None, got
assert abs(got["g_m5_r1"] - acc["strong"]) < 1e-9 and abs(got["g_m5_r2"] - acc["weak"]) < 1e-9, (got, acc)
assert "Bottom: macro accuracy" in f["caption"]
EOF
    grep -q "layout 3,1" "$T/r2/figures/ablation_gra_n_reviewers.gp" && ok "three panels" || bad "no student panel in the script"
    # every figure present and every gnuplot plot group of every panel draws data
    /usr/bin/python3 "$SRC/tests/python/check_render.py" html "$T/r2" >"$T/render.out" &&
        ok "report.html: every ablation panel plots data" || bad "render check: $(grep FAIL "$T/render.out" | head -3)"
else
    bad "report with student_datasets failed: $(head -3 "$T/err2")"
fi

# figure layout: forest-plot labels fit the left margin; many benchmarks with long
# names get a wider canvas or rotated labels on the accuracy figure
/usr/bin/python3 - "$T/many.jsonl" <<'EOF'
import json, sys
names = ["gsm8k", "math500", "humaneval", "mbpp", "mmlu", "arc_challenge", "truthfulqa_mc1",
         "hellaswag", "bbh_logical_deduction", "ifeval", "gpqa_diamond", "mmlu_pro_engineering",
         "winogrande", "piqa"]
with open(sys.argv[1], "w") as f:
    for b in names:
        for i in range(40):
            for st in ("student-alpha-with-a-long-name-8b", "student-beta-8b"):
                f.write(json.dumps({"student": st, "benchmark": b, "id": f"{b}-{i}",
                                    "correct": int((i * 7 + len(st) + len(b)) % 3 == 0)}) + "\n")
EOF
if "$GRA_BIN" report --results "$T/many.jsonl" --out "$T/many" --bootstrap 100 --no-plots 2>"$T/err3"; then
    /usr/bin/python3 - "$T/many" <<'EOF' && ok "forest lmargin fits its labels; accuracy x labels do not overlap" || bad "figure layout"
import json, os, re, sys
out = sys.argv[1]
s = json.load(open(os.path.join(out, "summary.json")))
gp = open(os.path.join(out, "figures/forest.gp")).read()
labels = [f'{c["benchmark"]}: {c["a"]} - {c["b"]}' for c in s["comparisons"]]
lm = int(re.search(r"set lmargin (\d+)", gp).group(1))
assert lm >= max(map(len, labels)), (lm, max(map(len, labels)))
w = int(re.search(r"set terminal svg size (\d+),", gp).group(1))
assert w - 8 * lm >= 600, (w, lm)  # room left for the plot itself
gp = open(os.path.join(out, "figures/accuracy.gp")).read()
w = int(re.search(r"set terminal svg size (\d+),", gp).group(1))
bench = sorted({o["benchmark"] for o in s["accuracy"]}, key=len)
per = (w - 300) / len(bench)  # pixels per benchmark left after the key and margins
assert "rotate by" in gp or per >= 7.5 * len(bench[-1]), (w, per, len(bench[-1]))
EOF
else
    bad "report with many benchmarks failed: $(head -3 "$T/err3")"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
