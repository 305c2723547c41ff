// The headless subcommands: list, train, eval, bench. Kept apart from the GUI so tests run them in-process.
#pragma once
#include <algorithm>
#include <cstdint>
#include <iosfwd>
#include <stdexcept>
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
    std::string compare;             // a saved `bench --json` line: each figure printed beside it (ratio, better/worse)
    std::string peer_rltools;        // a folder with RLtools' peer_td3 and peer_sac (scripts/peers/): timed beside ours
};
int run_bench(const BenchOptions& opt, std::ostream& out, std::ostream& err);

extern const char* kUsage;

// Bad usage: run_cli prints the message and the usage, exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A tiny option reader (every subcommand): "--name value" pairs, repeated "--env-arg"/"--set", and boolean switches.
class Options {
public:
    Options(const std::vector<std::string>& args, size_t from, std::vector<std::string> valued,
            std::vector<std::string> switches) {
        for (size_t i = from; i < args.size(); ++i) {
            const std::string& a = args[i];
            std::string name = a, value;
            const auto eq = a.find('=');
            if (a.rfind("--", 0) == 0 && eq != std::string::npos) name = a.substr(0, eq), value = a.substr(eq + 1);
            if (std::find(switches.begin(), switches.end(), name) != switches.end()) {
                flags_.push_back(name);
            } else if (std::find(valued.begin(), valued.end(), name) != valued.end()) {
                if (eq == std::string::npos || a.rfind("--", 0) != 0) {
                    if (i + 1 >= args.size()) throw UsageError("option " + name + " needs a value");
                    value = args[++i];
                }
                values_.push_back({name, value});
            } else {
                std::string known;
                for (const auto& v : valued) known += " " + v;
                for (const auto& s : switches) known += " " + s;
                throw UsageError("unknown option '" + a + "'; this command takes:" + known);
            }
        }
    }
    bool has(const std::string& n) const {
        for (const auto& [k, v] : values_)
            if (k == n) return true;
        return std::find(flags_.begin(), flags_.end(), n) != flags_.end();
    }
    std::string get(const std::string& n, const std::string& def = {}) const {
        for (auto it = values_.rbegin(); it != values_.rend(); ++it)
            if (it->first == n) return it->second;
        return def;
    }
    std::vector<std::string> all(const std::string& n) const {
        std::vector<std::string> r;
        for (const auto& [k, v] : values_)
            if (k == n) r.push_back(v);
        return r;
    }

private:
    std::vector<std::pair<std::string, std::string>> values_;
    std::vector<std::string> flags_;
};


// Option values as the CLI, the GUI and `render` read them: the whole text must be the value, so "800x600junk",
// "2.5" for a count and "" are refused. Each throws std::invalid_argument with the message for the user
// ("--frames=2.5 is not allowed: expected an integer in [1, 10000000]").
int64_t parse_integer_option(const std::string& name, const std::string& value, int64_t lo, int64_t hi);
double parse_number_option(const std::string& name, const std::string& value, double lo, double hi);
struct Size {
    int width = 0, height = 0;
};
Size parse_size_option(const std::string& name, const std::string& value, Size min, Size max);

// An integer option of a subcommand; a bad value is a UsageError (exit code 2) naming it and the allowed range.
int64_t count_option(const std::string& name, const std::string& value, int64_t lo, int64_t hi);

}  // namespace dl
