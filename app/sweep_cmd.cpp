// `dreamlab sweep`, `dreamlab sweep-trial`, `dreamlab report`.
//
// A trial is always run by `dreamlab sweep-trial DIR INDEX` — a process of its own, whether the local driver
// started it, a Slurm array task or (in-process) an MPI rank — so a crash or a kill takes one trial with it and
// nothing else. A trial's directory appears whole or not at all (StagedDir), which is all resuming needs: a rerun
// skips the trials whose directory is there and redoes the rest.
#include "app/sweep_cmd.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "base/files.h"
#include "base/params.h"
#include "core/algos/registry.h"
#include "core/session/sweep.h"
#include "core/session/sweep_report.h"

namespace dl {

namespace fs = std::filesystem;

namespace {

volatile sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }

// The binary that runs the trials: this one (DREAMLAB_EXE overrides it, for tests that call run_cli in-process).
std::string self_exe() {
    if (const char* e = std::getenv("DREAMLAB_EXE"); e && *e) return e;
    std::error_code ec;
    const fs::path p = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw IoError("cannot find this program's path (/proc/self/exe): " + ec.message());
    return p.string();
}

// The threads one trial uses: its algorithm's `threads` argument where it has one (PPO, A2C step their envs on
// that many threads), else 1.
int64_t threads_per_trial(const Sweep& s) {
    int64_t most = 1;
    for (const SweepTrial& t : sweep_trials(s)) {
        if (t.seed != s.seeds.front()) continue;
        const RunConfig c = trial_config(s, t);
        auto args = make_algo_args(c.algo_id, c.algo_args);
        for (const ParamSpec& p : describe(*args))
            if (p.name == "threads") most = std::max<int64_t>(most, std::stoll(get_param(*args, "threads")));
    }
    return most;
}

std::string duration_text(double s) {
    char buf[32];
    if (s < 10) std::snprintf(buf, sizeof buf, "%.1f s", s);
    else if (s < 60) std::snprintf(buf, sizeof buf, "%.0f s", s);
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
    else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
    return buf;
}

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The progress of one driver: trials done / running / left, the best configuration so far (mean over its finished
// seeds, under the sweep's metric) and the time left at the pace of this run's trials.
struct Progress {
    const Sweep& sweep;
    fs::path dir;
    SweepMetric metric;
    int64_t total = 0, done = 0, failed = 0, diverged = 0;
    double started = now_s(), trial_seconds = 0;
    int finished_here = 0;
    std::map<int, std::vector<double>> scores;  // configuration -> finished seeds' scores

    void record(const SweepTrial& t) {
        try {
            const TrialCurve c = read_trial_curve(trial_dir(dir, t));
            const TrialScore s = score_curve(c, metric, c.env_step.empty() ? 0 : int64_t(c.env_step.back()));
            if (std::isfinite(s.value)) scores[t.config].push_back(s.value);
        } catch (const std::exception&) {
            // The report says what is wrong with a trial's files; progress only shows what it can read.
        }
    }
    std::string best() const {
        int best = -1;
        double v = 0;
        const bool lower = metric.kind == SweepMetric::StepsToThreshold;
        for (const auto& [c, xs] : scores) {
            double m = 0;
            for (double x : xs) m += x;
            m /= double(xs.size());
            if (best < 0 || (lower ? m < v : m > v)) best = c, v = m;
        }
        if (best < 0) return "";
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.4g", v);
        return config_label(sweep, best) + ": " + buf + " (" + std::to_string(scores.at(best).size()) + (scores.at(best).size() == 1 ? " seed)" : " seeds)");
    }
    std::string line(int64_t running, int64_t left, int jobs) const {
        std::string r = std::to_string(done) + "/" + std::to_string(total) + " done, " + std::to_string(running) + " running, " +
                        std::to_string(left) + " left";
        if (failed) r += ", " + std::to_string(failed) + " failed";
        if (const std::string b = best(); !b.empty()) r += " | best " + metric.text() + " " + b;
        if (finished_here > 0 && left + running > 0)
            r += " | ~" + duration_text(trial_seconds / finished_here * double(left + running) / std::max(1, jobs)) + " left";
        return r;
    }
};

// The trial worker: dreamlab-trial beside this binary (it starts in milliseconds), else `this sweep-trial`.
struct Worker {
    std::string exe;
    bool sub = true;  // `exe sweep-trial DIR INDEX` rather than `exe DIR INDEX`
};
Worker trial_worker(const std::string& self) {
    const fs::path slim = fs::path(self).parent_path() / "dreamlab-trial";
    if (std::getenv("DREAMLAB_EXE") == nullptr && access(slim.c_str(), X_OK) == 0) return {slim.string(), false};
    return {self, true};
}

pid_t spawn_trial(const Worker& w, const fs::path& dir, const SweepTrial& t) {
    const fs::path log = dir / "logs" / (t.name + ".log");
    const std::string index = std::to_string(t.index), d = dir.string(), e = w.exe, sub = "sweep-trial";
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw IoError(std::string("cannot start a trial process: ") + std::strerror(errno));
    if (pid == 0) {
        // A trial never outlives its driver (kill -9 of the driver takes its trials with it, so a rerun never
        // races a leftover process for the same trial), and is in its own process group: the terminal's Ctrl-C goes
        // to the driver, which stops the trials itself.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        setpgid(0, 0);
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, 1), dup2(fd, 2), close(fd);
        char* with_sub[] = {const_cast<char*>(e.c_str()), const_cast<char*>(sub.c_str()), const_cast<char*>(d.c_str()),
                            const_cast<char*>(index.c_str()), nullptr};
        char* slim[] = {const_cast<char*>(e.c_str()), const_cast<char*>(d.c_str()), const_cast<char*>(index.c_str()), nullptr};
        execv(e.c_str(), w.sub ? with_sub : slim);
        _exit(127);
    }
    return pid;
}

int sweep_local(const fs::path& dir, const Sweep& s, int jobs, int64_t threads, bool quiet, std::ostream& out, std::ostream& err) {
    const auto trials = sweep_trials(s);
    std::deque<int> todo;
    for (const SweepTrial& t : trials)
        if (!trial_done(dir, t)) todo.push_back(t.index);
    Progress p{s, dir, parse_metric(s.metric), 0, 0, 0, 0, now_s(), 0, 0, {}};
    p.total = int64_t(trials.size());
    p.done = p.total - int64_t(todo.size());
    for (const SweepTrial& t : trials)
        if (trial_done(dir, t)) p.record(t);
    fs::create_directories(dir / "logs");
    const Worker worker = trial_worker(self_exe());
    if (!quiet)
        out << "sweep " << dir.string() << ": " << trials.size() << " trials (" << s.configs.size() << " configurations x "
            << s.seeds.size() << " seeds), " << p.done << " already done; " << jobs << " at a time, " << threads
            << " thread" << (threads == 1 ? "" : "s") << " each\n"
            << std::flush;

    g_stop = 0;
    struct sigaction sa {}, old_int {}, old_term {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    std::map<pid_t, std::pair<int, double>> running;  // pid -> (trial, start time)
    std::vector<std::string> failed;
    const bool tty = isatty(STDOUT_FILENO) && &out == &std::cout;
    auto show = [&](const std::string& what) {
        if (quiet) return;
        if (tty) out << "\r\033[K" << p.line(int64_t(running.size()), int64_t(todo.size()), jobs) << std::flush;
        else out << what << " | " << p.line(int64_t(running.size()), int64_t(todo.size()), jobs) << "\n" << std::flush;
    };
    while (!todo.empty() || !running.empty()) {
        if (g_stop) {
            for (const auto& [pid, t] : running) kill(pid, SIGTERM);
            for (const auto& [pid, t] : running) waitpid(pid, nullptr, 0);
            sigaction(SIGINT, &old_int, nullptr), sigaction(SIGTERM, &old_term, nullptr);
            if (tty && !quiet) out << "\n";
            err << "dreamlab: sweep stopped: " << p.done << " of " << p.total << " trials done; the " << running.size()
                << " running were stopped and will be redone. Rerun the same command to finish.\n";
            return 130;
        }
        while (int(running.size()) < jobs && !todo.empty()) {
            const SweepTrial& t = trials[size_t(todo.front())];
            todo.pop_front();
            running[spawn_trial(worker, dir, t)] = {t.index, now_s()};
        }
        int status = 0;
        const pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0 || (pid < 0 && errno == EINTR)) {
            usleep(2000);  // a finished trial waits at most 2 ms for its successor
            continue;
        }
        if (pid < 0) break;
        const auto it = running.find(pid);
        if (it == running.end()) continue;
        const SweepTrial& t = trials[size_t(it->second.first)];
        const double took = now_s() - it->second.second;
        running.erase(it);
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if ((code == 0 || code == 3) && trial_done(dir, t)) {
            ++p.done, ++p.finished_here, p.trial_seconds += took;
            p.diverged += code == 3;
            p.record(t);
            show(t.name + (code == 3 ? " diverged (NaN) in " : " done in ") + duration_text(took));
        } else {
            ++p.failed;
            failed.push_back(t.name);
            const std::string why = WIFSIGNALED(status) ? std::string("killed by signal ") + std::to_string(WTERMSIG(status))
                                                        : "exit code " + std::to_string(code);
            show(t.name + " FAILED (" + why + "; " + (dir / "logs" / (t.name + ".log")).string() + ")");
        }
    }
    sigaction(SIGINT, &old_int, nullptr), sigaction(SIGTERM, &old_term, nullptr);
    if (tty && !quiet) out << "\n";
    if (!failed.empty()) {
        err << "dreamlab: " << failed.size() << " trial" << (failed.size() == 1 ? "" : "s") << " failed:";
        for (size_t i = 0; i < failed.size() && i < 10; ++i) err << " " << failed[i];
        err << (failed.size() > 10 ? " …" : "") << " (their logs are in " << (dir / "logs").string()
            << "); rerun the same command to retry them\n";
        return 1;
    }
    if (!quiet)
        out << "sweep done: " << p.total << " trials" << (p.diverged ? " (" + std::to_string(p.diverged) + " diverged)" : "")
            << " in " << duration_text(now_s() - p.started) << " -> " << dir.string() << "; see: dreamlab report " << dir.string()
            << "\n";
    return 0;
}

// The sbatch script of a job array: task i runs trials [i*chunk, (i+1)*chunk) that are not done yet.
std::string slurm_script(const fs::path& dir, const Sweep& s, const std::string& exe, int64_t chunk, const std::string& partition,
                         const std::string& time, int64_t cpus) {
    const int64_t n = sweep_trial_count(s), tasks = (n + chunk - 1) / chunk;
    std::ostringstream o;
    o << "#!/bin/bash\n"
      << "# A Dreamlab sweep as a Slurm job array, written by `dreamlab sweep --slurm`: task i runs trials\n"
      << "# [i*" << chunk << ", (i+1)*" << chunk << ") of " << n << " (those not done yet). Submit it with sbatch; resubmitting\n"
      << "# redoes only what is missing. Progress: dreamlab sweep " << dir.string() << " --status\n"
      << "#SBATCH --job-name=dreamlab-sweep\n"
      << "#SBATCH --array=0-" << tasks - 1 << "\n"
      << "#SBATCH --cpus-per-task=" << cpus << "\n"
      << "#SBATCH --ntasks=1\n"
      << "#SBATCH --output=" << (dir / "logs" / "slurm-%A_%a.log").string() << "\n";
    if (!time.empty()) o << "#SBATCH --time=" << time << "\n";
    if (!partition.empty()) o << "#SBATCH --partition=" << partition << "\n";
    o << "exec '" << exe << "' sweep-trial '" << dir.string() << "' --array-task --chunk " << chunk << "\n";
    return o.str();
}

bool valid_slurm_time(const std::string& t) {
    // [D-]HH:MM:SS or MM:SS or minutes, as sbatch takes it; digits and separators only.
    if (t.empty() || t.size() > 16) return false;
    for (char c : t)
        if (!std::isdigit((unsigned char)c) && c != ':' && c != '-') return false;
    return std::isdigit((unsigned char)t.front()) && std::isdigit((unsigned char)t.back());
}

int sweep_status(const fs::path& dir, std::ostream& out) {
    const SweepReport r = report_sweep(dir, parse_metric(load_sweep_dir(dir).metric));
    int diverged = 0, staged = 0;
    std::vector<std::string> left;
    for (const TrialResult& t : r.trials) {
        diverged += t.done && t.diverged;
        if (!t.done) left.push_back(t.trial.name);
    }
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir / "trials", ec))
        staged += e.path().filename().string().rfind(".staging-", 0) == 0;
    out << dir.string() << ": " << r.done << " of " << r.trials.size() << " trials done"
        << (diverged ? " (" + std::to_string(diverged) + " diverged)" : "") << ", " << left.size() << " not done";
    if (staged) out << " (" << staged << " in progress or interrupted)";
    out << "\n";
    if (!left.empty() && left.size() <= 20) {
        out << "not done:";
        for (const auto& n : left) out << " " << n;
        out << "\n";
    }
    if (r.best >= 0) {
        const ConfigResult& b = r.configs[size_t(r.best)];
        out << "best so far (IQM of " << r.metric.text() << "): " << b.label << ": " << b.iqm << " [" << b.iqm_ci.lo << ", "
            << b.iqm_ci.hi << "] over " << b.scores.size() << " seeds\n";
    }
    return 0;
}

}  // namespace

