// Every op: forward (in the op function) and backward (right below it), B = batch rows, D = columns.
// Gradients accumulate with += into d<input>.
#include "core/nn/tape.h"
#include "core/nn/exact_math.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <stdexcept>

namespace dl::nn {

// Every op registers itself here as it is defined, so the gradient test can check that each one has a
// finite-difference test (op_names()).
static std::vector<const OpDef*>& op_table() {
    static std::vector<const OpDef*> table;
    return table;
}

struct OpDef {
    const char* name;
    void (*backward)(Tape& t, Tape::Node& n, const Mat& dout);
    OpDef(const char* n, void (*b)(Tape&, Tape::Node&, const Mat&)) : name(n), backward(b) { op_table().push_back(this); }
};

std::vector<std::string> op_names() {
    std::vector<std::string> names;
    for (const OpDef* op : op_table())
        if (op->backward) names.emplace_back(op->name);  // the leaf (constants, parameters) has no backward
    return names;
}

const char* Tape::op_name(int id) const { return node(id).op ? node(id).op->name : "leaf"; }
bool Tape::wants_grad(int id) const {
    const Node& n = node(id);
    return n.needs_grad || n.op->backward != nullptr;
}

const Mat& Var::value() const { return tape->value(id); }
const Mat& Var::grad() const { return tape->grad(id); }

// [SECTION] Tape

static const OpDef kLeaf{"leaf", nullptr};

Var Tape::push(const OpDef* op, int a, int b, int rows, int cols) {
    if (size_t(n_) == nodes_.size()) nodes_.emplace_back();
    Node& n = nodes_[size_t(n_)];
    n.op = op, n.a = a, n.b = b, n.param = nullptr, n.needs_grad = false, n.grad_ready = false;
    n.value.resize(rows, cols);  // no allocation when the shape repeats; grad is zeroed when backward reaches it
    return {this, n_++};
}

Var Tape::constant(const Mat& m, bool needs_grad) {
    // m may be another node's value (a stop-gradient: tape.constant(v.value())); growing the node list would move
    // it away under us, so it is copied first in that case.
    if (size_t(n_) == nodes_.size()) {
        Mat copy = m;
        Var v = push(&kLeaf, -1, -1, int(copy.rows()), int(copy.cols()));
        node(v.id).value = std::move(copy);
        node(v.id).needs_grad = needs_grad;
        return v;
    }
    Var v = push(&kLeaf, -1, -1, int(m.rows()), int(m.cols()));
    node(v.id).value = m;
    node(v.id).needs_grad = needs_grad;
    return v;
}

Var Tape::param(Param& p) {
    if (p.grad.rows() != p.value.rows() || p.grad.cols() != p.value.cols()) p.grad.setZero(p.value.rows(), p.value.cols());
    Var v = frozen(p);
    node(v.id).needs_grad = true;  // then grad() is p.grad
    return v;
}

Var Tape::frozen(const Param& p) {
    if (size_t(n_) == nodes_.size()) nodes_.emplace_back();
    Node& n = nodes_[size_t(n_)];
    // value() reads p.value; grad() never returns p.grad for a leaf that needs none (the node's own, if asked)
    n.op = &kLeaf, n.a = n.b = -1, n.param = const_cast<Param*>(&p), n.needs_grad = false, n.grad_ready = false;
    return {this, n_++};
}

void Tape::backward(Var loss) {
    if (loss.rows() != 1 || loss.cols() != 1)
        throw std::invalid_argument("backward: the loss must be 1x1, got " + std::to_string(loss.rows()) + "x" +
                                    std::to_string(loss.cols()));
    grad(loss.id)(0, 0) += 1.0f;
    for (int i = loss.id; i >= 0; --i) {
        Node& n = nodes_[size_t(i)];
        if (n.op->backward && n.grad_ready) n.op->backward(*this, n, n.grad);  // (no gradient reached it: nothing to pass on)
    }
}

// [SECTION] Broadcasting helpers

namespace {

void check_broadcast(const char* op, const Mat& a, const Mat& b, int& r, int& c) {
    auto dim = [&](Eigen::Index x, Eigen::Index y, int& out) {
        if (x == y || y == 1) out = int(x);
        else if (x == 1) out = int(y);
        else
            throw std::invalid_argument(std::string(op) + ": shapes " + std::to_string(a.rows()) + "x" + std::to_string(a.cols()) +
                                        " and " + std::to_string(b.rows()) + "x" + std::to_string(b.cols()) + " do not broadcast");
    };
    dim(a.rows(), b.rows(), r);
    dim(a.cols(), b.cols(), c);
}

// m repeated to r × c (m is r × c, 1 × c, r × 1 or 1 × 1).
Mat expand(const Mat& m, int r, int c) {
    if (m.rows() == r && m.cols() == c) return m;
    return m.replicate(r / int(m.rows()), c / int(m.cols()));
}

// dst += g summed down to dst's shape (the backward of a broadcast).
void add_reduced(Mat& dst, const Mat& g) {
    if (dst.rows() == g.rows() && dst.cols() == g.cols()) dst += g;
    else if (dst.rows() == 1 && dst.cols() == g.cols()) dst += g.colwise().sum();
    else if (dst.cols() == 1 && dst.rows() == g.rows()) dst += g.rowwise().sum();
    else dst(0, 0) += g.sum();
}

Tape& tape_of(Var a, Var b) {
    if (a.tape != b.tape || !a.tape) throw std::invalid_argument("op on values from different tapes");
    return *a.tape;
}

}  // namespace

// [SECTION] add / sub / mul

static void add_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    add_reduced(t.grad(n.a), dout);
    add_reduced(t.grad(n.b), dout);
}
static const OpDef kAdd{"add", add_backward};
Var add(Var a, Var b) {
    Tape& t = tape_of(a, b);
    int r, c;
    check_broadcast("add", a.value(), b.value(), r, c);
    Var o = t.push(&kAdd, a.id, b.id, r, c);
    const Mat &A = t.value(a.id), &B = t.value(b.id);
    Mat& O = t.node(o.id).value;
    if (B.rows() == 1 && A.rows() == r && A.cols() == c) O = A.rowwise() + B.row(0);  // the bias case
    else O = expand(A, r, c) + expand(B, r, c);
    return o;
}

