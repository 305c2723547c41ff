// ThreadPool — an explicit number of threads, passed to whoever needs them (no hidden global pool).
// parallel_for splits [0, n) into one contiguous chunk per thread, runs one chunk on the caller, and
// returns when all are done. Work is split by index only, so results never depend on the thread count.
// Hand-offs spin briefly before sleeping: a vector env steps thousands of times a second, and waking a
// sleeping thread costs more than the work of one step.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dl {

class ThreadPool {
public:
    explicit ThreadPool(int threads);  // threads >= 1: the caller plus threads - 1 workers
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    int size() const { return int(workers_.size()) + 1; }
    void parallel_for(int n, const std::function<void(int begin, int end)>& fn);

private:
    void worker(int index);
    std::vector<std::thread> workers_;
    std::mutex m_;
    std::condition_variable start_cv_, done_cv_;
    const std::function<void(int, int)>* job_ = nullptr;
    int n_ = 0;
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> quit_{false};
};

}  // namespace dl
