#include "core/session/run_config.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/json.h"
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

RunConfig config_from_json(const nlohmann::json& j, const std::string& where) {
    // Every key is known, every value of the right type: a typo or a field in the wrong place ("is_slippery" beside
    // "args" instead of in it) is an error naming it, never ignored.
    const JsonFields f(j, where);
    f.only({"format", "env", "algo", "seed"});
    if (f.has("format"))
        if (const std::string format = f.text("format"); format != "dreamlab-run-1")
            f.fail("format", "= \"" + format + "\" is not a format this build reads (dreamlab-run-1)");
    RunConfig c;
    c.seed = uint64_t(f.integer("seed", 0, int64_t(1) << 53));  // as --seed: exact in a double, never negative
    // An args object's values are what --set takes: strings, booleans, numbers; the parameters check them.
    auto args = [&](const JsonFields& part) {
        std::map<std::string, std::string> m;
        if (!part.has("args")) return m;
        const nlohmann::json& a = part.at("args");
        if (!a.is_object()) part.fail("args", "must be an object of name: value (got " + std::string(a.is_null() ? "null" : a.dump()) + ")");
        for (const auto& [k, v] : a.items()) {
            const std::string name = part.name("args") + "." + k;
            if (v.is_string()) m[k] = v.get<std::string>();
            else if (v.is_boolean()) m[k] = v.get<bool>() ? "true" : "false";
            else if (v.is_number_unsigned()) m[k] = std::to_string(v.get<uint64_t>());
            else if (v.is_number_integer()) m[k] = std::to_string(v.get<int64_t>());
            else if (v.is_number_float()) m[k] = format_number(v.get<double>());
            else throw ParamError(name + " is " + (v.is_null() ? std::string("null") : v.is_array() ? "an array" : "an object") +
                                  ": expected a string, a number or true/false");
        }
        return m;
    };
    const JsonFields env = f.object("env"), algo = f.object("algo");
    env.only({"id", "args"}), algo.only({"id", "args"});
    c.env_id = env.text("id");
    c.algo_id = algo.text("id");
    c.env_args = args(env);
    c.algo_args = args(algo);
    try {
        validate_config(c);
    } catch (const ParamError& e) {
        throw ParamError(where + ": " + e.what());
    }
    return c;
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
