#include "app/cli.h"

#include "app/sweep_cmd.h"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/algos/registry.h"
#include "core/session/build_info.h"
#include "core/session/repro.h"
#include "core/rl/evaluate.h"
#include "base/files.h"
#include "core/rl/mlp_agent.h"
#include "core/rl/world_model_agent.h"
#include "core/session/run_store.h"
#include "core/session/run_config.h"
#include "core/rl/tabular.h"
#include "envs/registry.h"
#include "media/media.h"
#include "media/text.h"
#include "core/session/session.h"

namespace dl {

const char* kUsage = R"(dreamlab — a desktop lab for reinforcement learning

usage:
  dreamlab [gui] [--lesson NAME|FILE.toml] [--sweep DIR] [--run DIR] [--stage] [--lessons] [--play|--paused] [--unthrottled] [--font-scale X] [--size WxH]
                 [--frames N --screenshot FILE.png] [--record FILE.mp4]
  dreamlab render --lesson NAME|FILE.toml [--out FILE.mp4|FILE.gif] [--gif FILE.gif] [--png-sequence DIR]
                 [--fps 30] [--size 1920x1080] [--stage|--dashboard] [--font-scale X] [--duration S | --frames N]
                 [--hold S] [--tail S] [--rate N] [--max-duration S] [--beats-log FILE] [--overwrite] [--quiet]
  dreamlab list [--json]
  dreamlab train --env ID [--env-arg k=v]... --algo ID [--set k=v]... [--seed N] [--config FILE]
                 --out DIR [--overwrite] [--quiet] [--checkpoint-every N] [--checkpoint-budget MB] [--no-checkpoints]
  dreamlab train --resume DIR[@N] [--set k=v]... --out DIR2 [--overwrite] [--quiet] [--checkpoint-…]
  dreamlab eval  --run DIR [--episodes N] [--seed N] [--json] [--video FILE.mp4 [--video-episodes K] [--fps F] [--overlay]]
  dreamlab eval  --env ID [--env-arg k=v]... --policy random [--episodes N] [--seed N] [--json] [--video …]
  dreamlab bench [--json] [--quick] [--only SECTION[,SECTION...]] [--compare EARLIER.json] [--peer-rltools DIR]
  dreamlab repro [--json] [--only NAME[,NAME...]] [--check FILE]
  dreamlab sweep FILE.toml --out DIR [--jobs N] [--yes] [--quiet]
  mpirun -np K dreamlab sweep FILE.toml --out DIR --mpi [--yes]
  dreamlab sweep FILE.toml --out DIR --slurm [--partition P] [--time HH:MM:SS] [--cpus-per-task C] [--chunk K] [--submit]
  dreamlab sweep DIR --status
  dreamlab report DIR [--metric final_return|auc|steps_to_threshold=X] [--json] [--csv FILE] [--compare A,B]
  dreamlab version
  dreamlab help
)";

