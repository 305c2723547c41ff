// dreamlab-trial DIR INDEX — one trial of a sweep: what `dreamlab sweep` starts for each trial. The same run_trial as
// `dreamlab sweep-trial`, in a binary that links only the core (no FFmpeg, GL, MPI: 6 shared libraries where
// `dreamlab` loads 149), because a short trial should not spend a sixth of its time in the dynamic loader
// (measured: `dreamlab help` 75 ms, this binary's start about 5 ms; a 60k-step CartPole PPO trial trains in 0.4 s).
// Exit codes: 0 trained or already done, 3 training diverged (saved, counts as done), 2 bad usage, 1 a failure.
#include <malloc.h>

#include <iostream>
#include <string>

#include "base/files.h"
#include "core/session/sweep.h"

int main(int argc, char** argv) {
    mallopt(M_MMAP_THRESHOLD, 64 << 20);  // as dreamlab's main: training reuses large buffers
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    if (argc != 3) {
        std::cerr << "usage: dreamlab-trial SWEEP_DIR TRIAL_INDEX   (started by `dreamlab sweep`; see README \"Sweeps\")\n";
        return 2;
    }
    try {
        const dl::Sweep s = dl::load_sweep_dir(argv[1], /*check_all=*/false);  // run_trial checks this trial's config
        const auto trials = dl::sweep_trials(s);
        const std::string index = argv[2];
        size_t used = 0;
        long long i = -1;
        try {
            i = std::stoll(index, &used);
        } catch (const std::exception&) {
        }
        if (used != index.size() || index.empty() || i < 0 || i >= (long long)trials.size()) {
            std::cerr << "dreamlab-trial: trial index " << index << " is not allowed: expected an integer in [0, " << trials.size() - 1 << "]\n";
            return 2;
        }
        const dl::SweepTrial& t = trials[size_t(i)];
        if (dl::trial_done(argv[1], t)) {
            std::cout << t.name << ": already done\n";
            return 0;
        }
        const int rc = dl::run_trial(argv[1], s, int(i));
        std::cout << t.name << (rc == 3 ? ": diverged (NaN), saved\n" : ": trained\n");
        return rc;
    } catch (const dl::ParamError& e) {
        std::cerr << "dreamlab-trial: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "dreamlab-trial: " << e.what() << "\n";
        return 1;
    }
}
