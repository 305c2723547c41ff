// A deterministic mutation fuzzer for every file format Dreamlab reads (config.json, agent.json + agent.ckpt,
// model.json, lesson files, sweep files and sweep.json, and a run directory as `train --resume` and File → Open run
// read it: metrics.csv, markers.json, branch.json and the timeline's checkpoint files, each loaded into its algorithm). Each input is a file of the seed corpus (tests/corpus/FORMAT/, from real runs) changed
// by a few mutations: bytes flipped, inserted, deleted, duplicated or cut; a number replaced by an interesting one
// (0, -1, 2^31, 1e30, 1.5, ...); a value replaced by another JSON type; brackets nested deep; for a checkpoint,
// a header field changed and the checksum recomputed so the mutation reaches past it. The loader must either
// accept the file or refuse it with one of its documented errors (ParamError, IoError, CheckpointError,
// LessonError, StateError); an accepted agent must then act on a real observation, an accepted checkpoint be loaded
// into its algorithm's state. A crash, a sanitizer report or an input
// that takes over --hang seconds fails the run (built with ASan+UBSan, any report aborts); the input that did it is
// left in OUT/last-FORMAT[.dir] to become a corpus file.
//
//     fuzz_files FORMAT CORPUS_DIR OUT_DIR [--seconds S] [--min-inputs N] [--seed K] [--hang S]
//
// It runs for S seconds and at least N inputs, then prints "FORMAT: N inputs, 0 crashes" (exit 0).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/files.h"
#include "base/json.h"
#include "base/params.h"
#include "base/rng.h"
#include "core/nn/layers.h"
#include "core/rl/agent.h"
#include "core/rl/tabular.h"
#include "core/session/lesson.h"
#include "core/session/sweep.h"
#include "core/session/run_config.h"
#include "core/session/run_store.h"
#include "core/session/session.h"
#include "envs/env.h"
#include "envs/registry.h"

using namespace dl;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}
void spill(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
}

// [SECTION] Mutations

const char* const kInteresting[] = {"0", "-1", "1", "2", "3", "7", "255", "256", "65535", "65536", "2147483647", "2147483648",
                                    "-2147483648", "4294967296", "9007199254740993", "1e30", "-1e30", "1e-30", "1e308", "0.5", "1.5",
                                    "-0", "1e999", "true", "false", "null", "[]", "{}", "\"\"", "\"x\"", "[1,2,3]", "{\"a\":1}"};

// The spans of the numbers in a text (a digit run with its sign, point and exponent).
std::vector<std::pair<size_t, size_t>> numbers_in(const std::string& s) {
    std::vector<std::pair<size_t, size_t>> v;
    for (size_t i = 0; i < s.size();) {
        if (std::isdigit((unsigned char)s[i]) || (s[i] == '-' && i + 1 < s.size() && std::isdigit((unsigned char)s[i + 1]))) {
            size_t j = i + 1;
            while (j < s.size() && (std::isdigit((unsigned char)s[j]) || std::strchr(".eE+-", s[j]))) ++j;
            v.push_back({i, j - i});
            i = j;
        } else {
            ++i;
        }
    }
    return v;
}

void mutate_text(std::string& s, Rng& rng) {
    const uint32_t kind = rng.below(10);
    const size_t n = s.size();
    auto at = [&] { return n ? size_t(rng.below(uint32_t(n))) : 0; };
    switch (kind) {
        case 0: case 1: case 2: {  // a number replaced by an interesting value
            const auto nums = numbers_in(s);
            if (nums.empty()) break;
            const auto [i, len] = nums[rng.below(uint32_t(nums.size()))];
            s.replace(i, len, kInteresting[rng.below(sizeof kInteresting / sizeof *kInteresting)]);
            break;
        }
        case 3:  // a bit flipped
            if (n) s[at()] ^= char(1u << rng.below(8));
            break;
        case 4: {  // a range deleted
            if (!n) break;
            const size_t i = at(), len = std::min<size_t>(n - i, 1 + rng.below(16));
            s.erase(i, len);
            break;
        }
        case 5: {  // a range duplicated
            if (!n) break;
            const size_t i = at(), len = std::min<size_t>(n - i, 1 + rng.below(64));
            s.insert(at(), s.substr(i, len));
            break;
        }
        case 6:  // a random byte inserted
            s.insert(s.begin() + long(at()), char(rng.below(256)));
            break;
        case 7: {  // brackets nested deep around a spot
            const size_t depth = 1 + rng.below(rng.bernoulli(0.2) ? 300 : 40);
            const size_t i = at();
            s.insert(i, std::string(depth, rng.bernoulli(0.5) ? '[' : '{'));
            break;
        }
        case 8:  // cut short
            if (n) s.resize(at());
            break;
        default: {  // a quoted string replaced by a number or another type
            const size_t q = s.find('"', at());
            if (q == std::string::npos) break;
            const size_t e = s.find('"', q + 1);
            if (e == std::string::npos) break;
            s.replace(q, e - q + 1, kInteresting[rng.below(sizeof kInteresting / sizeof *kInteresting)]);
            break;
        }
    }
}

