// core/rl/rollout: the on-policy rollout buffer on Box actions (stored log-probs, clipped env actions, reward
// normalisation).
#include <doctest/doctest.h>

#include <cmath>

#include "core/rl/rollout.h"
#include "core/rl/continuous_agent.h"
#include "core/session/session.h"
#include "envs/registry.h"

using namespace dl;

TEST_CASE("Rollout on Box actions: stored log-probs are the Gaussian's, the env gets clipped actions, norm_reward") {
    // Two rollouts from the same seeds, one with norm_reward: rewards do not change what the policy samples, so
    // step for step raw / normalised = sqrt(running variance of the discounted returns), which is computed here
    // from scratch over every return seen so far (all envs).
    RunConfig cfg;
    cfg.env_id = "Pendulum-v1", cfg.algo_id = "ppo";
    RunContext ctx(cfg);
    const int N = 3, T = 150;  // shorter than the 200-step limit: no truncation bootstrap in the rewards
    VectorEnv envs([&] { return ctx.new_env(); }, N), envs2([&] { return ctx.new_env(); }, N);
    Rng init(7);
    auto agent = nn::MlpAgent::gaussian_actor_critic(envs.env(0).observation_space(), envs.act_dim(), 16, init, "mlp", 0);
    agent->log_std.value(0, 0) = 0.7f;  // σ ≈ 2: many samples fall outside [−2, 2]
    nn::Rollout raw(T, envs), norm(T, envs2);
    norm.norm_reward = true;
    raw.start(envs, 5), norm.start(envs2, 5);
    Rng r1(11), r2(11);
    REQUIRE(raw.collect(envs, *agent, ctx, r1, 0.9f, true));
    REQUIRE(norm.collect(envs2, *agent, ctx, r2, 0.9f, true));
    CHECK(raw.actions == norm.actions);

    // log π(a|s) as stored while acting = DiagGaussian's log-prob on the tape.
    nn::Tape tape;
    const nn::PolicyTerms pi = nn::policy_terms(tape, *agent, agent->actor(tape, tape.constant(raw.obs)), raw.actions);
    const nn::Mat lp = pi.log_prob.value();
    double worst = 0;
    int outside = 0;
    for (int k = 0; k < N * T; ++k) {
        worst = std::max(worst, double(std::fabs(lp(k, 0) - raw.logprobs[size_t(k)])));
        outside += std::fabs(raw.actions(k, 0)) > 2;
    }
    CHECK(worst < 1e-4);
    CHECK(outside > N * T / 10);
    // The env was given the clipped action: Pendulum's cost −(θ² + 0.1 ω² + 0.001 u²) of the first step says which u.
    {
        auto env = make_env("Pendulum-v1", *make_env_args("Pendulum-v1", {}));
        env->reset(5);  // VectorEnv seeds env i with seed + i
        for (int k = 0; k < N * T; k += N) {
            const float u = std::clamp(raw.actions(k, 0), -2.0f, 2.0f);
            const StepResult s = env->step_box(&u);
            CHECK(s.reward == doctest::Approx(raw.rewards[size_t(k)]).epsilon(1e-5));
        }
    }

    std::vector<double> disc(N, 0.0), seen;
    double worst_rel = 0;
    for (int t = 0; t < T; ++t) {
        for (int i = 0; i < N; ++i) disc[size_t(i)] = disc[size_t(i)] * 0.9 + raw.rewards[size_t(t * N + i)], seen.push_back(disc[size_t(i)]);
        double m = 0, v = 0;
        for (double x : seen) m += x;
        m /= double(seen.size());
        for (double x : seen) v += (x - m) * (x - m);
        v /= double(seen.size());
        for (int i = 0; i < N; ++i) {
            const size_t k = size_t(t * N + i);
            if (std::fabs(norm.rewards[k]) < 1e-3) continue;
            worst_rel = std::max(worst_rel, std::fabs(raw.rewards[k] / norm.rewards[k] / std::sqrt(v) - 1));
        }
    }
    MESSAGE("norm_reward: worst relative difference to the batch std " << worst_rel);
    CHECK(worst_rel < 1e-3);
}
