// Dyna-Q — learning, planning and acting together. Sutton & Barto, 2nd ed., section 8.2.
//
//   act ε-greedily; Q-learning update on the real step; record the step in a learned model M(s,a);
//   then n times: pick a previously seen (s,a), draw (r, s') from M, and apply the same Q-learning update.
// The textbook model keeps the last outcome of each (s,a) (exact for deterministic worlds); the
// "empirical" model keeps counts of every outcome and samples them, which stays right on a slippery lake.
#include <algorithm>

#include "core/algos/registry.h"
#include "core/rl/tabular.h"

namespace dl {

struct DynaQArgs : Args<DynaQArgs> {
    int64_t episodes = 5000;        // training episodes
    double gamma = 0.99;            // discount factor
    double alpha = 0.1;             // step size of the TD update
    int64_t planning_steps = 10;    // simulated updates from the model per real step
    std::string model = "empirical";  // last | empirical
    EpsilonSchedule eps;            // exploration

    void visit(ParamVisitor& v) override {
        v.integer("episodes", episodes, 1, 100000000, "number of training episodes", Apply::Now);
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("alpha", alpha, 0, 1, "step size α of the TD update", Apply::Now, true);
        v.integer("planning_steps", planning_steps, 0, 10000, "model-based updates per real step (n)", Apply::Now);
        v.choice("model", model, {"last", "empirical"},
                 "last: remember the latest outcome (textbook); empirical: sample all seen outcomes", Apply::Restart);
        eps.visit(v);
    }
};

void run_dyna_q(DynaQArgs& args, RunContext& ctx) {
    DiscreteEnv& env = ctx.make_tabular_env();
    const int nS = env.num_states(), nA = env.num_actions();
    Rng rng(Rng::derive(ctx.seed(), 1));

    std::vector<double> Q(size_t(nS) * nA, 0.0);
    double eps = args.eps.at(0);
    auto view = ctx.on_view([&](TabularView& view) { view_from_q(view, Q, nS, nA, eps); });

    // The learned model: for each (s,a) the outcomes seen, with counts.
    struct Outcome {
        int next;
        double reward;
        bool terminated;
        int64_t count;
        void io_state(StateIO& io) { io(next, reward, terminated, count); }
    };
    std::vector<std::vector<Outcome>> M(size_t(nS) * nA);
    std::vector<int> seen;  // (s,a) indices with a model entry, for uniform sampling
    const bool last_only = args.model == "last";

    auto q_update = [&](int s, int a, double r, int s2, bool terminal) {
        const double target = r + (terminal ? 0.0 : args.gamma * max_of(&Q[size_t(s2) * nA], nA));
        const double td_error = target - Q[size_t(s) * nA + a];
        Q[size_t(s) * nA + a] += args.alpha * td_error;
        return td_error;
    };

    // Insides drawn on the lake (core/rl/insides.h): TD errors of the real updates, visits, and the newest simulated
    // transitions the planner replayed from its model (a ring of kSimShown).
    constexpr size_t kSimShown = 64;
    TdErrorWindow td_window(nS);
    VisitCounts visits(nS);
    std::vector<InsideLayer::Arrow> simulated;
    size_t sim_pos = 0;
    int64_t sim_total = 0;
    auto insides = ctx.on_insides([&](Insides& in) {
        InsideLayer sim;
        sim.kind = InsideLayer::Kind::Arrows;
        sim.id = "simulated", sim.title = "Simulated steps";
        sim.help = "the newest planning updates: (s, a) drawn from the model, arrow to the s′ it imagined, stronger for a larger |TD error|";
        sim.arrows = simulated;
        sim.note = std::to_string(sim_total) + " planning updates, newest " + std::to_string(simulated.size()) + " shown";
        sim.figures = {{"planning_updates", double(sim_total)}};
        in.layers = {std::move(sim), td_window.layer(), visits.layer()};
    });

    EpisodeLog log;
    int64_t episode = 0;
    auto state = ctx.keep_state([&](StateIO& io) { io(episode, eps, Q, M, seen, rng, env, log); });  // the timeline's checkpoints
    for (; episode < args.episodes; ++episode) {
        ctx.checkpoint();
        eps = args.eps.at(episode);
        int s = env.reset_state(episode == 0 ? std::optional<uint64_t>(ctx.seed()) : std::nullopt);
        for (bool done = false; !done;) {
            const int a = epsilon_greedy(&Q[size_t(s) * nA], nA, eps, rng);
            const DiscreteStep r = env.step_state(a);

            // (a) direct RL: Q-learning on the real transition
            const double td_error = q_update(s, a, r.reward, r.obs, r.terminated);
            log.td(td_error);
            td_window.add(s, td_error), visits.add(s);

            // (b) model learning
            auto& outcomes = M[size_t(s) * nA + a];
            if (outcomes.empty()) seen.push_back(s * nA + a);
            if (last_only) outcomes.assign(1, {r.obs, r.reward, r.terminated, 1});
            else {
                auto it = std::find_if(outcomes.begin(), outcomes.end(),
                                       [&](const Outcome& o) { return o.next == r.obs && o.reward == r.reward; });
                if (it != outcomes.end()) it->count++;
                else outcomes.push_back({r.obs, r.reward, r.terminated, 1});
            }

            // (c) planning: n simulated Q-learning updates from remembered (s,a)
            for (int64_t k = 0; k < args.planning_steps; ++k) {
                const int i = seen[rng.below(uint32_t(seen.size()))];
                const auto& out = M[i];
                int64_t total = 0;
                for (const auto& o : out) total += o.count;
                int64_t pick = int64_t(rng.below(uint32_t(total)));
                size_t j = 0;
                while (pick >= out[j].count) pick -= out[j++].count;
                const double sim_td = q_update(i / nA, i % nA, out[j].reward, out[j].next, out[j].terminated);
                const InsideLayer::Arrow arrow{i / nA, i % nA, out[j].next, sim_td};
                if (simulated.size() < kSimShown) simulated.push_back(arrow);
                else simulated[sim_pos] = arrow;
                sim_pos = (sim_pos + 1) % kSimShown, ++sim_total;
            }

            log.step(r.reward);
            s = r.obs;
            done = r.terminated || r.truncated;
            if (!ctx.tick(Tick::EnvStep)) return;
        }
        log.flush(ctx, env, eps);
        if (!ctx.tick(Tick::Episode)) return;
    }
}

AlgoInfo dyna_q_info() {
    return make_algo_info<DynaQArgs>("dyna_q", "Dyna-Q",
                                     "Q-learning plus n planning updates per step from a learned model", AlgoKind::Tabular,
                                     run_dyna_q);
}

}  // namespace dl
