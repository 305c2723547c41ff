#include "core/session/toml_fields.h"

#include "base/params.h"
#include "core/algos/registry.h"
#include "core/rl/agent.h"
#include "core/session/run_config.h"
#include "envs/registry.h"

namespace dl {

std::string value_text(const Where& w, const toml::node* n, const std::string& field) {
    if (n->is_string()) return std::string(**n->as_string());
    if (n->is_boolean()) return **n->as_boolean() ? "true" : "false";
    if (n->is_integer()) return std::to_string(**n->as_integer());
    if (n->is_floating_point()) return format_number(**n->as_floating_point());
    w.fail(n, field, "expected a number, true/false or a string");
}

std::map<std::string, std::string> args_of(const Where& w, const toml::node* n, const std::string& field,
                                           std::map<std::string, const toml::node*>& nodes) {
    std::map<std::string, std::string> m;
    if (!n) return m;
    for (auto&& [k, v] : w.table(n, field)) {
        const std::string name(k.str());
        m[name] = value_text(w, &v, field + "." + name);
        nodes[name] = &v;
    }
    return m;
}

RunConfig parse_run(const Where& w, const toml::table& t, const std::string& field, const std::filesystem::path& base) {
    w.only(t, field, {"env", "algo", "seed"});
    RunConfig c;
    const toml::node* env = get(t, "env");
    const toml::node* algo = get(t, "algo");
    if (!env) w.fail(&t, field, "missing env (env.id = \"FrozenLake-v1\", env.args = { … })");
    if (!algo) w.fail(&t, field, "missing algo (algo.id = \"q_learning\", algo.args = { … })");
    const toml::table& et = w.table(env, field + ".env");
    const toml::table& at = w.table(algo, field + ".algo");
    w.only(et, field + ".env", {"id", "args"});
    w.only(at, field + ".algo", {"id", "args"});
    if (!get(et, "id")) w.fail(env, field + ".env.id", "missing");
    if (!get(at, "id")) w.fail(algo, field + ".algo.id", "missing");
    c.env_id = w.text(get(et, "id"), field + ".env.id");
    c.algo_id = w.text(get(at, "id"), field + ".algo.id");
    try {
        find_env(c.env_id);
    } catch (const ParamError& e) {
        w.fail(get(et, "id"), field + ".env.id", e.what());
    }
    try {
        find_algo(c.algo_id);
    } catch (const ParamError& e) {
        w.fail(get(at, "id"), field + ".algo.id", e.what());
    }
    std::map<std::string, const toml::node*> env_nodes, algo_nodes;
    c.env_args = args_of(w, get(et, "args"), field + ".env.args", env_nodes);
    c.algo_args = args_of(w, get(at, "args"), field + ".algo.args", algo_nodes);
    // Each argument alone first, so the error points at its line; then the whole config (env and algorithm fit).
    for (const auto& [k, v] : c.env_args) try {
            make_env_args(c.env_id, {{k, v}});
        } catch (const std::exception& e) {
            w.fail(env_nodes[k], field + ".env.args." + k, e.what());
        }
    for (const auto& [k, v] : c.algo_args) try {
            make_algo_args(c.algo_id, {{k, v}});
        } catch (const std::exception& e) {
            w.fail(algo_nodes[k], field + ".algo.args." + k, e.what());
        }
    // A trained agent's directory is relative to the lesson file (or the name of a pretrained one).
    if (c.algo_id == "trained" && c.algo_args.count("agent")) try {
            c.algo_args["agent"] = resolve_agent_dir(c.algo_args["agent"], base.string());
        } catch (const std::invalid_argument& e) {
            w.fail(algo_nodes["agent"], field + ".algo.args.agent", e.what());
        }
    if (const toml::node* s = get(t, "seed")) c.seed = uint64_t(w.integer(s, field + ".seed", 0, int64_t(1) << 53));
    try {
        validate_config(c);
    } catch (const std::exception& e) {
        w.fail(&t, field, e.what());
    }
    return c;
}

std::string toml_quoted(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\', o += c;
        else if (c == '\n') o += "\\n";
        else o += c;
    }
    return o + "\"";
}

std::string toml_inline_args(const std::map<std::string, std::string>& m) {
    std::string s = "{";
    bool first = true;
    for (const auto& [k, v] : m) {
        s += std::string(first ? " " : ", ") + k + " = " + toml_quoted(v);
        first = false;
    }
    return s + (m.empty() ? "}" : " }");
}


}  // namespace dl
