#!/usr/bin/env bash
# One command from a fresh clone to a running portal: installs what is missing, builds the
# release, migrates, seeds demo data on the first run, serves http://127.0.0.1:3000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
bin=${CARGO_TARGET_DIR:-target}/release/server
export PORTAL_DATA_DIR=${PORTAL_DATA_DIR:-data}
printf '\033[1;34m==>\033[0m %s\n' "database: migrations, then demo data if empty (first run: about 10 s)"
"$bin" migrate
"$bin" seed-demo --if-empty
printf '\033[1;34m==>\033[0m %s\n' "serving the portal on http://${PORTAL_ADDR:-127.0.0.1:3000} (Ctrl-C stops it)"
exec "$bin" serve
