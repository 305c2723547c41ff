// Same numbers on every machine: the portable build's metrics of a few short runs are pinned as hashes in
// tests/metric_hashes.txt. A changed hash means the arithmetic changed; update it only in a commit that says why.
#include <doctest/doctest.h>

#include <map>

#include <Eigen/Core>

#include "core/session/build_info.h"
#include "base/files.h"
#include "core/session/repro.h"

using namespace dl;

namespace {
// The hashes hold for the portable x86-64-v3 build (the sanitizer build computes the same numbers).
bool pinned_build() {
    const BuildInfo b = build_info();
    return b.fixed_arithmetic && b.isa == "x86-64-v3";
}
}  // namespace

TEST_CASE("portable build: fixed ISA and fixed matrix-product blocking, whatever CPU runs it") {
    const BuildInfo b = build_info();
    MESSAGE(build_summary(b));
    MESSAGE(machine_summary(machine_info()));
    if (b.kind == "native") return;  // -DDREAMLAB_NATIVE=ON: optimised for this CPU, numbers differ by design
    CHECK(b.isa == "x86-64-v3");
    CHECK(b.fixed_arithmetic);
    // Eigen cuts a long dot product into partial sums by the L1 size it believes in: never the CPU's own.
    CHECK(Eigen::l1CacheSize() == 32 * 1024);
    CHECK(Eigen::l2CacheSize() == 256 * 1024);
    CHECK(Eigen::l3CacheSize() == 2 * 1024 * 1024);
    // AVX2 + FMA kernels, never AVX-512 (which would change every reduction's order on the CPUs that have it).
    CHECK(b.simd.find("AVX2") != std::string::npos);
    CHECK(b.simd.find("FMA") != std::string::npos);
    CHECK(b.simd.find("AVX-512") == std::string::npos);
}

TEST_CASE("the hash file: every pinned run has exactly one hash, malformed lines are named") {
    const auto entries = parse_hash_file(read_file(DREAMLAB_SOURCE_DIR "/tests/metric_hashes.txt"));
    std::map<std::string, int> count;
    for (const auto& [name, hash] : entries) ++count[name];
    for (const PinnedRun& run : pinned_runs()) CHECK_MESSAGE(count[run.name] == 1, run.name);
    CHECK(entries.size() == pinned_runs().size());
    CHECK_THROWS_WITH(parse_hash_file("# comment\nppo_cartpole 12345\n"),
                      doctest::Contains("line 2: expected '<run name> <16 hex digits>'"));
    CHECK_THROWS_WITH(parse_hash_file("a 0123456789abcdef extra\n"), doctest::Contains("line 1"));
    CHECK(parse_hash_file("x 0123456789abcdef # why\n").at(0).second == "0123456789abcdef");
}

TEST_CASE("pinned metric hashes: short tabular, PPO, DQN, SAC, TRPO and world-model runs give the pinned bytes") {
    std::map<std::string, std::string> pinned;
    for (const auto& [name, hash] : parse_hash_file(read_file(DREAMLAB_SOURCE_DIR "/tests/metric_hashes.txt")))
        pinned[name] = hash;
    const bool compare = pinned_build();
    if (!compare) MESSAGE("not the portable x86-64-v3 build: hashes are only compared run against run");
    for (const PinnedRun& run : pinned_runs()) {
        CAPTURE(run.name);
        const PinnedResult r = run_pinned(run);
        MESSAGE(run.name << " " << hex64(r.hash) << " (" << r.rows << " rows, " << r.seconds << " s)");
        CHECK(r.rows >= 5);
        if (compare) {
            CHECK_MESSAGE(hex64(r.hash) == pinned[run.name],
                          "the arithmetic changed: `dreamlab repro` prints the new hashes; update tests/metric_hashes.txt "
                          "only in a commit that says why the numbers changed");
        } else {
            CHECK(run_pinned(run).hash == r.hash);  // at least the same bytes twice on this machine
        }
        // Any thread count, the same bytes: PPO's envs stepped by 2 threads and its policy and value losses on two
        // tapes side by side; SAC's twin critics side by side; the world model's dream cut into blocks of rows
        // (3 threads: other cuts than 2) and its actor beside its critic.
        auto check_threads = [&](char threads) {
            PinnedRun other = run;
            other.cfg.algo_args.insert_or_assign("threads", std::string(1, threads));  // (operator= with "2" trips GCC 12's false -Wrestrict)
            CAPTURE(threads);
            CHECK(run_pinned(other).hash == r.hash);
        };
        if (run.name == "ppo_cartpole" || run.name == "sac_pendulum") check_threads('2');
        if (run.name == "dream_ac_cartpole") check_threads('1'), check_threads('3');
    }
}
