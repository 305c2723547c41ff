#include "core/session/sweep.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "base/files.h"
#include "base/json.h"
#include "base/rng.h"
#include "core/algos/registry.h"
#include "core/session/run_config.h"
#include "core/session/run_store.h"
#include "core/session/session.h"
#include "core/session/toml_fields.h"
#include "envs/registry.h"

namespace dl {

// [SECTION] Sweep

std::string SweepAxis::describe() const {
    switch (kind) {
        case List: {
            std::string r = "[";
            for (size_t i = 0; i < values.size(); ++i) r += (i ? ", " : "") + values[i];
            return r + "]";
        }
        case Uniform:
        case LogUniform: {
            std::string r = std::string(kind == Uniform ? "uniform(" : "log_uniform(") + format_number(lo) + ", " + format_number(hi);
            return r + (points ? ", " + std::to_string(points) : "") + ")";
        }
        case IntRange: return "int_range(" + std::to_string(int64_t(lo)) + ", " + std::to_string(int64_t(hi)) + ")";
    }
    return "";
}

int64_t sweep_trial_count(const Sweep& s) { return int64_t(s.configs.size()) * int64_t(s.seeds.size()); }

std::vector<SweepTrial> sweep_trials(const Sweep& s) {
    std::vector<SweepTrial> out;
    out.reserve(size_t(sweep_trial_count(s)));
    const int width = std::max(3, int(std::to_string(s.configs.empty() ? 0 : s.configs.size() - 1).size()));
    for (size_t c = 0; c < s.configs.size(); ++c)
        for (uint64_t seed : s.seeds) {
            std::string index = std::to_string(c);
            index.insert(0, size_t(std::max(0, width - int(index.size()))), '0');
            out.push_back({int(out.size()), int(c), seed, "c" + index + "-s" + std::to_string(seed)});
        }
    return out;
}

RunConfig trial_config(const Sweep& s, const SweepTrial& t) {
    RunConfig c = s.base;
    const auto& values = s.configs.at(size_t(t.config));
    for (size_t a = 0; a < s.axes.size(); ++a)
        (s.axes[a].env_arg() ? c.env_args : c.algo_args)[s.axes[a].param()] = values[a];
    c.seed = t.seed;
    return c;
}

std::string config_label(const Sweep& s, int config) {
    std::string r;
    for (size_t a = 0; a < s.axes.size(); ++a) r += (a ? " " : "") + s.axes[a].name + "=" + s.configs.at(size_t(config))[a];
    return r.empty() ? "base" : r;
}

namespace {

[[noreturn]] void raise_sweep(const std::string& m) { throw SweepError(m); }

// The declared parameter an axis varies (its type, range and whether it is a step size drawn on a log axis).
ParamSpec axis_spec(const RunConfig& base, const std::string& axis) {
    const bool env = axis.rfind("env.", 0) == 0;
    const std::string name = env ? axis.substr(4) : axis;
    auto args = env ? make_env_args(base.env_id, base.env_args) : make_algo_args(base.algo_id, base.algo_args);
    std::string known;
    for (const ParamSpec& p : describe(*args)) {
        if (p.name == name) return p;
        known += (known.empty() ? "" : ", ") + (env ? "env." : std::string()) + p.name;
    }
    throw SweepError(std::string(env ? "env " + base.env_id : "algorithm " + base.algo_id) + " has no parameter " + name +
                     (env ? "" : " (an env argument is written env.NAME)") + "; it has: " + known);
}

// A value drawn or placed on a range, as the parameter's text: integers rounded, reals to 4 significant digits
// (sampled values read as 0.0003127, not 0.00031268471930256).
std::string range_value(const ParamSpec& p, double x) {
    if (p.type == ParamType::Integer) return std::to_string(int64_t(std::llround(x)));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", x);
    return format_number(std::strtod(buf, nullptr));
}

// "log_uniform(1e-5, 1e-2)", "uniform(0.1, 0.3, 5)", "int_range(1, 8)".
void parse_range(const Where& w, const toml::node* n, const std::string& field, SweepAxis& ax) {
    const std::string text = w.text(n, field);
    const auto open = text.find('('), close = text.rfind(')');
    const std::string forms = "expected a list of values, or \"uniform(lo, hi)\", \"log_uniform(lo, hi)\" (add a third "
                              "number for a grid's count of points) or \"int_range(lo, hi)\"";
    if (open == std::string::npos || close != text.size() - 1) w.fail(n, field, "\"" + text + "\": " + forms);
    const std::string fn = text.substr(0, open);
    if (fn == "uniform") ax.kind = SweepAxis::Uniform;
    else if (fn == "log_uniform") ax.kind = SweepAxis::LogUniform;
    else if (fn == "int_range") ax.kind = SweepAxis::IntRange;
    else w.fail(n, field, "\"" + fn + "\" is not a range: " + forms);
    std::vector<double> nums;
    std::stringstream in(text.substr(open + 1, close - open - 1));
    for (std::string part; std::getline(in, part, ',');) {
        while (!part.empty() && part.front() == ' ') part.erase(part.begin());
        while (!part.empty() && part.back() == ' ') part.pop_back();
        char* end = nullptr;
        const double v = part.empty() ? NAN : std::strtod(part.c_str(), &end);
        if (!end || *end || !std::isfinite(v)) w.fail(n, field, "\"" + part + "\" in \"" + text + "\" is not a finite number");
        nums.push_back(v);
    }
    const size_t want_max = ax.kind == SweepAxis::IntRange ? 2 : 3;
    if (nums.size() < 2 || nums.size() > want_max)
        w.fail(n, field, "\"" + text + "\" needs " + (want_max == 2 ? "2 numbers (lo, hi)" : "2 or 3 numbers (lo, hi[, points])"));
    ax.lo = nums[0], ax.hi = nums[1];
    if (!(ax.lo < ax.hi)) w.fail(n, field, "\"" + text + "\": lo must be below hi");
    if (ax.kind == SweepAxis::LogUniform && ax.lo <= 0) w.fail(n, field, "\"" + text + "\": log_uniform needs lo > 0");
    if (ax.kind == SweepAxis::IntRange && (ax.lo != std::floor(ax.lo) || ax.hi != std::floor(ax.hi)))
        w.fail(n, field, "\"" + text + "\": int_range takes whole numbers");
    if (ax.kind == SweepAxis::IntRange && ax.hi - ax.lo >= 100000) w.fail(n, field, "\"" + text + "\": more than 100000 values");
    if (nums.size() == 3) {
        if (nums[2] != std::floor(nums[2]) || nums[2] < 2 || nums[2] > 1000)
            w.fail(n, field, "\"" + text + "\": the count of points must be a whole number in [2, 1000]");
        ax.points = int(nums[2]);
    }
}

// The values of an axis in a grid (in order), or one drawn at random.
std::vector<std::string> grid_values(const SweepAxis& ax, const ParamSpec& p) {
    if (ax.kind == SweepAxis::List) return ax.values;
    std::vector<std::string> v;
    if (ax.kind == SweepAxis::IntRange) {
        for (int64_t i = int64_t(ax.lo); i <= int64_t(ax.hi); ++i) v.push_back(std::to_string(i));
        return v;
    }
    for (int i = 0; i < ax.points; ++i) {
        const double t = double(i) / double(ax.points - 1);
        const double x = ax.kind == SweepAxis::Uniform ? ax.lo + t * (ax.hi - ax.lo)
                                                       : std::exp(std::log(ax.lo) + t * (std::log(ax.hi) - std::log(ax.lo)));
        const std::string s = range_value(p, x);
        if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);  // an integer range can round two to one
    }
    return v;
}

std::string draw_value(const SweepAxis& ax, const ParamSpec& p, Rng& rng) {
    switch (ax.kind) {
        case SweepAxis::List: return ax.values[rng.below(uint32_t(ax.values.size()))];
        case SweepAxis::IntRange: return std::to_string(int64_t(ax.lo) + int64_t(rng.below(uint32_t(ax.hi - ax.lo + 1))));
        case SweepAxis::Uniform: return range_value(p, ax.lo + rng.uniform() * (ax.hi - ax.lo));
        case SweepAxis::LogUniform:
            return range_value(p, std::exp(std::log(ax.lo) + rng.uniform() * (std::log(ax.hi) - std::log(ax.lo))));
    }
    return "";
}

// Each value alone against its declared parameter (so the error is about that value), then every configuration
// whole: the cross-field checks (a batch no larger than the buffer …) and the env/algorithm fit.
void check_configs(const Sweep& s, bool yes, const std::function<void(const std::string&)>& fail) {
    if (int64_t(s.configs.size()) * int64_t(s.seeds.size()) > kSweepMaxTrials)
        fail(std::to_string(int64_t(s.configs.size()) * int64_t(s.seeds.size())) + " trials: more than the " +
             std::to_string(kSweepMaxTrials) + " a sweep may have");
    const int64_t n = sweep_trial_count(s);
    if (n > kSweepTrialsWithoutYes && !yes)
        fail(std::to_string(s.configs.size()) + " configurations x " + std::to_string(s.seeds.size()) + " seeds = " + std::to_string(n) +
             " trials; more than " + std::to_string(kSweepTrialsWithoutYes) + " need --yes (check the axes first)");
    std::set<std::string> seen;
    for (const SweepTrial& t : sweep_trials(s)) {
        if (t.seed != s.seeds.front()) continue;  // a configuration is valid or not whatever its seed
        try {
            validate_config(trial_config(s, t));
        } catch (const std::exception& e) {
            fail("configuration " + std::to_string(t.config) + " (" + config_label(s, t.config) + "): " + e.what());
        }
    }
}

}  // namespace

