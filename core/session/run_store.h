// runs/<name>/ on disk:
//   config.json   everything needed to reproduce the run (env id + every arg, algo id + every arg, seed)
//   metrics.csv   one row per episode (learners) or sweep (planners): episode, env_step, update, then every
//                 logged series. No wall-clock column, so the same seed and config give a byte-identical file.
//   model.json    the learned table: V, Q, π(a|s), and the greedy policy (lowest action among ties)
//   agent.json + agent.ckpt   deep learners: the networks' architecture and weights (checksummed)
//   summary.json  wall time, counters, throughput
#pragma once
#include <filesystem>
#include <vector>

#include "core/rl/run.h"
#include "core/rl/tabular.h"  // TabularModelFile, load_tabular_model (model.json)

namespace dl {

// Writes a finished run's files into `dir` (each atomically).
void save_run(const std::filesystem::path& dir, RunContext& ctx, const std::string& stopped_by = "");
RunConfig load_run_config(const std::filesystem::path& dir);       // DIR/config.json; throws IoError / ParamError
RunConfig load_config_file(const std::filesystem::path& file);     // any config.json (train --config)

}  // namespace dl
