#include "base/json.h"

#include <cmath>
#include <cstdio>

#include "base/files.h"
#include "base/params.h"

namespace dl {

nlohmann::json parse_json(const std::string& text, const std::string& what) {
    // The parser itself keeps its stack on the heap; the callback stops it before the tree is deeper than we
    // can copy and destroy recursively.
    auto bounded = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
        if ((event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start) &&
            depth >= kMaxJsonDepth)
            throw ParamError(what + ": JSON nested more than " + std::to_string(kMaxJsonDepth) + " levels deep is not allowed");
        return true;
    };
    try {
        return nlohmann::json::parse(text, bounded);
    } catch (const nlohmann::json::exception& e) {
        throw ParamError(what + " is not valid JSON: " + e.what());
    }
}

nlohmann::json read_json_file(const std::filesystem::path& file, size_t max_bytes) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (!ec && size > max_bytes)
        throw ParamError(file.string() + " is " + std::to_string(size) + " bytes: more than the " + std::to_string(max_bytes) +
                         " a file of this kind may hold");
    return parse_json(read_file(file), file.string());
}

namespace {
std::string shown(const nlohmann::json& v) {
    std::string s = v.dump();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}
const char* type_of(const nlohmann::json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "a boolean";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_array()) return "an array";
    return "an object";
}
}  // namespace

int64_t json_integer(const nlohmann::json& v, const std::string& name, int64_t lo, int64_t hi) {
    const std::string expected = "expected an integer in " + range_text(lo, hi);
    if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        if (u <= uint64_t(INT64_MAX) && int64_t(u) >= lo && int64_t(u) <= hi) return int64_t(u);
    } else if (v.is_number_integer()) {
        const int64_t i = v.get<int64_t>();
        if (i >= lo && i <= hi) return i;
    } else if (v.is_number_float()) {
        const double d = v.get<double>();
        // 3.0 is an integer; 2.5 and 1e30 are not (casting 1e30 to an integer is undefined behaviour).
        if (std::isfinite(d) && d == std::floor(d) && d >= double(lo) && d <= double(hi)) return int64_t(d);
    } else {
        throw ParamError(name + " is " + type_of(v) + " (" + shown(v) + "): " + expected);
    }
    throw ParamError(name + " = " + shown(v) + " is not allowed: " + expected);
}

JsonFields::JsonFields(const nlohmann::json& j, std::string where, std::string path)
    : j_(j), where_(std::move(where)), path_(std::move(path)) {
    if (!j_.is_object())
        throw ParamError(where_ + ": " + (path_.empty() ? std::string("the file") : path_) + " must be a JSON object, not " + type_of(j_) +
                         " (" + shown(j_) + ")");
}

std::string JsonFields::name(const char* key) const { return where_ + ": " + path_ + (path_.empty() ? "" : ".") + key; }

void JsonFields::fail(const char* key, const std::string& why) const { throw ParamError(name(key) + " " + why); }

bool JsonFields::has(const char* key) const { return j_.contains(key); }

const nlohmann::json& JsonFields::at(const char* key) const {
    const auto it = j_.find(key);
    if (it == j_.end()) fail(key, "is missing");
    return *it;
}

int64_t JsonFields::integer(const char* key, int64_t lo, int64_t hi) const { return json_integer(at(key), name(key), lo, hi); }
int64_t JsonFields::integer(const char* key, int64_t lo, int64_t hi, int64_t def) const {
    return has(key) ? integer(key, lo, hi) : def;
}

double JsonFields::number(const char* key, double lo, double hi) const {
    const nlohmann::json& v = at(key);
    if (!v.is_number()) fail(key, "is " + std::string(type_of(v)) + " (" + shown(v) + "): expected a number in " + range_text(lo, hi));
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) fail(key, "= " + shown(v) + " is not allowed: expected a number in " + range_text(lo, hi));
    return d;
}
double JsonFields::number(const char* key, double lo, double hi, double def) const { return has(key) ? number(key, lo, hi) : def; }

bool JsonFields::flag(const char* key) const {
    const nlohmann::json& v = at(key);
    if (!v.is_boolean()) fail(key, "is " + std::string(type_of(v)) + " (" + shown(v) + "): expected true or false");
    return v.get<bool>();
}
bool JsonFields::flag(const char* key, bool def) const { return has(key) ? flag(key) : def; }

std::string JsonFields::text(const char* key) const {
    const nlohmann::json& v = at(key);
    if (!v.is_string()) fail(key, "is " + std::string(type_of(v)) + " (" + shown(v) + "): expected a string");
    return v.get<std::string>();
}

std::string JsonFields::choice(const char* key, const std::vector<std::string>& allowed) const {
    const std::string s = text(key);
    std::string list;
    for (const std::string& a : allowed) {
        if (a == s) return s;
        list += (list.empty() ? "" : ", ") + a;
    }
    fail(key, "= \"" + s + "\" is not allowed: expected one of " + list);
}

std::vector<int> JsonFields::ints(const char* key, size_t min_len, size_t max_len, int lo, int hi) const {
    const nlohmann::json& v = at(key);
    if (!v.is_array() || v.size() < min_len || v.size() > max_len)
        fail(key, "= " + shown(v) + " is not allowed: expected an array of " + std::to_string(min_len) + " to " + std::to_string(max_len) +
                      " integers in " + range_text(int64_t(lo), int64_t(hi)));
    std::vector<int> out;
    for (size_t i = 0; i < v.size(); ++i) out.push_back(int(json_integer(v[i], name(key) + "[" + std::to_string(i) + "]", lo, hi)));
    return out;
}

std::vector<double> json_numbers(const nlohmann::json& v, const std::string& name, size_t min_len, size_t max_len, double lo, double hi) {
    if (!v.is_array() || v.size() < min_len || v.size() > max_len)
        throw ParamError(name + " = " + shown(v) + " is not allowed: expected an array of " + std::to_string(min_len) + " to " +
                         std::to_string(max_len) + " numbers in " + range_text(lo, hi));
    std::vector<double> out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_number() || !std::isfinite(v[i].get<double>()) || v[i].get<double>() < lo || v[i].get<double>() > hi)
            throw ParamError(name + "[" + std::to_string(i) + "] = " + shown(v[i]) + " is not allowed: expected a number in " + range_text(lo, hi));
        out.push_back(v[i].get<double>());
    }
    return out;
}

std::vector<double> JsonFields::numbers(const char* key, size_t min_len, size_t max_len, double lo, double hi) const {
    return json_numbers(at(key), name(key), min_len, max_len, lo, hi);
}

JsonFields JsonFields::object(const char* key) const { return JsonFields(at(key), where_, path_ + (path_.empty() ? "" : ".") + key); }
JsonFields JsonFields::item(const char* key, size_t i) const {
    const nlohmann::json& a = at(key);
    if (!a.is_array() || i >= a.size()) fail(key, "has no element " + std::to_string(i));
    return JsonFields(a[i], where_, path_ + (path_.empty() ? "" : ".") + key + "[" + std::to_string(i) + "]");
}

void JsonFields::only(std::initializer_list<const char*> keys) const {
    for (const auto& [k, v] : j_.items()) {
        bool ok = false;
        for (const char* a : keys) ok = ok || k == a;
        if (ok) continue;
        std::string list;
        for (const char* a : keys) list += (list.empty() ? "" : ", ") + std::string(a);
        throw ParamError(where_ + ": " + path_ + (path_.empty() ? "" : ".") + k + " is not a known field here (known: " + list + ")");
    }
}

}  // namespace dl
