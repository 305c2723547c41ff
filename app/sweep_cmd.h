// `dreamlab sweep` (local processes, MPI ranks, a Slurm job array), `dreamlab sweep-trial` (one trial: what every
// worker runs) and `dreamlab report`. Kept apart from cli.cpp, which dispatches to them.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace dl {

// Each returns the process exit code (cli.h's): 0 done, 1 trials failed or I/O, 2 bad usage (thrown as
// UsageError / ParamError for run_cli to print).
int cmd_sweep(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_sweep_trial(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_report(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// MPI (app/sweep_mpi.cpp, only in a build with DREAMLAB_MPI): rank 0 hands out trials, every rank runs them.
bool sweep_mpi_available();
int sweep_mpi(const std::string& file, const std::string& out_dir, bool yes, bool quiet, std::ostream& out, std::ostream& err);

}  // namespace dl
