// envs/pendulum: Pendulum-v1 against Gymnasium's trajectories from ../shared/golden/pendulum_trajectories.json
// (initial state → float32 actions, some out of bounds → states, float32 observations, rewards, flags), to 1e-6;
// its Box spaces, reset range and time limit; the path it records for the views and its state plane.
#include <doctest/doctest.h>

#include <cmath>

#include "envs/pendulum.h"
#include "envs/registry.h"
#include "golden.h"

using namespace dl;

namespace {

// Steps `env` through one golden trajectory from its initial state; returns the worst |state − golden|.
template <class E, class SetState>
double replay_golden(E& env, const nlohmann::json& t, SetState set_state, int obs_dim) {
    set_state(t["initial_state"].template get<std::vector<double>>());
    const auto actions = t["actions_float32_passed"].template get<std::vector<double>>();
    REQUIRE(actions.size() == t["steps"].size());
    double worst = 0;
    std::vector<float> obs(static_cast<size_t>(obs_dim));
    for (size_t i = 0; i < actions.size(); ++i) {
        CAPTURE(i);
        const auto& g = t["steps"][i];
        const float a = float(actions[i]);
        const StepFlags r = env.step_box_into(&a, obs.data());
        const auto gs = g["state"].template get<std::vector<double>>();
        const auto go = g["obs_float32"].template get<std::vector<double>>();
        for (size_t j = 0; j < gs.size(); ++j) {
            worst = std::max(worst, std::fabs(double(env.state()[j]) - gs[j]));
            CHECK(std::fabs(double(env.state()[j]) - gs[j]) <= 1e-6);
        }
        for (size_t j = 0; j < go.size(); ++j) CHECK(std::fabs(double(obs[j]) - go[j]) <= 1e-6);
        CHECK(std::fabs(r.reward - g["reward"].template get<double>()) <= 1e-6);
        CHECK(r.terminated == g["terminated"].template get<bool>());
        CHECK(r.truncated == g["truncated"].template get<bool>());
    }
    CHECK(int(actions.size()) == t["length"].template get<int>());
    return worst;
}

}  // namespace

TEST_CASE("Pendulum-v1 reproduces Gymnasium's trajectories (states, float32 obs, rewards, truncation at 200)") {
    const auto golden = load_golden("pendulum_trajectories.json");
    const auto& k = golden["Pendulum-v1"]["constants"];
    CHECK(Pendulum::kMaxSpeed == k["max_speed"].get<double>());
    CHECK(Pendulum::kMaxTorque == k["max_torque"].get<double>());
    CHECK(Pendulum::kDt == k["dt"].get<double>());
    CHECK(k["max_episode_steps"].get<int>() == 200);
    const auto& trajs = golden["Pendulum-v1"]["trajectories"];
    REQUIRE(trajs.size() >= 4);
    double worst = 0;
    int out_of_bounds = 0;
    for (const auto& t : trajs) {
        CAPTURE(t["reset_seed"].get<int>());
        Pendulum env;
        for (double a : t["actions_float32_passed"].get<std::vector<double>>()) out_of_bounds += std::fabs(a) > 2;
        worst = std::max(worst, replay_golden(env, t, [&](const std::vector<double>& s) { env.set_state({s[0], s[1]}); }, 3));
    }
    MESSAGE("Pendulum golden: " << trajs.size() << " trajectories, " << out_of_bounds << " actions out of bounds, worst |state - golden| = " << worst);
    CHECK(out_of_bounds > 0);  // the clipping is exercised
}

TEST_CASE("Pendulum: Box spaces, reset range, discrete actions refused, angle_normalize, truncation at 200") {
    Pendulum p;
    CHECK(p.action_space().kind == Space::Box);
    CHECK(p.act_dim() == 1);
    CHECK(p.action_space().low[0] == -2.0f);
    CHECK(p.obs_dim() == 3);
    CHECK_THROWS_WITH(p.step(1), doctest::Contains("takes a torque"));
    for (uint64_t seed = 0; seed < 200; ++seed) {
        p.reset(seed);
        CHECK(std::fabs(p.state()[0]) <= M_PI);
        CHECK(std::fabs(p.state()[1]) <= 1.0);
    }
    CHECK(Pendulum::angle_normalize(M_PI + 0.5) == doctest::Approx(-M_PI + 0.5));
    CHECK(Pendulum::angle_normalize(-M_PI - 0.5) == doctest::Approx(M_PI - 0.5));
    CHECK(Pendulum::angle_normalize(0.25) == doctest::Approx(0.25));
    // Truncation at 200 and never terminated.
    p.reset(3);
    float obs[3], u = 0.5f;
    StepFlags f{};
    for (int i = 0; i < 200; ++i) {
        CHECK(!f.truncated);
        f = p.step_box_into(&u, obs);
        CHECK(!f.terminated);
    }
    CHECK(f.truncated);
    CHECK(make_env("Pendulum-v1", *make_env_args("Pendulum-v1", {}))->id() == "Pendulum-v1");
    CHECK_THROWS_WITH(make_env_args("Pendulum-v1", {{"max_episode_steps", "0"}}), doctest::Contains("max_episode_steps"));
}

TEST_CASE("Pendulum records the episode's path only when a view asks, and describes its state plane") {
    Pendulum p;
    p.record_path(true);
    p.reset(4);
    const float u = -0.5f;
    for (int k = 0; k < 3; ++k) p.step_box(&u);
    CHECK(p.trajectory().size() == 4);
    CHECK(p.last_torque() == doctest::Approx(-0.5));
    // The plane's observation at a state is the env's own observation there.
    StatePlane pp;
    REQUIRE(p.state_plane(pp));
    float from_plane[3], from_env[3];
    const float st[2] = {float(p.state()[0]), float(p.state()[1])};
    pp.observe(st, from_plane);
    p.observe(from_env);
    for (int i = 0; i < 3; ++i) CHECK(from_plane[i] == doctest::Approx(from_env[i]).epsilon(1e-6));
    CHECK(pp.wrap_x);
}
