// The natural-gradient machinery of trust-region methods (TRPO): parameters as one flat vector, the Fisher
// information of a policy's action distribution times a vector, and conjugate gradient to solve F x = g without
// ever forming F.
//
//   F v = (1/B) Σ_s J_sᵀ M_s J_s v,   J_s = ∂(the distribution's parameters at s) / ∂θ,  M_s their own Fisher:
//     categorical logits z:           M = diag(p) − p pᵀ
//     diagonal Gaussian (μ(s), log σ): 1/σ² on the mean, 2 on each log σ (a state-independent parameter vector)
//   J v is one forward-mode pass (Mlp::jvp), Jᵀ u one reverse pass: two passes per product, exact.
#pragma once
#include <functional>
#include <vector>

#include "core/nn/layers.h"

namespace dl::nn {

using Vec = Eigen::VectorXf;

Vec flatten_values(const std::vector<Param*>& params);
Vec flatten_grads(const std::vector<Param*>& params);
void assign_values(const Vec& flat, const std::vector<Param*>& params);
std::vector<Mat> split_like(const Vec& flat, const std::vector<Param*>& params);

struct PolicyFisher {
    Mlp* net = nullptr;         // obs → logits (categorical) or means (Gaussian)
    Param* log_std = nullptr;   // 1 × A for a Gaussian; null for a categorical
    Mat obs;                    // the states the expectation runs over
    float damping = 0;          // adds damping · v (keeps CG well conditioned)
    // θ = [net's parameters in params() order, then log_std]; v has that layout.
    Vec operator()(const Vec& v) const;
    int size() const;
};

// Solves A x = b for a symmetric positive-definite A given only as products (`iters` steps of conjugate gradient,
// stopping early once the residual's squared norm falls under `tol`).
Vec conjugate_gradient(const std::function<Vec(const Vec&)>& A, const Vec& b, int iters, float tol = 1e-10f);

}  // namespace dl::nn
