// Argument blocks that several algorithms share, declared once: an algorithm's Args struct inherits the blocks it
// takes (its file shows which, beside its own fields) and calls each block's visit_<block>() where its fields belong
// in the list. Defaults, ranges and docs live here, so the learners that share a block cannot drift apart.
#pragma once
#include <cstdint>
#include <string>

#include "base/params.h"

namespace dl {

// The policy-gradient family's networks and env threads (PPO, A2C).
struct PolicyNetworkArgs {
    int64_t hidden = 64;               // units per hidden layer (two tanh layers)
    std::string network = "auto";      // auto | mlp | cnn (a 3x3 conv torso first: pixel games)
    int64_t conv_filters = 16;         // cnn: filters of the conv layer
    int64_t threads = 1;               // threads stepping the envs, PPO's two losses (results do not depend on it)

    void visit_network(ParamVisitor& v) {
        v.integer("hidden", hidden, 4, 1024, "units per hidden layer (two tanh layers)", Apply::Restart);
        v.choice("network", network, {"auto", "mlp", "cnn"},
                 "auto: a conv torso (3x3 conv + ReLU, one hidden layer) for image observations, tanh MLP otherwise",
                 Apply::Restart);
        v.integer("conv_filters", conv_filters, 1, 256, "cnn: 3x3 filters in the conv layer", Apply::Restart);
        v.integer("threads", threads, 1, 64, "threads stepping the envs (PPO: and its policy beside its value loss)", Apply::Restart);
    }
};

// The world model of the learners that act in its dreams (dream_ac, dreamer): read by nn::model_config.
struct WorldModelArgs {
    double free_nats = 1.0;           // KL below this is not penalised
    double obs_std = 0.05;            // σ of the Gaussian decoder (state-vector observations)
    int64_t hidden = 64;              // units of every MLP's hidden layer
    int64_t deter = 64;               // GRU state size
    int64_t stoch = 8;                // Gaussian latent dimensions
    std::string network = "auto";     // encoder: auto | mlp | cnn (a 3x3 conv first: pixel games)
    int64_t conv_filters = 16;        // cnn: filters of the encoder's conv layer
    std::string decoder = "auto";     // auto | gaussian | bernoulli (auto: Bernoulli for pixels and one-hot states)

    void visit_world_model(ParamVisitor& v) {
        v.real("free_nats", free_nats, 0, 10, "KL(q ‖ p) below this is not penalised", Apply::Restart);
        v.real("obs_std", obs_std, 1e-3, 10, "σ of the Gaussian decoder: what reconstruction error costs", Apply::Restart, true);
        v.integer("hidden", hidden, 4, 1024, "units of every MLP's hidden layer", Apply::Restart);
        v.integer("deter", deter, 4, 1024, "GRU (deterministic state) size", Apply::Restart);
        v.integer("stoch", stoch, 1, 256, "Gaussian latent dimensions", Apply::Restart);
        v.choice("network", network, {"auto", "mlp", "cnn"}, "encoder: auto picks a conv layer for image observations", Apply::Restart);
        v.integer("conv_filters", conv_filters, 1, 256, "cnn: 3x3 filters in the encoder's conv layer", Apply::Restart);
        v.choice("decoder", decoder, {"auto", "gaussian", "bernoulli"},
                 "observation model: auto picks Bernoulli for 0/1 cells (pixels, one-hot states)", Apply::Restart);
    }
};

// The deterministic actors' exploration (DDPG, TD3): a uniform random warm-up, then acting noise on the actor's
// action, independent per step or Ornstein–Uhlenbeck (nn::ActionNoise).
struct NoisyWarmupArgs {
    int64_t learning_starts = 100;     // uniform random steps before learning
    double exploration_noise = 0.1;    // σ of the acting noise (in [−1, 1] units)
    std::string noise_type = "gaussian";  // gaussian (independent per step) | ou (Ornstein–Uhlenbeck, correlated in time)

    void visit_warmup(ParamVisitor& v) {
        v.integer("learning_starts", learning_starts, 1, 10000000, "uniform random steps before learning", Apply::Restart);
        v.real("exploration_noise", exploration_noise, 0, 2, "σ of the acting noise (actions in [-1, 1])", Apply::Now);
        v.choice("noise_type", noise_type, {"gaussian", "ou"},
                 "gaussian: independent each step; ou: Ornstein-Uhlenbeck, pushes that last (also during warm-up)", Apply::Restart);
    }
};

// [SECTION] Checks between fields (ArgsBase::check), worded once so every algorithm says them the same way.

// A budget of at least one rollout: num_envs × num_steps env steps are taken before the first update, whatever
// total_timesteps says (1000 steps with 256 envs × 4096 steps ran 1,048,576).
inline void check_rollout_budget(int64_t total_timesteps, int64_t num_envs, int64_t num_steps) {
    if (num_envs * num_steps > total_timesteps)
        throw ParamError("total_timesteps=" + std::to_string(total_timesteps) + " is less than one rollout of num_envs × num_steps = " +
                         std::to_string(num_envs) + " × " + std::to_string(num_steps) + " = " + std::to_string(num_envs * num_steps) +
                         " env steps: raise total_timesteps or lower num_envs or num_steps");
}
// Minibatches of at least one sample each.
inline void check_minibatches(int64_t num_minibatches, int64_t num_envs, int64_t num_steps) {
    if (num_minibatches > num_envs * num_steps)
        throw ParamError("num_minibatches=" + std::to_string(num_minibatches) + " is more than the " + std::to_string(num_envs * num_steps) +
                         " samples of a rollout (num_envs × num_steps = " + std::to_string(num_envs) + " × " + std::to_string(num_steps) +
                         "): lower num_minibatches or raise num_envs or num_steps");
}
// A batch drawn from the replay buffer fits in it (DQN with batch_size=4096 and buffer_size=100 made 0 updates).
inline void check_batch_fits(int64_t batch_size, int64_t buffer_size) {
    if (batch_size > buffer_size)
        throw ParamError("batch_size=" + std::to_string(batch_size) + " is larger than buffer_size=" + std::to_string(buffer_size) +
                         ": a batch is drawn from the buffer, so no update could ever be made; lower batch_size or raise buffer_size");
}
// Learning starts within the budget (else the run ends before its first update).
inline void check_starts(const char* starts_name, int64_t starts, int64_t total_timesteps) {
    if (starts >= total_timesteps)
        throw ParamError(std::string(starts_name) + "=" + std::to_string(starts) + " is not below total_timesteps=" + std::to_string(total_timesteps) +
                         ": the run would end before its first update; lower " + starts_name + " or raise total_timesteps");
}

}  // namespace dl
