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
struct BenchOptions {
    bool json = false;               // table to stderr, one JSON line to stdout
    bool quick = false;              // smaller budgets
    std::vector<std::string> only;   // section names (or prefixes before '_'); empty = all
    std::string only_text;           // as given, for messages
};
int run_bench(const BenchOptions& opt, std::ostream& out, std::ostream& err);

extern const char* kUsage;

}  // namespace dl
