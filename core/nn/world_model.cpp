#include "core/nn/world_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "envs/vector_env.h"

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "core/nn/agent.h"
#include "core/nn/continuous.h"

namespace dl::nn {

// [SECTION] GRU

Gru::Gru(int in, int hidden, Rng& rng)
    : xr(in, hidden, 1.0f, rng), xu(in, hidden, 1.0f, rng), xn(in, hidden, 1.0f, rng),
      hr(hidden, hidden, 1.0f, rng), hu(hidden, hidden, 1.0f, rng), hn(hidden, hidden, 1.0f, rng) {}

template <class P>
Var Gru::apply(Var x, Var h, P&& param) const {
    auto lin = [&](const Linear& l, Var in) { return add(matmul(in, param(l.W)), param(l.b)); };
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

// [SECTION] Sequence buffer

SequenceBuffer::SequenceBuffer(int obs_dim, int64_t capacity)
    : dim_(obs_dim), cap_(capacity), obs_(size_t(capacity * obs_dim)), reward_(size_t(capacity)), cont_(size_t(capacity)),
      first_(size_t(capacity)), action_(size_t(capacity)) {}

void SequenceBuffer::add(const float* obs, int prev_action, float reward, bool terminated, bool first) {
    std::copy_n(obs, dim_, &obs_[size_t(pos_ * dim_)]);
    action_[size_t(pos_)] = prev_action, reward_[size_t(pos_)] = reward;
    cont_[size_t(pos_)] = terminated ? 0.0f : 1.0f, first_[size_t(pos_)] = first ? 1.0f : 0.0f;
    pos_ = (pos_ + 1) % cap_;
    size_ = std::min(size_ + 1, cap_);
}

SeqBatch SequenceBuffer::empty_batch(int B, int L) const {
    SeqBatch s;
    s.L = L, s.B = B;
    s.obs.assign(size_t(L), Mat(B, dim_));
    s.reward.assign(size_t(L), Mat(B, 1));
    s.cont.assign(size_t(L), Mat(B, 1));
    s.first.assign(size_t(L), Mat(B, 1));
    s.prev_action.assign(size_t(L), std::vector<int32_t>(size_t(B)));
    return s;
}

void SequenceBuffer::copy_window(SeqBatch& s, int b, int64_t start) const {
    for (int t = 0; t < s.L; ++t) {
        const int64_t i = (start + t) % cap_;
        std::copy_n(&obs_[size_t(i * dim_)], dim_, s.obs[size_t(t)].row(b).data());
        s.reward[size_t(t)](b, 0) = reward_[size_t(i)], s.cont[size_t(t)](b, 0) = cont_[size_t(i)];
        // A window starts from a fresh state, as an episode does.
        s.first[size_t(t)](b, 0) = t == 0 ? 1.0f : first_[size_t(i)];
        s.prev_action[size_t(t)][size_t(b)] = action_[size_t(i)];
    }
}

SeqBatch SequenceBuffer::sample(int B, int L, Rng& rng) const {
    if (size_ < L) throw std::invalid_argument("SequenceBuffer: " + std::to_string(size_) + " steps, a window needs " + std::to_string(L));
    SeqBatch s = empty_batch(B, L);
    const int64_t oldest = size_ < cap_ ? 0 : pos_;
    for (int b = 0; b < B; ++b) copy_window(s, b, oldest + int64_t(rng.below(uint32_t(size_ - L + 1))));
    return s;
}

SeqBatch SequenceBuffer::last(int L) const {
    L = int(std::min<int64_t>(L, size_));
    SeqBatch s = empty_batch(1, L);
    copy_window(s, 0, pos_ - L + cap_);
    return s;
}

SeqBatch SequenceBuffer::sample_within_episodes(int B, int L, Rng& rng) const {
    // The starts of windows (counted from the oldest step) with no episode start after their first step.
    const int64_t oldest = size_ < cap_ ? 0 : pos_;
    std::vector<int64_t> ok;
    int64_t run = 0;  // steps since the last episode start, walking oldest → newest
    for (int64_t k = 0; k < size_; ++k) {
        run = first_[size_t((oldest + k) % cap_)] > 0 ? 1 : run + 1;
        if (run >= L) ok.push_back(k - L + 1);
    }
    if (ok.empty()) throw std::invalid_argument("SequenceBuffer: no episode of " + std::to_string(L) + " steps to sample");
    SeqBatch s = empty_batch(B, L);
    for (int b = 0; b < B; ++b) copy_window(s, b, oldest + ok[rng.below(uint32_t(ok.size()))]);
    return s;
}

SequenceBuffer record_experience(Env& env, int64_t steps, const std::function<int(const float* obs, Rng& rng)>& policy,
                                 uint64_t seed) {
    const int D = env.obs_dim();
    SequenceBuffer buf(D, steps);
    Rng rng(seed);
    std::vector<float> obs(size_t(D), 0.0f);
    env.reset_into(seed, obs.data());
    buf.add(obs.data(), -1, 0, false, true);
    for (int64_t i = 1; i < steps; ++i) {
        const int a = policy(obs.data(), rng);
        const StepFlags f = env.step_into(a, obs.data());
        buf.add(obs.data(), a, float(f.reward), f.terminated, false);
        if ((f.terminated || f.truncated) && i + 1 < steps) {
            env.reset_into(std::nullopt, obs.data());
            buf.add(obs.data(), -1, 0, false, true), ++i;
        }
    }
    return buf;
}

// [SECTION] World model

void choose_codec(WorldModelConfig& c, const Space& obs, const std::string& network, const std::string& decoder) {
    const bool image = obs.kind == Space::Box && obs.shape.size() == 3;
    if (network != "auto" && network != "mlp" && network != "cnn")
        throw ParamError("network=" + network + " is not allowed: expected one of auto, mlp, cnn");
    if (decoder != "auto" && decoder != "gaussian" && decoder != "bernoulli")
        throw ParamError("decoder=" + decoder + " is not allowed: expected one of auto, gaussian, bernoulli");
    if (network == "cnn" && !image)
        throw ParamError("network=cnn needs image observations (height x width x channels); this env's are flat");
    c.image.clear();
    if (network == "cnn" || (network == "auto" && image)) c.image = obs.shape;
    const bool binary = image || obs.kind == Space::Discrete;
    c.binary_obs = decoder == "bernoulli" || (decoder == "auto" && binary);
    c.relu = !c.image.empty();
}

namespace {
constexpr float kMinStd = 0.1f;  // Dreamer's floor on the latent's standard deviation
Mat randn(int r, int c, Rng& rng) {
    Mat m(r, c);
    for (int i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
    return m;
}
Mat softplus_plus_min(const Mat& raw) {
    return (raw.array().max(0.0f) + (1 + (-raw.array().abs()).exp()).log() + kMinStd).matrix();
}
Mat cat(const Mat& a, const Mat& b) {
    Mat o(a.rows(), a.cols() + b.cols());
    o << a, b;
    return o;
}
}  // namespace

WorldModel::WorldModel(const WorldModelConfig& cfg, Rng& rng) : cfg_(cfg) {
    if (cfg.obs_dim <= 0 || cfg.n_actions <= 0) throw std::invalid_argument("WorldModel: obs_dim and n_actions must be positive");
    const int H = cfg.hidden, F = cfg.deter + cfg.stoch;
    const Activation act = cfg.relu ? Activation::Relu : Activation::Tanh;
    if (cfg.image.empty()) {
        encoder = Mlp({cfg.obs_dim, H, cfg.embed}, act, 1.0f, rng);
    } else {
        if (cfg.image.size() != 3 || cfg.image[0] * cfg.image[1] * cfg.image[2] != cfg.obs_dim)
            throw std::invalid_argument("WorldModel: image shape does not match obs_dim");
        const ConvShape shape{cfg.image[0], cfg.image[1], cfg.image[2], 3, 1, 0};
        encoder = Mlp::conv_net(shape, cfg.conv_filters, {H, cfg.embed}, act, 1.0f, rng);
    }
    gru = Gru(cfg.stoch + cfg.n_actions, cfg.deter, rng);
    prior = Mlp({cfg.deter, H, 2 * cfg.stoch}, act, 1.0f, rng);
    posterior = Mlp({cfg.deter + cfg.embed, H, 2 * cfg.stoch}, act, 1.0f, rng);
    decoder = Mlp({F, H, H, cfg.obs_dim}, act, 1.0f, rng);
    reward_head = Mlp({F, H, 1}, act, 1.0f, rng);
    cont_head = Mlp({F, H, 1}, act, 1.0f, rng);
}

std::vector<Param*> WorldModel::params() {
    std::vector<Param*> p;
    for (Mlp* m : {&encoder, &prior, &posterior, &decoder, &reward_head, &cont_head})
        for (Param* q : m->params()) p.push_back(q);
    for (Param* q : gru.params()) p.push_back(q);
    return p;
}

Mat WorldModel::action_one_hot(const std::vector<int32_t>& a) const {
    Mat m = Mat::Zero(Eigen::Index(a.size()), cfg_.n_actions);
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i] >= 0 && a[i] < cfg_.n_actions) m(Eigen::Index(i), a[i]) = 1.0f;
    return m;
}

// The ELBO over the sequence, step by step (the prose at the top of world_model.h, as code).
WorldModelLosses WorldModel::loss(Tape& t, const SeqBatch& s, Rng& rng, Var& total) {
    const int B = s.B, S = cfg_.stoch;
    Var h = t.constant(Mat::Zero(B, cfg_.deter)), z = t.constant(Mat::Zero(B, S));
    WorldModelLosses out;
    std::vector<Var> terms;
    for (int k = 0; k < s.L; ++k) {
        const Mat keep = (1.0f - s.first[size_t(k)].array()).matrix();  // 0 where an episode starts: fresh state
        Var mask = t.constant(keep);
        h = mul(h, mask), z = mul(z, mask);
        Mat a = action_one_hot(s.prev_action[size_t(k)]);
        a.array().colwise() *= keep.col(0).array();
        h = gru(t, concat(z, t.constant(a)), h);
        Var obs = t.constant(s.obs[size_t(k)]);
        Var post = posterior(t, concat(h, encoder(t, obs)));
        Var pri = prior(t, h);
        Var mu_q = slice(post, 0, S), std_q = add_scalar(softplus(slice(post, S, S)), kMinStd);
        Var mu_p = slice(pri, 0, S), std_p = add_scalar(softplus(slice(pri, S, S)), kMinStd);
        z = add(mu_q, mul(std_q, t.constant(randn(B, S, rng))));  // reparameterised sample
        Var feat = concat(h, z);

        Var dec = decoder(t, feat);
        Var recon = cfg_.binary_obs ? mean(sum_rows(sub(softplus(dec), mul(dec, obs))))      // Bernoulli −log p
                                    : scale(mean(sum_rows(square(sub(dec, obs)))),
                                            0.5f / (cfg_.obs_std * cfg_.obs_std));  // Gaussian −log p (+ const)
        Var rew = scale(mean(square(sub(reward_head(t, feat), t.constant(s.reward[size_t(k)])))), 0.5f);
        Var c_logit = cont_head(t, feat);
        Var cont = mean(sub(softplus(c_logit), mul(c_logit, t.constant(s.cont[size_t(k)]))));
        // KL(q ‖ p) of diagonal Gaussians: Σ log σp − log σq + (σq² + (μq − μp)²) / (2σp²) − ½, with DreamerV2's
        // KL balancing: the same value twice, once with the posterior held fixed (trains the prior, weight α) and
        // once with the prior held fixed (regularises the posterior, 1 − α). The prior learns to predict what the
        // observations say faster than the posterior is pulled towards an untrained prior: without it, a model of
        // sparse pixels settles on latents that say nothing (posterior collapse).
        auto gaussian_kl = [&](Var mq, Var sq, Var mp, Var sp) {
            Var log_sp = log(sp), log_sq = log(sq);
            Var ratio = mul(add(square(sq), square(sub(mq, mp))), exp(scale(log_sp, -2.0f)));
            Var kl_step = mean(sum_rows(add_scalar(add(sub(log_sp, log_sq), scale(ratio, 0.5f)), -0.5f)));
            return std::pair{kl_step, maximum(kl_step, t.constant(Mat::Constant(1, 1, cfg_.free_nats)))};
        };
        auto sg = [&](Var v) { return t.constant(v.value()); };
        const auto [kl, kl_prior] = gaussian_kl(sg(mu_q), sg(std_q), mu_p, std_p);
        const auto kl_post = gaussian_kl(mu_q, std_q, sg(mu_p), sg(std_p)).second;
        const float bal = cfg_.kl_balance;
        Var kl_term = add(scale(kl_prior, bal), scale(kl_post, 1.0f - bal));
        terms.push_back(add(add(recon, rew), add(cont, scale(kl_term, cfg_.kl_beta))));
        out.recon += recon.value()(0, 0), out.reward += rew.value()(0, 0), out.cont += cont.value()(0, 0);
        out.kl += kl.value()(0, 0);
    }
    total = terms[0];
    for (size_t k = 1; k < terms.size(); ++k) total = add(total, terms[k]);
    total = scale(total, 1.0f / float(s.L));
    const double L = s.L;
    out.recon /= L, out.reward /= L, out.cont /= L, out.kl /= L;
    out.total = total.value()(0, 0);
    return out;
}

WorldModelLosses WorldModel::train_step(const SeqBatch& batch, Adam& opt, Rng& rng, float max_grad_norm) {
    Tape t;
    std::vector<Param*> p = params();
    zero_grad(p);
    Var total;
    const WorldModelLosses l = loss(t, batch, rng, total);
    t.backward(total);
    clip_grad_norm(p, max_grad_norm);
    if (opt.params.empty()) opt.params = p;
    opt.step();
    return l;
}

WorldModelLosses WorldModel::evaluate(const SeqBatch& batch, Rng& rng) {
    Tape t;
    Var total;
    return loss(t, batch, rng, total);
}

WorldModel::State WorldModel::initial(int B) const { return {Mat::Zero(B, cfg_.deter), Mat::Zero(B, cfg_.stoch)}; }

namespace {
// Advances h with [z, one-hot a] (a < 0: no action, as at an episode's start).
void advance(const WorldModel& m, WorldModel::State& s, const Mat& a) {
    Mat next;
    m.gru.forward(cat(s.z, a), s.h, next);
    s.h = std::move(next);
}
void sample_z(const Mat& stats, int S, Rng& rng, float temperature, Mat& z) {
    const Mat std = softplus_plus_min(stats.rightCols(S));
    z = stats.leftCols(S) + temperature * std.cwiseProduct(randn(int(stats.rows()), S, rng));
}
}  // namespace

void WorldModel::step_posterior(State& s, const std::vector<int32_t>& prev_action, const Mat& obs, Rng& rng,
                                float temperature) const {
    advance(*this, s, action_one_hot(prev_action));
    Mat e, stats;
    encoder.forward(obs, e);
    posterior.forward(cat(s.h, e), stats);
    sample_z(stats, cfg_.stoch, rng, temperature, s.z);
}

void WorldModel::observe_first(State& s, const Mat& obs, Rng& rng, float temperature) const {
    s = initial(int(obs.rows()));
    step_posterior(s, std::vector<int32_t>(size_t(obs.rows()), -1), obs, rng, temperature);
}

void WorldModel::step_prior(State& s, const std::vector<int32_t>& action, Rng& rng, float temperature) const {
    advance(*this, s, action_one_hot(action));
    Mat stats;
    prior.forward(s.h, stats);
    sample_z(stats, cfg_.stoch, rng, temperature, s.z);
}

Mat WorldModel::features(const State& s) const { return cat(s.h, s.z); }

WorldModel::State WorldModel::posterior_states(const SeqBatch& batch, Rng& rng) const {
    const int B = batch.B, L = batch.L;
    State s = initial(B), all{Mat(B * L, cfg_.deter), Mat(B * L, cfg_.stoch)};
    for (int t = 0; t < L; ++t) {
        std::vector<int32_t> prev = batch.prev_action[size_t(t)];
        for (int b = 0; b < B; ++b)
            if (batch.first[size_t(t)](b, 0) > 0) s.h.row(b).setZero(), s.z.row(b).setZero(), prev[size_t(b)] = -1;
        step_posterior(s, prev, batch.obs[size_t(t)], rng);
        all.h.middleRows(t * B, B) = s.h, all.z.middleRows(t * B, B) = s.z;
    }
    return all;
}

WorldModel::OpenLoop WorldModel::open_loop(const SeqBatch& seq, int context, Rng& rng, float temperature) const {
    OpenLoop out;
    const int B = seq.B;
    context = std::clamp(context, 1, seq.L);
    State post = initial(B), dream;
    for (int t = 0; t < seq.L; ++t) {
        std::vector<int32_t> prev = seq.prev_action[size_t(t)];
        for (int b = 0; b < B; ++b)
            if (seq.first[size_t(t)](b, 0) > 0) post.h.row(b).setZero(), post.z.row(b).setZero(), prev[size_t(b)] = -1;
        step_posterior(post, prev, seq.obs[size_t(t)], rng, 0.0f);
        Mat r;
        decode(post, r);
        out.recon.push_back(r);
        if (t < context) {
            dream = post;
            out.dream.push_back(r);
        } else {
            step_prior(dream, seq.prev_action[size_t(t)], rng, temperature);
            Mat d;
            decode(dream, d);
            out.dream.push_back(d);
        }
        out.err.push_back((out.dream.back() - seq.obs[size_t(t)]).squaredNorm() / double(seq.obs[size_t(t)].size()));
    }
    return out;
}

WorldModel::PixelScores WorldModel::pixel_scores(const SeqBatch& w, int context, const std::vector<int>& horizons,
                                                 Rng& rng) const {
    PixelScores out;
    const OpenLoop ol = open_loop(w, context, rng, 0.0f);
    const Mat& last_seen = w.obs[size_t(context - 1)];
    for (int k : horizons) {
        const int t = context - 1 + k;
        if (k < 1 || t >= w.L) throw std::invalid_argument("pixel_scores: horizon " + std::to_string(k) + " is outside the windows");
        const auto real = w.obs[size_t(t)].array() > 0.5f;
        const auto pred = ol.dream[size_t(t)].array() > 0.5f;
        const double cells = double(w.obs[size_t(t)].size()), lit = double(real.count());
        out.horizon.push_back(k);
        out.accuracy.push_back(double((pred == real).count()) / cells);
        out.lit_recall.push_back(lit > 0 ? double((pred && real).count()) / lit : 1.0);
        const auto changed = (last_seen.array() > 0.5f) != real;
        const double n_changed = double(changed.count());
        out.changed_accuracy.push_back(n_changed > 0 ? double((changed && (pred == real)).count()) / n_changed : 1.0);
        out.dark_accuracy.push_back(1.0 - lit / cells);
        out.copy_accuracy.push_back(double(((last_seen.array() > 0.5f) == real).count()) / cells);
    }
    return out;
}

Mat WorldModel::transition_table(int samples, Rng& rng, float temperature) const {
    const int n = cfg_.obs_dim, A = cfg_.n_actions, rows = n * A * samples;
    Mat obs = Mat::Zero(rows, n);
    std::vector<int32_t> acts(static_cast<size_t>(rows));
    for (int r = 0; r < rows; ++r) {
        const int sa = r / samples;
        obs(r, sa / A) = 1.0f, acts[size_t(r)] = sa % A;
    }
    State s;
    observe_first(s, obs, rng, 0.0f);
    step_prior(s, acts, rng, temperature);
    Mat next;
    decode(s, next);
    Mat table = Mat::Zero(n * A, n);
    for (int r = 0; r < rows; ++r) {
        Eigen::Index best;
        next.row(r).maxCoeff(&best);
        table(r / samples, best) += 1.0f / float(samples);
    }
    return table;
}

RealExperience::RealExperience(RunContext& ctx, const WorldModel& model, int64_t capacity, Rng& rng)
    : ctx_(ctx), model_(model), rng_(rng), measure_rng_(Rng::derive(ctx.seed(), 77)), envs_(std::make_unique<VectorEnv>([&] { return ctx.new_env(); }, 1)),
      buffer_(envs_->obs_dim(), capacity), dim_(envs_->obs_dim()), n_actions_(envs_->num_actions()) {
    ctx.show_env(envs_->env(0));
    const int limit = envs_->env(0).max_episode_steps();
    time_limit_ = limit > 0 ? limit : 1000;
    envs_->reset(ctx.seed());
    starts_.push_back(std::vector<float>(envs_->obs(), envs_->obs() + dim_));
    buffer_.add(envs_->obs(), -1, 0, false, true);
    model_.observe_first(belief_, Eigen::Map<const Mat>(envs_->obs(), 1, dim_), rng_);
}

RealExperience::~RealExperience() = default;

std::shared_ptr<WorldModelAgent> RealExperience::snapshot(const WorldModelAgent& agent) const {
    auto copy = std::make_shared<WorldModelAgent>(agent);
    copy->recent = buffer_.last(32);
    return copy;
}

double RealExperience::log_dream_episodes(const WorldModelAgent& agent, float temperature) {
    Mat first(Eigen::Index(starts_.size()), dim_);
    for (size_t i = 0; i < starts_.size(); ++i) first.row(Eigen::Index(i)) = Eigen::Map<const Mat>(starts_[i].data(), 1, dim_);
    const std::vector<double> r = agent.dream_episodes(first, time_limit_, temperature, measure_rng_);
    double mean = 0;
    for (double x : r) mean += x / double(r.size());
    ctx_.log("charts/dream_episode_return", mean);
    return mean;
}

std::vector<double> WorldModelAgent::dream_episodes(const Mat& first_obs, int max_steps, float temperature, Rng& rng) const {
    const int N = int(first_obs.rows());
    WorldModel::State s;
    model.observe_first(s, first_obs, rng, temperature);
    std::vector<double> ret(static_cast<size_t>(N), 0.0);
    std::vector<char> alive(static_cast<size_t>(N), 1);
    std::vector<int32_t> acts(static_cast<size_t>(N));
    Mat logits, r, c;
    for (int k = 0; k < max_steps; ++k) {
        actor.forward(model.features(s), logits);
        for (int i = 0; i < N; ++i) acts[size_t(i)] = sample_categorical(logits.row(i).data(), n_actions, rng);
        model.step_prior(s, acts, rng, temperature);
        model.predict(s, r, c);
        int left = 0;
        for (int i = 0; i < N; ++i) {
            if (!alive[size_t(i)]) continue;
            ret[size_t(i)] += r(i, 0);
            alive[size_t(i)] = rng.uniform() < c(i, 0);
            left += alive[size_t(i)];
        }
        if (left == 0) break;
    }
    return ret;
}

void WorldModelLosses::log(RunContext& ctx) const {
    ctx.log("losses/reconstruction", recon);
    ctx.log("losses/kl", kl);
    ctx.log("losses/reward_model", reward);
    ctx.log("losses/continuation_model", cont);
}

std::shared_ptr<WorldModelAgent> WorldModelAgent::create(const WorldModelConfig& c, Rng& rng) {
    auto a = std::make_shared<WorldModelAgent>();
    a->n_actions = c.n_actions;
    a->model = WorldModel(c, rng);
    const int F = c.deter + c.stoch, H = c.hidden;
    a->actor = Mlp({F, H, H, c.n_actions}, Activation::Tanh, 0.01f, rng);
    a->critic = Mlp({F, H, H, 1}, Activation::Tanh, 1.0f, rng);
    return a;
}

int WorldModelAgent::sample_action(const WorldModel::State& belief, Rng& rng) const {
    Mat logits;
    actor.forward(model.features(belief), logits);
    return sample_categorical(logits.data(), n_actions, rng);
}

bool RealExperience::step(int a) {
    const int32_t act = a;
    envs_->step(&act);
    if (!ctx_.tick(Tick::EnvStep)) return false;
    const Eigen::Map<const Mat> obs(envs_->obs(), 1, dim_);
    if (envs_->done(0)) {
        // The arrival (final observation) belongs to the finished episode; then the next one starts.
        buffer_.add(envs_->final_obs(), a, envs_->reward(0), envs_->terminated(0), false);
        ctx_.log("return", envs_->episode_return(0));
        ctx_.log("length", double(envs_->episode_length(0)));
        if (!ctx_.tick(Tick::Episode)) return false;
        buffer_.add(obs.data(), -1, 0, false, true);
        model_.observe_first(belief_, obs, rng_);
        std::vector<float> first(obs.data(), obs.data() + dim_);
        if (starts_.size() < 16) starts_.push_back(std::move(first));
        else starts_[next_start_++ % 16] = std::move(first);
    } else {
        buffer_.add(obs.data(), a, envs_->reward(0), false, false);
        model_.step_posterior(belief_, {act}, obs, rng_);
    }
    return true;
}

void WorldModel::decode(const State& s, Mat& obs_mean) const {
    decoder.forward(features(s), obs_mean);
    if (cfg_.binary_obs) obs_mean = obs_mean.array().logistic().matrix();
}

void WorldModel::predict(const State& s, Mat& reward, Mat& cont_prob) const {
    const Mat f = features(s);
    reward_head.forward(f, reward);
    cont_head.forward(f, cont_prob);
    cont_prob = cont_prob.array().logistic().matrix();
}

namespace {
std::vector<std::pair<std::string, Param*>> named(WorldModel& m) {
    std::vector<std::pair<std::string, Param*>> v;
    const std::pair<const char*, Mlp*> mlps[] = {{"encoder", &m.encoder}, {"prior", &m.prior}, {"posterior", &m.posterior},
                                                 {"decoder", &m.decoder}, {"reward", &m.reward_head}, {"cont", &m.cont_head}};
    for (auto [name, mlp] : mlps) {
        int i = 0;
        for (Param* p : mlp->params()) v.push_back({std::string(name) + "." + std::to_string(i++), p});
    }
    int i = 0;
    for (Param* p : m.gru.params()) v.push_back({"gru." + std::to_string(i++), p});
    return v;
}
}  // namespace

void WorldModel::save(const std::string& path) const {
    auto& self = const_cast<WorldModel&>(*this);  // named() hands out pointers; saving only reads through them
    std::vector<std::pair<std::string, const Param*>> c;
    for (auto& [n, p] : named(self)) c.push_back({n, p});
    save_checkpoint(path, c);
}

void WorldModel::load(const std::string& path) { load_checkpoint(path, named(*this)); }

namespace {
std::vector<int> mlp_sizes(const Mlp& m) {
    std::vector<int> v = {m.in_dim()};
    for (const Linear& l : m.layers) v.push_back(int(l.W.value.cols()));
    return v;
}
std::vector<std::pair<std::string, Param*>> agent_named(WorldModelAgent& a) {
    auto v = named(a.model);
    int i = 0;
    for (Param* p : a.actor.params()) v.push_back({"actor." + std::to_string(i++), p});
    i = 0;
    for (Param* p : a.critic.params()) v.push_back({"critic." + std::to_string(i++), p});
    return v;
}
}  // namespace

void WorldModelAgent::save(const std::string& dir) const {
    const WorldModelConfig& c = model.config();
    const nlohmann::json j = {{"format", "dreamlab-agent-1"},
                              {"kind", "world_model"},
                              {"model", {{"obs_dim", c.obs_dim}, {"n_actions", c.n_actions}, {"hidden", c.hidden}, {"deter", c.deter},
                                         {"stoch", c.stoch}, {"embed", c.embed}, {"binary_obs", c.binary_obs},
                                         {"obs_std", c.obs_std}, {"kl_beta", c.kl_beta}, {"kl_balance", c.kl_balance}, {"free_nats", c.free_nats},
                                         {"image", c.image}, {"conv_filters", c.conv_filters}, {"relu", c.relu}}},
                              {"actor", mlp_sizes(actor)},
                              {"critic", mlp_sizes(critic)},
                              {"n_actions", n_actions}};
    write_file_atomic(dir + "/agent.json", j.dump(2) + "\n");
    auto& self = const_cast<WorldModelAgent&>(*this);  // agent_named() hands out pointers; saving only reads
    std::vector<std::pair<std::string, const Param*>> ps;
    for (auto& [n, p] : agent_named(self)) ps.push_back({n, p});
    save_checkpoint(dir + "/agent.ckpt", ps);
}

std::shared_ptr<AgentFn> load_agent(const std::string& dir, int& obs_dim) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_file(dir + "/agent.json"));
        if (j.value("kind", "") == "continuous") {
            auto a = ContinuousAgent::load(dir);
            obs_dim = a->obs_dim;
            return a;
        }
        if (j.value("kind", "") != "world_model") {
            auto a = MlpAgent::load(dir);
            obs_dim = a->obs_dim;
            return a;
        }
        const auto& m = j.at("model");
        WorldModelConfig c;
        c.obs_dim = m.at("obs_dim"), c.n_actions = m.at("n_actions"), c.hidden = m.at("hidden"), c.deter = m.at("deter");
        c.stoch = m.at("stoch"), c.embed = m.at("embed"), c.binary_obs = m.at("binary_obs"), c.obs_std = m.at("obs_std");
        c.kl_beta = m.at("kl_beta"), c.free_nats = m.at("free_nats"), c.kl_balance = m.value("kl_balance", 0.8f);
        c.image = m.value("image", std::vector<int>{}), c.conv_filters = m.value("conv_filters", 16);
        c.relu = m.value("relu", false);
        Rng rng(0);
        auto a = std::make_shared<WorldModelAgent>();
        a->n_actions = j.at("n_actions");
        a->model = WorldModel(c, rng);
        a->actor = Mlp(j.at("actor").get<std::vector<int>>(), Activation::Tanh, 1.0f, rng);
        a->critic = Mlp(j.at("critic").get<std::vector<int>>(), Activation::Tanh, 1.0f, rng);
        load_checkpoint(dir + "/agent.ckpt", agent_named(*a));
        obs_dim = c.obs_dim;
        return a;
    } catch (const nlohmann::json::exception& e) {
        throw CheckpointError(dir + "/agent.json is malformed: " + e.what());
    }
}

