// core/session/session: a run on its worker thread, steered through RunControls; live changes through set_live.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <thread>

#include "core/nn/layers.h"
#include "core/rl/views.h"
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

namespace {
// The newest snapshot whose derived views answer `ok` (the worker answers a request with its next snapshot).
Snapshot wait_views(Session& s, const std::function<bool(const Snapshot&)>& ok) {
    uint64_t seq = 0;
    Snapshot snap;
    for (int i = 0; i < 2000; ++i) {
        if (s.context().poll_snapshot(seq, snap) && ok(snap)) return snap;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL("the worker never answered the view request");
    return snap;
}
}  // namespace

TEST_CASE("Session::set_views: state maps are computed on the worker, at the slice asked for, also after the run ended") {
    RunConfig cfg;
    cfg.env_id = "CartPole-v1", cfg.algo_id = "ppo", cfg.seed = 2;
    cfg.algo_args = {{"total_timesteps", "1024"}, {"num_envs", "2"}, {"num_steps", "128"}};
    Session s(cfg, /*paused=*/false, 0);
    wait_finished(s);  // a finished run still answers what the views ask
    ViewRequest req;
    req.plane = true, req.plane_res = 6;
    req.plane_hold = {{0, 0.5f}};  // x held at 0.5, v follows the state; θ and ω are the maps' axes
    s.set_views(req);
    const Snapshot snap = wait_views(s, [&](const Snapshot& x) { return x.views.request == req && x.views.plane; });
    const PlaneMaps& m = *snap.views.plane;
    StatePlane sp;
    REQUIRE(snap.env->state_plane(sp));
    REQUIRE((sp.x == 2 && sp.y == 3));
    CHECK(m.res == 6);
    CHECK(m.state[0] == 0.5f);
    CHECK(m.state[1] == sp.state[1]);
    CHECK(!m.continuous);
    REQUIRE(m.value.rows() == 36);
    REQUIRE(m.actions.cols() == 2);
    // Row 0 is the top of the map (the largest ω), column 0 the smallest θ: check two corners against the agent.
    for (const auto& [row, col] : {std::pair{0, 0}, std::pair{5, 5}, std::pair{2, 4}}) {
        std::vector<float> st = m.state;
        st[2] = sp.lo[2] + (sp.hi[2] - sp.lo[2]) * (float(col) + 0.5f) / 6;
        st[3] = sp.hi[3] - (sp.hi[3] - sp.lo[3]) * (float(row) + 0.5f) / 6;
        nn::Mat obs(1, 4), v, p;
        sp.observe(st.data(), obs.data());
        snap.agent->evaluate(obs, v, p);
        CHECK(m.value(row * 6 + col, 0) == doctest::Approx(v(0, 0)));
        CHECK(m.actions(row * 6 + col, 1) == doctest::Approx(p(0, 1)));
    }
    // Nothing asked, nothing computed.
    s.set_views({});
    const Snapshot none = wait_views(s, [](const Snapshot& x) { return x.views.request == ViewRequest{}; });
    CHECK(!none.views.plane);
    CHECK(!none.views.dream);
}

TEST_CASE("Session::set_views: the dream strip is dreamed on the worker, with the context and temperature asked for") {
    RunConfig cfg;
    cfg.env_id = "CartPole-v1", cfg.algo_id = "dream_ac", cfg.seed = 4;
    cfg.algo_args = {{"total_timesteps", "300"}, {"prefill", "250"}, {"hidden", "32"}, {"deter", "32"}, {"stoch", "4"}};
    Session s(cfg, /*paused=*/false, 0);
    wait_finished(s);
    ViewRequest req;
    req.dream = true, req.dream_context = 3, req.dream_temperature = 0;
    s.set_views(req);
    const Snapshot snap = wait_views(s, [&](const Snapshot& x) { return x.views.request == req && x.views.dream; });
    const DreamStrip& d = *snap.views.dream;
    const DreamStrip direct = dream_strip(*snap.agent->world_model(), 3, 0);
    REQUIRE(d.seq.L == 16);
    REQUIRE(direct.seq.L == 16);
    CHECK(d.result.err == direct.result.err);
    CHECK(d.posterior.size() == 16);
    // A changed request is a changed answer: more observed steps, a smaller error at step 4 (it is now observed).
    req.dream_context = 8;
    s.set_views(req);
    const Snapshot more = wait_views(s, [&](const Snapshot& x) { return x.views.request == req && x.views.dream; });
    CHECK(more.views.dream->result.err != d.result.err);
    // A PPO agent has no world model: a dream asked of it stays empty.
    RunConfig ppo = cfg;
    ppo.algo_id = "ppo", ppo.algo_args = {{"total_timesteps", "1024"}, {"num_envs", "2"}, {"num_steps", "128"}};
    Session p(ppo, false, 0);
    wait_finished(p);
    p.set_views(req);
    CHECK(!wait_views(p, [&](const Snapshot& x) { return x.views.request == req; }).views.dream);
}

TEST_CASE("Session::run_to / settle: lock step stops where asked, answers the views, and two runs give the same frames") {
    RunConfig cfg;
    cfg.env_id = "CartPole-v1", cfg.algo_id = "ppo", cfg.seed = 4;
    cfg.algo_args = {{"total_timesteps", "2048"}, {"num_envs", "2"}, {"num_steps", "64"}};
    ViewRequest req;
    req.plane = true, req.plane_res = 5;
    // One "video": every 300 env steps a frame (the views asked anew each time), then the end of the run.
    auto film = [&] {
        Session s(cfg, /*paused=*/true, 0);
        std::vector<Snapshot> frames;
        Snapshot snap;
        REQUIRE(s.settle(snap, 60));
        CHECK(snap.env_steps == 0);
        for (int64_t target = 300; target <= 2400; target += 300) {
            req.plane_hold = {{0, float(target) / 3000}};  // a new slice each frame
            s.set_views(req);
            s.run_to(target);
            REQUIRE(s.settle(snap, 60));
            if (!snap.finished) {
                CHECK(snap.paused);
                CHECK(snap.units >= target);
                CHECK(snap.units < target + 2);  // two envs: the counter moves by two
            }
            REQUIRE(snap.views.plane);
            CHECK(snap.views.request == req);
            frames.push_back(snap);
        }
        s.run_to(100);  // behind where it stands: nothing happens
        REQUIRE(s.settle(snap, 60));
        CHECK(snap.env_steps == frames.back().env_steps);
        return frames;
    };
    const auto a = film(), b = film();
    REQUIRE(a.size() == b.size());
    CHECK(a.back().finished);
    CHECK(a.back().env_steps == 2048);
    for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].env_steps == b[i].env_steps);
        CHECK(a[i].episodes == b[i].episodes);
        CHECK(a[i].views.plane->value == b[i].views.plane->value);
        CHECK(a[i].views.plane->actions == b[i].views.plane->actions);
    }
    CHECK(a[0].views.plane->value != a[5].views.plane->value);  // the policy moved between frames
}

