// core/rl/agent_kinds and the loaders of every agent kind (mlp_agent, continuous_agent, world_model_agent,
// tabular): a saved agent is hostile until every field is checked. Each case is a reproducer from the hardening
// issue: a shipped agent with one field changed must give a clear error naming the file and the field (never a
// crash, a hang, a huge allocation or numbers from the wrong env), and loading into another env is refused.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/json.h"
#include "base/params.h"
#include "core/rl/agent.h"
#include "tests/cli_helpers.h"

using namespace dl;
namespace fs = std::filesystem;
using test::Cli, test::cli, test::temp_dir;

namespace {

// A copy of a shipped agent (a run directory: config.json, agent.json + agent.ckpt or model.json) to change.
fs::path copy_agent(const std::string& name, const std::string& tag) {
    const fs::path dir = temp_dir("agentfile-" + tag);
    fs::copy(fs::path(agents_dir()) / name, dir, fs::copy_options::recursive);
    return dir;
}

void edit_json(const fs::path& file, const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json j = nlohmann::json::parse(read_file(file));
    change(j);
    write_file_atomic(file, j.dump(2));
}

// `eval --run DIR` must fail with a message containing every needle.
void expect_refused(const fs::path& dir, const std::vector<std::string>& needles) {
    const Cli r = cli({"eval", "--run", dir.string(), "--episodes", "1", "--seed", "1"});
    INFO(r.err);
    CHECK(r.code != 0);
    CHECK(r.out.empty());
    for (const std::string& n : needles) CHECK_MESSAGE(r.err.find(n) != std::string::npos, "missing: " << n);
}

// One shipped agent with agent.json (or model.json) changed, run through eval.
void reproduce(const std::string& name, const char* file, const std::function<void(nlohmann::json&)>& change,
               const std::vector<std::string>& needles) {
    static int n = 0;
    const fs::path dir = copy_agent(name, std::to_string(n++));
    edit_json(dir / file, change);
    expect_refused(dir, needles);
    fs::remove_all(dir);
}

}  // namespace

TEST_CASE("every shipped agent says which env it was trained on, and eval --run of an unchanged copy works") {
    for (const std::string& name : pretrained_agents()) {
        CAPTURE(name);
        const fs::path dir = fs::path(agents_dir()) / name;
        const fs::path file = fs::exists(dir / "agent.json") ? dir / "agent.json" : dir / "model.json";
        const nlohmann::json j = nlohmann::json::parse(read_file(file));
        REQUIRE(j.contains("env"));
        const nlohmann::json cfg = nlohmann::json::parse(read_file(dir / "config.json"));
        CHECK(j["env"]["id"] == cfg["env"]["id"]);
    }
    const fs::path dir = copy_agent("cartpole-ppo", "plain");
    const Cli r = cli({"eval", "--run", dir.string(), "--episodes", "1", "--seed", "1", "--json"});
    INFO(r.err);
    CHECK(r.code == 0);
    fs::remove_all(dir);
}

TEST_CASE("model.json: nA, nS and the policy's actions must be the env's (nA=5 read out of bounds, nA=100 gave garbage)") {
    reproduce("lake8-q", "model.json", [](nlohmann::json& j) { j["nA"] = 5; }, {"model.json: nA = 5 is not allowed", "[4, 4]"});
    reproduce("lake8-q", "model.json", [](nlohmann::json& j) { j["nA"] = 100; }, {"nA = 100"});
    reproduce("lake8-q", "model.json", [](nlohmann::json& j) { j["nS"] = 16; }, {"nS = 16"});
    reproduce("lake8-q", "model.json", [](nlohmann::json& j) { j["policy"][3] = 4; }, {"policy[3] = 4"});
    reproduce("lake8-q", "model.json", [](nlohmann::json& j) { j["policy"].erase(0); }, {"policy", "64"});
    reproduce("lake8-q", "model.json", [](nlohmann::json& j) { j["Q"][2] = {1, 2}; }, {"Q[2]"});
    reproduce("lake8-q", "model.json", [](nlohmann::json& j) { j["V"][0] = "x"; }, {"V[0]"});
    reproduce("lake8-q", "model.json", [](nlohmann::json& j) { j["format"] = "dreamlab-tabular-9"; }, {"format"});
    reproduce("lake8-q", "model.json", [](nlohmann::json& j) { j["extra"] = 1; }, {"extra is not a known field"});
}

