// Mechanics shared by the tabular algorithms: ε schedules, action selection, Q → V/π views, one-step
// lookahead on a known model, exact policy evaluation. The math that defines each algorithm (its TD target,
// its backup) stays in that algorithm's own file.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/params.h"
#include "base/rng.h"
#include "core/rl/run.h"
#include "envs/env.h"

namespace dl {

// ε as a function of the episode index: constant, linear to the floor, or exponential decay to the floor.
struct EpsilonSchedule {
    std::string schedule = "exponential";  // constant | linear | exponential
    double start = 1.0;                    // ε at episode 0
    double floor = 0.05;                   // ε never goes below this
    int64_t decay_episodes = 1000;         // linear: episodes to go from start to floor
    double decay = 0.999;                  // exponential: ε ← max(floor, start · decay^episode)

    void visit(ParamVisitor& v);
    double at(int64_t episode) const;
};

// Index of a largest entry; ties broken uniformly at random (so an all-zero Q explores evenly).
int argmax_random(const double* q, int n, Rng& rng);
// Index of the first entry within tol of the largest (Gymnasium golden data's tie rule).
int argmax_first(const double* q, int n, double tol = 1e-9);
double max_of(const double* q, int n);
// ε-greedy: a uniformly random action with probability ε, else a greedy one (random among ties).
int epsilon_greedy(const double* q, int n, double eps, Rng& rng);
// π(a|s) of ε-greedy with greedy ties shared equally: written to out[0..n).
void epsilon_greedy_probs(const double* q, int n, double eps, double* out);

// Fills a view from a Q table: V(s) = max_a Q(s,a), π = ε-greedy(Q).
void view_from_q(TabularView& view, const std::vector<double>& Q, int nS, int nA, double eps);

// Σ_outcomes p · (r + γ (1 − terminated) V(s')): the one-step lookahead on a known model.
double lookahead(const TabularModel& P, const std::vector<double>& V, double gamma, int s, int a);
// Q(s,a) for all s,a from V by one-step lookahead.
std::vector<double> q_from_v(const TabularModel& P, const std::vector<double>& V, double gamma);
// Greedy policy with the lowest-index tie rule (tol 1e-9).
std::vector<int> greedy_policy(const std::vector<double>& Q, int nS, int nA);

// Ground truth: V* by synchronous value iteration from V = 0 until max|ΔV| < tol (the golden data's rule).
// Returns the number of sweeps through `sweeps` when non-null.
std::vector<double> solve_optimal_values(const TabularModel& P, double gamma, double tol = 1e-12,
                                         int* sweeps = nullptr);
// Exact probability, from each state, that a deterministic policy ends the episode by entering a success
// state (no time limit, no discount). Terminal states themselves get 0: their episode is already over.
std::vector<double> success_probability(const TabularModel& P, const std::vector<int>& policy,
                                        const std::vector<char>& success_state);

// Per-episode bookkeeping every learner logs: return, length, success, ε, mean |TD error|.
struct EpisodeLog {
    double ret = 0, abs_td = 0;
    int64_t length = 0, td_count = 0;
    void step(double reward) { ret += reward, ++length; }
    void td(double err) { abs_td += err < 0 ? -err : err, ++td_count; }
    // Logs the row and resets; the caller then ticks Episode (which closes the row).
    void flush(RunContext& ctx, const Env& env, double eps);
    void io_state(StateIO& io) { io(ret, abs_td, length, td_count); }
};

// A tabular learner's saved table (runs/<name>/model.json): V, Q (nS × nA, row-major), and the greedy policy.
struct TabularModelFile {
    int nS = 0, nA = 0;
    std::vector<double> v, q, pi;
    std::vector<int> policy;
};
// Reads DIR/model.json for `env`: its "env" must be this one (id and spaces), nS and nA the env's, every action
// and value in range. Throws ParamError (or IoError) naming the file, the field and what was expected.
TabularModelFile load_tabular_model(const std::filesystem::path& dir, const std::string& env_id, const Env& env);

}  // namespace dl
