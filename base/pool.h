// ThreadPool — an explicit number of threads, passed to whoever needs them (no hidden global pool).
//
// parallel_for(n, fn, grain) cuts [0, n) into contiguous chunks of at least `grain` indices (about 4 per thread)
// and hands them out one at a time from an atomic counter; the caller takes chunks too, and returns when every
// chunk is done. A worker that is descheduled (another process wants the core) holds up at most the one chunk it
// took: the others take the rest. Below 2 × grain indices, or with one thread, fn(0, n) runs on the caller alone
// (waking a worker costs more than a small job); so do the next calls after a worker kept the caller waiting longer
// than its own share took (a busy neighbour), backing off exponentially. Work is split by index only: whichever thread runs a chunk, fn
// sees the same ranges, so results never depend on the thread count or on scheduling. A chunk that throws does not
// take the process down: the other chunks finish, and parallel_for rethrows the first exception to its caller.
// Hand-offs spin briefly before sleeping: a vector env steps thousands of times a second, and waking a sleeping
// thread costs more than the work of one step.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dl {

class ThreadPool {
public:
    // threads >= 1: the caller plus threads - 1 workers. spin: how many times an idle worker polls for the next
    // job before it sleeps (4000 ≈ 0.1 ms; a pool handed a job every few tens of µs, as TD3's twin critics are,
    // spins longer so that a job finds its worker awake: waking one costs tens of µs).
    explicit ThreadPool(int threads, int spin = 4000);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    int size() const { return int(workers_.size()) + 1; }
    void parallel_for(int n, const std::function<void(int begin, int end)>& fn, int grain = 1);
    // The chunks parallel_for(n, ·, grain) hands out (tests; the same whatever the scheduling).
    int chunks(int n, int grain) const;

private:
    void worker();
    // Takes and runs chunks of the job of `generation` until none is left.
    void run_chunks(uint32_t generation);
    std::vector<std::thread> workers_;
    std::mutex m_;
    std::condition_variable start_cv_, done_cv_;
    // The job of the current generation (written by the caller before publishing the generation).
    std::atomic<const std::function<void(int, int)>*> job_{nullptr};
    std::atomic<int> n_{0}, chunks_{0};
    // generation << 32 | next chunk: a worker that wakes late claims nothing from a later job.
    std::atomic<uint64_t> next_{0};
    std::atomic<uint32_t> generation_{0};
    std::atomic<int> done_{0};       // chunks finished in this generation
    std::atomic<bool> waiting_{false}, quit_{false};
    std::mutex error_m_;
    std::exception_ptr error_;  // the first exception a chunk threw (run_chunks), rethrown by parallel_for
    int spin_;
    int backoff_ = 0, backoff_left_ = 0;  // calls to run on the caller alone after a stall (the caller's own)
};

}  // namespace dl
