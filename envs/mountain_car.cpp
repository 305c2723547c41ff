#include "envs/mountain_car.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace dl {

Space MountainCarContinuous::observation_space() const {
    Space sp;
    sp.kind = Space::Box;
    sp.shape = {2};
    sp.low = {float(kMinPosition), -float(kMaxSpeed)}, sp.high = {float(kMaxPosition), float(kMaxSpeed)};
    return sp;
}

Space MountainCarContinuous::action_space() const {
    Space sp;
    sp.kind = Space::Box;
    sp.shape = {1};
    sp.low = {-1.0f}, sp.high = {1.0f};
    return sp;
}

void MountainCarContinuous::reset_into(std::optional<uint64_t> seed, float* obs) {
    if (seed) rng_ = Rng(*seed);
    s_ = {float(-0.6 + 0.2 * rng_.uniform()), 0.0f};
    elapsed_ = 0, success_ = false, last_force_ = 0;
    trajectory_.clear();
    if (record_path_) trajectory_.push_back(s_);
    obs[0] = s_[0], obs[1] = s_[1];
}

// Gymnasium's arithmetic: the state is stored as float32, each step computes in float64 from it (NumPy 1.x
// promotes a float32 scalar meeting a Python float to float64) and rounds the result to float32 again.
StepFlags MountainCarContinuous::step_box_into(const float* action, float* obs) {
    const double position0 = s_[0];
    const double force = std::clamp(double(action[0]), -1.0, 1.0);
    double velocity = double(s_[1]) + force * kPower - 0.0025 * std::cos(3 * position0);
    velocity = std::clamp(velocity, -kMaxSpeed, kMaxSpeed);
    double position = std::clamp(position0 + velocity, kMinPosition, kMaxPosition);
    if (position == kMinPosition && velocity < 0) velocity = 0;
    const bool terminated = position >= kGoalPosition && velocity >= kGoalVelocity;
    double reward = terminated ? 100.0 : 0.0;
    reward -= double(action[0]) * double(action[0]) * 0.1;  // on the action as given, not the clipped force
    s_ = {float(position), float(velocity)};
    success_ = terminated, last_force_ = force;
    if (record_path_) trajectory_.push_back(s_);
    ++elapsed_;
    obs[0] = s_[0], obs[1] = s_[1];
    return {reward, terminated, elapsed_ >= max_steps_};
}

// The hill y = 0.45 sin(3x) + 0.55 over x ∈ [−1.2, 0.6], the flag at 0.45 and the car on the slope (600x400).
void MountainCarContinuous::render(Image& img) const {
    const int W = 600, H = 400;
    img.resize(W, H, {255, 255, 255});
    const double scale = W / (kMaxPosition - kMinPosition);
    auto px = [&](double x) { return (x - kMinPosition) * scale; };
    auto py = [&](double x) { return H - 40 - height(x) * scale * 0.8; };
    for (int i = 0; i < 200; ++i) {
        const double x0 = kMinPosition + (kMaxPosition - kMinPosition) * i / 200.0, x1 = x0 + (kMaxPosition - kMinPosition) / 200.0;
        img.line(px(x0), py(x0), px(x1), py(x1), 3, {0, 0, 0});
    }
    const double fx = px(kGoalPosition), fy = py(kGoalPosition);
    img.line(fx, fy, fx, fy - 50, 2, {0, 0, 0});
    img.fill_rect(int(fx), int(fy - 50), int(fx + 25), int(fy - 40), {204, 204, 0});
    const double x = s_[0], angle = std::atan(std::cos(3 * x) * 0.45 * 3 * 0.8);
    const double cx = px(x), cy = py(x) - 12;
    const double dx = std::cos(angle) * 20, dy = -std::sin(angle) * 20;
    img.line(cx - dx, cy - dy, cx + dx, cy + dy, 20, {50, 50, 50});
    img.fill_circle(cx - dx * 0.6, cy - dy * 0.6 + 10, 6, {128, 128, 128});
    img.fill_circle(cx + dx * 0.6, cy + dy * 0.6 + 10, 6, {128, 128, 128});
}

bool MountainCarContinuous::state_plane(StatePlane& p) const {
    // (x, v), observed as they are; the flag at x = 0.45.
    p.dims = {"x", "v"};
    p.lo = {float(kMinPosition), -float(kMaxSpeed)}, p.hi = {float(kMaxPosition), float(kMaxSpeed)};
    p.state = {s_[0], s_[1]};
    p.path.clear();
    for (const State& x : trajectory_) p.path.push_back({x[0], x[1]});
    p.action_name = "force";
    char buf[96];
    std::snprintf(buf, sizeof buf, "x %+.3f  v %+.4f  last force %+.2f", s_[0], s_[1], last_force_);
    p.status = buf, p.legend = "flag at x = 0.45, v = dx/dt";
    p.obs_dim = 2;
    p.observe = [](const float* s, float* o) { o[0] = s[0], o[1] = s[1]; };
    p.unobserve = [](const float* o, float* s) { s[0] = o[0], s[1] = o[1]; };
    return true;
}

}  // namespace dl