static void sub_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    add_reduced(t.grad(n.a), dout);
    add_reduced(t.grad(n.b), -dout);
}
static const OpDef kSub{"sub", sub_backward};
Var sub(Var a, Var b) {
    Tape& t = tape_of(a, b);
    int r, c;
    check_broadcast("sub", a.value(), b.value(), r, c);
    Var o = t.push(&kSub, a.id, b.id, r, c);
    t.node(o.id).value = expand(t.value(a.id), r, c) - expand(t.value(b.id), r, c);
    return o;
}

static void mul_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    const int r = int(dout.rows()), c = int(dout.cols());
    add_reduced(t.grad(n.a), dout.cwiseProduct(expand(t.value(n.b), r, c)));
    add_reduced(t.grad(n.b), dout.cwiseProduct(expand(t.value(n.a), r, c)));
}
static const OpDef kMul{"mul", mul_backward};
Var mul(Var a, Var b) {
    Tape& t = tape_of(a, b);
    int r, c;
    check_broadcast("mul", a.value(), b.value(), r, c);
    Var o = t.push(&kMul, a.id, b.id, r, c);
    t.node(o.id).value = expand(t.value(a.id), r, c).cwiseProduct(expand(t.value(b.id), r, c));
    return o;
}

// [SECTION] scale / add_scalar

static void scale_backward(Tape& t, Tape::Node& n, const Mat& dout) { t.grad(n.a) += n.k0 * dout; }
static const OpDef kScale{"scale", scale_backward};
Var scale(Var a, float k) {
    Var o = a.tape->push(&kScale, a.id, -1, a.rows(), a.cols());
    a.tape->node(o.id).k0 = k;
    a.tape->node(o.id).value = k * a.value();
    return o;
}

static void add_scalar_backward(Tape& t, Tape::Node& n, const Mat& dout) { t.grad(n.a) += dout; }
static const OpDef kAddScalar{"add_scalar", add_scalar_backward};
Var add_scalar(Var a, float k) {
    Var o = a.tape->push(&kAddScalar, a.id, -1, a.rows(), a.cols());
    a.tape->node(o.id).value = a.value().array() + k;
    return o;
}

// [SECTION] matmul: (B × K)(K × N) → B × N

static void matmul_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    if (t.wants_grad(n.a)) t.grad(n.a).noalias() += dout * t.value(n.b).transpose();  // dA = dO Bᵀ
    if (t.wants_grad(n.b)) t.grad(n.b).noalias() += t.value(n.a).transpose() * dout;  // dB = Aᵀ dO
}
static const OpDef kMatmul{"matmul", matmul_backward};
Var matmul(Var a, Var b) {
    Tape& t = tape_of(a, b);
    if (a.cols() != b.rows())
        throw std::invalid_argument("matmul: " + std::to_string(a.rows()) + "x" + std::to_string(a.cols()) + " times " +
                                    std::to_string(b.rows()) + "x" + std::to_string(b.cols()));
    Var o = t.push(&kMatmul, a.id, b.id, a.rows(), b.cols());
    t.node(o.id).value.noalias() = t.value(a.id) * t.value(b.id);
    return o;
}

using Index = Eigen::Index;

// [SECTION] sparse products: x W for an x that is mostly exact zeros (a ReLU after a conv layer on MinAtar's
// pictures: ~13% of Breakout's 1,024 conv outputs are nonzero). Each output sums its terms in order of k, a
// fixed order whatever the thread or the batch: other rounding than Eigen's GEMM, the same on every run.

