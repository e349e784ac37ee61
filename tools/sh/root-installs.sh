#!/usr/bin/env bash
# The first thing `make test` prints: the Debian packages it is about to install with apt-get
# (which needs root), or nothing when everything is present. Each ensure-*.sh answers --plan
# with what it would install, from the same checks it makes before installing.
set -euo pipefail
cd "$(dirname "$0")"

plan=()
for script in ensure-postgres.sh ensure-prometheus.sh ensure-chromium.sh; do
  while IFS= read -r line; do
    [[ -n "$line" ]] && plan+=("$line")
  done < <(./"$script" --plan)
done
(( ${#plan[@]} )) || exit 0
if [[ "$(id -u)" == 0 ]]; then
  echo "make test installs what is missing, with apt-get as root (Debian packages):"
else
  echo "make test needs root to install these with apt-get, and stops there without it" \
       "(install them first, or run it as root):"
fi
printf '  %s\n' "${plan[@]}"
