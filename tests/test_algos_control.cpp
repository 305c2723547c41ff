// Continuous control learners (SAC, TD3, DDPG, TRPO) judged on Pendulum, CartPole and MountainCarContinuous,
// each over three seeds (tests/seeds.h). A CTest part of its own: these are the suite's longest runs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/algos/registry.h"
#include "core/rl/evaluate.h"
#include "envs/registry.h"
#include "seeds.h"
#include "core/session/session.h"
#include "core/session/run_config.h"

using namespace dl;
using dl::test::list;
using dl::test::median;
using dl::test::over_seeds;

#define TD3_OU_STEPS "80000"

TEST_CASE("SAC, TD3 and DDPG swing up and hold the Pendulum (median greedy mean >= -300 over seeds 1-3)") {
    auto env = make_env("Pendulum-v1", *make_env_args("Pendulum-v1", {}));
    const EvalResult random = evaluate_random(*env, 10, 123);
    CHECK(random.mean_return < -900);
    // SAC with 5000 steps; the deterministic actors with 8000.
    const std::vector<std::pair<std::string, std::string>> runs = {{"sac", "5000"}, {"td3", "8000"}, {"ddpg", "8000"}};
    for (const auto& [id, steps] : runs) {
        CAPTURE(id);
        const auto returns = over_seeds({1, 2, 3}, [&, id = id, steps = steps](uint64_t seed) {
            RunConfig cfg;
            cfg.env_id = "Pendulum-v1", cfg.algo_id = id, cfg.seed = seed;
            cfg.algo_args = {{"total_timesteps", steps}, {"hidden", "64"}};
            auto ctx = run_headless(cfg);
            auto e = make_env("Pendulum-v1", *make_env_args("Pendulum-v1", {}));
            if (id == "sac") {  // α adapted from its start (0.2) and was logged
                const int alpha = ctx->metrics().find("charts/alpha");
                if (alpha < 0 || ctx->metrics().at(ctx->metrics().size() - 1, alpha) == 0.2) return -1e9;
            }
            return evaluate_agent(*e, ctx->snapshot_now().agent, 10, 123).mean_return;
        });
        MESSAGE(id << " on Pendulum after " << steps << " steps, greedy over seeds 1-3: " << list(returns)
                   << " (random " << random.mean_return << ")");
        CHECK(median(returns) >= -300);
        CHECK(returns[0] > -1e9);  // (SAC: α was logged and moved)
    }

    // Each algorithm meets only the action spaces it can act in, with a message that says so.
    RunConfig bad;
    bad.env_id = "Pendulum-v1", bad.algo_id = "dqn";
    CHECK_THROWS_WITH(validate_config(bad), doctest::Contains("dqn needs discrete actions; Pendulum-v1 takes continuous ones"));
    bad.env_id = "CartPole-v1", bad.algo_id = "sac";
    CHECK_THROWS_WITH(validate_config(bad), doctest::Contains("sac needs continuous (Box) actions; CartPole-v1 has 2 discrete ones"));
}

