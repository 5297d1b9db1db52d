#!/usr/bin/env bash
# synth_e2e: `gra synth` end to end on serve-sim (tests/data/synth/synth-test.json:
# a 2-round GRA dataset, the large-model baseline matched to its count, a
# reliability/majority cell with MinHash dedup, and the seed baseline).
# Checks:
#   - the run succeeds and writes every dataset file, manifest and SIMULATED marks;
#   - every record has the schema fields; rejected records have stage + reason;
#   - determinism: a second run with a fresh run directory and cache gives
#     byte-identical datasets (stats equal except the "runtime" key);
#   - kill -9 at several random moments, then the same command again, equals
#     the uninterrupted run;
#   - the same with the call cache disabled ("cache": null): a resumed run
#     takes enrichment outcomes from the enrichment journal, never re-asks
#     (a tampered journal entry shows up in the output);
#   - --shard 0/2 + --shard 1/2 + --merge (looped until complete) equals one run;
#   - NAME.embeddings.jsonl: one vector per kept record, same ids and order,
#     only for embedding dedup (compared byte for byte like the other files);
#   - --replay of a finished run makes no call and changes nothing.
# Prints "N passed, M failed"; exits 1 on any failure.
set -u

GRA=${GRA_BIN:-}
SRC=${GRA_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -z "$GRA" ] || [ ! -x "$GRA" ]; then
    echo "synth_e2e: GRA_BIN is not set to the built gra binary (got '${GRA}')" >&2
    exit 1
fi
DATA=${GRA_TEST_DATA:-$SRC/../shared/data}
if [ ! -f "$DATA/gsm8k/train.jsonl" ] || [ ! -f "$DATA/self_instruct_seed/seed_tasks.jsonl" ]; then
    echo "synth_e2e: SKIP: seed data not staged under $DATA (need gsm8k/train.jsonl, self_instruct_seed/seed_tasks.jsonl)"
    echo "0 passed, 0 failed"
    exit 0
fi
export GRA_DATA_DIR=$DATA
CFG=$SRC/tests/data/synth/synth-test.json
TMP=${GRA_TEST_TMP:-/tmp}/synth_e2e.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() {
    fail=$((fail + 1))
    echo "FAIL $1"
    [ -n "${2:-}" ] && sed 's/^/     | /' <<<"$2" | head -30
    return 0
}

synth() { "$GRA" --quiet synth "$CFG" "$@"; }

# same DIR_A DIR_B: datasets byte-identical, stats equal without "runtime"
same() {
    python3 - "$1" "$2" <<'PY'
import json, os, sys
a, b = sys.argv[1], sys.argv[2]
da, db = os.path.join(a, "datasets"), os.path.join(b, "datasets")
fa, fb = sorted(os.listdir(da)), sorted(os.listdir(db))
if fa != fb:
    print("different files:", fa, fb); sys.exit(1)
bad = []
for f in fa:
    x = open(os.path.join(da, f), "rb").read()
    y = open(os.path.join(db, f), "rb").read()
    if f.endswith(".stats.json"):
        jx, jy = json.loads(x), json.loads(y)
        jx.pop("runtime", None); jy.pop("runtime", None)
        if jx != jy: bad.append(f)
    elif x != y:
        bad.append(f)
if bad:
    print("differ:", bad); sys.exit(1)
PY
}

# ---- 1. a full run
A=$TMP/a
if out=$(synth --out "$A" 2>&1); then ok "run completes"; else bad "run completes" "$out"; fi
for d in gra large mh seed; do
    for f in "$d.jsonl" "$d.rejected.jsonl" "$d.stats.json"; do
        [ -f "$A/datasets/$f" ] || bad "file datasets/$f exists"
    done
done
[ -f "$A/manifest.json" ] && ok "manifest written" || bad "manifest written"

