// DDPG — deep deterministic policy gradient (Lillicrap et al., 2016), read top to bottom like CleanRL's
// ddpg_continuous_action.py:
//
//   act with a = clip(μ(s) + noise, −1, 1) mapped onto the env's bounds (uniform random at first); the noise is
//     N(0, exploration_noise) each step, or an Ornstein–Uhlenbeck process (noise_type=ou: correlated in time);
//   store (s, a, r, s', terminated); every step, on a sampled batch:
//     critic:  y = r + γ (1 − terminated) Q_target(s', μ_target(s'));  minimise (Q(s, a) − y)²
//     actor:   every policy_frequency steps, maximise Q(s, μ(s)) (the deterministic policy gradient, through the
//              frozen critic), then move both target networks by Polyak averaging with τ
// One critic's max-seeking bias is what TD3's twin critics and target smoothing correct (compare them side by side).
#include <algorithm>
#include <cmath>

#include "core/algos/registry.h"
#include "core/rl/arg_blocks.h"
#include "core/rl/continuous_agent.h"

namespace dl {

using namespace nn;

struct DdpgArgs : Args<DdpgArgs>, NoisyWarmupArgs {  // + the NoisyWarmupArgs block (core/rl/arg_blocks.h)
    int64_t total_timesteps = 20000;   // env steps
    int64_t buffer_size = 1000000;     // replay capacity
    double gamma = 0.99;               // discount
    double tau = 0.005;                // Polyak step of the target networks
    int64_t batch_size = 100;          // transitions per update (see hidden)
    double learning_rate = 1e-3;       // Adam step size (actor and critics)
    int64_t policy_frequency = 2;      // critic steps per actor (and target) step (CleanRL's DDPG: 2)
    // Units in each of the two hidden layers. 64 with batch 100 and lr 1e-3 (RLtools' Pendulum settings) reach −200 on
    // Pendulum in about as many steps as CleanRL's 256 / 256 / 3e-4 and ~25× sooner in wall time (`bench --only
    // ddpg_pendulum,ddpg_wide_pendulum`); the wide settings: hidden=256 batch_size=256 learning_rate=3e-4.
    int64_t hidden = 64;

