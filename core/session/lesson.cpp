#include "core/session/lesson.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <toml++/toml.h>

#include "core/session/toml_fields.h"

#include "base/params.h"
#include "core/algos/registry.h"
#include "core/rl/agent.h"
#include "core/session/run_config.h"
#include "core/session/sweep.h"
#include "envs/registry.h"

namespace dl {

namespace {


// A speed: steps per second in [1, 100000], or "unlimited" (0).
double parse_speed(const Where& w, const toml::node* s, const std::string& field) {
    if (s->is_string() && **s->as_string() == "unlimited") return 0.0;
    const double v = w.number(s, field);
    if (v < 1 || v > 100000) w.fail(s, field, format_number(v) + " is outside [1, 100000] steps/s (or \"unlimited\")");
    return v;
}

// A view on stage or named by a beat: one of lesson_views(), or plot:<metric>.
std::string parse_view(const Where& w, const toml::node* v, const std::string& field) {
    std::string name = w.text(v, field);
    const auto& views = lesson_views();
    if (std::find(views.begin(), views.end(), name) == views.end() && name.rfind("plot:", 0) != 0)
        w.fail(v, field, "\"" + name + "\" is not a view; allowed: environment, values, compare, plots, dream, timeline, or plot:<metric>");
    return name;
}

// A declared integer of a run's algorithm, or -1 where it has none (the budgets a trigger is checked against).
int64_t algo_integer(const RunConfig& c, const char* name) {
    auto a = make_algo_args(c.algo_id, c.algo_args);
    for (const ParamSpec& p : describe(*a))
        if (p.name == name) return std::stoll(get_param(*a, name));
    return -1;
}

BeatTrigger parse_trigger(const Where& w, const toml::node* n, const std::string& field, const Lesson& l) {
    BeatTrigger t;
    if (!n) {
        t.kind = BeatTrigger::Key;
        return t;
    }
    if (n->is_string()) {
        const std::string s(**n->as_string());
        if (s == "key") t.kind = BeatTrigger::Key;
        else if (s == "start") t.kind = BeatTrigger::Start;
        else w.fail(n, field, "\"" + s + "\" is not a trigger; allowed: \"key\", \"start\", or a table { env_steps = N }, "
                             "{ episodes = N }, { updates = N }, { mean_return = X, window = 20 } (each with an optional run = i)");
        return t;
    }
    const toml::table& tt = w.table(n, field);
    w.only(tt, field, {"env_steps", "episodes", "updates", "mean_return", "window", "run"});
    int kinds = 0;
    const toml::node* vn = nullptr;
    for (const auto& [key, kind] : {std::pair{"env_steps", BeatTrigger::EnvSteps}, std::pair{"episodes", BeatTrigger::Episodes},
                                    std::pair{"updates", BeatTrigger::Updates}, std::pair{"mean_return", BeatTrigger::MeanReturn}})
        if (const toml::node* v = get(tt, key)) t.kind = kind, vn = v, ++kinds;
    if (kinds != 1)
        w.fail(n, field, "needs exactly one of env_steps, episodes, updates, mean_return (found " + std::to_string(kinds) + ")");
    if (const toml::node* r = get(tt, "run")) t.run = int(w.integer(r, field + ".run", 0, 1 << 20));
    if (t.run >= int(l.runs.size()))
        w.fail(get(tt, "run"), field + ".run",
               "run " + std::to_string(t.run) + " does not exist: the lesson has " + std::to_string(l.runs.size()) +
                   " run(s), numbered from 0");
    if (const toml::node* win = get(tt, "window")) {
        if (t.kind != BeatTrigger::MeanReturn) w.fail(win, field + ".window", "only a mean_return trigger has a window");
        t.window = int(w.integer(win, field + ".window", 1, 10000));
    }
    const std::string vf = field + "." + std::string(t.kind == BeatTrigger::EnvSteps ? "env_steps"
                                                     : t.kind == BeatTrigger::Episodes ? "episodes"
                                                     : t.kind == BeatTrigger::Updates  ? "updates"
                                                                                       : "mean_return");
    t.value = w.number(vn, vf);
    const RunConfig& rc = l.runs[size_t(t.run)];
    const AlgoInfo& algo = find_algo(rc.algo_id);
    if (t.kind != BeatTrigger::MeanReturn && t.value < 0) w.fail(vn, vf, "a count cannot be negative");
    // A beat that can never fire is refused: the counter does not exist for this algorithm, or the run stops first.
    if (algo.planner && t.kind != BeatTrigger::Updates)
        w.fail(vn, vf, rc.algo_id + " is a planner: it takes no env steps and has no episodes; use { updates = N } (sweeps)");
    if (t.kind == BeatTrigger::Updates && !algo.ticks_updates)
        w.fail(vn, vf, rc.algo_id + " makes no update ticks (it learns at every step); use env_steps or episodes");
    const int64_t total = algo_integer(rc, "total_timesteps"), episodes = algo_integer(rc, "episodes"),
                  sweeps = algo_integer(rc, "max_sweeps");
    auto beyond = [&](int64_t budget, const char* name) {
        if (budget >= 0 && t.value > double(budget))
            w.fail(vn, vf, "can never fire: run " + std::to_string(t.run) + " (" + rc.algo_id + ") stops at " + name + "=" +
                               std::to_string(budget));
    };
    if (t.kind == BeatTrigger::EnvSteps) beyond(total, "total_timesteps");
    if (t.kind == BeatTrigger::Episodes) beyond(episodes, "episodes"), beyond(total, "total_timesteps");
    if (t.kind == BeatTrigger::Updates && algo.planner) beyond(sweeps, "max_sweeps");
    return t;
}

LessonBeat parse_beat(const Where& w, const toml::table& t, const std::string& field, const Lesson& l,
                      const std::filesystem::path& base) {
    w.only(t, field, {"at", "caption", "play", "pause", "speed", "set", "run", "view", "load_agent", "play_greedy",
                      "branch_dream", "select", "overlays", "branch"});
    LessonBeat b;
    b.line = int(t.source().begin.line);
    b.trigger = parse_trigger(w, get(t, "at"), field + ".at", l);
    if (b.line == 0 && get(t, "at")) b.line = int(get(t, "at")->source().begin.line);
    if (const toml::node* c = get(t, "caption")) {
        b.caption = w.text(c, field + ".caption");
        if (b.caption.size() > 2000) w.fail(c, field + ".caption", "longer than 2000 characters: a caption is a few lines");
    }
    if (const toml::node* p = get(t, "play")) b.play = w.flag(p, field + ".play");
    if (const toml::node* p = get(t, "pause")) {
        if (b.play) w.fail(p, field + ".pause", "give play or pause, not both");
        b.play = !w.flag(p, field + ".pause");
    }
    if (const toml::node* s = get(t, "speed")) b.speed = parse_speed(w, s, field + ".speed");
    int set_run = -1;
    if (const toml::node* r = get(t, "run")) {
        set_run = int(w.integer(r, field + ".run", 0, 1 << 20));
        if (set_run >= int(l.runs.size()))
            w.fail(r, field + ".run", "run " + std::to_string(set_run) + " does not exist (" + std::to_string(l.runs.size()) + " runs)");
        if (!get(t, "set")) w.fail(r, field + ".run", "run names the run a beat's set = { … } changes; there is no set here");
    }
    if (const toml::node* s = get(t, "set")) {
        for (auto&& [k, v] : w.table(s, field + ".set")) {
            const std::string name(k.str()), f = field + ".set." + name;
            BeatSet bs{set_run, name, value_text(w, &v, f)};
            for (int r = 0; r < int(l.runs.size()); ++r) {
                if (set_run >= 0 && r != set_run) continue;
                auto a = make_algo_args(l.runs[size_t(r)].algo_id, l.runs[size_t(r)].algo_args);
                const std::vector<ParamSpec> specs = describe(*a);
                auto it = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec& p) { return p.name == name; });
                if (it == specs.end()) w.fail(&v, f, l.runs[size_t(r)].algo_id + " (run " + std::to_string(r) + ") has no parameter " + name);
                if (it->apply != Apply::Now)
                    w.fail(&v, f, name + " takes effect only when a run restarts; a beat can change the parameters marked 'now'");
                try {
                    set_param(*a, name, bs.value);
                } catch (const ParamError& e) {
                    w.fail(&v, f, e.what());
                }
            }
            b.set.push_back(bs);
        }
    }
    if (const toml::node* v = get(t, "view")) b.view = parse_view(w, v, field + ".view");
    if (const toml::node* a = get(t, "load_agent")) {
        try {
            b.load_agent = resolve_agent_dir(w.text(a, field + ".load_agent"), base.string());
        } catch (const std::invalid_argument& e) {
            w.fail(a, field + ".load_agent", e.what());
        }
    }
    if (const toml::node* g = get(t, "play_greedy")) {
        b.play_greedy = int(w.integer(g, field + ".play_greedy", 1, 1000));
        if (b.load_agent.empty()) w.fail(g, field + ".play_greedy", "plays a loaded agent: give load_agent in the same beat");
    }
    if (const toml::node* d = get(t, "branch_dream")) b.branch_dream = w.flag(d, field + ".branch_dream");
    if (const toml::node* o = get(t, "overlays")) {
        if (!o->is_array()) w.fail(o, field + ".overlays", "expected a list of overlay ids, e.g. [\"traces\", \"td_error\"]");
        std::vector<std::string> ids;
        for (const toml::node& v : *o->as_array()) {
            const std::string id = w.text(&v, field + ".overlays");
            const auto& known = inside_layer_ids();
            if (std::none_of(known.begin(), known.end(), [&](const auto& k) { return k.first == id; })) {
                std::string allowed;
                for (const auto& k : known) allowed += (allowed.empty() ? "" : ", ") + k.first;
                w.fail(&v, field + ".overlays", "\"" + id + "\" is not an overlay; allowed: " + allowed);
            }
            ids.push_back(id);
        }
        b.overlays = std::move(ids);
    }
    if (const toml::node* br = get(t, "branch")) {
        const std::string f = field + ".branch";
        const toml::table& bt = w.table(br, f);
        w.only(bt, f, {"from", "set"});
        const toml::node* from = get(bt, "from");
        if (!from) w.fail(br, f, "missing from: the run to branch (branch = { from = 0, set = { alpha = 0.5 } })");
        b.branch_from = int(w.integer(from, f + ".from", 0, 1 << 20));
        if (b.branch_from >= int(l.runs.size()))
            w.fail(from, f + ".from", "run " + std::to_string(b.branch_from) + " does not exist (" + std::to_string(l.runs.size()) + " runs)");
        if (const toml::node* s = get(bt, "set")) {
            const RunConfig& rc = l.runs[size_t(b.branch_from)];
            auto a = make_algo_args(rc.algo_id, rc.algo_args);
            const std::vector<ParamSpec> specs = describe(*a);
            for (auto&& [k, v] : w.table(s, f + ".set")) {
                const std::string name(k.str()), fs = f + ".set." + name;
                auto it = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec& p) { return p.name == name; });
                if (it == specs.end()) w.fail(&v, fs, rc.algo_id + " (run " + std::to_string(b.branch_from) + ") has no parameter " + name);
                if (it->apply == Apply::Restart)
                    w.fail(&v, fs, name + " takes effect only when a run restarts; a branch goes on from a checkpoint, so it can change the parameters marked 'now' and the run's length");
                BeatSet bs{b.branch_from, name, value_text(w, &v, fs)};
                try {
                    set_param(*a, name, bs.value);
                } catch (const ParamError& e) {
                    w.fail(&v, fs, e.what());
                }
                b.branch_set.push_back(bs);
            }
        }
    }
    if (const toml::node* r = get(t, "select")) {
        // The lesson's runs, then one more for each load_agent beat up to this one (in file order).
        int runs = int(l.runs.size()) + (b.load_agent.empty() ? 0 : 1) + (b.branch_from >= 0 ? 1 : 0);
        for (const LessonBeat& before : l.beats) runs += (before.load_agent.empty() ? 0 : 1) + (before.branch_from >= 0 ? 1 : 0);
        b.select = int(w.integer(r, field + ".select", 0, 1 << 20));
        if (b.select >= runs)
            w.fail(r, field + ".select", "run " + std::to_string(b.select) + " does not exist here: " + std::to_string(runs) +
                                             " run(s) by this beat (the lesson's, then one per load_agent or branch), numbered from 0");
    }
    if (b.caption.empty() && !b.play && !b.speed && b.set.empty() && b.view.empty() && b.load_agent.empty() && !b.branch_dream &&
        b.select < 0 && !b.overlays && b.branch_from < 0)
        w.fail(&t, field, "does nothing: give a caption, play/pause, speed, set, view, load_agent, branch_dream, select, overlays or branch");
    return b;
}

}  // namespace

