// Hyperparameters and environment arguments, declared once.
//
// A struct lists its fields with their defaults (plain C++ initialisers), and one visit() function names
// each field with its range, a one-line doc and whether a change applies now or needs a restart:
//
//     struct QLearningArgs : Args<QLearningArgs> {
//         double alpha = 0.1;  // step size
//         void visit(ParamVisitor& v) override {
//             v.real("alpha", alpha, 0.0, 1.0, "step size of the TD update", Apply::Now);
//         }
//     };
//
// That single declaration drives the GUI controls, `--set name=value`, config.json, `dreamlab list` and
// validation (every rejected value names itself and the allowed range).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dl {

// When a change made during a run takes effect.
// When a changed value takes effect. Now: at the running agent's next step (a live change). Restart: only when the
// run starts again (it shaped what the run built). Length: the run's length (total_timesteps, episodes): set at the
// start like Restart, but a branch or a resumed run may change it (training goes on for longer or stops sooner).
enum class Apply { Now, Restart, Length };

// A rejected value, an unknown name, a malformed file: the message says what was wrong and what is allowed.
struct ParamError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class ParamType { Real, Integer, Flag, Choice, Text };

// A read-only description of one declared parameter (what `dreamlab list` prints and the GUI draws).
struct ParamSpec {
    std::string name;
    ParamType type = ParamType::Real;
    double lo = 0, hi = 0;                // Real and Integer ranges (inclusive)
    std::vector<std::string> choices;     // Choice
    std::string doc;
    Apply apply = Apply::Restart;
    std::string default_value;            // as text
    bool log_scale = false;               // a hint for sliders (step sizes, rates)
};

class ParamVisitor {
public:
    virtual ~ParamVisitor() = default;
    virtual void real(const char* name, double& v, double lo, double hi, const char* doc, Apply apply,
                      bool log_scale = false) = 0;
    virtual void integer(const char* name, int64_t& v, int64_t lo, int64_t hi, const char* doc, Apply apply) = 0;
    virtual void flag(const char* name, bool& v, const char* doc, Apply apply) = 0;
    virtual void choice(const char* name, std::string& v, const std::vector<std::string>& options,
                        const char* doc, Apply apply) = 0;
    // Free text validated by its consumer (e.g. a map's rows); the consumer's error names the value.
    virtual void text(const char* name, std::string& v, const char* doc, Apply apply) = 0;
};

// Base of every declared-parameter struct. Args<T> supplies clone(); T supplies visit().
struct ArgsBase {
    virtual ~ArgsBase() = default;
    virtual void visit(ParamVisitor& v) = 0;
    // Constraints between fields that no single range can say (a batch no larger than the buffer, a budget of at
    // least one rollout): throws ParamError naming every field involved and their values. Checked whenever a set
    // of values is complete (make_algo_args, make_env_args), so the CLI, config files, lessons and the GUI all
    // refuse the same nonsense before a run starts.
    virtual void check() const {}
    virtual std::unique_ptr<ArgsBase> clone() const = 0;
};
template <class T>
struct Args : ArgsBase {
    std::unique_ptr<ArgsBase> clone() const override { return std::make_unique<T>(static_cast<const T&>(*this)); }
};

// Operations every declared struct gets for free.
std::vector<ParamSpec> describe(ArgsBase& a);
// Parses and validates `value` for parameter `name`; throws ParamError naming the value and what is allowed.
void set_param(ArgsBase& a, const std::string& name, const std::string& value);
// Current value as text (round-trips through set_param).
std::string get_param(ArgsBase& a, const std::string& name);
// Applies every entry of `values`; the first bad one throws.
void set_params(ArgsBase& a, const std::map<std::string, std::string>& values);
nlohmann::json params_to_json(ArgsBase& a);
void params_from_json(ArgsBase& a, const nlohmann::json& j);

// Formats a double so it parses back to the same value, shortest form first ("0.1", not "0.10000000000000001").
std::string format_number(double x);
// "[lo, hi]" with format_number's shortest forms.
std::string range_text(double lo, double hi);
std::string range_text(int64_t lo, int64_t hi);  // integers printed in full, never as 1e+06

}  // namespace dl
