#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (doctest via CTest, GUI smoke under xvfb-run).
# Usage: bash scripts/test.sh [--sanitize]     (--sanitize: a separate build with -fsanitize=address,undefined)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dir=build flags=()
# The sanitizer build keeps the Release optimisation level so its numbers (and learning outcomes) match.
if [ "${1:-}" = "--sanitize" ]; then dir=build-asan flags=(-DDREAMLAB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Release); fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)"
