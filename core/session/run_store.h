// runs/<name>/ on disk:
//   config.json   everything needed to reproduce the run (env id + every arg, algo id + every arg, seed)
//   metrics.csv   one row per episode (learners) or sweep (planners): episode, env_step, update, then every
//                 logged series. No wall-clock column, so the same seed and config give a byte-identical file.
//   model.json    the learned table: V, Q, π(a|s), and the greedy policy (lowest action among ties)
//   agent.json + agent.ckpt   deep learners: the networks' architecture and weights (checksummed)
//   summary.json  wall time, counters, throughput
//   markers.json  live hyperparameter changes and branch points, each at its metrics row (when there are any)
//   checkpoints/units-NNNNNNNNNNNN.state   the timeline: the whole training state at those units (core/rl/timeline.h)
//   branch.json   a run resumed or branched from another: which, where, and what changed
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "core/rl/run.h"
#include "core/rl/tabular.h"  // TabularModelFile, load_tabular_model (model.json)

namespace dl {

// Writes a finished run's files into `dir` (each atomically).
void save_run(const std::filesystem::path& dir, RunContext& ctx, const std::string& stopped_by = "");
RunConfig load_run_config(const std::filesystem::path& dir);       // DIR/config.json; throws IoError / ParamError
RunConfig load_config_file(const std::filesystem::path& file);     // any config.json (train --config)

// Where a resumed or branched run came from (branch.json).
struct BranchOrigin {
    std::string parent;     // the parent run's directory
    int64_t units = 0;      // the checkpoint's units (env steps, episodes or updates: the timeline's unit)
    int64_t env_steps = 0;
    std::map<std::string, std::string> changes;  // hyperparameters changed at the branch point
};

// A run as it lies on disk, every file checked: what the GUI's File → Open run and `train --resume` read.
struct StoredRun {
    std::filesystem::path dir;
    RunConfig cfg;
    MetricsTable metrics;
    std::vector<Marker> markers;
    std::map<int64_t, std::filesystem::path> checkpoints;  // by units
    std::optional<BranchOrigin> origin;
    int64_t final_units = 0;  // where it ended, in its algorithm's step unit (summary.json: env steps, or sweeps)
};
StoredRun open_run(const std::filesystem::path& dir);  // throws IoError / ParamError
void save_branch_origin(const std::filesystem::path& dir, const BranchOrigin& o);

}  // namespace dl
