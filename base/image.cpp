#include "base/image.h"

#include <algorithm>
#include <cmath>

namespace dl {

void Image::resize(int w, int h, Rgb fill) {
    w_ = std::max(0, w);
    h_ = std::max(0, h);
    px_.assign(size_t(w_) * h_ * 3, 0);
    fill_rect(0, 0, w_, h_, fill);
}

Rgb Image::at(int x, int y) const {
    const uint8_t* p = &px_[(size_t(y) * w_ + x) * 3];
    return {p[0], p[1], p[2]};
}

void Image::set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    uint8_t* p = &px_[(size_t(y) * w_ + x) * 3];
    p[0] = c.r; p[1] = c.g; p[2] = c.b;
}

void Image::fill_rect(int x0, int y0, int x1, int y1, Rgb c) {
    x0 = std::clamp(x0, 0, w_); x1 = std::clamp(x1, 0, w_);
    y0 = std::clamp(y0, 0, h_); y1 = std::clamp(y1, 0, h_);
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) set(x, y, c);
}

void Image::rect_outline(int x0, int y0, int x1, int y1, int t, Rgb c) {
    fill_rect(x0, y0, x1, y0 + t, c);
    fill_rect(x0, y1 - t, x1, y1, c);
    fill_rect(x0, y0, x0 + t, y1, c);
    fill_rect(x1 - t, y0, x1, y1, c);
}

void Image::fill_circle(double cx, double cy, double r, Rgb c) {
    const int y0 = int(std::floor(cy - r)), y1 = int(std::ceil(cy + r));
    const int x0 = int(std::floor(cx - r)), x1 = int(std::ceil(cx + r));
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
            const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
            if (dx * dx + dy * dy <= r * r) set(x, y, c);
        }
}

// A thick segment: every pixel whose centre lies within thickness/2 of the segment.
void Image::line(double x0, double y0, double x1, double y1, double thickness, Rgb c) {
    const double h = thickness * 0.5;
    const int bx0 = int(std::floor(std::min(x0, x1) - h)), bx1 = int(std::ceil(std::max(x0, x1) + h));
    const int by0 = int(std::floor(std::min(y0, y1) - h)), by1 = int(std::ceil(std::max(y0, y1) + h));
    const double vx = x1 - x0, vy = y1 - y0, len2 = vx * vx + vy * vy;
    for (int y = by0; y <= by1; ++y)
        for (int x = bx0; x <= bx1; ++x) {
            const double px = x + 0.5 - x0, py = y + 0.5 - y0;
            const double t = len2 > 0 ? std::clamp((px * vx + py * vy) / len2, 0.0, 1.0) : 0.0;
            const double dx = px - t * vx, dy = py - t * vy;
            if (dx * dx + dy * dy <= h * h) set(x, y, c);
        }
}

}  // namespace dl
