// Insides: the overlays that draw an algorithm's workings on the views. Each is checked on its numbers against an
// independent computation: the traces equal (γλ)^k replayed along the path, the replay counts add up to the
// samples drawn, the Bellman backup's terms sum to value iteration's new V, GAE's δ and A obey their recursions.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "core/rl/insides.h"
#include "core/rl/replay.h"
#include "core/rl/tabular.h"
#include "core/session/session.h"

using namespace dl;

namespace {

RunConfig config(const std::string& algo, const std::string& env, std::map<std::string, std::string> args, uint64_t seed = 3) {
    RunConfig cfg;
    cfg.algo_id = algo, cfg.env_id = env, cfg.algo_args = std::move(args), cfg.seed = seed;
    return cfg;
}

const InsideLayer& layer(const Snapshot& s, const std::string& id) {
    REQUIRE(s.insides);
    const InsideLayer* l = s.insides->find(id);
    REQUIRE_MESSAGE(l, "no layer " << id);
    return *l;
}

}  // namespace

TEST_CASE("TD-error window: the mean |δ| per state over exactly the last N updates") {
    TdErrorWindow w(3, 4);
    w.add(0, 1.0), w.add(1, -2.0), w.add(0, -3.0);
    std::vector<double> m = w.mean_abs();
    CHECK(m[0] == 2.0);
    CHECK(m[1] == 2.0);
    CHECK(std::isnan(m[2]));
    w.add(2, 0.5), w.add(2, 1.5);  // the first update (state 0, |δ| 1) leaves the window
    m = w.mean_abs();
    CHECK(w.size() == 4);
    CHECK(m[0] == 3.0);
    CHECK(m[2] == 1.0);
    CHECK(w.layer().figure("updates") == 4);
}

TEST_CASE("tabular learners: visit counts add up to the env steps; TD errors only where updates happened") {
    for (const char* algo : {"q_learning", "sarsa", "expected_sarsa", "sarsa_lambda", "dyna_q", "mc_control"}) {
        CAPTURE(algo);
        int checked = 0;
        auto ctx = run_headless(config(algo, "FrozenLake-v1", {{"episodes", "200"}}), [&](RunContext& c) {
            if (c.episodes() % 50 != 0) return true;
            const Snapshot s = c.snapshot_now();
            const InsideLayer& visits = layer(s, "visits");
            double total = 0;
            for (double v : visits.values) total += v;
            CHECK(total == double(c.env_steps()));
            const InsideLayer& td = layer(s, "td_error");
            const DiscreteEnv* lake = s.env->tabular();
            for (int st = 0; st < lake->num_states(); ++st) {
                if (visits.values[size_t(st)] == 0) CHECK(std::isnan(td.values[size_t(st)]));  // never updated
                if (lake->is_terminal(st)) CHECK(visits.values[size_t(st)] == 0);  // no step is taken from a hole
            }
            ++checked;
            return true;
        });
        CHECK(checked == 4);
    }
}

TEST_CASE("SARSA(λ): the traces along the path are (γλ)^k replayed step by step (replacing and accumulating)") {
    for (const std::string trace : {"replacing", "accumulating"}) {
        CAPTURE(trace);
        const double gamma = 0.95, lambda = 0.8, decay = gamma * lambda;
        int checked = 0;
        auto ctx = run_headless(config("sarsa_lambda", "FrozenLake-v1",
                                       {{"episodes", "120"}, {"gamma", "0.95"}, {"lambda", "0.8"}, {"trace", trace}}),
                                [&](RunContext& c) {
                                    const Snapshot s = c.snapshot_now();
                                    const InsideLayer& tr = layer(s, "traces");
                                    REQUIRE(tr.kind == InsideLayer::Kind::Path);
                                    // Replay the episode's visits: bump the visited trace, then decay all by γλ.
                                    std::map<std::pair<int, int>, double> e;
                                    for (const InsideLayer::Step& st : tr.path) {
                                        double& x = e[{st.s, st.a}];
                                        x = trace == "replacing" ? 1.0 : x + 1.0;
                                        for (auto& [k, v] : e) v *= decay;
                                    }
                                    for (const InsideLayer::Step& st : tr.path) CHECK(st.weight == e[{st.s, st.a}]);
                                    // A replacing trace's newest step: exactly γλ.
                                    if (trace == "replacing" && !tr.path.empty()) CHECK(tr.path.back().weight == doctest::Approx(decay).epsilon(1e-12));
                                    ++checked;
                                    return true;
                                });
        CHECK(checked == 120);
    }
}

