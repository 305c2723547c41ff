// Session — one run on its own worker thread (or, run_headless, on the calling thread). The algorithm runs unchanged (the same function the CLI
// calls); the owner steers it through RunControls and reads what it publishes without ever waiting.
#pragma once
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/algos/registry.h"
#include "core/rl/run.h"

namespace dl {

class Session {
public:
    // Validates cfg (throws ParamError) and starts the worker; `paused` starts it paused before its first tick.
    // `start`: its timeline (none given: a default one, see default_timeline) and the checkpoint it goes on from.
    Session(const RunConfig& cfg, bool paused, double speed, const struct RunStart& start);
    Session(const RunConfig& cfg, bool paused, double speed);
    ~Session();  // stops the worker and joins it
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const RunConfig& config() const { return cfg_; }  // with a branch's args (those of its checkpoint, then its changes)
    const std::shared_ptr<Timeline>& timeline() const { return ctx_->timeline(); }
    const AlgoInfo& algo() const { return *algo_; }
    RunControls& controls() { return controls_; }
    RunContext& context() { return *ctx_; }
    bool finished() const { return finished_.load(); }

    // Queues a change of an "applies now" hyperparameter; it takes effect at the worker's next tick.
    void set_live(const std::string& name, const std::string& value);
    // What the derived views should show (dream strip, state maps); answered on the worker with the next snapshot
    // (a paused or finished run answers at once).
    void set_views(const ViewRequest& req);
    void stop();

    // Lock step (offline rendering, tests): the worker runs unthrottled until its step-unit counter (env steps,
    // or sweeps for a planner) reaches `units`, then pauses. A target at or below where it stands does nothing.
    void run_to(int64_t units);
    // Plays unthrottled until the algorithm returns (a reopened run replayed to its end: it stands done).
    void run_to_end();
    // Waits until the worker stands where run_to asked (or the run is over) and its snapshot answers the last
    // set_views; `out` is that snapshot. False if `timeout_s` passed first. Same config, same calls → same snapshots.
    bool settle(Snapshot& out, double timeout_s = 600);

private:
    RunConfig cfg_;
    const AlgoInfo* algo_;
    std::unique_ptr<ArgsBase> args_;
    std::unique_ptr<RunContext> ctx_;
    RunControls controls_;
    std::atomic<bool> finished_{false};
    int64_t target_ = 0;       // lock step: where run_to asked the worker to stand
    uint64_t settle_seq_ = 0;  // the last snapshot settle saw
    Snapshot settled_;
    std::thread worker_;
};

// Training produced NaN or infinity (a loss, a gradient): the run stopped at that update. `run` holds it as it
// stood, the parameters those before the update (the last finite ones) and the metrics up to it, so the CLI can
// still save it.
struct TrainingDiverged : std::runtime_error {
    TrainingDiverged(const std::string& what, std::shared_ptr<RunContext> r) : std::runtime_error(what), run(std::move(r)) {}
    std::shared_ptr<RunContext> run;
};

// Runs `cfg` to completion on the calling thread (CLI, tests, benchmarks). The context holds the metrics and
// the final snapshot afterwards. Throws ParamError on a bad config, TrainingDiverged on NaN.
// `on_episode`, if given, is called after every finished episode (its row is in the metrics); returning false stops.
std::unique_ptr<RunContext> run_headless(const RunConfig& cfg, std::function<bool(RunContext&)> on_episode = {});

// A run's timeline and where it starts from.
struct RunStart {
    std::shared_ptr<Timeline> timeline;  // checkpoints go here (none: none are taken)
    // Go on from this checkpoint of the run whose metrics and markers are given: a continuation, or a branch when
    // `changes` name hyperparameters that differ from those the checkpoint holds.
    std::shared_ptr<const TrainingState> resume;
    const MetricsTable* parent_metrics = nullptr;
    const std::vector<Marker>* parent_markers = nullptr;
    std::map<std::string, std::string> changes;
};
// The algorithm's args for `start`: cfg's, then the checkpoint's (live changes included), then the branch's changes.
// `cfg` is updated to what the run will use (its config.json). A change to a hyperparameter that applies at a restart
// only is refused (the checkpoint holds what it shaped), except the run's length. Throws ParamError.
std::unique_ptr<ArgsBase> start_args(RunConfig& cfg, const RunStart& start);
// Binds args and the start to a new context (the timeline set, the checkpoint to resume from, a marker for a branch).
void prepare_context(RunContext& ctx, ArgsBase& args, const RunStart& start);
std::unique_ptr<RunContext> run_headless(RunConfig cfg, const RunStart& start, std::function<bool(RunContext&)> on_episode = {});

// The GUI's timeline for an algorithm: a checkpoint every episode (every sweep for a planner), at most 2% of the
// training time, 256 MB and 200 at most.
std::shared_ptr<Timeline> default_timeline(const AlgoInfo& algo);
// What the views show of the agent at a checkpoint that holds only the state (one read from disk): the algorithm is
// set up from it and stopped before its first step, and its tables, networks and env are copied. Throws as a resume.
std::shared_ptr<TrainingState> with_views(const RunConfig& cfg, std::shared_ptr<const TrainingState> s);

// What a user reads when training diverges: where (update, env step), what was not finite, and the
// hyperparameters to suspect first (the step sizes and the gradient clip, with their values).
std::string diverged_message(const RunContext& ctx, ArgsBase& args, const std::string& what);

}  // namespace dl
