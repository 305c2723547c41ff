#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include "base/files.h"
#include "core/rl/mlp_agent.h"
#include "core/rl/continuous_agent.h"
#include "core/nn/layers.h"
#include "core/nn/trust_region.h"

using namespace dl;
using namespace dl::nn;

namespace {

Mat randn(int r, int c, Rng& rng, float scale = 1.0f) {
    Mat m(r, c);
    for (int i = 0; i < r; ++i)
        for (int j = 0; j < c; ++j) m(i, j) = scale * normal(rng);
    return m;
}
Mat uniform(int r, int c, Rng& rng, float lo, float hi) {
    Mat m(r, c);
    for (int i = 0; i < r; ++i)
        for (int j = 0; j < c; ++j) m(i, j) = lo + (hi - lo) * float(rng.uniform());
    return m;
}

// The ops check_gradient has seen on a tape (the op table test below asks for every op of tape.cpp).
std::set<std::string>& checked_ops() {
    static std::set<std::string> ops;
    return ops;
}

// Compares the tape's gradient of L = Σ f(inputs) ⊙ R (R fixed, random) with central finite differences.
void check_gradient(const char* name, const std::function<Var(Tape&, std::vector<Var>&)>& f, std::vector<Mat> inputs,
                    uint64_t seed = 1) {
    CAPTURE(name);
    Rng rng(seed);
    std::vector<Param> params(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) params[i].value = inputs[i], params[i].grad.setZero(inputs[i].rows(), inputs[i].cols());
    Mat R;
    auto loss = [&](bool backward) {
        Tape t;
        std::vector<Var> vs;
        for (auto& p : params) vs.push_back(t.param(p));
        Var out = f(t, vs);
        for (int id = int(vs.size()); id < t.size(); ++id) checked_ops().insert(t.op_name(id));  // the nodes f made
        if (R.size() == 0) R = randn(out.rows(), out.cols(), rng);
        Var L = sum(mul(out, t.constant(R)));
        if (backward) t.backward(L);
        return double(L.value()(0, 0));
    };
    loss(true);
    const float eps = 4e-3f;
    int checked = 0;
    for (size_t i = 0; i < params.size(); ++i) {
        const Mat analytic = params[i].grad;
        for (int r = 0; r < analytic.rows(); ++r)
            for (int c = 0; c < analytic.cols(); ++c) {
                const float x0 = params[i].value(r, c);
                params[i].value(r, c) = x0 + eps;
                const double up = loss(false);
                params[i].value(r, c) = x0 - eps;
                const double down = loss(false);
                params[i].value(r, c) = x0;
                const double numeric = (up - down) / (2 * eps);
                CAPTURE(i);
                CAPTURE(r);
                CAPTURE(c);
                CHECK(std::fabs(analytic(r, c) - numeric) <= 4e-3 + 2e-2 * std::fabs(numeric));
                ++checked;
            }
    }
    CHECK(checked > 0);
}

// Values kept away from the kinks of relu, clamp, min/max and huber, so finite differences are smooth.
Mat away_from(Mat m, float kink, float gap = 0.15f) {
    for (int i = 0; i < m.size(); ++i) {
        float& x = m.data()[i];
        if (std::fabs(x - kink) < gap) x = kink + (x >= kink ? gap : -gap);
    }
    return m;
}

}  // namespace