#ifndef DREAMLAB_WITH_MPI
bool sweep_mpi_available() { return false; }
int sweep_mpi(const std::string&, const std::string&, bool, bool, std::ostream&, std::ostream&) { return 2; }
#endif

int cmd_sweep(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (args.size() < 2 || args[1].rfind("--", 0) == 0)
        throw UsageError("sweep needs a sweep file (dreamlab sweep FILE.toml --out DIR) or a sweep directory (--status)");
    const std::string target = args[1];
    const Options o(args, 2,
                    {"--out", "--jobs", "--partition", "--time", "--cpus-per-task", "--chunk"},
                    {"--yes", "--mpi", "--slurm", "--submit", "--status", "--quiet"});
    if (o.has("--status")) {
        if (o.has("--out")) throw UsageError("--status reads a sweep directory: dreamlab sweep DIR --status");
        return sweep_status(target, out);
    }
    for (const char* slurm_only : {"--partition", "--time", "--cpus-per-task", "--chunk", "--submit"})
        if (o.has(slurm_only) && !o.has("--slurm")) throw UsageError(std::string(slurm_only) + " is an option of --slurm");
    if (o.has("--mpi") && o.has("--slurm")) throw UsageError("--mpi and --slurm are two ways to run a sweep: pick one");
    if (!o.has("--out")) throw UsageError("sweep needs --out DIR (where sweep.json and the trials' run directories go)");
    const fs::path dir = o.get("--out");
    if (dir.empty()) throw UsageError("--out '' is not allowed: give a directory");
    if (o.has("--mpi")) {
        if (o.has("--jobs")) throw UsageError("--jobs is for a local sweep; under MPI each rank runs one trial at a time (mpirun -np K)");
        if (!sweep_mpi_available())
            throw UsageError("this build has no MPI (install libopenmpi-dev and rebuild: it is found and used by default)");
        return sweep_mpi(target, dir.string(), o.has("--yes"), o.has("--quiet"), out, err);
    }
    const Sweep s = load_sweep(target, o.has("--yes"));
    const int64_t threads = threads_per_trial(s);
    const int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
    if (o.has("--slurm")) {
        if (o.has("--jobs")) throw UsageError("--jobs is for a local sweep; Slurm runs the array's tasks where it has room");
        const int64_t cpus = o.has("--cpus-per-task") ? count_option("--cpus-per-task", o.get("--cpus-per-task"), 1, 1024) : threads;
        const int64_t chunk = o.has("--chunk") ? count_option("--chunk", o.get("--chunk"), 1, kSweepMaxTrials) : 1;
        const std::string time = o.get("--time");
        if (o.has("--time") && !valid_slurm_time(time))
            throw UsageError("--time=" + time + " is not allowed: expected HH:MM:SS (or D-HH:MM:SS, or minutes)");
        const std::string partition = o.get("--partition");
        for (char c : partition)
            if (!std::isalnum((unsigned char)c) && c != '_' && c != '-' && c != ',')
                throw UsageError("--partition=" + partition + " is not allowed: letters, digits, '_', '-' and ','");
        prepare_sweep_dir(dir, s);
        fs::create_directories(dir / "logs");
        const fs::path abs = fs::absolute(dir);
        write_file_atomic(dir / "sweep.sbatch", slurm_script(abs, s, self_exe(), chunk, partition, time, cpus));
        out << "wrote " << (dir / "sweep.sbatch").string() << ": a job array of " << (sweep_trial_count(s) + chunk - 1) / chunk
            << " tasks for " << sweep_trial_count(s) << " trials\n";
        if (!o.has("--submit")) {
            out << "submit it with: sbatch " << (dir / "sweep.sbatch").string() << "\n";
            return 0;
        }
        const std::string cmd = "sbatch --parsable '" + (abs / "sweep.sbatch").string() + "' 2>&1";
        FILE* pipe = popen(cmd.c_str(), "r");
        if (!pipe) throw IoError("cannot run sbatch");
        std::string said;
        char buf[256];
        while (fgets(buf, sizeof buf, pipe)) said += buf;
        const int rc = pclose(pipe);
        while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
        if (rc != 0) throw IoError("sbatch failed: " + said);
        out << "submitted job " << said << "; progress: dreamlab sweep " << dir.string() << " --status\n";
        return 0;
    }
    int64_t jobs = std::max<int64_t>(1, cores / threads);
    if (o.has("--jobs")) {
        jobs = count_option("--jobs", o.get("--jobs"), 1, 4096);
        if (jobs * threads > cores)
            throw UsageError("--jobs=" + std::to_string(jobs) + " with " + std::to_string(threads) + " threads per trial needs " +
                             std::to_string(jobs * threads) + " cores; this machine has " + std::to_string(cores) +
                             ": use --jobs " + std::to_string(std::max<int64_t>(1, cores / threads)) + " or fewer threads");
    }
    prepare_sweep_dir(dir, s);
    return sweep_local(dir, s, int(jobs), threads, o.has("--quiet"), out, err);
}

