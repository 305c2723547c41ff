// REINFORCE — Monte Carlo policy gradient (Williams, 1992). Sutton & Barto, 2nd ed., section 13.3–13.4.
//
//   play whole episodes with π_θ; for each step t:  G_t = Σ_{k≥t} γ^{k−t} r_{k+1}   (reward-to-go)
//   θ ← θ + α Σ_t γ^t (G_t − b(s_t)) ∇ log π(a_t|s_t)
// Switches: reward-to-go (else the whole return G_0 for every step), the γ^t weighting of the textbook,
// and a learned value baseline b(s) = V_w(s) fitted to G_t.
#include <algorithm>
#include <cmath>

#include "core/algos/registry.h"
#include "core/rl/mlp_agent.h"

namespace dl {

using namespace nn;

struct ReinforceArgs : Args<ReinforceArgs> {
    int64_t episodes = 1000;          // training episodes
    int64_t episodes_per_update = 4;  // episodes averaged into one gradient step
    double learning_rate = 5e-3;      // Adam step size of the policy
    double baseline_lr = 1e-2;        // Adam step size of the value baseline
    double gamma = 0.99;              // discount factor
    bool reward_to_go = true;         // weight log π(a_t|s_t) by G_t, not G_0
    bool gamma_t = false;             // the textbook's extra γ^t factor
    bool baseline = true;             // subtract a learned V(s_t)
    bool norm_returns = false;        // standardise the weights in each update
    int64_t hidden = 64;              // units per hidden layer (two tanh layers)

    void visit(ParamVisitor& v) override {
        v.integer("episodes", episodes, 1, 10000000, "number of training episodes", Apply::Now);
        v.integer("episodes_per_update", episodes_per_update, 1, 1000, "episodes per gradient step", Apply::Now);
        v.real("learning_rate", learning_rate, 1e-6, 1, "policy step size (Adam)", Apply::Now, true);
        v.real("baseline_lr", baseline_lr, 1e-6, 1, "baseline step size (Adam)", Apply::Now, true);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.flag("reward_to_go", reward_to_go, "weight each step by the return that follows it", Apply::Now);
        v.flag("gamma_t", gamma_t, "multiply step t by γ^t as in the textbook", Apply::Now);
        v.flag("baseline", baseline, "subtract a learned state value", Apply::Now);
        v.flag("norm_returns", norm_returns, "standardise the weights in each update", Apply::Now);
        v.integer("hidden", hidden, 4, 1024, "units per hidden layer", Apply::Restart);
    }
};

void run_reinforce(ReinforceArgs& args, RunContext& ctx) {
    Rng rng(Rng::derive(ctx.seed(), 1));
    Env& env = ctx.make_env();
    const int D = env.obs_dim(), A = env.action_space().n, H = int(args.hidden);
    auto agent = MlpAgent::actor_critic(D, A, H, rng);
    Adam policy_opt, value_opt;
    policy_opt.params = agent->actor.params(), value_opt.params = agent->critic.params();
    auto view = ctx.on_agent([&] { return std::make_shared<MlpAgent>(*agent); });

    std::vector<float> o(static_cast<size_t>(D));
    std::vector<float> b_obs, b_weight_src, b_gt;  // flattened batch: observations, G-weights, γ^t
    std::vector<int32_t> b_act;
    Mat logits, tmp;
    Tape tape;
    int64_t in_batch = 0, episode = 0;
    auto state = ctx.keep_state([&](StateIO& io) {  // the timeline's checkpoints
        io(episode, rng, policy_opt, value_opt, env, b_obs, b_weight_src, b_gt, b_act, in_batch);
        io_params(io, agent->all_params());
    });
    for (; episode < args.episodes; ++episode) {
        ctx.checkpoint();
        // 1. Play one episode with the current policy.
        env.reset_into(episode == 0 ? std::optional<uint64_t>(ctx.seed()) : std::nullopt, o.data());
        std::vector<float> rewards;
        for (bool done = false; !done;) {
            agent->actor.forward(Eigen::Map<const Mat>(o.data(), 1, D), logits);
            const int a = sample_categorical(logits.data(), A, rng);
            b_obs.insert(b_obs.end(), o.begin(), o.end());
            b_act.push_back(a);
            const StepFlags r = env.step_into(a, o.data());
            rewards.push_back(float(r.reward));
            done = r.terminated || r.truncated;
            if (!ctx.tick(Tick::EnvStep)) return;
        }
        // 2. --- returns: reward-to-go G_t (or G_0 everywhere), with the optional γ^t factor ---
        std::vector<float> G(rewards.size());
        float g = 0;
        for (size_t t = rewards.size(); t-- > 0;) G[t] = g = rewards[t] + float(args.gamma) * g;
        float disc = 1;
        for (size_t t = 0; t < rewards.size(); ++t, disc *= float(args.gamma)) {
            b_weight_src.push_back(args.reward_to_go ? G[t] : G[0]);
            b_gt.push_back(args.gamma_t ? disc : 1.0f);
        }
        double ret = 0;
        for (float r : rewards) ret += r;
        ctx.log("return", ret);
        ctx.log("length", double(rewards.size()));
        if (env.defines_success()) ctx.log("success", env.last_success() ? 1.0 : 0.0);
        if (!ctx.tick(Tick::Episode)) return;
        if (++in_batch < args.episodes_per_update) continue;

        // 3. --- the policy-gradient step (and the baseline's regression to G_t) ---
        const int n = int(b_act.size());
        const Mat X = Eigen::Map<const Mat>(b_obs.data(), n, D);
        Mat w(n, 1), target(n, 1);
        agent->critic.forward(X, tmp);
        for (int k = 0; k < n; ++k) {
            target(k, 0) = b_weight_src[size_t(k)];
            w(k, 0) = b_weight_src[size_t(k)] - (args.baseline ? tmp(k, 0) : 0.0f);
        }
        if (args.norm_returns && n > 1) {
            const float m = w.mean(), sd = std::sqrt((w.array() - m).square().mean());
            w = ((w.array() - m) / (sd + 1e-8f)).matrix();
        }
        for (int k = 0; k < n; ++k) w(k, 0) *= b_gt[size_t(k)];
        tape.reset();
        zero_grad(policy_opt.params);
        Categorical pi(agent->actor(tape, tape.constant(X)));
        Var pg_loss = scale(sum(mul(tape.constant(w), pi.log_prob(b_act))), -1.0f / float(in_batch));
        tape.backward(pg_loss);
        policy_opt.lr = float(args.learning_rate);
        policy_opt.step();
        double v_loss = 0;
        if (args.baseline) {
            tape.reset();
            zero_grad(value_opt.params);
            Var vl = scale(mean(square(sub(agent->critic(tape, tape.constant(X)), tape.constant(target)))), 0.5f);
            tape.backward(vl);
            value_opt.lr = float(args.baseline_lr);
            value_opt.step();
            v_loss = vl.value()(0, 0);
        }
        ctx.log("losses/policy", pg_loss.value()(0, 0));
        if (args.baseline) ctx.log("losses/value", v_loss);
        if (!ctx.tick(Tick::Update)) return;
        b_obs.clear(), b_weight_src.clear(), b_gt.clear(), b_act.clear();
        in_batch = 0;
    }
}

AlgoInfo reinforce_info() {
    return make_algo_info<ReinforceArgs>("reinforce", "REINFORCE",
                                         "Monte Carlo policy gradient: reward-to-go, γ^t, learned baseline switches",
                                         AlgoKind::Deep, run_reinforce);
}

}  // namespace dl