Sweep parse_sweep(const std::string& text, const std::string& name, bool yes) {
    const Where w{name, raise_sweep};
    toml::table root;
    try {
        root = toml::parse(text, name);
    } catch (const toml::parse_error& e) {
        throw SweepError(name + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
    }
    w.only(root, "", {"title", "description", "metric", "base", "design", "axes"});
    Sweep s;
    s.file = name;
    if (const toml::node* t = get(root, "title")) s.title = w.text(t, "title");
    if (const toml::node* d = get(root, "description")) s.description = w.text(d, "description");
    if (const toml::node* m = get(root, "metric")) {
        s.metric = w.text(m, "metric");
        try {
            parse_metric(s.metric);
        } catch (const SweepError& e) {
            w.fail(m, "metric", e.what());
        }
    }
    // The base run: a table like a lesson's [[runs]], or a path to a run's config.json (relative to this file).
    const std::filesystem::path folder = std::filesystem::path(name).parent_path();
    const toml::node* base = get(root, "base");
    if (!base) throw SweepError(name + ":1: base: missing ([base] with env.id and algo.id, or base = \"run/config.json\")");
    if (base->is_string()) {
        std::filesystem::path p = **base->as_string();
        if (p.is_relative()) p = folder / p;
        if (std::filesystem::is_directory(p)) p /= "config.json";
        try {
            s.base = load_config_file(p);
        } catch (const std::exception& e) {
            w.fail(base, "base", e.what());
        }
    } else {
        s.base = parse_run(w, w.table(base, "base"), "base", folder);
    }

    // The design: grid or random, and the seeds.
    const toml::node* design = get(root, "design");
    if (!design) throw SweepError(name + ":1: design: missing ([design] with kind = \"grid\" or \"random\" and seeds)");
    const toml::table& d = w.table(design, "design");
    w.only(d, "design", {"kind", "samples", "seed", "seeds"});
    const std::string kind = get(d, "kind") ? w.text(get(d, "kind"), "design.kind") : "grid";
    if (kind != "grid" && kind != "random") w.fail(get(d, "kind"), "design.kind", "\"" + kind + "\" is not a design; allowed: grid, random");
    s.random = kind == "random";
    if (s.random) {
        if (!get(d, "samples")) w.fail(design, "design.samples", "missing: a random design draws this many configurations");
        s.samples = w.integer(get(d, "samples"), "design.samples", 1, kSweepMaxTrials);
        if (const toml::node* seed = get(d, "seed")) s.design_seed = uint64_t(w.integer(seed, "design.seed", 0, int64_t(1) << 53));
    } else {
        if (get(d, "samples")) w.fail(get(d, "samples"), "design.samples", "only a random design draws samples; a grid runs every combination");
        if (get(d, "seed")) w.fail(get(d, "seed"), "design.seed", "only a random design has a seed (the trials' seeds are `seeds`)");
    }
    const toml::node* seeds = get(d, "seeds");
    if (!seeds) w.fail(design, "design.seeds", "missing: seeds = 5 (seeds 1..5) or a list, seeds = [1, 7, 42]");
    if (seeds->is_integer()) {
        const int64_t n = w.integer(seeds, "design.seeds", 1, 1000);
        for (int64_t i = 1; i <= n; ++i) s.seeds.push_back(uint64_t(i));
    } else if (seeds->is_array()) {
        const toml::array& a = *seeds->as_array();
        if (a.empty()) w.fail(seeds, "design.seeds", "an empty list: give at least one seed");
        if (a.size() > 1000) w.fail(seeds, "design.seeds", "more than 1000 seeds");
        for (const toml::node& v : a) {
            const uint64_t x = uint64_t(w.integer(&v, "design.seeds", 0, int64_t(1) << 53));
            if (std::find(s.seeds.begin(), s.seeds.end(), x) != s.seeds.end())
                w.fail(&v, "design.seeds", std::to_string(x) + " is listed twice");
            s.seeds.push_back(x);
        }
    } else {
        w.fail(seeds, "design.seeds", "expected a count (seeds = 5) or a list of seeds ([1, 7, 42])");
    }

    // The axes, in the file's order.
    std::vector<ParamSpec> specs;
    std::vector<const toml::node*> axis_nodes;
    if (const toml::node* axes = get(root, "axes")) {
        const toml::table& at = w.table(axes, "axes");
        std::vector<std::pair<const toml::node*, std::string>> ordered;
        for (auto&& [k, v] : at) {
            // `env.map_name = […]` is TOML for a table env = { map_name = […] }: each of its keys is an env argument.
            if (k.str() == "env" && v.is_table()) {
                for (auto&& [ek, ev] : *v.as_table()) ordered.push_back({&ev, "env." + std::string(ek.str())});
                continue;
            }
            ordered.push_back({&v, std::string(k.str())});
        }
        std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
            const auto pa = a.first->source().begin, pb = b.first->source().begin;
            return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
        });
        if (ordered.size() > 16) w.fail(axes, "axes", std::to_string(ordered.size()) + " axes: at most 16");
        for (const auto& [node, key] : ordered) {
            const std::string field = "axes." + key;
            SweepAxis ax;
            ax.name = key;
            ParamSpec p;
            try {
                p = axis_spec(s.base, key);
            } catch (const std::exception& e) {
                w.fail(node, field, e.what());
            }
            if (p.type == ParamType::Text) w.fail(node, field, key + " is free text: it cannot be an axis");
            ax.numeric = p.type == ParamType::Real || p.type == ParamType::Integer;
            if (node->is_array()) {
                const toml::array& a = *node->as_array();
                if (a.empty()) w.fail(node, field, "an empty axis: give at least one value");
                if (a.size() > 10000) w.fail(node, field, "more than 10000 values");
                for (const toml::node& v : a) {
                    std::string text = value_text(w, &v, field);
                    try {  // the value alone against its parameter: the error points at it, with the allowed range
                        auto args = ax.env_arg() ? make_env_args(s.base.env_id, {{p.name, text}})
                                                 : make_algo_args(s.base.algo_id, {{p.name, text}});
                        text = get_param(*args, p.name);  // canonical form: "0.0003", "true"
                    } catch (const std::exception& e) {
                        w.fail(&v, field, e.what());
                    }
                    if (std::find(ax.values.begin(), ax.values.end(), text) != ax.values.end())
                        w.fail(&v, field, text + " is listed twice");
                    ax.values.push_back(text);
                }
                ax.log = p.log_scale && ax.numeric;
            } else {
                parse_range(w, node, field, ax);
                if (!ax.numeric) w.fail(node, field, key + " is a " + std::string(p.type == ParamType::Flag ? "flag" : "choice") +
                                                         ": list its values instead, e.g. [true, false]");
                if (p.type == ParamType::Integer && ax.kind != SweepAxis::IntRange && ax.kind != SweepAxis::LogUniform)
                    w.fail(node, field, key + " is an integer: use int_range(lo, hi) or log_uniform(lo, hi)");
                if (p.type == ParamType::Real && ax.kind == SweepAxis::IntRange)
                    w.fail(node, field, key + " is a real number: use uniform(lo, hi) or log_uniform(lo, hi)");
                if (ax.lo < p.lo || ax.hi > p.hi)
                    w.fail(node, field, "\"" + ax.describe() + "\" leaves " + key + "'s range " +
                                            (p.type == ParamType::Integer ? range_text(int64_t(p.lo), int64_t(p.hi)) : range_text(p.lo, p.hi)));
                if (!s.random && ax.kind != SweepAxis::IntRange && ax.points == 0)
                    w.fail(node, field, "a grid needs a count of points: \"" + ax.describe().substr(0, ax.describe().size() - 1) +
                                            ", 5)\" (or use design.kind = \"random\")");
                if (s.random && ax.points != 0)
                    w.fail(node, field, "a random design draws from the range: leave out the count of points");
                ax.log = ax.kind == SweepAxis::LogUniform;
            }
            for (const SweepAxis& other : s.axes)
                if (other.param() == ax.param() && other.env_arg() == ax.env_arg()) w.fail(node, field, "named twice");
            s.axes.push_back(std::move(ax));
            specs.push_back(p);
            axis_nodes.push_back(node);
        }
    }

    // Expand: the grid in order (the last axis fastest), or `samples` draws.
    const auto fail_at_axes = [&](const std::string& what) { w.fail(get(root, "axes") ? get(root, "axes") : design, "axes", what); };
    if (s.random) {
        if (s.axes.empty()) w.fail(design, "design", "a random design needs at least one axis to draw");
        Rng rng(s.design_seed);
        for (int64_t i = 0; i < s.samples; ++i) {
            std::vector<std::string> c;
            for (size_t a = 0; a < s.axes.size(); ++a) c.push_back(draw_value(s.axes[a], specs[a], rng));
            s.configs.push_back(std::move(c));
        }
    } else {
        std::vector<std::vector<std::string>> values;
        double total = double(s.seeds.size());
        for (size_t a = 0; a < s.axes.size(); ++a) values.push_back(grid_values(s.axes[a], specs[a])), total *= double(values.back().size());
        if (total > double(kSweepMaxTrials))
            fail_at_axes("the grid has " + format_number(total) + " trials: more than the " + std::to_string(kSweepMaxTrials) + " a sweep may have");
        std::vector<size_t> at(values.size(), 0);
        for (;;) {
            std::vector<std::string> c;
            for (size_t a = 0; a < values.size(); ++a) c.push_back(values[a][at[a]]);
            s.configs.push_back(std::move(c));
            size_t a = values.size();
            while (a > 0 && ++at[a - 1] == values[a - 1].size()) at[--a] = 0;
            if (a == 0) break;
        }
    }
    check_configs(s, yes, fail_at_axes);
    return s;
}

