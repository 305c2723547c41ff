#include <doctest/doctest.h>

#include "envs/frozen_lake.h"
#include "envs/registry.h"
#include "golden.h"

using namespace dl;

namespace {
FrozenLake lake(const std::string& map, bool slippery) {
    FrozenLakeArgs a;
    a.map = map;
    a.is_slippery = slippery;
    return FrozenLake(a);
}
}  // namespace

TEST_CASE("transition tables equal Gymnasium's env.unwrapped.P exactly (4x4/8x8, slippery or not)") {
    const auto golden = load_golden("frozenlake.json");
    REQUIRE(golden["cases"].size() == 4);
    for (const auto& c : golden["cases"]) {
        const std::string name = c["map_name"].get<std::string>();
        const bool slippery = c["is_slippery"].get<bool>();
        CAPTURE(name);
        CAPTURE(slippery);
        FrozenLake env = lake(name, slippery);
        CHECK(env.rows() == c["map"].get<std::vector<std::string>>());
        REQUIRE(env.num_states() == c["nS"].get<int>());
        REQUIRE(env.num_actions() == c["nA"].get<int>());
        const TabularModel& P = env.model();
        for (int s = 0; s < env.num_states(); ++s)
            for (int a = 0; a < 4; ++a) {
                const auto& g = c["P"][s][a];
                REQUIRE(P[s][a].size() == g.size());
                for (size_t k = 0; k < g.size(); ++k) {
                    // Bit-exact: the same doubles Gymnasium computes (1/3 and (1 - 1/3)/2 differ in the last bit).
                    CHECK(P[s][a][k].prob == g[k][0].get<double>());
                    CHECK(P[s][a][k].next == g[k][1].get<int>());
                    CHECK(P[s][a][k].reward == g[k][2].get<double>());
                    CHECK(P[s][a][k].terminated == g[k][3].get<bool>());
                }
            }
        CHECK(env.reset_state(0) == c["start_state"].get<int>());
    }
}

TEST_CASE("episode semantics: goal reward, termination, truncation at 100 (4x4) and 200 (8x8)") {
    FrozenLake env = lake("4x4", false);
    env.reset_state(0);
    // Right, Right, Down, Down, Down, Right reaches G on the 4x4 map without touching a hole.
    const int path[] = {kRight, kRight, kDown, kDown, kDown, kRight};
    DiscreteStep r{};
    for (int a : path) r = env.step_state(a);
    CHECK(r.obs == 15);
    CHECK(r.reward == 1.0);
    CHECK(r.terminated);
    CHECK_FALSE(r.truncated);
    CHECK(env.last_success());

    env.reset_state(0);
    r = env.step_state(kDown);  // 4
    r = env.step_state(kRight); // 5 is a hole
    CHECK(r.obs == 5);
    CHECK(r.terminated);
    CHECK(r.reward == 0.0);
    CHECK_FALSE(env.last_success());

    for (auto [map, limit] : {std::pair{"4x4", 100}, std::pair{"8x8", 200}}) {
        FrozenLake e = lake(map, false);
        e.reset_state(0);
        int t = 0;
        for (;; ++t) {
            r = e.step_state(kLeft);  // walks into the wall forever
            if (r.truncated) break;
            REQUIRE(t < 10000);
        }
        CHECK(t + 1 == limit);
        CHECK_FALSE(r.terminated);
    }
}

TEST_CASE("slip rule: intended move with success_rate, each perpendicular with the rest halved") {
    FrozenLakeArgs a;
    a.map = "FFF/FSF/FFG";  // start in the middle so all four moves are open
    a.success_rate = 0.5;
    FrozenLake env(a);
    int counts[9] = {};
    const int n = 200000;
    env.reset_state(3);
    for (int i = 0; i < n; ++i) {
        env.reset_state();
        counts[env.step_state(kDown).obs]++;
    }
    CHECK(counts[7] / double(n) == doctest::Approx(0.5).epsilon(0.02));   // down (intended)
    CHECK(counts[3] / double(n) == doctest::Approx(0.25).epsilon(0.02));  // left
    CHECK(counts[5] / double(n) == doctest::Approx(0.25).epsilon(0.02));  // right
    CHECK(counts[1] == 0);                                                // never backwards
}

