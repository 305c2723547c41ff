// Lockstep A/B (core/session/lockstep.h): two runs advanced together are never seen at different points of training.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "core/session/lockstep.h"
#include "core/session/session.h"

using namespace dl;

TEST_CASE("lockstep A/B: two runs advanced together stand at equal env-step counts at every snapshot the owner sees") {
    RunConfig a;
    a.env_id = "FrozenLake-v1", a.algo_id = "q_learning", a.algo_args = {{"episodes", "400"}}, a.seed = 3;
    RunConfig b = a;
    b.algo_id = "sarsa";  // SARSA vs Q-learning, same seed
    Session sa(a, true, 30), sb(b, true, 30);
    LockstepPair pair(sa, sb);
    Snapshot x, y;
    int checked = 0;
    for (int64_t units = 37; units < 20000; units += 37 + units / 10) {
        pair.advance_to(units);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!pair.arrived(x, y)) {
            REQUIRE(std::chrono::steady_clock::now() < deadline);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        if (x.finished || y.finished) break;
        CHECK(x.env_steps == y.env_steps);  // neither ran past the other
        CHECK(x.env_steps >= units);
        CHECK(x.env_steps == units);  // one env step per tick: exactly there
        ++checked;
    }
    CHECK(checked > 20);
    // The two are different learners on the same stream: by now their tables differ.
    CHECK(x.tab.q != y.tab.q);
    // A planner and a learner count different things: refused by name.
    RunConfig vi = a;
    vi.algo_id = "value_iteration", vi.algo_args.clear();
    Session sv(vi, true, 0);
    CHECK_THROWS_WITH_AS(LockstepPair(sa, sv), doctest::Contains("count the same steps"), ParamError);
}