Sweep load_sweep(const std::filesystem::path& file, bool yes) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) throw IoError("cannot read sweep file " + file.string() + ": " + ec.message());
    if (size > (1u << 20)) throw SweepError(file.string() + ": " + std::to_string(size) + " bytes: a sweep file is at most 1 MiB");
    return parse_sweep(read_file(file), file.string(), yes);
}

std::string sweep_file_text(const std::string& title, const RunConfig& base,
                            const std::vector<std::pair<std::string, std::vector<std::string>>>& axes, int seeds) {
    std::ostringstream o;
    o << "# A Dreamlab sweep (README: \"Sweeps\"): dreamlab sweep THIS_FILE --out DIR\n"
      << "title = " << toml_quoted(title) << "\n\n[base]\n"
      << "env = { id = " << toml_quoted(base.env_id) << ", args = " << toml_inline_args(base.env_args) << " }\n"
      << "algo = { id = " << toml_quoted(base.algo_id) << ", args = " << toml_inline_args(base.algo_args) << " }\n\n"
      << "[design]\nkind = \"grid\"\nseeds = " << seeds << "\n\n[axes]\n";
    for (const auto& [name, values] : axes) {
        o << (name.rfind("env.", 0) == 0 ? "env." + toml_quoted(name.substr(4)) : toml_quoted(name)) << " = [";
        for (size_t i = 0; i < values.size(); ++i) o << (i ? ", " : "") << toml_quoted(values[i]);
        o << "]\n";
    }
    return o.str();
}

