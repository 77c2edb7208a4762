#!/usr/bin/env bash
# Release build without cargo-leptos: the same steps it performs (wasm, wasm-bindgen, wasm-opt,
# CSS, public files, server), plus content-hashed file names and precompressed .br/.gz copies.
# Steps whose inputs did not change are skipped, so a rebuild with no changes takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

scripts/install-tools.sh build
export PATH="$HOME/.cargo/bin:/opt/binaryen/bin:$PATH"
target=${CARGO_TARGET_DIR:-target}
site=${LEPTOS_SITE_ROOT:-target/site}
# Release builds carry no extra cfg flags; debug/test builds use erase_components (see test.sh).
# (Building only the browser bundle with erase_components made it a fifth smaller, but the pages
# then failed to hydrate in the browser tests against the typed server build.)
export RUSTFLAGS=""

say "building the browser bundle (wasm, size-optimised profile)"
cargo build --locked -q -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release \
  || die "the wasm build failed"
wasm="$target/wasm32-unknown-unknown/wasm-release/frontend.wasm"
[ -f "$wasm" ] || die "expected $wasm after the wasm build"

stamp="$site/.build-stamp"
inputs=$( (sha256sum "$wasm" style/main.css; find public -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ] && [ -f "$site/asset-manifest.json" ]; then
  say "browser bundle unchanged"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  say "wasm-bindgen"
  wasm-bindgen "$wasm" --target web --no-typescript --out-dir "$tmp" --out-name portal || die "wasm-bindgen failed"
  say "wasm-opt -Oz"
  wasm-opt -Oz "$tmp/portal_bg.wasm" -o "$tmp/portal_opt.wasm" || die "wasm-opt failed"
  mv "$tmp/portal_opt.wasm" "$tmp/portal_bg.wasm"
  cp style/main.css "$tmp/portal.css"
  # Full-line comments and indentation dropped (a third of its brotli size); the code as written.
  sed -E '/^\s*(\/\/|\/\*\*|\*|\*\/)/d; s/^\s+//' public/navigate.js > "$tmp/portal.nav"

  rm -rf "$site.new" && mkdir -p "$site.new/pkg"
  cp -r public/. "$site.new/"
  declare -A name
  for ext in js wasm css nav; do
    src="$tmp/portal.$ext"; [ "$ext" = wasm ] && src="$tmp/portal_bg.wasm"
    h=$(sha256sum "$src" | cut -c1-16)
    name[$ext]="portal.$h.$ext"; [ "$ext" = nav ] && name[$ext]="navigate.$h.js"
    cp "$src" "$site.new/pkg/${name[$ext]}"
  done
  [ -d "$tmp/snippets" ] && cp -r "$tmp/snippets" "$site.new/pkg/"
  printf '{"js":"/pkg/%s","wasm":"/pkg/%s","css":"/pkg/%s","nav":"/pkg/%s"}\n' "${name[js]}" "${name[wasm]}" "${name[css]}" "${name[nav]}" \
    > "$site.new/asset-manifest.json"
  say "precompressing (brotli, gzip)"
  command -v brotli >/dev/null || die "brotli is missing (apt-get install -y brotli)"
  find "$site.new" -type f \( -name '*.js' -o -name '*.wasm' -o -name '*.css' -o -name '*.svg' -o -name '*.webmanifest' \) \
    -print0 | while IFS= read -r -d '' f; do
      brotli -q 11 -f -k "$f" -o "$f.br"
      gzip -9 -k -f -n "$f"
    done
  echo "$inputs" > "$site.new/.build-stamp"
  rm -rf "$site.old"; [ -d "$site" ] && mv "$site" "$site.old"
  mv "$site.new" "$site"; rm -rf "$site.old"
  say "bundle: $(basename "$(ls "$site"/pkg/*.wasm)") $(stat -c %s "$site"/pkg/*.wasm | head -1) bytes, brotli $(stat -c %s "$site"/pkg/*.wasm.br | head -1) bytes"
fi

say "building the server (release)"
cargo build --locked -q -p server --release --bins || die "the server build failed"
say "built: $target/release/server, site in $site"
