// The algorithm registry: one entry per file in core/algos/, listed explicitly in registry.cpp (no static
// initialisers that a linker could drop).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/params.h"
#include "core/rl/run.h"

namespace dl {

struct AlgoInfo {
    std::string id;        // e.g. "q_learning"
    std::string title;     // e.g. "Q-learning"
    std::string summary;   // one line for `dreamlab list` and the GUI
    bool tabular = true;   // needs a DiscreteEnv (deep learners take any env with Discrete actions)
    bool planner = false;  // uses the exact model and no env steps (DP)
    bool box_actions = false;      // acts in continuous (Box) action spaces
    bool discrete_actions = true;  // acts in Discrete action spaces
    Tick step_unit = Tick::EnvStep;  // what one "step" of the speed limit is
    bool ticks_updates = false;      // calls ctx.tick(Tick::Update) (sweeps, or a deep learner's updates)
    std::string update_means;        // what one Update tick is, for the GUI's Update button ("one sweep", …)
    bool learns = true;              // false for `trained`: a saved agent that only plays
    std::function<std::unique_ptr<ArgsBase>()> make_args;
    std::function<void(ArgsBase&, RunContext&)> run;
};

enum class AlgoKind { Planner, Tabular, Deep };

// Helper that builds an entry from an Args type and its run function.
template <class A>
AlgoInfo make_algo_info(std::string id, std::string title, std::string summary, AlgoKind kind,
                        void (*run)(A&, RunContext&)) {
    AlgoInfo info;
    info.id = std::move(id);
    info.title = std::move(title);
    info.summary = std::move(summary);
    const bool planner = kind == AlgoKind::Planner;
    info.planner = planner;
    info.tabular = kind != AlgoKind::Deep;
    info.ticks_updates = kind != AlgoKind::Tabular;
    info.step_unit = planner ? Tick::Update : Tick::EnvStep;
    info.update_means = planner ? "one sweep over the states" : kind == AlgoKind::Deep ? "one rollout and its optimisation" : "";
    info.make_args = [] { return std::unique_ptr<ArgsBase>(std::make_unique<A>()); };
    info.run = [run](ArgsBase& a, RunContext& ctx) { run(static_cast<A&>(a), ctx); };
    return info;
}

const std::vector<AlgoInfo>& algo_registry();
const AlgoInfo& find_algo(const std::string& id);  // throws ParamError listing the known ids
std::unique_ptr<ArgsBase> make_algo_args(const std::string& id, const std::map<std::string, std::string>& overrides);

// Each algorithm file defines one of these.
AlgoInfo value_iteration_info();
AlgoInfo policy_iteration_info();
AlgoInfo mc_control_info();
AlgoInfo sarsa_info();
AlgoInfo expected_sarsa_info();
AlgoInfo q_learning_info();
AlgoInfo sarsa_lambda_info();
AlgoInfo dyna_q_info();
AlgoInfo sac_info();
AlgoInfo td3_info();
AlgoInfo ddpg_info();
AlgoInfo trpo_info();
AlgoInfo ppo_info();
AlgoInfo dream_ac_info();
AlgoInfo dreamer_info();
AlgoInfo dqn_info();
AlgoInfo a2c_info();
AlgoInfo trained_info();
AlgoInfo reinforce_info();
AlgoInfo actor_critic_info();

}  // namespace dl
