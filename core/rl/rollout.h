// Rollout — the mechanics of collecting on-policy experience from a VectorEnv with a stochastic policy and a
// critic (PPO, A2C): act, step, store, bootstrap time-limit truncations, log finished episodes. The policy is
// categorical over the actor's logits (Discrete actions) or a diagonal Gaussian N(actor's mean, exp(log_std)²)
// (Box actions: the sample is stored as drawn, the env gets it clipped to its bounds, as CleanRL's ClipAction).
// What the algorithms then do with it (GAE, losses) stays in their own files.
#pragma once
#include <vector>

#include "core/rl/mlp_agent.h"
#include "core/rl/run.h"
#include "envs/vector_env.h"

namespace dl::nn {

struct Rollout {
    int T = 0, N = 0, D = 0;                 // steps per env, envs, observation size; row k = t * N + i
    int A = 0;                               // Box: numbers per action; 0 for Discrete
    Mat obs;                                 // (T·N) × D
    Mat actions;                             // (T·N) × A (Box) or × 1 (Discrete: the index)
    std::vector<float> logprobs, values, rewards, dones;  // dones[k]: the episode ended before step t (CleanRL's)
    Mat next_obs;                            // N × D after the last step
    std::vector<float> next_done;            // N
    Mat next_value;                          // N × 1: V(next_obs), for bootstrapping
    // Scale rewards by the running standard deviation of each env's discounted return (Gymnasium's NormalizeReward,
    // SB3's VecNormalize): value targets stay near unit size whatever the env's reward scale. Logged returns stay raw.
    bool norm_reward = false;

    Rollout(int T, VectorEnv& envs);
    void start(VectorEnv& envs, uint64_t seed);  // reset the envs
    // Fills the T steps. A truncated (not terminated) episode gets γ V(final obs) added to its last reward when
    // bootstrap_truncated. Returns false when the run must stop.
    bool collect(VectorEnv& envs, const MlpAgent& agent, RunContext& ctx, Rng& rng, float gamma, bool bootstrap_truncated);
    // What carries from one rollout to the next (where the envs stand, the reward normaliser), for checkpoints.
    void io_state(StateIO& io) { io.section("rollout"), io(next_obs, next_done, disc_return_, ret_mean_, ret_var_, ret_count_); }

private:
    std::vector<float> low_, high_, env_act_;  // Box bounds; the clipped actions the envs get
    std::vector<int32_t> disc_act_;
    std::vector<double> disc_return_;                       // per env, for norm_reward
    double ret_mean_ = 0, ret_var_ = 1, ret_count_ = 1e-4;  // running moments of the discounted returns
};

// The GAE overlay (core/rl/insides.h): env 0's T steps of the newest rollout, each with r_t, V(s_t), δ_t, A_t
// (deltas and advantages as the algorithm computed them, row t·N), its observation where it is small (≤ 16
// numbers: the state plane) and its state on a tabular env of num_states (0: not tabular); with `ratios` (PPO) each sample's π_new/π_old at the
// last epoch's pass and whether the clipped objective gave it no gradient (A > 0 and ratio > 1 + clip, or A < 0
// and ratio < 1 − clip; A as the loss saw it, `adv_used`).
InsideLayer gae_path(const Rollout& ro, const std::vector<float>& deltas, const std::vector<float>& advantages,
                     float gamma, float lambda, int num_states, const std::vector<float>* ratios = nullptr,
                     const std::vector<float>* adv_used = nullptr, float clip = 0);

// log π(a|s) (B × 1) and the entropy of π(·|s) (B × 1; 1 × 1 for a Gaussian, whose σ does not depend on s) on
// the tape, for the actions a rollout stored (rows of `actions`), from the actor's output `out` for those states.
struct PolicyTerms {
    Var log_prob, entropy;
};
PolicyTerms policy_terms(Tape& tape, MlpAgent& agent, Var out, const Mat& actions);

}  // namespace dl::nn
