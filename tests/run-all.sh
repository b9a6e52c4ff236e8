#!/usr/bin/env bash
# Runs every test of the project: formatting and lints, the Rust tests (unit, integration, doc
# tests, examples), the library without default features, the Python package's tests and the
# browser tests of the explorer. Installs what it needs when absent (Debian packages with
# apt-get, Python packages into a virtual environment it creates). `.ci/run` calls exactly this.
#
# Usage: bash tests/run-all.sh            (from anywhere inside the repository)
# Slow checks not run here are listed in the README ("Long runs").
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
step() { printf '\n==> %s   [%d s so far]\n' "$*" "$((SECONDS - start))"; }

step "image data: the Debian package dataset-fashion-mnist (MNIST's file format)"
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi

step "cargo fmt --check"
cargo fmt --all -- --check


step "cargo clippy --all-targets -- -D warnings"
cargo clippy --release --all-targets -- -D warnings

step "library without default features (no clap, no plotters)"
cargo check --release --lib --no-default-features

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --release --no-deps --quiet

step "cargo test --release (unit, integration and doc tests; builds the examples)"
cargo test --release --all-targets
cargo test --release --doc

for e in examples/*.rs; do
  name=$(basename "$e" .rs)
  step "example $name"
  cargo run --release --quiet --example "$name" > /dev/null
done

# The binary `cargo test --release` has just built: the Python tests' reference command line and
# the explorer the browser tests drive (a `cargo build` of it alone would resolve features
# without the dev-dependencies and compile the engine a second time).
STARVATION_CLI="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/starvation"
export STARVATION_CLI

if [ -x python/ci.sh ]; then
  step "Python package (python/ci.sh)"
  python/ci.sh
fi

if [ -x tests/browser/run.sh ]; then
  step "browser tests of the explorer (tests/browser/run.sh)"
  tests/browser/run.sh
fi

step "all tests passed"
