// TRPO — trust region policy optimisation (Schulman et al., 2015), for discrete (categorical) and continuous
// (diagonal Gaussian, state-independent log σ) actions:
//
//   repeat:
//     collect num_steps from each of num_envs envs with the current policy; GAE(λ) advantages, normalised
//     g  = ∇θ L(θ) at θ_old,  L(θ) = mean(π_θ(a|s) / π_old(a|s) · Â)                the surrogate's gradient
//     x  ≈ F⁻¹ g by conjugate gradient on Fisher-vector products                      (core/nn/trust_region.h)
//     full step β x with β = sqrt(2δ / xᵀ F x): the largest step whose quadratic KL model equals δ = target_kl
//     line search: try θ_old + shrinkᵏ β x, k = 0, 1, …; accept the first that improves L and keeps the exact
//       mean KL(π_old ‖ π_θ) ≤ δ on the batch; if none does, keep θ_old
//     critic: value_epochs passes of Adam on ½ (V(s) − R)² over minibatches
// The natural gradient makes the step size a distance between policies (δ), not between parameters.
#include <algorithm>
#include <cmath>

#include "core/rl/arg_blocks.h"
#include "core/algos/registry.h"
#include "core/rl/mlp_agent.h"
#include "core/rl/continuous_agent.h"
#include "core/nn/trust_region.h"
#include "envs/vector_env.h"

namespace dl {

using namespace nn;

struct TrpoArgs : Args<TrpoArgs> {
    int64_t total_timesteps = 100000;  // env steps over all envs
    int64_t num_envs = 4;              // environments stepped together
    int64_t num_steps = 512;           // steps per env per iteration
    double gamma = 0.99;               // discount
    double gae_lambda = 0.95;          // λ of GAE
    double target_kl = 0.01;           // δ: the trust region's radius in mean KL
    int64_t cg_iters = 15;             // conjugate-gradient steps
    double cg_damping = 0.1;           // F + damping · I
    double line_search_shrink = 0.8;   // step fraction per backtrack
    int64_t line_search_max = 10;      // backtracks before giving up on an iteration
    double vf_lr = 1e-3;               // Adam step size of the critic
    int64_t value_epochs = 10;         // critic passes over each batch
    int64_t num_minibatches = 16;      // critic minibatches per pass
    int64_t hidden = 64;               // units in each of the two hidden layers (policy and critic)
    bool bootstrap_truncated = true;   // a time limit is not a failure: add γ V(last state)

