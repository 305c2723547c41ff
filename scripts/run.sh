#!/usr/bin/env bash
# Installs what is missing, builds, and opens Dreamlab on a ready Frozen Lake lesson.
# Extra arguments go to the app (e.g. --preset qlearning-vs-sarsa, --font-scale 1.5).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)"
exec ./build/dreamlab gui "$@"
