#include "core/nn/grad_estimators.h"

#include <cmath>
#include <stdexcept>

#include "core/nn/layers.h"

namespace dl::grad {

const char* name(Estimator e) {
    switch (e) {
        case Estimator::Score: return "score function (REINFORCE)";
        case Estimator::Baseline: return "score function with baseline";
        case Estimator::Pathwise: return "pathwise (reparameterisation)";
        case Estimator::GumbelSoftmax: return "Gumbel-softmax (relaxed)";
    }
    return "?";
}

double GaussianProblem::f(double x) const {
    switch (fn) {
        case Quadratic: return (x - c) * (x - c);
        case Sine: return std::sin(3 * x);
        case Step: return x > c ? 1.0 : 0.0;
    }
    return 0;
}

double GaussianProblem::df(double x) const {
    switch (fn) {
        case Quadratic: return 2 * (x - c);
        case Sine: return 3 * std::cos(3 * x);
        case Step: return 0;  // almost everywhere: the jump at c has no derivative to sample
    }
    return 0;
}

double GaussianProblem::value() const {
    switch (fn) {
        case Quadratic: return (mu - c) * (mu - c) + sigma * sigma;
        case Sine: return std::sin(3 * mu) * std::exp(-4.5 * sigma * sigma);  // E[e^{3ix}] = e^{3iμ − 9σ²/2}
        case Step: return 0.5 * std::erfc((c - mu) / (sigma * std::sqrt(2.0)));  // P(x > c)
    }
    return 0;
}

double GaussianProblem::true_gradient() const {
    switch (fn) {
        case Quadratic: return 2 * (mu - c);
        case Sine: return 3 * std::cos(3 * mu) * std::exp(-4.5 * sigma * sigma);
        case Step: {
            const double z = (c - mu) / sigma;
            return std::exp(-0.5 * z * z) / (sigma * std::sqrt(2 * M_PI));
        }
    }
    return 0;
}

std::vector<double> CategoricalProblem::probs() const {
    double mx = logits[0];
    for (double l : logits) mx = std::max(mx, l);
    std::vector<double> p(logits.size());
    double z = 0;
    for (size_t j = 0; j < p.size(); ++j) z += p[j] = std::exp(logits[j] - mx);
    for (double& q : p) q /= z;
    return p;
}

double CategoricalProblem::value() const {
    const auto p = probs();
    double J = 0;
    for (size_t j = 0; j < p.size(); ++j) J += p[j] * values[j];
    return J;
}

double CategoricalProblem::true_gradient() const { return probs()[size_t(k)] * (values[size_t(k)] - value()); }

namespace {
void check(int M, int R) {
    if (M < 1 || R < 1)
        throw std::invalid_argument("sample size " + std::to_string(M) + " and estimates " + std::to_string(R) + ": both must be at least 1");
}
}  // namespace

std::vector<double> estimates(const GaussianProblem& p, Estimator e, int M, int R, Rng& rng) {
    check(M, R);
    if (e == Estimator::GumbelSoftmax) throw std::invalid_argument("Gumbel-softmax relaxes categorical samples; the Gaussian problem has none");
    const double b = e == Estimator::Baseline ? p.value() : 0.0;
    std::vector<double> out(static_cast<size_t>(R));
    for (double& est : out) {
        double s = 0;
        for (int m = 0; m < M; ++m) {
            const double eps = nn::normal(rng), x = p.mu + p.sigma * eps;
            s += e == Estimator::Pathwise ? p.df(x) : (p.f(x) - b) * eps / p.sigma;  // (x − μ)/σ² = ε/σ
        }
        est = s / M;
    }
    return out;
}

std::vector<double> estimates(const CategoricalProblem& p, Estimator e, int M, int R, Rng& rng) {
    check(M, R);
    if (e == Estimator::Pathwise) throw std::invalid_argument("a categorical sample is not a differentiable function of θ: no pathwise estimator (relax it: Gumbel-softmax)");
    if (p.k < 0 || p.k >= int(p.logits.size())) throw std::invalid_argument("k = " + std::to_string(p.k) + " is not a category");
    const auto pr = p.probs();
    const size_t K = pr.size(), k = size_t(p.k);
    const double J = p.value();
    std::vector<double> y(K), out(static_cast<size_t>(R));
    for (double& est : out) {
        double s = 0;
        for (int m = 0; m < M; ++m) {
            if (e == Estimator::GumbelSoftmax) {
                double mx = -INFINITY;
                for (size_t j = 0; j < K; ++j) {
                    const double u = (double(rng.next_u64() >> 11) + 0.5) * 0x1.0p-53;  // in (0, 1)
                    y[j] = (p.logits[j] - std::log(-std::log(u))) / p.tau;
                    mx = std::max(mx, y[j]);
                }
                double z = 0, fy = 0;
                for (size_t j = 0; j < K; ++j) z += y[j] = std::exp(y[j] - mx);
                for (size_t j = 0; j < K; ++j) y[j] /= z, fy += y[j] * p.values[j];
                s += y[k] * (p.values[k] - fy) / p.tau;
            } else {
                // Inverse-CDF sample of z ~ p.
                double u = rng.uniform();
                size_t z = 0;
                while (z + 1 < K && u >= pr[z]) u -= pr[z++];
                const double fz = p.values[z] - (e == Estimator::Baseline ? J : 0.0);
                s += fz * ((z == k ? 1.0 : 0.0) - pr[k]);
            }
        }
        est = s / M;
    }
    return out;
}

Summary summarize(const std::vector<double>& x, double true_gradient) {
    Summary s;
    if (x.empty()) return s;
    for (double v : x) s.mean += v;
    s.mean /= double(x.size());
    for (double v : x) s.variance += (v - s.mean) * (v - s.mean);
    s.variance /= double(std::max<size_t>(1, x.size() - 1));
    s.bias = s.mean - true_gradient;
    return s;
}

}  // namespace dl::grad
