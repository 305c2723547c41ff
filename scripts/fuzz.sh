#!/usr/bin/env bash
# The file-format fuzzer (tests/fuzz_files.cpp) under ASan+UBSan: builds only `fuzz_files` in build-fuzz/
# (-DDREAMLAB_SANITIZE=ON, no GUI) and runs each format (config, agent, model, lesson) for SECONDS and at least
# 10,000 inputs. Fails on a crash, a sanitizer report, a hang (one input over 30 s) or an undocumented error; the
# input that did it is left in build-fuzz/fuzz-out/last-FORMAT[.dir] (add it to tests/corpus/FORMAT/ once fixed).
# Usage: bash scripts/fuzz.sh [SECONDS] [SEED]      (default 45 s per format, seed 1; .ci/run runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45} seed=${2:-1}
bash scripts/setup.sh
cmake -S . -B build-fuzz -DDREAMLAB_SANITIZE=ON -DDREAMLAB_GUI=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_files
export DREAMLAB_AGENTS="$PWD/assets/agents"
for f in config agent model lesson; do
  build-fuzz/tests/fuzz_files "$f" tests/corpus build-fuzz/fuzz-out --seconds "$seconds" --min-inputs 10000 --seed "$seed"
done
echo "fuzz: 4 passed, 0 failed"
