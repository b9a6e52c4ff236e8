"""Shared fixtures: the repository root, its shipped specs and the `starvation` command line.

The command line is the reference the package must agree with. It is built from the same
checkout with `cargo build --release` (a no-op when `.ci/run` has built it already); set
STARVATION_CLI to use another binary.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "simulations"


def shipped_specs():
    """Every spec in simulations/ except the 2^20-cell benchmark sweeps and the network
    experiments (minutes of training each; tests/test_experiment.py runs a small one)."""
    return sorted(
        p
        for p in SPECS.glob("*.json")
        if p.stem not in ("bench_sweep", "bench_period_sweep") and "experiment" not in json.loads(p.read_text())
    )


def command_of(path):
    """The command the CLI runs a spec with (as `starvation figures` decides)."""
    d = json.loads(Path(path).read_text())
    if "sweep" in d:
        return "sweep"
    if "simulation" in d:
        return "run"
    if "portrait" in d:
        return "portrait"
    return "equilibrium"


@pytest.fixture(scope="session")
def cli():
    exe = os.environ.get("STARVATION_CLI")
    if not exe:
        subprocess.run(
            ["cargo", "build", "--release", "--quiet", "--bin", "starvation"],
            cwd=ROOT,
            check=True,
        )
        target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        if not target.is_absolute():
            target = ROOT / target
        exe = str(target / "release" / "starvation")

    def run(*args, cwd=None):
        return subprocess.run(
            [exe, *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT
        )

    return run
