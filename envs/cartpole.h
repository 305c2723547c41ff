// CartPole-v1 — Gymnasium's classic_control/cartpole.py (Barto, Sutton & Anderson, 1983), reproduced exactly:
// Euler integration (positions move with the old velocities), force ±10 N, failure when |x| > 2.4 or
// |θ| > 12° (strict, on the new state), reward 1 on every step including the failing one, truncation at 500
// steps, reset uniformly in [−0.05, 0.05]⁴, double internal state, float32 observations.
// Only the reset draw differs: NumPy's PCG64 stream is not ours, so the same seed starts elsewhere.
#pragma once
#include <array>
#include <cmath>

#include "core/params.h"
#include "core/rng.h"
#include "envs/env.h"

namespace dl {

struct CartPoleArgs : Args<CartPoleArgs> {
    int64_t max_episode_steps = 500;  // time limit (truncation)

    void visit(ParamVisitor& v) override {
        v.integer("max_episode_steps", max_episode_steps, 1, 1000000, "time limit (truncation); Gymnasium's is 500",
                  Apply::Restart);
    }
};

class CartPole final : public Env {
public:
    static constexpr double kGravity = 9.8;
    static constexpr double kMassCart = 1.0;
    static constexpr double kMassPole = 0.1;
    static constexpr double kTotalMass = kMassPole + kMassCart;
    static constexpr double kLength = 0.5;  // half the pole's length
    static constexpr double kPoleMassLength = kMassPole * kLength;
    static constexpr double kForceMag = 10.0;
    static constexpr double kTau = 0.02;  // seconds between state updates
    static constexpr double kThetaThreshold = 12 * 2 * M_PI / 360;
    static constexpr double kXThreshold = 2.4;

    using State = std::array<double, 4>;  // x, ẋ, θ, θ̇

    explicit CartPole(const CartPoleArgs& args = {}) : max_steps_(int(args.max_episode_steps)) { reset(0); }

    std::string id() const override { return "CartPole-v1"; }
    Space observation_space() const override;
    Space action_space() const override { return Space::discrete(2); }
    Obs reset(std::optional<uint64_t> seed = std::nullopt) override;
    StepResult step(int action) override;
    void render(Image& img) const override;
    std::unique_ptr<Env> clone() const override { return std::make_unique<CartPole>(*this); }
    std::vector<std::string> action_names() const override { return {"push left", "push right"}; }

    // The hot path, without allocation: writes the float32 observation into obs[4].
    StepFlags step_into(int action, float* obs) override;
    void reset_into(std::optional<uint64_t> seed, float* obs) override {
        reset_state(seed);
        observe(obs);
    }
    void reset_state(std::optional<uint64_t> seed);
    void observe(float* obs) const {
        for (int i = 0; i < 4; ++i) obs[i] = float(s_[i]);
    }
    const State& state() const { return s_; }
    void set_state(const State& s) { s_ = s, steps_beyond_terminated_ = -1; }  // tests, value-map slices
    int elapsed() const { return elapsed_; }

private:
    State s_{};
    Rng rng_{0};
    int max_steps_ = 500;
    int elapsed_ = 0;
    int steps_beyond_terminated_ = -1;
};

// The dynamics alone (one Euler step of length τ): used by the env and by anything that needs to predict.
inline CartPole::State cartpole_dynamics(const CartPole::State& s, int action) {
    const double x = s[0], x_dot = s[1], theta = s[2], theta_dot = s[3];
    const double force = action == 1 ? CartPole::kForceMag : -CartPole::kForceMag;
    const double costheta = std::cos(theta), sintheta = std::sin(theta);
    // Same association as Gymnasium's expressions (np.square(·) first), so results agree to the last bit.
    const double temp = (force + CartPole::kPoleMassLength * (theta_dot * theta_dot) * sintheta) / CartPole::kTotalMass;
    const double thetaacc = (CartPole::kGravity * sintheta - costheta * temp) /
                            (CartPole::kLength * (4.0 / 3.0 - CartPole::kMassPole * (costheta * costheta) / CartPole::kTotalMass));
    const double xacc = temp - CartPole::kPoleMassLength * thetaacc * costheta / CartPole::kTotalMass;
    return {x + CartPole::kTau * x_dot, x_dot + CartPole::kTau * xacc, theta + CartPole::kTau * theta_dot,
            theta_dot + CartPole::kTau * thetaacc};
}

}  // namespace dl
