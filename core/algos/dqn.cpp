// DQN — deep Q-learning (Mnih et al., 2015), read top to bottom like CleanRL's dqn.py.
//
//   act ε-greedily on Q(s,·); store (s, a, r, s', done) in a replay buffer;
//   every train_frequency steps sample a batch and minimise the Huber (or squared) TD error
//       y = r⁽ⁿ⁾ + γⁿ (1 − done) Q_target(s', argmax_a' Q(s', a'))      (double DQN; plain: max_a' Q_target)
//   and move the target network towards the online one (hard copy every N steps, or Polyak τ).
// The lecture's lesson is a switch each: turn off `replay` (learn from the latest batch only) or
// `target_network` (bootstrap from the network being trained) and watch learning fall apart.
#include <algorithm>
#include <cmath>
#include <deque>

#include "core/rl/arg_blocks.h"
#include "core/algos/registry.h"
#include "core/rl/mlp_agent.h"
#include "core/rl/replay.h"
#include "envs/vector_env.h"

namespace dl {

using namespace nn;

struct DqnArgs : Args<DqnArgs> {
    int64_t total_timesteps = 50000;     // env steps
    double learning_rate = 5e-4;         // Adam step size
    int64_t buffer_size = 50000;         // replay capacity (transitions)
    double gamma = 0.99;                 // discount factor
    std::string target_update = "polyak";  // hard | polyak
    double tau = 0.005;                  // polyak: θ_target ← τ θ + (1 − τ) θ_target every train step
    int64_t target_network_frequency = 500;  // hard: copy every this many env steps
    int64_t batch_size = 64;             // transitions per gradient step
    double start_e = 1.0;                // ε at the start
    double end_e = 0.02;                 // ε at the end of the schedule
    double exploration_fraction = 0.2;   // fraction of total_timesteps over which ε decays linearly
    int64_t learning_starts = 1000;      // env steps before learning begins
    int64_t train_frequency = 1;         // env steps between gradient steps
    bool double_dqn = true;              // pick a' with the online net, value it with the target net
    int64_t n_step = 3;                  // n-step returns
    std::string loss = "huber";          // huber | mse
    double max_grad_norm = 10.0;         // global gradient-norm clip
    bool dueling = false;                // value + advantage heads
    bool replay = true;                  // sample from the buffer; off: learn online from the newest transition only
    bool target_network = true;          // bootstrap from a target network; off: from the online network
    int64_t hidden = 64;                 // units per hidden layer (two ReLU layers; one after a conv layer)
    std::string network = "auto";        // auto | mlp | cnn (a 3x3 conv first: pixel games)
    int64_t conv_filters = 16;           // cnn: filters of the conv layer (MinAtar's network: 16, hidden 128)