// [SECTION] Files — DIR/sweep.json

nlohmann::json sweep_to_json(const Sweep& s) {
    nlohmann::json axes = nlohmann::json::array();
    for (const SweepAxis& a : s.axes) {
        static const char* kinds[] = {"list", "uniform", "log_uniform", "int_range"};
        nlohmann::json j = {{"name", a.name}, {"kind", kinds[a.kind]}, {"log", a.log}, {"numeric", a.numeric}};
        if (a.kind == SweepAxis::List) j["values"] = a.values;
        else j["lo"] = a.lo, j["hi"] = a.hi, j["points"] = a.points;
        axes.push_back(j);
    }
    return {{"format", "dreamlab-sweep-1"}, {"title", s.title},   {"description", s.description},
            {"metric", s.metric},           {"base", config_to_json(s.base)}, {"axes", axes},
            {"design", s.random ? "random" : "grid"}, {"samples", s.samples}, {"design_seed", s.design_seed},
            {"seeds", s.seeds},             {"configs", s.configs}};
}

Sweep sweep_from_json(const nlohmann::json& j, const std::string& where, bool check_all) {
    const JsonFields f(j, where);
    f.only({"format", "title", "description", "metric", "base", "axes", "design", "samples", "design_seed", "seeds", "configs"});
    if (const std::string format = f.text("format"); format != "dreamlab-sweep-1")
        f.fail("format", "= \"" + format + "\" is not a format this build reads (dreamlab-sweep-1)");
    Sweep s;
    s.file = where;
    s.title = f.text("title"), s.description = f.text("description"), s.metric = f.text("metric");
    parse_metric(s.metric);
    s.base = config_from_json(f.at("base"), where + ": base");
    s.random = f.choice("design", {"grid", "random"}) == "random";
    s.samples = f.integer("samples", 0, kSweepMaxTrials);
    s.design_seed = uint64_t(f.integer("design_seed", 0, int64_t(1) << 53));
    const nlohmann::json& axes = f.at("axes");
    if (!axes.is_array() || axes.size() > 16) f.fail("axes", "must be a list of at most 16 axes");
    for (size_t i = 0; i < axes.size(); ++i) {
        const JsonFields a = f.item("axes", i);
        a.only({"name", "kind", "log", "numeric", "values", "lo", "hi", "points"});
        SweepAxis ax;
        ax.name = a.text("name");
        const std::string kind = a.choice("kind", {"list", "uniform", "log_uniform", "int_range"});
        ax.kind = kind == "list" ? SweepAxis::List : kind == "uniform" ? SweepAxis::Uniform : kind == "log_uniform" ? SweepAxis::LogUniform : SweepAxis::IntRange;
        ax.log = a.flag("log"), ax.numeric = a.flag("numeric");
        if (ax.kind == SweepAxis::List) {
            const nlohmann::json& v = a.at("values");
            if (!v.is_array() || v.empty() || v.size() > 10000) a.fail("values", "must be a list of 1 to 10000 values");
            for (const auto& x : v) {
                if (!x.is_string()) a.fail("values", "must be strings");
                ax.values.push_back(x.get<std::string>());
            }
        } else {
            ax.lo = a.number("lo", -1e300, 1e300), ax.hi = a.number("hi", -1e300, 1e300);
            ax.points = int(a.integer("points", 0, 1000));
        }
        axis_spec(s.base, ax.name);  // still a parameter of this build's algorithm
        s.axes.push_back(std::move(ax));
    }
    const nlohmann::json& seeds = f.at("seeds");
    if (!seeds.is_array() || seeds.empty() || seeds.size() > 1000) f.fail("seeds", "must be a list of 1 to 1000 seeds");
    for (size_t i = 0; i < seeds.size(); ++i) s.seeds.push_back(uint64_t(json_integer(seeds[i], f.name("seeds"), 0, int64_t(1) << 53)));
    const nlohmann::json& configs = f.at("configs");
    if (!configs.is_array() || configs.empty()) f.fail("configs", "must be a non-empty list of configurations");
    if (double(configs.size()) * double(s.seeds.size()) > double(kSweepMaxTrials))
        f.fail("configs", std::to_string(configs.size()) + " configurations: more trials than a sweep may have");
    for (const auto& c : configs) {
        if (!c.is_array() || c.size() != s.axes.size())
            f.fail("configs", "each configuration must be a list of " + std::to_string(s.axes.size()) + " values (one per axis)");
        std::vector<std::string> row;
        for (const auto& v : c) {
            if (!v.is_string()) f.fail("configs", "values must be strings");
            row.push_back(v.get<std::string>());
        }
        s.configs.push_back(std::move(row));
    }
    for (size_t c = 0; c < (check_all ? s.configs.size() : 0); ++c) try {
            validate_config(trial_config(s, {0, int(c), s.seeds.front(), ""}));
        } catch (const std::exception& e) {
            throw SweepError(where + ": configuration " + std::to_string(c) + " (" + config_label(s, int(c)) + "): " + e.what());
        }
    return s;
}

