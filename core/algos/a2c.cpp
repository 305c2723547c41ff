// A2C — synchronous advantage actor-critic (Mnih et al., 2016, as in Stable-Baselines3's A2C).
//
//   N envs step in lockstep for num_steps; then ONE gradient step on
//       L = −E[ A_t · log π(a_t|s_t) ] + c_v · ½ (V(s_t) − R_t)² − c_ent · H[π(·|s_t)]
//   with R_t the n-step return bootstrapped from V(s_{t+n}) (gae_lambda = 1), or GAE(λ) for λ < 1.
#include <algorithm>
#include <cmath>

#include "core/algos/registry.h"
#include "core/rl/arg_blocks.h"
#include "core/rl/mlp_agent.h"
#include "core/rl/continuous_agent.h"
#include "core/rl/rollout.h"
#include "base/pool.h"
#include "envs/vector_env.h"

namespace dl {

using namespace nn;

struct A2cArgs : Args<A2cArgs>, PolicyNetworkArgs {  // + the PolicyNetworkArgs block (core/rl/arg_blocks.h)
    int64_t total_timesteps = 300000;  // env steps over all envs
    double learning_rate = 7e-4;       // optimiser step size
    std::string optimizer = "rmsprop"; // rmsprop (the paper's, SB3's) | adam
    int64_t num_envs = 8;              // parallel environments
    int64_t num_steps = 5;             // n: steps per env before each update
    double gamma = 0.99;               // discount factor
    double gae_lambda = 1.0;           // 1 = plain n-step returns; < 1 = GAE(λ)
    bool norm_adv = false;             // normalise advantages per update
    double ent_coef = 0.0;             // entropy bonus weight
    double vf_coef = 0.5;              // value-loss weight
    double max_grad_norm = 0.5;        // global gradient-norm clip
    bool bootstrap_truncated = true;   // add γ V(final obs) when a time limit ends an episode
    bool norm_reward = false;          // scale rewards by the running std of the discounted return

