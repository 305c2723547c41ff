// The views an agent can offer beyond AgentFn::evaluate, each a small interface (AgentFn::continuous_policy(),
// AgentFn::world_model() hand them out, nullptr where the agent has none). The GUI draws through these and never
// names a concrete agent class.
#pragma once
#include <memory>
#include <vector>

#include "base/rng.h"
#include "core/nn/layers.h"
#include "core/nn/world_model.h"
#include "core/rl/agent.h"
#include "envs/env.h"

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

// The agent over a res × res grid of an env's state plane (StatePlane): dimensions x and y vary (row 0 at the top,
// the largest y), every other dimension is held at `state`'s value. value is V at each point (min(Q1, Q2) at μ(s) for
// twin critics); actions are evaluate()'s action values (π or Q) for discrete actions, or the deterministic action
// in the env's units (first action dimension) for a continuous policy.
struct PlaneMaps {
    int res = 0;
    std::vector<float> state;   // where the fixed dimensions were held
    bool continuous = false;    // actions holds μ(s), not π/Q
    nn::Mat value, actions;     // res² × 1, res² × A (A = 1 when continuous)
    nn::Mat lag;                // res² × 1: max_a |Q(s,a) − Q_target(s,a)| where the agent has a target network
};
PlaneMaps plane_maps(const AgentFn& agent, const StatePlane& plane, const std::vector<float>& state, int res);

// max_a |Q(s,a) − Q_target(s,a)| at every state of a tabular env (one-hot observations): how far the target network
// trails the online one.
std::vector<double> target_lag_cells(const AgentFn& online, const AgentFn& target, int num_states);
// The same for a batch of observations (B × 1).
nn::Mat target_lag(const AgentFn& online, const AgentFn& target, const nn::Mat& obs);

// The agent at the shown pixel world's current frame (MinAtar): the frame it sees, its saliency
// (AgentFn::saliency: |∂Q(s, a*)/∂pixel| or |∂V/∂pixel| per observation entry) and its V(s), Q or π at that frame.
struct PixelReadout {
    std::vector<float> obs, saliency;
    bool has_saliency = false;
    nn::Mat value, actions;
};

// What the GUI's panels want computed on the worker, beside each snapshot (the GUI only draws the answers).
struct ViewRequest {
    bool dream = false;               // the dream-vs-reality strip
    int dream_context = 4;
    float dream_temperature = 0;
    bool transitions = false;         // a tabular world model's learned P(s′ | s, a) (200 dreamed steps each)
    bool pixels = false;              // PixelReadout at the current frame
    bool plane = false;               // state-plane maps
    int plane_res = 48;
    std::vector<std::pair<int, float>> plane_hold;  // (dimension, value) held fixed; the others follow the state
    bool operator==(const ViewRequest&) const = default;
};

// The answers, as published in a Snapshot. Each is shared (a snapshot copy is cheap) and null when not asked for
// or not available (no agent yet, an agent without a world model, an env without a state plane).
struct ComputedViews {
    ViewRequest request;                          // what they answer
    std::shared_ptr<const DreamStrip> dream;
    std::shared_ptr<const nn::Mat> transitions;   // (S·A) × S, row s·A + a
    std::shared_ptr<const PlaneMaps> plane;
    std::shared_ptr<const PixelReadout> pixels;
    double transitions_at = -1e9, plane_at = -1e9;  // when they were computed (the run's wall clock, seconds)
};
// Computes what `req` asks for from a snapshot's agent and env. `previous` answers are reused where the request is
// unchanged and they are younger than a throttle (plane maps 0.25 s, transitions 0.5 s), so a fast-training run
// does not spend its time drawing; the dream strip follows every snapshot.
ComputedViews compute_views(const ViewRequest& req, const AgentFn* agent, const Env* env, const ComputedViews& previous,
                            double now);

}  // namespace dl
