// A GRU cell (Cho et al., 2014), the recurrent memory of the world model. Tape-recorded for training, plain
// matrices for filtering and dreaming.
#pragma once
#include <vector>

#include "core/nn/layers.h"

namespace dl::nn {

// A GRU cell: r = σ(x W_r + h U_r + b_r), u = σ(x W_u + h U_u + b_u), n = tanh(x W_n + r ⊙ (h U_n) + b_n),
// h' = (1 − u) ⊙ n + u ⊙ h.
struct Gru {
    Linear xr, xu, xn, hr, hu, hn;  // input and recurrent weights of each gate (the h-side has zero bias)
    Gru() = default;
    Gru(int in, int hidden, Rng& rng);
    int hidden() const { return int(hr.W.value.cols()); }
    Var operator()(Tape& t, Var x, Var h);
    Var frozen(Tape& t, Var x, Var h) const;  // weights as constants: gradients reach x and h only
    void forward(const Mat& x, const Mat& h, Mat& out) const;  // no tape
    std::vector<Param*> params();

private:
    template <class P>
    Var apply(Var x, Var h, P&& param) const;
};

}  // namespace dl::nn
