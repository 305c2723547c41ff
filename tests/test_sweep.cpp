// core/session/sweep + sweep_report: sweep files expanded and checked before anything runs (every refusal names the
// file, the line and the value), sweep.json read as hostile input, trials run into their own run directories and
// resumed, scores from metrics.csv, and the report's aggregates equal a direct computation over the trials' files.
// The process-level behaviour (local processes, MPI ranks, kills, Ctrl-C) is tests/check_sweep.sh.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/stats.h"
#include "cli_helpers.h"
#include "core/session/run_config.h"
#include "core/session/run_store.h"
#include "core/session/sweep.h"
#include "core/session/sweep_report.h"
#include "core/session/sweep_runner.h"

using namespace dl;
namespace fs = std::filesystem;

namespace {

const char* kLake = R"toml(title = "Q-learning: step size x discount"
[base]
env = { id = "FrozenLake-v1", args = { is_slippery = false } }
algo = { id = "q_learning", args = { episodes = 300 } }
[design]
kind = "grid"
seeds = 2
[axes]
alpha = [0.1, 0.5, 0.9]
gamma = "uniform(0.9, 0.99, 2)"
)toml";

std::string expect_error(const std::string& text, bool yes = false) {
    try {
        parse_sweep(text, "s.toml", yes);
    } catch (const SweepError& e) {
        return e.what();
    }
    FAIL("accepted: " << text);
    return "";
}

std::string with_axes(const std::string& axes, const std::string& design = "kind = \"grid\"\nseeds = 2") {
    return "[base]\nenv.id = \"FrozenLake-v1\"\nalgo.id = \"q_learning\"\nalgo.args = { episodes = 300 }\n[design]\n" + design +
           "\n[axes]\n" + axes + "\n";
}

}  // namespace

TEST_CASE("sweep: a grid expands in file order, the last axis fastest, seeds innermost") {
    const Sweep s = parse_sweep(kLake, "lake.toml");
    REQUIRE(s.axes.size() == 2);
    CHECK(s.axes[0].name == "alpha");  // file order, not alphabetical
    CHECK(s.axes[1].name == "gamma");
    CHECK(s.seeds == std::vector<uint64_t>{1, 2});
    REQUIRE(s.configs.size() == 6);
    CHECK(s.configs[0] == std::vector<std::string>{"0.1", "0.9"});
    CHECK(s.configs[1] == std::vector<std::string>{"0.1", "0.99"});
    CHECK(s.configs[5] == std::vector<std::string>{"0.9", "0.99"});
    const auto trials = sweep_trials(s);
    REQUIRE(trials.size() == 12);
    CHECK(trials[0].name == "c000-s1");
    CHECK(trials[1].name == "c000-s2");
    CHECK(trials[11].name == "c005-s2");
    const RunConfig c = trial_config(s, trials[3]);  // configuration 1, seed 2
    CHECK(c.algo_args.at("alpha") == "0.1");
    CHECK(c.algo_args.at("gamma") == "0.99");
    CHECK(c.algo_args.at("episodes") == "300");
    CHECK(c.env_args.at("is_slippery") == "false");
    CHECK(c.seed == 2);
    CHECK(config_label(s, 1) == "alpha=0.1 gamma=0.99");
}

