// Layers, optimizers, distributions and checkpoints over the tape (tape.h): the mechanics deep RL algorithms
// share. The algorithm files keep the math that defines them.
//
// [SECTION] Init        — Gaussian and orthogonal initialisation from our Rng
// [SECTION] Linear/Mlp  — y = x W + b; conv layers; an MLP of Linear layers (after optional conv layers) with tanh
//                         or ReLU between them
// [SECTION] Optimizers  — SGD (momentum), RMSProp, Adam; global gradient-norm clipping
// [SECTION] Categorical — a distribution over discrete actions from logits: sample, log-prob, entropy
// [SECTION] Gaussians   — diagonal Gaussian and tanh-squashed Gaussian policies for continuous actions
// [SECTION] Checkpoint  — named parameters to a file with a versioned header and a checksum
#pragma once
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/nn/tape.h"
#include "base/rng.h"
#include "base/state_io.h"

namespace dl::nn {

// [SECTION] Init

float normal(Rng& rng);
// The same from its two uniforms, in the order normal(rng) draws them (draw in order, transform anywhere).
float normal(double u1, double u2);  // standard normal (Box–Muller)
// Fills W (rows × cols) with a (semi-)orthogonal matrix times gain, as Saxe et al. (2014) and CleanRL's
// layer_init do: QR of a Gaussian matrix with the signs of R's diagonal folded in.
void orthogonal_init(Mat& W, float gain, Rng& rng);

// [SECTION] Linear / Mlp

struct Linear {
    Param W, b;  // W: in × out, b: 1 × out
    Linear() = default;
    Linear(int in, int out, float gain, Rng& rng);
    Var operator()(Tape& t, Var x) { return dense(x, t.param(W), t.param(b), Act::None); }
    // Forward without a tape (acting): out = x W + b.
    void forward(const Mat& x, Mat& out) const;
};

// A convolution layer over images stored as rows of [y][x][c] pixels (see ConvShape in tape.h).
struct Conv2d {
    Param W, b;       // W: (k·k·C) × filters, b: 1 × filters
    ConvShape shape;  // of the input

