#!/usr/bin/env bash
# The file-format fuzzer (tests/fuzz_files.cpp) under ASan+UBSan: builds only `fuzz_files` in build-fuzz/
# (-DDREAMLAB_SANITIZE=ON, no GUI) and runs each format (config, agent, model, lesson, sweep, sweep_json, run) for SECONDS and at least
# 10,000 inputs. Fails on a crash, a sanitizer report, a hang (one input over 30 s) or an undocumented error; the
# input that did it is left in build-fuzz/fuzz-out/last-FORMAT[.dir] (add it to tests/corpus/FORMAT/ once fixed).
# Usage: bash scripts/fuzz.sh [SECONDS] [SEED]      (default 45 s per format, seed 1; .ci/run runs 20 s)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45} seed=${2:-1}
bash scripts/setup.sh
# -O1 with asserts on (no NDEBUG: Eigen's index checks fire too) and line tables only: a loader does no heavy maths,
# and this compiles in about 2.5 minutes on 2 cores where -O3 -g took 11 minutes of CPU.
cmake -S . -B build-fuzz -DDREAMLAB_SANITIZE=ON -DDREAMLAB_GUI=OFF -DCMAKE_BUILD_TYPE=Fuzz \
      -DCMAKE_CXX_FLAGS_FUZZ=-O1 -DCMAKE_C_FLAGS_FUZZ=-O1 -DDREAMLAB_SANITIZE_DEBUG_INFO=-g1 >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_files
export DREAMLAB_AGENTS="$PWD/assets/agents"
# The formats run side by side, as many at a time as there are cores; each writes its own log, shown when it ends.
mkdir -p build-fuzz/fuzz-out
start=$SECONDS
formats=(config agent model lesson sweep sweep_json run) pids=() failed=()
for f in "${formats[@]}"; do
  while (( $(jobs -rp | wc -l) >= $(nproc) )); do wait -n || true; done
  build-fuzz/tests/fuzz_files "$f" tests/corpus build-fuzz/fuzz-out --seconds "$seconds" --min-inputs 10000 \
      --seed "$seed" >"build-fuzz/fuzz-out/$f.log" 2>&1 &
  pids+=($!)
done
for i in "${!formats[@]}"; do
  f=${formats[$i]}
  if ! wait "${pids[$i]}"; then failed+=("$f"); fi
  sed "s/^/[$f] /" "build-fuzz/fuzz-out/$f.log" | tail -n 40
done
echo "fuzz: $(( ${#formats[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed${failed:+ (${failed[*]})}" \
     "in $(( SECONDS - start )) s of fuzzing"
(( ${#failed[@]} == 0 ))