namespace {
// The hardening issue's reproducer: PPO on Pendulum with a step size of 0.1 and almost no gradient clip diverges
// at update 32 (all 8,963 weights were NaN and every later cell of metrics.csv blank).
RunConfig diverging_ppo() {
    RunConfig cfg;
    cfg.env_id = "Pendulum-v1", cfg.algo_id = "ppo", cfg.seed = 1;
    cfg.algo_args = {{"learning_rate", "0.1"}, {"max_grad_norm", "100"}, {"ent_coef", "1"},    {"gamma", "1"},
                     {"anneal_lr", "false"},   {"clip_vloss", "false"},   {"total_timesteps", "30000"}};
    return cfg;
}
bool all_finite(const nn::Mat& m) { return m.allFinite(); }
}  // namespace

TEST_CASE("NaN headless: the run stops at the update where it appears, naming it and the step sizes; the parameters stay finite") {
    try {
        run_headless(diverging_ppo());
        FAIL("a diverging run finished as if nothing happened");
    } catch (const TrainingDiverged& e) {
        const std::string m = e.what();
        CHECK_MESSAGE(m.find("training diverged at update 32 (env step 16384)") == 0, m);
        CHECK(m.find("a gradient of NaN or infinity reached Adam") != std::string::npos);
        CHECK(m.find("learning_rate=0.1, max_grad_norm=100") != std::string::npos);
        REQUIRE(e.run);
        CHECK(e.run->updates() == 31);  // the 31 updates that were applied
        const Snapshot s = e.run->snapshot_now();
        REQUIRE(s.agent);
        // The kept networks are the last finite ones: they act with finite values everywhere.
        nn::Mat obs(3, 3), v, av;
        obs << 1, 0, 0, 0, 1, 0.5f, -1, 0, -8;
        s.agent->evaluate(obs, v, av);
        CHECK(all_finite(v));
    }
}

namespace {
// Polls until the run shows an alert (or ends); returns the snapshot.
Snapshot wait_alert(Session& s, uint64_t& seq, Snapshot snap = {}) {
    for (int i = 0; i < 4000 && !s.finished(); ++i) {
        s.controls().want_snapshot = true;
        s.context().poll_snapshot(seq, snap);
        if (!snap.alert.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return snap;
}
}  // namespace

TEST_CASE("NaN in the GUI: the run is held with the message (not ended); changes made meanwhile apply; stop ends it") {
    Session s(diverging_ppo(), /*paused=*/false, /*speed=*/0);
    uint64_t seq = 0;
    Snapshot snap = wait_alert(s, seq);
    REQUIRE_FALSE(snap.alert.empty());
    CHECK(snap.alert.find("training diverged at update 32") == 0);
    CHECK(snap.alert.find("learning_rate=0.1, max_grad_norm=100") != std::string::npos);
    CHECK(snap.alert.find("Paused: lower a step size and resume") != std::string::npos);
    CHECK(snap.paused);
    CHECK_FALSE(s.finished());
    const int64_t steps = snap.env_steps;
    // While held, the user lowers the step size and resumes: the change applies before the next step. This run's
    // last finite parameters already give a NaN loss (its σ overflowed), so the next update is held again, now
    // naming the new values; nothing was applied in between.
    s.set_live("learning_rate", "0.0003");
    s.set_live("max_grad_norm", "0.5");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    s.controls().paused = false;
    s.controls().wake();
    snap = {};
    for (int i = 0; i < 4000 && snap.alert.find("learning_rate=0.0003") == std::string::npos; ++i) {
        s.controls().want_snapshot = true;
        s.context().poll_snapshot(seq, snap);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(snap.alert.find("learning_rate=0.0003, max_grad_norm=0.5") != std::string::npos);
    CHECK(snap.env_steps == steps);
    s.stop();
    CHECK(s.finished());
    CHECK(s.context().markers().size() == 2);  // the two live changes, drawn on the curves
    s.context().poll_snapshot(seq, snap);
    CHECK(snap.error.find("training diverged at update 32") == 0);
}
