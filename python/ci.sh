#!/usr/bin/env bash
# Builds the Python package in a fresh virtual environment and runs its tests.
#
#   python/ci.sh            (from anywhere; exits non-zero when a test fails)
#
# The venv lives in $STARVATION_VENV (default: python/.venv-ci, git-ignored) and is reused when
# it exists. The package is installed exactly as users do (`pip install ./python[test]`), built
# by maturin through PEP 517. The package is a member of the repository's Cargo workspace: it
# builds into the repository's `target/` (unless CARGO_TARGET_DIR says otherwise) with the same
# lock file, release profile and crate features as `cargo test --release` (tests/contract/
# feature_unification.rs keeps the features equal), so after that run only the bindings are
# compiled; the tests' reference CLI is $STARVATION_CLI (tests/run-all.sh passes the binary that
# run has built), else a release build of this checkout.
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
