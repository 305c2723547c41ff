// Text drawn into an Image without a GPU or a font file: stb_easy_font's segment glyphs (printable ASCII),
// scaled by whole pixels. For labels burned into headless videos (`dreamlab eval --video --overlay`).
#pragma once
#include <string>

#include "base/image.h"

namespace dl {

// Width and height in pixels of `text` at `scale` (one line; characters outside ' '..'~' count as '?').
int text_width(const std::string& text, int scale);
int text_height(int scale);

// Draws `text` with its top-left corner at (x, y), clipped to the image.
void draw_text(Image& img, int x, int y, const std::string& text, int scale, Rgb color);

// `frame` with a dark strip below it holding one line of `text` (the frame itself is not covered).
Image with_caption_strip(const Image& frame, const std::string& text);

}  // namespace dl