Sweep load_sweep_dir(const std::filesystem::path& dir, bool check_all) {
    const std::filesystem::path file = dir / "sweep.json";
    if (!std::filesystem::exists(file))
        throw IoError(dir.string() + " is not a sweep directory (no sweep.json): give the --out of a `dreamlab sweep`");
    try {
        return sweep_from_json(read_json_file(file, size_t(64) << 20), file.string(), check_all);
    } catch (const SweepError&) {
        throw;
    } catch (const ParamError& e) {
        throw SweepError(e.what());
    }
}

void prepare_sweep_dir(const std::filesystem::path& dir, const Sweep& s) {
    namespace fs = std::filesystem;
    const nlohmann::json j = sweep_to_json(s);
    std::error_code ec;
    if (fs::exists(dir / "sweep.json")) {
        nlohmann::json old;
        try {
            old = read_json_file(dir / "sweep.json", size_t(64) << 20);
        } catch (const std::exception& e) {
            throw SweepError(dir.string() + "/sweep.json cannot be read (" + e.what() + "); use another --out");
        }
        if (old != j) {
            std::string what;
            for (const char* k : {"base", "axes", "design", "samples", "design_seed", "seeds", "configs", "metric", "title", "description"})
                if (!old.contains(k) || old[k] != j[k]) {
                    what = k;
                    break;
                }
            throw SweepError(dir.string() + " holds a different sweep (its sweep.json differs in \"" + what +
                             "\"); rerun with the same sweep file to resume it, or use another --out");
        }
        return;
    }
    if (fs::exists(dir) && !fs::is_directory(dir)) throw IoError(dir.string() + " exists and is not a directory: use another --out");
    if (fs::exists(dir) && !fs::is_empty(dir))
        throw IoError(dir.string() + " exists and is not a sweep directory (no sweep.json): use another --out");
    fs::create_directories(dir / "trials", ec);
    if (ec) throw IoError("cannot create " + (dir / "trials").string() + ": " + ec.message());
    write_file_atomic(dir / "sweep.json", j.dump(1) + "\n");
    fsync_dir(dir);
}

