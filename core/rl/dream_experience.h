// The real side of a dream learner's loop (dream_ac, dreamer): the env, the model's filtered belief about it and
// the sequence buffer the model trains on, plus the logging both learners share.
#pragma once
#include <memory>
#include <vector>

#include "core/rl/replay.h"
#include "core/rl/run.h"
#include "core/rl/world_model_agent.h"

namespace dl {
class VectorEnv;
}

namespace dl::nn {

// losses/reconstruction, losses/kl, losses/reward_model, losses/continuation_model.
void log_losses(RunContext& ctx, const WorldModelLosses& l);

// The real side of a dream learner's loop: one env (shown in the GUI), the model's belief about it (filtered step
// by step), the experience buffer, and the episode bookkeeping (return and length logged, ticks).
class RealExperience {
public:
    RealExperience(RunContext& ctx, const WorldModel& model, int64_t capacity, Rng& rng);
    ~RealExperience();
    int obs_dim() const { return dim_; }
    int n_actions() const { return n_actions_; }
    const WorldModel::State& belief() const { return belief_; }
    const SequenceBuffer& buffer() const { return buffer_; }
    // One real step with action a. Returns false when the run must stop.
    bool step(int a);
    // The dream–reality gap: the mean return of whole episodes the agent's actor plays in the dream, from the
    // first observations of the newest real episodes (up to 16), each ending where a continuation sampled from the
    // model says so or at the env's time limit. Logged as charts/dream_episode_return, beside the real `return`.
    double log_dream_episodes(const struct WorldModelAgent& agent, float temperature);
    // What the views get: a copy of the agent carrying the newest real steps (the dream-vs-reality strip).
    std::shared_ptr<struct WorldModelAgent> snapshot(const struct WorldModelAgent& agent) const;
    // The env, the stored steps, the belief, the dream-gap stream and starts (checkpoints).
    void io_state(StateIO& io);

private:
    RunContext& ctx_;
    const WorldModel& model_;
    Rng& rng_;
    Rng measure_rng_;  // the dream-gap measurement's own stream: measuring must not change what is learned
    std::unique_ptr<VectorEnv> envs_;
    SequenceBuffer buffer_;
    WorldModel::State belief_;
    std::vector<std::vector<float>> starts_;  // first observations of the newest episodes (a ring of 16)
    size_t next_start_ = 0;
    int time_limit_ = 0;
    int dim_ = 0, n_actions_ = 0;
};

}  // namespace dl::nn
