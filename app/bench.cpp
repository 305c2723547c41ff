// `dreamlab bench`: named speed figures, as a table (and one JSON line with --json). Speed goals are checked
// here, never in timed tests.
//
// Index (the sections of run_bench, in the order they run; --only picks them by name):
//   helpers (line ~37)     seconds_since, best_of, ppo_update_us, dqn_minatar_update_us, act_forward_us,
//                          time_to_475, train_until, median
//   run_bench (line ~231)  sections: frozenlake, cartpole, cartpole_vec, minatar_<game>, q_learning, value_iteration,
//                          ppo_update, dqn_minatar_update, sac_step, act_forward, cartpole solving (time_to_475),
//                          dream, worldmodel_cartpole, pendulum solving, worldmodel_breakout, minatar_dqn_1m, timeline,
//                          sweep;
//                          then the table, the JSON line, and the build and machine header
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <cmath>
#include <cstdio>
#include <thread>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "core/algos/registry.h"
#include "core/session/build_info.h"
#include "core/nn/layers.h"
#include "core/rl/dream_experience.h"
#include "core/rl/tabular.h"
#include "core/rl/evaluate.h"
#include "base/files.h"
#include "base/json.h"
#include "base/params.h"
#include "envs/cartpole.h"
#include "envs/registry.h"
#include "envs/vector_env.h"
#include "envs/frozen_lake.h"
#include "envs/minatar/minatar.h"
#include "core/session/session.h"
#include "core/session/sweep.h"

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

// One PPO minibatch update as CleanRL's ppo.py does it: actor 4-64-64-2 and critic 4-64-64-1 (tanh), clipped
// surrogate + value loss + entropy bonus, backward, global grad-norm clip 0.5, Adam. Returns µs per update.
double ppo_update_us(int batch, int repeats) {
    using namespace nn;
    Rng rng(1);
    Mlp actor({4, 64, 64, 2}, Activation::Tanh, 0.01f, rng), critic({4, 64, 64, 1}, Activation::Tanh, 1.0f, rng);
    std::vector<Param*> params = actor.params();
    for (Param* p : critic.params()) params.push_back(p);
    Adam adam;
    adam.params = params, adam.lr = 2.5e-4f, adam.eps = 1e-5f;
    Mat obs(batch, 4), adv(batch, 1), ret(batch, 1), oldlogp(batch, 1);
    std::vector<int32_t> act(size_t(batch), 0);
    for (int i = 0; i < batch; ++i) {
        for (int j = 0; j < 4; ++j) obs(i, j) = normal(rng);
        adv(i, 0) = normal(rng), ret(i, 0) = normal(rng), oldlogp(i, 0) = -0.69f + 0.01f * normal(rng);
        act[size_t(i)] = int32_t(rng.below(2));
    }
    Tape t;
    auto update = [&] {
        t.reset();
        zero_grad(params);
        Var x = t.constant(obs);
        Categorical pi(actor(t, x));
        Var ratio = exp(sub(pi.log_prob(act), t.constant(oldlogp)));
        Var A = t.constant(adv);
        Var pg = mean(maximum(scale(mul(A, ratio), -1.0f), scale(mul(A, clamp(ratio, 0.8f, 1.2f)), -1.0f)));
        Var v = critic(t, x);
        Var vloss = scale(mean(square(sub(v, t.constant(ret)))), 0.5f);
        Var loss = add(sub(pg, scale(mean(pi.entropy()), 0.01f)), scale(vloss, 0.5f));
        t.backward(loss);
        clip_grad_norm(params, 0.5f);
        adam.step();
    };
    for (int i = 0; i < 20; ++i) update();  // warm the buffers
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) update();
    return seconds_since(t0) / repeats * 1e6;
}

// One DQN update as the MinAtar paper's DQN does it: batch 32, its network (3x3 conv of 16 → 128 → 6, ReLU),
// Q(s, a) against r + γ max Q_target(s', ·), Huber loss, backward, Adam, on Seaquest's 10 channels. Every update
// starts from the same weights (put back between updates, outside the timing): 500 updates on one batch would
// drive the network where no training run goes (its conv outputs from ~14% nonzero to over 80%), and how sparse
// they are decides the cost of the 1,024 → 128 layer.
struct DqnUpdate {
    double us = 0, nonzero = 0;  // µs per update; the fraction of the conv layer's outputs that are nonzero
};
DqnUpdate dqn_minatar_update_us(int repeats) {
    using namespace nn;
    Rng rng(4);
    const ConvShape image{10, 10, 10, 3, 1, 0};
    Mlp q = Mlp::conv_net(image, 16, {128, 6}, Activation::Relu, 1.0f, rng), target = q;
    Mlp start = q;
    std::vector<Param*> params = q.params();
    Adam adam;
    adam.params = params, adam.lr = 2.5e-4f;
    const int B = 32;
    Mat obs(B, image.in_dim()), next(B, image.in_dim()), rew(B, 1), notdone(B, 1), next_q;
    // Real frames: Seaquest under a random policy (about 3% of the cells lit).
    MinAtarEnv env("Seaquest");
    env.reset(1);
    for (int i = 0; i < B; ++i) {
        for (int k = 0; k < 7; ++k)
            if (env.step(int(rng.below(6))).terminated) env.reset();
        env.observe(obs.row(i).data());
        if (env.step(int(rng.below(6))).terminated) env.reset();
        env.observe(next.row(i).data());
    }
    std::vector<int32_t> act(static_cast<size_t>(B));
    for (int i = 0; i < B; ++i) act[size_t(i)] = int32_t(rng.below(6)), rew(i, 0) = float(rng.below(2)), notdone(i, 0) = 1;
    Tape t;
    DqnUpdate out;
    auto update = [&] {
        const std::vector<Param*> from = start.params();
        for (size_t i = 0; i < params.size(); ++i) params[i]->value = from[i]->value;
        const auto t0 = std::chrono::steady_clock::now();
        target.forward(next, next_q);
        const Mat y = rew + 0.99f * notdone.cwiseProduct(next_q.rowwise().maxCoeff());
        t.reset();
        zero_grad(params);
        Var pred = gather(q(t, t.constant(obs)), act);
        t.backward(mean(huber(sub(pred, t.constant(y)))));
        adam.step();
        return seconds_since(t0);
    };
    for (int i = 0; i < 20; ++i) update();
    double total = 0;
    for (int i = 0; i < repeats; ++i) total += update();
    out.us = total / repeats * 1e6;
    Mat conv_out;
    start.convs[0].forward(obs, conv_out);
    out.nonzero = double((conv_out.array() > 0).count()) / double(conv_out.size());
    return out;
}

