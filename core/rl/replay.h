// Replay buffers, one family: rings of transitions (s, a, r, s', done) for the off-policy learners (DQN, DDPG,
// TD3, SAC) and rings of steps in time order, sampled as sequences, for the world-model learners.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "base/rng.h"
#include "core/nn/layers.h"
#include "core/nn/world_model.h"
#include "core/rl/insides.h"
#include "envs/env.h"

namespace dl::nn {

// Transitions (s, a, r, s', terminated, discount) in a ring: the oldest go first. Actions as the networks see
// them: Box actions in [−1, 1]ᴰ (DDPG, TD3, SAC), or a discrete action's index as one number (DQN). discount is
// what the bootstrap is multiplied by (γⁿ for DQN's n-step returns; 1 where the learner applies γ itself).
class TransitionBuffer {
public:
    TransitionBuffer(int obs_dim, int act_dim, int64_t capacity);
    void add(const float* obs, const float* action, float reward, const float* next_obs, bool terminated,
             float discount = 1.0f);
    int64_t size() const { return size_; }
    struct Batch {
        Mat obs, action, reward, next_obs, not_done, discount;  // B × D, B × A, B × 1, B × D, B × 1 (1 − terminated), B × 1
    };
    void sample(int B, Rng& rng, Batch& out);  // uniform with replacement over what is stored
    void io_state(StateIO& io);  // what is stored and where the ring stands (checkpoints)

    // How the buffer has been sampled (the replay overlays; never part of a checkpoint: a resumed run counts
    // afresh). Every sample drawn is counted once: on its stored transition while it is stored, in
    // drawn_evicted once the ring overwrote it, so Σ times_sampled + drawn_evicted = drawn.
    struct SampleStats {
        int64_t added = 0;                    // transitions stored so far
        int64_t drawn = 0, drawn_evicted = 0;
        std::vector<uint32_t> times_sampled;  // per ring slot, since that slot's transition was stored
        std::vector<int64_t> stored_at;       // per ring slot: the index (0, 1, …) of the add that stored it
        // The ages of the samples drawn, in transitions stored since (0 = the newest): bin 0 counts age 0, bin i ≥ 1
        // ages in [2^(i−1), 2^i).
        std::vector<int64_t> age_bins;
    };
    const SampleStats& sample_stats() const { return stats_; }
    const float* obs_row(int64_t slot) const { return obs_.row(slot).data(); }  // row-major: contiguous
    int obs_dim() const { return D_; }
    // Ring slots in storage order, oldest first.
    int64_t slot(int64_t i) const { return size_ < cap_ ? i : (pos_ + i) % cap_; }

private:
    void reset_stats();
    int D_, A_;
    int64_t cap_, size_ = 0, pos_ = 0;
    Mat obs_, act_, next_;
    std::vector<float> rew_, not_done_, discount_;
    SampleStats stats_;
};

// The replay overlays (core/rl/insides.h) of a buffer: on a tabular env (one-hot observations over num_states) the
// samples drawn per state cell; on a small observation (≤ 16 numbers) up to max_points stored observations with
// the times each was sampled (dots on the state plane); and the ages of the samples drawn.
std::vector<InsideLayer> replay_layers(const TransitionBuffer& buf, int num_states, int max_points = 1500);

// Transitions of one env in time order, sampled as windows of L steps (windows may cross episode starts; `first`
// resets the state there). A ring: the oldest steps go first.
class SequenceBuffer {
public:
    SequenceBuffer(int obs_dim, int64_t capacity);
    // One step: the observation arrived at, the action that led there (-1 at an episode's first step), reward, and
    // whether the arrival terminated the episode.
    void add(const float* obs, int prev_action, float reward, bool terminated, bool first);
    int64_t size() const { return size_; }
    SeqBatch sample(int B, int L, Rng& rng) const;
    SeqBatch last(int L) const;  // the newest L steps as one sequence (B = 1), the first marked first
    // B windows of L steps that each stay inside one episode (for judging open-loop predictions); throws when the
    // buffer holds no episode that long.
    SeqBatch sample_within_episodes(int B, int L, Rng& rng) const;
    void io_state(StateIO& io);  // what is stored and where the ring stands (checkpoints)

private:
    SeqBatch empty_batch(int B, int L) const;
    // Row b of s from L consecutive steps starting at ring index `start` (mod capacity); its first step marked first.
    void copy_window(SeqBatch& s, int b, int64_t start) const;
    int dim_;
    int64_t cap_, size_ = 0, pos_ = 0;
    std::vector<float> obs_, reward_, cont_, first_;
    std::vector<int32_t> action_;
};

// `steps` steps of `policy` (given the observation) in `env`, from reset(seed), episode after episode, as sequence
// data (fixed data sets for tests and benchmarks).
SequenceBuffer record_experience(Env& env, int64_t steps, const std::function<int(const float* obs, Rng& rng)>& policy,
                                 uint64_t seed);

}  // namespace dl::nn
