#include "core/session/run_store.h"

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/json.h"
#include "core/algos/registry.h"
#include "core/rl/tabular.h"
#include "core/session/run_config.h"
#include "envs/registry.h"

namespace dl {

namespace fs = std::filesystem;

void save_run(const fs::path& dir, RunContext& ctx, const std::string& stopped_by) {
    const Snapshot snap = ctx.snapshot_now();
    write_file_atomic(dir / "config.json", config_to_json(ctx.config()).dump(2) + "\n");
    write_file_atomic(dir / "metrics.csv", ctx.metrics().to_csv());
    // What the table or the networks were learned on: loading them into any other env is refused.
    const RunConfig& c = ctx.config();
    const auto made = snap.env ? nullptr : make_env(c.env_id, *make_env_args(c.env_id, c.env_args));
    const EnvSignature trained_on = env_signature(c.env_id, snap.env ? *snap.env : *made);
    const TabularView& t = snap.tab;
    if (t.nS > 0) {
        nlohmann::json m = {{"format", "dreamlab-tabular-1"}, {"env", to_json(trained_on)}, {"nS", t.nS}, {"nA", t.nA}, {"V", t.v}};
        nlohmann::json q = nlohmann::json::array(), pi = nlohmann::json::array();
        for (int s = 0; s < t.nS; ++s) {
            if (!t.q.empty()) q.push_back(std::vector<double>(t.q.begin() + size_t(s) * t.nA, t.q.begin() + size_t(s + 1) * t.nA));
            if (!t.pi.empty()) pi.push_back(std::vector<double>(t.pi.begin() + size_t(s) * t.nA, t.pi.begin() + size_t(s + 1) * t.nA));
        }
        m["Q"] = q;
        m["pi"] = pi;
        // Greedy action per state: from Q where there is one, else from π (policy-gradient learners).
        m["policy"] = greedy_policy(t.q.empty() ? t.pi : t.q, t.nS, t.nA);
        write_file_atomic(dir / "model.json", m.dump() + "\n");
    }
    if (snap.agent) snap.agent->save(dir.string(), trained_on);  // deep learners: agent.json (its kind) + agent.ckpt
    nlohmann::json summary = {{"env_steps", snap.env_steps},
                                    {"episodes", snap.episodes},
                                    {"updates", snap.updates},
                                    {"wall_s", snap.wall_s},
                                    {"env_steps_per_s", snap.wall_s > 0 ? double(snap.env_steps) / snap.wall_s : 0.0}};
    if (!stopped_by.empty()) summary["stopped_by"] = stopped_by;  // why the run ended early (it diverged)
    if (const auto& t = ctx.timeline()) {
        summary["checkpoints"] = t->size();
        summary["checkpoint_bytes"] = t->bytes_used();
    }
    write_file_atomic(dir / "summary.json", summary.dump(2) + "\n");
    if (!ctx.markers().empty()) {
        nlohmann::json m = nlohmann::json::array();
        for (const Marker& k : ctx.markers()) m.push_back({{"row", k.row}, {"text", k.text}});
        write_file_atomic(dir / "markers.json", m.dump(1) + "\n");
    }
    if (const auto& t = ctx.timeline()) {
        const auto states = t->states();
        if (!states.empty()) fs::create_directories(dir / "checkpoints");
        for (const auto& s : states) {
            char name[40];
            std::snprintf(name, sizeof name, "units-%012lld.state", static_cast<long long>(s->units));
            save_training_state(dir / "checkpoints" / name, *s);
        }
        if (!states.empty()) fsync_dir(dir / "checkpoints");
    }
}

void save_branch_origin(const fs::path& dir, const BranchOrigin& o) {
    nlohmann::json j = {{"parent", o.parent}, {"units", o.units}, {"env_steps", o.env_steps}, {"changes", o.changes}};
    write_file_atomic(dir / "branch.json", j.dump(2) + "\n");
}

StoredRun open_run(const fs::path& dir) {
    StoredRun r;
    r.dir = dir;
    r.cfg = load_run_config(dir);
    const fs::path csv = dir / "metrics.csv";
    if (!fs::exists(csv)) throw IoError(csv.string() + " does not exist: not a finished run directory");
    if (fs::file_size(csv) > (size_t(1) << 31)) throw IoError(csv.string() + " is larger than 2 GiB");
    r.metrics = MetricsTable::from_csv(read_file(csv), csv.string());
    const fs::path markers = dir / "markers.json";
    if (fs::exists(markers)) {
        const nlohmann::json m = read_json_file(markers);
        if (!m.is_array()) throw ParamError(markers.string() + ": expected an array of {row, text}");
        for (size_t i = 0; i < m.size(); ++i) {
            std::string at = "[";  // appended piecewise: GCC 12's false -Wrestrict on "[" + std::string (its bug 105329)
            at += std::to_string(i);
            at += "]";
            JsonFields f(m[i], markers.string(), at);
            f.only({"row", "text"});
            r.markers.push_back({f.integer("row", 0, int64_t(r.metrics.size())), f.text("text")});
        }
    }
    r.checkpoints = list_training_states(dir);
    if (fs::exists(dir / "summary.json")) {
        const nlohmann::json s = read_json_file(dir / "summary.json");
        JsonFields f(s, (dir / "summary.json").string());
        const bool planner = find_algo(r.cfg.algo_id).planner;
        r.final_units = f.integer(planner ? "updates" : "env_steps", 0, int64_t(1) << 62, 0);
    }
    const fs::path branch = dir / "branch.json";
    if (fs::exists(branch)) {
        const nlohmann::json b = read_json_file(branch);
        JsonFields f(b, branch.string());
        f.only({"parent", "units", "env_steps", "changes"});
        BranchOrigin o;
        o.parent = f.text("parent");
        o.units = f.integer("units", 0, int64_t(1) << 62);
        o.env_steps = f.integer("env_steps", 0, int64_t(1) << 62);
        const nlohmann::json& ch = f.at("changes");
        if (!ch.is_object()) f.fail("changes", "must be an object of name: value");
        for (const auto& [k, v] : ch.items()) {
            if (!v.is_string()) f.fail("changes", "the value of " + k + " must be a string");
            o.changes[k] = v.get<std::string>();
        }
        r.origin = o;
    }
    return r;
}

RunConfig load_config_file(const fs::path& file) {
    return config_from_json(read_json_file(file, size_t(1) << 20), file.string());  // a config is a few KB
}

RunConfig load_run_config(const fs::path& dir) {
    if (!fs::is_directory(dir)) throw IoError("run directory " + dir.string() + " does not exist");
    return load_config_file(dir / "config.json");
}

}  // namespace dl
