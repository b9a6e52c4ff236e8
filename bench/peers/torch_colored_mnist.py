"""PyTorch peer of `starvation bench colored_mnist` (issue #20, Table 1's protocol step).

The same step as ours: Colored MNIST built from Fashion-MNIST's training file as IRM's code
does (images 0-49 999 in two environments, 14 x 14, label noise 0.25, colour flips 0.2 / 0.1),
an MLP 392 -> 300 -> 300 -> 1 (ReLU, Xavier-uniform, zero biases), full-batch Adam (lr 1e-4) on
the mean binary cross-entropy of all 50 000 images, float32, torch's default thread count (all
cores). Times `--steps` steps after one warm-up step.

Prints one JSON object {"pytorch_colored_mnist": {...}} on standard output.
"""

import argparse
import gzip
import json
import os
import time

import torch


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * k : 8 + 4 * k], "big") for k in range(dims)]
    body = torch.frombuffer(bytearray(data[4 + 4 * dims :]), dtype=torch.uint8)
    return body.reshape(shape)


def environments(folder, seed):
    def find(stem):
        gz = os.path.join(folder, stem + ".gz")
        return gz if os.path.exists(gz) else os.path.join(folder, stem)

    images = read_idx(find("train-images-idx3-ubyte"))[:50000]
    labels = read_idx(find("train-labels-idx1-ubyte"))[:50000]
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(50000, generator=g)
    images, labels = images[order], labels[order]
    xs, ys = [], []
    for k, e in enumerate([0.2, 0.1]):
        im = images[k::2, ::2, ::2].float()
        y = (labels[k::2] < 5).float()
        y = (y - (torch.rand(len(y), generator=g) < 0.25).float()).abs()
        colour = (y - (torch.rand(len(y), generator=g) < e).float()).abs()
        im = torch.stack([im, im], dim=1)
        im[torch.arange(len(im)), (1 - colour).long(), :, :] *= 0
        xs.append(im.reshape(len(im), -1) / 255.0)
        ys.append(y[:, None])
    return torch.cat(xs), torch.cat(ys)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    torch.manual_seed(0)
    x, y = environments(args.data, 0)
    layers = [torch.nn.Linear(392, 300), torch.nn.Linear(300, 300), torch.nn.Linear(300, 1)]
    for lin in layers:
        torch.nn.init.xavier_uniform_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(), layers[2])
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step():
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss)

    step()
    start = time.perf_counter()
    cpu = time.process_time()
    for _ in range(args.steps):
        loss = step()
    seconds = (time.perf_counter() - start) / args.steps
    print(
        json.dumps(
            {
                "pytorch_colored_mnist": {
                    "seconds_per_step": seconds,
                    "cpu_seconds_per_step": (time.process_time() - cpu) / args.steps,
                    "threads": torch.get_num_threads(),
                    "steps": args.steps,
                    "examples": int(x.shape[0]),
                    "final_loss": loss,
                    "torch": torch.__version__,
                }
            }
        )
    )


if __name__ == "__main__":
    main()
