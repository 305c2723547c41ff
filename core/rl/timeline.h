// Timeline — checkpoints of a run's whole training state, so training can be rewound and branched.
//
// A checkpoint (TrainingState) is everything the run needs to go on exactly as it would have: the bytes of the
// algorithm's state (networks, optimiser moments, buffers, envs, random streams, loop counters: whatever it names in
// RunContext::keep_state), the context's counters, how many metrics rows and markers existed, and the
// hyperparameters as they stood (live changes included). Restoring one into a new run and going on gives the
// numbers the original run produced from there, bit for bit (tests/core/test_timeline.cpp checks every algorithm).
//
// Memory is bounded: past the budget (bytes, and a count), old checkpoints are thinned so that those kept are dense near the present and
// sparse far back (each removal takes the checkpoint whose neighbours are closest together relative to its age).
// The first checkpoint (the run's start) and the newest are always kept.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/rl/agent.h"
#include "core/rl/insides.h"

namespace dl {

class Env;

struct TrainingState {
    int64_t env_steps = 0, episodes = 0, updates = 0;
    int64_t units = 0;            // the timeline's unit at that moment (env steps, episodes or updates)
    int64_t metrics_rows = 0;     // rows of the run's metrics that existed
    int64_t markers = 0;          // markers that existed
    std::map<std::string, std::string> args;  // every hyperparameter as it stood
    std::string bytes;            // the algorithm's state (RunContext::keep_state)
    // What the views show of the agent then (not needed to resume; shown when the timeline is dragged back).
    TabularView tab;
    std::shared_ptr<const AgentFn> agent;
    std::shared_ptr<const Env> env;
    std::shared_ptr<const Insides> insides;  // the algorithm's workings then (overlays)
    size_t footprint() const;     // bytes it holds, as the budget counts them
};

struct TimelineOptions {
    enum Unit { EnvSteps = 0, Episodes = 1, Updates = 2 };
    Unit unit = EnvSteps;
    int64_t every = 1000;                  // a checkpoint at the first loop top this many units after the last
    int64_t budget_bytes = 256ll << 20;    // thinning keeps the timeline under this
    int64_t max_count = 200;               // and at most this many checkpoints
    // Checkpoints are skipped while taking them would cost more than this fraction of the training time since the
    // last (a big replay buffer is copied less often); 0 = take every one the interval asks for (tests).
    double max_overhead = 0.02;
};

// Shared between the worker (which adds) and the UI (which reads): every call locks.
class Timeline {
public:
    explicit Timeline(TimelineOptions o = {}) : opt_(o) {}
    const TimelineOptions& options() const { return opt_; }
    void add(std::shared_ptr<const TrainingState> s);  // then thins to the budget
    std::vector<std::shared_ptr<const TrainingState>> states() const;  // oldest first
    // The newest checkpoint at or before `units` (nullptr if none).
    std::shared_ptr<const TrainingState> at_or_before(int64_t units) const;
    int64_t bytes_used() const;
    size_t size() const;
    int64_t thinned() const;  // checkpoints dropped for the budget so far

private:
    void thin();  // under lock
    TimelineOptions opt_;
    mutable std::mutex m_;
    std::vector<std::shared_ptr<const TrainingState>> states_;
    int64_t bytes_ = 0, thinned_ = 0;
};

// ---- on disk: DIR/checkpoints/units-NNNNNNNNNNNN.state, each written atomically ----
// Layout: "DLSTATE" + version byte, a JSON header (counters, rows, args; its length first), the state bytes (their
// length first), then an FNV-1a 64 checksum of everything before it.
void save_training_state(const std::filesystem::path& file, const TrainingState& s);
// Reads and checks one (magic, version, lengths before allocating, checksum, every header field); throws StateError.
std::shared_ptr<TrainingState> load_training_state(const std::filesystem::path& file);
// The checkpoint files of a run directory, by units (empty if it has none).
std::map<int64_t, std::filesystem::path> list_training_states(const std::filesystem::path& run_dir);

}  // namespace dl