TEST_CASE("TRPO: every accepted step stays inside the trust region (KL <= delta); it learns CartPole and Pendulum") {
    struct Case {
        const char* env;
        std::map<std::string, std::string> args;
        double threshold;
    };
    // Discrete (categorical policy) and continuous (diagonal Gaussian) actions, 100k steps each (~2 s), seeds 1-3.
    const Case cases[] = {{"CartPole-v1", {{"total_timesteps", "100000"}}, 475},
                          {"Pendulum-v1", {{"total_timesteps", "100000"}, {"gamma", "0.9"}}, -600}};
    for (const Case& c : cases) {
        CAPTURE(std::string(c.env));
        struct Outcome {
            int iterations = 0, accepted = 0, over_bound = 0;
            double worst = 0, greedy = 0;
        };
        std::vector<Outcome> outcomes(3);
        const auto returns = over_seeds({1, 2, 3}, [&](uint64_t seed) {
            RunConfig cfg;
            cfg.env_id = c.env, cfg.algo_id = "trpo", cfg.algo_args = c.args, cfg.seed = seed;
            auto ctx = run_headless(cfg);
            const MetricsTable& m = ctx->metrics();
            const int kl = m.find("charts/kl"), steps = m.find("charts/line_search_steps"), bound = m.find("charts/kl_bound");
            Outcome& o = outcomes[seed - 1];
            if (kl < 0 || steps < 0 || bound < 0) return o.greedy = -1e9;
            for (size_t r = 0; r < m.size(); ++r) {
                if (std::isnan(m.at(r, kl))) continue;
                ++o.iterations, o.accepted += m.at(r, steps) > 0;
                o.worst = std::max(o.worst, m.at(r, kl));
                o.over_bound += m.at(r, kl) > m.at(r, bound) + 1e-9;
            }
            auto env = make_env(c.env, *make_env_args(c.env, {}));
            return o.greedy = evaluate_agent(*env, ctx->snapshot_now().agent, 20, 77).mean_return;
        });
        for (const Outcome& o : outcomes) {
            MESSAGE("TRPO on " << std::string(c.env) << ": " << o.accepted << "/" << o.iterations
                               << " steps accepted, largest KL " << o.worst << " (bound 0.01), greedy return " << o.greedy);
            CHECK(o.iterations > 0);
            CHECK(o.over_bound == 0);               // every accepted step inside the trust region
            CHECK(o.accepted > o.iterations / 2);
            CHECK(o.worst > 0.001);  // the steps use the trust region rather than creeping
        }
        CHECK(median(returns) >= c.threshold);
    }
}

TEST_CASE("TD3 with Ornstein-Uhlenbeck acting noise reaches MountainCarContinuous' flag (median over seeds 1-3)") {
    // Independent Gaussian pushes average out: the car learns to stand still (the force costs reward). An OU process
    // pushes the same way for hundreds of steps, the car rocks up to the flag and the +100 gets into the buffer.
    // 10 000 warm-up steps of OU noise and RL Zoo's step size 1e-3: with 1000 steps and 3e-4 two of seeds 1-3 stood
    // still after 80k steps (the test once passed on seed 2 alone, on AVX-512 arithmetic only); with these, seeds
    // 1-4 all reach the flag.
    struct Outcome {
        double success = 0, mean_return = 0;
    };
    std::vector<Outcome> outcomes(3);
    RunConfig cfg;
    cfg.env_id = "MountainCarContinuous-v0", cfg.algo_id = "td3";
    cfg.algo_args = {{"total_timesteps", TD3_OU_STEPS}, {"hidden", "64"}, {"exploration_noise", "0.5"}, {"noise_type", "ou"},
                     {"learning_starts", "10000"}, {"learning_rate", "1e-3"}};
    const auto success = over_seeds({1, 2, 3}, [&](uint64_t seed) {
        RunConfig c = cfg;
        c.seed = seed;
        auto ctx = run_headless(c);
        auto env = make_env(c.env_id, *make_env_args(c.env_id, {}));
        const EvalResult e = evaluate_agent(*env, ctx->snapshot_now().agent, 10, 3);
        outcomes[seed - 1] = {e.success_rate, e.mean_return};
        return e.success_rate;
    });
    std::vector<double> returns;
    for (const Outcome& o : outcomes) returns.push_back(o.mean_return);
    std::sort(returns.begin(), returns.end());
    MESSAGE("TD3 + OU noise on MountainCarContinuous after " TD3_OU_STEPS " steps, seeds 1-3: success " << list(success)
                                                                                    << ", greedy return " << list(returns));
    CHECK(median(success) >= 0.9);
    CHECK(median(returns) > 80);
    RunConfig bad = cfg;
    bad.algo_args["noise_type"] = "pink";
    CHECK_THROWS_WITH(validate_config(bad), doctest::Contains("noise_type=pink is not allowed"));
}
