// `dreamlab render`: a lesson rendered offline (EGL, no display) twice gives the same frames; beats fire at the
// frames their triggers say; captions appear at their beats; Ctrl-C and bad options leave no file.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <stb_image.h>

#include "base/files.h"
#include "media/media.h"

namespace fs = std::filesystem;
using namespace dl;

namespace {

const std::string kDreamlab = DREAMLAB_BINARY;
const std::string kLesson = std::string(DREAMLAB_SOURCE_DIR) + "/tests/lessons/render-test.toml";

fs::path scratch(const std::string& name) {
    const fs::path p = fs::temp_directory_path() / ("dreamlab-render-test-" + std::to_string(::getpid())) / name;
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

// Runs a command with DISPLAY unset (the renderer needs none); returns its exit status, its output in `out`.
int run(const std::string& args, std::string* out = nullptr) {
    const std::string cmd = "env -u DISPLAY -u WAYLAND_DISPLAY " + kDreamlab + " " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
    const int status = ::pclose(p);
    if (out) *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Beat {
    int frame;
    std::string what, caption;
};
std::vector<Beat> read_beats(const fs::path& p) {
    std::vector<Beat> beats;
    std::istringstream in(read_file(p));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ls(line);
        std::string cell;
        while (std::getline(ls, cell, '\t')) f.push_back(cell);
        REQUIRE(f.size() >= 4);
        beats.push_back({std::stoi(f[0]), f[3], f.size() > 4 ? f[4] : ""});
    }
    return beats;
}

// Bright pixels (text) in the caption bar's text column: the bottom fifth, left two thirds.
long caption_ink(const fs::path& png) {
    int w = 0, h = 0, c = 0;
    unsigned char* px = stbi_load(png.c_str(), &w, &h, &c, 3);
    REQUIRE(px);
    long ink = 0;
    for (int y = h * 4 / 5; y < h; ++y)
        for (int x = 0; x < w * 2 / 3; ++x) {
            const unsigned char* p = px + (size_t(y) * w + x) * 3;
            ink += (p[0] + p[1] + p[2]) > 600;
        }
    stbi_image_free(px);
    return ink;
}

std::string png(const fs::path& dir, int frame) {
    char name[32];
    std::snprintf(name, sizeof name, "frame-%06d.png", frame);
    return (dir / name).string();
}

}  // namespace

TEST_CASE("render: two renders of a lesson give identical frames; beats fire at their frames; captions appear with them") {
    const fs::path a = scratch("a"), b = scratch("b");
    const std::string common = "--lesson " + kLesson + " --fps 10 --size 640x360 --hold 1 --frames 50 --quiet";
    std::string out;
    REQUIRE_MESSAGE(run("render " + common + " --out " + (a / "v.mp4").string() + " --png-sequence " + (a / "png").string() +
                        " --gif " + (a / "v.gif").string() + " --beats-log " + (a / "beats.tsv").string(), &out) == 0, out);
    REQUIRE_MESSAGE(run("render " + common + " --out " + (b / "v.mp4").string() + " --beats-log " + (b / "beats.tsv").string(), &out) == 0,
                    out);

    // The video as asked: H.264, 10 fps, 50 frames, 5 s.
    const VideoInfo va = probe_video((a / "v.mp4").string()), vb = probe_video((b / "v.mp4").string());
    CHECK(va.codec == "h264");
    CHECK(va.width == 640);
    CHECK(va.height == 360);
    CHECK(va.frames == 50);
    CHECK(va.fps == doctest::Approx(10));
    CHECK(va.duration_s == doctest::Approx(5.0).epsilon(0.03));
    // Deterministic: the same decoded pictures, and (x264 is deterministic) the same file.
    REQUIRE(va.frame_hashes.size() == 50);
    CHECK(va.frame_hashes == vb.frame_hashes);
    CHECK(read_file(a / "v.mp4") == read_file(b / "v.mp4"));
    // Something moves: the picture is not one frame repeated.
    CHECK(va.frame_hashes.front() != va.frame_hashes.back());

    // The GIF: 10 fps is exact in GIF's 1/100 s delays, so every frame is kept.
    const VideoInfo g = probe_video((a / "v.gif").string());
    CHECK(g.codec == "gif");
    CHECK(g.frames == 50);
    CHECK(g.width == 640);
    CHECK(fs::file_size(a / "v.gif") < 2'000'000);

    // Beats: the start at frame 0; after a 1 s hold (10 frames) the renderer presses play; at 200 steps per
    // video second (20 a frame) the 100th env step is reached at frame 14, but that beat's caption waits until
    // "Start." has been on screen its reading time (3 s at least); the key beat waits 1 s (the hold) more.
    const auto beats = read_beats(a / "beats.tsv");
    CHECK(read_file(a / "beats.tsv") == read_file(b / "beats.tsv"));
    REQUIRE(beats.size() == 4);
    CHECK(beats[0].frame == 0);
    CHECK(beats[0].caption == "Start.");
    CHECK(beats[1].what == "Space (play)");
    CHECK(beats[1].frame == 10);
    CHECK(beats[2].frame == 30);
    CHECK(beats[2].caption.find("one hundred env steps") != std::string::npos);
    CHECK(beats[3].frame == 40);
    CHECK(beats[3].caption == "Key.");

    // The caption on screen follows: the long caption's text arrives at frame 30 and stays; the short one replaces it.
    const fs::path pngs = a / "png";
    CHECK(fs::exists(png(pngs, 49)));
    CHECK(!fs::exists(png(pngs, 50)));
    const long start = caption_ink(png(pngs, 29)), long_caption = caption_ink(png(pngs, 30)), later = caption_ink(png(pngs, 36)),
               key = caption_ink(png(pngs, 40));
    CHECK(long_caption > 3 * start);
    CHECK(later == long_caption);
    CHECK(key * 3 < long_caption);
    fs::remove_all(a.parent_path());
}

TEST_CASE("render: Ctrl-C leaves no file; an existing file is kept unless --overwrite; bad options are named") {
    const fs::path d = scratch("c");
    const std::string mp4 = (d / "v.mp4").string();
    // Interrupted: SIGINT a long render once it is under way.
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::unsetenv("DISPLAY");
        std::freopen("/dev/null", "w", stderr);
        ::execl(kDreamlab.c_str(), kDreamlab.c_str(), "render", "--lesson", kLesson.c_str(), "--size", "640x360", "--duration", "600",
                "--out", mp4.c_str(), (char*)nullptr);
        ::_exit(127);
    }
    bool started = false;  // the temporary file appears with the first frames
    for (int i = 0; i < 300 && !started; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        started = fs::exists(mp4 + ".part.mp4");
    }
    CHECK(started);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ::kill(pid, SIGINT);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK(!fs::exists(mp4));
    CHECK(!fs::exists(mp4 + ".part.mp4"));

