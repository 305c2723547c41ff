#!/usr/bin/env bash
# The portable build computes the same bits on every x86-64-v3 CPU only if no instruction whose result the CPU
# vendor may choose gets in: the approximate reciprocals (rcp*, rsqrt*: AMD and Intel differ in the low bits).
# Eigen's float sqrt used one (core/nn/exact_math.h says why it no longer does); this keeps any from coming back.
# Usage: check_exact_instructions.sh BINARY...
set -euo pipefail
status=0
for bin in "$@"; do
  found=$(objdump -d --no-show-raw-insn "$bin" | grep -E '[[:space:]](v?rsqrt|v?rcp)(14|28)?(ps|ss|pd|sd)[[:space:]]' || true)
  if [ -n "$found" ]; then
    echo "$bin: $(echo "$found" | wc -l) approximate floating-point instructions, e.g.:"
    echo "$found" | head -5
    status=1
  else
    echo "$bin: no approximate floating-point instructions"
  fi
done
exit $status
