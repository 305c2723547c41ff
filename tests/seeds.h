// Learning tests judge an algorithm over several seeds, never one lucky seed: another CPU, compiler or build kind
// changes every learned number (README, "Reproducibility"), and a claim about an algorithm has to survive that.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <future>
#include <sstream>
#include <string>
#include <vector>

namespace dl::test {

// fn(seed) for each seed, run concurrently (each run is independent: its own env, networks and random streams);
// the results sorted ascending, so [size / 2] is the median.
inline std::vector<double> over_seeds(const std::vector<uint64_t>& seeds, const std::function<double(uint64_t)>& fn) {
    std::vector<std::future<double>> runs;
    for (uint64_t s : seeds) runs.push_back(std::async(std::launch::async, fn, s));
    std::vector<double> out;
    for (auto& r : runs) out.push_back(r.get());
    std::sort(out.begin(), out.end());
    return out;
}

inline double median(const std::vector<double>& sorted) { return sorted[sorted.size() / 2]; }

inline std::string list(const std::vector<double>& v) {
    std::ostringstream s;
    for (size_t i = 0; i < v.size(); ++i) s << (i ? " " : "") << v[i];
    return s.str();
}

}  // namespace dl::test