int cmd_sweep_trial(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (args.size() < 3) throw UsageError("sweep-trial needs a sweep directory and a trial index (or --array-task)");
    const fs::path dir = args[1];
    const Sweep s = load_sweep_dir(dir, /*check_all=*/false);  // run_trial checks each trial's own config
    const int64_t n = sweep_trial_count(s);
    std::vector<int> indices;
    if (args[2] == "--array-task") {
        const Options o(args, 3, {"--chunk"}, {});
        const int64_t chunk = o.has("--chunk") ? count_option("--chunk", o.get("--chunk"), 1, kSweepMaxTrials) : 1;
        const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
        if (!id) throw UsageError("--array-task reads SLURM_ARRAY_TASK_ID, which is not set (run it from sbatch)");
        const int64_t task = count_option("SLURM_ARRAY_TASK_ID", id, 0, kSweepMaxTrials);
        for (int64_t i = task * chunk; i < std::min(n, (task + 1) * chunk); ++i) indices.push_back(int(i));
    } else {
        if (args.size() > 3) throw UsageError("sweep-trial takes a directory and one trial index");
        indices.push_back(int(count_option("trial index", args[2], 0, n - 1)));
    }
    int rc = 0;
    const auto trials = sweep_trials(s);
    for (int i : indices) {
        if (trial_done(dir, trials[size_t(i)])) {  // a resubmitted array task, or a rerun: nothing to do
            out << trials[size_t(i)].name << ": already done\n";
            continue;
        }
        const int r = run_trial(dir, s, i);
        out << trials[size_t(i)].name << (r == 3 ? ": diverged (NaN), saved\n" : ": trained\n");
        rc = std::max(rc, r);
    }
    (void)err;
    return rc;
}