namespace {
constexpr int kLanes = 32;             // output columns summed at once (four AVX2 registers)
constexpr Index kSparseMinCols = 256;  // narrower inputs take the GEMM (a hidden layer's ReLU is about half zeros)
using Lanes = Eigen::Array<float, kLanes, 1>;
Eigen::Map<const Lanes> lanes(const float* p) { return Eigen::Map<const Lanes>(p); }

// K zeros (the baseline of a plain ReLU).
const float* zeros(Index K) {
    thread_local std::vector<float> z;
    if (Index(z.size()) < K) z.assign(size_t(K), 0.0f);
    return z.data();
}

// f(k) for each k < n where row[k] ≠ u[k], in increasing order; f returns false to stop (then so does this). 32
// entries at a time become a bit mask (a vector compare) whose set bits are then read off: equal entries cost
// nearly nothing and no branch depends on a single entry.
template <class Fn>
bool for_each_differing(const float* row, const float* u, Index n, Fn&& f) {
    Index k0 = 0;
    for (; k0 + 32 <= n; k0 += 32) {
        uint32_t mask = 0;
        for (int i = 0; i < 32; ++i) mask |= uint32_t(row[k0 + i] != u[k0 + i]) << i;
        for (; mask; mask &= mask - 1)
            if (!f(k0 + std::countr_zero(mask))) return false;
    }
    for (; k0 < n; ++k0)
        if (row[k0] != u[k0] && !f(k0)) return false;
    return true;
}

// The nonzeros of x, row by row: nz[b] .. nz[b + 1] are where row b's column list lies in nz (the lists start after
// the B + 1 offsets). False when more than 1 in 3 entries are nonzero: the GEMM is faster then (measured at
// 32 × 1,024 → 128, forward and backward, the two cost the same at ~40% nonzero, the sparse one 1/3 at 10%).
// nz keeps room for every entry, so a reused vector never grows again. With a baseline u (1 × K, see conv_baseline below) it lists the entries that differ from u.
// (More than 2^31 entries: false, the GEMM.)
bool sparse_pattern(const Mat& x, std::vector<int32_t>& nz, const float* u = nullptr) {
    const Index B = x.rows(), K = x.cols(), budget = x.size() / 3;
    if (B + 1 + B * K > Index(INT32_MAX)) return false;
    if (!u) u = zeros(K);
    if (nz.size() < size_t(B + 1 + B * K)) nz.resize(size_t(B + 1 + B * K));
    int32_t* out = nz.data();
    int32_t end = int32_t(B + 1);
    for (Index b = 0; b < B; ++b) {
        out[b] = end;
        for_each_differing(x.row(b).data(), u, K, [&](Index k) { return out[end++] = int32_t(k), true; });
        if (end - (B + 1) > budget) return false;
    }
    out[B] = end;
    return true;
}

// out[b, :] = Σ_k (x[b, k] − u[k]) W[k, :] over row b's listed entries, then + uW (given as uw) if there is a baseline.
void sparse_times(const Mat& x, const std::vector<int32_t>& nz, const Mat& w, Mat& out, const float* u = nullptr,
                  const Mat* uw = nullptr) {
    const Index B = x.rows(), N = w.cols();
    const float* base = u ? u : zeros(x.cols());
    for (Index b = 0; b < B; ++b) {
        const float* xr = x.row(b).data();
        float* o = out.row(b).data();
        const int32_t *k0 = nz.data() + nz[size_t(b)], *k1 = nz.data() + nz[size_t(b) + 1];
        Index j = 0;
        auto block = [&]<int Width, bool Base>() {  // columns j .. j + Width in registers while the entries pass
            using Acc = Eigen::Array<float, Width, 1>;
            Acc acc = Acc::Zero();
            for (const int32_t* k = k0; k != k1; ++k)
                acc += (Base ? xr[*k] - base[*k] : xr[*k]) * Eigen::Map<const Acc>(w.row(*k).data() + j);
            Eigen::Map<Acc>(o + j) = acc;
            j += Width;
        };
        if (u) {
            while (j + 2 * kLanes <= N) block.template operator()<2 * kLanes, true>();
            if (j + kLanes <= N) block.template operator()<kLanes, true>();
        } else {
            while (j + 2 * kLanes <= N) block.template operator()<2 * kLanes, false>();
            if (j + kLanes <= N) block.template operator()<kLanes, false>();
        }
        for (; j < N; ++j) {
            float acc = 0;
            for (const int32_t* k = k0; k != k1; ++k) acc += (xr[*k] - base[*k]) * w(*k, j);
            o[j] = acc;
        }
    }
    if (uw) out.rowwise() += uw->row(0);
}

// The same nonzeros listed by column (a counting sort): cols[k] .. cols[k + 1] are where column k's rows lie in
// cols, in increasing order (the lists start after the K + 1 offsets).
void by_columns(const std::vector<int32_t>& nz, Index B, Index K, std::vector<int32_t>& cols) {
    thread_local std::vector<int32_t> fill;
    cols.assign(size_t(K + 1), 0);
    for (int32_t e = int32_t(B + 1); e < nz[size_t(B)]; ++e) ++cols[size_t(nz[size_t(e)])];
    int32_t at = int32_t(K + 1);
    for (Index k = 0; k <= K; ++k) {
        const int32_t c = k < K ? cols[size_t(k)] : 0;
        cols[size_t(k)] = at, at += c;
    }
    cols.resize(size_t(at));
    fill.assign(cols.begin(), cols.begin() + K);
    for (Index b = 0; b < B; ++b)
        for (int32_t e = nz[size_t(b)]; e < nz[size_t(b) + 1]; ++e) cols[size_t(fill[size_t(nz[size_t(e)])]++)] = int32_t(b);
}

// dW[k, :] += Σ_b (x[b, k] − u[k]) g[b, :], the sum over b in order, for the columns k with a listed entry; then
// with a baseline + u[k] Σ_b g[b, :] on every row (xᵀg = (x − u)ᵀg + uᵀ(Σ_b g)).
void sparse_times_grad_w(const Mat& x, const std::vector<int32_t>& cols, const Mat& g, Mat& dw, const float* u = nullptr) {
    const Index K = x.cols(), N = g.cols();
    const float* base = u ? u : zeros(K);
    for (Index k = 0; k < K; ++k) {
        const int32_t *b0 = cols.data() + cols[size_t(k)], *b1 = cols.data() + cols[size_t(k) + 1];
        if (b0 == b1) continue;
        float* d = dw.row(k).data();
        Index j = 0;
        auto block = [&]<int Width>() {  // columns j .. j + Width in registers while the column's entries pass
            using Acc = Eigen::Array<float, Width, 1>;
            Acc acc = Acc::Zero();
            for (const int32_t* b = b0; b != b1; ++b) acc += (x(*b, k) - base[k]) * Eigen::Map<const Acc>(g.row(*b).data() + j);
            Eigen::Map<Acc>(d + j) += acc;
            j += Width;
        };
        while (j + 2 * kLanes <= N) block.template operator()<2 * kLanes>();
        if (j + kLanes <= N) block.template operator()<kLanes>();
        for (; j < N; ++j) {
            float acc = 0;
            for (const int32_t* b = b0; b != b1; ++b) acc += (x(*b, k) - base[k]) * g(*b, j);
            d[j] += acc;
        }
    }
    if (!u) return;
    const Eigen::RowVectorXf gsum = g.colwise().sum();
    for (Index k = 0; k < K; ++k)
        if (u[k] != 0.0f) dw.row(k) += u[k] * gsum;
}

// dx[b, k] += g[b, :] · W[k, :] only where x[b, k] ≠ 0: 32 partial sums (four independent chains of additions),
// folded in a fixed order. Column by column, so each row of W is read from memory once.
void sparse_times_grad_x(const Mat& x, const std::vector<int32_t>& cols, const Mat& g, const Mat& w, Mat& dx) {
    const Index K = x.cols(), N = w.cols();
    for (Index k = 0; k < K; ++k) {
        const float* wr = w.row(k).data();
        for (int32_t e = cols[size_t(k)]; e < cols[size_t(k) + 1]; ++e) {
            const int32_t b = cols[size_t(e)];
            const float* gr = g.row(b).data();
            Lanes acc = Lanes::Zero();
            Index j = 0;
            for (; j + kLanes <= N; j += kLanes) acc += lanes(gr + j) * lanes(wr + j);
            const Eigen::Array<float, 8, 1> a8 = (acc.segment<8>(0) + acc.segment<8>(8)) + (acc.segment<8>(16) + acc.segment<8>(24));
            float sum = ((a8[0] + a8[1]) + (a8[2] + a8[3])) + ((a8[4] + a8[5]) + (a8[6] + a8[7]));
            for (; j < N; ++j) sum += gr[j] * wr[j];
            dx(b, k) += sum;
        }
    }
}
// The baseline of a ReLU over a conv layer with a bias: in every patch without a lit pixel the conv's output is its
// bias exactly, and the ReLU's max(bias, 0); u[p·F + f] = max(bias_f, 0) over the K / F pixels. x − u is then as
// sparse as the pictures whatever the biases' signs (a positive bias lights its whole channel: 30–60% of x nonzero
// on MinAtar and pixel CartPole early in training), and x W = (x − u) W + u W exactly in real numbers. nullptr when
// no bias is positive (u = 0: x itself is the sparse one).
const float* conv_baseline(const Mat& conv_bias, Index K, std::vector<float>& u) {
    const Index F = conv_bias.cols();
    if (F == 0 || K % F != 0 || (conv_bias.array() <= 0.0f).all()) return nullptr;
    u.resize(size_t(K));
    for (Index p = 0; p < K; p += F)
        for (Index f = 0; f < F; ++f) u[size_t(p + f)] = std::max(conv_bias(0, f), 0.0f);
    return u.data();
}

// out = x W (no bias) by the sparse products, measured from conv_bias's baseline when that leaves few enough
// entries, else from 0; false (out untouched) when x is narrower than 256 or neither is sparse enough. nz: the
// pattern; based: whether the baseline was used. The one forward of dense() and sparse_dense_forward().
bool sparse_product(const Mat& x, const Mat& w, const Mat* conv_bias, std::vector<int32_t>& nz, Mat& out, bool& based) {
    thread_local std::vector<float> ubuf;
    thread_local Mat uw;
    based = false;
    if (x.cols() < kSparseMinCols) return false;
    const float* u = conv_bias ? conv_baseline(*conv_bias, x.cols(), ubuf) : nullptr;
    if (!sparse_pattern(x, nz, u)) {
        if (!u || !sparse_pattern(x, nz)) return false;
        u = nullptr;  // x itself is the sparser (many lit patches with the positive-bias channels at 0)
    }
    if (u) uw.noalias() = Eigen::Map<const Mat>(u, 1, x.cols()) * w;
    out.resize(x.rows(), w.cols());
    sparse_times(x, nz, w, out, u, u ? &uw : nullptr);
    based = u != nullptr;
    return true;
}
}  // namespace