TEST_CASE("map parser: rows, separators, errors that name the problem") {
    CHECK(parse_lake_map("SF/HG") == std::vector<std::string>{"SF", "HG"});
    CHECK(parse_lake_map("sf,hg") == std::vector<std::string>{"SF", "HG"});
    CHECK_THROWS_WITH_AS(parse_lake_map("SFX/FFG"), doctest::Contains("unknown cell 'X'"), ParamError);
    CHECK_THROWS_WITH_AS(parse_lake_map("SFF/FG"), doctest::Contains("row 2 has 2 cells"), ParamError);
    CHECK_THROWS_WITH_AS(parse_lake_map("FF/FG"), doctest::Contains("no start cell S"), ParamError);
    CHECK_THROWS_WITH_AS(parse_lake_map("SF/FF"), doctest::Contains("no goal cell G"), ParamError);
    CHECK_THROWS_WITH_AS(parse_lake_map("SC/CG"), doctest::Contains("at most 1"), ParamError);
    CHECK_THROWS_AS(make_env_args("FrozenLake-v1", {{"mapp", "4x4"}}), ParamError);
}

TEST_CASE("random maps: seeded, S top-left, G bottom-right, always a path") {
    for (uint64_t seed = 0; seed < 50; ++seed) {
        const auto m = generate_random_lake(8, 0.6, seed);
        REQUIRE(m.size() == 8);
        CHECK(m[0][0] == 'S');
        CHECK(m[7][7] == 'G');
        CHECK(lake_has_path(m));
        CHECK(generate_random_lake(8, 0.6, seed) == m);
    }
    CHECK(generate_random_lake(8, 0.6, 1) != generate_random_lake(8, 0.6, 2));
    CHECK_FALSE(lake_has_path({"SH", "HG"}));
}

TEST_CASE("lecture variant: coin worth +1 once, state includes the coin, +10 home, -10 holes") {
    auto args = make_env_args("FrozenLakeLecture-v0", {{"is_slippery", "false"}});
    auto env_ptr = make_env("FrozenLakeLecture-v0", *args);
    auto& env = dynamic_cast<FrozenLake&>(*env_ptr);
    CHECK(env.num_states() == 32);
    CHECK(env.layout().layers == 2);
    env.reset_state(0);
    // map SFFF / FHCH / FFFH / HFFG: the coin is at (1,2) = cell 6
    auto r = env.step_state(kRight);   // (0,1)
    r = env.step_state(kRight);        // (0,2)
    r = env.step_state(kDown);         // (1,2): coin
    CHECK(r.reward == 1.0);
    CHECK(r.obs == 16 + 6);            // coin-taken layer
    r = env.step_state(kUp);
    r = env.step_state(kDown);         // back on the coin cell: nothing left
    CHECK(r.reward == 0.0);
    CHECK(r.obs == 22);
    r = env.step_state(kDown);         // (2,2)
    r = env.step_state(kDown);         // (3,2)
    r = env.step_state(kRight);        // (3,3) = G
    CHECK(r.reward == 10.0);
    CHECK(r.terminated);
    env.reset_state();
    r = env.step_state(kDown);
    r = env.step_state(kRight);        // (1,1) hole
    CHECK(r.reward == -10.0);
    CHECK(r.terminated);
}

TEST_CASE("rendering: agent, holes and goal drawn in distinct colours; trail follows the episode") {
    FrozenLake env = lake("4x4", false);
    env.reset_state(0);
    Image img;
    env.render(img);
    REQUIRE(img.width() > 0);
    const int cell = img.width() / 4;
    auto centre = [&](int s) { return img.at((s % 4) * cell + cell / 2, (s / 4) * cell + cell / 2); };
    const Rgb agent = centre(0), hole = img.at(1 * cell + cell / 2, 1 * cell + cell / 2), ice = centre(2);
    CHECK((agent.r > 200 && agent.g < 120));  // orange agent on the start cell
    CHECK((hole.b > hole.r && hole.r < 40));  // dark hole
    CHECK((ice.b > 200));                     // light ice
    env.step_state(kRight);
    env.render(img);
    // The trail passes between cell 0 and cell 1 now, and the agent moved.
    const Rgb between = img.at(cell, cell / 2);
    CHECK((between.r > 200 && between.g > 100 && between.b < 100));
    CHECK(centre(0).r != agent.r + 1);  // cell 0 redrawn without the agent body
    CHECK(centre(1).r > 200);
}
