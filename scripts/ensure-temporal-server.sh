#!/usr/bin/env bash
# Prints the folder holding the production Temporal server (`temporal-server`) and its schema tool
# (`temporal-sql-tool`), built from the Go module proxy at one pinned version and cached per machine
# (~/.cache/refinery), like the temporal CLI. The schema files of the same version are in the module
# cache; `schema-dir` prints their folder instead. $TEMPORAL_SERVER_BIN_DIR overrides the folder.
# v1.29.2: the last 1.29 patch; 1.30+ need a newer Go than these machines have.
set -euo pipefail
version=v1.29.2
cache_dir="${TEMPORAL_SERVER_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/refinery/temporal-server-$version}"

ready() { [ -x "$cache_dir/temporal-server" ] && [ -x "$cache_dir/temporal-sql-tool" ]; }

build() {
  command -v go >/dev/null 2>&1 || { echo "No Go toolchain: cannot build the Temporal server $version." >&2; exit 1; }
  mkdir -p "$cache_dir"
  # Several jest runs or engineers may ask at once: one builds, the others wait for it.
  exec 9>"$cache_dir/.build.lock"
  flock 9
  ready && return 0
  echo "Building the Temporal server $version and its sql tool (a few minutes, once per machine)..." >&2
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
  GOBIN="$work" go install "go.temporal.io/server/cmd/server@$version" >&2
  GOBIN="$work" go install "go.temporal.io/server/cmd/tools/sql@$version" >&2
  # Moved in only when both exist, so a half-finished build is never taken for a finished one.
  mv "$work/sql" "$cache_dir/temporal-sql-tool"
  mv "$work/server" "$cache_dir/temporal-server"
}

ready || build
case "${1:-bin}" in
  bin) echo "$cache_dir" ;;
  schema-dir)
    # The module is in the cache after the build; `go mod download` brings it back if it was cleaned.
    dir="$(go mod download -json "go.temporal.io/server@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
    echo "$dir/schema/postgresql/v12" ;;
  version) echo "$version" ;;
  *) echo "usage: $0 [bin|schema-dir|version]" >&2; exit 2 ;;
esac