bool sparse_dense_forward(const Mat& x, const Mat& w, const Mat& bias, Mat& out, const Mat* conv_bias) {
    thread_local std::vector<int32_t> nz;
    bool based;
    if (!sparse_product(x, w, conv_bias, nz, out, based)) return false;
    out.rowwise() += bias.row(0);
    return true;
}

// [SECTION] dense: act(x W + b) in one node

// relu's and conv2d's ops (defined with them below): dense asks whether its input is a ReLU's, over a conv layer's.
static void relu_backward(Tape& t, Tape::Node& n, const Mat& dout);
static const OpDef k_relu{"relu", relu_backward};
static void conv2d_backward(Tape& t, Tape::Node& n, const Mat& dout);
static const OpDef kConv2d{"conv2d", conv2d_backward};

// The bias of the conv layer under x's ReLU, if x is relu(conv2d(·, ·, bias)); else nullptr.
static const Mat* conv_bias_under(const Tape& t, int x_id) {
    const Tape::Node& r = t.node(x_id);
    if (r.op != &k_relu) return nullptr;
    const Tape::Node& c = t.node(r.a);
    return c.op == &kConv2d && c.i0 >= 0 ? &t.value(c.i0) : nullptr;
}

// dpre = dout ⊙ act'(pre), written with the output y: relu' = [y > 0] (y > 0 exactly where pre > 0), tanh' = 1 − y².
static void dense_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    const Act act = Act(n.i1);
    const Mat* g = &dout;
    if (act != Act::None) {
        n.aux.resize(dout.rows(), dout.cols());
        const float *d = dout.data(), *y = n.value.data();
        float* p = n.aux.data();
        const Eigen::Index size = dout.size();
        if (act == Act::Relu)
            for (Eigen::Index i = 0; i < size; ++i) p[i] = y[i] > 0.0f ? d[i] : 0.0f;
        else
            n.aux.array() = dout.array() * (1 - n.value.array() * n.value.array());
        g = &n.aux;
    }
    const bool sparse = n.k0 != 0;  // the forward took the sparse products (n.index: x's pattern)
    if (t.wants_grad(n.i0)) t.grad(n.i0) += g->colwise().sum();                       // db = Σ_rows dpre
    if (sparse) {  // the same two products over the listed entries, column by column
        thread_local std::vector<int32_t> cols, nz_x;
        thread_local std::vector<float> ubuf;
        const Mat& x = t.value(n.a);
        const Mat* conv_bias = n.k1 != 0 ? conv_bias_under(t, n.a) : nullptr;
        const float* u = conv_bias ? conv_baseline(*conv_bias, x.cols(), ubuf) : nullptr;
        by_columns(n.index, x.rows(), x.cols(), cols);
        if (t.wants_grad(n.b)) sparse_times_grad_w(x, cols, *g, t.grad(n.b), u);
        if (!t.wants_grad(n.a)) return;
        // dx where x > 0: the listed entries when there is no baseline; else x's own nonzeros, if few enough
        if (!u) return sparse_times_grad_x(x, cols, *g, t.value(n.b), t.grad(n.a));
        if (!sparse_pattern(x, nz_x)) {
            t.grad(n.a).noalias() += *g * t.value(n.b).transpose();
            return;
        }
        by_columns(nz_x, x.rows(), x.cols(), cols);
        return sparse_times_grad_x(x, cols, *g, t.value(n.b), t.grad(n.a));
    }
    if (t.wants_grad(n.a)) t.grad(n.a).noalias() += *g * t.value(n.b).transpose();  // dx = dpre Wᵀ
    if (t.wants_grad(n.b)) t.grad(n.b).noalias() += t.value(n.a).transpose() * *g;  // dW = xᵀ dpre
}
static const OpDef kDense{"dense", dense_backward};
Var dense(Var x, Var w, Var b, Act act) {
    Tape& t = tape_of(x, w);
    if (x.cols() != w.rows() || b.rows() != 1 || b.cols() != w.cols())
        throw std::invalid_argument("dense: x " + std::to_string(x.rows()) + "x" + std::to_string(x.cols()) + ", W " +
                                    std::to_string(w.rows()) + "x" + std::to_string(w.cols()) + ", b " + std::to_string(b.rows()) +
                                    "x" + std::to_string(b.cols()) + " (need x: B x K, W: K x N, b: 1 x N)");
    Var o = t.push(&kDense, x.id, w.id, x.rows(), w.cols());
    Tape::Node& n = t.node(o.id);
    n.i0 = b.id, n.i1 = int(act);
    // A ReLU's output with few entries off its baseline (0, or max(bias, 0) over a conv layer): the sparse products
    // (its zeros pass no gradient, so dx is written only where x > 0). n.k0 = 1 marks them for the backward pass,
    // n.k1 = 1 a baseline; n.index holds the pattern.
    const Mat& xv = t.value(x.id);
    bool based = false;
    const bool sparse = t.node(x.id).op == &k_relu &&
                        sparse_product(xv, t.value(w.id), conv_bias_under(t, x.id), n.index, n.value, based);
    n.k0 = sparse, n.k1 = based;
    if (!sparse) n.value.noalias() = xv * t.value(w.id);
    n.value.rowwise() += t.value(b.id).row(0);
    if (act == Act::Relu) n.value = n.value.array().max(0.0f).matrix();
    else if (act == Act::Tanh) n.value = n.value.array().tanh().matrix();
    return o;
}