const std::vector<std::string>& lesson_views() {
    static const std::vector<std::string> v = {"environment", "values", "compare", "plots", "dream", "timeline"};
    return v;
}

std::string LessonBeat::label() const {
    std::string what;
    switch (trigger.kind) {
    case BeatTrigger::Key: what = "on the key"; break;
    case BeatTrigger::Start: what = "at once"; break;
    case BeatTrigger::EnvSteps: what = "env steps ≥ " + format_number(trigger.value); break;
    case BeatTrigger::Episodes: what = "episodes ≥ " + format_number(trigger.value); break;
    case BeatTrigger::Updates: what = "updates ≥ " + format_number(trigger.value); break;
    case BeatTrigger::MeanReturn:
        what = "mean return of " + std::to_string(trigger.window) + " episodes ≥ " + format_number(trigger.value);
        break;
    }
    if (trigger.kind != BeatTrigger::Key && trigger.kind != BeatTrigger::Start && trigger.run > 0)
        what += " (run " + std::to_string(trigger.run) + ")";
    return "line " + std::to_string(line) + ": " + what;
}

Lesson parse_lesson(const std::string& text, const std::string& name) {
    const Where w{name, [](const std::string& m) { throw LessonError(m); }};
    toml::table root;
    try {
        root = toml::parse(text, name);
    } catch (const toml::parse_error& e) {
        throw LessonError(name + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
    }
    w.only(root, "", {"title", "description", "order", "view", "sweep", "play", "speed", "stage", "runs", "beats", "lockstep"});
    Lesson l;
    l.file = name;
    l.slug = std::filesystem::path(name).stem().string();
    if (!get(root, "title")) throw LessonError(name + ":1: title: missing (title = \"…\")");
    l.title = w.text(get(root, "title"), "title");
    if (const toml::node* d = get(root, "description")) l.description = w.text(d, "description");
    if (const toml::node* o = get(root, "order")) l.order = int(w.integer(o, "order", 0, 1000000));
    if (const toml::node* v = get(root, "view")) {
        l.view = w.text(v, "view");
        if (l.view != "lab" && l.view != "gradient-estimators" && l.view != "sweep")
            w.fail(v, "view", "\"" + l.view + "\" is not a view; allowed: \"lab\" (the runs), \"gradient-estimators\" or \"sweep\"");
    }
    if (const toml::node* sw = get(root, "sweep")) {
        if (l.view != "sweep") w.fail(sw, "sweep", "a sweep file is for a lesson with view = \"sweep\"");
        std::filesystem::path p = w.text(sw, "sweep");
        if (p.is_relative()) p = std::filesystem::path(name).parent_path() / p;
        try {
            load_sweep(p);  // checked now: a lesson never opens on a sweep that cannot run
        } catch (const std::exception& e) {
            w.fail(sw, "sweep", e.what());
        }
        l.sweep = p.lexically_normal().string();
    } else if (l.view == "sweep") {
        w.fail(get(root, "view"), "sweep", "missing: view = \"sweep\" runs a sweep file (sweep = \"../sweeps/x.toml\")");
    }
    if (const toml::node* p = get(root, "play")) l.play = w.flag(p, "play");
    if (const toml::node* s = get(root, "speed")) l.speed = parse_speed(w, s, "speed");
    if (const toml::node* st = get(root, "stage")) {
        if (!st->is_array()) w.fail(st, "stage", "expected a list of views, e.g. [\"environment\", \"values\", \"plot:return\"]");
        for (const toml::node& v : *st->as_array()) l.stage.push_back(parse_view(w, &v, "stage"));
    }
    const std::filesystem::path base = std::filesystem::path(name).parent_path();
    if (const toml::node* runs = get(root, "runs")) {
        if (!runs->is_array_of_tables()) w.fail(runs, "runs", "expected [[runs]] sections");
        int i = 0;
        for (const toml::node& r : *runs->as_array()) {
            if (i >= 64) w.fail(&r, "runs", "more than 64 runs");
            l.runs.push_back(parse_run(w, *r.as_table(), "runs[" + std::to_string(i++) + "]", base));
        }
    }
    if (l.runs.empty() && l.view == "lab") w.fail(&root, "runs", "a lesson needs at least one [[runs]] section");
    if (const toml::node* ls = get(root, "lockstep")) {
        l.lockstep = w.flag(ls, "lockstep");
        if (l.lockstep && l.runs.size() != 2)
            w.fail(ls, "lockstep", "an A/B pair in lockstep needs exactly two [[runs]]; this lesson has " + std::to_string(l.runs.size()));
        if (l.lockstep && find_algo(l.runs[0].algo_id).step_unit != find_algo(l.runs[1].algo_id).step_unit)
            w.fail(ls, "lockstep", "the two runs count different steps (a planner's sweeps against env steps): " + l.runs[0].algo_id +
                                       " and " + l.runs[1].algo_id);
    }
    if (const toml::node* beats = get(root, "beats")) {
        if (!beats->is_array_of_tables()) w.fail(beats, "beats", "expected [[beats]] sections");
        int i = 0;
        for (const toml::node& b : *beats->as_array()) {
            if (i >= 1000) w.fail(&b, "beats", "more than 1000 beats");
            l.beats.push_back(parse_beat(w, *b.as_table(), "beats[" + std::to_string(i++) + "]", l, base));
        }
    }
    return l;
}

Lesson load_lesson(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw LessonError(path + ": cannot read the lesson (" + ec.message() + ")");
    if (size > (1u << 20)) throw LessonError(path + ": " + std::to_string(size) + " bytes; a lesson file is at most 1 MiB");
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    if (!f) throw LessonError(path + ": cannot read the lesson");
    return parse_lesson(ss.str(), path);
}

std::vector<Lesson> load_lessons(const std::string& dir, std::vector<std::string>* errors) {
    std::vector<Lesson> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.path().extension() != ".toml") continue;
        try {
            out.push_back(load_lesson(e.path().string()));
        } catch (const LessonError& err) {
            if (errors) errors->push_back(err.what());
        }
    }
    std::sort(out.begin(), out.end(), [](const Lesson& a, const Lesson& b) { return std::tie(a.order, a.slug) < std::tie(b.order, b.slug); });
    return out;
}

