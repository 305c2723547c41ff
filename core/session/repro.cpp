#include "core/session/repro.h"

#include <chrono>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "core/algos/registry.h"
#include "base/files.h"
#include "core/session/session.h"

namespace dl {

const std::vector<PinnedRun>& pinned_runs() {
    // A few seconds each; together they run every kind of arithmetic the learners use.
    static const std::vector<PinnedRun> runs = [] {
        auto make = [](std::string env, std::string algo, std::map<std::string, std::string> args, uint64_t seed) {
            RunConfig c;
            c.env_id = std::move(env), c.algo_id = std::move(algo), c.algo_args = std::move(args), c.seed = seed;
            return c;
        };
        return std::vector<PinnedRun>{
            {"q_learning_lake", make("FrozenLake-v1", "q_learning", {{"episodes", "3000"}}, 1),
             "tabular: double-precision TD updates, the slip rule's random stream"},
            {"ppo_cartpole", make("CartPole-v1", "ppo", {{"total_timesteps", "40960"}}, 1),
             "small MLPs (64 units), GAE, Adam, grad-norm clipping, 8 envs"},
            {"dqn_breakout",
             make("MinAtar/Breakout-v1", "dqn", {{"total_timesteps", "2500"}, {"learning_starts", "500"}}, 1),
             "conv torso (sparse and dense paths), a 1600-deep GEMM, replay, target net"},
            {"sac_pendulum", make("Pendulum-v1", "sac", {{"total_timesteps", "1000"}, {"learning_starts", "500"}, {"hidden", "256"}, {"batch_size", "256"}, {"policy_lr", "3e-4"}}, 1),
             "256-unit MLPs, tanh-Gaussian log-probs (exp, log, softplus), twin critics, α"},
            {"trpo_pendulum", make("Pendulum-v1", "trpo", {{"total_timesteps", "8192"}}, 1),
             "Fisher-vector products (forward mode), conjugate gradient, line search"},
            {"dream_ac_cartpole",
             make("CartPole-v1", "dream_ac", {{"total_timesteps", "1200"}, {"prefill", "400"}, {"hidden", "64"}, {"deter", "64"}}, 1),
             "world model: GRU, Gaussian latent, KL balancing, dreamed λ-returns"},
        };
    }();
    return runs;
}

PinnedResult run_pinned(const PinnedRun& run) {
    const auto t0 = std::chrono::steady_clock::now();
    auto ctx = run_headless(run.cfg);
    PinnedResult r;
    r.name = run.name;
    const std::string csv = ctx->metrics().to_csv();
    r.hash = fnv1a64(csv.data(), csv.size());
    r.rows = ctx->metrics().size();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

std::string hex64(uint64_t h) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::vector<std::pair<std::string, std::string>> parse_hash_file(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream in(text);
    int line_no = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        std::istringstream words(line);
        std::string name, value, extra;
        if (!(words >> name)) continue;
        if (!(words >> value) || (words >> extra) || value.size() != 16 ||
            value.find_first_not_of("0123456789abcdef") != std::string::npos)
            throw std::runtime_error("line " + std::to_string(line_no) + ": expected '<run name> <16 hex digits>', got '" +
                                     line + "'");
        out.push_back({name, value});
    }
    return out;
}

}  // namespace dl
