#include "core/session/run_store.h"

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/json.h"
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
    write_file_atomic(dir / "summary.json", summary.dump(2) + "\n");
}

RunConfig load_config_file(const fs::path& file) {
    return config_from_json(read_json_file(file, size_t(1) << 20), file.string());  // a config is a few KB
}

RunConfig load_run_config(const fs::path& dir) {
    if (!fs::is_directory(dir)) throw IoError("run directory " + dir.string() + " does not exist");
    return load_config_file(dir / "config.json");
}

}  // namespace dl
