// core/rl/run: RunContext under RunControls (pause, single steps, live changes, stop, the speed limit) and a Session
// started paused.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
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

TEST_CASE("metrics.csv: a cell a row did not log is empty, a logged NaN is written as nan (never dropped), infinities as inf") {
    MetricsTable t;
    const int a = t.column("a"), b = t.column("b");
    t.set(a, 1.5);
    t.commit();
    t.set(b, std::nan(""));
    t.commit();
    t.set(a, -INFINITY), t.set(b, 0.0 / std::atof("0"));  // a NaN of another payload (0/0) is a NaN all the same
    t.commit();
    CHECK(t.to_csv() == "a,b\n1.5,\n,nan\n-inf,nan\n");
    CHECK(MetricsTable::missing(t.at(0, b)));
    CHECK_FALSE(MetricsTable::missing(t.at(1, b)));
    CHECK(std::isnan(t.at(1, b)));  // plots skip both kinds alike
}