namespace {

std::map<std::string, std::string> parse_assignments(const std::vector<std::string>& items, const char* option) {
    std::map<std::string, std::string> m;
    for (const auto& s : items) {
        const auto eq = s.find('=');
        if (eq == std::string::npos || eq == 0)
            throw UsageError(std::string(option) + " '" + s + "' must look like name=value");
        m[s.substr(0, eq)] = s.substr(eq + 1);
    }
    return m;
}


const char* type_name(ParamType t) {
    switch (t) {
        case ParamType::Real: return "real";
        case ParamType::Integer: return "int";
        case ParamType::Flag: return "bool";
        case ParamType::Choice: return "choice";
        default: return "text";
    }
}

std::string allowed_text(const ParamSpec& s) {
    switch (s.type) {
        case ParamType::Real: return range_text(s.lo, s.hi);
        case ParamType::Integer: return range_text(int64_t(s.lo), int64_t(s.hi));
        case ParamType::Flag: return "true|false";
        case ParamType::Choice: {
            std::string r;
            for (const auto& c : s.choices) r += (r.empty() ? "" : "|") + c;
            return r;
        }
        default: return "text";
    }
}

// now: a live change; restart: a new run; length: the run's length (a new run, or a branch or resume may change it).
const char* apply_name(Apply a) { return a == Apply::Now ? "now" : a == Apply::Length ? "length" : "restart"; }

nlohmann::json spec_json(const ParamSpec& s) {
    nlohmann::json j = {{"name", s.name}, {"type", type_name(s.type)}, {"default", s.default_value},
                        {"doc", s.doc},   {"applies", apply_name(s.apply)}};
    if (s.type == ParamType::Real || s.type == ParamType::Integer) j["range"] = {s.lo, s.hi};
    if (s.type == ParamType::Choice) j["choices"] = s.choices;
    return j;
}

// One table per env/algorithm, columns sized to their content.
void print_specs(std::ostream& out, ArgsBase& a) {
    const auto specs = describe(a);
    size_t wn = 4, wd = 7, wa = 7;
    for (const auto& s : specs)
        wn = std::max(wn, s.name.size()), wd = std::max(wd, s.default_value.size()), wa = std::max(wa, allowed_text(s).size());
    out << "    " << std::left << std::setw(int(wn + 2)) << "name" << std::setw(8) << "type" << std::setw(int(wd + 2))
        << "default" << std::setw(int(wa + 2)) << "allowed" << std::setw(9) << "applies" << "doc\n";
    for (const auto& s : specs)
        out << "    " << std::left << std::setw(int(wn + 2)) << s.name << std::setw(8) << type_name(s.type)
            << std::setw(int(wd + 2)) << s.default_value << std::setw(int(wa + 2)) << allowed_text(s) << std::setw(9)
            << apply_name(s.apply) << s.doc << "\n";
}

int cmd_list(const Options& o, std::ostream& out) {
    if (o.has("--json")) {
        nlohmann::json j = {{"environments", nlohmann::json::array()}, {"algorithms", nlohmann::json::array()}};
        for (const auto& e : env_registry()) {
            auto a = e.make_args();
            nlohmann::json args = nlohmann::json::array();
            for (const auto& s : describe(*a)) args.push_back(spec_json(s));
            j["environments"].push_back({{"id", e.id}, {"summary", e.summary}, {"args", args}});
        }
        for (const auto& al : algo_registry()) {
            auto a = al.make_args();
            nlohmann::json args = nlohmann::json::array();
            for (const auto& s : describe(*a)) args.push_back(spec_json(s));
            j["algorithms"].push_back({{"id", al.id}, {"title", al.title}, {"summary", al.summary},
                                       {"tabular", al.tabular}, {"planner", al.planner}, {"hyperparameters", args}});
        }
        out << j.dump() << "\n";
        return 0;
    }
    out << "ENVIRONMENTS   (--env ID, --env-arg name=value)\n";
    for (const auto& e : env_registry()) {
        out << "\n  " << e.id << " — " << e.summary << "\n";
        auto a = e.make_args();
        print_specs(out, *a);
    }
    out << "\nALGORITHMS     (--algo ID, --set name=value)\n";
    for (const auto& al : algo_registry()) {
        out << "\n  " << al.id << " — " << al.title << ": " << al.summary << "\n";
        auto a = al.make_args();
        print_specs(out, *a);
    }
    return 0;
}

uint64_t parse_seed(const Options& o, uint64_t def) {
    if (!o.has("--seed")) return def;
    return uint64_t(count_option("--seed", o.get("--seed"), 0, int64_t(1) << 53));
}

// The timeline a `train` keeps (and writes into DIR/checkpoints/): every 1,000 env steps (every sweep for a planner)
// held to 2% of the training time, or exactly every N with --checkpoint-every N; thinned to a budget;
// --no-checkpoints keeps none.
std::shared_ptr<Timeline> train_timeline(const Options& o, const RunConfig& cfg) {
    if (o.has("--no-checkpoints")) {
        if (o.has("--checkpoint-every") || o.has("--checkpoint-budget"))
            throw UsageError("--no-checkpoints keeps none: --checkpoint-every and --checkpoint-budget mean nothing with it");
        return nullptr;
    }
    TimelineOptions t;
    const AlgoInfo& algo = find_algo(cfg.algo_id);
    t.unit = algo.step_unit == Tick::Update ? TimelineOptions::Updates : TimelineOptions::EnvSteps;
    t.every = algo.step_unit == Tick::Update ? 1 : 1000;
    // An interval asked for is kept exactly; by default the overhead rule may space checkpoints further apart.
    if (o.has("--checkpoint-every"))
        t.every = count_option("--checkpoint-every", o.get("--checkpoint-every"), 1, int64_t(1) << 40), t.max_overhead = 0;
    if (o.has("--checkpoint-budget"))
        t.budget_bytes = count_option("--checkpoint-budget", o.get("--checkpoint-budget"), 1, 1 << 20) << 20;
    return std::make_shared<Timeline>(t);
}

// Trains cfg from `start` into the staged directory `dir` (the run's files; `extra` adds its own before the commit).
// A run that diverges is saved all the same (metrics with their nan, the last finite parameters) and said: the exit
// code is 3 and the context null.
std::unique_ptr<RunContext> train_into(StagedDir& dir, const RunConfig& cfg, const RunStart& start, const std::string& out_dir,
                                       std::ostream& err, int& code, const std::function<void(const RunContext&)>& extra = {}) {
    std::unique_ptr<RunContext> ctx;
    code = 0;
    try {
        ctx = run_headless(cfg, start);
    } catch (const TrainingDiverged& e) {
        save_run(dir.path(), *e.run, e.what());
        if (extra) extra(*e.run);
        dir.commit();
        err << "dreamlab: " << e.what() << "\n"
            << "dreamlab: the run up to there is in " << out_dir << " (metrics.csv, and the parameters before the update that diverged)\n";
        code = 3;
        return nullptr;
    }
    save_run(dir.path(), *ctx);
    if (extra) extra(*ctx);
    dir.commit();
    return ctx;
}

// train --resume DIR[@N]: the run in DIR goes on from its newest checkpoint at or before N units (the newest of all
// without @N), into a new directory, with the --set changes applied from there (a branch).
int cmd_resume(const Options& o, std::ostream& out, std::ostream& err) {
    for (const char* opt : {"--env", "--env-arg", "--algo", "--seed", "--config"})
        if (o.has(opt))
            throw UsageError(std::string(opt) + " cannot be given with --resume: a resumed run keeps its parent's env, "
                             "algorithm and seed (change hyperparameters with --set)");
    if (!o.has("--out")) throw UsageError("train --resume needs --out DIR (a new directory for the continued run)");
    std::string spec = o.get("--resume"), at;
    if (const size_t a = spec.rfind('@'); a != std::string::npos) at = spec.substr(a + 1), spec.resize(a);
    const std::filesystem::path parent_dir = spec;
    if (const std::string said = recover_staged(parent_dir); !said.empty()) err << "dreamlab: " << said << "\n";
    const StoredRun parent = open_run(parent_dir);
    if (parent.checkpoints.empty())
        throw IoError("--resume " + spec + ": the run has no checkpoints (it was trained with --no-checkpoints, or "
                      "before checkpoints existed); train it again to resume it");
    auto pick = std::prev(parent.checkpoints.end());
    if (!at.empty()) {
        const int64_t units = count_option("--resume DIR@N", at, 0, int64_t(1) << 62);
        auto it = parent.checkpoints.upper_bound(units);
        if (it == parent.checkpoints.begin()) throw UsageError("--resume " + o.get("--resume") + ": no checkpoint at or before " + at);
        pick = std::prev(it);
    }
    const auto state = load_training_state(pick->second);
    RunStart start;
    start.resume = state;
    start.parent_metrics = &parent.metrics;
    start.parent_markers = &parent.markers;
    start.changes = parse_assignments(o.all("--set"), "--set");
    RunConfig cfg = parent.cfg;
    start.timeline = train_timeline(o, cfg);
    StagedDir dir(o.get("--out"), o.has("--overwrite"), "config.json");
    BranchOrigin origin;
    origin.parent = std::filesystem::absolute(parent_dir).lexically_normal().string();
    origin.units = state->units, origin.env_steps = state->env_steps;
    for (const auto& [k, v] : start.changes)
        if (auto it = state->args.find(k); it == state->args.end() || it->second != v) origin.changes[k] = v;
    int code = 0;
    const auto ctx = train_into(dir, cfg, start, o.get("--out"), err, code,
                                [&](const RunContext&) { save_branch_origin(dir.path(), origin); });
    if (!ctx) return code;
    if (!o.has("--quiet")) {
        const Snapshot s = ctx->snapshot_now();
        out << "resumed " << cfg.algo_id << " on " << cfg.env_id << " from " << spec << " at " << state->units
            << (find_algo(cfg.algo_id).planner ? " sweeps" : " env steps");
        for (const auto& [k, v] : origin.changes) out << ", " << k << "=" << v;
        out << ": now " << s.episodes << " episodes, " << s.env_steps << " env steps, " << s.updates << " updates in "
            << std::fixed << std::setprecision(3) << ctx->wall_seconds() << " s -> " << o.get("--out") << "\n";
    }
    return 0;
}

int cmd_train(const Options& o, std::ostream& out, std::ostream& err) {
    if (o.has("--resume")) return cmd_resume(o, out, err);
    RunConfig cfg;
    if (o.has("--config")) cfg = load_config_file(o.get("--config"));
    if (o.has("--env") && o.get("--env") != cfg.env_id) {
        cfg.env_id = o.get("--env");
        cfg.env_args.clear();  // the old env's args mean nothing for another env
    }
    if (o.has("--algo") && o.get("--algo") != cfg.algo_id) {
        cfg.algo_id = o.get("--algo");
        cfg.algo_args.clear();
    }
    if (!o.has("--config") && (!o.has("--env") || !o.has("--algo")))
        throw UsageError("train needs --env ID and --algo ID (or --config FILE); see 'dreamlab list'");
    for (const auto& [k, v] : parse_assignments(o.all("--env-arg"), "--env-arg")) cfg.env_args[k] = v;
    for (const auto& [k, v] : parse_assignments(o.all("--set"), "--set")) cfg.algo_args[k] = v;
    cfg.seed = parse_seed(o, cfg.seed);
    if (!o.has("--out")) throw UsageError("train needs --out DIR (where config.json, metrics.csv, model.json go)");
    validate_config(cfg);

    RunStart start;
    start.timeline = train_timeline(o, cfg);
    StagedDir dir(o.get("--out"), o.has("--overwrite"), "config.json");  // fails now, before training, if unwritable
    int code = 0;
    const auto ctx = train_into(dir, cfg, start, o.get("--out"), err, code);
    if (!ctx) return code;

    if (!o.has("--quiet")) {
        const Snapshot s = ctx->snapshot_now();
        out << "trained " << cfg.algo_id << " on " << cfg.env_id << " (seed " << cfg.seed << "): " << s.episodes
            << " episodes, " << s.env_steps << " env steps, " << s.updates << (find_algo(cfg.algo_id).planner ? " sweeps" : " updates")
            << " in " << std::fixed
            << std::setprecision(3) << ctx->wall_seconds() << " s -> " << o.get("--out") << "\n";
    }
    (void)err;
    return 0;
}

// Records the first K evaluation episodes of the env's own software rendering to an MP4 (headless, no GL); with
// `overlay`, a strip under each frame says the episode, the step and the return so far.
struct EpisodeRecorder {
    std::string path;
    int64_t episodes = 0;
    int fps = 0;  // 0: the env's render_fps (CartPole 50, FrozenLake 4), as Gymnasium plays it
    bool overlay = false;
    VideoWriter video;
    Image frame;
    void operator()(const Env& env, const EvalFrame& at) {
        if (at.episode >= episodes) return;
        env.render(frame);
        if (overlay) {
            char line[96];
            std::snprintf(line, sizeof line, "episode %lld   step %lld   return %.6g", (long long)at.episode + 1, (long long)at.step, at.ret);
            frame = with_caption_strip(frame, line);
        }
        if (!video.is_open()) video.open(path, frame.width(), frame.height(), fps > 0 ? fps : env.render_fps());  // true speed
        video.add_frame(frame.data());
    }
};

int cmd_eval(const Options& o, std::ostream& out) {
    const int64_t episodes = o.has("--episodes") ? count_option("--episodes", o.get("--episodes"), 1, 100000000) : 1000;
    const uint64_t seed = parse_seed(o, 1);
    EpisodeRecorder rec;
    EvalFrameFn on_frame;
    if (o.has("--video")) {
        rec.path = o.get("--video");
        rec.episodes = o.has("--video-episodes") ? count_option("--video-episodes", o.get("--video-episodes"), 1, 1000) : 3;
        rec.fps = int(o.has("--fps") ? count_option("--fps", o.get("--fps"), 1, 120) : 0);  // 0: the env's own
        rec.overlay = o.has("--overlay");
        on_frame = std::ref(rec);
    } else if (o.has("--video-episodes") || o.has("--fps") || o.has("--overlay")) {
        throw UsageError("--video-episodes, --fps and --overlay only make sense with --video FILE.mp4");
    }
    EvalResult r;
    if (o.has("--run")) {
        if (o.has("--env") || o.has("--policy"))
            throw UsageError("eval takes either --run DIR (the run's greedy policy) or --env ID --policy random");
        const std::filesystem::path dir = o.get("--run");
        // A run whose replacement (train --overwrite) was killed half-way is completed or rolled back first.
        if (const std::string said = recover_staged(dir); !said.empty()) std::cerr << "dreamlab: " << said << "\n";
        const RunConfig cfg = load_run_config(dir);
        auto env = make_env(cfg.env_id, *make_env_args(cfg.env_id, cfg.env_args));
        if (std::filesystem::exists(dir / "agent.json")) {
            // A deep learner: its networks, acting greedily on the encoded observation.
            std::shared_ptr<AgentFn> agent;
            try {
                agent = load_agent(dir.string(), cfg.env_id, *env);  // refused unless trained on this env's spaces
            } catch (const nn::CheckpointError& e) {
                throw IoError(e.what());
            }
            r = evaluate_agent(*env, agent, episodes, seed, on_frame);  // world models filter every frame
        } else {
            const TabularModelFile m = load_tabular_model(dir, cfg.env_id, *env);  // nS, nA and every action checked
            r = evaluate_policy(*env, [&](const Obs& obs, Rng&) { return m.policy[size_t(obs[0])]; }, episodes, seed, on_frame);
        }
    } else if (o.has("--env")) {
        const std::string policy = o.get("--policy", "random");
        if (policy != "random") throw UsageError("--policy=" + policy + " is not allowed: expected random");
        const std::string id = o.get("--env");
        auto env = make_env(id, *make_env_args(id, parse_assignments(o.all("--env-arg"), "--env-arg")));
        r = evaluate_random(*env, episodes, seed, on_frame);
    } else {
        throw UsageError("eval needs --run DIR or --env ID --policy random");
    }
    if (rec.video.is_open()) rec.video.close();
    if (o.has("--json")) out << r.to_json().dump() << "\n";
    else {
        out << "episodes     " << r.episodes << "\nmean_return  " << r.mean_return << "\nstd_return   " << r.std_return
            << "\nmean_length  " << r.mean_length << "\nstd_length   " << r.std_length << "\n";
        if (r.has_success) out << "success_rate " << r.success_rate << "\n";
    }
    return 0;
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> words;
    std::stringstream in(text);
    for (std::string w; std::getline(in, w, ',');)
        if (!w.empty()) words.push_back(w);
    return words;
}

// The pinned short runs (core/repro.h): each one's metrics hash, and with --check whether it is the pinned one.
int cmd_repro(const Options& o, std::ostream& out, std::ostream& err) {
    std::vector<const PinnedRun*> runs;
    if (o.has("--only")) {
        for (const std::string& w : split_commas(o.get("--only"))) {
            const PinnedRun* found = nullptr;
            for (const PinnedRun& r : pinned_runs())
                if (r.name == w) found = &r;
            if (!found) {
                std::string names;
                for (const PinnedRun& r : pinned_runs()) names += " " + r.name;
                throw UsageError("--only " + w + ": no such pinned run; the runs are:" + names);
            }
            runs.push_back(found);
        }
        if (runs.empty()) throw UsageError("--only needs run names, e.g. --only ppo_cartpole");
    } else {
        for (const PinnedRun& r : pinned_runs()) runs.push_back(&r);
    }
    std::map<std::string, std::string> pinned;
    if (o.has("--check"))
        try {
            for (const auto& [name, hash] : parse_hash_file(read_file(o.get("--check")))) pinned[name] = hash;
        } catch (const std::runtime_error& e) {
            throw IoError(o.get("--check") + ": " + e.what());
        }
    const BuildInfo b = build_info();
    std::ostream& table = o.has("--json") ? err : out;
    table << build_and_machine_lines(machine_info());
    table << std::left << std::setw(20) << "run" << std::setw(18) << "metrics hash" << std::right << std::setw(7)
          << "rows" << std::setw(9) << "seconds" << "  " << (pinned.empty() ? "exercises" : "pinned") << "\n";
    nlohmann::json j = nlohmann::json::object();
    int mismatches = 0;
    for (const PinnedRun* run : runs) {
        const PinnedResult r = run_pinned(*run);
        std::string verdict = run->what;
        if (!pinned.empty()) {
            const auto it = pinned.find(r.name);
            verdict = it == pinned.end() ? "not in the file" : it->second == hex64(r.hash) ? "same" : "DIFFERS: pinned " + it->second;
            mismatches += verdict != "same";
        }
        table << std::left << std::setw(20) << r.name << std::setw(18) << hex64(r.hash) << std::right << std::setw(7)
              << r.rows << std::setw(9) << std::fixed << std::setprecision(2) << r.seconds << "  " << verdict << "\n"
              << std::defaultfloat;
        j[r.name] = hex64(r.hash);
    }
    if (o.has("--json")) out << j.dump() << "\n";
    if (!pinned.empty()) {
        table << (mismatches ? std::to_string(mismatches) + " of " + std::to_string(runs.size()) +
                                   " runs differ from " + o.get("--check") +
                                   (b.fixed_arithmetic ? "" : " (expected: this is not the portable build)")
                             : "every run matches " + o.get("--check"))
              << "\n";
        return mismatches ? 1 : 0;
    }
    return 0;
}

int cmd_version(std::ostream& out) {
    out << "dreamlab " << DREAMLAB_VERSION << "\n" << build_and_machine_lines(machine_info());
    return 0;
}

}  // namespace

