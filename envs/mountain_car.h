// MountainCarContinuous-v0 — Gymnasium's classic_control/continuous_mountain_car.py: an underpowered car must rock
// back and forth to climb to the flag at x = 0.45. State (x, v), observed as float32 and stored as float32 between
// steps (as Gymnasium's state array is); one action, the force, clipped to [−1, 1] in the dynamics
//   v' = clip(v + 0.0015 f − 0.0025 cos(3x), −0.07, 0.07),   x' = clip(x + v', −1.2, 0.6)   (v' = 0 at the left wall)
// terminated on reaching x ≥ 0.45 with v ≥ 0 (+100), reward −0.1 a² every step on the action as given (unclipped,
// as Gymnasium computes it), truncation at 999 steps, reset x ∈ [−0.6, −0.4], v = 0.
#pragma once
#include <array>
#include <cmath>
#include <vector>

#include "base/params.h"
#include "base/rng.h"
#include "envs/env.h"

namespace dl {

struct MountainCarArgs : Args<MountainCarArgs> {
    int64_t max_episode_steps = 999;  // time limit (truncation)

    void visit(ParamVisitor& v) override {
        v.integer("max_episode_steps", max_episode_steps, 1, 1000000, "time limit (truncation); Gymnasium's is 999",
                  Apply::Restart);
    }
};

class MountainCarContinuous final : public Env {
public:
    static constexpr double kMinPosition = -1.2, kMaxPosition = 0.6, kMaxSpeed = 0.07, kGoalPosition = 0.45,
                            kGoalVelocity = 0, kPower = 0.0015;
    using State = std::array<float, 2>;  // x, v (float32, as Gymnasium stores them)

    explicit MountainCarContinuous(const MountainCarArgs& args = {}) : max_steps_(int(args.max_episode_steps)) { reset(0); }

    std::string id() const override { return "MountainCarContinuous-v0"; }
    int render_fps() const override { return 30; }  // Gymnasium: 30
    Space observation_space() const override;
    Space action_space() const override;
    std::vector<std::string> action_names() const override { return {"force"}; }
    StepFlags step_box_into(const float* action, float* obs) override;
    void reset_into(std::optional<uint64_t> seed, float* obs) override;
    void render(Image& img) const override;
    std::unique_ptr<Env> clone() const override { return std::make_unique<MountainCarContinuous>(*this); }
    void io_state(StateIO& io) override { io.section("MountainCar"), io(s_, rng_, elapsed_, success_, last_force_); }
    int max_episode_steps() const override { return max_steps_; }
    bool defines_success() const override { return true; }
    bool last_success() const override { return success_; }
    bool state_plane(StatePlane& out) const override;
    void record_path(bool on) override { record_path_ = on; }

    const State& state() const { return s_; }
    double last_force() const { return last_force_; }  // the force of the last step, clipped to [−1, 1]
    // The states of the current episode so far, from its reset, once record_path(true) was asked (the views).
    const std::vector<State>& trajectory() const { return trajectory_; }
    void set_state(const State& s) { s_ = s; }
    static double height(double x) { return std::sin(3 * x) * 0.45 + 0.55; }

private:
    State s_{};
    Rng rng_{0};
    int max_steps_ = 999, elapsed_ = 0;
    bool success_ = false;
    double last_force_ = 0;
    std::vector<State> trajectory_;
    bool record_path_ = false;
};

}  // namespace dl