AgentFn::EpisodePolicy WorldModelAgent::greedy_player(std::shared_ptr<const AgentFn> self) const {
    auto agent = std::static_pointer_cast<const WorldModelAgent>(self);
    auto belief = std::make_shared<WorldModel::State>();
    auto last = std::make_shared<int32_t>(-1);
    return [agent, belief, last](const float* obs, int obs_dim, bool first) {
        Rng unused(0);
        const Eigen::Map<const Mat> o(obs, 1, obs_dim);
        if (first || belief->h.rows() == 0) agent->model.observe_first(*belief, o, unused, 0.0f);
        else agent->model.step_posterior(*belief, {*last}, o, unused, 0.0f);
        Mat logits;
        agent->actor.forward(agent->model.features(*belief), logits);
        Eigen::Index a;
        logits.row(0).maxCoeff(&a);
        *last = int32_t(a);
        return int(a);
    };
}

void WorldModelAgent::evaluate(const Mat& obs, Mat& value, Mat& action_values) const {
    Rng unused(0);
    WorldModel::State s;
    model.observe_first(s, obs, unused, 0.0f);
    const Mat f = model.features(s);
    Mat logits;
    actor.forward(f, logits);
    action_values = (logits.colwise() - logits.rowwise().maxCoeff()).array().exp().matrix();
    action_values.array().colwise() /= action_values.rowwise().sum().array();
    critic.forward(f, value);
}

}  // namespace dl::nn