// [SECTION] Trials

std::filesystem::path trial_dir(const std::filesystem::path& dir, const SweepTrial& t) { return dir / "trials" / t.name; }

bool trial_done(const std::filesystem::path& dir, const SweepTrial& t) {
    return std::filesystem::exists(trial_dir(dir, t) / "config.json");
}

std::filesystem::path live_metrics_file(const std::filesystem::path& dir, const SweepTrial& t) {
    return dir / "trials" / (".live-" + t.name + ".csv");
}

int run_trial(const std::filesystem::path& dir, const Sweep& s, int index) {
    const auto trials = sweep_trials(s);
    if (index < 0 || index >= int(trials.size()))
        throw SweepError("trial " + std::to_string(index) + " is not in this sweep: it has trials 0 to " + std::to_string(trials.size() - 1));
    const SweepTrial& t = trials[size_t(index)];
    if (trial_done(dir, t)) return 0;
    try {
        validate_config(trial_config(s, t));
    } catch (const ParamError& e) {
        throw SweepError(t.name + " (" + config_label(s, t.config) + "): " + e.what());
    }
    std::filesystem::create_directories(dir / "trials");
    StagedDir staged(trial_dir(dir, t), false, "config.json");  // removes a killed attempt's staging directory
    const std::filesystem::path live = live_metrics_file(dir, t);
    std::error_code ec;
    std::filesystem::remove(live, ec);  // a killed attempt's
    // The metrics so far, once a second, for the explorer's live curves (never part of the trial's result).
    auto last = std::chrono::steady_clock::now();
    auto stream = [&](RunContext& ctx) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last < std::chrono::seconds(1)) return true;
        last = now;
        try {
            write_file_atomic(live, ctx.metrics().to_csv());
        } catch (const std::exception&) {
            // A full disk stops the stream, not the trial: its result is written (and checked) at the end.
        }
        return true;
    };
    std::unique_ptr<RunContext> ctx;
    try {
        ctx = run_headless(trial_config(s, t), stream);
    } catch (const TrainingDiverged& e) {
        save_run(staged.path(), *e.run, e.what());
        staged.commit();
        std::filesystem::remove(live, ec);
        return 3;
    }
    save_run(staged.path(), *ctx);
    staged.commit();
    std::filesystem::remove(live, ec);
    return 0;
}

