// First-visit Monte Carlo control with ε-soft policies. Sutton & Barto, 2nd ed., section 5.4.
//
//   play a whole episode with π = ε-greedy(Q), then walking backwards  G ← γ G + r_{t+1};
//   at the first visit of (s_t, a_t):  Q(s,a) ← Q(s,a) + (G − Q(s,a)) / N(s,a)   (or a constant step α)
// No bootstrapping: values come from complete returns only.
#include <algorithm>

#include "core/algos/registry.h"
#include "core/rl/tabular.h"

namespace dl {

struct McControlArgs : Args<McControlArgs> {
    int64_t episodes = 20000;  // training episodes
    double gamma = 0.99;       // discount factor
    double alpha = 0.0;        // constant step size; 0 = sample average 1/N(s,a)
    EpsilonSchedule eps;       // the ε of the ε-soft policy

    void visit(ParamVisitor& v) override {
        v.integer("episodes", episodes, 1, 100000000, "number of training episodes", Apply::Now);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("alpha", alpha, 0, 1, "constant step size; 0 = average of all returns (1/N)", Apply::Now);
        eps.visit(v);
    }
};

void run_mc_control(McControlArgs& args, RunContext& ctx) {
    DiscreteEnv& env = ctx.make_tabular_env();
    const int nS = env.num_states(), nA = env.num_actions();
    const size_t nSA = size_t(nS) * nA;
    Rng rng(Rng::derive(ctx.seed(), 1));

    std::vector<double> Q(nSA, 0.0), N(nSA, 0.0);
    double eps = args.eps.at(0);
    auto view = ctx.on_view([&](TabularView& view) { view_from_q(view, Q, nS, nA, eps); });

    struct Visit { int s, a; double r; };
    std::vector<Visit> episode_steps;
    std::vector<int64_t> first_visit(nSA);
    // Insides drawn on the lake (core/rl/insides.h): how far the returns are from Q, where the agent has been.
    TdErrorWindow err_window(nS);
    VisitCounts visits(nS);
    auto insides = ctx.on_insides([&](Insides& in) {
        InsideLayer err = err_window.layer();
        err.title = "MC error";
        err.help = "mean |G − Q(s,a)| of the last updates, by state: where the returns still disagree with Q";
        in.layers = {std::move(err), visits.layer()};
    });

    EpisodeLog log;
    int64_t episode = 0;
    auto state = ctx.keep_state([&](StateIO& io) { io(episode, eps, Q, N, rng, env, log); });  // the timeline's checkpoints
    for (; episode < args.episodes; ++episode) {
        ctx.checkpoint();
        eps = args.eps.at(episode);
        // 1. Generate an episode with the current ε-soft policy.
        episode_steps.clear();
        int s = env.reset_state(episode == 0 ? std::optional<uint64_t>(ctx.seed()) : std::nullopt);
        for (bool done = false; !done;) {
            const int a = epsilon_greedy(&Q[size_t(s) * nA], nA, eps, rng);
            const DiscreteStep r = env.step_state(a);
            episode_steps.push_back({s, a, r.reward});
            visits.add(s);
            log.step(r.reward);
            s = r.obs;
            done = r.terminated || r.truncated;
            if (!ctx.tick(Tick::EnvStep)) return;
        }
        // 2. Index of the first visit of each (s,a) in this episode.
        std::fill(first_visit.begin(), first_visit.end(), -1);
        for (size_t t = 0; t < episode_steps.size(); ++t) {
            const size_t i = size_t(episode_steps[t].s) * nA + episode_steps[t].a;
            if (first_visit[i] < 0) first_visit[i] = int64_t(t);
        }
        // 3. --- the Monte Carlo update: returns computed backwards, applied at first visits ---
        double G = 0;
        for (int64_t t = int64_t(episode_steps.size()) - 1; t >= 0; --t) {
            const Visit& v = episode_steps[t];
            G = args.gamma * G + v.r;
            const size_t i = size_t(v.s) * nA + v.a;
            if (first_visit[i] != t) continue;
            N[i] += 1;
            const double err = G - Q[i];
            Q[i] += (args.alpha > 0 ? args.alpha : 1.0 / N[i]) * err;
            log.td(err);
            err_window.add(v.s, err);
        }
        log.flush(ctx, env, eps);
        if (!ctx.tick(Tick::Episode)) return;
    }
}

AlgoInfo mc_control_info() {
    return make_algo_info<McControlArgs>("mc_control", "Monte Carlo control",
                                         "first-visit MC control with an ε-soft policy (complete returns)", AlgoKind::Tabular,
                                         run_mc_control);
}

}  // namespace dl
