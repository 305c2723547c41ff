// base/pool: the thread pool the vector envs step on.
#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "base/pool.h"

using namespace dl;

TEST_CASE("ThreadPool: every index exactly once, thousands of hand-offs in a row, any thread count") {
    for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        std::vector<int> hits(1000, 0);
        for (int round = 0; round < 2000; ++round) {
            const int n = 1 + round % 1000;
            pool.parallel_for(n, [&](int b, int e) {
                for (int i = b; i < e; ++i) hits[size_t(i)]++;
            });
        }
        int64_t total = 0;
        for (int h : hits) total += h;
        int64_t expected = 0;
        for (int round = 0; round < 2000; ++round) expected += 1 + round % 1000;
        CHECK(total == expected);
        CHECK(hits[0] == 2000);
        CHECK(hits[999] == 2);
    }
    CHECK_THROWS_WITH_AS(ThreadPool(0), doctest::Contains("threads=0"), std::invalid_argument);
}
