// Run management for the GUI: starting, restarting and polling sessions; ground truth by DP.
#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "app/gui/gui.h"
#include "core/rl/tabular.h"
#include "envs/registry.h"

namespace dl {

namespace {
// Okabe & Ito's palette (2008), distinguishable under the common colour-vision deficiencies (deuteranopia,
// protanopia, tritanopia), in an order where neighbours differ in lightness too; then a neutral grey.
const ImU32 kRunColours[] = {IM_COL32(86, 180, 233, 255),  IM_COL32(230, 159, 0, 255),  IM_COL32(0, 158, 115, 255),
                             IM_COL32(213, 94, 0, 255),    IM_COL32(204, 121, 167, 255), IM_COL32(240, 228, 66, 255),
                             IM_COL32(0, 114, 178, 255),   IM_COL32(180, 180, 180, 255)};
}

ImU32 palette_colour(int i) { return kRunColours[((i % 8) + 8) % 8]; }

std::string RunSlot::label() const { return name.empty() ? cfg.algo_id + " #" + std::to_string(id) : name; }

void name_runs(App& app) {
    // Every setting of every run with its value (the default where the run does not override it).
    auto settings = [](const RunConfig& c) {
        std::map<std::string, std::string> m;
        try {
            for (const ParamSpec& p : describe(*make_env_args(c.env_id, c.env_args))) m["env:" + p.name] = p.default_value;
            for (const ParamSpec& p : describe(*make_algo_args(c.algo_id, c.algo_args))) m[p.name] = p.default_value;
        } catch (...) {
        }
        return m;
    };
    std::vector<std::map<std::string, std::string>> all;
    for (const auto& r : app.runs) all.push_back(settings(r->cfg));
    auto differs = [&](auto get) {
        for (size_t i = 1; i < app.runs.size(); ++i)
            if (get(i) != get(0)) return true;
        return false;
    };
    const bool env_differs = differs([&](size_t i) { return app.runs[i]->cfg.env_id; });
    const bool seed_differs = differs([&](size_t i) { return app.runs[i]->cfg.seed; });
    std::set<std::string> keys;
    for (const auto& m : all)
        for (const auto& [k, v] : m) keys.insert(k);
    std::vector<std::string> differing;
    for (const std::string& k : keys)
        if (differs([&](size_t i) { auto it = all[i].find(k); return it == all[i].end() ? std::string("·") : it->second; }))
            differing.push_back(k);
    std::map<std::string, int> seen;
    for (size_t i = 0; i < app.runs.size(); ++i) {
        RunSlot& r = *app.runs[i];
        std::string n = r.cfg.algo_id;
        if (env_differs) n += " · " + r.cfg.env_id;
        for (const std::string& k : differing) {
            auto it = all[i].find(k);
            if (it == all[i].end()) continue;  // a setting of another algorithm
            // Only settings this run's algorithm shares with another run: the rest is said by the algorithm's name.
            bool shared = false;
            for (size_t j = 0; j < all.size() && !shared; ++j) shared = j != i && all[j].count(k) && app.runs[j]->cfg.algo_id == r.cfg.algo_id;
            if (!shared && !(k.rfind("env:", 0) == 0)) continue;
            const std::string v = it->second == "true" ? "on" : it->second == "false" ? "off" : it->second;
            n += " · " + (k.rfind("env:", 0) == 0 ? k.substr(4) : k) + "=" + v;
        }
        if (seed_differs) n += " · seed " + std::to_string(r.cfg.seed);
        r.name = n;
        ++seen[n];
    }
    for (auto& r : app.runs)
        if (seen[r->name] > 1) r->name += " #" + std::to_string(r->id);
}

void App::notify(const std::string& msg, double seconds) {
    toast = msg;
    toast_until = ImGui::GetTime() + seconds;
}

void add_run(App& app, const RunConfig& cfg) {
    auto slot = std::make_unique<RunSlot>();
    slot->id = app.next_id++;
    slot->color = palette_colour(slot->id - 1);
    app.runs.push_back(std::move(slot));
    restart_run(app, *app.runs.back(), cfg);
}

void restart_run(App& app, RunSlot& run, const RunConfig& cfg) {
    run.session.reset();  // stops and joins the old worker first
    run.cfg = cfg;
    run.snap = {};
    run.snap_seq = 0;
    run.metrics = {};
    run.markers.clear();
    run.sps_x.clear(), run.sps_y.clear();
    run.error.clear();
    try {
        run.session = std::make_unique<Session>(cfg, !app.playing || app.offline, app.unthrottled ? 0.0 : app.speed);
    } catch (const std::exception& e) {
        run.error = e.what();
    }
}

void poll_runs(App& app) {
    name_runs(app);
    for (auto& r : app.runs) {
        if (!r->session) continue;
        r->session->set_views(r->want_views);  // what the panels asked for last frame
        r->want_views = {};
        r->session->controls().want_snapshot = true;
        if (r->session->context().poll_snapshot(r->snap_seq, r->snap) && r->snap.steps_per_s > 0 && !r->snap.paused &&
            (r->sps_x.empty() || double(r->snap.env_steps) > r->sps_x.back()))
            r->sps_x.push_back(double(r->snap.env_steps)), r->sps_y.push_back(r->snap.steps_per_s);
        r->session->context().poll_metrics(r->metrics, r->markers);
        if (!r->snap.error.empty()) r->error = r->snap.error;
        if (!r->snap.alert.empty() && r->alert.empty()) app.notify(r->label() + ": " + r->snap.alert, 12);  // also on stage
        r->alert = r->snap.alert;
    }
}

void apply_transport(App& app) {
    if (app.offline) return;  // the renderer moves the runs frame by frame
    for (auto& r : app.runs) {
        if (!r->session) continue;
        RunControls& c = r->session->controls();
        c.speed = app.unthrottled ? 0.0 : double(app.speed);
        c.paused = !app.playing;
        c.wake();
    }
}

void step_all(App& app, Tick unit) {
    app.playing = false;
    for (auto& r : app.runs) {
        if (!r->session) continue;
        RunControls& c = r->session->controls();
        c.paused = true;
        // A planner has no env steps: "one step" is one sweep for it. An algorithm without update ticks takes
        // one env step when asked for an update.
        const AlgoInfo& a = r->session->algo();
        Tick t = a.planner ? Tick::Update : unit;
        if (t == Tick::Update && !a.ticks_updates) t = Tick::EnvStep;
        c.step_to = int(t);
        c.wake();
    }
}

void load_draft(App& app) {
    RunSlot* r = app.current();
    if (!r) return;
    app.draft_env_id = r->cfg.env_id;
    app.draft_algo_id = r->cfg.algo_id;
    app.draft_seed = r->cfg.seed;
    try {
        app.draft_env = make_env_args(r->cfg.env_id, r->cfg.env_args);
        app.draft_algo = make_algo_args(r->cfg.algo_id, r->cfg.algo_args);
    } catch (const std::exception& e) {
        app.setup_error = e.what();
    }
    app.restart_needed = false;
}

RunConfig draft_config(const App& app) {
    RunConfig c;
    c.env_id = app.draft_env_id;
    c.algo_id = app.draft_algo_id;
    c.seed = app.draft_seed;
    // Keep only values that differ from the id's defaults, so config.json stays readable.
    auto diff = [](ArgsBase& now, ArgsBase& defaults) {
        std::map<std::string, std::string> m;
        auto d = describe(defaults);
        for (const auto& s : describe(now))
            for (const auto& ds : d)
                if (ds.name == s.name && ds.default_value != s.default_value) m[s.name] = s.default_value;
        return m;
    };
    if (app.draft_env) c.env_args = diff(*app.draft_env, *find_env(c.env_id).make_args());
    if (app.draft_algo) c.algo_args = diff(*app.draft_algo, *find_algo(c.algo_id).make_args());
    return c;
}

const GroundTruth& ground_truth(App& app, const RunSlot& run) {
    double gamma = 0.99;
    try {
        auto a = make_algo_args(run.cfg.algo_id, run.cfg.algo_args);
        gamma = std::stod(get_param(*a, "gamma"));
    } catch (...) {
    }
    nlohmann::json key = {{"env", run.cfg.env_id}, {"args", run.cfg.env_args}, {"gamma", gamma}};
    if (app.truth.key == key.dump()) return app.truth;
    app.truth = {};
    app.truth.key = key.dump();
    try {
        auto env = make_env(run.cfg.env_id, *make_env_args(run.cfg.env_id, run.cfg.env_args));
        const DiscreteEnv* d = env->tabular();
        if (!d) return app.truth;
        // γ = 1 may not converge on maps where a policy can wander forever: cap the sweeps.
        app.truth.v = solve_optimal_values(d->model(), std::min(gamma, 0.9999), 1e-10);
        app.truth.q = q_from_v(d->model(), app.truth.v, std::min(gamma, 0.9999));
        const int nS = d->num_states(), nA = d->num_actions();
        const auto pi = greedy_policy(app.truth.q, nS, nA);
        app.truth.pi.assign(size_t(nS) * nA, 0.0);
        for (int s = 0; s < nS; ++s) app.truth.pi[size_t(s) * nA + pi[s]] = 1.0;
    } catch (...) {
    }
    return app.truth;
}

}  // namespace dl
