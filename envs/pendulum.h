// Pendulum-v1 — Gymnasium's classic_control/pendulum.py: swing a pendulum up and hold it there with a limited
// torque. State (θ, θ̇) with θ = 0 upright; observation (cos θ, sin θ, θ̇) as float32; one action, the torque u,
// clipped to [−2, 2]; reward −(norm(θ)² + 0.1 θ̇² + 0.001 u²) with norm(θ) the angle in [−π, π); the update
//   θ̇' = clip(θ̇ + (3g/(2l) sin θ + 3/(m l²) u) dt, −8, 8),   θ' = θ + θ̇' dt      (g = 10, m = l = 1, dt = 0.05)
// never terminates, truncates at 200 steps, and resets θ ∈ [−π, π], θ̇ ∈ [−1, 1] uniformly. Only the reset draw
// differs from Gymnasium (NumPy's PCG64 stream is not ours): set_state() starts a golden trajectory exactly.
#pragma once
#include <array>
#include <vector>

#include "base/params.h"
#include "base/rng.h"
#include "envs/env.h"

namespace dl {

struct PendulumArgs : Args<PendulumArgs> {
    double g = 10.0;                  // gravity (Gymnasium's default 10.0)
    int64_t max_episode_steps = 200;  // time limit (truncation)

    void visit(ParamVisitor& v) override {
        v.real("g", g, 0, 100, "gravity; Gymnasium's default is 10", Apply::Restart);
        v.integer("max_episode_steps", max_episode_steps, 1, 1000000, "time limit (truncation); Gymnasium's is 200",
                  Apply::Restart);
    }
};

class Pendulum final : public Env {
public:
    static constexpr double kMaxSpeed = 8, kMaxTorque = 2, kDt = 0.05, kMass = 1, kLength = 1;
    using State = std::array<double, 2>;  // θ, θ̇

    explicit Pendulum(const PendulumArgs& args = {}) : g_(args.g), max_steps_(int(args.max_episode_steps)) { reset(0); }

    std::string id() const override { return "Pendulum-v1"; }
    int render_fps() const override { return 30; }  // Gymnasium: 30
    Space observation_space() const override;
    Space action_space() const override;
    std::vector<std::string> action_names() const override { return {"torque"}; }
    StepFlags step_box_into(const float* action, float* obs) override;
    void reset_into(std::optional<uint64_t> seed, float* obs) override;
    void render(Image& img) const override;
    std::unique_ptr<Env> clone() const override { return std::make_unique<Pendulum>(*this); }
    void io_state(StateIO& io) override { io.section("Pendulum"), io(s_, rng_, elapsed_, last_u_); }
    int max_episode_steps() const override { return max_steps_; }
    bool state_plane(StatePlane& out) const override;
    void record_path(bool on) override { record_path_ = on; }

    const State& state() const { return s_; }
    void set_state(const State& s) { s_ = s; }
    double last_torque() const { return last_u_; }
    // The states of the current episode so far, from its reset, once record_path(true) was asked (the views).
    const std::vector<State>& trajectory() const { return trajectory_; }
    void observe(float* obs) const;
    // θ wrapped into [−π, π), as Gymnasium's angle_normalize (Python's floor-mod).
    static double angle_normalize(double x);

private:
    State s_{};
    Rng rng_{0};
    double g_ = 10;
    int max_steps_ = 200, elapsed_ = 0;
    double last_u_ = 0;
    std::vector<State> trajectory_;
    bool record_path_ = false;
};

}  // namespace dl