TEST_CASE("sweep: ranges — log-spaced and integer grids, a random design drawn the same for the same seed") {
    const Sweep g = parse_sweep(with_axes("alpha = \"log_uniform(0.001, 0.1, 3)\"\nepsilon_decay_episodes = \"int_range(10, 13)\""), "g.toml");
    CHECK(g.axes[0].log);
    REQUIRE(g.configs.size() == 12);
    CHECK(g.configs[0] == std::vector<std::string>{"0.001", "10"});
    CHECK(g.configs[4] == std::vector<std::string>{"0.01", "10"});
    CHECK(g.configs[11] == std::vector<std::string>{"0.1", "13"});

    // An env argument as an axis: env.NAME (TOML's dotted key).
    const Sweep e = parse_sweep(with_axes("env.is_slippery = [true, false]\nalpha = [0.5]"), "e.toml");
    REQUIRE(e.axes.size() == 2);
    CHECK(e.axes[0].name == "env.is_slippery");
    CHECK_FALSE(e.axes[0].numeric);
    CHECK(config_label(e, 1) == "env.is_slippery=false alpha=0.5");
    CHECK(trial_config(e, sweep_trials(e)[2]).env_args.at("is_slippery") == "false");

    const std::string random = with_axes("alpha = \"log_uniform(0.001, 0.5)\"\nepsilon_decay_episodes = \"int_range(10, 20)\"\nepsilon_schedule = [\"linear\", \"constant\"]",
                                         "kind = \"random\"\nsamples = 25\nseed = 4\nseeds = 1");
    const Sweep a = parse_sweep(random, "r.toml"), b = parse_sweep(random, "r.toml");
    REQUIRE(a.configs.size() == 25);
    CHECK(a.configs == b.configs);
    std::set<std::string> schedules;
    for (const auto& c : a.configs) {
        const double alpha = std::stod(c[0]);
        CHECK(alpha >= 0.001);
        CHECK(alpha <= 0.5);
        const int n = std::stoi(c[1]);
        CHECK(n >= 10);
        CHECK(n <= 20);
        schedules.insert(c[2]);
    }
    CHECK(schedules.size() == 2);
    std::string other = random;
    other.replace(other.find("seed = 4"), 8, "seed = 5");
    CHECK(parse_sweep(other, "r.toml").configs != a.configs);
}

TEST_CASE("sweep: bad files are refused before anything runs, naming the line, the field and what is allowed") {
    std::string e = expect_error(with_axes("alpah = [0.1, 0.2]"));
    CHECK(e.find("s.toml:9: axes.alpah") != std::string::npos);
    CHECK(e.find("no parameter alpah") != std::string::npos);
    CHECK(e.find("alpha") != std::string::npos);  // the known names are listed
    e = expect_error(with_axes("alpha = [0.1, 1.5]"));
    CHECK(e.find("axes.alpha") != std::string::npos);
    CHECK(e.find("1.5") != std::string::npos);
    CHECK(e.find("[0, 1]") != std::string::npos);
    e = expect_error(with_axes("alpha = []"));
    CHECK(e.find("empty axis") != std::string::npos);
    e = expect_error(with_axes("alpha = \"uniform(0.1, 0.5)\""));  // a grid needs a count of points
    CHECK(e.find("count of points") != std::string::npos);
    e = expect_error(with_axes("alpha = \"uniform(0.5, 2)\""));
    CHECK(e.find("range [0, 1]") != std::string::npos);
    e = expect_error(with_axes("alpha = \"normal(0, 1)\""));
    CHECK(e.find("not a range") != std::string::npos);
    e = expect_error(with_axes("alpha = [0.1]", "kind = \"grid\"\nseeds = 0"));
    CHECK(e.find("design.seeds") != std::string::npos);
    e = expect_error(with_axes("alpha = [0.1]", "kind = \"sobol\"\nseeds = 1"));
    CHECK(e.find("grid, random") != std::string::npos);
    e = expect_error(with_axes("alpha = [0.1]\nalpha2 = [1]"));
    CHECK(e.find("alpha2") != std::string::npos);
    e = expect_error("[base]\nenv.id = \"FrozenLake-v1\"\nalgo.id = \"q_learning\"\nfoo = 1\n[design]\nseeds = 1\n");
    CHECK(e.find("base.foo") != std::string::npos);
    e = expect_error(with_axes("env.map_name = [\"4x4\", \"5x5\"]"));
    CHECK(e.find("axes.env.map_name") != std::string::npos);
    // A grid of more than 1,000 trials needs --yes; more than 100,000 are refused outright.
    e = expect_error(with_axes("epsilon_decay_episodes = \"int_range(1, 600)\""));
    CHECK(e.find("1200 trials") != std::string::npos);
    CHECK(e.find("--yes") != std::string::npos);
    CHECK(parse_sweep(with_axes("epsilon_decay_episodes = \"int_range(1, 600)\""), "s.toml", true).configs.size() == 600);
    e = expect_error(with_axes("epsilon_decay_episodes = \"int_range(1, 1000)\"\nalpha = \"uniform(0, 1, 1000)\""), true);
    CHECK(e.find("2e+06 trials") != std::string::npos);
    CHECK(e.find("100000") != std::string::npos);
    // A cross-field constraint: DQN's batch larger than its buffer, in one configuration, named with its values.
    e = expect_error("[base]\nenv.id = \"CartPole-v1\"\nalgo.id = \"dqn\"\nalgo.args = { buffer_size = 500 }\n[design]\nseeds = 1\n[axes]\nbatch_size = [64, 1024]\n");
    CHECK(e.find("configuration 1 (batch_size=1024)") != std::string::npos);
    CHECK(e.find("buffer_size") != std::string::npos);
    // The metric.
    e = expect_error("metric = \"final_retrun\"\n" + with_axes("alpha = [0.1]"));
    CHECK(e.find("final_return, auc or steps_to_threshold=X") != std::string::npos);
}

