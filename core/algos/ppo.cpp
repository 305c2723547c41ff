// PPO — Proximal Policy Optimization (Schulman et al., 2017), read top to bottom like CleanRL's ppo.py.
//
//   repeat: collect num_steps × num_envs transitions with π_old
//           advantages by GAE(λ):  δ_t = r_t + γ V(s_{t+1}) − V(s_t),  A_t = δ_t + γλ A_{t+1}
//           for update_epochs, for each minibatch:
//             ratio = π(a|s) / π_old(a|s)
//             L_clip = −E[ min(ratio·A, clip(ratio, 1−ε, 1+ε)·A) ]     (or the KL-penalty variant)
//             L = L_clip − c_ent · entropy + c_v · ½ (V − R)²             (V optionally clipped)
//             Adam step after clipping the global gradient norm
// Every trick is a switch: advantage normalisation, value clipping, LR annealing, target-KL early stop.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/algos/registry.h"
#include "core/rl/arg_blocks.h"
#include "core/rl/mlp_agent.h"
#include "core/rl/continuous_agent.h"
#include "core/rl/rollout.h"
#include "base/pool.h"
#include "envs/vector_env.h"

namespace dl {

using namespace nn;

struct PpoArgs : Args<PpoArgs>, PolicyNetworkArgs {  // + the PolicyNetworkArgs block (core/rl/arg_blocks.h)
    int64_t total_timesteps = 150000;  // env steps over all envs
    double learning_rate = 2.5e-3;     // Adam step size (annealed to 0 if anneal_lr)
    int64_t num_envs = 8;              // parallel environments
    int64_t num_steps = 64;            // steps per env per rollout
    bool anneal_lr = true;             // linearly decay the learning rate to 0
    double gamma = 0.99;               // discount factor
    double gae_lambda = 0.95;          // λ of GAE (1 = Monte Carlo returns, 0 = one-step TD)
    int64_t num_minibatches = 4;       // minibatches per epoch
    int64_t update_epochs = 4;         // passes over each rollout
    bool norm_adv = true;              // normalise advantages per minibatch
    std::string loss = "clip";         // clip | kl_penalty
    double clip_coef = 0.2;            // ε of the clipped objective
    double kl_coef = 0.5;              // kl_penalty: initial β (adapted towards target_kl)
    bool clip_vloss = true;            // clip the value update like the policy's
    double ent_coef = 0.0;             // entropy bonus weight
    double vf_coef = 0.5;              // value-loss weight
    double max_grad_norm = 0.5;        // global gradient-norm clip
    double target_kl = 0.0;            // stop the epochs early above this approx-KL (0 = never; kl_penalty's target)
    bool bootstrap_truncated = true;   // add γ V(final obs) when a time limit (not a failure) ends an episode
    bool norm_reward = false;          // scale rewards by the running std of the discounted return