    void visit(ParamVisitor& v) override {
        v.integer("total_timesteps", total_timesteps, 100, 100000000, "env steps in total", Apply::Length);
        v.integer("num_envs", num_envs, 1, 1024, "environments stepped together", Apply::Restart);
        v.integer("num_steps", num_steps, 8, 100000, "steps per env per iteration", Apply::Restart);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("gae_lambda", gae_lambda, 0, 1, "λ of GAE", Apply::Now);
        v.real("target_kl", target_kl, 1e-5, 1, "δ: the largest mean KL(old ‖ new) a step may take", Apply::Now, true);
        v.integer("cg_iters", cg_iters, 1, 100, "conjugate-gradient iterations for F x = g", Apply::Now);
        v.real("cg_damping", cg_damping, 0, 10, "damping added to the Fisher matrix", Apply::Now);
        v.real("line_search_shrink", line_search_shrink, 0.1, 0.99, "step fraction per backtrack", Apply::Now);
        v.integer("line_search_max", line_search_max, 1, 50, "backtracks before keeping the old policy", Apply::Now);
        v.real("vf_lr", vf_lr, 1e-6, 1, "critic step size (Adam)", Apply::Now, true);
        v.integer("value_epochs", value_epochs, 1, 100, "critic passes per batch", Apply::Now);
        v.integer("num_minibatches", num_minibatches, 1, 1024, "critic minibatches per pass", Apply::Now);
        v.integer("hidden", hidden, 4, 4096, "units per hidden layer", Apply::Restart);
        v.flag("bootstrap_truncated", bootstrap_truncated, "bootstrap from V at time limits", Apply::Now);
    }
    void check() const override {
        check_rollout_budget(total_timesteps, num_envs, num_steps);
        check_minibatches(num_minibatches, num_envs, num_steps);
    }
};

namespace {

// Without a tape (the line search): the log-probability of row b's action, and the mean KL(old ‖ current).
double log_prob_row(const Mat& out, const Mat& log_std, const Mat& act, int b, bool box) {
    if (!box) {
        const float m = out.row(b).maxCoeff();
        const double lse = m + std::log((out.row(b).array() - m).exp().sum());
        return out(b, int(act(b, 0))) - lse;
    }
    double lp = 0;
    for (int d = 0; d < out.cols(); ++d) {
        const double s = std::exp(double(log_std(0, d))), z = (act(b, d) - out(b, d)) / s;
        lp += -0.5 * z * z - log_std(0, d) - 0.9189385332046727;
    }
    return lp;
}
double mean_kl(const Mat& old_out, const Mat& old_ls, const Mat& out, const Mat& ls, bool box) {
    double kl = 0;
    const int B = int(out.rows());
    for (int b = 0; b < B; ++b) {
        if (!box) {
            auto logp = [&](const Mat& o) {
                const float m = o.row(b).maxCoeff();
                return (o.row(b).array() - m - std::log((o.row(b).array() - m).exp().sum())).matrix().eval();
            };
            const Mat lp_old = logp(old_out), lp_new = logp(out);
            kl += (lp_old.array().exp() * (lp_old - lp_new).array()).sum();
        } else {
            for (int d = 0; d < out.cols(); ++d) {
                const double so = std::exp(double(old_ls(0, d))), sn = std::exp(double(ls(0, d))), dm = old_out(b, d) - out(b, d);
                kl += std::log(sn / so) + (so * so + dm * dm) / (2 * sn * sn) - 0.5;
            }
        }
    }
    return kl / B;
}

}  // namespace

void run_trpo(TrpoArgs& args, RunContext& ctx) {
    // --- seeding, envs, networks: policy obs → logits or Gaussian means (+ a free log σ), critic obs → V ---
    Rng rng(Rng::derive(ctx.seed(), 1));
    const int N = int(args.num_envs), T = int(args.num_steps), H = int(args.hidden);
    VectorEnv envs([&] { return ctx.new_env(); }, N);
    ctx.show_env(envs.env(0));
    const bool box = envs.act_dim() > 0;
    const int D = envs.obs_dim(), K = box ? envs.act_dim() : envs.num_actions();
    Mlp policy({D, H, H, K}, Activation::Tanh, 0.01f, rng), critic({D, H, H, 1}, Activation::Tanh, 1.0f, rng);
    Param log_std;
    log_std.value = Mat::Zero(1, K), log_std.grad = Mat::Zero(1, K);
    std::vector<Param*> pi_params = policy.params();
    if (box) pi_params.push_back(&log_std);
    Adam vf_opt;
    vf_opt.params = critic.params();
    const ActionScale bounds = box ? ActionScale(envs.env(0).action_space()) : ActionScale();
    // What the views and `eval` read: an actor-critic MlpAgent (discrete), or a Gaussian ContinuousAgent whose
    // deterministic action is the mean clipped to the bounds, with V as its critic.
    auto view = ctx.on_agent([&]() -> std::shared_ptr<const AgentFn> {
        if (box) return ContinuousAgent::gaussian(policy, log_std.value, critic, bounds);
        auto a = std::make_shared<MlpAgent>();
        a->actor = policy, a->critic = critic, a->obs_dim = D, a->n_actions = K;
        return a;
    });

    const int B = N * T;
    Mat obs_buf(B, D), act_buf(B, box ? K : 1), logp_old(B, 1), rew(T, N), done(T, N), val(T + 1, N);
    std::vector<float> env_act(static_cast<size_t>(N * (box ? K : 1)));
    std::vector<int32_t> disc_act(static_cast<size_t>(N));
    envs.reset(ctx.seed());
    Mat obs = Eigen::Map<const Mat>(envs.obs(), N, D), out, v;
    Tape tape;
    const int64_t iterations = std::max<int64_t>(1, args.total_timesteps / B);
    int64_t it = 0;
    auto state = ctx.keep_state([&](StateIO& io) {  // the timeline's checkpoints
        io(it, rng, vf_opt, envs, obs, log_std.value), io_params(io, policy.params()), io_params(io, critic.params());
    });
    for (; it < iterations; ++it) {
        ctx.checkpoint();
        // 1. rollout: sample from the current policy (Gaussian actions are clipped to the bounds for the env only)
        for (int t = 0; t < T; ++t) {
            policy.forward(obs, out);
            critic.forward(obs, v);
            val.row(t) = v.transpose();
            for (int i = 0; i < N; ++i) {
                const int r = t * N + i;
                obs_buf.row(r) = obs.row(i);
                if (box) {
                    for (int d = 0; d < K; ++d) {
                        const float a = out(i, d) + std::exp(log_std.value(0, d)) * normal(rng);
                        act_buf(r, d) = a;
                        const float lo = bounds.bias(0, d) - bounds.scale(0, d), hi = bounds.bias(0, d) + bounds.scale(0, d);
                        env_act[size_t(i * K + d)] = std::clamp(a, lo, hi);
                    }
                } else {
                    disc_act[size_t(i)] = sample_categorical(out.row(i).data(), K, rng);
                    act_buf(r, 0) = float(disc_act[size_t(i)]);
                }
            }
            for (int i = 0; i < N; ++i) logp_old(t * N + i, 0) = float(log_prob_row(out, log_std.value, act_buf.middleRows(t * N, N), i, box));
            if (box) envs.step_box(env_act.data());
            else envs.step(disc_act.data());
            for (int i = 0; i < N; ++i) {
                rew(t, i) = envs.reward(i), done(t, i) = envs.terminated(i) || envs.truncated(i) ? 1.0f : 0.0f;
                if (envs.truncated(i) && !envs.terminated(i) && args.bootstrap_truncated) {
                    Mat last;
                    critic.forward(Eigen::Map<const Mat>(envs.final_obs() + size_t(i) * D, 1, D), last);
                    rew(t, i) += float(args.gamma) * last(0, 0);
                }
                if (envs.done(i)) {
                    ctx.log("return", envs.episode_return(i));
                    ctx.log("length", double(envs.episode_length(i)));
                    if (envs.env(i).defines_success()) ctx.log("success", envs.episode_success(i) ? 1.0 : 0.0);
                    if (!ctx.tick(Tick::Episode)) return;
                }
            }
            obs = Eigen::Map<const Mat>(envs.obs(), N, D);
            for (int i = 0; i < N; ++i)
                if (!ctx.tick(Tick::EnvStep)) return;
        }
        critic.forward(obs, v);
        val.row(T) = v.transpose();

        // 2. GAE(λ) advantages and returns, advantages normalised
        Mat adv(B, 1), ret(B, 1);
        Eigen::RowVectorXf last = Eigen::RowVectorXf::Zero(N);
        for (int t = T - 1; t >= 0; --t) {
            const Eigen::RowVectorXf nonterminal = (1.0f - done.row(t).array()).matrix();
            const Eigen::RowVectorXf delta =
                rew.row(t) + (float(args.gamma) * val.row(t + 1).array() * nonterminal.array()).matrix() - val.row(t);
            last = delta + (float(args.gamma * args.gae_lambda) * nonterminal.array() * last.array()).matrix();
            for (int i = 0; i < N; ++i) adv(t * N + i, 0) = last(i), ret(t * N + i, 0) = last(i) + val(t, i);
        }
        const float mu = adv.mean(), sd = std::sqrt((adv.array() - mu).square().mean()) + 1e-8f;
        const Mat adv_n = ((adv.array() - mu) / sd).matrix();

        // 3. the surrogate's gradient at θ_old
        tape.reset();
        zero_grad(pi_params);
        Var o = policy(tape, tape.constant(obs_buf));
        Var logp;
        if (box) logp = DiagGaussian(o, tape.param(log_std)).log_prob(tape.constant(act_buf));
        else {
            std::vector<int32_t> a(static_cast<size_t>(B));
            for (int r = 0; r < B; ++r) a[size_t(r)] = int32_t(act_buf(r, 0));
            logp = Categorical(o).log_prob(a);
        }
        Var surrogate = mean(mul(exp(sub(logp, tape.constant(logp_old))), tape.constant(adv_n)));
        tape.backward(surrogate);
        const Vec g = flatten_grads(pi_params);
        const bool finite = g.allFinite();  // a NaN policy gradient is reported (a headless run stops; the GUI pauses)
        if (!finite) report_non_finite("a policy gradient of NaN or infinity reached TRPO's conjugate gradient");
        const Mat old_out = o.value(), old_ls = log_std.value;
        const Vec theta_old = flatten_values(pi_params);

        // 4. natural gradient direction, the step that fills the trust region, and the line search
        PolicyFisher F{&policy, box ? &log_std : nullptr, obs_buf, float(args.cg_damping)};
        const Vec x = conjugate_gradient([&](const Vec& y) { return F(y); }, g, int(args.cg_iters));
        const float xFx = std::max(x.dot(F(x)), 1e-12f);
        const Vec full_step = std::sqrt(2 * float(args.target_kl) / xFx) * x;
        auto surrogate_at = [&](const Mat& out_new, const Mat& ls_new) {
            double s = 0;
            for (int r = 0; r < B; ++r) s += std::exp(log_prob_row(out_new, ls_new, act_buf, r, box) - logp_old(r, 0)) * adv_n(r, 0);
            return s / B;
        };
        const double L_old = surrogate_at(old_out, old_ls);
        double kl = 0, frac = 1, L_new = L_old;
        int accepted = 0;
        for (int k = 0; finite && k < args.line_search_max; ++k, frac *= args.line_search_shrink) {
            assign_values(theta_old + float(frac) * full_step, pi_params);
            Mat new_out;
            policy.forward(obs_buf, new_out);
            kl = mean_kl(old_out, old_ls, new_out, log_std.value, box);
            L_new = surrogate_at(new_out, log_std.value);
            if (kl <= args.target_kl && L_new > L_old) {
                accepted = k + 1;
                break;
            }
        }
        if (!accepted) assign_values(theta_old, pi_params), kl = 0, L_new = L_old;

        // 5. critic regression on the returns
        double vf_loss_sum = 0;
        const int mb = std::max(1, B / int(args.num_minibatches));
        std::vector<int> idx(static_cast<size_t>(B));
        for (int r = 0; r < B; ++r) idx[size_t(r)] = r;
        Mat mb_obs(mb, D), mb_ret(mb, 1);
        for (int64_t e = 0; e < args.value_epochs; ++e) {
            for (int r = B - 1; r > 0; --r) std::swap(idx[size_t(r)], idx[rng.below(uint32_t(r + 1))]);
            for (int start = 0; start + mb <= B; start += mb) {
                for (int j = 0; j < mb; ++j) mb_obs.row(j) = obs_buf.row(idx[size_t(start + j)]), mb_ret(j, 0) = ret(idx[size_t(start + j)], 0);
                tape.reset();
                zero_grad(vf_opt.params);
                Var vf_loss = scale(mean(square(sub(critic(tape, tape.constant(mb_obs)), tape.constant(mb_ret)))), 0.5f);
                tape.backward(vf_loss);
                vf_opt.lr = float(args.vf_lr);
                vf_opt.step();
                vf_loss_sum += vf_loss.value()(0, 0);
            }
        }

        ctx.log("losses/policy", -(L_new - L_old));
        ctx.log("losses/value", vf_loss_sum / double(args.value_epochs * (B / mb)));
        ctx.log("charts/kl", kl);
        ctx.log("charts/kl_bound", args.target_kl);
        ctx.log("charts/line_search_steps", double(accepted));
        if (box) ctx.log("charts/action_std", double(log_std.value.array().exp().mean()));
        if (!ctx.tick(Tick::Update)) return;
    }
}

AlgoInfo trpo_info() {
    AlgoInfo info = make_algo_info<TrpoArgs>("trpo", "TRPO",
                                             "trust region policy optimisation: natural gradient by conjugate gradient, KL-bounded line search",
                                             AlgoKind::Deep, run_trpo);
    info.box_actions = true;  // and discrete ones
    return info;
}

}  // namespace dl
