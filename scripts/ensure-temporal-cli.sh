#!/usr/bin/env bash
# Prints the path of a `temporal` CLI, building it from source when none is around.
# Order: $TEMPORAL_CLI, `temporal` on PATH, the project-local .tools/bin (git-ignored), then the
# per-user cache (~/.cache/refinery), so fresh clones on the same machine reuse one build.
# v1.5.1 is pinned: later CLI versions carry a `replace` directive and cannot be `go install`ed.
set -euo pipefail
version=v1.5.1
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_bin="$root/.tools/bin/temporal"
cache_bin="${XDG_CACHE_HOME:-$HOME/.cache}/refinery/temporal-$version/temporal"

if [ -n "${TEMPORAL_CLI:-}" ]; then
  [ -x "$TEMPORAL_CLI" ] || { echo "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2; exit 1; }
  echo "$TEMPORAL_CLI"; exit 0
fi
if found="$(command -v temporal 2>/dev/null)"; then echo "$found"; exit 0; fi
if [ -x "$local_bin" ]; then echo "$local_bin"; exit 0; fi

if [ ! -x "$cache_bin" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "No temporal CLI found (TEMPORAL_CLI, PATH, $local_bin, $cache_bin) and no Go toolchain to build it." >&2
    echo "Install Go, or set TEMPORAL_CLI to a temporal $version binary." >&2
    exit 1
  fi
  echo "Building the temporal CLI $version from source (a few minutes, once per machine)..." >&2
  mkdir -p "$(dirname "$cache_bin")"
  if ! GOBIN="$(dirname "$cache_bin")" go install "github.com/temporalio/cli/cmd/temporal@$version" >&2; then
    echo "go install github.com/temporalio/cli/cmd/temporal@$version failed; see the output above." >&2
    exit 1
  fi
fi
mkdir -p "$(dirname "$local_bin")"
ln -sf "$cache_bin" "$local_bin"
echo "$local_bin"
