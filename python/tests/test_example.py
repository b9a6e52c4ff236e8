"""Claim: the notebook-style example runs against the installed package and writes its two
figures (Figure 6 and the phase diagram) as PNG files."""

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "figure6_and_phase_diagram.py"


def test_example_writes_its_figures(tmp_path):
    r = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path)], capture_output=True, text=True, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    for name in ("figure6.png", "phase_diagram.png"):
        png = (tmp_path / name).read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
