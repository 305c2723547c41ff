#include "core/rl/evaluate.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/rl/run.h"

namespace dl {

nlohmann::json EvalResult::to_json() const {
    nlohmann::json j = {{"episodes", episodes},
                        {"mean_return", mean_return},
                        {"std_return", std_return},
                        {"mean_length", mean_length},
                        {"std_length", std_length}};
    if (has_success) j["success_rate"] = success_rate;
    return j;
}

namespace {

// Episodes of `step(obs, rng)` (one env step with the policy's action), summed up.
template <class Step>
EvalResult run_episodes(Env& env, Step&& step, int64_t episodes, uint64_t seed,
                        const EvalFrameFn& on_frame, const std::function<void()>& on_reset) {
    Rng rng(Rng::derive(seed, 7));
    EvalResult r;
    r.episodes = episodes;
    r.has_success = env.defines_success();
    double sum = 0, sum2 = 0, len = 0, len2 = 0, wins = 0;
    for (int64_t e = 0; e < episodes; ++e) {
        Obs obs = env.reset(e == 0 ? std::optional<uint64_t>(seed) : std::nullopt);
        double G = 0;
        int64_t t = 0;
        if (on_frame) on_frame(env, EvalFrame{e, 0, 0.0});
        if (on_reset) on_reset();
        for (bool done = false; !done; ++t) {
            StepResult s = step(obs, rng);
            G += s.reward;
            if (on_frame) on_frame(env, EvalFrame{e, t + 1, G});
            obs = std::move(s.obs);
            done = s.terminated || s.truncated;
        }
        sum += G, sum2 += G * G, len += double(t), len2 += double(t) * double(t);
        wins += env.last_success() ? 1 : 0;
    }
    if (episodes > 0) {
        r.mean_return = sum / double(episodes);
        r.std_return = std::sqrt(std::max(0.0, sum2 / double(episodes) - r.mean_return * r.mean_return));
        r.mean_length = len / double(episodes);
        r.std_length = std::sqrt(std::max(0.0, len2 / double(episodes) - r.mean_length * r.mean_length));
        r.success_rate = wins / double(episodes);
    }
    return r;
}

}  // namespace

EvalResult evaluate_policy(Env& env, const std::function<int(const Obs&, Rng&)>& policy, int64_t episodes,
                           uint64_t seed, const EvalFrameFn& on_frame,
                           const std::function<void()>& on_reset) {
    return run_episodes(env, [&](const Obs& obs, Rng& rng) { return env.step(policy(obs, rng)); }, episodes, seed, on_frame,
                        on_reset);
}

EvalResult evaluate_box_policy(Env& env, const std::function<void(const Obs&, Rng&, float* action)>& policy,
                               int64_t episodes, uint64_t seed, const EvalFrameFn& on_frame) {
    std::vector<float> action(static_cast<size_t>(env.act_dim()));
    return run_episodes(
        env,
        [&](const Obs& obs, Rng& rng) {
            policy(obs, rng, action.data());
            return env.step_box(action.data());
        },
        episodes, seed, on_frame, {});
}

EvalResult evaluate_random(Env& env, int64_t episodes, uint64_t seed, const EvalFrameFn& on_frame) {
    const Space a = env.action_space();
    if (a.kind == Space::Box)
        return evaluate_box_policy(
            env,
            [&](const Obs&, Rng& rng, float* act) {
                for (size_t i = 0; i < a.low.size(); ++i) act[i] = float(a.low[i] + (a.high[i] - a.low[i]) * rng.uniform());
            },
            episodes, seed, on_frame);
    const int n = a.n;
    return evaluate_policy(env, [n](const Obs&, Rng& rng) { return int(rng.below(uint32_t(n))); }, episodes, seed, on_frame);
}

EvalResult evaluate_agent(Env& env, const std::shared_ptr<const AgentFn>& agent, int64_t episodes, uint64_t seed,
                          const EvalFrameFn& on_frame) {
    const Space space = env.observation_space();
    std::vector<float> enc(static_cast<size_t>(env.obs_dim()));
    if (env.action_space().kind == Space::Box)  // the deterministic action (the policy's mean)
        return evaluate_box_policy(
            env,
            [&](const Obs& obs, Rng&, float* action) {
                encode_obs(space, obs, enc.data());
                agent->act_continuous(enc.data(), int(enc.size()), action);
            },
            episodes, seed, on_frame);
    const AgentFn::EpisodePolicy play = agent->greedy_player(agent);
    bool first = true;
    return evaluate_policy(
        env,
        [&](const Obs& obs, Rng&) {
            encode_obs(space, obs, enc.data());
            const int a = play(enc.data(), int(enc.size()), first);
            first = false;
            return a;
        },
        episodes, seed, on_frame, [&] { first = true; });
}

}  // namespace dl
