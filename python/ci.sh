#!/usr/bin/env bash
# Builds the Python package in a fresh virtual environment and runs its tests.
#
#   python/ci.sh            (from anywhere; exits non-zero when a test fails)
#
# The venv lives in $STARVATION_VENV (default: python/.venv-ci, git-ignored) and is reused when
# it exists. The package is installed exactly as users do (`pip install ./python[test]`), built
# by maturin through PEP 517. Cargo's target folder is the repository's `target/` unless
# CARGO_TARGET_DIR says otherwise, so the tests' reference CLI is the binary that
# `cargo test --release` has already built there (the extension itself is compiled with thin
# LTO, so it shares no artefacts with that build). Runtime: about 5 minutes of compilation on a
# clean clone, then about 1 minute of tests.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="${STARVATION_VENV:-$here/.venv-ci}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$here[test]"
# From inside tests/, so that `import starvation` finds the installed package, not the
# source folder python/starvation (which has no compiled extension).
cd "$here/tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider .
