#include "base/stats.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/rng.h"

namespace dl {

double mean_of(std::span<const double> x) {
    if (x.empty()) return NAN;
    double s = 0;
    for (double v : x) s += v;
    return s / double(x.size());
}

double median_of(std::span<const double> x) {
    if (x.empty()) return NAN;
    std::vector<double> v(x.begin(), x.end());
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double iqm(std::span<const double> x) {
    if (x.empty()) return NAN;
    std::vector<double> v(x.begin(), x.end());
    std::sort(v.begin(), v.end());
    const size_t cut = v.size() / 4;
    return mean_of(std::span<const double>(v).subspan(cut, v.size() - 2 * cut));
}

double std_of(std::span<const double> x) {
    if (x.size() < 2) return x.empty() ? NAN : 0.0;
    const double m = mean_of(x);
    double s = 0;
    for (double v : x) s += (v - m) * (v - m);
    return std::sqrt(s / double(x.size() - 1));
}

namespace {

// The percentile of sorted values, interpolated linearly between order statistics (numpy's default).
double percentile_sorted(const std::vector<double>& v, double q) {
    const double pos = q * double(v.size() - 1);
    const size_t i = size_t(std::floor(pos));
    const double f = pos - double(i);
    return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

Interval percentile_interval(std::vector<double> samples, double level) {
    // A statistic that is NaN on some resample (no values) is left out; all NaN gives a NaN interval.
    samples.erase(std::remove_if(samples.begin(), samples.end(), [](double v) { return std::isnan(v); }), samples.end());
    if (samples.empty()) return {NAN, NAN};
    std::sort(samples.begin(), samples.end());
    const double a = (1 - level) / 2;
    return {percentile_sorted(samples, a), percentile_sorted(samples, 1 - a)};
}

void check_bootstrap(int reps, double level) {
    if (reps < 1 || reps > 1000000) throw std::invalid_argument("bootstrap: reps must be in [1, 1000000]");
    if (!(level > 0 && level < 1)) throw std::invalid_argument("bootstrap: level must be in (0, 1)");
}

}  // namespace

Interval bootstrap_ci(const std::vector<std::vector<double>>& strata, const Statistic& stat, int reps, double level,
                      uint64_t seed) {
    check_bootstrap(reps, level);
    size_t total = 0;
    for (const auto& s : strata) total += s.size();
    if (total == 0) return {NAN, NAN};
    Rng rng(seed);
    std::vector<double> sample(total), stats(static_cast<size_t>(reps));
    for (int r = 0; r < reps; ++r) {
        size_t k = 0;
        for (const auto& s : strata)
            for (size_t i = 0; i < s.size(); ++i) sample[k++] = s[rng.below(uint32_t(s.size()))];
        stats[size_t(r)] = stat(sample);
    }
    return percentile_interval(std::move(stats), level);
}

double probability_of_improvement(std::span<const double> x, std::span<const double> y) {
    if (x.empty() || y.empty()) return NAN;
    double wins = 0;
    for (double a : x)
        for (double b : y) wins += a > b ? 1.0 : a == b ? 0.5 : 0.0;
    return wins / (double(x.size()) * double(y.size()));
}

Interval probability_of_improvement_ci(std::span<const double> x, std::span<const double> y, int reps, double level,
                                       uint64_t seed) {
    check_bootstrap(reps, level);
    if (x.empty() || y.empty()) return {NAN, NAN};
    Rng rng(seed);
    std::vector<double> xs(x.size()), ys(y.size()), stats(static_cast<size_t>(reps));
    for (int r = 0; r < reps; ++r) {
        for (auto& v : xs) v = x[rng.below(uint32_t(x.size()))];
        for (auto& v : ys) v = y[rng.below(uint32_t(y.size()))];
        stats[size_t(r)] = probability_of_improvement(xs, ys);
    }
    return percentile_interval(std::move(stats), level);
}

std::vector<double> performance_profile(std::span<const double> scores, std::span<const double> taus) {
    std::vector<double> out;
    out.reserve(taus.size());
    for (double t : taus) {
        size_t above = 0;
        for (double s : scores) above += s > t;
        out.push_back(scores.empty() ? NAN : double(above) / double(scores.size()));
    }
    return out;
}

}  // namespace dl
