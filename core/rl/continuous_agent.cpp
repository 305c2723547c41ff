#include "core/rl/continuous_agent.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/json.h"
#include "envs/vector_env.h"

namespace dl::nn {

void polyak_update(const std::vector<Param*>& target, const std::vector<Param*>& online, float tau) {
    for (size_t i = 0; i < online.size(); ++i) target[i]->value = tau * online[i]->value + (1 - tau) * target[i]->value;
}

template <class Fn>
void TwinCritics::both(Fn&& fn) {
    if (pool_ && pool_->size() > 1) {
        pool_->parallel_for(2, [&](int b, int e) {
            for (int i = b; i < e; ++i) fn(i);
        });
    } else {
        fn(0), fn(1);
    }
}

void TwinCritics::forward(const Mlp& q1, const Mlp& q2, const Mat& x, Mat& y1, Mat& y2) {
    both([&](int i) { (i == 0 ? q1 : q2).forward(x, i == 0 ? y1 : y2); });
}

float TwinCritics::regress(Mlp& q1, Mlp& q2, const Mat& sa, const Mat& y, float& q1_mean) {
    both([&](int i) {
        Mlp& q = i == 0 ? q1 : q2;
        Tape& t = tape_[i];
        t.reset();
        zero_grad(q.params());
        Var out = q(t, t.constant(sa));
        Var loss = mean(square(sub(out, t.constant(y))));
        t.backward(loss);
        loss_[i] = loss.value()(0, 0), mean_[i] = out.value().mean();
    });
    q1_mean = mean_[0];
    return loss_[0] + loss_[1];
}

ActionScale::ActionScale(const Space& box) : scale(1, int(box.low.size())), bias(1, int(box.low.size())) {
    for (size_t i = 0; i < box.low.size(); ++i) {
        scale(0, Eigen::Index(i)) = (box.high[i] - box.low[i]) / 2;
        bias(0, Eigen::Index(i)) = (box.high[i] + box.low[i]) / 2;
    }
}

ActionNoise::ActionNoise(const std::string& type, int act_dim) : ou_(type == "ou"), x_(size_t(act_dim), 0.0f) {
    if (type != "ou" && type != "gaussian") throw ParamError("noise_type=" + type + " is not allowed: expected gaussian or ou");
}

float ActionNoise::sample(int d, float sigma, Rng& rng) {
    if (!ou_) return sigma * normal(rng);
    float& x = x_[size_t(d)];
    x += -kTheta * x * kDt + sigma * std::sqrt(kDt) * normal(rng);
    return x;
}

void ActionNoise::reset() { std::fill(x_.begin(), x_.end(), 0.0f); }

float ActionNoise::spread(float sigma) const {
    // Var = σ² dt / (1 − (1 − θ dt)²) for the discrete process, ≈ σ² / 2θ.
    if (!ou_) return sigma;
    const float a = 1 - kTheta * kDt;
    return sigma * std::sqrt(kDt / (1 - a * a));
}

OffPolicyEnv::OffPolicyEnv(RunContext& ctx, int64_t buffer_size)
    : ctx_(ctx), envs_(std::make_unique<VectorEnv>([&] { return ctx.new_env(); }, 1)), D_(envs_->obs_dim()),
      A_(envs_->act_dim()), bounds_(envs_->env(0).action_space()), buffer_(D_, A_, buffer_size),
      env_action_(static_cast<size_t>(A_)) {
    ctx.show_env(envs_->env(0));
    envs_->reset(ctx.seed());
    obs_ = Eigen::Map<const Mat>(envs_->obs(), 1, D_);
}

void OffPolicyEnv::io_state(StateIO& io) { io.section("off_policy_env"), io(*envs_, buffer_, obs_, ended_); }

OffPolicyEnv::~OffPolicyEnv() = default;

bool OffPolicyEnv::step(const float* action) {
    for (int i = 0; i < A_; ++i) env_action_[size_t(i)] = bounds_.bias(0, i) + bounds_.scale(0, i) * action[i];
    envs_->step_box(env_action_.data());
    const bool done = envs_->done(0);
    ended_ = done;
    buffer_.add(obs_.data(), action, envs_->reward(0), done ? envs_->final_obs() : envs_->obs(), envs_->terminated(0));
    obs_ = Eigen::Map<const Mat>(envs_->obs(), 1, D_);
    if (!ctx_.tick(Tick::EnvStep)) return false;
    if (done) {
        ctx_.log("return", envs_->episode_return(0));
        ctx_.log("length", double(envs_->episode_length(0)));
        if (envs_->env(0).defines_success()) ctx_.log("success", envs_->episode_success(0) ? 1.0 : 0.0);
        if (!ctx_.tick(Tick::Episode)) return false;
    }
    return true;
}

Mat ContinuousAgent::deterministic(const Mat& obs) const {
    Mat out;
    actor.forward(obs, out);
    if (squash) return out.leftCols(act_dim).array().tanh().matrix();
    Mat a = out.leftCols(act_dim);  // env units → [−1, 1], clipped to the bounds
    for (int d = 0; d < act_dim; ++d)
        a.col(d) = ((a.col(d).array() - bounds.bias(0, d)) / bounds.scale(0, d)).cwiseMax(-1.0f).cwiseMin(1.0f).matrix();
    return a;
}

std::shared_ptr<ContinuousAgent> ContinuousAgent::gaussian(const Mlp& actor, const Mat& log_std, const Mlp& value,
                                                          const ActionScale& bounds) {
    auto a = std::make_shared<ContinuousAgent>();
    a->actor = actor, a->value = value, a->log_std = log_std, a->squash = false, a->bounds = bounds;
    a->obs_dim = actor.in_dim(), a->act_dim = int(log_std.cols());
    return a;
}

ActionDensity ContinuousAgent::density(const float* obs, int d) const {
    Mat out;
    actor.forward(Eigen::Map<const Mat>(obs, 1, obs_dim), out);
    ActionDensity p;
    p.scale = bounds.scale(0, d), p.bias = bounds.bias(0, d), p.lo = p.bias - p.scale, p.hi = p.bias + p.scale;
    if (!squash) {  // a Gaussian in env units, clipped
        p.mean = out(0, d), p.std = log_std.size() ? std::exp(log_std(0, d)) : 0.0f;
    } else if (stochastic) {  // SAC's tanh-Gaussian
        p.kind = ActionDensity::Squashed;
        p.mean = out(0, d);
        p.std = std::exp(kLogStdMin + (kLogStdMax - kLogStdMin) * 0.5f * (std::tanh(out(0, act_dim + d)) + 1.0f));
    } else {  // a deterministic tanh action with Gaussian acting noise, clipped to [−1, 1]
        p.mean = p.bias + p.scale * std::tanh(out(0, d)), p.std = p.scale * explore_std;
    }
    return p;
}



void ContinuousAgent::act_continuous(const float* obs, int dim, float* action) const {
    const Mat a = deterministic(Eigen::Map<const Mat>(obs, 1, dim));
    for (int i = 0; i < act_dim; ++i) action[i] = bounds.bias(0, i) + bounds.scale(0, i) * a(0, i);
}

Mat ContinuousAgent::q_values(const Mat& obs, const Mat& action) const {
    Mat in(obs.rows(), obs.cols() + action.cols()), a, b;
    in << obs, action;
    q1.forward(in, a);
    if (q2.layers.empty()) b = a;  // one critic (DDPG)
    else q2.forward(in, b);
    Mat out(obs.rows(), 2);
    out << a, b;
    return out;
}

void ContinuousAgent::evaluate(const Mat& obs, Mat& v, Mat& action_values) const {
    if (q1.layers.empty()) value.forward(obs, v);
    else v = q_values(obs, deterministic(obs)).rowwise().minCoeff();
    action_values.resize(obs.rows(), 0);
}

namespace {
std::vector<int> sizes_of(const Mlp& m) {
    if (m.layers.empty()) return {};
    std::vector<int> v = {m.in_dim()};
    for (const Linear& l : m.layers) v.push_back(int(l.W.value.cols()));
    return v;
}
std::vector<std::pair<std::string, Param*>> named(ContinuousAgent& a) {
    std::vector<std::pair<std::string, Param*>> v;
    // Empty networks (DDPG's q2, TRPO's q1 and q2, the others' value) have no parameters.
    const std::pair<const char*, Mlp*> nets[] = {{"actor", &a.actor}, {"q1", &a.q1}, {"q2", &a.q2}, {"value", &a.value}};
    for (auto [name, m] : nets) {
        int i = 0;
        for (Param* p : m->params()) v.push_back({std::string(name) + "." + std::to_string(i++), p});
    }
    return v;
}
// The checkpoint holds Params; log σ is a plain matrix on the agent.
Param as_param(const Mat& m) {
    Param p;
    p.value = m;
    return p;
}
std::vector<float> row(const Mat& m) { return std::vector<float>(m.data(), m.data() + m.size()); }
}  // namespace

void ContinuousAgent::save(const std::string& dir, const EnvSignature& env) const {
    const nlohmann::json j = {{"format", "dreamlab-agent-1"},     {"kind", "continuous"},
                              {"env", to_json(env)},
                              {"obs_dim", obs_dim},               {"act_dim", act_dim},
                              {"stochastic", stochastic},         {"activation", actor.act == Activation::Tanh ? "tanh" : "relu"},
                              {"actor", sizes_of(actor)},         {"q1", sizes_of(q1)},
                              {"q2", sizes_of(q2)},               {"value", sizes_of(value)},
                              {"squash", squash},                 {"action_scale", row(bounds.scale)},
                              {"action_bias", row(bounds.bias)},  {"gaussian_log_std", log_std.size() > 0},
                              {"explore_std", explore_std}};
    write_file_atomic(dir + "/agent.json", j.dump(2) + "\n");
    auto& self = const_cast<ContinuousAgent&>(*this);  // named() hands out pointers; saving only reads through them
    std::vector<std::pair<std::string, const Param*>> c;
    for (auto& [n, p] : named(self)) c.push_back({n, p});
    const Param ls = as_param(log_std);
    if (log_std.size()) c.push_back({"log_std", &ls});
    save_checkpoint(dir + "/agent.ckpt", c);
}

std::shared_ptr<ContinuousAgent> ContinuousAgent::load(const std::string& dir) {
    const std::string file = dir + "/agent.json";
    const Checkpoint ckpt = read_checkpoint(dir + "/agent.ckpt");  // checked; its size bounds what we may build
    auto a = std::make_shared<ContinuousAgent>();
    Param ls;
    bool gaussian_log_std = false;
    try {
        const nlohmann::json j = read_json_file(file, size_t(1) << 20);
        const JsonFields f(j, file);
        f.only({"format", "kind", "env", "obs_dim", "act_dim", "stochastic", "activation", "actor", "q1", "q2", "value", "squash",
                "action_scale", "action_bias", "gaussian_log_std", "explore_std"});
        constexpr int kMaxWidth = 1 << 20;
        const Activation act = f.choice("activation", {"tanh", "relu"}) == "tanh" ? Activation::Tanh : Activation::Relu;
        a->obs_dim = int(f.integer("obs_dim", 1, kMaxWidth));
        a->act_dim = int(f.integer("act_dim", 1, 64));
        a->stochastic = f.flag("stochastic");
        a->squash = f.flag("squash", true);
        gaussian_log_std = f.flag("gaussian_log_std", false);
        a->explore_std = float(f.number("explore_std", 0.0, 100.0, 0.0));
        const int A = a->act_dim, D = a->obs_dim;
        // Every network's sizes, and how they meet the observation and the action.
        const std::vector<int> actor = f.ints("actor", 2, 16, 1, kMaxWidth);
        const int actor_out = a->squash && a->stochastic ? 2 * A : A;
        if (actor[0] != D)
            throw ParamError(f.name("actor") + "[0] = " + std::to_string(actor[0]) + " does not read obs_dim = " + std::to_string(D) + " numbers");
        if (actor.back() != actor_out)
            f.fail("actor", "ends in " + std::to_string(actor.back()) + " outputs; with act_dim = " + std::to_string(A) + " it needs " +
                                std::to_string(actor_out));
        auto critic = [&](const char* key, int in) {
            if (!f.has(key) || f.at(key).empty()) return std::vector<int>{};
            const std::vector<int> v = f.ints(key, 2, 16, 1, kMaxWidth);
            if (v[0] != in || v.back() != 1)
                f.fail(key, "must read " + std::to_string(in) + " numbers and output 1 (it is " + std::to_string(v[0]) + " → " +
                                std::to_string(v.back()) + ")");
            return v;
        };
        const std::vector<int> q1 = critic("q1", D + A), q2 = critic("q2", D + A), value = critic("value", D);
        if (gaussian_log_std && a->squash) f.fail("gaussian_log_std", "= true needs squash = false (a Gaussian in the env's units)");
        const std::vector<double> sc = f.numbers("action_scale", size_t(A), size_t(A), 1e-30, 1e30);
        const std::vector<double> bi = f.numbers("action_bias", size_t(A), size_t(A), -1e30, 1e30);
        const int64_t declared = mlp_param_count(actor) + mlp_param_count(q1) + mlp_param_count(q2) + mlp_param_count(value) +
                                 (gaussian_log_std ? A : 0);
        if (declared != ckpt.floats)
            throw CheckpointError(file + ": the networks it declares hold " + std::to_string(declared) + " parameters; " + ckpt.path +
                                  " holds " + std::to_string(ckpt.floats));
        // Only now, with every size checked against the checkpoint, is anything built.
        Rng rng(0);
        a->actor = Mlp(actor, act, 1.0f, rng);
        a->q1 = q1.empty() ? Mlp() : Mlp(q1, act, 1.0f, rng);
        a->q2 = q2.empty() ? Mlp() : Mlp(q2, act, 1.0f, rng);
        a->value = value.empty() ? Mlp() : Mlp(value, act, 1.0f, rng);
        a->bounds.scale = Mat(1, A), a->bounds.bias = Mat(1, A);
        for (int d = 0; d < A; ++d) a->bounds.scale(0, d) = float(sc[size_t(d)]), a->bounds.bias(0, d) = float(bi[size_t(d)]);
    } catch (const ParamError& e) {
        throw CheckpointError(e.what());
    }
    auto params = named(*a);
    ls = as_param(Mat::Zero(1, a->act_dim));
    if (gaussian_log_std) params.push_back({"log_std", &ls});
    load_checkpoint(ckpt, params);
    if (gaussian_log_std) a->log_std = ls.value;
    return a;
}

}  // namespace dl::nn
