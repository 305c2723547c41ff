// Actor-critic in the dream — learn a model of the world from real experience, then learn to act inside it
// (the loop of Ha & Schmidhuber's World Models and of Dreamer, with the policy gradient of Dreamer's discrete-action
// variant):
//
//   repeat:
//     act in the real env with the current policy, on the model's filtered latent state  → sequence buffer
//     every train_every real steps:
//       model:     one ELBO step on batch_size sequences of seq_len steps        (core/nn/world_model.h)
//       dream:     from every posterior state of that batch, roll the prior `horizon` steps, actions from the actor
//       λ-returns: R_k = r̂_{k+1} + γ ĉ_{k+1} ((1 − λ) V(s_{k+1}) + λ R_{k+1}),   R_H = V(s_H)
//       critic:    ½ (V(s_k) − R_k)²
//       actor:     −log π(a_k | s_k) · (R_k − V(s_k)) − η · H[π(· | s_k)]            (REINFORCE, in the dream)
//     (losses weighted by the dream's own chance of still being alive, Π ĉ)
//
// The policy never learns from a real return: the real env only supplies experience for the model. The dream-to-real
// ratio is batch_size · seq_len · horizon imagined steps per train_every real ones.
#include <cmath>

#include "core/algos/registry.h"
#include "core/rl/arg_blocks.h"
#include "core/rl/dream_experience.h"

namespace dl {

using namespace nn;

struct DreamAcArgs : Args<DreamAcArgs>, WorldModelArgs {  // + the WorldModelArgs block (core/rl/arg_blocks.h)
    int64_t total_timesteps = 30000;  // real env steps
    int64_t prefill = 1000;           // real steps of random actions before any learning
    int64_t train_every = 5;          // real steps between training rounds (one model step + one dream step)
    int64_t batch_size = 16;          // sequences per model update (and imagination starts: batch_size · seq_len)
    int64_t seq_len = 16;             // steps per sequence
    int64_t horizon = 15;             // imagined steps per dream
    double gamma = 0.99;              // discount
    double lambda = 0.95;             // λ of the λ-returns
    double model_lr = 1e-3;           // Adam step size of the world model
    double actor_lr = 3e-4;           // Adam step size of the actor
    double critic_lr = 1e-3;          // Adam step size of the critic
    double ent_coef = 3e-3;           // entropy bonus η
    double temperature = 1.0;         // scale of the dream's noise (0: the prior's mean; > 1: a wilder dream)