TEST_CASE("every op's gradient matches finite differences") {
    Rng rng(42);
    const Mat A = randn(3, 4, rng), B = randn(3, 4, rng), row = randn(1, 4, rng), col = randn(3, 1, rng);
    const Mat one = randn(1, 1, rng), K = randn(4, 2, rng), pos = uniform(3, 4, rng, 0.5f, 2.0f);
    check_gradient("add", [](Tape&, std::vector<Var>& v) { return add(v[0], v[1]); }, {A, B});
    check_gradient("add row broadcast", [](Tape&, std::vector<Var>& v) { return add(v[0], v[1]); }, {A, row});
    check_gradient("add column broadcast", [](Tape&, std::vector<Var>& v) { return add(v[1], v[0]); }, {A, col});
    check_gradient("sub scalar broadcast", [](Tape&, std::vector<Var>& v) { return sub(v[0], v[1]); }, {A, one});
    check_gradient("mul", [](Tape&, std::vector<Var>& v) { return mul(v[0], v[1]); }, {A, B});
    check_gradient("mul row broadcast", [](Tape&, std::vector<Var>& v) { return mul(v[0], v[1]); }, {A, row});
    check_gradient("mul column broadcast", [](Tape&, std::vector<Var>& v) { return mul(v[0], v[1]); }, {A, col});
    check_gradient("scale", [](Tape&, std::vector<Var>& v) { return scale(v[0], -1.7f); }, {A});
    check_gradient("add_scalar", [](Tape&, std::vector<Var>& v) { return add_scalar(v[0], 0.3f); }, {A});
    check_gradient("matmul", [](Tape&, std::vector<Var>& v) { return matmul(v[0], v[1]); }, {A, K});
    check_gradient("tanh", [](Tape&, std::vector<Var>& v) { return tanh(v[0]); }, {A});
    check_gradient("relu", [](Tape&, std::vector<Var>& v) { return relu(v[0]); }, {away_from(A, 0)});
    check_gradient("sigmoid", [](Tape&, std::vector<Var>& v) { return sigmoid(v[0]); }, {A});
    check_gradient("exp", [](Tape&, std::vector<Var>& v) { return exp(v[0]); }, {A});
    check_gradient("softplus", [](Tape&, std::vector<Var>& v) { return softplus(v[0]); }, {Mat(A * 3.0f)});
    check_gradient("log", [](Tape&, std::vector<Var>& v) { return log(v[0]); }, {pos});
    check_gradient("square", [](Tape&, std::vector<Var>& v) { return square(v[0]); }, {A});
    check_gradient("sqrt", [](Tape&, std::vector<Var>& v) { return sqrt(v[0]); }, {pos});
    check_gradient("softmax", [](Tape&, std::vector<Var>& v) { return softmax(v[0]); }, {A});
    check_gradient("log_softmax", [](Tape&, std::vector<Var>& v) { return log_softmax(v[0]); }, {A});
    check_gradient("gather", [](Tape&, std::vector<Var>& v) { return gather(v[0], {2, 0, 3}); }, {A});
    check_gradient("sum", [](Tape&, std::vector<Var>& v) { return sum(v[0]); }, {A});
    check_gradient("mean", [](Tape&, std::vector<Var>& v) { return mean(v[0]); }, {A});
    check_gradient("sum_rows", [](Tape&, std::vector<Var>& v) { return sum_rows(v[0]); }, {A});
    check_gradient("mean_cols", [](Tape&, std::vector<Var>& v) { return mean_cols(v[0]); }, {A});
    Mat Bf = B;  // keep a and b apart so min/max pick one side clearly
    for (int i = 0; i < Bf.size(); ++i)
        if (std::fabs(Bf.data()[i] - A.data()[i]) < 0.2f) Bf.data()[i] = A.data()[i] + 0.4f;
    check_gradient("minimum", [](Tape&, std::vector<Var>& v) { return minimum(v[0], v[1]); }, {A, Bf});
    check_gradient("maximum", [](Tape&, std::vector<Var>& v) { return maximum(v[0], v[1]); }, {A, Bf});
    check_gradient("clamp", [](Tape&, std::vector<Var>& v) { return clamp(v[0], -0.5f, 0.5f); },
                   {away_from(away_from(A, -0.5f), 0.5f)});
    check_gradient("concat", [](Tape&, std::vector<Var>& v) { return concat(v[0], v[1]); }, {A, col});
    check_gradient("slice", [](Tape&, std::vector<Var>& v) { return slice(v[0], 1, 2); }, {A});
    check_gradient("huber", [](Tape&, std::vector<Var>& v) { return huber(v[0], 1.0f); },
                   {away_from(away_from(Mat(A * 2.0f), -1.0f), 1.0f)});
    // A composite: the path an MLP takes, and a value reused twice (gradients must add up).
    check_gradient("mlp-like", [](Tape&, std::vector<Var>& v) { return tanh(add(matmul(v[0], v[1]), v[2])); },
                   {A, K, randn(1, 2, rng)});
    check_gradient("reuse", [](Tape&, std::vector<Var>& v) { return mul(v[0], add(v[0], v[0])); }, {A});
    const Mat bias = randn(1, 2, rng);
    check_gradient("dense", [](Tape&, std::vector<Var>& v) { return dense(v[0], v[1], v[2], Act::None); }, {A, K, bias});
    check_gradient("dense tanh", [](Tape&, std::vector<Var>& v) { return dense(v[0], v[1], v[2], Act::Tanh); }, {A, K, bias});
    {  // relu: inputs whose pre-activations keep away from the kink
        const Mat W = K, pre = A * W;
        Mat b = bias;
        for (int c = 0; c < 2; ++c) {  // pick the bias so that no pre-activation lies within 0.2 of 0
            float shift = 0;
            for (int tries = 0; tries < 100; ++tries, shift += 0.05f)
                if (((pre.col(c).array() + shift).abs() > 0.2f).all()) break;
            b(0, c) = shift;
        }
        check_gradient("dense relu", [](Tape&, std::vector<Var>& v) { return dense(v[0], v[1], v[2], Act::Relu); }, {A, W, b});
    }
    const ConvShape cs{5, 4, 2, 3, 2, 1};  // more shapes, and the sparse path, in the conv2d test below
    check_gradient("conv2d + bias", [cs](Tape&, std::vector<Var>& v) { return conv2d(v[0], v[1], cs, v[2]); },
                   {randn(2, cs.in_dim(), rng), randn(cs.k * cs.k * cs.C, 3, rng), randn(1, 3, rng)});

    // The op table: every op tape.cpp defines must have been checked above (a new op needs a line here).
    const std::vector<std::string> ops = op_names();
    CHECK(ops.size() >= 28);  // registration works (28 ops when this was written)
    for (const std::string& op : ops) CHECK_MESSAGE(checked_ops().count(op) == 1, "op without a gradient test: " << op);
}

// dense is a fusion, not a new function: the same bits as the three ops it replaces, forward and backward; and a
// frozen layer or a constant input gets no gradient.
TEST_CASE("dense equals add(matmul) then the activation to the bit; frozen parameters get no gradient") {
    Rng rng(7);
    const Mat x = randn(9, 5, rng), target = randn(9, 6, rng);
    for (Act act : {Act::None, Act::Relu, Act::Tanh}) {
        CAPTURE(int(act));
        Param W1(5, 6), b1(1, 6), W2(5, 6), b2(1, 6);
        W1.value = W2.value = randn(5, 6, rng), b1.value = b2.value = randn(1, 6, rng);
        Param x1, x2;
        x1.value = x2.value = x, x1.grad.setZero(9, 5), x2.grad.setZero(9, 5);
        Tape t;
        Var pre = add(matmul(t.param(x1), t.param(W1)), t.param(b1));
        Var y1 = act == Act::Relu ? relu(pre) : act == Act::Tanh ? tanh(pre) : pre;
        t.backward(mean(square(sub(y1, t.constant(target)))));
        Tape u;
        Var y2 = dense(u.param(x2), u.param(W2), u.param(b2), act);
        u.backward(mean(square(sub(y2, u.constant(target)))));
        CHECK(y1.value() == y2.value());
        CHECK(W1.grad == W2.grad);
        CHECK(b1.grad == b2.grad);
        CHECK(x1.grad == x2.grad);
    }
    // Frozen weights: the input still gets its gradient, the weights' grads stay untouched.
    Param W(5, 6), b(1, 6), xin;
    W.value = randn(5, 6, rng), b.value = randn(1, 6, rng), xin.value = x, xin.grad.setZero(9, 5);
    W.grad.setConstant(3.0f), b.grad.setConstant(3.0f);
    Tape t;
    t.backward(sum(dense(t.param(xin), t.frozen(W), t.frozen(b), Act::Tanh)));
    CHECK((W.grad.array() == 3.0f).all());
    CHECK((b.grad.array() == 3.0f).all());
    CHECK(xin.grad.cwiseAbs().maxCoeff() > 0.0f);
}

