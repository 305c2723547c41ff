#include "core/nn/trust_region.h"

namespace dl::nn {

Vec flatten_values(const std::vector<Param*>& params) {
    Eigen::Index n = 0;
    for (const Param* p : params) n += p->value.size();
    Vec v(n);
    n = 0;
    for (const Param* p : params) v.segment(n, p->value.size()) = Eigen::Map<const Vec>(p->value.data(), p->value.size()), n += p->value.size();
    return v;
}

Vec flatten_grads(const std::vector<Param*>& params) {
    Eigen::Index n = 0;
    for (const Param* p : params) n += p->grad.size();
    Vec v(n);
    n = 0;
    for (const Param* p : params) v.segment(n, p->grad.size()) = Eigen::Map<const Vec>(p->grad.data(), p->grad.size()), n += p->grad.size();
    return v;
}

void assign_values(const Vec& flat, const std::vector<Param*>& params) {
    Eigen::Index n = 0;
    for (Param* p : params) Eigen::Map<Vec>(p->value.data(), p->value.size()) = flat.segment(n, p->value.size()), n += p->value.size();
}

std::vector<Mat> split_like(const Vec& flat, const std::vector<Param*>& params) {
    std::vector<Mat> out;
    Eigen::Index n = 0;
    for (const Param* p : params) {
        Mat m(p->value.rows(), p->value.cols());
        Eigen::Map<Vec>(m.data(), m.size()) = flat.segment(n, m.size());
        n += m.size();
        out.push_back(std::move(m));
    }
    return out;
}

int PolicyFisher::size() const {
    int n = 0;
    for (Param* p : net->params()) n += int(p->value.size());
    return n + (log_std ? int(log_std->value.size()) : 0);
}

Vec PolicyFisher::operator()(const Vec& v) const {
    const std::vector<Param*> ps = net->params();
    const Eigen::Index n_net = size() - (log_std ? log_std->value.size() : 0);
    Mat out, dout;
    net->jvp(obs, split_like(v.head(n_net), ps), out, dout);  // J v
    const float B = float(obs.rows());
    Mat u;  // M (J v) / B
    if (!log_std) {
        Mat p = (out.colwise() - out.rowwise().maxCoeff()).array().exp().matrix();
        p.array().colwise() /= p.rowwise().sum().array();
        const Mat pu = p.cwiseProduct(dout);
        u = (pu - p.cwiseProduct(pu.rowwise().sum().replicate(1, p.cols()))) / B;
    } else {
        const Mat inv_var = (-2.0f * log_std->value.array()).exp().matrix();  // 1 × A
        u = (dout.array().rowwise() * inv_var.row(0).array()).matrix() / B;
    }
    // Jᵀ u by one reverse pass: the gradient of Σ out ⊙ u.
    zero_grad(ps);
    Tape t;
    Var o = (*net)(t, t.constant(obs));
    t.backward(sum(mul(o, t.constant(u))));
    Vec fv(size());
    fv.head(n_net) = flatten_grads(ps);
    if (log_std) fv.tail(log_std->value.size()) = 2.0f * v.tail(log_std->value.size());
    zero_grad(ps);
    return fv + damping * v;
}

Vec conjugate_gradient(const std::function<Vec(const Vec&)>& A, const Vec& b, int iters, float tol) {
    Vec x = Vec::Zero(b.size()), r = b, p = b;
    float rr = r.squaredNorm();
    for (int i = 0; i < iters && rr > tol; ++i) {
        const Vec Ap = A(p);
        const float alpha = rr / std::max(p.dot(Ap), 1e-30f);
        x += alpha * p, r -= alpha * Ap;
        const float rr_new = r.squaredNorm();
        p = r + (rr_new / rr) * p;
        rr = rr_new;
    }
    return x;
}

}  // namespace dl::nn
