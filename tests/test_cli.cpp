#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "tests/cli_helpers.h"
#include "core/algos/registry.h"
#include "base/files.h"
#include "media/media.h"

using namespace dl;
namespace fs = std::filesystem;

using test::Cli, test::cli, test::temp_dir;

TEST_CASE("list names every env with its args and every algorithm with its hyperparameters") {
    Cli r = cli({"list"});
    CHECK(r.code == 0);
    for (const char* s : {"FrozenLake-v1", "FrozenLake8x8-v1", "FrozenLakeLecture-v0", "is_slippery", "value_iteration",
                          "policy_iteration", "mc_control", "sarsa", "expected_sarsa", "q_learning", "sarsa_lambda",
                          "dyna_q", "planning_steps", "epsilon_schedule", "lambda"})
        CHECK_MESSAGE(r.out.find(s) != std::string::npos, s);
    Cli j = cli({"list", "--json"});
    const auto parsed = nlohmann::json::parse(j.out);
    CHECK(parsed["algorithms"].size() == algo_registry().size());
    CHECK(parsed["algorithms"].size() >= 9);
}

TEST_CASE("train writes config/metrics/model atomically; eval --run reads them back") {
    const fs::path out = temp_dir("train");
    Cli r = cli({"train", "--env", "FrozenLake-v1", "--env-arg", "is_slippery=false", "--algo", "q_learning", "--set",
                 "alpha=0.2", "--set", "episodes=500", "--seed", "3", "--out", out.string()});
    INFO(r.err);
    REQUIRE(r.code == 0);
    for (const char* f : {"config.json", "metrics.csv", "model.json", "summary.json"}) CHECK(fs::exists(out / f));
    const auto cfg = nlohmann::json::parse(read_file(out / "config.json"));
    CHECK(cfg["algo"]["args"]["alpha"].get<double>() == 0.2);
    CHECK(cfg["env"]["args"]["is_slippery"].get<bool>() == false);
    CHECK(cfg["seed"].get<int>() == 3);
    const std::string csv = read_file(out / "metrics.csv");
    CHECK(csv.rfind("episode,env_step,update,return,length,success,epsilon,td_error\n", 0) == 0);
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 501);  // header + one row per episode

    Cli e = cli({"eval", "--run", out.string(), "--episodes", "200", "--json"});
    REQUIRE(e.code == 0);
    CHECK(std::count(e.out.begin(), e.out.end(), '\n') == 1);  // one JSON object on one line
    const auto j = nlohmann::json::parse(e.out);
    for (const char* k : {"episodes", "mean_return", "std_return", "mean_length", "success_rate"}) CHECK(j.contains(k));
    CHECK(j["episodes"] == 200);
    CHECK(j["success_rate"].get<double>() == 1.0);  // deterministic lake, 500 episodes suffice

    // Same out dir again: refused, old results untouched; --overwrite replaces.
    Cli again = cli({"train", "--env", "FrozenLake-v1", "--algo", "sarsa", "--out", out.string()});
    CHECK(again.code != 0);
    CHECK(again.err.find("already exists") != std::string::npos);
    CHECK(read_file(out / "metrics.csv") == csv);

    // --config reproduces the run exactly.
    const fs::path out2 = temp_dir("train2");
    Cli r2 = cli({"train", "--config", (out / "config.json").string(), "--out", out2.string()});
    REQUIRE(r2.code == 0);
    CHECK(read_file(out2 / "metrics.csv") == csv);
    fs::remove_all(out);
    fs::remove_all(out2);
}

TEST_CASE("a deep run saves its networks; eval --run plays them greedily") {
    const fs::path out = temp_dir("deep");
    Cli r = cli({"train", "--env", "CartPole-v1", "--algo", "ppo", "--set", "total_timesteps=4096", "--out", out.string()});
    REQUIRE(r.code == 0);
    CHECK(fs::exists(out / "agent.json"));
    CHECK(fs::exists(out / "agent.ckpt"));
    Cli e = cli({"eval", "--run", out.string(), "--episodes", "5", "--json"});
    REQUIRE(e.code == 0);
    CHECK(nlohmann::json::parse(e.out)["episodes"] == 5);
    // A damaged checkpoint is refused with a clear message.
    std::string bytes = read_file(out / "agent.ckpt");
    write_file_atomic(out / "agent.ckpt", bytes.substr(0, bytes.size() - 10));
    Cli bad = cli({"eval", "--run", out.string(), "--episodes", "5"});
    CHECK(bad.code == 1);
    CHECK(bad.err.find("truncated or corrupted") != std::string::npos);
    fs::remove_all(out);
}

TEST_CASE("eval --policy random on CartPole: the classic ~22-step baseline") {
    Cli r = cli({"eval", "--env", "CartPole-v1", "--policy", "random", "--episodes", "2000", "--seed", "1", "--json"});
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["mean_return"].get<double>() > 18);
    CHECK(j["mean_return"].get<double>() < 26);
    CHECK(j["mean_return"] == j["mean_length"]);  // reward 1 per step
    CHECK_FALSE(j.contains("success_rate"));       // CartPole defines no success
}

