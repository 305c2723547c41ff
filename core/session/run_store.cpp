#include "core/session/run_store.h"

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "core/rl/tabular.h"
#include "core/session/run_config.h"

namespace dl {

namespace fs = std::filesystem;

void save_run(const fs::path& dir, RunContext& ctx) {
    const Snapshot snap = ctx.snapshot_now();
    write_file_atomic(dir / "config.json", config_to_json(ctx.config()).dump(2) + "\n");
    write_file_atomic(dir / "metrics.csv", ctx.metrics().to_csv());
    const TabularView& t = snap.tab;
    if (t.nS > 0) {
        nlohmann::json m = {{"format", "dreamlab-tabular-1"}, {"nS", t.nS}, {"nA", t.nA}, {"V", t.v}};
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
    if (snap.agent) snap.agent->save(dir.string());  // deep learners: agent.json (its kind) + agent.ckpt
    const nlohmann::json summary = {{"env_steps", snap.env_steps},
                                    {"episodes", snap.episodes},
                                    {"updates", snap.updates},
                                    {"wall_s", snap.wall_s},
                                    {"env_steps_per_s", snap.wall_s > 0 ? double(snap.env_steps) / snap.wall_s : 0.0}};
    write_file_atomic(dir / "summary.json", summary.dump(2) + "\n");
}

RunConfig load_config_file(const fs::path& file) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_file(file));
    } catch (const nlohmann::json::exception& e) {
        throw ParamError(file.string() + " is not valid JSON: " + e.what());
    }
    return config_from_json(j);
}

RunConfig load_run_config(const fs::path& dir) {
    if (!fs::is_directory(dir)) throw IoError("run directory " + dir.string() + " does not exist");
    return load_config_file(dir / "config.json");
}

}  // namespace dl
