// Image — an RGB8 picture drawn in software. Environments render into it, so the GUI, PNG screenshots
// and headless video all show the very same pixels.
#pragma once
#include <cstdint>
#include <vector>

namespace dl {

struct Rgb { uint8_t r = 0, g = 0, b = 0; };

class Image {
public:
    Image() = default;
    Image(int w, int h, Rgb fill = {}) { resize(w, h, fill); }
    void resize(int w, int h, Rgb fill = {});
    int width() const { return w_; }
    int height() const { return h_; }
    const uint8_t* data() const { return px_.data(); }
    uint8_t* data() { return px_.data(); }
    Rgb at(int x, int y) const;
    void set(int x, int y, Rgb c);       // ignores out-of-bounds pixels

    // Drawing primitives (clipped to the image).
    void fill_rect(int x0, int y0, int x1, int y1, Rgb c);            // [x0,x1) x [y0,y1)
    void fill_circle(double cx, double cy, double r, Rgb c);
    void line(double x0, double y0, double x1, double y1, double thickness, Rgb c);
    void rect_outline(int x0, int y0, int x1, int y1, int thickness, Rgb c);

private:
    int w_ = 0, h_ = 0;
    std::vector<uint8_t> px_;
};

}  // namespace dl