TEST_CASE("eval --policy random gives the baseline on any env") {
    Cli r = cli({"eval", "--env", "FrozenLake-v1", "--policy", "random", "--episodes", "2000", "--seed", "1", "--json"});
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["success_rate"].get<double>() > 0.0);
    CHECK(j["success_rate"].get<double>() < 0.05);  // ~1.4% for a uniform random walk on slippery 4x4
    CHECK(j["mean_length"].get<double>() > 3.0);
}

TEST_CASE("bad input: clear error, non-zero exit, nothing written") {
    const fs::path out = temp_dir("bad");
    auto expect_error = [&](std::vector<std::string> args, const std::string& needle) {
        Cli r = cli(args);
        CHECK(r.code != 0);
        CHECK_MESSAGE(r.err.find(needle) != std::string::npos, r.err);
        CHECK_FALSE(fs::exists(out));
    };
    expect_error({"train", "--env", "FrozenLake-v9", "--algo", "q_learning", "--out", out}, "unknown environment 'FrozenLake-v9'");
    expect_error({"train", "--env", "FrozenLake-v1", "--algo", "qlearn", "--out", out}, "unknown algorithm 'qlearn'");
    expect_error({"train", "--env", "FrozenLake-v1", "--algo", "q_learning", "--set", "alpha=7", "--out", out},
                 "alpha=7 is not allowed: expected a number in [0, 1]");
    expect_error({"train", "--env", "FrozenLake-v1", "--algo", "q_learning", "--set", "beta=1", "--out", out},
                 "unknown parameter 'beta'");
    expect_error({"train", "--env", "FrozenLake-v1", "--env-arg", "map=SFX", "--algo", "q_learning", "--out", out},
                 "unknown cell 'X'");
    expect_error({"train", "--env", "FrozenLake-v1", "--algo", "q_learning", "--seed", "-1", "--out", out}, "--seed=-1");
    expect_error({"train", "--env", "FrozenLake-v1", "--algo", "q_learning"}, "needs --out");
    expect_error({"train", "--env", "FrozenLake-v1", "--algo", "q_learning", "--bogus", "1", "--out", out},
                 "unknown option '--bogus'");
    expect_error({"frobnicate"}, "unknown command 'frobnicate'");
    expect_error({"train", "--env", "CartPole-v1", "--algo", "q_learning", "--out", out},
                 "q_learning needs a tabular environment");
    expect_error({"eval", "--run", out.string()}, "does not exist");
    expect_error({"eval", "--env", "FrozenLake-v1", "--policy", "clever"}, "--policy=clever");
    // An unwritable location: a path below a regular file.
    const fs::path file = temp_dir("file");
    write_file_atomic(file, "x");
    Cli r = cli({"train", "--env", "FrozenLake-v1", "--algo", "q_learning", "--out", (file / "sub").string()});
    CHECK(r.code == 1);
    CHECK(r.err.find("cannot") != std::string::npos);
    fs::remove(file);
}