// After a ReLU that leaves few entries nonzero (a conv layer on MinAtar's pictures), dense skips the zeros: its own
// sums in a fixed order, so not the GEMM's bits, but the same function — values and gradients within rounding of the
// GEMM path, and finite differences agree. Above 1 in 3 nonzero it is the GEMM again, to the bit.
TEST_CASE("dense after a sparse ReLU: the sparse products equal the GEMM's; gradients match finite differences") {
    Rng rng(11);
    const int B = 5, K = 300, N = 40;  // K ≥ 256 (the sparse path's minimum); N = one 32-wide block and a tail
    for (const double lit : {0.1, 0.6}) {
        CAPTURE(lit);
        // Pre-activations kept ≥ 0.2 away from the kink, about `lit` of them positive.
        Mat pre(B, K);
        for (int i = 0; i < pre.size(); ++i)
            pre.data()[i] = (rng.uniform() < lit ? 1.0f : -1.0f) * (0.2f + float(rng.uniform()));
        const Mat W = randn(K, N, rng, 0.1f), bias = randn(1, N, rng), target = randn(B, N, rng);
        for (Act act : {Act::None, Act::Relu, Act::Tanh}) {
            CAPTURE(int(act));
            // On the tape after relu() (the sparse path when lit = 0.1) and after a constant holding the same
            // values (always the GEMM).
            Param p1, W1, b1, W2, b2;
            p1.value = pre, p1.grad.setZero(B, K);
            W1.value = W2.value = W, b1.value = b2.value = bias;
            Tape t;
            Var h = relu(t.param(p1));
            Var y1 = dense(h, t.param(W1), t.param(b1), act);
            t.backward(sum(mul(y1, t.constant(target))));
            Tape u;
            Var y2 = dense(u.constant(h.value()), u.param(W2), u.param(b2), act);
            u.backward(sum(mul(y2, u.constant(target))));
            // The input gradient by hand from the GEMM path's: dx = dpre Wᵀ, through the ReLU.
            Mat dpre = target;
            if (act == Act::Relu) dpre.array() *= (y2.value().array() > 0).cast<float>();
            if (act == Act::Tanh) dpre.array() *= 1 - y2.value().array().square();
            const Mat dx = ((dpre * W.transpose()).array() * (pre.array() > 0).cast<float>()).matrix();
            if (lit > 0.5) {  // dense: the GEMM, the same bits as on a constant input
                CHECK(y1.value() == y2.value());
                CHECK(W1.grad == W2.grad);
            }
            CHECK((y1.value() - y2.value()).cwiseAbs().maxCoeff() < 1e-5);
            CHECK((W1.grad - W2.grad).cwiseAbs().maxCoeff() < 1e-5);
            CHECK((b1.grad - b2.grad).cwiseAbs().maxCoeff() < 1e-5);
            CHECK((p1.grad - dx).cwiseAbs().maxCoeff() < 1e-5);
            // Without a tape (target networks, acting): the bits the tape computed.
            Mat out;
            const bool took = sparse_dense_forward(h.value(), W, bias, out);
            CHECK(took == (lit < 0.5));
            if (took && act == Act::None) CHECK(out == y1.value());
        }
        check_gradient(lit < 0.5 ? "dense after a sparse relu" : "dense after a dense relu",
                       [](Tape&, std::vector<Var>& v) { return dense(relu(v[0]), v[1], v[2], Act::Tanh); },
                       {pre, randn(K, N, rng, 0.1f), bias});
    }
    // Over a conv layer whose biases are partly positive, most entries equal max(bias, 0) (every empty patch): the
    // products measure x from that baseline. Values and gradients (the conv's too) against the GEMM path, whose
    // input is the same ReLU over a conv with the bias added afterwards (no baseline to find), and finite differences.
    {
        const ConvShape s{20, 20, 1, 3, 1, 0};  // a few lit pixels, as pixel CartPole's pictures
        const int F = 4, P = s.out_h() * s.out_w(), N = 40;
        Mat frames = Mat::Zero(4, s.in_dim());
        for (int i = 0; i < frames.size(); ++i) frames.data()[i] = rng.uniform() < 0.015 ? 1.0f : 0.0f;
        const Mat wc = randn(s.k * s.k * s.C, F, rng, 0.5f), W = randn(P * F, N, rng, 0.1f), target = randn(4, N, rng);
        Mat bc = randn(1, F, rng, 0.5f);
        for (int f = 0; f < F; ++f) bc(0, f) = (f % 2 ? -1.0f : 1.0f) * (0.2f + std::fabs(bc(0, f)));  // half positive, off the kink
        Param wc1, bc1, W1, b1, wc2, bc2, W2, b2;
        wc1.value = wc2.value = wc, bc1.value = bc2.value = bc, W1.value = W2.value = W, b1.value = b2.value = randn(1, N, rng);
        Tape t;
        Var h1 = relu(conv2d(t.constant(frames), t.param(wc1), s, t.param(bc1)));
        Var y1 = dense(h1, t.param(W1), t.param(b1), Act::Tanh);
        t.backward(sum(mul(y1, t.constant(target))));
        Tape u;  // conv + 0: the same values, but relu's input is not a conv node: no baseline, the GEMM
        Var h2 = relu(add_scalar(conv2d(u.constant(frames), u.param(wc2), s, u.param(bc2)), 0.0f));
        Var y2 = dense(h2, u.param(W2), u.param(b2), Act::Tanh);
        u.backward(sum(mul(y2, u.constant(target))));
        REQUIRE(h1.value() == h2.value());
        CHECK(((h1.value().array() > 0).count()) > h1.value().size() / 3);  // x itself too dense for the zeros alone
        CHECK((y1.value() - y2.value()).cwiseAbs().maxCoeff() < 1e-5);
        CHECK((W1.grad - W2.grad).cwiseAbs().maxCoeff() < 1e-5);
        CHECK((b1.grad - b2.grad).cwiseAbs().maxCoeff() < 1e-5);
        CHECK((wc1.grad - wc2.grad).cwiseAbs().maxCoeff() < 1e-4);
        CHECK((bc1.grad - bc2.grad).cwiseAbs().maxCoeff() < 1e-4);
        CHECK(y1.value() != y2.value());  // (the baseline path ran: its own rounding)
        // Without a tape, given the conv's bias: the tape's bits.
        Mat out;
        REQUIRE(sparse_dense_forward(h1.value(), W, b1.value, out, &bc));
        CHECK(Mat(out.array().tanh().matrix()) == y1.value());
        check_gradient("dense after relu(conv) with positive biases",
                       [s, frames](Tape& t, std::vector<Var>& v) { return dense(relu(conv2d(t.constant(frames), v[0], s, v[1])), v[2], v[3], Act::Tanh); },
                       {wc, bc, randn(P * F, 8, rng, 0.1f), randn(1, 8, rng)});
    }
    // A conv net's forward without a tape gives the tape's bits (both take the sparse products on MinAtar frames).
    const ConvShape image{10, 10, 4, 3, 1, 0};
    Mlp net = Mlp::conv_net(image, 16, {128, 6}, Activation::Relu, 1.0f, rng);
    net.convs[0].b.value.array() = -0.2f;  // negative conv biases: an empty patch gives 0 (as in trained nets)
    Mat frames = Mat::Zero(8, image.in_dim());
    for (int i = 0; i < frames.size(); ++i) frames.data()[i] = rng.uniform() < 0.03 ? 1.0f : 0.0f;
    Tape t;
    const Mat on_tape = net(t, t.constant(frames)).value();
    Mat off_tape;
    net.forward(frames, off_tape);
    CHECK(on_tape == off_tape);
    Mat conv_out;
    net.convs[0].forward(frames, conv_out);
    CHECK(((conv_out.array() > 0).count()) < conv_out.size() / 3);  // (so the sparse path was the one compared)
}