// [SECTION] conv2d: im2col (each output pixel's k × k × C patch as one row), then (B·Ho·Wo × k·k·C)(k·k·C × F)

namespace {
// cols[(b·Ho + oy)·Wo + ox, (ky·k + kx)·C + c] = x[b, ((oy·s − p + ky)·W + (ox·s − p + kx))·C + c], 0 off the image.
void im2col(const Mat& x, const ConvShape& s, Mat& cols) {
    const int B = int(x.rows()), Ho = s.out_h(), Wo = s.out_w(), KC = s.k * s.C;
    cols.resize(Eigen::Index(B) * Ho * Wo, Eigen::Index(s.k) * KC);
    for (int b = 0; b < B; ++b)
        for (int oy = 0; oy < Ho; ++oy)
            for (int ox = 0; ox < Wo; ++ox) {
                float* row = cols.row((Eigen::Index(b) * Ho + oy) * Wo + ox).data();
                const int ix0 = ox * s.stride - s.pad;
                for (int ky = 0; ky < s.k; ++ky) {
                    const int iy = oy * s.stride - s.pad + ky;
                    float* dst = row + ky * KC;
                    if (iy >= 0 && iy < s.H && ix0 >= 0 && ix0 + s.k <= s.W) {  // the k pixels of this patch row are adjacent
                        std::copy_n(x.row(b).data() + (iy * s.W + ix0) * s.C, KC, dst);
                        continue;
                    }
                    for (int kx = 0; kx < s.k; ++kx) {
                        const int ix = ix0 + kx;
                        if (iy < 0 || iy >= s.H || ix < 0 || ix >= s.W) std::fill_n(dst + kx * s.C, s.C, 0.0f);
                        else std::copy_n(x.row(b).data() + (iy * s.W + ix) * s.C, s.C, dst + kx * s.C);
                    }
                }
            }
}
// The adjoint of im2col: every patch entry's gradient is added back onto the pixel it was copied from.
void col2im_add(const Mat& dcols, const ConvShape& s, Mat& dx) {
    const int B = int(dx.rows()), Ho = s.out_h(), Wo = s.out_w(), KC = s.k * s.C;
    for (int b = 0; b < B; ++b)
        for (int oy = 0; oy < Ho; ++oy)
            for (int ox = 0; ox < Wo; ++ox) {
                const float* row = dcols.row((Eigen::Index(b) * Ho + oy) * Wo + ox).data();
                for (int ky = 0; ky < s.k; ++ky) {
                    const int iy = oy * s.stride - s.pad + ky;
                    if (iy < 0 || iy >= s.H) continue;
                    for (int kx = 0; kx < s.k; ++kx) {
                        const int ix = ox * s.stride - s.pad + kx;
                        if (ix < 0 || ix >= s.W) continue;
                        float* dst = dx.row(b).data() + (iy * s.W + ix) * s.C;
                        const float* src = row + ky * KC + kx * s.C;
                        for (int c = 0; c < s.C; ++c) dst[c] += src[c];
                    }
                }
            }
}
// Sparse inputs (MinAtar's binary pictures light a few percent of their cells): instead of im2col + GEMM, every
// nonzero input value adds its weight rows into the outputs it reaches, and the weight gradient gathers the same
// way. The nonzeros are listed as (b, j, iy·W + ix... packed) triples: nz = {b, j, iy << 16 | ix << 8 | c}.
void find_nonzeros(const Mat& x, const ConvShape& s, Index budget, std::vector<int32_t>& nz) {
    nz.clear();
    const Index D = x.cols();
    auto add = [&](Index b, Index j) {  // false: too many (nz ends with −1: dense)
        if (Index(nz.size()) >= 3 * budget) return nz.push_back(-1), false;
        const int c = int(j % s.C), pix = int(j / s.C), iy = pix / s.W, ix = pix % s.W;
        nz.insert(nz.end(), {int32_t(b), int32_t(j), int32_t(iy << 16 | ix << 8 | c)});
        return true;
    };
    for (Index b = 0; b < x.rows(); ++b)
        if (!for_each_differing(x.row(b).data(), zeros(D), D, [&](Index j) { return add(b, j); })) return;
}
// f(b, value, weight row r, output pixel p) for every (nonzero input, kernel tap) pair that lands on the output.
template <class Fn>
void for_each_sparse_tap(const Mat& x, const std::vector<int32_t>& nz, const ConvShape& s, Fn&& f) {
    const int Ho = s.out_h(), Wo = s.out_w();
    for (size_t e = 0; e + 2 < nz.size(); e += 3) {
        const int b = nz[e], j = nz[e + 1], iy = nz[e + 2] >> 16, ix = (nz[e + 2] >> 8) & 0xff, c = nz[e + 2] & 0xff;
        const float v = x(b, j);
        for (int ky = 0; ky < s.k; ++ky) {
            int oy = iy + s.pad - ky;
            if (oy < 0) break;  // larger ky only lower it
            if (s.stride > 1) {
                if (oy % s.stride) continue;
                oy /= s.stride;
            }
            if (oy >= Ho) continue;
            for (int kx = 0; kx < s.k; ++kx) {
                int ox = ix + s.pad - kx;
                if (ox < 0) break;
                if (s.stride > 1) {
                    if (ox % s.stride) continue;
                    ox /= s.stride;
                }
                if (ox >= Wo) continue;
                f(b, v, (ky * s.k + kx) * s.C + c, oy * Wo + ox);
            }
        }
    }
}
ConvShape conv_shape_of(const Tape::Node& n) {
    return {n.dims[0], n.dims[1], n.dims[2], n.dims[3], n.dims[4], n.dims[5]};
}
}  // namespace

