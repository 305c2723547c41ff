#!/usr/bin/env bash
# Builds the RLtools measurement peer outside Dreamlab's tree:
#   scripts/peers/build_rltools_peer.sh RLTOOLS_SOURCE OUT_DIR
# RLTOOLS_SOURCE: a checkout of github.com/rl-tools/rl-tools (its include/ and src/rl/zoo/ are used);
# OUT_DIR: where peer_td3 and peer_sac go (then: dreamlab bench --only rltools_settings --peer-rltools OUT_DIR).
# RLtools' recommended flags: -O3 -march=native -ffast-math, OpenBLAS (apt-get install libopenblas-dev).
set -euo pipefail
src=${1:?usage: build_rltools_peer.sh RLTOOLS_SOURCE OUT_DIR}
out=${2:?usage: build_rltools_peer.sh RLTOOLS_SOURCE OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$src/include/rl_tools" ] || { echo "build_rltools_peer.sh: $src/include/rl_tools not found (not an RLtools checkout)" >&2; exit 2; }
mkdir -p "$out"
flags=(-std=c++17 -O3 -march=native -ffast-math -DRL_TOOLS_BACKEND_ENABLE_OPENBLAS -I "$src/include" -I "$src/src")
g++ "${flags[@]}" "$here/rltools_pendulum.cpp" -o "$out/peer_td3" -lopenblas
g++ "${flags[@]}" -DPEER_SAC "$here/rltools_pendulum.cpp" -o "$out/peer_sac" -lopenblas
echo "built $out/peer_td3 and $out/peer_sac (run them with OPENBLAS_NUM_THREADS=1 for one thread)"
