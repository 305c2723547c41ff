// One-step actor-critic — the five lines from the lecture (Sutton & Barto, 2nd ed., section 13.5):
//
//   a ~ π(·|s);  s', r ← env.step(a)
//   δ = r + γ (1 − terminated) V(s') − V(s)          the TD error
//   critic:  w ← w + α_w δ ∇V(s)                      (minimise ½ δ², target held fixed)
//   actor:   θ ← θ + α_θ I δ ∇ log π(a|s)             (I = γ^t with the textbook's discounting, else 1)
//   s ← s'
// Every step is an update, one transition at a time: no batches, no replay.
#include <cmath>

#include "core/algos/registry.h"
#include "core/rl/mlp_agent.h"

namespace dl {

using namespace nn;

struct ActorCriticArgs : Args<ActorCriticArgs> {
    int64_t total_timesteps = 50000;   // env steps
    double actor_lr = 2e-4;            // Adam step size of the actor
    double critic_lr = 2e-3;           // Adam step size of the critic
    double gamma = 0.99;               // discount factor
    bool gamma_t = false;              // multiply the actor's step by I = γ^t
    double ent_coef = 0.0;             // entropy bonus weight
    int64_t hidden = 64;               // units per hidden layer (two tanh layers)

    void visit(ParamVisitor& v) override {
        v.integer("total_timesteps", total_timesteps, 100, 100000000, "env steps in total", Apply::Length);
        v.real("actor_lr", actor_lr, 1e-6, 1, "actor step size α_θ (Adam)", Apply::Now, true);
        v.real("critic_lr", critic_lr, 1e-6, 1, "critic step size α_w (Adam)", Apply::Now, true);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.flag("gamma_t", gamma_t, "scale the actor's step by γ^t (the textbook's I)", Apply::Now);
        v.real("ent_coef", ent_coef, 0, 1, "weight of the entropy bonus", Apply::Now);
        v.integer("hidden", hidden, 4, 1024, "units per hidden layer", Apply::Restart);
    }
};

void run_actor_critic(ActorCriticArgs& args, RunContext& ctx) {
    Rng rng(Rng::derive(ctx.seed(), 1));
    Env& env = ctx.make_env();
    const int D = env.obs_dim(), A = env.action_space().n, H = int(args.hidden);
    auto agent = MlpAgent::actor_critic(D, A, H, rng);
    Adam actor_opt, critic_opt;
    actor_opt.params = agent->actor.params(), critic_opt.params = agent->critic.params();
    auto view = ctx.on_agent([&] { return std::make_shared<MlpAgent>(*agent); });

    Mat s(1, D), s2(1, D), logits, v_next;
    Tape tape;
    double G = 0, delta_abs = 0, I = 1;
    int64_t t = 0, episodes = 0;
    env.reset_into(ctx.seed(), s.data());
    int64_t step = 0;
    auto state = ctx.keep_state([&](StateIO& io) {  // the timeline's checkpoints
        io(step, rng, actor_opt, critic_opt, env, s, G, delta_abs, I, t, episodes);
        io_params(io, agent->all_params());
    });
    for (; step < args.total_timesteps; ++step) {
        ctx.checkpoint();
        agent->actor.forward(s, logits);
        const int a = sample_categorical(logits.data(), A, rng);
        const StepFlags r = env.step_into(a, s2.data());

        // --- the TD error δ = r + γ V(s') − V(s) (V(s') = 0 past a terminal state) ---
        agent->critic.forward(s2, v_next);
        const float bootstrap = r.terminated ? 0.0f : float(args.gamma) * v_next(0, 0);
        tape.reset();
        zero_grad(critic_opt.params);
        Var v = agent->critic(tape, tape.constant(s));
        const float delta = float(r.reward) + bootstrap - v.value()(0, 0);
        // critic: ½ (r + γV(s') − V(s))² with the target held fixed
        Var target(tape.constant(Mat::Constant(1, 1, float(r.reward) + bootstrap)));
        tape.backward(scale(square(sub(v, target)), 0.5f));
        critic_opt.lr = float(args.critic_lr);
        critic_opt.step();
        // actor: −I δ log π(a|s) − c_ent H
        tape.reset();
        zero_grad(actor_opt.params);
        Categorical pi(agent->actor(tape, tape.constant(s)));
        Var loss = sub(scale(sum(pi.log_prob({int32_t(a)})), -float(I) * delta), scale(mean(pi.entropy()), float(args.ent_coef)));
        tape.backward(loss);
        actor_opt.lr = float(args.actor_lr);
        actor_opt.step();

        G += r.reward, delta_abs += std::fabs(delta), ++t;
        I = args.gamma_t ? I * args.gamma : 1.0;
        s = s2;
        if (!ctx.tick(Tick::EnvStep)) return;
        if (r.terminated || r.truncated) {
            ctx.log("return", G);
            ctx.log("length", double(t));
            if (env.defines_success()) ctx.log("success", env.last_success() ? 1.0 : 0.0);
            ctx.log("losses/td", delta_abs / double(t));
            if (!ctx.tick(Tick::Episode)) return;
            ++episodes;
            G = 0, delta_abs = 0, t = 0, I = 1;
            env.reset_into(std::nullopt, s.data());
        }
    }
}

AlgoInfo actor_critic_info() {
    AlgoInfo info = make_algo_info<ActorCriticArgs>("actor_critic", "One-step actor-critic",
                                                    "the five-line online actor-critic: TD error drives both nets",
                                                    AlgoKind::Deep, run_actor_critic);
    info.ticks_updates = false;  // every env step is an update; there is no separate update tick
    return info;
}

}  // namespace dl