std::string lessons_dir() {
    if (const char* env = std::getenv("DREAMLAB_LESSONS")) return env;
#ifdef DREAMLAB_ASSETS_DIR
    if (std::filesystem::is_directory(DREAMLAB_ASSETS_DIR "/lessons")) return DREAMLAB_ASSETS_DIR "/lessons";
#endif
    return "assets/lessons";
}

// [SECTION] Timeline

double RunProgress::mean_return(int window) const {
    if (window <= 0 || int(returns.size()) < window) return NAN;
    double s = 0;
    for (size_t i = returns.size() - size_t(window); i < returns.size(); ++i) s += returns[i];
    return s / window;
}

bool LessonTimeline::due(const std::vector<RunProgress>& runs) const {
    if (done()) return false;
    const BeatTrigger& t = (*beats_)[next_].trigger;
    if (t.kind == BeatTrigger::Key) return false;
    if (t.kind == BeatTrigger::Start) return true;
    if (t.run < 0 || t.run >= int(runs.size())) return false;
    const RunProgress& p = runs[size_t(t.run)];
    switch (t.kind) {
    case BeatTrigger::EnvSteps: return double(p.env_steps) >= t.value;
    case BeatTrigger::Episodes: return double(p.episodes) >= t.value;
    case BeatTrigger::Updates: return double(p.updates) >= t.value;
    case BeatTrigger::MeanReturn: return p.mean_return(t.window) >= t.value;  // NaN (too few episodes) is never ≥
    default: return false;
    }
}

