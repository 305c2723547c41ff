// A sweep run inside this process, on worker threads: what the GUI's "Run sweep" button and a sweep lesson start,
// so the window stays responsive while the explorer fills in. Each worker takes the next unfinished trial and runs it
// with the same run_trial as `dreamlab sweep`, into the same DIR/trials/NAME/ — a sweep started here can be
// finished by the CLI and the other way round.
#pragma once
#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/session/sweep.h"

namespace dl {

class SweepRunner {
public:
    // Starts `jobs` threads at once. `dir` must already hold the sweep (prepare_sweep_dir).
    SweepRunner(std::filesystem::path dir, Sweep sweep, int jobs);
    ~SweepRunner();  // stop(), then waits for the running trials (a trial is not interrupted mid-way)
    SweepRunner(const SweepRunner&) = delete;
    SweepRunner& operator=(const SweepRunner&) = delete;

    void stop();  // no new trial starts
    int total() const { return total_; }
    int done() const { return done_.load(); }      // finished, here or before
    int running() const { return running_.load(); }
    int failed() const { return failed_.load(); }
    bool finished() const { return finished_.load() == int(threads_.size()); }
    std::string last_error() const;

private:
    void work();
    std::filesystem::path dir_;
    Sweep sweep_;
    std::vector<SweepTrial> trials_;
    int total_ = 0;
    std::atomic<int> next_{0}, done_{0}, running_{0}, failed_{0}, finished_{0};
    std::atomic<bool> stop_{false};
    mutable std::mutex m_;
    std::string last_error_;
    std::vector<std::thread> threads_;
};

}  // namespace dl
