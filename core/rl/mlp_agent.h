// MlpAgent — the networks of a deep learner as a self-contained, copyable AgentFn: a policy (actor → logits,
// optional critic → V) or a Q-network (→ Q(s,·), optional dueling value/advantage heads folded in by the
// algorithm). Saved as agent.json (architecture) + agent.ckpt (weights), so `dreamlab eval --run` can load
// any deep run without knowing which algorithm trained it.
#pragma once
#include <memory>
#include <string>

#include "core/nn/layers.h"
#include "core/rl/run.h"

namespace dl::nn {

struct MlpAgent : AgentFn {
    enum Head { Policy, QNet } head = Policy;  // what the actor network outputs
    Mlp actor;    // Policy: logits; QNet: Q-values (or, dueling, the torso whose activated output feeds the heads)
    Mlp critic;   // Policy: V (may have no layers)
    bool dueling = false;        // QNet: Q = V + A − mean(A) from two heads on the torso (Wang et al., 2016)
    Linear value_head, adv_head;
    Param log_std;  // Box actions (act_dim > 0): the Gaussian policy's state-independent log σ, 1 × act_dim

    // The policy-gradient family's networks (CleanRL's layout): actor D-H-H-A (tanh, output gain 0.01) and
    // critic D-H-H-1 (output gain 1), orthogonally initialised.
    static std::shared_ptr<MlpAgent> actor_critic(int obs_dim, int n_actions, int hidden, Rng& rng);
    // The same on any observation space, with a conv layer of `filters` first when `network` says so (see
    // make_network): the CNN torso for pixel games.
    static std::shared_ptr<MlpAgent> actor_critic(const Space& obs, int n_actions, int hidden, Rng& rng,
                                                  const std::string& network, int filters);
    // For Box actions (CleanRL's ppo_continuous_action layout): the actor outputs the Gaussian's mean (in the env's
    // units, gain 0.01), log σ starts at 0. The views see it as ContinuousAgent::gaussian.
    static std::shared_ptr<MlpAgent> gaussian_actor_critic(const Space& obs, int act_dim, int hidden, Rng& rng,
                                                           const std::string& network, int filters);
    std::vector<Param*> all_params();  // actor's, critic's, then log σ (Box)

    // Q(s, ·) on the tape (QNet), dueling or not.
    Var q(Tape& t, Var x);
    std::vector<Param*> q_params();

    void evaluate(const Mat& obs, Mat& value, Mat& action_values) const override;
    bool saliency(const float* obs, int obs_dim, std::vector<float>& out) const override;
    std::string kind() const override { return head == QNet ? "q" : "policy"; }
    int64_t footprint_bytes() const override {
        return 4 * (actor.floats() + critic.floats() + value_head.W.value.size() + value_head.b.value.size() +
                    adv_head.W.value.size() + adv_head.b.value.size() + log_std.value.size());
    }
    void save(const std::string& dir, const EnvSignature& env) const override;  // agent.json + agent.ckpt, atomically
    static std::shared_ptr<MlpAgent> load(const std::string& dir);  // throws CheckpointError / IoError
};

// Image observations: a Box of shape H × W × C (MinAtar's [y][x][c]).
bool is_image(const Space& obs);
// The network an algorithm's `network` argument asks for on this observation space: "mlp" (Linear layers on the
// flat observation), "cnn" (one 3 × 3 conv of `filters` channels, stride 1, no padding, then the Linear layers:
// the MinAtar paper's torso; image observations only), "auto" (cnn for images, mlp otherwise).
// sizes = {hidden..., out}. Throws ParamError naming the env's observation when cnn cannot apply.
Mlp make_network(const Space& obs, const std::string& network, int filters, const std::vector<int>& sizes,
                 Activation act, float out_gain, Rng& rng);

}  // namespace dl::nn
