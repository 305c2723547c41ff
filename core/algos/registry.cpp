#include "core/algos/registry.h"

namespace dl {

const std::vector<AlgoInfo>& algo_registry() {
    static const std::vector<AlgoInfo> algos = {
        value_iteration_info(), policy_iteration_info(), mc_control_info(), sarsa_info(),
        expected_sarsa_info(),  q_learning_info(),       sarsa_lambda_info(), dyna_q_info(),
        reinforce_info(),        actor_critic_info(),     a2c_info(),
        ppo_info(),              dqn_info(),              dream_ac_info(),         dreamer_info(),
        sac_info(),              td3_info(),              ddpg_info(),             trpo_info(),
        trained_info(),
    };
    return algos;
}

const AlgoInfo& find_algo(const std::string& id) {
    std::string known;
    for (const auto& a : algo_registry()) {
        if (a.id == id) return a;
        known += (known.empty() ? "" : ", ") + a.id;
    }
    throw ParamError("unknown algorithm '" + id + "': known algorithms are " + known);
}

std::unique_ptr<ArgsBase> make_algo_args(const std::string& id, const std::map<std::string, std::string>& overrides) {
    auto a = find_algo(id).make_args();
    for (const auto& [k, v] : overrides) {
        try {
            set_param(*a, k, v);
        } catch (const ParamError& e) {
            throw ParamError("algorithm " + id + ": " + e.what());
        }
    }
    try {
        a->check();
    } catch (const ParamError& e) {
        throw ParamError("algorithm " + id + ": " + e.what());
    }
    return a;
}

}  // namespace dl