    Conv2d() = default;
    Conv2d(const ConvShape& s, int filters, float gain, Rng& rng);
    int filters() const { return int(W.value.cols()); }
    int out_dim() const { return shape.out_h() * shape.out_w() * filters(); }
    Var operator()(Tape& t, Var x) { return conv2d(x, t.param(W), shape, t.param(b)); }
    void forward(const Mat& x, Mat& out) const;  // no tape
};

enum class Activation { Tanh, Relu };

struct Mlp {
    std::vector<Conv2d> convs;  // applied first (each followed by the activation), then the Linear layers
    std::vector<Linear> layers;
    Activation act = Activation::Tanh;
    Mlp() = default;
    // sizes = {in, hidden..., out}; hidden layers get gain √2, the output layer `out_gain` (CleanRL: 0.01 for a
    // policy head, 1 for a value head).
    Mlp(const std::vector<int>& sizes, Activation act, float out_gain, Rng& rng);
    // A conv layer of `filters` k × k filters (stride 1, no padding) on an image, then the MLP `sizes` from its
    // flat output (sizes = {hidden..., out}). One conv of 16 and 128 hidden units is the MinAtar paper's network.
    static Mlp conv_net(const ConvShape& image, int filters, const std::vector<int>& sizes, Activation act,
                        float out_gain, Rng& rng);
    int in_dim() const;
    Var operator()(Tape& t, Var x);
    // The same with the weights as constants: no parameter gradients (saliency: gradients w.r.t. the input).
    Var frozen(Tape& t, Var x) const;
    void forward(const Mat& x, Mat& out) const;  // no tape, for acting
    // Forward mode (MLPs without conv layers): the output and its directional derivative along `tangent` (one
    // matrix per parameter, in params() order), d out = J v, exactly, in one pass.
    void jvp(const Mat& x, const std::vector<Mat>& tangent, Mat& out, Mat& dout) const;
    std::vector<Param*> params();
    int64_t floats() const;  // every weight and bias

private:
    template <class P>
    Var apply(Var x, P&& param) const;
};

// [SECTION] Optimizers

// Non-finite gradients (NaN or ±∞) are caught by the optimizer that would apply them, with one pass over the
// gradients per step and before anything changes, so the parameters stay the last finite ones. What happens then
// is up to whoever runs the algorithm, per thread: by default NonFiniteError is thrown (a headless run stops); a
// handler installed with set_non_finite_handler may instead return, and the step is skipped (the GUI pauses the
// run there until the user resumes, perhaps with a smaller learning rate).
struct NonFiniteError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
using NonFiniteHandler = std::function<void(const std::string& what)>;
// For the calling thread; returns the previous handler. An empty handler restores the default (throw).
NonFiniteHandler set_non_finite_handler(NonFiniteHandler h);
// Reports `what` to the calling thread's handler (throws NonFiniteError without one).
void report_non_finite(const std::string& what);
// True if every gradient is finite; otherwise reports which tensor is not (naming `optimizer`) and returns false.
bool grads_finite(const std::vector<Param*>& params, const char* optimizer);

// ‖g‖₂ over all parameters; if above max_norm, every gradient is scaled down to that norm. Returns the norm
// before clipping.
float clip_grad_norm(const std::vector<Param*>& params, float max_norm);
void zero_grad(const std::vector<Param*>& params);

// Each optimizer's io_state saves its moments and settings (checkpoints: base/state_io.h), not the parameters.
struct Sgd {
    std::vector<Param*> params;
    float lr = 1e-2f, momentum = 0.0f;
    std::vector<Mat> velocity;
    void step();
    void io_state(StateIO& io) { io.section("sgd"), io(lr, momentum, velocity); }
};

struct RmsProp {
    std::vector<Param*> params;
    float lr = 1e-3f, alpha = 0.99f, eps = 1e-8f;
    std::vector<Mat> sq;
    void step();
    void io_state(StateIO& io) { io.section("rmsprop"), io(lr, alpha, eps, sq); }
};

struct Adam {
    std::vector<Param*> params;
    float lr = 3e-4f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
    std::vector<Mat> m, v;
    int64_t t = 0;
    void step();
    void io_state(StateIO& io) { io.section("adam"), io(lr, beta1, beta2, eps, m, v, t); }
};

// The values of a list of parameters (a network's, in its params() order), each shape checked on loading.
void io_params(StateIO& io, const std::vector<Param*>& params);

// [SECTION] Categorical

// π(·|s) = softmax(logits) per row.
struct Categorical {
    Var logits, log_probs;
    explicit Categorical(Var logits_) : logits(logits_), log_probs(log_softmax(logits_)) {}
    Var log_prob(const std::vector<int32_t>& actions) const { return gather(log_probs, actions); }  // B × 1
    Var entropy() const { return scale(sum_rows(mul(exp(log_probs), log_probs)), -1.0f); }       // B × 1
};
// Samples one action from a row of logits (no tape: acting).
int sample_categorical(const float* logits, int n, Rng& rng);
// The same draw from a uniform u in [0, 1) drawn beforehand (rows sampled side by side, their numbers drawn in order).
int sample_categorical(const float* logits, int n, double u);

// [SECTION] Gaussians

// N(mean, diag(σ²)) per row, σ = exp(log_std); log_std is B × D (state-dependent, SAC's) or 1 × D (one learned
// vector, PPO's), broadcast over the rows.
struct DiagGaussian {
    Var mean, log_std;
    DiagGaussian(Var mean_, Var log_std_) : mean(mean_), log_std(log_std_) {}
    // x = mean + σ ⊙ eps with eps ~ N(0, I) given (B × D): the reparameterised sample, differentiable in mean and σ.
    Var rsample(const Mat& eps) const;
    // log N(x; mean, σ) = Σ_d −(x − μ)² / (2σ²) − log σ − ½ log 2π   → B × 1
    Var log_prob(Var x) const;
    // Σ_d log σ + ½ (1 + log 2π)   → B × 1 (1 × 1 when log_std is one row)
    Var entropy() const;
};

// a = tanh(u), u ~ DiagGaussian: actions in (−1, 1)ᴰ (an algorithm maps them onto the env's bounds), with the
// change-of-variables correction log π(a) = log N(u) − Σ_d log(1 − tanh² u_d), computed as
// log(1 − tanh² u) = 2 (log 2 − u − softplus(−2u)), exact and stable for large |u| (SAC's appendix C).
struct TanhGaussian {
    DiagGaussian base;
    TanhGaussian(Var mean, Var log_std) : base(mean, log_std) {}
    struct Sample {
        Var action, log_prob, pre_tanh;  // B × D, B × 1, B × D
    };
    Sample rsample(const Mat& eps) const;
    Var log_prob_of_pre_tanh(Var u) const;  // log π(tanh u)   → B × 1
    Var mode() const;                       // tanh(mean): the deterministic action for evaluation
};
// Standard normal noise of shape rows × cols.
Mat gaussian_noise(int rows, int cols, Rng& rng);

// [SECTION] Checkpoint

struct CheckpointError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// Writes named parameters atomically: header "DLCKPT" + format version, then each tensor (name, shape,
// floats), then an FNV-1a 64-bit checksum of everything before it.
void save_checkpoint(const std::string& path, const std::vector<std::pair<std::string, const Param*>>& params);
// Loads into params with the same names and shapes; refuses a wrong magic, version, truncation, checksum,
// name or shape with a message that says which.
void load_checkpoint(const std::string& path, const std::vector<std::pair<std::string, Param*>>& params);

// A checkpoint read and checked (magic, version, checksum, every tensor's name length, shape and extent) but not
// yet loaded: a loader compares the architecture a JSON file declares with it before allocating anything, so no
// size in a hostile file builds more than the checkpoint holds.
constexpr size_t kMaxCheckpointBytes = size_t(1) << 30;
struct CheckpointTensor {
    std::string name;
    int rows = 0, cols = 0;
    size_t offset = 0;  // of its floats in bytes
};
struct Checkpoint {
    std::string path, bytes;
    std::vector<CheckpointTensor> tensors;
    int64_t floats = 0;  // all tensors together
};
Checkpoint read_checkpoint(const std::string& path);  // throws CheckpointError
void load_checkpoint(const Checkpoint& c, const std::vector<std::pair<std::string, Param*>>& params);
// Parameters of an Mlp of `sizes` ({in, hidden..., out}: weights and biases), without building it.
int64_t mlp_param_count(const std::vector<int>& sizes);

}  // namespace dl::nn
