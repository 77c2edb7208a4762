#!/usr/bin/env bash
# Installs, only where missing, what building and testing the portal needs.
# Idempotent and registry-only (crates.io, npm, PyPI, Debian): nothing is fetched from GitHub.
#   install-tools.sh build   -> wasm target, wasm-bindgen-cli (exact Cargo.lock version), wasm-opt
#   install-tools.sh test    -> build tools + chromium, PostgreSQL, end2end npm packages,
#                               Schemathesis (the API contract tester, PyPI, in its own venv)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-build}

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

export PATH="$HOME/.cargo/bin:/opt/binaryen/bin:$PATH"

command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup first"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >/dev/null || die "could not add the wasm32-unknown-unknown target"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly, or the
# generated JS glue and the wasm disagree at load time.
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
[ -n "$want" ] || die "no wasm-bindgen in Cargo.lock"
# A missing wasm-bindgen is an empty version, not an error (pipefail would end the script).
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (about 3 minutes on two cores)"
  # --locked fails here: one of its pinned dependency versions is no longer on the registry.
  cargo install -q wasm-bindgen-cli --version "$want" --force || die "could not install wasm-bindgen-cli $want"
fi

# Debian's binaryen 108 produces a wasm that fails at hydration; 132 from npm works.
if ! wasm-opt --version 2>/dev/null | grep -q 'version 132'; then
  say "installing wasm-opt (binaryen 132 from npm)"
  command -v npm >/dev/null || die "npm is missing (apt-get install -y npm)"
  npm install -g -s --prefix /opt/binaryen binaryen@132.0.0 >/dev/null || die "could not install binaryen from npm"
  ln -sf /opt/binaryen/bin/wasm-opt /usr/local/bin/wasm-opt 2>/dev/null || true
fi

if ! command -v brotli >/dev/null; then
  say "installing brotli (precompressed assets)"
  [ "$(id -u)" = 0 ] || die "brotli is missing and installing it needs root (apt-get install -y brotli)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli >/dev/null \
    || die "could not install brotli"
fi

if [ "$what" = test ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v node >/dev/null || missing+=(nodejs npm)
  command -v curl >/dev/null || missing+=(curl)
  command -v brotli >/dev/null || missing+=(brotli)
  # Debian's python3 makes virtual environments only with python3-venv (ensurepip).
  python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    [ "$(id -u)" = 0 ] || die "installing ${missing[*]} needs root (apt-get)"
    apt-get update -qq >/dev/null || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || die "could not install ${missing[*]}"
  fi
  if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "installing end2end npm packages"
    (cd end2end && npm ci --no-audit --no-fund --silent) || die "npm ci in end2end failed"
  fi
  # The published OpenAPI contract tester the standing contract test runs
  # (server/tests/api/schemathesis.rs): pinned, in a venv of its own outside the clone.
  st_version=4.32.5
  st_home="$HOME/.cache/iot-portal/schemathesis"
  if ! "$st_home/bin/st" --version 2>/dev/null | grep -qx "st, version $st_version"; then
    say "installing Schemathesis $st_version (PyPI) into $st_home"
    python3 -m venv --clear "$st_home" >/dev/null || die "python3 -m venv failed (apt-get install -y python3-venv)"
    "$st_home/bin/pip" install -q --disable-pip-version-check "schemathesis==$st_version" \
      || die "could not install Schemathesis $st_version from PyPI"
  fi
fi
