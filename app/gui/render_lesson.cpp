// `dreamlab render`: plays a lesson headless and writes it as a video — the same frames every time.
//
// The window's frame (frame.cpp) is drawn into an offscreen framebuffer of an EGL context that needs no display
// (Mesa's surfaceless platform: llvmpipe on a CPU, the GPU's driver where there is one). Training runs in lock
// step with the video: before each frame every run advances by (lesson speed ÷ fps) of its step unit and pauses
// (Session::run_to / settle), its views are computed for that frame, and the UI's clock advances by 1/fps. Key
// beats fire after a fixed hold. So nothing depends on how fast the machine is, and two renders are identical.
//
// Writes to temporary names and renames on completion: Ctrl-C or a full disk leaves no half-written file.
#include <algorithm>
#include <atomic>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>
#include <unistd.h>

#include <epoxy/egl.h>
#include <epoxy/gl.h>
#include <imgui.h>
#include <imgui_impl_opengl3.h>

#include "app/cli.h"
#include "app/gui/gui.h"
#include "base/files.h"

namespace dl {

namespace {

struct RenderOptions {
    std::string lesson;
    std::string out;                 // .mp4 (H.264) or .gif
    std::string gif;                 // --gif FILE: also (or only) a GIF
    std::string png_dir;             // --png-sequence DIR
    int fps = 30;
    int width = 1920, height = 1080;
    bool stage = true;               // --stage (default) or --dashboard
    float font_scale = 1.0f;
    double hold = 6;                 // seconds a key beat waits (the presenter's pause)
    double tail = 6;                 // seconds after the last beat
    double duration = -1;            // fixed length in seconds (else: until the last beat + tail)
    int64_t frames = -1;             // fixed length in frames
    double max_duration = 600;       // the longest an automatic end may take
    double rate = -1;                // step units per video second where the lesson says "unlimited"
    bool overwrite = false;
    bool quiet = false;
    std::string beats_log;           // --beats-log FILE: frame, beat, caption (for tests and editors)
};

[[noreturn]] void usage_error(const std::string& msg) {
    std::cerr << "dreamlab render: " << msg << "\n\n" << kUsage;
    std::exit(2);
}

RenderOptions parse_render_args(const std::vector<std::string>& args) {
    RenderOptions o;
    auto value = [&](size_t& i) -> const std::string& {
        if (i + 1 >= args.size()) usage_error("option " + args[i] + " needs a value");
        return args[++i];
    };
    try {  // a value that is not whole or out of range: its message, exit 2
        for (size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            if (a == "--lesson") o.lesson = value(i);
            else if (a == "--out") o.out = value(i);
            else if (a == "--gif") o.gif = value(i);
            else if (a == "--png-sequence") o.png_dir = value(i);
            else if (a == "--fps") o.fps = int(parse_integer_option("--fps", value(i), 1, 120));
            else if (a == "--stage") o.stage = true;
            else if (a == "--dashboard") o.stage = false;
            else if (a == "--font-scale") o.font_scale = float(parse_number_option("--font-scale", value(i), 0.5, 4));
            else if (a == "--hold") o.hold = parse_number_option("--hold", value(i), 0, 600);
            else if (a == "--tail") o.tail = parse_number_option("--tail", value(i), 0, 600);
            else if (a == "--duration") o.duration = parse_number_option("--duration", value(i), 0.01, 3600);
            else if (a == "--frames") o.frames = parse_integer_option("--frames", value(i), 1, 1000000);
            else if (a == "--max-duration") o.max_duration = parse_number_option("--max-duration", value(i), 1, 3600);
            else if (a == "--rate") o.rate = parse_number_option("--rate", value(i), 1, 1e7);
            else if (a == "--overwrite") o.overwrite = true;
            else if (a == "--quiet") o.quiet = true;
            else if (a == "--beats-log") o.beats_log = value(i);
            else if (a == "--size") {
                const Size s = parse_size_option("--size", value(i), {320, 240}, {7680, 4320});
                o.width = s.width, o.height = s.height;
            } else usage_error("unknown render option '" + a + "'");
        }
    } catch (const std::invalid_argument& e) {
        usage_error(e.what());
    }
    if (o.lesson.empty()) usage_error("--lesson NAME|FILE is required (dreamlab render --lesson cartpole-ppo --out x.mp4)");
    if (o.out.empty() && o.gif.empty() && o.png_dir.empty())
        usage_error("nothing to write: give --out FILE.mp4, --gif FILE.gif or --png-sequence DIR");
    auto ext = [](const std::string& p) { return std::filesystem::path(p).extension().string(); };
    if (!o.out.empty() && ext(o.out) != ".mp4" && ext(o.out) != ".gif")
        usage_error("--out=" + o.out + " is not allowed: expected a file ending in .mp4 (H.264) or .gif");
    if (!o.gif.empty() && ext(o.gif) != ".gif") usage_error("--gif=" + o.gif + " is not allowed: expected a file ending in .gif");
    if (o.frames > 0 && o.duration > 0) usage_error("give --frames or --duration, not both");
    return o;
}

volatile std::sig_atomic_t g_interrupted = 0;

// An OpenGL 3.3 core context without a window: EGL on Mesa's surfaceless platform, drawing into a framebuffer
// object of the video's size.
class OffscreenGL {
public:
    OffscreenGL(int w, int h) : w_(w), h_(h) {
        dpy_ = eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
        if (dpy_ == EGL_NO_DISPLAY) fail("no EGL display on the surfaceless platform (install libegl-mesa0)");
        EGLint major = 0, minor = 0;
        if (!eglInitialize(dpy_, &major, &minor)) fail("eglInitialize failed");
        const EGLint config_attribs[] = {EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
        EGLConfig config = nullptr;
        EGLint n = 0;
        if (!eglChooseConfig(dpy_, config_attribs, &config, 1, &n) || n < 1) fail("no EGL config for desktop OpenGL");
        if (!eglBindAPI(EGL_OPENGL_API)) fail("EGL cannot bind desktop OpenGL");
        const EGLint ctx_attribs[] = {EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 3, EGL_CONTEXT_OPENGL_PROFILE_MASK,
                                      EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE};
        ctx_ = eglCreateContext(dpy_, config, EGL_NO_CONTEXT, ctx_attribs);
        if (ctx_ == EGL_NO_CONTEXT) fail("cannot create an OpenGL 3.3 core context");
        if (!eglMakeCurrent(dpy_, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx_)) fail("cannot make the context current (no surfaceless support?)");
        glGenFramebuffers(1, &fbo_);
        glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
        glGenRenderbuffers(1, &rb_);
        glBindRenderbuffer(GL_RENDERBUFFER, rb_);
        glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, w, h);
        glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, rb_);
        if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) fail("the offscreen framebuffer is incomplete");
        renderer_ = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    }
    ~OffscreenGL() {
        if (fbo_) glDeleteFramebuffers(1, &fbo_);
        if (rb_) glDeleteRenderbuffers(1, &rb_);
        if (ctx_ != EGL_NO_CONTEXT) eglMakeCurrent(dpy_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT), eglDestroyContext(dpy_, ctx_);
        if (dpy_ != EGL_NO_DISPLAY) eglTerminate(dpy_);
    }
    const std::string& renderer() const { return renderer_; }

private:
    [[noreturn]] void fail(const std::string& what) {
        throw std::runtime_error("offscreen OpenGL: " + what + " (EGL error 0x" + [] {
            char b[16];
            std::snprintf(b, sizeof b, "%x", unsigned(eglGetError()));
            return std::string(b);
        }() + ")");
    }
    int w_, h_;
    EGLDisplay dpy_ = EGL_NO_DISPLAY;
    EGLContext ctx_ = EGL_NO_CONTEXT;
    GLuint fbo_ = 0, rb_ = 0;
    std::string renderer_;
};

