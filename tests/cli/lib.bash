# lib.bash: what the CLI tests share (not a test itself: CMake registers tests/cli/*.sh). Source it, then call cli_begin NAME:
#
#     . "$(dirname "$0")/lib.bash"
#     cli_begin eval_foo          # GRA, TMP (removed on exit), pass/fail counters
#     ... ok "what held" / bad "what broke" "$output"
#     cli_end                     # "eval_foo: N passed, M failed"; status 0 iff none failed
#
# The closing line is the plain "N passed, M failed" summary CI reads.

cli_begin() {
    CLI_NAME=$1
    GRA=${GRA_BIN:-}
    if [ -z "$GRA" ] || [ ! -x "$GRA" ]; then
        echo "$CLI_NAME: GRA_BIN is not set to the built gra binary (got '${GRA}')" >&2
        exit 1
    fi
    TMP=${GRA_TEST_TMP:-/tmp}/$CLI_NAME.$$
    mkdir -p "$TMP"
    trap 'rm -rf "$TMP"' EXIT
    pass=0
    fail=0
}

ok() { pass=$((pass + 1)); echo "ok   $1"; }

# bad WHAT [OUTPUT]: count a failure, show the output indented
bad() {
    fail=$((fail + 1))
    echo "FAIL $1"
    [ -n "${2:-}" ] && sed 's/^/     | /' <<<"$2"
    return 0
}

cli_end() {
    echo "$CLI_NAME: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
