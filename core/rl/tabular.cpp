#include "core/rl/tabular.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/json.h"
#include "envs/env.h"

namespace dl {

void EpsilonSchedule::visit(ParamVisitor& v) {
    v.choice("epsilon_schedule", schedule, {"constant", "linear", "exponential"},
             "how exploration ε changes over episodes", Apply::Now);
    v.real("epsilon", start, 0, 1, "exploration ε at the first episode (the constant value if constant)", Apply::Now);
    v.real("epsilon_floor", floor, 0, 1, "ε never decays below this", Apply::Now);
    v.integer("epsilon_decay_episodes", decay_episodes, 1, 100000000, "linear: episodes from ε to the floor",
              Apply::Now);
    v.real("epsilon_decay", decay, 0.5, 1, "exponential: ε multiplied by this every episode", Apply::Now, true);
}

double EpsilonSchedule::at(int64_t episode) const {
    if (schedule == "constant") return start;
    if (schedule == "linear") {
        const double f = std::min(1.0, double(episode) / double(decay_episodes));
        return std::max(floor, start + f * (floor - start));
    }
    return std::max(floor, start * std::pow(decay, double(episode)));
}

double max_of(const double* q, int n) { return *std::max_element(q, q + n); }

int argmax_random(const double* q, int n, Rng& rng) {
    int best = 0, ties = 1;
    for (int a = 1; a < n; ++a) {
        if (q[a] > q[best]) best = a, ties = 1;
        else if (q[a] == q[best] && rng.below(uint32_t(++ties)) == 0) best = a;  // reservoir sampling of ties
    }
    return best;
}

int argmax_first(const double* q, int n, double tol) {
    const double m = max_of(q, n);
    for (int a = 0; a < n; ++a)
        if (q[a] >= m - tol) return a;
    return 0;
}

int epsilon_greedy(const double* q, int n, double eps, Rng& rng) {
    if (rng.uniform() < eps) return int(rng.below(uint32_t(n)));
    return argmax_random(q, n, rng);
}

void epsilon_greedy_probs(const double* q, int n, double eps, double* out) {
    const double m = max_of(q, n);
    int ties = 0;
    for (int a = 0; a < n; ++a) ties += q[a] == m;
    for (int a = 0; a < n; ++a) out[a] = eps / n + (q[a] == m ? (1.0 - eps) / ties : 0.0);
}

void view_from_q(TabularView& view, const std::vector<double>& Q, int nS, int nA, double eps) {
    view.nS = nS;
    view.nA = nA;
    view.q = Q;
    view.v.resize(nS);
    view.pi.resize(size_t(nS) * nA);
    for (int s = 0; s < nS; ++s) {
        view.v[s] = max_of(&Q[size_t(s) * nA], nA);
        epsilon_greedy_probs(&Q[size_t(s) * nA], nA, eps, &view.pi[size_t(s) * nA]);
    }
}

double lookahead(const TabularModel& P, const std::vector<double>& V, double gamma, int s, int a) {
    double q = 0;
    for (const Transition& t : P[s][a]) q += t.prob * (t.reward + (t.terminated ? 0.0 : gamma * V[t.next]));
    return q;
}

std::vector<double> q_from_v(const TabularModel& P, const std::vector<double>& V, double gamma) {
    const int nS = int(P.size()), nA = nS ? int(P[0].size()) : 0;
    std::vector<double> Q(size_t(nS) * nA);
    for (int s = 0; s < nS; ++s)
        for (int a = 0; a < nA; ++a) Q[size_t(s) * nA + a] = lookahead(P, V, gamma, s, a);
    return Q;
}

std::vector<int> greedy_policy(const std::vector<double>& Q, int nS, int nA) {
    std::vector<int> pi(nS);
    for (int s = 0; s < nS; ++s) pi[s] = argmax_first(&Q[size_t(s) * nA], nA);
    return pi;
}

std::vector<double> solve_optimal_values(const TabularModel& P, double gamma, double tol, int* sweeps) {
    const int nS = int(P.size()), nA = nS ? int(P[0].size()) : 0;
    std::vector<double> V(nS, 0.0), Vn(nS);
    int k = 0;
    for (double delta = INFINITY; delta >= tol && k < 1000000; ++k) {
        delta = 0;
        for (int s = 0; s < nS; ++s) {
            double best = -INFINITY;
            for (int a = 0; a < nA; ++a) best = std::max(best, lookahead(P, V, gamma, s, a));
            Vn[s] = best;
            delta = std::max(delta, std::fabs(Vn[s] - V[s]));
        }
        V.swap(Vn);
    }
    if (sweeps) *sweeps = k;
    return V;
}

std::vector<double> success_probability(const TabularModel& P, const std::vector<int>& policy,
                                        const std::vector<char>& success_state) {
    const int nS = int(P.size());
    std::vector<double> x(nS, 0.0), xn(nS);
    // Jacobi iteration from 0 converges upward to the least fixed point: chains that never terminate keep 0.
    // A state whose episode has already ended (a self-loop that terminates) has probability 0 by definition.
    for (int it = 0; it < 1000000; ++it) {
        double delta = 0;
        for (int s = 0; s < nS; ++s) {
            double v = 0;
            for (const Transition& t : P[s][policy[s]]) {
                if (t.terminated && t.next == s) continue;
                v += t.prob * (t.terminated ? (success_state[t.next] ? 1.0 : 0.0) : x[t.next]);
            }
            xn[s] = v;
            delta = std::max(delta, std::fabs(xn[s] - x[s]));
        }
        x.swap(xn);
        if (delta < 1e-15) break;
    }
    return x;
}

void EpisodeLog::flush(RunContext& ctx, const Env& env, double eps) {
    ctx.log("return", ret);
    ctx.log("length", double(length));
    if (env.defines_success()) ctx.log("success", env.last_success() ? 1.0 : 0.0);
    ctx.log("epsilon", eps);
    ctx.log("td_error", td_count ? abs_td / double(td_count) : 0.0);
    *this = {};
}

TabularModelFile load_tabular_model(const std::filesystem::path& dir, const std::string& env_id, const Env& env) {
    const std::filesystem::path file = dir / "model.json";
    const std::string where = file.string();
    const nlohmann::json j = read_json_file(file);
    const JsonFields f(j, where);
    f.only({"format", "env", "nS", "nA", "V", "Q", "pi", "policy"});
    if (const std::string format = f.text("format"); format != "dreamlab-tabular-1")
        f.fail("format", "= \"" + format + "\" is not a format this build reads (dreamlab-tabular-1)");
    // The env it was learned on, and the sizes of this one, before any table is read.
    require_saved_env(f, env_signature(env_id, env), "table", "learned");
    const DiscreteEnv* d = env.tabular();
    if (!d) throw ParamError(where + ": a table of states needs a tabular env; " + env_id + " is not one");
    TabularModelFile m;
    m.nS = int(f.integer("nS", d->num_states(), d->num_states()));
    m.nA = int(f.integer("nA", d->num_actions(), d->num_actions()));
    auto vector = [&](const char* key, bool required, std::vector<double>& out) {
        if (!required && (!f.has(key) || f.at(key).empty())) return;
        out = f.numbers(key, size_t(m.nS), size_t(m.nS), -1e300, 1e300);
    };
    vector("V", false, m.v);
    const std::vector<int> policy = f.ints("policy", size_t(m.nS), size_t(m.nS), 0, m.nA - 1);
    m.policy = policy;
    // Q and π: nS rows of nA values each, or none (a learner without that table).
    auto table = [&](const char* name, std::vector<double>& out) {
        if (!f.has(name)) return;
        const auto& rows = f.at(name);
        if (!rows.is_array() || (!rows.empty() && int64_t(rows.size()) != m.nS))
            f.fail(name, "must be none or " + std::to_string(m.nS) + " rows (one per state)");
        out.reserve(rows.size() * size_t(m.nA));
        for (size_t s = 0; s < rows.size(); ++s) {
            for (double x : json_numbers(rows[s], f.name(name) + "[" + std::to_string(s) + "]", size_t(m.nA), size_t(m.nA), -1e300, 1e300))
                out.push_back(x);
        }
    };
    table("Q", m.q);
    table("pi", m.pi);
    return m;
}

}  // namespace dl
