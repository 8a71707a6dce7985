#!/usr/bin/env bash
# The local stack on embedded defaults: a Temporal dev server (SQLite under data/, Web UI on :8233,
# the search attributes registered), the worker and the HTTP gateway. Once all of them answer it
# prints the page's and the Web UI's addresses; the worker's and the gateway's logs follow, one
# readable line per event in a terminal, JSON lines when redirected. A process that dies is restarted
# and said so (scripts/supervise.sh, as in `make start-production-like`); Ctrl-C stops everything.
# Settings come from the environment (see docs/configuration.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p data
temporal="$(bash scripts/ensure-temporal-cli.sh)"
port="${TEMPORAL_PORT:-7233}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:$port}"

stack_name="local stack"
source "$root/scripts/supervise.sh"

ui_port="${TEMPORAL_UI_PORT:-8233}"
codec=()
# Encrypted payloads (off unless PAYLOAD_ENCRYPTION_KEYS is set): the dev server's Web UI decodes them
# through the gateway's /codec. That UI signs nobody in, so it sends no credential: /codec runs without
# authentication here (loopback only; the gateway refuses it elsewhere and in production).
if [ -n "${PAYLOAD_ENCRYPTION_KEYS:-}" ]; then
  codec=(--ui-codec-endpoint "http://localhost:${GATEWAY_PORT:-8080}/codec")
  export CODEC_CORS_ORIGINS="${CODEC_CORS_ORIGINS:-http://localhost:$ui_port}"
  export CODEC_AUTH_DISABLED="${CODEC_AUTH_DISABLED:-true}"
fi

# The server settings Refinery relies on, the production server's (deploy/temporal/dynamicconfig).
flags="$(node scripts/dynamic-config-flags.js)"
mapfile -t dynamic_config <<<"$flags"
# Restarting it is safe: its state is the SQLite file.
: >data/temporal.log
launch temporal-dev-server data/temporal.log \
  "$temporal" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" ${codec[@]+"${codec[@]}"} \
  --db-filename data/temporal.sqlite \
  --sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=NORMAL \
  "${dynamic_config[@]}" \
  --search-attribute RefinementStage=Keyword --search-attribute UserId=Keyword \
  --log-level warn
echo "Temporal dev server starting on $TEMPORAL_ADDRESS (log: data/temporal.log)"
for _ in $(seq 1 60); do
  "$temporal" operator namespace describe --address "$TEMPORAL_ADDRESS" default >/dev/null 2>&1 && break
  sleep 1
done

# Compiled JavaScript, rebuilt first when src/ changed since the last build (the workflow bundle
# is prebuilt into dist/ by the same build, and the worker loads it from there).
node scripts/build.js --if-stale

# The worker is a version of the Worker Deployment (its build id is the hash of the workflow bundle)
# and each refinement runs to its end on the version it started on. One worker here, replaced by each
# rebuild: it makes its version the one new refinements start on (`refinery deploy status` shows them).
launch worker - env WORKER_BECOME_CURRENT="${WORKER_BECOME_CURRENT:-always}" node dist/worker/main.js
launch gateway - node dist/gateway/main.js

# Up means: a worker polls the workflow task queue and the gateway answers /readyz. The port is
# tried before /readyz, so that waiting adds no more than a line or two to the gateway's log.
gateway_port="${GATEWAY_PORT:-8080}"
gateway_url="http://localhost:$gateway_port"
task_queue="${TEMPORAL_TASK_QUEUE:-concept-refinement}"
stack_is_up() {
  "$temporal" task-queue describe --address "$TEMPORAL_ADDRESS" --task-queue "$task_queue" -o json 2>/dev/null \
    | grep -q '"identity"' || return 1
  (exec 3<>"/dev/tcp/127.0.0.1/$gateway_port") 2>/dev/null || return 1
  curl -fs -o /dev/null "$gateway_url/readyz"
}
up=0
for _ in $(seq 1 240); do
  stack_is_up && { up=1; break; }
  if dead="$(first_dead)"; then echo "the local stack did not start: $dead stopped (see the lines above)" >&2; exit 1; fi
  sleep 0.5
done
[ "$up" = 1 ] || echo "the stack is still not ready after 2 minutes (see the lines above); it keeps trying" >&2

[ ${#codec[@]} -gt 0 ] && echo "Payloads are encrypted; the Web UI decodes them through ${codec[1]}"
echo
echo "  Web page:         $gateway_url/"
echo "  Temporal Web UI:  http://localhost:$ui_port"
echo "  CLI:              refinery --help"
echo "  Worker build:     $(cat dist/workflow-bundle.js.build-id 2>/dev/null || echo '?') (refinery deploy status)"
echo "  Ctrl-C stops the stack."
echo
supervise