    void visit(ParamVisitor& v) override {
        v.integer("total_timesteps", total_timesteps, 1000, 100000000, "env steps in total (all envs)", Apply::Length);
        v.real("learning_rate", learning_rate, 1e-6, 1e-1, "Adam step size", Apply::Now, true);
        v.integer("num_envs", num_envs, 1, 256, "parallel environments", Apply::Restart);
        v.integer("num_steps", num_steps, 1, 4096, "steps per env in each rollout", Apply::Restart);
        v.flag("anneal_lr", anneal_lr, "decay the learning rate linearly to 0", Apply::Now);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("gae_lambda", gae_lambda, 0, 1, "λ of GAE: 0 = one-step TD, 1 = Monte Carlo", Apply::Now);
        v.integer("num_minibatches", num_minibatches, 1, 4096, "minibatches per epoch", Apply::Restart);
        v.integer("update_epochs", update_epochs, 1, 100, "passes over each rollout", Apply::Now);
        v.flag("norm_adv", norm_adv, "normalise advantages in each minibatch", Apply::Now);
        v.choice("loss", loss, {"clip", "kl_penalty"}, "clipped surrogate, or the adaptive KL-penalty variant", Apply::Now);
        v.real("clip_coef", clip_coef, 0, 1, "ε of the clipped objective", Apply::Now);
        v.real("kl_coef", kl_coef, 0, 100, "kl_penalty: initial β", Apply::Restart);
        v.flag("clip_vloss", clip_vloss, "clip value updates to ±clip_coef around the old values", Apply::Now);
        v.real("ent_coef", ent_coef, 0, 1, "weight of the entropy bonus", Apply::Now);
        v.real("vf_coef", vf_coef, 0, 10, "weight of the value loss", Apply::Now);
        v.real("max_grad_norm", max_grad_norm, 0.01, 100, "global gradient-norm clip", Apply::Now, true);
        v.real("target_kl", target_kl, 0, 1, "stop epochs early above this approx KL (0 = off; kl_penalty's target)",
               Apply::Now);
        v.flag("bootstrap_truncated", bootstrap_truncated, "bootstrap γV(s_final) when a time limit ends an episode",
               Apply::Now);
        v.flag("norm_reward", norm_reward, "divide rewards by the running std of the discounted return (VecNormalize)",
               Apply::Now);
        visit_network(v);  // hidden, network, conv_filters, threads
    }
    void check() const override {
        check_rollout_budget(total_timesteps, num_envs, num_steps);
        check_minibatches(num_minibatches, num_envs, num_steps);
    }
};

void run_ppo(PpoArgs& args, RunContext& ctx) {
    // --- seeding, envs, networks ---
    Rng rng(Rng::derive(ctx.seed(), 1));
    ThreadPool pool(int(args.threads));
    VectorEnv envs([&] { return ctx.new_env(); }, int(args.num_envs), args.threads > 1 ? &pool : nullptr);
    ctx.show_env(envs.env(0));  // the views follow sub-env 0
    const int N = envs.num_envs(), T = int(args.num_steps), D = envs.obs_dim(), H = int(args.hidden);
    // Discrete actions: a categorical over the actor's logits. Box actions: a diagonal Gaussian around the actor's
    // output with a learned log σ (CleanRL's ppo_continuous_action), clipped to the bounds in the env only.
    const bool box = envs.act_dim() > 0;
    const Space obs_space = envs.env(0).observation_space();
    auto agent = box ? MlpAgent::gaussian_actor_critic(obs_space, envs.act_dim(), H, rng, args.network, int(args.conv_filters))
                     : MlpAgent::actor_critic(obs_space, envs.num_actions(), H, rng, args.network, int(args.conv_filters));
    std::vector<Param*> params = agent->all_params();
    Adam adam;
    adam.params = params, adam.eps = 1e-5f;
    const ActionScale bounds = box ? ActionScale(envs.env(0).action_space()) : ActionScale();
    auto view = ctx.on_agent([&]() -> std::shared_ptr<const AgentFn> {
        if (box) return ContinuousAgent::gaussian(agent->actor, agent->log_std.value, agent->critic, bounds);
        return std::make_shared<MlpAgent>(*agent);
    });

    // --- rollout storage: T × N, flattened as t * N + i ---
    const int B = T * N;
    const size_t nb_ = static_cast<size_t>(B);
    Rollout ro(T, envs);
    std::vector<float> advantages(nb_), returns(nb_);
    ro.start(envs, ctx.seed());
    // Insides (core/rl/insides.h): GAE along the newest rollout's path, with the samples the clip silenced.
    std::vector<float> deltas(nb_), last_ratio(nb_, 1.0f), last_adv(nb_);
    InsideLayer gae;
    const int lake_states = envs.env(0).tabular() ? envs.env(0).tabular()->num_states() : 0;
    auto insides = ctx.on_insides([&](Insides& in) {
        if (!gae.path.empty()) in.layers = {gae};
    });

    const int64_t num_iterations = std::max<int64_t>(1, args.total_timesteps / B);
    Tape tapes[2];  // the policy's, the value's
    double kl_beta = args.kl_coef;
    int64_t iteration = 1;
    auto state = ctx.keep_state([&](StateIO& io) { io(iteration, rng, adam, envs, ro, kl_beta), io_params(io, params); });
    for (; iteration <= num_iterations; ++iteration) {
        ctx.checkpoint();  // the timeline's
        if (args.anneal_lr) adam.lr = float((1.0 - double(iteration - 1) / double(num_iterations)) * args.learning_rate);
        else adam.lr = float(args.learning_rate);

        // 1. Collect a rollout with the current policy.
        ro.norm_reward = args.norm_reward;
        if (!ro.collect(envs, *agent, ctx, rng, float(args.gamma), args.bootstrap_truncated)) return;
        const auto& values = ro.values;
        const auto& dones = ro.dones;

        // 2. --- GAE(λ): advantages backwards through the rollout, bootstrapped from V(next_obs) ---
        std::vector<float> lastgaelam(static_cast<size_t>(N), 0.0f);
        for (int t = T - 1; t >= 0; --t)
            for (int i = 0; i < N; ++i) {
                const int k = t * N + i;
                const float nonterminal = 1.0f - (t == T - 1 ? ro.next_done[size_t(i)] : dones[size_t(k + N)]);
                const float next_value = t == T - 1 ? ro.next_value(i, 0) : values[size_t(k + N)];
                const float delta = ro.rewards[size_t(k)] + float(args.gamma) * next_value * nonterminal - values[size_t(k)];
                deltas[size_t(k)] = delta;
                lastgaelam[size_t(i)] = delta + float(args.gamma * args.gae_lambda) * nonterminal * lastgaelam[size_t(i)];
                advantages[size_t(k)] = lastgaelam[size_t(i)];
                returns[size_t(k)] = advantages[size_t(k)] + values[size_t(k)];
            }

        // 3. Optimise the policy and value networks for update_epochs over shuffled minibatches.
        const int M = std::max(1, B / int(args.num_minibatches));
        std::vector<int> order(nb_);
        std::iota(order.begin(), order.end(), 0);
        double pg_sum = 0, v_sum = 0, ent_sum = 0, kl_sum = 0, old_kl_sum = 0, clipfrac_sum = 0, gn_sum = 0;
        int batches = 0;
        bool stop_early = false;
        Mat mb_obs(M, D), mb_act(M, ro.actions.cols()), mb_adv(M, 1), mb_ret(M, 1), mb_oldlogp(M, 1), mb_oldv(M, 1);
        for (int64_t epoch = 0; epoch < args.update_epochs && !stop_early; ++epoch) {
            for (int i = B - 1; i > 0; --i) std::swap(order[size_t(i)], order[rng.below(uint32_t(i + 1))]);
            for (int start = 0; start + M <= B; start += M) {
                for (int j = 0; j < M; ++j) {
                    const int k = order[size_t(start + j)];
                    mb_obs.row(j) = ro.obs.row(k);
                    mb_adv(j, 0) = advantages[size_t(k)], mb_ret(j, 0) = returns[size_t(k)];
                    mb_oldlogp(j, 0) = ro.logprobs[size_t(k)], mb_oldv(j, 0) = values[size_t(k)];
                    mb_act.row(j) = ro.actions.row(k);
                }
                if (args.norm_adv && M > 1) {
                    const float mean = mb_adv.mean();
                    const float sd = std::sqrt((mb_adv.array() - mean).square().sum() / float(M - 1));
                    mb_adv = ((mb_adv.array() - mean) / (sd + 1e-8f)).matrix();
                }

                // --- the PPO loss: the policy's terms on one tape, the value's on another. The actor and the critic
                //     share no parameter, so each gets the gradient the summed loss would give it; with threads=2
                //     they run side by side (the same numbers) ---
                Var logratio, ratio, approx_kl, pg_loss, entropy, v_loss;
                auto policy_side = [&](Tape& tape) {
                    Var x = tape.constant(mb_obs);
                    const PolicyTerms pi = policy_terms(tape, *agent, agent->actor(tape, x), mb_act);
                    logratio = sub(pi.log_prob, tape.constant(mb_oldlogp));
                    ratio = exp(logratio);
                    Var adv = tape.constant(mb_adv);
                    approx_kl = mean(sub(add_scalar(ratio, -1.0f), logratio));  // k3 estimator, ≥ 0
                    if (args.loss == "clip") {
                        const float c = float(args.clip_coef);
                        pg_loss = mean(maximum(scale(mul(adv, ratio), -1.0f), scale(mul(adv, clamp(ratio, 1 - c, 1 + c)), -1.0f)));
                    } else {
                        pg_loss = add(scale(mean(mul(adv, ratio)), -1.0f), scale(approx_kl, float(kl_beta)));
                    }
                    entropy = mean(pi.entropy);
                    tape.backward(sub(pg_loss, scale(entropy, float(args.ent_coef))));
                };
                auto value_side = [&](Tape& tape) {
                    Var x = tape.constant(mb_obs);
                    Var newv = agent->critic(tape, x);
                    Var ret = tape.constant(mb_ret);
                    if (args.clip_vloss) {
                        Var oldv = tape.constant(mb_oldv);
                        Var v_clipped = add(oldv, clamp(sub(newv, oldv), -float(args.clip_coef), float(args.clip_coef)));
                        v_loss = scale(mean(maximum(square(sub(newv, ret)), square(sub(v_clipped, ret)))), 0.5f);
                    } else {
                        v_loss = scale(mean(square(sub(newv, ret))), 0.5f);
                    }
                    tape.backward(scale(v_loss, float(args.vf_coef)));
                };
                zero_grad(params);
                tapes[0].reset(), tapes[1].reset();
                pool.parallel_for(2, [&](int b, int e) {
                    for (int i = b; i < e; ++i) i == 0 ? policy_side(tapes[0]) : value_side(tapes[1]);
                });
                gn_sum += clip_grad_norm(params, float(args.max_grad_norm));
                adam.step();

                // Diagnostics, as CleanRL logs them.
                const Mat& r = ratio.value();
                const Mat& lr = logratio.value();
                for (int j = 0; j < M; ++j)  // each sample's ratio and advantage at its last pass (the GAE overlay)
                    last_ratio[size_t(order[size_t(start + j)])] = r(j, 0), last_adv[size_t(order[size_t(start + j)])] = mb_adv(j, 0);
                old_kl_sum += double((-lr).mean());
                kl_sum += double(approx_kl.value()(0, 0));
                clipfrac_sum += double(((r.array() - 1.0f).abs() > float(args.clip_coef)).cast<float>().mean());
                pg_sum += double(pg_loss.value()(0, 0)), v_sum += double(v_loss.value()(0, 0));
                ent_sum += double(entropy.value()(0, 0));
                ++batches;
            }
            if (args.target_kl > 0 && args.loss == "clip" && kl_sum / std::max(1, batches) > args.target_kl) stop_early = true;
        }
        if (args.loss == "kl_penalty" && args.target_kl > 0) {  // adapt β towards the target KL
            const double kl = kl_sum / std::max(1, batches);
            if (kl > 1.5 * args.target_kl) kl_beta *= 2;
            else if (kl < args.target_kl / 1.5) kl_beta /= 2;
        }

        if (args.loss == "clip")
            gae = gae_path(ro, deltas, advantages, float(args.gamma), float(args.gae_lambda), lake_states, &last_ratio, &last_adv, float(args.clip_coef));
        else
            gae = gae_path(ro, deltas, advantages, float(args.gamma), float(args.gae_lambda), lake_states);

        // Explained variance of the value predictions over the rollout: 1 − Var[R − V] / Var[R].
        double mean_ret = 0, mean_err = 0;
        for (int k = 0; k < B; ++k) mean_ret += returns[size_t(k)], mean_err += returns[size_t(k)] - values[size_t(k)];
        mean_ret /= B, mean_err /= B;
        double var_ret = 0, var_err = 0;
        for (int k = 0; k < B; ++k) {
            const double e = returns[size_t(k)] - values[size_t(k)] - mean_err;
            var_ret += (returns[size_t(k)] - mean_ret) * (returns[size_t(k)] - mean_ret);
            var_err += e * e;
        }
        const double nb = std::max(1, batches);
        ctx.log("losses/policy", pg_sum / nb);
        ctx.log("losses/value", v_sum / nb);
        ctx.log("losses/entropy", ent_sum / nb);
        ctx.log("losses/approx_kl", kl_sum / nb);
        ctx.log("losses/old_approx_kl", old_kl_sum / nb);
        ctx.log("losses/clipfrac", clipfrac_sum / nb);
        ctx.log("losses/explained_variance", var_ret > 0 ? 1.0 - var_err / var_ret : 0.0);
        ctx.log("charts/learning_rate", adam.lr);
        ctx.log("charts/grad_norm", gn_sum / nb);
        if (args.loss == "kl_penalty") ctx.log("charts/kl_beta", kl_beta);
        if (box) ctx.log("charts/action_std", double(agent->log_std.value.array().exp().mean()));
        if (!ctx.tick(Tick::Update)) return;
    }
}

AlgoInfo ppo_info() {
    AlgoInfo info = make_algo_info<PpoArgs>("ppo", "PPO", "clipped policy optimisation with GAE over N parallel envs",
                                                    AlgoKind::Deep, run_ppo);
    info.box_actions = true;  // a diagonal Gaussian policy; and discrete actions
    return info;
}

}  // namespace dl