// A checkpoint: its header fields (tensor count, name lengths, shapes) or floats changed, then re-signed.
void mutate_checkpoint(std::string& s, Rng& rng) {
    if (s.size() < 32) return mutate_text(s, rng);
    const uint32_t kind = rng.below(4);
    if (kind == 0) {
        mutate_text(s, rng);  // bytes anywhere, checksum left as it is
        return;
    }
    const size_t body = s.size() - 8;
    // An int32 somewhere in the first 256 bytes (where the header and the first tensor's shape are) set to an
    // interesting value, or a float made NaN or huge.
    const int32_t values[] = {0, -1, 1, 2, 1 << 20, 1 << 30, INT32_MAX, INT32_MIN, 3, 64};
    const size_t at = kind == 3 ? size_t(rng.below(uint32_t(body - 4))) : size_t(rng.below(uint32_t(std::min<size_t>(body - 4, 256))));
    if (kind == 3) {
        const float f = rng.bernoulli(0.5) ? NAN : 1e38f;
        std::memcpy(&s[at], &f, 4);
    } else {
        const int32_t v = values[rng.below(sizeof values / sizeof *values)];
        std::memcpy(&s[at], &v, 4);
    }
    const uint64_t sum = fnv1a64(s.data(), body);
    std::memcpy(&s[body], &sum, 8);
}

// [SECTION] Targets: load one input; true if accepted

bool load_config(const fs::path& file) {
    const RunConfig c = load_config_file(file);
    make_env(c.env_id, *make_env_args(c.env_id, c.env_args));  // what it names can be built
    return true;
}

bool load_agent_dir(const fs::path& dir) {
    const RunConfig c = load_run_config(dir);  // the corpus's own, unmutated
    auto env = make_env(c.env_id, *make_env_args(c.env_id, c.env_args));
    auto agent = load_agent(dir.string(), c.env_id, *env);
    // Accepted: it must act on a real observation without reading or writing out of bounds.
    const Obs o = env->reset(1);
    std::vector<float> x(o.begin(), o.end());
    if (int(x.size()) != agent->obs_dim) throw std::logic_error("an accepted agent reads another observation size");
    nn::Mat obs = Eigen::Map<const nn::Mat>(x.data(), 1, long(x.size())), v, av;
    agent->evaluate(obs, v, av);
    if (env->action_space().kind == Space::Discrete) (void)agent->greedy(x.data(), int(x.size()));
    return true;
}

bool load_model_dir(const fs::path& dir) {
    const RunConfig c = load_run_config(dir);
    auto env = make_env(c.env_id, *make_env_args(c.env_id, c.env_args));
    const TabularModelFile m = load_tabular_model(dir, c.env_id, *env);
    // Accepted: its policy plays on the env.
    Obs o = env->reset(1);
    for (int t = 0; t < 20; ++t) {
        const StepResult r = env->step(m.policy.at(size_t(o[0])));
        if (r.terminated || r.truncated) break;
        o = r.obs;
    }
    return true;
}

bool load_lesson_file(const fs::path& file) {
    parse_lesson(slurp(file), file.string());
    return true;
}

// A sweep file: parsed, expanded and every configuration checked (no trial runs).
bool load_sweep_file(const fs::path& file) {
    const Sweep s = parse_sweep(slurp(file), file.string());
    return !sweep_trials(s).empty();
}

// A sweep directory's sweep.json, as every worker reads it; an accepted one gives every trial's config.
bool load_sweep_json(const fs::path& file) {
    const Sweep s = sweep_from_json(read_json_file(file), file.string());
    for (const SweepTrial& t : sweep_trials(s)) validate_config(trial_config(s, t));
    return true;
}

