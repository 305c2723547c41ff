#include <doctest/doctest.h>

#include <cmath>

#include "envs/cartpole.h"
#include "envs/registry.h"
#include "golden.h"

using namespace dl;

TEST_CASE("CartPole's fast dynamics agree with Gymnasium's equations written out, to a few ulps") {
    Rng rng(5);
    double worst = 0;
    for (int i = 0; i < 200000; ++i) {
        // States the env visits (|θ| up to past the fast path's 0.3 bound, velocities beyond what episodes reach).
        const CartPole::State st = {4.8 * (rng.uniform() - 0.5), 8 * (rng.uniform() - 0.5), 0.8 * (rng.uniform() - 0.5),
                                    8 * (rng.uniform() - 0.5)};
        const int a = int(rng.below(2));
        const CartPole::State fast = cartpole_dynamics(st, a), ref = cartpole_dynamics_reference(st, a);
        for (int j = 0; j < 4; ++j) worst = std::max(worst, std::fabs(fast[size_t(j)] - ref[size_t(j)]) / (1 + std::fabs(ref[size_t(j)])));
        if (std::fabs(st[2]) > 0.3) CHECK(fast == ref);  // the reference itself beyond the fast path's range
    }
    MESSAGE("worst relative difference fast vs reference dynamics: " << worst);
    CHECK(worst < 1e-14);
}

TEST_CASE("CartPole-v1 reproduces Gymnasium's trajectories (internal double state to 1e-9, float32 obs, flags)") {
    const auto golden = load_golden("cartpole_trajectories.json");
    const auto& k = golden["constants"];
    CHECK(CartPole::kGravity == k["gravity"].get<double>());
    CHECK(CartPole::kTotalMass == k["total_mass"].get<double>());
    CHECK(CartPole::kPoleMassLength == k["polemass_length"].get<double>());
    CHECK(CartPole::kThetaThreshold == k["theta_threshold_radians"].get<double>());
    CHECK(CartPole::kXThreshold == k["x_threshold"].get<double>());
    REQUIRE(golden["trajectories"].size() >= 10);
    double worst = 0;
    int steps = 0;
    for (const auto& t : golden["trajectories"]) {
        CAPTURE(t["reset_seed"].get<int>());
        CartPole env;
        const auto init = t["initial_state"].get<std::vector<double>>();
        env.set_state({init[0], init[1], init[2], init[3]});
        float obs[4];
        env.observe(obs);
        const auto init_obs = t["initial_obs_float32"].get<std::vector<double>>();
        for (int i = 0; i < 4; ++i) CHECK(double(obs[i]) == init_obs[i]);
        const auto actions = t["actions"].get<std::vector<int>>();
        double ret = 0;
        for (size_t i = 0; i < actions.size(); ++i) {
            const auto& g = t["steps"][i];
            const StepFlags r = env.step_into(actions[i], obs);
            const auto gs = g["state"].get<std::vector<double>>();
            const auto go = g["obs_float32"].get<std::vector<double>>();
            for (int j = 0; j < 4; ++j) {
                worst = std::max(worst, std::fabs(env.state()[j] - gs[j]));
                CHECK(std::fabs(env.state()[j] - gs[j]) <= 1e-9);
                CHECK(double(obs[j]) == doctest::Approx(go[j]).epsilon(1e-6));
            }
            CHECK(r.reward == g["reward"].get<double>());
            CHECK(r.terminated == g["terminated"].get<bool>());
            CHECK(r.truncated == g["truncated"].get<bool>());
            ret += r.reward;
            ++steps;
        }
        CHECK(ret == t["return"].get<double>());
    }
    MESSAGE("CartPole golden: " << steps << " steps, worst |state - golden| = " << worst);
}