TEST_CASE("sweep: sweep.json round-trips and is read as hostile input") {
    const Sweep s = parse_sweep(kLake, "lake.toml");
    const nlohmann::json j = sweep_to_json(s);
    const Sweep back = sweep_from_json(j, "sweep.json");
    CHECK(sweep_to_json(back) == j);
    auto refused = [&](nlohmann::json bad, const std::string& says) {
        try {
            sweep_from_json(bad, "sweep.json");
            FAIL("accepted " << bad.dump());
        } catch (const ParamError& e) {
            CHECK_MESSAGE(std::string(e.what()).find(says) != std::string::npos, e.what());
        }
    };
    nlohmann::json bad = j;
    bad["configs"][2] = {"0.5"};  // one value for two axes
    refused(bad, "2 values");
    bad = j;
    bad["configs"][0][0] = "7";  // alpha outside [0, 1]
    refused(bad, "configuration 0");
    {  // a worker reads without checking every configuration; run_trial still refuses the bad one, naming the trial
        const Sweep lax = sweep_from_json(bad, "sweep.json", /*check_all=*/false);
        const fs::path dir = test::temp_dir("sweep-lax");
        CHECK_THROWS_WITH_AS(run_trial(dir, lax, 0), doctest::Contains("c000-s1 (alpha=7 gamma=0.9)"), SweepError);
        CHECK_FALSE(fs::exists(dir / "trials" / "c000-s1"));
        fs::remove_all(dir);
    }
    bad = j;
    bad["axes"][0]["name"] = "no_such";
    refused(bad, "no parameter no_such");
    bad = j;
    bad["format"] = "dreamlab-sweep-9";
    refused(bad, "dreamlab-sweep-1");
    bad = j;
    bad["seeds"] = nlohmann::json::array();
    refused(bad, "seeds");
    bad = j;
    bad["extra"] = 1;
    refused(bad, "extra");
}

