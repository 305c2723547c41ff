// What a sweep found: every finished trial's score under a metric, and per configuration the mean, median and IQM
// over its seeds with 95% stratified-bootstrap confidence intervals (base/stats.h). `dreamlab report` prints it
// (table, CSV, JSON); the GUI's sweep explorer draws it. Reads a sweep directory while it is still running: a trial
// counts once its run directory is in place.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/stats.h"
#include "core/session/sweep.h"

namespace dl {

struct TrialResult {
    SweepTrial trial;
    bool done = false;
    bool diverged = false;     // stopped by NaN (summary.json's stopped_by)
    TrialScore score;          // NaN unless done (or when it finished no episode)
    int64_t env_steps = 0;
    std::string error;         // a done trial whose files could not be read
};

struct ConfigResult {
    int config = 0;
    std::string label;          // "learning_rate=0.0003 clip_coef=0.2"
    std::vector<double> scores; // one per finished seed (finite ones only)
    int done = 0, seeds = 0, not_reached = 0;
    double mean = NAN, median = NAN, iqm = NAN, std = NAN;
    Interval mean_ci{NAN, NAN}, median_ci{NAN, NAN}, iqm_ci{NAN, NAN};
};

struct SweepReport {
    Sweep sweep;
    SweepMetric metric;
    bool lower_is_better = false;  // steps_to_threshold: fewer steps is better
    std::vector<TrialResult> trials;
    std::vector<ConfigResult> configs;
    int done = 0;
    int best = -1;  // the configuration with the best IQM (-1 while none has a score)
};

constexpr int kBootstrapReps = 2000;

// Reads DIR (sweep.json, each trial's metrics.csv and summary.json) and aggregates under `metric`.
SweepReport report_sweep(const std::filesystem::path& dir, const SweepMetric& metric, int reps = kBootstrapReps,
                         uint64_t seed = 1);
// Per-configuration aggregates from scores already in hand (the trials' `score` filled in).
void aggregate(SweepReport& r, int reps = kBootstrapReps, uint64_t seed = 1);

nlohmann::json report_to_json(const SweepReport& r);
std::string report_to_csv(const SweepReport& r);    // one row per configuration
std::string report_table(const SweepReport& r);     // for a terminal, best first

// A sweep directory watched while it fills: refresh() reads only the trials that finished since the last call (a done
// trial's files never change), then re-aggregates. What the GUI's explorer holds; headless, so it is tested.
class SweepData {
public:
    explicit SweepData(std::filesystem::path dir);  // reads sweep.json; throws IoError / SweepError
    // Reads newly finished trials and, if any (or the metric changed), re-aggregates. Returns whether anything changed.
    bool refresh(const SweepMetric& m);
    const std::filesystem::path& dir() const { return dir_; }
    const SweepReport& report() const { return report_; }
    const Sweep& sweep() const { return report_.sweep; }
    const TrialCurve& curve(int trial) const { return curves_.at(size_t(trial)); }
    // Learning curves per configuration on a common grid of `points` env steps (up to the longest trial): at each
    // x the statistic over the configuration's finished seeds of their smoothed return (the last 20 episodes'
    // mean), with a 95% bootstrap band (`reps` resamples per point). Empty for a configuration with no trial done.
    struct Curve {
        std::vector<double> x, y, lo, hi;
    };
    std::vector<Curve> config_curves(const Statistic& stat, int points = 100, int reps = 200) const;
    // Running trials' curves so far (their live metrics files, fresh within kLiveStaleSeconds): trial index, curve.
    const std::vector<std::pair<int, TrialCurve>>& live() const { return live_; }

private:
    std::vector<std::pair<int, TrialCurve>> live_;
    std::vector<std::filesystem::file_time_type> live_seen_;
    std::filesystem::path dir_;
    SweepReport report_;
    std::vector<TrialCurve> curves_;
    std::vector<bool> read_;
    std::string metric_text_;
};

// "a" and "b" name a configuration by its index or its label; throws SweepError listing the labels.
int find_config(const SweepReport& r, const std::string& name);

}  // namespace dl