int cmd_report(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (args.size() < 2 || args[1].rfind("--", 0) == 0) throw UsageError("report needs a sweep directory: dreamlab report DIR");
    const fs::path dir = args[1];
    const Options o(args, 2, {"--metric", "--csv", "--compare"}, {"--json"});
    const Sweep s = load_sweep_dir(dir);
    const SweepMetric m = parse_metric(o.get("--metric", s.metric));
    const SweepReport r = report_sweep(dir, m);
    nlohmann::json j = report_to_json(r);
    if (o.has("--compare")) {
        const std::string spec = o.get("--compare");
        const auto comma = spec.find(';') != std::string::npos ? spec.find(';') : spec.find(',');
        if (comma == std::string::npos)
            throw UsageError("--compare A,B names two configurations by number (--compare 3,5) or label (--compare 'x=1;x=2')");
        const int a = find_config(r, spec.substr(0, comma)), b = find_config(r, spec.substr(comma + 1));
        std::vector<double> xa = r.configs[size_t(a)].scores, xb = r.configs[size_t(b)].scores;
        if (r.lower_is_better) {  // an improvement is fewer steps
            for (double& v : xa) v = -v;
            for (double& v : xb) v = -v;
        }
        const double poi = probability_of_improvement(xa, xb);
        const Interval ci = probability_of_improvement_ci(xa, xb, kBootstrapReps, 0.95, 7);
        j["compare"] = {{"a", r.configs[size_t(a)].label}, {"b", r.configs[size_t(b)].label}, {"probability_of_improvement", poi},
                        {"ci95", {ci.lo, ci.hi}}};
        if (!o.has("--json"))
            out << "P(" << r.configs[size_t(a)].label << " > " << r.configs[size_t(b)].label << ") = " << poi << " [" << ci.lo
                << ", " << ci.hi << "] (probability that a run of the first beats a run of the second, 95% bootstrap CI)\n";
    }
    if (o.has("--csv")) write_file_atomic(o.get("--csv"), report_to_csv(r));
    if (o.has("--json")) out << j.dump() << "\n";
    else out << report_table(r);
    (void)err;
    return 0;
}

}  // namespace dl
