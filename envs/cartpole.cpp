#include "envs/cartpole.h"

#include <cstdio>

#include <algorithm>
#include <cmath>
#include <limits>

namespace dl {

Space CartPole::observation_space() const {
    Space sp;
    sp.kind = Space::Box;
    if (pixels_) {
        sp.shape = {kPixelRows, kPixelCols, 1};
        sp.low.assign(size_t(kPixelRows * kPixelCols), 0.0f), sp.high.assign(size_t(kPixelRows * kPixelCols), 1.0f);
        return sp;
    }
    sp.shape = {4};
    const float inf = std::numeric_limits<float>::infinity();
    sp.high = {float(kXThreshold * 2), inf, float(kThetaThreshold * 2), inf};
    sp.low = {-sp.high[0], -inf, -sp.high[2], -inf};
    return sp;
}

void CartPole::reset_state(std::optional<uint64_t> seed) {
    if (seed) rng_.reseed(*seed);
    for (double& v : s_) v = -0.05 + 0.1 * rng_.uniform();
    elapsed_ = 0;
    steps_beyond_terminated_ = -1;
}

// Track, cart and pole, as Gymnasium draws them (600x400, world width 4.8 m).
void CartPole::render(Image& img) const {
    const int W = 600, H = 400;
    img.resize(W, H, {255, 255, 255});
    const double scale = W / (kXThreshold * 2);
    const double pole_len = scale * 2 * kLength;
    const double cart_w = 50, cart_h = 30, track_y = H - 100;
    img.fill_rect(0, int(track_y), W, int(track_y) + 1, {0, 0, 0});
    // The failure zone edges.
    for (double edge : {-kXThreshold, kXThreshold}) {
        const int ex = int(edge * scale + W / 2.0);
        img.fill_rect(ex - 1, int(track_y) - 8, ex + 1, int(track_y) + 8, {200, 60, 60});
    }
    const double cx = s_[0] * scale + W / 2.0;
    img.fill_rect(int(cx - cart_w / 2), int(track_y - cart_h), int(cx + cart_w / 2), int(track_y), {30, 30, 30});
    const double axle_y = track_y - cart_h * 0.75;
    const double tip_x = cx + pole_len * std::sin(s_[2]), tip_y = axle_y - pole_len * std::cos(s_[2]);
    img.line(cx, axle_y, tip_x, tip_y, 10, {202, 152, 101});
    img.fill_circle(cx, axle_y, 5, {129, 132, 203});
}

void CartPole::draw_pixels(const State& s, float* obs) {
    constexpr double kScale = kPixelCols / (2 * kXThreshold);  // cells per metre
    std::fill(obs, obs + kPixelRows * kPixelCols, 0.0f);
    auto set = [&](int y, int x) {
        if (y >= 0 && y < kPixelRows && x >= 0 && x < kPixelCols) obs[y * kPixelCols + x] = 1.0f;
    };
    const double cx = kPixelCols / 2.0 + s[0] * kScale;
    for (int x = int(std::floor(cx - 0.25 * kScale)); x < int(std::ceil(cx + 0.25 * kScale)); ++x) set(16, x), set(17, x);
    const double len = 2 * kLength * kScale;
    for (int k = 0; k <= 24; ++k) {  // the pole from the cart's top centre, sampled finely enough to leave no gaps
        const double d = len * k / 24.0;
        set(int(std::floor(15.5 - d * std::cos(s[2]))), int(std::floor(cx + d * std::sin(s[2]))));
    }
}

bool CartPole::state_plane(StatePlane& p) const {
    if (pixels_) return false;  // the maps feed the agent states, not pictures
    p.dims = {"x", "v", "θ", "ω"};  // ω = dθ/dt and v = dx/dt (ImGui cannot stack a combining dot over a letter)
    p.lo = {-2.4f, -3.0f, -float(kThetaThreshold), -2.5f}, p.hi = {2.4f, 3.0f, float(kThetaThreshold), 2.5f};
    p.x = 2, p.y = 3;
    p.state = {float(s_[0]), float(s_[1]), float(s_[2]), float(s_[3])};
    p.path.clear();
    p.action_name = "push";
    char buf[96];
    std::snprintf(buf, sizeof buf, "x %+.3f  v %+.3f\nθ %+.3f  ω %+.3f", s_[0], s_[1], s_[2], s_[3]);
    p.status = buf, p.legend = "θ = 0 upright, ω = dθ/dt";
    p.obs_dim = 4;
    p.observe = [](const float* s, float* o) { std::copy(s, s + 4, o); };
    p.unobserve = [](const float* o, float* s) { std::copy(o, o + 4, s); };
    return true;
}

ObsLook CartPole::obs_look() const {
    if (pixels_) return Env::obs_look();
    ObsLook l;
    l.kind = ObsLook::CartPole;
    return l;
}

}  // namespace dl
