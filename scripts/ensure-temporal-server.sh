#!/usr/bin/env bash
# Prints the folder holding the production Temporal server (`temporal-server`) and its schema tool
# (`temporal-sql-tool`), built from the Go module proxy at one pinned version and cached per machine
# (~/.cache/refinery), like the temporal CLI. The schema files of the same version are in the module
# cache; `schema-dir` prints their folder instead.
# v1.29.2: the last 1.29 patch; 1.30+ need a newer Go than these machines have.
set -euo pipefail
version=v1.29.2
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/refinery/temporal-server-$version"

build() {
  command -v go >/dev/null 2>&1 || { echo "No Go toolchain: cannot build the Temporal server $version." >&2; exit 1; }
  mkdir -p "$cache_dir"
  echo "Building the Temporal server $version and its sql tool (a few minutes, once per machine)..." >&2
  GOBIN="$cache_dir" go install "go.temporal.io/server/cmd/server@$version" >&2
  GOBIN="$cache_dir" go install "go.temporal.io/server/cmd/tools/sql@$version" >&2
  mv "$cache_dir/server" "$cache_dir/temporal-server"
  mv "$cache_dir/sql" "$cache_dir/temporal-sql-tool"
}

if [ ! -x "$cache_dir/temporal-server" ] || [ ! -x "$cache_dir/temporal-sql-tool" ]; then build; fi
case "${1:-bin}" in
  bin) echo "$cache_dir" ;;
  schema-dir)
    # The module is in the cache after the build; `go mod download` brings it back if it was cleaned.
    dir="$(go mod download -json "go.temporal.io/server@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
    echo "$dir/schema/postgresql/v12" ;;
  version) echo "$version" ;;
  *) echo "usage: $0 [bin|schema-dir|version]" >&2; exit 2 ;;
esac
