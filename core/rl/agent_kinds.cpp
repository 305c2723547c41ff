// The registry of agent kinds: every kind of agent that a run can save, and how to load it back. agent.json's
// "kind" picks the entry, so `dreamlab eval --run DIR` loads any deep run without knowing its algorithm. A new kind
// of agent adds one line here (and overrides AgentFn::kind and save).
#include "core/rl/agent.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/json.h"
#include "envs/env.h"
#include "core/nn/layers.h"
#include "core/rl/continuous_agent.h"
#include "core/rl/mlp_agent.h"
#include "core/rl/world_model_agent.h"

namespace dl {

namespace {
constexpr size_t kMaxAgentJsonBytes = size_t(1) << 20;  // an agent.json is a few hundred bytes
}  // namespace

const std::vector<AgentKind>& agent_kinds() {
    static const std::vector<AgentKind> kinds = {
        {"policy", "policy-gradient learners on discrete actions (REINFORCE, A2C, PPO, TRPO)",
         [](const std::string& d) { return std::shared_ptr<AgentFn>(nn::MlpAgent::load(d)); }},
        {"q", "Q-networks (DQN)", [](const std::string& d) { return std::shared_ptr<AgentFn>(nn::MlpAgent::load(d)); }},
        {"continuous", "continuous-action actors and critics (DDPG, TD3, SAC; PPO, A2C, TRPO on Box actions)",
         [](const std::string& d) { return std::shared_ptr<AgentFn>(nn::ContinuousAgent::load(d)); }},
        {"world_model", "world-model learners (dream_ac, dreamer)",
         [](const std::string& d) { return std::shared_ptr<AgentFn>(nn::WorldModelAgent::load(d)); }},
    };
    return kinds;
}

std::shared_ptr<AgentFn> load_agent(const std::string& dir, const EnvSignature& env) {
    const std::string file = dir + "/agent.json";
    std::string kind;
    try {
        const nlohmann::json j = read_json_file(file, kMaxAgentJsonBytes);
        const JsonFields f(j, file);
        if (const std::string format = f.text("format"); format != "dreamlab-agent-1")
            f.fail("format", "= \"" + format + "\" is not a format this build reads (dreamlab-agent-1)");
        kind = f.text("kind");
        require_saved_env(f, env, "agent", "trained");  // the env it was trained on, before anything is built
    } catch (const ParamError& e) {
        throw nn::CheckpointError(e.what());
    }
    std::string known;
    for (const AgentKind& k : agent_kinds()) {
        if (k.kind == kind) return k.load(dir);
        known += (known.empty() ? "" : ", ") + k.kind;
    }
    throw nn::CheckpointError(file + ": kind \"" + kind + "\" is not an agent kind this build knows (" + known + ")");
}

std::shared_ptr<AgentFn> load_agent(const std::string& dir, const std::string& env_id, const Env& env) {
    auto agent = load_agent(dir, env_signature(env_id, env));
    // The loaded networks' sizes against the env's (agent.json could claim one env and hold another's networks).
    const Space actions = env.action_space();
    const std::string file = dir + "/agent.json";
    if (agent->obs_dim != env.obs_dim())
        throw nn::CheckpointError(file + ": the agent reads observations of " + std::to_string(agent->obs_dim) + " numbers; " + env_id +
                                  " gives " + std::to_string(env.obs_dim()));
    if (actions.kind == Space::Discrete && (agent->act_dim != 0 || agent->n_actions != actions.n))
        throw nn::CheckpointError(file + ": the agent chooses among " + std::to_string(agent->n_actions) + " actions; " + env_id +
                                  " has " + std::to_string(actions.n));
    if (actions.kind == Space::Box && agent->act_dim != env.act_dim())
        throw nn::CheckpointError(file + ": the agent outputs " + std::to_string(agent->act_dim) + " action numbers; " + env_id +
                                  " takes " + std::to_string(env.act_dim()));
    return agent;
}

std::string agents_dir() {
    if (const char* env = std::getenv("DREAMLAB_AGENTS")) return env;
#ifdef DREAMLAB_ASSETS_DIR
    if (std::filesystem::is_directory(DREAMLAB_ASSETS_DIR "/agents")) return DREAMLAB_ASSETS_DIR "/agents";
#endif
    return "assets/agents";
}

namespace {
bool holds_agent(const std::filesystem::path& p) {
    std::error_code ec;
    return std::filesystem::exists(p / "agent.json", ec) || std::filesystem::exists(p / "model.json", ec);
}
}  // namespace

std::vector<std::string> pretrained_agents() {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(agents_dir(), ec))
        if (holds_agent(e.path())) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string resolve_agent_dir(const std::string& name_or_path, const std::string& base) {
    namespace fs = std::filesystem;
    fs::path p = name_or_path;
    if (p.is_relative() && !base.empty()) p = fs::path(base) / p;
    if (!name_or_path.empty() && holds_agent(p)) return fs::absolute(p).lexically_normal().string();
    const fs::path shipped = fs::path(agents_dir()) / name_or_path;
    if (!name_or_path.empty() && name_or_path.find('/') == std::string::npos && holds_agent(shipped))
        return fs::absolute(shipped).lexically_normal().string();
    std::string known;
    for (const std::string& n : pretrained_agents()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("no trained agent at " + p.string() +
                                " (a directory with agent.json or model.json, as train --out writes); pretrained agents: " +
                                (known.empty() ? "none found in " + agents_dir() : known));
}

}  // namespace dl
