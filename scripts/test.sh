#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (doctest via CTest, GUI smoke under xvfb-run).
# Usage: bash scripts/test.sh [--sanitize | --tsan]
#   --sanitize: a separate build (build-asan/) with -fsanitize=address,undefined, the whole suite
#   --tsan:     a separate build (build-tsan/) with -fsanitize=thread, the tests with threads: Session, RunContext,
#               the pool and vector envs (core_envs), offline rendering in lock step (lesson_video), the GUI (gui_smoke)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dir=build flags=() only=()
# The sanitizer builds keep the Release optimisation level so their numbers (and learning outcomes) match.
case "${1:-}" in
  --sanitize) dir=build-asan flags=(-DDREAMLAB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Release) ;;
  --tsan) dir=build-tsan flags=(-DDREAMLAB_TSAN=ON -DCMAKE_BUILD_TYPE=Release) only=(-R 'core_envs|lesson_video|gui_smoke') ;;
  "") ;;
  *) echo "test.sh: unknown option '$1' (--sanitize or --tsan)"; exit 2 ;;
esac
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
if [ "$dir" = build-tsan ]; then
  # TSan needs the address layout it was built for: without ASLR's high-entropy mmap (setarch -R) it cannot start
  # on kernels with 32 random mmap bits. Races are fatal: the first report fails the test.
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp ${TSAN_OPTIONS:-}"
  exec setarch "$(uname -m)" -R ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" "${only[@]}"
fi
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" "${only[@]}"
