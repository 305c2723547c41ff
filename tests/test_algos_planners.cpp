#include <doctest/doctest.h>

#include <cmath>

#include "core/algos/registry.h"
#include "core/rl/tabular.h"
#include "envs/frozen_lake.h"
#include "golden.h"
#include "core/session/session.h"

using namespace dl;

namespace {
std::vector<char> goal_states(const FrozenLake& env) {
    std::vector<char> g(env.num_states());
    for (int s = 0; s < env.num_states(); ++s) g[s] = env.cell(s) == 'G';
    return g;
}
}  // namespace

TEST_CASE("value iteration reproduces Gymnasium's V*, greedy policy, sweep count and success probability") {
    const auto golden = load_golden("frozenlake.json");
    const double tol = golden["value_iteration"]["tol"].get<double>();
    int checked = 0;
    for (const auto& c : golden["cases"]) {
        const std::string map = c["map_name"].get<std::string>();
        const bool slippery = c["is_slippery"].get<bool>();
        for (const auto& sol : c["solutions"]) {
            const double gamma = sol["gamma"].get<double>();
            CAPTURE(map);
            CAPTURE(slippery);
            CAPTURE(gamma);
            // Through the algorithm itself, as the GUI and CLI run it.
            RunConfig cfg;
            cfg.env_id = "FrozenLake-v1";
            cfg.env_args = {{"map", map}, {"is_slippery", slippery ? "true" : "false"}};
            cfg.algo_id = "value_iteration";
            cfg.algo_args = {{"gamma", format_number(gamma)}, {"theta", format_number(tol)}};
            auto ctx = run_headless(cfg);
            const Snapshot snap = ctx->snapshot_now();
            const auto V_star = sol["V_star"].get<std::vector<double>>();
            REQUIRE(snap.tab.v.size() == V_star.size());
            for (size_t s = 0; s < V_star.size(); ++s) CHECK(std::fabs(snap.tab.v[s] - V_star[s]) < 1e-9);
            CHECK(snap.updates == sol["iterations"].get<int64_t>());

            const auto policy = greedy_policy(snap.tab.q, snap.tab.nS, snap.tab.nA);
            CHECK(policy == sol["policy"].get<std::vector<int>>());

            FrozenLakeArgs a;
            a.map = map;
            a.is_slippery = slippery;
            FrozenLake env(a);
            const auto p = success_probability(env.model(), policy, goal_states(env));
            CHECK(std::fabs(p[0] - sol["success_prob_start"].get<double>()) < 1e-9);
            const auto per_state = sol["success_prob_per_state"].get<std::vector<double>>();
            for (size_t s = 0; s < per_state.size(); ++s) CHECK(std::fabs(p[s] - per_state[s]) < 1e-9);

            // The shared ground-truth solver (used by the GUI's V* overlay) agrees too.
            const auto V2 = solve_optimal_values(env.model(), gamma, tol);
            for (size_t s = 0; s < V_star.size(); ++s) CHECK(std::fabs(V2[s] - V_star[s]) < 1e-9);
            ++checked;
        }
    }
    CHECK(checked == 12);  // 4 cases x 3 discounts
}

TEST_CASE("Q* of slippery 4x4 at gamma 0.99 matches the golden table") {
    const auto golden = load_golden("frozenlake.json");
    FrozenLake env{FrozenLakeArgs{}};
    const auto V = solve_optimal_values(env.model(), 0.99, 1e-12);
    const auto Q = q_from_v(env.model(), V, 0.99);
    const auto& gq = golden["Q_star_4x4_slippery_gamma0.99"];
    for (int s = 0; s < 16; ++s)
        for (int a = 0; a < 4; ++a) CHECK(std::fabs(Q[s * 4 + a] - gq[s][a].get<double>()) < 1e-9);
}

TEST_CASE("policy iteration finds an optimal policy: same values and the same tie-ruled policy as golden") {
    const auto golden = load_golden("frozenlake.json");
    for (const auto& c : golden["cases"]) {
        for (const auto& sol : c["solutions"]) {
            const double gamma = sol["gamma"].get<double>();
            const std::string map = c["map_name"].get<std::string>();
            const bool slippery = c["is_slippery"].get<bool>();
            CAPTURE(map);
            CAPTURE(slippery);
            CAPTURE(gamma);
            RunConfig cfg;
            cfg.env_args = {{"map", map}, {"is_slippery", slippery ? "true" : "false"}};
            cfg.algo_id = "policy_iteration";
            cfg.algo_args = {{"gamma", format_number(gamma)}, {"theta", "1e-13"}};
            auto ctx = run_headless(cfg);
            const Snapshot snap = ctx->snapshot_now();
            // PI's own policy (π as one-hot rows) lies in the golden optimal action sets.
            const auto sets = sol["optimal_action_sets"];
            for (int s = 0; s < snap.tab.nS; ++s) {
                int a = 0;
                while (snap.tab.pi[size_t(s) * 4 + a] < 0.5) ++a;
                const auto allowed = sets[s].get<std::vector<int>>();
                CHECK(std::find(allowed.begin(), allowed.end(), a) != allowed.end());
            }
            const auto V_star = sol["V_star"].get<std::vector<double>>();
            for (size_t s = 0; s < V_star.size(); ++s) CHECK(std::fabs(snap.tab.v[s] - V_star[s]) < 1e-8);
            CHECK(greedy_policy(snap.tab.q, snap.tab.nS, 4) == sol["policy"].get<std::vector<int>>());
        }
    }
}

TEST_CASE("value iteration publishes every sweep as a step: delta falls to theta") {
    RunConfig cfg;
    cfg.algo_id = "value_iteration";
    cfg.algo_args = {{"gamma", "0.9"}, {"theta", "1e-6"}};
    auto ctx = run_headless(cfg);
    const auto& m = ctx->metrics();
    const int d = m.find("delta");
    REQUIRE(d >= 0);
    REQUIRE(m.size() > 5);
    CHECK(m.at(0, d) > 0.1);
    CHECK(m.at(m.size() - 1, d) < 1e-6);
    CHECK(m.at(m.size() - 2, d) >= 1e-6);
}