TEST_CASE("agent.json conv geometry is checked before anything is built (stride=0 was SIGFPE, pad<0 a heap overflow)") {
    auto conv = [](const char* key, int value) {
        return [=](nlohmann::json& j) { j["actor_conv"][0][key] = value; };
    };
    reproduce("breakout-dqn", "agent.json", conv("stride", 0), {"agent.json: actor_conv[0].stride = 0 is not allowed"});
    reproduce("breakout-dqn", "agent.json", conv("pad", -1), {"actor_conv[0].pad = -1"});
    reproduce("breakout-dqn", "agent.json", conv("stride", 1000000), {"actor_conv[0].stride"});
    reproduce("breakout-dqn", "agent.json", conv("k", 11), {"actor_conv[0].k"});
    reproduce("breakout-dqn", "agent.json", conv("filters", 17), {"actor[0] = 1024 does not match its conv layers' output of 1088"});
    reproduce("breakout-dqn", "agent.json", [](nlohmann::json& j) { j["actor_conv"][0]["extra"] = 1; }, {"actor_conv[0].extra"});
}

TEST_CASE("agent.json action sizes: act_dim=3 for a Pendulum SAC agent wrote past the action; act_dim=0 was accepted") {
    reproduce("pendulum-sac", "agent.json", [](nlohmann::json& j) { j["act_dim"] = 3; }, {"agent.json: actor ends in 2 outputs"});
    reproduce("pendulum-sac", "agent.json", [](nlohmann::json& j) { j["act_dim"] = 0; }, {"act_dim = 0 is not allowed"});
    reproduce("pendulum-sac", "agent.json", [](nlohmann::json& j) { j["action_scale"] = {2.0, 2.0}; }, {"action_scale"});
    reproduce("pendulum-sac", "agent.json", [](nlohmann::json& j) { j["action_scale"] = {0.0}; }, {"action_scale[0] = 0"});
    reproduce("pendulum-sac", "agent.json", [](nlohmann::json& j) { j["obs_dim"] = 1.5; }, {"obs_dim = 1.5"});
    reproduce("pendulum-sac", "agent.json", [](nlohmann::json& j) { j["stochastic"] = "yes"; }, {"stochastic is a string"});
}

TEST_CASE("agent.json layer sizes are compared with the checkpoint before allocating ([4,20000,20000,2] took 1.4 GB)") {
    reproduce("cartpole-ppo", "agent.json", [](nlohmann::json& j) { j["actor"] = {4, 20000, 20000, 2}; },
              {"the networks it declares hold", "agent.ckpt holds"});
    reproduce("cartpole-ppo", "agent.json", [](nlohmann::json& j) { j["actor"] = {4, -64, 2}; }, {"actor[1] = -64"});
    reproduce("cartpole-ppo", "agent.json", [](nlohmann::json& j) { j["actor"] = {4, 2000000000, 2}; }, {"actor[1] = 2000000000"});
    reproduce("cartpole-ppo", "agent.json", [](nlohmann::json& j) { j["actor"] = {4}; }, {"actor"});
    reproduce("cartpole-ppo", "agent.json", [](nlohmann::json& j) { j["n_actions"] = 3; }, {"actor ends in 2 outputs; n_actions is 3"});
    reproduce("cartpole-ppo", "agent.json", [](nlohmann::json& j) { j["kind"] = "oracle"; }, {"kind", "oracle"});
    reproduce("cartpole-dream", "agent.json", [](nlohmann::json& j) { j["model"]["deter"] = 4096; }, {"actor", "deter + stoch"});
    reproduce("cartpole-dream", "agent.json", [](nlohmann::json& j) { j["model"]["hidden"] = 7; }, {"the networks it declares hold"});
    reproduce("cartpole-dream", "agent.json", [](nlohmann::json& j) { j["model"]["obs_std"] = 0; }, {"model.obs_std = 0"});
}

TEST_CASE("JSON nesting is bounded: 150,000 '[' in agent.json is an error, not a stack overflow") {
    const fs::path dir = copy_agent("cartpole-ppo", "nested");
    write_file_atomic(dir / "agent.json", "{\"format\": \"dreamlab-agent-1\", \"kind\": \"policy\", \"actor\": " + std::string(150000, '[') +
                                              std::string(150000, ']') + "}");
    expect_refused(dir, {"agent.json: JSON nested more than"});
    write_file_atomic(dir / "agent.json", "{\"kind\": \"policy\", ");
    expect_refused(dir, {"agent.json is not valid JSON"});
    write_file_atomic(dir / "agent.json", "[1, 2]");
    expect_refused(dir, {"agent.json", "must be a JSON object"});
    fs::remove_all(dir);
    CHECK_THROWS_WITH_AS(parse_json(std::string(100, '[') + std::string(100, ']'), "x.json"), doctest::Contains("nested more than"), ParamError);
    CHECK(parse_json(std::string(20, '[') + std::string(20, ']'), "x.json").is_array());
}

