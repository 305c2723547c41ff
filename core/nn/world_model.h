// A learned model of an environment: Dreamer's recurrent state-space model (RSSM; Hafner et al., 2019/2020),
// in which the state has a deterministic part h (a GRU's memory) and a stochastic part z (a diagonal Gaussian):
//
//   h_t = GRU(h_{t−1}, [z_{t−1}, a_{t−1}])          deterministic path: carries information over long horizons
//   z_t ~ q(z | h_t, enc(o_t))                      posterior: what the observation says (training, filtering)
//   ẑ_t ~ p(z | h_t)                                prior: what the model expects without looking (dreaming)
//   ô_t = dec(h_t, z_t),  r̂_t = rew(h_t, z_t),  ĉ_t = cont(h_t, z_t)   decoder, reward and continuation heads
//
// trained on sequences from real experience by the ELBO: reconstruction + reward + continuation losses + β·KL(q‖p)
// (with free nats: a KL under the floor is not pushed further down). Why the RSSM and not World Models' MDN-RNN:
// its deterministic path keeps long rollouts coherent, its Gaussian latent is reparameterisable, so a Dreamer agent
// can backpropagate imagined returns through it, and one model serves both learning-in-the-dream algorithms.
// r_t is the reward received on arriving at o_t and c_t = 0 if that arrival ended the episode (terminated).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/nn/layers.h"
#include "core/run.h"

namespace dl {
class VectorEnv;
}

namespace dl::nn {

// A GRU cell: r = σ(x W_r + h U_r + b_r), u = σ(x W_u + h U_u + b_u), n = tanh(x W_n + r ⊙ (h U_n) + b_n),
// h' = (1 − u) ⊙ n + u ⊙ h.
struct Gru {
    Linear xr, xu, xn, hr, hu, hn;  // input and recurrent weights of each gate (the h-side has zero bias)
    Gru() = default;
    Gru(int in, int hidden, Rng& rng);
    int hidden() const { return int(hr.W.value.cols()); }
    Var operator()(Tape& t, Var x, Var h);
    Var frozen(Tape& t, Var x, Var h) const;  // weights as constants: gradients reach x and h only
    void forward(const Mat& x, const Mat& h, Mat& out) const;  // no tape
    std::vector<Param*> params();

private:
    template <class P>
    Var apply(Var x, Var h, P&& param) const;
};

struct WorldModelConfig {
    int obs_dim = 0, n_actions = 0;
    int hidden = 128;        // units of every MLP's hidden layer
    int deter = 128;         // h: the GRU's size
    int stoch = 16;          // z: Gaussian dimensions
    int embed = 64;          // the encoder's output
    bool binary_obs = false; // cells of 0/1 (pixels, one-hot states): a Bernoulli decoder; else a Gaussian of σ obs_std
    std::vector<int> image;  // {height, width, channels}: the encoder starts with a 3×3 conv layer (pixel games)
    int conv_filters = 16;   // filters of that conv layer
    bool relu = false;       // ReLU between layers instead of tanh (pixel models: tanh units saturate on frames of
                             // sparse 0/1 cells, and the decoder never learns more than each cell's average)
    float obs_std = 0.05f;   // the Gaussian decoder's σ: how much reconstruction error costs against the KL (state
                             // vectors of a few numbers need a small σ, or the latent learns to ignore them)
    float kl_beta = 1.0f;    // weight of KL(q ‖ p)
    float kl_balance = 0.8f; // share of the KL's gradient that trains the prior (the rest pulls the posterior)
    float free_nats = 1.0f;  // KL below this (per sequence step) is not penalised
};

// Training data: B sequences of L steps, time-major.
struct SeqBatch {
    int L = 0, B = 0;
    std::vector<Mat> obs;                     // L × (B × obs_dim)
    std::vector<std::vector<int32_t>> prev_action;  // L × B: the action that led to obs_t (ignored where first)
    std::vector<Mat> reward, cont, first;     // L × (B × 1): r_t, c_t, 1 where an episode starts at t
};

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

struct WorldModelLosses {
    double recon = 0, reward = 0, cont = 0, kl = 0, total = 0;
    void log(RunContext& ctx) const;  // losses/reconstruction, losses/kl, losses/reward_model, losses/continuation_model
};

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

class WorldModel {
public:
    WorldModel() = default;
    WorldModel(const WorldModelConfig& cfg, Rng& rng);
    const WorldModelConfig& config() const { return cfg_; }
    std::vector<Param*> params();

