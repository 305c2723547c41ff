#include "core/rl/run.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <thread>
#include <time.h>

#include <nlohmann/json.hpp>

#include "envs/registry.h"

namespace dl {

// [SECTION] Metrics

namespace {
// Not logged: the NAN every cell starts as. Logged NaN: any NaN the algorithm logs, stored with another payload.
constexpr uint64_t kMissingBits = 0x7ff8000000000000ULL;
const double kMissing = std::bit_cast<double>(kMissingBits);
const double kLoggedNan = std::bit_cast<double>(0x7ff8000000000001ULL);
}  // namespace

bool MetricsTable::missing(double v) { return std::bit_cast<uint64_t>(v) == kMissingBits; }

int MetricsTable::find(std::string_view name) const {
    for (size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == name) return int(i);
    return -1;
}

int MetricsTable::column(std::string_view name) {
    int i = find(name);
    if (i >= 0) return i;
    names_.emplace_back(name);
    current_.push_back(kMissing);
    cols_.emplace_back(rows_, kMissing);
    return int(names_.size()) - 1;
}

void MetricsTable::set(int col, double v) { current_[col] = std::isnan(v) ? kLoggedNan : v; }

void MetricsTable::commit() {
    for (size_t c = 0; c < cols_.size(); ++c) cols_[c].push_back(current_[c]);
    std::fill(current_.begin(), current_.end(), kMissing);
    ++rows_;
}

MetricsTable MetricsTable::from_csv(std::string_view text, const std::string& where) {
    MetricsTable t;
    auto fail = [&](size_t line, const std::string& why) {
        return ParamError(where + ":" + std::to_string(line) + ": " + why);
    };
    auto split = [](std::string_view line) {
        std::vector<std::string_view> cells;
        for (size_t start = 0;;) {
            const size_t comma = line.find(',', start);
            cells.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        return cells;
    };
    size_t pos = 0, line_no = 0;
    auto next_line = [&](std::string_view& line) {
        if (pos >= text.size()) return false;
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        return true;
    };
    std::string_view line;
    if (!next_line(line) || line.empty()) throw fail(1, "no header (the first line names the columns)");
    for (std::string_view name : split(line)) {
        if (name.empty()) throw fail(1, "an empty column name");
        if (t.find(name) >= 0) throw fail(1, "column " + std::string(name) + " twice");
        t.column(name);
    }
    const size_t n = t.names_.size();
    while (next_line(line)) {
        if (line.empty() && pos >= text.size()) break;  // the file's final newline
        const auto cells = split(line);
        if (cells.size() != n)
            throw fail(line_no, std::to_string(cells.size()) + " cells where the header names " + std::to_string(n) + " columns");
        for (size_t c = 0; c < n; ++c) {
            const std::string cell(cells[c]);
            if (cell.empty()) continue;  // not logged in this row
            double v;
            if (cell == "nan") v = std::numeric_limits<double>::quiet_NaN();
            else if (cell == "inf") v = INFINITY;
            else if (cell == "-inf") v = -INFINITY;
            else {
                char* end = nullptr;
                v = std::strtod(cell.c_str(), &end);
                if (end != cell.c_str() + cell.size() || cell.find_first_not_of("0123456789+-.eE") != std::string::npos ||
                    !std::isfinite(v))
                    throw fail(line_no, "'" + cell + "' in column " + t.names_[c] + " is not a number (nor nan, inf, empty)");
            }
            t.set(int(c), v);
        }
        t.commit();
    }
    return t;
}

bool MetricsTable::row_pending() const {
    for (double v : current_)
        if (!missing(v)) return true;
    return false;
}

void MetricsTable::append_from(const MetricsTable& src, size_t from, size_t to) {
    for (size_t c = 0; c < src.names_.size(); ++c) column(src.names_[c]);
    to = std::min(to, src.rows_);
    const size_t n = to > from ? to - from : 0;
    for (size_t c = 0; c < names_.size(); ++c) {
        const int sc = src.find(names_[c]);
        if (sc < 0) cols_[c].resize(rows_ + n, kMissing);
        else cols_[c].insert(cols_[c].end(), src.cols_[sc].begin() + long(from), src.cols_[sc].begin() + long(from + n));
    }
    rows_ += n;
}

std::string MetricsTable::to_csv() const {
    std::string s;
    for (size_t i = 0; i < names_.size(); ++i) s += (i ? "," : "") + names_[i];
    s += '\n';
    for (size_t r = 0; r < rows_; ++r) {
        for (size_t c = 0; c < cols_.size(); ++c) {
            if (c) s += ',';
            const double v = cols_[c][r];
            if (missing(v)) continue;
            s += std::isnan(v) ? "nan" : std::isinf(v) ? (v > 0 ? "inf" : "-inf") : format_number(v);
        }
        s += '\n';
    }
    return s;
}

// [SECTION] RunContext

RunContext::RunContext(RunConfig cfg) : cfg_(std::move(cfg)), start_(std::chrono::steady_clock::now()) {
    col_episode_ = metrics_.column("episode");
    col_env_step_ = metrics_.column("env_step");
    col_update_ = metrics_.column("update");
    rate_t0_ = start_;
}

RunContext::~RunContext() = default;

Env& RunContext::make_env() {
    envs_.push_back(dl::make_env(cfg_.env_id, *make_env_args(cfg_.env_id, cfg_.env_args)));
    if (!shown_env_) show_env(*envs_.back());
    return *envs_.back();
}

std::unique_ptr<Env> RunContext::new_env() { return dl::make_env(cfg_.env_id, *make_env_args(cfg_.env_id, cfg_.env_args)); }

DiscreteEnv& RunContext::make_tabular_env() {
    auto* d = make_env().tabular();
    if (!d) throw ParamError("environment " + cfg_.env_id + " is not tabular (needs Discrete states)");
    return *d;
}

void RunContext::close_view() {
    if (view_fn_) {
        TabularView v;
        view_fn_(v);
        last_view_ = std::move(v);
    }
    if (agent_fn_) {
        last_agent_ = agent_fn_();
        if (shown_env_ && last_agent_) tabular_from_agent(*shown_env_, *last_agent_, last_view_);
    }
    if (insides_fn_) last_insides_ = make_insides();
    live_insides_.reset();
    view_fn_ = nullptr;
    agent_fn_ = nullptr;
    insides_fn_ = nullptr;
    // The algorithm's own envs (a vector env's) die with it: keep a copy of the one the views follow.
    if (shown_env_) {
        envs_.push_back(shown_env_->clone());
        shown_env_ = envs_.back().get();
    }
}


void RunContext::log(std::string_view name, double value) {
    std::lock_guard lk(metrics_m_);
    metrics_.set(metrics_.column(name), value);
}

void RunContext::commit_row() {
    std::lock_guard lk(metrics_m_);
    metrics_.set(col_episode_, double(counters_[1]));
    metrics_.set(col_env_step_, double(counters_[0]));
    metrics_.set(col_update_, double(counters_[2]));
    metrics_.commit();
}

double RunContext::wall_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void RunContext::attach(RunControls* controls, Tick step_unit) {
    controls_ = controls;
    controlled_ = controls != nullptr;
    step_unit_ = step_unit;
}

void RunContext::apply_pending() {
    std::vector<std::pair<std::string, std::string>> changes;
    {
        std::lock_guard lk(controls_->m);
        changes.swap(controls_->pending);
        controls_->has_pending = false;
    }
    for (const auto& [name, value] : changes) {
        std::string text = name + "=" + value;
        try {
            if (args_) set_param(*args_, name, value), args_text_.reset();
        } catch (const ParamError& e) {
            text = std::string("rejected: ") + e.what();
        }
        std::lock_guard lk(metrics_m_);
        markers_.push_back({int64_t(metrics_.size()), text});
    }
}

Snapshot RunContext::snapshot_now() {
    Snapshot s;
    s.env_steps = counters_[0];
    s.episodes = counters_[1];
    s.updates = counters_[2];
    s.units = counters_[int(step_unit_)];
    s.wall_s = wall_seconds();
    s.steps_per_s = steps_per_s_;
    s.alert = alert_;
    if (shown_env_) s.env = shown_env_->clone();
    if (view_fn_) view_fn_(s.tab);
    else s.tab = last_view_;
    if (agent_fn_) {
        s.agent = agent_fn_();
        if (shown_env_ && s.agent) tabular_from_agent(*shown_env_, *s.agent, s.tab);
    } else if (last_agent_) {
        s.agent = last_agent_;
    }
    if (!insides_fn_) {
        s.insides = last_insides_;
    } else {
        // Under a window the layers are made at most 5 times a second while the run plays (a DQN's replay counts
        // walk the whole buffer); a paused, stepped or lockstep run, and a headless caller, get them fresh.
        const double now = wall_seconds();
        const bool throttle = controlled_ && !controls_->paused && !controls_->lockstep;
        if (!throttle || !live_insides_ || now - insides_at_ > 0.2) live_insides_ = make_insides(), insides_at_ = now;
        s.insides = live_insides_;
    }
    return s;
}

std::shared_ptr<const Insides> RunContext::make_insides() const {
    auto in = std::make_shared<Insides>();
    insides_fn_(*in);
    return in;
}

void RunContext::publish() {
    // Throughput over the last stretch, for the status line.
    const auto now = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(now - rate_t0_).count();
    const int64_t unit = counters_[int(step_unit_)];
    if (dt > 0.25) {
        steps_per_s_ = double(unit - rate_steps_) / dt;
        rate_steps_ = unit;
        rate_t0_ = now;
    }
    Snapshot s = snapshot_now();
    s.paused = controls_ && controls_->paused;
    add_views(s);
    std::lock_guard lk(snap_m_);
    latest_ = std::move(s);
    ++snap_seq_;
}

void RunContext::finish(const std::string& error) {
    steps_per_s_ = 0;
    Snapshot s = snapshot_now();
    s.finished = true;
    s.error = error;
    add_views(s);
    std::lock_guard lk(snap_m_);
    latest_ = std::move(s);
    ++snap_seq_;
}

void RunContext::add_views(Snapshot& s) {
    if (!controls_) return;
    ViewRequest req;
    {
        std::lock_guard lk(controls_->m);
        req = controls_->views;
        s.views_seq = controls_->views_seq;
        controls_->views_changed = false;
    }
    // In lock step every publish answers afresh (a clock that always passes the throttles): the same frames each time.
    const double now = controls_->lockstep ? (lockstep_clock_ += 1e6) : wall_seconds();
    views_ = s.views = compute_views(req, s.agent.get(), s.env.get(), views_, now);
}

void RunContext::refresh_views() {
    Snapshot s;
    {
        std::lock_guard lk(snap_m_);
        s = latest_;
    }
    add_views(s);
    std::lock_guard lk(snap_m_);
    latest_ = std::move(s);
    ++snap_seq_;
}

bool RunContext::wait_to_start() {
    if (!controlled_ || !controls_->paused) return !(controls_ && controls_->stop);
    {
        Snapshot s;
        std::shared_ptr<Env> env = dl::make_env(cfg_.env_id, *make_env_args(cfg_.env_id, cfg_.env_args));
        env->reset(cfg_.seed);
        s.env = std::move(env);
        s.paused = true;
        std::lock_guard lk(snap_m_);
        latest_ = std::move(s);
        ++snap_seq_;
    }
    RunControls& c = *controls_;
    std::unique_lock lk(c.m);
    while (c.paused && !c.stop && c.step_to < 0) {
        c.cv.wait_for(lk, std::chrono::milliseconds(30));
        if (c.views_changed && !c.stop) {  // nothing to show yet but the env; answer so a lock-step owner is not kept waiting
            lk.unlock();
            refresh_views();
            lk.lock();
        }
    }
    start_ = rate_t0_ = std::chrono::steady_clock::now();
    return !c.stop;
}

bool RunContext::poll_snapshot(uint64_t& seq, Snapshot& out) {
    std::unique_lock lk(snap_m_, std::try_to_lock);
    if (!lk.owns_lock() || snap_seq_ == seq) return false;
    out = latest_;
    seq = snap_seq_;
    return true;
}

bool RunContext::poll_metrics(MetricsTable& dst, std::vector<Marker>& markers) {
    std::unique_lock lk(metrics_m_, std::try_to_lock);
    if (!lk.owns_lock()) return false;
    if (metrics_.size() > dst.size()) dst.append_from(metrics_, dst.size());
    if (markers_.size() > markers.size()) markers.insert(markers.end(), markers_.begin() + markers.size(), markers_.end());
    return true;
}

// [SECTION] Timeline

void RunContext::set_timeline(std::shared_ptr<Timeline> t) {
    timeline_ = std::move(t);
    if (timeline_) {
        timeline_unit_ = int(timeline_->options().unit);
        next_checkpoint_ = counters_[timeline_unit_];
    }
}

void RunContext::resume_from(std::shared_ptr<const TrainingState> s, const MetricsTable& metrics,
                             const std::vector<Marker>& markers) {
    if (int64_t(metrics.size()) < s->metrics_rows || int64_t(markers.size()) < s->markers)
        throw StateError("the checkpoint at " + std::to_string(s->units) + " needs " + std::to_string(s->metrics_rows) +
                         " metrics rows and " + std::to_string(s->markers) + " markers of its run; it has " +
                         std::to_string(metrics.size()) + " and " + std::to_string(markers.size()));
    std::lock_guard lk(metrics_m_);
    metrics_ = MetricsTable();
    col_episode_ = metrics_.column("episode");
    col_env_step_ = metrics_.column("env_step");
    col_update_ = metrics_.column("update");
    metrics_.append_from(metrics, 0, size_t(s->metrics_rows));
    markers_.assign(markers.begin(), markers.begin() + std::ptrdiff_t(s->markers));
    resume_ = std::move(s);
}

void RunContext::mark(const std::string& text) {
    std::lock_guard lk(metrics_m_);
    markers_.push_back({int64_t(metrics_.size()), text});
}

RunContext::StateScope RunContext::keep_state(std::function<void(StateIO&)> fn) {
    state_fn_ = std::move(fn);
    if (resume_) {
        StateIO io = StateIO::loader(resume_->bytes, cfg_.algo_id + " checkpoint at " + std::to_string(resume_->units));
        state_fn_(io);
        io.finish();
        counters_[0] = resume_->env_steps, counters_[1] = resume_->episodes, counters_[2] = resume_->updates;
        if (timeline_) {
            next_checkpoint_ = counters_[timeline_unit_] + timeline_->options().every;
            timeline_->add(resume_);  // a branch can be rewound to where it began
        }
        resume_.reset();
        if (restored_hook_) restored_hook_(*this);
    }
    return StateScope(this);
}

void RunContext::capture_views(TrainingState& s) {
    if (view_fn_) view_fn_(s.tab);
    if (agent_fn_) {
        s.agent = agent_fn_();
        if (shown_env_ && s.agent) tabular_from_agent(*shown_env_, *s.agent, s.tab);
    }
    if (shown_env_) s.env = shown_env_->clone();
    if (insides_fn_) s.insides = make_insides();
}

namespace {
// The calling thread's CPU time: what a checkpoint cost, without the time the thread waited for a core (on two
// cores shared with the GUI, one preempted checkpoint would otherwise hold the next ones back for seconds).
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
}  // namespace

void RunContext::take_checkpoint() {
    const TimelineOptions& o = timeline_->options();
    if (!state_fn_ || (o.max_overhead > 0 && std::chrono::steady_clock::now() < checkpoint_not_before_)) return;
    const double cpu0 = thread_cpu_seconds();
    auto s = std::make_shared<TrainingState>();
    {
        std::lock_guard lk(metrics_m_);
        if (metrics_.row_pending()) return;  // not a loop top after all: something was logged into an open row
        s->metrics_rows = int64_t(metrics_.size());
        s->markers = int64_t(markers_.size());
    }
    s->env_steps = counters_[0], s->episodes = counters_[1], s->updates = counters_[2];
    s->units = counters_[timeline_unit_];
    StateIO io = StateIO::saver();
    state_fn_(io);
    s->bytes = io.take();
    if (args_) {
        if (!args_text_) {
            auto m = std::make_shared<std::map<std::string, std::string>>();
            for (const ParamSpec& p : describe(*args_)) (*m)[p.name] = get_param(*args_, p.name);
            args_text_ = std::move(m);
        }
        s->args = *args_text_;
    }
    capture_views(*s);  // what the views show of the agent then
    timeline_->add(std::move(s));
    next_checkpoint_ = counters_[timeline_unit_] + o.every;
    // A checkpoint holds the next one back until training has run 1 / max_overhead times as long as it took.
    if (o.max_overhead > 0)
        checkpoint_not_before_ = std::chrono::steady_clock::now() +
                                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>((thread_cpu_seconds() - cpu0) / o.max_overhead));
}

void RunContext::flush_row() {
    bool pending;
    {
        std::lock_guard lk(metrics_m_);
        pending = metrics_.row_pending();
    }
    if (pending) commit_row();
}

bool RunContext::hold(const std::string& alert) {
    if (!controlled_) return false;
    RunControls& c = *controls_;
    alert_ = alert;
    c.paused = true;
    c.step_to = -1;
    publish();
    {
        std::unique_lock lk(c.m);
        while (c.paused && !c.stop && c.step_to < 0) {
            c.cv.wait_for(lk, std::chrono::milliseconds(30));
            if (c.has_pending || c.views_changed) {
                lk.unlock();
                if (c.has_pending) apply_pending();
                publish();
                lk.lock();
            }
        }
    }
    if (c.has_pending) apply_pending();
    alert_.clear();
    next_allowed_ = std::chrono::steady_clock::now();
    publish();
    return !c.stop;
}

bool RunContext::tick_slow(Tick t, int64_t count) {
    RunControls& c = *controls_;
    if (c.has_pending.load(std::memory_order_relaxed)) apply_pending();
    if (c.step_to.load(std::memory_order_relaxed) == int(t)) {
        c.step_to = -1;
        c.paused = true;
    }
    if (t == step_unit_) {
        const int64_t at = c.pause_at.load(std::memory_order_relaxed);
        if (at >= 0 && counters_[int(t)] >= at) c.paused = true;
    }
    if (c.want_snapshot.load(std::memory_order_relaxed)) {
        c.want_snapshot = false;
        publish();
    }
    if (c.paused.load(std::memory_order_relaxed)) {
        publish();
        std::unique_lock lk(c.m);
        while (c.paused && !c.stop && c.step_to < 0) {
            c.cv.wait_for(lk, std::chrono::milliseconds(30));
            if (c.has_pending || c.views_changed) {  // a change of a live parameter or of what the views ask
                lk.unlock();
                if (c.has_pending) apply_pending();
                publish();
                lk.lock();
            }
        }
        next_allowed_ = std::chrono::steady_clock::now();
    }
    // Speed limit: a tick of `count` step units (a vector env's step counts each env) waits count/speed seconds,
    // so the slider's "steps/s" means env steps whatever the number of envs.
    const double speed = c.speed.load(std::memory_order_relaxed);
    if (speed > 0 && t == step_unit_) {
        const auto now = std::chrono::steady_clock::now();
        const auto gap = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(double(count) / speed));
        if (next_allowed_ < now - gap * 4) next_allowed_ = now;  // fell behind (or resumed): don't burst
        next_allowed_ += gap;
        if (next_allowed_ > now) {
            if (gap > std::chrono::milliseconds(20)) publish();  // slow motion: show every step
            std::unique_lock lk(c.m);
            c.cv.wait_until(lk, next_allowed_, [&] { return c.stop.load() || c.paused.load(); });
        }
    }
    return !c.stop.load(std::memory_order_relaxed);
}

}  // namespace dl