TEST_CASE("an agent is loaded only into the env it was trained on (observation size alone let wrong ones through)") {
    // Played by the `trained` algorithm (what a lesson's load_agent, the GUI's "open a trained agent" and the CLI
    // use) on another env: a CartPole PPO agent in a 2x2 lake (4 numbers either way once one-hot), a 4-action lake
    // table in CartPole, a SAC agent on a lake, a Breakout agent of all 6 actions in a run of the minimal 3.
    auto play_on = [](const std::string& name, std::vector<std::string> env, const std::vector<std::string>& needles) {
        const fs::path out = temp_dir("agentfile-played");
        std::vector<std::string> args = {"train", "--algo", "trained", "--set", "agent=" + (fs::path(agents_dir()) / name).string(),
                                         "--set", "episodes=1", "--out", out.string(), "--quiet"};
        args.insert(args.end(), env.begin(), env.end());
        const Cli r = cli(args);
        INFO(r.err);
        CHECK(r.code != 0);
        for (const std::string& n : needles) CHECK_MESSAGE(r.err.find(n) != std::string::npos, "missing: " << n);
        CHECK_FALSE(fs::exists(out));
    };
    play_on("cartpole-ppo", {"--env", "FrozenLake-v1", "--env-arg", "map=SF/HG"},
            {"trained on CartPole-v1 (observations Box((4,)), actions Discrete(2))", "this run's env is FrozenLake-v1", "run it on CartPole-v1"});
    play_on("lake8-q", {"--env", "CartPole-v1"}, {"learned on FrozenLake8x8-v1", "this run's env is CartPole-v1"});
    play_on("lake8-q", {"--env", "FrozenLake-v1"}, {"learned on FrozenLake8x8-v1 (observations Discrete(64)"});
    play_on("pendulum-sac", {"--env", "FrozenLake-v1"}, {"trained on Pendulum-v1", "FrozenLake-v1"});
    play_on("breakout-dqn", {"--env", "MinAtar/Breakout-v1", "--env-arg", "actions=minimal"},
            {"actions Discrete(6)", "actions Discrete(3)", "use the args the agent was trained with"});
    // The same agents on their own envs play.
    const fs::path out = temp_dir("agentfile-played-ok");
    const Cli ok = cli({"train", "--algo", "trained", "--set", "agent=cartpole-ppo", "--set", "episodes=1", "--env", "CartPole-v1", "--out",
                        out.string(), "--quiet"});
    INFO(ok.err);
    CHECK(ok.code == 0);
    fs::remove_all(out);
    // eval --run of a run whose config.json names another env than its agent's (edited by hand) is refused too.
    const fs::path dir = copy_agent("cartpole-ppo", "otherenv");
    edit_json(dir / "config.json", [](nlohmann::json& c) { c["env"] = {{"id", "FrozenLake-v1"}, {"args", {{"map", "SF/HG"}}}}; });
    expect_refused(dir, {"trained on CartPole-v1", "this run's env is FrozenLake-v1"});
    fs::remove_all(dir);
    // An agent.json without "env" (an older Dreamlab) says so.
    const fs::path old = copy_agent("cartpole-ppo", "noenv");
    edit_json(old / "agent.json", [](nlohmann::json& j) { j.erase("env"); });
    expect_refused(old, {"agent.json: env is missing"});
    fs::remove_all(old);
}

TEST_CASE("checkpoint bytes: sizes in the header are checked against the file before use") {
    const fs::path dir = copy_agent("cartpole-ppo", "ckpt");
    std::string ckpt = read_file(dir / "agent.ckpt");
    // Truncated, and one byte flipped: the checksum refuses both.
    write_file_atomic(dir / "agent.ckpt", ckpt.substr(0, ckpt.size() / 2));
    expect_refused(dir, {"agent.ckpt", "checksum"});
    std::string flipped = ckpt;
    flipped[flipped.size() / 2] ^= 0x20;
    write_file_atomic(dir / "agent.ckpt", flipped);
    expect_refused(dir, {"checksum mismatch"});
    write_file_atomic(dir / "agent.ckpt", "not a checkpoint");
    expect_refused(dir, {"not a Dreamlab checkpoint"});
    fs::remove_all(dir);
}

TEST_CASE("a checkpoint whose weights hold NaN is refused by name, even with a valid checksum") {
    const fs::path dir = copy_agent("cartpole-ppo", "nanweights");
    std::string ckpt = read_file(dir / "agent.ckpt");
    const float nan = NAN;
    std::memcpy(&ckpt[ckpt.size() - 8 - 4], &nan, 4);  // the last float of the last tensor
    const uint64_t sum = fnv1a64(ckpt.data(), ckpt.size() - 8);
    std::memcpy(&ckpt[ckpt.size() - 8], &sum, 8);
    write_file_atomic(dir / "agent.ckpt", ckpt);
    expect_refused(dir, {"agent.ckpt: tensor", "holds NaN or infinity"});
    fs::remove_all(dir);
}