std::string clock_text(double s) {
    char b[32];
    const int t = int(std::lround(s));
    std::snprintf(b, sizeof b, "%d:%02d", t / 60, t % 60);
    return b;
}

// The GIF's frame rate: a divisor of the video's that GIF's 1/100 s delays state exactly, at most 25 fps.
int gif_step(int fps) {
    for (int k = 1; k <= fps; ++k)
        if (fps % k == 0 && fps / k <= 25 && 100 % (fps / k) == 0) return k;
    return std::max(1, (fps + 24) / 25);
}

// Box-filters RGB rows (top first) down by an integer factor.
std::vector<uint8_t> shrink(const std::vector<uint8_t>& px, int w, int h, int f, int& ow, int& oh) {
    ow = w / f, oh = h / f;
    std::vector<uint8_t> out(size_t(ow) * oh * 3);
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x)
            for (int c = 0; c < 3; ++c) {
                int sum = 0;
                for (int dy = 0; dy < f; ++dy)
                    for (int dx = 0; dx < f; ++dx) sum += px[(size_t(y * f + dy) * w + size_t(x * f + dx)) * 3 + size_t(c)];
                out[(size_t(y) * ow + size_t(x)) * 3 + size_t(c)] = uint8_t((sum + f * f / 2) / (f * f));
            }
    return out;
}

