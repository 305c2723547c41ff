// Value iteration — dynamic programming on the known model. Sutton & Barto, 2nd ed., section 4.4.
//
//   repeat (one sweep = one visible step):  V_{k+1}(s) = max_a Σ_{s',r} p(s',r|s,a) [ r + γ V_k(s') ]
//   until max_s |V_{k+1}(s) − V_k(s)| < θ;  then π(s) = argmax_a of the same lookahead.
// Sweeps are synchronous (Jacobi: every state reads V_k), as in the golden data.
#include <algorithm>
#include <cmath>

#include "core/algos/registry.h"
#include "core/rl/tabular.h"

namespace dl {

struct ValueIterationArgs : Args<ValueIterationArgs> {
    double gamma = 0.99;        // discount factor
    double theta = 1e-10;       // stop when the largest change of a sweep is below this
    int64_t max_sweeps = 10000; // hard limit on sweeps

    void visit(ParamVisitor& v) override {
        v.real("gamma", gamma, 0, 1, "discount factor γ (must be < 1 unless every policy ends)", Apply::Now);
        v.real("theta", theta, 1e-15, 1, "stop when max |ΔV| of a sweep is below θ", Apply::Now, true);
        v.integer("max_sweeps", max_sweeps, 1, 10000000, "hard limit on the number of sweeps", Apply::Now);
    }
};

void run_value_iteration(ValueIterationArgs& args, RunContext& ctx) {
    DiscreteEnv& env = ctx.make_tabular_env();
    const TabularModel& P = env.model();
    const int nS = env.num_states(), nA = env.num_actions();

    std::vector<double> V(nS, 0.0), V_next(nS);
    auto view = ctx.on_view([&](TabularView& view) {
        view.nS = nS, view.nA = nA, view.v = V;
        view.q = q_from_v(P, V, args.gamma);
        view.pi.assign(size_t(nS) * nA, 0.0);
        for (int s = 0; s < nS; ++s) view.pi[size_t(s) * nA + argmax_first(&view.q[size_t(s) * nA], nA)] = 1.0;
    });

    // Insides (core/rl/insides.h): the backup of any cell, term by term, from the V the last sweep read; and how
    // much each state moved in that sweep.
    bool swept = false;
    auto insides = ctx.on_insides([&](Insides& in) {
        InsideLayer backup;
        backup.kind = InsideLayer::Kind::Backup;
        backup.id = "backup", backup.title = "Bellman backup";
        backup.help = "click a cell: V(s) = max over actions of Σ p·(r + γ V_prev(s′)), every term from the previous sweep's V";
        if (swept) backup.v_from = V_next;  // after the swap, V_next holds the V this sweep read
        backup.gamma = args.gamma;
        InsideLayer change;
        change.kind = InsideLayer::Kind::Cells;
        change.id = "change", change.title = "Change";
        change.help = "|V_k(s) − V_(k−1)(s)| of the last sweep: where the values are still moving";
        if (swept)
            for (int s = 0; s < nS; ++s) change.values.push_back(std::fabs(V[size_t(s)] - V_next[size_t(s)]));
        in.layers = {std::move(backup), std::move(change)};
    });

    int64_t sweep = 0;
    auto state = ctx.keep_state([&](StateIO& io) { io(sweep, V); });  // the timeline's checkpoints
    for (; sweep < args.max_sweeps; ++sweep) {
        ctx.checkpoint();
        // --- one Bellman optimality sweep ---
        double delta = 0;
        for (int s = 0; s < nS; ++s) {
            double best = -INFINITY;
            for (int a = 0; a < nA; ++a) best = std::max(best, lookahead(P, V, args.gamma, s, a));
            V_next[s] = best;
            delta = std::max(delta, std::fabs(V_next[s] - V[s]));
        }
        V.swap(V_next);
        swept = true;

        ctx.log("delta", delta);
        ctx.log("v_start", V[env.state()]);
        if (!ctx.tick(Tick::Update)) return;
        if (delta < args.theta) break;
    }
}

AlgoInfo value_iteration_info() {
    return make_algo_info<ValueIterationArgs>("value_iteration", "Value iteration",
                                              "DP: Bellman optimality sweeps on the known model", AlgoKind::Planner,
                                              run_value_iteration);
}

}  // namespace dl