// Acting: one batch-1 forward pass of the 4-64-64-2 actor, in µs.
double act_forward_us(int repeats) {
    using namespace nn;
    Rng rng(2);
    Mlp actor({4, 64, 64, 2}, Activation::Tanh, 0.01f, rng);
    Mat obs(1, 4), out;
    for (int j = 0; j < 4; ++j) obs(0, j) = normal(rng);
    float sink = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) {
        obs(0, 0) = float(i & 7) * 0.01f;
        actor.forward(obs, out);
        sink += out(0, 0);
    }
    const double us = seconds_since(t0) / repeats * 1e6;
    return sink == 12345.0f ? 0 : us;
}

// The CleanRL rule: the first time the mean return of the last 20 finished training episodes reaches 475.
// Runs the whole budget, then evaluates the final policy greedily.
struct ToSolve {
    double seconds = NAN, steps = NAN, final_greedy = NAN;
};
// stop: end the run when it reaches the rule (no final greedy evaluation) — many seeds in a row.
ToSolve time_to_475(const std::string& algo, uint64_t seed, bool stop = false, const std::map<std::string, std::string>& set = {}) {
    RunConfig cfg;
    cfg.env_id = "CartPole-v1";
    cfg.algo_id = algo;
    cfg.seed = seed;
    cfg.algo_args = set;
    auto args = make_algo_args(algo, set);
    RunContext ctx(cfg);
    ctx.bind_args(args.get());
    ToSolve r;
    std::vector<double> last;
    ctx.on_episode([&](RunContext& c) {
        const MetricsTable& m = c.metrics();
        last.push_back(m.at(m.size() - 1, m.find("return")));
        if (last.size() > 20) last.erase(last.begin());
        double mean = 0;
        for (double v : last) mean += v / 20;
        if (std::isnan(r.seconds) && last.size() == 20 && mean >= 475) r.seconds = c.wall_seconds(), r.steps = double(c.env_steps());
        return !(stop && !std::isnan(r.seconds));
    });
    find_algo(algo).run(*args, ctx);
    ctx.finish();
    if (stop) return r;
    const Snapshot snap = ctx.snapshot_now();
    CartPole env;
    float obs[4];
    double total = 0;
    for (int e = 0; e < 20; ++e) {
        env.reset_into(uint64_t(1000 + e), obs);
        for (bool done = false; !done;) {
            const StepFlags s = env.step_into(snap.agent->greedy(obs, 4), obs);
            total += s.reward;
            done = s.terminated || s.truncated;
        }
    }
    r.final_greedy = total / 20;
    return r;
}

