// Mechanics shared by the continuous-control algorithms (DDPG, TD3, SAC): a replay buffer of Box-action
// transitions, Polyak averaging of target networks, and the agent the views and evaluation read (an actor with
// twin Q critics). Each algorithm's file keeps its own losses and loop.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/nn/layers.h"
#include "core/run.h"

namespace dl {
class VectorEnv;
}

namespace dl::nn {

// Transitions (s, a, r, s', terminated) in a ring; actions as the networks see them (in [−1, 1]ᴰ).
class TransitionBuffer {
public:
    TransitionBuffer(int obs_dim, int act_dim, int64_t capacity);
    void add(const float* obs, const float* action, float reward, const float* next_obs, bool terminated);
    int64_t size() const { return size_; }
    struct Batch {
        Mat obs, action, reward, next_obs, not_done;  // B × D, B × A, B × 1, B × D, B × 1 (1 − terminated)
    };
    void sample(int B, Rng& rng, Batch& out) const;  // uniform with replacement over what is stored

private:
    int D_, A_;
    int64_t cap_, size_ = 0, pos_ = 0;
    Mat obs_, act_, next_;
    std::vector<float> rew_, not_done_;
};

// target ← τ · online + (1 − τ) · target, parameter by parameter.
void polyak_update(const std::vector<Param*>& target, const std::vector<Param*>& online, float tau);

// The env's Box bounds as the affine map from the networks' [−1, 1]ᴰ: env = bias + scale ⊙ a.
struct ActionScale {
    Mat scale, bias;  // 1 × A
    explicit ActionScale(const Space& box);
    ActionScale() = default;
};

// The env side of an off-policy continuous-control loop (DDPG, TD3, SAC): one env, shown in the GUI; actions come in
// [−1, 1]ᴬ and are mapped onto its bounds; every transition goes to the replay buffer (the final observation where
// an episode ended), and finished episodes are logged (return, length, success) and ticked.
class OffPolicyEnv {
public:
    OffPolicyEnv(RunContext& ctx, int64_t buffer_size);
    ~OffPolicyEnv();
    int obs_dim() const { return D_; }
    int act_dim() const { return A_; }
    const ActionScale& bounds() const { return bounds_; }
    const Mat& obs() const { return obs_; }  // 1 × obs_dim: the current observation
    const TransitionBuffer& buffer() const { return buffer_; }
    bool step(const float* action);  // one env step; false when the run must stop

private:
    RunContext& ctx_;
    std::unique_ptr<VectorEnv> envs_;
    int D_ = 0, A_ = 0;
    ActionScale bounds_;
    TransitionBuffer buffer_;
    Mat obs_;
    std::vector<float> env_action_;
};

// An actor for continuous actions and its critics, as the views and `eval` see them. The actor outputs the mean
// (and, stochastic, the log-std) of a tanh-Gaussian, a deterministic tanh action (DDPG, TD3), or (squash = false)
// a Gaussian mean in the env's units (TRPO). evaluate() gives V(s): min(Q1, Q2)(s, the deterministic action), or
// the value network where there are no Q critics; no per-action values.
struct ContinuousAgent : AgentFn {
    Mlp actor, q1, q2;  // actor: obs → A (deterministic) or 2A (mean, raw log-std); q: [obs, a] → 1
    Mlp value;          // obs → V, for agents with a state-value critic instead of Q (TRPO)
    bool stochastic = true;
    bool squash = true;  // the actor's mean goes through tanh into [−1, 1]; false: it is in env units (clipped)
    ActionScale bounds;
    int obs_dim = 0;
    Mat deterministic(const Mat& obs) const;  // B × A in [−1, 1] (tanh of the mean)
    void act_continuous(const float* obs, int obs_dim, float* action) const override;
    void evaluate(const Mat& obs, Mat& value, Mat& action_values) const override;
    Mat q_values(const Mat& obs, const Mat& action) const;  // B × 2: Q1, Q2 for actions in [−1, 1]
    // agent.json (kind "continuous": sizes, bounds) + agent.ckpt (every weight); load throws CheckpointError.
    void save(const std::string& dir) const;
    static std::shared_ptr<ContinuousAgent> load(const std::string& dir);
};

}  // namespace dl::nn
