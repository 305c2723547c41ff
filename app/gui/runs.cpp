// Run management for the GUI: starting, restarting and polling sessions; ground truth by DP.
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "app/gui/gui.h"
#include "core/rl/tabular.h"
#include "core/session/run_store.h"
#include "base/files.h"
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
    if (in_ab(app, run)) stop_ab(app);  // the pair holds its sessions
    run.session.reset();  // stops and joins the old worker first
    run.cfg = cfg;
    run.snap = {};
    run.live = {};
    run.rewind = run.rewind_shown = nullptr;
    run.rewind_views_for = run.rewind_built_for = nullptr;
    run.parent_id = 0, run.branch_units = -1, run.branch_row = 0;
    run.branch_note.clear(), run.opened_from.clear();
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

namespace {
// What the views show of `run` at its rewound checkpoint: the live snapshot's run state (paused, finished, error)
// with the checkpoint's counters, tables, networks and env; the derived views computed here for that agent when the
// checkpoint or the request changed.
void show_rewound(RunSlot& r) {
    if (r.rewind_loading.valid() &&
        r.rewind_loading.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        try {
            r.rewind_shown = r.rewind_loading.get();
        } catch (const std::exception& e) {
            r.error = std::string("the checkpoint's views could not be rebuilt: ") + e.what();
            r.rewind_shown = r.rewind;
        }
    }
    const TrainingState* at = r.rewind_shown ? r.rewind_shown.get() : r.rewind.get();
    // Built again only when the checkpoint, the live run's state or what the panels ask for changed: a paused,
    // rewound run costs the frame nothing.
    if (at == r.rewind_built_for && r.snap_seq == r.rewind_built_seq && r.rewind_views_for == at && r.rewind_req == r.want_views) return;
    r.rewind_built_for = at, r.rewind_built_seq = r.snap_seq;
    Snapshot s = r.live;
    s.env_steps = at->env_steps, s.episodes = at->episodes, s.updates = at->updates;
    s.units = r.session && r.session->algo().planner ? at->updates : at->env_steps;  // the step unit's counter
    s.steps_per_s = 0;
    s.tab = at->tab;
    s.agent = at->agent;
    s.insides = at->insides;
    if (at->env) s.env = at->env;
    if (r.rewind_views_for != at || !(r.rewind_req == r.want_views)) {
        static double clock = 0;  // always past the throttles: these views are computed once per change
        r.rewind_views = compute_views(r.want_views, at->agent.get(), s.env.get(), r.rewind_views, clock += 1e6);
        r.rewind_views_for = at, r.rewind_req = r.want_views;
    }
    s.views = r.rewind_views;
    r.snap = std::move(s);
}
}  // namespace

namespace {
// The lockstep pair: once both stand at the target, both are shown there, and (playing) the target moves on by what
// the speed limit allows this frame; unthrottled, by a stride that grows with the run.
void drive_ab(App& app) {
    AbPair& ab = *app.ab;
    RunSlot* a = find_run(app, ab.a);
    RunSlot* b = find_run(app, ab.b);
    if (!a || !b || !a->session || !b->session) return stop_ab(app);
    Snapshot x, y;
    if (!ab.pair->arrived(x, y)) return;
    a->live = x, b->live = y;
    if (!a->rewind) a->snap = x;
    if (!b->rewind) b->snap = y;
    if (!app.playing || app.offline || (x.finished && y.finished)) return;
    const double dt = std::min(0.1, double(ImGui::GetIO().DeltaTime));
    ab.owed += app.unthrottled ? 500.0 + double(ab.pair->target()) / 20 : double(app.speed) * dt;
    const int64_t stride = int64_t(ab.owed);
    if (stride < 1) return;
    ab.owed -= double(stride);
    ab.pair->advance_to(ab.pair->target() + stride);
}
}  // namespace

bool in_ab(const App& app, const RunSlot& run) { return app.ab && (app.ab->a == run.id || app.ab->b == run.id); }

