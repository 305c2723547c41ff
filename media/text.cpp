#include "media/text.h"

#include <algorithm>
#include <vector>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb_easy_font.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace dl {

namespace {

// stb_easy_font wants a mutable C string of printable ASCII.
std::vector<char> printable(const std::string& text) {
    std::vector<char> s;
    s.reserve(text.size() + 1);
    for (unsigned char c : text) s.push_back(c >= 32 && c < 127 ? char(c) : '?');
    s.push_back(0);
    return s;
}

}  // namespace

int text_width(const std::string& text, int scale) {
    std::vector<char> s = printable(text);
    return stb_easy_font_width(s.data()) * std::max(1, scale);
}

// The glyphs stand 7 units tall above the baseline, descenders 2 below.
int text_height(int scale) { return 10 * std::max(1, scale); }

void draw_text(Image& img, int x, int y, const std::string& text, int scale, Rgb color) {
    scale = std::max(1, scale);
    std::vector<char> s = printable(text);
    // Each quad is 4 vertices of (x, y, z, rgba): 64 bytes; a glyph has at most a few dozen segments.
    std::vector<char> buf(s.size() * 64 * 40 + 64);
    const int quads = stb_easy_font_print(0, 0, s.data(), nullptr, buf.data(), int(buf.size()));
    for (int q = 0; q < quads; ++q) {
        const float* v = reinterpret_cast<const float*>(buf.data() + size_t(q) * 64);
        // Vertices 0 and 2 are opposite corners of an axis-aligned rectangle (4 floats apart each).
        const float x0 = std::min(v[0], v[8]), x1 = std::max(v[0], v[8]);
        const float y0 = std::min(v[1], v[9]), y1 = std::max(v[1], v[9]);
        img.fill_rect(x + int(x0 * scale), y + int(y0 * scale), x + int(x1 * scale), y + int(y1 * scale), color);
    }
}

Image with_caption_strip(const Image& frame, const std::string& text) {
    // Readable in a small video (at least 2× the glyphs' own size), but never wider than the frame.
    const int scale = std::max(1, std::min(std::max(2, frame.width() / 240), (frame.width() - 8) / std::max(1, text_width(text, 1))));
    const int pad = 3 * scale, strip = text_height(scale) + 2 * pad;
    Image out(frame.width(), frame.height() + strip, Rgb{24, 26, 32});
    std::copy(frame.data(), frame.data() + size_t(frame.width()) * frame.height() * 3, out.data());
    draw_text(out, pad * 2, frame.height() + pad, text, scale, Rgb{235, 235, 235});
    return out;
}

}  // namespace dl
