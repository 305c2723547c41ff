#include "core/session/session.h"

#include <chrono>

#include "core/nn/layers.h"
#include "core/session/run_config.h"

namespace dl {

Session::Session(const RunConfig& cfg, bool paused, double speed) : Session(cfg, paused, speed, RunStart{}) {}

std::shared_ptr<Timeline> default_timeline(const AlgoInfo& algo) {
    // Every sweep, or every episode: a lesson at 30 steps a second rewinds episode by episode. Unthrottled, the
    // overhead rule (max_overhead) spaces them out; thinning keeps 200.
    TimelineOptions t;
    const bool planner = algo.step_unit == Tick::Update;
    t.unit = planner ? TimelineOptions::Updates : TimelineOptions::Episodes;
    t.every = 1;
    return std::make_shared<Timeline>(t);
}

Session::Session(const RunConfig& cfg, bool paused, double speed, const RunStart& start_in)
    : cfg_(cfg), algo_(&find_algo(cfg.algo_id)) {
    RunStart start = start_in;
    if (!start.timeline) start.timeline = default_timeline(*algo_);
    args_ = start_args(cfg_, start);
    ctx_ = std::make_unique<RunContext>(cfg_);
    prepare_context(*ctx_, *args_, start);
    ctx_->attach(&controls_, algo_->step_unit);
    controls_.paused = paused;
    controls_.speed = speed;
    worker_ = std::thread([this] {
        std::string error;
        // NaN in training holds the run where it happened (the parameters still the last finite ones) with the
        // message on show; resuming skips that update and goes on with whatever was changed meanwhile.
        nn::set_non_finite_handler([this](const std::string& what) {
            const std::string m = diverged_message(*ctx_, *args_, what);
            if (!ctx_->hold(m + ". Paused: lower a step size and resume (that update is skipped), or stop")) throw nn::NonFiniteError(m);
        });
        try {
            if (ctx_->wait_to_start()) {
                algo_->run(*args_, *ctx_);
                if (ctx_->resume_pending() && !controls_.stop)
                    throw StateError(cfg_.algo_id + " does not name its training state (RunContext::keep_state): it cannot resume");
            }
        } catch (const std::exception& e) {
            error = e.what();
        }
        ctx_->finish(error);
        finished_ = true;
        // The run is over but still on show: keep answering what the views ask until the owner stops it.
        std::unique_lock lk(controls_.m);
        while (!controls_.stop) {
            controls_.cv.wait_for(lk, std::chrono::milliseconds(50));
            if (controls_.views_changed && !controls_.stop) {
                lk.unlock();
                ctx_->refresh_views();
                lk.lock();
            }
        }
    });
}

Session::~Session() { stop(); }

void Session::stop() {
    controls_.stop = true;
    controls_.wake();
    if (worker_.joinable()) worker_.join();
}

void Session::set_views(const ViewRequest& req) {
    {
        std::lock_guard lk(controls_.m);
        if (controls_.views == req) return;
        controls_.views = req;
        ++controls_.views_seq;
        controls_.views_changed = true;
    }
    controls_.wake();
}

void Session::run_to(int64_t units) {
    controls_.lockstep = true;
    if (units <= target_ || finished_) return;
    target_ = units;
    controls_.speed = 0;
    controls_.pause_at = units;
    controls_.paused = false;
    controls_.wake();
}

void Session::run_to_end() {
    controls_.speed = 0;
    controls_.pause_at = -1;
    controls_.paused = false;
    controls_.wake();
}

bool Session::settle(Snapshot& out, double timeout_s) {
    controls_.lockstep = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
        uint64_t asked;
        {
            std::lock_guard lk(controls_.m);
            asked = controls_.views_seq;
        }
        ctx_->poll_snapshot(settle_seq_, settled_);
        const Snapshot& s = settled_;
        if (settle_seq_ > 0 && s.views_seq == asked && (s.finished || (s.paused && s.units >= target_))) {
            out = s;
            return true;
        }
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

void Session::set_live(const std::string& name, const std::string& value) {
    {
        std::lock_guard lk(controls_.m);
        controls_.pending.push_back({name, value});
        controls_.has_pending = true;
    }
    controls_.wake();
}

std::string diverged_message(const RunContext& ctx, ArgsBase& args, const std::string& what) {
    std::string suspects;
    for (const ParamSpec& p : describe(args)) {
        const bool step_size = p.name == "learning_rate" || (p.name.size() > 3 && p.name.compare(p.name.size() - 3, 3, "_lr") == 0);
        if (p.type == ParamType::Real && (step_size || p.name == "max_grad_norm"))
            suspects += (suspects.empty() ? "" : ", ") + p.name + "=" + get_param(args, p.name);
    }
    std::string m = "training diverged at update " + std::to_string(ctx.updates() + 1) + " (env step " + std::to_string(ctx.env_steps()) +
                    "): " + what + "; the parameters are kept as they were before it (the last finite ones)";
    if (!suspects.empty()) m += ". Suspect the step sizes and the gradient clip first: " + suspects;
    return m;
}

std::unique_ptr<RunContext> run_headless(const RunConfig& cfg, std::function<bool(RunContext&)> on_episode) {
    return run_headless(cfg, RunStart{}, std::move(on_episode));
}


std::unique_ptr<ArgsBase> start_args(RunConfig& cfg, const RunStart& start) {
    validate_config(cfg);
    auto args = make_algo_args(cfg.algo_id, cfg.algo_args);
    if (!start.resume) {
        set_params(*args, start.changes);
    } else {
        set_params(*args, start.resume->args);
        for (const ParamSpec& p : describe(*args)) {
            auto it = start.changes.find(p.name);
            if (it == start.changes.end()) continue;
            if (p.apply == Apply::Restart && it->second != get_param(*args, p.name))
                throw ParamError(p.name + "=" + it->second + ": " + p.name +
                                 " applies at a restart only (the checkpoint holds what it shaped); a branch can change "
                                 "the hyperparameters that apply now, and the run's length");
        }
        set_params(*args, start.changes);
    }
    for (const ParamSpec& p : describe(*args)) cfg.algo_args[p.name] = get_param(*args, p.name);
    validate_config(cfg);
    args->check();
    return args;
}

void prepare_context(RunContext& ctx, ArgsBase& args, const RunStart& start) {
    ctx.bind_args(&args);
    ctx.set_timeline(start.timeline);
    if (!start.resume) return;
    static const MetricsTable no_metrics;
    static const std::vector<Marker> no_markers;
    ctx.resume_from(start.resume, start.parent_metrics ? *start.parent_metrics : no_metrics,
                    start.parent_markers ? *start.parent_markers : no_markers);
    std::string changed;
    for (const auto& [k, v] : start.changes)
        if (auto it = start.resume->args.find(k); it == start.resume->args.end() || it->second != v)
            changed += (changed.empty() ? "" : ", ") + k + "=" + v;
    if (!changed.empty()) ctx.mark("branch: " + changed);
}

namespace {
struct Peeked {};  // thrown by the peek hook once the state is loaded: the algorithm stops there
}  // namespace

std::shared_ptr<TrainingState> with_views(const RunConfig& cfg_in, std::shared_ptr<const TrainingState> s) {
    RunConfig cfg = cfg_in;
    RunStart start;
    start.resume = s;
    auto args = start_args(cfg, start);
    RunContext ctx(cfg);
    ctx.bind_args(args.get());
    MetricsTable rows;  // the peek needs no metrics: as many empty rows as the checkpoint counts
    for (int64_t i = 0; i < s->metrics_rows; ++i) rows.commit();
    std::vector<Marker> markers(size_t(s->markers));
    ctx.resume_from(s, rows, markers);
    auto out = std::make_shared<TrainingState>(*s);
    ctx.on_restored([&](RunContext& c) {
        c.capture_views(*out);
        throw Peeked{};
    });
    try {
        find_algo(cfg.algo_id).run(*args, ctx);
    } catch (const Peeked&) {
    }
    return out;
}

std::unique_ptr<RunContext> run_headless(RunConfig cfg, const RunStart& start, std::function<bool(RunContext&)> on_episode) {
    auto args = start_args(cfg, start);
    auto ctx = std::make_unique<RunContext>(cfg);
    prepare_context(*ctx, *args, start);
    if (on_episode) ctx->on_episode(std::move(on_episode));
    try {
        find_algo(cfg.algo_id).run(*args, *ctx);
    } catch (const nn::NonFiniteError& e) {
        const std::string m = diverged_message(*ctx, *args, e.what());
        ctx->bind_args(nullptr);  // args end here; the context lives on in the exception
        ctx->flush_row();         // what the diverging update logged (its nan losses) is kept
        ctx->finish(m);
        throw TrainingDiverged(m, std::shared_ptr<RunContext>(std::move(ctx)));
    }
    if (ctx->resume_pending())
        throw StateError(cfg.algo_id + " does not name its training state (RunContext::keep_state): it cannot resume from a checkpoint");
    ctx->finish();
    return ctx;
}

}  // namespace dl
