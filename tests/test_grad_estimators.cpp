#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "core/nn/grad_estimators.h"
#include "core/nn/layers.h"

using namespace dl;
using namespace dl::grad;

namespace {
double nn_normal(Rng& rng) { return double(nn::normal(rng)); }
}  // namespace

TEST_CASE("gradient estimators, Gaussian: closed-form gradients, unbiasedness, the variance ordering, 1/M") {
    for (auto fn : {GaussianProblem::Quadratic, GaussianProblem::Sine, GaussianProblem::Step}) {
        CAPTURE(int(fn));
        GaussianProblem p;
        p.fn = fn, p.mu = 0.3, p.sigma = 0.8, p.c = 1.0;
        // J(μ) against a Monte Carlo mean of f (to 4 standard errors), ∇J against a central difference of J.
        Rng rng(1);
        double m = 0, m2 = 0;
        const int n = 200000;
        for (int i = 0; i < n; ++i) {
            const double y = p.f(p.mu + p.sigma * nn_normal(rng));
            m += y / n, m2 += y * y / n;
        }
        CHECK(std::fabs(m - p.value()) < 4 * std::sqrt((m2 - m * m) / n));
        GaussianProblem lo = p, hi = p;
        lo.mu -= 1e-4, hi.mu += 1e-4;
        CHECK(p.true_gradient() == doctest::Approx((hi.value() - lo.value()) / 2e-4).epsilon(1e-5));

        const int R = 4000, M = 10;
        for (Estimator e : {Estimator::Score, Estimator::Baseline, Estimator::Pathwise}) {
            CAPTURE(std::string(name(e)));
            const Summary s = summarize(estimates(p, e, M, R, rng), p.true_gradient());
            const double se = std::sqrt(s.variance / R);
            if (e == Estimator::Pathwise && fn == GaussianProblem::Step) {
                // The step's derivative is 0 wherever a sample lands: the pathwise estimate is 0, not the gradient.
                CHECK(s.mean == 0);
                CHECK(p.true_gradient() > 0.1);
            } else {
                CHECK(std::fabs(s.bias) < 4 * se + 1e-12);  // unbiased, to 4 standard errors
            }
        }
    }
    // On a smooth f the pathwise estimator has the least variance, the score function the most; a baseline helps.
    GaussianProblem p;
    Rng rng(2);
    const double g = p.true_gradient();
    const Summary score = summarize(estimates(p, Estimator::Score, 1, 20000, rng), g);
    const Summary base = summarize(estimates(p, Estimator::Baseline, 1, 20000, rng), g);
    const Summary path = summarize(estimates(p, Estimator::Pathwise, 1, 20000, rng), g);
    MESSAGE("Gaussian quadratic, M = 1: variance score " << score.variance << ", baseline " << base.variance << ", pathwise "
                                                         << path.variance);
    CHECK(path.variance < base.variance);
    CHECK(base.variance < score.variance);
    CHECK(path.variance == doctest::Approx(4 * p.sigma * p.sigma).epsilon(0.05));  // Var[2(x − c)] = 4σ²
    // Averaging M samples divides the variance by M.
    const Summary score100 = summarize(estimates(p, Estimator::Score, 100, 4000, rng), g);
    CHECK(score100.variance * 100 == doctest::Approx(score.variance).epsilon(0.15));
    CHECK_THROWS_WITH(estimates(p, Estimator::GumbelSoftmax, 1, 1, rng), doctest::Contains("categorical"));
    CHECK_THROWS_WITH(estimates(p, Estimator::Score, 0, 1, rng), doctest::Contains("sample size 0"));
}

TEST_CASE("gradient estimators, categorical: score functions unbiased; Gumbel-softmax trades bias for variance via τ") {
    CategoricalProblem p;
    p.k = 1;
    double sum = 0;
    for (double q : p.probs()) sum += q;
    CHECK(sum == doctest::Approx(1.0));
    // ∂J/∂θ_k against a central difference.
    CategoricalProblem lo = p, hi = p;
    lo.logits[1] -= 1e-5, hi.logits[1] += 1e-5;
    CHECK(p.true_gradient() == doctest::Approx((hi.value() - lo.value()) / 2e-5).epsilon(1e-6));

    Rng rng(3);
    const double g = p.true_gradient();
    const Summary score = summarize(estimates(p, Estimator::Score, 1, 40000, rng), g);
    const Summary base = summarize(estimates(p, Estimator::Baseline, 1, 40000, rng), g);
    CHECK(std::fabs(score.bias) < 4 * std::sqrt(score.variance / 40000));
    CHECK(std::fabs(base.bias) < 4 * std::sqrt(base.variance / 40000));
    CHECK(base.variance < score.variance);

    CategoricalProblem cold = p, warm = p;
    cold.tau = 0.1, warm.tau = 2.0;
    const Summary c = summarize(estimates(cold, Estimator::GumbelSoftmax, 1, 40000, rng), g);
    const Summary w = summarize(estimates(warm, Estimator::GumbelSoftmax, 1, 40000, rng), g);
    MESSAGE("Gumbel-softmax: tau 0.1 bias " << c.bias << " variance " << c.variance << "; tau 2 bias " << w.bias << " variance "
                                            << w.variance << "; score function variance " << score.variance);
    CHECK(std::fabs(c.bias) < std::fabs(w.bias));  // colder: closer to the categorical, less bias
    CHECK(std::fabs(w.bias) > 4 * std::sqrt(w.variance / 40000));  // and the bias at τ = 2 is real, not noise
    CHECK(c.variance > w.variance);                // but more variance
    CHECK(w.variance < score.variance);            // a warm relaxation is far less noisy than REINFORCE
    CHECK_THROWS_WITH(estimates(p, Estimator::Pathwise, 1, 1, rng), doctest::Contains("Gumbel-softmax"));
}
