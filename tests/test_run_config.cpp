// core/session/run_config: config.json is read strictly (every key known, every value typed and in range), and
// every set of arguments is checked across its fields (ArgsBase::check) before a run starts. Each case is a
// reproducer from the hardening issue; the CLI's option values are whole values.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "base/files.h"
#include "base/params.h"
#include "core/algos/registry.h"
#include "core/session/lesson.h"
#include "core/session/run_config.h"
#include "envs/registry.h"
#include "tests/cli_helpers.h"

using namespace dl;
namespace fs = std::filesystem;
using test::Cli, test::cli, test::temp_dir;

namespace {

nlohmann::json good() {
    RunConfig c;
    c.env_id = "FrozenLake-v1", c.algo_id = "q_learning", c.seed = 3;
    c.algo_args = {{"alpha", "0.2"}};
    return config_to_json(c);
}

// config_from_json of good() changed by `change` must fail with a message containing `needle`.
void refused(const std::function<void(nlohmann::json&)>& change, const std::string& needle) {
    nlohmann::json j = good();
    change(j);
    CAPTURE(j.dump());
    CHECK_THROWS_WITH_AS(config_from_json(j, "runs/a/config.json"), doctest::Contains(needle.c_str()), ParamError);
}

}  // namespace

TEST_CASE("config.json round-trips, and a hand-written one may leave out format and args") {
    const RunConfig c = config_from_json(good());
    CHECK(c.env_id == "FrozenLake-v1");
    CHECK(c.seed == 3);
    CHECK(c.algo_args.at("alpha") == "0.2");
    CHECK(config_to_json(c) == good());
    const RunConfig minimal = config_from_json(nlohmann::json::parse(R"({"env": {"id": "CartPole-v1"}, "algo": {"id": "ppo"}, "seed": 1})"));
    CHECK(minimal.algo_id == "ppo");
    CHECK(minimal.algo_args.empty());
}

TEST_CASE("config.json: seeds must be integers in [0, 2^53] (-1, 1.9 and 1e30 were converted silently)") {
    refused([](nlohmann::json& j) { j["seed"] = -1; }, "runs/a/config.json: seed = -1 is not allowed: expected an integer in [0, 9007199254740992]");
    refused([](nlohmann::json& j) { j["seed"] = 1.9; }, "seed = 1.9 is not allowed");
    refused([](nlohmann::json& j) { j["seed"] = 1e30; }, "seed = 1e+30 is not allowed");
    refused([](nlohmann::json& j) { j["seed"] = "7"; }, "seed is a string");
    refused([](nlohmann::json& j) { j.erase("seed"); }, "seed is missing");
    CHECK(config_from_json([] { auto j = good(); j["seed"] = 4.0; return j; }()).seed == 4);  // 4.0 is the integer 4
}

TEST_CASE("config.json: unknown keys, keys in the wrong place, a wrong format and args of null are errors") {
    refused([](nlohmann::json& j) { j["is_slippery"] = false; }, "is_slippery is not a known field here (known: format, env, algo, seed)");
    refused([](nlohmann::json& j) { j["env"]["is_slippery"] = false; }, "env.is_slippery is not a known field here (known: id, args)");
    refused([](nlohmann::json& j) { j["format"] = "dreamlab-run-7"; }, "format = \"dreamlab-run-7\" is not a format this build reads");
    refused([](nlohmann::json& j) { j["algo"]["args"] = nullptr; }, "algo.args must be an object of name: value (got null)");
    refused([](nlohmann::json& j) { j["algo"]["args"]["alpha"] = nlohmann::json::array({1}); }, "algo.args.alpha is an array");
    refused([](nlohmann::json& j) { j["env"] = "FrozenLake-v1"; }, "env must be a JSON object");
    refused([](nlohmann::json& j) { j["env"]["id"] = "FrozenLake-v9"; }, "runs/a/config.json: unknown environment 'FrozenLake-v9'");
    refused([](nlohmann::json& j) { j["algo"]["args"]["alpha"] = 7; }, "alpha=7 is not allowed");
    // A non-integral value for an integer hyperparameter: refused by the parameter, not truncated.
    refused([](nlohmann::json& j) { j["algo"]["args"]["episodes"] = 1.5; }, "episodes=1.5 is not allowed");
    refused([](nlohmann::json& j) { j["algo"]["args"]["episodes"] = 1e30; }, "episodes=1e+30 is not allowed");
    CHECK_THROWS_WITH_AS(config_from_json(nlohmann::json::array()), doctest::Contains("the file must be a JSON object"), ParamError);
}

