#!/usr/bin/env bash
# Every check: rustfmt, clippy (server and browser), the wasm-has-no-ssr check, unit and
# integration tests on SQLite and PostgreSQL, a release build, and browser end-to-end tests.
# Starts (and stops) its own throwaway PostgreSQL unless TEST_DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
started=$(date +%s)

scripts/install-tools.sh test
export PATH="$HOME/.cargo/bin:/opt/binaryen/bin:$PATH"
target=${CARGO_TARGET_DIR:-target}
# The same flags `cargo leptos watch` uses for debug builds, so both share one cache.
export RUSTFLAGS="--cfg erase_components"

work=$(mktemp -d)
pg_data=""
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if [ -n "$pg_data" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

say "rustfmt"
cargo fmt --all --check || die "code is not formatted: run cargo fmt --all"

say "clippy: server side (warnings are errors)"
cargo clippy --locked -q -p app -p server --features app/ssr --all-targets -- -D warnings || die "clippy found problems (server side)"
say "clippy: browser side"
cargo clippy --locked -q -p frontend -p app --target wasm32-unknown-unknown -- -D warnings || die "clippy found problems (browser side)"

say "the wasm build does not pull in server code"
wasm_tree=$(cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none --format '{p}' 2>/dev/null)
leaks=$(grep -E '^(tokio|sqlx[a-z-]*|axum|leptos_axum|hyper|mio) v' <<<"$wasm_tree" | sort -u || true)
[ -z "$leaks" ] || die "server-only crates in the wasm build: $(echo $leaks)"
app_features=$(cargo tree -p frontend --target wasm32-unknown-unknown -e features -i app --prefix none 2>/dev/null)
grep -q 'app feature "hydrate"' <<<"$app_features" || die "could not read the wasm build's features (cargo tree output changed?)"
grep -q 'app feature "ssr"' <<<"$app_features" && die "the wasm build enables app/ssr"
grep -qE '^leptos v' <<<"$wasm_tree" || die "could not read the wasm dependency tree"
echo "ok: no tokio, sqlx, axum or app/ssr in the wasm dependency tree"

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  say "starting a throwaway PostgreSQL"
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$pg_bin/initdb" ] || die "PostgreSQL is not installed (apt-get install -y postgresql)"
  chown postgres "$work" 2>/dev/null || die "cannot hand $work to the postgres user (run as root)"
  pg_data="$work/pg"
  pg_port=$(free_port)
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_data" -A trust -U postgres >/dev/null \
    || die "initdb failed: PostgreSQL cannot be started, so the PostgreSQL tests cannot run"
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/pg.log" -w \
    -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$work/pg.log" >&2; die "PostgreSQL did not start (log above)"; }
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
  echo "PostgreSQL on port $pg_port"
fi

say "unit and integration tests (SQLite and PostgreSQL)"
# One test at a time: each test runs its own tokio runtime and server. With several runtimes
# serving Leptos pages at once in one process, a page's data now and then never resolves (seen
# about once in 20 runs of the shell tests; never in 60 runs one at a time, nor with 1,000
# concurrent page loads against one server, which has a single runtime). It costs 5 seconds.
cargo test --locked -p app -p server --features app/ssr -- --test-threads 1 || die "tests failed"

say "release build"
scripts/build.sh

say "browser end-to-end tests (Debian chromium)"
port=$(free_port)
mkdir -p "$work/e2e"
PORTAL_DATA_DIR="$work/e2e" DATABASE_URL="sqlite://$work/e2e/portal.db" \
  "$target/release/server" seed-demo --sims 300 --days 30 --quiet >/dev/null || die "seeding the end-to-end database failed"
PORTAL_DATA_DIR="$work/e2e" DATABASE_URL="sqlite://$work/e2e/portal.db" PORTAL_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  "$target/release/server" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; die "the server exited during start-up"; }
  sleep 0.1
done
(cd end2end && PORTAL_DATA_DIR="$work/e2e" BASE_URL="http://127.0.0.1:$port" npx playwright test) || { tail -20 "$work/server.log" >&2; die "end-to-end tests failed"; }

say "graceful shutdown on SIGTERM"
kill -TERM "$server_pid"
if wait "$server_pid"; then echo "ok: the server stopped cleanly"; else die "the server did not exit cleanly on SIGTERM"; fi
server_pid=""

say "all checks passed in $(( $(date +%s) - started )) s"
