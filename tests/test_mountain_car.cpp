// envs/mountain_car: MountainCarContinuous-v0 against Gymnasium's steps from ../shared/golden/pendulum_trajectories.json;
// its reset range, the goal, the path it records for the views and its state plane.
#include <doctest/doctest.h>

#include <cmath>

#include "envs/mountain_car.h"
#include "golden.h"

using namespace dl;

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

TEST_CASE("MountainCarContinuous: reset range; pushing along the velocity reaches the flag (+100 minus the action cost)") {
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
}

TEST_CASE("MountainCarContinuous records the episode's path only when a view asks, and describes its state plane") {
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
}
