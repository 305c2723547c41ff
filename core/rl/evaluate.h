// Evaluation of a fixed policy by running episodes: the numbers `dreamlab eval` prints.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "base/rng.h"
#include "envs/env.h"

namespace dl {

struct EvalResult {
    int64_t episodes = 0;
    double mean_return = 0, std_return = 0, mean_length = 0, std_length = 0;
    bool has_success = false;
    double success_rate = 0;
    nlohmann::json to_json() const;
};

// Where an evaluation stands when it shows a frame: which episode, its step (0 after the reset) and the return
// so far (the reward of the step just taken included).
struct EvalFrame {
    int64_t episode = 0, step = 0;
    double ret = 0;
};
using EvalFrameFn = std::function<void(const Env&, const EvalFrame&)>;

// Policy: observation → action. The env is reset with `seed` first, then continues its own stream.
// on_frame (optional) sees the env after every reset and step, with where it stands (to record videos);
// on_reset (optional) is told of every reset before the policy sees its observation (policies with memory).
EvalResult evaluate_policy(Env& env, const std::function<int(const Obs&, Rng&)>& policy, int64_t episodes,
                           uint64_t seed, const EvalFrameFn& on_frame = {},
                           const std::function<void()>& on_reset = {});

// The same for a Box action space: the policy writes act_dim() numbers into `action`.
EvalResult evaluate_box_policy(Env& env, const std::function<void(const Obs&, Rng&, float* action)>& policy,
                               int64_t episodes, uint64_t seed,
                               const EvalFrameFn& on_frame = {});
// Uniform random play: a uniform action index, or for Box actions a uniform vector within the bounds.
EvalResult evaluate_random(Env& env, int64_t episodes, uint64_t seed,
                           const EvalFrameFn& on_frame = {});

struct AgentFn;
// A deep agent's greedy policy, played episode by episode (AgentFn::greedy_player: agents with a memory filter
// every frame), on observations encoded as the agent reads them.
EvalResult evaluate_agent(Env& env, const std::shared_ptr<const AgentFn>& agent, int64_t episodes, uint64_t seed,
                          const EvalFrameFn& on_frame = {});

}  // namespace dl