TEST_CASE("sweep: a directory holds one sweep; trials run into it, resume, and report like a direct computation") {
    const fs::path dir = test::temp_dir("sweep-dir");
    const Sweep s = parse_sweep(kLake, "lake.toml");
    prepare_sweep_dir(dir, s);
    prepare_sweep_dir(dir, s);  // the same sweep again: resumes
    Sweep other = parse_sweep(kLake, "lake.toml");
    other.seeds = {1, 2, 3};
    try {
        prepare_sweep_dir(dir, other);
        FAIL("a different sweep was accepted into " << dir);
    } catch (const SweepError& e) {
        CHECK(std::string(e.what()).find("different sweep") != std::string::npos);
        CHECK(std::string(e.what()).find("seeds") != std::string::npos);
    }
    const fs::path junk = test::temp_dir("sweep-junk");
    fs::create_directories(junk);
    std::ofstream(junk / "thesis.tex") << "x";
    CHECK_THROWS_WITH_AS(prepare_sweep_dir(junk, s), doctest::Contains("not a sweep directory"), IoError);
    CHECK(fs::exists(junk / "thesis.tex"));

    const auto trials = sweep_trials(s);
    const Sweep read = load_sweep_dir(dir);
    for (const SweepTrial& t : trials) {
        CHECK_FALSE(trial_done(dir, t));
        CHECK(run_trial(dir, read, t.index) == 0);
        CHECK(trial_done(dir, t));
    }
    // A trial that is done is not run again (its files keep their time).
    const auto before = fs::last_write_time(trial_dir(dir, trials[0]) / "metrics.csv");
    CHECK(run_trial(dir, read, 0) == 0);
    CHECK(fs::last_write_time(trial_dir(dir, trials[0]) / "metrics.csv") == before);
    CHECK_THROWS_AS(run_trial(dir, read, 12), SweepError);
    // Each trial's directory is a normal run: its config.json is the trial's config.
    CHECK(load_run_config(trial_dir(dir, trials[3])).algo_args.at("gamma") == "0.99");
    CHECK(load_run_config(trial_dir(dir, trials[3])).seed == 2);

    // The report against a direct computation from the same files.
    const SweepReport r = report_sweep(dir, parse_metric("final_return"));
    CHECK(r.done == 12);
    for (const ConfigResult& c : r.configs) {
        std::vector<double> direct;
        for (const SweepTrial& t : trials) {
            if (t.config != c.config) continue;
            const TrialCurve curve = read_trial_curve(trial_dir(dir, t));
            const size_t k = std::min<size_t>(curve.ret.size(), 20);
            double sum = 0;
            for (size_t i = curve.ret.size() - k; i < curve.ret.size(); ++i) sum += curve.ret[i];
            direct.push_back(sum / double(k));
        }
        REQUIRE(c.scores.size() == direct.size());
        CHECK(c.mean == doctest::Approx(mean_of(direct)));
        CHECK(c.iqm == doctest::Approx(iqm(direct)));
        CHECK(c.iqm_ci.lo <= c.iqm);
        CHECK(c.iqm_ci.hi >= c.iqm);
    }
    REQUIRE(r.best >= 0);
    for (const ConfigResult& c : r.configs) CHECK(c.iqm <= r.configs[size_t(r.best)].iqm);
    const nlohmann::json j = report_to_json(r);
    CHECK(j["trials_done"] == 12);
    CHECK(j["configs"].size() == 6);
    const std::string csv = report_to_csv(r);
    CHECK(csv.rfind("config,alpha,gamma,seeds,done,mean", 0) == 0);
    fs::remove_all(dir), fs::remove_all(junk);
}

TEST_CASE("sweep: scores from a curve — final return, area under the curve, steps to a threshold") {
    TrialCurve c;
    for (int i = 1; i <= 40; ++i) c.env_step.push_back(10.0 * i), c.ret.push_back(i <= 20 ? 0.0 : 1.0);
    CHECK(score_curve(c, parse_metric("final_return"), 400).value == 1.0);  // the last 20 episodes all returned 1
    // AUC: each episode's return weighted by the steps since the one before: 20 x 10 steps at 1 over 400 steps.
    CHECK(score_curve(c, parse_metric("auc"), 400).value == doctest::Approx(0.5));
    // The mean of the last 20 reaches 0.5 when 10 of them are ones: at episode 30, step 300.
    const TrialScore t = score_curve(c, parse_metric("steps_to_threshold=0.5"), 400);
    CHECK(t.reached);
    CHECK(t.value == 300);
    const TrialScore never = score_curve(c, parse_metric("steps_to_threshold=2"), 400);
    CHECK_FALSE(never.reached);
    CHECK(never.value == 400);  // censored at the budget
    CHECK(std::isnan(score_curve(TrialCurve{}, parse_metric("auc"), 0).value));
    const auto at = smoothed_curve_at(c, {5, 10, 200, 400});
    CHECK(std::isnan(at[0]));
    CHECK(at[1] == 0.0);
    CHECK(at[2] == 0.0);
    CHECK(at[3] == 1.0);
    CHECK_THROWS_AS(parse_metric("steps_to_threshold=abc"), SweepError);
}

