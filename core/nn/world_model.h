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
//
// The model only: its training data arrive as SeqBatch (core/rl/replay.h fills them from real steps), and the
// agents that act in its dreams live in core/rl/world_model_agent.h.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/nn/gru.h"
#include "core/nn/layers.h"

namespace dl::nn {

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

struct WorldModelLosses {
    double recon = 0, reward = 0, cont = 0, kl = 0, total = 0;
};

class WorldModel {
public:
    WorldModel() = default;
    WorldModel(const WorldModelConfig& cfg, Rng& rng);
    // How many floats its parameters hold, without building it (loaders compare this with the checkpoint first).
    static int64_t param_count(const WorldModelConfig& cfg);
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
    // The same step with its standard normal noise given (rows × stoch, what step_prior draws from rng): a batch
    // cut into blocks of rows that dream side by side on several threads, with the numbers one thread would draw.
    void step_prior(State& s, const std::vector<int32_t>& action, const Mat& noise, float temperature) const;
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

// Every parameter of the model by a stable name ("encoder.0", "gru.3", ...): what checkpoints are keyed on.
std::vector<std::pair<std::string, Param*>> named_params(WorldModel& m);

}  // namespace dl::nn
