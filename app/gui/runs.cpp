// Run management for the GUI: starting, restarting and polling sessions; presets; ground truth by DP.
#include <cmath>

#include <nlohmann/json.hpp>

#include "app/gui/gui.h"
#include "core/rl/tabular.h"
#include "envs/registry.h"

namespace dl {

namespace {
const ImU32 kRunColours[] = {IM_COL32(80, 170, 255, 255), IM_COL32(255, 130, 60, 255), IM_COL32(110, 210, 110, 255),
                             IM_COL32(220, 100, 220, 255), IM_COL32(250, 210, 70, 255), IM_COL32(90, 220, 220, 255),
                             IM_COL32(240, 90, 110, 255), IM_COL32(180, 180, 180, 255)};
}

std::string RunSlot::label() const { return cfg.algo_id + " #" + std::to_string(id); }

void App::notify(const std::string& msg, double seconds) {
    toast = msg;
    toast_until = ImGui::GetTime() + seconds;
}

void add_run(App& app, const RunConfig& cfg) {
    auto slot = std::make_unique<RunSlot>();
    slot->id = app.next_id++;
    slot->color = kRunColours[(slot->id - 1) % 8];
    app.runs.push_back(std::move(slot));
    restart_run(app, *app.runs.back(), cfg);
}

void restart_run(App& app, RunSlot& run, const RunConfig& cfg) {
    run.session.reset();  // stops and joins the old worker first
    run.cfg = cfg;
    run.snap = {};
    run.snap_seq = 0;
    run.metrics = {};
    run.markers.clear();
    run.sps_x.clear(), run.sps_y.clear();
    run.error.clear();
    try {
        run.session = std::make_unique<Session>(cfg, !app.playing, app.unthrottled ? 0.0 : app.speed);
    } catch (const std::exception& e) {
        run.error = e.what();
    }
}

void poll_runs(App& app) {
    for (auto& r : app.runs) {
        if (!r->session) continue;
        r->session->set_views(r->want_views);  // what the panels asked for last frame
        r->want_views = {};
        r->session->controls().want_snapshot = true;
        if (r->session->context().poll_snapshot(r->snap_seq, r->snap) && r->snap.steps_per_s > 0 && !r->snap.paused &&
            (r->sps_x.empty() || double(r->snap.env_steps) > r->sps_x.back()))
            r->sps_x.push_back(double(r->snap.env_steps)), r->sps_y.push_back(r->snap.steps_per_s);
        r->session->context().poll_metrics(r->metrics, r->markers);
        if (!r->snap.error.empty()) r->error = r->snap.error;
    }
}

void apply_transport(App& app) {
    for (auto& r : app.runs) {
        if (!r->session) continue;
        RunControls& c = r->session->controls();
        c.speed = app.unthrottled ? 0.0 : double(app.speed);
        c.paused = !app.playing;
        c.wake();
    }
}

void step_all(App& app, Tick unit) {
    app.playing = false;
    for (auto& r : app.runs) {
        if (!r->session) continue;
        RunControls& c = r->session->controls();
        c.paused = true;
        // A planner has no env steps: "one step" is one sweep for it. An algorithm without update ticks takes
        // one env step when asked for an update.
        const AlgoInfo& a = r->session->algo();
        Tick t = a.planner ? Tick::Update : unit;
        if (t == Tick::Update && !a.ticks_updates) t = Tick::EnvStep;
        c.step_to = int(t);
        c.wake();
    }
}

void load_draft(App& app) {
    RunSlot* r = app.current();
    if (!r) return;
    app.draft_env_id = r->cfg.env_id;
    app.draft_algo_id = r->cfg.algo_id;
    app.draft_seed = r->cfg.seed;
    try {
        app.draft_env = make_env_args(r->cfg.env_id, r->cfg.env_args);
        app.draft_algo = make_algo_args(r->cfg.algo_id, r->cfg.algo_args);
    } catch (const std::exception& e) {
        app.setup_error = e.what();
    }
    app.restart_needed = false;
}

RunConfig draft_config(const App& app) {
    RunConfig c;
    c.env_id = app.draft_env_id;
    c.algo_id = app.draft_algo_id;
    c.seed = app.draft_seed;
    // Keep only values that differ from the id's defaults, so config.json stays readable.
    auto diff = [](ArgsBase& now, ArgsBase& defaults) {
        std::map<std::string, std::string> m;
        auto d = describe(defaults);
        for (const auto& s : describe(now))
            for (const auto& ds : d)
                if (ds.name == s.name && ds.default_value != s.default_value) m[s.name] = s.default_value;
        return m;
    };
    if (app.draft_env) c.env_args = diff(*app.draft_env, *find_env(c.env_id).make_args());
    if (app.draft_algo) c.algo_args = diff(*app.draft_algo, *find_algo(c.algo_id).make_args());
    return c;
}

const std::vector<Preset>& presets() {
    static const std::vector<Preset> p = [] {
        auto cfg = [](std::string env, std::map<std::string, std::string> env_args, std::string algo,
                      std::map<std::string, std::string> algo_args, uint64_t seed = 1) {
            RunConfig c;
            c.env_id = std::move(env), c.env_args = std::move(env_args);
            c.algo_id = std::move(algo), c.algo_args = std::move(algo_args);
            c.seed = seed;
            return c;
        };
        return std::vector<Preset>{
            {"lake", "Q-learning on the slippery 4x4 lake: press Play and watch V and the arrows form",
             {cfg("FrozenLake-v1", {}, "q_learning", {})}, false, 30, false},
            {"qlearning-vs-sarsa", "Q-learning and SARSA side by side on the same slippery lake",
             {cfg("FrozenLake-v1", {}, "q_learning", {}), cfg("FrozenLake-v1", {}, "sarsa", {})}, true, 30, true},
            {"value-iteration", "value iteration on the 8x8 lake, one sweep at a time",
             {cfg("FrozenLake8x8-v1", {}, "value_iteration", {})}, false, 2, false},
            {"policy-iteration", "policy iteration on the 4x4 lake: evaluation sweeps, then improvement",
             {cfg("FrozenLake-v1", {}, "policy_iteration", {})}, false, 4, false},
            {"lecture-coin", "the lecture lake: home +10, holes -10, a coin worth +1 (two value layers)",
             {cfg("FrozenLakeLecture-v0", {}, "q_learning", {{"gamma", "0.95"}})}, false, 30, false},
            {"dyna-q", "Dyna-Q vs Q-learning: planning steps make each real step count more",
             {cfg("FrozenLake-v1", {}, "dyna_q", {{"episodes", "1500"}, {"epsilon_decay", "0.997"}}),
              cfg("FrozenLake-v1", {}, "q_learning", {{"episodes", "1500"}, {"epsilon_decay", "0.997"}})},
             true, 30, true},
            {"lake-ppo", "PPO on the slippery lake with one-hot observations: its V and arrows beside V*",
             {cfg("FrozenLake-v1", {}, "ppo", {{"total_timesteps", "100000"}})}, true, 2000, false},
            {"cartpole-ppo", "PPO balances CartPole: watch V(θ, ω) and the policy map form as the return climbs",
             {cfg("CartPole-v1", {}, "ppo", {})}, true, 2000, false},
            {"cartpole-dqn", "DQN on CartPole: Q-values of the current state, the Q(right) − Q(left) map, ε and TD loss",
             {cfg("CartPole-v1", {}, "dqn", {})}, true, 2000, false},
            {"cartpole-compare", "PPO, A2C and DQN race on CartPole, unthrottled",
             {cfg("CartPole-v1", {}, "ppo", {}), cfg("CartPole-v1", {}, "a2c", {}), cfg("CartPole-v1", {}, "dqn", {})},
             true, 30, true},
            {"cartpole-seeds", "PPO with and without advantage normalisation, 3 seeds each, as mean ± std",
             {cfg("CartPole-v1", {}, "ppo", {}, 1), cfg("CartPole-v1", {}, "ppo", {}, 2), cfg("CartPole-v1", {}, "ppo", {}, 3),
              cfg("CartPole-v1", {}, "ppo", {{"norm_adv", "false"}}, 1), cfg("CartPole-v1", {}, "ppo", {{"norm_adv", "false"}}, 2),
              cfg("CartPole-v1", {}, "ppo", {{"norm_adv", "false"}}, 3)},
             true, 30, true},
            {"sarsa-lambda", "SARSA(λ) on the 8x8 lake: traces carry the goal's reward back along the path",
             {cfg("FrozenLake8x8-v1", {}, "sarsa_lambda", {})}, false, 60, false},
            {"cartpole-dream", "Actor-critic trained only in a learned world model: its dream beside reality, frame by frame",
             {cfg("CartPole-v1", {}, "dream_ac", {})}, true, 30, true},
            {"breakout-dream", "Dreamer on Breakout pixels: a conv world model dreams the ball; move z with the latent sliders",
             {cfg("MinAtar/Breakout-v1", {}, "dreamer", {{"total_timesteps", "200000"}, {"hidden", "128"}, {"deter", "128"},
                                                         {"stoch", "16"}})},
             true, 30, true},
            {"cartpole-pixels-dream", "A world model of CartPole seen as 20x40 pictures: velocities only from its memory",
             {cfg("CartPole-v1", {{"obs", "pixels"}}, "dream_ac", {})}, true, 30, true},
            {"pendulum-sac", "SAC swings the Pendulum up: returns from -1500 to about -150 within a few thousand steps",
             {cfg("Pendulum-v1", {}, "sac", {{"hidden", "64"}})}, true, 30, true},
            {"pendulum-ppo", "PPO with a Gaussian policy on Pendulum: watch π(a | s) narrow as σ is learned (~100k steps)",
             {cfg("Pendulum-v1", {}, "ppo", {{"total_timesteps", "150000"}, {"num_envs", "4"}, {"num_steps", "1024"},
                                            {"num_minibatches", "16"}, {"update_epochs", "10"}, {"learning_rate", "1e-3"},
                                            {"gamma", "0.9"}, {"clip_vloss", "false"}})},
             true, 30, true},
            {"mountaincar-exploration", "TD3 on MountainCarContinuous with independent vs Ornstein-Uhlenbeck noise: the first "
                                        "learns to stand still, the second rocks the car up to the flag (~50k steps)",
             {cfg("MountainCarContinuous-v0", {}, "td3", {{"total_timesteps", "80000"}, {"hidden", "64"}, {"exploration_noise", "0.5"},
                                                          {"learning_starts", "10000"}, {"learning_rate", "1e-3"}}, 2),
              cfg("MountainCarContinuous-v0", {}, "td3",
                  {{"total_timesteps", "80000"}, {"hidden", "64"}, {"exploration_noise", "0.5"}, {"noise_type", "ou"},
                   {"learning_starts", "10000"}, {"learning_rate", "1e-3"}}, 2)},
             true, 30, true},
            {"pendulum-trpo", "TRPO on Pendulum: each update's KL against the trust region δ, and the line search's tries",
             {cfg("Pendulum-v1", {}, "trpo", {{"total_timesteps", "200000"}, {"gamma", "0.9"}})}, true, 30, true},
            {"gradient-estimators", "Concept: REINFORCE, a baseline, the pathwise gradient and Gumbel-softmax as histograms of "
                                    "gradient samples; their variance against the sample size and the temperature",
             {}, false, 30, false, App::View::GradEstimators},
            {"lake-dream", "A world model of the slippery lake: its learned transition table beside the true one",
             {cfg("FrozenLake-v1", {}, "dream_ac", {{"total_timesteps", "20000"}})}, true, 30, true},
            {"breakout-dqn", "DQN with the MinAtar network learns Breakout from pixels: Q-value bars and where it looks",
             {cfg("MinAtar/Breakout-v1", {}, "dqn", {{"total_timesteps", "200000"}, {"hidden", "128"}, {"batch_size", "32"},
                                                     {"learning_starts", "1000"}, {"exploration_fraction", "0.1"}})},
             true, 30, true},
            {"space-invaders-ppo", "PPO with a CNN torso on Space Invaders; tick 'play it yourself' to try the game first",
             {cfg("MinAtar/SpaceInvaders-v1", {}, "ppo", {{"total_timesteps", "1000000"}, {"hidden", "128"}})}, true, 30, true},
        };
    }();
    return p;
}

void load_preset(App& app, const Preset& p) {
    app.runs.clear();
    app.playing = p.play;
    app.speed = p.speed;
    app.unthrottled = p.unthrottled;
    app.view = p.view;
    for (const auto& c : p.runs) add_run(app, c);
    app.selected = 0;
    load_draft(app);
}

const GroundTruth& ground_truth(App& app, const RunSlot& run) {
    double gamma = 0.99;
    try {
        auto a = make_algo_args(run.cfg.algo_id, run.cfg.algo_args);
        gamma = std::stod(get_param(*a, "gamma"));
    } catch (...) {
    }
    nlohmann::json key = {{"env", run.cfg.env_id}, {"args", run.cfg.env_args}, {"gamma", gamma}};
    if (app.truth.key == key.dump()) return app.truth;
    app.truth = {};
    app.truth.key = key.dump();
    try {
        auto env = make_env(run.cfg.env_id, *make_env_args(run.cfg.env_id, run.cfg.env_args));
        const DiscreteEnv* d = env->tabular();
        if (!d) return app.truth;
        // γ = 1 may not converge on maps where a policy can wander forever: cap the sweeps.
        app.truth.v = solve_optimal_values(d->model(), std::min(gamma, 0.9999), 1e-10);
        app.truth.q = q_from_v(d->model(), app.truth.v, std::min(gamma, 0.9999));
        const int nS = d->num_states(), nA = d->num_actions();
        const auto pi = greedy_policy(app.truth.q, nS, nA);
        app.truth.pi.assign(size_t(nS) * nA, 0.0);
        for (int s = 0; s < nS; ++s) app.truth.pi[size_t(s) * nA + pi[s]] = 1.0;
    } catch (...) {
    }
    return app.truth;
}

}  // namespace dl
