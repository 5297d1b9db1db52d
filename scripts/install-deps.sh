#!/usr/bin/env bash
# Install the Debian 12 packages gra needs, only those missing.
# Usage: scripts/install-deps.sh [--test]   (--test adds what the test suite needs)
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcurl4-openssl-dev libcjson-dev libgsl-dev
      libsqlite3-dev libssl-dev libmicrohttpd-dev zlib1g-dev libcmocka-dev gnuplot-nox
      fonts-dejavu-core python3 ca-certificates)
if [ "${1:-}" = "--test" ]; then
    pkgs+=(python3-scipy chromium nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
    # nodejs/npm may come from elsewhere (e.g. a preinstalled Node): accept the command
    case "$p" in
        nodejs) command -v node >/dev/null 2>&1 && continue ;;
        npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present"
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
