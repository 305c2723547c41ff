// Dreamer — learn to act by backpropagating imagined returns through a learned world model (Hafner et al., 2020),
// with straight-through gradients for discrete actions (as DreamerV2 does):
//
//   repeat:
//     act in the real env with the current policy, on the model's filtered latent state  → sequence buffer
//     every train_every real steps:
//       model:   one ELBO step on batch_size sequences of seq_len steps              (core/nn/world_model.h)
//       dream, on the tape, from every posterior state of that batch, for k < horizon:
//           a_k = one_hot(sample of π(·|s_k)) + π(·|s_k) − sg(π(·|s_k))     the sample's value, the policy's gradient
//           s_{k+1} = the prior after GRU(h_k, [z_k, a_k]), reparameterised: z = μ + σ ⊙ ε
//           r̂_{k+1}, ĉ_{k+1} from the model's heads, V(s_{k+1}) from the critic    (all frozen: constants here)
//       λ-returns on the tape: R_k = r̂_{k+1} + γ ĉ_{k+1} ((1 − λ) V_{k+1} + λ R_{k+1}),  R_H = V(s_H)
//       actor:   maximise mean(w_k · R_k) + η H[π]: the gradient flows back through rewards, values and dynamics
//       critic:  ½ (V(sg(s_k)) − sg(R_k))²                            (w_k = Π_{j<k} ĉ_j, the dream's survival)
//
// Compared with dream_ac (REINFORCE in the dream), the actor learns from the model's derivatives, not from sampled
// returns: low variance, but only as good as the model's gradients.
#include <cmath>

#include "core/algos/registry.h"
#include "core/rl/arg_blocks.h"
#include "core/rl/dream_experience.h"

namespace dl {

using namespace nn;

struct DreamerArgs : Args<DreamerArgs>, WorldModelArgs {  // + the WorldModelArgs block (core/rl/arg_blocks.h)
    int64_t total_timesteps = 30000;  // real env steps
    int64_t prefill = 1000;           // real steps of random actions before any learning
    int64_t train_every = 5;          // real steps between training rounds (one model, actor and critic step)
    int64_t batch_size = 16;          // sequences per model update (and imagination starts: batch_size · seq_len)
    int64_t seq_len = 16;             // steps per sequence
    int64_t horizon = 15;             // imagined steps per dream
    double gamma = 0.99;              // discount
    double lambda = 0.95;             // λ of the λ-returns
    double model_lr = 1e-3;           // Adam step size of the world model
    double actor_lr = 1e-4;           // Adam step size of the actor
    double critic_lr = 1e-3;          // Adam step size of the critic
    double ent_coef = 1e-3;           // entropy bonus η
    double temperature = 1.0;         // scale of the dream's noise

