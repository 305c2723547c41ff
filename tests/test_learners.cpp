#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>
#include <thread>

#include "core/algos/registry.h"
#include "core/evaluate.h"
#include "core/session.h"
#include "core/tabular.h"
#include "envs/registry.h"

using namespace dl;

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

TEST_CASE("Q-learning learns slippery 4x4: greedy success >= 0.70 over 1000 episodes") {
    RunConfig cfg;
    cfg.env_id = "FrozenLake-v1";
    cfg.algo_id = "q_learning";
    cfg.algo_args = {{"episodes", "20000"}};
    cfg.seed = 3;
    auto ctx = run_headless(cfg);
    const double success = greedy_success(*ctx, 1000, 11);
    MESSAGE("Q-learning slippery 4x4 greedy success: " << success);
    CHECK(success >= 0.70);
    // A uniform random policy is far worse (the baseline the lecture starts from).
    auto env = make_env("FrozenLake-v1", *make_env_args("FrozenLake-v1", {}));
    const double random_success =
        evaluate_policy(*env, [](const Obs&, Rng& r) { return int(r.below(4)); }, 1000, 11).success_rate;
    CHECK(random_success < 0.05);
}

TEST_CASE("every learner solves the non-slippery 4x4 (greedy success 1.0)") {
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
        {"dream_ac", {{"total_timesteps", "12000"}, {"prefill", "500"}}},  // trained only in its dream of the lake
        {"trpo", {{"total_timesteps", "20000"}}},
    };
    // Dreamer backpropagates returns through the reward model: on the lake's single sparse goal reward that
    // gradient is flat almost everywhere and it does not learn within a test's budget (15 000 steps: success 0),
    // the reason DreamerV2 trains discrete actors with REINFORCE gradients (as dream_ac does). Listed, not hidden.
    const std::set<std::string> not_yet = {"dreamer"};
    for (const auto& info : algo_registry()) {
        if (info.planner || not_yet.count(info.id) || !info.discrete_actions) continue;
        CAPTURE(info.id);
        REQUIRE(budgets.count(info.id));  // a new learner must be added to this test
        RunConfig cfg;
        cfg.env_args = {{"is_slippery", "false"}};
        cfg.algo_id = info.id;
        cfg.algo_args = budgets.at(info.id);
        cfg.seed = 7;
        auto ctx = run_headless(cfg);
        CHECK(greedy_success(*ctx, 100, 5) == 1.0);
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

TEST_CASE("RunContext controls: pause, single env step, single episode, live hyperparameter change, stop") {
    RunConfig cfg;
    cfg.algo_id = "q_learning";
    cfg.algo_args = {{"episodes", "100000000"}};
    auto args = make_algo_args(cfg.algo_id, cfg.algo_args);
    RunContext ctx(cfg);
    RunControls controls;
    controls.paused = true;
    ctx.bind_args(args.get());
    ctx.attach(&controls, Tick::EnvStep);
    std::thread worker([&] {
        find_algo(cfg.algo_id).run(*args, ctx);
        ctx.finish();
    });
    auto wait_snapshot = [&](auto pred) {
        Snapshot s;
        uint64_t seq = 0;
        for (int i = 0; i < 2000; ++i) {
            if (ctx.poll_snapshot(seq, s) && pred(s)) return s;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        FAIL("timed out waiting for a snapshot");
        return s;
    };
    // Paused at the first tick (after one env step).
    Snapshot s0 = wait_snapshot([](const Snapshot& s) { return s.paused; });
    const int64_t steps0 = s0.env_steps;
    controls.step_to = int(Tick::EnvStep);
    controls.wake();
    Snapshot s1 = wait_snapshot([&](const Snapshot& s) { return s.paused && s.env_steps > steps0; });
    CHECK(s1.env_steps == steps0 + 1);
    controls.step_to = int(Tick::Episode);
    controls.wake();
    Snapshot s2 = wait_snapshot([&](const Snapshot& s) { return s.paused && s.episodes > s1.episodes; });
    CHECK(s2.episodes == s1.episodes + 1);
    {
        std::lock_guard lk(controls.m);
        controls.pending.push_back({"alpha", "0.5"});
        controls.has_pending = true;
    }
    controls.wake();
    controls.paused = false;
    controls.wake();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    controls.stop = true;
    controls.wake();
    worker.join();
    CHECK(get_param(*args, "alpha") == "0.5");
    MetricsTable m;
    std::vector<Marker> markers;
    REQUIRE(ctx.poll_metrics(m, markers));
    REQUIRE(markers.size() == 1);
    CHECK(markers[0].text == "alpha=0.5");
    CHECK(m.size() > 1);
}

TEST_CASE("speed limit: 200 env steps per second really paces the run") {
    RunConfig cfg;
    cfg.algo_id = "q_learning";
    auto args = make_algo_args(cfg.algo_id, {});
    RunContext ctx(cfg);
    RunControls controls;
    controls.speed = 200;
    ctx.attach(&controls, Tick::EnvStep);
    std::thread worker([&] { find_algo(cfg.algo_id).run(*args, ctx); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    controls.stop = true;
    controls.wake();
    worker.join();
    // Outcome, not timing precision: far fewer steps than unthrottled (millions/s), at most the paced count.
    CHECK(ctx.env_steps() <= 200 * 0.3 * 1.5 + 5);
    CHECK(ctx.env_steps() >= 10);
}

TEST_CASE("speed limit counts env steps, not vector steps: PPO's 8 envs at 400 steps/s make ~400 env steps/s") {
    RunConfig cfg;
    cfg.env_id = "CartPole-v1";
    cfg.algo_id = "ppo";
    auto args = make_algo_args(cfg.algo_id, {});
    RunContext ctx(cfg);
    RunControls controls;
    controls.speed = 400;
    ctx.attach(&controls, Tick::EnvStep);
    std::thread worker([&] { find_algo(cfg.algo_id).run(*args, ctx); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    controls.stop = true;
    controls.wake();
    worker.join();
    CHECK(ctx.env_steps() <= 400 * 0.5 * 1.5 + 8);  // 8x this if each vector step counted once
    CHECK(ctx.env_steps() >= 40);
}

TEST_CASE("Session started paused shows the reset env, then Step takes exactly one env step") {
    RunConfig cfg;
    Session session(cfg, /*paused=*/true, /*speed=*/0);
    Snapshot s;
    uint64_t seq = 0;
    for (int i = 0; i < 500 && !(session.context().poll_snapshot(seq, s) && s.env); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    REQUIRE(s.env);
    CHECK(s.env_steps == 0);
    session.controls().step_to = int(Tick::EnvStep);
    session.controls().wake();
    for (int i = 0; i < 500; ++i) {
        session.controls().want_snapshot = true;
        if (session.context().poll_snapshot(seq, s) && s.paused && s.env_steps > 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    CHECK(s.env_steps == 1);
    CHECK(s.tab.nS == 16);
}

TEST_CASE("SAC, TD3 and DDPG swing up and hold the Pendulum (greedy mean >= -300 over 10 episodes)") {
    RunConfig cfg;
    cfg.env_id = "Pendulum-v1";
    cfg.algo_id = "sac";
    cfg.algo_args = {{"total_timesteps", "5000"}, {"hidden", "64"}};
    cfg.seed = 1;
    auto ctx = run_headless(cfg);
    const Snapshot snap = ctx->snapshot_now();
    REQUIRE(snap.agent);
    auto env = make_env("Pendulum-v1", *make_env_args("Pendulum-v1", {}));
    const EvalResult greedy = evaluate_agent(*env, snap.agent, 10, 123);
    const EvalResult random = evaluate_random(*env, 10, 123);
    MESSAGE("SAC on Pendulum after 5000 steps: greedy " << greedy.mean_return << ", random " << random.mean_return);
    CHECK(greedy.mean_return >= -300);
    CHECK(random.mean_return < -900);
    // α adapted from its start (0.2) and was logged.
    const int alpha = ctx->metrics().find("charts/alpha");
    REQUIRE(alpha >= 0);
    CHECK(ctx->metrics().at(ctx->metrics().size() - 1, alpha) != doctest::Approx(0.2));

    // Each algorithm meets only the action spaces it can act in, with a message that says so.
    RunConfig bad = cfg;
    bad.algo_id = "dqn";
    CHECK_THROWS_WITH(bad.validate(), doctest::Contains("dqn needs discrete actions; Pendulum-v1 takes continuous ones"));
    for (const char* id : {"td3", "ddpg"}) {  // the deterministic actors, with 8000 steps
        CAPTURE(std::string(id));
        RunConfig c = cfg;
        c.algo_id = id;
        c.algo_args = {{"total_timesteps", "8000"}, {"hidden", "64"}};
        auto run = run_headless(c);
        const EvalResult e = evaluate_agent(*env, run->snapshot_now().agent, 10, 123);
        MESSAGE(std::string(id) << " on Pendulum after 8000 steps: greedy " << e.mean_return);
        CHECK(e.mean_return >= -300);
    }
    bad.env_id = "CartPole-v1", bad.algo_id = "sac";
    bad.algo_args.clear();
    CHECK_THROWS_WITH(bad.validate(), doctest::Contains("sac needs continuous (Box) actions; CartPole-v1 has 2 discrete ones"));
}

TEST_CASE("TRPO: every accepted step stays inside the trust region (KL <= delta); it learns CartPole and Pendulum") {
    struct Case {
        const char* env;
        std::map<std::string, std::string> args;
        double threshold;
    };
    // Discrete (categorical policy) and continuous (diagonal Gaussian) actions, 100k steps each (~2 s).
    const Case cases[] = {{"CartPole-v1", {{"total_timesteps", "100000"}}, 475},
                          {"Pendulum-v1", {{"total_timesteps", "100000"}, {"gamma", "0.9"}}, -600}};
    for (const Case& c : cases) {
        CAPTURE(std::string(c.env));
        RunConfig cfg;
        cfg.env_id = c.env, cfg.algo_id = "trpo", cfg.algo_args = c.args, cfg.seed = 1;
        auto ctx = run_headless(cfg);
        const MetricsTable& m = ctx->metrics();
        const int kl = m.find("charts/kl"), steps = m.find("charts/line_search_steps"), bound = m.find("charts/kl_bound");
        REQUIRE((kl >= 0 && steps >= 0 && bound >= 0));
        int iterations = 0, accepted = 0;
        double worst = 0;
        for (size_t r = 0; r < m.size(); ++r) {
            if (std::isnan(m.at(r, kl))) continue;
            ++iterations, accepted += m.at(r, steps) > 0;
            worst = std::max(worst, m.at(r, kl));
            CHECK(m.at(r, kl) <= m.at(r, bound) + 1e-9);
        }
        auto env = make_env(c.env, *make_env_args(c.env, {}));
        const EvalResult e = evaluate_agent(*env, ctx->snapshot_now().agent, 20, 77);
        MESSAGE("TRPO on " << std::string(c.env) << ": " << accepted << "/" << iterations << " steps accepted, largest KL " << worst
                           << " (bound 0.01), greedy return " << e.mean_return);
        CHECK(accepted > iterations / 2);
        CHECK(worst > 0.001);  // the steps use the trust region rather than creeping
        CHECK(e.mean_return >= c.threshold);
    }
}

TEST_CASE("TD3 with Ornstein-Uhlenbeck acting noise reaches MountainCarContinuous' flag (greedy success over 10 episodes)") {
    // Independent Gaussian pushes average out: the car learns to stand still (the force costs reward). An OU process
    // pushes the same way for hundreds of steps, the car rocks up to the flag and the +100 gets into the buffer.
    RunConfig cfg;
    cfg.env_id = "MountainCarContinuous-v0", cfg.algo_id = "td3", cfg.seed = 2;
    cfg.algo_args = {{"total_timesteps", "80000"}, {"hidden", "64"}, {"exploration_noise", "0.5"}, {"noise_type", "ou"}};
    auto ctx = run_headless(cfg);
    auto env = make_env(cfg.env_id, *make_env_args(cfg.env_id, {}));
    const EvalResult e = evaluate_agent(*env, ctx->snapshot_now().agent, 10, 3);
    MESSAGE("TD3 + OU noise on MountainCarContinuous after 80k steps: greedy return " << e.mean_return << ", success "
                                                                                       << e.success_rate);
    CHECK(e.success_rate >= 0.9);
    CHECK(e.mean_return > 80);
    RunConfig bad = cfg;
    bad.algo_args["noise_type"] = "pink";
    CHECK_THROWS_WITH(bad.validate(), doctest::Contains("noise_type=pink is not allowed"));
}
