#!/usr/bin/env bash
# The deployed topology, natively on this host (`make start-production-like`): the production
# Temporal server on PostgreSQL, SeaweedFS as the S3-compatible image store, two workers that share
# nothing but those services (each its own working directory), and the gateway. The same pieces the
# tests run (deploy/temporal, scripts/temporal-server-schema.sh, scripts/ensure-*.sh); the compose
# stack is the containerised twin. State lives under data/production-like/. Ctrl-C stops everything.
#
# Needs PostgreSQL on 127.0.0.1:5432 (TEMPORAL_SERVER_DB_* and REFINERY_DATABASE_URL override).
# Ports: Temporal 7233 (+ its internal ones, see deploy/temporal/README.md), S3 8333, gateway 8080,
# worker health 8091/8092. Set them through the usual variables when something else uses them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
state="$root/data/production-like"
mkdir -p "$state"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "stopping the production-like stack..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # weed does not always exit on SIGTERM: give everything a grace period, then insist.
  for _ in $(seq 1 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

wait_for() { # <what> <command...>: up to 60 s
  local what="$1"; shift
  for _ in $(seq 1 120); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "$what did not come up; see the logs in $state" >&2
  exit 1
}

# --- Temporal server on PostgreSQL -------------------------------------------------------------------
export TEMPORAL_SERVER_DB="${TEMPORAL_SERVER_DB:-refinery_temporal}"
export TEMPORAL_SERVER_VISIBILITY_DB="${TEMPORAL_SERVER_VISIBILITY_DB:-refinery_temporal_visibility}"
export TEMPORAL_SERVER_DYNAMIC_CONFIG_FILE="$root/deploy/temporal/dynamicconfig/production.yaml"
frontend_port="${TEMPORAL_SERVER_FRONTEND_PORT:-7233}"
temporal_address="127.0.0.1:$frontend_port"
server_bin="$(bash scripts/ensure-temporal-server.sh bin)"
temporal="$(bash scripts/ensure-temporal-cli.sh)"
bash scripts/temporal-server-schema.sh >"$state/temporal-schema.log" 2>&1 \
  || { echo "the Temporal schema step failed; see $state/temporal-schema.log" >&2; exit 1; }
"$server_bin/temporal-server" --root deploy/temporal --config config --env production --allow-no-auth start \
  >"$state/temporal.log" 2>&1 &
pids+=($!)
wait_for "the Temporal server" "$temporal" operator cluster health --address "$temporal_address"
# The real server creates no namespace and no search attributes (they are per namespace).
"$temporal" operator namespace describe --address "$temporal_address" --namespace default >/dev/null 2>&1 \
  || "$temporal" operator namespace create --address "$temporal_address" --namespace default
# A namespace just created is usable after the server's namespace cache refreshes: retry until both exist.
search_attributes_registered() {
  local listed
  listed="$("$temporal" operator search-attribute list --address "$temporal_address" --namespace default 2>/dev/null)" || return 1
  local missing=0
  for attribute in RefinementStage UserId; do
    grep -qw "$attribute" <<<"$listed" && continue
    missing=1
    "$temporal" operator search-attribute create --address "$temporal_address" --namespace default \
      --name "$attribute" --type Keyword >/dev/null 2>&1 || true
  done
  return "$missing"
}
wait_for "the search attributes" search_attributes_registered
echo "Temporal server on PostgreSQL: $temporal_address (log: $state/temporal.log)"

# --- SeaweedFS, the S3-compatible store ---------------------------------------------------------------
weed="$(bash scripts/ensure-seaweedfs.sh)"
s3_port="${S3_PORT:-8333}"
bucket="${S3_BUCKET:-refinery-images}"
identities="$state/s3-identities.json"
if [ ! -f "$identities" ]; then
  # Keys made here, once: this stack's own, kept beside its data.
  key_id="refinery-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  secret="$(head -c 30 /dev/urandom | base64 | tr -d '/+=\n')"
  umask 077
  printf '{"identities":[{"name":"refinery","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","List","Tagging","Write"]}]}\n' \
    "$key_id" "$secret" >"$identities"
  umask 022
fi
export AWS_ACCESS_KEY_ID="$(sed -n 's/.*"accessKey":"\([^"]*\)".*/\1/p' "$identities")"
export AWS_SECRET_ACCESS_KEY="$(sed -n 's/.*"secretKey":"\([^"]*\)".*/\1/p' "$identities")"
mkdir -p "$state/seaweedfs"
master_port="${SEAWEEDFS_MASTER_PORT:-9333}"
"$weed" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$state/seaweedfs" -master.port="$master_port" \
  -volume.port="${SEAWEEDFS_VOLUME_PORT:-8380}" -filer.port="${SEAWEEDFS_FILER_PORT:-8888}" \
  -s3 -s3.port="$s3_port" -s3.config="$identities" -s3.autoCreateBucket=false \
  -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false -master.volumeSizeLimitMB=64 \
  >"$state/seaweedfs.log" 2>&1 &
pids+=($!)
wait_for "SeaweedFS" bash -c "echo s3.bucket.list | '$weed' shell -master=127.0.0.1:$master_port"
echo "s3.bucket.list" | "$weed" shell -master="127.0.0.1:$master_port" 2>/dev/null | grep -qw "$bucket" \
  || echo "s3.bucket.create -name $bucket" | "$weed" shell -master="127.0.0.1:$master_port" >/dev/null
echo "SeaweedFS S3 API: http://127.0.0.1:$s3_port, bucket $bucket (log: $state/seaweedfs.log)"

# --- Refinery ------------------------------------------------------------------------------------------
database_url="${REFINERY_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/refinery}"
psql "${database_url%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '${database_url##*/}'" | grep -q 1 \
  || psql "${database_url%/*}/postgres" -qc "CREATE DATABASE \"${database_url##*/}\""
node scripts/build.js --if-stale

# What a host of the deployment is given: the services' addresses and credentials, nothing shared.
services=(
  TEMPORAL_ADDRESS="$temporal_address"
  DATABASE_URL="$database_url"
  IMAGE_STORE=s3 S3_BUCKET="$bucket" S3_ENDPOINT="http://127.0.0.1:$s3_port" S3_FORCE_PATH_STYLE=true S3_REGION=us-east-1
  AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"
  PUBLIC_IMAGE_BASE_URL="${PUBLIC_IMAGE_BASE_URL:-http://localhost:${GATEWAY_PORT:-8080}/images}"
  PATH="$PATH"
)
passthrough=()
for name in CONCEPT_PROVIDER OPENAI_API_KEY OPENAI_BASE_URL JIGSAWSTACK_API_KEY LOG_LEVEL WEBHOOK_SECRET_KEY \
  PAYLOAD_ENCRYPTION_KEYS ALLOW_PRIVATE_IMAGE_HOSTS; do
  [ -n "${!name:-}" ] && passthrough+=("$name=${!name}")
done
for n in 1 2; do
  host="$state/worker-$n"
  mkdir -p "$host"
  (cd "$host" && exec env -i "${services[@]}" ${passthrough[@]+"${passthrough[@]}"} \
    WORKER_HEALTH_PORT="$((8090 + n))" WORKFLOW_BUNDLE_PATH="$root/dist/workflow-bundle.js" \
    node "$root/dist/worker/main.js") >"$state/worker-$n.log" 2>&1 &
  pids+=($!)
done
env "${services[@]}" ${passthrough[@]+"${passthrough[@]}"} node dist/gateway/main.js >"$state/gateway.log" 2>&1 &
pids+=($!)
wait_for "worker 1" curl -fsS "http://127.0.0.1:8091/readyz"
wait_for "worker 2" curl -fsS "http://127.0.0.1:8092/readyz"
wait_for "the gateway" curl -fsS "http://127.0.0.1:${GATEWAY_PORT:-8080}/readyz"
echo "Two workers (logs: $state/worker-1.log, worker-2.log; health on :8091, :8092) and the gateway"
echo "Web page: http://localhost:${GATEWAY_PORT:-8080}/   (Ctrl-C stops the stack)"
wait -n
