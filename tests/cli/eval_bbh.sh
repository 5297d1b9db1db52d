#!/usr/bin/env bash
# eval_bbh: `gra eval --benchmark bbh --predictions FILE --data-dir DIR --limit 4`
# on a fake data directory (tests/data/bbh/data: the boolean_expressions test
# file and its cot-prompts file in the upstream layouts; the real BBH data is
# not staged here). Checks the "So the answer is" scoring (strict 1/4,
# flexible 2/4), the group accuracy, and that a missing cot-prompts file is
# reported by name with exit 4.
set -u

. "$(dirname "$0")/lib.bash"
cli_begin eval_bbh
SRC=${GRA_SOURCE_DIR:-}
[ -n "$SRC" ] && [ -d "$SRC/tests/data/bbh" ] || { echo "eval_bbh: GRA_SOURCE_DIR not set" >&2; exit 1; }
command -v python3 >/dev/null || { echo "SKIP eval_bbh: python3 not found"; exit 0; }


D=$SRC/tests/data/bbh/data
P=$SRC/tests/data/bbh/predictions.jsonl
out=$("$GRA" eval --benchmark bbh --predictions "$P" --data-dir "$D" --limit 4 --out "$TMP/o" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "eval bbh predictions (exit 0)" || bad "eval bbh predictions (rc $rc)" "$out"
chk=$(python3 - "$TMP/o" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))["students"]["predictions"]["bbh"]
errs = []
if s["n_items"] != 4: errs.append(f"n_items {s['n_items']}")
if abs(s["strict_accuracy"] - 0.25) > 1e-9: errs.append(f"strict {s['strict_accuracy']}")
if abs(s["flexible_accuracy"] - 0.5) > 1e-9: errs.append(f"flexible {s['flexible_accuracy']}")
if abs(s["groups"]["boolean_expressions"]["accuracy"] - 0.5) > 1e-9: errs.append("group accuracy")
rows = [json.loads(l) for l in open(d + "/results.jsonl")]
if [r["extracted"] for r in rows] != ["True", "False", "True", "I am not sure"]:
    errs.append("extracted " + str([r["extracted"] for r in rows]))
print("\n".join(errs) if errs else "OK")
PY
)
grep -q '^OK$' <<<"$chk" && ok "strict 1/4, flexible 2/4, extracted answers" || bad "summary/results" "$chk"

# without the cot-prompts file: named, exit 4, nothing written
mkdir -p "$TMP/nocot/bbh"
cp "$D/bbh/boolean_expressions.json" "$TMP/nocot/bbh/"
out=$("$GRA" eval --benchmark bbh --predictions "$P" --data-dir "$TMP/nocot" --limit 4 --out "$TMP/o2" 2>&1); rc=$?
[ $rc -eq 4 ] && grep -q "cot-prompts/boolean_expressions.txt is missing" <<<"$out" && [ ! -e "$TMP/o2/summary.json" ] &&
    ok "missing cot-prompts file: named, exit 4" || bad "missing cot-prompts (rc $rc)" "$out"

cli_end
