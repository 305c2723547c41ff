// VectorEnv — N copies of one environment stepped together, optionally on a passed-in thread pool.
//
// Autoreset follows Gymnasium's SAME_STEP mode (the convention of Stable-Baselines3 and of CleanRL's
// scripts on Gymnasium 0.29): when a sub-env's episode ends, step() returns the first observation of its
// next episode in obs(), and the last observation of the finished episode in final_obs() (needed to
// bootstrap a truncated episode). Sub-env i is seeded with seed + i at reset(seed), as Gymnasium does.
// Each sub-env owns its RNG and actions come from the caller, so results do not depend on the thread count.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/pool.h"
#include "envs/env.h"

namespace dl {

class VectorEnv {
public:
    VectorEnv(const std::function<std::unique_ptr<Env>()>& make, int n, ThreadPool* pool = nullptr);

    int num_envs() const { return int(envs_.size()); }
    int obs_dim() const { return dim_; }
    int num_actions() const { return n_actions_; }  // Discrete actions; 0 for Box
    int act_dim() const { return act_dim_; }        // Box actions: numbers per action; 0 for Discrete
    Env& env(int i) { return *envs_[size_t(i)]; }

    void reset(uint64_t seed);
    void step(const int32_t* actions);
    void step_box(const float* actions);  // Box actions: N × act_dim()

    const float* obs() const { return obs_.data(); }               // N × obs_dim
    const float* final_obs() const { return final_obs_.data(); }   // rows valid where done(i)
    float reward(int i) const { return rewards_[size_t(i)]; }
    bool terminated(int i) const { return term_[size_t(i)]; }
    bool truncated(int i) const { return trunc_[size_t(i)]; }
    bool done(int i) const { return term_[size_t(i)] || trunc_[size_t(i)]; }
    // Return and length of the episode that just ended in sub-env i (valid where done(i)).
    double episode_return(int i) const { return finished_return_[size_t(i)]; }
    int64_t episode_length(int i) const { return finished_length_[size_t(i)]; }
    bool episode_success(int i) const { return finished_success_[size_t(i)]; }
    // Every sub-env's state and the episode bookkeeping (checkpoints; base/state_io.h).
    void io_state(StateIO& io);

private:
    std::vector<std::unique_ptr<Env>> envs_;
    ThreadPool* pool_;
    int dim_ = 0, n_actions_ = 0, act_dim_ = 0;
    template <class StepOne>
    void step_all(StepOne&& step_one);
    static constexpr int kTimedSteps = 4;  // the first steps run on the caller and timed
    int64_t calls_ = 0;
    int grain_ = 1;                            // envs per chunk handed to the pool (about 5 µs of stepping)
    double ns_inline_ = -1, ns_parallel_ = -1; // running means of a step's time each way (< 0: not measured yet)
    std::vector<float> obs_, final_obs_, rewards_;
    std::vector<uint8_t> term_, trunc_, finished_success_;
    std::vector<double> running_return_, finished_return_;
    std::vector<int64_t> running_length_, finished_length_;
};

}  // namespace dl