# ---- 2. the records: schema fields, counts, SIMULATED
if out=$(python3 - "$A" <<'PY' 2>&1
import json, os, sys
run = sys.argv[1]
need = ["id", "dataset", "method", "round", "domain", "keywords", "summary", "instruction",
        "response", "generator", "reviews", "mu", "sigma", "decision", "adjudicator",
        "metadata_writer", "prompt_hashes", "usage", "calls", "simulated"]
domains = {"coding", "math", "question answering", "reasoning", "role-play", "language", "creative writing"}
errs = []
def load(p):
    return [json.loads(l) for l in open(p)]
man = json.load(open(os.path.join(run, "manifest.json")))
if man.get("simulated") is not True: errs.append("manifest not simulated")
for d in ["gra", "large", "mh", "seed"]:
    recs = load(os.path.join(run, "datasets", d + ".jsonl"))
    rej = load(os.path.join(run, "datasets", d + ".rejected.jsonl"))
    st = json.load(open(os.path.join(run, "datasets", d + ".stats.json")))
    if st.get("simulated") is not True: errs.append(d + ": stats not simulated")
    if st["counts"]["kept"] != len(recs): errs.append(d + ": counts.kept != records")
    if not recs: errs.append(d + ": no records")
    ids = set()
    for r in recs:
        for k in need:
            if k not in r: errs.append("%s %s: missing %s" % (d, r.get("id"), k))
        if r["simulated"] is not True: errs.append(d + ": record not simulated")
        if r["domain"] not in domains: errs.append("%s: bad domain %r" % (r["id"], r["domain"]))
        if not (isinstance(r["keywords"], list) and len(r["keywords"]) == 3): errs.append(r["id"] + ": keywords")
        if r["id"] in ids: errs.append(r["id"] + ": duplicate id")
        ids.add(r["id"])
        if d in ("gra", "large"):
            if r["decision"] not in ("accepted", "adjudicated_kept"): errs.append(r["id"] + ": decision " + str(r["decision"]))
            if len(r["reviews"]) != 3: errs.append(r["id"] + ": reviews")
            u = r["usage"]
            if u["generator"]["calls"] < 3 or u["reviewer"]["calls"] < 6 or u["metadata"]["calls"] < 1:
                errs.append(r["id"] + ": usage %r" % u)
            steps = [c["step"] for c in r["calls"]]
            if steps[:3] != ["keywords", "instruction", "response"] or steps[-1] != "metadata":
                errs.append(r["id"] + ": call log order %r" % steps)
            if (r["adjudicator"] is not None) != ("adjudicate" in steps): errs.append(r["id"] + ": adjudicator call")
            for rv in r["reviews"]:
                if len(rv["scores"]) != 6 or not all(0 <= v <= 10 for v in rv["scores"].values()): errs.append(r["id"] + ": scores")
                if set(rv["checks"]) != {"reasonable", "complete", "clear"}: errs.append(r["id"] + ": checks")
            if r["mu"] < 8 - 1e-9: errs.append(r["id"] + ": kept with mu < tau")
            if r["decision"] == "accepted" and r["sigma"] > 1.5 + 1e-9: errs.append(r["id"] + ": accepted with sigma > delta")
            if r["decision"] == "adjudicated_kept" and (r["adjudicator"] is None or r["adjudicator"]["score"] < 8 - 1e-9): errs.append(r["id"] + ": adjudicator")
            if d == "gra" and r["generator"] in [rv["model"] for rv in r["reviews"]]: errs.append(r["id"] + ": generator reviewed itself")
        if d == "seed" and r["decision"] != "unreviewed": errs.append(r["id"] + ": seed decision")
    for r in rej:
        if not r.get("stage") or not r.get("reason"): errs.append("%s rejected %s: no stage/reason" % (d, r.get("id")))
        if r.get("simulated") is not True: errs.append(d + ": rejected not simulated")
    if d == "gra":
        if st["dedup_method"] != "embedding": errs.append("gra: dedup_method " + st["dedup_method"])
        if sum(1 for r in rej if r["stage"] in ("review_instruction", "committee", "adjudicate")) == 0:
            errs.append("gra: the committee rejected nothing")
        per = {}
        for r in recs: per[r["round"]] = per.get(r["round"], 0) + 1
        if per != {1: 12, 2: 12}: errs.append("gra: records per round %r" % per)
    if d == "mh" and st["dedup_method"] != "minhash": errs.append("mh: dedup_method " + st["dedup_method"])
    if d == "mh" and "reliability_weights" not in st: errs.append("mh: no reliability weights")
gra = load(os.path.join(run, "datasets", "gra.jsonl"))
large = load(os.path.join(run, "datasets", "large.jsonl"))
if len(large) != len(gra): errs.append("large: %d records, gra %d (match_count)" % (len(large), len(gra)))
for d in ["gra", "large"]:
    ep = os.path.join(run, "datasets", d + ".embeddings.jsonl")
    if not os.path.exists(ep):
        errs.append(d + ": no embeddings file"); continue
    ids = [json.loads(l)["id"] for l in open(os.path.join(run, "datasets", d + ".jsonl"))]
    emb = load(ep)
    if [e["id"] for e in emb] != ids: errs.append(d + ": embeddings ids differ from the records")
    dims = {len(e["embedding"]) for e in emb}
    if len(dims) != 1 or not all(isinstance(x, (int, float)) for e in emb for x in e["embedding"]):
        errs.append(d + ": embedding dims %r" % dims)
    for e in emb[:5]:
        n2 = sum(x * x for x in e["embedding"])
        if abs(n2 - 1) > 1e-3: errs.append("%s %s: sim embedding not unit length (%g)" % (d, e["id"], n2))
for d in ["mh", "seed"]:
    if os.path.exists(os.path.join(run, "datasets", d + ".embeddings.jsonl")):
        errs.append(d + ": embeddings file without embedding dedup")
for r in large:
    if r["generator"] != "sim-qwen-72b": errs.append(r["id"] + ": large generator")
if errs:
    print("\n".join(errs[:40])); sys.exit(1)
PY
); then ok "records follow the schema (ids, reviews, rule, SIMULATED, counts)"; else bad "records follow the schema" "$out"; fi

