#include "core/nn/world_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dl::nn {

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

int64_t WorldModel::param_count(const WorldModelConfig& cfg) {
    // The constructor's networks, counted without building them (a test holds the two together).
    const int64_t F = int64_t(cfg.deter) + cfg.stoch, in = int64_t(cfg.stoch) + cfg.n_actions, D = cfg.deter;
    int64_t n = 0;
    if (cfg.image.empty()) {
        n += mlp_param_count({cfg.obs_dim, cfg.hidden, cfg.embed});
    } else {
        const ConvShape s{cfg.image[0], cfg.image[1], cfg.image[2], 3, 1, 0};
        n += int64_t(s.k) * s.k * s.C * cfg.conv_filters + cfg.conv_filters;
        n += mlp_param_count({s.out_h() * s.out_w() * cfg.conv_filters, cfg.hidden, cfg.embed});
    }
    n += 3 * (in * D + D) + 3 * D * D;  // the GRU: input weights and biases of 3 gates, recurrent weights
    n += mlp_param_count({cfg.deter, cfg.hidden, 2 * cfg.stoch}) + mlp_param_count({cfg.deter + cfg.embed, cfg.hidden, 2 * cfg.stoch});
    n += mlp_param_count({int(F), cfg.hidden, cfg.hidden, cfg.obs_dim}) + 2 * mlp_param_count({int(F), cfg.hidden, 1});
    return n;
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
void sample_z(const Mat& stats, int S, const Mat& noise, float temperature, Mat& z) {
    const Mat std = softplus_plus_min(stats.rightCols(S));
    z = stats.leftCols(S) + temperature * std.cwiseProduct(noise);
}
void sample_z(const Mat& stats, int S, Rng& rng, float temperature, Mat& z) {
    sample_z(stats, S, randn(int(stats.rows()), S, rng), temperature, z);
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
    step_prior(s, action, randn(int(s.h.rows()), cfg_.stoch, rng), temperature);  // the step's only draws
}

void WorldModel::step_prior(State& s, const std::vector<int32_t>& action, const Mat& noise, float temperature) const {
    if (noise.rows() != s.h.rows() || noise.cols() != cfg_.stoch)
        throw std::invalid_argument("WorldModel::step_prior: noise must be rows × stoch");
    advance(*this, s, action_one_hot(action));
    Mat stats;
    prior.forward(s.h, stats);
    sample_z(stats, cfg_.stoch, noise, temperature, s.z);
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

std::vector<std::pair<std::string, Param*>> named_params(WorldModel& m) {
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

void WorldModel::save(const std::string& path) const {
    auto& self = const_cast<WorldModel&>(*this);  // named() hands out pointers; saving only reads through them
    std::vector<std::pair<std::string, const Param*>> c;
    for (auto& [n, p] : named_params(self)) c.push_back({n, p});
    save_checkpoint(path, c);
}

void WorldModel::load(const std::string& path) { load_checkpoint(path, named_params(*this)); }

}  // namespace dl::nn