    void visit(ParamVisitor& v) override {
        v.integer("total_timesteps", total_timesteps, 100, 100000000, "real env steps in total", Apply::Length);
        v.integer("prefill", prefill, 16, 1000000, "random real steps before learning starts", Apply::Restart);
        v.integer("train_every", train_every, 1, 10000, "real steps between training rounds (sets the dream:real ratio)", Apply::Now);
        v.integer("batch_size", batch_size, 1, 1024, "sequences per model update", Apply::Restart);
        v.integer("seq_len", seq_len, 2, 256, "steps per training sequence", Apply::Restart);
        v.integer("horizon", horizon, 1, 200, "imagined steps per dream", Apply::Now);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("lambda", lambda, 0, 1, "λ of the λ-returns (0: one-step TD, 1: Monte Carlo to the horizon)", Apply::Now);
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

void run_dream_ac(DreamAcArgs& args, RunContext& ctx) {
    // --- seeding, world model, actor and critic on the latent features [h, z], the real env ---
    Rng rng(Rng::derive(ctx.seed(), 1));
    const auto probe = ctx.new_env();
    const int A = probe->action_space().n;
    const WorldModelConfig wc = model_config(args, probe->observation_space(), probe->obs_dim(), A);
    auto agent = WorldModelAgent::create(wc, rng);
    const int F = wc.deter + wc.stoch;  // the latent features the actor and critic read
    WorldModel& wm = agent->model;
    Adam model_opt, actor_opt, critic_opt;
    actor_opt.params = agent->actor.params(), critic_opt.params = agent->critic.params();
    RealExperience real(ctx, wm, std::max<int64_t>(args.total_timesteps + 1, args.seq_len), rng);
    auto view = ctx.on_agent([&] { return real.snapshot(*agent); });  // after `real`: views read its env and steps

    Tape tape;
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

        // --- the dream: from every posterior state of the batch, `horizon` steps of the prior ---
        const int N = batch.B * batch.L, T = int(args.horizon);
        std::vector<Mat> feats(static_cast<size_t>(T + 1)), rew(static_cast<size_t>(T)), cont(static_cast<size_t>(T));
        std::vector<std::vector<int32_t>> acts(static_cast<size_t>(T), std::vector<int32_t>(static_cast<size_t>(N)));
        WorldModel::State d = wm.posterior_states(batch, rng);
        for (int k = 0; k < T; ++k) {
            feats[size_t(k)] = wm.features(d);
            Mat logits;
            agent->actor.forward(feats[size_t(k)], logits);
            for (int i = 0; i < N; ++i) acts[size_t(k)][size_t(i)] = sample_categorical(logits.row(i).data(), A, rng);
            wm.step_prior(d, acts[size_t(k)], rng, float(args.temperature));
            wm.predict(d, rew[size_t(k)], cont[size_t(k)]);
        }
        feats[size_t(T)] = wm.features(d);

        // --- λ-returns, backwards from the critic's value at the horizon ---
        std::vector<Mat> V(static_cast<size_t>(T + 1)), R(static_cast<size_t>(T + 1)), W(static_cast<size_t>(T));
        for (int k = 0; k <= T; ++k) agent->critic.forward(feats[size_t(k)], V[size_t(k)]);
        R[size_t(T)] = V[size_t(T)];
        const float g = float(args.gamma), lam = float(args.lambda);
        for (int k = T - 1; k >= 0; --k)
            R[size_t(k)] = (rew[size_t(k)].array() +
                            g * cont[size_t(k)].array() * ((1 - lam) * V[size_t(k + 1)].array() + lam * R[size_t(k + 1)].array()))
                               .matrix();
        W[0] = Mat::Ones(N, 1);  // the dream's chance of still being alive at step k
        for (int k = 1; k < T; ++k) W[size_t(k)] = W[size_t(k - 1)].cwiseProduct(cont[size_t(k - 1)]);

        // --- actor and critic: one step each on the whole dream ---
        Mat f_all(N * T, F), adv(N * T, 1), ret(N * T, 1), w(N * T, 1);
        std::vector<int32_t> a_all(static_cast<size_t>(N * T));
        for (int k = 0; k < T; ++k) {
            f_all.middleRows(k * N, N) = feats[size_t(k)];
            adv.middleRows(k * N, N) = (R[size_t(k)] - V[size_t(k)]).cwiseProduct(W[size_t(k)]);
            ret.middleRows(k * N, N) = R[size_t(k)];
            w.middleRows(k * N, N) = W[size_t(k)];
            std::copy(acts[size_t(k)].begin(), acts[size_t(k)].end(), a_all.begin() + k * N);
        }
        tape.reset();
        zero_grad(actor_opt.params), zero_grad(critic_opt.params);
        Var x = tape.constant(f_all);
        Categorical pi(agent->actor(tape, x));
        Var wv = tape.constant(w);
        Var entropy = mean(mul(pi.entropy(), wv));
        Var actor_loss = sub(scale(mean(mul(pi.log_prob(a_all), tape.constant(adv))), -1.0f), scale(entropy, float(args.ent_coef)));
        Var critic_loss = scale(mean(mul(square(sub(agent->critic(tape, x), tape.constant(ret))), wv)), 0.5f);
        tape.backward(add(actor_loss, critic_loss));
        clip_grad_norm(actor_opt.params, 100.0f), clip_grad_norm(critic_opt.params, 100.0f);
        actor_opt.lr = float(args.actor_lr), critic_opt.lr = float(args.critic_lr);
        actor_opt.step(), critic_opt.step();

        log_losses(ctx, ml);
        ctx.log("losses/actor", actor_loss.value()(0, 0));
        ctx.log("losses/critic", critic_loss.value()(0, 0));
        ctx.log("losses/entropy", entropy.value()(0, 0));
        ctx.log("charts/dream_return", R[0].mean());  // what the dream promises from a real state
        if (++updates % 50 == 0) real.log_dream_episodes(*agent, float(args.temperature));  // the dream–reality gap
        if (!ctx.tick(Tick::Update)) return;
    }
}

AlgoInfo dream_ac_info() {
    AlgoInfo info = make_algo_info<DreamAcArgs>("dream_ac", "Actor-critic in the dream",
                                       "learn a world model (RSSM) from real steps, train actor and critic only on its dreams",
                                       AlgoKind::Deep, run_dream_ac);
    info.update_means = "one round: a world-model step, then the actor and critic on a batch of dreams";
    return info;
}

}  // namespace dl
