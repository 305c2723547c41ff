// A run: its configuration, the RunContext through which an algorithm meets the world, and what a run
// publishes (metrics rows, view snapshots).
//
// [SECTION] RunConfig   — env id + args, algo id + args, seed: everything needed to reproduce a run
// [SECTION] Metrics     — a table of named columns, one row per episode (learners) or per sweep (planners)
// [SECTION] Snapshot    — what the UI draws: a copy of the env, V/Q/π tables, counters
// [SECTION] RunContext  — the algorithm's only door: tick(), log(), make_env(), on_view()
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "base/params.h"
#include "core/rl/agent.h"
#include "core/rl/insides.h"
#include "core/rl/timeline.h"
#include "core/rl/views.h"
#include "envs/env.h"

namespace dl {

// [SECTION] RunConfig

struct RunConfig {
    std::string env_id = "FrozenLake-v1";
    std::map<std::string, std::string> env_args;   // overrides of the env's defaults
    std::string algo_id = "q_learning";
    std::map<std::string, std::string> algo_args;  // overrides of the algorithm's defaults
    uint64_t seed = 1;
    // Its JSON form and validation need the registries, a floor up: core/session/run_config.h.
};

// [SECTION] Metrics

// Stored column by column: plots read whole columns every frame, and contiguous columns keep that cheap.
// A cell a row did not log is kMissing (a NaN that plots skip, written as an empty CSV cell); a logged NaN is
// kept as another NaN (plots skip it too) and written as "nan", so a diverged run is never silently blank.
class MetricsTable {
public:
    static bool missing(double v);         // a cell the row did not log (not a logged NaN)
    int column(std::string_view name);     // index of a column, created on first use
    void set(int col, double v);           // value in the row being filled
    void commit();                         // closes the row being filled
    const std::vector<std::string>& names() const { return names_; }
    const std::vector<double>& col(int c) const { return cols_[size_t(c)]; }  // a NaN where a row did not log it
    double at(size_t row, int c) const { return cols_[size_t(c)][row]; }
    // Appends rows [from, min(to, size())) of `src`, adding columns as needed (the UI's incremental copy; a branch's
    // rows from its parent).
    void append_from(const MetricsTable& src, size_t from, size_t to = SIZE_MAX);
    std::string to_csv() const;            // header + rows; empty cells for values a row did not log, "nan" for a logged NaN
    // Reads what to_csv wrote, every value back to the same bits (a reopened run; a run resumed from disk). Throws
    // ParamError naming the line and column of anything else (`where`: the file, for the message).
    static MetricsTable from_csv(std::string_view text, const std::string& where);
    size_t size() const { return rows_; }
    bool row_pending() const;              // something was logged into the row being filled
    int find(std::string_view name) const; // -1 if absent

private:
    std::vector<std::string> names_;
    std::vector<std::vector<double>> cols_;
    std::vector<double> current_;
    size_t rows_ = 0;
};

// A live hyperparameter change, drawn on the curves where it happened.
struct Marker {
    int64_t row = 0;  // metrics row index at which it took effect
    std::string text;
};

// [SECTION] Snapshot

struct Snapshot {
    int64_t env_steps = 0, episodes = 0, updates = 0;
    double wall_s = 0;
    double steps_per_s = 0;
    int64_t units = 0;                // the counter of the algorithm's step unit (env steps, or sweeps for a planner)
    bool paused = false;
    bool finished = false;
    std::string error;
    std::string alert;                // a held run's reason (training produced NaN): shown until it is resumed
    uint64_t views_seq = 0;           // the owner's last ViewRequest this snapshot's views answer
    std::shared_ptr<const Env> env;   // a copy of the shown env at publish time
    TabularView tab;
    std::shared_ptr<const AgentFn> agent;  // deep learners: a copy of the networks
    ComputedViews views;                   // what the owner's ViewRequest asked for, computed on the worker
    std::shared_ptr<const Insides> insides;  // the algorithm's workings as layers (RunContext::on_insides), or null
};

// [SECTION] RunContext

enum class Tick { EnvStep = 0, Episode = 1, Update = 2 };

// The owner's side: shared between the worker thread and whoever drives it (GUI, CLI).
struct RunControls {
    std::atomic<bool> stop{false};
    std::atomic<bool> paused{false};
    std::atomic<int> step_to{-1};          // pause again at the next tick of this kind (-1: none)
    std::atomic<double> speed{0};          // step units per second (env steps: all envs of a vector step count); 0 = unthrottled
    std::atomic<bool> want_snapshot{false};
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::pair<std::string, std::string>> pending;  // live parameter changes, guarded by m
    std::atomic<bool> has_pending{false};
    ViewRequest views;                     // the derived views the owner wants (dream strip, maps), guarded by m
    uint64_t views_seq = 0;                // bumped with each new request, guarded by m
    std::atomic<bool> views_changed{false};
    // Lock-step driving (offline rendering): pause when the step-unit counter reaches pause_at (-1: never), and
    // compute the requested views at every publish instead of throttling them by the wall clock.
    std::atomic<int64_t> pause_at{-1};
    std::atomic<bool> lockstep{false};