TEST_CASE("conv2d: equals a direct convolution; gradients (weights and input) match finite differences") {
    Rng rng(9);
    for (const ConvShape s : {ConvShape{5, 4, 2, 3, 1, 0}, ConvShape{5, 4, 2, 3, 1, 1}, ConvShape{6, 5, 3, 3, 2, 1},
                              ConvShape{4, 4, 1, 2, 1, 0}}) {
        CAPTURE(s.H);
        CAPTURE(s.stride);
        CAPTURE(s.pad);
        const int F = 3, B = 2;
        const Mat x = randn(B, s.in_dim(), rng), w = randn(s.k * s.k * s.C, F, rng);
        Tape t;
        const Mat y = conv2d(t.constant(x), t.constant(w), s).value();
        REQUIRE(y.cols() == s.out_h() * s.out_w() * F);
        double worst = 0;
        for (int b = 0; b < B; ++b)
            for (int oy = 0; oy < s.out_h(); ++oy)
                for (int ox = 0; ox < s.out_w(); ++ox)
                    for (int f = 0; f < F; ++f) {
                        double acc = 0;
                        for (int ky = 0; ky < s.k; ++ky)
                            for (int kx = 0; kx < s.k; ++kx)
                                for (int c = 0; c < s.C; ++c) {
                                    const int iy = oy * s.stride - s.pad + ky, ix = ox * s.stride - s.pad + kx;
                                    if (iy < 0 || iy >= s.H || ix < 0 || ix >= s.W) continue;
                                    acc += double(x(b, (iy * s.W + ix) * s.C + c)) * w((ky * s.k + kx) * s.C + c, f);
                                }
                        worst = std::max(worst, std::fabs(acc - y(b, (oy * s.out_w() + ox) * F + f)));
                    }
        CHECK(worst < 1e-4);
        check_gradient("conv2d", [s](Tape&, std::vector<Var>& v) { return conv2d(v[0], v[1], s); }, {x, w});
        check_gradient("conv2d + bias", [s](Tape&, std::vector<Var>& v) { return conv2d(v[0], v[1], s, v[2]); },
                       {x, w, randn(1, F, rng)});
    }
    // Sparse inputs (a few lit cells, as MinAtar's) take the scatter path: same outputs, same gradients.
    for (const ConvShape s : {ConvShape{10, 10, 4, 3, 1, 0}, ConvShape{6, 5, 3, 3, 2, 1}}) {
        Mat x = Mat::Zero(3, s.in_dim());
        for (int i = 0; i < x.size(); ++i)
            if (rng.uniform() < 0.05) x.data()[i] = rng.uniform() < 0.5 ? 1.0f : float(normal(rng));
        const int F = s.H == 10 ? 16 : 4;  // 16 filters (MinAtar's, a path of its own) and 4
        const Mat w = randn(s.k * s.k * s.C, F, rng), bias = randn(1, F, rng);
        Tape ts;
        const Mat sparse = conv2d(ts.constant(x), ts.constant(w), s, ts.constant(bias)).value();
        Mat dense_x = x;
        dense_x.array() += 1e-30f;  // every entry nonzero (and the values unchanged in float): the im2col path
        Tape td;
        const Mat dense = conv2d(td.constant(dense_x), td.constant(w), s, td.constant(bias)).value();
        CHECK((sparse - dense).cwiseAbs().maxCoeff() < 1e-5);
        check_gradient("conv2d sparse input (weights, bias)",
                       [s, x](Tape& t, std::vector<Var>& v) { return conv2d(t.constant(x), v[0], s, v[1]); }, {w, bias});
    }
    // A constant input gets its gradient only when asked (saliency maps ask), and then it is the right one.
    const ConvShape s{4, 4, 2, 3, 1, 1};
    const Mat x = randn(1, s.in_dim(), rng), w = randn(18, 2, rng);
    Tape t;
    Var xc = t.constant(x, /*needs_grad=*/true);
    t.backward(sum(square(conv2d(xc, t.constant(w), s))));
    const Mat g = xc.grad();
    Tape t2;
    Var xq = t2.constant(x);
    t2.backward(sum(square(conv2d(xq, t2.constant(w), s))));
    CHECK(xq.grad().norm() == 0);
    Param px;
    px.value = x;
    px.grad.setZero(1, s.in_dim());
    Tape t3;
    t3.backward(sum(square(conv2d(t3.param(px), t3.constant(w), s))));
    CHECK((px.grad - g).norm() < 1e-5);
    CHECK(g.norm() > 0);
}

