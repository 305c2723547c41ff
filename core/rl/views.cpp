#include "core/rl/views.h"

#include <algorithm>
#include <cmath>

namespace dl {

namespace {
double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI); }
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
}  // namespace

double ActionDensity::pdf(double a) const {
    if (a <= lo || a >= hi || std <= 0) return 0;
    if (kind == Clipped) return normal_pdf((a - mean) / std) / std;
    const double y = (a - bias) / scale, u = std::atanh(y);  // a = bias + scale tanh u:  p(a) = N(u) / (scale (1 − y²))
    return normal_pdf((u - mean) / std) / std / (scale * (1 - y * y));
}

double ActionDensity::mass_at(bool high) const {
    if (kind == Squashed) return 0;
    if (std <= 0) return (high ? mean >= hi : mean <= lo) ? 1 : 0;
    return high ? 1 - normal_cdf((hi - mean) / std) : normal_cdf((lo - mean) / std);
}

double ActionDensity::mode() const {
    return kind == Squashed ? bias + scale * std::tanh(mean) : std::clamp(double(mean), double(lo), double(hi));
}

double ActionDensity::sample(Rng& rng) const {
    const double x = mean + std * nn::normal(rng);
    return kind == Squashed ? bias + scale * std::tanh(x) : std::clamp(x, double(lo), double(hi));
}

DreamStrip dream_strip(const WorldModelView& wm, int context, float temperature, int max_len) {
    const nn::SeqBatch& recent = wm.recent_steps();
    const nn::WorldModel& model = wm.world();
    DreamStrip d;
    const int L = std::min(max_len, recent.L), off = recent.L - L;
    nn::SeqBatch& seq = d.seq;
    seq.L = L, seq.B = 1;
    for (int t = 0; t < L; ++t) {
        seq.obs.push_back(recent.obs[size_t(off + t)]);
        seq.prev_action.push_back(recent.prev_action[size_t(off + t)]);
        seq.reward.push_back(recent.reward[size_t(off + t)]);
        seq.cont.push_back(recent.cont[size_t(off + t)]);
        seq.first.push_back(t == 0 ? nn::Mat::Ones(1, 1) : recent.first[size_t(off + t)]);
    }
    Rng rng(1);
    d.result = model.open_loop(seq, context, rng, temperature);
    nn::WorldModel::State s = model.initial(1);
    for (int t = 0; t < L; ++t) {
        if (seq.first[size_t(t)](0, 0) > 0) model.observe_first(s, seq.obs[size_t(t)], rng, 0.0f);
        else model.step_posterior(s, seq.prev_action[size_t(t)], seq.obs[size_t(t)], rng, 0.0f);
        d.posterior.push_back(s);
    }
    return d;
}

}  // namespace dl
