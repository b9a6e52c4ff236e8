#!/usr/bin/env bash
# Peer baselines for the standard benchmark (docs/architecture.md, "Benchmark").
#
# The one command, from the repository root:
#
#     bench/peers/run.sh > /tmp/peers.json && cargo run --release -- bench all --peers /tmp/peers.json
#
# run.sh makes its own virtual environment in bench/peers/.venv (git-ignored) the first time, or
# whenever requirements.txt changed, installs the pinned CPU peers listed there (numpy, SciPy, JAX,
# diffrax) with pip, and runs peers.py, which prints one JSON object on standard output. Progress
# and pip's messages go to standard error. The first run needs the PyPI registry and a few minutes;
# later runs work offline.
#
# Options are passed on to peers.py: [--grid N] [--scipy-points K] [--repeats R]
#
# The network benchmark's peer is PyTorch (CPU, one thread), in a virtual environment of its own
# (bench/peers/.torch-venv, git-ignored; torch from PyPI, the first run downloads it):
#
#     bench/peers/run.sh network > /tmp/torch.json && cargo run --release -- bench network --peers /tmp/torch.json
#
# Options after `network` go to torch_network.py: [--runs R] [--epochs E]
#
# The Colored-MNIST step (issue #20) against PyTorch on all cores, same virtual environment:
#
#     bench/peers/run.sh colored_mnist > /tmp/torch_cm.json && cargo run --release -- bench colored_mnist --peers /tmp/torch_cm.json
#
# Options after `colored_mnist` go to torch_colored_mnist.py: [--data FOLDER] [--steps S]
# Environment: PYTHON (interpreter for the venv, default python3, needs ≥ 3.11),
#              PEERS_VENV (another place for the virtual environment).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = network ] || [ "${1:-}" = colored_mnist ]; then
  script=torch_network.py
  if [ "$1" = colored_mnist ]; then script=torch_colored_mnist.py; fi
  shift
  tvenv=${TORCH_VENV:-$here/.torch-venv}
  if [ ! -x "$tvenv/bin/python" ]; then
    echo "run.sh: creating $tvenv" >&2
    "${PYTHON:-python3}" -m venv "$tvenv"
  fi
  if ! cmp -s "$here/requirements-torch.txt" "$tvenv/requirements.installed"; then
    echo "run.sh: installing PyTorch into $tvenv" >&2
    "$tvenv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements-torch.txt" >&2
    cp "$here/requirements-torch.txt" "$tvenv/requirements.installed"
  fi
  exec "$tvenv/bin/python" "$here/$script" "$@"
fi
venv=${PEERS_VENV:-$here/.venv}
python=${PYTHON:-python3}
stamp="$venv/requirements.installed"

if [ ! -x "$venv/bin/python" ]; then
  echo "run.sh: creating $venv" >&2
  "$python" -m venv "$venv"
fi
if ! cmp -s "$here/requirements.txt" "$stamp"; then
  echo "run.sh: installing the pinned peers into $venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt" >&2
  cp "$here/requirements.txt" "$stamp"
fi

# CPU only: no accelerator probing, no GPU wheels.
export JAX_PLATFORMS=cpu
exec "$venv/bin/python" "$here/peers.py" "$@"
