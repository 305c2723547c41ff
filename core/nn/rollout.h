// Rollout — the mechanics of collecting on-policy experience from a VectorEnv with a categorical policy and
// a critic (PPO, A2C): act, step, store, bootstrap time-limit truncations, log finished episodes. What the
// algorithms then do with it (GAE, losses) stays in their own files.
#pragma once
#include <vector>

#include "core/nn/agent.h"
#include "core/run.h"
#include "envs/vector_env.h"

namespace dl::nn {

struct Rollout {
    int T = 0, N = 0, D = 0;                 // steps per env, envs, observation size; row k = t * N + i
    Mat obs;                                 // (T·N) × D
    std::vector<int32_t> actions;
    std::vector<float> logprobs, values, rewards, dones;  // dones[k]: the episode ended before step t (CleanRL's)
    Mat next_obs;                            // N × D after the last step
    std::vector<float> next_done;            // N
    Mat next_value;                          // N × 1: V(next_obs), for bootstrapping

    Rollout(int T, int N, int D);
    void start(VectorEnv& envs, uint64_t seed);  // reset the envs
    // Fills the T steps. A truncated (not terminated) episode gets γ V(final obs) added to its last reward when
    // bootstrap_truncated. Returns false when the run must stop.
    bool collect(VectorEnv& envs, const MlpAgent& agent, RunContext& ctx, Rng& rng, float gamma, bool bootstrap_truncated);
};

}  // namespace dl::nn
