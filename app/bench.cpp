// `dreamlab bench`: named speed figures, as a table (and one JSON line with --json). Speed goals are checked
// here, never in timed tests.
#include <chrono>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "core/algos/registry.h"
#include "core/tabular.h"
#include "envs/cartpole.h"
#include "envs/frozen_lake.h"

namespace dl {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Best of `repeats` runs of fn(), in seconds (the least disturbed measurement).
template <class F>
double best_of(int repeats, F&& fn) {
    double best = 1e300;
    for (int i = 0; i < repeats; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        best = std::min(best, seconds_since(t0));
    }
    return best;
}

}  // namespace

int run_bench(bool json, bool quick, std::ostream& out, std::ostream& err) {
    struct Row { std::string name; double value; std::string unit, note; };
    std::vector<Row> rows;
    const int repeats = quick ? 1 : 3;

    // Raw env stepping: FrozenLake 8x8 slippery, uniform random actions, auto-reset.
    {
        FrozenLakeArgs a;
        a.map = "8x8";
        FrozenLake env(a);
        Rng rng(1);
        const int64_t n = quick ? 1000000 : 10000000;
        volatile int64_t sink = 0;
        const double t = best_of(repeats, [&] {
            env.reset_state(1);
            int64_t acc = 0;
            for (int64_t i = 0; i < n; ++i) {
                const DiscreteStep r = env.step_state(int(rng.below(4)));
                acc += r.obs;
                if (r.terminated || r.truncated) env.reset_state();
            }
            sink = acc;
        });
        (void)sink;
        rows.push_back({"frozenlake_steps_per_s", double(n) / t, "steps/s", "8x8 slippery, random actions"});
    }
    // CartPole-v1 single env, the allocation-free step, random actions, auto-reset.
    {
        CartPole env;
        Rng rng(1);
        const int64_t n = quick ? 2000000 : 20000000;
        float obs[4];
        volatile float sink = 0;
        const double t = best_of(repeats, [&] {
            env.reset(1);
            float acc = 0;
            for (int64_t i = 0; i < n; ++i) {
                const DiscreteStep r = env.step_into(int(rng.next_u64() >> 63), obs);
                acc += obs[0];
                if (r.terminated || r.truncated) env.reset();
            }
            sink = acc;
        });
        (void)sink;
        rows.push_back({"cartpole_steps_per_s", double(n) / t, "steps/s", "single env, random actions, auto-reset"});
    }
    // Q-learning through the full RunContext path (what `dreamlab train` runs).
    {
        RunConfig cfg;
        cfg.env_id = "FrozenLake8x8-v1";
        cfg.algo_id = "q_learning";
        cfg.algo_args = {{"episodes", quick ? "5000" : "50000"}};
        int64_t steps = 0;
        const double t = best_of(repeats, [&] { steps = run_headless(cfg)->env_steps(); });
        rows.push_back({"q_learning_updates_per_s", double(steps) / t, "updates/s", "8x8 slippery, 1 update per step"});
    }
    // Value iteration on the 8x8 slippery map to θ = 1e-10 (γ 0.99).
    {
        RunConfig cfg;
        cfg.env_id = "FrozenLake8x8-v1";
        cfg.algo_id = "value_iteration";
        int64_t sweeps = 0;
        const double t = best_of(quick ? 3 : 20, [&] { sweeps = run_headless(cfg)->snapshot_now().updates; });
        rows.push_back({"value_iteration_8x8_ms", t * 1e3, "ms",
                        std::to_string(sweeps) + " sweeps to theta=1e-10, gamma=0.99"});
    }

    std::ostream& table = json ? err : out;
    table << std::left << std::setw(28) << "figure" << std::right << std::setw(16) << "value" << "  "
          << std::left << std::setw(10) << "unit" << "note\n";
    for (const auto& r : rows)
        table << std::left << std::setw(28) << r.name << std::right << std::setw(16) << std::setprecision(6)
              << r.value << "  " << std::left << std::setw(10) << r.unit << r.note << "\n";
    if (json) {
        nlohmann::json j;
        for (const auto& r : rows) j[r.name] = r.value;
        out << j.dump() << "\n";
    }
    return 0;
}

}  // namespace dl