TEST_CASE("sweep: a hostile metrics.csv is refused with its line") {
    const fs::path dir = test::temp_dir("sweep-csv");
    fs::create_directories(dir);
    std::ofstream(dir / "metrics.csv") << "episode,env_step,update,return\n1,10,0,5\n2,20,0\n";
    CHECK_THROWS_WITH_AS(read_trial_curve(dir), doctest::Contains("metrics.csv:3: 3 cells, the header has 4"), SweepError);
    std::ofstream(dir / "metrics.csv") << "episode,env_step,update,return\n1,10,0,5x\n";
    CHECK_THROWS_WITH_AS(read_trial_curve(dir), doctest::Contains("return \"5x\" is not a number"), SweepError);
    std::ofstream(dir / "metrics.csv") << "a,b\n";
    CHECK_THROWS_WITH_AS(read_trial_curve(dir), doctest::Contains("no env_step column"), SweepError);
    std::ofstream(dir / "metrics.csv") << "episode,env_step,update,return,losses/x\n1,10,0,5,\n2,20,1,,0.3\n3,30,1,nan,\n";
    const TrialCurve c = read_trial_curve(dir);
    REQUIRE(c.ret.size() == 2);  // the update row has no return
    CHECK(std::isnan(c.ret[1]));
    fs::remove_all(dir);
}

