// Gradient estimators on small problems, for the lecture on why policy gradients are noisy and what tames them.
// Each problem is an expectation whose gradient we know exactly, so every estimator's bias and variance can be
// measured, not just asserted:
//
//   Gaussian:     J(μ) = E_{x ~ N(μ, σ²)}[f(x)],            ∇_μ J
//     score function (REINFORCE)   f(x) · (x − μ) / σ²                       unbiased, high variance
//     with a baseline              (f(x) − b) · (x − μ) / σ²,  b = E[f]      unbiased (b does not depend on x)
//     pathwise (reparameterised)   f'(μ + σ ε),  ε ~ N(0, 1)                 unbiased if f is differentiable
//                                                                            (a step function has f' = 0: biased)
//   Categorical:  J(θ) = E_{z ~ softmax(θ)}[v_z],            ∂J/∂θ_k = p_k (v_k − J)
//     score function               v_z · (1[z = k] − p_k)
//     with a baseline              (v_z − J) · (1[z = k] − p_k)
//     Gumbel-softmax (Jang et al., 2017; Maddison et al., 2017): y = softmax((θ + g) / τ), g ~ Gumbel(0, 1)ᴷ,
//       the relaxed objective Σ_j y_j v_j differentiated through y:  y_k (v_k − Σ_j y_j v_j) / τ
//       biased for τ > 0 (it is the gradient of a different objective), the bias vanishing as τ → 0 while the
//       variance grows as 1/τ.
// An estimate averages M single-sample estimates; `estimates` returns R independent ones (their histogram is
// what the GUI draws): their variance falls as 1/M, their bias does not.
#pragma once
#include <string>
#include <vector>

#include "base/rng.h"

namespace dl::grad {

enum class Estimator { Score, Baseline, Pathwise, GumbelSoftmax };
const char* name(Estimator e);

struct GaussianProblem {
    enum Fn { Quadratic, Sine, Step } fn = Quadratic;  // f(x) = (x − c)², sin(3x), 1[x > c]
    double mu = 0.5, sigma = 1.0, c = 1.0;
    double f(double x) const;
    double df(double x) const;        // f'(x) (0 for the step, except at c)
    double value() const;             // J(μ) = E[f(x)] in closed form
    double true_gradient() const;     // ∇_μ J in closed form
};

struct CategoricalProblem {
    std::vector<double> logits = {0.5, 0.0, -0.5, 0.2}, values = {1.0, 3.0, 0.0, 2.0};
    int k = 0;           // the logit the gradient is taken with respect to
    double tau = 0.5;    // Gumbel-softmax temperature
    std::vector<double> probs() const;
    double value() const;             // J = Σ p_j v_j
    double true_gradient() const;     // p_k (v_k − J)
};

// R independent estimates of the gradient, each the mean of M single-sample estimates. Throws
// std::invalid_argument for an estimator the problem does not have (Gumbel-softmax is for categoricals,
// pathwise for the Gaussian) or M, R < 1.
std::vector<double> estimates(const GaussianProblem& p, Estimator e, int M, int R, Rng& rng);
std::vector<double> estimates(const CategoricalProblem& p, Estimator e, int M, int R, Rng& rng);

struct Summary {
    double mean = 0, variance = 0, bias = 0;  // bias = mean − true gradient
};
Summary summarize(const std::vector<double>& estimates, double true_gradient);

}  // namespace dl::grad
