#include "base/pool.h"

#include <stdexcept>
#include <string>

namespace dl {

namespace {
constexpr int kSpin = 4000;  // polls before blocking (tens of microseconds)
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
void chunk(int n, int parts, int index, int& begin, int& end) {
    begin = int(int64_t(n) * index / parts);
    end = int(int64_t(n) * (index + 1) / parts);
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
    if (threads < 1) throw std::invalid_argument("threads=" + std::to_string(threads) + " is not allowed: expected at least 1");
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lk(m_);
        quit_ = true;
    }
    start_cv_.notify_all();
    for (auto& t : workers_) t.join();
}

void ThreadPool::worker(int index) {
    uint64_t seen = 0;
    for (;;) {
        for (int i = 0; i < kSpin && generation_.load(std::memory_order_acquire) == seen && !quit_; ++i) cpu_relax();
        if (generation_.load(std::memory_order_acquire) == seen) {
            std::unique_lock lk(m_);
            start_cv_.wait(lk, [&] { return quit_ || generation_.load() != seen; });
        }
        if (quit_) return;
        seen = generation_.load(std::memory_order_acquire);
        int b, e;
        chunk(n_, size(), index, b, e);
        if (b < e) (*job_)(b, e);
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard lk(m_);
            done_cv_.notify_one();
        }
    }
}

void ThreadPool::parallel_for(int n, const std::function<void(int, int)>& fn) {
    if (workers_.empty() || n <= 1) {
        if (n > 0) fn(0, n);
        return;
    }
    job_ = &fn, n_ = n;
    pending_.store(int(workers_.size()), std::memory_order_relaxed);
    {
        std::lock_guard lk(m_);  // publishes job_ and n_ with the new generation
        generation_.fetch_add(1, std::memory_order_release);
    }
    start_cv_.notify_all();
    int b, e;
    chunk(n, size(), 0, b, e);
    if (b < e) fn(b, e);
    for (int i = 0; i < kSpin && pending_.load(std::memory_order_acquire) > 0; ++i) cpu_relax();
    if (pending_.load(std::memory_order_acquire) > 0) {
        std::unique_lock lk(m_);
        done_cv_.wait(lk, [&] { return pending_.load() == 0; });
    }
}

}  // namespace dl
