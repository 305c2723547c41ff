// The timeline: checkpoints of the whole training state. A run restored from any checkpoint and continued gives the
// metrics the original run produced from there, bit for bit, for every algorithm; checkpointing does not change a
// run; the memory budget holds; checkpoint files are checked like every file from disk.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include <unistd.h>

#include "base/files.h"
#include "cli_helpers.h"
#include "base/state_io.h"
#include "core/rl/timeline.h"
#include "core/session/run_store.h"
#include "core/session/session.h"
#include "envs/registry.h"

using namespace dl;

namespace {

struct Case {
    std::string algo, env;
    std::map<std::string, std::string> args;
    TimelineOptions::Unit unit;
    int64_t every;
};

// Small runs of every algorithm, each long enough for several checkpoints, updates and finished episodes.
std::vector<Case> cases() {
    using U = TimelineOptions;
    return {
        {"value_iteration", "FrozenLake-v1", {}, U::Updates, 3},
        {"policy_iteration", "FrozenLake-v1", {}, U::Updates, 3},
        {"mc_control", "FrozenLake-v1", {{"episodes", "300"}}, U::EnvSteps, 400},
        {"sarsa", "FrozenLake-v1", {{"episodes", "300"}}, U::EnvSteps, 400},
        {"expected_sarsa", "FrozenLake-v1", {{"episodes", "300"}}, U::EnvSteps, 400},
        {"q_learning", "FrozenLakeLecture-v0", {{"episodes", "300"}}, U::EnvSteps, 400},
        {"sarsa_lambda", "FrozenLake-v1", {{"episodes", "300"}}, U::Episodes, 60},
        {"dyna_q", "FrozenLake-v1", {{"episodes", "200"}}, U::EnvSteps, 300},
        {"reinforce", "CartPole-v1", {{"episodes", "40"}}, U::EnvSteps, 300},
        {"actor_critic", "CartPole-v1", {{"total_timesteps", "1500"}}, U::EnvSteps, 400},
        {"a2c", "CartPole-v1", {{"total_timesteps", "4000"}}, U::EnvSteps, 1000},
        {"ppo", "CartPole-v1", {{"total_timesteps", "4096"}}, U::Updates, 2},
        {"dqn", "CartPole-v1", {{"total_timesteps", "3000"}, {"learning_starts", "500"}, {"buffer_size", "1000"}}, U::EnvSteps, 700},
        {"dqn", "MinAtar/Breakout-v1", {{"total_timesteps", "1200"}, {"learning_starts", "400"}, {"buffer_size", "1000"}},
         U::EnvSteps, 300},
        {"sac", "Pendulum-v1", {{"total_timesteps", "700"}, {"learning_starts", "300"}, {"hidden", "32"}, {"batch_size", "32"}},
         U::EnvSteps, 150},
        {"td3", "Pendulum-v1", {{"total_timesteps", "700"}, {"learning_starts", "300"}, {"hidden", "32"}, {"batch_size", "32"}},
         U::EnvSteps, 150},
        {"ddpg", "MountainCarContinuous-v0",
         {{"total_timesteps", "700"}, {"learning_starts", "300"}, {"hidden", "32"}, {"batch_size", "32"}, {"noise_type", "ou"}},
         U::EnvSteps, 150},
        {"trpo", "Pendulum-v1", {{"total_timesteps", "2048"}, {"num_steps", "128"}}, U::EnvSteps, 512},
        {"dream_ac", "CartPole-v1", {{"total_timesteps", "500"}, {"prefill", "200"}, {"hidden", "16"}}, U::EnvSteps, 100},
        {"dreamer", "CartPole-v1", {{"total_timesteps", "450"}, {"prefill", "200"}, {"hidden", "16"}}, U::EnvSteps, 100},
        {"trained", "CartPole-v1", {{"agent", "cartpole-dream"}, {"episodes", "3"}}, U::EnvSteps, 300},
    };
}

RunConfig config_of(const Case& c, uint64_t seed = 7) {
    RunConfig cfg;
    cfg.env_id = c.env, cfg.algo_id = c.algo, cfg.algo_args = c.args, cfg.seed = seed;
    return cfg;
}

std::shared_ptr<Timeline> exact_timeline(const Case& c) {
    TimelineOptions o;
    o.unit = c.unit, o.every = c.every, o.max_overhead = 0;  // every checkpoint the interval asks for
    return std::make_shared<Timeline>(o);
}

}  // namespace