// out (B × P·F, already sized) = conv(x, w) + bias. Under 1 in 8 inputs nonzero: the sparse path (far less work on
// MinAtar's pictures), remembering the nonzeros for the backward pass; otherwise im2col into cols + one GEMM.
// Returns whether the sparse path was taken.
static bool conv_forward_into(const Mat& xv, const Mat& wv, const Mat* bias, const ConvShape& s, Mat& value, Mat& cols,
                              std::vector<int32_t>& nonzeros) {
    const Index F = wv.cols(), P = Index(s.out_h()) * s.out_w();
    Eigen::Map<Mat> out(value.data(), xv.rows() * P, F);
    find_nonzeros(xv, s, xv.size() / 8, nonzeros);
    const bool sparse = nonzeros.empty() || nonzeros.back() >= 0;
    if (sparse) {
        out.setZero();
        auto taps = [&]<int Fixed>() {  // Fixed: the filter count known at compile time (16, MinAtar's), or 0
            for_each_sparse_tap(xv, nonzeros, s, [&](int b, float v, int r, int p) {
                float* o = out.row(Index(b) * P + p).data();
                const float* wr = wv.row(r).data();
                if constexpr (Fixed > 0) {
                    using Row = Eigen::Array<float, Fixed, 1>;
                    Eigen::Map<Row>(o) += v * Eigen::Map<const Row>(wr);
                } else {
                    for (Index f = 0; f < F; ++f) o[f] += v * wr[f];
                }
            });
        };
        if (F == 16) taps.template operator()<16>();
        else taps.template operator()<0>();
    } else {
        im2col(xv, s, cols);
        out.noalias() = cols * wv;
    }
    if (bias) out.rowwise() += bias->row(0);
    return sparse;
}

static void conv2d_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    const ConvShape s = conv_shape_of(n);
    const Mat& w = t.value(n.b);
    const Eigen::Index F = w.cols(), rows = dout.rows() * s.out_h() * s.out_w();
    const Eigen::Map<const Mat> d(dout.data(), rows, F);  // B × (Ho·Wo·F) seen as (B·Ho·Wo) × F
    if (!t.wants_grad(n.b)) {
        // frozen weights: no dW
    } else if (n.i1) {  // sparse input: dW[r] += v · dO[b, p] for every tap
        Mat& dw = t.grad(n.b);
        const Index P = s.out_h() * s.out_w();
        for_each_sparse_tap(t.value(n.a), n.index, s, [&](int b, float v, int r, int p) {
            float* g = dw.row(r).data();
            const float* src = d.row(Index(b) * P + p).data();
            for (Index f = 0; f < F; ++f) g[f] += v * src[f];
        });
    } else {
        t.grad(n.b).noalias() += n.aux.transpose() * d;     // dW = colsᵀ dO
    }
    if (n.i0 >= 0 && t.wants_grad(n.i0)) t.grad(n.i0) += d.colwise().sum();  // d bias = Σ over every pixel of every image
    // dx only where someone can use it: a constant input (an observation) needs none unless asked for
    // (saliency maps ask, with Tape::constant(m, /*needs_grad=*/true)).
    if (!t.wants_grad(n.a)) return;
    const Mat dcols = d * w.transpose();
    col2im_add(dcols, s, t.grad(n.a));
}
Var conv2d(Var x, Var w, const ConvShape& s, Var bias) {
    Tape& t = tape_of(x, w);
    if (s.k < 1 || s.stride < 1 || s.pad < 0 || s.out_h() < 1 || s.out_w() < 1)
        throw std::invalid_argument("conv2d: kernel " + std::to_string(s.k) + " stride " + std::to_string(s.stride) + " pad " +
                                    std::to_string(s.pad) + " does not fit a " + std::to_string(s.H) + "x" + std::to_string(s.W) + " image");
    if (x.cols() != s.in_dim())
        throw std::invalid_argument("conv2d: input has " + std::to_string(x.cols()) + " columns, the shape says " +
                                    std::to_string(s.H) + "x" + std::to_string(s.W) + "x" + std::to_string(s.C));
    if (w.rows() != s.k * s.k * s.C)
        throw std::invalid_argument("conv2d: weights have " + std::to_string(w.rows()) + " rows, need k*k*C = " +
                                    std::to_string(s.k * s.k * s.C));
    const int F = w.cols(), P = s.out_h() * s.out_w();
    Var o = t.push(&kConv2d, x.id, w.id, x.rows(), P * F);
    Tape::Node& n = t.node(o.id);
    n.dims = {s.H, s.W, s.C, s.k, s.stride, s.pad};
    n.i0 = bias.id;
    if (bias.id >= 0 && (bias.rows() != 1 || bias.cols() != F))
        throw std::invalid_argument("conv2d: bias must be 1x" + std::to_string(F) + ", got " + std::to_string(bias.rows()) +
                                    "x" + std::to_string(bias.cols()));
    n.i1 = conv_forward_into(t.value(x.id), t.value(w.id), bias.id >= 0 ? &t.value(bias.id) : nullptr, s, n.value, n.aux, n.index);
    return o;
}