    void visit(ParamVisitor& v) override {
        v.integer("total_timesteps", total_timesteps, 100, 100000000, "real env steps in total", Apply::Length);
        v.integer("prefill", prefill, 16, 1000000, "random real steps before learning starts", Apply::Restart);
        v.integer("train_every", train_every, 1, 10000, "real steps between training rounds (sets the dream:real ratio)", Apply::Now);
        v.integer("batch_size", batch_size, 1, 1024, "sequences per model update", Apply::Restart);
        v.integer("seq_len", seq_len, 2, 256, "steps per training sequence", Apply::Restart);
        v.integer("horizon", horizon, 1, 200, "imagined steps per dream", Apply::Now);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("lambda", lambda, 0, 1, "λ of the λ-returns", Apply::Now);
        v.real("model_lr", model_lr, 1e-6, 1, "world model step size (Adam)", Apply::Now, true);
        v.real("actor_lr", actor_lr, 1e-6, 1, "actor step size (Adam)", Apply::Now, true);
        v.real("critic_lr", critic_lr, 1e-6, 1, "critic step size (Adam)", Apply::Now, true);
        v.real("ent_coef", ent_coef, 0, 1, "entropy bonus η", Apply::Now);
        v.real("temperature", temperature, 0, 5, "noise of the dream: 0 its mean, 1 as learned, more a wilder dream", Apply::Now);
        visit_world_model(v);  // free_nats, obs_std, hidden, deter, stoch, network, conv_filters, decoder
    }
    void check() const override {
        check_starts("prefill", prefill, total_timesteps);
    }
};

void run_dreamer(DreamerArgs& args, RunContext& ctx) {
    // --- seeding, world model, actor and critic on the latent features [h, z], the real env ---
    Rng rng(Rng::derive(ctx.seed(), 1));
    const auto probe = ctx.new_env();
    const int A = probe->action_space().n;
    const WorldModelConfig wc = model_config(args, probe->observation_space(), probe->obs_dim(), A);
    auto agent = WorldModelAgent::create(wc, rng);
    const int S = wc.stoch, F = wc.deter + S;  // latent dimensions, and the features the actor and critic read
    WorldModel& wm = agent->model;
    Adam model_opt, actor_opt, critic_opt;
    actor_opt.params = agent->actor.params(), critic_opt.params = agent->critic.params();
    RealExperience real(ctx, wm, std::max<int64_t>(args.total_timesteps + 1, args.seq_len), rng);
    auto view = ctx.on_agent([&] { return real.snapshot(*agent); });  // after `real`: views read its env and steps

    Tape tape, critic_tape;
    int64_t updates = 0;
    int64_t step = 0;
    auto state = ctx.keep_state([&](StateIO& io) {  // the timeline's checkpoints
        io(step, updates, rng, real, model_opt, actor_opt, critic_opt);
        io_params(io, wm.params()), io_params(io, actor_opt.params), io_params(io, critic_opt.params);
    });
    for (; step < args.total_timesteps; ++step) {
        ctx.checkpoint();
        // --- act in the real env: random at first, then the actor on the model's belief ---
        int a = int(rng.below(uint32_t(A)));
        if (step >= args.prefill) a = agent->sample_action(real.belief(), rng);
        if (!real.step(a)) return;
        if (step < args.prefill || step % args.train_every != 0) continue;

        // --- the model: one ELBO step on real sequences ---
        const SeqBatch batch = real.buffer().sample(int(args.batch_size), int(args.seq_len), rng);
        model_opt.lr = float(args.model_lr);
        const WorldModelLosses ml = wm.train_step(batch, model_opt, rng);

        // --- the dream, on the tape: the actor's gradient flows through the (frozen) model and critic ---
        const WorldModel::State start = wm.posterior_states(batch, rng);
        const int N = int(start.h.rows()), T = int(args.horizon);
        tape.reset();
        zero_grad(actor_opt.params);
        Var h = tape.constant(start.h), z = tape.constant(start.z);
        std::vector<Var> feats, rew, cont, ents;
        for (int k = 0; k < T; ++k) {
            Var f = concat(h, z);
            feats.push_back(f);
            Var probs = softmax(agent->actor(tape, f));
            ents.push_back(scale(sum_rows(mul(probs, log(add_scalar(probs, 1e-8f)))), -1.0f));
            Mat onehot = Mat::Zero(N, A);
            for (int i = 0; i < N; ++i) {
                const float* p = probs.value().row(i).data();
                double u = rng.uniform(), c = 0;
                int pick = A - 1;
                for (int j = 0; j < A; ++j)
                    if ((c += p[j]) > u) {
                        pick = j;
                        break;
                    }
                onehot(i, pick) = 1.0f;
            }
            Var act = add(tape.constant(onehot), sub(probs, tape.constant(probs.value())));  // straight-through
            h = wm.gru.frozen(tape, concat(z, act), h);
            Var stats = wm.prior.frozen(tape, h);
            Var sd = add_scalar(softplus(slice(stats, S, S)), 0.1f);
            Mat eps(N, S);
            for (int i = 0; i < eps.size(); ++i) eps.data()[i] = float(args.temperature) * normal(rng);
            z = add(slice(stats, 0, S), mul(sd, tape.constant(eps)));
            Var f2 = concat(h, z);
            rew.push_back(wm.reward_head.frozen(tape, f2));
            cont.push_back(sigmoid(wm.cont_head.frozen(tape, f2)));
        }
        feats.push_back(concat(h, z));
        std::vector<Var> V;
        for (int k = 0; k <= T; ++k) V.push_back(agent->critic.frozen(tape, feats[size_t(k)]));
        std::vector<Var> R(static_cast<size_t>(T + 1));
        R[size_t(T)] = V[size_t(T)];
        const float g = float(args.gamma), lam = float(args.lambda);
        for (int k = T - 1; k >= 0; --k)
            R[size_t(k)] = add(rew[size_t(k)], scale(mul(cont[size_t(k)], add(scale(V[size_t(k + 1)], 1 - lam),
                                                                             scale(R[size_t(k + 1)], lam))), g));
        // The dream's survival weights, held fixed.
        std::vector<Mat> W(static_cast<size_t>(T));
        W[0] = Mat::Ones(N, 1);
        for (int k = 1; k < T; ++k) W[size_t(k)] = W[size_t(k - 1)].cwiseProduct(cont[size_t(k - 1)].value());
        Var objective = mean(mul(R[0], tape.constant(W[0])));
        Var entropy = mean(ents[0]);
        for (int k = 1; k < T; ++k) {
            objective = add(objective, mean(mul(R[size_t(k)], tape.constant(W[size_t(k)]))));
            entropy = add(entropy, mean(mul(ents[size_t(k)], tape.constant(W[size_t(k)]))));
        }
        objective = scale(objective, 1.0f / float(T)), entropy = scale(entropy, 1.0f / float(T));
        Var actor_loss = scale(add(objective, scale(entropy, float(args.ent_coef))), -1.0f);
        tape.backward(actor_loss);
        clip_grad_norm(actor_opt.params, 100.0f);
        actor_opt.lr = float(args.actor_lr);
        actor_opt.step();

        // --- the critic: regress V(sg(s_k)) on sg(R_k) ---
        Mat f_all(N * T, F), ret(N * T, 1), w(N * T, 1);
        for (int k = 0; k < T; ++k) {
            f_all.middleRows(k * N, N) = feats[size_t(k)].value();
            ret.middleRows(k * N, N) = R[size_t(k)].value();
            w.middleRows(k * N, N) = W[size_t(k)];
        }
        critic_tape.reset();
        zero_grad(critic_opt.params);
        Var critic_loss = scale(mean(mul(square(sub(agent->critic(critic_tape, critic_tape.constant(f_all)),
                                                    critic_tape.constant(ret))),
                                         critic_tape.constant(w))),
                                0.5f);
        critic_tape.backward(critic_loss);
        clip_grad_norm(critic_opt.params, 100.0f);
        critic_opt.lr = float(args.critic_lr);
        critic_opt.step();

        log_losses(ctx, ml);
        ctx.log("losses/actor", actor_loss.value()(0, 0));
        ctx.log("losses/critic", critic_loss.value()(0, 0));
        ctx.log("losses/entropy", entropy.value()(0, 0));
        ctx.log("charts/dream_return", R[0].value().mean());
        if (++updates % 50 == 0) real.log_dream_episodes(*agent, float(args.temperature));  // the dream–reality gap
        if (!ctx.tick(Tick::Update)) return;
    }
}

AlgoInfo dreamer_info() {
    AlgoInfo info = make_algo_info<DreamerArgs>("dreamer", "Dreamer",
                                       "learn a world model, then train the actor by backpropagating dreamed returns through it",
                                       AlgoKind::Deep, run_dreamer);
    info.update_means = "one round: a world-model step, then the actor and critic on a batch of dreams";
    return info;
}

}  // namespace dl
