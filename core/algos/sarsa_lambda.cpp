// SARSA(λ) — on-policy TD control with eligibility traces. Sutton & Barto, 2nd ed., section 12.7.
//
//   δ = r + γ Q(s',a') − Q(s,a)
//   e(s,a) ← e(s,a) + 1   (accumulating)   or   e(s,a) ← 1   (replacing)
//   for all (s,a):  Q ← Q + α δ e,   e ← γ λ e
// A reward reaches back along the whole recent path at once, not one step per episode.
#include <algorithm>
#include <cstdio>

#include "core/algos/registry.h"
#include "core/rl/tabular.h"

namespace dl {

struct SarsaLambdaArgs : Args<SarsaLambdaArgs> {
    int64_t episodes = 20000;             // training episodes
    double gamma = 0.99;                  // discount factor
    double alpha = 0.05;                  // step size
    double lambda = 0.9;                  // trace decay λ: 0 = one-step SARSA, 1 = Monte Carlo-like
    std::string trace = "replacing";      // accumulating | replacing
    double q_init = 0.0;                  // initial Q of non-terminal states
    EpsilonSchedule eps;                  // exploration

    void visit(ParamVisitor& v) override {
        v.integer("episodes", episodes, 1, 100000000, "number of training episodes", Apply::Now);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("alpha", alpha, 0, 1, "step size α", Apply::Now, true);
        v.real("lambda", lambda, 0, 1, "trace decay λ (0: one-step SARSA, 1: Monte Carlo-like)", Apply::Now);
        v.choice("trace", trace, {"accumulating", "replacing"}, "how a visit bumps its trace", Apply::Now);
        v.real("q_init", q_init, -100, 100, "initial Q(s,a) of non-terminal states", Apply::Restart);
        eps.visit(v);
    }
};

void run_sarsa_lambda(SarsaLambdaArgs& args, RunContext& ctx) {
    DiscreteEnv& env = ctx.make_tabular_env();
    const int nS = env.num_states(), nA = env.num_actions();
    const size_t nSA = size_t(nS) * nA;
    Rng rng(Rng::derive(ctx.seed(), 1));

    std::vector<double> Q(nSA, args.q_init), e(nSA, 0.0);
    for (int s = 0; s < nS; ++s)
        if (env.is_terminal(s)) std::fill_n(&Q[size_t(s) * nA], nA, 0.0);
    double eps = args.eps.at(0);
    auto view = ctx.on_view([&](TabularView& view) { view_from_q(view, Q, nS, nA, eps); });

    // Insides drawn on the lake (core/rl/insides.h): TD errors, visits, and the eligibility traces along this
    // episode's path, e(s_t, a_t) = (γλ)^(steps since) for a replacing trace.
    TdErrorWindow td_window(nS);
    VisitCounts visits(nS);
    std::vector<std::pair<int, int>> path;  // this episode's (s, a) so far
    auto insides = ctx.on_insides([&](Insides& in) {
        InsideLayer tr;
        tr.kind = InsideLayer::Kind::Path;
        tr.id = "traces", tr.title = "Eligibility traces";
        tr.help = "e(s,a) along this episode's path: how much of the next TD error each step still receives (×γλ per step)";
        for (const auto& [s, a] : path) {
            InsideLayer::Step st;
            st.s = s, st.a = a, st.weight = e[size_t(s) * nA + a];
            tr.path.push_back(st);
        }
        char buf[96];
        std::snprintf(buf, sizeof buf, "γλ = %.3g, %s traces", args.gamma * args.lambda, args.trace.c_str());
        tr.note = buf;
        in.layers = {std::move(tr), td_window.layer(), visits.layer()};
    });

    EpisodeLog log;
    int64_t episode = 0;
    auto state = ctx.keep_state([&](StateIO& io) { io(episode, eps, Q, rng, env, log); });  // the timeline's checkpoints
    for (; episode < args.episodes; ++episode) {
        ctx.checkpoint();
        eps = args.eps.at(episode);
        std::fill(e.begin(), e.end(), 0.0);  // traces never cross episode boundaries
        path.clear();
        int s = env.reset_state(episode == 0 ? std::optional<uint64_t>(ctx.seed()) : std::nullopt);
        int a = epsilon_greedy(&Q[size_t(s) * nA], nA, eps, rng);
        for (bool done = false; !done;) {
            const DiscreteStep r = env.step_state(a);
            const int a2 = epsilon_greedy(&Q[size_t(r.obs) * nA], nA, eps, rng);

            // --- the SARSA(λ) update ---
            const double target = r.reward + (r.terminated ? 0.0 : args.gamma * Q[size_t(r.obs) * nA + a2]);
            const double delta = target - Q[size_t(s) * nA + a];
            double& trace = e[size_t(s) * nA + a];
            trace = args.trace == "replacing" ? 1.0 : trace + 1.0;
            const double decay = args.gamma * args.lambda;
            for (size_t i = 0; i < nSA; ++i) {
                Q[i] += args.alpha * delta * e[i];
                e[i] *= decay;
            }

            log.step(r.reward);
            log.td(delta);
            td_window.add(s, delta), visits.add(s), path.emplace_back(s, a);
            s = r.obs;
            a = a2;
            done = r.terminated || r.truncated;
            if (!ctx.tick(Tick::EnvStep)) return;
        }
        log.flush(ctx, env, eps);
        if (!ctx.tick(Tick::Episode)) return;
    }
}

AlgoInfo sarsa_lambda_info() {
    return make_algo_info<SarsaLambdaArgs>("sarsa_lambda", "SARSA(λ)",
                                           "SARSA with eligibility traces: credit flows back along the path", AlgoKind::Tabular,
                                           run_sarsa_lambda);
}

}  // namespace dl
