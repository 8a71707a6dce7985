#!/usr/bin/env bash
# The deployed topology, natively on this host (`make start-production-like`): the production
# Temporal server on PostgreSQL, SeaweedFS as the S3-compatible image store, two workers that share
# nothing but those services (each its own working directory), and the gateway. The same pieces the
# tests run (deploy/temporal, scripts/temporal-server-schema.sh, scripts/ensure-*.sh); the compose
# stack is the containerised twin. State lives under data/production-like/ (PRODUCTION_LIKE_STATE_DIR).
#
# It supervises as an orchestrator would (scripts/supervise.sh): a process that dies (a worker, the
# gateway, the Temporal server, SeaweedFS) is restarted after a backoff, with one line saying which,
# how and as what pid, until one keeps dying at once (SUPERVISOR_RESTART_LIMIT, SUPERVISOR_STABLE_SECONDS):
# then the stack stops. Ctrl-C (SIGINT, or SIGTERM to the script) stops everything.
#
# Needs PostgreSQL on 127.0.0.1:5432 (TEMPORAL_SERVER_DB_* and REFINERY_DATABASE_URL override).
# Ports: Temporal 7233 (+ its internal ones, see deploy/temporal/README.md), S3 8333 (SEAWEEDFS_*_PORT
# for the store's others), gateway 8080 (GATEWAY_PORT), worker health 8091/8092 (WORKER_HEALTH_PORT_1,
# WORKER_HEALTH_PORT_2). Set them through these variables when something else uses them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
state="${PRODUCTION_LIKE_STATE_DIR:-$root/data/production-like}"
mkdir -p "$state"

stack_name="production-like stack"
source "$root/scripts/supervise.sh"

wait_for() { # <what> <command...>: up to 60 s; a supervised process that dies meanwhile fails it at once
  local what="$1"; shift
  for _ in $(seq 1 120); do
    "$@" >/dev/null 2>&1 && return 0
    if dead="$(first_dead)"; then echo "$dead stopped while waiting for $what; see ${log_of[$dead]}" >&2; exit 1; fi
    sleep 0.5
  done
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
# Restarting it is safe: everything it keeps is in PostgreSQL, and clients reconnect.
: >"$state/temporal.log"
launch temporal-server "$state/temporal.log" \
  "$server_bin/temporal-server" --root deploy/temporal --config config --env production --allow-no-auth start
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
# History and matching learn of them when their namespace caches refresh (every 2 s).
sleep 3
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
volume_port="${SEAWEEDFS_VOLUME_PORT:-8380}"
filer_port="${SEAWEEDFS_FILER_PORT:-8888}"
# gRPC ports default to weed's own (+10000), given explicitly so that each can be moved.
master_grpc_port="${SEAWEEDFS_MASTER_GRPC_PORT:-$((master_port + 10000))}"
master="127.0.0.1:$master_port.$master_grpc_port"
# Restarting it is safe: its volumes, filer metadata and bucket live under $state/seaweedfs.
: >"$state/seaweedfs.log"
launch seaweedfs "$state/seaweedfs.log" \
  "$weed" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$state/seaweedfs" \
  -master.port="$master_port" -master.port.grpc="$master_grpc_port" \
  -volume.port="$volume_port" -volume.port.grpc="${SEAWEEDFS_VOLUME_GRPC_PORT:-$((volume_port + 10000))}" \
  -filer.port="$filer_port" -filer.port.grpc="${SEAWEEDFS_FILER_GRPC_PORT:-$((filer_port + 10000))}" \
  -s3 -s3.port="$s3_port" -s3.port.grpc="${SEAWEEDFS_S3_GRPC_PORT:-$((s3_port + 10000))}" \
  -s3.config="$identities" -s3.autoCreateBucket=false \
  -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false -master.volumeSizeLimitMB=64
wait_for "SeaweedFS" bash -c "echo s3.bucket.list | '$weed' shell -master=$master"
echo "s3.bucket.list" | "$weed" shell -master="$master" 2>/dev/null | grep -qw "$bucket" \
  || echo "s3.bucket.create -name $bucket" | "$weed" shell -master="$master" >/dev/null
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
  PAYLOAD_ENCRYPTION_KEYS ALLOW_PRIVATE_IMAGE_HOSTS TEMPORAL_DEPLOYMENT_NAME WORKER_SHUTDOWN_GRACE_MS; do
  [ -n "${!name:-}" ] && passthrough+=("$name=${!name}")
done
gateway_port="${GATEWAY_PORT:-8080}"
health_ports=("${WORKER_HEALTH_PORT_1:-8091}" "${WORKER_HEALTH_PORT_2:-8092}")
for n in 1 2; do
  host="$state/worker-$n"
  mkdir -p "$host"
  : >"$state/worker-$n.log"
  launch "worker-$n" "$state/worker-$n.log" bash -c 'cd "$1" && shift && exec "$@"' worker "$host" \
    env -i "${services[@]}" ${passthrough[@]+"${passthrough[@]}"} \
    WORKER_HEALTH_PORT="${health_ports[$((n - 1))]}" WORKFLOW_BUNDLE_PATH="$root/dist/workflow-bundle.js" \
    WORKER_BECOME_CURRENT="${WORKER_BECOME_CURRENT:-always}" \
    node "$root/dist/worker/main.js"
done
: >"$state/gateway.log"
launch gateway "$state/gateway.log" env "${services[@]}" ${passthrough[@]+"${passthrough[@]}"} GATEWAY_PORT="$gateway_port" \
  node dist/gateway/main.js
wait_for "worker 1" curl -fsS "http://127.0.0.1:${health_ports[0]}/readyz"
wait_for "worker 2" curl -fsS "http://127.0.0.1:${health_ports[1]}/readyz"
wait_for "the gateway" curl -fsS "http://127.0.0.1:$gateway_port/readyz"
echo "Two workers (logs: $state/worker-1.log, worker-2.log; health on :${health_ports[0]}, :${health_ports[1]}) and the gateway"
echo "Worker build $(cat dist/workflow-bundle.js.build-id 2>/dev/null || echo '?'), current for new refinements (refinery deploy status, with TEMPORAL_ADDRESS=$temporal_address)"
echo "Web page: http://localhost:$gateway_port/   (Ctrl-C stops the stack)"

supervise