TEST_CASE("CartPole: reset range, truncation at 500, reward 0 after termination, seeding") {
    CartPole env;
    for (uint64_t seed = 0; seed < 100; ++seed) {
        env.reset(seed);
        for (double v : env.state()) CHECK(std::fabs(v) <= 0.05);
    }
    env.reset(3);
    const auto a = env.state();
    env.reset(3);
    CHECK(env.state() == a);
    // A hand-made balancing controller never fails, so the 500th step truncates.
    env.reset(1);
    float obs[4];
    StepFlags r{};
    int t = 0;
    for (; t < 1000; ++t) {
        const auto& s = env.state();
        r = env.step_into(0.1 * s[0] + 0.5 * s[1] + 10 * s[2] + 1.5 * s[3] > 0 ? 1 : 0, obs);
        if (r.terminated || r.truncated) break;
    }
    CHECK(r.truncated);
    CHECK_FALSE(r.terminated);
    CHECK(t + 1 == 500);
    // Past the edge: terminated, and a further step gives reward 0 (Gymnasium's steps_beyond_terminated).
    env.set_state({2.39, 1.0, 0, 0});
    r = env.step_into(1, obs);
    CHECK(r.terminated);
    CHECK(r.reward == 1.0);
    r = env.step_into(1, obs);
    CHECK(r.reward == 0.0);
    // Registered with the right spaces.
    auto e = make_env("CartPole-v1", *make_env_args("CartPole-v1", {}));
    CHECK(e->action_space().n == 2);
    CHECK(e->observation_space().kind == Space::Box);
    CHECK(e->observation_space().shape == std::vector<int>{4});
    Image img;
    e->render(img);
    CHECK(img.width() == 600);
    CHECK(img.height() == 400);
}

TEST_CASE("CartPole obs=pixels: a 20x40 picture of the same dynamics; bad values refused") {
    auto pix = make_env("CartPole-v1", *make_env_args("CartPole-v1", {{"obs", "pixels"}}));
    auto st = make_env("CartPole-v1", *make_env_args("CartPole-v1", {}));
    const Space sp = pix->observation_space();
    CHECK(sp.shape == std::vector<int>{CartPole::kPixelRows, CartPole::kPixelCols, 1});
    CHECK(pix->obs_dim() == 800);
    CHECK_THROWS_WITH(make_env_args("CartPole-v1", {{"obs", "rgb"}}), doctest::Contains("obs=rgb"));

    // Upright in the middle: the cart on rows 16-17 around column 20, the pole a vertical line above it.
    std::vector<float> img(800);
    CartPole::draw_pixels({0, 0, 0, 0}, img.data());
    auto at = [&](int y, int x) { return img[size_t(y * 40 + x)] > 0.5f; };
    CHECK((at(16, 18) && at(16, 21) && at(17, 19) && !at(16, 23) && !at(16, 16)));
    int pole = 0;
    for (int y = 0; y < 16; ++y) pole += at(y, 20);
    CHECK(pole == 9);  // 1 m of pole at 40 / 4.8 cells per metre: rows 15 (the cart's top) up to 7
    // Tilted right and moved left: the tip leans right of the cart, the cart sits left of centre.
    CartPole::draw_pixels({-1.2, 0, 0.2, 0}, img.data());
    int cart_min = 40, tip_x = -1, tip_y = 99;
    for (int x = 0; x < 40; ++x) if (at(17, x)) cart_min = std::min(cart_min, x);
    for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 40; ++x)
            if (at(y, x) && y < tip_y) tip_y = y, tip_x = x;
    CHECK(cart_min == 7);  // x = −1.2 m → centre column 10, half-width 2.1 cells
    CHECK(tip_x > cart_min + 3);

    // Same seed and actions: the picture is that of the state env's state, step after step.
    std::vector<float> a(800), b(4), c(800);
    pix->reset_into(5, a.data());
    st->reset_into(5, b.data());
    for (int t = 0; t < 30; ++t) {
        const StepFlags f1 = pix->step_into(t % 3 == 0, a.data()), f2 = st->step_into(t % 3 == 0, b.data());
        CHECK(f1.terminated == f2.terminated);
        CartPole::draw_pixels(static_cast<const CartPole&>(*st).state(), c.data());
        CHECK(a == c);
    }
}

TEST_CASE("CartPole refuses Box actions by name and describes its state plane (θ, ω on the axes)") {
    auto cart = make_env("CartPole-v1", *make_env_args("CartPole-v1", {}));
    const float a = 0.3f;
    CHECK_THROWS_WITH(cart->step_box(&a), doctest::Contains("CartPole-v1 takes discrete actions"));
    CHECK(cart->act_dim() == 0);
    CartPole pole;
    pole.reset(1);
    StatePlane cpl;
    REQUIRE(pole.state_plane(cpl));
    CHECK((cpl.x == 2 && cpl.y == 3 && cpl.dims.size() == 4));
    CHECK(pole.obs_look().kind == ObsLook::CartPole);
}
