// Policy iteration — dynamic programming on the known model. Sutton & Barto, 2nd ed., section 4.3.
//
//   start from π(s) = 0 (Left) everywhere, then repeat:
//   1. evaluation:   sweep V(s) ← Σ p [ r + γ V(s') ] under π until max |ΔV| < θ   (each sweep a visible step)
//   2. improvement:  π(s) ← argmax_a Σ p [ r + γ V(s') ]                           (one visible step)
//   until the improvement changes no action. A state keeps its action when it is among the best, so the
//   loop cannot cycle between equally good actions.
#include <algorithm>
#include <cmath>

#include "core/algos/registry.h"
#include "core/rl/tabular.h"

namespace dl {

struct PolicyIterationArgs : Args<PolicyIterationArgs> {
    double gamma = 0.99;            // discount factor
    double theta = 1e-10;           // evaluation stops when the largest change of a sweep is below this
    int64_t max_iterations = 1000;  // hard limit on improvement steps

    void visit(ParamVisitor& v) override {
        v.real("gamma", gamma, 0, 1, "discount factor γ", Apply::Now);
        v.real("theta", theta, 1e-15, 1, "policy evaluation stops when max |ΔV| < θ", Apply::Now, true);
        v.integer("max_iterations", max_iterations, 1, 100000, "hard limit on improvement steps", Apply::Now);
    }
};

void run_policy_iteration(PolicyIterationArgs& args, RunContext& ctx) {
    DiscreteEnv& env = ctx.make_tabular_env();
    const TabularModel& P = env.model();
    const int nS = env.num_states(), nA = env.num_actions();

    std::vector<double> V(nS, 0.0);
    std::vector<int> pi(nS, 0);
    auto view = ctx.on_view([&](TabularView& view) {
        view.nS = nS, view.nA = nA, view.v = V;
        view.q = q_from_v(P, V, args.gamma);
        view.pi.assign(size_t(nS) * nA, 0.0);
        for (int s = 0; s < nS; ++s) view.pi[size_t(s) * nA + pi[s]] = 1.0;
    });

    int64_t it = 0, sweep = 0;
    auto state = ctx.keep_state([&](StateIO& io) { io(it, sweep, V, pi); });  // the timeline's checkpoints
    for (; it < args.max_iterations; ++it) {
        // 1. --- policy evaluation (in place, each sweep a step) ---
        for (; sweep < 1000000; ++sweep) {
            ctx.checkpoint();
            double delta = 0;
            for (int s = 0; s < nS; ++s) {
                const double v = lookahead(P, V, args.gamma, s, pi[s]);
                delta = std::max(delta, std::fabs(v - V[s]));
                V[s] = v;
            }
            ctx.log("delta", delta);
            ctx.log("v_start", V[env.state()]);
            if (!ctx.tick(Tick::Update)) return;
            if (delta < args.theta) break;
        }
        sweep = 0;
        // 2. --- policy improvement: greedy w.r.t. V, keeping the old action when it ties the best ---
        int changed = 0;
        for (int s = 0; s < nS; ++s) {
            std::vector<double> q(nA);
            for (int a = 0; a < nA; ++a) q[a] = lookahead(P, V, args.gamma, s, a);
            const double best = *std::max_element(q.begin(), q.end());
            if (q[pi[s]] >= best - 1e-9) continue;
            pi[s] = argmax_first(q.data(), nA);
            ++changed;
        }
        ctx.log("policy_changes", changed);
        if (!ctx.tick(Tick::Update)) return;
        if (changed == 0) break;
    }
    // Report the final policy with the same tie rule as value iteration (lowest action among the best).
    pi = greedy_policy(q_from_v(P, V, args.gamma), nS, nA);
}

AlgoInfo policy_iteration_info() {
    return make_algo_info<PolicyIterationArgs>("policy_iteration", "Policy iteration",
                                               "DP: evaluate the policy, improve it greedily, repeat", AlgoKind::Planner,
                                               run_policy_iteration);
}

}  // namespace dl