# ---- 3. determinism with a fresh cache
B=$TMP/b
if out=$(synth --out "$B" 2>&1) && out=$(same "$A" "$B" 2>&1); then
    ok "two fresh runs are byte-identical"
else
    bad "two fresh runs are byte-identical" "$out"
fi

# ---- 4. --replay of the finished run: no misses, same files
if out=$(synth --out "$A" --replay 2>&1) && out=$(same "$A" "$B" 2>&1); then
    ok "--replay over a finished run"
else
    bad "--replay over a finished run" "$out"
fi

# ---- 4b. --replay with a cache that lacks the run's calls: fails, writes no dataset
mkdir -p "$TMP/replay-miss"
cp "$A/cache.sqlite" "$TMP/replay-miss/cache.sqlite"
python3 - "$CFG" "$TMP/replay-miss.json" <<'PY'
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
c = json.load(open(src))
c["seed"] = c.get("seed", 0) + 1  # other samples: other calls, none in the cache
# the copy lives elsewhere: keep its relative paths pointing where the original's do
sm = c.get("sim_models")
fix = lambda p: p if os.path.isabs(p) else os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(src)), p))
if isinstance(sm, str): c["sim_models"] = fix(sm)
elif isinstance(sm, list): c["sim_models"] = [fix(p) for p in sm]
json.dump(c, open(dst, "w"))
PY
out=$("$GRA" --quiet synth "$TMP/replay-miss.json" --out "$TMP/replay-miss" --replay 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "no cache entry" <<<"$out" && [ ! -e "$TMP/replay-miss/datasets/gra.jsonl" ]; then
    ok "--replay fails on a cache miss (exit 1, no dataset written)"
else
    bad "--replay with misses (rc $rc)" "$out"
fi

# ---- 5. kill -9 at random moments, then finish
C=$TMP/c
kills=0
times=""
for k in 1 2 3 4; do
    t=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.1 + 1.5 * r / 32768 }')
    times="$times $t"
    # gra itself in the background (not a shell function: $! must be gra)
    "$GRA" --quiet synth "$CFG" --out "$C" >/dev/null 2>&1 &
    pid=$!
    sleep "$t"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ $? -eq 137 ] && kills=$((kills + 1))
done
# background jobs of a non-interactive shell ignore SIGINT; gra installs its
# own handler, so the signal below still reaches it
if [ $kills -eq 0 ]; then
    bad "kill -9 interrupted a run" "every kill came after the run had finished (times:$times)"
elif out=$(synth --out "$C" 2>&1) && out=$(same "$A" "$C" 2>&1); then
    ok "kill -9 x$kills (after${times} s) then rerun equals the uninterrupted run"
else
    bad "kill -9 x$kills (after${times} s) then rerun equals the uninterrupted run" "$out"
fi

# ---- 5a. the same without a call cache: what survives a kill is the journals
# (samples, enrichment) and checkpoints, nothing is re-asked
python3 - "$CFG" "$SRC/configs/sim-models.json" "$TMP/nocache.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["cache"] = None
c["sim_models"] = sys.argv[2]
json.dump(c, open(sys.argv[3], "w"), indent=1)
PY
N=$TMP/n
kills=0
times=""
for k in 1 2 3; do
    t=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.2 + 1.5 * r / 32768 }')
    times="$times $t"
    "$GRA" --quiet synth "$TMP/nocache.json" --out "$N" >/dev/null 2>&1 &
    pid=$!
    sleep "$t"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ $? -eq 137 ] && kills=$((kills + 1))
done
if [ $kills -eq 0 ]; then
    bad "kill -9 without a cache interrupted a run" "every kill came after the run had finished (times:$times)"
elif [ -e "$N/cache.sqlite" ]; then
    bad "kill -9 without a cache" "a cache file was written"
elif out=$("$GRA" --quiet synth "$TMP/nocache.json" --out "$N" 2>&1) && out=$(same "$A" "$N" 2>&1); then
    ok "\"cache\": null, kill -9 x$kills (after${times} s) then rerun equals the uninterrupted run"
else
    bad "\"cache\": null, kill -9 x$kills then rerun equals the uninterrupted run" "$out"