TEST_CASE("Dyna-Q: the simulated steps shown are the newest planning updates, each a transition the model has seen") {
    auto ctx = run_headless(config("dyna_q", "FrozenLake-v1", {{"episodes", "60"}, {"planning_steps", "5"}}));
    const Snapshot s = ctx->snapshot_now();
    const InsideLayer& sim = layer(s, "simulated");
    CHECK(sim.figure("planning_updates") == 5.0 * double(s.env_steps));
    CHECK(sim.arrows.size() == 64);
    const TabularModel& P = s.env->tabular()->model();
    for (const InsideLayer::Arrow& a : sim.arrows) {
        bool possible = false;
        for (const Transition& t : P[size_t(a.s)][size_t(a.a)]) possible = possible || (t.next == a.s2 && t.prob > 0);
        CHECK_MESSAGE(possible, a.s << " -" << a.a << "-> " << a.s2 << " is not a transition of the lake");
    }
}

TEST_CASE("value iteration: the Bellman backup's terms sum to the new V of every cell, bit for bit") {
    for (const char* sweeps : {"1", "4", "10000"}) {
        CAPTURE(sweeps);
        auto ctx = run_headless(config("value_iteration", "FrozenLake-v1", {{"max_sweeps", sweeps}, {"gamma", "0.9"}}));
        const Snapshot s = ctx->snapshot_now();
        const InsideLayer& b = layer(s, "backup");
        REQUIRE(b.v_from.size() == size_t(s.tab.nS));
        const TabularModel& P = s.env->tabular()->model();
        const InsideLayer& change = layer(s, "change");
        for (int st = 0; st < s.tab.nS; ++st) {
            const BellmanBackup bb = bellman_backup(P, b.v_from, b.gamma, st);
            REQUIRE(bb.actions.size() == size_t(s.tab.nA));
            for (const BellmanBackup::Action& a : bb.actions) {
                double sum = 0;
                for (const BellmanBackup::Term& t : a.terms) {
                    CHECK(t.value == t.p * (t.r + b.gamma * t.v_next));
                    sum += t.value;
                }
                CHECK(sum == a.q);
            }
            CHECK(bb.v == s.tab.v[size_t(st)]);  // what the sweep wrote
            CHECK(bb.v == bb.actions[size_t(bb.best)].q);
            CHECK(change.values[size_t(st)] == std::fabs(s.tab.v[size_t(st)] - b.v_from[size_t(st)]));
        }
    }
}

TEST_CASE("replay sampling: counts per stored transition add up to the samples drawn; ages too") {
    nn::TransitionBuffer buf(2, 1, 5);
    Rng rng(4);
    nn::TransitionBuffer::Batch b;
    const float a = 0;
    for (int i = 0; i < 12; ++i) {
        const float o[2] = {float(i), 0};
        buf.add(o, &a, 0, o, false);
        if (i >= 2) buf.sample(3, rng, b);
    }
    const auto& st = buf.sample_stats();
    int64_t live = 0, ages = 0;
    for (uint32_t c : st.times_sampled) live += c;
    for (int64_t c : st.age_bins) ages += c;
    CHECK(st.drawn == 30);
    CHECK(live + st.drawn_evicted == st.drawn);
    CHECK(ages == st.drawn);
    CHECK(st.age_bins.size() == 64);
    CHECK(st.age_bins[4] == 0);  // never older than the capacity (5): ages 0..4 fill bins 0..3
}