// [SECTION] Scores

std::string SweepMetric::text() const {
    switch (kind) {
        case FinalReturn: return "final_return";
        case Auc: return "auc";
        case StepsToThreshold: return "steps_to_threshold=" + format_number(threshold);
    }
    return "";
}

SweepMetric parse_metric(const std::string& text) {
    SweepMetric m;
    if (text == "final_return") return m;
    if (text == "auc") return m.kind = SweepMetric::Auc, m;
    const std::string prefix = "steps_to_threshold=";
    if (text.rfind(prefix, 0) == 0) {
        const std::string v = text.substr(prefix.size());
        char* end = nullptr;
        const double x = v.empty() ? NAN : std::strtod(v.c_str(), &end);
        if (end && !*end && std::isfinite(x)) return m.kind = SweepMetric::StepsToThreshold, m.threshold = x, m;
    }
    throw SweepError("metric \"" + text + "\" is not allowed: expected final_return, auc or steps_to_threshold=X (X a return)");
}

TrialCurve read_trial_curve(const std::filesystem::path& trial) { return read_metrics_curve(trial / "metrics.csv"); }

TrialCurve read_metrics_curve(const std::filesystem::path& file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) throw IoError("cannot read " + file.string() + ": " + ec.message());
    if (size > (size_t(1) << 30)) throw SweepError(file.string() + ": over 1 GiB, not a metrics file of ours");
    const std::string text = read_file(file);
    TrialCurve c;
    size_t pos = 0, line_no = 0;
    int col_step = -1, col_ret = -1, ncols = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        std::vector<std::string> cells;
        std::stringstream in(line);
        for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
        if (!line.empty() && line.back() == ',') cells.push_back("");
        if (line_no == 1) {
            ncols = int(cells.size());
            for (int i = 0; i < ncols; ++i) {
                if (cells[size_t(i)] == "env_step") col_step = i;
                if (cells[size_t(i)] == "return") col_ret = i;
            }
            if (col_step < 0) throw SweepError(file.string() + ":1: no env_step column: not a Dreamlab metrics file");
            continue;
        }
        if (line.empty()) continue;
        if (int(cells.size()) != ncols)
            throw SweepError(file.string() + ":" + std::to_string(line_no) + ": " + std::to_string(cells.size()) + " cells, the header has " + std::to_string(ncols));
        if (col_ret < 0 || cells[size_t(col_ret)].empty()) continue;  // not an episode's row
        auto number = [&](const std::string& cell, const char* what) {
            char* e = nullptr;
            const double v = cell == "nan" ? NAN : std::strtod(cell.c_str(), &e);
            if (cell != "nan" && (cell.empty() || !e || *e))
                throw SweepError(file.string() + ":" + std::to_string(line_no) + ": " + what + " \"" + cell + "\" is not a number");
            return v;
        };
        c.env_step.push_back(number(cells[size_t(col_step)], "env_step"));
        c.ret.push_back(number(cells[size_t(col_ret)], "return"));
    }
    return c;
}

