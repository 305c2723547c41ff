#include "core/rl/tabular.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "base/files.h"

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

TabularModelFile load_tabular_model(const std::filesystem::path& dir) {
    const std::filesystem::path file = dir / "model.json";
    const std::string where = file.string();
    try {
        const auto j = nlohmann::json::parse(read_file(file));
        TabularModelFile m;
        m.nS = j.at("nS").get<int>();
        m.nA = j.at("nA").get<int>();
        if (m.nS < 1 || m.nS > 10000000 || m.nA < 1 || m.nA > 1000)
            throw ParamError(where + ": nS=" + std::to_string(m.nS) + ", nA=" + std::to_string(m.nA) +
                             " is not allowed: expected 1 ≤ nS ≤ 10^7 and 1 ≤ nA ≤ 1000");
        m.v = j.at("V").get<std::vector<double>>();
        if (!m.v.empty() && int64_t(m.v.size()) != m.nS)
            throw ParamError(where + ": V has " + std::to_string(m.v.size()) + " entries, expected none or nS=" + std::to_string(m.nS));
        m.policy = j.at("policy").get<std::vector<int>>();
        if (int64_t(m.policy.size()) != m.nS)
            throw ParamError(where + ": policy has " + std::to_string(m.policy.size()) + " entries, expected nS=" + std::to_string(m.nS));
        for (int a : m.policy)
            if (a < 0 || a >= m.nA) throw ParamError(where + ": policy action " + std::to_string(a) + " outside [0, " + std::to_string(m.nA - 1) + "]");
        // Q and π: nS rows of nA values each, or none (a learner without that table).
        auto table = [&](const char* name, std::vector<double>& out) {
            if (!j.contains(name)) return;
            const auto& rows = j.at(name);
            if (!rows.is_array() || (!rows.empty() && int64_t(rows.size()) != m.nS))
                throw ParamError(where + ": " + name + " must be none or " + std::to_string(m.nS) + " rows (one per state)");
            out.reserve(rows.size() * size_t(m.nA));
            for (const auto& row : rows) {
                if (!row.is_array() || int64_t(row.size()) != m.nA)
                    throw ParamError(where + ": every " + name + " row must have nA=" + std::to_string(m.nA) + " values");
                for (const auto& x : row) out.push_back(x.get<double>());
            }
        };
        table("Q", m.q);
        table("pi", m.pi);
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw ParamError(where + " is malformed: " + e.what());
    }
}

}  // namespace dl
