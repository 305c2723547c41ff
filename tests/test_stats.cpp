// base/stats: IQM, median and the bootstrap intervals the sweep report gives, each against a direct computation —
// the IQM by its definition (scipy's trim_mean(x, 0.25)), the bootstrap's percentiles against the exact bootstrap
// distribution enumerated over every resample of a small sample, and the 95% interval's coverage of a known mean.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "base/rng.h"
#include "base/stats.h"

using namespace dl;

TEST_CASE("stats: mean, median and IQM by their definitions") {
    const std::vector<double> x = {7, 1, 3, 100, 5, 2, 6, 4};  // sorted: 1 2 3 4 5 6 7 100
    CHECK(mean_of(x) == doctest::Approx(16.0));
    CHECK(median_of(x) == doctest::Approx(4.5));
    // n = 8: floor(8/4) = 2 cut from each end, the mean of 3 4 5 6; the outlier 100 does not move it.
    CHECK(iqm(x) == doctest::Approx(4.5));
    const std::vector<double> ten = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};  // n = 10: cut 2 each end -> mean of 3..8
    CHECK(iqm(ten) == doctest::Approx(5.5));
    const std::vector<double> three = {1, 2, 10};  // n < 4: nothing cut, the mean
    CHECK(iqm(three) == doctest::Approx(13.0 / 3));
    CHECK(median_of(three) == 2);
    CHECK(std_of(std::vector<double>{2, 4, 4, 4, 5, 5, 7, 9}) == doctest::Approx(2.138089935));
    CHECK(std::isnan(iqm(std::vector<double>{})));
}

TEST_CASE("stats: the bootstrap percentiles match the exact bootstrap distribution") {
    // Every one of the 4^4 = 256 resamples of a 4-value sample is equally likely: their IQMs, sorted, are the exact
    // bootstrap distribution, and its 2.5th/97.5th percentiles are what 40,000 random resamples must approach.
    const std::vector<double> x = {1.0, 2.0, 4.0, 10.0};
    std::vector<double> exact;
    for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b)
            for (int c = 0; c < 4; ++c)
                for (int d = 0; d < 4; ++d) {
                    const std::vector<double> r = {x[size_t(a)], x[size_t(b)], x[size_t(c)], x[size_t(d)]};
                    exact.push_back(iqm(r));
                }
    std::sort(exact.begin(), exact.end());
    auto pct = [&](double q) {
        const double pos = q * double(exact.size() - 1);
        const size_t i = size_t(pos);
        return exact[i] + (pos - double(i)) * (exact[std::min(i + 1, exact.size() - 1)] - exact[i]);
    };
    const Interval ci = bootstrap_ci({x}, iqm, 40000, 0.95, 3);
    CHECK(ci.lo == doctest::Approx(pct(0.025)).epsilon(0.05));
    CHECK(ci.hi == doctest::Approx(pct(0.975)).epsilon(0.05));
    // Deterministic for a seed; a constant sample has a zero-width interval.
    const Interval again = bootstrap_ci({x}, iqm, 40000, 0.95, 3);
    CHECK(again.lo == ci.lo);
    CHECK(again.hi == ci.hi);
    const Interval flat = bootstrap_ci({{5, 5, 5}}, mean_of, 100, 0.95, 1);
    CHECK(flat.lo == 5);
    CHECK(flat.hi == 5);
}

TEST_CASE("stats: a stratified bootstrap resamples each stratum to its own size") {
    // Stratum A is all 0, stratum B all 1: every stratified resample has 2 zeros and 6 ones, so its mean is exactly
    // 0.75. An unstratified resample of the union would spread it.
    const Interval ci = bootstrap_ci({{0, 0}, {1, 1, 1, 1, 1, 1}}, mean_of, 500, 0.95, 9);
    CHECK(ci.lo == doctest::Approx(0.75));
    CHECK(ci.hi == doctest::Approx(0.75));
}

TEST_CASE("stats: the 95% interval of the mean covers the true mean about 95% of the time") {
    // 400 experiments, each 30 draws of N(3, 2^2) (Box–Muller): the percentile bootstrap's interval should contain
    // 3 in about 95% of them (it runs a little short at n = 30: the known ~1–2% under-coverage).
    Rng rng(2024);
    int covered = 0;
    const int experiments = 400;
    for (int e = 0; e < experiments; ++e) {
        std::vector<double> x(30);
        for (double& v : x) {
            const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
            v = 3.0 + 2.0 * std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2);
        }
        const Interval ci = bootstrap_ci({x}, mean_of, 1000, 0.95, uint64_t(e) + 1);
        covered += ci.lo <= 3.0 && 3.0 <= ci.hi;
    }
    const double coverage = double(covered) / experiments;
    MESSAGE("coverage of the 95% bootstrap interval: " << coverage);
    CHECK(coverage > 0.90);
    CHECK(coverage < 0.99);
}

TEST_CASE("stats: probability of improvement and performance profiles") {
    const std::vector<double> x = {1, 2, 3}, y = {0, 2, 4};
    // Pairs won by x: (1,0) (2,0) (3,0) (3,2) = 4, one tie (2,2) = 0.5: 4.5 of 9.
    CHECK(probability_of_improvement(x, y) == doctest::Approx(0.5));
    CHECK(probability_of_improvement(std::vector<double>{5, 6}, std::vector<double>{1, 2}) == 1.0);
    CHECK(probability_of_improvement(std::vector<double>{1, 2}, std::vector<double>{5, 6}) == 0.0);
    const Interval ci = probability_of_improvement_ci(std::vector<double>{5, 6, 7}, std::vector<double>{1, 2, 3}, 500, 0.95, 1);
    CHECK(ci.lo == 1.0);
    const std::vector<double> taus = {0, 1.5, 2.5, 10};
    const auto prof = performance_profile(std::vector<double>{1, 2, 3, 4}, taus);
    CHECK(prof == std::vector<double>{1.0, 0.75, 0.5, 0.0});
}
