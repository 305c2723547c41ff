#include "base/params.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

namespace dl {

std::string format_number(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char buf[40];
    for (int prec = 6; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (std::strtod(buf, nullptr) == x) break;
    }
    return buf;
}

std::string range_text(double lo, double hi) {
    // Appended piecewise: GCC 12 gives a false -Wrestrict on "[" + std::string (its bug 105329).
    std::string r = "[";
    r += format_number(lo);
    r += ", ";
    r += format_number(hi);
    r += "]";
    return r;
}

std::string range_text(int64_t lo, int64_t hi) {
    std::string r = "[";
    r += std::to_string(lo);
    r += ", ";
    r += std::to_string(hi);
    r += "]";
    return r;
}

namespace {

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

bool parse_double(const std::string& s, double& out) {
    if (s.empty()) return false;
    errno = 0;
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size() && errno == 0 && std::isfinite(out);
}

bool parse_int(const std::string& s, int64_t& out) {
    double d;
    if (!parse_double(s, d) || d != std::floor(d) || std::fabs(d) > 9e15) return false;  // accepts 1e4
    out = int64_t(d);
    return true;
}

bool parse_bool(const std::string& s, bool& out) {
    if (s == "true" || s == "1" || s == "yes" || s == "on") return out = true, true;
    if (s == "false" || s == "0" || s == "no" || s == "off") return out = false, true;
    return false;
}

// Collects specs.
struct Describer : ParamVisitor {
    std::vector<ParamSpec> specs;
    void real(const char* n, double& v, double lo, double hi, const char* doc, Apply a, bool log_scale) override {
        specs.push_back({n, ParamType::Real, lo, hi, {}, doc, a, format_number(v), log_scale});
    }
    void integer(const char* n, int64_t& v, int64_t lo, int64_t hi, const char* doc, Apply a) override {
        specs.push_back({n, ParamType::Integer, double(lo), double(hi), {}, doc, a, std::to_string(v)});
    }
    void flag(const char* n, bool& v, const char* doc, Apply a) override {
        specs.push_back({n, ParamType::Flag, 0, 1, {}, doc, a, v ? "true" : "false"});
    }
    void choice(const char* n, std::string& v, const std::vector<std::string>& o, const char* doc, Apply a) override {
        specs.push_back({n, ParamType::Choice, 0, 0, o, doc, a, v});
    }
    void text(const char* n, std::string& v, const char* doc, Apply a) override {
        specs.push_back({n, ParamType::Text, 0, 0, {}, doc, a, v});
    }
};

// Sets one named parameter from text, validating it.
struct Setter : ParamVisitor {
    const std::string& name;
    const std::string& value;
    bool found = false;
    Setter(const std::string& n, const std::string& v) : name(n), value(v) {}

    [[noreturn]] void fail(const std::string& allowed) {
        throw ParamError(name + "=" + (value.empty() ? "''" : value) + " is not allowed: expected " + allowed);
    }
    void real(const char* n, double& v, double lo, double hi, const char*, Apply, bool) override {
        if (name != n) return;
        found = true;
        double d;
        if (!parse_double(value, d)) fail("a number in " + range_text(lo, hi));
        if (d < lo || d > hi) fail("a number in " + range_text(lo, hi));
        v = d;
    }
    void integer(const char* n, int64_t& v, int64_t lo, int64_t hi, const char*, Apply) override {
        if (name != n) return;
        found = true;
        int64_t i;
        const std::string r = "an integer in " + range_text(lo, hi);
        if (!parse_int(value, i) || i < lo || i > hi) fail(r);
        v = i;
    }
    void flag(const char* n, bool& v, const char*, Apply) override {
        if (name != n) return;
        found = true;
        if (!parse_bool(value, v)) fail("true or false");
    }
    void choice(const char* n, std::string& v, const std::vector<std::string>& o, const char*, Apply) override {
        if (name != n) return;
        found = true;
        for (const auto& c : o)
            if (c == value) return void(v = value);
        fail("one of " + join(o));
    }
    void text(const char* n, std::string& v, const char*, Apply) override {
        if (name != n) return;
        found = true;
        v = value;
    }
};

}  // namespace

std::vector<ParamSpec> describe(ArgsBase& a) {
    Describer d;
    a.visit(d);
    return std::move(d.specs);
}

void set_param(ArgsBase& a, const std::string& name, const std::string& value) {
    Setter s(name, value);
    a.visit(s);
    if (!s.found) {
        std::vector<std::string> names;
        for (const auto& spec : describe(a)) names.push_back(spec.name);
        throw ParamError("unknown parameter '" + name + "': known parameters are " + join(names));
    }
}

std::string get_param(ArgsBase& a, const std::string& name) {
    for (const auto& spec : describe(a))
        if (spec.name == name) return spec.default_value;  // describe() reports current values
    throw ParamError("unknown parameter '" + name + "'");
}

void set_params(ArgsBase& a, const std::map<std::string, std::string>& values) {
    for (const auto& [k, v] : values) set_param(a, k, v);
}

nlohmann::json params_to_json(ArgsBase& a) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& s : describe(a)) {
        switch (s.type) {
            case ParamType::Real: j[s.name] = std::strtod(s.default_value.c_str(), nullptr); break;
            case ParamType::Integer: j[s.name] = std::stoll(s.default_value); break;
            case ParamType::Flag: j[s.name] = s.default_value == "true"; break;
            default: j[s.name] = s.default_value;
        }
    }
    return j;
}

void params_from_json(ArgsBase& a, const nlohmann::json& j) {
    if (!j.is_object()) throw ParamError("expected a JSON object of parameters, got " + j.dump());
    for (const auto& [k, v] : j.items()) {
        if (v.is_string()) set_param(a, k, v.get<std::string>());
        else if (v.is_boolean()) set_param(a, k, v.get<bool>() ? "true" : "false");
        else if (v.is_number_integer()) set_param(a, k, std::to_string(v.get<int64_t>()));
        else if (v.is_number()) set_param(a, k, format_number(v.get<double>()));
        else throw ParamError("parameter '" + k + "' has an unsupported JSON value " + v.dump());
    }
}

}  // namespace dl
