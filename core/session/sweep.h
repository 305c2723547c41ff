// A hyperparameter sweep: one base run and axes of values, expanded into trials (configuration × seed), each trial
// a complete run directory DIR/trials/NAME/ (config.json, metrics.csv, …) that can be rerun or opened on its own.
//
//     title = "PPO on CartPole: learning rate × clip coefficient"
//     metric = "final_return"                       # what `report` and the explorer rank by
//     [base]                                        # the run every trial starts from (like a lesson's [[runs]]),
//     env.id = "CartPole-v1"                        # or base = "runs/ppo/config.json"
//     algo.id = "ppo"
//     algo.args = { total_timesteps = 60000 }
//     [design]
//     kind = "grid"                                 # or "random" with samples = N and seed = S
//     seeds = 5                                     # seeds 1..5 (or a list: seeds = [1, 7, 42])
//     [axes]                                        # in file order; env arguments as "env.NAME"
//     learning_rate = [1e-4, 3e-4, 1e-3]
//     clip_coef = "uniform(0.1, 0.3, 3)"            # uniform / log_uniform(lo, hi[, points]); int_range(lo, hi)
//
// [SECTION] Sweep   — the parsed file, its configurations and trials
// [SECTION] Files   — parse_sweep / load_sweep (every field checked, errors name file:line and the field);
//                     DIR/sweep.json, the expanded sweep every worker reads (local processes, MPI ranks, Slurm tasks)
// [SECTION] Trials  — running one trial into its directory; which trials are done
// [SECTION] Scores  — a trial's score from its metrics.csv (final return, AUC, steps to a threshold) and its curve
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/params.h"
#include "core/rl/run.h"