void start_ab(App& app, RunSlot& a, const RunConfig& b_cfg, const std::string& flipped) {
    stop_ab(app);
    restart_run(app, a, a.cfg);  // both from the start, from one seed
    add_run(app, b_cfg);
    pair_runs(app, a, *app.runs.back(), flipped);
}

void pair_runs(App& app, RunSlot& a, RunSlot& b, const std::string& flipped) {
    stop_ab(app);
    if (!a.session || !b.session) {
        app.notify("Compare A/B: " + (b.error.empty() ? a.error : b.error), 10);
        return;
    }
    auto ab = std::make_unique<AbPair>();
    ab->a = a.id, ab->b = b.id, ab->flipped = flipped;
    try {
        ab->pair = std::make_unique<LockstepPair>(*a.session, *b.session);
    } catch (const std::exception& e) {
        app.notify(std::string("Compare A/B: ") + e.what(), 10);
        return;
    }
    if (!app.offline) ab->pair->advance_to(1);  // both take their first step together (a renderer moves them itself)
    app.ab = std::move(ab);
}

void stop_ab(App& app) {
    if (!app.ab) return;
    app.ab.reset();
    apply_transport(app);  // the two go back to the transport's play, pause and speed
}

void poll_runs(App& app) {
    name_runs(app);
    if (app.ab) drive_ab(app);
    for (auto& r : app.runs) {
        if (!r->session) continue;
        if (!r->rewind) r->session->set_views(r->want_views);  // what the panels asked for last frame
        r->session->controls().want_snapshot = true;
        const bool paired = in_ab(app, *r);  // a lockstep pair is shown where both stand (drive_ab)
        const bool fresh = !paired && r->session->context().poll_snapshot(r->snap_seq, r->live);
        if (fresh && r->live.steps_per_s > 0 && !r->live.paused &&
            (r->sps_x.empty() || double(r->live.env_steps) > r->sps_x.back()))
            r->sps_x.push_back(double(r->live.env_steps)), r->sps_y.push_back(r->live.steps_per_s);
        if (r->rewind) show_rewound(*r);
        else if (fresh) r->snap = r->live;
        r->want_views = {};
        r->session->context().poll_metrics(r->metrics, r->markers);
        if (!r->live.error.empty()) r->error = r->live.error;
        if (!r->live.alert.empty() && r->alert.empty()) app.notify(r->label() + ": " + r->live.alert, 12);  // also on stage
        r->alert = r->live.alert;
    }
}

RunSlot* find_run(App& app, int id) {
    for (auto& r : app.runs)
        if (r->id == id) return r.get();
    return nullptr;
}

void rewind_run(App& app, RunSlot& run, std::shared_ptr<const TrainingState> at) {
    (void)app;
    if (at == run.rewind) return;
    run.rewind = std::move(at);
    run.rewind_shown = nullptr;
    run.rewind_views_for = run.rewind_built_for = nullptr;
    if (!run.rewind) {
        run.snap = run.live;  // live again
        return;
    }
    // A checkpoint read from disk holds the state only: its views are rebuilt from it off the UI thread.
    if (run.rewind->tab.nS == 0 && !run.rewind->agent && !run.rewind->env)
        run.rewind_loading = std::async(std::launch::async, [cfg = run.cfg, s = run.rewind] { return with_views(cfg, s); });
    show_rewound(run);
}

