// Reverse-mode automatic differentiation over small batched float matrices (Eigen, row-major: B × D).
//
//   Tape tape;                                  // records every op of one forward pass
//   Var x = tape.constant(batch);               // B × 4
//   Var h = tanh(add(matmul(x, tape.param(W)), tape.param(b)));
//   Var loss = mean(square(sub(h, y)));
//   tape.backward(loss);                        // dW, db accumulate (+=) into the parameters' grads
//   tape.reset();                               // forget the ops, keep the memory for the next pass
//
// Each op is defined in one place in tape.cpp: its forward right there, its backward next to it, and a
// finite-difference test in tests/test_nn.cpp. Shapes: B = batch rows, D = feature columns; binary ops
// broadcast a 1 × D row, a B × 1 column or a 1 × 1 scalar against the other operand.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace dl::nn {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A trainable tensor: its value and the gradient the tape accumulates into it.
struct Param {
    Mat value, grad;
    Param() = default;
    Param(int rows, int cols) : value(Mat::Zero(rows, cols)), grad(Mat::Zero(rows, cols)) {}
    void zero_grad() { grad.setZero(); }
};

class Tape;

// A handle to a value on the tape.
struct Var {
    Tape* tape = nullptr;
    int id = -1;
    const Mat& value() const;
    const Mat& grad() const;
    int rows() const { return int(value().rows()); }
    int cols() const { return int(value().cols()); }
};

struct OpDef;  // an op's name and backward (tape.cpp)
std::vector<std::string> op_names();  // every op with a backward, as registered in tape.cpp

class Tape {
public:
    // Copied; no gradient flows out of the tape. needs_grad: ops that can skip an input's gradient (conv2d)
    // compute it anyway, so grad() of this leaf is ∂loss/∂input (saliency maps).
    Var constant(const Mat& m, bool needs_grad = false);
    Var param(Param& p);                        // by reference; backward adds into p.grad
    // By reference too, but frozen: its value without a copy, and no gradient reaches p.grad (a target or a
    // critic seen through by the actor's loss: Mlp::frozen).
    Var frozen(const Param& p);
    void backward(Var loss);                    // loss must be 1 × 1; seeds dloss = 1
    void reset() { n_ = 0; }                    // keeps every buffer for the next pass
    int size() const { return n_; }

    // ---- for op implementations ----
    struct Node {
        const OpDef* op = nullptr;
        int a = -1, b = -1;          // inputs
        float k0 = 0, k1 = 0;        // scalar attributes (scale, bounds, delta, …)
        int i0 = 0, i1 = 0;          // integer attributes (axis, offsets, …)
        std::array<int, 6> dims{};   // conv2d's H, W, C, k, stride, pad
        Mat aux;                     // conv2d's im2col buffer
        std::vector<int32_t> index;  // gather's indices
        Mat value, grad;             // own storage (reused across passes)
        Param* param = nullptr;      // set for parameter leaves
        bool needs_grad = false;     // leaves: gradient wanted (parameters; constants asked for saliency)
        bool grad_ready = false;     // grad sized and zeroed (done on its first use in backward, not per push)
    };
    Var push(const OpDef* op, int a, int b, int rows, int cols);  // new node with zeroed grad
    Node& node(int id) { return nodes_[size_t(id)]; }
    const Node& node(int id) const { return nodes_[size_t(id)]; }
    const Mat& value(int id) const { const Node& n = node(id); return n.param ? n.param->value : n.value; }
    const char* op_name(int id) const;  // the op that made node id ("leaf" for constants and parameters)
    // The gradient that flows into node id: a trainable parameter's own grad; otherwise the node's, zeroed the
    // first time backward reaches it (a node no gradient reaches is never zeroed and its backward never runs).
    Mat& grad(int id) {
        Node& n = node(id);
        if (n.param && n.needs_grad) return n.param->grad;
        if (!n.grad_ready) n.grad.setZero(value(id).rows(), value(id).cols()), n.grad_ready = true;
        return n.grad;
    }
    // False for constants and frozen parameters: an op may skip computing their gradient (it is never read).
    bool wants_grad(int id) const;

private:
    std::vector<Node> nodes_;
    int n_ = 0;
};