TEST_CASE("orthogonal init: columns (or rows) orthonormal times the gain") {
    Rng rng(3);
    Mat W(64, 16), V(4, 64);
    orthogonal_init(W, 2.0f, rng);
    orthogonal_init(V, 1.0f, rng);
    CHECK((W.transpose() * W - 4.0f * Mat::Identity(16, 16)).cwiseAbs().maxCoeff() < 1e-4f);
    CHECK((V * V.transpose() - Mat::Identity(4, 4)).cwiseAbs().maxCoeff() < 1e-4f);
}

TEST_CASE("Linear and MLP: tape forward equals tape-free forward; gradients match finite differences") {
    Rng rng(5);
    Mlp net({4, 8, 8, 2}, Activation::Tanh, 1.0f, rng);
    const Mat x = randn(5, 4, rng);
    Tape t;
    Var y = net(t, t.constant(x));
    Mat y2;
    net.forward(x, y2);
    CHECK((y.value() - y2).cwiseAbs().maxCoeff() < 1e-6f);
    // Finite differences on every weight of a small ReLU net.
    Mlp small({3, 5, 2}, Activation::Tanh, 1.0f, rng);
    auto params = small.params();
    const Mat xs = randn(4, 3, rng), R = randn(4, 2, rng);
    zero_grad(params);
    {
        Tape tt;
        Var L = sum(mul(small(tt, tt.constant(xs)), tt.constant(R)));
        tt.backward(L);
    }
    for (Param* p : params)
        for (int i = 0; i < p->value.size(); ++i) {
            const float x0 = p->value.data()[i];
            auto eval = [&](float v) {
                p->value.data()[i] = v;
                Tape tt;
                return double(sum(mul(small(tt, tt.constant(xs)), tt.constant(R))).value()(0, 0));
            };
            const double num = (eval(x0 + 4e-3f) - eval(x0 - 4e-3f)) / 8e-3;
            p->value.data()[i] = x0;
            CHECK(std::fabs(p->grad.data()[i] - num) <= 4e-3 + 2e-2 * std::fabs(num));
        }
}

TEST_CASE("optimizers minimise a quadratic; gradient clipping scales to the bound") {
    for (int which = 0; which < 3; ++which) {
        CAPTURE(which);
        Param w(1, 3);
        w.value << 3, -2, 1;
        const Mat target = (Mat(1, 3) << 0.5f, 0.5f, -1.0f).finished();
        Sgd sgd;
        sgd.params = {&w}, sgd.lr = 0.1f, sgd.momentum = 0.5f;
        RmsProp rms;
        rms.params = {&w}, rms.lr = 0.05f;
        Adam adam;
        adam.params = {&w}, adam.lr = 0.1f;
        for (int it = 0; it < 500; ++it) {
            w.zero_grad();
            Tape t;
            t.backward(sum(square(sub(t.param(w), t.constant(target)))));
            if (which == 0) sgd.step();
            else if (which == 1) rms.step();
            else adam.step();
        }
        CHECK((w.value - target).cwiseAbs().maxCoeff() < 0.05f);
    }
    Param a(1, 2), b(1, 1);
    a.grad << 3, 4;
    b.grad << 12;  // total norm 13
    const float n = clip_grad_norm({&a, &b}, 1.3f);
    CHECK(n == doctest::Approx(13.0f));
    CHECK(std::sqrt(a.grad.squaredNorm() + b.grad.squaredNorm()) == doctest::Approx(1.3f).epsilon(1e-3));
    CHECK(a.grad(0, 0) / a.grad(0, 1) == doctest::Approx(0.75f));  // direction kept
}

TEST_CASE("a NaN or infinite gradient is caught by the optimizer before it changes anything; a handler may skip the step") {
    for (int which = 0; which < 3; ++which) {
        CAPTURE(which);
        Param w(1, 3), u(2, 2);
        w.value << 1, 2, 3;
        u.value.setConstant(0.5f);
        Sgd sgd;
        sgd.params = {&w, &u};
        RmsProp rms;
        rms.params = {&w, &u};
        Adam adam;
        adam.params = {&w, &u};
        auto step = [&] { which == 0 ? sgd.step() : which == 1 ? rms.step() : adam.step(); };
        w.grad << 0.1f, 0.2f, 0.3f;
        u.grad.setConstant(0.1f);
        u.grad(1, 0) = which == 1 ? INFINITY : NAN;
        const Mat w0 = w.value, u0 = u.value;
        CHECK_THROWS_WITH_AS(step(), doctest::Contains("a gradient of NaN or infinity reached"), NonFiniteError);
        CHECK(w.value == w0);  // all or nothing: the finite tensor before the bad one is untouched too
        CHECK(u.value == u0);
        // A handler that returns: the step is skipped (Adam's step count does not move), training can go on.
        std::string seen;
        const NonFiniteHandler before = set_non_finite_handler([&](const std::string& what) { seen = what; });
        step();
        CHECK(seen.find("(tensor 2 of 2, 2x2: 1 of 4 entries)") != std::string::npos);
        CHECK(w.value == w0);
        CHECK(adam.t == 0);
        u.grad(1, 0) = 0.1f;
        step();
        CHECK(w.value != w0);  // finite gradients are applied again
        set_non_finite_handler(before);
    }
}

