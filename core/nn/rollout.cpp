#include "core/nn/rollout.h"

#include <cmath>

namespace dl::nn {

Rollout::Rollout(int T_, int N_, int D_)
    : T(T_), N(N_), D(D_), obs(T_ * N_, D_), actions(size_t(T_) * N_), logprobs(size_t(T_) * N_), values(size_t(T_) * N_),
      rewards(size_t(T_) * N_), dones(size_t(T_) * N_), next_obs(N_, D_), next_done(size_t(N_), 0.0f) {}

void Rollout::start(VectorEnv& envs, uint64_t seed) {
    envs.reset(seed);
    next_obs = Eigen::Map<const Mat>(envs.obs(), N, D);
    std::fill(next_done.begin(), next_done.end(), 0.0f);
}

bool Rollout::collect(VectorEnv& envs, const MlpAgent& agent, RunContext& ctx, Rng& rng, float gamma, bool bootstrap_truncated) {
    Mat logits, value, fv;
    std::vector<int32_t> act(static_cast<size_t>(N));
    const int A = envs.num_actions();
    for (int t = 0; t < T; ++t) {
        agent.actor.forward(next_obs, logits);
        agent.critic.forward(next_obs, value);
        for (int i = 0; i < N; ++i) {
            const size_t k = size_t(t) * N + i;
            obs.row(Eigen::Index(k)) = next_obs.row(i);
            dones[k] = next_done[size_t(i)];
            act[size_t(i)] = sample_categorical(&logits(i, 0), A, rng);
            const float mx = logits.row(i).maxCoeff();
            const float lse = mx + std::log((logits.row(i).array() - mx).exp().sum());
            logprobs[k] = logits(i, act[size_t(i)]) - lse;
            values[k] = value(i, 0);
            actions[k] = act[size_t(i)];
        }
        envs.step(act.data());
        for (int i = 0; i < N; ++i) {
            const size_t k = size_t(t) * N + i;
            rewards[k] = envs.reward(i);
            if (bootstrap_truncated && envs.truncated(i) && !envs.terminated(i)) {
                // A time limit is not a failure: the value of where the agent stood still counts.
                agent.critic.forward(Eigen::Map<const Mat>(envs.final_obs() + size_t(i) * D, 1, D), fv);
                rewards[k] += gamma * fv(0, 0);
            }
            next_done[size_t(i)] = envs.done(i) ? 1.0f : 0.0f;
        }
        next_obs = Eigen::Map<const Mat>(envs.obs(), N, D);
        if (!ctx.tick(Tick::EnvStep, N)) return false;
        for (int i = 0; i < N; ++i)
            if (envs.done(i)) {
                ctx.log("return", envs.episode_return(i));
                ctx.log("length", double(envs.episode_length(i)));
                if (envs.env(i).defines_success()) ctx.log("success", envs.episode_success(i) ? 1.0 : 0.0);
                if (!ctx.tick(Tick::Episode)) return false;
            }
    }
    agent.critic.forward(next_obs, next_value);
    return true;
}

}  // namespace dl::nn