    void visit(ParamVisitor& v) override {
        v.integer("total_timesteps", total_timesteps, 100, 100000000, "env steps in total", Apply::Length);
        v.integer("buffer_size", buffer_size, 100, 100000000, "replay buffer capacity", Apply::Restart);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("tau", tau, 1e-4, 1, "Polyak step of the target networks", Apply::Now, true);
        v.integer("batch_size", batch_size, 1, 4096, "transitions per gradient step", Apply::Now);
        visit_warmup(v);  // learning_starts, exploration_noise, noise_type
        v.real("learning_rate", learning_rate, 1e-6, 1, "Adam step size of actor and critics", Apply::Now, true);
        v.integer("policy_frequency", policy_frequency, 1, 100, "critic updates per actor update (the delay)", Apply::Now);
        v.integer("hidden", hidden, 4, 4096, "units per hidden layer", Apply::Restart);
    }
    void check() const override {
        check_batch_fits(batch_size, buffer_size);
        check_starts("learning_starts", learning_starts, total_timesteps);
    }
};

void run_ddpg(DdpgArgs& args, RunContext& ctx) {
    // --- seeding, env, networks: deterministic actor obs → tanh(A), one critic [obs, a] → Q, both with targets ---
    Rng rng(Rng::derive(ctx.seed(), 1));
    OffPolicyEnv env(ctx, args.buffer_size);  // the env, its replay buffer, episode logging
    const int D = env.obs_dim(), A = env.act_dim(), H = int(args.hidden);
    auto agent = std::make_shared<ContinuousAgent>();
    agent->obs_dim = D, agent->act_dim = A, agent->stochastic = false;
    agent->bounds = env.bounds();
    agent->actor = Mlp({D, H, H, A}, Activation::Relu, 0.01f, rng);
    agent->q1 = Mlp({D + A, H, H, 1}, Activation::Relu, 1.0f, rng);
    Mlp actor_target = agent->actor, q_target = agent->q1;
    Adam actor_opt, q_opt;
    actor_opt.params = agent->actor.params();
    q_opt.params = agent->q1.params();
    ActionNoise noise(args.noise_type, A);
    auto view = ctx.on_agent([&] {  // what the views show: the actor, the critics and the acting noise
        auto v = std::make_shared<ContinuousAgent>(*agent);
        v->explore_std = noise.spread(float(args.exploration_noise));
        return v;
    });

    TransitionBuffer::Batch b;
    std::vector<float> action(static_cast<size_t>(A));
    Tape tape;
    double qf_sum = 0, actor_sum = 0, q_mean = 0;
    int64_t updates = 0, actor_updates = 0;

    int64_t global_step = 0;
    auto state = ctx.keep_state([&](StateIO& io) {  // the timeline's checkpoints
        io(global_step, rng, env, actor_opt, q_opt, noise, qf_sum, actor_sum, q_mean, updates, actor_updates);
        io_params(io, actor_opt.params), io_params(io, q_opt.params);
        io_params(io, actor_target.params()), io_params(io, q_target.params());
    });
    for (; global_step < args.total_timesteps; ++global_step) {
        ctx.checkpoint();
        // 1. act: uniform at first, then μ(s) plus exploration noise, clipped to [−1, 1]
        if (global_step < args.learning_starts && !noise.ou()) {
            for (auto& a : action) a = float(2 * rng.uniform() - 1);
        } else {  // (OU noise also drives the warm-up: uniform steps average out to standing still)
            const Mat mu = agent->deterministic(env.obs());
            for (int i = 0; i < A; ++i)
                action[size_t(i)] = std::clamp(mu(0, i) + noise.sample(i, float(args.exploration_noise), rng), -1.0f, 1.0f);
        }
        if (!env.step(action.data())) return;
        if (env.episode_ended()) noise.reset();
        if (global_step < args.learning_starts) continue;

        // 2. critic towards the target networks' one-step bootstrap
        const int B = int(args.batch_size);
        env.buffer().sample(B, rng, b);
        Mat next_a;
        actor_target.forward(b.next_obs, next_a);
        Mat next_in(B, D + A), qt;
        next_in << b.next_obs, next_a.array().tanh().matrix();
        q_target.forward(next_in, qt);
        const Mat y = b.reward + float(args.gamma) * b.not_done.cwiseProduct(qt);
        tape.reset();
        zero_grad(q_opt.params);
        Var sa = tape.constant((Mat(B, D + A) << b.obs, b.action).finished());
        Var q1 = agent->q1(tape, sa);
        Var qf_loss = mean(square(sub(q1, tape.constant(y))));
        tape.backward(qf_loss);
        q_opt.lr = float(args.learning_rate);
        q_opt.step();
        qf_sum += qf_loss.value()(0, 0), q_mean += q1.value().mean();
        ++updates;

        // 3. actor: maximise Q(s, μ(s)) through the frozen critic; then both targets move
        if (global_step % args.policy_frequency == 0) {
            tape.reset();
            zero_grad(actor_opt.params);
            Var obs_v = tape.constant(b.obs);
            Var mu = tanh(agent->actor(tape, obs_v));
            Var actor_loss = scale(mean(agent->q1.frozen(tape, concat(obs_v, mu))), -1.0f);
            tape.backward(actor_loss);
            actor_opt.lr = float(args.learning_rate);
            actor_opt.step();
            actor_sum += actor_loss.value()(0, 0), ++actor_updates;
            polyak_update(actor_target.params(), actor_opt.params, float(args.tau));
            polyak_update(q_target.params(), q_opt.params, float(args.tau));
        }

        if (updates % 100 == 0) {
            ctx.log("losses/qf", qf_sum / 100);
            ctx.log("charts/q_mean", q_mean / 100);
            if (actor_updates) ctx.log("losses/actor", actor_sum / double(actor_updates));
            qf_sum = q_mean = actor_sum = 0, actor_updates = 0;
            if (!ctx.tick(Tick::Update)) return;
        }
    }
}

AlgoInfo ddpg_info() {
    AlgoInfo info = make_algo_info<DdpgArgs>("ddpg", "DDPG",
                                             "deep deterministic policy gradient: a deterministic actor, one critic, target networks",
                                            AlgoKind::Deep, run_ddpg);
    info.box_actions = true, info.discrete_actions = false;
    info.update_means = "100 gradient steps (one logged row of losses)";
    return info;
}

}  // namespace dl
