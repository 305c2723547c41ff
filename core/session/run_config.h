// A RunConfig as a file: its JSON form (config.json of a run directory, every argument resolved, defaults
// included, so the file alone reproduces the run) and its validation against the env and algorithm registries.
#pragma once
#include <nlohmann/json_fwd.hpp>

#include "core/rl/run.h"

namespace dl {

nlohmann::json config_to_json(const RunConfig& c);
RunConfig config_from_json(const nlohmann::json& j);  // throws ParamError on bad content
// Throws ParamError naming the first bad id, name or value, or an env the algorithm cannot act in.
void validate_config(const RunConfig& c);

}  // namespace dl
