// Expected SARSA (van Seijen et al., 2009) — Sutton & Barto, 2nd ed., section 6.6.
//
//   like SARSA, but average over the next action instead of sampling it (less variance):
//   Q(s,a) ← Q(s,a) + α [ r + γ Σ_a' π(a'|s') Q(s',a') − Q(s,a) ],   π = ε-greedy(Q)
#include "core/algos/registry.h"
#include "core/rl/tabular.h"

namespace dl {

struct ExpectedSarsaArgs : Args<ExpectedSarsaArgs> {
    int64_t episodes = 20000;  // training episodes
    double gamma = 0.99;       // discount factor
    double alpha = 0.1;        // step size of the TD update
    double q_init = 0.0;       // initial Q of non-terminal states
    EpsilonSchedule eps;       // exploration, and the π the expectation is taken under

    void visit(ParamVisitor& v) override {
        v.integer("episodes", episodes, 1, 100000000, "number of training episodes", Apply::Now);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("alpha", alpha, 0, 1, "step size α of the TD update", Apply::Now, true);
        v.real("q_init", q_init, -100, 100, "initial Q(s,a) of non-terminal states", Apply::Restart);
        eps.visit(v);
    }
};

void run_expected_sarsa(ExpectedSarsaArgs& args, RunContext& ctx) {
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
    std::vector<double> pi(nA);

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

            // --- the Expected SARSA update: the expected next value under the ε-greedy policy ---
            double expected = 0;
            if (!r.terminated) {
                const double* q2 = &Q[size_t(r.obs) * nA];
                epsilon_greedy_probs(q2, nA, eps, pi.data());
                for (int b = 0; b < nA; ++b) expected += pi[b] * q2[b];
            }
            const double td_error = r.reward + args.gamma * expected - Q[size_t(s) * nA + a];
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

AlgoInfo expected_sarsa_info() {
    return make_algo_info<ExpectedSarsaArgs>("expected_sarsa", "Expected SARSA",
                                             "TD control with target r + γ E_π[Q(s',·)]", AlgoKind::Tabular, run_expected_sarsa);
}

}  // namespace dl
