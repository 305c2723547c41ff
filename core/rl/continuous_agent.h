// Mechanics shared by the continuous-control algorithms (DDPG, TD3, SAC): Polyak averaging of target networks, and the agent the views and evaluation read (an actor with
// twin Q critics). Each algorithm's file keeps its own losses and loop.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "base/pool.h"
#include "core/nn/layers.h"
#include "core/rl/replay.h"
#include "core/rl/run.h"
#include "core/rl/views.h"

namespace dl {
class VectorEnv;
}

namespace dl::nn {

// target ← τ · online + (1 − τ) · target, parameter by parameter.
void polyak_update(const std::vector<Param*>& target, const std::vector<Param*>& online, float tau);

// The twin critics of TD3 and SAC, each step: the targets' forward passes and the regression of both critics
// towards y. Each critic has its own tape, and with a pool of 2 threads the two run side by side (then a third of
// a TD3 step's arithmetic runs on the second core). Either way the numbers are those of one tape over the sum of
// both losses, to the bit: the critics share no parameter, and each gradient is the same sum in the same order.
class TwinCritics {
public:
    explicit TwinCritics(ThreadPool* pool) : pool_(pool) {}
    // q1(x), q2(x) without a tape (target networks).
    void forward(const Mlp& q1, const Mlp& q2, const Mat& x, Mat& y1, Mat& y2);
    // Zeroes both critics' grads and fills them with ∇ mean((q_i(sa) − y)²); returns the sum of the two losses.
    // q1_mean: the mean of q1(sa) (logged).
    float regress(Mlp& q1, Mlp& q2, const Mat& sa, const Mat& y, float& q1_mean);

private:
    template <class Fn>
    void both(Fn&& fn);  // fn(0), fn(1): on the pool's threads when it has 2 or more
    ThreadPool* pool_;
    Tape tape_[2];
    float loss_[2] = {0, 0}, mean_[2] = {0, 0};
};

// The env's Box bounds as the affine map from the networks' [−1, 1]ᴰ: env = bias + scale ⊙ a.
struct ActionScale {
    Mat scale, bias;  // 1 × A
    explicit ActionScale(const Space& box);
    ActionScale() = default;
};

// Acting noise for deterministic actors (DDPG, TD3), in [−1, 1] units: independent N(0, σ²) per step (CleanRL's),
// or an Ornstein–Uhlenbeck process x ← x − θ x dt + σ √dt ε (the DDPG paper's; θ = 0.15, dt = 0.01 as SB3's),
// whose pushes last hundreds of steps — what rocks MountainCar's car up to the flag, where independent noise
// averages out. The OU state restarts at 0 with every episode.
class ActionNoise {
public:
    ActionNoise(const std::string& type, int act_dim);  // type: gaussian | ou
    float sample(int d, float sigma, Rng& rng);         // the noise for action dimension d this step
    void reset();                                       // an episode began
    bool ou() const { return ou_; }
    // The noise's spread at one step as the views draw it: σ, or the OU process's stationary standard deviation.
    float spread(float sigma) const;
    static constexpr float kTheta = 0.15f, kDt = 0.01f;
    void io_state(StateIO& io) { io.section("noise"), io(x_); }

private:
    bool ou_;
    std::vector<float> x_;
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
    TransitionBuffer& buffer() { return buffer_; }  // sampling counts what it draws
    bool step(const float* action);  // one env step; false when the run must stop
    bool episode_ended() const { return ended_; }  // the last step ended an episode (the env was reset)
    void io_state(StateIO& io);  // the env, the replay buffer, the current observation (checkpoints)

private:
    RunContext& ctx_;
    std::unique_ptr<VectorEnv> envs_;
    int D_ = 0, A_ = 0;
    ActionScale bounds_;
    TransitionBuffer buffer_;
    Mat obs_;
    std::vector<float> env_action_;
    bool ended_ = false;
};

// An actor for continuous actions and its critics, as the views and `eval` see them. The actor outputs the mean
// (and, stochastic, the log-std) of a tanh-Gaussian (SAC), a deterministic tanh action (DDPG, TD3), or (squash =
// false) a Gaussian mean in the env's units, clipped, with a state-independent log σ (PPO, A2C, TRPO).
// evaluate() gives V(s): min(Q1, Q2)(s, the deterministic action), or the value network where there are no Q
// critics; no per-action values.
struct ContinuousAgent : AgentFn, ContinuousPolicyView {
    Mlp actor, q1, q2;  // actor: obs → A (deterministic) or 2A (mean, raw log-std); q: [obs, a] → 1
    Mlp value;          // obs → V, for agents with a state-value critic instead of Q (PPO, A2C, TRPO)
    bool stochastic = true;
    bool squash = true;  // the actor's mean goes through tanh into [−1, 1]; false: it is in env units (clipped)
    Mat log_std;         // squash = false: the Gaussian's log σ, 1 × A (empty: deterministic)
    float explore_std = 0;  // deterministic actors (DDPG, TD3): the acting noise's spread in [−1, 1] units (ActionNoise::spread)
    ActionScale bounds;
    // SAC's actor: raw log-std r → kLogStdMin + (kLogStdMax − kLogStdMin) (tanh r + 1) / 2, as CleanRL's.
    static constexpr float kLogStdMin = -5.0f, kLogStdMax = 2.0f;

    // The on-policy Gaussian policies' view (squash = false): the actor's mean in env units, σ = exp(log_std), V.
    static std::shared_ptr<ContinuousAgent> gaussian(const Mlp& actor, const Mat& log_std, const Mlp& value,
                                                      const ActionScale& bounds);
    Mat deterministic(const Mat& obs) const override;  // B × A in [−1, 1] (tanh of the mean)
    ActionDensity density(const float* obs, int d) const override;  // π(a_d | s) for one observation
    bool has_q() const override { return !q1.layers.empty(); }
    float action_low(int d) const override { return bounds.bias(0, d) - bounds.scale(0, d); }
    float action_high(int d) const override { return bounds.bias(0, d) + bounds.scale(0, d); }
    const ContinuousPolicyView* continuous_policy() const override { return this; }
    void act_continuous(const float* obs, int obs_dim, float* action) const override;
    void evaluate(const Mat& obs, Mat& value, Mat& action_values) const override;
    Mat q_values(const Mat& obs, const Mat& action) const override;  // B × 2: Q1, Q2 for actions in [−1, 1]
    // agent.json (kind "continuous": sizes, bounds) + agent.ckpt (every weight); load throws CheckpointError.
    std::string kind() const override { return "continuous"; }
    int64_t footprint_bytes() const override { return 4 * (actor.floats() + q1.floats() + q2.floats() + value.floats() + log_std.size()); }
    void save(const std::string& dir, const EnvSignature& env) const override;
    static std::shared_ptr<ContinuousAgent> load(const std::string& dir);
};

}  // namespace dl::nn