TEST_CASE("Categorical: log-prob and entropy match closed forms; sampling follows the probabilities") {
    Tape t;
    const Mat logits = (Mat(2, 3) << 0.0f, 1.0f, 2.0f, 1.0f, 1.0f, 1.0f).finished();
    Categorical d(t.constant(logits));
    const Mat lp = d.log_prob({2, 0}).value();
    const double z = std::exp(0.0) + std::exp(1.0) + std::exp(2.0);
    CHECK(lp(0, 0) == doctest::Approx(2.0 - std::log(z)));
    CHECK(lp(1, 0) == doctest::Approx(-std::log(3.0)));
    const Mat H = d.entropy().value();
    double h0 = 0;
    for (double l : {0.0, 1.0, 2.0}) h0 -= std::exp(l) / z * (l - std::log(z));
    CHECK(H(0, 0) == doctest::Approx(h0));
    CHECK(H(1, 0) == doctest::Approx(std::log(3.0)));
    Rng rng(9);
    int counts[3] = {};
    for (int i = 0; i < 60000; ++i) counts[sample_categorical(logits.data(), 3, rng)]++;
    CHECK(counts[2] / 60000.0 == doctest::Approx(std::exp(2.0) / z).epsilon(0.03));
    CHECK(counts[0] / 60000.0 == doctest::Approx(1.0 / z).epsilon(0.05));
}

TEST_CASE("DiagGaussian and TanhGaussian: log-probs and entropy against closed forms, gradients, densities") {
    Rng rng(21);
    const int B = 3, D = 2;
    const Mat mu = randn(B, D, rng, 0.7f), ls = uniform(B, D, rng, -1.0f, 0.5f), x = randn(B, D, rng), eps = randn(B, D, rng);
    const Mat ls_row = uniform(1, D, rng, -1.0f, 0.5f);
    {
        Tape t;
        DiagGaussian g(t.constant(mu), t.constant(ls));
        const Mat lp = g.log_prob(t.constant(x)).value();
        const Mat ent = g.entropy().value();
        for (int b = 0; b < B; ++b) {
            double ref = 0, ref_ent = 0;
            for (int d = 0; d < D; ++d) {
                const double s = std::exp(double(ls(b, d))), z = (double(x(b, d)) - mu(b, d)) / s;
                ref += -0.5 * z * z - std::log(s) - 0.5 * std::log(2 * M_PI);
                ref_ent += std::log(s) + 0.5 * (1 + std::log(2 * M_PI));
            }
            CHECK(lp(b, 0) == doctest::Approx(ref).epsilon(1e-5));
            CHECK(ent(b, 0) == doctest::Approx(ref_ent).epsilon(1e-5));
        }
        // One log_std row for every state (PPO's): the same numbers as that row repeated.
        DiagGaussian shared(t.constant(mu), t.constant(ls_row));
        Mat rep(B, D);
        for (int b = 0; b < B; ++b) rep.row(b) = ls_row;
        DiagGaussian full(t.constant(mu), t.constant(rep));
        const Mat lp_shared = shared.log_prob(t.constant(x)).value();  // copies: a later op may move the tape's nodes
        const Mat lp_full = full.log_prob(t.constant(x)).value();
        CHECK((lp_shared - lp_full).cwiseAbs().maxCoeff() < 1e-5);
        const double ent_shared = shared.entropy().value()(0, 0), ent_full = full.entropy().value()(0, 0);
        CHECK(ent_shared == doctest::Approx(ent_full));
        // rsample: mean + σ ⊙ eps.
        const Mat smp = g.rsample(eps).value();
        CHECK((smp - (mu.array() + ls.array().exp() * eps.array()).matrix()).cwiseAbs().maxCoeff() < 1e-6);
    }
    check_gradient("DiagGaussian.log_prob (mean, log_std, x)",
                   [](Tape&, std::vector<Var>& v) { return DiagGaussian(v[0], v[1]).log_prob(v[2]); }, {mu, ls, x});
    check_gradient("DiagGaussian.log_prob (shared log_std row)",
                   [](Tape&, std::vector<Var>& v) { return DiagGaussian(v[0], v[1]).log_prob(v[2]); }, {mu, ls_row, x});
    check_gradient("DiagGaussian.entropy", [](Tape&, std::vector<Var>& v) { return DiagGaussian(v[0], v[1]).entropy(); }, {mu, ls});
    check_gradient("DiagGaussian.rsample (pathwise)",
                   [&](Tape&, std::vector<Var>& v) { return DiagGaussian(v[0], v[1]).rsample(eps); }, {mu, ls});
    check_gradient("TanhGaussian.rsample action and log-prob",
                   [&](Tape&, std::vector<Var>& v) {
                       const auto s = TanhGaussian(v[0], v[1]).rsample(eps);
                       return concat(s.action, s.log_prob);
                   },
                   {mu, ls});
    {
        // The tanh correction against the direct formula, including large |u| where 1 − tanh² u underflows in
        // float: the stable form stays finite.
        Tape t;
        Mat u(1, 3);
        u << 0.3f, -2.0f, 12.0f;
        TanhGaussian g(t.constant(Mat::Zero(1, 3)), t.constant(Mat::Zero(1, 3)));
        const double lp = g.log_prob_of_pre_tanh(t.constant(u)).value()(0, 0);
        double ref = 0;
        for (int d = 0; d < 3; ++d) {
            const double ud = u(0, d);
            ref += -0.5 * ud * ud - 0.5 * std::log(2 * M_PI) - std::log(1 - std::tanh(ud) * std::tanh(ud));
        }
        CHECK(std::isfinite(lp));
        CHECK(lp == doctest::Approx(ref).epsilon(1e-4));
    }
    {
        // In one dimension the squashed density integrates to 1 over (−1, 1): π(a) = N(atanh a) / (1 − a²).
        Tape t;
        TanhGaussian g(t.constant(Mat::Constant(1, 1, 0.4f)), t.constant(Mat::Constant(1, 1, -0.3f)));
        const int n = 20000;
        Mat u(n, 1);
        for (int i = 0; i < n; ++i) u(i, 0) = float(std::atanh(-1 + (i + 0.5) * 2.0 / n));
        const Mat lp = g.log_prob_of_pre_tanh(t.constant(u)).value();
        double integral = 0;
        for (int i = 0; i < n; ++i) integral += std::exp(double(lp(i, 0))) * 2.0 / n;
        CHECK(integral == doctest::Approx(1.0).epsilon(2e-3));
        CHECK(g.mode().value()(0, 0) == doctest::Approx(std::tanh(0.4)));
    }
}

