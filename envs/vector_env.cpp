#include "envs/vector_env.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

namespace dl {

VectorEnv::VectorEnv(const std::function<std::unique_ptr<Env>()>& make, int n, ThreadPool* pool) : pool_(pool) {
    if (n < 1) throw std::invalid_argument("num_envs=" + std::to_string(n) + " is not allowed: expected at least 1");
    for (int i = 0; i < n; ++i) envs_.push_back(make());
    dim_ = envs_[0]->obs_dim();
    const Space a = envs_[0]->action_space();
    if (a.kind == Space::Discrete) n_actions_ = a.n;
    else act_dim_ = envs_[0]->act_dim();
    obs_.assign(size_t(n) * dim_, 0.0f);
    final_obs_.assign(size_t(n) * dim_, 0.0f);
    rewards_.assign(size_t(n), 0.0f);
    term_.assign(size_t(n), 0), trunc_.assign(size_t(n), 0), finished_success_.assign(size_t(n), 0);
    running_return_.assign(size_t(n), 0.0), finished_return_.assign(size_t(n), 0.0);
    running_length_.assign(size_t(n), 0), finished_length_.assign(size_t(n), 0);
}

void VectorEnv::reset(uint64_t seed) {
    for (int i = 0; i < num_envs(); ++i) {
        envs_[size_t(i)]->reset_into(seed + uint64_t(i), &obs_[size_t(i) * dim_]);
        running_return_[size_t(i)] = 0, running_length_[size_t(i)] = 0;
    }
}

template <class StepOne>
void VectorEnv::step_all(StepOne&& step_one) {
    auto work = [&](int begin, int end) {
        for (int i = begin; i < end; ++i) {
            float* o = &obs_[size_t(i) * dim_];
            const StepFlags r = step_one(i, o);
            rewards_[size_t(i)] = float(r.reward);
            term_[size_t(i)] = r.terminated, trunc_[size_t(i)] = r.truncated;
            running_return_[size_t(i)] += r.reward;
            running_length_[size_t(i)] += 1;
            if (r.terminated || r.truncated) {
                std::copy_n(o, dim_, &final_obs_[size_t(i) * dim_]);
                finished_return_[size_t(i)] = running_return_[size_t(i)];
                finished_length_[size_t(i)] = running_length_[size_t(i)];
                finished_success_[size_t(i)] = envs_[size_t(i)]->last_success();
                running_return_[size_t(i)] = 0, running_length_[size_t(i)] = 0;
                envs_[size_t(i)]->reset_into(std::nullopt, o);  // SAME_STEP autoreset
            }
        }
    };
    // Whether to hand chunks to the pool at all is measured, not assumed: the first steps run on the caller alone,
    // and from then on each way keeps a running mean of its time per step; the faster one runs, the other is timed
    // again for 4 steps in every 64. With the cores free, 4096 CartPoles run faster on 2 threads; with another process
    // busy (a browser, the GUI) a worker shares its core and the caller alone is faster; a few envs are always
    // faster on the caller (a hand-off costs more than their step). A chunk handed out holds about 5 µs of
    // stepping (CartPole ~15 ns a step: ~350 envs). Either way every env steps the same: results are the same.
    if (!pool_ || pool_->size() == 1) return work(0, num_envs());
    const int64_t call = calls_++, phase = call % 64;
    // Too few envs to cut into two chunks: the caller alone, untimed (a clock read costs as much as a few envs'
    // step) but for one timed step in 1024 that checks the grain again.
    if (call >= kTimedSteps && pool_->chunks(num_envs(), grain_) < 2 && call % 1024 != 0) return work(0, num_envs());
    // In every 64 steps, steps 0–3 run the way that is slower now (the first of them, which wakes the workers or
    // lets them fall asleep, is not counted), the other 60 the faster one.
    bool parallel = ns_parallel_ < 0 || ns_parallel_ < ns_inline_;
    if (phase < 4) parallel = !parallel;
    if (call < kTimedSteps || pool_->chunks(num_envs(), grain_) < 2) parallel = false;
    const auto t0 = std::chrono::steady_clock::now();
    if (parallel) pool_->parallel_for(num_envs(), work, grain_);
    else work(0, num_envs());
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    if (!parallel) grain_ = int(std::clamp(5000.0 / std::max(ns / num_envs(), 0.5), 1.0, 1e6));
    if (phase == 0 || phase == 4) return;  // a switch of mode
    double& mean = parallel ? ns_parallel_ : ns_inline_;
    mean = mean < 0 ? ns : 0.8 * mean + 0.2 * ns;
}

void VectorEnv::step(const int32_t* actions) {
    step_all([&](int i, float* o) { return envs_[size_t(i)]->step_into(actions[i], o); });
}

void VectorEnv::step_box(const float* actions) {
    step_all([&](int i, float* o) { return envs_[size_t(i)]->step_box_into(actions + size_t(i) * act_dim_, o); });
}

void VectorEnv::io_state(StateIO& io) {
    io.section("VectorEnv");
    const size_t n = io.count(envs_.size(), 1);
    if (n != envs_.size()) io.fail(std::to_string(n) + " envs where this run has " + std::to_string(envs_.size()));
    for (auto& e : envs_) e->io_state(io);
    io(obs_, final_obs_, rewards_, term_, trunc_, finished_success_, running_return_, finished_return_, running_length_,
       finished_length_);
    if (io.loading() && (obs_.size() != envs_.size() * size_t(dim_) || final_obs_.size() != obs_.size() ||
                         rewards_.size() != n || term_.size() != n || trunc_.size() != n || finished_success_.size() != n ||
                         running_return_.size() != n || finished_return_.size() != n || running_length_.size() != n ||
                         finished_length_.size() != n))
        io.fail("vector env buffers of other sizes than its " + std::to_string(n) + " envs");
}

}  // namespace dl
