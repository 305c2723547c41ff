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

PlaneMaps plane_maps(const AgentFn& agent, const StatePlane& sp, const std::vector<float>& state, int res) {
    PlaneMaps m;
    m.res = res;
    m.state = state;
    const float x0 = sp.lo[size_t(sp.x)], x1 = sp.hi[size_t(sp.x)], y0 = sp.lo[size_t(sp.y)], y1 = sp.hi[size_t(sp.y)];
    nn::Mat obs(res * res, sp.obs_dim);
    std::vector<float> st = state;
    for (int r = 0; r < res; ++r)
        for (int k = 0; k < res; ++k) {
            st[size_t(sp.x)] = x0 + (x1 - x0) * (k + 0.5f) / float(res);
            st[size_t(sp.y)] = y1 - (y1 - y0) * (r + 0.5f) / float(res);
            sp.observe(st.data(), &obs(r * res + k, 0));
        }
    if (const ContinuousPolicyView* pol = agent.continuous_policy()) {
        nn::Mat unused;
        agent.evaluate(obs, m.value, unused);
        const nn::Mat a = pol->deterministic(obs);
        const float scale = (pol->action_high(0) - pol->action_low(0)) / 2, bias = (pol->action_high(0) + pol->action_low(0)) / 2;
        m.actions = (a.col(0).array() * scale + bias).matrix();
        m.continuous = true;
    } else {
        agent.evaluate(obs, m.value, m.actions);
    }
    if (agent.target) m.lag = target_lag(agent, *agent.target, obs);
    return m;
}

nn::Mat target_lag(const AgentFn& online, const AgentFn& target, const nn::Mat& obs) {
    nn::Mat v, q, qt;
    online.evaluate(obs, v, q);
    target.evaluate(obs, v, qt);
    return (q - qt).cwiseAbs().rowwise().maxCoeff();
}

std::vector<double> target_lag_cells(const AgentFn& online, const AgentFn& target, int num_states) {
    if (online.obs_dim != num_states) return {};
    const nn::Mat lag = target_lag(online, target, nn::Mat::Identity(num_states, num_states));
    return std::vector<double>(lag.data(), lag.data() + lag.size());
}

ComputedViews compute_views(const ViewRequest& req, const AgentFn* agent, const Env* env, const ComputedViews& previous,
                            double now) {
    ComputedViews v;
    v.request = req;
    if (!agent || !env) return v;
    const ViewRequest& was = previous.request;
    if (req.dream)
        if (const WorldModelView* wm = agent->world_model(); wm && wm->recent_steps().L >= 4)
            v.dream = std::make_shared<DreamStrip>(dream_strip(*wm, req.dream_context, req.dream_temperature));
    if (req.transitions)
        if (const WorldModelView* wm = agent->world_model(); wm && env->tabular() &&
                                                             wm->world().config().obs_dim == env->tabular()->num_states()) {
            if (previous.transitions && was.transitions && now - previous.transitions_at < 0.5) {
                v.transitions = previous.transitions, v.transitions_at = previous.transitions_at;
            } else {
                Rng rng(5);
                v.transitions = std::make_shared<nn::Mat>(wm->world().transition_table(200, rng));
                v.transitions_at = now;
            }
        }
    if (req.pixels)
        if (const PixelWorld* game = env->pixel_world(); game && agent->obs_dim == env->obs_dim()) {
            auto px = std::make_shared<PixelReadout>();
            px->obs.assign(size_t(env->obs_dim()), 0.0f);
            game->observe(px->obs.data());
            px->has_saliency = agent->saliency(px->obs.data(), env->obs_dim(), px->saliency);
            agent->evaluate(Eigen::Map<const nn::Mat>(px->obs.data(), 1, env->obs_dim()), px->value, px->actions);
            v.pixels = std::move(px);
        }
    StatePlane sp;
    if (req.plane && env->state_plane(sp) && sp.obs_dim == agent->obs_dim) {
        std::vector<float> state = sp.state;
        for (const auto& [d, value] : req.plane_hold)
            if (d >= 0 && d < int(state.size())) state[size_t(d)] = value;
        state[size_t(sp.x)] = state[size_t(sp.y)] = 0;  // the maps' axes: only the fixed dimensions tell slices apart
        // Following the state moves the fixed dimensions every step: that is a new slice, not a throttled one.
        const bool same = previous.plane && was.plane && was.plane_res == req.plane_res && previous.plane->state == state;
        if (same && now - previous.plane_at < 0.25) {
            v.plane = previous.plane, v.plane_at = previous.plane_at;
        } else {
            v.plane = std::make_shared<PlaneMaps>(plane_maps(*agent, sp, state, req.plane_res));
            v.plane_at = now;
        }
    }
    return v;
}

}  // namespace dl
