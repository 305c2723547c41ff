#include "core/session/sweep_runner.h"

namespace dl {

SweepRunner::SweepRunner(std::filesystem::path dir, Sweep sweep, int jobs)
    : dir_(std::move(dir)), sweep_(std::move(sweep)), trials_(sweep_trials(sweep_)), total_(int(trials_.size())) {
    for (const SweepTrial& t : trials_) done_ += trial_done(dir_, t);
    for (int i = 0; i < std::max(1, jobs); ++i) threads_.emplace_back([this] { work(); });
}

SweepRunner::~SweepRunner() {
    stop();
    for (auto& t : threads_) t.join();
}

void SweepRunner::stop() { stop_ = true; }

std::string SweepRunner::last_error() const {
    std::lock_guard<std::mutex> lock(m_);
    return last_error_;
}

void SweepRunner::work() {
    for (;;) {
        if (stop_) break;
        const int i = next_++;
        if (i >= total_) break;
        if (trial_done(dir_, trials_[size_t(i)])) continue;
        ++running_;
        try {
            run_trial(dir_, sweep_, i);
            ++done_;
        } catch (const std::exception& e) {
            ++failed_;
            std::lock_guard<std::mutex> lock(m_);
            last_error_ = trials_[size_t(i)].name + ": " + e.what();
        }
        --running_;
    }
    ++finished_;
}

}  // namespace dl