// Trains `cfg` and, every `every` env steps (at an episode's end), plays `episodes` evaluation episodes of its
// agent on a fresh env of the same id (their time not counted): the env steps and seconds at which the mean return
// first reached `threshold` (infinite if never); the run stops there.
struct Reached {
    double steps = INFINITY, seconds = INFINITY;
    bool found() const { return std::isfinite(steps); }
};
Reached train_until(const RunConfig& cfg, double threshold, int episodes, int64_t every) {
    auto args = make_algo_args(cfg.algo_id, cfg.algo_args);
    RunContext ctx(cfg);
    ctx.bind_args(args.get());
    Reached r;
    double eval_secs = 0;
    int64_t next_eval = every;
    ctx.on_episode([&](RunContext& c) {
        if (c.env_steps() < next_eval) return true;
        next_eval += every;
        const auto t0 = std::chrono::steady_clock::now();
        auto env = make_env(cfg.env_id, *make_env_args(cfg.env_id, cfg.env_args));
        const EvalResult e = evaluate_agent(*env, c.snapshot_now().agent, episodes, 1000);  // world models filter
        eval_secs += seconds_since(t0);
        if (e.mean_return < threshold) return true;
        r.steps = double(c.env_steps()), r.seconds = c.wall_seconds() - eval_secs;
        return false;
    });
    find_algo(cfg.algo_id).run(*args, ctx);
    ctx.finish();
    return r;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    if (v.empty()) return NAN;
    // Runs that never solved (NaN) sort last and count as "not solved" for the median.
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

// Which way a figure improves, by its unit: times and step counts go down, rates, ratios, returns and accuracies up.
bool higher_is_better(const std::string& unit) {
    return !(unit == "s" || unit == "ms" || unit == "us" || unit == "steps");
}

// A saved `bench --json` line (bench --compare): its figures by name, checked like any file from disk.
struct Earlier {
    std::map<std::string, double> figures;
    std::string machine;  // its machine line, where it says one
};
Earlier read_earlier(const std::string& file) {
    const nlohmann::json j = read_json_file(file, size_t(4) << 20);
    if (!j.is_object()) throw ParamError(file + ": expected the JSON object `bench --json` prints");
    Earlier e;
    for (const auto& [k, v] : j.items()) {
        if (k == "build" || k == "compared_to") continue;
        if (k == "machine") {
            if (v.is_object() && v.contains("cpu_model") && v["cpu_model"].is_string()) e.machine = v["cpu_model"].get<std::string>();
            if (v.is_object() && v.contains("load") && v["load"].is_array() && !v["load"].empty() && v["load"][0].is_number())
                e.machine += ", load " + std::to_string(v["load"][0].get<double>()).substr(0, 4);
            continue;
        }
        if (!v.is_number() || !std::isfinite(v.get<double>()))
            throw ParamError(file + ": " + k + " = " + v.dump().substr(0, 40) + " is not a figure: expected a finite number");
        e.figures[k] = v.get<double>();
    }
    if (e.figures.empty()) throw ParamError(file + ": no figures in it (expected the line `dreamlab bench --json` prints)");
    return e;
}

int run_bench(const BenchOptions& opt, std::ostream& out, std::ostream& err) {
    const MachineInfo machine = machine_info();  // the load before the bench adds its own
    // bench --compare: the earlier figures, read (and refused, saying why) before minutes are spent measuring.
    std::optional<Earlier> earlier;
    if (!opt.compare.empty()) earlier = read_earlier(opt.compare);
    struct Row { std::string name; double value; std::string unit, note; };
    std::vector<Row> rows;
    const bool quick = opt.quick;
    const int repeats = quick ? 1 : 3;
    // Each section is named; --only runs the sections named by one of its words, or starting with word + '_'
    // ("cartpole" runs cartpole and cartpole_vec, "ppo" runs ppo_update and ppo_cartpole).
    struct Section {
        std::string name;
        std::function<void()> run;
        bool opt_in = false;  // long runs: only when --only names them (or their family)
        std::string family;   // opt-in: the --only word that runs all of its kind
        Section(std::string n, std::function<void()> r, bool o = false, std::string f = {})
            : name(std::move(n)), run(std::move(r)), opt_in(o), family(std::move(f)) {}
    };
    std::vector<Section> sections;
    // Raw env stepping: FrozenLake 8x8 slippery, uniform random actions, auto-reset.
    sections.push_back({"frozenlake", [&] {
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
    }});
    // CartPole-v1 single env, the allocation-free step, random actions, auto-reset.
    sections.push_back({"cartpole", [&] {
        CartPole env;
        Rng rng(1);
        const int64_t n = quick ? 2000000 : 20000000;
        float obs[4];
        volatile float sink = 0;
        const double t = best_of(repeats, [&] {
            env.reset(1);
            float acc = 0;
            for (int64_t i = 0; i < n; ++i) {
                const StepFlags r = env.step_into(int(rng.next_u64() >> 63), obs);
                acc += obs[0];
                if (r.terminated || r.truncated) env.reset_state(std::nullopt);
            }
            sink = acc;
        });
        (void)sink;
        rows.push_back({"cartpole_steps_per_s", double(n) / t, "steps/s", "single env, random actions, auto-reset"});
    }});
    // A vector of CartPoles on every core, actions precomputed so only stepping is timed.
    sections.push_back({"cartpole_vec", [&] {
        const int threads = std::max(1, int(std::thread::hardware_concurrency()));
        ThreadPool pool(threads);
        const int n_envs = 4096;  // enough work per step to amortise the threads' hand-off
        VectorEnv venv([] { return std::make_unique<CartPole>(); }, n_envs, &pool);
        venv.reset(1);
        Rng rng(3);
        std::vector<int32_t> actions(size_t(n_envs) * 64);
        for (auto& a : actions) a = int32_t(rng.below(2));
        const int steps = quick ? 200 : 2000;
        const double t = best_of(repeats, [&] {
            for (int k = 0; k < steps; ++k) venv.step(&actions[size_t(k % 64) * n_envs]);
        });
        rows.push_back({"cartpole_vec_steps_per_s", double(steps) * n_envs / t, "steps/s",
                        std::to_string(n_envs) + " envs on " + std::to_string(threads) + " threads, SAME_STEP autoreset"});
    }});
    // The vector env's sharing of the cores: steps/s at 8, 64, 512 and 4096 CartPoles on 1 and 2 threads, and on 2
    // threads with a busy-loop process beside it (a student's browser, the GUI): dynamic chunks must not collapse.
    sections.push_back({"vector_env", [&] {
        auto measure = [&](int n_envs, int threads) {
            ThreadPool pool(threads);
            VectorEnv venv([] { return std::make_unique<CartPole>(); }, n_envs, &pool);
            venv.reset(1);
            Rng rng(3);
            std::vector<int32_t> actions(size_t(n_envs) * 64);
            for (auto& a : actions) a = int32_t(rng.below(2));
            const int64_t total = quick ? 2'000'000 : 20'000'000;  // env steps per timing
            const int steps = int(std::max<int64_t>(total / n_envs, 200));
            const double t = best_of(repeats, [&] {
                for (int k = 0; k < steps; ++k) venv.step(&actions[size_t(k % 64) * n_envs]);
            });
            return double(steps) * n_envs / t;
        };
        for (int n_envs : {8, 64, 512, 4096})
            for (int threads : {1, 2})
                rows.push_back({"vec_cartpole_" + std::to_string(n_envs) + "_t" + std::to_string(threads), measure(n_envs, threads),
                                "steps/s", std::to_string(n_envs) + " CartPoles, " + std::to_string(threads) + " thread(s)"});
        const pid_t busy = fork();  // a process that spins on a core for as long as the measurement runs
        if (busy == 0) {
            for (;;) __asm__ __volatile__("" ::: "memory");  // spins until killed
        }
        const double loaded = busy > 0 ? measure(4096, 2) : NAN;
        const double loaded1 = busy > 0 ? measure(4096, 1) : NAN;
        rows.push_back({"vec_cartpole_4096_t1_busy", loaded1, "steps/s", "4096 CartPoles, 1 thread, a busy-loop process beside"});
        if (busy > 0) kill(busy, SIGKILL), waitpid(busy, nullptr, 0);
        rows.push_back({"vec_cartpole_4096_t2_busy", loaded, "steps/s", "4096 CartPoles, 2 threads, a busy-loop process beside"});
    }});
    // MinAtar games, one env each, uniformly random actions over all six, sticky 0.1, auto-reset; the observation
    // (10 x 10 x C floats) is written every step. MinAtar's Python: 24k (Space Invaders) to 187k (Breakout) steps/s.
    for (const std::string& game : minatar::game_names()) {
        std::string key = game;
        std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        if (key == "spaceinvaders") key = "space_invaders";
        sections.push_back({"minatar_" + key, [&, game, key] {
            MinAtarEnv env(game);
            Rng rng(1);
            std::vector<float> obs(size_t(env.obs_dim()));
            const int64_t n = quick ? 200000 : 2000000;
            volatile float sink = 0;
            const double t = best_of(repeats, [&] {
                env.reset_into(1, obs.data());
                float acc = 0;
                for (int64_t i = 0; i < n; ++i) {
                    const StepFlags r = env.step_into(int(rng.below(6)), obs.data());
                    acc += obs[5];
                    if (r.terminated || r.truncated) env.reset_into(std::nullopt, obs.data());
                }
                sink = acc;
            });
            (void)sink;
            rows.push_back({"minatar_" + key + "_steps_per_s", double(n) / t, "steps/s", "single env, random actions, sticky 0.1"});
        }});
    }
    // Q-learning through the full RunContext path (what `dreamlab train` runs).
    sections.push_back({"q_learning", [&] {
        RunConfig cfg;
        cfg.env_id = "FrozenLake8x8-v1";
        cfg.algo_id = "q_learning";
        cfg.algo_args = {{"episodes", quick ? "5000" : "50000"}};
        int64_t steps = 0;
        const double t = best_of(repeats, [&] { steps = run_headless(cfg)->env_steps(); });
        rows.push_back({"q_learning_updates_per_s", double(steps) / t, "updates/s", "8x8 slippery, 1 update per step"});
    }});
    // Value iteration on the 8x8 slippery map to θ = 1e-10 (γ 0.99).
    sections.push_back({"value_iteration", [&] {
        RunConfig cfg;
        cfg.env_id = "FrozenLake8x8-v1";
        cfg.algo_id = "value_iteration";
        int64_t sweeps = 0;
        const double t = best_of(quick ? 3 : 20, [&] { sweeps = run_headless(cfg)->snapshot_now().updates; });
        rows.push_back({"value_iteration_8x8_ms", t * 1e3, "ms",
                        std::to_string(sweeps) + " sweeps to theta=1e-10, gamma=0.99"});
    }});

    // The neural core (LibTorch 1.13 on this machine: 1750 / 4400 / 17200 µs and 12 µs acting).
    sections.push_back({"ppo_update", [&] {
        for (int b : {64, 256, 1024}) {
            const int reps = quick ? 50 : (b == 1024 ? 300 : 1000);
            double best = 1e300;
            for (int r = 0; r < repeats; ++r) best = std::min(best, ppo_update_us(b, reps));
            rows.push_back({"ppo_update_us_b" + std::to_string(b), best, "us", "actor 4-64-64-2 + critic 4-64-64-1, Adam, clip"});
        }
    }});
    sections.push_back({"dqn_minatar_update", [&] {
        DqnUpdate best{1e300, 0};
        for (int r = 0; r < repeats; ++r) {
            const DqnUpdate u = dqn_minatar_update_us(quick ? 50 : 500);
            if (u.us < best.us) best = u;
        }
        char note[160];
        std::snprintf(note, sizeof note, "batch 32, conv3x3x16-128-6 on Seaquest's 10 channels, Adam; %.0f%% of conv outputs nonzero",
                      100 * best.nonzero);
        rows.push_back({"dqn_minatar_update_us", best.us, "us", note});
    }});
    // One SAC training step at the defaults (256-unit actor and twin critics, batch 256, its update schedule) on
    // Pendulum: the difference of two runs past learning_starts, so set-up and the random warm-up cancel out.
    sections.push_back({"sac_step", [&] {
        auto run_s = [&](int64_t total) {
            RunConfig cfg;
            cfg.env_id = "Pendulum-v1", cfg.algo_id = "sac", cfg.seed = 1;
            cfg.algo_args = {{"total_timesteps", std::to_string(total)}, {"learning_starts", "1000"}};
            const auto t0 = std::chrono::steady_clock::now();
            run_headless(cfg);
            return seconds_since(t0);
        };
        const int64_t extra = quick ? 300 : 2000;
        double best = 1e300;
        for (int r = 0; r < repeats; ++r) best = std::min(best, (run_s(1000 + 2 * extra) - run_s(1000 + extra)) / double(extra));
        rows.push_back({"sac_step_us", best * 1e6, "us", "Pendulum, defaults: env step + updates (64 units, batch 100)"});
    }});
    sections.push_back({"act_forward", [&] {
        rows.push_back({"act_forward_us", act_forward_us(quick ? 20000 : 200000), "us", "batch-1 forward, 4-64-64-2 tanh"});
    }});

    // Learning CartPole, median over seeds (5, or 3 with --quick) of wall time and env steps to a mean of 475
    // over the last 20 training episodes (CleanRL's rule), and the final policy's greedy return.
    for (const std::string algo : {"ppo", "dqn", "a2c"}) {
        sections.push_back({algo + "_cartpole", [&, algo] {
            std::vector<double> secs, steps, greedy;
            int solved = 0;
            const int seeds = quick ? 3 : 5;
            for (int seed = 1; seed <= seeds; ++seed) {
                const ToSolve r = time_to_475(algo, uint64_t(seed));
                secs.push_back(std::isnan(r.seconds) ? INFINITY : r.seconds);
                steps.push_back(std::isnan(r.steps) ? INFINITY : r.steps);
                greedy.push_back(r.final_greedy);
                solved += !std::isnan(r.seconds);
            }
            const std::string note = std::to_string(solved) + "/" + std::to_string(seeds) + " seeds reached 475";
            rows.push_back({algo + "_cartpole_seconds_to_475", median(secs), "s", note});
            rows.push_back({algo + "_cartpole_steps_to_475", median(steps), "steps", note});
            rows.push_back({algo + "_cartpole_final_greedy_return", median(greedy), "return", "20 greedy episodes of the final policy"});
            if (algo != "ppo") return;
            // PPO with threads=2: its policy and value losses on two tapes side by side (the same numbers)
            std::vector<double> secs2;
            for (int seed = 1; seed <= seeds; ++seed) {
                const ToSolve r = time_to_475(algo, uint64_t(seed), true, {{"threads", "2"}});
                secs2.push_back(std::isnan(r.seconds) ? INFINITY : r.seconds);
            }
            rows.push_back({"ppo_cartpole_threads2_seconds_to_475", median(secs2), "s", "the same seeds with threads=2"});
        }});
    }

    // Many agents at once: 256 seeds of PPO on CartPole, each until it meets the 475 rule, on every core (one run per
    // thread at a time, seeds handed out in order). PureJaxRL's headline: 2,048 PPO agents on a GPU in half the time
    // of one PyTorch run.
    sections.push_back({"ppo_seeds", [&] {
        const int seeds = quick ? 16 : 256, threads = std::max(1, int(std::thread::hardware_concurrency()));
        std::atomic<int> next{1}, solved{0};
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (int i = 0; i < threads; ++i)
            pool.emplace_back([&] {
                for (int seed; (seed = next.fetch_add(1)) <= seeds;)
                    solved += !std::isnan(time_to_475("ppo", uint64_t(seed), true).seconds);
            });
        for (auto& t : pool) t.join();
        const double secs = seconds_since(t0);
        rows.push_back({"ppo_cartpole_" + std::to_string(seeds) + "_seeds_seconds", secs, "s",
                        std::to_string(solved.load()) + "/" + std::to_string(seeds) + " seeds reached 475 (each stops there), " +
                            std::to_string(threads) + " runs at a time"});
    }});

    // World models: imagined steps per second (the prior, reward and continuation heads of a CartPole model at
    // batch 1024), and real steps until a policy trained only in the dream averages 475 on the real CartPole.
    sections.push_back({"dream", [&] {
        using namespace nn;
        Rng rng(8);
        WorldModelConfig wc;
        wc.obs_dim = 4, wc.n_actions = 2, wc.hidden = 64, wc.deter = 64, wc.stoch = 8, wc.embed = 64;
        WorldModel wm(wc, rng);
        {  // a little training on random play, so the rollouts are those of a trained model
            SequenceBuffer buf(4, 5000);
            CartPole env;
            float o[4];
            env.reset_into(1, o);
            buf.add(o, -1, 0, false, true);
            for (int i = 1; i < 5000; ++i) {
                const int a = int(rng.below(2));
                const StepFlags f = env.step_into(a, o);
                buf.add(o, a, float(f.reward), f.terminated, false);
                if (f.terminated || f.truncated) env.reset_into(std::nullopt, o), buf.add(o, -1, 0, false, true), ++i;
            }
            Adam opt;
            opt.lr = 1e-3f;
            for (int i = 0; i < (quick ? 50 : 300); ++i) wm.train_step(buf.sample(16, 16, rng), opt, rng);
        }
        const int N = 1024, steps = quick ? 20 : 200;
        Mat start(N, 4), r, c;
        for (int i = 0; i < start.size(); ++i) start.data()[i] = float(0.05 * (rng.uniform() - 0.5));
        std::vector<int32_t> acts(static_cast<size_t>(N));
        const double t = best_of(repeats, [&] {
            WorldModel::State s;
            wm.observe_first(s, start, rng);
            for (int k = 0; k < steps; ++k) {
                for (auto& a : acts) a = int32_t(rng.below(2));
                wm.step_prior(s, acts, rng);
                wm.predict(s, r, c);
            }
        });
        rows.push_back({"dream_steps_per_s", double(N) * steps / t, "steps/s",
                        "CartPole RSSM (GRU 64, z 8), batch 1024: prior step + reward + continuation"});
    }});
    // dream_ac's defaults (32 units), and the 64-unit model it had before (its _wide rows; full runs only): the
    // median of 5 seeds, each stopped at a greedy 475.
    sections.push_back({"worldmodel_cartpole", [&] {
        for (const bool wide : {false, true}) {
            if (wide && quick) continue;
            std::vector<double> steps_to, secs_to;
            int solved = 0;
            const int seeds = quick ? 1 : 5;
            for (int seed = 1; seed <= seeds; ++seed) {
                RunConfig cfg;
                cfg.env_id = "CartPole-v1";
                cfg.algo_id = "dream_ac";
                cfg.seed = uint64_t(seed);
                cfg.algo_args = {{"total_timesteps", quick ? "10000" : "30000"}};
                if (wide) cfg.algo_args["hidden"] = "64", cfg.algo_args["deter"] = "64";
                const Reached r = train_until(cfg, 475, 20, 1000);
                steps_to.push_back(r.steps), secs_to.push_back(r.seconds), solved += r.found();
            }
            const std::string name = wide ? "worldmodel_cartpole_wide" : "worldmodel_cartpole";
            const std::string note = std::to_string(solved) + "/" + std::to_string(seeds) + " seeds; dream_ac" +
                                     (wide ? " at 64 units" : "") + ", greedy eval of 20 real episodes every 1000 real steps";
            rows.push_back({name + "_real_steps_to_475", median(steps_to), "steps", note});
            rows.push_back({name + "_seconds_to_475", median(secs_to), "s", note + " (eval time excluded)"});
        }
    }});

    // Continuous control: env steps and wall time until the deterministic policy averages >= -200 over 10 Pendulum
    // episodes (evaluated on a separate env, its time excluded), median of 3 seeds. SAC, TD3, DDPG: defaults but for
    // the budget, checked every 1000 steps (RL Baselines3 Zoo: about -150 at 20k steps). PPO and A2C (Gaussian
    // policies): their learning test's settings (γ 0.9; PPO 4 × 1024 steps per rollout and an unclipped value loss,
    // A2C n = 8 with normalised rewards), checked every 4096 steps.
    struct PendulumRun {
        std::string name;  // of the rows: NAME_pendulum_...
        std::string algo;
        std::map<std::string, std::string> args;  // total_timesteps for full runs; quick runs use quick_steps
        std::string quick_steps;
        int64_t every;
        std::string settings;
    };
    // The wide settings (CleanRL's: 256 units, batch 256, lr 3e-4; SAC 1000 warm-up steps), the defaults until they
    // were measured here: about as many steps to −200 as the defaults, 17–26× the wall time.
    const std::map<std::string, std::string> wide = {{"hidden", "256"}, {"batch_size", "256"}, {"total_timesteps", "20000"}};
    auto with = [](std::map<std::string, std::string> a, const std::map<std::string, std::string>& more) {
        for (const auto& [k, v] : more) a[k] = v;
        return a;
    };
    const std::string wide_note = "wide: 256 units, batch 256, lr 3e-4";
    const std::vector<PendulumRun> pendulum_runs = {
        {"sac", "sac", {{"total_timesteps", "20000"}}, "5000", 1000, "default settings"},
        {"sac_wide", "sac", with(wide, {{"policy_lr", "3e-4"}, {"learning_starts", "1000"}}), "5000", 1000, wide_note + ", 1000 warm-up steps"},
        {"td3", "td3", {{"total_timesteps", "20000"}}, "5000", 1000, "default settings"},
        {"td3_wide", "td3", with(wide, {{"learning_rate", "3e-4"}, {"learning_starts", "1000"}}), "5000", 1000, wide_note + ", 1000 warm-up steps"},
        {"ddpg", "ddpg", {{"total_timesteps", "20000"}}, "5000", 1000, "default settings"},
        {"ddpg_wide", "ddpg", with(wide, {{"learning_rate", "3e-4"}, {"learning_starts", "1000"}}), "5000", 1000, wide_note + ", 1000 warm-up steps"},
        {"ppo", "ppo", {{"total_timesteps", "200000"}, {"num_envs", "4"}, {"num_steps", "1024"}, {"num_minibatches", "16"},
                 {"update_epochs", "10"}, {"learning_rate", "1e-3"}, {"gamma", "0.9"}, {"clip_vloss", "false"}},
         "200000", 4096, "the learning test's settings"},
        {"a2c", "a2c", {{"total_timesteps", "2000000"}, {"gamma", "0.9"}, {"gae_lambda", "0.9"}, {"num_steps", "8"}, {"norm_reward", "true"}},
         "2000000", 4096, "the learning test's settings"}};
    for (const PendulumRun& pr : pendulum_runs) {
        sections.push_back({pr.name + "_pendulum", [&, pr] {
            std::vector<double> steps_to, secs_to;
            int solved = 0;
            const int seeds = quick ? 1 : 3;
            for (int seed = 1; seed <= seeds; ++seed) {
                RunConfig cfg;
                cfg.env_id = "Pendulum-v1", cfg.algo_id = pr.algo, cfg.seed = uint64_t(seed), cfg.algo_args = pr.args;
                if (quick) cfg.algo_args["total_timesteps"] = pr.quick_steps;
                const Reached r = train_until(cfg, -200, 10, pr.every);
                steps_to.push_back(r.steps), secs_to.push_back(r.seconds), solved += r.found();
            }
            const std::string note = std::to_string(solved) + "/" + std::to_string(seeds) + " seeds; " + pr.settings +
                                     ", deterministic eval of 10 episodes every " + std::to_string(pr.every) + " steps";
            rows.push_back({pr.name + "_pendulum_steps_to_minus200", median(steps_to), "steps", note});
            rows.push_back({pr.name + "_pendulum_seconds_to_minus200", median(secs_to), "s", note + " (eval time excluded)"});
        }});
    }

    // Off-policy continuous control at RLtools' Pendulum-v1 settings (its zoo configs: actor and critics 3-64-64
    // ReLU, batch 100, learning starts 100, Adam lr 1e-3, replay as large as the run; TD3: actor and targets every
    // 2 steps; SAC: actor, α (from 0.5, learned) and targets every step): µs per env step over a whole 10k-step run,
    // updates included, on 1 thread and with the twin critics on 2. With --peer-rltools DIR (the two binaries
    // scripts/peers/build_rltools_peer.sh builds from RLtools' source, outside this tree) RLtools runs the same
    // budget interleaved with ours, best of 3 each, and the speed-up is its time over ours.
    sections.push_back({"rltools_settings", [&] {
        const int64_t steps = quick ? 2000 : 10000;
        auto config = [&](const std::string& algo, int threads) {
            RunConfig cfg;
            cfg.env_id = "Pendulum-v1", cfg.algo_id = algo, cfg.seed = 1;
            cfg.algo_args = {{"total_timesteps", std::to_string(steps)}, {"buffer_size", std::to_string(steps)},
                             {"learning_starts", "100"}, {"hidden", "64"}, {"batch_size", "100"}, {"threads", std::to_string(threads)}};
            if (algo == "td3") cfg.algo_args["learning_rate"] = "1e-3";
            else cfg.algo_args.insert({{"policy_lr", "1e-3"}, {"q_lr", "1e-3"}, {"policy_frequency", "1"}, {"alpha", "0.5"}});
            return cfg;
        };
        auto ours = [&](const std::string& algo, int threads) {
            const auto t0 = std::chrono::steady_clock::now();
            run_headless(config(algo, threads));
            return seconds_since(t0) / double(steps) * 1e6;
        };
        auto peer = [&](const std::string& algo) {
            const std::string cmd = "OPENBLAS_NUM_THREADS=1 " + opt.peer_rltools + "/peer_" + algo + " " + std::to_string(steps);
            std::FILE* f = popen(cmd.c_str(), "r");
            if (!f) throw std::runtime_error("bench: cannot run " + cmd);
            std::string text;
            char buf[256];
            while (std::fgets(buf, sizeof buf, f)) text += buf;
            if (pclose(f) != 0) throw std::runtime_error("bench: " + cmd + " failed: " + text);
            const size_t at = text.find("\"us_per_step\":");
            if (at == std::string::npos) throw std::runtime_error("bench: " + cmd + " printed no us_per_step: " + text);
            return std::stod(text.substr(at + 14));
        };
        for (const std::string algo : {"td3", "sac"}) {
            double one = 1e300, two = 1e300, theirs = 1e300;
            for (int r = 0; r < repeats; ++r) {  // interleaved: a change in the machine's load hits both
                one = std::min(one, ours(algo, 1));
                two = std::min(two, ours(algo, 2));
                if (!opt.peer_rltools.empty()) theirs = std::min(theirs, peer(algo));
            }
            const std::string note = std::to_string(steps) + " steps, 3-64-64 ReLU, batch 100, lr 1e-3";
            rows.push_back({algo + "_rltools_settings_us_per_step", one, "us", note + ", 1 thread"});
            rows.push_back({algo + "_rltools_settings_2t_us_per_step", two, "us", note + ", twin critics on 2 threads"});
            if (opt.peer_rltools.empty()) continue;
            rows.push_back({"rltools_" + algo + "_us_per_step", theirs, "us", "RLtools (its zoo config, OpenBLAS, -O3 -march=native -ffast-math), 1 thread"});
            rows.push_back({algo + "_speedup_vs_rltools", theirs / one, "ratio", "RLtools' time over ours, both 1 thread"});
            rows.push_back({algo + "_speedup_vs_rltools_2t", theirs / two, "ratio", "RLtools' time (1 thread) over ours (2 threads)"});
        }
    }});

    // A pixel world model on Breakout after a fixed budget: 2000 ELBO steps (16 sequences of 16 frames) on 20 000
    // frames of the scripted tracker with 30% random moves; open-loop prediction on 256 held-out windows inside
    // episodes (5 frames observed, then dreamed with the real actions), a cell lit where p > ½.
    sections.push_back({"worldmodel_breakout", [&] {
        using namespace nn;
        auto env = make_env("MinAtar/Breakout-v1", *make_env_args("MinAtar/Breakout-v1", {}));
        auto tracker = [](const float* obs, Rng& rng) {
            return rng.uniform() < 0.3 ? int(rng.below(6)) : minatar::breakout_tracker(obs);
        };
        const SequenceBuffer train = record_experience(*env, 20000, tracker, 1), held = record_experience(*env, 8000, tracker, 2);
        WorldModelConfig wc;
        wc.obs_dim = env->obs_dim(), wc.n_actions = 6, wc.hidden = 128, wc.deter = 128, wc.stoch = 16, wc.embed = 128;
        choose_codec(wc, env->observation_space(), "auto", "auto");
        Rng rng(3);
        WorldModel wm(wc, rng);
        Adam opt;
        opt.lr = 1e-3f;
        const int updates = quick ? 200 : 2000;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < updates; ++i) wm.train_step(train.sample(16, 16, rng), opt, rng);
        const double secs = seconds_since(t0);
        const auto sc = wm.pixel_scores(held.sample_within_episodes(256, 20, rng), 5, {1, 5, 15}, rng);
        for (size_t k = 0; k < sc.horizon.size(); ++k) {
            const std::string h = std::to_string(sc.horizon[k]);
            char note[160];
            std::snprintf(note, sizeof note, "%d updates (%.1f s); baselines: all dark %.4f, last frame %.4f", updates, secs,
                          sc.dark_accuracy[k], sc.copy_accuracy[k]);
            rows.push_back({"worldmodel_breakout_pixel_accuracy_h" + h, sc.accuracy[k], "cells", note});
            rows.push_back({"worldmodel_breakout_moving_accuracy_h" + h, sc.changed_accuracy[k], "cells",
                            "cells changed since the last observed frame (the last-frame baseline gets 0)"});
        }
    }});

    // The MinAtar paper's learning curves: DQN for 1M frames on one game with a fixed seed (about 10 minutes on
    // two cores; 20k frames with --quick). Writes the return of every episode to bench/minatar_dqn_1m_<game>.csv.
    for (const std::string& game : minatar::game_names()) {
        std::string key = game;
        std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        if (key == "spaceinvaders") key = "space_invaders";
        sections.push_back({"minatar_dqn_1m_" + key, [&, game, key] {
            RunConfig cfg;
            cfg.env_id = "MinAtar/" + game + "-v1";
            cfg.algo_id = "dqn";
            cfg.seed = 1;
            // The paper's DQN: its network, batch 32, replay 100k from 5k frames on, a hard target copy every
            // 1000 steps, epsilon 1 -> 0.1 over the first 100k frames, one-step targets, no double DQN. (It used
            // RMSProp; Adam at the same step size here.)
            const int64_t frames = quick ? 20000 : 1000000;
            cfg.algo_args = {{"total_timesteps", std::to_string(frames)}, {"hidden", "128"}, {"conv_filters", "16"},
                             {"batch_size", "32"}, {"buffer_size", "100000"}, {"learning_starts", "5000"},
                             {"target_update", "hard"}, {"target_network_frequency", "1000"}, {"start_e", "1"},
                             {"end_e", "0.1"}, {"exploration_fraction", std::to_string(100000.0 / double(frames))},
                             {"n_step", "1"}, {"double_dqn", "false"}, {"loss", "huber"}, {"learning_rate", "0.00025"},
                             {"max_grad_norm", "1000"}, {"gamma", "0.99"}};
            if (quick) cfg.algo_args["exploration_fraction"] = "0.5", cfg.algo_args["learning_starts"] = "1000";
            const auto t0 = std::chrono::steady_clock::now();
            auto ctx = run_headless(cfg);
            const double secs = seconds_since(t0);
            const MetricsTable& m = ctx->metrics();
            const int ret = m.find("return"), step = m.find("env_step");
            std::string csv = "env_step,return\n";
            std::vector<double> returns;
            for (size_t r = 0; r < m.size(); ++r)
                if (!std::isnan(m.at(r, ret))) {
                    returns.push_back(m.at(r, ret));
                    csv += std::to_string(int64_t(m.at(r, step))) + "," + std::to_string(m.at(r, ret)) + "\n";
                }
            const std::string path = "bench/minatar_dqn_1m_" + key + ".csv";
            std::filesystem::create_directories("bench");
            write_file_atomic(path, csv);
            double last = 0;
            const size_t n = std::min<size_t>(100, returns.size());
            for (size_t i = returns.size() - n; i < returns.size(); ++i) last += returns[i] / double(std::max<size_t>(1, n));
            rows.push_back({"minatar_dqn_1m_" + key + "_seconds", secs, "s", std::to_string(frames) + " frames, seed 1 -> " + path});
            rows.push_back({"minatar_dqn_1m_" + key + "_final_return", last, "return", "mean of the last 100 training episodes"});
        }, true, "minatar_dqn_1m"});
    }

    // The timeline's cost: training throughput with the GUI's default timeline (a checkpoint every episode, or every
    // sweep, held to 2% of the training time, thinned to 200 and 256 MB) against none, alternating, best of each.
    sections.push_back({"timeline", [&] {
        struct Case { const char* name; const char* env; const char* algo; std::map<std::string, std::string> args; };
        const std::vector<Case> cases = {
            {"q_learning", "FrozenLake8x8-v1", "q_learning", {{"episodes", quick ? "5000" : "30000"}}},
            {"dqn", "CartPole-v1", "dqn", {{"total_timesteps", quick ? "10000" : "30000"}}},
            {"ppo", "CartPole-v1", "ppo", {{"total_timesteps", quick ? "16384" : "65536"}}},
            {"sac", "Pendulum-v1", "sac", {{"total_timesteps", quick ? "1200" : "3000"}, {"learning_starts", "1000"}}},
        };
        for (const Case& c : cases) {
            RunConfig cfg;
            cfg.env_id = c.env, cfg.algo_id = c.algo, cfg.algo_args = c.args;
            double off = INFINITY, on = INFINITY;
            size_t kept = 0;
            int64_t bytes = 0;
            for (int r = 0; r < std::max(2, repeats); ++r) {
                auto t0 = std::chrono::steady_clock::now();
                run_headless(cfg);
                off = std::min(off, seconds_since(t0));
                RunStart start;
                start.timeline = default_timeline(find_algo(c.algo));
                t0 = std::chrono::steady_clock::now();
                run_headless(cfg, start);
                on = std::min(on, seconds_since(t0));
                kept = start.timeline->size(), bytes = start.timeline->bytes_used();
            }
            char note[160];
            std::snprintf(note, sizeof note, "%s on %s: %.3f s off, %.3f s on; %zu checkpoints kept, %.1f MB", c.algo, c.env, off, on,
                          kept, double(bytes) / (1 << 20));
            rows.push_back({std::string("timeline_throughput_") + c.name, off / on, "ratio", note});
        }
    }});

    // The sweep scheduler's overhead: N short CartPole PPO trials run by `dreamlab sweep` (one process per trial, as
    // many at a time as there are cores) against the ideal, (the sum of the N trials' times, each run alone as its
    // own process: start, train, write) / cores. Efficiency 1 means the scheduler adds nothing.
    sections.push_back({"sweep", [&] {
        namespace fs = std::filesystem;
        const fs::path dir = fs::temp_directory_path() / ("dreamlab-bench-sweep-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        const int64_t steps = quick ? 20000 : 60000;
        const int lrs = quick ? 4 : 10, seeds = 5;  // x 4 clip coefficients: 80 or 200 trials
        std::string lr_list;
        for (int i = 0; i < lrs; ++i) lr_list += (i ? ", " : "") + format_number(1e-4 * std::pow(100.0, double(i) / double(lrs - 1)));
        write_file_atomic(dir / "s.toml", "[base]\nenv.id = \"CartPole-v1\"\nalgo.id = \"ppo\"\nalgo.args = { total_timesteps = " +
                                               std::to_string(steps) + " }\n[design]\nseeds = " + std::to_string(seeds) +
                                               "\n[axes]\nlearning_rate = [" + lr_list + "]\nclip_coef = [0.1, 0.2, 0.3, 0.4]\n");
        const int trials = lrs * 4 * seeds;
        const std::string exe = fs::read_symlink("/proc/self/exe").string();
        // As the sweep starts a trial: dreamlab-trial beside this binary where it is built, else `dreamlab sweep-trial`.
        const fs::path slim = fs::path(exe).parent_path() / "dreamlab-trial";
        const std::string worker = fs::exists(slim) ? "'" + slim.string() + "'" : "'" + exe + "' sweep-trial";
        const int cores = std::max(1, int(std::thread::hardware_concurrency()));
        std::ostringstream sink_out, sink_err;
        // The machine is shared and its speed drifts by 10-20% over a minute: the two measurements take turns, and
        // each keeps its best of `repeats`.
        double alone_total = INFINITY, measured = INFINITY;
        for (int rep = 0; rep < repeats; ++rep) {
            // Every trial alone, one after another, each as its own process: the sum of single-trial times.
            const fs::path probe = dir / ("alone-" + std::to_string(rep));
            prepare_sweep_dir(probe, load_sweep(dir / "s.toml"));
            const auto ta = std::chrono::steady_clock::now();
            for (int k = 0; k < trials; ++k) {
                const std::string cmd = worker + " '" + probe.string() + "' " + std::to_string(k) + " >/dev/null 2>&1";
                if (std::system(cmd.c_str()) != 0) throw std::runtime_error("bench sweep: a trial failed: " + cmd);
            }
            alone_total = std::min(alone_total, seconds_since(ta));
            // The sweep, as a user runs it.
            const auto t0 = std::chrono::steady_clock::now();
            const std::vector<std::string> args = {"sweep", (dir / "s.toml").string(), "--out", (dir / ("run-" + std::to_string(rep))).string(), "--quiet"};
            if (run_cli(args, sink_out, sink_err) != 0) throw std::runtime_error("bench sweep failed: " + sink_err.str());
            measured = std::min(measured, seconds_since(t0));
        }
        const double ideal = alone_total / cores;
        fs::remove_all(dir);
        char note[200];
        std::snprintf(note, sizeof note, "%d PPO CartPole trials of %lld steps on %d cores: %.1f s, ideal %.1f s (%.2f s per trial alone); best of %d",
                      trials, (long long)steps, cores, measured, ideal, alone_total / trials, repeats);
        rows.push_back({"sweep_efficiency", ideal / measured, "ratio", note});
        rows.push_back({"sweep_trials_per_min", trials / measured * 60, "trials/min", "the same sweep: finished trials per minute"});
    }});

    bool any = false;
    for (const Section& sec : sections) {
        const bool want = sec.opt_in ? std::any_of(opt.only.begin(), opt.only.end(),
                                                   [&](const std::string& w) { return sec.name == w || sec.family == w; })
                                     : opt.only.empty() || std::any_of(opt.only.begin(), opt.only.end(), [&](const std::string& w) {
                                           return sec.name == w || sec.name.rfind(w + "_", 0) == 0;
                                       });
        if (!want) continue;
        any = true;
        sec.run();
    }
    if (!any) {
        std::string names;
        for (const Section& sec : sections) names += " " + sec.name;
        throw std::invalid_argument("bench --only " + opt.only_text + " matched no section; the sections are:" + names);
    }

    std::ostream& table = opt.json ? err : out;
    const MachineInfo machine_end = machine_info();  // the load at the end (the bench's own included)
    // Which build and machine made these figures: the portable and native builds differ in speed (and numbers),
    // and a loaded machine in everything.
    const BuildInfo build = build_info();
    table << build_and_machine_lines(machine);
    char load_end[64];
    std::snprintf(load_end, sizeof load_end, "%.2f %.2f %.2f", machine_end.load1, machine_end.load5, machine_end.load15);
    table << "load at the end: " << load_end << "\n\n";
    if (!earlier) {
        table << std::left << std::setw(40) << "figure" << std::right << std::setw(16) << "value" << "  "
              << std::left << std::setw(10) << "unit" << "note\n";
        for (const auto& r : rows)
            table << std::left << std::setw(40) << r.name << std::right << std::setw(16) << std::setprecision(6)
                  << r.value << "  " << std::left << std::setw(10) << r.unit << r.note << "\n";
    } else {
        // Beside the earlier run: ratio now / then, and whether that is better (a change within 3% is noise on a
        // shared machine: "same").
        table << "compared with " << opt.compare << (earlier->machine.empty() ? "" : " (" + earlier->machine + ")") << "\n";
        table << std::left << std::setw(40) << "figure" << std::right << std::setw(14) << "value" << std::setw(14) << "before"
              << std::setw(9) << "ratio" << "  " << std::left << std::setw(8) << "" << "unit\n";
        for (const auto& r : rows) {
            table << std::left << std::setw(40) << r.name << std::right << std::setw(14) << std::setprecision(6) << r.value;
            auto it = earlier->figures.find(r.name);
            if (it == earlier->figures.end()) {
                table << std::setw(14) << "—" << std::setw(9) << "" << "  " << std::left << std::setw(8) << "new" << r.unit << "\n";
                continue;
            }
            const double before = it->second, ratio = before != 0 ? r.value / before : NAN;
            const char* verdict = "";
            if (std::isfinite(ratio)) {
                const bool up = ratio > 1.03, down = ratio < 1 / 1.03;
                verdict = !up && !down ? "same" : (up == higher_is_better(r.unit)) ? "better" : "worse";
            }
            char rt[32];
            std::snprintf(rt, sizeof rt, "%.3f", ratio);
            table << std::setw(14) << before << std::setw(9) << rt << "  " << std::left << std::setw(8) << verdict << r.unit << "\n";
        }
        for (const auto& [name, v] : earlier->figures)
            if (std::none_of(rows.begin(), rows.end(), [&](const Row& r) { return r.name == name; }))
                table << std::left << std::setw(40) << name << std::right << std::setw(14) << "—" << std::setw(14) << v
                      << "  (not measured this time)\n";
    }
    if (opt.json) {
        nlohmann::json j;
        for (const auto& r : rows) j[r.name] = r.value;
        j["build"] = {{"kind", build.kind}, {"isa", build.isa}, {"simd", build.simd}, {"compiler", build.compiler},
                      {"eigen_l1", build.l1}, {"eigen_l2", build.l2}, {"eigen_l3", build.l3}};
        j["machine"] = {{"cpu_model", machine.cpu_model}, {"isa_level", machine.isa_level},
                        {"hardware_threads", machine.hardware_threads},
                        {"load", {machine.load1, machine.load5, machine.load15}},
                        {"load_end", {machine_end.load1, machine_end.load5, machine_end.load15}}};
        if (earlier) j["compared_to"] = opt.compare;
        out << j.dump() << "\n";
    }
    return 0;
}

}  // namespace dl
