#!/usr/bin/env bash
# Installs everything ledgerlake needs on a stock Debian 12 machine (run as root, or with sudo available):
# the Debian -dev packages, and DuckDB 1.4.4 (library from the npm package @duckdb/node-bindings-linux-x64,
# header from the npm package duckdb) into third_party/duckdb, which git ignores. Idempotent and quiet when done.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

pkgs=(build-essential cmake ninja-build pkg-config git ca-certificates
      libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev zlib1g-dev libsqlite3-dev
      libgtest-dev libgmock-dev libbenchmark-dev libabsl-dev libssl-dev
      libcpp-httplib-dev libyaml-cpp-dev prometheus-cpp-dev
      prometheus)  # prometheus: only its promtool, which the service tests check /metrics with
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm usually comes with Node.js (nodesource on these images); Debian's own npm only when it is absent.
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

DUCK_VERSION=1.4.4
DUCK_BINDINGS="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
dest="$here/third_party/duckdb"
if [ ! -f "$dest/lib/libduckdb.so" ] || [ ! -f "$dest/include/duckdb.h" ] || \
   [ "$(cat "$dest/VERSION" 2>/dev/null)" != "$DUCK_VERSION" ]; then
  echo "setup: fetching DuckDB $DUCK_VERSION from npm" >&2
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$DUCK_BINDINGS" "duckdb@$DUCK_VERSION" >/dev/null)
  mkdir -p "$tmp/b" "$tmp/h"
  tar -xzf "$tmp"/duckdb-node-bindings-linux-x64-*.tgz -C "$tmp/b"
  tar -xzf "$tmp"/duckdb-"$DUCK_VERSION".tgz -C "$tmp/h" package/src/duckdb/src/include/duckdb.h
  rm -rf "$dest" && mkdir -p "$dest/lib" "$dest/include"
  cp "$(find "$tmp/b" -name libduckdb.so | head -1)" "$dest/lib/libduckdb.so"
  cp "$tmp/h/package/src/duckdb/src/include/duckdb.h" "$dest/include/duckdb.h"
  echo "$DUCK_VERSION" > "$dest/VERSION"
fi
