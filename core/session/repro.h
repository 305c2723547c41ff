// Short runs whose exact metrics are pinned in the repository (tests/metric_hashes.txt): any change in the
// arithmetic — a compiler flag, an Eigen kernel, a CPU that computes differently, a reordered sum — changes a hash
// at once, long before a learning test's threshold would notice. `dreamlab repro` runs them and prints the hashes;
// the test compares them with the pinned ones on the portable build (README, "Reproducibility").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/rl/run.h"

namespace dl {

struct PinnedRun {
    std::string name;  // the key in tests/metric_hashes.txt
    RunConfig cfg;
    std::string what;  // which arithmetic it exercises
};
const std::vector<PinnedRun>& pinned_runs();

struct PinnedResult {
    std::string name;
    uint64_t hash = 0;  // FNV-1a 64 of the run's metrics.csv (every value at round-trip precision)
    size_t rows = 0;
    double seconds = 0;
};
PinnedResult run_pinned(const PinnedRun& run);

std::string hex64(uint64_t h);
// Reads "name hash" lines ('#' starts a comment); throws std::runtime_error naming the line of a malformed entry.
std::vector<std::pair<std::string, std::string>> parse_hash_file(const std::string& text);

}  // namespace dl
