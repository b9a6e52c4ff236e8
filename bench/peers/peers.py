"""Peer baselines for the standard benchmark of docs/architecture.md.

The problem: the two-feature L2 response flow M7 of docs/theory.md with the coupling U(delta) of
M17, s2 = 2, lambda = 0.01, eta = 1, z(0) = 0, rtol 1e-8, atol 1e-10, on the grid
s1 in [0.5, 8] x delta in [0, 0.65], integrated to t = 250 and t = 3000; and the equilibrium M12
at every grid point.

Measured on the machine it runs on:
  - SciPy solve_ivp (RK45, DOP853, LSODA): milliseconds per trajectory and field evaluations,
    one trajectory at a time (K seeded random points of the grid);
  - JAX + diffrax (Tsit5, Dopri8), jit-compiled and vmapped over an N-point grid: microseconds
    per trajectory (best of R timed runs after one compiling run);
  - a vmapped JAX Newton solve of M12 (40 fixed iterations): microseconds per point.

Prints one JSON object. `starvation bench all --peers FILE` reads these keys:
  scipy[]: {method, t_end, ms_per_trajectory}
  jax_diffrax.rows[]: {solver, t_end, us_per_trajectory} and {solver: "Newton ...", us_per_point}
Run it through run.sh (same folder), which makes the virtual environment.
Usage: python3 peers.py [--grid N] [--scipy-points K] [--repeats R]
"""
import argparse
import json
import math
import os
import platform
import sys
import time

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--grid", type=int, default=16384, help="grid points for the vmapped peers (a square number)")
ap.add_argument("--scipy-points", type=int, default=100, help="trajectories timed for SciPy")
ap.add_argument("--repeats", type=int, default=3, help="timed runs of each vmapped peer (the best is kept)")
args = ap.parse_args()

# The standard benchmark (docs/architecture.md).
RTOL, ATOL, S2, LAM = 1e-8, 1e-10, 2.0, 0.01
S1_RANGE, DELTA_RANGE = (0.5, 8.0), (0.0, 0.65)
T_ENDS = [250.0, 3000.0]


def log(msg):
    print(f"peers.py: {msg}", file=sys.stderr, flush=True)


out = {
    "rtol": RTOL,
    "atol": ATOL,
    "s2": S2,
    "lambda": LAM,
    "grid": "s1 in [0.5, 8] x delta in [0, 0.65]",
    "machine": {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    },
}

# ---------------------------------------------------------------------------------------------
# SciPy: one trajectory at a time, as a user of solve_ivp would run it.
# ---------------------------------------------------------------------------------------------
import numpy as np
import scipy
from scipy.integrate import solve_ivp


def rhs(t, z, s1, d):
    """M7 with U(delta) of M17: dz/dt = S^2 U^T sigma(-U z) - lambda z (eta = 1)."""
    c = math.sqrt(1 - d * d)
    a0, a1 = c * z[0] - d * z[1], d * z[0] + c * z[1]
    al0, al1 = 1 / (1 + math.exp(a0)), 1 / (1 + math.exp(a1))
    return [s1 * s1 * (c * al0 + d * al1) - LAM * z[0], S2 * S2 * (-d * al0 + c * al1) - LAM * z[1]]


rng = np.random.default_rng(0)
pts = [(float(rng.uniform(*S1_RANGE)), float(rng.uniform(*DELTA_RANGE))) for _ in range(args.scipy_points)]
rows = []
for method in ["RK45", "DOP853", "LSODA"]:
    for t1 in T_ENDS:
        log(f"SciPy {method} to t = {t1:g}, {len(pts)} trajectories")
        t0, nfev = time.perf_counter(), 0
        for p in pts:
            sol = solve_ivp(rhs, (0, t1), [0.0, 0.0], method=method, rtol=RTOL, atol=ATOL, args=p)
            if not sol.success:
                raise SystemExit(f"peers.py: SciPy {method} failed at s1, delta = {p}: {sol.message}")
            nfev += sol.nfev
        dt = time.perf_counter() - t0
        rows.append({
            "method": method,
            "t_end": t1,
            "ms_per_trajectory": 1e3 * dt / len(pts),
            "rhs_evals": nfev / len(pts),
        })
