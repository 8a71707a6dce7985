#!/usr/bin/env bash
# Prints the path of SeaweedFS's `weed` binary (the S3-compatible server of the tests), building it
# from the Go module proxy through scripts/go-tools/seaweedfs when the per-machine cache has none.
# About 10 minutes on 2 cores the first time. $WEED overrides.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module="$root/scripts/go-tools/seaweedfs"
version="$(sed -n 's/^require github.com\/seaweedfs\/seaweedfs \(.*\)$/\1/p' "$module/go.mod")"
cache_bin="${XDG_CACHE_HOME:-$HOME/.cache}/refinery/seaweedfs-$version/weed"

if [ -n "${WEED:-}" ]; then
  [ -x "$WEED" ] || { echo "WEED=$WEED is not an executable file" >&2; exit 1; }
  echo "$WEED"; exit 0
fi
if [ ! -x "$cache_bin" ]; then
  command -v go >/dev/null 2>&1 || { echo "No Go toolchain: cannot build SeaweedFS." >&2; exit 1; }
  echo "Building SeaweedFS $version (about 10 minutes, once per machine)..." >&2
  mkdir -p "$(dirname "$cache_bin")"
  # A copy, so the build's go.sum never dirties the work tree (and a read-only checkout works).
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
  cp "$module/go.mod" "$module/tools.go" "$work/"
  [ -f "$module/go.sum" ] && cp "$module/go.sum" "$work/"
  (cd "$work" && go mod tidy >&2 && go build -o "$cache_bin.partial" github.com/seaweedfs/seaweedfs/weed >&2)
  mv "$cache_bin.partial" "$cache_bin"
fi
echo "$cache_bin"
