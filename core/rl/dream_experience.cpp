#include "core/rl/dream_experience.h"

#include "envs/vector_env.h"

namespace dl::nn {

void log_losses(RunContext& ctx, const WorldModelLosses& l) {
    ctx.log("losses/reconstruction", l.recon);
    ctx.log("losses/kl", l.kl);
    ctx.log("losses/reward_model", l.reward);
    ctx.log("losses/continuation_model", l.cont);
}

RealExperience::RealExperience(RunContext& ctx, const WorldModel& model, int64_t capacity, Rng& rng)
    : ctx_(ctx), model_(model), rng_(rng), measure_rng_(Rng::derive(ctx.seed(), 77)), envs_(std::make_unique<VectorEnv>([&] { return ctx.new_env(); }, 1)),
      buffer_(envs_->obs_dim(), capacity), dim_(envs_->obs_dim()), n_actions_(envs_->num_actions()) {
    ctx.show_env(envs_->env(0));
    const int limit = envs_->env(0).max_episode_steps();
    time_limit_ = limit > 0 ? limit : 1000;
    envs_->reset(ctx.seed());
    starts_.push_back(std::vector<float>(envs_->obs(), envs_->obs() + dim_));
    buffer_.add(envs_->obs(), -1, 0, false, true);
    model_.observe_first(belief_, Eigen::Map<const Mat>(envs_->obs(), 1, dim_), rng_);
}

void RealExperience::io_state(StateIO& io) {
    io.section("real_experience"), io(measure_rng_, *envs_, buffer_, belief_.h, belief_.z, starts_, next_start_);
}

RealExperience::~RealExperience() = default;

std::shared_ptr<WorldModelAgent> RealExperience::snapshot(const WorldModelAgent& agent) const {
    auto copy = std::make_shared<WorldModelAgent>(agent);
    copy->recent = buffer_.last(32);
    return copy;
}

double RealExperience::log_dream_episodes(const WorldModelAgent& agent, float temperature) {
    Mat first(Eigen::Index(starts_.size()), dim_);
    for (size_t i = 0; i < starts_.size(); ++i) first.row(Eigen::Index(i)) = Eigen::Map<const Mat>(starts_[i].data(), 1, dim_);
    const std::vector<double> r = agent.dream_episodes(first, time_limit_, temperature, measure_rng_);
    double mean = 0;
    for (double x : r) mean += x / double(r.size());
    ctx_.log("charts/dream_episode_return", mean);
    return mean;
}

bool RealExperience::step(int a) {
    const int32_t act = a;
    envs_->step(&act);
    if (!ctx_.tick(Tick::EnvStep)) return false;
    const Eigen::Map<const Mat> obs(envs_->obs(), 1, dim_);
    if (envs_->done(0)) {
        // The arrival (final observation) belongs to the finished episode; then the next one starts.
        buffer_.add(envs_->final_obs(), a, envs_->reward(0), envs_->terminated(0), false);
        ctx_.log("return", envs_->episode_return(0));
        ctx_.log("length", double(envs_->episode_length(0)));
        if (!ctx_.tick(Tick::Episode)) return false;
        buffer_.add(obs.data(), -1, 0, false, true);
        model_.observe_first(belief_, obs, rng_);
        std::vector<float> first(obs.data(), obs.data() + dim_);
        if (starts_.size() < 16) starts_.push_back(std::move(first));
        else starts_[next_start_++ % 16] = std::move(first);
    } else {
        buffer_.add(obs.data(), a, envs_->reward(0), false, false);
        model_.step_posterior(belief_, {act}, obs, rng_);
    }
    return true;
}

}  // namespace dl::nn