// One frame's training: every run moves `per_frame` of its step unit (when the lesson plays), then stands still
// while the frame is drawn. The views the panels asked for in the previous frame are answered for this one.
void lockstep_poll(App& app, std::vector<double>& targets, double rate, int fps) {
    name_runs(app);
    targets.resize(app.runs.size(), 0.0);
    for (size_t i = 0; i < app.runs.size(); ++i) {
        RunSlot& r = *app.runs[i];
        if (!r.session) continue;
        r.session->set_views(r.want_views);
        r.want_views = {};
        if (app.playing) {
            targets[i] += rate / fps;
            r.session->run_to(int64_t(std::floor(targets[i] + 1e-9)));
        }
    }
    for (size_t i = 0; i < app.runs.size(); ++i) {
        RunSlot& r = *app.runs[i];
        if (!r.session) continue;
        if (!r.session->settle(r.snap, 600)) throw std::runtime_error(r.label() + " did not reach its frame's step in 10 minutes");
        r.snap.steps_per_s = app.playing && !r.snap.finished ? rate : 0;  // in video time: what the class sees
        while (!r.session->context().poll_metrics(r.metrics, r.markers)) std::this_thread::sleep_for(std::chrono::microseconds(100));
        if (!r.snap.error.empty()) r.error = r.snap.error;
    }
}

// Whether the lesson's next beat can still fire: a key beat always can (after the hold); a progress beat not once
// every run has ended.
bool beats_can_fire(const App& app) {
    const LessonPlay& lp = app.lesson;
    if (!lp.timeline || lp.timeline->done()) return false;
    if (lp.lesson->beats[lp.timeline->next()].trigger.kind == BeatTrigger::Key) return true;
    for (const auto& r : app.runs)
        if (r->session && !r->snap.finished) return true;
    return false;
}

}  // namespace

