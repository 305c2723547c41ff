// The registry of agent kinds: every kind of agent that a run can save, and how to load it back. agent.json's
// "kind" picks the entry, so `dreamlab eval --run DIR` loads any deep run without knowing its algorithm. A new kind
// of agent adds one line here (and overrides AgentFn::kind and save).
#include "core/rl/agent.h"

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "core/nn/layers.h"
#include "core/rl/continuous_agent.h"
#include "core/rl/mlp_agent.h"
#include "core/rl/world_model_agent.h"

namespace dl {

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

std::shared_ptr<AgentFn> load_agent(const std::string& dir) {
    const std::string file = dir + "/agent.json";
    std::string kind;
    try {
        const auto j = nlohmann::json::parse(read_file(file));
        kind = j.at("kind").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
        throw nn::CheckpointError(file + " is malformed: " + e.what());
    }
    std::string known;
    for (const AgentKind& k : agent_kinds()) {
        if (k.kind == kind) return k.load(dir);
        known += (known.empty() ? "" : ", ") + k.kind;
    }
    throw nn::CheckpointError(file + ": kind \"" + kind + "\" is not an agent kind this build knows (" + known + ")");
}

}  // namespace dl
