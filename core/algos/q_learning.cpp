// Q-learning (Watkins, 1989) — off-policy TD control. Sutton & Barto, 2nd ed., section 6.5.
//
//   behave ε-greedily, but learn about the greedy policy:
//   Q(s,a) ← Q(s,a) + α [ r + γ max_a' Q(s',a') − Q(s,a) ]
#include "core/algos/registry.h"
#include "core/rl/tabular.h"

namespace dl {

struct QLearningArgs : Args<QLearningArgs> {
    int64_t episodes = 20000;  // training episodes
    double gamma = 0.99;       // discount factor
    double alpha = 0.1;        // step size of the TD update
    double q_init = 0.0;       // initial Q of non-terminal states (optimism encourages exploration)
    EpsilonSchedule eps;       // exploration

    void visit(ParamVisitor& v) override {
        v.integer("episodes", episodes, 1, 100000000, "number of training episodes", Apply::Now);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("alpha", alpha, 0, 1, "step size α of the TD update", Apply::Now, true);
        v.real("q_init", q_init, -100, 100, "initial Q(s,a) of non-terminal states", Apply::Restart);
        eps.visit(v);
    }
};

void run_q_learning(QLearningArgs& args, RunContext& ctx) {
    DiscreteEnv& env = ctx.make_tabular_env();
    const int nS = env.num_states(), nA = env.num_actions();
    Rng rng(Rng::derive(ctx.seed(), 1));  // the agent's own stream; the env has its own

    std::vector<double> Q(size_t(nS) * nA, args.q_init);
    for (int s = 0; s < nS; ++s)
        if (env.is_terminal(s)) std::fill_n(&Q[size_t(s) * nA], nA, 0.0);
    double eps = args.eps.at(0);
    auto view = ctx.on_view([&](TabularView& view) { view_from_q(view, Q, nS, nA, eps); });
    // Insides drawn on the lake (core/rl/insides.h): where the TD errors are, where the agent has been.
    TdErrorWindow td_window(nS);
    VisitCounts visits(nS);
    auto insides = ctx.on_insides([&](Insides& in) { in.layers = {td_window.layer(), visits.layer()}; });

    EpisodeLog log;
    int64_t episode = 0;
    auto state = ctx.keep_state([&](StateIO& io) { io(episode, eps, Q, rng, env, log); });  // the timeline's checkpoints
    for (; episode < args.episodes; ++episode) {
        ctx.checkpoint();
        eps = args.eps.at(episode);
        int s = env.reset_state(episode == 0 ? std::optional<uint64_t>(ctx.seed()) : std::nullopt);
        for (bool done = false; !done;) {
            const int a = epsilon_greedy(&Q[size_t(s) * nA], nA, eps, rng);
            const DiscreteStep r = env.step_state(a);

            // --- the Q-learning update: bootstrap from the best next action (0 past a terminal state) ---
            const double target = r.reward + (r.terminated ? 0.0 : args.gamma * max_of(&Q[size_t(r.obs) * nA], nA));
            const double td_error = target - Q[size_t(s) * nA + a];
            Q[size_t(s) * nA + a] += args.alpha * td_error;

            log.step(r.reward);
            log.td(td_error);
            td_window.add(s, td_error), visits.add(s);
            s = r.obs;
            done = r.terminated || r.truncated;
            if (!ctx.tick(Tick::EnvStep)) return;
        }
        log.flush(ctx, env, eps);
        if (!ctx.tick(Tick::Episode)) return;
    }
}

AlgoInfo q_learning_info() {
    return make_algo_info<QLearningArgs>("q_learning", "Q-learning",
                                         "off-policy TD control: target r + γ max Q(s',·)", AlgoKind::Tabular, run_q_learning);
}

}  // namespace dl
