// `mpirun -np K dreamlab sweep FILE --out DIR --mpi`: the trials spread over K ranks, dynamically. Rank 0 reads the
// sweep file, writes DIR/sweep.json and hands out trial indices on request; every rank (rank 0 too, on a second
// thread) runs the trial it was given with the same run_trial as a local sweep, into the same DIR/trials/NAME/, so
// the files do not depend on how the sweep was run. DIR must be on a filesystem every rank sees.
//
// Only rank 0's main thread and the other ranks' main threads call MPI (MPI_THREAD_FUNNELED). A rank that dies takes
// its running trial with it (mpirun then ends the job); the trial's staging directory is removed by the next attempt
// and a rerun of the same command does what is missing.
#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "app/sweep_cmd.h"
#include "base/files.h"
#include "core/session/sweep.h"

namespace dl {

namespace {

constexpr int kTagRequest = 1;  // worker -> 0: {finished trial or -1, its exit code}
constexpr int kTagWork = 2;     // 0 -> worker: the next trial index, or -1: stop

int run_one(const std::filesystem::path& dir, const Sweep& s, int index, int rank, std::ostream& err) {
    try {
        return run_trial(dir, s, index);
    } catch (const std::exception& e) {
        err << "dreamlab: rank " << rank << ": trial " << index << " failed: " << e.what() << "\n" << std::flush;
        return 1;
    }
}

}  // namespace

bool sweep_mpi_available() { return true; }

int sweep_mpi(const std::string& file, const std::string& out_dir, bool yes, bool quiet, std::ostream& out, std::ostream& err) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const std::filesystem::path dir = out_dir;

    // Rank 0 checks the file and prepares DIR; every rank learns whether that worked before anything runs.
    std::string error;
    int code = 0;
    if (rank == 0) try {
            prepare_sweep_dir(dir, load_sweep(file, yes));
            std::filesystem::create_directories(dir / "logs");
        } catch (const ParamError& e) {
            error = e.what(), code = 2;
        } catch (const std::exception& e) {
            error = e.what(), code = 1;
        }
    int len = int(error.size());
    MPI_Bcast(&len, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    error.resize(size_t(len));
    MPI_Bcast(error.data(), len, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (len > 0) {
        if (rank == 0) err << "dreamlab: " << error << "\n";
        MPI_Finalize();
        return code;
    }
    Sweep s;
    try {
        s = load_sweep_dir(dir);  // what rank 0 wrote: every rank runs from the same expanded sweep
    } catch (const std::exception& e) {
        err << "dreamlab: rank " << rank << " cannot read " << dir.string() << "/sweep.json (is --out on a filesystem every rank sees?): "
            << e.what() << "\n";
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    const auto trials = sweep_trials(s);

    if (rank != 0) {
        int msg[2] = {-1, 0};
        int failed = 0;
        for (;;) {
            MPI_Send(msg, 2, MPI_INT, 0, kTagRequest, MPI_COMM_WORLD);
            int next = -1;
            MPI_Recv(&next, 1, MPI_INT, 0, kTagWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (next < 0) break;
            msg[0] = next, msg[1] = run_one(dir, s, next, rank, err);
            failed += msg[1] != 0 && msg[1] != 3;
        }
        MPI_Finalize();
        return failed ? 1 : 0;
    }

    // Rank 0: the queue, shared by its own worker thread and the other ranks' requests.
    std::mutex m;
    std::deque<int> todo;
    int done = 0, failed = 0, diverged = 0, total = int(trials.size());
    for (const SweepTrial& t : trials) {
        if (trial_done(dir, t)) ++done;
        else todo.push_back(t.index);
    }
    if (!quiet)
        out << "sweep " << dir.string() << " on " << size << " MPI ranks: " << total << " trials, " << done << " already done\n" << std::flush;
    const auto started = std::chrono::steady_clock::now();
    auto take = [&]() {
        std::lock_guard<std::mutex> lock(m);
        if (todo.empty()) return -1;
        const int i = todo.front();
        todo.pop_front();
        return i;
    };
    auto finished = [&](int index, int rc, int by) {
        std::lock_guard<std::mutex> lock(m);
        if (rc == 0 || rc == 3) ++done, diverged += rc == 3;
        else ++failed;
        if (!quiet)
            out << trials[size_t(index)].name << (rc == 0 ? " done" : rc == 3 ? " diverged (NaN)" : " FAILED") << " on rank " << by << " | "
                << done << "/" << total << " done, " << todo.size() << " left\n" << std::flush;
    };
    std::thread own([&] {
        for (int i = take(); i >= 0; i = take()) finished(i, run_one(dir, s, i, 0, err), 0);
    });
    int active = size - 1;
    while (active > 0) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, kTagRequest, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            usleep(2000);
            continue;
        }
        int msg[2];
        MPI_Recv(msg, 2, MPI_INT, st.MPI_SOURCE, kTagRequest, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (msg[0] >= 0 && msg[0] < total) finished(msg[0], msg[1], st.MPI_SOURCE);
        const int next = take();
        MPI_Send(&next, 1, MPI_INT, st.MPI_SOURCE, kTagWork, MPI_COMM_WORLD);
        if (next < 0) --active;
    }
    own.join();
    MPI_Finalize();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (failed) {
        err << "dreamlab: " << failed << " trials failed (see the ranks' messages above); rerun the same command to retry them\n";
        return 1;
    }
    if (!quiet)
        out << "sweep done: " << total << " trials" << (diverged ? " (" + std::to_string(diverged) + " diverged)" : "") << " in "
            << std::round(secs) << " s on " << size << " ranks -> " << dir.string() << "; see: dreamlab report " << dir.string() << "\n";
    return 0;
}

}  // namespace dl
