// A measurement peer, built OUTSIDE Dreamlab's tree against RLtools' public source (rl-tools/rl-tools): RLtools'
// own Pendulum-v1 zoo config of TD3 (default) or SAC (-DPEER_SAC), trained for N steps and timed from after its
// initialisation, like `dreamlab bench --only rltools_settings` times ours. Prints one JSON line.
// This file only calls RLtools' API; none of RLtools' code is part of Dreamlab. Build: build_rltools_peer.sh.
#include <rl_tools/operations/cpu_mux.h>
#include <rl_tools/nn/optimizers/adam/instance/operations_generic.h>
#include <rl_tools/nn/operations_cpu_mux.h>
#include <rl_tools/nn/layers/sample_and_squash/operations_generic.h>
#include <rl_tools/nn/layers/td3_sampling/operations_generic.h>
#include <rl_tools/nn_models/mlp/operations_generic.h>
#include <rl_tools/nn_models/sequential/operations_generic.h>
#include <rl_tools/nn/optimizers/adam/operations_generic.h>
#include <rl_tools/rl/environments/pendulum/operations_cpu.h>
#ifdef PEER_SAC
#include <rl_tools/rl/algorithms/sac/loop/core/config.h>
#include <rl_tools/rl/algorithms/sac/loop/core/operations_generic.h>
#include "rl/zoo/pendulum-v1/sac.h"
namespace algo = rl_tools::rl::zoo::pendulum_v1::sac;
#else
#include <rl_tools/rl/algorithms/td3/loop/core/config.h>
#include <rl_tools/rl/algorithms/td3/loop/core/operations_generic.h>
#include "rl/zoo/pendulum-v1/td3.h"
namespace algo = rl_tools::rl::zoo::pendulum_v1::td3;
#endif
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace rlt = rl_tools;
using DEVICE = rlt::devices::DEVICE_FACTORY<>;
using RNG = DEVICE::SPEC::RANDOM::ENGINE<>;
using TYPE_POLICY = rlt::numeric_types::Policy<float>;
using TI = typename DEVICE::index_t;
using CONFIG = algo::FACTORY<DEVICE, TYPE_POLICY, TI, RNG, true>::LOOP_CORE_CONFIG;
using STATE = CONFIG::State<CONFIG>;

int main(int argc, char** argv) {
    const long steps = argc > 1 ? std::atol(argv[1]) : 10000;
    DEVICE device;
    STATE ts;
    rlt::malloc(device, ts);
    rlt::init(device, ts, 1);
    const auto t0 = std::chrono::steady_clock::now();
    long n = 0;
    while (n < steps && !rlt::step(device, ts)) ++n;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"steps\": %ld, \"seconds\": %.4f, \"us_per_step\": %.2f}\n", n, s, s / double(n) * 1e6);
    rlt::free(device, ts);
}