TEST_CASE("eval --video records the env's own rendering of the first episodes, headless") {
    const fs::path out = temp_dir("video");
    fs::create_directories(out);
    const std::string video = (out / "eval.mp4").string();
    Cli r = cli({"eval", "--env", "FrozenLake-v1", "--policy", "random", "--episodes", "10", "--seed", "2", "--video",
                 video, "--video-episodes", "2", "--fps", "10"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    const VideoInfo info = probe_video(video);
    CHECK(info.codec == "h264");
    CHECK(info.width == 4 * 96);  // 4 cells of 96 px (the largest cell size)
    CHECK(info.frames >= 4);    // at least reset + one step for each of 2 episodes
    CHECK(info.frames <= 202);  // at most 2 episodes of 100 steps (+ the reset frames)
    // --overlay: the same frames with a strip below saying episode, step and return.
    const std::string labelled = (out / "labelled.mp4").string();
    Cli o = cli({"eval", "--env", "FrozenLake-v1", "--policy", "random", "--episodes", "10", "--seed", "2", "--video",
                 labelled, "--video-episodes", "2", "--fps", "10", "--overlay"});
    REQUIRE(o.code == 0);
    const VideoInfo li = probe_video(labelled);
    CHECK(li.frames == info.frames);
    CHECK(li.width == info.width);
    CHECK(li.height >= info.height + 20);
    CHECK(o.out == r.out);  // the numbers do not change
    CHECK(cli({"eval", "--env", "FrozenLake-v1", "--policy", "random", "--overlay"}).err.find("only make sense with --video") !=
          std::string::npos);
    Cli bad = cli({"eval", "--env", "FrozenLake-v1", "--policy", "random", "--fps", "10"});
    CHECK(bad.code == 2);
    CHECK(bad.err.find("only make sense with --video") != std::string::npos);
    Cli unwritable = cli({"eval", "--env", "FrozenLake-v1", "--policy", "random", "--video", "/nonexistent-dir/x.mp4"});
    CHECK(unwritable.code == 1);
    fs::remove_all(out);
}

TEST_CASE("version names the build and machine; repro refuses unknown runs and bad hash files by name") {
    const Cli v = cli({"version"});
    CHECK(v.code == 0);
    CHECK(v.out.find("build:   ") != std::string::npos);
    CHECK(v.out.find("machine: ") != std::string::npos);
    const Cli bad = cli({"repro", "--only", "nope"});
    CHECK(bad.code == 2);
    CHECK(bad.err.find("--only nope: no such pinned run; the runs are: q_learning_lake") != std::string::npos);
    const fs::path dir = temp_dir("repro");
    fs::create_directories(dir);
    const std::string file = (dir / "hashes.txt").string();
    write_file_atomic(file, "q_learning_lake 12ab\n");
    const Cli malformed = cli({"repro", "--only", "q_learning_lake", "--check", file});
    CHECK(malformed.code == 1);
    CHECK(malformed.err.find("line 1: expected '<run name> <16 hex digits>'") != std::string::npos);
    write_file_atomic(file, "q_learning_lake 0000000000000000\n");
    const Cli differs = cli({"repro", "--only", "q_learning_lake", "--check", file});
    CHECK(differs.code == 1);
    CHECK(differs.out.find("DIFFERS: pinned 0000000000000000") != std::string::npos);
    CHECK(cli({"repro", "--check", (dir / "missing.txt").string()}).code == 1);
    fs::remove_all(dir);
}

TEST_CASE("train that diverges exits 3 naming the update and the step sizes; the run up to there is saved and evaluates") {
    const fs::path out = temp_dir("diverged");
    Cli r = cli({"train", "--env", "Pendulum-v1", "--algo", "ppo", "--set", "learning_rate=0.1", "--set", "max_grad_norm=100", "--set",
                 "ent_coef=1", "--set", "gamma=1", "--set", "anneal_lr=false", "--set", "clip_vloss=false", "--set",
                 "total_timesteps=30000", "--out", out.string()});
    CHECK(r.code == 3);
    CHECK(r.out.empty());  // never "trained"
    CHECK_MESSAGE(r.err.find("training diverged at update 32 (env step 16384)") != std::string::npos, r.err);
    CHECK(r.err.find("learning_rate=0.1, max_grad_norm=100") != std::string::npos);
    const auto summary = nlohmann::json::parse(read_file(out / "summary.json"));
    CHECK(summary["updates"] == 31);
    CHECK(summary["stopped_by"].get<std::string>().find("training diverged at update 32") == 0);
    // The saved networks are the last finite ones: eval plays them with finite returns.
    r = cli({"eval", "--run", out.string(), "--episodes", "2", "--json"});
    REQUIRE(r.code == 0);
    CHECK(std::isfinite(nlohmann::json::parse(r.out)["mean_return"].get<double>()));
    fs::remove_all(out);
}

TEST_CASE("bench --compare prints each figure beside an earlier run's, with the ratio and which way is better") {
    Cli now = cli({"bench", "--quick", "--only", "value_iteration", "--json"});
    REQUIRE(now.code == 0);
    const auto j = nlohmann::json::parse(now.out);
    REQUIRE(j.contains("value_iteration_8x8_ms"));
    CHECK(j["machine"]["load_end"].size() == 3);  // the load at the start and at the end
    const double ms = j["value_iteration_8x8_ms"].get<double>();
    const auto dir = temp_dir("bench-compare");
    fs::create_directories(dir);
    // An earlier run 10x slower: now is better (a time falls); a figure not measured now is listed as such.
    write_file_atomic(dir / "slow.json", nlohmann::json{{"value_iteration_8x8_ms", ms * 10}, {"gone_figure", 1.0}}.dump());
    Cli c = cli({"bench", "--quick", "--only", "value_iteration", "--compare", (dir / "slow.json").string()});
    CHECK(c.code == 0);
    CHECK(c.out.find("compared with") != std::string::npos);
    CHECK(c.out.find("better") != std::string::npos);
    CHECK(c.out.find("gone_figure") != std::string::npos);
    CHECK(c.out.find("not measured this time") != std::string::npos);
    // 10x faster earlier: now is worse.
    write_file_atomic(dir / "fast.json", nlohmann::json{{"value_iteration_8x8_ms", ms / 10}}.dump());
    Cli w = cli({"bench", "--quick", "--only", "value_iteration", "--compare", (dir / "fast.json").string()});
    CHECK(w.out.find("worse") != std::string::npos);
    // A file that is not a bench line is refused before anything is measured, naming the file and the field.
    write_file_atomic(dir / "bad.json", R"({"value_iteration_8x8_ms": "fast"})");
    Cli b = cli({"bench", "--only", "value_iteration", "--compare", (dir / "bad.json").string()});
    CHECK(b.code != 0);
    CHECK(b.err.find("bad.json: value_iteration_8x8_ms = \"fast\" is not a figure") != std::string::npos);
    write_file_atomic(dir / "array.json", "[1, 2]");
    CHECK(cli({"bench", "--only", "value_iteration", "--compare", (dir / "array.json").string()}).err.find("expected the JSON object") !=
          std::string::npos);
}
