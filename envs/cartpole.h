// CartPole-v1 — Gymnasium's classic_control/cartpole.py (Barto, Sutton & Anderson, 1983), reproduced to the last bits:
// Euler integration (positions move with the old velocities), force ±10 N, failure when |x| > 2.4 or
// |θ| > 12° (strict, on the new state), reward 1 on every step including the failing one, truncation at 500
// steps, reset uniformly in [−0.05, 0.05]⁴, double internal state, float32 observations.
// Only the reset draw differs: NumPy's PCG64 stream is not ours, so the same seed starts elsewhere.
#pragma once
#include <array>
#include <string>
#include <cmath>

#include "base/params.h"
#include "base/rng.h"
#include "envs/env.h"

namespace dl {

struct CartPoleArgs : Args<CartPoleArgs> {
    int64_t max_episode_steps = 500;  // time limit (truncation)
    std::string obs = "state";        // state: (x, ẋ, θ, θ̇) as Gymnasium; pixels: a 20 × 40 picture drawn from them

    void visit(ParamVisitor& v) override {
        v.integer("max_episode_steps", max_episode_steps, 1, 1000000, "time limit (truncation); Gymnasium's is 500",
                  Apply::Restart);
        v.choice("obs", obs, {"state", "pixels"},
                 "state: the 4 numbers; pixels: a 20x40 0/1 picture of cart and pole (velocities must be read from frames)",
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

    // obs=pixels: a picture of kPixelRows × kPixelCols × 1 cells, 0 or 1, laid out [y][x][c] as MinAtar's: the cart
    // (0.5 m wide) on row 16-17 and the pole (1 m) above it, x ∈ [−2.4, 2.4] across the width.
    static constexpr int kPixelRows = 20, kPixelCols = 40;

    explicit CartPole(const CartPoleArgs& args = {}) : max_steps_(int(args.max_episode_steps)), pixels_(args.obs == "pixels") {
        reset(0);
    }
    int max_episode_steps() const override { return max_steps_; }

    std::string id() const override { return "CartPole-v1"; }
    int render_fps() const override { return 50; }  // Gymnasium: 50
    Space observation_space() const override;
    Space action_space() const override { return Space::discrete(2); }
    void render(Image& img) const override;
    std::unique_ptr<Env> clone() const override { return std::make_unique<CartPole>(*this); }
    void io_state(StateIO& io) override { io.section("CartPole"), io(s_, rng_, elapsed_, steps_beyond_terminated_); }
    std::vector<std::string> action_names() const override { return {"push left", "push right"}; }
    // The state maps: (θ, ω) on the axes, the cart's (x, v) fixed by sliders; none when the agent sees pixels.
    bool state_plane(StatePlane& out) const override;
    ObsLook obs_look() const override;

    // The hot path, without allocation: writes the float32 observation into obs[4]. Defined below, inline, so a
    // loop over one CartPole keeps the state in registers.
    StepFlags step_into(int action, float* obs) override;
    void reset_into(std::optional<uint64_t> seed, float* obs) override {
        reset_state(seed);
        observe(obs);
    }
    void reset_state(std::optional<uint64_t> seed);
    void observe(float* obs) const {
        if (pixels_) return draw_pixels(s_, obs);
        for (int i = 0; i < 4; ++i) obs[i] = float(s_[i]);
    }
    bool pixels() const { return pixels_; }
    static void draw_pixels(const State& s, float* obs);  // obs[kPixelRows · kPixelCols]
    const State& state() const { return s_; }
    void set_state(const State& s) { s_ = s, steps_beyond_terminated_ = -1; }  // tests, value-map slices
    int elapsed() const { return elapsed_; }

private:
    State s_{};
    Rng rng_{0};
    int max_steps_ = 500;
    int elapsed_ = 0;
    int steps_beyond_terminated_ = -1;
    bool pixels_ = false;
};

// The dynamics alone (one Euler step of length τ): used by the env and by anything that needs to predict.
//
// Gymnasium's equations, written out as cartpole.py writes them (libm sin/cos, three divisions): bit-identical to
// Gymnasium's float64 arithmetic, and the reference the fast path below is tested against.
inline CartPole::State cartpole_dynamics_reference(const CartPole::State& s, int action) {
    using C = CartPole;
    const double x = s[0], x_dot = s[1], theta = s[2], theta_dot = s[3];
    const double force = action == 1 ? C::kForceMag : -C::kForceMag;
    const double costheta = std::cos(theta), sintheta = std::sin(theta);
    const double temp = (force + C::kPoleMassLength * (theta_dot * theta_dot) * sintheta) / C::kTotalMass;
    const double thetaacc = (C::kGravity * sintheta - costheta * temp) /
                            (C::kLength * (4.0 / 3.0 - C::kMassPole * (costheta * costheta) / C::kTotalMass));
    const double xacc = temp - C::kPoleMassLength * thetaacc * costheta / C::kTotalMass;
    return {x + C::kTau * x_dot, x_dot + C::kTau * xacc, theta + C::kTau * theta_dot, theta_dot + C::kTau * thetaacc};
}

namespace cartpole_detail {
// θ̈'s denominator as a series in z = θ²:  l·(4/3 − m_p·cos²θ/M) = d0 + k·sin²θ  with d0 = l·4/3 − k, k = l·m_p/M,
// and sin²θ = Σ_{j≥1} (−1)^{j+1} 2^{2j−1} z^j / (2j)!.  Its reciprocal's coefficients follow by power-series
// division (f0 = 1/d0, f_n = −(Σ_{j=1..n} d_j f_{n−j}) / d0), computed by the compiler.
inline constexpr int kInvDenDegree = 8;
constexpr std::array<double, kInvDenDegree + 1> inverse_denominator_series() {
    constexpr double k = CartPole::kLength * CartPole::kMassPole / CartPole::kTotalMass;
    std::array<double, kInvDenDegree + 1> d{}, f{};
    d[0] = CartPole::kLength * 4.0 / 3.0 - k;
    double pow2 = 0.5, fact = 1;
    for (int j = 1; j <= kInvDenDegree; ++j) {
        pow2 *= 4, fact *= double(2 * j - 1) * double(2 * j);
        d[size_t(j)] = (j % 2 ? k : -k) * pow2 / fact;
    }
    f[0] = 1 / d[0];
    for (int n = 1; n <= kInvDenDegree; ++n) {
        double acc = 0;
        for (int j = 1; j <= n; ++j) acc += d[size_t(j)] * f[size_t(n - j)];
        f[size_t(n)] = -acc / d[0];
    }
    return f;
}
inline constexpr auto kInvDen = inverse_denominator_series();
}  // namespace cartpole_detail

// The fast path, for |θ| ≤ 0.3 rad (the pole fails at 0.21; larger angles take the reference path). Each step's
// angle waits on the previous step's θ̈, so the latency of that chain is the speed of a single env: sin, cos and
// the reciprocal of θ̈'s denominator become polynomials in z = θ² (Taylor, evaluated in Estrin's scheme with
// explicit fused multiply-adds, so every machine computes the same bits), computed side by side, and the constant
// factors are folded. The chain drops from ~40 ns to ~20 ns; the result agrees with the reference to a few ulps
// (tested over random states) and with Gymnasium's golden trajectories to ~1e-15 (tested to 1e-9).
inline CartPole::State cartpole_dynamics(const CartPole::State& s, int action) {
    using C = CartPole;
    const double x = s[0], x_dot = s[1], theta = s[2], theta_dot = s[3];
    if (!(std::fabs(theta) <= 0.3)) return cartpole_dynamics_reference(s, action);
    constexpr double kPmlOverM = C::kPoleMassLength / C::kTotalMass;
    const auto& f = cartpole_detail::kInvDen;
    const double z = theta * theta, z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
    // sin θ = θ + θ·z·(−1/3! + z/5! − z²/7! + z³/9! − z⁴/11!)
    const double s01 = std::fma(z, 1.0 / 120, -1.0 / 6), s23 = std::fma(z, 1.0 / 362880, -1.0 / 5040);
    const double sintheta = std::fma(theta * z, std::fma(z4, -1.0 / 39916800, std::fma(z2, s23, s01)), theta);
    // cos θ = 1 + z·(−1/2! + z/4! − z²/6! + z³/8! − z⁴/10! + z⁵/12!)
    const double c01 = std::fma(z, 1.0 / 24, -0.5), c23 = std::fma(z, 1.0 / 40320, -1.0 / 720),
                 c45 = std::fma(z, 1.0 / 479001600, -1.0 / 3628800);
    const double costheta = std::fma(z, std::fma(z4, c45, std::fma(z2, c23, c01)), 1.0);
    // 1 / (l·(4/3 − m_p·cos²θ/M)) = Σ f_n zⁿ
    const double f01 = std::fma(z, f[1], f[0]), f23 = std::fma(z, f[3], f[2]), f45 = std::fma(z, f[5], f[4]),
                 f67 = std::fma(z, f[7], f[6]);
    const double inv_den = std::fma(z8, f[8], std::fma(z4, std::fma(z2, f67, f45), std::fma(z2, f23, f01)));
    // ±F/M without a branch: random actions would mispredict half the time.
    const double force_over_m = double(2 * (action == 1) - 1) * (C::kForceMag / C::kTotalMass);
    const double temp = std::fma(kPmlOverM * (theta_dot * theta_dot), sintheta, force_over_m);
    const double thetaacc = std::fma(-costheta, temp, C::kGravity * sintheta) * inv_den;
    const double xacc = std::fma(-kPmlOverM * thetaacc, costheta, temp);
    return {std::fma(C::kTau, x_dot, x), std::fma(C::kTau, xacc, x_dot), std::fma(C::kTau, theta_dot, theta),
            std::fma(C::kTau, thetaacc, theta_dot)};
}

inline StepFlags CartPole::step_into(int action, float* obs) {
    s_ = cartpole_dynamics(s_, action);
    ++elapsed_;
    const bool terminated = s_[0] < -kXThreshold || s_[0] > kXThreshold || s_[2] < -kThetaThreshold || s_[2] > kThetaThreshold;
    double reward = 1.0;
    if (terminated) {
        // Gymnasium gives 0 for steps taken after the episode already ended.
        if (++steps_beyond_terminated_ > 0) reward = 0.0;
    }
    observe(obs);
    return {reward, terminated, elapsed_ >= max_steps_};
}

}  // namespace dl
