// The world-model learners' agent: the model (core/nn/world_model.h) and a policy and critic acting on its latent
// features, as an AgentFn for the views and evaluation; and how a learner's Args pick the model's codec.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/nn/world_model.h"
#include "core/rl/run.h"
#include "core/rl/views.h"

namespace dl::nn {

// The encoder and decoder an observation space calls for: network auto|mlp|cnn (auto: a conv encoder for images),
// decoder auto|gaussian|bernoulli (auto: Bernoulli for images and one-hot states, whose cells are 0 or 1).
// Throws ParamError for a choice the space cannot take.
void choose_codec(WorldModelConfig& c, const Space& obs, const std::string& network, const std::string& decoder);

// The model a dream learner's Args describe (fields obs_std, free_nats, hidden, deter, stoch, network, decoder,
// conv_filters; the encoder's embedding is `hidden` wide).
template <class A>
WorldModelConfig model_config(const A& args, const Space& obs, int obs_dim, int n_actions) {
    WorldModelConfig c;
    c.obs_dim = obs_dim, c.n_actions = n_actions, c.hidden = int(args.hidden), c.deter = int(args.deter);
    c.stoch = int(args.stoch), c.embed = int(args.hidden), c.free_nats = float(args.free_nats), c.obs_std = float(args.obs_std);
    c.conv_filters = int(args.conv_filters);
    choose_codec(c, obs, args.network, args.decoder);
    return c;
}

// An agent that acts on the world model's latent features [h, z] (a policy and a critic learned in the dream), as
// an AgentFn for the views and evaluation: an observation is read as an episode's first (filtered from h = 0 with
// the posterior's mean), which on a fully observed env such as CartPole is what the agent believes about it.
struct WorldModelAgent : AgentFn, WorldModelView {
    WorldModel model;
    Mlp actor, critic;  // on features: logits, V
    SeqBatch recent;    // the newest real steps when the snapshot was taken (the GUI's dream-vs-reality strip)
    // The dream learners' networks: the model, then actor and critic MLPs of two tanh hidden layers (c.hidden wide)
    // on its features [h, z], output gains 0.01 (policy) and 1 (value) as CleanRL's.
    static std::shared_ptr<WorldModelAgent> create(const WorldModelConfig& c, Rng& rng);
    int sample_action(const WorldModel::State& belief, Rng& rng) const;  // from the actor
    // Whole episodes in the dream, one per row of first_obs, the actor sampling its actions: the return of each
    // (predicted rewards until a continuation sampled from the model is false, or max_steps).
    std::vector<double> dream_episodes(const Mat& first_obs, int max_steps, float temperature, Rng& rng) const;
    void evaluate(const Mat& obs, Mat& value, Mat& action_values) const override;
    // Filters every observation into the belief (posterior means), then the actor's most likely action.
    EpisodePolicy greedy_player(std::shared_ptr<const AgentFn> self) const override;
    // agent.json (kind "world_model", the model's configuration, the heads' sizes) + agent.ckpt (every weight).
    std::string kind() const override { return "world_model"; }
    int64_t footprint_bytes() const override {
        int64_t recent_floats = 0;
        for (const Mat& m : recent.obs) recent_floats += m.size();
        return 4 * (WorldModel::param_count(model.config()) + actor.floats() + critic.floats() + recent_floats);
    }
    const WorldModelView* world_model() const override { return this; }
    const WorldModel& world() const override { return model; }
    const SeqBatch& recent_steps() const override { return recent; }
    void save(const std::string& dir, const EnvSignature& env) const override;
    static std::shared_ptr<WorldModelAgent> load(const std::string& dir);  // throws CheckpointError
};

}  // namespace dl::nn
