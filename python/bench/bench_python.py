"""Performance of the Python package against the engine, measured in one session.

    python python/bench/bench_python.py [--cli target/release/starvation] [--rounds 3]

1. Vectorised equilibria: `toy_equilibria` on the CLI benchmark's grid (s₁ ∈ [0.5, 8] ×
   δ ∈ [0, 0.65], 1024 × 1024 = 2^20 points, s₂ = 2, λ = 0.01, L2; δ fastest, as the benchmark
   warm-starts along δ) from NumPy arrays, against `starvation bench equilibria` run as a
   separate process, alternating, single- and multi-threaded (RAYON_NUM_THREADS=1 runs the
   package on one thread in a child process). Reported: µs per point, best of the rounds, and
   the ratio package / CLI.
   Also, in one process: the engine's own benchmark loop (`starvation::bench::equilibria`,
   compiled into the extension) against `toy_equilibria` on the same grid, alternating — the
   binding's cost (arrays in and out, validation) without process or machine-load differences.
2. Overhead of one small `integrate` call: Python wall time of the call minus the engine's own
   time for the integration (`Solution.wall_seconds`, timed in Rust around the integrator);
   medians over many calls.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli_equilibria(cli, side):
    out = subprocess.run(
        [cli, "bench", "equilibria", "--side", str(side)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout
    rows = {}
    for line in out.splitlines():
        m = re.match(r"equilibrium \+ starvation matrix\s+(\d+)\s+(\d+)\s+([0-9.]+)", line)
        if m:
            rows[int(m.group(1))] = float(m.group(3))
    return rows


CHILD = r"""
import sys, time, json, numpy as np, starvation as gs
side = int(sys.argv[1])
s1 = 0.5 + 7.5 * np.arange(side) / (side - 1)
delta = 0.65 * np.arange(side) / (side - 1)
S1, D = np.meshgrid(s1, delta, indexing="ij")
gs.toy_equilibria(S1[:4], 2.0, D[:4], 0.01, starvation_ratio=False)  # warm-up (thread pool, pages)
t0 = time.perf_counter()
r = gs.toy_equilibria(S1, 2.0, D, 0.01, starvation_ratio=False)  # as the CLI benchmark: no z⁰
seconds = time.perf_counter() - t0
checksum = float(r["z"][..., 0].sum() + r["z"][..., 1].sum() + r["starvation_matrix"][..., 1, 0].sum())
print(json.dumps({"seconds": seconds, "points": S1.size, "checksum": checksum,
                  "converged": bool(r["converged"].all())}))
"""


def package_equilibria(side, threads):
    env = dict(os.environ)
    if threads is not None:
        env["RAYON_NUM_THREADS"] = str(threads)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(side)], capture_output=True, text=True, check=True, env=env
    ).stdout
    return json.loads(out)


def integrate_overhead(calls):
    import starvation as gs

    model = gs.toy(6.0, 2.0, 0.5)
    for _ in range(200):
        gs.integrate(model, 10.0, count=2)
    python, engine = [], []
    for _ in range(calls):
        t0 = time.perf_counter()
        sol = gs.integrate(model, 10.0, count=2)
        python.append(time.perf_counter() - t0)
        engine.append(sol.wall_seconds)
    return {
        "python_call_us": 1e6 * statistics.median(python),
        "engine_integration_us": 1e6 * statistics.median(engine),
        "overhead_us": 1e6 * statistics.median(p - e for p, e in zip(python, engine)),
        "field_evaluations": sol.stats["field_evaluations"],
        "calls": calls,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=str(ROOT / "target" / "release" / "starvation"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--side", type=int, default=1024)
    ap.add_argument("--calls", type=int, default=20000)
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    cli_best = {}
    pkg_best = {}
    for r in range(args.rounds):
        rows = cli_equilibria(args.cli, args.side)
        for t, us in rows.items():
            cli_best[t] = min(cli_best.get(t, float("inf")), us)
        for t in (1, cores):
            res = package_equilibria(args.side, t)
            assert res["converged"]
            us = 1e6 * res["seconds"] / res["points"]
            pkg_best[t] = min(pkg_best.get(t, float("inf")), us)
        print(f"round {r + 1}: CLI {rows}  package "
              f"{ {t: round(v, 4) for t, v in pkg_best.items()} }", flush=True)
    print()
    print(f"{'equilibrium + starvation matrix, 2^20 points':<48} {'threads':>7} {'CLI µs/pt':>10} "
          f"{'package µs/pt':>14} {'ratio':>7}")
    for t in sorted(cli_best):
        print(f"{'':<48} {t:>7} {cli_best[t]:>10.4f} {pkg_best[t]:>14.4f} "
              f"{pkg_best[t] / cli_best[t]:>7.3f}")
    import numpy as np
    import starvation as gs
    from starvation import _core

    side = args.side
    s1 = 0.5 + 7.5 * np.arange(side) / (side - 1)
    delta = 0.65 * np.arange(side) / (side - 1)
    S1, D = np.meshgrid(s1, delta, indexing="ij")
    lib, pkg = [], []
    for _ in range(2 * args.rounds):
        seconds, _ = _core.bench_equilibria(side, cores)
        lib.append(1e6 * seconds / S1.size)
        t0 = time.perf_counter()
        gs.toy_equilibria(S1, 2.0, D, 0.01, starvation_ratio=False)
        pkg.append(1e6 * (time.perf_counter() - t0) / S1.size)
    print()
    print(f"in one process, {cores} threads: engine loop {min(lib):.4f} µs/pt, "
          f"toy_equilibria {min(pkg):.4f} µs/pt, ratio {min(pkg) / min(lib):.3f} (best of "
          f"{len(lib)})")
    o = integrate_overhead(args.calls)
    print()
    print(f"integrate(toy, t_end=10, count=2): Python call {o['python_call_us']:.2f} µs, "
          f"engine integration {o['engine_integration_us']:.2f} µs "
          f"({o['field_evaluations']} field evaluations), overhead {o['overhead_us']:.2f} µs "
          f"(medians of {o['calls']} calls)")


if __name__ == "__main__":
    main()