TEST_CASE("natural gradient: Mlp::jvp, the Fisher-vector product against an explicit Fisher matrix, conjugate gradient") {
    Rng rng(31);
    for (const bool gaussian : {false, true}) {
        CAPTURE(gaussian);
        Mlp net({3, 5, 2}, Activation::Tanh, 1.0f, rng);
        Param log_std;
        log_std.value = uniform(1, 2, rng, -0.7f, 0.3f), log_std.grad = Mat::Zero(1, 2);
        const int B = 6;
        PolicyFisher F{&net, gaussian ? &log_std : nullptr, randn(B, 3, rng), 0.0f};
        const std::vector<Param*> ps = net.params();
        const int P = F.size(), n_net = P - (gaussian ? 2 : 0);
        // J v against central differences of the output.
        const Vec v = Eigen::Map<const Vec>(randn(P, 1, rng).data(), P);
        Mat out, dout, up, down;
        net.jvp(F.obs, split_like(v.head(n_net), ps), out, dout);
        const Vec theta = flatten_values(ps);
        const float h = 1e-2f;
        assign_values(theta + h * v.head(n_net), ps), net.forward(F.obs, up);
        assign_values(theta - h * v.head(n_net), ps), net.forward(F.obs, down);
        assign_values(theta, ps);
        CHECK(((up - down) / (2 * h) - dout).cwiseAbs().maxCoeff() < 2e-3f * (1 + dout.cwiseAbs().maxCoeff()));
        // The explicit Fisher: J column by column (jvp of unit vectors), then (1/B) Σ_s J_sᵀ M_s J_s.
        std::vector<Mat> cols;
        for (int k = 0; k < n_net; ++k) {
            Vec e = Vec::Zero(n_net);
            e(k) = 1;
            net.jvp(F.obs, split_like(e, ps), out, dout);
            cols.push_back(dout);
        }
        Eigen::MatrixXd Fm = Eigen::MatrixXd::Zero(P, P);
        for (int s = 0; s < B; ++s) {
            Eigen::MatrixXd J(2, n_net), M(2, 2);
            for (int k = 0; k < n_net; ++k) J(0, k) = cols[size_t(k)](s, 0), J(1, k) = cols[size_t(k)](s, 1);
            if (gaussian) {
                M.setZero();
                for (int a = 0; a < 2; ++a) M(a, a) = std::exp(-2.0 * log_std.value(0, a));
            } else {
                const double z0 = out(s, 0), z1 = out(s, 1), m = std::max(z0, z1);
                const double e0 = std::exp(z0 - m), e1 = std::exp(z1 - m), p0 = e0 / (e0 + e1), p1 = e1 / (e0 + e1);
                M << p0 - p0 * p0, -p0 * p1, -p0 * p1, p1 - p1 * p1;
            }
            Fm.topLeftCorner(n_net, n_net) += J.transpose() * M * J / B;
        }
        if (gaussian) Fm(n_net, n_net) = Fm(n_net + 1, n_net + 1) = 2.0;
        const Vec fv = F(v);
        const Eigen::VectorXd ref = Fm * v.cast<double>();
        CHECK((fv.cast<double>() - ref).cwiseAbs().maxCoeff() < 1e-4 * (1 + ref.cwiseAbs().maxCoeff()));
        // Conjugate gradient (with a little damping) solves F x = g.
        PolicyFisher Fd = F;
        Fd.damping = 0.1f;
        const Vec g = Eigen::Map<const Vec>(randn(P, 1, rng).data(), P);
        const Vec x = conjugate_gradient([&](const Vec& y) { return Fd(y); }, g, 3 * P);
        CHECK((Fd(x) - g).norm() < 1e-3f * g.norm());
    }
}