// A run directory: read as Open run reads it, then every checkpoint loaded into its algorithm (with_views builds
// the algorithm from the state: every size and shape in the bytes meets the networks and buffers it fills).
bool load_run_dir(const fs::path& dir) {
    const StoredRun r = open_run(dir);
    for (const auto& [units, file] : r.checkpoints) {
        const auto s = load_training_state(file);
        const auto shown = with_views(r.cfg, s);
        if (shown->env_steps != s->env_steps) throw std::logic_error("a loaded checkpoint changed its counters");
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: fuzz_files config|agent|model|lesson|sweep|sweep_json|run CORPUS_DIR OUT_DIR [--seconds S] [--min-inputs N] [--seed K] [--hang S]\n";
        return 2;
    }
    const std::string format = argv[1];
    const fs::path corpus = argv[2], out = argv[3];
    double seconds = 60, hang = 30;
    int64_t min_inputs = 10000;
    uint64_t seed = 1;
    for (int i = 4; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--seconds") seconds = std::stod(v);
        else if (a == "--min-inputs") min_inputs = std::stoll(v);
        else if (a == "--seed") seed = std::stoull(v);
        else if (a == "--hang") hang = std::stod(v);
        else {
            std::cerr << "fuzz_files: unknown option " << a << "\n";
            return 2;
        }
    }
    const bool dirs = format == "agent" || format == "model" || format == "run";
    if (!dirs && format != "config" && format != "lesson" && format != "sweep" && format != "sweep_json") {
        std::cerr << "fuzz_files: unknown format " << format << " (config, agent, model, lesson, sweep, sweep_json, run)\n";
        return 2;
    }
    std::vector<fs::path> seeds;
    for (const auto& e : fs::directory_iterator(corpus / format)) seeds.push_back(e.path());
    std::sort(seeds.begin(), seeds.end());
    if (seeds.empty()) {
        std::cerr << "fuzz_files: no seed inputs in " << (corpus / format) << "\n";
        return 2;
    }
    fs::create_directories(out);

    // A hang is an input that takes longer than `hang` seconds: the watchdog names it and aborts.
    std::atomic<int64_t> started_ms{-1};
    std::atomic<bool> done{false};
    const auto t0 = std::chrono::steady_clock::now();
    auto now_ms = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count(); };
    const fs::path last = out / ("last-" + format + (dirs ? ".dir" : ""));
    std::thread watchdog([&] {
        while (!done) {
            const int64_t s = started_ms;
            if (s >= 0 && now_ms() - s > int64_t(hang * 1000)) {
                std::cerr << "fuzz_files: HANG: one " << format << " input ran over " << hang << " s; it is in " << last << "\n";
                std::abort();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });

    Rng rng(seed);
    int64_t inputs = 0, accepted = 0;
    std::map<std::string, int64_t> refusals;  // by exception type
    while (inputs < min_inputs || now_ms() < int64_t(seconds * 1000)) {
        const fs::path& from = seeds[rng.below(uint32_t(seeds.size()))];
        const int rounds = 1 + int(rng.below(4));
        if (dirs) {
            fs::remove_all(last);
            fs::copy(from, last, fs::copy_options::recursive);
            bool ckpt = format == "agent" && fs::exists(last / "agent.ckpt") && rng.bernoulli(0.35);
            fs::path file = last / (format == "model" ? "model.json" : ckpt ? "agent.ckpt" : "agent.json");
            if (format == "run") {  // one of its files: a checkpoint (re-signed like agent.ckpt), or a text
                std::vector<fs::path> files;
                for (const char* f : {"metrics.csv", "markers.json", "branch.json", "summary.json"})
                    if (fs::exists(last / f)) files.push_back(last / f);
                for (const auto& [u, f] : list_training_states(last)) files.push_back(f), files.push_back(f);  // twice as likely
                file = files[rng.below(uint32_t(files.size()))];
                ckpt = file.extension() == ".state";
            }
            std::string bytes = slurp(file);
            for (int k = 0; k < rounds; ++k) ckpt ? mutate_checkpoint(bytes, rng) : mutate_text(bytes, rng);
            spill(file, bytes);
        } else {
            std::string bytes = slurp(from);
            for (int k = 0; k < rounds; ++k) mutate_text(bytes, rng);
            spill(last, bytes);
        }
        started_ms = now_ms();
        try {
            const bool ok = format == "config" ? load_config(last) : format == "agent" ? load_agent_dir(last)
                          : format == "model"  ? load_model_dir(last) : format == "lesson" ? load_lesson_file(last)
                          : format == "sweep"  ? load_sweep_file(last) : format == "run" ? load_run_dir(last)
                                                                       : load_sweep_json(last);
            accepted += ok;
        } catch (const ParamError&) {
            ++refusals["ParamError"];
        } catch (const IoError&) {
            ++refusals["IoError"];
        } catch (const nn::CheckpointError&) {
            ++refusals["CheckpointError"];
        } catch (const LessonError&) {
            ++refusals["LessonError"];
        } catch (const StateError&) {
            ++refusals["StateError"];
        } catch (const std::exception& e) {
            // Anything else is a bug: an undocumented error type (std::out_of_range from .at(), a bad_alloc...).
            done = true;
            watchdog.join();
            std::cerr << "fuzz_files: " << format << " input " << inputs << " raised an undocumented error: " << e.what() << "\n"
                      << "  the input is in " << last << "\n";
            return 1;
        }
        started_ms = -1;
        ++inputs;
    }
    done = true;
    watchdog.join();
    std::cout << format << ": " << inputs << " inputs in " << std::fixed;
    std::cout.precision(1);
    std::cout << double(now_ms()) / 1000 << " s, " << accepted << " accepted, refused:";
    for (const auto& [k, n] : refusals) std::cout << " " << k << " " << n;
    std::cout << "; 0 crashes, 0 hangs\n";
    return 0;
}
