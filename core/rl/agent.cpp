#include "core/rl/agent.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "base/json.h"
#include "base/params.h"
#include "envs/env.h"

namespace dl {

std::string space_text(const Space& s) {
    if (s.kind == Space::Discrete) return "Discrete(" + std::to_string(s.n) + ")";
    std::string shape = "(";
    for (size_t i = 0; i < s.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(s.shape[i]);
    shape += s.shape.size() == 1 ? ",)" : ")";
    // Bounds where they are the same finite pair for every entry (MinAtar's 0..1 cells, Pendulum's ±2 torque).
    bool uniform = !s.low.empty() && s.low.size() == s.high.size();
    for (size_t i = 0; uniform && i < s.low.size(); ++i)
        uniform = std::isfinite(s.low[i]) && std::isfinite(s.high[i]) && s.low[i] == s.low[0] && s.high[i] == s.high[0];
    if (!uniform) return "Box(" + shape + ")";
    return "Box(" + format_number(s.low[0]) + ", " + format_number(s.high[0]) + ", " + shape + ")";
}

EnvSignature env_signature(const std::string& env_id, const Env& env) {
    return {env_id, space_text(env.observation_space()), space_text(env.action_space())};
}

nlohmann::json to_json(const EnvSignature& s) { return {{"id", s.id}, {"observation", s.observation}, {"action", s.action}}; }

void require_saved_env(const JsonFields& f, const EnvSignature& env, const char* subject, const char* verb) {
    if (!f.has("env"))
        f.fail("env", std::string("is missing: this ") + subject + " does not say which env it was " + verb +
                          " on (saved by an older Dreamlab; train it again)");
    const JsonFields e = f.object("env");
    e.only({"id", "observation", "action"});
    const EnvSignature saved{e.text("id"), e.text("observation"), e.text("action")};
    if (saved.id == env.id && saved.observation == env.observation && saved.action == env.action) return;
    throw ParamError(f.where() + ": the " + subject + " was " + verb + " on " + saved.id +
                     " (observations " + saved.observation + ", actions " + saved.action + "); this run's env is " + env.id +
                     " (observations " + env.observation + ", actions " + env.action + ")" +
                     (saved.id == env.id ? ": the env's arguments change its spaces; use the args the " + std::string(subject) + " was " + verb + " with"
                                         : ": run it on " + saved.id));
}

int AgentFn::greedy(const float* obs, int obs_dim) const {
    Eigen::Matrix<float, -1, -1, Eigen::RowMajor> o(1, obs_dim), v, av;
    for (int i = 0; i < obs_dim; ++i) o(0, i) = obs[i];
    evaluate(o, v, av);
    int best = 0;
    for (int a = 1; a < av.cols(); ++a)
        if (av(0, a) > av(0, best)) best = a;
    return best;
}

AgentFn::EpisodePolicy AgentFn::greedy_player(std::shared_ptr<const AgentFn> self) const {
    return [self](const float* obs, int obs_dim, bool) { return self->greedy(obs, obs_dim); };
}

void tabular_from_agent(const Env& env, const AgentFn& agent, TabularView& view) {
    const Space sp = env.observation_space();
    if (sp.kind != Space::Discrete) return;
    const int nS = sp.n;
    Eigen::Matrix<float, -1, -1, Eigen::RowMajor> obs = Eigen::Matrix<float, -1, -1, Eigen::RowMajor>::Identity(nS, nS), v, av;
    agent.evaluate(obs, v, av);
    const int nA = int(av.cols());
    view.nS = nS, view.nA = nA;
    view.v.assign(size_t(nS), 0.0);
    view.q.clear();
    view.pi.assign(size_t(nS) * nA, 0.0);
    if (agent.q_values) view.q.assign(size_t(nS) * nA, 0.0);
    for (int s = 0; s < nS; ++s) {
        int best = 0;
        for (int a = 0; a < nA; ++a) {
            if (av(s, a) > av(s, best)) best = a;
            if (agent.q_values) view.q[size_t(s) * nA + a] = av(s, a);
            else view.pi[size_t(s) * nA + a] = av(s, a);
        }
        if (agent.q_values) view.pi[size_t(s) * nA + best] = 1.0, view.v[s] = av(s, best);
        else if (v.size()) view.v[s] = v(s, 0);
    }
    // A network is never trained on terminal states (their value is 0 by definition): show them as such.
    if (const auto* d = env.tabular())
        for (int s = 0; s < nS; ++s)
            if (d->is_terminal(s)) view.v[s] = 0.0;
}

}  // namespace dl
