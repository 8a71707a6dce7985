#!/usr/bin/env bash
# Prints the path of `promtool` (validates deploy/prometheus/alerts.yml), installing Debian's
# prometheus package when it is missing. Needs root (CI images run as root) or promtool on PATH.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "promtool is missing: run 'apt-get install -y --no-install-recommends prometheus' as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends prometheus >&2
# The package starts a Prometheus server where an init system runs; only the tool is wanted here.
command -v promtool