    void visit(ParamVisitor& v) override {
        v.integer("total_timesteps", total_timesteps, 1000, 100000000, "env steps in total", Apply::Length);
        v.real("learning_rate", learning_rate, 1e-6, 1e-1, "Adam step size", Apply::Now, true);
        v.integer("buffer_size", buffer_size, 100, 10000000, "replay buffer capacity", Apply::Restart);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.choice("target_update", target_update, {"hard", "polyak"}, "copy the online net every N steps, or track it", Apply::Now);
        v.real("tau", tau, 1e-4, 1, "polyak: fraction of the online net mixed in per train step", Apply::Now, true);
        v.integer("target_network_frequency", target_network_frequency, 1, 1000000, "hard: env steps between copies", Apply::Now);
        v.integer("batch_size", batch_size, 1, 4096, "transitions per gradient step", Apply::Restart);
        v.real("start_e", start_e, 0, 1, "ε at the start", Apply::Now);
        v.real("end_e", end_e, 0, 1, "ε after the decay", Apply::Now);
        v.real("exploration_fraction", exploration_fraction, 0, 1, "fraction of training over which ε decays", Apply::Now);
        v.integer("learning_starts", learning_starts, 0, 10000000, "env steps before learning", Apply::Restart);
        v.integer("train_frequency", train_frequency, 1, 1000, "env steps between gradient steps", Apply::Now);
        v.flag("double_dqn", double_dqn, "choose a' with the online net, value it with the target net", Apply::Now);
        v.integer("n_step", n_step, 1, 20, "n-step returns", Apply::Restart);
        v.choice("loss", loss, {"huber", "mse"}, "TD loss", Apply::Now);
        v.real("max_grad_norm", max_grad_norm, 0.01, 1000, "global gradient-norm clip", Apply::Now, true);
        v.flag("dueling", dueling, "dueling heads: Q = V + A − mean A", Apply::Restart);
        v.flag("replay", replay, "learn from a replay buffer (off: online, from the newest transition only)", Apply::Restart);
        v.flag("target_network", target_network, "bootstrap from a slow target network (off: the online net)", Apply::Now);
        v.integer("hidden", hidden, 4, 1024, "units per hidden layer (two ReLU layers; one after a conv layer)", Apply::Restart);
        v.choice("network", network, {"auto", "mlp", "cnn"},
                 "auto: a conv layer first for image observations (pixel games), an MLP otherwise", Apply::Restart);
        v.integer("conv_filters", conv_filters, 1, 256, "cnn: 3x3 filters in the conv layer", Apply::Restart);
    }
    void check() const override {
        check_batch_fits(batch_size, buffer_size);
        check_starts("learning_starts", learning_starts, total_timesteps);
    }
};

void run_dqn(DqnArgs& args, RunContext& ctx) {
    // --- seeding, env, networks ---
    Rng rng(Rng::derive(ctx.seed(), 1));
    VectorEnv envs([&] { return ctx.new_env(); }, 1);
    ctx.show_env(envs.env(0));
    const int D = envs.obs_dim(), A = envs.num_actions(), H = int(args.hidden);
    auto q = std::make_shared<MlpAgent>();
    q->head = MlpAgent::QNet, q->q_values = true, q->obs_dim = D, q->n_actions = A, q->dueling = args.dueling;
    const Space obs_space = envs.env(0).observation_space();
    const bool cnn = args.network == "cnn" || (args.network == "auto" && is_image(obs_space));
    std::vector<int> torso = cnn ? std::vector<int>{H} : std::vector<int>{H, H};  // MinAtar: conv → 128 → Q
    if (args.dueling) {
        q->actor = make_network(obs_space, args.network, int(args.conv_filters), torso, Activation::Relu, std::sqrt(2.0f), rng);
        q->value_head = Linear(H, 1, 1.0f, rng);
        q->adv_head = Linear(H, A, 1.0f, rng);
    } else {
        torso.push_back(A);
        q->actor = make_network(obs_space, args.network, int(args.conv_filters), torso, Activation::Relu, 1.0f, rng);
    }
    auto target = std::make_shared<MlpAgent>(*q);
    std::vector<Param*> params = q->q_params(), target_params = target->q_params();
    Adam adam;
    adam.params = params;
    auto view = ctx.on_agent([&] {
        auto copy = std::make_shared<MlpAgent>(*q);
        if (args.target_network) copy->target = std::make_shared<MlpAgent>(*target);  // for the target-lag map
        return copy;
    });

    // --- replay buffer (a ring, core/rl/replay.h), filled with n-step transitions ---
    // Without replay the "buffer" holds just the newest transition and every update uses only it: the
    // correlated, non-stationary online regime that replay was invented to avoid.
    const int64_t capacity = args.replay ? args.buffer_size : 1;
    const int64_t batch = args.replay ? args.batch_size : 1;
    TransitionBuffer buffer(D, 1, capacity);  // the action's index as one number
    auto store = [&](const float* s, int a, float r, const float* s2, bool done, float discount) {
        const float action = float(a);
        buffer.add(s, &action, r, s2, done, discount);
    };
    struct Pending {
        std::vector<float> obs;
        int action;
        float reward;
        void io_state(StateIO& io) { io(obs, action, reward); }
    };
    std::deque<Pending> window;  // the last n steps, for n-step returns

    envs.reset(ctx.seed());
    Mat obs = Eigen::Map<const Mat>(envs.obs(), 1, D), qv, unused;
    TransitionBuffer::Batch b;
    Mat next_online, next_target;
    std::vector<int32_t> b_act(static_cast<size_t>(batch));
    Mat b_y(batch, 1);
    Tape tape;
    double td_sum = 0, q_sum = 0, gn_sum = 0;
    int64_t train_steps = 0;
    const float gamma = float(args.gamma);

    // Insides (core/rl/insides.h): what the replay buffer was sampled for, how old the samples were, and on a lake
    // how far the target network trails (on a state plane the lag is a map of the state-maps panel).
    const DiscreteEnv* lake = envs.env(0).tabular();
    auto insides = ctx.on_insides([&](Insides& in) {
        in.layers = replay_layers(buffer, lake ? lake->num_states() : 0);
        if (lake && args.target_network) {
            InsideLayer lag;
            lag.kind = InsideLayer::Kind::Cells;
            lag.id = "target_lag", lag.title = "Target lag";
            lag.help = "max over actions of |Q − Q_target|: how far the target network the TD targets come from trails the online one";
            lag.values = target_lag_cells(*q, *target, lake->num_states());
            in.layers.push_back(std::move(lag));
        }
    });

    int64_t global_step = 0;
    auto state = ctx.keep_state([&](StateIO& io) {  // the timeline's checkpoints
        io(global_step, rng, adam, buffer, window, envs, obs, td_sum, q_sum, gn_sum, train_steps);
        io_params(io, params), io_params(io, target_params);
    });
    for (; global_step < args.total_timesteps; ++global_step) {
        ctx.checkpoint();
        // 1. ε-greedy action: ε decays linearly over exploration_fraction of training.
        const double duration = std::max(1.0, args.exploration_fraction * double(args.total_timesteps));
        const double eps = std::max(args.end_e, args.start_e + (args.end_e - args.start_e) * double(global_step) / duration);
        int32_t action;
        if (rng.uniform() < eps) action = int32_t(rng.below(uint32_t(A)));
        else {
            q->evaluate(obs, unused, qv);
            action = 0;
            for (int a = 1; a < A; ++a)
                if (qv(0, a) > qv(0, action)) action = a;
        }
        envs.step(&action);
        const bool terminated = envs.terminated(0), truncated = envs.truncated(0);
        const float* next = (terminated || truncated) ? envs.final_obs() : envs.obs();

        // 2. Store n-step transitions: (s_t, a_t, Σ γ^k r_{t+k}, s_{t+n}, done, γ^n).
        window.push_back({std::vector<float>(obs.data(), obs.data() + D), action, envs.reward(0)});
        auto flush_front = [&](bool done) {
            float G = 0, disc = 1;
            for (const auto& p : window) G += disc * p.reward, disc *= gamma;
            store(window.front().obs.data(), window.front().action, G, next, done, disc);
            window.pop_front();
        };
        if (int64_t(window.size()) == args.n_step) flush_front(terminated);
        if (terminated || truncated)
            while (!window.empty()) flush_front(terminated);  // shorter returns at the episode's end
        obs = Eigen::Map<const Mat>(envs.obs(), 1, D);

        if (!ctx.tick(Tick::EnvStep)) return;
        if (terminated || truncated) {
            ctx.log("return", envs.episode_return(0));
            ctx.log("length", double(envs.episode_length(0)));
            if (envs.env(0).defines_success()) ctx.log("success", envs.episode_success(0) ? 1.0 : 0.0);
            ctx.log("charts/epsilon", eps);
            if (!ctx.tick(Tick::Episode)) return;
        }

        // 3. --- the DQN update ---
        if (global_step >= args.learning_starts && global_step % args.train_frequency == 0 && buffer.size() >= batch) {
            buffer.sample(int(batch), rng, b);  // uniform over what is stored
            for (int64_t j = 0; j < batch; ++j) b_act[size_t(j)] = int32_t(b.action(j, 0));
            // TD target y = r⁽ⁿ⁾ + γⁿ (1 − done) Q_boot(s', a*), a* = argmax of the online net (double) or of Q_boot.
            const MlpAgent& boot = args.target_network ? *target : *q;
            boot.evaluate(b.next_obs, unused, next_target);
            if (args.double_dqn) q->evaluate(b.next_obs, unused, next_online);
            const Mat& chooser = args.double_dqn ? next_online : next_target;
            for (int64_t j = 0; j < batch; ++j) {
                int best = 0;
                for (int a = 1; a < A; ++a)
                    if (chooser(j, a) > chooser(j, best)) best = a;
                b_y(j, 0) = b.reward(j, 0) + b.discount(j, 0) * b.not_done(j, 0) * next_target(j, best);
            }
            tape.reset();
            zero_grad(params);
            Var qsa = gather(q->q(tape, tape.constant(b.obs)), b_act);
            Var td = sub(qsa, tape.constant(b_y));
            Var loss = args.loss == "huber" ? mean(huber(td, 1.0f)) : mean(square(td));
            tape.backward(loss);
            gn_sum += clip_grad_norm(params, float(args.max_grad_norm));
            adam.lr = float(args.learning_rate);
            adam.step();
            td_sum += double(loss.value()(0, 0)), q_sum += double(qsa.value().mean());
            ++train_steps;

            // Move the target network: Polyak every train step, or a hard copy every N env steps.
            if (args.target_update == "polyak")
                for (size_t i = 0; i < params.size(); ++i)
                    target_params[i]->value = float(args.tau) * params[i]->value + float(1 - args.tau) * target_params[i]->value;
            else if (global_step % args.target_network_frequency == 0)
                for (size_t i = 0; i < params.size(); ++i) target_params[i]->value = params[i]->value;

            if (train_steps % 100 == 0) {
                ctx.log("losses/td", td_sum / 100);
                ctx.log("charts/q_mean", q_sum / 100);
                ctx.log("charts/grad_norm", gn_sum / 100);
                ctx.log("charts/learning_rate", adam.lr);
                td_sum = q_sum = gn_sum = 0;
                if (!ctx.tick(Tick::Update)) return;
            }
        }
    }
}

AlgoInfo dqn_info() {
    AlgoInfo info = make_algo_info<DqnArgs>("dqn", "DQN", "deep Q-learning with replay, a target network and their switches",
                                            AlgoKind::Deep, run_dqn);
    info.update_means = "100 gradient steps (one logged row of losses)";
    return info;
}

}  // namespace dl