    void visit(ParamVisitor& v) override {
        v.integer("total_timesteps", total_timesteps, 1000, 100000000, "env steps in total (all envs)", Apply::Length);
        v.real("learning_rate", learning_rate, 1e-6, 1e-1, "optimiser step size", Apply::Now, true);
        v.choice("optimizer", optimizer, {"rmsprop", "adam"}, "RMSProp (as in the paper) or Adam", Apply::Restart);
        v.integer("num_envs", num_envs, 1, 256, "parallel environments", Apply::Restart);
        v.integer("num_steps", num_steps, 1, 1024, "n: steps per env between updates", Apply::Restart);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("gae_lambda", gae_lambda, 0, 1, "1 = n-step returns; below 1 = GAE(λ)", Apply::Now);
        v.flag("norm_adv", norm_adv, "normalise advantages in each update", Apply::Now);
        v.real("ent_coef", ent_coef, 0, 1, "weight of the entropy bonus", Apply::Now);
        v.real("vf_coef", vf_coef, 0, 10, "weight of the value loss", Apply::Now);
        v.real("max_grad_norm", max_grad_norm, 0.01, 100, "global gradient-norm clip", Apply::Now, true);
        v.flag("bootstrap_truncated", bootstrap_truncated, "bootstrap γV(s_final) when a time limit ends an episode",
               Apply::Now);
        v.flag("norm_reward", norm_reward, "divide rewards by the running std of the discounted return (VecNormalize)",
               Apply::Now);
        visit_network(v);  // hidden, network, conv_filters, threads
    }
    void check() const override {
        check_rollout_budget(total_timesteps, num_envs, num_steps);
    }
};

void run_a2c(A2cArgs& args, RunContext& ctx) {
    Rng rng(Rng::derive(ctx.seed(), 1));
    ThreadPool pool(int(args.threads));
    VectorEnv envs([&] { return ctx.new_env(); }, int(args.num_envs), args.threads > 1 ? &pool : nullptr);
    ctx.show_env(envs.env(0));
    const int N = envs.num_envs(), T = int(args.num_steps), H = int(args.hidden);
    // Discrete actions: a categorical over the actor's logits; Box actions: a diagonal Gaussian with a learned log σ.
    const bool box = envs.act_dim() > 0;
    const Space obs_space = envs.env(0).observation_space();
    auto agent = box ? MlpAgent::gaussian_actor_critic(obs_space, envs.act_dim(), H, rng, args.network, int(args.conv_filters))
                     : MlpAgent::actor_critic(obs_space, envs.num_actions(), H, rng, args.network, int(args.conv_filters));
    std::vector<Param*> params = agent->all_params();
    Adam adam;
    RmsProp rms;
    adam.params = rms.params = params;
    rms.alpha = 0.99f, rms.eps = 1e-5f;
    const ActionScale bounds = box ? ActionScale(envs.env(0).action_space()) : ActionScale();
    auto view = ctx.on_agent([&]() -> std::shared_ptr<const AgentFn> {
        if (box) return ContinuousAgent::gaussian(agent->actor, agent->log_std.value, agent->critic, bounds);
        return std::make_shared<MlpAgent>(*agent);
    });

    const int B = T * N;
    Rollout ro(T, envs);
    std::vector<float> advantages(static_cast<size_t>(B)), returns(static_cast<size_t>(B));
    Mat b_adv(B, 1), b_ret(B, 1);
    ro.start(envs, ctx.seed());
    // Insides (core/rl/insides.h): GAE (or the n-step advantage, λ = 1) along the newest rollout's path.
    std::vector<float> deltas(static_cast<size_t>(B));
    InsideLayer gae;
    const int lake_states = envs.env(0).tabular() ? envs.env(0).tabular()->num_states() : 0;
    auto insides = ctx.on_insides([&](Insides& in) {
        if (!gae.path.empty()) in.layers = {gae};
    });
    Tape tape;
    const int64_t num_updates = std::max<int64_t>(1, args.total_timesteps / B);
    double pg_sum = 0, v_sum = 0, ent_sum = 0, gn_sum = 0;
    int64_t update = 1;
    auto state = ctx.keep_state([&](StateIO& io) {  // the timeline's checkpoints
        io(update, rng, adam, rms, envs, ro, pg_sum, v_sum, ent_sum, gn_sum);
        io_params(io, params);
    });
    for (; update <= num_updates; ++update) {
        ctx.checkpoint();
        ro.norm_reward = args.norm_reward;
        if (!ro.collect(envs, *agent, ctx, rng, float(args.gamma), args.bootstrap_truncated)) return;

        // --- returns: n-step (λ = 1) or GAE(λ), bootstrapped from V(s_{t+n}) ---
        std::vector<float> lastgaelam(static_cast<size_t>(N), 0.0f);
        for (int t = T - 1; t >= 0; --t)
            for (int i = 0; i < N; ++i) {
                const int k = t * N + i;
                const float nonterminal = 1.0f - (t == T - 1 ? ro.next_done[size_t(i)] : ro.dones[size_t(k + N)]);
                const float next_value = t == T - 1 ? ro.next_value(i, 0) : ro.values[size_t(k + N)];
                const float delta = ro.rewards[size_t(k)] + float(args.gamma) * next_value * nonterminal - ro.values[size_t(k)];
                deltas[size_t(k)] = delta;
                lastgaelam[size_t(i)] = delta + float(args.gamma * args.gae_lambda) * nonterminal * lastgaelam[size_t(i)];
                advantages[size_t(k)] = lastgaelam[size_t(i)];
                returns[size_t(k)] = advantages[size_t(k)] + ro.values[size_t(k)];
            }
        gae = gae_path(ro, deltas, advantages, float(args.gamma), float(args.gae_lambda), lake_states);
        for (int k = 0; k < B; ++k) b_adv(k, 0) = advantages[size_t(k)], b_ret(k, 0) = returns[size_t(k)];
        if (args.norm_adv && B > 1) {
            const float mean = b_adv.mean();
            const float sd = std::sqrt((b_adv.array() - mean).square().sum() / float(B - 1));
            b_adv = ((b_adv.array() - mean) / (sd + 1e-8f)).matrix();
        }

        // --- one gradient step on the whole batch ---
        tape.reset();
        zero_grad(params);
        Var x = tape.constant(ro.obs);
        const PolicyTerms pi = policy_terms(tape, *agent, agent->actor(tape, x), ro.actions);
        Var pg_loss = scale(mean(mul(tape.constant(b_adv), pi.log_prob)), -1.0f);
        Var v_loss = scale(mean(square(sub(agent->critic(tape, x), tape.constant(b_ret)))), 0.5f);
        Var entropy = mean(pi.entropy);
        Var loss = add(sub(pg_loss, scale(entropy, float(args.ent_coef))), scale(v_loss, float(args.vf_coef)));
        tape.backward(loss);
        gn_sum += clip_grad_norm(params, float(args.max_grad_norm));
        if (args.optimizer == "adam") adam.lr = float(args.learning_rate), adam.step();
        else rms.lr = float(args.learning_rate), rms.step();
        pg_sum += double(pg_loss.value()(0, 0)), v_sum += double(v_loss.value()(0, 0)), ent_sum += double(entropy.value()(0, 0));

        if (update % 20 == 0) {  // log every 20 updates (each is small)
            ctx.log("losses/policy", pg_sum / 20);
            ctx.log("losses/value", v_sum / 20);
            ctx.log("losses/entropy", ent_sum / 20);
            ctx.log("charts/grad_norm", gn_sum / 20);
            ctx.log("charts/learning_rate", args.learning_rate);
            if (box) ctx.log("charts/action_std", double(agent->log_std.value.array().exp().mean()));
            pg_sum = v_sum = ent_sum = gn_sum = 0;
            if (!ctx.tick(Tick::Update)) return;
        }
    }
}

AlgoInfo a2c_info() {
    AlgoInfo info = make_algo_info<A2cArgs>("a2c", "A2C", "synchronous advantage actor-critic: N envs, n-step returns or GAE",
                                                    AlgoKind::Deep, run_a2c);
    info.box_actions = true;  // a diagonal Gaussian policy; and discrete actions
    return info;
}

}  // namespace dl
