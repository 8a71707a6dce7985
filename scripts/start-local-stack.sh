#!/usr/bin/env bash
# The local stack on embedded defaults: a Temporal dev server (SQLite under data/, Web UI on :8233,
# the search attributes registered), the worker and the HTTP gateway. Ctrl-C stops everything.
# Settings come from the environment (see the README's configuration table).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p data
temporal="$(bash scripts/ensure-temporal-cli.sh)"
port="${TEMPORAL_PORT:-7233}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:$port}"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "stopping the local stack..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap cleanup INT TERM EXIT

"$temporal" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "${TEMPORAL_UI_PORT:-8233}" \
  --db-filename data/temporal.sqlite \
  --sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=NORMAL \
  --search-attribute RefinementStage=Keyword --search-attribute UserId=Keyword \
  --log-level warn >data/temporal.log 2>&1 &
pids+=($!)
echo "Temporal dev server starting on $TEMPORAL_ADDRESS (log: data/temporal.log)"
for _ in $(seq 1 60); do
  "$temporal" operator namespace describe --address "$TEMPORAL_ADDRESS" default >/dev/null 2>&1 && break
  sleep 1
done

# Compiled JavaScript, rebuilt first when src/ changed since the last build (the workflow bundle
# is prebuilt into dist/ by the same build, and the worker loads it from there).
node scripts/build.js --if-stale

node dist/worker/main.js &
pids+=($!)
node dist/client/gateway/main.js &
pids+=($!)

echo "Web UI: http://localhost:${TEMPORAL_UI_PORT:-8233}   (Ctrl-C stops the stack)"
wait -n
