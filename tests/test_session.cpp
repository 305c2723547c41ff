// core/session/session: a run on its worker thread, steered through RunControls; live changes through set_live.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "core/session/session.h"

using namespace dl;

namespace {
RunConfig lake_q_learning() {
    RunConfig cfg;
    cfg.env_id = "FrozenLake-v1";
    cfg.env_args = {{"is_slippery", "false"}};
    cfg.algo_id = "q_learning";
    cfg.algo_args = {{"episodes", "300"}};
    cfg.seed = 3;
    return cfg;
}
void wait_finished(Session& s) {
    for (int i = 0; i < 2000 && !s.finished(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(s.finished());
}
}  // namespace

TEST_CASE("Session::set_live: a change reaches the algorithm at its next tick, bad ones are refused by name") {
    const RunConfig cfg = lake_q_learning();
    Session s(cfg, /*paused=*/true, /*speed=*/0);
    s.set_live("alpha", "0.5");
    s.set_live("alpha", "7");         // outside [0, 1]
    s.set_live("no_such_arg", "1");   // not a parameter of q_learning
    s.controls().paused = false;
    s.controls().wake();
    wait_finished(s);
    const auto& markers = s.context().markers();
    REQUIRE(markers.size() == 3);
    CHECK(markers[0].text == "alpha=0.5");
    CHECK(markers[0].row == 0);  // applied at the first tick, before any episode row
    CHECK(markers[1].text.find("rejected") == 0);
    CHECK(markers[1].text.find("alpha") != std::string::npos);
    CHECK(markers[2].text.find("no_such_arg") != std::string::npos);

    // The first tick follows the first update, which leaves Q at 0 whatever α is (no reward on the first step of
    // the lake), so the run must equal one configured with α = 0.5 from the start, and differ from the default.
    RunConfig with = cfg;
    with.algo_args["alpha"] = "0.5";
    CHECK(s.context().metrics().to_csv() == run_headless(with)->metrics().to_csv());
    CHECK(s.context().metrics().to_csv() != run_headless(cfg)->metrics().to_csv());
}

TEST_CASE("Session: stop ends a paused run without it taking a step; a bad config is refused before a thread starts") {
    Session s(lake_q_learning(), /*paused=*/true, 0);
    s.stop();
    CHECK(s.finished());
    CHECK(s.context().env_steps() == 0);
    RunConfig bad = lake_q_learning();
    bad.algo_args["alpha"] = "-1";
    CHECK_THROWS_WITH(Session(bad, false, 0), doctest::Contains("alpha"));
}