    // One gradient step of the ELBO on a batch (Adam, global grad-norm clip); returns the losses per step.
    WorldModelLosses train_step(const SeqBatch& batch, Adam& opt, Rng& rng, float max_grad_norm = 100.0f);
    // The losses without training (evaluation on held-out data).
    WorldModelLosses evaluate(const SeqBatch& batch, Rng& rng);

    // ---- the latent state, without a tape (filtering and dreaming) ----
    struct State {
        Mat h, z;  // B × deter, B × stoch
    };
    State initial(int B) const;
    // h ← GRU(h, [z, a]); then z from the posterior given obs (filter) or from the prior (dream). temperature
    // scales the prior's noise (0: its mean; 1: as learned; > 1: a wilder dream).
    void step_posterior(State& s, const std::vector<int32_t>& prev_action, const Mat& obs, Rng& rng,
                        float temperature = 1.0f) const;
    void step_prior(State& s, const std::vector<int32_t>& action, Rng& rng, float temperature = 1.0f) const;
    // An episode's first observation (h = 0, no action yet).
    void observe_first(State& s, const Mat& obs, Rng& rng, float temperature = 1.0f) const;
    // The filtered (posterior) state at every step of every sequence of a batch: B·L rows, row t·B + b.
    // These are where dreams start.
    State posterior_states(const SeqBatch& batch, Rng& rng) const;
    void decode(const State& s, Mat& obs_mean) const;  // Gaussian mean, or Bernoulli probabilities
    // Reality against the model on sequences: recon[t] decodes the posterior (the model looking at o_t); dream[t]
    // for t ≥ context decodes the prior run open loop from the state after `context` observed steps, fed the real
    // actions (dream[t] = recon[t] for t < context); err[t] = mean squared error of dream[t] against o_t.
    struct OpenLoop {
        std::vector<Mat> recon, dream;
        std::vector<double> err;
    };
    OpenLoop open_loop(const SeqBatch& seq, int context, Rng& rng, float temperature = 0.0f) const;
    // Pixel worlds (0/1 cells): on B windows inside episodes, after `context` observed steps the model dreams on
    // open loop with the real actions, and a cell counts as lit where its probability exceeds ½. For each horizon
    // k (k = 1: the first imagined frame) over all windows: the share of cells right, the share of lit cells
    // found, the share right of the cells that changed since the last observed frame (the motion: the ball), and
    // two baselines (every cell dark; the last observed frame repeated, which gets no changed cell right).
    struct PixelScores {
        std::vector<int> horizon;
        std::vector<double> accuracy, lit_recall, changed_accuracy, dark_accuracy, copy_accuracy;
    };
    PixelScores pixel_scores(const SeqBatch& windows, int context, const std::vector<int>& horizons, Rng& rng) const;
    // Worlds of n one-hot states (Frozen Lake): the model's transition table, (n·A) × n, row s·A + a = the share of
    // `samples` dreamed steps from state s (filtered from its one-hot observation) under action a that the decoder
    // shows in each next state (its most probable cell). Beside the env's true P(s' | s, a) in the GUI.
    Mat transition_table(int samples, Rng& rng, float temperature = 1.0f) const;
    void predict(const State& s, Mat& reward, Mat& cont_prob) const;
    Mat features(const State& s) const;  // [h, z]: what an agent in the dream sees

    void save(const std::string& path) const;  // one checkpoint of every parameter (config in its names' shapes)
    void load(const std::string& path);

    // The networks (public: the learning-in-the-dream algorithms backpropagate through them).
    Mlp encoder, prior, posterior, decoder, reward_head, cont_head;
    Gru gru;

private:
    WorldModelLosses loss(Tape& t, const SeqBatch& batch, Rng& rng, Var& total);
    Mat action_one_hot(const std::vector<int32_t>& a) const;
    WorldModelConfig cfg_;
};

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

// An agent that acts on the world model's latent features [h, z] (a policy and a critic learned in the dream), as
// an AgentFn for the views and evaluation: an observation is read as an episode's first (filtered from h = 0 with
// the posterior's mean), which on a fully observed env such as CartPole is what the agent believes about it.
struct WorldModelAgent : AgentFn {
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
    void save(const std::string& dir) const;
};

// Any saved deep agent, by agent.json's kind: an MlpAgent, or a WorldModelAgent. Throws CheckpointError.
std::shared_ptr<AgentFn> load_agent(const std::string& dir, int& obs_dim);

}  // namespace dl::nn
