// base/pool: the thread pool the vector envs step on.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
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
            }, 1 + round % 7);  // grains 1..7: chunks of different sizes
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

TEST_CASE("ThreadPool: chunks by grain; small jobs run on the caller; the chunks are the same whoever runs them") {
    ThreadPool one(1), two(2);
    CHECK(one.chunks(100000, 1) == 1);       // one thread: never cut
    CHECK(two.chunks(0, 1) == 0);
    CHECK(two.chunks(15, 8) == 1);           // under 2 × grain: the caller alone
    CHECK(two.chunks(16, 8) == 2);
    CHECK(two.chunks(4096, 350) == 8);       // at most 4 per thread
    CHECK(two.chunks(1000, 1) == 8);
    // Small: fn(0, n) once, on the calling thread.
    const auto caller = std::this_thread::get_id();
    int calls = 0;
    two.parallel_for(10, [&](int b, int e) {
        ++calls;
        CHECK(b == 0);
        CHECK(e == 10);
        CHECK(std::this_thread::get_id() == caller);
    }, 8);
    CHECK(calls == 1);
    // Large: the ranges are fixed by (n, chunks) alone, and together cover [0, n) once.
    std::vector<std::pair<int, int>> ranges(8, {-1, -1});
    std::mutex m;
    two.parallel_for(4096, [&](int b, int e) {
        std::lock_guard lk(m);
        ranges[size_t(b / 512)] = {b, e};
    }, 350);
    for (int c = 0; c < 8; ++c) CHECK(ranges[size_t(c)] == std::pair<int, int>(c * 512, (c + 1) * 512));
}

TEST_CASE("ThreadPool: a chunk that throws reaches the caller after the others finish; the pool goes on") {
    for (int threads : {1, 2, 3}) {
        CAPTURE(threads);
        ThreadPool pool(threads);
        for (int round = 0; round < 50; ++round) {
            std::vector<std::atomic<int>> seen(64);
            auto job = [&](int b, int e) {
                for (int i = b; i < e; ++i) seen[size_t(i)]++;
                if (b <= 37 && 37 < e) throw std::runtime_error("chunk with 37");
            };
            CHECK_THROWS_WITH(pool.parallel_for(64, job, 4), "chunk with 37");
            for (auto& s : seen) CHECK(s.load() == 1);  // every chunk ran, the throwing one included
            std::atomic<int> sum{0};
            pool.parallel_for(100, [&](int b, int e) { for (int i = b; i < e; ++i) sum += i; }, 4);
            CHECK(sum.load() == 4950);
        }
    }
}
