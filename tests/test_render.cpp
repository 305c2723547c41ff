#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include <stb_image.h>

#include "base/files.h"
#include "envs/frozen_lake.h"
#include "render/grid_view.h"
#include "media/media.h"
#include "render/plot.h"

using namespace dl;
namespace fs = std::filesystem;

TEST_CASE("policy arrows point where the action moves the agent (screen y grows downwards)") {
    for (int a = 0; a < 4; ++a) {
        int row = 2, col = 2;
        lake_move(row, col, a, 5, 5);
        const ImVec2 d = action_arrow(a);
        CAPTURE(a);
        CHECK(int(d.x) == col - 2);
        CHECK(int(d.y) == row - 2);
    }
    // The names the GUI prints agree with Gymnasium's action meanings.
    FrozenLake env{FrozenLakeArgs{}};
    CHECK(env.action_names() == std::vector<std::string>{"Left", "Down", "Right", "Up"});
}

TEST_CASE("smoothing is a trailing mean over the window (never a lie on a plateau) and ticks are 1-2-5 steps") {
    const auto s = trailing_mean(std::vector<double>{4, 4, 4, 4}, 3);
    for (double v : s) CHECK(v == doctest::Approx(4.0));
    const auto r = trailing_mean(std::vector<double>{NAN, 0, 10, NAN, 20, 30}, 2);
    CHECK(std::isnan(r[0]));                     // nothing yet
    CHECK(r[1] == doctest::Approx(0.0));
    CHECK(r[2] == doctest::Approx(5.0));
    CHECK(r[3] == doctest::Approx(5.0));         // a missing value keeps the mean
    CHECK(r[4] == doctest::Approx(15.0));
    CHECK(r[5] == doctest::Approx(25.0));
    // A learner that reached 500 and stayed: after `window` episodes the bold line reads 500 exactly.
    std::vector<double> climb(300);
    for (size_t i = 0; i < climb.size(); ++i) climb[i] = i < 100 ? double(i) : 500;
    CHECK(trailing_mean(climb, 20)[119] == 500);
    CHECK(trailing_mean(climb, 20)[110] < 500);
    // Long series: the sum is re-added, no drift.
    std::vector<double> many(100000, 0.1);
    CHECK(trailing_mean(many, 7).back() == doctest::Approx(0.1).epsilon(1e-12));
    // A log axis over 1e-3 … 1e1 is labelled at the decades; one over 0.2 … 0.9 (under a decade) at 0.2 and 0.5.
    CHECK(log_ticks(-3, 1, 5) == std::vector<double>{-3, -2, -1, 0, 1});
    const auto under = log_ticks(std::log10(0.2), std::log10(0.9), 5);
    REQUIRE(under.size() == 2);
    CHECK(std::pow(10.0, under[0]) == doctest::Approx(0.2));
    CHECK(std::pow(10.0, under[1]) == doctest::Approx(0.5));
    const auto narrow = log_ticks(std::log10(0.31), std::log10(0.45), 5);  // no 1-2-5 step inside: every digit
    REQUIRE(narrow.size() == 1);
    CHECK(std::pow(10.0, narrow[0]) == doctest::Approx(0.4));
    const auto t = nice_ticks(0, 1, 5);
    REQUIRE(t.size() >= 3);
    CHECK(t.front() == doctest::Approx(0.0));
    CHECK(t[1] - t[0] == doctest::Approx(0.2));
    const auto big = nice_ticks(0, 20000, 4);
    CHECK(big[1] - big[0] == doctest::Approx(5000));
}

TEST_CASE("colour maps: ends differ, diverging is white at zero") {
    CHECK(colormap_sequential(0) != colormap_sequential(1));
    const ImU32 mid = colormap_diverging(0);
    CHECK((mid & 0xFF) > 230);
    CHECK(((mid >> 8) & 0xFF) > 230);
}

TEST_CASE("PNG writer: the file decodes to the same pixels") {
    Image img(20, 10, {10, 20, 30});
    img.fill_rect(5, 2, 8, 4, {250, 0, 0});
    const fs::path p = fs::temp_directory_path() / ("dreamlab-test-" + std::to_string(::getpid()) + ".png");
    write_png(p.string(), img);
    int w, h, n;
    unsigned char* px = stbi_load(p.c_str(), &w, &h, &n, 3);
    REQUIRE(px);
    CHECK(w == 20);
    CHECK(h == 10);
    CHECK(px[(3 * 20 + 6) * 3 + 0] == 250);
    CHECK(px[0] == 10);
    stbi_image_free(px);
    fs::remove(p);
    CHECK_THROWS_AS(write_png("/nonexistent-dir/x.png", img), IoError);
}

TEST_CASE("MP4 writer produces a decodable H.264 file with every frame") {
    const fs::path p = fs::temp_directory_path() / ("dreamlab-test-" + std::to_string(::getpid()) + ".mp4");
    {
        VideoWriter v;
        v.open(p.string(), 65, 49, 30);  // odd sizes are cropped to even
        std::vector<uint8_t> rgb(65 * 49 * 3);
        for (int f = 0; f < 30; ++f) {
            for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = uint8_t((i + f * 7) & 255);
            v.add_frame(rgb.data(), f % 2 == 0);
        }
        CHECK_FALSE(fs::exists(p));  // only the temporary file exists until close()
        v.close();
    }
    REQUIRE(fs::exists(p));
    const VideoInfo info = probe_video(p.string());
    CHECK(info.frames == 30);
    CHECK(info.width == 64);
    CHECK(info.height == 48);
    CHECK(info.codec == "h264");
    fs::remove(p);
    VideoWriter bad;
    CHECK_THROWS_AS(bad.open("/nonexistent-dir/x.mp4", 64, 48, 30), IoError);
}
