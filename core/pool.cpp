#include "core/pool.h"

#include <stdexcept>
#include <string>

namespace dl {

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

static void chunk(int n, int parts, int index, int& begin, int& end) {
    begin = int(int64_t(n) * index / parts);
    end = int(int64_t(n) * (index + 1) / parts);
}

void ThreadPool::worker(int index) {
    uint64_t seen = 0;
    for (;;) {
        const std::function<void(int, int)>* job;
        int n;
        {
            std::unique_lock lk(m_);
            start_cv_.wait(lk, [&] { return quit_ || generation_ != seen; });
            if (quit_) return;
            seen = generation_;
            job = job_, n = n_;
        }
        int b, e;
        chunk(n, size(), index, b, e);
        if (b < e) (*job)(b, e);
        {
            std::lock_guard lk(m_);
            if (--pending_ == 0) done_cv_.notify_one();
        }
    }
}

void ThreadPool::parallel_for(int n, const std::function<void(int, int)>& fn) {
    if (workers_.empty() || n <= 1) {
        if (n > 0) fn(0, n);
        return;
    }
    {
        std::lock_guard lk(m_);
        job_ = &fn, n_ = n, pending_ = int(workers_.size());
        ++generation_;
    }
    start_cv_.notify_all();
    int b, e;
    chunk(n, size(), 0, b, e);
    if (b < e) fn(b, e);
    std::unique_lock lk(m_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
}

}  // namespace dl