out["scipy"] = rows
out["scipy_versions"] = {"scipy": scipy.__version__, "numpy": np.__version__}

# ---------------------------------------------------------------------------------------------
# JAX + diffrax: the whole grid at once (jit + vmap), CPU.
# ---------------------------------------------------------------------------------------------
try:
    import jax
    import jax.numpy as jnp
    import diffrax

    jax.config.update("jax_enable_x64", True)

    def best_time(fn, grid):
        """Best wall time of `repeats` runs after one compiling run."""
        fn(grid).block_until_ready()
        best = math.inf
        for _ in range(max(1, args.repeats)):
            t0 = time.perf_counter()
            fn(grid).block_until_ready()
            best = min(best, time.perf_counter() - t0)
        return best

    def f(t, z, a):
        s1, d = a
        c = jnp.sqrt(1.0 - d * d)
        al0 = jax.nn.sigmoid(-(c * z[0] - d * z[1]))
        al1 = jax.nn.sigmoid(-(d * z[0] + c * z[1]))
        return jnp.stack([s1 * s1 * (c * al0 + d * al1) - LAM * z[0], S2 * S2 * (-d * al0 + c * al1) - LAM * z[1]])

    k = int(round(math.sqrt(args.grid)))
    S1, D = jnp.meshgrid(jnp.linspace(*S1_RANGE, k), jnp.linspace(*DELTA_RANGE, k), indexing="ij")
    grid = (S1.ravel(), D.ravel())
    rows = []
    for name, solver in [("Tsit5", diffrax.Tsit5()), ("Dopri8", diffrax.Dopri8())]:
        for t1 in T_ENDS:
            log(f"JAX/diffrax {name} to t = {t1:g}, {k * k} trajectories")

            def one(a, solver=solver, t1=t1):
                s = diffrax.diffeqsolve(
                    diffrax.ODETerm(f), solver, t0=0.0, t1=t1, dt0=1e-3, y0=jnp.zeros(2), args=a,
                    stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL),
                    max_steps=200000, saveat=diffrax.SaveAt(t1=True))
                return s.ys[-1]

            dt = best_time(jax.jit(jax.vmap(one)), grid)
            rows.append({"solver": name, "t_end": t1, "points": k * k, "us_per_trajectory": 1e6 * dt / (k * k)})

    def newton(a):
        """M12 by 40 undamped Newton steps from z = (1, 1)."""
        s1, d = a
        c = jnp.sqrt(1.0 - d * d)
        U = jnp.array([[c, -d], [d, c]])
        sv = jnp.stack([s1 * s1, S2 * S2])

        def body(i, z):
            al = jax.nn.sigmoid(-(U @ z))
            F = sv * (U.T @ al) - LAM * z
            J = -(sv[:, None] * (U.T @ ((al * (1 - al))[:, None] * U))) - LAM * jnp.eye(2)
            return z - jnp.linalg.solve(J, F)

        return jax.lax.fori_loop(0, 40, body, jnp.ones(2))

    log(f"JAX Newton, {k * k} equilibria")
    dt = best_time(jax.jit(jax.vmap(newton)), grid)
    rows.append({"solver": "Newton x40 (equilibrium)", "points": k * k, "us_per_point": 1e6 * dt / (k * k)})
    out["jax_diffrax"] = {"jax": jax.__version__, "diffrax": diffrax.__version__, "repeats": args.repeats, "rows": rows}
except ImportError as e:
    out["jax_diffrax"] = {"skipped": repr(e)}

# ---------------------------------------------------------------------------------------------
# PyTorch peers: reserved. When the network experiments (two moons, docs/theory.md §7) arrive,
# time them here under the key "torch" (pin torch in requirements.txt), with the same rules:
# same problem as the Rust benchmark, best of --repeats, per-item times in the key's name.
# ---------------------------------------------------------------------------------------------

print(json.dumps(out, indent=1))