namespace dl {

// A refused sweep file or directory: the message names the file, the line or key, the value and what is allowed.
struct SweepError : ParamError {
    using ParamError::ParamError;
};

// [SECTION] Sweep

struct SweepAxis {
    enum Kind { List, Uniform, LogUniform, IntRange };
    std::string name;                 // a hyperparameter of the algorithm, or "env.NAME" for an env argument
    Kind kind = List;
    std::vector<std::string> values;  // List: the values as text, in the file's order
    double lo = 0, hi = 0;            // the ranges' bounds (inclusive)
    int points = 0;                   // Uniform/LogUniform in a grid: this many evenly spaced points (log-spaced)
    bool log = false;                 // drawn on a log axis: log_uniform, or a list of a log-scale parameter
    bool numeric = true;              // false for choices and flags (drawn as categories)
    bool env_arg() const { return name.rfind("env.", 0) == 0; }
    std::string param() const { return env_arg() ? name.substr(4) : name; }  // the declared parameter's name
    std::string describe() const;     // "[1e-4, 3e-4]", "log_uniform(1e-05, 0.01)", as in the file
};

struct Sweep {
    std::string file;                 // where it was read from (for messages)
    std::string title, description;
    std::string metric = "final_return";  // the default score of `report` and the explorer
    RunConfig base;
    std::vector<SweepAxis> axes;
    bool random = false;              // design: grid (every combination in order) or random (samples drawn)
    int64_t samples = 0;              // random: how many configurations
    uint64_t design_seed = 1;         // random: the seed the configurations are drawn with
    std::vector<uint64_t> seeds;      // every configuration runs once with each of these seeds
    // Expanded: configuration c gives axis a the value configs[c][a] (as text, in the declared parameter's form).
    std::vector<std::vector<std::string>> configs;
};

struct SweepTrial {
    int index = 0;      // in [0, trials): configuration-major, seeds inner
    int config = 0;
    uint64_t seed = 0;
    std::string name;   // its directory under DIR/trials/: "c003-s2"
};

constexpr int64_t kSweepTrialsWithoutYes = 1000;  // more asks for --yes (a typo in a grid can mean a week of CPU)
constexpr int64_t kSweepMaxTrials = 100000;

std::vector<SweepTrial> sweep_trials(const Sweep& s);
RunConfig trial_config(const Sweep& s, const SweepTrial& t);  // base + the configuration's values + the seed
// "learning_rate=0.0003 clip_coef=0.2" (the configuration's values, for tables and legends)
std::string config_label(const Sweep& s, int config);
int64_t sweep_trial_count(const Sweep& s);

// [SECTION] Files

// Parses a sweep file, expands it and checks every configuration (each value against its declared range, then the
// whole config, cross-field checks included) before anything runs. More than kSweepTrialsWithoutYes trials are
// refused unless `yes`. Throws SweepError naming file:line and the field.
Sweep parse_sweep(const std::string& text, const std::string& name, bool yes = false);
Sweep load_sweep(const std::filesystem::path& file, bool yes = false);  // also IoError

// A sweep file (TOML) for `base` with list axes (name, values as text) and seeds 1..seeds: what the GUI's
// "Sweep this run" writes beside the sweep, so the CLI can rerun it. Parse it with parse_sweep to check it.
std::string sweep_file_text(const std::string& title, const RunConfig& base,
                            const std::vector<std::pair<std::string, std::vector<std::string>>>& axes, int seeds);

// DIR/sweep.json: the expanded sweep (base config, axes, configurations, seeds). Written by the one process that
// starts a sweep; read, as hostile input, by every worker and by `report` and the explorer.
nlohmann::json sweep_to_json(const Sweep& s);
// `check_all`: validate every configuration (the report, the explorer, a driver); a worker that runs one trial passes
// false and leaves its own config to run_trial, which checks it (a 20,000-configuration sweep would otherwise make
// every trial's start check all 20,000).
Sweep sweep_from_json(const nlohmann::json& j, const std::string& where, bool check_all = true);
Sweep load_sweep_dir(const std::filesystem::path& dir, bool check_all = true);  // DIR/sweep.json; throws IoError / SweepError
// Makes DIR a sweep directory for `s`: writes DIR/sweep.json (atomically) or, if DIR already holds one, checks that
// it is the same sweep (a rerun resumes it). Refuses a DIR that holds a different sweep or something else.
void prepare_sweep_dir(const std::filesystem::path& dir, const Sweep& s);

// [SECTION] Trials

std::filesystem::path trial_dir(const std::filesystem::path& dir, const SweepTrial& t);
// A trial is done when its run directory exists: it is staged and renamed into place whole (StagedDir), so a trial
// killed half-way leaves nothing but a staging directory, which the next attempt removes.
bool trial_done(const std::filesystem::path& dir, const SweepTrial& t);
// A running trial's metrics so far, rewritten (atomically) at most once a second while it trains, removed when it is
// done: DIR/trials/.live-NAME.csv. The explorer streams running trials' curves from it; a file not rewritten for
// kLiveStaleSeconds belongs to a trial that died (its next attempt removes it).
std::filesystem::path live_metrics_file(const std::filesystem::path& dir, const SweepTrial& t);
constexpr double kLiveStaleSeconds = 15;
// Trains trial `index` into its directory unless it is done. Returns 0 (trained or already done) or 3 (training
// diverged: the run is saved with its stopped_by, and counts as done). Throws on a bad index or an I/O failure.
int run_trial(const std::filesystem::path& dir, const Sweep& s, int index);

// [SECTION] Scores

struct SweepMetric {
    enum Kind { FinalReturn, Auc, StepsToThreshold } kind = FinalReturn;
    double threshold = 0;  // StepsToThreshold
    std::string text() const;
};
constexpr int kFinalReturnEpisodes = 20;  // final_return: the mean return of the last 20 episodes
// "final_return", "auc", "steps_to_threshold=475"; throws SweepError listing the allowed forms.
SweepMetric parse_metric(const std::string& text);

struct TrialCurve {
    std::vector<double> env_step, ret;  // one point per finished episode
};
// A trial's episodes from DIR/trials/NAME/metrics.csv (read as hostile input). Throws IoError / SweepError.
TrialCurve read_trial_curve(const std::filesystem::path& trial_dir);
TrialCurve read_metrics_curve(const std::filesystem::path& metrics_csv);  // any metrics file (a live one)
// The trial's score under `m`:
//   final_return        the mean return of the last kFinalReturnEpisodes episodes (all, if fewer)
//   auc                 the return averaged over the whole run's env steps (each episode's return weighted by the
//                       steps until the next episode ends): the area under the learning curve, per step
//   steps_to_threshold  the env step at which the mean return of the last 20 episodes first reached X; a trial
//                       that never did scores its total env steps (censored: `reached` is false)
// NaN when the trial finished no episode (or logged a NaN return).
struct TrialScore {
    double value = NAN;
    bool reached = true;
};
TrialScore score_curve(const TrialCurve& c, const SweepMetric& m, int64_t total_env_steps);
// The curve resampled at `xs` (env steps): at each x the mean return of the last 20 episodes finished by x, NaN
// before the first one. What the explorer averages over seeds.
std::vector<double> smoothed_curve_at(const TrialCurve& c, const std::vector<double>& xs);

}  // namespace dl