TEST_CASE("checkpoints: round trip; truncated, corrupted or mismatched files are refused and change nothing") {
    Rng rng(11);
    Mlp a({4, 16, 2}, Activation::Tanh, 1.0f, rng), b({4, 16, 2}, Activation::Tanh, 1.0f, rng);
    auto named = [](Mlp& m) {
        std::vector<std::pair<std::string, Param*>> v;
        int i = 0;
        for (Param* p : m.params()) {
            std::string name = "p";
            name += std::to_string(i++);
            v.push_back({name, p});
        }
        return v;
    };
    auto as_const = [](const std::vector<std::pair<std::string, Param*>>& v) {
        std::vector<std::pair<std::string, const Param*>> c;
        for (auto& [n, p] : v) c.push_back({n, p});
        return c;
    };
    std::string path = std::filesystem::temp_directory_path().string();
    path += "/dl-ckpt-";
    path += std::to_string(::getpid());
    save_checkpoint(path, as_const(named(a)));
    load_checkpoint(path, named(b));
    for (size_t i = 0; i < a.params().size(); ++i) CHECK(a.params()[i]->value == b.params()[i]->value);

    const std::string bytes = read_file(path);
    Mlp c({4, 16, 2}, Activation::Tanh, 1.0f, rng);
    const Mat before = c.layers[0].W.value;
    write_file_atomic(path, bytes.substr(0, bytes.size() / 2));
    CHECK_THROWS_WITH_AS(load_checkpoint(path, named(c)), doctest::Contains("truncated or corrupted"), CheckpointError);
    std::string flipped = bytes;
    flipped[bytes.size() / 2] ^= 0x40;
    write_file_atomic(path, flipped);
    CHECK_THROWS_WITH_AS(load_checkpoint(path, named(c)), doctest::Contains("checksum"), CheckpointError);
    write_file_atomic(path, "hello");
    CHECK_THROWS_WITH_AS(load_checkpoint(path, named(c)), doctest::Contains("not a Dreamlab checkpoint"), CheckpointError);
    write_file_atomic(path, bytes);
    Mlp wrong({4, 8, 2}, Activation::Tanh, 1.0f, rng);
    CHECK_THROWS_WITH_AS(load_checkpoint(path, named(wrong)), doctest::Contains("is 4x16, the model's is 4x8"), CheckpointError);
    CHECK(c.layers[0].W.value == before);  // nothing was half-loaded
    std::filesystem::remove(path);
}

TEST_CASE("saliency: |dV/dobs| and |dQ(s, greedy a)/dobs| match finite differences") {
    Rng rng(12);
    Space img;
    img.kind = Space::Box;
    img.shape = {5, 5, 2};
    auto ac = MlpAgent::actor_critic(img, 3, 8, rng, "cnn", 4);
    MlpAgent q;
    q.head = MlpAgent::QNet, q.q_values = true, q.n_actions = 3;
    q.actor = make_network(img, "cnn", 4, {8, 3}, Activation::Relu, 1.0f, rng);
    q.obs_dim = q.actor.in_dim();
    for (const MlpAgent* agent : std::vector<const MlpAgent*>{ac.get(), &q}) {
        Mat obs = randn(1, 50, rng);
        std::vector<float> s;
        REQUIRE(agent->saliency(obs.data(), 50, s));
        auto y = [&](const Mat& o) {
            Mat v, a;
            agent->evaluate(o, v, a);
            return agent->head == MlpAgent::QNet ? double(a.maxCoeff()) : double(v(0, 0));
        };
        for (int i = 0; i < 50; ++i) {
            Mat up = obs, down = obs;
            up(0, i) += 1e-2f, down(0, i) -= 1e-2f;
            const double fd = std::fabs((y(up) - y(down)) / 2e-2);
            CHECK(std::fabs(s[size_t(i)] - fd) <= 2e-3 + 5e-2 * fd);
        }
    }
}

TEST_CASE("ActionDensity: clipped and tanh-squashed densities integrate to 1 with their point masses; samples agree") {
    ActionDensity clipped;
    clipped.kind = ActionDensity::Clipped, clipped.mean = 1.5f, clipped.std = 1.0f, clipped.lo = -2, clipped.hi = 2;
    ActionDensity squashed;
    squashed.kind = ActionDensity::Squashed, squashed.mean = 0.4f, squashed.std = 0.8f, squashed.scale = 2, squashed.bias = 0.5f;
    squashed.lo = -1.5f, squashed.hi = 2.5f;
    for (const ActionDensity& p : {clipped, squashed}) {
        CAPTURE(int(p.kind));
        // ∫ p(a) da over (lo, hi) by the midpoint rule, plus the masses at the bounds.
        const int n = 200000;
        double integral = 0, mean = 0;
        for (int i = 0; i < n; ++i) {
            const double a = p.lo + (p.hi - p.lo) * (i + 0.5) / n;
            integral += p.pdf(a) * (p.hi - p.lo) / n, mean += a * p.pdf(a) * (p.hi - p.lo) / n;
        }
        mean += p.lo * p.mass_at(false) + p.hi * p.mass_at(true);
        CHECK(integral + p.mass_at(false) + p.mass_at(true) == doctest::Approx(1.0).epsilon(1e-4));
        Rng rng(3);
        double sample_mean = 0, at_hi = 0;
        const int m = 200000;
        int outside = 0;
        for (int i = 0; i < m; ++i) {
            const double a = p.sample(rng);
            outside += a < p.lo || a > p.hi;
            sample_mean += a / m, at_hi += (a == p.hi) / double(m);
        }
        CHECK(outside == 0);
        CHECK(sample_mean == doctest::Approx(mean).epsilon(0.01));
        CHECK(at_hi == doctest::Approx(p.mass_at(true)).epsilon(0.02));
    }
    CHECK(clipped.mass_at(true) == doctest::Approx(0.3085).epsilon(1e-3));  // P(N(1.5, 1) > 2) = 1 − Φ(0.5)
    CHECK(clipped.mode() == doctest::Approx(1.5));
    CHECK(squashed.mode() == doctest::Approx(0.5 + 2 * std::tanh(0.4)));
    // A deterministic action (std 0) is all mass at its mode, no density.
    ActionDensity det = clipped;
    det.std = 0, det.mean = 3;
    CHECK(det.pdf(1.0) == 0);
    CHECK(det.mass_at(true) == 1);
}
