#!/usr/bin/env bash
# Browser tests of `starvation explore` (or, with --bench, its latency benchmark) in a real
# headless Chromium from the distribution's packages, driven by playwright-core (no browser is
# downloaded). Installs what is missing (chromium via apt-get, playwright-core via `npm ci`),
# builds the release binary (unless STARVATION_CLI names one), starts `starvation explore --port 0`, reads the printed URL, runs
# `node --test` (or bench.mjs) against it and stops the server. Screenshots and the server log
# go to target/explore-browser/. Exit status: non-zero when a test fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=test
if [ "${1:-}" = "--bench" ]; then mode=bench; fi

chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
  echo "installing chromium (Debian package)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "installing playwright-core (npm ci)…"
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi

# The binary under test: $STARVATION_CLI (tests/run-all.sh passes the one `cargo test --release`
# built), else the release build of this checkout.
target=$(cd "$root" && cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="${STARVATION_CLI:-}"
if [ -z "$bin" ]; then
  (cd "$root" && cargo build --release --quiet --bin starvation)
  bin="$target/release/starvation"
fi
out="$target/explore-browser"
mkdir -p "$out"
log="$out/server.log"

"$bin" explore --port 0 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 200); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$log" | head -n 1 || true)
  if [ -n "$url" ]; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then break; fi
  sleep 0.05
done
if [ -z "$url" ]; then
  echo "error: starvation explore did not print its URL:" >&2
  cat "$log" >&2
  exit 1
fi
echo "server: $url"

export EXPLORE_URL="$url" STARVATION_BIN="$bin" EXPLORE_OUT="$out" CHROMIUM="$chromium"
cd "$here"
if [ "$mode" = bench ]; then
  node bench.mjs
else
  node --test --test-reporter=spec explore.test.mjs
fi
