#include "core/session/sweep_report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/json.h"

namespace dl {

namespace {

// A done trial's counters from its summary.json (hostile: checked); the stop reason says whether it diverged.
void read_summary(const std::filesystem::path& trial, TrialResult& r) {
    const nlohmann::json j = read_json_file(trial / "summary.json", size_t(1) << 20);
    const JsonFields f(j, (trial / "summary.json").string());
    r.env_steps = f.integer("env_steps", 0, int64_t(1) << 53);
    r.diverged = f.has("stopped_by") && f.at("stopped_by").is_string() && !f.at("stopped_by").get<std::string>().empty();
}

}  // namespace

void aggregate(SweepReport& r, int reps, uint64_t seed) {
    r.configs.assign(r.sweep.configs.size(), {});
    r.done = 0;
    for (size_t c = 0; c < r.configs.size(); ++c) r.configs[c].config = int(c), r.configs[c].label = config_label(r.sweep, int(c));
    for (const TrialResult& t : r.trials) {
        ConfigResult& c = r.configs[size_t(t.trial.config)];
        ++c.seeds;
        if (!t.done) continue;
        ++c.done, ++r.done;
        if (!std::isfinite(t.score.value)) continue;
        c.scores.push_back(t.score.value);
        c.not_reached += !t.score.reached;
    }
    r.best = -1;
    for (ConfigResult& c : r.configs) {
        if (c.scores.empty()) continue;
        c.mean = mean_of(c.scores), c.median = median_of(c.scores), c.iqm = iqm(c.scores), c.std = std_of(c.scores);
        // One stratum per configuration: its seeds resampled with replacement. The bootstrap seed differs per
        // configuration but is fixed, so a report is the same every time it is made from the same files.
        const uint64_t s = seed * 1000003u + uint64_t(c.config);
        c.mean_ci = bootstrap_ci({c.scores}, mean_of, reps, 0.95, s);
        c.median_ci = bootstrap_ci({c.scores}, median_of, reps, 0.95, s + 1);
        c.iqm_ci = bootstrap_ci({c.scores}, iqm, reps, 0.95, s + 2);
        if (r.best < 0 || (r.lower_is_better ? c.iqm < r.configs[size_t(r.best)].iqm : c.iqm > r.configs[size_t(r.best)].iqm))
            r.best = c.config;
    }
}

SweepReport report_sweep(const std::filesystem::path& dir, const SweepMetric& metric, int reps, uint64_t seed) {
    SweepReport r;
    r.sweep = load_sweep_dir(dir);
    r.metric = metric;
    r.lower_is_better = metric.kind == SweepMetric::StepsToThreshold;
    for (const SweepTrial& t : sweep_trials(r.sweep)) {
        TrialResult tr;
        tr.trial = t;
        tr.done = trial_done(dir, t);
        if (tr.done) try {
                read_summary(trial_dir(dir, t), tr);
                tr.score = score_curve(read_trial_curve(trial_dir(dir, t)), metric, tr.env_steps);
            } catch (const std::exception& e) {
                tr.error = e.what();
                tr.score = {};
            }
        r.trials.push_back(std::move(tr));
    }
    aggregate(r, reps, seed);
    return r;
}

namespace {

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
nlohmann::json interval(Interval i) { return {num(i.lo), num(i.hi)}; }

}  // namespace

nlohmann::json report_to_json(const SweepReport& r) {
    nlohmann::json configs = nlohmann::json::array();
    std::vector<double> all;
    for (const ConfigResult& c : r.configs) all.insert(all.end(), c.scores.begin(), c.scores.end());
    // Performance profiles on 21 thresholds spanning every score seen: the fraction of a configuration's runs above.
    std::vector<double> taus;
    if (!all.empty()) {
        const auto [lo, hi] = std::minmax_element(all.begin(), all.end());
        for (int i = 0; i <= 20; ++i) taus.push_back(*lo + (*hi - *lo) * i / 20.0);
    }
    for (const ConfigResult& c : r.configs) {
        nlohmann::json values = nlohmann::json::object();
        for (size_t a = 0; a < r.sweep.axes.size(); ++a) values[r.sweep.axes[a].name] = r.sweep.configs[size_t(c.config)][a];
        configs.push_back({{"config", c.config},
                           {"label", c.label},
                           {"values", values},
                           {"seeds", c.seeds},
                           {"done", c.done},
                           {"scores", c.scores},
                           {"not_reached", c.not_reached},
                           {"mean", num(c.mean)},
                           {"mean_ci95", interval(c.mean_ci)},
                           {"median", num(c.median)},
                           {"median_ci95", interval(c.median_ci)},
                           {"iqm", num(c.iqm)},
                           {"iqm_ci95", interval(c.iqm_ci)},
                           {"std", num(c.std)},
                           {"profile", performance_profile(c.scores, taus)}});
    }
    nlohmann::json trials = nlohmann::json::array();
    for (const TrialResult& t : r.trials) {
        nlohmann::json j = {{"name", t.trial.name}, {"config", t.trial.config}, {"seed", t.trial.seed}, {"done", t.done}};
        if (t.done) j["score"] = num(t.score.value), j["env_steps"] = t.env_steps, j["diverged"] = t.diverged;
        if (!t.error.empty()) j["error"] = t.error;
        trials.push_back(j);
    }
    return {{"title", r.sweep.title},
            {"metric", r.metric.text()},
            {"lower_is_better", r.lower_is_better},
            {"trials_done", r.done},
            {"trials", int64_t(r.trials.size())},
            {"best", r.best < 0 ? nlohmann::json(nullptr) : nlohmann::json(r.configs[size_t(r.best)].label)},
            {"bootstrap", {{"reps", kBootstrapReps}, {"level", 0.95}, {"kind", "stratified percentile"}}},
            {"profile_thresholds", taus},
            {"configs", configs},
            {"trial_results", trials}};
}

std::string report_to_csv(const SweepReport& r) {
    std::ostringstream out;
    out << "config";
    for (const SweepAxis& a : r.sweep.axes) out << "," << a.name;
    out << ",seeds,done,mean,mean_lo,mean_hi,median,median_lo,median_hi,iqm,iqm_lo,iqm_hi,std,not_reached\n";
    auto f = [](double v) { return std::isfinite(v) ? format_number(v) : std::string(); };
    for (const ConfigResult& c : r.configs) {
        out << c.config;
        for (const std::string& v : r.sweep.configs[size_t(c.config)]) out << "," << v;
        out << "," << c.seeds << "," << c.done << "," << f(c.mean) << "," << f(c.mean_ci.lo) << "," << f(c.mean_ci.hi) << ","
            << f(c.median) << "," << f(c.median_ci.lo) << "," << f(c.median_ci.hi) << "," << f(c.iqm) << "," << f(c.iqm_ci.lo)
            << "," << f(c.iqm_ci.hi) << "," << f(c.std) << "," << c.not_reached << "\n";
    }
    return out.str();
}

std::string report_table(const SweepReport& r) {
    std::vector<const ConfigResult*> order;
    for (const ConfigResult& c : r.configs) order.push_back(&c);
    std::stable_sort(order.begin(), order.end(), [&](const ConfigResult* a, const ConfigResult* b) {
        if (std::isnan(a->iqm) != std::isnan(b->iqm)) return std::isnan(b->iqm);
        return r.lower_is_better ? a->iqm < b->iqm : a->iqm > b->iqm;
    });
    size_t w = 13;
    for (const ConfigResult* c : order) w = std::max(w, c->label.size());
    std::ostringstream out;
    char buf[256];
    out << r.sweep.title << (r.sweep.title.empty() ? "" : "\n") << "metric " << r.metric.text()
        << (r.lower_is_better ? " (lower is better)" : "") << "; " << r.done << " of " << r.trials.size()
        << " trials done; 95% CIs: stratified bootstrap, " << kBootstrapReps << " resamples\n";
    std::snprintf(buf, sizeof buf, "%-*s %5s %24s %24s %24s\n", int(w), "configuration", "seeds", "IQM [95% CI]", "mean [95% CI]",
                  "median [95% CI]");
    out << buf;
    auto cell = [](double v, Interval i) {
        char c[64];
        if (std::isnan(v)) return std::string("-");
        std::snprintf(c, sizeof c, "%.4g [%.4g, %.4g]", v, i.lo, i.hi);
        return std::string(c);
    };
    for (const ConfigResult* c : order) {
        const std::string seeds = std::to_string(c->done) + "/" + std::to_string(c->seeds);
        std::snprintf(buf, sizeof buf, "%-*s %5s %24s %24s %24s%s\n", int(w), c->label.c_str(), seeds.c_str(),
                      cell(c->iqm, c->iqm_ci).c_str(), cell(c->mean, c->mean_ci).c_str(), cell(c->median, c->median_ci).c_str(),
                      c->not_reached ? ("  (" + std::to_string(c->not_reached) + " never reached it)").c_str() : "");
        out << buf;
    }
    return out.str();
}

SweepData::SweepData(std::filesystem::path dir) : dir_(std::move(dir)) {
    report_.sweep = load_sweep_dir(dir_);
    for (const SweepTrial& t : sweep_trials(report_.sweep)) {
        TrialResult tr;
        tr.trial = t;
        report_.trials.push_back(std::move(tr));
    }
    curves_.resize(report_.trials.size());
    read_.assign(report_.trials.size(), false);
}

bool SweepData::refresh(const SweepMetric& m) {
    bool changed = m.text() != metric_text_;
    report_.metric = m;
    report_.lower_is_better = m.kind == SweepMetric::StepsToThreshold;
    metric_text_ = m.text();
    for (size_t i = 0; i < report_.trials.size(); ++i) {
        TrialResult& t = report_.trials[i];
        if (!read_[i] && trial_done(dir_, t.trial)) {
            read_[i] = true, t.done = true, changed = true;
            try {
                read_summary(trial_dir(dir_, t.trial), t);
                curves_[i] = read_trial_curve(trial_dir(dir_, t.trial));
            } catch (const std::exception& e) {
                t.error = e.what();
            }
        }
    }
    // Running trials: their live metrics, re-read when rewritten; dropped when stale (a trial that died) or done.
    live_seen_.resize(report_.trials.size());
    std::vector<std::pair<int, TrialCurve>> live;
    const auto now = std::filesystem::file_time_type::clock::now();
    for (size_t i = 0; i < report_.trials.size(); ++i) {
        if (read_[i]) continue;
        std::error_code ec;
        const auto file = live_metrics_file(dir_, report_.trials[i].trial);
        const auto t = std::filesystem::last_write_time(file, ec);
        if (ec || now - t > std::chrono::duration_cast<std::filesystem::file_time_type::duration>(std::chrono::duration<double>(kLiveStaleSeconds)))
            continue;
        const auto old = std::find_if(live_.begin(), live_.end(), [&](const auto& p) { return p.first == int(i); });
        if (old != live_.end() && live_seen_[i] == t) {
            live.push_back(*old);
            continue;
        }
        try {
            live.push_back({int(i), read_metrics_curve(file)});
            live_seen_[i] = t;
            changed = true;
        } catch (const std::exception&) {
            // Caught between a rename and a read, or a file the trial will rewrite: next time.
        }
    }
    if (live.size() != live_.size()) changed = true;
    live_ = std::move(live);
    if (!changed) return false;
    for (size_t i = 0; i < report_.trials.size(); ++i)
        if (report_.trials[i].done && report_.trials[i].error.empty())
            report_.trials[i].score = score_curve(curves_[i], m, report_.trials[i].env_steps);
    aggregate(report_);  // the same resamples and seeds as `dreamlab report`: the same intervals
    return true;
}

std::vector<SweepData::Curve> SweepData::config_curves(const Statistic& stat, int points, int reps) const {
    double xmax = 0;
    for (size_t i = 0; i < curves_.size(); ++i)
        if (!curves_[i].env_step.empty()) xmax = std::max(xmax, curves_[i].env_step.back());
    std::vector<Curve> out(report_.sweep.configs.size());
    if (xmax <= 0 || points < 2) return out;
    std::vector<double> xs(static_cast<size_t>(points));
    for (int k = 0; k < points; ++k) xs[size_t(k)] = xmax * double(k + 1) / double(points);
    std::vector<std::vector<double>> per_trial(curves_.size());
    for (size_t i = 0; i < curves_.size(); ++i)
        if (report_.trials[i].done && !curves_[i].ret.empty()) per_trial[i] = smoothed_curve_at(curves_[i], xs);
    for (size_t c = 0; c < out.size(); ++c) {
        Curve& cv = out[c];
        for (int k = 0; k < points; ++k) {
            std::vector<double> at;
            for (size_t i = 0; i < curves_.size(); ++i)
                if (report_.trials[i].trial.config == int(c) && !per_trial[i].empty() && std::isfinite(per_trial[i][size_t(k)]))
                    at.push_back(per_trial[i][size_t(k)]);
            if (at.empty()) continue;
            const Interval ci = bootstrap_ci({at}, stat, reps, 0.95, uint64_t(c) * 7919u + uint64_t(k));
            cv.x.push_back(xs[size_t(k)]), cv.y.push_back(stat(at)), cv.lo.push_back(ci.lo), cv.hi.push_back(ci.hi);
        }
    }
    return out;
}

int find_config(const SweepReport& r, const std::string& name) {
    std::string labels;
    for (const ConfigResult& c : r.configs) {
        if (c.label == name || std::to_string(c.config) == name) return c.config;
        labels += "\n  " + std::to_string(c.config) + ": " + c.label;
    }
    throw SweepError("no configuration \"" + name + "\" in this sweep; give its number or its label:" + labels);
}

}  // namespace dl
