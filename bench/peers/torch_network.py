"""PyTorch peer of `starvation bench network` (docs/theory.md §7, Figure 2's training).

Same task as ours: the two-moons points of bench/peers/two_moons_300.csv (written by the crate,
so both train on identical data), a 2 -> 500 ReLU -> 1 network with PyTorch's default
initialisation, full-batch SGD (lr 1e-2, momentum 0.9, weight decay 2e-4) on the mean logistic
loss for 10 000 epochs, float64, one thread. At initialisation: the per-example Jacobian J,
K = J J^T and its eigenvectors; every epoch: z = U^T y_hat for eigen-indices 1 and 6.

Prints one JSON object {"pytorch": {...}} on standard output.
"""

import argparse
import csv
import json
import os
import time

import torch


def load(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    x = torch.tensor([[float(r["x1"]), float(r["x2"])] for r in rows], dtype=torch.float64)
    y = torch.tensor([float(r["y"]) for r in rows], dtype=torch.float64)
    return x, y


def run(x, y, seed, epochs, dtype):
    torch.manual_seed(seed)
    x = x.to(dtype)
    y = y.to(dtype)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 500), torch.nn.ReLU(), torch.nn.Linear(500, 1)
    ).to(dtype)
    # Tangent features at initialisation: J (n x m), K = J J^T, eigenvectors descending.
    params = {k: v.detach() for k, v in model.named_parameters()}

    def f(p):
        return torch.func.functional_call(model, p, (x,)).squeeze(1)

    jac = torch.func.jacrev(f)(params)
    j = torch.cat([v.reshape(x.shape[0], -1) for v in jac.values()], dim=1)
    k = j @ j.T
    _, vectors = torch.linalg.eigh(k)
    u = vectors.flip(1)[:, [1, 6]]
    opt = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9, weight_decay=2e-4)
    z = torch.empty(epochs + 1, 2, dtype=dtype)
    for epoch in range(epochs):
        out = model(x).squeeze(1)
        z[epoch] = (u.T @ out.detach()).abs()
        loss = torch.nn.functional.softplus(-y * out).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        z[epochs] = (u.T @ model(x).squeeze(1)).abs()
    return float(loss.detach()), z


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=10_000)
    ap.add_argument("--data", default=os.path.join(here, "two_moons_300.csv"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    x, y = load(args.data)
    out = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "epochs": args.epochs,
        "runs": args.runs,
        "examples": int(x.shape[0]),
    }
    for name, dtype in [("float64", torch.float64), ("float32", torch.float32)]:
        times = []
        cpu = []
        for seed in range(args.runs):
            start = time.perf_counter()
            start_cpu = time.process_time()
            loss, _ = run(x, y, seed, args.epochs, dtype)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            print(f"torch_network.py: {name} seed {seed}: {times[-1]:.2f} s "
                  f"(CPU {cpu[-1]:.2f} s), loss {loss:.4g}",
                  file=__import__("sys").stderr)
        key = "seconds_per_run" if name == "float64" else "float32_seconds_per_run"
        out[key] = min(times)
        out[key.replace("seconds_per_run", "seconds_all_runs")] = times
        out[key.replace("seconds_per_run", "cpu_seconds_per_run")] = min(cpu)
    print(json.dumps({"pytorch": out}))


if __name__ == "__main__":
    main()
