#!/usr/bin/env bash
# promtool and the Prometheus server for the tests (promtool checks the alert rules; the
# server scrapes a running stack and evaluates the dashboards): Debian's `prometheus`,
# installed with apt-get when missing, which needs root.
# With --plan: print the package it would install (nothing when present) and install nothing.
set -euo pipefail

if command -v promtool >/dev/null && command -v prometheus >/dev/null; then
  exit 0
fi
if [[ "${1:-}" == --plan ]]; then
  echo "prometheus   promtool checks the alert rules; the server evaluates the dashboards"
  exit 0
fi
echo "installing Prometheus (Debian package prometheus) …"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
