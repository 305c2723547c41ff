// Running the CLI in-process from a test: its exit code and what it printed.
#pragma once
#include <filesystem>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "app/cli.h"

namespace dl::test {

struct Cli {
    int code;
    std::string out, err;
};
inline Cli cli(std::vector<std::string> args) {
    std::ostringstream o, e;
    const int code = run_cli(args, o, e);
    return {code, o.str(), e.str()};
}
// A fresh (removed) path under the temp directory, unique to this process.
inline std::filesystem::path temp_dir(const std::string& name) {
    std::filesystem::path p = std::filesystem::temp_directory_path() / ("dreamlab-test-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(p);
    return p;
}

}  // namespace dl::test