void conv2d_forward(const Mat& x, const Mat& w, const Mat& bias, const ConvShape& s, Mat& out) {
    thread_local Mat cols;
    thread_local std::vector<int32_t> nonzeros;
    out.resize(x.rows(), Index(s.out_h()) * s.out_w() * w.cols());
    conv_forward_into(x, w, &bias, s, out, cols, nonzeros);
}

// [SECTION] Elementwise functions: out = f(a), da += dout ⊙ f'(a) (written with out where that is cheaper)

#define DL_UNARY(NAME, FORWARD, DERIV)                                              \
    static void NAME##_backward(Tape& t, Tape::Node& n, const Mat& dout) {          \
        const auto x = t.value(n.a).array();                                        \
        const auto y = n.value.array();                                             \
        (void)x, (void)y;                                                           \
        t.grad(n.a).array() += dout.array() * (DERIV);                              \
    }                                                                               \
    static const OpDef k_##NAME{#NAME, NAME##_backward};                            \
    Var NAME(Var a) {                                                               \
        Var o = a.tape->push(&k_##NAME, a.id, -1, a.rows(), a.cols());              \
        const auto x = a.value().array();                                           \
        a.tape->node(o.id).value = (FORWARD).matrix();                              \
        return o;                                                                   \
    }

DL_UNARY(tanh, x.tanh(), (1 - y * y))
DL_UNARY(sigmoid, (1 + (-x).exp()).inverse(), (y * (1 - y)))
DL_UNARY(exp, x.exp(), y)
DL_UNARY(log, x.log(), x.inverse())
DL_UNARY(square, x.square(), (2 * x))
DL_UNARY(sqrt, exact_sqrt(x), (0.5f * y.inverse()))  // never Eigen's rsqrt-based .sqrt(): exact_math.h
// softplus(x) = log(1 + eˣ), written max(x, 0) + log(1 + e^−|x|) so it never overflows; its derivative is σ(x).
DL_UNARY(softplus, (x.max(0.0f) + (1 + (-x.abs()).exp()).log()), ((1 + (-x).exp()).inverse()))
#undef DL_UNARY

// relu: dx += dout where x > 0 (a select, which vectorises; the mask cast to float and multiplied did not)
static void relu_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    Mat& g = t.grad(n.a);
    const float *x = t.value(n.a).data(), *d = dout.data();
    float* gp = g.data();
    for (Eigen::Index i = 0, size = g.size(); i < size; ++i) gp[i] += x[i] > 0.0f ? d[i] : 0.0f;
}
Var relu(Var a) {
    Var o = a.tape->push(&k_relu, a.id, -1, a.rows(), a.cols());
    a.tape->node(o.id).value = a.value().array().max(0.0f).matrix();
    return o;
}

// [SECTION] softmax / log_softmax (row-wise)

static void softmax_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    // dx = y ⊙ (dout − Σ_j dout_j y_j)
    const Mat& y = n.value;
    const Eigen::VectorXf dot = (dout.cwiseProduct(y)).rowwise().sum();
    t.grad(n.a).array() += y.array() * (dout.colwise() - dot).array();
}
static const OpDef kSoftmax{"softmax", softmax_backward};
Var softmax(Var a) {
    Var o = a.tape->push(&kSoftmax, a.id, -1, a.rows(), a.cols());
    const Mat& x = a.value();
    Mat& y = a.tape->node(o.id).value;
    y = (x.colwise() - x.rowwise().maxCoeff()).array().exp().matrix();
    y.array().colwise() /= y.rowwise().sum().array();
    return o;
}

static void log_softmax_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    // dx = dout − softmax ⊙ Σ_j dout_j
    const Mat p = n.value.array().exp().matrix();
    const Eigen::VectorXf s = dout.rowwise().sum();
    t.grad(n.a).noalias() += dout - (p.array().colwise() * s.array()).matrix();
}
static const OpDef kLogSoftmax{"log_softmax", log_softmax_backward};
Var log_softmax(Var a) {
    Var o = a.tape->push(&kLogSoftmax, a.id, -1, a.rows(), a.cols());
    const Mat& x = a.value();
    const Eigen::VectorXf m = x.rowwise().maxCoeff();
    Mat shifted = x.colwise() - m;
    const Eigen::VectorXf lse = shifted.array().exp().rowwise().sum().log();
    a.tape->node(o.id).value = shifted.colwise() - lse;
    return o;
}

// [SECTION] gather: out[i] = a[i, index[i]] → B × 1

static void gather_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    Mat& da = t.grad(n.a);
    for (Eigen::Index i = 0; i < da.rows(); ++i) da(i, n.index[size_t(i)]) += dout(i, 0);
}
static const OpDef kGather{"gather", gather_backward};
Var gather(Var a, const std::vector<int32_t>& index) {
    if (int(index.size()) != a.rows())
        throw std::invalid_argument("gather: " + std::to_string(index.size()) + " indices for " + std::to_string(a.rows()) + " rows");
    Var o = a.tape->push(&kGather, a.id, -1, a.rows(), 1);
    Tape::Node& n = a.tape->node(o.id);
    n.index = index;
    const Mat& x = a.value();
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        if (index[size_t(i)] < 0 || index[size_t(i)] >= x.cols())
            throw std::invalid_argument("gather: index " + std::to_string(index[size_t(i)]) + " outside [0, " + std::to_string(x.cols() - 1) + "]");
        n.value(i, 0) = x(i, index[size_t(i)]);
    }
    return o;
}

// [SECTION] Reductions

