#!/usr/bin/env bash
# Prints every benchmark figure beside its baseline. Builds the release first.
#   BENCH_SIMS=N        SIMs in the generated database (default 5000)
#   TEST_DATABASE_URL   also measure on this PostgreSQL server
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
exec "${CARGO_TARGET_DIR:-target}/release/bench"
