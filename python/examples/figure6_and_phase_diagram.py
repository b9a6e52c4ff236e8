# %% [markdown]
# # Gradient starvation from a notebook
#
# Reproduces the paper's Figure 6 (two-feature toy, δ = 0.5, s₂ = 2, 5000 gradient steps from
# 0 for s₁ ∈ {2, …, 6}) and a starvation phase diagram over (s₁/s₂, δ), with matplotlib, from
# the arrays of the `starvation` package. Run it as a script or cell by cell in Jupyter:
#
#     pip install "./python[examples]"
#     python python/examples/figure6_and_phase_diagram.py [OUTPUT_FOLDER]
#
# It writes figure6.png and phase_diagram.png (default folder: python/examples/out).

# %%
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import starvation as gs

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "out"
out.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## Figure 6: dual vs primal under L2, L2 vs SD in the primal
#
# Three discrete maps per s₁, as in the paper's script: gradient ascent on the dual α
# (step 3·10⁻⁶, α₀ = 10⁻⁸), gradient descent on θ with L2 (λ = 0.01, step 0.05) and with
# Spectral Decoupling (λ = 0.002). A random orthogonal V (seed 1235) makes θ differ from z; it
# does not affect z. `method="gd"` with `steps=True` records every step.

# %%
strengths = [2.0, 3.0, 4.0, 5.0, 6.0]
runs = {}
for s1 in strengths:
    l2 = gs.toy(s1, 2.0, 0.5, regulariser=gs.l2(0.01), directions=(2, 1235))
    sd = gs.toy(s1, 2.0, 0.5, regulariser=gs.sd(0.002), directions=(2, 1235))
    runs[s1] = {
        "dual L2": gs.integrate(l2, 0.015, space="alpha", method="gd", step=3e-6, steps=True,
                                initial_state=[1e-8, 1e-8]),
        "primal L2": gs.integrate(l2, 250.0, space="theta", method="gd", step=0.05, steps=True),
        "primal SD": gs.integrate(sd, 250.0, space="theta", method="gd", step=0.05, steps=True),
    }
print("steps per run:", {k: v.t.shape[0] - 1 for k, v in runs[6.0].items()})

# %%
colours = plt.cm.viridis(np.linspace(0.0, 0.9, len(strengths)))
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.2), sharey=True)
for colour, s1 in zip(colours, strengths):
    r = runs[s1]
    z = np.abs(r["primal L2"].z)
    left.plot(z[:, 0], z[:, 1], color=colour, lw=1.8, label=f"s₁ = {s1:g}")
    zd = np.abs(r["dual L2"].z)
    left.plot(zd[:, 0], zd[:, 1], color=colour, lw=2.6, ls=":")
    right.plot(z[:, 0], z[:, 1], color=colour, lw=1.8)
    zs = np.abs(r["primal SD"].z)
    right.plot(zs[:, 0], zs[:, 1], color=colour, lw=1.8, ls="--", label=f"s₁ = {s1:g}")
left.plot([], [], color="grey", lw=1.8, label="primal (θ), step 0.05")
left.plot([], [], color="grey", lw=2.6, ls=":", label="dual (α), step 3·10⁻⁶")
right.plot([], [], color="grey", lw=1.8, label="L2")
right.plot([], [], color="grey", lw=1.8, ls="--", label="SD")
left.set_title("L2 (λ = 0.01): dual vs primal")
right.set_title("Primal: L2 (λ = 0.01) vs SD (λ = 0.002)")
for ax in (left, right):
    ax.set_xlim(-0.5, 10.5)
    ax.set_ylim(-0.1, 1.75)
    ax.set_xlabel("|z₁|")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
left.set_ylabel("|z₂|")
fig.suptitle("Figure 6: two-feature toy (δ = 0.5, s₂ = 2), 5000 gradient steps from 0")
fig.tight_layout()
fig.savefig(out / "figure6.png", dpi=110)
print("wrote", out / "figure6.png")

# %% [markdown]
# ## Phase diagram: how much does feature 1 starve feature 2?
#
# The starvation ratio z₂*/z₂⁰ (z⁰: the same model without coupling, δ = 0) over a
# 400 × 300 grid of (s₁/s₂, δ), for L2 and SD, each in ONE vectorised call of the engine (2 × 2
# Newton with the starvation matrix at every point, in parallel, no Python loop). The last axis
# varies fastest, so each point warm-starts from its neighbour.

# %%
ratio = np.geomspace(1.0, 20.0, 400)
delta = np.linspace(0.0, 0.7, 300)
R, D = np.meshgrid(ratio, delta, indexing="xy")  # shape (300, 400): δ rows, ratio columns
s2 = 2.0
panels = {}
for name in ("l2", "sd"):
    t0 = time.perf_counter()
    coupled = gs.toy_equilibria(R * s2, s2, D, 0.01, regulariser=name)
    uncoupled = gs.toy_equilibria(R * s2, s2, 0.0, 0.01, regulariser=name)
    seconds = time.perf_counter() - t0
    assert coupled["converged"].all() and uncoupled["converged"].all()
    panels[name] = coupled["z"][..., 1] / uncoupled["z"][..., 1]
    print(f"{name}: {2 * R.size} equilibria + starvation matrices in {seconds:.3f} s")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True, constrained_layout=True)
for ax, (name, title) in zip(axes, [("l2", "L2 (λ = 0.01)"), ("sd", "SD (λ = 0.01)")]):
    mesh = ax.pcolormesh(R, D, panels[name], vmin=0.0, vmax=1.0, cmap="magma", shading="auto")
    cs = ax.contour(R, D, panels[name], levels=[0.25, 0.5, 0.75], colors="white",
                    linewidths=[0.8, 1.6, 0.8])
    ax.clabel(cs, fmt="%.2f", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("s₁ / s₂")
    ax.set_title(title)
axes[0].set_ylabel("δ (coupling)")
fig.colorbar(mesh, ax=axes, label="z₂* / z₂⁰")
fig.suptitle("Gradient starvation of feature 2 (s₂ = 2): z₂*/z₂⁰, ½-contour thick")
fig.savefig(out / "phase_diagram.png", dpi=110)
print("wrote", out / "phase_diagram.png")
