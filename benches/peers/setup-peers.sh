#!/usr/bin/env bash
# Makes a Python environment with the peers that peers.py times, once, and
# prints the interpreter to use:  "$(benches/peers/setup-peers.sh)" benches/peers/peers.py
# PyTorch from the package index is the CUDA build: about 6 GB on disk.
set -euo pipefail
venv="${GRADTAPE_PEERS_VENV:-$HOME/.cache/gradtape-peers}"
if ! "$venv/bin/python" -c 'import numpy, torch, tensorflow' >/dev/null 2>&1; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q numpy torch tensorflow-cpu >&2
fi
echo "$venv/bin/python"
