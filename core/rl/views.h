// The views an agent can offer beyond AgentFn::evaluate, each a small interface (AgentFn::continuous_policy(),
// AgentFn::world_model() hand them out, nullptr where the agent has none). The GUI draws through these and never
// names a concrete agent class.
#pragma once
#include "base/rng.h"
#include "core/nn/layers.h"
#include "core/nn/world_model.h"

namespace dl {

// π(a_d | s) at one state for one action dimension, in the env's units: what the GUI draws as a density curve.
struct ActionDensity {
    enum Kind { Squashed, Clipped } kind = Clipped;
    // Squashed (SAC): a = bias + scale · tanh(u), u ~ N(mean, std²). Clipped (PPO, A2C, TRPO; DDPG/TD3 with their
    // acting noise): a = clip(N(mean, std²), lo, hi), mean and std in env units. std = 0: a deterministic action.
    float mean = 0, std = 0, scale = 1, bias = 0;
    float lo = -1, hi = 1;
    double pdf(double a) const;          // the density inside (lo, hi); a Clipped one's point masses are not in it
    double mass_at(bool high) const;     // Clipped: P(a = hi) or P(a = lo); 0 for Squashed
    double mode() const;                 // the action taken deterministically (evaluation)
    double sample(Rng& rng) const;       // one action drawn from it
};


// A policy over continuous (Box) actions and, where it has them, its twin Q critics.
struct ContinuousPolicyView {
    virtual ~ContinuousPolicyView() = default;
    virtual nn::Mat deterministic(const nn::Mat& obs) const = 0;  // B × A, in [−1, 1] (scaled by the bounds below)
    virtual ActionDensity density(const float* obs, int d) const = 0;
    virtual bool has_q() const = 0;
    virtual nn::Mat q_values(const nn::Mat& obs, const nn::Mat& action) const = 0;  // B × 2 for actions in [−1, 1]
    virtual float action_low(int d) const = 0;   // the env's bounds of action dimension d
    virtual float action_high(int d) const = 0;
};

// A learned model of the world: the model itself (to dream, filter and decode) and the newest real steps it was
// shown when the snapshot was taken (the dream-vs-reality strip).
struct WorldModelView {
    virtual ~WorldModelView() = default;
    virtual const nn::WorldModel& world() const = 0;
    virtual const nn::SeqBatch& recent_steps() const = 0;
};

// Dream vs reality on the newest real steps (at most max_len, as one sequence from a fresh state): reality, the
// model's reconstruction, its open-loop dream after `context` observed steps (WorldModel::open_loop) and the filtered
// state at every step (where the latent sliders start). Computed here, drawn by the GUI.
struct DreamStrip {
    nn::SeqBatch seq;
    nn::WorldModel::OpenLoop result;
    std::vector<nn::WorldModel::State> posterior;
};
DreamStrip dream_strip(const WorldModelView& wm, int context, float temperature, int max_len = 16);

}  // namespace dl
