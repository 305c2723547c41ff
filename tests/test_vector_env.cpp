// envs/vector_env: N envs stepped as one, Gymnasium's SAME_STEP autoreset, the final observation of a finished
// episode, per-env seeds seed + i.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "base/rng.h"

#include "envs/cartpole.h"
#include "envs/vector_env.h"

using namespace dl;

TEST_CASE("VectorEnv: sub-env i is seeded seed + i; a finished episode keeps its final observation and resets in the same step") {
    const int N = 3;
    VectorEnv vec([] { return std::make_unique<CartPole>(); }, N);
    vec.reset(10);
    std::vector<CartPole> refs(N);
    std::vector<std::vector<float>> ref_obs(N, std::vector<float>(4));
    for (int i = 0; i < N; ++i) refs[size_t(i)].reset_into(10 + uint64_t(i), ref_obs[size_t(i)].data());
    for (int i = 0; i < N; ++i)
        for (int d = 0; d < 4; ++d) CHECK(vec.obs()[i * 4 + d] == ref_obs[size_t(i)][size_t(d)]);

    int episodes = 0;
    std::vector<double> ret(N, 0.0);
    std::vector<int> len(N, 0);
    for (int t = 0; t < 400 && episodes < 6; ++t) {
        std::vector<int32_t> a(N);
        for (int i = 0; i < N; ++i) a[size_t(i)] = (t + i) % 3 == 0;  // a poor policy: episodes end soon
        vec.step(a.data());
        for (int i = 0; i < N; ++i) {
            float o[4];
            const StepFlags f = refs[size_t(i)].step_into(a[size_t(i)], o);
            ret[size_t(i)] += f.reward, ++len[size_t(i)];
            CHECK(vec.reward(i) == float(f.reward));
            CHECK(vec.terminated(i) == f.terminated);
            CHECK(vec.truncated(i) == f.truncated);
            if (f.terminated || f.truncated) {
                ++episodes;
                REQUIRE(vec.done(i));
                for (int d = 0; d < 4; ++d) CHECK(vec.final_obs()[i * 4 + d] == o[d]);  // the arrival, not the reset
                CHECK(vec.episode_return(i) == ret[size_t(i)]);
                CHECK(vec.episode_length(i) == len[size_t(i)]);
                refs[size_t(i)].reset_into(std::nullopt, o);  // the env's own stream continues, no reseeding
                ret[size_t(i)] = 0, len[size_t(i)] = 0;
            }
            for (int d = 0; d < 4; ++d) CHECK(vec.obs()[i * 4 + d] == o[d]);  // after a reset: the new episode's first
        }
    }
    CHECK(episodes >= 6);
}

TEST_CASE("VectorEnv: the same observations, rewards and episodes on 1 and 2 threads, whichever way each step ran") {
    // 2048 CartPoles: enough that the pool cuts them into chunks; 300 steps: past the first timed steps and through
    // several probes of the other way (vector_env.cpp), with episodes ending and resetting on the way.
    const int n = 2048;
    ThreadPool one(1), two(2);
    VectorEnv a([] { return std::make_unique<CartPole>(); }, n, &one), b([] { return std::make_unique<CartPole>(); }, n, &two);
    a.reset(5), b.reset(5);
    Rng rng(9);
    std::vector<int32_t> actions(static_cast<size_t>(n));
    int64_t episodes = 0;
    for (int step = 0; step < 300; ++step) {
        for (auto& x : actions) x = int32_t(rng.below(2));
        a.step(actions.data()), b.step(actions.data());
        REQUIRE(std::equal(a.obs(), a.obs() + size_t(n) * 4, b.obs()));
        for (int i = 0; i < n; ++i) {
            REQUIRE(a.reward(i) == b.reward(i));
            REQUIRE(a.done(i) == b.done(i));
            if (a.done(i)) {
                REQUIRE(a.episode_return(i) == b.episode_return(i));
                ++episodes;
            }
        }
    }
    CHECK(episodes > n);  // random CartPole episodes last ~22 steps: every env finished several
}
