#!/usr/bin/env bash
# PostgreSQL for the tests: use the one answering on 127.0.0.1:5432 (or PSM_TEST_PG_URL);
# otherwise, as root, install Debian's `postgresql` when missing and start a cluster for
# the tests. Without root and without a server the PostgreSQL variants are skipped
# (a failure under CI=true, reported by the tests themselves).
# With --plan: print the package it would install (nothing when it would not) and do nothing.
set -euo pipefail
plan=""
[[ "${1:-}" == --plan ]] && plan=1

if [[ -n "${PSM_TEST_PG_URL:-}" ]]; then
  exit 0  # the caller chose a server; the tests say so if it does not answer
fi
answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if answers; then
  exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
  [[ -n "$plan" ]] && exit 0  # nothing can be installed: the tests skip their PostgreSQL variants
  echo "PostgreSQL: nothing answers on 127.0.0.1:5432 and this is not root, so it cannot be installed;" \
       "its test variants will be skipped (set PSM_TEST_PG_URL to use another server)." >&2
  exit 0
fi
if ! command -v pg_ctlcluster >/dev/null || [[ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]]; then
  if [[ -n "$plan" ]]; then
    echo "postgresql   PostgreSQL for the database tests (a throw-away cluster psm-test on 127.0.0.1:5432)"
    exit 0
  fi
  echo "installing PostgreSQL (Debian package postgresql) …"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  installed_now=1
fi
[[ -n "$plan" ]] && exit 0  # installed: only a cluster to start, nothing to install
version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if [[ -n "${installed_now:-}" ]] && pg_lsclusters -h | awk '{print $2}' | grep -qx main; then
  # The package's default cluster (peer/password auth) would hold port 5432: we just
  # installed it, so nothing of anyone's lives there yet.
  pg_dropcluster --stop "$version" main
fi
cluster=psm-test
if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$version/$cluster"; then
  # A throw-away cluster for the tests: trust on loopback, no durability tuning needed.
  pg_createcluster -q "$version" "$cluster" -p 5432 -- --auth-local=trust --auth-host=trust >/dev/null
  conf="/etc/postgresql/$version/$cluster/conf.d/psm-test.conf"
  cat >"$conf" <<CONF
listen_addresses = '127.0.0.1'
max_connections = 400
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
fi
pg_ctlcluster "$version" "$cluster" start
for _ in $(seq 1 100); do answers && break; sleep 0.1; done
answers || { echo "PostgreSQL cluster $version/$cluster did not start" >&2; exit 1; }
echo "PostgreSQL $version ($cluster) on 127.0.0.1:5432"