fi
# the enrichment journal is the source of truth on resume: tamper with one
# outcome, drop the wave checkpoints, rerun without a cache
T=$TMP/t
cp -r "$N" "$T"
rm -f "$T"/datasets/gra.* "$T"/state/gra/step-000[1-9].json "$T"/state/gra/step-000[1-9].emb
if out=$(python3 - "$T/state/gra" <<'PY' 2>&1
import glob, json, os, sys
fs = sorted(glob.glob(os.path.join(sys.argv[1], "enrich-*.jsonl")))
if not fs: print("no enrichment journal written"); sys.exit(1)
lines = open(fs[0]).read().splitlines()
for i, l in enumerate(lines):
    e = json.loads(l)
    if e["ok"]:
        e["summary"] = "TAMPERED-BY-SYNTH-E2E"
        lines[i] = json.dumps(e, separators=(",", ":"))
        break
else:
    print("no successful enrichment in " + fs[0]); sys.exit(1)
open(fs[0], "w").write("\n".join(lines) + "\n")
PY
) && out=$("$GRA" --quiet synth "$TMP/nocache.json" --out "$T" 2>&1) &&
    [ "$(grep -c TAMPERED-BY-SYNTH-E2E "$T/datasets/gra.jsonl")" = 1 ]; then
    ok "a resumed run takes enrichment from its journal (not re-asked)"
else
    bad "a resumed run takes enrichment from its journal (not re-asked)" "$out"
fi

# ---- 5b. SIGINT: exit 130, then the same command finishes equal
I=$TMP/i
"$GRA" --quiet synth "$CFG" --out "$I" >/dev/null 2>"$TMP/int.err" &
pid=$!
sleep 0.6
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
if [ $rc -eq 130 ] || [ $rc -eq 0 ]; then  # 0: it finished before the signal
    if out=$(synth --out "$I" 2>&1) && out=$(same "$A" "$I" 2>&1); then
        ok "SIGINT (exit $rc) then rerun equals the uninterrupted run"
    else
        bad "SIGINT then rerun equals the uninterrupted run" "$out"
    fi
else
    bad "SIGINT exits 130" "exit $rc: $(cat "$TMP/int.err")"
fi

# ---- 6. shards + merge
S=$TMP/s
status=pending
rounds=0
err=""
while [ "$status" != complete ] && [ $rounds -lt 40 ]; do
    rounds=$((rounds + 1))
    "$GRA" --quiet synth "$CFG" --out "$S" --shard 0/2 >/dev/null 2>"$TMP/s0.err" &
    p0=$!
    synth --out "$S" --shard 1/2 >/dev/null 2>"$TMP/s1.err"
    r1=$?
    wait $p0
    r0=$?
    if [ $r0 -ne 0 ] || [ $r1 -ne 0 ]; then err="shard failed: $(cat "$TMP/s0.err" "$TMP/s1.err")"; break; fi
    m=$("$GRA" --quiet synth --merge "$S" 2>"$TMP/m.err") || { err="merge failed: $(cat "$TMP/m.err")"; break; }
    status=$(sed -n 's/^status: //p' <<<"$m")
done
if [ -z "$err" ] && [ "$status" = complete ] && out=$(same "$A" "$S" 2>&1); then
    ok "shard 0/2 + 1/2 + merge ($rounds passes) equals one run"
else
    bad "shard 0/2 + 1/2 + merge equals one run" "${err:-$out} (status $status after $rounds passes)"
fi

# ---- 7. a changed config refuses the old state
sed -e 's/"per_round": 12/"per_round": 13/' -e "s|../../../configs/sim-models.json|$SRC/configs/sim-models.json|" "$CFG" >"$TMP/changed.json"
if "$GRA" --quiet synth "$TMP/changed.json" --out "$A" >/dev/null 2>"$TMP/chg.err"; then
    bad "a changed config refuses to resume old state" "it ran"
elif grep -q "different configuration" "$TMP/chg.err"; then
    ok "a changed config refuses to resume old state"
else
    bad "a changed config refuses to resume old state" "$(cat "$TMP/chg.err")"
fi

# ---- 8. config errors name the file and field
cat >"$TMP/badcfg.json" <<JSON
{"models": {"m": {"endpoint": "sim"}}, "synth": {"datasets": {"x": {"method": "gra", "models": ["m", "nope"], "tau": 11, "seeds": {"files": ["gsm8k/train.jsonl"]}}}}}
JSON
"$GRA" --quiet synth "$TMP/badcfg.json" --out "$TMP/bad" >/dev/null 2>"$TMP/bad.err"
rc=$?
if [ $rc -eq 3 ] && grep -q "synth.datasets.x" "$TMP/bad.err" && grep -q "tau" "$TMP/bad.err" && grep -q "nope" "$TMP/bad.err"; then
    ok "config errors: exit 3, file + path + field"
else
    bad "config errors: exit 3, file + path + field" "rc $rc: $(cat "$TMP/bad.err")"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
