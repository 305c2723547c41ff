#include "core/nn/layers.h"

#include <stdexcept>

#include <cmath>
#include <cstring>
#include <filesystem>

#include <Eigen/QR>

#include "base/files.h"
#include "core/nn/exact_math.h"

namespace dl::nn {

// [SECTION] Init

float normal(Rng& rng) {
    const double u1 = rng.uniform();  // two statements: the first draw is the first uniform
    return normal(u1, rng.uniform());
}

float normal(double u1, double u2) {
    const double r = 1.0 - u1;  // in (0, 1]
    return float(std::sqrt(-2.0 * std::log(r)) * std::cos(2.0 * M_PI * u2));
}

void orthogonal_init(Mat& W, float gain, Rng& rng) {
    const int rows = int(W.rows()), cols = int(W.cols());
    const bool tall = rows >= cols;
    Eigen::MatrixXf A(tall ? rows : cols, tall ? cols : rows);
    for (int i = 0; i < A.rows(); ++i)
        for (int j = 0; j < A.cols(); ++j) A(i, j) = normal(rng);
    Eigen::HouseholderQR<Eigen::MatrixXf> qr(A);
    Eigen::MatrixXf Q = qr.householderQ() * Eigen::MatrixXf::Identity(A.rows(), A.cols());
    const Eigen::MatrixXf R = qr.matrixQR().topRows(A.cols()).triangularView<Eigen::Upper>();
    for (int j = 0; j < Q.cols(); ++j)
        if (R(j, j) < 0) Q.col(j) *= -1;
    if (tall) W = gain * Q;
    else W = gain * Q.transpose();
}

// [SECTION] Linear / Mlp

Linear::Linear(int in, int out, float gain, Rng& rng) : W(in, out), b(1, out) { orthogonal_init(W.value, gain, rng); }

void Linear::forward(const Mat& x, Mat& out) const {
    out.noalias() = x * W.value;
    out.rowwise() += b.value.row(0);
}

Conv2d::Conv2d(const ConvShape& s, int filters, float gain, Rng& rng)
    : W(s.k * s.k * s.C, filters), b(1, filters), shape(s) {
    orthogonal_init(W.value, gain, rng);
}

void Conv2d::forward(const Mat& x, Mat& out) const { conv2d_forward(x, W.value, b.value, shape, out); }

Mlp::Mlp(const std::vector<int>& sizes, Activation a, float out_gain, Rng& rng) : act(a) {
    for (size_t i = 0; i + 1 < sizes.size(); ++i)
        layers.emplace_back(sizes[i], sizes[i + 1], i + 2 == sizes.size() ? out_gain : std::sqrt(2.0f), rng);
}

int64_t mlp_param_count(const std::vector<int>& sizes) {
    int64_t n = 0;
    for (size_t i = 0; i + 1 < sizes.size(); ++i) n += int64_t(sizes[i]) * sizes[i + 1] + sizes[i + 1];
    return n;
}

Mlp Mlp::conv_net(const ConvShape& image, int filters, const std::vector<int>& sizes, Activation a, float out_gain, Rng& rng) {
    Mlp m;
    m.act = a;
    m.convs.emplace_back(image, filters, std::sqrt(2.0f), rng);
    std::vector<int> all = {m.convs.back().out_dim()};
    all.insert(all.end(), sizes.begin(), sizes.end());
    for (size_t i = 0; i + 1 < all.size(); ++i)
        m.layers.emplace_back(all[i], all[i + 1], i + 2 == all.size() ? out_gain : std::sqrt(2.0f), rng);
    return m;
}

int Mlp::in_dim() const {
    if (!convs.empty()) return convs.front().shape.in_dim();
    return layers.empty() ? 0 : int(layers.front().W.value.rows());
}

// The network on the tape; param(p) brings each parameter on (trainable, or frozen as a constant).
template <class P>
Var Mlp::apply(Var x, P&& param) const {
    auto activate = [&](Var v) { return act == Activation::Tanh ? tanh(v) : relu(v); };
    for (const Conv2d& c : convs) x = activate(conv2d(x, param(c.W), c.shape, param(c.b)));
    const Act hidden = act == Activation::Tanh ? Act::Tanh : Act::Relu;
    for (size_t i = 0; i < layers.size(); ++i)  // one node per layer: act(x W + b), the output layer without act
        x = dense(x, param(layers[i].W), param(layers[i].b), i + 1 < layers.size() ? hidden : Act::None);
    return x;
}

Var Mlp::operator()(Tape& t, Var x) {
    return apply(x, [&](const Param& p) { return t.param(const_cast<Param&>(p)); });  // this Mlp is ours to train
}

Var Mlp::frozen(Tape& t, Var x) const {
    return apply(x, [&](const Param& p) { return t.frozen(p); });
}

void Mlp::forward(const Mat& x, Mat& out) const {
    // Two buffers per thread, reused from call to call (acting and target networks run this every step).
    if (&x == &out) {  // forward(m, m): the last layer must not write over its own input
        const Mat copy = x;
        return forward(copy, out);
    }
    thread_local Mat a, b;
    auto activate = [&](Mat& m) {
        if (act == Activation::Tanh) m = m.array().tanh().matrix();
        else m = m.array().max(0.0f).matrix();
    };
    const Mat* h = &x;
    Mat* next = &a;
    auto advance = [&] { h = next, next = next == &a ? &b : &a; };
    for (const Conv2d& c : convs) c.forward(*h, *next), activate(*next), advance();
    for (size_t i = 0; i < layers.size(); ++i) {
        if (i + 1 == layers.size()) next = &out;  // the last layer writes the result in place
        // After ReLU conv layers the input is mostly zeros: the sparse products, as dense() takes them on the tape
        const bool sparse = i == 0 && !convs.empty() && act == Activation::Relu &&
                            sparse_dense_forward(*h, layers[i].W.value, layers[i].b.value, *next, &convs.back().b.value);
        if (!sparse) layers[i].forward(*h, *next);
        if (i + 1 < layers.size()) activate(*next), advance();
    }
    if (layers.empty()) out = *h;
}

void Mlp::jvp(const Mat& x, const std::vector<Mat>& tangent, Mat& out, Mat& dout) const {
    if (!convs.empty()) throw std::invalid_argument("Mlp::jvp: conv layers are not supported");
    if (tangent.size() != 2 * layers.size()) throw std::invalid_argument("Mlp::jvp: one tangent per parameter expected");
    Mat h = x, dh = Mat::Zero(x.rows(), x.cols());
    for (size_t i = 0; i < layers.size(); ++i) {
        const Mat& W = layers[i].W.value;
        Mat pre = h * W;
        pre.rowwise() += layers[i].b.value.row(0);
        Mat dpre = dh * W + h * tangent[2 * i];  // d(xW + b) = dx W + x dW + db
        dpre.rowwise() += tangent[2 * i + 1].row(0);
        if (i + 1 == layers.size()) {
            out = std::move(pre), dout = std::move(dpre);
            return;
        }
        if (act == Activation::Tanh) {
            h = pre.array().tanh().matrix();
            dh = ((1 - h.array().square()) * dpre.array()).matrix();
        } else {
            h = pre.array().max(0.0f).matrix();
            dh = (pre.array() > 0).select(dpre.array(), 0.0f).matrix();
        }
    }
}

std::vector<Param*> Mlp::params() {
    std::vector<Param*> p;
    for (auto& c : convs) p.push_back(&c.W), p.push_back(&c.b);
    for (auto& l : layers) p.push_back(&l.W), p.push_back(&l.b);
    return p;
}

// [SECTION] Optimizers

void zero_grad(const std::vector<Param*>& params) {
    for (Param* p : params) p->zero_grad();
}

namespace {
thread_local NonFiniteHandler non_finite_handler;
}  // namespace

NonFiniteHandler set_non_finite_handler(NonFiniteHandler h) {
    std::swap(h, non_finite_handler);
    return h;
}

void report_non_finite(const std::string& what) {
    if (!non_finite_handler) throw NonFiniteError(what);
    non_finite_handler(what);
}

bool grads_finite(const std::vector<Param*>& params, const char* optimizer) {
    for (size_t i = 0; i < params.size(); ++i) {
        const Mat& g = params[i]->grad;
        // One vectorised pass: g·0 sums to 0 exactly when every entry is finite (∞·0 and NaN·0 are NaN).
        if ((g.array() * 0.0f).sum() == 0.0f) continue;
        int64_t bad = 0;
        for (Eigen::Index k = 0; k < g.size(); ++k) bad += !std::isfinite(g.data()[k]);
        report_non_finite("a gradient of NaN or infinity reached " + std::string(optimizer) + " (tensor " + std::to_string(i + 1) + " of " +
                          std::to_string(params.size()) + ", " + std::to_string(g.rows()) + "x" + std::to_string(g.cols()) + ": " +
                          std::to_string(bad) + " of " + std::to_string(g.size()) + " entries)");
        return false;
    }
    return true;
}

float clip_grad_norm(const std::vector<Param*>& params, float max_norm) {
    double sq = 0;
    for (const Param* p : params) sq += double(p->grad.squaredNorm());
    const float norm = float(std::sqrt(sq));
    if (norm > max_norm && norm > 0) {
        const float k = max_norm / (norm + 1e-6f);
        for (Param* p : params) p->grad *= k;
    }
    return norm;
}

void Sgd::step() {
    if (!grads_finite(params, "SGD")) return;  // the handler chose to skip this step
    if (velocity.size() != params.size())
        for (Param* p : params) velocity.push_back(Mat::Zero(p->value.rows(), p->value.cols()));
    for (size_t i = 0; i < params.size(); ++i) {
        velocity[i] = momentum * velocity[i] + params[i]->grad;
        params[i]->value -= lr * velocity[i];
    }
}

void RmsProp::step() {
    if (!grads_finite(params, "RMSProp")) return;
    if (sq.size() != params.size())
        for (Param* p : params) sq.push_back(Mat::Zero(p->value.rows(), p->value.cols()));
    for (size_t i = 0; i < params.size(); ++i) {
        const Mat& g = params[i]->grad;
        sq[i] = alpha * sq[i] + (1 - alpha) * g.cwiseProduct(g);
        params[i]->value.array() -= lr * g.array() / (exact_sqrt(sq[i].array()) + eps);
    }
}

int64_t Mlp::floats() const {
    int64_t n = 0;
    for (const Conv2d& c : convs) n += c.W.value.size() + c.b.value.size();
    for (const Linear& l : layers) n += l.W.value.size() + l.b.value.size();
    return n;
}

void io_params(StateIO& io, const std::vector<Param*>& params) {
    io.section("params");
    size_t n = io.count(params.size(), 16);
    if (n != params.size()) io.fail(std::to_string(n) + " parameter tensors where this network has " + std::to_string(params.size()));
    for (Param* p : params) io_state(io, p->value);
}

void Adam::step() {
    if (!grads_finite(params, "Adam")) return;
    if (m.size() != params.size())
        for (Param* p : params) {
            m.push_back(Mat::Zero(p->value.rows(), p->value.cols()));
            v.push_back(Mat::Zero(p->value.rows(), p->value.cols()));
        }
    ++t;
    const float bc1 = 1 - std::pow(beta1, float(t)), bc2 = 1 - std::pow(beta2, float(t));
    for (size_t i = 0; i < params.size(); ++i) {
        const Mat& g = params[i]->grad;
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g.cwiseProduct(g);
        // PyTorch's form: θ -= lr · m̂ / (√v̂ + ε)
        params[i]->value.array() -= lr * (m[i].array() / bc1) / (exact_sqrt(v[i].array() / bc2) + eps);
    }
}

// [SECTION] Categorical

int sample_categorical(const float* logits, int n, Rng& rng) { return sample_categorical(logits, n, rng.uniform()); }

int sample_categorical(const float* logits, int n, double u01) {
    float mx = logits[0];
    for (int i = 1; i < n; ++i) mx = std::max(mx, logits[i]);
    double total = 0;
    for (int i = 0; i < n; ++i) total += std::exp(double(logits[i] - mx));
    double u = u01 * total;
    for (int i = 0; i < n; ++i) {
        u -= std::exp(double(logits[i] - mx));
        if (u < 0) return i;
    }
    return n - 1;
}

// [SECTION] Gaussians

namespace {
constexpr float kHalfLog2Pi = 0.91893853320467274f;  // ½ log 2π
}

Var DiagGaussian::rsample(const Mat& eps) const {
    Tape& t = *mean.tape;
    return add(mean, mul(exp(log_std), t.constant(eps)));
}

Var DiagGaussian::log_prob(Var x) const {
    const int D = int(mean.value().cols());
    Var z2 = mul(square(sub(x, mean)), exp(scale(log_std, -2.0f)));  // ((x − μ) / σ)²
    return add_scalar(scale(add(scale(sum_rows(z2), 0.5f), sum_rows(log_std)), -1.0f), -kHalfLog2Pi * float(D));
}

Var DiagGaussian::entropy() const {
    const int D = int(mean.value().cols());
    return add_scalar(sum_rows(log_std), (0.5f + kHalfLog2Pi) * float(D));
}

TanhGaussian::Sample TanhGaussian::rsample(const Mat& eps) const {
    Sample s;
    s.pre_tanh = base.rsample(eps);
    s.action = tanh(s.pre_tanh);
    s.log_prob = log_prob_of_pre_tanh(s.pre_tanh);
    return s;
}

Var TanhGaussian::log_prob_of_pre_tanh(Var u) const {
    constexpr float kLog2 = 0.69314718055994531f;
    // Σ log(1 − tanh² u) = Σ 2 (log 2 − u − softplus(−2u))
    Var log_det = scale(sum_rows(add_scalar(scale(add(u, softplus(scale(u, -2.0f))), -1.0f), kLog2)), 2.0f);
    return sub(base.log_prob(u), log_det);
}

Var TanhGaussian::mode() const { return tanh(base.mean); }

Mat gaussian_noise(int rows, int cols, Rng& rng) {
    Mat m(rows, cols);
    for (int i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
    return m;
}

// [SECTION] Checkpoint

namespace {

constexpr char kMagic[8] = {'D', 'L', 'C', 'K', 'P', 'T', '\n', 0};
constexpr uint32_t kVersion = 1;

template <class T>
void put(std::string& s, const T& v) {
    s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace

void save_checkpoint(const std::string& path, const std::vector<std::pair<std::string, const Param*>>& params) {
    std::string s(kMagic, sizeof kMagic);
    put(s, kVersion);
    put(s, uint32_t(params.size()));
    for (const auto& [name, p] : params) {
        put(s, uint32_t(name.size()));
        s += name;
        put(s, int32_t(p->value.rows()));
        put(s, int32_t(p->value.cols()));
        s.append(reinterpret_cast<const char*>(p->value.data()), size_t(p->value.size()) * sizeof(float));
    }
    put(s, fnv1a64(s.data(), s.size()));
    write_file_atomic(path, s);
}

Checkpoint read_checkpoint(const std::string& path) {
    const std::string where = "checkpoint " + path + ": ";
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > kMaxCheckpointBytes)
        throw CheckpointError(where + "is " + std::to_string(size) + " bytes, more than a checkpoint may hold (" +
                              std::to_string(kMaxCheckpointBytes) + ")");
    Checkpoint c;
    try {
        c.bytes = read_file(path);
    } catch (const IoError& e) {
        throw CheckpointError(e.what());
    }
    const std::string& s = c.bytes;
    if (s.size() < sizeof kMagic + 8 + 8 || std::memcmp(s.data(), kMagic, sizeof kMagic) != 0)
        throw CheckpointError(where + "not a Dreamlab checkpoint (bad header)");
    uint64_t stored;
    std::memcpy(&stored, s.data() + s.size() - 8, 8);
    if (fnv1a64(s.data(), s.size() - 8) != stored) throw CheckpointError(where + "checksum mismatch: the file is truncated or corrupted");
    // Every extent is checked against what is left before it is used, so no size in the file can overflow.
    const size_t end = s.size() - 8;
    size_t off = sizeof kMagic;
    auto get = [&](auto& v) {
        if (end - off < sizeof v) throw CheckpointError(where + "truncated");
        std::memcpy(&v, s.data() + off, sizeof v);
        off += sizeof v;
    };
    uint32_t version, count;
    get(version);
    if (version != kVersion)
        throw CheckpointError(where + "format version " + std::to_string(version) + " is not supported (this build reads " +
                              std::to_string(kVersion) + ")");
    get(count);
    if (count > (end - off) / 12) throw CheckpointError(where + "claims " + std::to_string(count) + " tensors, more than the file can hold");
    for (uint32_t i = 0; i < count; ++i) {
        CheckpointTensor t;
        uint32_t len;
        get(len);
        if (len > 1024 || len > end - off) throw CheckpointError(where + "tensor " + std::to_string(i) + " has a name of " + std::to_string(len) + " bytes");
        t.name = s.substr(off, len);
        off += len;
        int32_t rows, cols;
        get(rows), get(cols);
        if (rows < 0 || cols < 0)
            throw CheckpointError(where + "tensor '" + t.name + "' has shape " + std::to_string(rows) + "x" + std::to_string(cols));
        t.rows = rows, t.cols = cols;
        const uint64_t floats = uint64_t(rows) * uint64_t(cols);
        if (floats > (end - off) / sizeof(float)) throw CheckpointError(where + "truncated (tensor '" + t.name + "')");
        t.offset = off;
        off += size_t(floats) * sizeof(float);
        c.floats += int64_t(floats);
        c.tensors.push_back(std::move(t));
    }
    if (off != end) throw CheckpointError(where + "unexpected bytes after the last tensor");
    c.path = path;
    return c;
}

void load_checkpoint(const Checkpoint& c, const std::vector<std::pair<std::string, Param*>>& params) {
    const std::string where = "checkpoint " + c.path + ": ";
    if (c.tensors.size() != params.size())
        throw CheckpointError(where + "holds " + std::to_string(c.tensors.size()) + " tensors, the model has " + std::to_string(params.size()));
    // Validate everything first, then copy: a refused file leaves the model untouched.
    for (size_t i = 0; i < params.size(); ++i) {
        const auto& [name, p] = params[i];
        const CheckpointTensor& t = c.tensors[i];
        if (t.name != name) throw CheckpointError(where + "expected tensor '" + name + "', found '" + t.name + "'");
        if (t.rows != p->value.rows() || t.cols != p->value.cols())
            throw CheckpointError(where + "tensor '" + name + "' is " + std::to_string(t.rows) + "x" + std::to_string(t.cols) +
                                  ", the model's is " + std::to_string(p->value.rows()) + "x" + std::to_string(p->value.cols()));
    }
    // Weights of NaN or infinity are refused too (a run that diverged before NaN was caught, or a damaged file).
    for (size_t i = 0; i < params.size(); ++i) {
        const CheckpointTensor& t = c.tensors[i];
        for (int64_t k = 0; k < int64_t(t.rows) * t.cols; ++k) {
            float x;
            std::memcpy(&x, c.bytes.data() + t.offset + size_t(k) * sizeof(float), sizeof x);
            if (!std::isfinite(x))
                throw CheckpointError(where + "tensor '" + t.name + "' holds NaN or infinity (entry " + std::to_string(k) +
                                      "): these weights cannot be used");
        }
    }
    for (size_t i = 0; i < params.size(); ++i)
        std::memcpy(params[i].second->value.data(), c.bytes.data() + c.tensors[i].offset, size_t(params[i].second->value.size()) * sizeof(float));
}

void load_checkpoint(const std::string& path, const std::vector<std::pair<std::string, Param*>>& params) {
    load_checkpoint(read_checkpoint(path), params);
}

}  // namespace dl::nn