int run_render(const std::vector<std::string>& args) {
    const RenderOptions opt = parse_render_args(args);
    std::shared_ptr<const Lesson> lesson;
    try {
        lesson = find_lesson(opt.lesson);
    } catch (const LessonError& e) {
        std::string names;
        for (const auto& l : shipped_lessons()) names += " " + l->slug;
        std::cerr << "dreamlab render: --lesson " << opt.lesson << ": " << e.what() << "\n  shipped lessons:" << names << "\n";
        return 2;
    }
    namespace fs = std::filesystem;
    for (const std::string& p : {opt.out, opt.gif, opt.png_dir})
        if (!p.empty() && fs::exists(p) && !opt.overwrite) {
            std::cerr << "dreamlab render: " << p << " already exists; choose another name or pass --overwrite\n";
            return 2;
        }
    const double rate = lesson->speed > 0 ? lesson->speed : opt.rate > 0 ? opt.rate : 5000;
    const int64_t fixed_frames = opt.frames > 0 ? opt.frames : opt.duration > 0 ? int64_t(std::llround(opt.duration * opt.fps)) : -1;
    const int64_t max_frames = fixed_frames > 0 ? fixed_frames : int64_t(opt.max_duration * opt.fps);

    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    std::signal(SIGTERM, [](int) { g_interrupted = 1; });

    // Software rasterising takes the cores from training otherwise; in lock step the two take turns anyway.
    setenv("LP_NUM_THREADS", std::to_string(std::max(1u, std::thread::hardware_concurrency())).c_str(), 0);
    std::optional<OffscreenGL> gl;
    try {
        gl.emplace(opt.width, opt.height);
    } catch (const std::exception& e) {
        std::cerr << "dreamlab render: " << e.what() << "\n";
        return 3;
    }
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(float(opt.width), float(opt.height));
    io.DisplayFramebufferScale = ImVec2(1, 1);
    io.DeltaTime = 1.0f / float(opt.fps);
    ImGui_ImplOpenGL3_Init("#version 330 core");

    int rc = 0;
    {
        VideoWriter mp4, gif;
        std::optional<StagedDir> pngs;
        const int gstep = gif_step(opt.fps), gshrink = std::max(1, (opt.width + 959) / 960);
        std::string beats_log = "frame\ttime_s\tbeat\ttrigger\tcaption\n";
        App app;
        app.offline = true;
        app.font_scale = opt.font_scale;
        app.display_h = float(opt.height);
        app.fps = opt.fps;
        try {
            const std::string gif_path = !opt.gif.empty() ? opt.gif : fs::path(opt.out).extension() == ".gif" ? opt.out : "";
            const std::string mp4_path = fs::path(opt.out).extension() == ".mp4" ? opt.out : "";
            if (!mp4_path.empty()) mp4.open(mp4_path, opt.width, opt.height, opt.fps);
            if (!gif_path.empty()) gif.open(gif_path, opt.width / gshrink, opt.height / gshrink, opt.fps / gstep);
            if (!opt.png_dir.empty()) pngs.emplace(opt.png_dir, opt.overwrite, "frame-000000.png");

            open_lesson(app, lesson);
            if (opt.stage != app.stage) toggle_stage(app);
            if (!opt.quiet)
                std::cerr << "dreamlab render: " << lesson->title << " — " << opt.width << "x" << opt.height << " at " << opt.fps
                          << " fps, " << (app.stage ? "stage" : "dashboard") << ", " << format_number(rate)
                          << " steps per video second, on " << gl->renderer() << "\n";
            std::vector<double> targets;
            std::vector<uint8_t> px, top(size_t(opt.width) * opt.height * 3);
            int64_t end_frame = fixed_frames, last_beat_frame = 0;
            size_t fired = 0;
            const auto t0 = std::chrono::steady_clock::now();
            auto last_print = t0;
            int64_t frame = 0;
            for (; frame < (end_frame > 0 ? end_frame : max_frames) && !g_interrupted; ++frame) {
                if (app.fonts_stale()) rebuild_fonts(app);
                io.DeltaTime = 1.0f / float(opt.fps);
                io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
                ImGui_ImplOpenGL3_NewFrame();
                ImGui::NewFrame();
                // A lesson that waits paused for the presenter's Space (and no key beat is next) plays after the hold.
                const bool key_next = app.lesson.timeline && !app.lesson.timeline->done() &&
                                      app.lesson.lesson->beats[app.lesson.timeline->next()].trigger.kind == BeatTrigger::Key;
                if (!app.playing && !key_next && beats_can_fire(app) && double(frame - last_beat_frame) >= opt.hold * opt.fps) {
                    app.playing = app.lesson.play = true;
                    beats_log += std::to_string(frame) + "\t" + format_number(double(frame) / opt.fps) + "\t-\tSpace (play)\t\n";
                    last_beat_frame = frame;
                }
                lockstep_poll(app, targets, rate, opt.fps);
                // The presenter's key presses, taken in order after the hold.
                if (app.lesson.timeline && !app.lesson.timeline->done() &&
                    app.lesson.lesson->beats[app.lesson.timeline->next()].trigger.kind == BeatTrigger::Key &&
                    double(frame - last_beat_frame) >= opt.hold * opt.fps)
                    lesson_next(app);
                lesson_frame(app);
                for (; app.lesson.timeline && fired < app.lesson.timeline->next(); ++fired) {
                    const LessonBeat& b = lesson->beats[fired];
                    std::string cap = b.caption;
                    std::replace(cap.begin(), cap.end(), '\n', ' ');
                    std::replace(cap.begin(), cap.end(), '\t', ' ');
                    beats_log += std::to_string(frame) + "\t" + format_number(double(frame) / opt.fps) + "\t" + std::to_string(fired + 1) +
                                 "\t" + b.label() + "\t" + cap + "\n";
                    last_beat_frame = frame;
                }
                if (end_frame < 0 && !beats_can_fire(app)) end_frame = std::min(max_frames, frame + int64_t(opt.tail * opt.fps) + 1);
                layout_and_draw(app);
                ImGui::Render();
                glViewport(0, 0, opt.width, opt.height);
                glClearColor(0.08f, 0.09f, 0.11f, 1.0f);
                glClear(GL_COLOR_BUFFER_BIT);
                ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
                px = read_framebuffer(opt.width, opt.height, false);
                const size_t row = size_t(opt.width) * 3;
                for (int y = 0; y < opt.height; ++y) std::copy_n(&px[size_t(opt.height - 1 - y) * row], row, &top[size_t(y) * row]);
                if (mp4.is_open()) mp4.add_frame(top.data());
                if (gif.is_open() && frame % gstep == 0) {
                    int gw = opt.width, gh = opt.height;
                    if (gshrink > 1) gif.add_frame(shrink(top, opt.width, opt.height, gshrink, gw, gh).data());
                    else gif.add_frame(top.data());
                }
                if (pngs) {
                    char name[32];
                    std::snprintf(name, sizeof name, "frame-%06lld.png", (long long)frame);
                    write_png((pngs->path() / name).string(), opt.width, opt.height, top.data());
                }
                const auto now = std::chrono::steady_clock::now();
                const bool last = end_frame > 0 && frame + 1 >= end_frame;
                if (!opt.quiet && (now - last_print > std::chrono::milliseconds(isatty(2) ? 250 : 5000) || last)) {
                    last_print = now;
                    const double wall = std::chrono::duration<double>(now - t0).count(), per = wall / double(frame + 1);
                    const int64_t total = end_frame > 0 ? end_frame : max_frames;
                    const size_t nb = lesson->beats.size();
                    char line[256];
                    std::snprintf(line, sizeof line, "frame %lld/%lld%s · video %s · beat %zu/%zu · %.1f frames/s · %s left",
                                  (long long)(frame + 1), (long long)total, end_frame > 0 ? "" : " (at most)",
                                  clock_text(double(frame + 1) / opt.fps).c_str(), fired, nb, 1.0 / per,
                                  clock_text(per * double(total - frame - 1)).c_str());
                    std::cerr << (isatty(2) ? "\r" : "") << line << (isatty(2) && !last ? "   " : "\n") << std::flush;
                }
            }
            if (g_interrupted) {
                mp4.abort(), gif.abort();
                pngs.reset();
                std::cerr << "\ndreamlab render: interrupted at frame " << frame << "; nothing was written\n";
                rc = 130;
            } else {
                if (end_frame < 0)
                    std::cerr << "dreamlab render: beat " << fired + 1 << " had not fired after " << clock_text(opt.max_duration)
                              << " of video (--max-duration); the video stops there\n";
                std::vector<std::string> written;
                if (mp4.is_open()) written.push_back(mp4.path()), mp4.close();
                if (gif.is_open()) written.push_back(gif.path()), gif.close();
                if (pngs) pngs->commit(), written.push_back(opt.png_dir + "/ (" + std::to_string(frame) + " PNGs)");
                if (!opt.beats_log.empty()) write_file_atomic(opt.beats_log, beats_log);
                for (const std::string& w : written)
                    std::cout << "dreamlab render: wrote " << w << " (" << frame << " frames, " << clock_text(double(frame) / opt.fps)
                              << " at " << opt.fps << " fps)\n";
            }
        } catch (const std::exception& e) {
            mp4.abort(), gif.abort();
            pngs.reset();
            std::cerr << "\ndreamlab render: " << e.what() << "\n  nothing was written\n";
            rc = 1;
        }
        app.ab.reset();  // the lockstep pair holds the runs' sessions
        app.runs.clear();  // join the workers before the GL context goes
    }
    ImGui_ImplOpenGL3_Shutdown();
    ImGui::DestroyContext();
    return rc;
}

}  // namespace dl
