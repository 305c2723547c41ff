// The window: GLFW + OpenGL 3 (through libepoxy) + Dear ImGui 1.86. Lays the panels out as a dashboard that
// fills the window, and provides screenshots (PNG), recording (MP4) and the font scale.
//
// `dreamlab gui --frames N --screenshot out.png` renders N frames, writes the picture and exits (for tests).
#include <algorithm>
#include <cstring>
#include <chrono>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <thread>

#include <epoxy/gl.h>
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include "app/cli.h"
#include "app/gui/gui.h"
#include "base/files.h"
#include "core/session/run_store.h"
#include "core/session/run_store.h"
#include "core/session/sweep.h"

namespace dl {

namespace {
double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return 1e3 * double(ts.tv_sec) + 1e-6 * double(ts.tv_nsec);
}
}  // namespace

namespace {

struct GuiOptions {
    int frames = 0;                 // 0 = run until closed
    std::string screenshot;         // written after the last frame (with --frames) or at once on F12
    bool lessons = false;           // open Lessons → All lessons at the start
    std::string record;             // MP4 recorded from the first frame
    std::string lesson = "lake";    // a shipped lesson's name (its file's stem) or a lesson file
    bool lesson_set = false;        // named on the command line (else --sweep opens the explorer alone)
    std::string sweep;              // a sweep directory to open in the explorer
    std::string run;                // a train --out directory to reopen (curves, timeline, resumed from its checkpoint)
    bool play = false, play_set = false;
    bool unthrottled = false;
    bool stage = false;             // open in presentation mode
    float font_scale = 1.0f;
    int width = 1600, height = 960;
};

[[noreturn]] void usage_error(const std::string& msg) {
    std::cerr << "dreamlab: " << msg << "\n\n" << kUsage;
    std::exit(2);
}

GuiOptions parse_gui_args(const std::vector<std::string>& args) {
    GuiOptions o;
    auto value = [&](size_t& i) -> const std::string& {
        if (i + 1 >= args.size()) usage_error("option " + args[i] + " needs a value");
        return args[++i];
    };
    try {  // a value that is not whole or out of range: its message, exit 2
        for (size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            if (a == "--frames") o.frames = int(parse_integer_option("--frames", value(i), 1, 10000000));
            else if (a == "--screenshot") o.screenshot = value(i);
            else if (a == "--record") o.record = value(i);
            else if (a == "--lesson" || a == "--preset") o.lesson = value(i), o.lesson_set = true;
            else if (a == "--sweep") o.sweep = value(i);
            else if (a == "--run") o.run = value(i);
            else if (a == "--play") o.play = o.play_set = true;
            else if (a == "--paused") o.play = false, o.play_set = true;
            else if (a == "--unthrottled") o.unthrottled = true;
            else if (a == "--stage") o.stage = true;
            else if (a == "--lessons") o.lessons = true;
            else if (a == "--font-scale") o.font_scale = float(parse_number_option("--font-scale", value(i), 0.5, 4));
            else if (a == "--size") {
                const Size s = parse_size_option("--size", value(i), {320, 240}, {8192, 8192});
                o.width = s.width, o.height = s.height;
            } else usage_error("unknown GUI option '" + a + "'");
        }
    } catch (const std::invalid_argument& e) {
        usage_error(e.what());
    }
    return o;
}

// Key presses since the last frame, and the releases held back until that frame is drawn.
struct KeyQueue {
    struct Release {
        int key, scancode, mods;
    };
    std::vector<int> pressed;
    std::vector<Release> held_release;
};
KeyQueue& key_queue() {
    static KeyQueue q;  // GLFW's callbacks are plain functions; one window per process
    return q;
}

}  // namespace

// Finishes the live recording and names the file, its length and frame count.
static void stop_recording(App& app, GLFWwindow* window) {
    const std::string p = app.video.path();
    const int64_t n = app.video.frames();
    try {
        app.video.close();
        char msg[512];
        std::snprintf(msg, sizeof msg, "saved %s (%.1f s, %lld frames at %d fps)", p.c_str(), double(n) / app.video_fps, (long long)n,
                      app.video_fps);
        app.notify(msg, 8);
        std::cout << "dreamlab: " << msg << "\n";
    } catch (const std::exception& e) {
        app.notify(e.what(), 8);
    }
    glfwSetWindowTitle(window, "Dreamlab — reinforcement learning lab");
}

