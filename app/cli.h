// The headless subcommands: list, train, eval, bench. Kept apart from the GUI so tests run them in-process.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace dl {

// Runs `dreamlab <args...>` (args exclude the program name). Returns the process exit code:
// 0 success, 2 bad usage or bad value, 1 runtime failure (I/O), 3 training diverged (NaN; the run is saved up to there).
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

// Option values as the CLI, the GUI and `render` read them: the whole text must be the value, so "800x600junk",
// "2.5" for a count and "" are refused. Each throws std::invalid_argument with the message for the user
// ("--frames=2.5 is not allowed: expected an integer in [1, 10000000]").
int64_t parse_integer_option(const std::string& name, const std::string& value, int64_t lo, int64_t hi);
double parse_number_option(const std::string& name, const std::string& value, double lo, double hi);
struct Size {
    int width = 0, height = 0;
};
Size parse_size_option(const std::string& name, const std::string& value, Size min, Size max);

}  // namespace dl