    std::string out;
    { std::ofstream(mp4) << "keep me"; }
    CHECK(run("render --lesson " + kLesson + " --frames 2 --out " + mp4, &out) == 2);
    CHECK(out.find("already exists") != std::string::npos);
    CHECK(read_file(mp4) == "keep me");
    CHECK(run("render --lesson " + kLesson + " --frames 2 --size 640x360 --quiet --overwrite --out " + mp4, &out) == 0);
    CHECK(probe_video(mp4).frames == 2);

    CHECK(run("render --lesson " + kLesson + " --out x.avi", &out) == 2);
    CHECK(out.find("--out=x.avi is not allowed: expected a file ending in .mp4 (H.264) or .gif") != std::string::npos);
    CHECK(run("render --lesson " + kLesson + " --fps 0 --out x.mp4", &out) == 2);
    CHECK(out.find("--fps=0 is not allowed") != std::string::npos);
    CHECK(run("render --lesson no-such-lesson --out x.mp4", &out) == 2);
    CHECK(out.find("no-such-lesson") != std::string::npos);
    CHECK(out.find("shipped lessons:") != std::string::npos);
    CHECK(run("render --lesson " + kLesson, &out) == 2);
    CHECK(out.find("nothing to write") != std::string::npos);
    CHECK(run("render --lesson " + kLesson + " --frames 2 --quiet --out /no/such/dir/v.mp4", &out) == 1);
    CHECK(out.find("/no/such/dir/v.mp4") != std::string::npos);
    CHECK(!fs::exists("x.mp4"));
    fs::remove_all(d.parent_path());
}
