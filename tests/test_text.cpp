// media/text: glyphs drawn into an Image headless (the labels of eval --video --overlay).
#include <doctest/doctest.h>

#include "media/text.h"

using namespace dl;

namespace {

struct Ink {
    int count = 0, x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
};
Ink ink(const Image& img, int y_from, Rgb bg) {
    Ink k;
    for (int y = y_from; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            const Rgb c = img.at(x, y);
            if (c.r == bg.r && c.g == bg.g && c.b == bg.b) continue;
            ++k.count, k.x0 = std::min(k.x0, x), k.y0 = std::min(k.y0, y), k.x1 = std::max(k.x1, x), k.y1 = std::max(k.y1, y);
        }
    return k;
}

}  // namespace

TEST_CASE("draw_text: ink stays inside the text's box, scales by whole pixels, and different strings differ") {
    CHECK(text_width("", 1) == 0);
    CHECK(text_width("step 12", 3) == 3 * text_width("step 12", 1));
    CHECK(text_width("return 500", 1) > text_width("500", 1));
    const Rgb bg{0, 0, 0}, fg{255, 255, 255};
    for (int scale : {1, 2, 3}) {
        Image img(200, 60, bg);
        draw_text(img, 10, 5, "Ep 7: 42", scale, fg);
        const Ink k = ink(img, 0, bg);
        CAPTURE(scale);
        CHECK(k.count > 20 * scale * scale);
        CHECK(k.x0 >= 10);
        CHECK(k.y0 >= 5);
        CHECK(k.x1 < 10 + text_width("Ep 7: 42", scale));
        CHECK(k.y1 < 5 + text_height(scale));
    }
    Image a(120, 20, bg), b(120, 20, bg), q(120, 20, bg), u(120, 20, bg);
    draw_text(a, 0, 0, "step 12", 1, fg);
    draw_text(b, 0, 0, "step 13", 1, fg);
    CHECK(std::vector<uint8_t>(a.data(), a.data() + 120 * 20 * 3) != std::vector<uint8_t>(b.data(), b.data() + 120 * 20 * 3));
    draw_text(q, 0, 0, "a?b", 1, fg);
    draw_text(u, 0, 0, "a\xce\xb3" "b", 1, fg);  // not ASCII: drawn as '?' (one per byte), never out of bounds
    CHECK(ink(u, 0, bg).count > ink(q, 0, bg).count);
    Image edge(30, 8, bg);
    draw_text(edge, 25, 4, "clipped at the edge", 2, fg);  // clipped, no write outside the picture
    CHECK(ink(edge, 0, bg).x0 >= 25);
}

TEST_CASE("with_caption_strip: the frame is kept pixel for pixel, the strip below holds the line") {
    Image frame(300, 100, Rgb{250, 250, 250});
    frame.fill_rect(40, 30, 80, 70, Rgb{200, 30, 30});
    const Image out = with_caption_strip(frame, "episode 1   step 57   return 57");
    REQUIRE(out.width() == 300);
    REQUIRE(out.height() > 100 + text_height(1));
    CHECK(std::equal(frame.data(), frame.data() + 300 * 100 * 3, out.data()));
    const Ink k = ink(out, 100, Rgb{24, 26, 32});
    CHECK(k.count > 100);
    CHECK(k.y0 >= 100);
    CHECK(k.x1 < 300);
    // A line too long for the frame at 2x is drawn smaller instead of running off the edge.
    const std::string long_line(60, 'm');
    const Image narrow = with_caption_strip(frame, long_line);
    CHECK(ink(narrow, 100, Rgb{24, 26, 32}).x1 < 300);
}