static void sum_backward(Tape& t, Tape::Node& n, const Mat& dout) { t.grad(n.a).array() += dout(0, 0) * n.k0; }
static const OpDef kSum{"sum", sum_backward};
Var sum(Var a) {
    Var o = a.tape->push(&kSum, a.id, -1, 1, 1);
    a.tape->node(o.id).k0 = 1.0f;
    a.tape->node(o.id).value(0, 0) = a.value().sum();
    return o;
}
static const OpDef kMean{"mean", sum_backward};  // same backward, scaled by 1/N through k0
Var mean(Var a) {
    Var o = a.tape->push(&kMean, a.id, -1, 1, 1);
    const float inv = 1.0f / float(a.value().size());
    a.tape->node(o.id).k0 = inv;
    a.tape->node(o.id).value(0, 0) = a.value().sum() * inv;
    return o;
}

static void sum_rows_backward(Tape& t, Tape::Node& n, const Mat& dout) { t.grad(n.a).colwise() += dout.col(0); }
static const OpDef kSumRows{"sum_rows", sum_rows_backward};
Var sum_rows(Var a) {
    Var o = a.tape->push(&kSumRows, a.id, -1, a.rows(), 1);
    a.tape->node(o.id).value = a.value().rowwise().sum();
    return o;
}

static void mean_cols_backward(Tape& t, Tape::Node& n, const Mat& dout) { t.grad(n.a).rowwise() += n.k0 * dout.row(0); }
static const OpDef kMeanCols{"mean_cols", mean_cols_backward};
Var mean_cols(Var a) {
    Var o = a.tape->push(&kMeanCols, a.id, -1, 1, a.cols());
    a.tape->node(o.id).k0 = 1.0f / float(a.rows());
    a.tape->node(o.id).value = a.value().colwise().mean();
    return o;
}

// [SECTION] minimum / maximum / clamp

static void minmax_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    // The gradient goes to the operand that was selected (to a on ties).
    const int r = int(dout.rows()), c = int(dout.cols());
    const Mat A = expand(t.value(n.a), r, c);
    const Mat pick_a = (A.array() == n.value.array()).cast<float>().matrix();
    add_reduced(t.grad(n.a), dout.cwiseProduct(pick_a));
    add_reduced(t.grad(n.b), dout.cwiseProduct((1.0f - pick_a.array()).matrix()));
}
static const OpDef kMinimum{"minimum", minmax_backward};
static const OpDef kMaximum{"maximum", minmax_backward};
Var minimum(Var a, Var b) {
    Tape& t = tape_of(a, b);
    int r, c;
    check_broadcast("minimum", a.value(), b.value(), r, c);
    Var o = t.push(&kMinimum, a.id, b.id, r, c);
    t.node(o.id).value = expand(t.value(a.id), r, c).cwiseMin(expand(t.value(b.id), r, c));
    return o;
}
Var maximum(Var a, Var b) {
    Tape& t = tape_of(a, b);
    int r, c;
    check_broadcast("maximum", a.value(), b.value(), r, c);
    Var o = t.push(&kMaximum, a.id, b.id, r, c);
    t.node(o.id).value = expand(t.value(a.id), r, c).cwiseMax(expand(t.value(b.id), r, c));
    return o;
}

static void clamp_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    const auto x = t.value(n.a).array();
    t.grad(n.a).array() += dout.array() * ((x >= n.k0) && (x <= n.k1)).cast<float>();
}
static const OpDef kClamp{"clamp", clamp_backward};
Var clamp(Var a, float lo, float hi) {
    Var o = a.tape->push(&kClamp, a.id, -1, a.rows(), a.cols());
    Tape::Node& n = a.tape->node(o.id);
    n.k0 = lo, n.k1 = hi;
    n.value = a.value().array().max(lo).min(hi).matrix();
    return o;
}

// [SECTION] concat / slice (columns)

static void concat_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    Mat& da = t.grad(n.a);
    t.grad(n.a) += dout.leftCols(da.cols());
    t.grad(n.b) += dout.rightCols(dout.cols() - da.cols());
}
static const OpDef kConcat{"concat", concat_backward};
Var concat(Var a, Var b) {
    Tape& t = tape_of(a, b);
    if (a.rows() != b.rows())
        throw std::invalid_argument("concat: " + std::to_string(a.rows()) + " rows beside " + std::to_string(b.rows()));
    Var o = t.push(&kConcat, a.id, b.id, a.rows(), a.cols() + b.cols());
    Mat& O = t.node(o.id).value;
    O.leftCols(a.cols()) = t.value(a.id);
    O.rightCols(b.cols()) = t.value(b.id);
    return o;
}

static void slice_backward(Tape& t, Tape::Node& n, const Mat& dout) { t.grad(n.a).middleCols(n.i0, n.i1) += dout; }
static const OpDef kSlice{"slice", slice_backward};
Var slice(Var a, int col, int ncols) {
    if (col < 0 || ncols < 1 || col + ncols > a.cols())
        throw std::invalid_argument("slice: columns [" + std::to_string(col) + ", " + std::to_string(col + ncols) +
                                    ") outside 0.." + std::to_string(a.cols()));
    Var o = a.tape->push(&kSlice, a.id, -1, a.rows(), ncols);
    Tape::Node& n = a.tape->node(o.id);
    n.i0 = col, n.i1 = ncols;
    n.value = a.value().middleCols(col, ncols);
    return o;
}

// [SECTION] huber (elementwise): ½a² inside [−δ, δ], linear outside

static void huber_backward(Tape& t, Tape::Node& n, const Mat& dout) {
    t.grad(n.a).array() += dout.array() * t.value(n.a).array().max(-n.k0).min(n.k0);
}
static const OpDef kHuber{"huber", huber_backward};
Var huber(Var a, float delta) {
    Var o = a.tape->push(&kHuber, a.id, -1, a.rows(), a.cols());
    Tape::Node& n = a.tape->node(o.id);
    n.k0 = delta;
    const auto x = a.value().array();
    n.value = (x.abs() <= delta).select(0.5f * x.square(), delta * (x.abs() - 0.5f * delta)).matrix();
    return o;
}

}  // namespace dl::nn
