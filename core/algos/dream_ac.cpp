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
#include <algorithm>
#include <cmath>

#include "base/pool.h"
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
    int64_t threads = 2;              // the dream's rows, and the actor and the critic, side by side (same numbers)

    // A smaller model than the block's 64 units (world model, actor and critic alike), chosen by wall time to a greedy
    // 475 on CartPole: at 32 units 8 seeds of 8 get there in a median 5.1k real steps and 5.7 s, at 64 in 6.2k
    // steps and 10.6 s (bench: worldmodel_cartpole and its _wide row). Pixel worlds may want the wider one.
    DreamAcArgs() { hidden = 32, deter = 32; }

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
        v.integer("threads", threads, 1, 16, "threads for the dream's rows and the actor/critic update (same numbers on any count)", Apply::Restart);
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

    Tape tapes[2];  // the actor's, the critic's
    ThreadPool pool(int(args.threads));
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

        // --- the dream: from every posterior state of the batch, `horizon` steps of the prior. Its random numbers
        //     are drawn first, in the order one thread would draw them (each step: the actions', then the
        //     latent's), so that blocks of rows can dream side by side and give the numbers of one long batch ---
        const int N = batch.B * batch.L, T = int(args.horizon);
        const WorldModel::State d = wm.posterior_states(batch, rng);
        const int S = wc.stoch;
        const size_t per_step = size_t(N) * size_t(1 + 2 * S);  // N actions' uniforms, then the latents' noise (2 a normal)
        std::vector<double> u(size_t(T) * per_step);
        for (double& x : u) x = rng.uniform();
        // Row k·N + i of these: dream i at step k (what the actor and the critic train on).
        Mat f_all(N * T, F), adv(N * T, 1), ret(N * T, 1), w(N * T, 1);
        std::vector<int32_t> a_all(static_cast<size_t>(N * T));
        Eigen::VectorXf dream_return(N);  // R_0: what the dream promises from each real state
        const float g = float(args.gamma), lam = float(args.lambda), temp = float(args.temperature);
        auto dream_rows = [&](int r0, int r1) {
            const int n = r1 - r0;
            WorldModel::State s{d.h.middleRows(r0, n), d.z.middleRows(r0, n)};
            std::vector<int32_t> a(static_cast<size_t>(n));
            std::vector<Mat> V(static_cast<size_t>(T + 1)), rew(static_cast<size_t>(T)), cont(static_cast<size_t>(T));
            Mat f, logits, noise(n, S);
            for (int k = 0; k < T; ++k) {
                const double* uk = u.data() + size_t(k) * per_step;  // this step's numbers
                const double* un = uk + N + 2 * size_t(r0) * size_t(S);  // this block's noise
                for (int i = 0; i < n * S; ++i) noise.data()[i] = normal(un[2 * i], un[2 * i + 1]);
                f = wm.features(s);
                agent->actor.forward(f, logits);
                agent->critic.forward(f, V[size_t(k)]);
                for (int i = 0; i < n; ++i)
                    a[size_t(i)] = sample_categorical(logits.row(i).data(), A, uk[r0 + i]);
                f_all.middleRows(k * N + r0, n) = f;
                std::copy(a.begin(), a.end(), a_all.begin() + k * N + r0);
                wm.step_prior(s, a, noise, temp);
                wm.predict(s, rew[size_t(k)], cont[size_t(k)]);
            }
            agent->critic.forward(wm.features(s), V[size_t(T)]);
            // W_k: the dream's chance of still being alive at step k; λ-returns, backwards from the critic's value
            // at the horizon
            Mat W = Mat::Ones(n, 1);
            for (int k = 0; k < T; ++k) {
                if (k > 0) W = W.cwiseProduct(cont[size_t(k - 1)]);
                w.middleRows(k * N + r0, n) = W;
            }
            Mat R = V[size_t(T)];
            for (int k = T - 1; k >= 0; --k) {
                R = (rew[size_t(k)].array() +
                     g * cont[size_t(k)].array() * ((1 - lam) * V[size_t(k + 1)].array() + lam * R.array())).matrix();
                ret.middleRows(k * N + r0, n) = R;
                adv.middleRows(k * N + r0, n) = (R - V[size_t(k)]).cwiseProduct(w.middleRows(k * N + r0, n));
            }
            dream_return.segment(r0, n) = R.col(0);
        };
        // Blocks of 16 rows, at least 64 to a thread: a matrix product cut between rows at a multiple of 8 gives
        // every row the bits of the uncut product (Eigen's kernels take the rows 4 and 8 at a time), and a test
        // holds the threaded dream to the single-threaded one.
        constexpr int kRows = 16;
        pool.parallel_for((N + kRows - 1) / kRows, [&](int b0, int b1) { dream_rows(b0 * kRows, std::min(N, b1 * kRows)); }, 4);

        // --- actor and critic: one step each on the whole dream, on their own tapes (side by side with 2 threads) ---
        Var actor_loss, critic_loss, entropy;
        auto update = [&](int which) {
            Tape& t = tapes[which];
            t.reset();
            Var x = t.constant(f_all), wv = t.constant(w);
            if (which == 0) {
                zero_grad(actor_opt.params);
                Categorical pi(agent->actor(t, x));
                entropy = mean(mul(pi.entropy(), wv));
                actor_loss = sub(scale(mean(mul(pi.log_prob(a_all), t.constant(adv))), -1.0f), scale(entropy, float(args.ent_coef)));
                t.backward(actor_loss);
                clip_grad_norm(actor_opt.params, 100.0f);
                actor_opt.lr = float(args.actor_lr);
                actor_opt.step();
            } else {
                zero_grad(critic_opt.params);
                critic_loss = scale(mean(mul(square(sub(agent->critic(t, x), t.constant(ret))), wv)), 0.5f);
                t.backward(critic_loss);
                clip_grad_norm(critic_opt.params, 100.0f);
                critic_opt.lr = float(args.critic_lr);
                critic_opt.step();
            }
        };
        pool.parallel_for(2, [&](int b, int e) { for (int i = b; i < e; ++i) update(i); });

        log_losses(ctx, ml);
        ctx.log("losses/actor", actor_loss.value()(0, 0));
        ctx.log("losses/critic", critic_loss.value()(0, 0));
        ctx.log("losses/entropy", entropy.value()(0, 0));
        ctx.log("charts/dream_return", dream_return.mean());  // what the dream promises from a real state
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
