#include "core/nn/gru.h"

namespace dl::nn {

Gru::Gru(int in, int hidden, Rng& rng)
    : xr(in, hidden, 1.0f, rng), xu(in, hidden, 1.0f, rng), xn(in, hidden, 1.0f, rng),
      hr(hidden, hidden, 1.0f, rng), hu(hidden, hidden, 1.0f, rng), hn(hidden, hidden, 1.0f, rng) {}

template <class P>
Var Gru::apply(Var x, Var h, P&& param) const {
    auto lin = [&](const Linear& l, Var in) { return dense(in, param(l.W), param(l.b), Act::None); };
    Var r = sigmoid(add(lin(xr, x), matmul(h, param(hr.W))));
    Var u = sigmoid(add(lin(xu, x), matmul(h, param(hu.W))));
    Var n = tanh(add(lin(xn, x), mul(r, matmul(h, param(hn.W)))));
    return add(n, mul(u, sub(h, n)));  // (1 − u) ⊙ n + u ⊙ h
}

Var Gru::operator()(Tape& t, Var x, Var h) {
    return apply(x, h, [&](const Param& p) { return t.param(const_cast<Param&>(p)); });  // ours to train
}

Var Gru::frozen(Tape& t, Var x, Var h) const {
    return apply(x, h, [&](const Param& p) { return t.constant(p.value); });
}

void Gru::forward(const Mat& x, const Mat& h, Mat& out) const {
    Mat a, b;
    xr.forward(x, a);
    const Mat r = (a + h * hr.W.value).array().logistic().matrix();
    xu.forward(x, a);
    const Mat u = (a + h * hu.W.value).array().logistic().matrix();
    xn.forward(x, a);
    b.noalias() = h * hn.W.value;
    const Mat n = (a.array() + r.array() * b.array()).tanh().matrix();
    out = (n.array() + u.array() * (h - n).array()).matrix();
}

std::vector<Param*> Gru::params() {
    return {&xr.W, &xr.b, &xu.W, &xu.b, &xn.W, &xn.b, &hr.W, &hu.W, &hn.W};
}

}  // namespace dl::nn
