#include "core/session/run_config.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/algos/registry.h"
#include "envs/registry.h"

namespace dl {

// [SECTION] RunConfig

nlohmann::json config_to_json(const RunConfig& c) {
    auto env_args_full = make_env_args(c.env_id, c.env_args);
    auto algo_args_full = make_algo_args(c.algo_id, c.algo_args);
    return {{"format", "dreamlab-run-1"},
            {"env", {{"id", c.env_id}, {"args", params_to_json(*env_args_full)}}},
            {"algo", {{"id", c.algo_id}, {"args", params_to_json(*algo_args_full)}}},
            {"seed", c.seed}};
}

RunConfig config_from_json(const nlohmann::json& j) {
    try {
        RunConfig c;
        c.env_id = j.at("env").at("id").get<std::string>();
        c.algo_id = j.at("algo").at("id").get<std::string>();
        c.seed = j.at("seed").get<uint64_t>();
        auto to_map = [](const nlohmann::json& args) {
            std::map<std::string, std::string> m;
            for (const auto& [k, v] : args.items())
                m[k] = v.is_string() ? v.get<std::string>()
                       : v.is_boolean() ? (v.get<bool>() ? "true" : "false")
                       : v.is_number_integer() ? std::to_string(v.get<int64_t>())
                                               : format_number(v.get<double>());
            return m;
        };
        c.env_args = to_map(j.at("env").at("args"));
        c.algo_args = to_map(j.at("algo").at("args"));
        validate_config(c);
        return c;
    } catch (const nlohmann::json::exception& e) {
        throw ParamError(std::string("config.json is malformed: ") + e.what());
    }
}

void validate_config(const RunConfig& c) {
    make_env_args(c.env_id, c.env_args);
    make_algo_args(c.algo_id, c.algo_args);
    const AlgoInfo& algo = find_algo(c.algo_id);
    auto env = make_env(c.env_id, *make_env_args(c.env_id, c.env_args));
    if (algo.tabular && !env->tabular())
        throw ParamError("algorithm " + c.algo_id + " needs a tabular environment (Discrete states); " + c.env_id +
                         " is not one");
    const Space actions = env->action_space();
    if (actions.kind == Space::Box && !algo.box_actions) {
        std::string able;
        for (const AlgoInfo& a : algo_registry())
            if (a.box_actions) able += (able.empty() ? "" : ", ") + a.id;
        char range[96];
        std::snprintf(range, sizeof range, "%d number(s) in [%g, %g]", actions.shape.empty() ? 0 : actions.shape[0],
                      actions.low.empty() ? 0.0 : double(actions.low[0]), actions.high.empty() ? 0.0 : double(actions.high[0]));
        throw ParamError("algorithm " + c.algo_id + " needs discrete actions; " + c.env_id + " takes continuous ones (" + range +
                         "): " + (able.empty() ? "no algorithm for continuous actions is implemented yet" : "use one of " + able));
    }
    if (actions.kind == Space::Discrete && !algo.discrete_actions)
        throw ParamError("algorithm " + c.algo_id + " needs continuous (Box) actions; " + c.env_id + " has " +
                         std::to_string(actions.n) + " discrete ones");
}

}  // namespace dl
