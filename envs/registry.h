// The environment registry: versioned ids (Gymnasium's names) → argument struct with that id's defaults
// → a constructed env. `dreamlab list` and the GUI's environment picker read it.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/params.h"
#include "envs/env.h"

namespace dl {

struct EnvInfo {
    std::string id;
    std::string summary;
    std::function<std::unique_ptr<ArgsBase>()> make_args;          // defaults for this id
    std::function<std::unique_ptr<Env>(const ArgsBase&)> make;     // builds from (validated) args
};

const std::vector<EnvInfo>& env_registry();
// Throws ParamError listing the known ids when `id` is unknown.
const EnvInfo& find_env(const std::string& id);
// Builds args for `id` with `overrides` applied (each validated) — throws ParamError on bad input.
std::unique_ptr<ArgsBase> make_env_args(const std::string& id, const std::map<std::string, std::string>& overrides);
std::unique_ptr<Env> make_env(const std::string& id, const ArgsBase& args);

}  // namespace dl