    void wake() { cv.notify_all(); }
};

class RunContext {
public:
    explicit RunContext(RunConfig cfg);
    ~RunContext();

    // ---- for the algorithm ----
    uint64_t seed() const { return cfg_.seed; }
    const RunConfig& config() const { return cfg_; }
    // Builds the configured env, owned by the context (so the views can still show it after the algorithm
    // returned); the first one made is the one the views show.
    Env& make_env();
    // A new configured env owned by the caller (vector envs), and which env the views follow.
    std::unique_ptr<Env> new_env();
    // The env the views follow. Under the GUI it also keeps its last episodes for replays.
    void show_env(Env& env) {
        shown_env_ = &env;
        if (controlled_) env.keep_episodes(5), env.record_path(true);
    }
    // The configured env as a tabular one; throws ParamError if it is not tabular.
    DiscreteEnv& make_tabular_env();
    // Pause / single-step / speed limit / stop / live hyperparameter changes all happen here.
    // Episode and Update ticks also close the current metrics row. Returns false when the run must stop.
    // `count` lets a vector of N envs advance the env-step counter by N with one tick.
    bool tick(Tick t, int64_t count = 1) {
        counters_[int(t)] += count;
        if (t != Tick::EnvStep) commit_row();
        if (t == Tick::Episode && episode_hook_ && !episode_hook_(*this)) return false;
        if (!controlled_) return true;  // headless: nothing else to do, keep the hot loop tight
        return tick_slow(t, count);
    }
    void log(std::string_view name, double value);
    // The algorithm's view of its tables, called (on the worker thread) whenever a snapshot is taken. Keep the
    // returned scope alive as long as the tables the function reads; when it ends, the last view is kept.
    class [[nodiscard]] ViewScope {
    public:
        explicit ViewScope(RunContext* c) : ctx_(c) {}
        ViewScope(const ViewScope&) = delete;
        ViewScope& operator=(const ViewScope&) = delete;
        ~ViewScope() { ctx_->close_view(); }
    private:
        RunContext* ctx_;
    };
    // ---- the timeline: checkpoints of the whole training state (core/rl/timeline.h) ----
    // The algorithm names, once and right before its main loop, everything that loop carries from one iteration to
    // the next (tables, networks, optimisers, buffers, envs, random streams, the loop counter, running sums). A run
    // resumed from a checkpoint has that state loaded here, so the loop goes on from where the checkpoint was taken.
    class [[nodiscard]] StateScope {
    public:
        explicit StateScope(RunContext* c) : ctx_(c) {}
        StateScope(const StateScope&) = delete;
        StateScope& operator=(const StateScope&) = delete;
        ~StateScope() { ctx_->state_fn_ = nullptr; }
    private:
        RunContext* ctx_;
    };
    StateScope keep_state(std::function<void(StateIO&)> fn);
    // At the top of the main loop, where the state named above is all there is: takes a checkpoint when the
    // timeline's interval has passed since the last.
    void checkpoint() {
        if (timeline_ && counters_[timeline_unit_] >= next_checkpoint_) take_checkpoint();
    }

    ViewScope on_view(std::function<void(TabularView&)> fn) {
        view_fn_ = std::move(fn);
        return ViewScope(this);
    }
    // A deep learner's networks as a function (called on the worker thread when a snapshot is taken). On a
    // tabular env the context also fills the TabularView from it (V and arrows on the lake).
    ViewScope on_agent(std::function<std::shared_ptr<const AgentFn>()> fn) {
        agent_fn_ = std::move(fn);
        return ViewScope(this);
    }
    // The algorithm's workings as layers on the views (core/rl/insides.h), made on the worker thread when a snapshot
    // or a checkpoint is taken: TD errors, traces, replay sampling, GAE along a path.
    ViewScope on_insides(std::function<void(Insides&)> fn) {
        insides_fn_ = std::move(fn);
        return ViewScope(this);
    }
    int64_t env_steps() const { return counters_[0]; }
    int64_t episodes() const { return counters_[1]; }
    int64_t updates() const { return counters_[2]; }
    // Pauses a controlled run with `alert` on show until the owner resumes or stops it; live changes made
    // meanwhile apply before it returns. Returns false if the run was stopped (or is headless: nobody to ask).
    bool hold(const std::string& alert);
    // Commits the row being filled if anything was logged into it (a run that stopped mid-update keeps what that
    // update logged, NaN included).
    void flush_row();