TEST_CASE("every env: restored from its saved state, it goes on exactly as the original (random actions, resets)") {
    for (const EnvInfo& info : env_registry()) {
        CAPTURE(info.id);
        auto args = info.make_args();
        auto a = info.make(*args), b = info.make(*args);
        const int D = a->obs_dim(), K = a->act_dim();
        const int n = a->action_space().kind == Space::Discrete ? a->action_space().n : 0;
        std::vector<float> oa(static_cast<size_t>(D)), ob(static_cast<size_t>(D)), act(static_cast<size_t>(std::max(1, K)));
        std::mt19937 pick(5);
        auto step = [&](Env& e, float* o, uint32_t r) {
            if (K > 0) {
                for (int d = 0; d < K; ++d) act[size_t(d)] = float(int(r >> (d * 4)) % 9 - 4) / 2.0f;
                return e.step_box_into(act.data(), o);
            }
            return e.step_into(int(r % uint32_t(n)), o);
        };
        a->reset_into(3, oa.data());
        for (int t = 0; t < 700; ++t)
            if (const StepFlags f = step(*a, oa.data(), pick()); f.terminated || f.truncated) a->reset_into(std::nullopt, oa.data());
        StateIO s = StateIO::saver();
        a->io_state(s);
        const std::string bytes = s.take();
        b->reset_into(99, ob.data());  // somewhere else entirely
        StateIO l = StateIO::loader(bytes);
        b->io_state(l);
        l.finish();
        int mismatches = 0;
        for (int t = 0; t < 3000; ++t) {
            const uint32_t r = pick();
            const StepFlags fa = step(*a, oa.data(), r), fb = step(*b, ob.data(), r);
            if (fa.reward != fb.reward || fa.terminated != fb.terminated || fa.truncated != fb.truncated || oa != ob) ++mismatches;
            if (fa.terminated || fa.truncated) a->reset_into(std::nullopt, oa.data()), b->reset_into(std::nullopt, ob.data());
        }
        CHECK(mismatches == 0);
    }
}

TEST_CASE("every algorithm: restore a checkpoint, continue, and the metrics are the original run's, bit for bit") {
    for (const Case& c : cases()) {
        CAPTURE(c.algo);
        const RunConfig cfg = config_of(c);
        const std::string plain = run_headless(cfg)->metrics().to_csv();  // no timeline at all

        RunStart with;
        with.timeline = exact_timeline(c);
        auto original = run_headless(cfg, with);
        const std::string csv = original->metrics().to_csv();
        CHECK(csv == plain);  // taking checkpoints changes nothing
        const auto states = with.timeline->states();
        REQUIRE(states.size() >= 3);
        CHECK(states.front()->units == 0);

        // From the first checkpoint past the start, from one in the middle, and from the last.
        for (size_t k : {size_t(1), states.size() / 2, states.size() - 1}) {
            CAPTURE(states[k]->units);
            RunStart from;
            from.resume = states[k];
            from.parent_metrics = &original->metrics();
            from.parent_markers = &original->markers();
            from.timeline = exact_timeline(c);
            auto resumed = run_headless(cfg, from);
            CHECK(resumed->metrics().to_csv() == csv);
            CHECK(resumed->env_steps() == original->env_steps());
            CHECK(resumed->episodes() == original->episodes());
            CHECK(resumed->updates() == original->updates());
            // The continuation's timeline begins at its branch point and takes the original's later checkpoints.
            const auto later = from.timeline->states();
            REQUIRE(!later.empty());
            CHECK(later.front()->units == states[k]->units);
            int same_point = 0;
            for (const auto& a : later)
                for (const auto& b : states)
                    if (a->units == b->units) {
                        CHECK(a->bytes == b->bytes);
                        ++same_point;
                    }
            CHECK(same_point >= 1);
        }
    }
}

