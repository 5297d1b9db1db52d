#!/bin/bash
# report_render: build a report from the fixture run (tests/data/report/run:
# three students x three benchmarks, three datasets with reviews), check its
# files, then open report.html in headless Chromium, take a screenshot and
# fail on a missing image, an empty plot or a blank page.
# Chromium is installed with apt-get when absent; under CI=true the test
# fails rather than skip if it still cannot render.
set -u
GRA_BIN=${GRA_BIN:?GRA_BIN not set}
SRC=${GRA_SOURCE_DIR:?GRA_SOURCE_DIR not set}
TMPBASE=${GRA_TEST_TMP:-/tmp}
mkdir -p "$TMPBASE"
T=$(mktemp -d "$TMPBASE/report_render.XXXXXX")
PY=/usr/bin/python3
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ] && rm -rf "$T"
    [ "$fail" -eq 0 ]
    exit $?
}

OUT=$T/report
if "$GRA_BIN" report "$SRC/tests/data/report/run" --out "$OUT" 2>"$T/stderr"; then
    ok "gra report on the fixture run"
else
    bad "gra report exited $?: $(cat "$T/stderr")"
    finish
fi
for f in report.md report.html summary.json; do
    [ -s "$OUT/$f" ] && ok "$f written" || bad "$f missing"
done
if $PY "$SRC/tests/python/check_render.py" html "$OUT"; then ok "report.html structure"; else bad "report.html structure"; fi
# the empty-plot detector must catch an empty plot (titled series, no data)
printf 'set terminal svg noenhanced\nset output "%s"\nset xrange [0:1]\nset yrange [0:1]\nset key outside\nplot NaN with linespoints title "a", NaN with yerrorbars title "b", NaN with boxes title "c"\n' "$T/empty.svg" >"$T/empty.gp"
if gnuplot "$T/empty.gp" 2>/dev/null && [ -s "$T/empty.svg" ]; then
    if $PY "$SRC/tests/python/check_render.py" svg "$T/empty.svg" >/dev/null; then
        bad "the empty-plot detector accepts an empty plot"
    else
        ok "the empty-plot detector rejects an empty plot"
    fi
else
    bad "gnuplot could not draw the empty test plot"
fi

# the comparisons contract of summary.json
if $PY - "$OUT/summary.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
c = s["comparisons"]
assert len(c) == 9, f"expected 9 comparisons (3 pairs x 3 benchmarks), got {len(c)}"
for o in c:
    for k in ("benchmark", "a", "b", "n", "diff", "ci", "mcnemar_p", "tost"):
        assert k in o, f"comparison lacks {k}"
    assert len(o["ci"]) == 2 and o["ci"][0] <= o["diff"] <= o["ci"][1], o
    for k in ("margin", "p", "equivalent"):
        assert k in o["tost"], f"tost lacks {k}"
    assert o["tost"]["margin"] == 2.0, "margin from the fixture config (report.margin = 2)"
assert s["simulated"] is True
m = [o for o in c if o["benchmark"] == "mmlu" and o["b"] == "large-72b"]
assert all(o["only_a"] == 6 and len(o["only_a_ids"]) == 5 for o in m), "unpaired mmlu items reported"
assert len(s["published"]["avg_mismatches"]) == 10
assert len(s["lineage"]["inputs"]) >= 10 and all(len(i["sha256"]) == 64 for i in s["lineage"]["inputs"])
EOF
then ok "summary.json contract"; else bad "summary.json contract"; fi

# headless Chromium
CHROME=""
for c in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
    [ -x "$c" ] && CHROME=$c && break
done
if [ -z "$CHROME" ]; then
    echo "chromium not found: installing it with apt-get"
    if [ "$(id -u)" = 0 ]; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$T/apt.log" 2>&1
    else
        (sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$T/apt.log" 2>&1
    fi
    [ -x /usr/bin/chromium ] && CHROME=/usr/bin/chromium
fi
if [ -z "$CHROME" ]; then
    if [ "${CI:-}" = true ]; then
        bad "CI=true and chromium cannot be installed (see $T/apt.log): cannot render report.html"
    else
        echo "SKIP: chromium is not installed and could not be installed: screenshot check skipped (CI=true makes this a failure)"
    fi
    finish
fi
PROFILE=$(mktemp -d "$T/chrome.XXXXXX")
SHOT=$T/report.png
timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$PROFILE" --screenshot="$SHOT" --window-size=1280,4000 \
    "file://$OUT/report.html" >"$T/chrome.log" 2>&1
if [ -s "$SHOT" ]; then
    ok "chromium screenshot $SHOT"
    if $PY "$SRC/tests/python/check_render.py" png "$SHOT"; then ok "screenshot not blank"; else bad "screenshot blank"; fi
    # and the blank-page detector must reject a blank page of the same size
    printf 'set terminal pngcairo size 1280,4000\nset output "%s"\nunset border\nunset tics\nunset key\nset xrange [0:1]\nset yrange [0:1]\nplot NaN\n' "$T/blank.png" >"$T/blank.gp"
    if gnuplot "$T/blank.gp" 2>/dev/null && ! $PY "$SRC/tests/python/check_render.py" png "$T/blank.png" >/dev/null; then
        ok "the blank-page detector rejects a blank page"
    else
        bad "the blank-page detector accepts a blank page"
    fi
    # keep the screenshot where CI can pick it up
    cp "$SHOT" "$TMPBASE/report_render_screenshot.png" && echo "screenshot: $TMPBASE/report_render_screenshot.png"
else
    bad "chromium produced no screenshot: $(tail -5 "$T/chrome.log")"
fi
finish
