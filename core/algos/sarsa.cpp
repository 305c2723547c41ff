// SARSA (Rummery & Niranjan, 1994) — on-policy TD control. Sutton & Barto, 2nd ed., section 6.4.
//
//   learn about the ε-greedy policy it follows, from (S, A, R, S', A'):
//   Q(s,a) ← Q(s,a) + α [ r + γ Q(s',a') − Q(s,a) ]
#include "core/algos/registry.h"
#include "core/rl/tabular.h"

namespace dl {

struct SarsaArgs : Args<SarsaArgs> {
    int64_t episodes = 20000;  // training episodes
    double gamma = 0.99;       // discount factor
    double alpha = 0.1;        // step size of the TD update
    double q_init = 0.0;       // initial Q of non-terminal states
    EpsilonSchedule eps;       // exploration (SARSA learns the value of this very policy)

    void visit(ParamVisitor& v) override {
        v.integer("episodes", episodes, 1, 100000000, "number of training episodes", Apply::Now);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("alpha", alpha, 0, 1, "step size α of the TD update", Apply::Now, true);
        v.real("q_init", q_init, -100, 100, "initial Q(s,a) of non-terminal states", Apply::Restart);
        eps.visit(v);
    }
};

void run_sarsa(SarsaArgs& args, RunContext& ctx) {
    DiscreteEnv& env = ctx.make_tabular_env();
    const int nS = env.num_states(), nA = env.num_actions();
    Rng rng(Rng::derive(ctx.seed(), 1));

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
        int a = epsilon_greedy(&Q[size_t(s) * nA], nA, eps, rng);
        for (bool done = false; !done;) {
            const DiscreteStep r = env.step_state(a);
            const int a2 = epsilon_greedy(&Q[size_t(r.obs) * nA], nA, eps, rng);

            // --- the SARSA update: bootstrap from the action actually chosen next ---
            const double target = r.reward + (r.terminated ? 0.0 : args.gamma * Q[size_t(r.obs) * nA + a2]);
            const double td_error = target - Q[size_t(s) * nA + a];
            Q[size_t(s) * nA + a] += args.alpha * td_error;

            log.step(r.reward);
            log.td(td_error);
            td_window.add(s, td_error), visits.add(s);
            s = r.obs;
            a = a2;
            done = r.terminated || r.truncated;
            if (!ctx.tick(Tick::EnvStep)) return;
        }
        log.flush(ctx, env, eps);
        if (!ctx.tick(Tick::Episode)) return;
    }
}

AlgoInfo sarsa_info() {
    return make_algo_info<SarsaArgs>("sarsa", "SARSA", "on-policy TD control: target r + γ Q(s',a')", AlgoKind::Tabular,
                                     run_sarsa);
}

}  // namespace dl