int run_gui(const std::vector<std::string>& args) {
    const GuiOptions opt = parse_gui_args(args);
    std::shared_ptr<const Lesson> first;  // checked before any window opens: never a half-loaded lesson
    try {
        first = find_lesson(opt.lesson);
    } catch (const LessonError& e) {
        std::string names;
        for (const auto& l : shipped_lessons()) names += " " + l->slug;
        std::cerr << "dreamlab: --lesson " << opt.lesson << ": " << e.what() << "\n  shipped lessons:" << names << "\n";
        return 2;
    }
    if (!opt.sweep.empty()) try {  // checked before any window opens, like the lesson
            load_sweep_dir(opt.sweep);
        } catch (const std::exception& e) {
            std::cerr << "dreamlab: --sweep " << opt.sweep << ": " << e.what() << "\n";
            return 2;
        }
    if (!opt.run.empty()) try {
            if (open_run(opt.run).checkpoints.empty())
                throw IoError("it has no checkpoints (trained with --no-checkpoints, or before there were any)");
        } catch (const std::exception& e) {
            std::cerr << "dreamlab: --run " << opt.run << ": " << e.what() << "\n";
            return 2;
        }
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    if ((!display || !*display) && (!wayland || !*wayland)) {
        std::cerr << "dreamlab: no display found (DISPLAY is not set), so the GUI cannot open a window.\n"
                     "  - to render off-screen: xvfb-run -a dreamlab gui --frames 120 --screenshot out.png\n"
                     "  - or use the headless commands: dreamlab list | train | eval | bench  (see dreamlab help)\n";
        return 3;
    }
    // Where there is no GPU driver, Mesa's software rasteriser (llvmpipe) draws the window, fill-bound: at 1920x1080
    // on 2 cores one raster thread draws ~23 FPS, two ~35–47. Unless the user sets LP_NUM_THREADS: a window that
    // opens on a lesson training flat out (the pixel lessons) gives it half the cores, so training keeps them (DQN on
    // Breakout: 1170 env steps/s beside a 21 FPS window, 1020 with two raster threads); any other start (the
    // tabular lessons, a paused dashboard) gets one per core. The frame loop also caps the frame rate while a run
    // trains flat out. Drivers for real GPUs ignore the variable. (Chosen once: the GL context keeps it.)
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const bool flat_out_start = first && first->play && first->speed <= 0;
    const std::string raster_threads = std::to_string(std::min(8u, flat_out_start ? std::max(1u, cores / 2) : cores));
    setenv("LP_NUM_THREADS", raster_threads.c_str(), /*overwrite=*/0);
    glfwSetErrorCallback([](int code, const char* msg) { std::cerr << "dreamlab: GLFW error " << code << ": " << msg << "\n"; });
    if (!glfwInit()) {
        std::cerr << "dreamlab: cannot initialise the windowing system on display '" << (display ? display : "")
                  << "'. Try: xvfb-run -a dreamlab gui …, or the headless commands (dreamlab help).\n";
        return 3;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    GLFWwindow* window = glfwCreateWindow(opt.width, opt.height, "Dreamlab — reinforcement learning lab", nullptr, nullptr);
    if (!window) {
        std::cerr << "dreamlab: cannot create an OpenGL 3.3 window (is Mesa's libgl1-mesa-dri installed?)\n";
        glfwTerminate();
        return 3;
    }
    glfwMakeContextCurrent(window);
    glfwSwapInterval(opt.frames > 0 ? 0 : 1);  // vsync when interactive

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;  // the layout is computed, not saved
    ImGui_ImplGlfw_InitForOpenGL(window, true);
    // ImGui 1.86 polls key state once a frame, so a tap shorter than a frame (12 ms at 20 FPS) would be lost: a
    // release that arrives in the same frame as its press is held back until that frame has been drawn.
    glfwSetKeyCallback(window, [](GLFWwindow* w, int key, int scancode, int action, int mods) {
        KeyQueue& q = key_queue();
        if (action == GLFW_PRESS) q.pressed.push_back(key);
        if (action == GLFW_RELEASE && std::find(q.pressed.begin(), q.pressed.end(), key) != q.pressed.end()) {
            q.held_release.push_back({key, scancode, mods});
            return;
        }
        ImGui_ImplGlfw_KeyCallback(w, key, scancode, action, mods);
    });
    ImGui::GetIO().KeyRepeatDelay = 0.5f;  // N and E repeat only after a clear hold
    ImGui_ImplOpenGL3_Init("#version 330 core");
    const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    const bool software_gl = renderer && (std::strstr(renderer, "llvmpipe") || std::strstr(renderer, "softpipe"));

    int rc = 0;
    {
        App app;
        app.font_scale = opt.font_scale;
        if ((opt.sweep.empty() && opt.run.empty()) || opt.lesson_set) open_lesson(app, first);
        if (!opt.sweep.empty()) open_sweep(app, opt.sweep);
        if (!opt.run.empty()) open_run_dir(app, opt.run);
        if (opt.stage) toggle_stage(app);
        app.lesson_browser = opt.lessons;
        glfwSetWindowUserPointer(window, &app);
        glfwSetDropCallback(window, [](GLFWwindow* w, int n, const char** paths) {
            if (n > 0) static_cast<App*>(glfwGetWindowUserPointer(w))->dropped = paths[0];
        });
        if (opt.play_set || opt.unthrottled) {
            if (opt.play_set) app.playing = opt.play;
            if (opt.unthrottled) app.unthrottled = true;
            apply_transport(app);
        }
        if (!opt.record.empty()) app.screenshot_request = "record:" + opt.record;

        bool quit = false;
        int frame = 0;
        std::vector<double> frame_work;  // ms of the UI thread's CPU per frame, NewFrame to Render (GL excluded)
        auto last = std::chrono::steady_clock::now();
        auto t_first = last;  // end of the first frame (start-up excluded from the FPS figure)
        while (!glfwWindowShouldClose(window) && !quit) {
            glfwPollEvents();
            {
                int fw = 0, fh = 0;
                glfwGetFramebufferSize(window, &fw, &fh);
                if (fh > 0) app.display_h = float(fh);
            }
            if (app.fonts_stale()) rebuild_fonts(app);
            const double work0 = thread_cpu_ms();  // frame work: our CPU time from here to ImGui::Render()
            ImGui_ImplOpenGL3_NewFrame();
            ImGui_ImplGlfw_NewFrame();
            // A scripted run (--frames) has nobody at the mouse: the X server's pointer parked mid-screen must not
            // hover a panel and put a tooltip over the screenshot.
            if (opt.frames > 0) ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
            ImGui::NewFrame();

            const auto now = std::chrono::steady_clock::now();
            const double dt = std::chrono::duration<double>(now - last).count();
            last = now;
            app.fps = app.fps == 0 ? 1.0 / std::max(dt, 1e-6) : 0.95 * app.fps + 0.05 / std::max(dt, 1e-6);

            // Keyboard: Space play/pause, N one step, E one episode, F12 screenshot, F9 record.
            const ImGuiIO& io = ImGui::GetIO();
            if (!io.WantTextInput && !app.keys_taken) {  // while a student plays (a panel took the keys), they are theirs
                // ImGui 1.86 indexes keys by the backend's codes (GLFW's here).
                // On stage Space is the presenter's "next beat" (as →); on the dashboard it plays and pauses.
                if (ImGui::IsKeyPressed(GLFW_KEY_SPACE, false)) {
                    if (app.stage && app.lesson.lesson) lesson_next(app);
                    else app.playing = !app.playing, apply_transport(app);
                }
                if (ImGui::IsKeyPressed(GLFW_KEY_F5, false)) toggle_stage(app);
                if (app.stage)  // no run list on stage: keys 1–9 choose the run the views show
                    for (int k = 0; k < 9 && k < int(app.runs.size()); ++k)
                        if (ImGui::IsKeyPressed(GLFW_KEY_1 + k, false)) app.selected = k;
                if (app.stage && ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) toggle_stage(app);
                if (ImGui::IsKeyPressed(GLFW_KEY_N)) step_all(app, Tick::EnvStep);
                if (ImGui::IsKeyPressed(GLFW_KEY_E)) step_all(app, Tick::Episode);
                if (ImGui::IsKeyPressed(GLFW_KEY_RIGHT, false)) lesson_next(app);  // the lesson's next beat
                if (ImGui::IsKeyPressed(GLFW_KEY_LEFT, false)) lesson_back(app);
            }
            if (!app.dropped.empty()) {  // a lesson file, or a trained agent's directory, dropped on the window
                if (std::filesystem::exists(std::filesystem::path(app.dropped) / "sweep.json")) {
                    open_sweep(app, app.dropped);  // a sweep directory: the explorer
                } else if (std::filesystem::is_directory(std::filesystem::path(app.dropped) / "checkpoints")) {
                    open_run_dir(app, app.dropped);  // a train --out directory with its timeline: reopened
                } else if (std::filesystem::is_directory(app.dropped)) {
                    try {
                        open_trained_agent(app, resolve_agent_dir(app.dropped));
                    } catch (const std::exception& e) {
                        app.notify(e.what(), 10);
                    }
                } else {
                    try {
                        open_lesson(app, find_lesson(app.dropped));
                        app.notify("opened " + app.dropped);
                    } catch (const LessonError& e) {
                        app.notify(e.what(), 10);
                    }
                }
                app.dropped.clear();
            }
            if (ImGui::IsKeyPressed(GLFW_KEY_F12, false)) app.screenshot_request = timestamped("screenshots", ".png");
            if (ImGui::IsKeyPressed(GLFW_KEY_F9, false)) {
                if (app.video.is_open()) stop_recording(app, window);
                else app.screenshot_request = "record:" + timestamped("recordings", ".mp4");
            }
            if (io.KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_Q, false)) quit = true;
            if (app.stop_recording_requested) {
                app.stop_recording_requested = false;
                if (app.video.is_open()) stop_recording(app, window);
            }

            poll_runs(app);
            lesson_frame(app);
            menu_bar(app, quit);
            layout_and_draw(app);

            ImGui::Render();
            if (frame > 0) frame_work.push_back(thread_cpu_ms() - work0);  // the GL driver's work below is not ours
            int w, h;
            glfwGetFramebufferSize(window, &w, &h);
            glViewport(0, 0, w, h);
            glClearColor(0.08f, 0.09f, 0.11f, 1.0f);
            glClear(GL_COLOR_BUFFER_BIT);
            ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

            // Recording and screenshots read the finished frame before it is shown. A scripted run (--frames)
            // counts its frames from when every run has shown its env, so a slow machine (or a sanitizer build)
            // does not photograph "starting…"; it waits at most 60 s for that.
            bool shown = true;
            for (const auto& r : app.runs) shown = shown && (r->snap.env || !r->error.empty());
            if (opt.frames == 0 || frame > 0 || shown || ImGui::GetTime() > 60) ++frame;
            const bool last_frame = opt.frames > 0 && frame >= opt.frames;
            try {
                if (app.screenshot_request.rfind("record:", 0) == 0) {
                    app.video.open(app.screenshot_request.substr(7), w, h, app.video_fps);
                    app.video_t0 = ImGui::GetTime();
                    // Said in the window's title, not on screen: nothing about the recording is burned into it.
                    glfwSetWindowTitle(window, ("● REC — Dreamlab — recording to " + app.video.path() + " (F9 stops)").c_str());
                    std::cout << "dreamlab: recording to " << app.video.path() << " (F9 stops)\n";
                    app.screenshot_request.clear();
                }
                if (app.video.is_open()) {
                    const auto px = read_framebuffer(w, h, true);
                    // True speed: live, the video's clock follows the wall clock (a slow frame is shown as long as it
                    // was on screen); in test mode one video frame per rendered frame.
                    const int64_t due = opt.frames > 0 ? 1 : int64_t((ImGui::GetTime() - app.video_t0) * app.video_fps) + 1 - app.video.frames();
                    for (int64_t k = 0; k < due; ++k) app.video.add_frame(px.data(), true);
                }
                std::string shot = app.screenshot_request;
                if (last_frame && !opt.screenshot.empty()) shot = opt.screenshot;
                if (!shot.empty() && (shot != opt.screenshot || last_frame)) {
                    auto px = read_framebuffer(w, h, true);
                    std::vector<uint8_t> flipped(px.size());
                    for (int y = 0; y < h; ++y) std::copy_n(&px[size_t(h - 1 - y) * w * 3], size_t(w) * 3, &flipped[size_t(y) * w * 3]);
                    write_png(shot, w, h, flipped.data());
                    if (last_frame) {  // the panels' rectangles beside it (tests/check_shot.cpp checks none is blank)
                        std::string rects;
                        for (const auto& r : app.panel_rects)
                            rects += r.name + "\t" + std::to_string(int(r.x)) + "\t" + std::to_string(int(r.y)) + "\t" +
                                     std::to_string(int(r.w)) + "\t" + std::to_string(int(r.h)) + "\n";
                        write_file_atomic(shot + ".panels", rects);
                    }
                    app.notify("saved " + shot);
                    if (shot == app.screenshot_request) app.screenshot_request.clear();
                    if (last_frame) {
                        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_first).count();
                        std::cout << "dreamlab: wrote " << shot << " (" << w << "x" << h << ", " << frame << " frames, mean "
                                  << std::fixed << std::setprecision(1) << (frame > 1 ? (frame - 1) / secs : 0.0) << " FPS)\n";
                    }
                }
            } catch (const std::exception& e) {
                app.notify(e.what(), 8);
                app.screenshot_request.clear();
                std::cerr << "dreamlab: " << e.what() << "\n";
                if (opt.frames > 0) rc = 1;
            }
            glfwSwapBuffers(window);
            {  // this frame saw the taps: let their releases through now
                KeyQueue& q = key_queue();
                for (const auto& r : q.held_release) ImGui_ImplGlfw_KeyCallback(window, r.key, r.scancode, GLFW_RELEASE, r.mods);
                q.held_release.clear();
                q.pressed.clear();
            }
            if (frame == 1) t_first = std::chrono::steady_clock::now();
            if (last_frame) break;
            // At most 60 frames per second even where vsync does not block (Xvfb, some drivers): the cores
            // belong to the training threads, not to redrawing faster than a screen can show. Under a software
            // rasteriser a frame at 1920x1080 costs ~45 ms of a core: while a run trains with no speed limit, at
            // most 22 frames a second (the window stays fluid, training keeps the rest).
            const bool flat_out = app.playing && app.unthrottled;
            const auto frame_end = now + std::chrono::microseconds(software_gl && flat_out ? 45000 : 16667);
            if (std::chrono::steady_clock::now() < frame_end) std::this_thread::sleep_until(frame_end);
        }
        if (app.video.is_open()) {
            const std::string p = app.video.path();
            try {
                app.video.close();
                if (opt.frames > 0) std::cout << "dreamlab: wrote " << p << "\n";
            } catch (const std::exception& e) {
                std::cerr << "dreamlab: " << e.what() << "\n";
                rc = 1;
            }
        }
        if (!frame_work.empty()) {  // for measuring (said on exit): the UI's own CPU time per frame
            std::vector<double> w = frame_work;
            std::sort(w.begin(), w.end());
            auto q = [&](double f) { return w[std::min(w.size() - 1, size_t(f * double(w.size())))]; };
            std::cout << "dreamlab: frame work (UI thread CPU, NewFrame to Render, GL excluded): median " << std::fixed
                      << std::setprecision(2) << q(0.5) << " ms, p95 " << q(0.95) << " ms, max " << w.back() << " ms over "
                      << w.size() << " frames\n";
        }
        if (opt.frames > 0)  // for measuring: how fast each run trained while the window was drawn
            for (auto& r : app.runs)
                if (r->session)
                    std::cout << "dreamlab: " << r->label() << " " << r->snap.env_steps << " env steps in " << std::fixed
                              << std::setprecision(2) << r->snap.wall_s << " s"
                              << (r->snap.finished ? " (finished)" : "") << "\n";
        app.ab.reset();  // the lockstep pair holds the runs' sessions
        app.runs.clear();  // join workers before the GL context goes
    }
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window);
    glfwTerminate();
    return rc;
}

}  // namespace dl
