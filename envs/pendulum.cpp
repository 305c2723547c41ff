#include "envs/pendulum.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace dl {

Space Pendulum::observation_space() const {
    Space sp;
    sp.kind = Space::Box;
    sp.shape = {3};
    sp.low = {-1.0f, -1.0f, -float(kMaxSpeed)}, sp.high = {1.0f, 1.0f, float(kMaxSpeed)};
    return sp;
}

Space Pendulum::action_space() const {
    Space sp;
    sp.kind = Space::Box;
    sp.shape = {1};
    sp.low = {-float(kMaxTorque)}, sp.high = {float(kMaxTorque)};
    return sp;
}

double Pendulum::angle_normalize(double x) {
    const double two_pi = 2 * M_PI;
    double r = std::fmod(x + M_PI, two_pi);
    if (r < 0) r += two_pi;
    return r - M_PI;
}

void Pendulum::observe(float* obs) const {
    obs[0] = float(std::cos(s_[0])), obs[1] = float(std::sin(s_[0])), obs[2] = float(s_[1]);
}

void Pendulum::reset_into(std::optional<uint64_t> seed, float* obs) {
    if (seed) rng_ = Rng(*seed);
    s_ = {M_PI * (2 * rng_.uniform() - 1), 2 * rng_.uniform() - 1};
    elapsed_ = 0, last_u_ = 0;
    trajectory_.clear();
    if (record_path_) trajectory_.push_back(s_);
    observe(obs);
}

StepFlags Pendulum::step_box_into(const float* action, float* obs) {
    // The torque is clipped as a float32 (Gymnasium clips the float32 action array); the rest is float64.
    const double u = double(std::clamp(action[0], -float(kMaxTorque), float(kMaxTorque)));
    const double th = s_[0], thdot = s_[1];
    const double cost = std::pow(angle_normalize(th), 2) + 0.1 * thdot * thdot + 0.001 * double(float(u) * float(u));
    double newthdot = thdot + (3 * g_ / (2 * kLength) * std::sin(th) + 3.0 / (kMass * kLength * kLength) * u) * kDt;
    newthdot = std::clamp(newthdot, -kMaxSpeed, kMaxSpeed);
    s_ = {th + newthdot * kDt, newthdot};
    last_u_ = u;
    ++elapsed_;
    if (record_path_) trajectory_.push_back(s_);
    observe(obs);
    return {-cost, false, elapsed_ >= max_steps_};
}

// A rod from the pivot (θ = 0 points up), its length scaled as Gymnasium's 500x500 picture; the last torque as an
// arc around the pivot (its length proportional to |u|, its direction the turning sense).
void Pendulum::render(Image& img) const {
    const int W = 500;
    img.resize(W, W, {255, 255, 255});
    const double c = W / 2.0, len = W * 0.4;
    const double tx = c + len * std::sin(s_[0]), ty = c - len * std::cos(s_[0]);
    img.line(c, c, tx, ty, 20, {204, 77, 77});
    img.fill_circle(tx, ty, 10, {204, 77, 77});
    img.fill_circle(c, c, 6, {40, 40, 40});
    const double reach = std::fabs(last_u_) / kMaxTorque * M_PI * 0.75;
    const int n = int(reach / 0.05);
    for (int k = 0; k < n; ++k) {  // positive torque turns towards positive θ (clockwise on screen)
        const double a = s_[0] + (last_u_ > 0 ? 1 : -1) * (0.3 + k * 0.05);
        img.fill_circle(c + 45 * std::sin(a), c - 45 * std::cos(a), 3, {60, 60, 60});
    }
}

bool Pendulum::state_plane(StatePlane& p) const {
    // (θ, ω), observed as (cos θ, sin θ, ω); θ = 0 is upright.
    p.dims = {"θ", "ω"};
    p.lo = {-float(M_PI), -float(kMaxSpeed)}, p.hi = {float(M_PI), float(kMaxSpeed)};
    p.wrap_x = true;
    p.state = {float(angle_normalize(s_[0])), float(s_[1])};
    p.path.clear();
    for (const State& x : trajectory_) p.path.push_back({float(angle_normalize(x[0])), float(x[1])});
    p.action_name = "torque";
    char buf[96];
    std::snprintf(buf, sizeof buf, "θ %+.2f  ω %+.2f  last torque %+.2f", angle_normalize(s_[0]), s_[1], last_u_);
    p.status = buf, p.legend = "θ = 0 up, ω = dθ/dt";
    p.obs_dim = 3;
    p.observe = [](const float* s, float* o) { o[0] = std::cos(s[0]), o[1] = std::sin(s[0]), o[2] = s[1]; };
    p.unobserve = [](const float* o, float* s) { s[0] = std::atan2(o[1], o[0]), s[1] = o[2]; };
    return true;
}

}  // namespace dl