TEST_CASE("DQN: replay heat per lake cell and the ages add up to batch × updates; the target lag is |Q − Q_target|") {
    const int64_t total = 3000, starts = 300, batch = 32, freq = 4, cap = 1000;
    auto ctx = run_headless(config("dqn", "FrozenLake-v1",
                                   {{"total_timesteps", std::to_string(total)}, {"learning_starts", std::to_string(starts)},
                                    {"batch_size", std::to_string(batch)}, {"train_frequency", std::to_string(freq)},
                                    {"buffer_size", std::to_string(cap)}, {"hidden", "16"}}));
    int64_t updates = 0;
    for (int64_t g = starts; g < total; ++g) updates += g % freq == 0;
    const Snapshot s = ctx->snapshot_now();
    const InsideLayer& heat = layer(s, "replay_heat");
    REQUIRE(heat.kind == InsideLayer::Kind::Cells);
    double cells = 0;
    for (double v : heat.values) cells += v;
    CHECK(heat.figure("drawn") == double(batch * updates));
    CHECK(cells + heat.figure("drawn_evicted") == double(batch * updates));
    CHECK(heat.figure("drawn_evicted") > 0);  // the ring wrapped: 3,000 steps into 1,000 slots
    const InsideLayer& ages = layer(s, "replay_age");
    double aged = 0;
    for (double v : ages.values) aged += v;
    CHECK(aged == double(batch * updates));
    CHECK(ages.edges.back() <= 1024);  // nothing older than the ring holds
    // Target lag: recomputed here from the snapshot's networks on every one-hot state.
    REQUIRE(s.agent);
    REQUIRE(s.agent->target);
    const InsideLayer& lag = layer(s, "target_lag");
    const int nS = s.env->tabular()->num_states();
    nn::Mat obs = nn::Mat::Zero(nS, nS), v, q, qt;
    for (int i = 0; i < nS; ++i) obs(i, i) = 1;
    s.agent->evaluate(obs, v, q);
    s.agent->target->evaluate(obs, v, qt);
    double biggest = 0;
    for (int i = 0; i < nS; ++i) {
        double m = 0;
        for (int a = 0; a < q.cols(); ++a) m = std::max(m, double(std::fabs(q(i, a) - qt(i, a))));
        CHECK(lag.values[size_t(i)] == doctest::Approx(m).epsilon(1e-6));
        biggest = std::max(biggest, m);
    }
    CHECK(biggest > 0);  // Polyak τ = 0.005: the target trails
}

TEST_CASE("DQN on CartPole: stored states as points with their sample counts; the plane maps carry the lag") {
    auto ctx = run_headless(config("dqn", "CartPole-v1",
                                   {{"total_timesteps", "1500"}, {"learning_starts", "200"}, {"buffer_size", "800"}, {"hidden", "16"}}));
    const Snapshot s = ctx->snapshot_now();
    const InsideLayer& pts = layer(s, "replay_heat");
    REQUIRE(pts.kind == InsideLayer::Kind::Points);
    CHECK(pts.dim == 4);
    CHECK(pts.points.size() == 800 * 4);
    double live = 0;
    for (double v : pts.values) live += v;
    CHECK(live + pts.figure("drawn_evicted") == pts.figure("drawn"));
    StatePlane plane;
    REQUIRE(s.env->state_plane(plane));
    const PlaneMaps m = plane_maps(*s.agent, plane, std::vector<float>(4, 0.0f), 8);
    REQUIRE(m.lag.rows() == 64);
    CHECK(m.lag.maxCoeff() > 0);
}

TEST_CASE("PPO and A2C: δ_t and A_t along the path obey GAE's recursions; PPO's clipped samples are the silenced ones") {
    struct C {
        std::string algo, env;
        std::map<std::string, std::string> args;
    };
    for (const C& c : {C{"ppo", "CartPole-v1", {{"total_timesteps", "2048"}, {"num_envs", "4"}, {"num_steps", "128"}}},
                       C{"ppo", "FrozenLake-v1", {{"total_timesteps", "2048"}, {"num_envs", "4"}, {"num_steps", "128"}}},
                       C{"a2c", "CartPole-v1", {{"total_timesteps", "1200"}, {"num_steps", "16"}, {"gae_lambda", "0.9"}}}}) {
        CAPTURE(c.algo);
        CAPTURE(c.env);
        auto ctx = run_headless(config(c.algo, c.env, c.args));
        const Snapshot s = ctx->snapshot_now();
        const InsideLayer& g = layer(s, "gae");
        REQUIRE(g.path.size() >= 5);
        const double gl = g.figure("gamma_lambda"), gamma = 0.99;
        for (size_t t = 0; t + 1 < g.path.size(); ++t) {
            const InsideLayer::Step &a = g.path[t], &b = g.path[t + 1];
            const double nonterminal = b.start ? 0.0 : 1.0;
            CHECK(a.delta == doctest::Approx(a.reward + gamma * b.value * nonterminal - a.value).epsilon(1e-5));
            CHECK(a.adv == doctest::Approx(a.delta + gl * nonterminal * b.adv).epsilon(1e-4));
        }
        if (c.env == "FrozenLake-v1")
            for (const auto& st : g.path) CHECK(st.s >= 0);
        else
            CHECK(g.points.size() == g.path.size() * 4);
        if (c.algo == "ppo") {
            int clipped = 0;
            for (const auto& st : g.path) {
                clipped += st.clipped;
                if (st.clipped) CHECK(std::fabs(st.ratio - 1) > 0.2 - 1e-6);
                if (std::fabs(st.ratio - 1) <= 0.2) CHECK_FALSE(st.clipped);
            }
            CHECK(g.figure("clipped") == clipped);
        }
    }
}
