// Rng — a small, fast, seedable generator whose stream is identical on every platform and compiler.
// xoshiro256** seeded through splitmix64. We do not use <random> distributions: their output is
// implementation-defined, and Dreamlab promises "same seed, same numbers" everywhere.
#pragma once
#include <cstdint>
#include <cmath>
#include <span>

namespace dl {

class Rng {
public:
    explicit Rng(uint64_t seed = 0) { reseed(seed); }

    void reseed(uint64_t seed) {
        uint64_t x = seed;
        for (auto& w : s_) w = splitmix64(x);
    }

    uint64_t next_u64() {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0]; s_[3] ^= s_[1]; s_[1] ^= s_[2]; s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform double in [0, 1) with 53 random bits.
    double uniform() { return double(next_u64() >> 11) * 0x1.0p-53; }

    // Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject).
    uint32_t below(uint32_t n) {
        uint64_t m = uint64_t(uint32_t(next_u64() >> 32)) * n;
        uint32_t low = uint32_t(m);
        if (low < n) {
            const uint32_t threshold = uint32_t(-n) % n;
            while (low < threshold) {
                m = uint64_t(uint32_t(next_u64() >> 32)) * n;
                low = uint32_t(m);
            }
        }
        return uint32_t(m >> 32);
    }

    bool bernoulli(double p) { return uniform() < p; }

    // Index i with probability probs[i] (probs sum to ~1). Same rule as Gymnasium's categorical_sample:
    // the first index whose cumulative probability exceeds a uniform draw.
    size_t categorical(std::span<const double> probs) {
        const double u = uniform();
        double c = 0.0;
        for (size_t i = 0; i < probs.size(); ++i) {
            c += probs[i];
            if (c > u) return i;
        }
        return probs.size() - 1;  // rounding: cumulative sum fell just short of 1
    }

    // A child seed: lets a run derive independent streams (env, agent, eval) from one user seed.
    static uint64_t derive(uint64_t seed, uint64_t stream) {
        uint64_t x = seed ^ (0x9E3779B97F4A7C15ull * (stream + 1));
        return splitmix64(x);
    }

    // The four words of the generator's state (checkpoints save and restore them: base/state_io.h).
    uint64_t* words() { return s_; }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static uint64_t splitmix64(uint64_t& x) {
        uint64_t z = (x += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    uint64_t s_[4];
};

}  // namespace dl