TEST_CASE("train --config reads the file strictly and names it") {
    const fs::path dir = temp_dir("config");
    fs::create_directories(dir);
    nlohmann::json j = good();
    j["env"]["args"]["is_slippery"] = "perhaps";
    write_file_atomic(dir / "c.json", j.dump());
    Cli r = cli({"train", "--config", (dir / "c.json").string(), "--out", (dir / "run").string()});
    CHECK(r.code == 2);
    CHECK_MESSAGE(r.err.find("c.json: environment FrozenLake-v1: is_slippery=perhaps is not allowed") != std::string::npos, r.err);
    write_file_atomic(dir / "c.json", std::string(200, '[') + std::string(200, ']'));
    r = cli({"train", "--config", (dir / "c.json").string(), "--out", (dir / "run").string()});
    CHECK(r.code == 2);
    CHECK_MESSAGE(r.err.find("nested more than") != std::string::npos, r.err);
    CHECK_FALSE(fs::exists(dir / "run"));
    fs::remove_all(dir);
}

TEST_CASE("fields that conflict are refused before a run starts, naming both (ArgsBase::check)") {
    auto algo_refused = [](const std::string& algo, const std::map<std::string, std::string>& args, const std::string& needle) {
        CAPTURE(algo);
        CHECK_THROWS_WITH_AS(make_algo_args(algo, args), doctest::Contains(needle.c_str()), ParamError);
    };
    // PPO's budget was exceeded 1,048x: 1000 steps asked, one rollout of 256 x 4096 taken.
    algo_refused("ppo", {{"total_timesteps", "1000"}, {"num_envs", "256"}, {"num_steps", "4096"}},
                 "algorithm ppo: total_timesteps=1000 is less than one rollout of num_envs × num_steps = 256 × 4096 = 1048576");
    algo_refused("ppo", {{"num_envs", "1"}, {"num_steps", "8"}, {"num_minibatches", "16"}}, "num_minibatches=16 is more than the 8 samples");
    algo_refused("a2c", {{"total_timesteps", "1000"}, {"num_envs", "256"}, {"num_steps", "8"}}, "total_timesteps=1000");
    algo_refused("trpo", {{"total_timesteps", "1000"}}, "total_timesteps=1000 is less than one rollout");
    // DQN made 0 updates and said "trained".
    algo_refused("dqn", {{"batch_size", "4096"}, {"buffer_size", "100"}}, "batch_size=4096 is larger than buffer_size=100");
    algo_refused("dqn", {{"total_timesteps", "1000"}, {"learning_starts", "1000"}}, "learning_starts=1000 is not below total_timesteps=1000");
    algo_refused("sac", {{"batch_size", "512"}, {"buffer_size", "256"}}, "batch_size=512 is larger than buffer_size=256");
    algo_refused("td3", {{"total_timesteps", "500"}, {"learning_starts", "1000"}}, "learning_starts=1000 is not below total_timesteps=500");
    algo_refused("ddpg", {{"total_timesteps", "100"}}, "learning_starts=100 is not below total_timesteps=100");
    algo_refused("dream_ac", {{"total_timesteps", "500"}}, "prefill=1000 is not below total_timesteps=500");
    algo_refused("dreamer", {{"total_timesteps", "500"}}, "prefill=1000 is not below total_timesteps=500");
    // Arguments that only shape something else are refused without it, instead of ignored.
    CHECK_THROWS_WITH_AS(make_env_args("FrozenLake-v1", {{"random_size", "5"}}),
                         doctest::Contains("environment FrozenLake-v1: random_size is given but map=4x4"), ParamError);
    CHECK_THROWS_WITH_AS(make_env_args("FrozenLake-v1", {{"is_slippery", "false"}, {"success_rate", "0.5"}}),
                         doctest::Contains("success_rate=0.5 is given but is_slippery=false"), ParamError);
    CHECK_NOTHROW(make_env_args("FrozenLake-v1", {{"map", "random"}, {"random_size", "5"}}));
    // Every algorithm's and env's defaults pass their own checks.
    for (const AlgoInfo& a : algo_registry()) CHECK_NOTHROW(make_algo_args(a.id, {}));
    for (const EnvInfo& e : env_registry()) CHECK_NOTHROW(make_env_args(e.id, {}));
    // The CLI says the same, with exit code 2 and nothing written.
    const fs::path out = temp_dir("conflict");
    const Cli r = cli({"train", "--env", "CartPole-v1", "--algo", "dqn", "--set", "batch_size=4096", "--set", "buffer_size=100", "--out", out.string()});
    CHECK(r.code == 2);
    CHECK(r.err.find("batch_size=4096 is larger than buffer_size=100") != std::string::npos);
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE("a lesson whose run has conflicting fields is refused with its file and line") {
    const std::string text = "title = \"t\"\n[[runs]]\nenv.id = \"CartPole-v1\"\nalgo = { id = \"dqn\", args = { batch_size = 4096, buffer_size = 100 } }\n"
                             "[[beats]]\nat = \"start\"\ncaption = \"x\"\n";
    CHECK_THROWS_WITH_AS(parse_lesson(text, "l.toml"), doctest::Contains("batch_size=4096 is larger than buffer_size=100"), LessonError);
}

TEST_CASE("option values are whole values: 800x600junk, 2.5 for a count and an empty value are refused by name") {
    CHECK(parse_integer_option("--frames", "12", 1, 100) == 12);
    CHECK_THROWS_WITH_AS(parse_integer_option("--frames", "2.5", 1, 100), "--frames=2.5 is not allowed: expected an integer in [1, 100]",
                         std::invalid_argument);
    for (const char* bad : {"", " 3", "3 ", "+3", "1e3", "0x10", "-", "12a", "99999999999999999999"})
        CHECK_THROWS_AS(parse_integer_option("--frames", bad, 1, 100), std::invalid_argument);
    CHECK(parse_number_option("--font-scale", "1.5", 0.5, 4) == 1.5);
    for (const char* bad : {"", "2x", "nan", "inf", " 1", "5"}) CHECK_THROWS_AS(parse_number_option("--font-scale", bad, 0.5, 4), std::invalid_argument);
    const Size s = parse_size_option("--size", "1920x1080", {320, 240}, {8192, 8192});
    CHECK((s.width == 1920 && s.height == 1080));
    for (const char* bad : {"800x600junk", "800x", "x600", "800", "800x600x2", "100x100", "800 x600", ""})
        CHECK_THROWS_WITH_AS(parse_size_option("--size", bad, {320, 240}, {8192, 8192}), doctest::Contains("is not allowed: expected WIDTHxHEIGHT"),
                             std::invalid_argument);
    // In the CLI: --seed and --episodes.
    CHECK(cli({"eval", "--env", "FrozenLake-v1", "--policy", "random", "--episodes", "2.5"}).err.find("--episodes=2.5 is not allowed") !=
          std::string::npos);
    CHECK(cli({"eval", "--env", "FrozenLake-v1", "--policy", "random", "--seed", "7junk"}).code == 2);
}