int64_t parse_integer_option(const std::string& name, const std::string& v, int64_t lo, int64_t hi) {
    // Digits only (an optional leading minus): no spaces, no "+", no "2.5", no "1e3", nothing after the number.
    bool digits = !v.empty() && v.size() <= 19;
    for (size_t i = 0; i < v.size() && digits; ++i) digits = std::isdigit((unsigned char)v[i]) || (i == 0 && v[i] == '-' && v.size() > 1);
    if (digits) {
        const long long x = std::stoll(v);
        if (x >= lo && x <= hi) return x;
    }
    throw std::invalid_argument(name + "=" + v + " is not allowed: expected an integer in " + range_text(lo, hi));
}

double parse_number_option(const std::string& name, const std::string& v, double lo, double hi) {
    char* end = nullptr;
    const double x = v.empty() || std::isspace((unsigned char)v[0]) ? NAN : std::strtod(v.c_str(), &end);
    if (!end || *end || !(x >= lo && x <= hi))
        throw std::invalid_argument(name + "=" + v + " is not allowed: expected a number in " + range_text(lo, hi));
    return x;
}

int64_t count_option(const std::string& name, const std::string& v, int64_t lo, int64_t hi) {
    try {
        return parse_integer_option(name, v, lo, hi);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
}

Size parse_size_option(const std::string& name, const std::string& v, Size min, Size max) {
    const size_t x = v.find('x');
    const std::string expected = " is not allowed: expected WIDTHxHEIGHT from " + std::to_string(min.width) + "x" + std::to_string(min.height) +
                                 " to " + std::to_string(max.width) + "x" + std::to_string(max.height) + ", e.g. 1920x1080";
    if (x == std::string::npos) throw std::invalid_argument(name + "=" + v + expected);
    Size s;
    try {
        s.width = int(parse_integer_option(name, v.substr(0, x), min.width, max.width));
        s.height = int(parse_integer_option(name, v.substr(x + 1), min.height, max.height));
    } catch (const std::invalid_argument&) {
        throw std::invalid_argument(name + "=" + v + expected);
    }
    return s;
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    try {
        if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
            out << kUsage;
            return 0;
        }
        const std::string& cmd = args[0];
        if (cmd == "list") return cmd_list(Options(args, 1, {}, {"--json"}), out);
        if (cmd == "train")
            return cmd_train(Options(args, 1,
                                     {"--env", "--env-arg", "--algo", "--set", "--seed", "--out", "--config", "--resume",
                                      "--checkpoint-every", "--checkpoint-budget"},
                                     {"--overwrite", "--quiet", "--no-checkpoints"}),
                             out, err);
        if (cmd == "eval")
            return cmd_eval(
                Options(args, 1, {"--run", "--env", "--env-arg", "--policy", "--episodes", "--seed", "--video",
                                  "--video-episodes", "--fps"},
                        {"--json", "--overlay"}),
                out);
        if (cmd == "repro") return cmd_repro(Options(args, 1, {"--only", "--check"}, {"--json"}), out, err);
        if (cmd == "version" || cmd == "--version") return cmd_version(out);
        if (cmd == "sweep") return cmd_sweep(args, out, err);
        if (cmd == "sweep-trial") return cmd_sweep_trial(args, out, err);
        if (cmd == "report") return cmd_report(args, out, err);
        if (cmd == "bench") {
            Options o(args, 1, {"--only", "--compare", "--peer-rltools"}, {"--json", "--quick"});
            BenchOptions b;
            b.json = o.has("--json"), b.quick = o.has("--quick");
            if (o.has("--compare")) b.compare = o.get("--compare");
            if (o.has("--peer-rltools")) {
                b.peer_rltools = o.get("--peer-rltools");
                for (const char* bin : {"/peer_td3", "/peer_sac"})
                    if (access((b.peer_rltools + bin).c_str(), X_OK) != 0)
                        throw UsageError("--peer-rltools " + b.peer_rltools + ": no executable " + b.peer_rltools + bin +
                                         " (build it with scripts/peers/build_rltools_peer.sh RLTOOLS_SOURCE " + b.peer_rltools + ")");
            }
            if (o.has("--only")) {
                b.only_text = o.get("--only");
                b.only = split_commas(b.only_text);
                if (b.only.empty()) throw UsageError("--only needs section names, e.g. --only cartpole,ppo_update");
            }
            try {
                return run_bench(b, out, err);
            } catch (const std::invalid_argument& e) {
                throw UsageError(e.what());
            }
        }
        throw UsageError("unknown command '" + cmd + "': commands are gui, render, list, train, eval, bench, repro, sweep, report, version, help");
    } catch (const UsageError& e) {
        err << "dreamlab: " << e.what() << "\n\n" << kUsage;
        return 2;
    } catch (const ParamError& e) {
        err << "dreamlab: " << e.what() << "\n";
        return 2;
    } catch (const IoError& e) {
        err << "dreamlab: " << e.what() << "\n";
        return 1;
    } catch (const StateError& e) {  // a checkpoint that does not fit this run (or a damaged one)
        err << "dreamlab: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        err << "dreamlab: error: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace dl
