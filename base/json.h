// JSON read from disk is hostile until every field is checked. parse_json bounds the nesting (150,000 `[` would
// otherwise overflow the stack in the first recursive copy or destruction) and the size; JsonFields reads one
// object's fields by name with their type and range, and every refusal names the file, the field's path, the value
// and what was expected:
//
//     JsonFields f(j, "runs/a/agent.json");
//     const int n = int(f.integer("n_actions", 1, 1024));        // "runs/a/agent.json: n_actions = 0 is not allowed: …"
//     const auto sizes = f.ints("actor", 2, 16, 1, 1 << 20);
//     f.only({"format", "kind", "n_actions", "actor"});           // any other key is refused, by name
#pragma once
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dl {

constexpr int kMaxJsonDepth = 64;                  // objects and arrays nested deeper are refused
constexpr size_t kMaxJsonBytes = size_t(256) << 20;  // a JSON file of ours is never near this

// Parses `text` (from `what`, a file name for the messages). Throws ParamError naming `what`.
nlohmann::json parse_json(const std::string& text, const std::string& what);
// Reads and parses a file, refusing one over max_bytes before reading it. Throws IoError (cannot read) or ParamError.
nlohmann::json read_json_file(const std::filesystem::path& file, size_t max_bytes = kMaxJsonBytes);

// The fields of one JSON object. `where` prefixes every message (the file, then the path to this object).
class JsonFields {
public:
    // Keeps a reference to j: j must outlive the JsonFields (never a temporary).
    // Throws ParamError unless j is an object.
    JsonFields(const nlohmann::json& j, std::string where, std::string path = "");
    JsonFields(nlohmann::json&& j, std::string where, std::string path = "") = delete;
    bool has(const char* key) const;
    const nlohmann::json& at(const char* key) const;  // required; throws naming the missing key
    // Typed reads of a required key (or, with a default, an optional one). Integers must be integral JSON numbers
    // (3, or 3.0; never 2.5, never 1e30); reals must be finite.
    int64_t integer(const char* key, int64_t lo, int64_t hi) const;
    int64_t integer(const char* key, int64_t lo, int64_t hi, int64_t def) const;
    double number(const char* key, double lo, double hi) const;
    double number(const char* key, double lo, double hi, double def) const;
    bool flag(const char* key) const;
    bool flag(const char* key, bool def) const;
    std::string text(const char* key) const;
    std::string choice(const char* key, const std::vector<std::string>& allowed) const;
    // An array of integers, each in [lo, hi], of length in [min_len, max_len].
    std::vector<int> ints(const char* key, size_t min_len, size_t max_len, int lo, int hi) const;
    std::vector<double> numbers(const char* key, size_t min_len, size_t max_len, double lo, double hi) const;
    // A nested object's fields (required), and the fields of the object at key[i] (an array's element).
    JsonFields object(const char* key) const;
    JsonFields item(const char* key, size_t i) const;
    // Refuses any key not listed, naming it and the allowed ones.
    void only(std::initializer_list<const char*> keys) const;
    const std::string& where() const { return where_; }  // the file, for messages about the object as a whole
    // "file: path.key" for messages of the caller's own checks.
    std::string name(const char* key) const;
    [[noreturn]] void fail(const char* key, const std::string& why) const;

private:
    const nlohmann::json& j_;
    std::string where_, path_;
};

// One JSON value as an integer in [lo, hi]; `name` is used in the message. Throws ParamError.
int64_t json_integer(const nlohmann::json& v, const std::string& name, int64_t lo, int64_t hi);
// One JSON value as an array of [min_len, max_len] finite numbers, each in [lo, hi]. Throws ParamError.
std::vector<double> json_numbers(const nlohmann::json& v, const std::string& name, size_t min_len, size_t max_len, double lo, double hi);

}  // namespace dl