TEST_CASE("sweep: the CLI refuses bad usage with exit code 2") {
    const fs::path dir = test::temp_dir("sweep-cli");
    fs::create_directories(dir);
    std::ofstream(dir / "s.toml") << with_axes("alpha = [0.1, 2]");
    auto r = test::cli({"sweep", (dir / "s.toml").string(), "--out", (dir / "out").string()});
    CHECK(r.code == 2);
    CHECK(r.err.find("axes.alpha") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "out"));  // nothing ran, nothing was written
    std::ofstream(dir / "s.toml") << with_axes("alpha = [0.1, 0.2]");
    r = test::cli({"sweep", (dir / "s.toml").string()});
    CHECK(r.code == 2);
    CHECK(r.err.find("--out") != std::string::npos);
    r = test::cli({"sweep", (dir / "s.toml").string(), "--out", (dir / "out").string(), "--jobs", "0"});
    CHECK(r.code == 2);
    CHECK(r.err.find("--jobs=0") != std::string::npos);
    r = test::cli({"sweep", (dir / "s.toml").string(), "--out", (dir / "out").string(), "--jobs", "100000"});
    CHECK(r.code == 2);
    r = test::cli({"sweep", (dir / "s.toml").string(), "--out", (dir / "out").string(), "--time", "1:00"});
    CHECK(r.code == 2);
    CHECK(r.err.find("--time is an option of --slurm") != std::string::npos);
    r = test::cli({"report", (dir / "nothing").string()});
    CHECK(r.code == 1);
    CHECK(r.err.find("not a sweep directory") != std::string::npos);
    // --slurm writes the job array's script (submitting needs a cluster: scripts/slurm_test.sh).
    r = test::cli({"sweep", (dir / "s.toml").string(), "--out", (dir / "sl").string(), "--slurm", "--time", "00:10:00", "--chunk", "3"});
    CHECK(r.code == 0);
    const std::string script = read_file(dir / "sl" / "sweep.sbatch");
    CHECK(script.find("#SBATCH --array=0-1\n") != std::string::npos);  // 4 trials in chunks of 3: 2 tasks
    CHECK(script.find("#SBATCH --time=00:10:00") != std::string::npos);
    CHECK(script.find("sweep-trial") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("sweep: the shipped sweep files load, and README shows the example as it is") {
    int n = 0;
    for (const auto& e : fs::directory_iterator(fs::path(DREAMLAB_SOURCE_DIR) / "assets" / "sweeps")) {
        if (e.path().extension() != ".toml") continue;
        const Sweep s = load_sweep(e.path());
        CHECK_MESSAGE(sweep_trial_count(s) > 0, e.path());
        ++n;
    }
    CHECK(n >= 1);
    const std::string example = read_file(fs::path(DREAMLAB_SOURCE_DIR) / "assets" / "sweeps" / "cartpole-ppo-lr-clip.toml");
    const std::string readme = read_file(fs::path(DREAMLAB_SOURCE_DIR) / "README.md");
    CHECK_MESSAGE(readme.find("```toml\n" + example + "```") != std::string::npos,
                  "README's sweep example differs from assets/sweeps/cartpole-ppo-lr-clip.toml");
    const Sweep s = load_sweep(fs::path(DREAMLAB_SOURCE_DIR) / "assets" / "sweeps" / "cartpole-ppo-lr-clip.toml");
    CHECK(sweep_trial_count(s) == 60);
}

TEST_CASE("sweep: SweepData reads trials as they finish; SweepRunner runs a sweep on threads into the same files") {
    const fs::path dir = test::temp_dir("sweep-live"), ref = test::temp_dir("sweep-live-ref");
    const Sweep s = parse_sweep(kLake, "lake.toml");
    prepare_sweep_dir(dir, s);
    SweepData data(dir);
    CHECK(data.refresh(parse_metric("final_return")));  // the first read: nothing done yet, the metric is new
    CHECK(data.report().done == 0);
    CHECK_FALSE(data.refresh(parse_metric("final_return")));  // nothing new
    run_trial(dir, s, 0);
    run_trial(dir, s, 1);
    CHECK(data.refresh(parse_metric("final_return")));
    CHECK(data.report().done == 2);
    CHECK(data.report().configs[0].scores.size() == 2);
    {
        SweepRunner runner(dir, s, 2);  // the other ten, on two threads
        for (int i = 0; i < 6000 && !runner.finished(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        CHECK(runner.finished());
        CHECK(runner.failed() == 0);
        CHECK(runner.done() == 12);
    }
    CHECK(data.refresh(parse_metric("final_return")));
    CHECK(data.report().done == 12);
    // The same files as trials run one by one.
    prepare_sweep_dir(ref, s);
    for (const SweepTrial& t : sweep_trials(s)) {
        run_trial(ref, s, t.index);
        CHECK(read_file(trial_dir(ref, t) / "metrics.csv") == read_file(trial_dir(dir, t) / "metrics.csv"));
    }
    // The explorer's curves: a point per grid step, the band around the statistic, the last point the final score
    // when every seed ran the same number of steps... here the smoothed return at the longest trial's end.
    const auto curves = data.config_curves(iqm, 50, 200);
    REQUIRE(curves.size() == 6);
    for (const auto& c : curves) {
        REQUIRE_FALSE(c.x.empty());
        for (size_t k = 0; k < c.x.size(); ++k) {
            CHECK(c.lo[k] <= c.y[k] + 1e-12);
            CHECK(c.hi[k] >= c.y[k] - 1e-12);
        }
    }
    // A different metric re-scores without re-reading.
    CHECK(data.refresh(parse_metric("auc")));
    CHECK(data.report().metric.kind == SweepMetric::Auc);
    fs::remove_all(dir), fs::remove_all(ref);
}

TEST_CASE("sweep: a running trial streams its metrics, which the explorer reads, and the file goes when it is done") {
    const fs::path dir = test::temp_dir("sweep-stream");
    // One trial long enough (a few seconds) to rewrite its live metrics file at least once.
    const Sweep s = parse_sweep("[base]\nenv.id = \"CartPole-v1\"\nalgo.id = \"ppo\"\nalgo.args = { total_timesteps = 600000 }\n"
                                "[design]\nseeds = 1\n",
                                "long.toml");
    prepare_sweep_dir(dir, s);
    const SweepTrial t = sweep_trials(s)[0];
    SweepData data(dir);
    bool streamed = false;
    {
        SweepRunner runner(dir, s, 1);
        while (!runner.finished()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            data.refresh(parse_metric("final_return"));
            if (!data.live().empty()) {
                streamed = true;
                CHECK(data.live()[0].first == 0);
                CHECK_FALSE(data.live()[0].second.ret.empty());
                CHECK(data.report().done == 0);
            }
        }
    }
    CHECK(streamed);
    CHECK(trial_done(dir, t));
    CHECK_FALSE(fs::exists(live_metrics_file(dir, t)));
    data.refresh(parse_metric("final_return"));
    CHECK(data.live().empty());
    CHECK(data.report().done == 1);
    // The stream is only a view: the trial's metrics.csv is what training alone writes.
    CHECK(read_file(trial_dir(dir, t) / "metrics.csv").size() > 1000);
    fs::remove_all(dir);
}