RunSlot* branch_run(App& app, RunSlot& parent, std::shared_ptr<const TrainingState> at,
                    const std::map<std::string, std::string>& changes) {
    auto slot = std::make_unique<RunSlot>();
    slot->id = app.next_id++;
    slot->color = palette_colour(slot->id - 1);
    slot->cfg = parent.cfg;
    slot->parent_id = parent.id;
    slot->branch_units = parent.session && parent.session->algo().planner ? at->updates : at->env_steps;  // on the strip's axis
    slot->branch_row = at->metrics_rows;
    for (const auto& [k, v] : changes)
        if (auto it = at->args.find(k); it == at->args.end() || it->second != v)
            slot->branch_note += (slot->branch_note.empty() ? "" : ", ") + k + "=" + v;
    if (slot->branch_note.empty()) slot->branch_note = "continued";
    RunStart start;
    start.resume = at;
    start.parent_metrics = &parent.metrics;
    start.parent_markers = &parent.markers;
    start.changes = changes;
    try {
        slot->session = std::make_unique<Session>(parent.cfg, !app.playing || app.offline, app.unthrottled ? 0.0 : app.speed, start);
        slot->cfg = slot->session->config();
    } catch (const std::exception& e) {
        app.notify(std::string("branch: ") + e.what(), 8);
        return nullptr;
    }
    rewind_run(app, parent, nullptr);  // the parent goes on showing where it stands; the branch is selected
    app.runs.push_back(std::move(slot));
    app.selected = int(app.runs.size()) - 1;
    return app.runs.back().get();
}

void open_run_dir(App& app, const std::string& dir) {
    StoredRun stored;
    std::shared_ptr<TrainingState> newest;
    auto timeline = std::make_shared<Timeline>();
    try {
        if (const std::string said = recover_staged(dir); !said.empty()) app.notify(said, 6);
        stored = open_run(dir);
        if (stored.checkpoints.empty())
            throw IoError(dir + " has no checkpoints (trained with --no-checkpoints, or before there were any)");
        // The unit `train` counts its checkpoints in (env steps, or sweeps), so that those read and those to come
        // lie on one axis; every 1,000 env steps (or sweep) from here on.
        TimelineOptions t;
        const bool planner = find_algo(stored.cfg.algo_id).planner;
        t.unit = planner ? TimelineOptions::Updates : TimelineOptions::EnvSteps;
        t.every = planner ? 1 : 1000;
        timeline = std::make_shared<Timeline>(t);
        for (const auto& [units, file] : stored.checkpoints) {
            newest = load_training_state(file);
            timeline->add(newest);
        }
    } catch (const std::exception& e) {
        app.notify(std::string("Open run: ") + e.what(), 10);
        return;
    }
    auto slot = std::make_unique<RunSlot>();
    slot->id = app.next_id++;
    slot->color = palette_colour(slot->id - 1);
    slot->opened_from = dir;
    RunStart start;
    start.timeline = timeline;
    start.resume = newest;
    start.parent_metrics = &stored.metrics;
    start.parent_markers = &stored.markers;
    try {
        slot->session = std::make_unique<Session>(stored.cfg, true, 0.0, start);
        slot->cfg = slot->session->config();
        // Where it ended: the newest checkpoint is at most an interval before; the rest is played again (the same
        // numbers, up to the algorithm's own end) so the run stands where it stood and as it stood — done, curves
        // complete, final agent on show.
        slot->session->run_to_end();
    } catch (const std::exception& e) {
        app.notify(std::string("Open run: ") + e.what(), 10);
        return;
    }
    app.runs.push_back(std::move(slot));
    app.selected = int(app.runs.size()) - 1;
    app.notify("opened " + dir + ": " + std::to_string(stored.checkpoints.size()) + " checkpoints", 5);
}

void apply_transport(App& app) {
    if (app.offline) return;  // the renderer moves the runs frame by frame
    for (auto& r : app.runs) {
        if (!r->session || in_ab(app, *r)) continue;  // a lockstep pair is driven by poll_runs
        RunControls& c = r->session->controls();
        c.speed = app.unthrottled ? 0.0 : double(app.speed);
        c.paused = !app.playing;
        c.wake();
    }
}

void step_all(App& app, Tick unit) {
    app.playing = false;
    if (app.ab) app.ab->pair->advance_to(app.ab->pair->target() + 1);  // the pair: one step each, together
    for (auto& r : app.runs) {
        if (!r->session || in_ab(app, *r)) continue;
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
