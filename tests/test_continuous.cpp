// Continuous control environments against Gymnasium: Pendulum-v1 and MountainCarContinuous-v0 trajectories from
// ../shared/golden/pendulum_trajectories.json (initial state → float32 actions, some out of bounds → states,
// float32 observations, rewards, flags), to 1e-6.
#include <doctest/doctest.h>

#include <cmath>

#include "envs/mountain_car.h"
#include "envs/cartpole.h"
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

TEST_CASE("MountainCarContinuous-v0 reproduces Gymnasium's steps (float32 state, unclipped action cost, goal)") {
    // Each golden step from the golden state before it: next state and observation within 1e-6 (in fact within one
    // float32 rounding), reward and flags. Run freely, a trajectory follows the reference until a rounding of the
    // float64 result to float32 falls the other way (4 of the 3996 steps: a last-bit difference in cos between
    // libms decides them) and drifts by up to ~1e-5 afterwards, which the free run reports but does not fail on.
    const auto golden = load_golden("pendulum_trajectories.json");
    const auto& k = golden["MountainCarContinuous-v0"]["constants"];
    CHECK(MountainCarContinuous::kMinPosition == k["min_position"].get<double>());
    CHECK(MountainCarContinuous::kMaxPosition == k["max_position"].get<double>());
    CHECK(MountainCarContinuous::kMaxSpeed == k["max_speed"].get<double>());
    CHECK(MountainCarContinuous::kGoalPosition == k["goal_position"].get<double>());
    CHECK(MountainCarContinuous::kPower == k["power"].get<double>());
    const auto& trajs = golden["MountainCarContinuous-v0"]["trajectories"];
    REQUIRE(trajs.size() >= 2);
    int steps = 0, exact = 0, goals = 0;
    double worst_step = 0, worst_free = 0;
    for (const auto& t : trajs) {
        CAPTURE(t["reset_seed"].get<int>());
        MountainCarContinuous env, free;
        auto prev = t["initial_state"].get<std::vector<double>>();
        free.set_state({float(prev[0]), float(prev[1])});
        const auto actions = t["actions_float32_passed"].get<std::vector<double>>();
        for (size_t i = 0; i < actions.size(); ++i) {
            CAPTURE(i);
            const auto& g = t["steps"][i];
            env.set_state({float(prev[0]), float(prev[1])});
            const float a = float(actions[i]);
            float obs[2], free_obs[2];
            const StepFlags r = env.step_box_into(&a, obs);
            free.step_box_into(&a, free_obs);
            const auto gs = g["state"].get<std::vector<double>>();
            bool same = true;
            for (int j = 0; j < 2; ++j) {
                const double d = std::fabs(double(env.state()[size_t(j)]) - gs[size_t(j)]);
                worst_step = std::max(worst_step, d);
                worst_free = std::max(worst_free, std::fabs(double(free.state()[size_t(j)]) - gs[size_t(j)]));
                CHECK(d <= 1e-6);
                CHECK(std::fabs(double(obs[j]) - g["obs_float32"][size_t(j)].get<double>()) <= 1e-6);
                same = same && d == 0;
            }
            exact += same;
            CHECK(std::fabs(r.reward - g["reward"].get<double>()) <= 1e-6);
            CHECK(r.terminated == g["terminated"].get<bool>());
            CHECK(r.truncated == (i + 1 == 999));
            CHECK(r.truncated == g["truncated"].get<bool>());
            goals += r.terminated;
            prev = gs;
            ++steps;
        }
    }
    MESSAGE("MountainCarContinuous golden: " << steps << " steps, " << exact << " bit-exact, worst one-step |state - golden| = "
                                             << worst_step << ", free-running worst " << worst_free << ", goals " << goals);
    CHECK(exact >= steps - 8);
}

TEST_CASE("continuous envs: Box spaces, reset ranges, discrete actions refused, angle_normalize") {
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

    MountainCarContinuous m;
    for (uint64_t seed = 0; seed < 200; ++seed) {
        m.reset(seed);
        CHECK((m.state()[0] >= -0.6f && m.state()[0] <= -0.4f && m.state()[1] == 0.0f));
    }
    // Pushing along the velocity rocks the car up to the flag: terminated, +100 minus the action cost, success.
    m.reset(1);
    float mo[2] = {m.state()[0], m.state()[1]};
    double ret = 0;
    StepFlags mf{};
    int t = 0;
    for (; t < 999 && !mf.terminated; ++t) {
        const float push = mo[1] >= 0 ? 1.0f : -1.0f;
        mf = m.step_box_into(&push, mo);
        ret += mf.reward;
    }
    CHECK(mf.terminated);
    CHECK(m.last_success());
    CHECK(mo[0] >= 0.45f);
    CHECK(ret == doctest::Approx(100.0 - 0.1 * t));

    auto cart = make_env("CartPole-v1", *make_env_args("CartPole-v1", {}));
    const float a = 0.3f;
    CHECK_THROWS_WITH(cart->step_box(&a), doctest::Contains("CartPole-v1 takes discrete actions"));
    CHECK(cart->act_dim() == 0);
    CHECK(make_env("Pendulum-v1", *make_env_args("Pendulum-v1", {}))->id() == "Pendulum-v1");
    CHECK_THROWS_WITH(make_env_args("Pendulum-v1", {{"max_episode_steps", "0"}}), doctest::Contains("max_episode_steps"));
}

TEST_CASE("Pendulum and MountainCar record the episode's path only when a view asks, and describe their state plane") {
    MountainCarContinuous car;
    car.reset(4);
    const float push = 3.0f;  // beyond the bound: the force used is 1
    car.step_box(&push);
    CHECK(car.trajectory().empty());  // headless: nothing recorded
    car.record_path(true);
    car.reset(4);
    REQUIRE(car.trajectory().size() == 1);
    CHECK(car.trajectory()[0] == car.state());
    for (int k = 0; k < 5; ++k) car.step_box(&push);
    CHECK(car.trajectory().size() == 6);
    CHECK(car.trajectory().back() == car.state());
    CHECK(car.last_force() == 1.0);
    StatePlane cp;
    REQUIRE(car.state_plane(cp));
    CHECK(cp.dims == std::vector<std::string>{"x", "v"});
    CHECK(cp.path.size() == 6);
    CHECK(cp.state[0] == car.state()[0]);
    car.reset(5);
    CHECK(car.trajectory().size() == 1);
    CHECK(car.last_force() == 0.0);

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

    CartPole cart;
    cart.reset(1);
    StatePlane cpl;
    REQUIRE(cart.state_plane(cpl));
    CHECK((cpl.x == 2 && cpl.y == 3 && cpl.dims.size() == 4));
    CHECK(cart.obs_look().kind == ObsLook::CartPole);
}
