#include "core/rl/timeline.h"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/json.h"
#include "base/params.h"
#include "base/state_io.h"

namespace dl {

size_t TrainingState::footprint() const {
    size_t n = sizeof(TrainingState) + bytes.size() + (tab.v.size() + tab.q.size() + tab.pi.size()) * sizeof(double);
    for (const auto& [k, v] : args) n += k.size() + v.size() + 64;
    if (agent) n += size_t(agent->footprint_bytes()) + (agent->target ? size_t(agent->target->footprint_bytes()) : 0);
    if (insides) n += insides->footprint();
    return n;
}

// [SECTION] Timeline

void Timeline::add(std::shared_ptr<const TrainingState> s) {
    std::lock_guard lk(m_);
    // A checkpoint at the units of the newest replaces it (a run resumed from its own newest checkpoint).
    if (!states_.empty() && states_.back()->units >= s->units) {
        while (!states_.empty() && states_.back()->units >= s->units) {
            bytes_ -= int64_t(states_.back()->footprint());
            states_.pop_back();
        }
    }
    bytes_ += int64_t(s->footprint());
    states_.push_back(std::move(s));
    thin();
}

void Timeline::thin() {
    while ((bytes_ > opt_.budget_bytes || int64_t(states_.size()) > opt_.max_count) && states_.size() > 2) {
        // Drop the checkpoint whose neighbours are closest together relative to how far back it lies: what stays is
        // dense near the present and sparse far back, roughly evenly spaced on a log scale of age.
        const double now = double(states_.back()->units);
        size_t drop = 1;
        double best = 1e300;
        for (size_t i = 1; i + 1 < states_.size(); ++i) {
            const double gap = double(states_[i + 1]->units - states_[i - 1]->units);
            const double age = std::max(1.0, now - double(states_[i]->units));
            if (gap / age < best) best = gap / age, drop = i;
        }
        bytes_ -= int64_t(states_[drop]->footprint());
        states_.erase(states_.begin() + std::ptrdiff_t(drop));
        ++thinned_;
    }
}

std::vector<std::shared_ptr<const TrainingState>> Timeline::states() const {
    std::lock_guard lk(m_);
    return states_;
}

std::shared_ptr<const TrainingState> Timeline::at_or_before(int64_t units) const {
    std::lock_guard lk(m_);
    std::shared_ptr<const TrainingState> best;
    for (const auto& s : states_)
        if (s->units <= units) best = s;
    return best;
}

int64_t Timeline::bytes_used() const {
    std::lock_guard lk(m_);
    return bytes_;
}

size_t Timeline::size() const {
    std::lock_guard lk(m_);
    return states_.size();
}

int64_t Timeline::thinned() const {
    std::lock_guard lk(m_);
    return thinned_;
}

// [SECTION] Files

namespace {
constexpr char kMagic[7] = {'D', 'L', 'S', 'T', 'A', 'T', 'E'};
constexpr uint8_t kVersion = 1;
constexpr uint64_t kMaxStateBytes = uint64_t(1) << 34;  // 16 GiB: anything larger is not a checkpoint of ours

void put_u64(std::string& s, uint64_t v) { s.append(reinterpret_cast<const char*>(&v), 8); }
}  // namespace

void save_training_state(const std::filesystem::path& file, const TrainingState& s) {
    nlohmann::json h;
    h["env_steps"] = s.env_steps, h["episodes"] = s.episodes, h["updates"] = s.updates, h["units"] = s.units;
    h["metrics_rows"] = s.metrics_rows, h["markers"] = s.markers;
    h["args"] = s.args;
    const std::string header = h.dump();
    std::string out(kMagic, sizeof kMagic);
    out.push_back(char(kVersion));
    put_u64(out, header.size());
    out += header;
    put_u64(out, s.bytes.size());
    out += s.bytes;
    put_u64(out, fnv1a64(out.data(), out.size()));
    write_file_atomic(file, out);
}

std::shared_ptr<TrainingState> load_training_state(const std::filesystem::path& file) {
    const std::string where = file.string();
    const std::string data = read_file(file);
    auto err = [&](const std::string& why) { return StateError(where + ": " + why); };
    if (data.size() < sizeof kMagic + 1 + 8 + 8 + 8 || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
        throw err("not a Dreamlab training checkpoint (no DLSTATE header)");
    if (uint8_t(data[sizeof kMagic]) != kVersion)
        throw err("format version " + std::to_string(uint8_t(data[sizeof kMagic])) + "; this build reads version " +
             std::to_string(kVersion));
    uint64_t stored = 0;
    std::memcpy(&stored, data.data() + data.size() - 8, 8);
    if (fnv1a64(data.data(), data.size() - 8) != stored) throw err("checksum mismatch: the file is truncated or corrupted");
    size_t pos = sizeof kMagic + 1;
    const size_t end = data.size() - 8;
    auto take_len = [&](const char* what) {
        uint64_t n = 0;
        if (end - pos < 8) throw err(std::string("truncated before the length of the ") + what);
        std::memcpy(&n, data.data() + pos, 8);
        pos += 8;
        if (n > end - pos || n > kMaxStateBytes) throw err(std::string("the ") + what + "'s length " + std::to_string(n) + " exceeds the file");
        return size_t(n);
    };
    const size_t hn = take_len("header");
    nlohmann::json h;
    try {
        h = nlohmann::json::parse(data.substr(pos, hn));
    } catch (const std::exception& e) {
        throw err(std::string("its header is not JSON: ") + e.what());
    }
    pos += hn;
    auto s = std::make_shared<TrainingState>();
    try {
        JsonFields f(h, where);
        f.only({"env_steps", "episodes", "updates", "units", "metrics_rows", "markers", "args"});
        constexpr int64_t big = int64_t(1) << 62;
        s->env_steps = f.integer("env_steps", 0, big), s->episodes = f.integer("episodes", 0, big);
        s->updates = f.integer("updates", 0, big), s->units = f.integer("units", 0, big);
        s->metrics_rows = f.integer("metrics_rows", 0, big), s->markers = f.integer("markers", 0, big);
        const nlohmann::json& a = f.at("args");
        if (!a.is_object()) f.fail("args", "must be an object of name: value");
        for (const auto& [k, v] : a.items()) {
            if (!v.is_string()) f.fail("args", "the value of " + k + " must be a string");
            s->args[k] = v.get<std::string>();
        }
    } catch (const ParamError& e) {
        throw err(e.what());
    }
    const size_t bn = take_len("state");
    s->bytes = data.substr(pos, bn);
    pos += bn;
    if (pos != end) throw err(std::to_string(end - pos) + " bytes after the state");
    return s;
}

std::map<int64_t, std::filesystem::path> list_training_states(const std::filesystem::path& run_dir) {
    std::map<int64_t, std::filesystem::path> out;
    std::error_code ec;
    const auto dir = run_dir / "checkpoints";
    if (!std::filesystem::is_directory(dir, ec)) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        // units-<digits>.state
        if (name.size() < 13 || name.rfind("units-", 0) != 0 || name.substr(name.size() - 6) != ".state") continue;
        const std::string digits = name.substr(6, name.size() - 12);
        if (digits.empty() || digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        out[std::stoll(digits)] = e.path();
    }
    return out;
}

}  // namespace dl
