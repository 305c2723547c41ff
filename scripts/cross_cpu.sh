#!/usr/bin/env bash
# Runs the pinned short runs (dreamlab repro) on emulated CPUs other than this one and compares their metric hashes
# with tests/metric_hashes.txt: the portable build must compute the same bytes on an AVX2-only AMD (EPYC-Rome,
# Zen 2), an Intel Haswell and whatever this machine is. qemu's user-mode emulator (Debian's qemu-user) runs the
# same binary with another CPU's CPUID, cache sizes and approximate instructions. Slow (TCG): ~10 minutes a model.
# Usage: bash scripts/cross_cpu.sh [BUILD_DIR] [CPU_MODEL...]     (default: build EPYC-Rome Haswell)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(EPYC-Rome Haswell)
if ! command -v qemu-x86_64 >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends qemu-user
fi
status=0
echo "== this machine"
"$dir/dreamlab" repro --check tests/metric_hashes.txt || status=1
for m in "${models[@]}"; do
  echo "== qemu-x86_64 -cpu $m"
  # qemu warns about host features its emulator lacks (rdseed, sha-ni, ...); they are not used.
  qemu-x86_64 -cpu "$m" "$dir/dreamlab" repro --check tests/metric_hashes.txt 2> >(grep -v "TCG doesn't support" >&2) ||
    status=1
done
exit $status