    // ---- for the owner ----
    // Called after every finished episode's row is committed (benchmarks watch for a return threshold);
    // returning false stops the run.
    void on_episode(std::function<bool(RunContext&)> hook) { episode_hook_ = std::move(hook); }
    // Lets live changes reach `args` (the algorithm's own struct) at the next tick.
    void bind_args(ArgsBase* args) { args_ = args, args_text_.reset(); }
    // Checkpoints go into `t` (set before the run starts; none: no checkpoints are taken).
    void set_timeline(std::shared_ptr<Timeline> t);
    const std::shared_ptr<Timeline>& timeline() const { return timeline_; }
    // Before the run starts: go on from checkpoint `s` of a run with this config (a branch may have changed
    // hyperparameters that apply now: the owner sets them on the args after the checkpoint's). Rows [0,
    // s.metrics_rows) of `metrics` and the first s.markers of `markers` (the parent's) become this run's.
    void resume_from(std::shared_ptr<const TrainingState> s, const MetricsTable& metrics, const std::vector<Marker>& markers);
    // Called once a resumed run's state is loaded (with_views: copy the views, then stop).
    void on_restored(std::function<void(RunContext&)> fn) { restored_hook_ = std::move(fn); }
    // Fills s.tab, s.agent and s.env with what the views show now (the algorithm's tables or networks, the env).
    void capture_views(TrainingState& s);
    // The algorithm returned without naming its state (keep_state): a resume was asked of one that cannot.
    bool resume_pending() const { return resume_ != nullptr; }
    // Adds a marker at the current row (a branch's changes, drawn on its curves).
    void mark(const std::string& text);
    // Turns on pause/step/speed/snapshot handling (the GUI); headless runs leave it off.
    void attach(RunControls* controls, Tick step_unit);
    // Latest snapshot if a newer one was published since `seq` (never blocks: try_lock).
    bool poll_snapshot(uint64_t& seq, Snapshot& out);
    // Copies metrics rows beyond dst.size() into dst (never blocks; returns false if busy).
    bool poll_metrics(MetricsTable& dst, std::vector<Marker>& markers);
    // For a run started paused: shows the env as reset by the seed, then waits for play, a step or stop, so
    // "Step" from a fresh run takes exactly one step. Returns false if stopped first.
    bool wait_to_start();
    // Publishes a final snapshot (call after the algorithm returned, on the same thread).
    void finish(const std::string& error = {});
    Snapshot snapshot_now();  // builds one on the calling thread (the worker's, or after finish)
    // After finish, on the worker's thread: answers a changed ViewRequest with a new snapshot (same counters, new
    // views) so a finished run's maps and dreams still follow the sliders.
    void refresh_views();
    const MetricsTable& metrics() const { return metrics_; }
    const std::vector<Marker>& markers() const { return markers_; }
    double wall_seconds() const;

private:
    bool tick_slow(Tick t, int64_t count);
    void take_checkpoint();
    void close_view();
    void commit_row();
    void publish();
    void apply_pending();
    void add_views(Snapshot& s);  // the requested derived views, on the calling (worker) thread

    RunConfig cfg_;
    ArgsBase* args_ = nullptr;
    RunControls* controls_ = nullptr;
    bool controlled_ = false;
    Tick step_unit_ = Tick::EnvStep;
    int64_t counters_[3] = {0, 0, 0};
    std::vector<std::unique_ptr<Env>> envs_;
    const Env* shown_env_ = nullptr;
    std::function<void(TabularView&)> view_fn_;
    std::function<void(StateIO&)> state_fn_;
    std::shared_ptr<Timeline> timeline_;
    int timeline_unit_ = 0;
    int64_t next_checkpoint_ = 0;
    std::chrono::steady_clock::time_point checkpoint_not_before_{};
    std::shared_ptr<const TrainingState> resume_;
    // The args as text for checkpoints, made again only after they changed (describing them costs ~50 µs).
    std::shared_ptr<const std::map<std::string, std::string>> args_text_;
    std::function<void(RunContext&)> restored_hook_;
    TabularView last_view_;  // kept when the algorithm's tables go away
    std::function<std::shared_ptr<const AgentFn>()> agent_fn_;
    std::function<bool(RunContext&)> episode_hook_;
    std::shared_ptr<const AgentFn> last_agent_;
    std::function<void(Insides&)> insides_fn_;
    std::shared_ptr<const Insides> last_insides_;
    std::shared_ptr<const Insides> live_insides_;  // the newest made while the run goes on (throttled under a window)
    double insides_at_ = -1;
    std::shared_ptr<const Insides> make_insides() const;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point next_allowed_;
    int64_t rate_steps_ = 0;
    std::chrono::steady_clock::time_point rate_t0_;
    double steps_per_s_ = 0;

    std::mutex metrics_m_;
    MetricsTable metrics_;
    std::vector<Marker> markers_;
    int col_episode_ = -1, col_env_step_ = -1, col_update_ = -1;

    std::string alert_;  // while held
    std::mutex snap_m_;
    Snapshot latest_;
    uint64_t snap_seq_ = 0;
    double lockstep_clock_ = 0;
    ComputedViews views_;  // the last answers (reused while a throttle holds), the worker's only
};

}  // namespace dl
