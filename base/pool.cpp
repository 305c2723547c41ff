#include "base/pool.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

namespace dl {

namespace {
constexpr int kSpin = 4000;  // the caller's polls before it blocks waiting for the last chunk
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
}  // namespace

ThreadPool::ThreadPool(int threads, int spin) : spin_(std::max(spin, 0)) {
    if (threads < 1) throw std::invalid_argument("threads=" + std::to_string(threads) + " is not allowed: expected at least 1");
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lk(m_);
        quit_ = true;
    }
    start_cv_.notify_all();
    for (auto& t : workers_) t.join();
}

int ThreadPool::chunks(int n, int grain) const {
    if (n <= 0) return 0;
    grain = std::max(grain, 1);
    if (size() == 1 || n < 2 * grain) return 1;
    return std::clamp(std::min(4 * size(), n / grain), 2, n);
}

void ThreadPool::run_chunks(uint32_t generation) {
    const auto* fn = job_.load(std::memory_order_acquire);
    const int n = n_.load(std::memory_order_acquire), parts = chunks_.load(std::memory_order_acquire);
    for (;;) {
        uint64_t cur = next_.load(std::memory_order_acquire);
        if (uint32_t(cur >> 32) != generation || int(uint32_t(cur)) >= parts) return;  // a later job, or none left
        if (!next_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel)) continue;
        // The claim succeeded, so this generation's job is still running: fn, n and parts were its own.
        const int c = int(uint32_t(cur));
        try {
            (*fn)(int(int64_t(n) * c / parts), int(int64_t(n) * (c + 1) / parts));
        } catch (...) {  // kept for the caller, who rethrows it once every chunk is done (fn must outlive them)
            std::lock_guard lk(error_m_);
            if (!error_) error_ = std::current_exception();
        }
        if (done_.fetch_add(1) + 1 == parts && waiting_.load()) {  // (seq_cst: pairs with the caller's store, then load)
            std::lock_guard lk(m_);
            done_cv_.notify_one();
        }
    }
}

void ThreadPool::worker() {
    uint32_t seen = 0;
    for (;;) {
        for (int i = 0; i < spin_ && generation_.load(std::memory_order_acquire) == seen && !quit_; ++i) cpu_relax();
        if (generation_.load(std::memory_order_acquire) == seen) {
            std::unique_lock lk(m_);
            start_cv_.wait(lk, [&] { return quit_ || generation_.load() != seen; });
        }
        if (quit_) return;
        seen = generation_.load(std::memory_order_acquire);
        run_chunks(seen);
    }
}

void ThreadPool::parallel_for(int n, const std::function<void(int, int)>& fn, int grain) {
    const int parts = chunks(n, grain);
    if (parts <= 1 || backoff_left_ > 0) {
        backoff_left_ -= parts > 1;
        if (n > 0) fn(0, n);
        return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    job_.store(&fn, std::memory_order_release);
    n_.store(n, std::memory_order_release), chunks_.store(parts, std::memory_order_release);
    done_.store(0, std::memory_order_relaxed);
    const uint32_t g = generation_.load(std::memory_order_relaxed) + 1;
    next_.store(uint64_t(g) << 32, std::memory_order_release);
    {
        std::lock_guard lk(m_);  // a worker about to sleep sees the new generation or is woken
        generation_.store(g, std::memory_order_release);
    }
    start_cv_.notify_all();
    run_chunks(g);
    const auto t1 = std::chrono::steady_clock::now();
    for (int i = 0; i < kSpin && done_.load(std::memory_order_acquire) < parts; ++i) cpu_relax();
    if (done_.load(std::memory_order_acquire) < parts) {
        std::unique_lock lk(m_);
        waiting_.store(true);
        done_cv_.wait(lk, [&] { return done_.load() >= parts; });
        waiting_.store(false, std::memory_order_release);
    }
    // A worker that was descheduled holding a chunk (more threads want the cores than there are) kept the caller
    // waiting longer than its own share took: the next calls run on the caller alone, twice as many after each
    // such stall in a row (up to 4096), and then the pool is tried again.
    const auto t2 = std::chrono::steady_clock::now();
    if (t2 - t1 > std::chrono::microseconds(50) && t2 - t1 > t1 - t0) {
        backoff_ = std::min(std::max(2 * backoff_, 8), 4096);
        backoff_left_ = backoff_;
    } else {
        backoff_ = 0;
    }
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));  // every chunk is done: no one writes it now
}

}  // namespace dl