TrialScore score_curve(const TrialCurve& c, const SweepMetric& m, int64_t total_env_steps) {
    TrialScore s;
    const size_t n = c.ret.size();
    if (n == 0) return s;
    switch (m.kind) {
        case SweepMetric::FinalReturn: {
            const size_t k = std::min<size_t>(n, kFinalReturnEpisodes);
            double sum = 0;
            for (size_t i = n - k; i < n; ++i) sum += c.ret[i];
            s.value = sum / double(k);
            break;
        }
        case SweepMetric::Auc: {
            double area = 0, prev = 0;
            for (size_t i = 0; i < n; ++i) area += c.ret[i] * (c.env_step[i] - prev), prev = c.env_step[i];
            s.value = prev > 0 ? area / prev : c.ret.back();
            break;
        }
        case SweepMetric::StepsToThreshold: {
            const size_t k = std::min<size_t>(n, kFinalReturnEpisodes);
            double sum = 0;
            s.value = double(total_env_steps), s.reached = false;
            for (size_t i = 0; i < n; ++i) {
                sum += c.ret[i];
                if (i >= k) sum -= c.ret[i - k];
                if (i + 1 >= k && sum / double(k) >= m.threshold) {
                    s.value = c.env_step[i], s.reached = true;
                    break;
                }
            }
            break;
        }
    }
    return s;
}

std::vector<double> smoothed_curve_at(const TrialCurve& c, const std::vector<double>& xs) {
    std::vector<double> out;
    out.reserve(xs.size());
    std::vector<double> prefix(c.ret.size() + 1, 0.0);
    for (size_t i = 0; i < c.ret.size(); ++i) prefix[i + 1] = prefix[i] + c.ret[i];
    size_t j = 0;  // episodes finished by x
    for (double x : xs) {
        while (j < c.env_step.size() && c.env_step[j] <= x) ++j;
        if (j == 0) {
            out.push_back(NAN);
            continue;
        }
        const size_t k = std::min<size_t>(j, kFinalReturnEpisodes);
        out.push_back((prefix[j] - prefix[j - k]) / double(k));
    }
    return out;
}

}  // namespace dl