TEST_CASE("a checkpoint written to disk reads back the same; a damaged file is refused, saying why") {
    const Case c{"dqn", "CartPole-v1", {{"total_timesteps", "2000"}, {"learning_starts", "500"}, {"buffer_size", "1000"}},
                 TimelineOptions::EnvSteps, 500};
    RunStart with;
    with.timeline = exact_timeline(c);
    auto original = run_headless(config_of(c), with);
    const auto s = with.timeline->states()[2];
    const auto dir = std::filesystem::temp_directory_path() / ("dl_timeline_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "checkpoints");
    const auto file = dir / "checkpoints" / "units-000000001000.state";
    save_training_state(file, *s);
    const auto back = load_training_state(file);
    CHECK(back->bytes == s->bytes);
    CHECK(back->args == s->args);
    CHECK(back->units == s->units);
    CHECK(back->metrics_rows == s->metrics_rows);
    CHECK(list_training_states(dir).count(1000) == 1);

    // Resumed from the file: the same metrics as the original.
    RunStart from;
    from.resume = back;
    from.parent_metrics = &original->metrics();
    from.parent_markers = &original->markers();
    CHECK(run_headless(config_of(c), from)->metrics().to_csv() == original->metrics().to_csv());

    std::string bytes = read_file(file);
    const std::string good = bytes;
    bytes[bytes.size() / 2] ^= 1;
    write_file_atomic(file, bytes);
    CHECK_THROWS_WITH_AS(load_training_state(file), doctest::Contains("checksum mismatch"), StateError);
    write_file_atomic(file, good.substr(0, 20));
    CHECK_THROWS_AS(load_training_state(file), StateError);
    write_file_atomic(file, "not a checkpoint at all");
    CHECK_THROWS_WITH_AS(load_training_state(file), doctest::Contains("not a Dreamlab training checkpoint"), StateError);
    std::filesystem::remove_all(dir);
}

TEST_CASE("a checkpoint from another architecture or algorithm is refused by name, not read as garbage") {
    const Case c{"dqn", "CartPole-v1", {{"total_timesteps", "1500"}, {"learning_starts", "500"}, {"buffer_size", "1000"}},
                 TimelineOptions::EnvSteps, 500};
    RunStart with;
    with.timeline = exact_timeline(c);
    auto original = run_headless(config_of(c), with);
    auto s = std::make_shared<TrainingState>(*with.timeline->states()[1]);
    s->args["hidden"] = "32";  // as if it came from a narrower network
    RunStart from;
    from.resume = s;
    from.parent_metrics = &original->metrics();
    from.parent_markers = &original->markers();
    CHECK_THROWS_WITH_AS(run_headless(config_of(c), from), doctest::Contains("matrix where this run has"), StateError);
    // A Q-learning checkpoint in Dyna-Q's loop (which also keeps its model): refused, not misread.
    const Case q{"q_learning", "FrozenLake-v1", {{"episodes", "100"}}, TimelineOptions::EnvSteps, 200};
    RunStart qs;
    qs.timeline = exact_timeline(q);
    auto qrun = run_headless(config_of(q), qs);
    RunStart into;
    auto foreign = std::make_shared<TrainingState>(*qs.timeline->states()[1]);
    foreign->args.clear();
    into.resume = foreign;
    into.parent_metrics = &qrun->metrics();
    into.parent_markers = &qrun->markers();
    CHECK_NOTHROW(run_headless(config_of(q), into));  // into its own algorithm: fine
    Case dq = q;
    dq.algo = "dyna_q";
    CHECK_THROWS_AS(run_headless(config_of(dq), into), StateError);
}

TEST_CASE("a branch: changed hyperparameters apply from the branch point, marked on its curves; restart-only ones are refused") {
    const Case c{"q_learning", "FrozenLake-v1", {{"episodes", "400"}}, TimelineOptions::EnvSteps, 500};
    RunStart with;
    with.timeline = exact_timeline(c);
    auto original = run_headless(config_of(c), with);
    const auto s = with.timeline->states()[2];
    RunStart branch;
    branch.resume = s;
    branch.parent_metrics = &original->metrics();
    branch.parent_markers = &original->markers();
    branch.changes = {{"alpha", "0.5"}};
    auto b = run_headless(config_of(c), branch);
    CHECK(b->config().algo_args.at("alpha") == "0.5");
    REQUIRE(b->markers().size() == 1);
    CHECK(b->markers()[0].text == "branch: alpha=0.5");
    CHECK(b->markers()[0].row == s->metrics_rows);
    // Identical up to the branch point, different after it.
    const MetricsTable& m0 = original->metrics();
    const MetricsTable& m1 = b->metrics();
    const int r0 = m0.find("return"), r1 = m1.find("return"), t0 = m0.find("td_error"), t1 = m1.find("td_error");
    REQUIRE(r0 >= 0);
    REQUIRE(t1 >= 0);
    for (int64_t row = 0; row < s->metrics_rows; ++row) CHECK(m0.at(size_t(row), r0) == m1.at(size_t(row), r1));
    bool differs = false;
    for (size_t row = size_t(s->metrics_rows); row < std::min(m0.size(), m1.size()); ++row)
        differs |= m0.at(row, t0) != m1.at(row, t1);
    CHECK(differs);

    RunStart bad = branch;
    bad.changes = {{"q_init", "1"}};
    CHECK_THROWS_WITH_AS(run_headless(config_of(c), bad), doctest::Contains("q_init applies at a restart only"), ParamError);
    // The run's length may change: a continuation that trains longer.
    RunStart longer = branch;
    longer.changes = {{"episodes", "500"}};
    CHECK(run_headless(config_of(c), longer)->episodes() == 500);
}

TEST_CASE("the memory budget holds: old checkpoints thin out, dense near the present, the start and the newest kept") {
    TimelineOptions o;
    o.budget_bytes = 40 * 1024;
    Timeline t(o);
    for (int64_t u = 0; u <= 100000; u += 100) {
        auto s = std::make_shared<TrainingState>();
        s->units = u;
        s->bytes.assign(1000, 'x');
        t.add(s);
        CHECK(t.bytes_used() <= o.budget_bytes);
    }
    const auto states = t.states();
    CHECK(states.front()->units == 0);
    CHECK(states.back()->units == 100000);
    CHECK(states.size() >= 20);
    CHECK(t.thinned() == int64_t(1001 - states.size()));
    // Gaps grow with age: the newest tenth of the timeline holds more checkpoints than the oldest half.
    int newest = 0, oldest = 0;
    for (const auto& s : states) newest += s->units >= 90000, oldest += s->units <= 50000;
    CHECK(newest > oldest);
    // The count is bounded too.
    TimelineOptions few;
    few.max_count = 10;
    Timeline f(few);
    for (int64_t u = 0; u < 1000; ++u) {
        auto s = std::make_shared<TrainingState>();
        s->units = u;
        f.add(s);
    }
    CHECK(f.size() == 10);
    CHECK(f.states().front()->units == 0);
    CHECK(f.states().back()->units == 999);
    // In a real run: a budget far below what every checkpoint would take.
    const Case c{"dqn", "CartPole-v1", {{"total_timesteps", "3000"}, {"learning_starts", "500"}, {"buffer_size", "3000"}},
                 TimelineOptions::EnvSteps, 100};
    TimelineOptions small;
    small.every = 100, small.max_overhead = 0, small.budget_bytes = 1 << 20;
    RunStart with;
    with.timeline = std::make_shared<Timeline>(small);
    run_headless(config_of(c), with);
    CHECK(with.timeline->bytes_used() <= small.budget_bytes);
    CHECK(with.timeline->thinned() > 0);
    CHECK(with.timeline->states().back()->units == 2900);
}

TEST_CASE("train writes its timeline into checkpoints/; train --resume DIR@N continues it exactly, or branches it") {
    const auto root = dl::test::temp_dir("resume");
    std::filesystem::create_directories(root);
    const std::string a = (root / "a").string(), b = (root / "b").string(), c = (root / "c").string();
    auto r = dl::test::cli({"train", "--env", "CartPole-v1", "--algo", "ppo", "--set", "total_timesteps=8192", "--checkpoint-every",
                            "1024", "--out", a, "--quiet"});
    REQUIRE(r.code == 0);
    const auto files = list_training_states(a);
    REQUIRE(files.size() == 8);  // exactly every 1024 env steps when asked for (PPO's loop top: every 1024 here)
    const StoredRun parent = open_run(a);
    CHECK(parent.metrics.to_csv() == read_file(root / "a" / "metrics.csv"));  // read back to the bit

    // Continued from the middle: byte-identical metrics, and branch.json says where it came from.
    const int64_t mid = std::next(files.begin(), std::ptrdiff_t(files.size() / 2))->first;
    r = dl::test::cli({"train", "--resume", a + "@" + std::to_string(mid + 5), "--out", b});
    REQUIRE(r.code == 0);
    CHECK(r.out.find("from " + a + " at " + std::to_string(mid) + " env steps") != std::string::npos);
    CHECK(read_file(root / "b" / "metrics.csv") == read_file(root / "a" / "metrics.csv"));
    const StoredRun cont = open_run(b);
    REQUIRE(cont.origin.has_value());
    CHECK(cont.origin->units == mid);
    CHECK(cont.origin->changes.empty());

    // A branch with another learning rate: the same rows up to the branch point, a marker there, then its own.
    r = dl::test::cli({"train", "--resume", a + "@" + std::to_string(mid), "--set", "learning_rate=0.01", "--out", c, "--quiet"});
    REQUIRE(r.code == 0);
    const StoredRun br = open_run(c);
    REQUIRE(br.markers.size() == 1);
    CHECK(br.markers[0].text == "branch: learning_rate=0.01");
    CHECK(br.origin->changes.at("learning_rate") == "0.01");
    CHECK(br.metrics.to_csv() != parent.metrics.to_csv());
    CHECK(br.cfg.algo_args.at("learning_rate") == "0.01");

    // Refused, saying why: a restart-only change, options that would change the run's identity, a run without
    // checkpoints.
    r = dl::test::cli({"train", "--resume", a, "--set", "hidden=32", "--out", (root / "x").string()});
    CHECK(r.code == 2);
    CHECK(r.err.find("hidden applies at a restart only") != std::string::npos);
    r = dl::test::cli({"train", "--resume", a, "--seed", "3", "--out", (root / "x").string()});
    CHECK(r.code == 2);
    CHECK(r.err.find("--seed cannot be given with --resume") != std::string::npos);
    r = dl::test::cli({"train", "--env", "CartPole-v1", "--algo", "ppo", "--set", "total_timesteps=2048", "--no-checkpoints", "--out",
                       (root / "none").string(), "--quiet"});
    REQUIRE(r.code == 0);
    CHECK(!std::filesystem::exists(root / "none" / "checkpoints"));
    r = dl::test::cli({"train", "--resume", (root / "none").string(), "--out", (root / "x").string()});
    CHECK(r.code == 1);
    CHECK(r.err.find("has no checkpoints") != std::string::npos);
    CHECK(!std::filesystem::exists(root / "x"));
    std::filesystem::remove_all(root);
}

TEST_CASE("a checkpoint read from disk shows the agent as it was: with_views rebuilds V, π and the networks from the state") {
    const Case c{"q_learning", "FrozenLake-v1", {{"episodes", "300"}}, TimelineOptions::EnvSteps, 400};
    RunStart with;
    with.timeline = exact_timeline(c);
    run_headless(config_of(c), with);
    const auto s = with.timeline->states()[3];
    REQUIRE(s->tab.nS == 16);
    auto bare = std::make_shared<TrainingState>(*s);
    bare->tab = {}, bare->agent = nullptr, bare->env = nullptr;  // as load_training_state gives it
    const auto shown = with_views(config_of(c), bare);
    CHECK(shown->tab.v == s->tab.v);
    CHECK(shown->tab.q == s->tab.q);
    CHECK(shown->tab.pi == s->tab.pi);
    REQUIRE(shown->env);
    CHECK(shown->env->id() == "FrozenLake-v1");
    // A deep learner: the networks as they were (the same greedy values on a probe).
    const Case d{"dqn", "CartPole-v1", {{"total_timesteps", "2000"}, {"learning_starts", "500"}, {"buffer_size", "1000"}},
                 TimelineOptions::EnvSteps, 500};
    RunStart dw;
    dw.timeline = exact_timeline(d);
    run_headless(config_of(d), dw);
    const auto ds = dw.timeline->states()[2];
    auto dbare = std::make_shared<TrainingState>(*ds);
    dbare->agent = nullptr, dbare->env = nullptr;
    const auto dshown = with_views(config_of(d), dbare);
    REQUIRE(dshown->agent);
    Eigen::Matrix<float, -1, -1, Eigen::RowMajor> probe(1, 4), v1, q1, v2, q2;
    probe << 0.01f, -0.2f, 0.03f, 0.1f;
    ds->agent->evaluate(probe, v1, q1);
    dshown->agent->evaluate(probe, v2, q2);
    CHECK(q1 == q2);
}
