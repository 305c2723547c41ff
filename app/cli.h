// The headless subcommands: list, train, eval, bench. Kept apart from the GUI so tests run them in-process.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace dl {

// Runs `dreamlab <args...>` (args exclude the program name). Returns the process exit code:
// 0 success, 2 bad usage or bad value, 1 runtime failure (I/O).
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Benchmarks (app/bench.cpp).
int run_bench(bool json, bool quick, std::ostream& out, std::ostream& err);

extern const char* kUsage;

}  // namespace dl
