// Reading a hand-written TOML file (a lesson, a sweep) as hostile input: every value is checked for its type and
// range, and every refusal names the file, the line and the field ("lessons/x.toml:12: runs[0].algo.args.gamma: …").
// Shared by core/session/lesson.cpp and core/session/sweep.cpp; the error type is the caller's (LessonError,
// SweepError), passed as `raise`.
#pragma once
#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>

#include <toml++/toml.h>

#include "base/params.h"
#include "core/rl/run.h"

namespace dl {

struct Where {
    const std::string& file;
    void (*raise)(const std::string& message);  // throws: never returns
    [[noreturn]] void fail(const toml::node* n, const std::string& field, const std::string& what) const {
        const int line = n ? int(n->source().begin.line) : 0;
        raise(file + ":" + std::to_string(line) + ": " + field + ": " + what);
        throw std::logic_error("Where::raise returned");
    }
    // Refuses keys a table may not have, listing the ones it may.
    void only(const toml::table& t, const std::string& field, std::initializer_list<const char*> allowed) const {
        for (auto&& [k, v] : t) {
            bool ok = false;
            for (const char* a : allowed) ok = ok || k.str() == a;
            if (ok) continue;
            std::string list;
            for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
            fail(&v, field.empty() ? std::string(k.str()) : field + "." + std::string(k.str()),
                 "unknown key; allowed here: " + list);
        }
    }
    std::string text(const toml::node* n, const std::string& field) const {
        if (!n->is_string()) fail(n, field, "expected a string in quotes");
        return std::string(**n->as_string());
    }
    int64_t integer(const toml::node* n, const std::string& field, int64_t lo, int64_t hi) const {
        if (!n->is_integer()) fail(n, field, "expected a whole number in " + range_text(lo, hi));
        const int64_t v = **n->as_integer();
        if (v < lo || v > hi) fail(n, field, std::to_string(v) + " is outside " + range_text(lo, hi));
        return v;
    }
    double number(const toml::node* n, const std::string& field) const {
        if (n->is_integer()) return double(**n->as_integer());
        if (n->is_floating_point() && std::isfinite(**n->as_floating_point())) return **n->as_floating_point();
        fail(n, field, "expected a finite number");
    }
    bool flag(const toml::node* n, const std::string& field) const {
        if (!n->is_boolean()) fail(n, field, "expected true or false");
        return **n->as_boolean();
    }
    const toml::table& table(const toml::node* n, const std::string& field) const {
        if (!n->is_table()) fail(n, field, "expected a table ({ key = value, … } or a [section])");
        return *n->as_table();
    }
};

// A hyperparameter or env argument as the text the declared parameters parse (numbers shortest, flags as words).
std::string value_text(const Where& w, const toml::node* n, const std::string& field);
// A table of arguments (`args = { gamma = 0.99 }`) as name → text; `nodes` receives each value's node (its line).
std::map<std::string, std::string> args_of(const Where& w, const toml::node* n, const std::string& field,
                                           std::map<std::string, const toml::node*>& nodes);
inline const toml::node* get(const toml::table& t, const char* key) { return t.get(key); }
// A run's table: env.id, env.args, algo.id, algo.args and seed, each argument checked alone (the error points at
// its line) and then the whole config. A trained agent's directory is relative to `base` (the file's folder).
RunConfig parse_run(const Where& w, const toml::table& t, const std::string& field, const std::filesystem::path& base);

// Writing TOML: a string in double quotes with its escapes, and a table of arguments on one line
// ({ alpha = "0.5", gamma = "0.99" }: values as text, which the declared parameters parse back).
std::string toml_quoted(const std::string& s);
std::string toml_inline_args(const std::map<std::string, std::string>& m);

}  // namespace dl
