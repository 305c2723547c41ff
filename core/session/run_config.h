// A RunConfig as a file: its JSON form (config.json of a run directory, every argument resolved, defaults
// included, so the file alone reproduces the run) and its validation against the env and algorithm registries.
#pragma once
#include <nlohmann/json_fwd.hpp>

#include "core/rl/run.h"

namespace dl {

nlohmann::json config_to_json(const RunConfig& c);
// Every key known, every value typed and in range, the config valid; throws ParamError naming `where` and the key.
RunConfig config_from_json(const nlohmann::json& j, const std::string& where = "config.json");
// Throws ParamError naming the first bad id, name or value, or an env the algorithm cannot act in.
void validate_config(const RunConfig& c);

}  // namespace dl