// [SECTION] Ops (see tape.cpp)
Var add(Var a, Var b);                     // a + b (broadcast)
Var sub(Var a, Var b);                     // a − b (broadcast)
Var mul(Var a, Var b);                     // a ⊙ b (broadcast)
Var scale(Var a, float k);                 // k · a
Var add_scalar(Var a, float k);            // a + k
Var matmul(Var a, Var b);                  // (B × K)(K × N)
enum class Act { None, Relu, Tanh };
// A dense layer in one node: act(x W + b), x: B × K, W: K × N, b: 1 × N. The same numbers as
// act(add(matmul(x, W), b)) to the bit, without the two intermediate nodes, and its backward skips the gradients
// nobody reads (a constant input's, a frozen layer's weights').
// When x is the output of relu() (a conv layer's, on a sparse picture), at least 256 wide and at most 1 in 3 of
// its entries nonzero, the products skip its zeros (sparse_dense_forward below): other rounding than the GEMM, in
// a fixed order; and dx is written only where x > 0, as the ReLU passes no gradient anywhere else. Over a conv
// layer with a bias, the entries equal to max(bias, 0) (empty patches) are skipped instead when they are fewer:
// x W = (x − u) W + u W.
Var dense(Var x, Var w, Var b, Act act);
// out = x W + b by the sparse products when x is at least 256 wide and at most 1 in 3 of its entries are nonzero;
// false (out untouched) otherwise. For an x that is a ReLU's output, it gives the bits dense() gives on the tape.
// conv_bias: x is relu(a conv layer's output + conv_bias), whose empty patches hold max(conv_bias, 0): the
// products then skip the entries equal to that baseline instead of the zeros (what dense() does for such an x).
bool sparse_dense_forward(const Mat& x, const Mat& w, const Mat& bias, Mat& out, const Mat* conv_bias = nullptr);
Var tanh(Var a);
Var relu(Var a);
Var sigmoid(Var a);
Var softplus(Var a);                       // log(1 + eˣ), stable for large |x|
Var exp(Var a);
Var log(Var a);                            // natural log (inputs must be > 0)
Var square(Var a);
Var sqrt(Var a);                           // inputs must be > 0
Var softmax(Var a);                        // row-wise
Var log_softmax(Var a);                    // row-wise, stable
Var gather(Var a, const std::vector<int32_t>& index);  // out[i] = a[i, index[i]]  → B × 1
Var sum(Var a);                            // all → 1 × 1
Var mean(Var a);                           // all → 1 × 1
Var sum_rows(Var a);                       // over columns: B × D → B × 1
Var mean_cols(Var a);                      // over rows:    B × D → 1 × D
Var minimum(Var a, Var b);                 // elementwise (broadcast); the gradient goes to the smaller
Var maximum(Var a, Var b);                 // elementwise (broadcast); the gradient goes to the larger
Var clamp(Var a, float lo, float hi);      // gradient 0 outside [lo, hi]
Var concat(Var a, Var b);                  // side by side: B × (Da + Db)
Var slice(Var a, int col, int ncols);      // columns [col, col + ncols)
Var huber(Var a, float delta = 1.0f);      // ½a² for |a| ≤ δ, else δ(|a| − ½δ)

// Images are rows of a B × (H·W·C) matrix, pixels in [y][x][c] order (MinAtar's layout): "flatten" is free, a
// conv layer's output is already the flat input of the next Linear.
struct ConvShape {
    int H = 0, W = 0, C = 0;  // input height, width, channels
    int k = 3;                // square kernel
    int stride = 1, pad = 0;  // zero padding on every side
    int out_h() const { return (H + 2 * pad - k) / stride + 1; }
    int out_w() const { return (W + 2 * pad - k) / stride + 1; }
    int in_dim() const { return H * W * C; }
};
// 2-D convolution (cross-correlation, as every deep-learning library computes it) by im2col + one GEMM:
// x: B × (H·W·C), w: (k·k·C) × F with rows in [ky][kx][c] order, optional bias 1 × F (one per filter)
// → B × (Ho·Wo·F) in [y][x][f] order.
Var conv2d(Var x, Var w, const ConvShape& s, Var bias = {});
// The same without a tape (acting, target networks): out = conv(x, w) + bias.
void conv2d_forward(const Mat& x, const Mat& w, const Mat& bias, const ConvShape& s, Mat& out);

}  // namespace dl::nn