// [SECTION] Writing


std::string lesson_to_toml(const Lesson& l) {
    std::ostringstream o;
    o << "# A Dreamlab lesson (README: \"Lessons\"). Edit the runs, the stage and the beats; dreamlab gui --lesson FILE.\n";
    o << "title = " << toml_quoted(l.title) << "\n";
    if (!l.description.empty()) o << "description = " << toml_quoted(l.description) << "\n";
    o << "order = " << l.order << "\n";
    if (l.view != "lab") o << "view = " << toml_quoted(l.view) << "\n";
    if (!l.sweep.empty()) o << "sweep = " << toml_quoted(l.sweep) << "\n";
    o << "play = " << (l.play ? "true" : "false") << "\n";
    o << "speed = " << (l.speed <= 0 ? std::string("\"unlimited\"") : format_number(l.speed)) << "\n";
    if (!l.stage.empty()) {
        o << "stage = [";
        for (size_t i = 0; i < l.stage.size(); ++i) o << (i ? ", " : "") << toml_quoted(l.stage[i]);
        o << "]\n";
    }
    for (const RunConfig& r : l.runs) {
        o << "\n[[runs]]\n";
        o << "env = { id = " << toml_quoted(r.env_id) << ", args = " << toml_inline_args(r.env_args) << " }\n";
        o << "algo = { id = " << toml_quoted(r.algo_id) << ", args = " << toml_inline_args(r.algo_args) << " }\n";
        o << "seed = " << r.seed << "\n";
    }
    for (const LessonBeat& b : l.beats) {
        o << "\n[[beats]]\n";
        const BeatTrigger& t = b.trigger;
        if (t.kind == BeatTrigger::Key) o << "at = \"key\"\n";
        else if (t.kind == BeatTrigger::Start) o << "at = \"start\"\n";
        else {
            const char* k = t.kind == BeatTrigger::EnvSteps ? "env_steps" : t.kind == BeatTrigger::Episodes ? "episodes"
                            : t.kind == BeatTrigger::Updates ? "updates" : "mean_return";
            o << "at = { " << k << " = " << format_number(t.value);
            if (t.kind == BeatTrigger::MeanReturn) o << ", window = " << t.window;
            if (t.run) o << ", run = " << t.run;
            o << " }\n";
        }
        if (!b.caption.empty()) o << "caption = " << toml_quoted(b.caption) << "\n";
        if (b.play) o << (*b.play ? "play = true\n" : "pause = true\n");
        if (b.speed) o << "speed = " << (*b.speed <= 0 ? std::string("\"unlimited\"") : format_number(*b.speed)) << "\n";
        if (!b.set.empty()) {
            if (b.set[0].run >= 0) o << "run = " << b.set[0].run << "\n";
            o << "set = {";
            for (size_t i = 0; i < b.set.size(); ++i) o << (i ? ", " : " ") << b.set[i].name << " = " << toml_quoted(b.set[i].value);
            o << " }\n";
        }
        if (!b.view.empty()) o << "view = " << toml_quoted(b.view) << "\n";
        if (!b.load_agent.empty()) o << "load_agent = " << toml_quoted(b.load_agent) << "\n";
        if (b.play_greedy) o << "play_greedy = " << b.play_greedy << "\n";
        if (b.branch_dream) o << "branch_dream = true\n";
        if (b.select >= 0) o << "select = " << b.select << "\n";
        if (b.overlays) {
            o << "overlays = [";
            for (size_t i = 0; i < b.overlays->size(); ++i) o << (i ? ", " : "") << toml_quoted((*b.overlays)[i]);
            o << "]\n";
        }
        if (b.branch_from >= 0) {
            o << "branch = { from = " << b.branch_from;
            if (!b.branch_set.empty()) {
                o << ", set = {";
                for (size_t i = 0; i < b.branch_set.size(); ++i)
                    o << (i ? ", " : " ") << b.branch_set[i].name << " = " << toml_quoted(b.branch_set[i].value);
                o << " }";
            }
            o << " }\n";
        }
    }
    return o.str();
}

}  // namespace dl
