// Aggregates of a handful of runs, as rliable recommends (Agarwal et al., "Deep RL at the Edge of the Statistical
// Precipice", NeurIPS 2021): with 5–10 seeds a mean alone misleads, so every aggregate comes with a 95% confidence
// interval from a stratified percentile bootstrap, and the interquartile mean (IQM) sits between the outlier-prone
// mean and the coarse median.
//
//     std::vector<double> returns = {…one final return per seed…};
//     const double m = iqm(returns);
//     const Interval ci = bootstrap_ci({returns}, iqm, 2000, 0.95, /*seed=*/1);
//
// "Stratified": each stratum (a task, or here a configuration) is resampled on its own, with replacement and with
// its own size, so a bootstrap sample never has more runs of one task than the data has. Deterministic for a seed.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace dl {

double mean_of(std::span<const double> x);    // NaN for no values
double median_of(std::span<const double> x);  // the middle value, or the mean of the two middle ones
// Interquartile mean: the mean of the values left after removing the lowest and the highest quarter — scipy's
// trim_mean(x, 0.25), which rliable uses: floor(n/4) values are cut from each end (none for n < 4).
double iqm(std::span<const double> x);
double std_of(std::span<const double> x);  // sample standard deviation (n − 1); 0 for one value

struct Interval {
    double lo = 0, hi = 0;
};

using Statistic = std::function<double(std::span<const double>)>;

// The percentile bootstrap interval of `stat` over the union of the strata, each stratum resampled with
// replacement to its own size `reps` times. level = 0.95 gives the 2.5th and 97.5th percentiles.
Interval bootstrap_ci(const std::vector<std::vector<double>>& strata, const Statistic& stat, int reps, double level,
                      uint64_t seed);

// P(X > Y) for a run X of one configuration and a run Y of another, ties counting one half (the Mann–Whitney U
// statistic over n·m): 0.5 when neither is better.
double probability_of_improvement(std::span<const double> x, std::span<const double> y);
// Its bootstrap interval: x and y resampled independently.
Interval probability_of_improvement_ci(std::span<const double> x, std::span<const double> y, int reps, double level,
                                       uint64_t seed);

// A performance profile: for each threshold τ, the fraction of runs whose score is above τ.
std::vector<double> performance_profile(std::span<const double> scores, std::span<const double> taus);

}  // namespace dl
